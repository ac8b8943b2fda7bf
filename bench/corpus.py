"""Map a labelled corpus (corpus/*.jsonl, or the JSONL files given) to camscan observations.

Each sample is one real answer a device sent, labelled with its true maker. Many were
published re-rendered (a Python dict, JSON converted from XML, a curl dump): this module
turns each rendering back into the field value camscan's probes would record, keeping every
value as published. A sample whose protocol camscan has no field for yet is reported as
unmapped, never dropped silently.

    python bench/corpus.py [SAMPLES.jsonl] > observations.jsonl
"""

from __future__ import annotations

import ast
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parents[1]
#: The labelled corpus: the team's shared research corpus where it is laid beside the checkout
#: (developers' machines and CI; each row names its public source), and the project's own
#: corpus/*.jsonl. Other files in the same format are judged when named on the command line.
SHARED_SAMPLES = REPO.parent / "shared" / "corpus" / "samples.jsonl"
DEFAULT_SAMPLES = (
    *((SHARED_SAMPLES,) if SHARED_SAMPLES.exists() else ()),
    *sorted(REPO.glob("corpus/*.jsonl")),
)


@dataclass(frozen=True)
class Sample:
    id: str
    protocol: str
    detail: str
    raw: str
    manufacturer: str | None
    brand: str | None
    model: str | None
    is_camera: bool | None
    source: str = ""
    field: str | None = None
    """The camscan field `raw` is a value of, for rows recorded that way (corpus/*.jsonl)."""
    device_type: str | None = None


Converter = Callable[[Sample], list[tuple[str, str]]]


def _headers(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in text.replace("\\r\\n", "\n").splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip() and " " not in name.strip():
            found.setdefault(name.strip().lower(), value.strip())
    return found


def _single(field: str) -> Converter:
    return lambda s: [(field, s.raw.strip())]


def _www_authenticate(sample: Sample) -> list[tuple[str, str]]:
    return [("http.www_authenticate", re.sub(r"^WWW-Authenticate:\s*", "", sample.raw.strip()))]


def _rtsp(sample: Sample) -> list[tuple[str, str]]:
    if "response" not in sample.detail and "authenticate" not in sample.detail:
        return [("rtsp.server", sample.raw.strip())]
    realm = re.search(r'realm="([^"]*)"', sample.raw)
    if "Authorization:" in sample.raw and realm:  # realm echoed by the client
        return [("rtsp.www_authenticate", f'Digest realm="{realm.group(1)}"')]
    head, _, body = sample.raw.partition("\n\n")
    headers = _headers(head)
    pairs = [("rtsp.server", headers["server"])] if "server" in headers else []
    if "www-authenticate" in headers:
        pairs.append(("rtsp.www_authenticate", headers["www-authenticate"]))
    if body.strip().startswith("v=0"):
        pairs.append(("rtsp.sdp", body.strip()))
    return pairs


def _tls(sample: Sample) -> list[tuple[str, str]]:
    if "subject:" not in sample.raw:
        return [("tls.subject", sample.raw.strip())]
    pairs = []
    for name in ("subject", "issuer"):
        line = re.search(rf"{name}:\s*(.+)", sample.raw)
        if line:  # curl prints "CN=x; C=CN"; camscan renders "CN=x,C=CN"
            pairs.append((f"tls.{name}", ",".join(p.strip() for p in line.group(1).split(";"))))
    return pairs


def _xml_from_mapping(root: str, mapping: dict[str, object], xmlns: str = "") -> str:
    attrs = f' xmlns="{escape(xmlns)}"' if xmlns else ""
    inner = "".join(
        f"<{k}>{escape(str(v))}</{k}>"
        for k, v in mapping.items()
        if not k.startswith("@") and re.fullmatch(r"[A-Za-z_][\w.-]*", k)
    )
    return f"<{root}{attrs}>{inner}</{root}>"


def _isapi(sample: Sample) -> list[tuple[str, str]]:
    raw = sample.raw.strip()
    if raw.startswith("<"):
        return [("isapi.device_info", raw)]
    if raw.startswith("Model:"):  # a tool's one-line rendering
        fields = dict(re.findall(r"(\w+): ([^,]+)", raw))
        mapping = {
            "model": fields.get("Model"),
            "serialNumber": fields.get("Serial"),
            "firmwareVersion": fields.get("Firmware"),
        }
        return [("isapi.device_info", _xml_from_mapping("DeviceInfo", mapping))]
    text = raw if raw.startswith("{") else "{" + raw.rstrip(",") + "}"
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = ast.literal_eval(text)
    info = data.get("DeviceInfo", data)
    return [
        ("isapi.device_info", _xml_from_mapping("DeviceInfo", info, str(info.get("@xmlns", ""))))
    ]


def _device_information(sample: Sample) -> list[tuple[str, str]]:
    raw = sample.raw.strip()
    if raw.startswith("<"):
        return [("onvif.device_information", raw)]
    names = {
        "manufacturer": "Manufacturer",
        "model": "Model",
        "fw_version": "FirmwareVersion",
        "serial_number": "SerialNumber",
    }
    pairs = re.findall(
        r"'?(\w+)'?[:=]\s*'?([^,'}]+)'?", raw.split(":", 1)[-1] if raw.startswith("True") else raw
    )
    mapping = {names.get(k, k): v.strip() for k, v in pairs if names.get(k, k)[0].isupper()}
    body = _xml_from_mapping("tds:GetDeviceInformationResponse", mapping)
    return [
        (
            "onvif.device_information",
            body.replace(
                "<tds:GetDeviceInformationResponse>",
                '<tds:GetDeviceInformationResponse xmlns:tds="http://www.onvif.org/ver10/device/wsdl">',
            ),
        )
    ]


def _onvif(sample: Sample) -> list[tuple[str, str]]:
    raw = sample.raw.strip()
    if raw.startswith("onvif://"):
        return [("onvif.scopes", " ".join(raw.split()))]
    if "ScopeItem" in raw:
        return [("onvif.scopes", " ".join(re.findall(r"ScopeItem:\s*(\S+)", raw)))]
    return [("wsd.probematch", raw)]


def _dhip(sample: Sample) -> list[tuple[str, str]]:
    raw = sample.raw
    if raw.lstrip().startswith('"timestamp"'):  # Shadowserver CSV of a parsed reply
        import csv
        import io

        row = next(csv.DictReader(io.StringIO(raw)))
        info = {
            "Vendor": row.get("device_vendor"),
            "DeviceClass": row.get("device_type"),
            "DeviceType": row.get("device_model"),
            "Manufacturer": row.get("manufacturer"),
            "SerialNo": row.get("device_serial"),
            "Version": row.get("device_version"),
        }
        doc = {
            "mac": row.get("mac_address"),
            "method": row.get("method"),
            "params": {"deviceInfo": info},
        }
        return [("dhip.reply", json.dumps(doc))]
    text = raw[raw.find("{") :]
    if "=>" in text:  # a Ruby hash rendering
        text = text.replace("=>", ":").replace("nil", "null")
    return [("dhip.reply", text.strip())]


def _mdns(sample: Sample) -> list[tuple[str, str]]:
    raw = sample.raw
    pairs = [
        ("mdns.instance", m) for m in re.findall(r'"([^"]+\._[\w-]+\._tcp\.local\.?)"', raw)[:1]
    ]
    name = re.search(r'name=f?"([^"]+)"', raw)
    if name:
        pairs.append(("mdns.instance", name.group(1)))
    txt = re.findall(r"\b(\w+)=(?!f\")([^\s\";,]+)", raw) if "path=" in raw or "=" in raw else []
    kv = [f"{k}={v}" for k, v in txt if k not in ("host", "port", "hostname", "type", "name")]
    if kv:
        pairs.append(("mdns.txt", " ".join(kv)))
    return pairs


def _ssdp(sample: Sample) -> list[tuple[str, str]]:
    raw = sample.raw.strip()
    if raw.startswith("{"):
        headers = {k: v for k, v in json.loads(raw).items() if not k.startswith("_")}
        return [
            (
                "ssdp.response",
                "HTTP/1.1 200 OK\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()),
            )
        ]
    if raw.startswith('"timestamp"') or raw.startswith('"20'):
        server = re.search(r'"(Linux[^"]*UPnP[^"]*)"', raw)
        return [("ssdp.server", server.group(1))] if server else []
    return [("ssdp.response", raw.replace("\\r\\n", "\r"))]


def _snmp(sample: Sample) -> list[tuple[str, str]]:
    if "|" in sample.raw and sample.raw.startswith("1.3.6.1."):  # snmprec: OID|type|value
        cells = dict(line.split("|", 2)[0::2] for line in sample.raw.splitlines())
        pairs = [("snmp.sysdescr", cells.get("1.3.6.1.2.1.1.1.0", ""))]
        return [*pairs, ("snmp.sysobjectid", cells.get("1.3.6.1.2.1.1.2.0", ""))]
    found = re.search(r"sysDescr\.0 = STRING: (.*)", sample.raw)
    if found:
        oid = re.search(r"sysObjectID\.0 = OID: (\S+)", sample.raw)
        extra = [("snmp.sysobjectid", oid.group(1))] if oid else []
        return [("snmp.sysdescr", found.group(1).strip()), *extra]
    if sample.raw.startswith('"20'):
        cells = next(__import__("csv").reader([sample.raw]))
        return [("snmp.sysdescr", cells[5])]
    return [("snmp.sysdescr", sample.raw.strip())]


def _ubnt(sample: Sample) -> list[tuple[str, str]]:
    from scanner.protocols.ubnt import parse_ubnt

    raw = sample.raw.strip()
    data = ast.literal_eval(raw) if raw.startswith(("b'", 'b"')) else bytes.fromhex(raw)
    return [("ubnt.reply", parse_ubnt(data).text())]


def _dhcp(sample: Sample) -> list[tuple[str, str]]:
    if "hostname" in sample.detail:
        return []  # a templated fixture (f"axis-{MAC}"), not a value a device sent
    return [("dhcp.vendor_class", sample.raw.strip())]


CONVERTERS: dict[str, Converter] = {
    "http-server-header": _single("http.server"),
    "http-html-title": _single("http.title"),
    "http-www-authenticate": _www_authenticate,
    "http-favicon-md5": _single("http.favicon_md5"),
    "http-response-body": _single("http.body"),
    "rtsp": _rtsp,
    "tls-certificate": _tls,
    "ftp-banner": _single("ftp.banner"),
    "telnet-banner": _single("telnet.banner"),
    "snmp": _snmp,
    "dhcp": _dhcp,
    "http-api:hikvision-isapi-deviceInfo": _isapi,
    "http-api:dahua-cgi-magicBox": _single("dahua.magicbox"),
    "onvif-ws-discovery": _onvif,
    "onvif-GetScopes": _onvif,
    "onvif-GetDeviceInformation": _device_information,
    "vendor-discovery:hikvision-sadp": _single("sadp.reply"),
    "vendor-discovery:dahua-dhip": _dhip,
    "mdns": _mdns,
    "ssdp-upnp": _ssdp,
    "vendor-discovery:ubiquiti": _ubnt,
    "vendor-discovery:tplink-tdp": _single("tdp.reply"),
}


def load_samples(*paths: Path) -> list[Sample]:
    samples = []
    lines: list[str] = []
    for path in paths or DEFAULT_SAMPLES:
        if path.exists():
            lines += path.read_text(encoding="utf-8").splitlines()
    for line in lines:
        if line.strip():
            r = json.loads(line)
            r.setdefault("protocol", r.get("field") or "")
            raw = r["raw"] if isinstance(r["raw"], str) else json.dumps(r["raw"])
            samples.append(
                Sample(
                    r["id"],
                    r["protocol"],
                    r.get("protocol_detail") or "",
                    raw,
                    r.get("manufacturer"),
                    r.get("brand"),
                    r.get("model"),
                    r.get("is_camera"),
                    str(r.get("source") or ""),
                    r.get("field"),
                    r.get("device_type"),
                )
            )
    return samples


def observations(sample: Sample) -> list[tuple[str, str]] | None:
    """The (field, value) pairs for a sample; None when camscan has no field for it yet."""
    if sample.field:
        return [(sample.field, sample.raw)] if sample.raw else []
    convert = CONVERTERS.get(sample.protocol)
    if convert is None:
        return None
    try:
        return [(f, v) for f, v in convert(sample) if v]
    except (ValueError, SyntaxError, StopIteration, KeyError):
        return []


def host_of(index: int) -> str:
    """A test-range address (198.18.0.0/15) per sample."""
    return f"198.18.{index // 250}.{index % 250 + 1}"


def main(argv: list[str]) -> int:
    samples = load_samples(*(Path(a) for a in argv[1:]))
    unmapped = 0
    for index, sample in enumerate(samples):
        pairs = observations(sample)
        if pairs is None:
            unmapped += 1
            continue
        for field, value in pairs:
            print(
                json.dumps(
                    {"host": host_of(index), "field": field, "value": value, "sample": sample.id}
                )
            )
    print(f"{len(samples)} samples, {unmapped} with no camscan field yet", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))


def iter_mapped(
    samples: list[Sample],
) -> Iterator[tuple[int, Sample, list[tuple[str, str]] | None]]:
    for index, sample in enumerate(samples):
        yield index, sample, observations(sample)
