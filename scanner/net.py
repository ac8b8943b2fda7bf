"""The only place that opens sockets for unicast work.

Every connection goes through :meth:`Net.connect` or :meth:`Net.port_state`, which check the
scope first (defence in depth: a redirect or an address inside an answer can never make camscan
contact a host outside what the user allowed), take one of a fixed number of connection slots,
and wait for the rate limiter. Reads are bounded by bytes *and* by one wall-clock deadline for
the whole exchange, so a server that sends one byte a second is cut at the deadline, not kept
alive by every byte (issue 6).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import errno
import socket
import ssl
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType

from scanner import limits
from scanner.errors import ScopeError
from scanner.model import Outcome
from scanner.scope import Scope

_READ_CHUNK = 16 * limits.KIB
#: SO_LINGER on, zero seconds: close() sends RST. A port-sweep socket then leaves no
#: TIME_WAIT behind on our side and no half-closed session on a fragile device.
_LINGER_RESET = struct.pack("ii", 1, 0)
_UNREACHABLE = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN}


class RateLimiter:
    """Spaces connection attempts ``1/rate`` seconds apart; ``rate=None`` means no limit.

    A slot schedule rather than a token bucket: each caller reserves the next free instant
    and sleeps until it, so bursts never exceed the rate and waiting is fair in arrival order.
    """

    def __init__(self, rate: float | None = None) -> None:
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive or None")
        self.rate = rate
        self._next = 0.0

    async def wait(self) -> None:
        """Return when the caller may make its next connection attempt."""
        if self.rate is None:
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        slot = max(now, self._next)
        self._next = slot + 1.0 / self.rate
        if slot > now:
            await asyncio.sleep(slot - now)


class Slots:
    """A counting limit on open connections, with a FIFO queue of waiters.

    Not ``asyncio.Semaphore``: in 3.11 its release scans every waiter, and a /16 sweep keeps
    thousands waiting, which made the scan quadratic. A port sweep takes all the slots it
    needs at once, so no host ever holds some slots while waiting for more.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._free = size
        self._waiters: collections.deque[tuple[asyncio.Future[None], int]] = collections.deque()

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
    """Scope-checked, slot-limited, rate-limited TCP connections."""

    def __init__(
        self,
        scope: Scope,
        max_connections: int = limits.DEFAULT_MAX_CONNECTIONS,
        limiter: RateLimiter | None = None,
    ) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        self.scope = scope
        self.max_connections = max_connections
        self.limiter = limiter or RateLimiter()
        self._slots = Slots(max_connections)

    def check(self, host: str) -> None:
        """Raise :class:`ScopeError` unless ``host`` is in scope."""
        if not self.scope.contains(host):
            raise ScopeError(f"refusing to contact {host}: it is outside the scan scope")

    async def connect(
        self, host: str, port: int, timeout: float = limits.CONNECT_TIMEOUT
    ) -> Connection:
        """Open a stream; raises ScopeError, ConnectionRefusedError, TimeoutError, OSError."""
        self.check(host)
        await self._slots.acquire()
        try:
            await self.limiter.wait()
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
        """Connect to every port of ``host`` at once and close each as soon as it answers.

        One host, one timer: bare non-blocking sockets watched by the event loop, no task or
        stream per port, since a /16 sweep makes a million of these. Each socket holds a
        connection slot while it is open. An unreachable host counts as a timeout.
        """
        self.check(host)
        loop = asyncio.get_running_loop()
        sweep = _Sweep(loop, self._slots, host, len(ports))
        step = self._slots.size
        try:
            for first in range(0, len(ports), step):
                chunk = ports[first : first + step]
                await self._slots.acquire(len(chunk))
                sweep.reserved = len(chunk)
                for index, port in enumerate(chunk, first):
                    await self.limiter.wait()
                    sweep.start(index, port)
                sweep.release_unused()
                await sweep.wait(timeout)
        finally:
            sweep.abandon()
        return sweep.results


def _classify(error: int) -> Outcome:
    if error == 0:
        return Outcome.OK
    if error == errno.ECONNREFUSED:
        return Outcome.REFUSED
    if error in _UNREACHABLE or error == errno.ETIMEDOUT:
        return Outcome.TIMEOUT
    return Outcome.ERROR


class _Sweep:
    """Non-blocking connects to ports of one host; each result lands in ``results``.

    The connects of one chunk start together under one timer, after their slots were all
    taken at once: a connect never waits for a slot after its timer started, and a host
    never holds slots while waiting for more (which could stall hosts against each other).
    """

    def __init__(
        self, loop: asyncio.AbstractEventLoop, slots: Slots, host: str, count: int
    ) -> None:
        self.loop, self.slots, self.host = loop, slots, host
        self.results = [Outcome.TIMEOUT] * count
        self.pending: dict[int, tuple[int, socket.socket]] = {}  # fd -> (index, socket)
        self.reserved = 0  # slots taken for connects not started yet
        self.idle: asyncio.Future[None] | None = None

    def start(self, index: int, port: int) -> None:
        """Begin one connect on a reserved slot; the slot is released when it ends."""
        self.reserved -= 1
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            error = sock.connect_ex((self.host, port))
        except OSError as exc:
            error = exc.errno or errno.EIO
        if error not in (errno.EINPROGRESS, errno.EAGAIN):
            self._finish(index, sock, error)
            return
        self.pending[sock.fileno()] = (index, sock)
        self.loop.add_writer(sock.fileno(), self._ready, sock.fileno())

    def _ready(self, fd: int) -> None:
        """The socket is writable: connected, or failed with SO_ERROR."""
        index, sock = self.pending.pop(fd)
        self.loop.remove_writer(fd)
        self._finish(index, sock, sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
        if not self.pending and self.idle is not None and not self.idle.done():
            self.idle.set_result(None)

    def _finish(self, index: int, sock: socket.socket, error: int) -> None:
        self.results[index] = _classify(error)
        if error == 0:  # only a connected socket needs the RST close
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
        sock.close()
        self.slots.release()

    def release_unused(self) -> None:
        if self.reserved:
            self.slots.release(self.reserved)
            self.reserved = 0

    async def wait(self, timeout: float) -> None:
        """Until every started connect has ended or ``timeout`` has passed."""
        if not self.pending:
            return
        self.idle = self.loop.create_future()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self.idle
        self.abandon()

    def abandon(self) -> None:
        """Close what is still connecting (timeout or cancellation): those stay TIMEOUT."""
        self.release_unused()
        for fd, (_, sock) in self.pending.items():
            self.loop.remove_writer(fd)
            sock.close()
            self.slots.release()
        self.pending.clear()


async def read_until_limit(
    reader: asyncio.StreamReader, max_bytes: int, deadline: float
) -> ReadResult:
    """Read until EOF, ``max_bytes`` or the absolute loop-time ``deadline``, whichever is first.

    The deadline bounds the whole read, not each chunk, so a slowloris peer gains nothing by
    trickling bytes. A reset ends the read like EOF, but says so.
    """
    buffer = bytearray()
    try:
        async with asyncio.timeout_at(deadline):
            while len(buffer) < max_bytes:
                chunk = await reader.read(min(_READ_CHUNK, max_bytes - len(buffer)))
                if not chunk:
                    return ReadResult(bytes(buffer), eof=True)
                buffer += chunk
    except TimeoutError:
        return ReadResult(bytes(buffer), timed_out=True)
    except ConnectionResetError:
        return ReadResult(bytes(buffer), reset=True)
    return ReadResult(bytes(buffer), truncated=True)


def deadline_after(seconds: float) -> float:
    """The absolute loop time ``seconds`` from now (what the read functions take)."""
    return asyncio.get_running_loop().time() + seconds
