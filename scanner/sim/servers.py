"""The lab's servers: asyncio stream handlers that answer as a persona does (stdlib only).

Each handler serves one connection and never raises: a client that sends garbage, stalls,
or leaves mid-request only ends its own connection. Reads are bounded in bytes (the
StreamReader limit the lab sets, scanner.limits.HTTP_HEAD_MAX) and in time (CLIENT_DEADLINE).

What a device did not reveal is not made up: an RTSP method without a captured answer
gets the connection closed, paths other than / get a bare 404 (no favicon bytes of a real
device are known, so /favicon.ico is 404 too).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
from collections.abc import Awaitable, Callable
from typing import Final

from scanner.sim.personas import Answer, Persona

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]

CLIENT_DEADLINE: Final = 5.0
"""Seconds a client gets to send a request head before the lab hangs up."""
BANNER_LINGER: Final = 0.3
"""Seconds a banner service stays open after its greeting (a real one waits for a login)."""
RTSP_REQUESTS_MAX: Final = 8
"""Requests answered on one RTSP connection (OPTIONS then DESCRIBE is the usual pair)."""
BODY_DISCARD_MAX: Final = 64 * 1024

NOT_FOUND: Final = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

_REQUEST_LINE = re.compile(rb"^([A-Z_]{1,32}) (\S{1,2048}) (HTTP|RTSP)/\d\.\d\r?$")
_EXPECTED = (
    TimeoutError,
    ConnectionError,
    asyncio.IncompleteReadError,
    asyncio.LimitOverrunError,
    ssl.SSLError,
    OSError,
    ValueError,
)
"""What a misbehaving client can make a handler run into; each ends that connection only."""


class Connections:
    """The live connections of a lab, so closing the lab ends them too.

    Python 3.11's Server.wait_closed() does not wait for handlers, so without this a
    stalled client would keep a socket (and a task) alive after the lab has stopped.
    """

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[object]] = set()

    def wrap(self, handler: Handler) -> Handler:
        """`handler` made safe: tracked, errors contained, the socket always closed."""

        async def run(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            if task is not None:
                self._tasks.add(task)
            try:
                await handler(reader, writer)
            except _EXPECTED:
                pass
            except asyncio.CancelledError:
                # close_all() ends this connection; finishing normally (not "cancelled")
                # keeps 3.11's StreamReaderProtocol from logging the cancellation as an error
                pass
            finally:
                if task is not None:
                    self._tasks.discard(task)
                await _close(writer)

        return run

    async def close_all(self) -> None:
        """Cancel every live handler and wait until each has closed its socket."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    try:
        await asyncio.wait_for(writer.wait_closed(), 1.0)
    except (*_EXPECTED, asyncio.CancelledError):
        pass


async def _read_head(reader: asyncio.StreamReader) -> bytes:
    """One request head (request line + headers), bounded by the reader's limit and time."""
    return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), CLIENT_DEADLINE)


def _request_line(head: bytes) -> tuple[str, str] | None:
    """(method, target) of a well-formed request line, else None."""
    match = _REQUEST_LINE.match(head.split(b"\n", 1)[0])
    if match is None:
        return None
    return match.group(1).decode("ascii"), match.group(2).decode("latin-1")


def _header(head: bytes, name: str) -> str | None:
    """First value of header `name` in a request head (case-insensitive), else None."""
    wanted = name.lower().encode("ascii")
    for line in head.split(b"\r\n")[1:]:
        key, sep, value = line.partition(b":")
        if sep and key.strip().lower() == wanted:
            return value.strip().decode("latin-1")
    return None


def render(answer: Answer, version: str, *, cseq: str | None = None, url: str | None = None,
           head_only: bool = False, always_length: bool = True) -> bytes:
    """The answer as bytes: captured headers in order, Content-Length fitted to the body.

    `cseq` replaces a captured CSeq value (or is added); `url` fills `{url}` templates.
    """

    def fill(text: str) -> str:
        return text if url is None else text.replace("{url}", url)

    body = fill(answer.body).encode("utf-8")
    lines = [f"{version} {answer.status} {answer.reason}"]
    has_length = has_cseq = False
    for name, value in answer.headers:
        low = name.lower()
        if low == "content-length":
            value, has_length = str(len(body)), True
        elif low == "cseq" and cseq is not None:
            value, has_cseq = cseq, True
        lines.append(f"{name}: {fill(value)}")
    if cseq is not None and not has_cseq:
        lines.insert(1, f"CSeq: {cseq}")
    if not has_length and (body or always_length):
        lines.append(f"Content-Length: {len(body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
    return head if head_only else head + body


def http_handler(persona: Persona) -> Handler:
    """GET / (and HEAD /) answer as the persona; everything else is a bare 404."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = _request_line(await _read_head(reader))
        if request is None:
            return
        method, target = request
        path = target.split("?", 1)[0]
        if persona.http is not None and method in ("GET", "HEAD") and path == "/":
            writer.write(render(persona.http, "HTTP/1.1", head_only=method == "HEAD"))
        else:
            writer.write(NOT_FOUND)
        await writer.drain()

    return serve


def rtsp_handler(persona: Persona) -> Handler:
    """Answer each RTSP request with the persona's captured answer to its method.

    The request's CSeq is echoed, `{url}` becomes the request URI. A method whose answer
    is unknown ends the connection without a word, which real devices also do.
    """

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(RTSP_REQUESTS_MAX):
            head = await _read_head(reader)
            request = _request_line(head)
            if request is None:
                return
            await _discard_body(reader, _header(head, "Content-Length"))
            answer = persona.rtsp_answer(request[0])
            if answer is None:
                return
            cseq = _header(head, "CSeq") or "0"
            writer.write(render(answer, "RTSP/1.0", cseq=cseq[:32], url=request[1],
                                always_length=False))
            await writer.drain()

    return serve


async def _discard_body(reader: asyncio.StreamReader, length: str | None) -> None:
    """Skip a request body (RTSP SET_PARAMETER, ANNOUNCE) of at most BODY_DISCARD_MAX bytes."""
    if length is None:
        return
    size = int(length) if length.isdigit() else -1
    if not 0 <= size <= BODY_DISCARD_MAX:
        raise ValueError("request body length out of range")
    await asyncio.wait_for(reader.readexactly(size), CLIENT_DEADLINE)


def banner_handler(text: str) -> Handler:
    """Send the greeting unasked, then hang up after BANNER_LINGER or on any client byte."""
    greeting = text.encode("utf-8")

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(greeting)
        await writer.drain()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(reader.read(1), BANNER_LINGER)

    return serve


def tcp_handler() -> Handler:
    """Accept and close: the port is open, and the lab has nothing true to say on it."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        del reader, writer  # Connections.wrap closes the socket

    return serve


def handler_for(persona: Persona, kind: str) -> Handler:
    """The handler of service `kind` ("http", "https", "rtsp", "ftp", "telnet", "tcp")."""
    if kind in ("http", "https"):
        return http_handler(persona)
    if kind == "rtsp":
        return rtsp_handler(persona)
    if kind == "ftp" and persona.ftp is not None:
        return banner_handler(persona.ftp.text)
    if kind == "telnet" and persona.telnet is not None:
        return banner_handler(persona.telnet.text)
    if kind == "tcp":
        return tcp_handler()
    raise ValueError(f"persona {persona.name!r} has no {kind} service")


__all__ = [
    "Connections",
    "Handler",
    "handler_for",
    "render",
]
