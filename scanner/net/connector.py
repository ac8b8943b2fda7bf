"""The port sweep's engine: bare non-blocking connects, settled in batches.

A /16 sweep makes a million connects, so each one must cost as little as possible: no task,
stream, future or event-loop handle per connect, and no system call beyond socket, connect,
getsockopt and close. The pending connects sit in one ``select.poll`` set (registering there
is a dictionary entry, where epoll would need a system call per socket); one callback on the
event loop polls the whole set and settles every connect that answered, right after connects
were started and then at growing intervals (0.5 ms up to 10 ms) while some are still
waiting. Timeouts are checked in the same pass. Nothing stays scheduled once the set is empty.

A connected socket is closed with SO_LINGER 0 (a RST): no TIME_WAIT on our side and no
half-closed session on a fragile device.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import heapq
import select
import socket
import struct
from _socket import socket as _bare_socket
from collections.abc import Callable, Sequence

from scanner.model import Outcome

_LINGER_RESET = struct.pack("ii", 1, 0)
_OUTCOMES = {
    0: Outcome.OK,
    errno.ECONNREFUSED: Outcome.REFUSED,
    **dict.fromkeys(
        (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.ETIMEDOUT),
        Outcome.TIMEOUT,
    ),
}
_FAILED = select.POLLERR | select.POLLHUP | select.POLLNVAL
_IDLE_FIRST, _IDLE_MAX = 0.0005, 0.01
"""Pause before polling again when nothing answered: doubles from the first to the max."""
_STREAM = socket.SOCK_STREAM | socket.SOCK_NONBLOCK  # Linux
# The C socket type, not socket.socket: its Python __init__ and close() cost more than the
# syscalls themselves at a million connects. Nothing here needs what the subclass adds.


def classify(error: int) -> Outcome:
    """A connect's errno -> OK (open), REFUSED (closed), TIMEOUT (no answer) or ERROR."""
    return _OUTCOMES.get(error, Outcome.ERROR)


class Job:
    """The connects of one host's sweep: results by index, and a future for the last one."""

    __slots__ = ("done", "left", "results")

    def __init__(self, count: int) -> None:
        self.results = [Outcome.TIMEOUT] * count
        self.left = count
        self.done: asyncio.Future[None] | None = None

    def settle(self, index: int, outcome: Outcome) -> None:
        self.results[index] = outcome
        self.left -= 1
        if not self.left and self.done is not None and not self.done.done():
            self.done.set_result(None)

    async def wait(self, loop: asyncio.AbstractEventLoop) -> None:
        """Until every connect of the job has been settled."""
        if self.left > 0:
            self.done = loop.create_future()
            await self.done


class Connector:
    """Starts connects and settles them; ``release(n)`` hands back the slots of n ended ones."""

    def __init__(self, loop: asyncio.AbstractEventLoop, release: Callable[[int], None]) -> None:
        self.loop = loop
        self.release = release
        self._poll = select.poll()
        # fd -> (socket, job, index, batch number)
        self._pending: dict[int, tuple[_bare_socket, Job, int, int]] = {}
        self._deadlines: list[tuple[float, int, list[int]]] = []  # (deadline, batch, fds)
        self._batch = 0
        self._next: asyncio.Handle | None = None
        self._soon = False
        self._idle = _IDLE_FIRST

    def start(
        self, job: Job, host: str, batch: Sequence[tuple[int, int]], timeout: float
    ) -> None:
        """Send one SYN per (index, port) of ``batch``, all with one deadline.

        The caller already holds one slot per connect; each connect releases its own."""
        pending, register = self._pending, self._poll.register
        self._batch += 1
        number, started = self._batch, []
        for index, port in batch:
            try:
                sock = _bare_socket(socket.AF_INET, _STREAM)
            except OSError:  # out of descriptors: this port stays unknown, the scan goes on
                self._settle(job, index, Outcome.ERROR)
                continue
            try:
                error = sock.connect_ex((host, port))
            except OSError as exc:
                error = exc.errno or errno.EIO
            if error != errno.EINPROGRESS:
                _close(sock, error)
                self._settle(job, index, classify(error))
                continue
            fd = sock.fileno()
            register(fd, select.POLLOUT)
            pending[fd] = (sock, job, index, number)
            started.append(fd)
        if started:
            heapq.heappush(self._deadlines, (self.loop.time() + timeout, number, started))
            self._schedule(0.0)

    def abandon(self, job: Job) -> None:
        """Close the job's connects still pending (its sweep was cancelled)."""
        mine = [fd for fd, entry in self._pending.items() if entry[1] is job]
        for fd in mine:
            self._poll.unregister(fd)
            self._pending.pop(fd)[0].close()
        if mine:
            self.release(len(mine))

    def _schedule(self, delay: float) -> None:
        """Poll again after ``delay`` (0: on the next pass of the loop), or sooner."""
        if self._next is not None:
            if self._soon or delay > 0:
                return
            self._next.cancel()
        self._soon = delay == 0
        self._next = (
            self.loop.call_soon(self._drain) if self._soon
            else self.loop.call_later(delay, self._drain)
        )

    def _drain(self) -> None:
        """Settle every connect that answered (connected, refused, unreachable) or timed out."""
        self._next = None
        pending, unregister = self._pending, self._poll.unregister
        ready = self._poll.poll(0)
        for fd, events in ready:
            unregister(fd)
            sock, job, index, _ = pending.pop(fd)
            error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) if events & _FAILED else 0
            _close(sock, error)
            job.settle(index, _OUTCOMES.get(error, Outcome.ERROR))
        ended = len(ready) + self._expire()
        if ended:
            self.release(ended)
        if pending:
            self._idle = _IDLE_FIRST if ready else min(self._idle * 2, _IDLE_MAX)
            self._schedule(0.0 if ready else self._idle)

    def _expire(self) -> int:
        """Close connects past their deadline (they stay TIMEOUT); returns how many."""
        deadlines, pending = self._deadlines, self._pending
        now, count = self.loop.time(), 0
        while deadlines and deadlines[0][0] <= now:
            _, number, fds = heapq.heappop(deadlines)
            for fd in fds:
                entry = pending.get(fd)
                if entry is None or entry[3] != number:
                    continue  # answered already (the fd may even belong to a newer connect)
                del pending[fd]
                self._poll.unregister(fd)
                entry[0].close()
                entry[1].settle(entry[2], Outcome.TIMEOUT)
                count += 1
        return count

    def _settle(self, job: Job, index: int, outcome: Outcome) -> None:
        self.release(1)
        job.settle(index, outcome)


def _close(sock: _bare_socket, error: int) -> None:
    if error == 0:  # only a connected socket needs the RST close
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
    sock.close()
