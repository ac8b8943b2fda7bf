"""How fast camscan may send: one global rate and a cap per host, shared by every probe.

A scan sends TCP connects (the port sweep, the service probes, discovery follow-ups such as
ONVIF calls) and directed discovery datagrams. All of them wait on one :class:`Pacer`, so
``--rate`` bounds the whole scan, not each probe, and ``--per-host-rate`` bounds what any
one device sees, however many probes talk to it at once. The scan's pacer lives in its
:class:`scanner.net.Network`, which is passed to everything that sends.
"""

from __future__ import annotations

import asyncio

_FORGET_AFTER = 4096
"""Per-host entries kept before stale ones are swept out (memory stays flat on a /16)."""


class RateLimiter:
    """Spaces attempts ``1/rate`` seconds apart; ``rate=None`` means no limit.

    A slot schedule rather than a token bucket: each caller reserves the next free instant
    and sleeps until it, so bursts never exceed the rate and waiting is fair in arrival order.
    """

    def __init__(self, rate: float | None = None) -> None:
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive or None")
        self.rate = rate
        self._gap = 1.0 / rate if rate else 0.0
        self._next = 0.0

    async def wait(self) -> None:
        """Return when the caller may make its next attempt."""
        if self.rate is None:
            return
        now = asyncio.get_running_loop().time()
        slot = self.next_free(now)
        if slot > now:
            await asyncio.sleep(slot - now)

    def next_free(self, now: float) -> float:
        """Reserve the next free instant (``rate`` must be set) and return it."""
        slot = now if now > self._next else self._next
        self._next = slot + self._gap
        return slot

    @property
    def free_from(self) -> float:
        """The first instant not yet reserved."""
        return self._next


class Pacer:
    """A global rate plus a per-host one; ``None`` for either means unlimited.

    ``wait(host)`` first waits until ``host`` may be sent to again, then takes the next
    global instant; if another task sent to the same host meanwhile it goes round again, so
    the per-host spacing holds even when many probes of one host run at once.
    """

    def __init__(self, rate: float | None = None, per_host: float | None = None) -> None:
        if per_host is not None and per_host <= 0:
            raise ValueError("per-host rate must be positive or None")
        self.overall = RateLimiter(rate)
        self.per_host = per_host
        self.limited = rate is not None or per_host is not None
        """False when both are None: callers may skip :meth:`wait` altogether."""
        self._host_next: dict[str, float] = {}

    @property
    def rate(self) -> float | None:
        return self.overall.rate

    @property
    def unlimited(self) -> bool:
        return not self.limited

    def try_send(self, host: str, now: float) -> bool:
        """Take the instant ``now`` for a packet to ``host`` if both limits allow it."""
        if self.per_host is not None and self._host_next.get(host, 0.0) > now:
            return False
        if self.overall.rate is not None:
            if self.overall.free_from > now:
                return False
            self.overall.next_free(now)
        if self.per_host is not None:
            self._host_next[host] = now + 1.0 / self.per_host
            if len(self._host_next) >= _FORGET_AFTER:
                self._forget(now)
        return True

    async def wait(self, host: str) -> None:
        """Return when one more packet may be sent to ``host``."""
        if self.per_host is None:
            await self.overall.wait()
            return
        loop = asyncio.get_running_loop()
        overall, host_next = self.overall, self._host_next
        while True:
            now = loop.time()
            ready = host_next.get(host, 0.0)
            if ready > now:
                await asyncio.sleep(ready - now)
                continue
            if overall.rate is not None:  # RateLimiter.wait, inlined: this runs per packet
                slot = overall.next_free(now)
                if slot > now:
                    await asyncio.sleep(slot - now)
                    now = loop.time()
                    if now < host_next.get(host, 0.0):
                        continue  # another probe of this host went first meanwhile
            host_next[host] = now + 1.0 / self.per_host
            if len(host_next) >= _FORGET_AFTER:
                self._forget(now)
            return

    def _forget(self, now: float) -> None:
        """Drop hosts whose spacing has already passed (they need no memory)."""
        for host in [h for h, t in self._host_next.items() if t <= now]:
            del self._host_next[host]
