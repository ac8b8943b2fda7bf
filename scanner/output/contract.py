"""The ``camscan/1`` JSON contract: the document and device objects other tools rely on.

The shape is described by ``scanner/schema/camscan-1.schema.json`` (a test validates every
format's output against it). Extend it only compatibly: add keys, never rename, retype or drop
one. Values are kept exactly as devices sent them; JSON escaping makes them safe.
"""

from __future__ import annotations

import ipaddress
import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from importlib import resources
from typing import Any

from scanner.model import Compliance, Device, Evidence, Observation, Risk, ScanInfo, Verdict
from scanner.output.sanitize import json_line_safe

SCHEMA = "camscan/1"
SCHEMA_FILE = "camscan-1.schema.json"
RISK_KEYS = (
    "id", "kind", "status", "severity", "kev", "kev_added", "cvss", "basis", "summary", "source"
)
"""A ``risks`` item: the Risk attributes of these names, in this order."""
SCAN_KEYS = (
    "started", "finished", "targets", "ports", "command", "camscan_version", "fingerprints",
    "options",
)
"""The ``scan`` object: the ScanInfo attributes of these names, in this order."""


def ip_sort_key(ip: str) -> tuple[int, int, str]:
    """Numeric order (198.18.0.9 before 198.18.0.10), IPv4 before IPv6, anything that is not
    an address last, by its text."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return (99, 0, ip)
    return (address.version, int(address), ip)


def sorted_devices(devices: Iterable[Device]) -> list[Device]:
    return sorted(devices, key=lambda device: ip_sort_key(device.ip))


def unit(value: float) -> float:
    """A weight or confidence as the schema promises it: finite, in 0..1, 4 decimals."""
    if not math.isfinite(value):
        return 0.0
    return round(min(max(value, 0.0), 1.0), 4)


def _attributes(item: object, names: Iterable[str]) -> dict[str, Any]:
    """The contract keys that are `item`'s attributes of the same name, in the order given."""
    return {name: getattr(item, name) for name in names}


def _observation(obs: Observation) -> dict[str, Any]:
    return {"probe": obs.probe, "port": obs.port, "field": obs.field, "value": obs.value}


def _evidence(ev: Evidence) -> dict[str, Any]:
    obs = ev.observation
    return {
        "field": obs.field,
        "value": obs.value,
        "port": obs.port,
        "probe": obs.probe,
        "fingerprint": ev.fingerprint,
        "description": ev.description,
        "weight": unit(ev.weight),
        "asserts": dict(ev.asserts),
    }


def _verdict(verdict: Verdict) -> dict[str, Any]:
    identity = ("manufacturer", "brand", "model", "firmware", "serial", "device_type", "is_camera")
    return {
        **_attributes(verdict, identity),
        "confidence": unit(verdict.confidence),
        "reason": verdict.reason,
        "oui_vendor": verdict.oui_vendor,
        "conflicts": list(verdict.conflicts),
        "evidence": [_evidence(ev) for ev in verdict.evidence],
    }


def _compliance(compliance: Compliance | None) -> dict[str, Any]:
    compliance = compliance or Compliance.unknown()
    return {
        "status": compliance.status,
        "basis": compliance.basis,
        "lists": [
            {"id": f.list_id, "name": f.name, "status": f.status, "entity": f.entity,
             "source": f.source}
            for f in compliance.flags
        ],
    }


def risk_to_dict(risk: Risk) -> dict[str, Any]:
    """One finding of the device's ``risks`` list (issue 13)."""
    return _attributes(risk, RISK_KEYS)


def device_to_dict(device: Device) -> dict[str, Any]:
    """The device object of the contract (one line of ``jsonl``, one item of ``devices``)."""
    return {
        "ip": device.ip,
        "mac": device.mac,
        "verdict": _verdict(device.verdict),
        "compliance": _compliance(device.compliance),
        "observations": [_observation(obs) for obs in device.observations],
        "probes": {status.probe: status.label() for status in device.probes},
        "found_by": list(device.found_by),
        "open_ports": list(device.open_ports),
        "risks": [risk_to_dict(risk) for risk in device.risks],
    }


def scan_to_dict(info: ScanInfo) -> dict[str, Any]:
    """The ``scan`` object: the ScanInfo attributes of SCAN_KEYS as plain JSON values."""
    return {name: _plain(value) for name, value in _attributes(info, SCAN_KEYS).items()}


def _plain(value: object) -> object:
    """A value JSON can hold (a scan attribute, an option's value): containers made
    lists/dicts, a non-finite float its text (``--timeout nan`` must not make the document
    invalid JSON), anything else left to :func:`dumps` (which writes unknown types as their
    ``str``)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item) for item in value]
    return value


def count_names(names: Iterable[str | None]) -> dict[str, int]:
    """Occurrences of each known name, most common first (ties by name); None is not counted."""
    counts = Counter(name for name in names if name is not None)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def summarize(devices: Sequence[Device]) -> dict[str, Any]:
    """Counts for the ``summary`` object. A camera is a device whose verdict says
    ``is_camera: true`` (NVRs and DVRs count when the classifier says so)."""
    return {
        "devices": len(devices),
        "cameras": sum(1 for device in devices if device.verdict.is_camera is True),
        "by_manufacturer": count_names(device.verdict.manufacturer for device in devices),
        "by_brand": count_names(device.verdict.brand for device in devices),
        "covered": count_names(
            flag.list_id
            for device in devices
            for flag in (device.compliance.flags if device.compliance else ())
            if flag.status == "covered"
        ),
        "possibly_covered": count_names(
            flag.list_id
            for device in devices
            for flag in (device.compliance.flags if device.compliance else ())
            if flag.status == "possible"
        ),
        "risks": count_names(
            risk.id for device in devices for risk in device.risks if risk.status == "affected"
        ),
        "possible_risks": count_names(
            risk.id for device in devices for risk in device.risks if risk.status == "possible"
        ),
    }


def document(info: ScanInfo, devices: Sequence[Device]) -> dict[str, Any]:
    """The whole ``camscan/1`` document, devices in numeric IP order."""
    ordered = sorted_devices(devices)
    return {
        "schema": SCHEMA,
        "scan": scan_to_dict(info),
        "summary": summarize(ordered),
        "devices": [device_to_dict(device) for device in ordered],
    }


def dumps(obj: Any, *, ascii_only: bool = False, indent: int | None = None) -> str:
    """JSON text that never crashes on what a device sent and decodes to exactly it.

    ``ensure_ascii=False`` keeps names readable; the characters that would break a line or an
    encoder are escaped anyway (:func:`json_line_safe`). Values of ``ScanInfo.options`` that
    JSON cannot hold are written as their ``str``.
    """
    separators = (",", ": ") if indent is not None else (",", ":")
    text = json.dumps(
        obj,
        ensure_ascii=ascii_only,
        indent=indent,
        separators=separators,
        default=str,
        allow_nan=False,
    )
    return text if ascii_only else json_line_safe(text)


def load_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the document; ``$defs/device`` is a jsonl line."""
    text = (resources.files("scanner") / "schema" / SCHEMA_FILE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
