"""Guards for the passive tests: building a test frame must never ask the network.

scapy fills an Ethernet frame's unset destination by ARP-resolving the next hop, which would
send an ARP request out of the machine's real interface. Every frame the tests build names
its MACs; this makes any frame that does not fail loudly instead of reaching the network.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


def _refuse(*args: object, **kwargs: object) -> None:
    raise RuntimeError("a test frame without a destination MAC: scapy would ARP for it")


@pytest.fixture(autouse=True)
def no_mac_resolution(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import scapy.layers.inet
    import scapy.layers.inet6
    import scapy.layers.l2

    monkeypatch.setattr(scapy.layers.l2, "getmacbyip", _refuse)
    monkeypatch.setattr(scapy.layers.inet, "getmacbyip", _refuse)
    monkeypatch.setattr(scapy.layers.inet6, "getmacbyip6", _refuse)
    yield
