"""Link-layer sockets: the ARP sweep's frames and the passive sniffer.

The ARP sweep is sent by scapy on the interface named (an Ethernet broadcast: callers send
it only when multicast and broadcast are allowed). The sniffer is a promiscuous AF_PACKET
socket that only receives: it joins no group, so not even an IGMP report leaves the machine,
and frames the machine itself sends are not read (PACKET_IGNORE_OUTGOING).
"""

from __future__ import annotations

import contextlib
import socket
import struct

from scanner.net.udp import raise_receive_buffer

ETH_P_ALL = 0x0003
SOL_PACKET, PACKET_ADD_MEMBERSHIP, PACKET_MR_PROMISC, PACKET_IGNORE_OUTGOING = 263, 1, 1, 23
PACKET_OUTGOING = 4


def arp_sweep(interface: str, targets: list[str], timeout: float) -> list[tuple[str, str]]:
    """Blocking scapy ARP sweep (run it in a thread): [(ip, mac)] of the answers."""
    from scapy.layers.l2 import ARP, Ether  # imported late: scapy is slow to load
    from scapy.sendrecv import srp

    answered, _ = srp(
        Ether(dst="ff:ff:ff:ff:ff:ff") / ARP(pdst=targets),
        iface=interface,
        timeout=timeout,
        verbose=False,
        inter=0.0005,
    )
    return [(str(r.psrc), str(r.hwsrc)) for _, r in answered]


def _kernel_filter(sock: socket.socket, interface: str, expression: str) -> bool:
    """Attach the BPF filter if libpcap can compile it; False (Python filters) otherwise."""
    try:
        from scapy.arch.linux import attach_filter
        from scapy.error import Scapy_Exception

        try:
            attach_filter(sock, expression, interface)
        except (Scapy_Exception, ImportError, OSError, ValueError, AttributeError):
            return False
    except ImportError:
        return False
    return True


def open_sniffer(interface: str, expression: str) -> tuple[socket.socket, bool]:
    """A promiscuous, receive-only packet socket on `interface` (PermissionError without
    privilege); and whether the kernel filter `expression` (BPF syntax) is attached."""
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)  # hears nothing until bound
    try:
        raise_receive_buffer(sock)
        filtered = _kernel_filter(sock, interface, expression)
        sock.bind((interface, ETH_P_ALL))
        membership = struct.pack("iHH8s", socket.if_nametoindex(interface), PACKET_MR_PROMISC,
                                 0, b"")
        sock.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP, membership)
        with contextlib.suppress(OSError):  # Linux < 4.20: outgoing frames are skipped later
            sock.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock, filtered
