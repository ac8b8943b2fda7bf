"""DHCP requests, heard by ``camscan listen`` as root (scanner.passive.frames): camscan never
sends DHCP. The fields a client's request carries are declared here for the registry."""

from __future__ import annotations

from scanner.protocols.field import FieldSpec

#: The observation fields this protocol emits (gathered by scanner.protocols.registry).
FIELDS = (FieldSpec("dhcp.vendor_class"), FieldSpec("dhcp.hostname"))
