"""The listener's two modes on loopback, in a private network namespace that holds only lo.

The "devices" here are this test sending real captured messages from 127.0.1.x; the
listener itself only receives. Needs the right to make a network namespace (root in CI);
skipped otherwise, since the sandbox test covers the same on the namespace LAN.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from scanner.passive.heard import Heard
from scanner.passive.listen import ListenPlan, ListenResult, listen
from scanner.sim.responders import fill
from tests.passive.announcers import ASUS_NOTIFY, dhcp_request
from tests.sandbox import private_namespace

DEVICE = "127.0.1.5"


@pytest.fixture(scope="module", autouse=True)
def private_lo() -> Iterator[None]:
    """This thread in a new network namespace with only lo, for the module."""
    with private_namespace() as moved:
        if not moved:
            pytest.skip("cannot make a network namespace here (needs root)")
        yield


def _notify(source: str) -> None:
    """A real NOTIFY (ASUS, corpus s0222) multicast on lo only (TTL 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1"))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 0)
        sock.bind((source, 0))
        sock.sendto(fill(ASUS_NOTIFY, ip=source).encode(), ("239.255.255.250", 1900))


def _listen_while(plan: ListenPlan, act: object) -> tuple[Heard, ListenResult]:
    """Listen in a thread; run `act` once the sockets are surely open."""
    heard = Heard()
    out: list[ListenResult] = []
    thread = threading.Thread(target=lambda: out.append(listen(plan, heard)))
    thread.start()
    time.sleep(0.3)
    assert callable(act)
    act()
    thread.join()
    return heard, out[0]


def test_group_sockets_hear_a_notify_and_skip_arp_and_dhcp() -> None:
    """Sockets mode: the NOTIFY is heard from its sender; ARP/DHCP say they need root."""
    plan = ListenPlan("lo", "127.0.0.1", 0.8, sniff=False)
    heard, result = _listen_while(plan, lambda: (_notify(DEVICE), _notify("127.0.0.1")))
    assert result.mode == "sockets"
    hosts = {o.host for o in heard.findings_for("ssdp").observations}
    assert hosts == {DEVICE}  # the listening host's own datagram is left out
    assert heard.skipped == {"arp": "needs root", "dhcp": "needs root"}


def test_a_port_taken_by_another_program_is_reported() -> None:
    """A discovery port held without SO_REUSEADDR: that protocol says why, the rest listen."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
        holder.bind(("0.0.0.0", 5353))
        plan = ListenPlan("lo", "127.0.0.1", 0.5, sniff=False)
        heard, _ = _listen_while(plan, lambda: _notify(DEVICE))
    assert heard.problems["mdns"].startswith("cannot listen on UDP 5353: ")
    assert heard.statuses(("mdns",))["mdns"].label().startswith("error: cannot listen")
    assert {o.host for o in heard.findings_for("ssdp").observations} == {DEVICE}


def test_sniffing_hears_dhcp_and_arp() -> None:
    """Sniff mode: a DHCP request and an ARP announcement on lo are read."""
    from scapy.sendrecv import sendp

    from tests.passive.announcers import arp_announcement

    mac = "ac:cc:8e:27:0a:d8"
    frames = [dhcp_request(mac, DEVICE, (("vendor_class_id", "AXIS,Network Camera,P3343,"
                                                            "5.20.3"),)),
              arp_announcement(mac, DEVICE)]
    plan = ListenPlan("lo", "127.0.0.1", 0.8, sniff=True)
    heard, result = _listen_while(plan, lambda: sendp(frames, iface="lo", verbose=False))
    assert result.mode == "sniff"
    fields = {(o.field, o.value) for o in heard.findings_for("dhcp").observations}
    assert ("dhcp.vendor_class", "AXIS,Network Camera,P3343,5.20.3") in fields
    assert heard.ip_of_mac[mac] == DEVICE
