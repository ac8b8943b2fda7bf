"""What camscan may contact: the user's targets, checked once, as merged address intervals.

A target is an IPv4 address (``192.168.1.20``), a CIDR block (``192.168.1.0/24``) or a range
(``192.168.1.10-192.168.1.50`` or ``192.168.1.10-50``). Several may be given in one string,
separated by commas or spaces. Everything the scanner connects to is checked against the
resulting :class:`Scope` (see ``scanner.net``), so a device's answer can never widen it.

Public address space is refused unless the user says they administer it (``--allow-public``),
and targets above ``limits.MAX_ADDRESSES`` need ``--force``. IPv6 is refused for now.
"""

from __future__ import annotations

import bisect
import ipaddress
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from scanner import limits
from scanner.errors import UsageError

_HINT = "try 192.168.1.0/24 or 192.168.1.10-50"

#: IANA IPv4 special-purpose blocks that are not globally reachable (RFC 6890 and its
#: registry, "Globally Reachable = False"): scanning these needs no --allow-public.
#: 0.0.0.0/8 and 224.0.0.0/3 are not here: they are not host addresses at all (_NOT_HOSTS).
LOCAL_BLOCKS: tuple[ipaddress.IPv4Network, ...] = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "10.0.0.0/8",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # TEST-NET-1
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking (the simulated LAN lives here)
        "198.51.100.0/24",  # TEST-NET-2
        "203.0.113.0/24",  # TEST-NET-3
    )
)

#: Shared address space (RFC 6598): not globally reachable, yet not the user's either. It is a
#: carrier's network between its NAT and its subscribers, so its other addresses are other
#: customers' hosts; it needs --allow-public like public space (issue 12, item 10).
_CARRIER = ipaddress.IPv4Network("100.64.0.0/10")

#: "This network", multicast, class E and limited broadcast: nothing to connect to.
_NOT_HOSTS: tuple[ipaddress.IPv4Network, ...] = (
    ipaddress.IPv4Network("0.0.0.0/8"),
    ipaddress.IPv4Network("224.0.0.0/3"),
)

_SPLIT = re.compile(r"[,\s]+")


@dataclass(frozen=True, slots=True)
class Scope:
    """The set of IPv4 addresses the user allowed, as sorted, disjoint, inclusive intervals."""

    targets: tuple[str, ...]
    """The target strings as the user wrote them (for the report)."""
    ranges: tuple[tuple[int, int], ...]
    """Merged ``(first, last)`` address intervals as integers, sorted, non-adjacent."""
    _starts: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_starts", tuple(first for first, _ in self.ranges))

    def contains(self, ip: str) -> bool:
        """True if ``ip`` (dotted IPv4 text) is in scope; anything unparsable is not."""
        try:
            value = int(ipaddress.IPv4Address(ip))
        except ValueError:
            return False
        index = bisect.bisect_right(self._starts, value) - 1
        return index >= 0 and value <= self.ranges[index][1]

    def addresses(self) -> Iterator[str]:
        """Every address in scope, in order, one at a time (a /16 is never a list)."""
        for first, last in self.ranges:
            for value in range(first, last + 1):
                yield f"{value >> 24}.{value >> 16 & 255}.{value >> 8 & 255}.{value & 255}"

    def __len__(self) -> int:
        return sum(last - first + 1 for first, last in self.ranges)

    def __contains__(self, ip: object) -> bool:
        return isinstance(ip, str) and self.contains(ip)


def parse_targets(texts: Iterable[str], allow_public: bool = False, force: bool = False) -> Scope:
    """Build a :class:`Scope` from target strings, or raise a one-line :class:`UsageError`."""
    written: list[str] = []
    intervals: list[tuple[int, int]] = []
    for text in texts:
        tokens = [token for token in _SPLIT.split(text) if token]
        if not tokens:  # an explicit empty target is a mistake, not "no targets"
            shown = "".join(text.split())  # never put a line break in the message
            raise UsageError(f"camscan: '{shown}' is not an IPv4 address, CIDR or range ({_HINT})")
        for token in tokens:
            written.append(token)
            intervals.append(_parse_one(token, allow_public))
    if not intervals:
        raise UsageError(f"camscan: no targets given ({_HINT})")
    scope = Scope(tuple(written), _merge(intervals))
    count = len(scope)
    if count > limits.MAX_ADDRESSES and not force:
        raise UsageError(
            f"camscan: the targets hold {count:,} addresses, more than "
            f"{limits.MAX_ADDRESSES:,}; narrow them or pass --force"
        )
    return scope


def _parse_one(token: str, allow_public: bool) -> tuple[int, int]:
    """One target string -> an inclusive interval, after every check."""
    if ":" in token:
        raise UsageError(f"camscan: '{token}' is IPv6; camscan scans IPv4 only for now ({_HINT})")
    first, last = _interval(token)
    _check_hosts(token, first, last)
    if not allow_public and not _is_local(first, last):
        carrier = first <= int(_CARRIER.broadcast_address) and last >= int(_CARRIER.network_address)
        what = "carrier-grade NAT space (100.64.0.0/10)" if carrier else "public address space"
        raise UsageError(
            f"camscan: '{token}' is {what}; scan it only if you administer it, with "
            "--allow-public"
        )
    return first, last


def _interval(token: str) -> tuple[int, int]:
    """Parse the syntax only: address, CIDR or range."""
    bad = UsageError(f"camscan: '{token}' is not an IPv4 address, CIDR or range ({_HINT})")
    try:
        if "/" in token:
            net = ipaddress.IPv4Network(token, strict=False)
            first, last = int(net.network_address), int(net.broadcast_address)
            if net.prefixlen < 31:  # skip the network and broadcast addresses
                first, last = first + 1, last - 1
            return first, last
        if "-" in token:
            return _range(token)
        value = int(ipaddress.IPv4Address(token))
    except ValueError:
        raise bad from None
    return value, value


def _range(token: str) -> tuple[int, int]:
    """``a.b.c.d-e.f.g.h`` or ``a.b.c.d-N`` (N replaces the last octet)."""
    start_text, _, end_text = token.partition("-")
    start = ipaddress.IPv4Address(start_text)
    if end_text.isdigit() and len(end_text) <= 3:
        octet = int(end_text)
        if octet > 255:
            raise ValueError(end_text)
        end = int(start) & 0xFFFFFF00 | octet
    else:
        end = int(ipaddress.IPv4Address(end_text))
    if end < int(start):
        raise UsageError(
            f"camscan: range '{token}' ends before it starts (write the lower address first)"
        )
    return int(start), end


def _check_hosts(token: str, first: int, last: int) -> None:
    for block in _NOT_HOSTS:
        if first <= int(block.broadcast_address) and last >= int(block.network_address):
            raise UsageError(
                f"camscan: '{token}' includes {block} (this-network, multicast or reserved "
                "addresses, not hosts); give unicast host addresses"
            )


def _is_local(first: int, last: int) -> bool:
    """True if the whole interval lies inside one non-global block (they never touch)."""
    return any(
        int(block.network_address) <= first and last <= int(block.broadcast_address)
        for block in LOCAL_BLOCKS
    )


def _merge(intervals: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Sort and merge overlapping or adjacent intervals, so each address appears once."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted(intervals):
        if merged and first <= merged[-1][1] + 1:
            if last > merged[-1][1]:
                merged[-1] = (merged[-1][0], last)
        else:
            merged.append((first, last))
    return tuple(merged)
