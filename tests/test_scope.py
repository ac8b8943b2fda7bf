"""scanner.scope: target parsing, refusals and their messages, membership, iteration."""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanner import limits
from scanner.errors import UsageError
from scanner.scope import LOCAL_BLOCKS, parse_targets

GOOD = [
    ("198.18.0.7", 1, "198.18.0.7", "198.18.0.7"),
    ("198.18.0.0/24", 254, "198.18.0.1", "198.18.0.254"),
    ("198.18.0.5/24", 254, "198.18.0.1", "198.18.0.254"),  # host bits set: the /24
    ("198.18.0.0/31", 2, "198.18.0.0", "198.18.0.1"),
    ("198.18.0.9/32", 1, "198.18.0.9", "198.18.0.9"),
    ("198.18.0.10-198.18.0.50", 41, "198.18.0.10", "198.18.0.50"),
    ("198.18.0.10-50", 41, "198.18.0.10", "198.18.0.50"),
    ("192.168.1.255-192.168.2.1", 3, "192.168.1.255", "192.168.2.1"),
    (" 10.1.2.3 ", 1, "10.1.2.3", "10.1.2.3"),
    ("127.77.0.0/16", 65_534, "127.77.0.1", "127.77.255.254"),
]


@pytest.mark.parametrize(("text", "count", "first", "last"), GOOD)
def test_good_targets(text: str, count: int, first: str, last: str) -> None:
    """Each accepted syntax gives the right size and first/last address."""
    scope = parse_targets([text])
    addresses = list(scope.addresses())
    assert len(scope) == count == len(addresses)
    assert (addresses[0], addresses[-1]) == (first, last)


def test_network_and_broadcast_skipped() -> None:
    """A /24 excludes .0 and .255; a /16 excludes only its own network and broadcast."""
    scope = parse_targets(["198.18.0.0/24"])
    assert not scope.contains("198.18.0.0")
    assert not scope.contains("198.18.0.255")
    wide = parse_targets(["10.9.0.0/16"])
    assert wide.contains("10.9.1.0") and wide.contains("10.9.0.255")
    assert not wide.contains("10.9.0.0") and not wide.contains("10.9.255.255")


def test_merge_and_separators() -> None:
    """Commas, spaces and overlaps: every address once, in order."""
    scope = parse_targets(["10.0.0.5,10.0.0.7 10.0.0.6", "10.0.0.4-6"])
    assert list(scope.addresses()) == [f"10.0.0.{n}" for n in range(4, 8)]
    start, end = int(ipaddress.IPv4Address("10.0.0.4")), int(ipaddress.IPv4Address("10.0.0.7"))
    assert scope.ranges == ((start, end),)
    assert scope.targets == ("10.0.0.5", "10.0.0.7", "10.0.0.6", "10.0.0.4-6")


BAD = [
    (
        "10.0.0.300",
        "camscan: '10.0.0.300' is not an IPv4 address, CIDR or range "
        "(try 192.168.1.0/24 or 192.168.1.10-50)",
    ),
    ("10.0.0.0/33", "is not an IPv4 address, CIDR or range"),
    ("camera.local", "is not an IPv4 address, CIDR or range"),
    ("10.0.0.1-256", "is not an IPv4 address, CIDR or range"),
    ("10.0.0.1-", "is not an IPv4 address, CIDR or range"),
    ("010.0.0.1", "is not an IPv4 address, CIDR or range"),
    ("10.0.0.50-10", "ends before it starts (write the lower address first)"),
    ("fe80::1", "is IPv6; camscan scans IPv4 only for now"),
    ("2001:db8::/64", "is IPv6"),
    (
        "8.8.8.8",
        "camscan: '8.8.8.8' is public address space; scan it only if you administer it, "
        "with --allow-public",
    ),
    ("8.8.8.0/24", "is public address space"),
    ("10.255.255.250-11.0.0.5", "is public address space"),  # starts private, ends public
    (  # RFC 6598 shared space: other subscribers of the carrier (issue 12, item 10)
        "100.64.0.0/24",
        "camscan: '100.64.0.0/24' is carrier-grade NAT space (100.64.0.0/10); scan it only if "
        "you administer it, with --allow-public",
    ),
    ("100.127.255.254", "is carrier-grade NAT space"),
    ("224.0.0.251", "multicast or reserved"),
    ("0.0.0.0", "multicast or reserved"),
    ("255.255.255.255", "multicast or reserved"),
    ("10.0.0.0/8", "more than 65,536; narrow them or pass --force"),
    ("", "camscan: '' is not an IPv4 address, CIDR or range"),
    (",\n,", "camscan: ',,' is not an IPv4 address, CIDR or range"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_targets(text: str, message: str) -> None:
    """Each refusal is one line starting 'camscan:' that names the problem and the fix."""
    with pytest.raises(UsageError) as caught:
        parse_targets([text])
    text_of = str(caught.value)
    assert message in text_of
    assert text_of.startswith("camscan: ") and "\n" not in text_of


def test_no_targets() -> None:
    """An empty target list names the problem and an example."""
    with pytest.raises(UsageError, match=r"^camscan: no targets given"):
        parse_targets([])


def test_overrides() -> None:
    """--allow-public admits public space; --force admits more than MAX_ADDRESSES."""
    assert len(parse_targets(["8.8.8.8"], allow_public=True)) == 1
    assert len(parse_targets(["100.64.7.0/30"], allow_public=True)) == 2
    big = parse_targets(["10.0.0.0/8"], force=True)
    assert len(big) == 2**24 - 2 > limits.MAX_ADDRESSES
    with pytest.raises(UsageError, match="multicast"):
        parse_targets(["224.0.0.1"], allow_public=True, force=True)


def test_addresses_is_lazy() -> None:
    """A /8 yields its first addresses at once: nothing is materialised up front."""
    addresses = parse_targets(["10.0.0.0/8"], force=True).addresses()
    assert isinstance(addresses, Iterator)
    assert list(itertools.islice(addresses, 3)) == ["10.0.0.1", "10.0.0.2", "10.0.0.3"]


def test_contains_is_total() -> None:
    """Membership of junk, IPv6 or a neighbour address is simply False."""
    scope = parse_targets(["198.18.0.10-20", "198.18.0.30"])
    assert scope.contains("198.18.0.15") and "198.18.0.30" in scope
    for other in ("198.18.0.9", "198.18.0.21", "198.18.0.29", "198.18.0.31", "", "::1", "x"):
        assert not scope.contains(other)
    assert 7 not in scope


def test_local_blocks_agree_with_ipaddress() -> None:
    """Our non-public table matches ipaddress.is_global at every block's edges."""
    for block in LOCAL_BLOCKS:
        if block == ipaddress.IPv4Network("192.0.0.0/24"):
            continue  # Python versions disagree inside it (IANA: not globally reachable)
        assert not block.network_address.is_global
        assert not block.broadcast_address.is_global
        for outside in (block.network_address - 1, block.broadcast_address + 1):
            if not any(outside in other for other in LOCAL_BLOCKS):
                assert outside.is_global or outside.is_multicast, outside


@given(st.text(max_size=40))
def test_parse_is_total(text: str) -> None:
    """Any string gives a Scope or a one-line UsageError, nothing else."""
    try:
        scope = parse_targets([text], allow_public=True, force=True)
    except UsageError as exc:
        assert "\n" not in str(exc)
    else:
        assert len(scope) >= 1
