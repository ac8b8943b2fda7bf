"""Shared helpers of the risk tests: the shipped data, and devices judged from real answers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from functools import cache
from pathlib import Path

from scanner.identify import read_observations
from scanner.model import Device, Observation, Risk, Verdict
from scanner.recognize import Recognizer
from scanner.risk import RiskSettings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "risk"
TODAY = dt.date(2026, 12, 2)
"""A fixed 'today' so old-firmware findings do not drift with the calendar."""


@cache
def recognizer() -> Recognizer:
    loaded = Recognizer.load()
    return dataclasses.replace(loaded, risk=dataclasses.replace(loaded.risk, today=TODAY))


@cache
def corpus_devices() -> dict[str, Device]:
    """Each sample of corpus-firmware.jsonl judged as `camscan identify` judges it, by id."""
    path = FIXTURES / "corpus-firmware.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    sample_of = {json.loads(line)["host"]: json.loads(line)["sample"] for line in lines}
    with path.open(encoding="utf-8") as stream:
        data = read_observations(stream, str(path), lambda _: None)
    judge = recognizer()
    return {
        sample_of[host]: judge.device(host, observations, found_by=("identify",))
        for host, observations in data.by_host.items()
    }


def risk(device: Device, ident: str) -> Risk | None:
    return next((r for r in device.risks if r.id == ident), None)


def judged(
    model: str, firmware: str | None, manufacturer: str = "Hikvision", brand: str | None = None,
    observations: tuple[Observation, ...] = (),
) -> Device:
    """A device whose verdict names ``model`` and ``firmware`` (the risk input only)."""
    verdict = Verdict(
        manufacturer, brand, model, firmware, "camera", True, 0.99, (), "test verdict"
    )
    from scanner.risk import assess_risks

    risks = assess_risks("198.18.9.9", verdict, observations, (), (), recognizer().risk)
    return Device("198.18.9.9", None, observations, (), verdict, risks=risks)


def settings() -> RiskSettings:
    return recognizer().risk
