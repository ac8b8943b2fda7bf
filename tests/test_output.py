"""Output formats: the camscan/1 contract, streaming, and hostile text from devices.

Banners are real: "App-webs/" is the Server header of Hikvision IPC firmware 5.x (nmap
nmap-service-probes @ db4aefddfa, line 9762); "Dahua Rtsp Server" is recog
xml/rtsp_servers.xml @ 14fa1a7211; the "Login to ND011811000000" realm is a Lorex NR900
(recog xml/http_wwwauth.xml @ 14fa1a7211).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.model import (
    Device,
    Evidence,
    Observation,
    Outcome,
    ProbeStatus,
    ScanInfo,
    Verdict,
)
from scanner.output import FORMATS, device_to_dict, document, load_schema, make_formatter
from scanner.output.contract import ip_sort_key
from scanner.output.sanitize import clean

HOSTILE = "\x1b[31mevil\x1b]0;title\x07"
INFO = ScanInfo(
    started="2026-11-26T09:00:00+00:00",
    finished="2026-11-26T09:00:04+00:00",
    targets=("198.18.0.0/24",),
    ports=(80, 554),
    camscan_version="0.1.0",
    fingerprints=120,
    options={"timeout": 1.0, "probes": ("http", "rtsp")},
)


def _obs(ip: str, port: int | None, probe: str, field: str, value: str) -> Observation:
    return Observation(host=ip, port=port, probe=probe, field=field, value=value)


def hikvision(ip: str = "198.18.0.10", server: str = "App-webs/") -> Device:
    obs = _obs(ip, 80, "http", "http.server", server)
    ev = Evidence(
        fingerprint="http.server/hikvision-app-webs",
        observation=obs,
        asserts={"manufacturer": "Hikvision", "is_camera": True},
        weight=0.9,
        description="Hikvision IPC web server (firmware 5.x)",
    )
    verdict = Verdict(
        manufacturer="Hikvision",
        brand="Hikvision",
        model="DS-2CD2042WD-I",
        firmware=None,
        device_type="camera",
        is_camera=True,
        confidence=0.9,
        evidence=(ev,),
        reason="Hikvision platform (HTTP Server App-webs/)",
        oui_vendor="Hangzhou Hikvision Digital Technology Co.,Ltd.",
    )
    return Device(
        ip=ip,
        mac="08:54:11:00:00:01",
        observations=(obs,),
        probes=(ProbeStatus("http", Outcome.OK), ProbeStatus("arp", Outcome.SKIPPED, "needs root")),
        verdict=verdict,
        found_by=("http",),
        open_ports=(80, 554),
    )


def lorex(ip: str = "198.18.0.9") -> Device:
    rtsp = _obs(ip, 554, "rtsp", "rtsp.server", "Dahua Rtsp Server")
    auth = _obs(
        ip,
        80,
        "http",
        "http.www_authenticate",
        'Digest realm="Login to ND011811000000", nonce="ec3682ef24b2cd9cedefe5cc26110000"',
    )
    ev = Evidence("rtsp.server/dahua", rtsp, {"manufacturer": "Dahua", "is_camera": True}, 0.9)
    verdict = Verdict(
        manufacturer="Dahua",
        brand="Lorex",
        model=None,
        firmware=None,
        device_type="nvr",
        is_camera=True,
        confidence=0.85,
        evidence=(ev,),
        reason="Dahua platform (RTSP server); sold as Lorex (OUI)",
        oui_vendor="Lorex Technology Inc.",
        conflicts=(),
    )
    return Device(
        ip=ip,
        mac="00:1f:54:a9:2e:58",
        observations=(rtsp, auth),
        probes=(ProbeStatus("rtsp", Outcome.OK), ProbeStatus("http", Outcome.OK)),
        verdict=verdict,
        found_by=("rtsp", "http"),
        open_ports=(80, 554),
    )


def unknown(ip: str = "198.18.0.100") -> Device:
    return Device(
        ip=ip,
        mac=None,
        observations=(),
        probes=(ProbeStatus("http", Outcome.REFUSED),),
        verdict=Verdict.unknown(),
    )


def with_verdict(device: Device, **changes: Any) -> Device:
    """``device`` with some verdict fields changed."""
    return dataclasses.replace(device, verdict=dataclasses.replace(device.verdict, **changes))


DEVICES = (hikvision(), unknown(), lorex())


class Tracking(io.StringIO):
    """A StringIO that counts flushes and may claim to be a terminal."""

    def __init__(self, tty: bool = False) -> None:
        super().__init__()
        self.flushes = 0
        self.tty = tty

    def flush(self) -> None:
        self.flushes += 1
        super().flush()

    def isatty(self) -> bool:
        return self.tty


def render(name: str, devices: tuple[Device, ...] = DEVICES, stream: Any = None) -> str:
    out = stream if stream is not None else io.StringIO()
    fmt = make_formatter(name)
    fmt.begin(out)
    for device in devices:
        fmt.device(device)
    fmt.end(INFO)
    return out.getvalue() if isinstance(out, io.StringIO) else ""


def validator(ref: str | None = None) -> jsonschema.Draft202012Validator:
    schema = load_schema()
    if ref is not None:
        schema = {**schema, "$ref": f"#/$defs/{ref}"}
        del schema["required"], schema["properties"], schema["type"]
    return jsonschema.Draft202012Validator(schema)


# -- the contract ----------------------------------------------------------------------------


def test_schema_is_valid_draft_2020_12() -> None:
    """The shipped schema file is itself a valid draft 2020-12 schema."""
    jsonschema.Draft202012Validator.check_schema(load_schema())


@pytest.mark.parametrize("name", FORMATS)
def test_every_format_renders_every_device(name: str) -> None:
    """Each format writes something naming each device's address."""
    text = render(name)
    for device in DEVICES:
        assert device.ip in text


def test_json_document_validates_and_sorts_numerically() -> None:
    """json output validates, devices come in numeric IP order, the summary counts right."""
    doc = json.loads(render("json"))
    validator().validate(doc)
    assert doc["schema"] == "camscan/1"
    assert [d["ip"] for d in doc["devices"]] == ["198.18.0.9", "198.18.0.10", "198.18.0.100"]
    assert doc["summary"] == {
        "devices": 3,
        "cameras": 2,
        "by_manufacturer": {"Dahua": 1, "Hikvision": 1},
        "by_brand": {"Hikvision": 1, "Lorex": 1},
        "covered": {},
        "possibly_covered": {},
        "risks": {},
        "possible_risks": {},
    }
    assert doc["scan"]["targets"] == ["198.18.0.0/24"]
    assert doc["scan"]["options"] == {"timeout": 1.0, "probes": ["http", "rtsp"]}


def test_device_object_carries_the_evidence() -> None:
    """The device object holds verdict, evidence, observations and probe outcomes as given."""
    obj = device_to_dict(hikvision())
    assert obj["verdict"]["evidence"][0] == {
        "field": "http.server",
        "value": "App-webs/",
        "port": 80,
        "probe": "http",
        "fingerprint": "http.server/hikvision-app-webs",
        "description": "Hikvision IPC web server (firmware 5.x)",
        "weight": 0.9,
        "asserts": {"manufacturer": "Hikvision", "is_camera": True},
    }
    assert obj["probes"] == {"http": "ok", "arp": "skipped: needs root"}
    assert obj["observations"] == [
        {"probe": "http", "port": 80, "field": "http.server", "value": "App-webs/"}
    ]
    assert obj["mac"] == "08:54:11:00:00:01" and obj["open_ports"] == [80, 554]


def test_document_matches_json_formatter() -> None:
    """document() is exactly what the json formatter writes."""
    assert json.loads(render("json")) == document(INFO, list(DEVICES))


def test_jsonl_lines_validate_and_keep_arrival_order() -> None:
    """Every jsonl line is a $defs/device object; lines come in the order devices arrived."""
    lines = render("jsonl").splitlines()
    check = validator("device")
    for line in lines:
        check.validate(json.loads(line))
    assert [json.loads(line)["ip"] for line in lines] == [d.ip for d in DEVICES]


def test_ip_order_is_numeric_v4_then_v6() -> None:
    """Sorting is by address value, IPv4 before IPv6, non-addresses last."""
    ips = ["fe80::2", "10.0.0.10", "not-an-ip", "10.0.0.9", "::1", "9.255.255.255"]
    assert sorted(ips, key=ip_sort_key) == [
        "9.255.255.255",
        "10.0.0.9",
        "10.0.0.10",
        "::1",
        "fe80::2",
        "not-an-ip",
    ]


def test_schema_rejects_wrong_types() -> None:
    """The schema is strict on types: a string confidence or a bad device_type fails."""
    obj = device_to_dict(lorex())
    check = validator("device")
    check.validate(obj)
    for key, bad in (("confidence", "0.85"), ("device_type", "doorbell"), ("is_camera", "yes")):
        broken = json.loads(json.dumps(obj))
        broken["verdict"][key] = bad
        assert not check.is_valid(broken), key
    assert not check.is_valid({**obj, "mac": "00-1F-54-A9-2E-58"})
    assert check.is_valid({**obj, "extra_key_from_a_later_version": 1})


def test_confidence_out_of_range_is_clamped() -> None:
    """A classifier bug (NaN, 1.2) still yields a document the schema accepts."""
    doc = document(
        INFO,
        [with_verdict(lorex(), confidence=float("nan")), with_verdict(hikvision(), confidence=1.2)],
    )
    validator().validate(json.loads(json.dumps(doc, allow_nan=False)))
    assert [d["verdict"]["confidence"] for d in doc["devices"]] == [0.0, 1.0]


# -- streaming -------------------------------------------------------------------------------


def test_jsonl_writes_each_device_at_once() -> None:
    """device() writes and flushes its line before the scan ends."""
    out = Tracking()
    fmt = make_formatter("jsonl")
    fmt.begin(out)
    fmt.device(lorex())
    assert out.getvalue().count("\n") == 1 and out.flushes == 1
    fmt.device(hikvision())
    assert out.getvalue().count("\n") == 2 and out.flushes == 2
    fmt.end(INFO)
    assert out.getvalue().count("\n") == 2


def test_device_before_begin_is_an_error() -> None:
    """A caller that forgets begin() hears so at once."""
    with pytest.raises(RuntimeError, match="begin"):
        make_formatter("jsonl").device(lorex())


def test_unknown_format_is_a_value_error() -> None:
    """make_formatter names the formats it knows when given another."""
    with pytest.raises(ValueError, match="table, json, jsonl, csv"):
        make_formatter("xml")


@pytest.mark.parametrize("name", FORMATS)
def test_empty_scan(name: str) -> None:
    """No devices: every format still writes a valid, empty result."""
    text = render(name, ())
    if name == "json":
        doc = json.loads(text)
        validator().validate(doc)
        assert doc["devices"] == [] and doc["summary"]["devices"] == 0
    elif name == "jsonl":
        assert text == ""
    elif name == "csv":
        assert text.splitlines() == [
            "ip,mac,manufacturer,brand,model,firmware,device_type,is_camera,confidence,reason,"
            "found_by,open_ports,risks,kev,possible_risks,max_severity"
        ]
    else:
        assert "0 devices, 0 cameras" in text


# -- hostile text ----------------------------------------------------------------------------


def test_clean_strips_escapes_and_controls() -> None:
    """CSI, OSC, 8-bit CSI, C0/C1 controls and bidi overrides go; whitespace folds."""
    assert clean(HOSTILE) == "evil"
    assert clean("a\x9b31mb\x9d2;x\x9cc") == "abc"
    assert clean("x\x1bPdcs-body\x1b\\y\x1bcz") == "xyz"
    assert clean("line1\r\nline2\tend\x00\x07\x7f") == "line1 line2 end"
    assert clean("adm\u202eni\u2066n") == "admnin"
    assert clean("bad\udcffbyte") == "bad\ufffdbyte"
    assert clean("\x1b]0;never terminated") == "0;never terminated"


def test_clean_caps_with_ellipsis() -> None:
    """A long value is cut to the cap, ending in an ellipsis."""
    assert clean("x" * 100, 60) == "x" * 59 + "…"
    assert clean("x" * 60, 60) == "x" * 60


def test_table_shows_hostile_server_header_as_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Server header carrying escape sequences shows as 'evil' in the table, codes gone."""
    monkeypatch.setenv("COLUMNS", "250")
    device = with_verdict(
        hikvision(server=HOSTILE),
        reason=f"server {HOSTILE}",
        model="[bold]DS-2CD2042WD-I[/bold] :smile:",
    )
    for tty in (False, True):
        out = Tracking(tty=tty)
        render("table", (device,), out)
        text = out.getvalue()
        assert "server evil" in text and "title" not in text and "\x07" not in text
        assert "[bold]DS-2CD2042WD-I[/bold] :smile:" in text  # no markup, no emoji codes
        assert "\x1b]" not in text and "\x1b[31m" not in text


def test_table_plain_on_non_tty(monkeypatch: pytest.MonkeyPatch) -> None:
    """Written to a non-TTY (even with FORCE_COLOR set) the table has no escape codes."""
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    text = render("table")
    assert "\x1b" not in text
    lines = text.splitlines()
    assert lines[0].split() == [
        "IP",
        "MAC",
        "Manufacturer",
        "Brand",
        "Model",
        "Type",
        "Conf.",
        "Flag",
        "Risk",
        "Reason",
    ]
    assert lines[-1] == "3 devices, 2 cameras; by maker: Dahua 1, Hikvision 1"
    rows = [line for line in lines if line.startswith("198.")]
    assert [row.split()[0] for row in rows] == ["198.18.0.9", "198.18.0.10", "198.18.0.100"]


def test_table_colours_a_tty(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal the table is coloured (so the non-TTY test above can fail)."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    out = Tracking(tty=True)
    render("table", DEVICES, out)
    assert "\x1b[" in out.getvalue()


def test_table_fits_a_narrow_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """On an 80-column terminal no line is wider than 80; MAC gives way, the reason wraps."""
    monkeypatch.setenv("COLUMNS", "80")
    out = Tracking(tty=True)
    render("table", DEVICES, out)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue())
    assert max(len(line) for line in plain.splitlines()) <= 80
    assert "MAC" not in plain and "08:54:11" not in plain
    assert "(OUI)" in plain and "App-webs/" in plain


def test_table_cell_capped() -> None:
    """A 300-character reason shows as one cell of at most 60 characters with an ellipsis."""
    device = with_verdict(lorex(), reason="Dahua " + "z" * 300)
    text = render("table", (device,))
    assert "Dahua " + "z" * 53 + "…" in text and "z" * 54 not in text


def test_csv_strips_controls_and_neutralises_formulas() -> None:
    """CSV cells lose escape codes, and cells starting = + - @ get a leading quote."""
    device = with_verdict(
        lorex(),
        reason=f"server {HOSTILE}",
        model='=HYPERLINK("http://x","y")',
        firmware="+1+2",
        brand="@SUM(A1)",
        manufacturer="-2+3",
    )
    rows = list(csv.DictReader(io.StringIO(render("csv", (device, hikvision())))))
    assert rows[0]["reason"] == "server evil"
    assert rows[0]["model"] == '\'=HYPERLINK("http://x","y")'
    assert (rows[0]["firmware"], rows[0]["brand"], rows[0]["manufacturer"]) == (
        "'+1+2",
        "'@SUM(A1)",
        "'-2+3",
    )
    assert rows[1]["model"] == "DS-2CD2042WD-I"
    assert "\x1b" not in render("csv", (device,))


def test_csv_row_values() -> None:
    """CSV rows: IP order, ';'-joined lists, lower-case booleans, empty for unknown."""
    rows = list(csv.DictReader(io.StringIO(render("csv"))))
    assert [r["ip"] for r in rows] == ["198.18.0.9", "198.18.0.10", "198.18.0.100"]
    assert rows[0]["found_by"] == "rtsp;http" and rows[0]["open_ports"] == "80;554"
    assert rows[0]["is_camera"] == "true" and rows[0]["confidence"] == "0.85"
    assert rows[2]["manufacturer"] == "" and rows[2]["is_camera"] == ""


def test_json_keeps_hostile_values_exact() -> None:
    """JSON keeps a device's bytes exactly; line separators cannot split a jsonl line."""
    value = HOSTILE + "\u2028\x85\udcff\u00e9"
    device = hikvision(server=value)
    text = render("jsonl", (device,))
    assert len(text.splitlines()) == 1
    assert json.loads(text)["observations"][0]["value"] == value
    assert json.loads(render("json", (device,)))["devices"][0]["observations"][0]["value"] == value


@pytest.mark.parametrize("name", FORMATS)
def test_narrow_encoding_never_crashes(name: str) -> None:
    """An ASCII-only stream gets every format without a traceback; JSON stays exact."""
    value = "caméra \udcff 摄像机"
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii", newline="")
    render(name, (hikvision(server=value), with_verdict(lorex(), reason=value)), stream)
    stream.flush()
    text = raw.getvalue().decode("ascii")
    if name == "json":
        assert json.loads(text)["devices"][1]["observations"][0]["value"] == value


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_banner_renders_safely(value: str) -> None:
    """Whatever text a device sends, every format renders and table/CSV carry no controls."""
    device = with_verdict(hikvision(server=value), reason=value, model=value)
    for name in FORMATS:
        text = render(name, (device,))
        if name in ("table", "csv"):
            body = text.replace("\n", "").replace("\r", "")
            assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in body)
        else:
            assert json.loads(text.splitlines()[0] if name == "jsonl" else text)
