"""UDP sockets: the one place discovery's and listening's datagram sockets are opened.

Multicast is pinned to the interface's address (``IP_MULTICAST_IF``) with the TTL given (1:
the link; 0: this host only, for loopback tests). Without multicast allowed (--no-multicast,
or no interface address to pin it to) a socket neither broadcasts (no SO_BROADCAST: the
kernel then refuses a broadcast destination) nor joins a group (a join sends IGMP reports;
issue 12, item 7). Buffers are raised to 4 MiB: a /24 answering at once overflows the
default (measured on the sandboxed LAN of tests/lan).
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable

RCVBUF = 4 * 1024 * 1024
IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)
_SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)
_SO_SNDBUFFORCE = getattr(socket, "SO_SNDBUFFORCE", 32)


def raise_receive_buffer(sock: socket.socket) -> None:
    """A 4 MiB receive buffer: forced past rmem_max when allowed (root), else what is allowed."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, RCVBUF)
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)


def raise_buffers(sock: socket.socket) -> None:
    """4 MiB buffers both ways: forced past rmem_max/wmem_max when allowed, else allowed.

    The send side matters for directed probes: datagrams to hosts whose ARP is unresolved
    stay charged to the socket for seconds, and a full buffer would drop later targets."""
    for force, plain in ((_SO_RCVBUFFORCE, socket.SO_RCVBUF), (_SO_SNDBUFFORCE, socket.SO_SNDBUF)):
        try:
            sock.setsockopt(socket.SOL_SOCKET, force, RCVBUF)
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, plain, RCVBUF)


def _udp_socket(setup: Callable[[socket.socket], None]) -> socket.socket:
    """A non-blocking UDP socket (SO_REUSEADDR) that ``setup`` configured; closed if it fails."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        setup(sock)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def open_exchange_socket(
    *,
    local_ip: str | None,
    multicast: bool,
    ttl: int,
    broadcast: bool,
    bind_port: int = 0,
    listen_groups: tuple[str, ...] = (),
) -> socket.socket:
    """A non-blocking UDP socket to ask and hear answers on (OSError if the system refuses).

    ``broadcast`` (SO_BROADCAST) and the group joins are made only when ``multicast`` is
    allowed; joins only on ``local_ip`` (0.0.0.0 would let the kernel pick an interface)."""

    def setup(sock: socket.socket) -> None:
        raise_buffers(sock)
        if multicast and broadcast:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        if local_ip:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(local_ip))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
        _bind(sock, local_ip, bind_port, listen_groups)
        if multicast and local_ip:
            for group in listen_groups:
                membership = socket.inet_aton(group) + socket.inet_aton(local_ip)
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)

    return _udp_socket(setup)


def _bind(
    sock: socket.socket, local_ip: str | None, bind_port: int, listen_groups: tuple[str, ...]
) -> None:
    """Bind the fixed port the answers come to, or any port; fall back to any if taken."""
    if bind_port or listen_groups:
        try:
            sock.bind(("0.0.0.0", bind_port))
            return
        except OSError:
            if listen_groups:
                raise
    sock.bind((local_ip or "0.0.0.0", 0))


def open_group_socket(port: int, groups: tuple[str, ...], ifindex: int) -> socket.socket:
    """A UDP socket bound to `port`, joined to `groups` on interface `ifindex` (ip_mreqn),
    that only receives (``camscan listen`` without privilege)."""

    def setup(sock: socket.socket) -> None:
        sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
        raise_receive_buffer(sock)
        sock.bind(("0.0.0.0", port))
        for group in groups:
            membership = socket.inet_aton(group) + bytes(4) + struct.pack("i", ifindex)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)

    return _udp_socket(setup)
