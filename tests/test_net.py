"""scanner.net: scope enforcement, bounded reads, connection slots and the rate limiter.

Loopback only: servers listen on 127.77.x.y with ephemeral ports.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from collections.abc import Awaitable, Callable

import pytest

from scanner.errors import ScopeError
from scanner.model import Outcome
from scanner.net.tcp import Net, RateLimiter, ReadResult, Slots, deadline_after, read_until_limit
from scanner.scope import parse_targets

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _serve(host: str, handler: Handler) -> tuple[asyncio.Server, int, list[str]]:
    """Start a server on host:ephemeral; the list records each peer that connected."""
    peers: list[str] = []

    async def wrapped(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peers.append(writer.get_extra_info("peername")[0])
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(wrapped, host, 0)
    return server, server.sockets[0].getsockname()[1], peers


async def _idle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read()


async def _read_from(
    host: str, handler: Handler, max_bytes: int, seconds: float
) -> tuple[ReadResult, float]:
    """Serve `handler` on `host`, connect to it through Net and read_until_limit once: the
    result and the seconds the read took."""
    server, port, _ = await _serve(host, handler)
    net = Net(parse_targets([host]))
    async with await net.connect(host, port) as conn:
        started = time.monotonic()
        result = await read_until_limit(conn.reader, max_bytes, deadline_after(seconds))
        elapsed = time.monotonic() - started
    server.close()
    return result, elapsed


def test_out_of_scope_connect_raises_and_sends_nothing() -> None:
    """Net refuses an address outside the scope before any packet: the listener sees nobody."""

    async def main() -> list[str]:
        server, port, peers = await _serve("127.77.9.2", _idle)
        net = Net(parse_targets(["127.77.9.1"]))
        with pytest.raises(ScopeError, match=r"127\.77\.9\.2"):
            await net.connect("127.77.9.2", port)
        with pytest.raises(ScopeError):
            await net.port_state("127.77.9.2", port)
        with pytest.raises(ScopeError):
            await net.connect("not-an-ip", port)
        await asyncio.sleep(0.05)
        server.close()
        return peers

    assert asyncio.run(main()) == []


def test_port_state_open_and_refused() -> None:
    """An open port is OK, a closed one REFUSED (the RST of a live host)."""

    async def main() -> tuple[Outcome, Outcome]:
        server, port, _ = await _serve("127.77.9.3", _idle)
        net = Net(parse_targets(["127.77.9.3"]))
        server.close()
        await server.wait_closed()
        closed = await net.port_state("127.77.9.3", port)
        server2, port2, _ = await _serve("127.77.9.3", _idle)
        opened = await net.port_state("127.77.9.3", port2)
        server2.close()
        return opened, closed

    assert asyncio.run(main()) == (Outcome.OK, Outcome.REFUSED)


def test_port_state_timeout_frees_its_slot() -> None:
    """A port that drops SYNs (full accept queue) times out, and its slot is given back."""
    listener = socket.socket()
    listener.bind(("127.77.9.8", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = [socket.create_connection(("127.77.9.8", port), timeout=1)]  # queue now full

    async def main() -> tuple[list[Outcome], float, Outcome]:
        net = Net(parse_targets(["127.77.9.8"]), max_connections=1)
        started = time.monotonic()
        stuck = await net.port_states("127.77.9.8", [port, port], timeout=0.2)
        elapsed = time.monotonic() - started
        closed = await asyncio.wait_for(net.port_state("127.77.9.8", 9, timeout=0.2), 1)
        return stuck, elapsed, closed

    try:
        stuck, elapsed, closed = asyncio.run(main())
    finally:
        for sock in (*fillers, listener):
            sock.close()
    # With one slot the second connect starts only after the first has timed out. The upper
    # bound only says neither stayed stuck (a margin for a loaded machine, issue 12).
    assert stuck == [Outcome.TIMEOUT, Outcome.TIMEOUT]
    assert 0.15 < elapsed < 3
    assert closed is Outcome.REFUSED


def test_slowloris_cut_at_total_deadline() -> None:
    """A peer sending a byte every 50 ms is cut at the 0.3 s deadline, not kept alive by it."""

    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            writer.write(b"x")
            await writer.drain()
            await asyncio.sleep(0.05)

    result, elapsed = asyncio.run(_read_from("127.77.9.4", trickle, 1_000_000, 0.3))
    timed_out, size = result.timed_out, len(result.data)
    # Cut at the deadline, not kept alive by the trickle: margins for a loaded machine.
    assert timed_out and 0.25 < elapsed < 3
    assert 1 <= size <= 60


def test_endless_stream_cut_at_byte_cap() -> None:
    """A peer that never stops sending is cut at max_bytes, marked truncated."""

    async def flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            writer.write(b"A" * 65536)
            await writer.drain()

    result, _ = asyncio.run(_read_from("127.77.9.5", flood, 100_000, 5))
    assert (len(result.data), result.truncated) == (100_000, True)


def test_eof_reported() -> None:
    """A peer that says its piece and closes gives eof=True and all its bytes."""

    async def say(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"hello")
        await writer.drain()

    result, _ = asyncio.run(_read_from("127.77.9.6", say, 100, 2))
    assert (result.data, result.eof) == (b"hello", True)


def test_connection_slots_bound_open_connections() -> None:
    """With 2 slots, a third connect waits until one of the first two is closed."""

    async def main() -> bool:
        server, port, _ = await _serve("127.77.9.7", _idle)
        net = Net(parse_targets(["127.77.9.7"]), max_connections=2)
        first = await net.connect("127.77.9.7", port)
        second = await net.connect("127.77.9.7", port)
        third = asyncio.create_task(net.connect("127.77.9.7", port))
        await asyncio.sleep(0.1)
        blocked = not third.done()
        first.close()
        conn = await asyncio.wait_for(third, 1)
        conn.close()
        second.close()
        server.close()
        return blocked

    assert asyncio.run(main())


def test_slots_fifo_counts_and_cancellation() -> None:
    """Slots are granted in arrival order, several at once, and a cancelled waiter loses none."""

    async def main() -> list[str]:
        slots = Slots(3)
        order: list[str] = []
        await slots.acquire(2)

        async def take(name: str, count: int) -> None:
            await slots.acquire(count)
            order.append(name)

        big = asyncio.create_task(take("big", 3))
        small = asyncio.create_task(take("small", 1))  # fits now, but waits behind "big"
        gone = asyncio.create_task(take("gone", 1))
        await asyncio.sleep(0.01)
        gone.cancel()
        await asyncio.sleep(0.01)
        assert order == []
        slots.release(2)  # big gets all three
        await asyncio.sleep(0.01)
        slots.release(3)  # small gets one; the cancelled waiter is skipped
        await asyncio.gather(big, small)
        with pytest.raises(ValueError):
            await slots.acquire(4)
        await slots.acquire(2)  # exactly the two left
        return order

    assert asyncio.run(main()) == ["big", "small"]


def test_rate_limiter_spaces_attempts() -> None:
    """At 20 attempts/s, 6 attempts take at least 0.25 s; without a rate they are instant."""

    async def timed(limiter: RateLimiter) -> float:
        started = time.monotonic()
        for _ in range(6):
            await limiter.wait()
        return time.monotonic() - started

    assert asyncio.run(timed(RateLimiter(20))) >= 0.24
    assert asyncio.run(timed(RateLimiter())) < 0.05
    with pytest.raises(ValueError):
        RateLimiter(0)


def test_an_answer_that_arrived_while_the_loop_was_busy_is_not_a_timeout() -> None:
    """The device answers and resets in time, but camscan's own loop is blocked past the
    deadline (a loaded machine): the reset and the bytes before it are still what is
    reported, not "timeout" (issue 12: tests/hostile's http-reset under load)."""
    listener = socket.create_server(("127.0.0.1", 0))

    async def main() -> tuple[bool, bool, bytes]:
        port = listener.getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        device, _ = listener.accept()
        deadline = deadline_after(0.2)
        reading = asyncio.create_task(read_until_limit(reader, 10_000, deadline))
        await asyncio.sleep(0)  # the read is waiting
        device.sendall(b"HTTP/1.1 200 OK\r\n")
        device.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        device.close()  # SO_LINGER 0: an RST right behind the bytes
        time.sleep(0.5)  # the loop is busy elsewhere until well past the deadline
        result = await reading
        writer.close()
        return result.reset, result.timed_out, result.data

    try:
        reset, timed_out, _ = asyncio.run(main())
    finally:
        listener.close()
    assert reset and not timed_out
