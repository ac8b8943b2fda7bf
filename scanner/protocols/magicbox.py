"""Dahua magicBox ``/cgi-bin/magicBox.cgi``: asked after a login (scanner.engine.credentialed
runs its ``credentialed`` hook).

Its key=value answer is parsed by scanner.parse.kv; the field is declared here so the
registry and the fingerprints know it.
"""

from __future__ import annotations

from scanner.errors import DecodeError
from scanner.parse.kv import parse_kv_lines
from scanner.protocols import host as kit  # the probe kit every host probe uses
from scanner.protocols.field import FieldSpec
from scanner.protocols.login import LoginFailed, Session, ok_text
from scanner.protocols.spec import ProtocolSpec

PATH = "/cgi-bin/magicBox.cgi?action="
MORE = ("getSoftwareVersion", "getVendor")
KEYS = ("deviceType", "serialNumber", "updateSerial", "processor", "hardwareVersion")


async def credentialed(session: Session, rec: kit.Recorder) -> str | None:
    first = f"{PATH}getSystemInfo"
    text = ok_text(await session.fetch("GET", first))
    try:
        keys = parse_kv_lines(text).table() if text is not None else {}
    except DecodeError:
        keys = {}
    if text is None or not any(key in keys for key in KEYS):
        return None
    parts = [f"{first}\n{text.strip()}"]
    for action in MORE:  # with the credential just accepted
        try:
            more = ok_text(await session.fetch("GET", f"{PATH}{action}"))
        except LoginFailed:
            break  # odd, but never insist
        if more is not None and "=" in more:
            parts.append(f"{PATH}{action}\n{more.strip()}")
    rec.add("dahua.magicbox", "\n\n".join(parts))
    return "magicBox"



#: The observation fields this protocol emits (gathered by scanner.protocols.registry).
FIELDS = (
    FieldSpec(
        "dahua.magicbox", table=lambda value: parse_kv_lines(value).table(),
        firmware_keys=("version",),
    ),
)


PROTOCOL = ProtocolSpec("magicbox", "host", FIELDS, credentialed=credentialed)
