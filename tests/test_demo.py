"""The simulated LAN scanned end to end: every persona gets the maker its label says."""

from __future__ import annotations

import asyncio
import json
from io import StringIO

import jsonschema
import pytest

from scanner.model import Device
from scanner.output import load_schema, make_formatter
from scanner.recognize import Recognizer
from scanner.scan import ScanRequest, run_scan
from scanner.scope import parse_targets
from scanner.sim.lab import Lab
from scanner.unicast import UnicastOptions


async def _scan_lab() -> tuple[Lab, list[Device], str]:
    recognizer = Recognizer.load()
    devices: list[Device] = []
    formatter = make_formatter("json")
    out = StringIO()
    formatter.begin(out)

    def keep(device: Device) -> None:
        devices.append(device)
        formatter.device(device)

    async with Lab(low_ports=False) as lab:
        scope = parse_targets(list(lab.addresses))
        unicast = UnicastOptions(ports=tuple(lab.services), timeout=1.0, services=lab.services)
        info = await run_scan(ScanRequest(scope, lab.addresses, unicast), recognizer, keep)
    formatter.end(info)
    return lab, devices, out.getvalue()


@pytest.fixture(scope="module")
def scanned() -> tuple[Lab, dict[str, Device], str]:
    lab, devices, text = asyncio.run(_scan_lab())
    return lab, {d.ip: d for d in devices}, text


def test_every_identifiable_persona_gets_its_maker(
    scanned: tuple[Lab, dict[str, Device], str],
) -> None:
    """Each persona whose real answers name its maker is found and named right, OEMs included."""
    lab, devices, _ = scanned
    wrong = []
    for persona in lab.personas:
        device = devices.get(persona.address)
        assert device is not None, f"{persona.name} was not found"
        if persona.identifiable_unicast:
            got = (device.verdict.manufacturer, device.verdict.brand)
            want = persona.label.manufacturer
            if got[0] != want:
                wrong.append(f"{persona.name}: {got} != {want}")
    assert not wrong, wrong


def test_oem_labels_are_reported_as_brands(scanned: tuple[Lab, dict[str, Device], str]) -> None:
    """Amcrest and Lorex units are made by Dahua and reported as sold under their own label."""
    lab, devices, _ = scanned
    for name in ("amcrest-ipc", "lorex-nvr"):
        persona = lab.persona(name)
        verdict = devices[persona.address].verdict
        assert (verdict.manufacturer, verdict.brand) == ("Dahua", persona.label.brand)


def test_unidentifiable_personas_are_never_misnamed(
    scanned: tuple[Lab, dict[str, Device], str],
) -> None:
    """A persona whose unicast answers name nobody is left unknown, never given a wrong maker."""
    lab, devices, _ = scanned
    for persona in lab.personas:
        if not persona.identifiable_unicast:
            made = devices[persona.address].verdict.manufacturer
            assert made in (None, persona.label.manufacturer), persona.name


def test_every_verdict_has_a_reason(scanned: tuple[Lab, dict[str, Device], str]) -> None:
    """Every verdict carries a one-line reason a human can check."""
    _, devices, _ = scanned
    for device in devices.values():
        assert device.verdict.reason and "\n" not in device.verdict.reason


def test_demo_json_validates_against_the_schema(
    scanned: tuple[Lab, dict[str, Device], str],
) -> None:
    """The JSON document of a real scan validates against the camscan/1 JSON Schema."""
    _, devices, text = scanned
    document = json.loads(text)
    jsonschema.validate(document, load_schema())
    assert document["schema"] == "camscan/1"
    assert len(document["devices"]) == len(devices)
