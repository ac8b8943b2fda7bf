"""What the scan already saw that a risk finding rests on: the firmware with its build date.

The verdict names the firmware version (``V5.7.15``); the build date that advisories draw
their ranges with often sits beside it in the same answer (ISAPI ``firmwareReleasedDate``,
ONVIF ``V5.1.8 build 140616``, SADP ``V5.6.2build 190701``, magicBox ``build:2020-11-17``).
This module reads those answers' tables, parsed once for the fingerprints too
(``registry.table_of``), and returns the most complete firmware it finds. Nothing here
sends anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from scanner.model import Observation, Verdict
from scanner.protocols.registry import FIRMWARE_KEYS, table_of
from scanner.risk.firmware import Firmware, compare_tokens, parse_firmware


def _candidates(observations: Iterable[Observation]) -> Iterable[tuple[str, str]]:
    """(field, firmware text) from every answer that carries one."""
    for obs in observations:
        keys = FIRMWARE_KEYS.get(obs.field)
        if keys is None:
            continue
        table = table_of(obs.field, obs.value) or {}
        parts = [table[key].strip() for key in keys if table.get(key, "").strip()]
        if parts and keys[0] in table:
            yield obs.field, " ".join(parts)


def firmware_seen(verdict: Verdict, observations: Sequence[Observation]) -> Firmware | None:
    """The device's firmware: the verdict's, completed with a build date from an answer that
    names the same version; else the most complete one any answer gave; None if none did."""
    found = [
        parsed
        for _, text in _candidates(observations)
        if (parsed := parse_firmware(text)) is not None and parsed.tokens
    ]
    claimed = parse_firmware(verdict.firmware) if verdict.firmware else None
    if claimed is not None and claimed.tokens:
        for item in found:
            if item.build is not None and compare_tokens(item.tokens, claimed.tokens) == 0:
                return item
        return claimed
    dated = [item for item in found if item.build is not None]
    best = dated or found
    return best[0] if best else None
