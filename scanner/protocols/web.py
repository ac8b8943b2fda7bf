"""HTTP as a transport: one bounded answer read off a stream, and the GET that asks for it.

Our own minimal HTTP/1.1 client, not ``requests``: it cannot bound the *total* time of an
exchange, and a slowloris device keeps a per-read timeout alive forever. Here each exchange
has one deadline, the head and body have byte caps, and a gzip body inflates to at most
``DECOMPRESSED_MAX``. Shared by the http probe, RTSP (same message syntax), the ONVIF and
UPnP follow-ups, the credentialed stage and the stream readers of a capture
(:func:`read_answers`: each answer of a captured stream is read by the same code).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from scanner import limits
from scanner.errors import DecodeError
from scanner.model import Outcome
from scanner.net.tcp import read_chunk, read_until_limit
from scanner.parse.message import (
    ChunkedDecoder,
    ResponseHead,
    content_length,
    decode_content,
    find_head_end,
    is_chunked,
    parse_head,
)
from scanner.protocols import host as kit  # ProbeFailed, seconds, USER_AGENT
from scanner.protocols.stream import ANSWERS_PER_STREAM

_CHUNK = 16 * limits.KIB


@dataclass(frozen=True, slots=True)
class Response:
    """One answer, bounded, with how its reading ended."""

    head: ResponseHead
    body: bytes
    """Payload after chunked and gzip decoding (possibly cut; see ``complete``)."""
    outcome: Outcome = Outcome.OK
    detail: str = ""
    complete: bool = True
    """The whole body was read (not cut by a cap or the deadline)."""


def _kib(size: int) -> str:
    return f"{size // limits.KIB} KiB"


def _check_protocol(buffer: bytes | bytearray, protocol: str) -> None:
    """Fail fast when the first bytes cannot start an answer of ``protocol``."""
    prefix = (protocol + "/").encode("ascii")
    seen = bytes(buffer[: len(prefix)]).upper()
    if not prefix.startswith(seen):
        raise kit.ProbeFailed(Outcome.ERROR, f"not {protocol}")


async def _read_head(
    reader: asyncio.StreamReader, deadline: float, protocol: str, window: float
) -> tuple[bytes, bytes, Outcome, str]:
    """Read up to the blank line: (head, bytes after it, outcome, detail)."""
    buffer = bytearray()
    try:
        while True:
            try:
                chunk = await read_chunk(reader, _CHUNK, deadline)
            except ConnectionResetError:
                chunk, ended = b"", "reset"
            else:
                ended = "closed"
            if not chunk:
                if not buffer:
                    raise kit.ProbeFailed(Outcome.ERROR, f"connection {ended} without an answer")
                where = "connection reset" if ended == "reset" else "answer ended"
                return bytes(buffer), b"", Outcome.ERROR, f"{where} inside the header"
            start = len(buffer)
            buffer += chunk
            _check_protocol(buffer, protocol)
            end = find_head_end(buffer, start)
            if end >= 0:
                return bytes(buffer[:end]), bytes(buffer[end:]), Outcome.OK, ""
            if len(buffer) >= limits.HTTP_HEAD_MAX:
                cut = bytes(buffer[: limits.HTTP_HEAD_MAX])
                return cut, b"", Outcome.ERROR, f"header longer than {_kib(len(cut))}"
    except TimeoutError:
        if not buffer:
            waited = kit.seconds(window)
            raise kit.ProbeFailed(Outcome.TIMEOUT, f"no answer within {waited} s") from None
        return bytes(buffer), b"", Outcome.TIMEOUT, f"deadline {kit.seconds(window)} s reached"


async def _read_chunked(
    reader: asyncio.StreamReader, rest: bytes, deadline: float, body_max: int
) -> tuple[bytes, bool, str]:
    """Decode a chunked body: (payload, complete, problem or "")."""
    decoder = ChunkedDecoder()
    body = bytearray()
    wire = len(rest)
    try:
        body += decoder.feed(rest)
        # Chunk framing may outweigh tiny chunks, so the wire gets twice the body's cap.
        while not decoder.done and len(body) < body_max and wire < 2 * body_max:
            try:
                chunk = await read_chunk(reader, _CHUNK, deadline)
            except ConnectionResetError:
                return bytes(body[:body_max]), False, _reset_note(len(body))
            if not chunk:
                return bytes(body[:body_max]), False, ""
            wire += len(chunk)
            body += decoder.feed(chunk)
    except TimeoutError:
        return bytes(body[:body_max]), False, "deadline"
    except DecodeError as exc:
        return bytes(body[:body_max]), False, f"bad chunked body: {exc}"
    return bytes(body[:body_max]), decoder.done and len(body) <= body_max, ""


async def _read_plain(
    reader: asyncio.StreamReader, rest: bytes, deadline: float, body_max: int, length: int | None
) -> tuple[bytes, bool, str]:
    """A body framed by Content-Length or by the end of the connection."""
    want = body_max if length is None else min(length, body_max)
    data = rest[:want]
    if len(data) >= want:
        return data, length is not None and length <= body_max, ""
    result = await read_until_limit(reader, want - len(data), deadline)
    body = data + result.data
    if result.timed_out:
        return body, False, "deadline"
    if result.reset:
        return body, False, _reset_note(len(body))
    complete = result.eof if length is None else len(body) == length
    return body, complete, ""


def _reset_note(read: int) -> str:
    """A reset mid-body is a broken answer, not a complete one: say so and keep what came."""
    return f"connection reset after {read} bytes of the body"


async def read_response(
    reader: asyncio.StreamReader,
    deadline: float,
    window: float,
    *,
    protocol: str = "HTTP",
    body_max: int = limits.HTTP_BODY_MAX,
    body_to_eof: bool = True,
) -> Response:
    """Read one answer within ``deadline``. No usable head -> ProbeFailed.

    ``body_to_eof=False`` (RTSP) reads a body only when Content-Length announces one.
    """
    raw_head, rest, outcome, detail = await _read_head(reader, deadline, protocol, window)
    try:
        head = parse_head(raw_head, protocol)
    except DecodeError:
        raise kit.ProbeFailed(
            outcome if detail else Outcome.ERROR, detail or f"not {protocol}"
        ) from None
    if outcome is not Outcome.OK or head.status in (204, 304) or 100 <= head.status < 200:
        return Response(head, b"", outcome, detail, complete=outcome is Outcome.OK)
    length = content_length(head)
    if is_chunked(head):
        body, complete, problem = await _read_chunked(reader, rest, deadline, body_max)
    elif length is None and not body_to_eof:
        body, complete, problem = b"", True, ""
    else:
        body, complete, problem = await _read_plain(reader, rest, deadline, body_max, length)
    return _finish(head, body, complete, problem, body_max, window)


def _finish(
    head: ResponseHead, body: bytes, complete: bool, problem: str, body_max: int, window: float
) -> Response:
    """Undo Content-Encoding and turn how the read ended into an outcome and detail."""
    outcome, detail = Outcome.OK, ""
    if problem == "deadline":
        outcome, detail = Outcome.TIMEOUT, f"deadline {kit.seconds(window)} s reached"
    elif problem:
        outcome, detail = Outcome.ERROR, problem
    elif not complete and len(body) >= body_max:
        detail = f"answer truncated at {_kib(body_max)}"
    coding = head.get("content-encoding")
    if coding and body:
        try:
            body, cut = decode_content(body, coding, limits.DECOMPRESSED_MAX)
        except DecodeError as exc:
            return Response(head, b"", Outcome.ERROR, str(exc), complete=False)
        if cut:
            complete = False
            detail = detail or f"inflated body truncated at {_kib(limits.DECOMPRESSED_MAX)}"
    return Response(head, body, outcome, detail, complete)


def connection_failure(exc: OSError) -> str:
    """A status detail for a connection that broke while sending (e.g. a reset)."""
    if isinstance(exc, ConnectionResetError):
        return "connection reset without an answer"
    return f"connection failed: {exc.strerror or exc}"


def build_request(host: str, port: int, path: str, default_port: int) -> bytes:
    """A GET that asks for no compression and no keep-alive."""
    authority = host if port == default_port else f"{host}:{port}"
    return (
        f"GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: {kit.USER_AGENT}\r\n"
        "Accept: */*\r\nConnection: close\r\n\r\n"
    ).encode("ascii")


def split_answers(data: bytes, protocol: str) -> list[bytes]:
    """A captured server stream cut into its answers: each head, plus a body of
    Content-Length bytes.

    A chunked body or one without a length runs to the end of the stream (HTTP closes the
    connection after it); an RTSP answer without Content-Length has no body (RFC 2326 §12.14).
    """
    messages: list[bytes] = []
    pos = 0
    while pos < len(data) and len(messages) < ANSWERS_PER_STREAM:
        rest = data[pos:]
        end = find_head_end(rest)
        try:
            head = parse_head(rest[:end], protocol) if end > 0 else None
        except DecodeError:
            head = None
        length = content_length(head) if head is not None else None
        if head is None or is_chunked(head) or (length is None and protocol == "HTTP"):
            messages.append(rest)
            break
        messages.append(rest[: end + (length or 0)])
        pos += end + (length or 0)
    return messages


async def read_answers(data: bytes, protocol: str) -> list[Response]:
    """Every answer in one captured server stream, each read exactly as a live probe reads
    one (``protocol``: "HTTP" or "RTSP"); reading stops at the first unreadable one."""
    answers: list[Response] = []
    loop = asyncio.get_running_loop()
    for message in split_answers(data, protocol):
        reader = asyncio.StreamReader(limit=limits.HTTP_HEAD_MAX)
        reader.feed_data(message)
        reader.feed_eof()
        try:
            answer = await read_response(
                reader, loop.time() + 1.0, 1.0, protocol=protocol, body_to_eof=protocol == "HTTP"
            )
        except (kit.ProbeFailed, DecodeError, ValueError, asyncio.IncompleteReadError):
            break
        answers.append(answer)
    return answers
