"""RTSP/1.0 answers (RFC 2326): the head is HTTP syntax, the DESCRIBE body is SDP (RFC 4566).

Pure and total like every parser: bytes in, record or DecodeError out.
"""

from __future__ import annotations

from scanner import limits
from scanner.errors import DecodeError
from scanner.parse.message import ResponseHead, parse_head
from scanner.parse.text import cap_text


def parse_rtsp_head(raw: bytes) -> ResponseHead:
    """Status line and headers of an RTSP answer (``RTSP/1.0 200 OK``)."""
    return parse_head(raw, protocol="RTSP")


def sdp_text(body: bytes) -> str:
    """An SDP body as text, bounded at ``VALUE_MAX``.

    SDP is UTF-8 by default (RFC 4566 §5); ISO-8859-1 is the fallback for devices that put
    another charset in ``s=`` or ``i=`` lines. A body that is not SDP at all (no ``v=`` line
    first) is refused, so a stray HTML page is never recorded as a session description.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = body.decode("latin-1")
    if not text.lstrip().startswith("v="):
        raise DecodeError("not an SDP body (no v= line)")
    return cap_text(text, limits.VALUE_MAX)
