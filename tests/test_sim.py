"""The simulated camera LAN (scanner.sim): persona data, servers, lab lifecycle, certificates.

Every exchange here is a real TCP (or TLS) conversation with the lab on 127.77.0.0/24.
"""

from __future__ import annotations

import asyncio
import importlib.util
import ipaddress
import os
import ssl
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from scanner.limits import HTTP_HEAD_MAX
from scanner.sim.lab import PORT_OFFSET, Lab, Persona, can_bind_low_ports, load_personas
from scanner.sim.personas import LAB_NETWORK, SERVICE_PORTS, Answer

ROOT = Path(__file__).resolve().parent.parent
PERSONAS = load_personas()
T = TypeVar("T")


def _tool() -> Any:
    """tools/make_sim_certs.py as a module (its DN parser is the one the certificates used)."""
    spec = importlib.util.spec_from_file_location("make_sim_certs", ROOT / "tools" /
                                                  "make_sim_certs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def in_lab(body: Callable[[Lab], Awaitable[T]], **kwargs: Any) -> T:
    """Run `body(lab)` with a lab up, on a fresh event loop."""

    async def main() -> T:
        async with Lab(**kwargs) as lab:
            return await body(lab)

    return asyncio.run(main())


async def exchange(host: str, port: int, data: bytes = b"", *, tls: bool = False,
                   limit: int = 256 * 1024) -> bytes:
    """Connect, send `data`, read until the lab closes (bounded in bytes and time)."""
    context = None
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port, ssl=context), 2)
    try:
        if data:
            writer.write(data)
            await writer.drain()
            if not tls:
                writer.write_eof()  # "that was all": a server waiting for more hangs up
        out = b""
        while len(out) < limit:
            chunk = await asyncio.wait_for(reader.read(65536), 3)
            if not chunk:
                break
            out += chunk
        return out
    finally:
        writer.close()


def split_answer(raw: bytes) -> tuple[str, list[tuple[str, str]], bytes]:
    """(status line, headers, body) of one HTTP/RTSP answer."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("utf-8").split("\r\n")
    headers = [(k, v.removeprefix(" ")) for k, _, v in (line.partition(":") for line in lines[1:])]
    return lines[0], headers, body


def assert_answer(raw: bytes, answer: Answer, version: str, cseq: str | None = None,
                  url: str = "") -> None:
    """`raw` is `answer` as captured: status, headers in order, body; CSeq echoed."""
    status, headers, body = split_answer(raw)
    assert status == f"{version} {answer.status} {answer.reason}"
    expected_body = answer.body.replace("{url}", url).encode()
    assert body == expected_body
    got = [(k, v) for k, v in headers if k.lower() not in ("cseq", "content-length")]
    want = [(k, v.replace("{url}", url)) for k, v in answer.headers
            if k.lower() not in ("cseq", "content-length")]
    assert got == want
    lengths = [v for k, v in headers if k.lower() == "content-length"]
    assert lengths in ([], [str(len(expected_body))])
    if cseq is not None:
        assert [v for k, v in headers if k.lower() == "cseq"] == [cseq]


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


def with_service(kind: str) -> list[Persona]:
    return [p for p in PERSONAS if kind in p.services().values()]


# -- data -----------------------------------------------------------------------------------


def test_personas_cover_the_required_makers() -> None:
    """The lab has every device kind the project promised, each with a truthful label."""
    labels = {(p.label.manufacturer, p.label.brand, p.label.device_type) for p in PERSONAS}
    for wanted in [("Hikvision", "Hikvision", "camera"), ("Hikvision", "Hikvision", "nvr"),
                   ("Hikvision", "ANNKE", "camera"), ("Dahua", "Dahua", "camera"),
                   ("Dahua", "Amcrest", "camera"), ("Dahua", "Lorex", "camera"),
                   ("Axis", "Axis", "camera"), ("Hanwha", "Hanwha", "camera"),
                   ("Uniview", "Uniview", "camera"), ("Reolink", "Reolink", "camera")]:
        assert wanted in labels
    others = [p for p in PERSONAS if p.label.is_camera is False]
    assert {"Brother", "HP", "Synology", "TP-Link"} <= {p.label.manufacturer for p in others}


def test_every_answer_cites_a_source_and_stays_in_the_lab_block() -> None:
    """No persona answer without a source; every address is on 127.77.0.0/24."""
    for persona in PERSONAS:
        assert ipaddress.IPv4Address(persona.address) in LAB_NETWORK
        assert persona.sources(), persona.name
        assert persona.services(), persona.name
        for answer in (persona.http, persona.tls, persona.ftp, persona.telnet,
                       *(a for _, a in persona.rtsp)):
            assert answer is None or all(s.strip() for s in answer.sources)
        if persona.tcp_ports:
            assert persona.tcp_sources, persona.name
        assert persona.identifiable_unicast or len(persona.reason) > 40, persona.name


@pytest.mark.parametrize(("snippet", "message"), [
    ('address = "127.0.0.5"', "outside the lab block"),
    ('address = "127.77.0.255"', "outside the lab block"),
    ('mac = "AA:BB:CC:DD:EE:FF"', "mac"),
    ('identifiable_unicast = false', "needs a reason"),
])
def test_loader_rejects_bad_persona_data(snippet: str, message: str) -> None:
    """Malformed persona data is refused with a message naming the problem."""
    key = snippet.split(" = ")[0]
    base = {"address": 'address = "127.77.0.9"', "mac": "", "identifiable_unicast":
            "identifiable_unicast = true"}
    base[key] = snippet
    text = "\n".join(["[[persona]]", 'name = "x"', *base.values(),
                      'label = { manufacturer = "X" }', "[persona.tcp]", "ports = [1]",
                      'source = ["s"]'])
    with pytest.raises(ValueError, match=message):
        load_personas(text)


def test_loader_rejects_answers_without_source_and_duplicates() -> None:
    """An answer without a source, or two personas on one address, is refused."""
    one = ('[[persona]]\nname = "{n}"\naddress = "127.77.0.9"\nidentifiable_unicast = true\n'
           'label = {{}}\n[persona.http]\nstatus = 200\nreason = "OK"\n{src}\n')
    with pytest.raises(ValueError, match="source"):
        load_personas(one.format(n="a", src=""))
    good = one.format(n="a", src='source = ["s"]')
    with pytest.raises(ValueError, match="used twice"):
        load_personas(good + one.format(n="b", src='source = ["s"]'))


# -- lifecycle ------------------------------------------------------------------------------


def test_lab_starts_and_stops_twice_without_leaking_sockets() -> None:
    """Two lab runs in a row bind the same ports, and each leaves no socket or task behind."""

    async def main() -> None:
        await asyncio.sleep(0)
        before = fd_count()
        for _ in range(2):
            async with Lab() as lab:
                assert fd_count() > before
                # a client that never sends its request must not keep the lab alive
                reader, stalled = await asyncio.open_connection(lab.addresses[0],
                                                                lab.port_map[80])
                await asyncio.sleep(0.05)
            assert len(asyncio.all_tasks()) == 1  # no handler left running
            assert await asyncio.wait_for(reader.read(), 1) == b""  # the lab hung up
            stalled.close()
            await asyncio.sleep(0.05)
            assert fd_count() == before

    asyncio.run(main())


def test_services_and_port_map_describe_what_is_served() -> None:
    """port_map/services list exactly the ports served, with the probe to run on each."""

    async def body(lab: Lab) -> None:
        assert lab.addresses == tuple(p.address for p in PERSONAS)
        assert set(lab.services) == set(lab.port_map.values())
        for port, kind in SERVICE_PORTS.items():
            assert lab.services[lab.port_map[kind]] == [port]
        for port in (8000, 37777, 34567, 9000, 35000):
            assert lab.services[lab.port_map[port]] == ["tcp"]

    in_lab(body)


def test_fallback_serves_every_port_at_plus_10000() -> None:
    """Forced off low ports, each service moves to port+10000 and answers there only."""

    async def body(lab: Lab) -> None:
        assert not lab.low_ports
        assert lab.port_map == {p: p + PORT_OFFSET for p in lab.port_map}
        assert lab.port_map[8000] == 18000 and lab.port_map[37777] == 47777
        hik = lab.persona("hikvision-ipc")
        assert hik.http is not None
        raw = await exchange(hik.address, 10080, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert_answer(raw, hik.http, "HTTP/1.1")
        with pytest.raises(OSError):
            await exchange(hik.address, 80, b"GET / HTTP/1.0\r\n\r\n")

    in_lab(body, low_ports=False)


def test_can_bind_low_ports_matches_a_real_bind() -> None:
    """can_bind_low_ports() agrees with the platform (root here, so normally True)."""
    assert can_bind_low_ports() == (os.geteuid() == 0 or _unprivileged_start() <= 21)


def _unprivileged_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_unprivileged_port_start").read_text())
    except OSError:
        return 1024


# -- answers --------------------------------------------------------------------------------


def test_http_personas_answer_get_root_as_captured() -> None:
    """GET / returns each persona's captured answer; other paths and /favicon.ico are 404."""

    async def body(lab: Lab) -> None:
        port = lab.port_map[80]
        for persona in with_service("http"):
            assert persona.http is not None
            raw = await exchange(persona.address, port, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            assert_answer(raw, persona.http, "HTTP/1.1")
            head = await exchange(persona.address, port, b"HEAD / HTTP/1.1\r\n\r\n")
            assert head == raw[: raw.index(b"\r\n\r\n") + 4]
            for path in (b"/favicon.ico", b"/ISAPI/System/deviceInfo"):
                raw = await exchange(persona.address, port, b"GET " + path + b" HTTP/1.1\r\n\r\n")
                assert raw.startswith(b"HTTP/1.1 404 ")

    in_lab(body)


def test_rtsp_personas_answer_each_method_with_cseq_echo() -> None:
    """Each captured RTSP answer comes back on one connection, CSeq echoed, {url} filled."""

    async def body(lab: Lab) -> None:
        port = lab.port_map[554]
        for persona in with_service("rtsp"):
            url = f"rtsp://{persona.address}:{port}/stream"
            methods = [m for m, _ in persona.rtsp if m != "*"] or ["OPTIONS", "DESCRIBE"]
            request = b"".join(f"{m} {url} RTSP/1.0\r\nCSeq: {40 + i}\r\n\r\n".encode()
                               for i, m in enumerate(methods))
            raw = await exchange(persona.address, port, request)
            for i, method in enumerate(methods):
                answer = persona.rtsp_answer(method)
                assert answer is not None
                length = _answer_length(raw)
                assert_answer(raw[:length], answer, "RTSP/1.0", str(40 + i), url)
                raw = raw[length:]
            assert raw == b""

    in_lab(body)


def _answer_length(raw: bytes) -> int:
    head_end = raw.index(b"\r\n\r\n") + 4
    _, headers, _ = split_answer(raw[:head_end])
    lengths = [int(v) for k, v in headers if k.lower() == "content-length"]
    return head_end + (lengths[0] if lengths else 0)


def test_rtsp_method_without_a_capture_gets_the_connection_closed() -> None:
    """A method the device's capture does not cover is not answered (nothing invented)."""

    async def body(lab: Lab) -> None:
        hanwha = lab.persona("hanwha-ipc")
        assert hanwha.rtsp_answer("OPTIONS") is None
        raw = await exchange(hanwha.address, lab.port_map[554],
                             b"OPTIONS rtsp://x/ RTSP/1.0\r\nCSeq: 1\r\n\r\n")
        assert raw == b""

    in_lab(body)


def test_banner_services_send_the_captured_greeting() -> None:
    """FTP and telnet personas send their greeting unasked, then hang up."""

    async def body(lab: Lab) -> None:
        for kind in ("ftp", "telnet"):
            for persona in with_service(kind):
                banner = persona.ftp if kind == "ftp" else persona.telnet
                assert banner is not None
                greeting = banner.text.encode()
                raw = await exchange(persona.address, lab.port_map[SERVICE_PORTS[kind]],
                                     limit=len(greeting))
                assert raw == greeting

    in_lab(body)


def test_tcp_ports_accept_and_close() -> None:
    """Proprietary ports are open (connect succeeds) and silent."""

    async def body(lab: Lab) -> None:
        for persona in PERSONAS:
            for port in persona.tcp_ports:
                assert await exchange(persona.address, lab.port_map[port]) == b""

    in_lab(body)


def test_tls_certificates_present_the_captured_subject_and_issuer() -> None:
    """Each TLS persona's certificate carries the real subject/issuer; HTTPS answers too."""
    pytest.importorskip("cryptography")
    from cryptography import x509

    parse_dn = _tool().dn_from_rfc4514

    async def body(lab: Lab) -> None:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        for persona in with_service("https"):
            assert persona.tls is not None
            _, writer = await asyncio.open_connection(persona.address, lab.port_map[443],
                                                      ssl=context)
            der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
            writer.close()
            cert = x509.load_der_x509_certificate(der)
            assert cert.subject == parse_dn(persona.tls.subject), persona.name
            assert cert.issuer == parse_dn(persona.tls.issuer), persona.name
            if persona.http is not None:
                raw = await exchange(persona.address, lab.port_map[443],
                                     b"GET / HTTP/1.1\r\n\r\n", tls=True)
                assert_answer(raw, persona.http, "HTTP/1.1")

    in_lab(body)


def test_rfc4514_hex_values_keep_their_der_string_type() -> None:
    """The TP-Link emailAddress `#0c16...` becomes a UTF8String attribute, as captured."""
    pytest.importorskip("cryptography")
    from cryptography.x509.name import _ASN1Type

    router = next(p for p in PERSONAS if p.name == "tplink-router")
    assert router.tls is not None
    name = _tool().dn_from_rfc4514(router.tls.subject)
    email = [a for a in name if a.oid.dotted_string == "1.2.840.113549.1.9.1"]
    assert [(a.value, a._type) for a in email] == [("service@tp-link.com.cn",
                                                    _ASN1Type.UTF8String)]
    assert name.rdns[-1].rfc4514_string() == "CN=TP-LINK CA"


# -- hostile clients ------------------------------------------------------------------------


def test_misbehaving_clients_do_not_disturb_the_lab() -> None:
    """Half requests, garbage, oversized heads and plaintext on TLS end only their own link."""

    async def body(lab: Lab) -> None:
        hik = lab.persona("hikvision-ipc")
        http, rtsp, tls = lab.port_map[80], lab.port_map[554], lab.port_map[443]
        for port, data in [(http, b"GET / HT"), (rtsp, b"DESCRIBE rtsp://x/ RTSP/1.0\r\nCSe")]:
            _, writer = await asyncio.open_connection(hik.address, port)
            writer.write(data)
            await writer.drain()
            writer.close()  # leaves mid-request
        assert await exchange(hik.address, http, b"\x00\xff garbage\r\n\r\n") == b""
        assert await exchange(hik.address, http, b"A" * (HTTP_HEAD_MAX + 10)) == b""
        huge_body = (b"SET_PARAMETER rtsp://x/ RTSP/1.0\r\nCSeq: 1\r\n"
                     b"Content-Length: 99999999\r\n\r\n")
        assert await exchange(hik.address, rtsp, huge_body) == b""
        nvr = lab.persona("hikvision-nvr")
        assert await exchange(nvr.address, tls, b"GET / HTTP/1.0\r\n\r\n") == b""
        assert hik.http is not None
        raw = await exchange(hik.address, http, b"GET / HTTP/1.1\r\n\r\n")
        assert_answer(raw, hik.http, "HTTP/1.1")

    in_lab(body)


def test_lab_is_loopback_only() -> None:
    """Every listening socket the lab opens is bound to a 127.77.0.0/24 address."""

    async def body(lab: Lab) -> None:
        for server in lab._servers:
            for sock in server.sockets:
                address = ipaddress.IPv4Address(sock.getsockname()[0])
                assert address in LAB_NETWORK and address.is_loopback

    in_lab(body)


if sys.platform != "linux":  # pragma: no cover - /proc and 127/8 routing are Linux facts
    pytest.skip("the lab needs Linux loopback", allow_module_level=True)
