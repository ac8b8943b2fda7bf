"""`camscan identify --pcap` on a capture recorded on the namespace lab during a real scan.

tests/fixtures/pcap/lab-scan.pcap is what crossed the scanner's interface while camscan
scanned the lab (tests/passive/record_pcap.py), with the announcer personas talking
alongside; lab-scan.expected.json holds who was where and what that live scan concluded.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from scapy.layers.l2 import Ether
from scapy.utils import PcapNgWriter, RawPcapReader

from scanner.cli.identify import identify_pcap
from scanner.errors import UsageError
from scanner.model import Device
from scanner.output import load_schema
from scanner.passive.pcap import CaptureBounds
from scanner.passive.session import run_capture
from scanner.recognize import Recognizer
from tests.passive.announcers import BY_NAME

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "pcap"
PCAP = FIXTURE / "lab-scan.pcap"
EXPECTED = json.loads((FIXTURE / "lab-scan.expected.json").read_text())
RECOGNIZER = Recognizer.load()


def _devices(path: Path = PCAP, bounds: CaptureBounds | None = None) -> dict[str, Device]:
    found: dict[str, Device] = {}
    run_capture(str(path), RECOGNIZER, lambda d: found.__setitem__(d.ip, d), print, bounds)
    return found


DEVICES = _devices()


def test_fixture_is_small() -> None:
    """The committed capture stays a small fixture."""
    assert PCAP.stat().st_size < 500_000


def test_capture_reaches_the_live_scans_verdicts() -> None:
    """Every maker and model the live scan named, the capture names the same."""
    named = {ip: v for ip, v in EXPECTED["scan"].items() if v["manufacturer"]}
    assert len(named) >= 25
    wrong = {
        ip: (EXPECTED["hosts"].get(ip), want["manufacturer"], want["model"],
             DEVICES[ip].verdict.manufacturer if ip in DEVICES else None)
        for ip, want in named.items()
        if ip not in DEVICES
        or (DEVICES[ip].verdict.manufacturer, DEVICES[ip].verdict.model)
        != (want["manufacturer"], want["model"])
    }
    assert wrong == {}


def test_capture_names_the_announcers_the_scan_could_not() -> None:
    """Devices that only spoke unasked (NOTIFY, Hello, DHCP) are named from the capture."""
    for ip, name in EXPECTED["hosts"].items():
        persona = BY_NAME.get(name)
        if persona is None:
            continue
        verdict = DEVICES[ip].verdict
        for key, value in persona.label.items():
            assert getattr(verdict, key) == value, (name, key, getattr(verdict, key))


def test_unicast_answers_become_probe_observations() -> None:
    """HTTP, RTSP, telnet and FTP answers and open ports are recovered from TCP streams."""
    hikvision = DEVICES["198.18.0.101"]
    fields = {(o.probe, o.field) for o in hikvision.observations}
    assert {("http", "http.server"), ("rtsp", "rtsp.www_authenticate"),
            ("telnet", "telnet.banner")} <= fields
    assert {80, 554} <= set(hikvision.open_ports)
    axis = DEVICES["198.18.0.106"]
    assert ("ftp", "ftp.banner") in {(o.probe, o.field) for o in axis.observations}


def test_document_is_valid_and_says_how_each_protocol_went(tmp_path: Path) -> None:
    """The JSON document validates; TLS 1.3 handshakes are reported as skipped, not lost."""
    out = tmp_path / "capture.json"
    assert identify_pcap(str(PCAP), "json", str(out)) == 0
    document = json.loads(out.read_text())
    jsonschema.validate(document, load_schema())
    capture = document["scan"]["options"]["capture"]
    assert capture["packets"] > 1000 and "stopped" not in capture
    protocols = capture["protocols"]
    for name in ("ssdp", "wsd", "mdns", "sadp", "dhip", "ubnt", "xm", "tdp", "arp", "dhcp",
                 "http", "upnp", "rtsp", "ftp", "telnet"):
        assert protocols[name].startswith("ok: "), (name, protocols[name])
    assert "TLS 1.3 handshakes (certificate encrypted, skipped)" in protocols["tls"]


def test_policy_exit_status(tmp_path: Path) -> None:
    """--policy ndaa889 exits 3: the capture holds Hikvision and Dahua devices."""
    assert identify_pcap(str(PCAP), "csv", str(tmp_path / "c.csv"), ("ndaa889",)) == 3


def test_limits_stop_reading_with_a_warning() -> None:
    """A packet limit ends the reading early and says so on stderr and in the document."""
    warnings: list[str] = []
    found: list[Device] = []
    info = run_capture(str(PCAP), RECOGNIZER, found.append, warnings.append,
                       CaptureBounds(packets=200))
    (warning,) = warnings
    assert "stopped after 200 packets" in warning and "the rest was not read" in warning
    assert info.options["capture"]["stopped"].startswith("stopped after 200 packets")  # type: ignore[index]


def test_pcapng_reads_the_same(tmp_path: Path) -> None:
    """The same frames saved as pcapng give the same verdicts."""
    path = tmp_path / "lab.pcapng"
    writer = PcapNgWriter(str(path))
    for data, meta in RawPcapReader(str(PCAP)):
        frame = Ether(data)
        frame.time = meta.sec + meta.usec / 1e6
        writer.write(frame)
    writer.close()
    again = _devices(path)
    assert {ip: d.verdict.manufacturer for ip, d in again.items()} == {
        ip: d.verdict.manufacturer for ip, d in DEVICES.items()
    }


def test_a_capture_cut_short_is_read_up_to_the_cut(tmp_path: Path) -> None:
    """A file that breaks off mid-packet yields what came before, without an error."""
    path = tmp_path / "cut.pcap"
    path.write_bytes(PCAP.read_bytes()[: PCAP.stat().st_size // 2 + 7])
    assert 0 < len(_devices(path)) <= len(DEVICES)


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "cannot read"), (b"GET / HTTP/1.1\r\n\r\n", "is not a pcap or pcapng capture"),
     (b"", "is not a pcap or pcapng capture")],
    ids=["missing", "text", "empty"],
)
def test_bad_files_are_one_line_usage_errors(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    """A missing file or one that is no capture: UsageError naming it, before -o is made."""
    path = tmp_path / "input.pcap"
    if content is not None:
        path.write_bytes(content)
    out = tmp_path / "out.json"
    with pytest.raises(UsageError) as raised:
        identify_pcap(str(path), None, str(out))
    assert message in str(raised.value) and "\n" not in str(raised.value)
    assert not out.exists()
