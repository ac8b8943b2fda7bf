"""TCP for the whole scan: connections, connection slots, bounded reads.

Every connection goes through :meth:`Net.connect` or :meth:`Net.port_states`, which check the
scope first (defence in depth: a redirect or an address inside an answer can never make camscan
contact a host outside what the user allowed), take one of a fixed number of connection slots,
and wait for the scan's pacer (``scanner.net.pacer``: the global rate and the per-host cap).
A scan makes one Net, inside its :class:`scanner.net.Network`. Reads
are bounded by bytes *and* by one wall-clock deadline for the whole exchange, so a server that
sends one byte a second is cut at the deadline, not kept alive by every byte (issue 6).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import resource
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType

from scanner import limits
from scanner.errors import ScopeError
from scanner.model import Outcome
from scanner.net.connector import Connector, Job
from scanner.net.pacer import Pacer, RateLimiter
from scanner.scope import Scope

__all__ = [
    "Connection",
    "Net",
    "Pacer",
    "RateLimiter",
    "ReadResult",
    "Slots",
    "deadline_after",
    "fd_budget",
    "read_until_limit",
]

_READ_CHUNK = 16 * limits.KIB
_ALLOWED_MAX = 4096
"""In-scope hosts remembered by Net.check (the scope never changes, so a hit is safe)."""


class Slots:
    """A counting limit on open connections, with a FIFO queue of waiters.

    Not ``asyncio.Semaphore``: in 3.11 its release scans every waiter, and a /16 sweep keeps
    thousands waiting, which made the scan quadratic. A host may hold some slots while it
    waits for more: each one comes back within its connect timeout, so nobody waits forever.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._free = size
        self._waiters: collections.deque[tuple[asyncio.Future[None], int]] = collections.deque()

    def try_acquire(self) -> bool:
        """Take one slot if one is free and nobody is waiting; never waits."""
        if self._free and not self._waiters:
            self._free -= 1
            return True
        return False

    async def acquire(self, count: int = 1) -> None:
        """Take ``count`` slots (at most ``size``), waiting in line for them."""
        if not 0 < count <= self.size:
            raise ValueError(f"cannot take {count} of {self.size} slots")
        if not self._waiters and self._free >= count:
            self._free -= count
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append((waiter, count))
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release(count)  # granted while being cancelled: pass them on
            raise

    def release(self, count: int = 1) -> None:
        self._free += count
        while self._waiters:
            waiter, wanted = self._waiters[0]
            if waiter.done():  # cancelled while waiting
                self._waiters.popleft()
            elif self._free >= wanted:
                self._waiters.popleft()
                self._free -= wanted
                waiter.set_result(None)
            else:
                break

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, *exc_info: object) -> None:
        self.release()


@dataclass(frozen=True, slots=True)
class ReadResult:
    """Bytes read under a bound, and which bound (if any) ended the read."""

    data: bytes
    eof: bool = False
    """The peer closed the connection."""
    truncated: bool = False
    """``max_bytes`` was reached (more may have followed)."""
    timed_out: bool = False
    """The deadline was reached first."""
    reset: bool = False
    """The peer reset the connection (what it sent before is kept)."""


class Connection:
    """One open TCP (or TLS) stream holding one connection slot until it is closed."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        slots: Slots,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self._slot: Slots | None = slots

    async def start_tls(self, context: ssl.SSLContext, deadline: float) -> None:
        """Upgrade to TLS without SNI (devices are addressed by IP), bounded by ``deadline``."""
        timeout = max(deadline - asyncio.get_running_loop().time(), 0.001)
        async with asyncio.timeout_at(deadline):
            # The StreamReader stays the same object; only the transport under it changes.
            await self.writer.start_tls(
                context, server_hostname=None, ssl_handshake_timeout=timeout
            )

    def peer_certificate(self) -> bytes | None:
        """DER of the peer's certificate (available even without verification)."""
        ssl_object = self.writer.get_extra_info("ssl_object")
        if not isinstance(ssl_object, ssl.SSLObject):
            return None
        return ssl_object.getpeercert(binary_form=True)

    async def send(self, data: bytes, deadline: float) -> None:
        self.writer.write(data)
        async with asyncio.timeout_at(deadline):
            await self.writer.drain()

    def close(self) -> None:
        """Close at once (no graceful TLS shutdown to wait on) and free the slot."""
        if self._slot is not None:
            self.writer.transport.abort()
            self._slot.release()
            self._slot = None

    async def __aenter__(self) -> Connection:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Net:
    """Scope-checked, slot-limited, paced TCP connections."""

    def __init__(
        self,
        scope: Scope,
        max_connections: int = limits.DEFAULT_MAX_CONNECTIONS,
        pacer: Pacer | None = None,
    ) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        self.scope = scope
        self.max_connections = max_connections
        self.pacer = pacer or Pacer()
        self._slots = Slots(max_connections)
        self._sweeper: Connector | None = None
        self._allowed: set[str] = set()

    def check(self, host: str) -> None:
        """Raise :class:`ScopeError` unless ``host`` is in scope."""
        if host in self._allowed:
            return
        if not self.scope.contains(host):
            raise ScopeError(f"refusing to contact {host}: it is outside the scan scope")
        if len(self._allowed) >= _ALLOWED_MAX:
            self._allowed.clear()
        self._allowed.add(host)  # a sweep checks each host twice, its probes once each

    async def _slot(self, host: str) -> None:
        """Take a connection slot, then wait for the pacer: the pacer's instant is the send."""
        await self._slots.acquire()
        try:
            await self.pacer.wait(host)
        except BaseException:
            self._slots.release()
            raise

    async def connect(
        self, host: str, port: int, timeout: float = limits.CONNECT_TIMEOUT
    ) -> Connection:
        """Open a stream; raises ScopeError, ConnectionRefusedError, TimeoutError, OSError."""
        self.check(host)
        await self._slot(host)
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    host, port, limit=limits.HTTP_HEAD_MAX
                )
        except BaseException:
            self._slots.release()
            raise
        return Connection(reader, writer, self._slots)

    async def port_state(
        self, host: str, port: int, timeout: float = limits.CONNECT_TIMEOUT
    ) -> Outcome:
        """Connect and close at once: OK (open), REFUSED, TIMEOUT or ERROR."""
        return (await self.port_states(host, (port,), timeout))[0]

    async def port_states(
        self, host: str, ports: Sequence[int], timeout: float = limits.CONNECT_TIMEOUT
    ) -> list[Outcome]:
        """Connect to every port of ``host`` and close each as soon as it answers.

        Each connect takes one slot, waits for the pacer, and gets its own ``timeout`` from
        the moment it is sent, so every slot is back within ``timeout`` of being used and
        hosts sharing the slots cannot stall each other. An unreachable host counts as a
        timeout. The connects run on the :class:`Connector` (no task or stream per port).
        """
        self.check(host)
        loop = asyncio.get_running_loop()
        connector, pacer, slots = self._connector(loop), self.pacer, self._slots
        job = Job(len(ports))
        batch: list[tuple[int, int]] = []  # connects allowed now, sent together
        try:
            for item in enumerate(ports):
                if not slots.try_acquire():
                    connector.start(job, host, batch, timeout)
                    batch = []
                    await slots.acquire()
                if pacer.limited and not pacer.try_send(host, loop.time()):
                    connector.start(job, host, batch, timeout)
                    batch = []
                    try:
                        await pacer.wait(host)
                    except BaseException:
                        slots.release()
                        raise
                batch.append(item)
            connector.start(job, host, batch, timeout)
            await job.wait(loop)
        finally:
            if job.left:
                connector.abandon(job)
        return job.results

    def _connector(self, loop: asyncio.AbstractEventLoop) -> Connector:
        """The connector of the running loop (a Net may outlive one asyncio.run)."""
        if self._sweeper is None or self._sweeper.loop is not loop:
            self._sweeper = Connector(loop, self._slots.release)
        return self._sweeper


def fd_budget(connections: int, reserve: int = limits.FD_RESERVE) -> int:
    """Raise the soft RLIMIT_NOFILE so ``connections`` sockets fit, never past the hard limit.

    Returns how many connections fit: ``connections`` when the limit allows it, else what the
    hard limit leaves after ``reserve`` descriptors for everything else (at least 1).
    """
    wanted = connections + reserve
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (OSError, ValueError):
        return connections
    ceiling = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < ceiling:
        with contextlib.suppress(OSError, ValueError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))
            soft = ceiling
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return connections
    return max(1, min(connections, soft - reserve))


async def read_until_limit(
    reader: asyncio.StreamReader, max_bytes: int, deadline: float
) -> ReadResult:
    """Read until EOF, ``max_bytes`` or the absolute loop-time ``deadline``, whichever is first.

    The deadline bounds the whole read, not each chunk, so a slowloris peer gains nothing by
    trickling bytes. A reset ends the read like EOF, but says so.
    """
    buffer = bytearray()
    try:
        while len(buffer) < max_bytes:
            chunk = await read_chunk(reader, min(_READ_CHUNK, max_bytes - len(buffer)), deadline)
            if not chunk:
                return ReadResult(bytes(buffer), eof=True)
            buffer += chunk
    except TimeoutError:
        return ReadResult(bytes(buffer), timed_out=True)
    except ConnectionResetError:
        return ReadResult(bytes(buffer), reset=True)
    return ReadResult(bytes(buffer), truncated=True)


async def read_chunk(reader: asyncio.StreamReader, size: int, deadline: float) -> bytes:
    """``reader.read(size)`` by the absolute loop-time ``deadline``; TimeoutError if nothing
    had arrived by then.

    What had arrived is still returned after the deadline (data, EOF as ``b""``, a reset
    raised), read without waiting: on a loaded machine camscan's own event loop may wake
    after the deadline with the device's answer already in hand, and that is not the
    device's timeout (issue 12: a reset seen as "timeout" under load)."""
    try:
        async with asyncio.timeout_at(deadline):
            return await reader.read(size)
    except TimeoutError:
        async with asyncio.timeout(0):  # expires at once if the read would have to wait
            return await reader.read(size)


def deadline_after(seconds: float) -> float:
    """The absolute loop time ``seconds`` from now (what the read functions take)."""
    return asyncio.get_running_loop().time() + seconds
