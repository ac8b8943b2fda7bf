"""The discovery plan never makes a broadcast of a target, nor multicast it cannot pin.

The machine's interfaces are replaced by a made-up set (nothing is sent here): lan0 holds
198.18.0.2/24, noip0 has no IPv4 address. The wire-level proof is tests/lan/test_leaks.py.
"""

from __future__ import annotations

import ipaddress

import pytest

import scanner.interfaces
from scanner.engine import plan as planning
from scanner.interfaces import Interface
from scanner.scope import parse_targets

KNOWN = {
    "lan0": Interface(
        "lan0",
        (ipaddress.IPv4Network("198.18.0.0/24"),),
        (ipaddress.IPv4Address("198.18.0.2"),),
    ),
    "noip0": Interface("noip0", (), ()),
}


@pytest.fixture(autouse=True)
def made_up_interfaces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(planning, "interfaces", lambda: KNOWN)
    monkeypatch.setattr(scanner.interfaces, "interfaces", lambda: KNOWN)


@pytest.mark.parametrize("multicast", [True, False])
def test_attached_network_and_broadcast_addresses_are_never_directed(multicast: bool) -> None:
    """198.18.0.0/23 holds lan0's network (.0) and broadcast (.255) addresses as hosts: they
    get no directed datagram (one would be a link broadcast); 198.18.1.0 does."""
    chosen = planning.plan(parse_targets(["198.18.0.0/23"]), None, multicast=multicast,
                           unicast_all=True, timeout=1.0)
    directed = chosen.context.unicast_targets
    assert "198.18.0.255" not in directed and "198.18.0.0" not in directed
    assert {"198.18.0.254", "198.18.1.0", "198.18.1.254"} <= set(directed)
    assert chosen.directed == 510 - 1  # the /23's 510 hosts but 198.18.0.255
    assert chosen.context.broadcast == "198.18.0.255"
    assert chosen.context.multicast is multicast


def test_an_interface_without_ipv4_gets_no_multicast() -> None:
    """-i noip0: multicast (and so broadcast, SADP's group join, the ARP sweep) is off, and
    the plan says why."""
    chosen = planning.plan(parse_targets(["198.18.0.9"]), "noip0", multicast=True,
                           unicast_all=False, timeout=1.0)
    assert chosen.context.multicast is False and chosen.context.local_ip is None
    assert chosen.describe()["multicast_off"] == (
        "interface 'noip0' has no IPv4 address, so no multicast or broadcast"
    )
    quiet = planning.plan(parse_targets(["198.18.0.9"]), "noip0", multicast=False,
                          unicast_all=False, timeout=1.0)
    assert "multicast_off" not in quiet.describe()
