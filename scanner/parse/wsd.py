"""WS-Discovery ProbeMatch / Hello envelopes from UDP 3702 (ONVIF discovery).

Wire format (WS-Discovery 2005/04 and OASIS 2009/01; docs/protocols.md §WS-Discovery; captures
in tests/fixtures/captures, sources in its SOURCES.md):
a SOAP envelope whose body holds ``ProbeMatches/ProbeMatch`` (answer to a Probe) or ``Hello``
(announcement), each with ``EndpointReference/Address``, ``Types``, ``Scopes``, ``XAddrs``
and ``MetadataVersion``. Prefixes vary (``d:``, ``wsdd:``, default namespace) and published
captures are often cut out of the envelope with their prefixes undeclared, so elements are
matched by local name only (see xmlsafe).

Scopes (ONVIF Core spec §7.3.2.2, the profile of WS-Discovery cameras follow; captures in
tests/fixtures/captures/*.scopes.txt, SOURCES.md): space-separated URIs, percent-encoded,
mostly ``onvif://www.onvif.org/<category>/<value>``. The standard categories become keys
(name, hardware, location, MAC, type, Profile); every other scope (vendor trees such as
``onvif://www.onvif.org/avigilon/...``, ``dvtel://...``) is kept under ``other`` so
fingerprints can still see it. The same text is the ``onvif.scopes`` field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from scanner.errors import DecodeError
from scanner.limits import SCOPES_MAX
from scanner.parse.kv import add_value, decode_text
from scanner.parse.xmlsafe import Element, parse_xml

ONVIF_PREFIX = "onvif://www.onvif.org/"
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")
# category as written (any case) -> table key
_CATEGORIES = {
    "name": "name",
    "hardware": "hardware",
    "location": "location",
    "mac": "mac",
    "type": "type",
    "profile": "profile",
}


@dataclass(frozen=True, slots=True)
class Scopes:
    """One device's scope list, percent-decoded, sorted by category."""

    all: tuple[str, ...]
    """Every scope URI, decoded, in the order sent (at most SCOPES_MAX)."""
    name: tuple[str, ...] = ()
    hardware: tuple[str, ...] = ()
    location: tuple[str, ...] = ()
    """The path after location/ ('country/china', 'city/hangzhou')."""
    mac: tuple[str, ...] = ()
    type: tuple[str, ...] = ()
    profile: tuple[str, ...] = ()
    other: tuple[str, ...] = ()
    """Whole URIs outside the categories above (vendor scopes, other schemes)."""

    def table(self) -> dict[str, str]:
        """The flat table `onvif.scopes` fingerprints match on (empty categories omitted)."""
        table = {
            key: " ".join(values)
            for key in (*_CATEGORIES.values(), "other")
            if (values := getattr(self, key))
        }
        table["all"] = " ".join(self.all)
        return table


def parse_scopes(data: bytes | str) -> Scopes:
    """Parse a space-separated scope list; DecodeError if it holds no URI at all.

    Tokens that are not URIs (a stray backslash, 'xaddrs:') are ignored.
    """
    tokens = [t for t in decode_text(data).split() if _URI.fullmatch(t)][:SCOPES_MAX]
    if not tokens:
        raise DecodeError("no scope URIs")
    decoded = tuple(unquote(t, errors="replace") for t in tokens)
    buckets: dict[str, list[str]] = {key: [] for key in (*_CATEGORIES.values(), "other")}
    for scope in decoded:
        key, value = _categorise(scope)
        if value and value not in buckets[key]:
            buckets[key].append(value)
    return Scopes(all=decoded, **{key: tuple(values) for key, values in buckets.items()})


def _categorise(scope: str) -> tuple[str, str]:
    """'onvif://www.onvif.org/name/Dahua' -> ('name', 'Dahua'); unknown -> ('other', scope)."""
    if scope[: len(ONVIF_PREFIX)].lower() == ONVIF_PREFIX:
        category, _, value = scope[len(ONVIF_PREFIX) :].partition("/")
        key = _CATEGORIES.get(category.lower())
        if key is not None:
            return key, value.strip()
    return "other", scope



MATCHES_MAX = 16
"""Most ProbeMatch/Hello elements read from one envelope."""
_KINDS = ("ProbeMatch", "Hello", "ResolveMatch")


@dataclass(frozen=True, slots=True)
class ProbeMatch:
    """One ProbeMatch (or Hello) of one endpoint."""

    kind: str
    """'ProbeMatch', 'Hello' or 'ResolveMatch'."""
    address: str
    """EndpointReference/Address, e.g. 'urn:uuid:aa85c000-...-5850ed1fe385'."""
    types: tuple[str, ...]
    scopes_text: str
    """The Scopes text as sent (percent-encoding kept), whitespace folded to single spaces."""
    scopes: Scopes | None
    """The scopes parsed, None if the element was empty or held no URI."""
    xaddrs: tuple[str, ...]
    metadata_version: str

    def table(self) -> dict[str, str]:
        """This match's keys: Address, Types, XAddrs, Scopes, MetadataVersion, scope.*."""
        table = {
            "Address": self.address,
            "Types": " ".join(self.types),
            "XAddrs": " ".join(self.xaddrs),
            "Scopes": self.scopes_text,
            "MetadataVersion": self.metadata_version,
        }
        table = {key: value for key, value in table.items() if value}
        if self.scopes is not None:
            table.update({f"scope.{k}": v for k, v in self.scopes.table().items()})
        return table


def parse_probematch(data: bytes | str) -> list[ProbeMatch]:
    """Every ProbeMatch/Hello in an envelope, in document order; DecodeError if none."""
    document = parse_xml(data)
    found = [e for e in document.root.iter() if e.tag in _KINDS][:MATCHES_MAX]
    if not found:
        raise DecodeError("no ProbeMatch or Hello element")
    return [_match(element) for element in found]


def probematch_table(data: bytes | str) -> dict[str, str]:
    """The flat table `wsd.probematch` fingerprints match on.

    An envelope normally holds one match; with several, each key keeps every distinct value
    (space-joined), since all of them describe the device that sent the envelope.
    """
    table: dict[str, str] = {}
    for match in parse_probematch(data):
        for key, value in match.table().items():
            add_value(table, key, value)
    return table


def _match(element: Element) -> ProbeMatch:
    reference = element.find("EndpointReference")
    address = (reference.child_text("Address") if reference else None) or ""
    scopes_text = " ".join((element.child_text("Scopes") or "").split())
    try:
        scopes = parse_scopes(scopes_text) if scopes_text else None
    except DecodeError:
        scopes = None
    return ProbeMatch(
        kind=element.tag,
        address=address,
        types=tuple(_words(element.child_text("Types"))),
        scopes_text=scopes_text,
        scopes=scopes,
        xaddrs=tuple(_words(element.child_text("XAddrs"))),
        metadata_version=(element.child_text("MetadataVersion") or ""),
    )


def _words(text: str | None) -> list[str]:
    return (text or "").split()[:SCOPES_MAX]
