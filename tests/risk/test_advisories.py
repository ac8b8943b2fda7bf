"""The advisory data, and devices on both sides of each KEV entry's affected range.

Real answers come from tests/fixtures/risk/corpus-firmware.jsonl (each with its public
source); the other side of a boundary uses the firmware string the advisory itself names
there, so every boundary below is the advisory's, cited in the test. Strings marked as a
neighbour are the boundary's value moved by one (a day, a build number) to test the edge.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scanner.errors import UsageError
from scanner.recognize.fingerprints import default_root, load_database
from scanner.risk import load_advisories
from tests.risk.helpers import corpus_devices, judged, recognizer, risk

KEV_CVES = {
    "CVE-2021-36260", "CVE-2017-7921", "CVE-2021-33044", "CVE-2021-33045", "CVE-2020-5735",
    "CVE-2016-11021", "CVE-2020-25078", "CVE-2020-25079", "CVE-2019-11001", "CVE-2021-40407",
}


def _status(model: str, firmware: str | None, cve: str, **kwargs: str) -> str | None:
    found = risk(judged(model, firmware, **kwargs), cve)
    return found.status if found else None


def test_data_states_its_date_and_every_row_its_sources() -> None:
    """The file has a date and a KEV catalogue version; every row a source, URL and score."""
    data = recognizer().risk.data
    assert data is not None and data.date.year >= 2026 and data.kev_catalog
    assert {a.cve for a in data.advisories if a.kev} == KEV_CVES
    for advisory in data.advisories:
        assert advisory.sources and advisory.url.startswith("https://"), advisory.cve
        assert advisory.kev_added and 0 < advisory.cvss <= 10, advisory.cve
        assert len(advisory.summary) < 160 and advisory.products, advisory.cve
    assert {(f.maker, f.address) for f in data.factory} >= {
        ("Hikvision", "192.0.0.64"), ("Dahua", "192.168.1.108")
    }


def test_every_hikvision_and_dahua_kev_entry_is_a_row() -> None:
    """The four KEV entries for Hikvision and Dahua (catalogue 2025.08.25 plus 2017-7921's
    addition of 2026-03-05) and Amcrest's (a Dahua OEM line) are all present."""
    data = recognizer().risk.data
    assert data is not None
    makers = {a.cve: a.makers for a in data.advisories}
    assert makers["CVE-2021-36260"] == {"Hikvision"} and makers["CVE-2017-7921"] == {"Hikvision"}
    assert makers["CVE-2021-33044"] == makers["CVE-2021-33045"] == {"Dahua"}
    assert makers["CVE-2020-5735"] == {"Amcrest"}


def test_cve_2017_7921_corpus_camera_on_the_first_affected_build() -> None:
    """DS-2CD2532F-IWS on V5.2.0 build 140721 (hikvision_next fixture) is the first build of
    ICSA-17-124-01's DS-2CD2xx2F-I range: affected, and KEV."""
    found = risk(corpus_devices()["s0183"], "CVE-2017-7921")
    assert found is not None and found.status == "affected" and found.kev
    assert found.severity == "critical" and "V5.2.0 build 140721" in found.basis


def test_cve_2017_7921_corpus_ptz_before_the_range() -> None:
    """DS-2DF7286-A on V5.1.8 build 140616 (evercam issue 10) and DS-2DF7276-AEL on V5.1.6
    build 140401 (onvif-nvt fixture) predate ICSA-17-124-01's first affected DS-2DFx build,
    V5.2.0 build 140805: no finding."""
    assert risk(corpus_devices()["s0254"], "CVE-2017-7921") is None
    assert risk(corpus_devices()["cm0065"], "CVE-2017-7921") is None


def test_cve_2017_7921_corpus_ptz_inside_the_range() -> None:
    """DS-2DF7286-A on V5.3.0 build 150326 (evercam-server fixture) lies inside the DS-2DFx
    range, V5.2.0 build 140805 to V5.4.5 build 160928: affected."""
    found = risk(corpus_devices()["hd0016"], "CVE-2017-7921")
    assert found is not None and found.status == "affected" and found.kev


@pytest.mark.parametrize(
    ("firmware", "expected"),
    [
        ("V5.2.0 build 140720", None),  # neighbour: a day before ICSA-17-124-01's first build
        ("V5.2.0 build 140721", "affected"),  # its first affected build
        ("V5.4.0 build 160530", "affected"),  # its last affected build
        ("V5.4.1 build 160601", "possible"),  # neighbour: between last affected and first fix
        ("V5.4.5 build 170123", None),  # its first fixed build (also s0257's real string)
        ("V5.4.0", "possible"),  # the version of the last affected build, without the build
        (None, "possible"),  # model known, firmware not seen
    ],
)
def test_cve_2017_7921_ds_2cd2xx2f_boundaries(firmware: str | None, expected: str | None) -> None:
    """DS-2CD2xx2F-I series: ICSA-17-124-01 names V5.2.0 build 140721 to V5.4.0 build
    160530 as affected and V5.4.5 build 170123 as the fix."""
    assert _status("DS-2CD2532F-IWS", firmware, "CVE-2017-7921") == expected


def test_cve_2021_36260_corpus_g2_cameras_are_past_the_fix() -> None:
    """G5-platform cameras with 2024 builds (hikvision_next fixtures: DS-2CD2386G2-IU
    V5.7.15 build 240201, DS-2CD2T46G2-ISU/SL V5.7.18 build 240826) are after the patched
    build of 2021-06-28: no finding."""
    devices = corpus_devices()
    assert risk(devices["s0181"], "CVE-2021-36260") is None
    assert risk(devices["s0184"], "CVE-2021-36260") is None


@pytest.mark.parametrize(
    ("firmware", "expected"),
    [
        ("IPC_G5_EN_STD_5.5.113_210317", "affected"),  # Watchful IP: most recent vulnerable G5
        ("V5.5.113 build 210317", "affected"),  # the same build as a device reports it
        ("V5.5.120 build 210520", "possible"),  # neighbour: after it, before the fix
        ("V5.7.1 build 211009", None),  # the portal's first 'safe version' for G5
        ("V5.7.15 build 240201", None),  # s0181's real firmware
        ("V5.7.15", None),  # a later version than the fix: the build does not matter
        ("V5.5.113", "possible"),  # the last vulnerable version: which build is unknown
        ("V5.5.100", "affected"),  # neighbour: an earlier version, the build does not matter
    ],
)
def test_cve_2021_36260_g5_boundaries(firmware: str, expected: str | None) -> None:
    """G5 platform (DS-2CD2xx6G2): vulnerable through IPC_G5_EN_STD_5.5.113_210317 (the
    researcher's report linked from HSRC-202109-01); fixed in V5.7.1 build 211009."""
    assert _status("DS-2CD2386G2-IU", firmware, "CVE-2021-36260") == expected


@pytest.mark.parametrize(
    ("firmware", "expected"),
    [
        ("IPC_G3_EN_STD_5.5.160_210416", "affected"),  # Watchful IP: most recent vulnerable G3
        ("V5.5.800 build 210628", None),  # Watchful IP: the patched G3 build
    ],
)
def test_cve_2021_36260_g3_boundaries(firmware: str, expected: str | None) -> None:
    """G3 platform (DS-2CD3xx6G2): the two builds the researcher's report names."""
    assert _status("DS-2CD3356G2-IS", firmware, "CVE-2021-36260") == expected


def test_cve_2021_33044_corpus_camera_without_build_date_is_possible() -> None:
    """IPC-HDW5421S (an IPC-HX5XXX) reporting 2.400.0.8 over DHIP (AMP-Research capture) has
    no build date, and DHCC-SA-202106-001 draws the range by build time: possible."""
    found = risk(corpus_devices()["s0243"], "CVE-2021-33044")
    assert found is not None and found.status == "possible" and found.kev


@pytest.mark.parametrize(
    ("firmware", "cve", "expected"),
    [
        ("2.800.0000000.18.R, Build Date: 2021-05-31", "CVE-2021-33044", "affected"),
        ("2.800.0000000.18.R, Build Date: 2021-06-01", "CVE-2021-33044", None),
        ("2.800.0000000.18.R, Build Date: 2020-04-30", "CVE-2021-33045", "affected"),
        ("2.800.0000000.18.R, Build Date: 2020-05-01", "CVE-2021-33045", None),
        # mkuthan/homelab-public docs/cameras.md: a real IPC-HDW5442TM-ASE-S3 firmware
        ("V3.142.0000000.3.R, Build Date: 2024-09-24", "CVE-2021-33044", None),
    ],
)
def test_dahua_ipc_boundaries(firmware: str, cve: str, expected: str | None) -> None:
    """IPC-HX5XXX: build time before June 2021 (CVE-2021-33044) and before May 2020
    (CVE-2021-33045), as Dahua recorded DHCC-SA-202106-001 in the CVE list."""
    assert _status("IPC-HDW5442TM-ASE-S3", firmware, cve, manufacturer="Dahua") == expected


def test_cve_2021_33045_corpus_nvr_built_after_the_fix() -> None:
    """An NVR2X-4KS3 (rroller/dahua issue 9) on build 2020-11-17 is after the NVR2XXX range
    (build time before December 2019): no finding; built 2019-11-30 it would be affected."""
    assert risk(corpus_devices()["s0217"], "CVE-2021-33045") is None
    firmware = "4.001.0000005.0,build:2019-11-30"
    assert _status("NVR2X-4KS3", firmware, "CVE-2021-33045", manufacturer="Dahua") == "affected"


def test_dahua_model_outside_the_lines_gets_nothing() -> None:
    """IPC-HDW1431T1-S4 (an HX1XXX, Haicam capture) is in no line of either Dahua KEV entry."""
    device = corpus_devices()["s0197"]
    assert not [r for r in device.risks if r.kind == "vulnerability"]


@pytest.mark.parametrize(
    ("firmware", "expected"),
    [
        ("V2.800.00AC003.0.R", None),  # s0261's real Amcrest firmware: after 00AC000
        ("2.800.00AC000.0.R.200330", None),  # Tenable TRA-2020-20's fixed build itself
        ("2.800.0000000.5.R", "affected"),  # Dahua build line, before 2.800.0000000.6
        ("2.800.0000000.6.R.200314", None),  # its fixed build
        ("2.400.0000000.16.R", None),  # a firmware line the advisory does not name
    ],
)
def test_cve_2020_5735_amcrest_lines(firmware: str, expected: str | None) -> None:
    """Amcrest (a Dahua OEM line): fixed builds per firmware line, from the CVE record."""
    found = _status("IP5M-T1277EW-AI", firmware, "CVE-2020-5735", manufacturer="Dahua",
                    brand="Amcrest")
    assert found == expected


def test_cve_2020_5735_corpus_amcrest_camera() -> None:
    """The real IP5M-T1277EW-AI answer (V2.800.00AC003.0.R) is after the 2.800 AC fix."""
    assert risk(corpus_devices()["s0261"], "CVE-2020-5735") is None


@pytest.mark.parametrize(
    ("model", "firmware", "cve", "expected"),
    [
        ("DCS-930L", "2.11", "CVE-2016-11021", "affected"),  # before 2.12 (CVE record)
        ("DCS-930L", "2.12", "CVE-2016-11021", None),
        ("DCS-2530L", "1.05.05", "CVE-2020-25078", "affected"),  # before 1.06.01 (SAP10180)
        ("DCS-2530L", "1.06.01", "CVE-2020-25078", None),
        ("DCS-2670L", "2.02", "CVE-2020-25079", "affected"),  # through 2.02, no fix named
        ("DCS-2670L", "2.03", "CVE-2020-25079", "possible"),
    ],
)
def test_dlink_boundaries(model: str, firmware: str, cve: str, expected: str | None) -> None:
    """D-Link DCS ranges as the CVE records state them."""
    assert _status(model, firmware, cve, manufacturer="D-Link") == expected


@pytest.mark.parametrize(
    ("firmware", "cve", "expected"),
    [
        ("v3.0.0.136_20121102", "CVE-2021-40407", "affected"),  # the version Talos tested
        ("v3.0.0.137", "CVE-2021-40407", "possible"),  # the next number: named neither way
        ("1.0.227", "CVE-2019-11001", "affected"),  # 'through 1.0.227' (CVE record)
    ],
)
def test_reolink_boundaries(firmware: str, cve: str, expected: str | None) -> None:
    """Reolink RLC-410W: TALOS-2021-1424 names one build; CVE-2019-11001 'through 1.0.227'."""
    assert _status("RLC-410W", firmware, cve, manufacturer="Reolink") == expected


def test_no_vulnerability_without_a_model_or_from_another_maker() -> None:
    """The maker and the model must both match: no model, or a model code of another maker,
    gives no vulnerability finding whatever the firmware."""
    assert _status("", "V5.2.0 build 140721", "CVE-2017-7921") is None
    assert _status("DS-2CD2532F-IWS", "V5.2.0 build 140721", "CVE-2017-7921",
                   manufacturer="Axis") is None


def test_never_affected_without_firmware() -> None:
    """With the firmware unknown no advisory says affected, for any model it names."""
    data = recognizer().risk.data
    assert data is not None
    samples = {"DS-2CD2532F-IWS", "DS-2CD2386G2-IU", "IPC-HDW5442TM-ASE-S3", "NVR2104HS",
               "DCS-930L", "DCS-2530L", "RLC-410W", "IP5M-T1277EW-AI"}
    for model in samples:
        for maker, brand in (("Hikvision", None), ("Dahua", "Amcrest"), ("D-Link", None),
                             ("Reolink", None), ("Dahua", None)):
            device = judged(model, None, manufacturer=maker, brand=brand)
            assert all(r.status == "possible" for r in device.risks if r.kind == "vulnerability")


def _copy_data(tmp_path: Path) -> Path:
    root = tmp_path / "fp"
    shutil.copytree(default_root(), root, ignore=shutil.ignore_patterns("__*"))
    return root


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("models = ['DS-2CD2\\d\\d2F-I.*']", "models = ['DS-2CD2[']", "no regular expression"),
        ('first = "V5.2.0 build 140721"', 'first = "soon"', "no firmware version"),
        ('makers = ["Hikvision"]', 'makers = ["Hikvison"]', "not a vocabulary.toml name"),
    ],
)
def test_a_broken_row_is_one_line_naming_file_and_row(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    """A data author's mistake is a UsageError naming the file and the row, not a crash."""
    root = _copy_data(tmp_path)
    path = root / "advisories.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    database = load_database(root)
    with pytest.raises(UsageError, match=message) as raised:
        load_advisories(root, database.vocabulary)
    assert "advisories.toml" in str(raised.value) and "advisory[" in str(raised.value)
    assert "\n" not in str(raised.value)
