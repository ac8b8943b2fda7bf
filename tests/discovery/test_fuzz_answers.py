"""Property tests: whatever a device sends, discovery's readers raise only DecodeError.

Each reader turns one datagram (or one HTTP answer, or one URL a device handed out) into
observations. Inputs are arbitrary bytes and real answers (the discovery personas' captures,
built by the responders exactly as they are served) with bytes overwritten, inserted or cut.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.errors import DecodeError
from scanner.model import Outcome
from scanner.protocols import dhip, onvif, sadp, ssdp, ubnt, wsd, xm
from scanner.protocols.lan import Findings, http_target
from scanner.protocols.mdns import txt_text
from scanner.protocols.udp import Datagram
from scanner.protocols.web import build_request
from scanner.sim.responders import BUILDERS, load_discovery_personas
from tests.parse.structured_captures import mutations

HOST = "127.0.1.9"
TOKEN = str(uuid.UUID(int=7)).upper()
_BY_NAME = {p.name: p for p in load_discovery_personas()}
_REQUESTS = {
    "sadp": sadp.inquiry(TOKEN),
    "dhip": dhip.search_request(),
    "ubnt": ubnt.REQUEST,
    "xm": xm.search_request(),
    "ssdp": ssdp.search("ssdp:all", 1),
    "wsd": wsd.probe_message(f"urn:uuid:{uuid.UUID(int=9)}", *wsd.TYPES[0]),
}


def real_answers(protocol: str) -> list[bytes]:
    """Every discovery persona's answer for `protocol`, as the responder serves it."""
    answers = []
    for persona in _BY_NAME.values():
        if protocol in persona.answers:
            built = BUILDERS[protocol](persona.answers[protocol], HOST, _REQUESTS[protocol])
            if built:
                answers.append(built)
    return answers


def datagrams(protocol: str) -> st.SearchStrategy[bytes]:
    return st.one_of(st.binary(max_size=2048), mutations(*real_answers(protocol)))


def total(read: Callable[[Datagram, Findings], bool], data: bytes) -> None:
    """`read` returns a bool or raises DecodeError; what it records is bounded text."""
    findings = Findings("fuzz")
    with contextlib.suppress(DecodeError):
        assert isinstance(read(Datagram(HOST, 1, data), findings), bool)
    assert all(isinstance(o.value, str) for o in findings.observations)


@settings(max_examples=150, deadline=None)
@given(datagrams("sadp"))
def test_sadp_answers(data: bytes) -> None:
    """SADP: our answer, not ours, or DecodeError."""
    total(lambda d, f: sadp.read_answer(TOKEN, d, f), data)


@settings(max_examples=150, deadline=None)
@given(datagrams("dhip"))
def test_dhip_answers(data: bytes) -> None:
    """DHIP: a notifyDevInfo, another prober's search, or DecodeError; json_body likewise."""
    total(dhip.read_answer, data)
    with contextlib.suppress(DecodeError):
        assert isinstance(dhip.json_body(data), str)


@settings(max_examples=150, deadline=None)
@given(datagrams("ubnt"))
def test_ubnt_answers(data: bytes) -> None:
    """Ubiquiti TLVs: a reply whose text is key=value lines, or DecodeError."""
    total(ubnt.read_answer, data)
    with contextlib.suppress(DecodeError):
        reply = ubnt.parse_ubnt(data)
        assert all("=" in line for line in reply.text().splitlines())


@settings(max_examples=150, deadline=None)
@given(datagrams("xm"))
def test_xm_answers(data: bytes) -> None:
    """Xiongmai: a search answer, another prober's search, or DecodeError."""
    total(xm.read_answer, data)


@settings(max_examples=150, deadline=None)
@given(datagrams("wsd"))
def test_wsd_answers(data: bytes) -> None:
    """WS-Discovery: a ProbeMatch (its XAddrs noted), not ours, or DecodeError."""
    ours = {str(uuid.UUID(int=9))}
    xaddrs: dict[str, list[str]] = {}
    total(lambda d, f: wsd.read_answer(ours, xaddrs, set(), d, f), data)
    assert all(isinstance(x, str) for urls in xaddrs.values() for x in urls)


@settings(max_examples=150, deadline=None)
@given(datagrams("ssdp"))
def test_ssdp_answers(data: bytes) -> None:
    """SSDP: an answer (its LOCATION noted), a request, or DecodeError."""
    locations: dict[str, list[str]] = {}
    total(lambda d, f: ssdp.read_answer(locations, {}, d, f), data)


_URL_PARTS = st.sampled_from(["http://", "HTTP://", "https://", "//", ""])
_HOSTS = st.sampled_from(["127.0.1.9", "127.0.1.9:8080", "[::1]", "127.0.1.9:99999", "x", ""])


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), st.tuples(_URL_PARTS, _HOSTS, st.text(max_size=80))))
def test_urls_from_devices_give_an_ascii_request_or_none(url: str | tuple[str, str, str]) -> None:
    """A LOCATION or XAddr is None or (IPv4, port, path) whose request line is plain ASCII
    (a non-ASCII path once made the whole SSDP probe fail with UnicodeEncodeError)."""
    text = url if isinstance(url, str) else "".join(url)
    target = http_target(text)
    if target is None:
        return
    host, port, path = target
    assert 0 < port < 65536 and path.startswith("/")
    assert path.isascii() and not any(c.isspace() or ord(c) < 32 for c in path)
    assert build_request(host, port, path, 80).count(b"\r\n") == 6


@settings(max_examples=150, deadline=None)
@given(st.integers(100, 599), st.one_of(st.text(max_size=600), st.binary(max_size=600)))
def test_onvif_answers_are_classified(status: int, body: str | bytes) -> None:
    """Any HTTP status and body of an ONVIF call becomes a Reply, never an exception."""
    text = body if isinstance(body, str) else body.decode("utf-8", "replace")
    for call in onvif.CALLS:
        reply = onvif.classify(status, text, call)
        assert isinstance(reply.outcome, Outcome) and isinstance(reply.detail, str)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.binary(max_size=40), st.one_of(st.none(), st.binary(max_size=80))))
def test_mdns_txt_properties_become_text(properties: dict[bytes, bytes | None]) -> None:
    """python-zeroconf's TXT mapping (any bytes) renders as one line of text."""
    text = txt_text(properties)
    assert isinstance(text, str) and "\n" not in text
