"""The shape of a ``camscan/1`` document, checked without a JSON Schema library.

jsonschema is a test dependency only, so the audit commands check what they read here: enough
that diff, merge and report never trip over a wrong file, and that a merge of valid documents
is itself valid (``scanner/schema/camscan-1.schema.json`` stays the reference; a test validates
the merge output against it).

A check takes a value and returns None when it fits, else where and what is wrong, ready to
follow a path: ``".verdict.confidence must be a number from 0 to 1"``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from scanner.model import DEVICE_TYPES

Check = Callable[[object], str | None]

MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
TIMESTAMP = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}")
OUTCOME = re.compile(r"^(ok|refused|timeout|no-answer|error|skipped)(: .*)?$", re.DOTALL)
COMPLIANCE_STATUSES = ("covered", "possible", "not-covered", "unknown")


def _is(test: Callable[[object], bool], what: str) -> Check:
    return lambda value: None if test(value) else f" must be {what}"


def _port(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 65535


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _unit(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 <= value <= 1
    )


def _matches(pattern: re.Pattern[str]) -> Callable[[object], bool]:
    return lambda value: isinstance(value, str) and pattern.match(value) is not None


def fields(spec: Mapping[str, Check], optional: Collection[str] = ()) -> Check:
    """An object holding every key of ``spec`` (but the optional ones), each fitting."""

    def check(value: object) -> str | None:
        if not isinstance(value, dict):
            return " must be an object"
        for key, inner in spec.items():
            if key not in value:
                if key in optional:
                    continue
                return f".{key} is missing"
            problem = inner(value[key])
            if problem is not None:
                return f".{key}{problem}"
        return None

    return check


def _every(
    container: type, what: str, entries: Callable[[Any], Iterable[tuple[Any, object]]],
    step: Callable[[Any], str], inner: Check,
) -> Check:
    """A ``container`` (else it ``must be <what>``) whose every entry fits ``inner``: `entries`
    gives (position, entry) pairs, `step` the path step a position reads as (``[3]``)."""

    def check(value: object) -> str | None:
        if not isinstance(value, container):
            return f" must be {what}"
        for position, item in entries(value):
            problem = inner(item)
            if problem is not None:
                return f"{step(position)}{problem}"
        return None

    return check


def items(inner: Check) -> Check:
    """A list whose every item fits ``inner``."""
    return _every(list, "a list", enumerate, lambda index: f"[{index}]", inner)


def values(inner: Check) -> Check:
    """An object whose every value fits ``inner``."""
    return _every(dict, "an object", dict.items, lambda key: f"[{str(key)[:40]!r}]", inner)


TEXT = _is(lambda v: isinstance(v, str), "a string")
NAME = _is(lambda v: isinstance(v, str) and v != "", "a non-empty string")
OPTIONAL_TEXT = _is(lambda v: v is None or isinstance(v, str), "a string or null")
PORT = _is(_port, "a port number")
OPTIONAL_PORT = _is(lambda v: v is None or _port(v), "a port number or null")
UNIT = _is(_unit, "a number from 0 to 1")
COUNT = _is(_count, "a whole number")
TIME = _is(_matches(TIMESTAMP), "an ISO 8601 time")

SCAN = fields(
    {
        "started": TIME,
        "finished": TIME,
        "targets": items(TEXT),
        "ports": items(PORT),
        "command": TEXT,
        "camscan_version": TEXT,
        "fingerprints": COUNT,
        "options": values(lambda _: None),
    },
    optional=("ports", "command", "camscan_version", "fingerprints", "options"),
)

OBSERVATION = fields({"probe": TEXT, "port": OPTIONAL_PORT, "field": TEXT, "value": TEXT})

EVIDENCE = fields(
    {
        "field": TEXT,
        "value": TEXT,
        "port": OPTIONAL_PORT,
        "probe": TEXT,
        "fingerprint": NAME,
        "description": TEXT,
        "weight": UNIT,
        "asserts": values(_is(lambda v: isinstance(v, str | bool), "a string or a boolean")),
    }
)

VERDICT = fields(
    {
        **dict.fromkeys(("manufacturer", "brand", "model", "firmware", "serial"), OPTIONAL_TEXT),
        "device_type": _is(
            lambda v: v is None or v in DEVICE_TYPES,
            "one of " + ", ".join(DEVICE_TYPES) + " or null",
        ),
        "is_camera": _is(lambda v: v is None or isinstance(v, bool), "true, false or null"),
        "confidence": UNIT,
        "reason": TEXT,
        "oui_vendor": OPTIONAL_TEXT,
        "conflicts": items(TEXT),
        "evidence": items(EVIDENCE),
    }
)

LIST_FLAG = fields(
    {
        "id": TEXT,
        "name": TEXT,
        "status": _is(lambda v: v in ("covered", "possible"), "covered or possible"),
        "entity": TEXT,
        "source": TEXT,
    }
)

COMPLIANCE = fields(
    {
        "status": _is(lambda v: v in COMPLIANCE_STATUSES, ", ".join(COMPLIANCE_STATUSES)),
        "basis": TEXT,
        "lists": items(LIST_FLAG),
    }
)

RISK = fields(
    {
        "id": NAME,
        "kind": _is(lambda v: v in ("vulnerability", "exposure"), "vulnerability or exposure"),
        "status": _is(lambda v: v in ("affected", "possible"), "affected or possible"),
        "severity": _is(
            lambda v: v in ("critical", "high", "medium", "low"), "critical, high, medium or low"
        ),
        "kev": _is(lambda v: isinstance(v, bool), "true or false"),
        "basis": TEXT,
        "source": TEXT,
    }
)
"""One risk finding (issue 13); the other keys (kev_added, cvss, summary) are informative."""

SIGHTING = fields({"scan": TEXT, "ip": NAME, "started": TIME})

DEVICE = fields(
    {
        "ip": NAME,
        "mac": _is(
            lambda v: v is None or _matches(MAC)(v), "null or aa:bb:cc:dd:ee:ff in lower case"
        ),
        "verdict": VERDICT,
        "observations": items(OBSERVATION),
        "probes": values(_is(_matches(OUTCOME), "an outcome (ok, refused, ..., skipped: why)")),
        "found_by": items(TEXT),
        "open_ports": items(PORT),
        "compliance": COMPLIANCE,
        "seen_in": items(SIGHTING),
        "risks": items(RISK),
    },
    # compliance is required since compliance flags came in; older documents have none.
    optional=("compliance", "seen_in", "risks"),
)
"""A device object; ``compliance`` and ``risks`` may be missing (older documents), ``seen_in``
is merge's."""
