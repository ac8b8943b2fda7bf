"""SNMP system description and object id: camscan never asks SNMP, but ``camscan identify``
reads them from observations another tool made (fingerprints/snmp.*.toml match them), so the
fields are part of the vocabulary."""

from __future__ import annotations

from scanner.protocols.field import FieldSpec
from scanner.protocols.spec import ProtocolSpec

#: The observation fields this protocol names (gathered by scanner.protocols.registry).
FIELDS = (FieldSpec("snmp.sysdescr"), FieldSpec("snmp.sysobjectid"))


#: Read only from an observations file (``camscan identify``): camscan sends no SNMP.
PROTOCOL = ProtocolSpec("snmp", "heard", FIELDS)
