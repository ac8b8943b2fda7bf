"""The simulated LAN scanned end to end: every persona gets the maker its label says."""

from __future__ import annotations

import asyncio
import json
from io import StringIO

import jsonschema
import pytest

from scanner.cli.demo import place, scan_demo
from scanner.model import Device, ScanInfo
from scanner.output import load_schema, make_formatter
from scanner.recognize import Recognizer
from scanner.sim.lab import Lab
from scanner.sim.responders import load_discovery_personas


class _Keep:
    """A formatter that keeps devices and renders the JSON document too."""

    def __init__(self) -> None:
        self.devices: list[Device] = []
        self.json = make_formatter("json")
        self.out = StringIO()
        self.json.begin(self.out)

    def begin(self, stream: object) -> None:
        """Nothing: the JSON formatter writes to its own buffer."""

    def device(self, device: Device) -> None:
        self.devices.append(device)
        self.json.device(device)

    def end(self, info: ScanInfo) -> None:
        self.json.end(info)


@pytest.fixture(scope="module")
def scanned() -> tuple[Lab, dict[str, Device], str]:
    """The demo exactly as `camscan demo` runs it (unicast personas + directed discovery)."""
    keep = _Keep()
    asyncio.run(scan_demo(Recognizer.load(), keep, 1.0, lambda _: None))
    return Lab(), {d.ip: d for d in keep.devices}, keep.out.getvalue()


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


def test_every_discovery_persona_gets_its_maker(
    scanned: tuple[Lab, dict[str, Device], str],
) -> None:
    """Each discovery persona (SADP, DHIP, WS-Discovery, SSDP, mDNS, Ubiquiti, Xiongmai) is
    found by directed discovery on loopback and named as its label says."""
    lab, devices, _ = scanned
    vocabulary = Recognizer.load().database.vocabulary
    wrong = []
    for persona, address in place(lab, load_discovery_personas()):
        label = persona.label.get("manufacturer")
        want = label and (vocabulary.canonical(label) or label)
        got = devices[address].verdict.manufacturer if address in devices else "not found"
        if want and got != want:
            wrong.append(f"{persona.name}@{address}: {got} != {want}")
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
