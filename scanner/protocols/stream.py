"""What a TCP protocol declares for reading a capture: which server streams are its own, and
the hook that records one.

A capture holds the same answers the unicast probes read live, only seen from the side. Each
TCP protocol of this package that can be read from a capture defines its ``StreamReading``:
``claims`` says whether one server stream is its own (by its first bytes or its port), and
``read`` records it into what was heard with the code its probe records a live answer with,
so an answer means the same whether camscan asked or only saw someone else ask.
scanner.protocols.registry gathers them; scanner.passive.streams reassembles the streams,
iterates the registry and names no protocol itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scanner.errors import DecodeError

if TYPE_CHECKING:
    from scanner.passive.heard import Heard

ANSWERS_PER_STREAM = 8
"""Answers read from one server stream (and requests matched to them)."""


@dataclass(frozen=True)
class Document:
    """A protocol's own document served over HTTP (a UPnP description, an ONVIF answer).

    A captured web page that is one is recorded under that protocol, as its follow-up
    records it live; ``recognises`` reads the page's text."""

    probe: str
    field: str
    recognises: Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class ServerStream:
    """What a server sent on one connection of a capture, and what it was asked: ``data`` is
    its bytes from the start of the stream to the first gap (bounded), ``first`` its first
    segment alone (a greeting), ``requests`` the targets of the client's requests on the same
    connection, in order; ``documents``, what the protocols serve over HTTP (registry)."""

    host: str
    port: int
    data: bytes
    first: bytes
    requests: tuple[str, ...]
    documents: tuple[Document, ...] = ()


Claims = Callable[[ServerStream], bool]
Read = Callable[["Heard", ServerStream], Awaitable[None]]


@dataclass(frozen=True)
class StreamReading:
    """One TCP protocol as capture reading sees it: a failure while reading a stream it
    claimed is reported under ``name``; ``reads_requests`` says its ``read`` uses the client's
    request targets (they are looked for only then)."""

    name: str
    claims: Claims
    read: Read
    reads_requests: bool = False


def parses(parser: Callable[[str], object], text: str) -> bool:
    """Whether ``parser`` reads ``text`` without a DecodeError."""
    try:
        parser(text)
    except DecodeError:
        return False
    return True
