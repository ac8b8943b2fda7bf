"""Dahua magicBox ``/cgi-bin/magicBox.cgi``: asked after a login (scanner.engine.credentialed).

Its key=value answer is parsed by scanner.parse.kv; the field is declared here so the
registry and the fingerprints know it.
"""

from __future__ import annotations

from scanner.parse.kv import parse_kv_lines
from scanner.protocols.field import FieldSpec

#: The observation fields this protocol emits (gathered by scanner.protocols.registry).
FIELDS = (
    FieldSpec(
        "dahua.magicbox", table=lambda value: parse_kv_lines(value).table(),
        firmware_keys=("version",),
    ),
)
