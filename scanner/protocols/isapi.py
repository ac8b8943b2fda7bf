"""Hikvision ISAPI ``/ISAPI/System/deviceInfo``: asked after a login (scanner.engine.credentialed).

Its answer is parsed by scanner.parse.isapi; the field is declared here so the registry and
the fingerprints know it.
"""

from __future__ import annotations

from scanner.parse.isapi import parse_isapi_device_info
from scanner.protocols.field import FieldSpec

#: The observation fields this protocol emits (gathered by scanner.protocols.registry).
FIELDS = (
    FieldSpec(
        "isapi.device_info", table=lambda value: parse_isapi_device_info(value).table(),
        firmware_keys=("firmwareVersion", "firmwareReleasedDate"),
    ),
)
