"""Hikvision ISAPI ``/ISAPI/System/deviceInfo``: asked after a login
(scanner.engine.credentialed runs its ``credentialed`` hook).

Its answer is parsed by scanner.parse.isapi; the field is declared here so the registry and
the fingerprints know it.
"""

from __future__ import annotations

from scanner.errors import DecodeError
from scanner.parse.isapi import parse_isapi_device_info
from scanner.protocols import host as kit  # the probe kit every host probe uses
from scanner.protocols.field import FieldSpec
from scanner.protocols.login import Session, ok_text
from scanner.protocols.spec import ProtocolSpec

PATH = "/ISAPI/System/deviceInfo"


async def credentialed(session: Session, rec: kit.Recorder) -> str | None:
    text = ok_text(await session.fetch("GET", PATH))
    if text is None:
        return None
    try:
        parse_isapi_device_info(text)
    except DecodeError:
        return None
    rec.add("isapi.device_info", text)
    return "ISAPI deviceInfo"



#: The observation fields this protocol emits (gathered by scanner.protocols.registry).
FIELDS = (
    FieldSpec(
        "isapi.device_info", table=lambda value: parse_isapi_device_info(value).table(),
        firmware_keys=("firmwareVersion", "firmwareReleasedDate"),
    ),
)


PROTOCOL = ProtocolSpec("isapi", "host", FIELDS, credentialed=credentialed)
