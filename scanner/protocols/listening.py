"""What a discovery protocol declares for passive listening, and the memory its hook keeps.

Each discovery module of this package defines ``LISTENING``: its port, the groups its
announcements and answers go to, and ``hear``, the hook that reads one datagram heard on that
port (sent unasked, or to someone else's query) with the same code its probe uses for its own
answers. scanner.protocols.registry gathers them; scanner.passive iterates the registry and
names no protocol itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scanner.protocols.udp import Datagram

if TYPE_CHECKING:
    from scanner.passive.heard import Heard

NOTIFY_PER_HOST = 32
"""Distinct NOTIFY messages kept per host (a device sends one per device and service type)."""


class AnyMessage(set[str]):
    """Stands for every WS-Discovery MessageID: heard passively, each ProbeMatch counts,
    whoever sent the Probe it answers."""

    def __contains__(self, item: object) -> bool:
        return True


@dataclass
class Memory:
    """What the hooks remember between datagrams (bounds and repeats)."""

    locations: dict[str, list[str]] = field(default_factory=dict)
    answers: dict[str, int] = field(default_factory=dict)
    notifies: dict[str, set[int]] = field(default_factory=dict)
    """host -> hashes of the NOTIFY texts kept."""
    read: dict[tuple[str, str], int] = field(default_factory=dict)
    """(protocol, host) -> messages read."""
    xaddrs: dict[str, list[str]] = field(default_factory=dict)
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = field(default_factory=set)


def remember(table: dict[str, list[str]], host: str, urls: list[str]) -> None:
    """Keep `urls` a host announced (at most NOTIFY_PER_HOST, each once)."""
    kept = table.setdefault(host, [])
    kept.extend(u for u in urls if u and u not in kept and len(kept) < NOTIFY_PER_HOST)


Hear = Callable[["Heard", Memory, Datagram], bool]
"""Read one datagram into what was heard; False when it holds no identity (a query)."""
Announced = Callable[[Memory, str], list[tuple[str, int, str] | None]]
"""The (host, port, path) endpoints a host's remembered announcements name."""


@dataclass(frozen=True)
class Listening:
    """One discovery protocol as passive listening sees it."""

    name: str
    port: int
    groups: tuple[str, ...]
    hear: Hear
    announced: Announced | None = None
    """Endpoints its announcements name (SSDP LOCATION, WS-Discovery XAddrs), to follow."""
    ignored: str = "queries"
    """What its ignored messages were (none of them is a device speaking of itself)."""
