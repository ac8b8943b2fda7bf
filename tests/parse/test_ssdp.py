"""SSDP answers and announcements: real captures, header case, damaged twins."""

from __future__ import annotations

import pytest

from scanner.errors import DecodeError
from scanner.limits import HEADER_VALUE_MAX
from scanner.parse.ssdp import HEADERS_MAX, parse_ssdp

from .structured_captures import capture, truncated

AXIS_SEARCH = capture("axis-m1014-unknown.ssdp.txt")
AXIS_NOTIFY = capture("axis-m1014-unknown.notify.txt")
COMPAL = capture("compal-ch7465lg-unknown.ssdp.txt")


def test_notify_announcement() -> None:
    """A NOTIFY byebye has a request line and NT/NTS headers."""
    message = parse_ssdp(AXIS_NOTIFY)
    assert not message.is_response
    assert message.start_line == "NOTIFY * HTTP/1.1"
    assert message.header("nts") == "ssdp:byebye"
    assert message.table()["NT"] == "urn:axis-com:service:BasicService:1"


def test_router_answer_and_case_insensitive_lookup() -> None:
    """The Compal router answer; header() ignores case."""
    message = parse_ssdp(COMPAL)
    assert message.server == "Compal Broadband Networks, Inc/Linux/2.6.39.3 UPnP/1.1 MiniUPnPd/2.1"
    assert message.header("Location") == message.location == "http://192.168.0.1:5000/rootDesc.xml"
    assert message.table()["01-NLS"] == "1702383374"


def test_bare_lf_and_folded_lines() -> None:
    """LF-only line ends and an obsolete folded header line are accepted."""
    data = AXIS_SEARCH.replace(b"\r\n", b"\n").replace(
        b"X-User-Agent: redsonic", b"X-User-Agent: red\n sonic"
    )
    assert parse_ssdp(data).table()["X-USER-AGENT"] == "red sonic"


def test_headers_are_bounded() -> None:
    """Header count and value length are capped."""
    many = b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(HEADERS_MAX * 3))
    assert len(parse_ssdp(many).headers) == HEADERS_MAX
    long = b"HTTP/1.1 200 OK\r\nSERVER: " + b"v" * (HEADER_VALUE_MAX * 4) + b"\r\n"
    assert parse_ssdp(long).server == "v" * HEADER_VALUE_MAX


def test_truncated_answer_keeps_the_complete_lines() -> None:
    """A cut answer keeps the status line and the headers before the cut."""
    message = parse_ssdp(truncated(AXIS_SEARCH))
    assert message.start_line == "HTTP/1.1 200 OK"
    assert message.header("DATE") == "Sun, 02 Oct 2016 21:11:25 GMT"


@pytest.mark.parametrize(
    "data", [b"", b"hello", b"<xml/>", b"HTTP/1.1\r\n", b"\r\nHTTP/1.1 200 OK\r\n"]
)
def test_non_ssdp_is_an_error(data: bytes) -> None:
    """Anything whose first line is not HTTP-shaped is a DecodeError."""
    with pytest.raises(DecodeError, match="not an SSDP message"):
        parse_ssdp(data)
