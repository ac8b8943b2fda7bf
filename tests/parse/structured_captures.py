"""Captures and hostile inputs shared by the structured-field parser tests."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from hypothesis import strategies as st

from scanner.errors import DecodeError
from scanner.limits import XML_MAX

CAPTURES = Path(__file__).resolve().parent.parent / "fixtures" / "captures"


def capture(name: str) -> bytes:
    """The bytes of one capture in tests/fixtures/captures (see SOURCES.md there)."""
    return (CAPTURES / name).read_bytes()


def truncated(data: bytes) -> bytes:
    """The first 60 % of a capture: what a cut datagram or a pasted excerpt looks like."""
    return data[: len(data) * 3 // 5]


def oversized(data: bytes) -> bytes:
    """The capture padded past XML_MAX with trailing whitespace (still well-formed)."""
    return data + b" " * (XML_MAX + 1 - len(data))


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<ProbeMatch><DeviceDescription>&lol4;</DeviceDescription></ProbeMatch>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE ProbeMatch [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ProbeMatch><DeviceDescription>&xxe;</DeviceDescription></ProbeMatch>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE ProbeMatch SYSTEM "file:///etc/passwd">
<ProbeMatch><DeviceDescription>x</DeviceDescription></ProbeMatch>"""

HOSTILE_XML = (BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD)


def mutations(*captures: bytes) -> st.SearchStrategy[bytes]:
    """Captures with random bytes overwritten, inserted or cut: input close to the real thing."""

    @st.composite
    def mutate(draw: st.DrawFn) -> bytes:
        data = bytearray(draw(st.sampled_from(captures)))
        edits = draw(st.lists(st.tuples(st.integers(0, 10**6), st.binary(max_size=4)), max_size=6))
        for position, chunk in edits:
            at = position % (len(data) + 1)
            data[at : at + len(chunk) // 2] = chunk
        cut = draw(st.integers(0, len(data)))
        return bytes(data[:cut] if draw(st.booleans()) else data)

    return mutate()


def total(parse: Callable[[bytes], object], data: bytes) -> None:
    """Assert `parse` either returns or raises DecodeError, never anything else."""
    with contextlib.suppress(DecodeError):
        parse(data)
