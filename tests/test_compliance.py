"""Compliance flags follow the platform maker, need strong evidence, and drive --policy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.cli import main
from scanner.model import Observation
from scanner.recognize import Recognizer

FIXTURES = Path(__file__).parent / "fixtures" / "identify"
RECOGNIZER = Recognizer.load()


def _judge(*pairs: tuple[str, str]) -> tuple[str | None, str, set[str]]:
    obs = [Observation("198.18.0.7", None, "test", f, v) for f, v in pairs]
    device = RECOGNIZER.device("198.18.0.7", obs)
    assert device.compliance is not None
    flags = {f.list_id for f in device.compliance.flags if f.status == "covered"}
    return device.verdict.manufacturer, device.compliance.status, flags


def test_strong_hikvision_evidence_is_covered_on_every_list() -> None:
    """A Hikvision server string (corpus s0061) flags the device on NDAA §889, FCC and UK lists."""
    maker, status, flags = _judge(("http.server", "DNVRS-Webs"))
    assert (maker, status) == ("Hikvision", "covered")
    assert flags == {"ndaa889", "fcc", "uk2022"}


def test_lorex_on_dahua_firmware_is_flagged_as_dahua() -> None:
    """A Lorex NVR answering with Dahua's realm (corpus s0084) is Dahua equipment."""
    maker, status, _ = _judge(
        ("http.www_authenticate", 'Digest realm="Login to ND011811000000", nonce="ec36"')
    )
    assert (maker, status) == ("Dahua", "covered")


def test_an_oui_alone_is_only_possible() -> None:
    """A Hikvision OUI with nothing else never makes a device 'covered' (issue 4)."""
    maker, status, flags = _judge(("mac", "58:50:ed:1f:e3:85"))
    assert maker == "Hikvision"
    assert status == "possible" and not flags


def test_a_locally_administered_mac_names_nobody() -> None:
    """A locally administered MAC (bit 1 of the first octet) names no vendor and flags nothing."""
    maker, status, _ = _judge(("mac", "5a:50:ed:1f:e3:85"))
    assert maker is None and status == "unknown"


def test_generic_software_flags_nothing() -> None:
    """GoAhead-Webs (corpus s0170) names no maker, so no list applies."""
    maker, status, _ = _judge(("http.server", "GoAhead-Webs"))
    assert maker is None and status == "unknown"


def test_other_makers_are_not_covered() -> None:
    """An Axis camera (corpus s0020) is on none of the lists."""
    maker, status, flags = _judge(
        ("ftp.banner", "AXIS 216FD Network Fixed Dome Camera 4.47 (Mar 13 2008) ready.")
    )
    assert (maker, status, flags) == ("Axis", "not-covered", set())


@pytest.mark.parametrize(
    ("fixture", "policy", "expected"),
    [
        ("mixed-site.jsonl", "ndaa889", 3),
        ("mixed-site.jsonl", "uk2022", 3),
        ("mixed-site.jsonl", "any", 3),
        ("oui-only.jsonl", "any", 0),
        ("unknown-field.jsonl", "fcc", 3),
    ],
)
def test_policy_exit_status(
    fixture: str, policy: str, expected: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """--policy makes the exit status 3 only when a device is covered (not merely possible)."""
    with pytest.raises(SystemExit) as stopped:
        main(["identify", str(FIXTURES / fixture), "-f", "json", "--policy", policy])
    assert (stopped.value.code or 0) == expected
    document = json.loads(capsys.readouterr().out)
    assert "covered" in document["summary"]


def test_summary_counts_covered_devices(capsys: pytest.CaptureFixture[str]) -> None:
    """The summary counts covered and possibly covered devices per list."""
    with pytest.raises(SystemExit):
        main(["identify", str(FIXTURES / "mixed-site.jsonl"), "-f", "json"])
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert summary["covered"] == {"fcc": 2, "ndaa889": 2, "uk2022": 2}
    assert summary["possibly_covered"] == {"fcc": 1, "ndaa889": 1, "uk2022": 1}
