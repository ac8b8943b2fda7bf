"""HTTP probe and scanner.parse.message / parse.html against loopback servers and hostile input.

Header values, titles and bodies served here are real device answers, each with its public
source next to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import time
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanner import limits
from scanner.errors import DecodeError
from scanner.model import Outcome
from scanner.parse.html import decode_text, extract_title
from scanner.parse.message import (
    ChunkedDecoder,
    decode_content,
    find_head_end,
    parse_head,
)
from scanner.parse.text import TRUNCATED_MARK
from scanner.protocols.host import ProbeResult
from scanner.protocols.http import HttpProbe

from .loopback import Handler, context, probe_once, read_head, serve

# rapid7/recog xml/http_servers.xml @ 14fa1a7211 (Hikvision DVR), rapid7/recog
# xml/http_wwwauth.xml @ 14fa1a7211 (realm "hikvision"), and the 401 page a Hikvision
# DS-2DF7286-A sent (https://github.com/evercam/evercam-server/issues/10).
HIK_SERVER = "DVRDVS-Webs"
HIK_REALM = 'Basic realm="hikvision"'
HIK_401_BODY = (
    b"<!DOCTYPE html>\r\n<html><head><title>Document Error: Unauthorized</title></head>\r\n"
    b"<body><h2>Access Error: 401 -- Unauthorized</h2>\r\n"
    b"<p>Authentication Error: Access Denied! Authorization required.</p>\r\n"
    b"</body>\r\n</html>\r\n"
)
ICON = bytes(range(256)) * 4


def _fields(result: ProbeResult) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for item in result.observations:
        found.setdefault(item.field, []).append(item.value)
    return found


def _hikvision(requests: list[bytes]) -> Handler:
    """A Hikvision-like web server: 401 page on /, an icon on /favicon.ico."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await read_head(reader)
        requests.append(request)
        if request.startswith(b"GET /favicon.ico "):
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: image/x-icon\r\n"
                + f"Content-Length: {len(ICON)}\r\n\r\n".encode()
                + ICON
            )
        else:
            writer.write(
                f"HTTP/1.1 401 Unauthorized\r\nServer: {HIK_SERVER}\r\n"
                f"WWW-Authenticate: {HIK_REALM}\r\nContent-Type: text/html\r\n"
                f"Content-Length: {len(HIK_401_BODY)}\r\n\r\n".encode()
                + HIK_401_BODY
            )
        await writer.drain()

    return handler


def test_http_probe_records_server_auth_title_body_favicon() -> None:
    """A camera's 401 page gives server, realm, title, body and the favicon's md5."""

    async def main() -> tuple[ProbeResult, list[bytes]]:
        requests: list[bytes] = []
        served = await serve("127.77.1.1", _hikvision(requests))
        result = await HttpProbe().run(context("127.77.1.1"), "127.77.1.1", served.port)
        served.close()
        return result, requests

    result, requests = asyncio.run(main())
    assert result.status.outcome is Outcome.OK, result.status
    fields = _fields(result)
    assert fields["http.server"] == [HIK_SERVER]
    assert fields["http.www_authenticate"] == [HIK_REALM]
    assert fields["http.title"] == ["Document Error: Unauthorized"]
    assert fields["http.body"] == [HIK_401_BODY.decode()]
    assert fields["http.favicon_md5"] == [hashlib.md5(ICON).hexdigest()]
    assert all(o.port and o.probe == "http" and o.host == "127.77.1.1" for o in result.observations)
    first = requests[0].decode()
    assert first.startswith("GET / HTTP/1.1\r\n")
    assert "\r\nHost: 127.77.1.1:" in first  # not port 80, so the port is named
    assert "User-Agent: camscan/" in first and "Connection: close" in first
    assert "accept-encoding" not in first.lower()


def test_redirect_off_scope_recorded_never_followed() -> None:
    """A 302 to another address is kept as http.location; that address gets no connection."""

    async def main() -> tuple[ProbeResult, list[str]]:
        async def idle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read()

        elsewhere = await serve("127.77.1.3", idle)
        location = f"http://127.77.1.3:{elsewhere.port}/doc/page/login.asp"

        async def redirect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await read_head(reader)
            writer.write(
                f"HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n".encode()
            )
            await writer.drain()

        served = await serve("127.77.1.2", redirect)
        result = await HttpProbe().run(context("127.77.1.2"), "127.77.1.2", served.port)
        await asyncio.sleep(0.05)
        served.close()
        elsewhere.close()
        return result, elsewhere.peers

    result, peers = asyncio.run(main())
    assert _fields(result)["http.location"][0].startswith("http://127.77.1.3:")
    assert peers == []


def _trickle(head: str, byte: bytes) -> Handler:
    """A server that answers `head`, then one `byte` every 50 ms for ever."""

    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        writer.write(head.encode())
        while True:
            writer.write(byte)
            await writer.drain()
            await asyncio.sleep(0.05)

    return slow


def test_slowloris_body_cut_at_deadline() -> None:
    """A server trickling its body a byte at a time is cut at the 0.4 s exchange deadline."""
    slow = _trickle(f"HTTP/1.1 200 OK\r\nServer: {HIK_SERVER}\r\n\r\n", b"<")

    async def main() -> tuple[ProbeResult, float, int]:
        served = await serve("127.77.1.4", slow)
        started = time.monotonic()
        result = await HttpProbe().run(context("127.77.1.4", timeout=0.4), served.host, served.port)
        elapsed = time.monotonic() - started
        served.close()
        return result, elapsed, len(served.peers)

    result, elapsed, connections = asyncio.run(main())
    assert result.status.outcome is Outcome.TIMEOUT
    assert result.status.detail == "deadline 0.4 s reached"
    assert _fields(result)["http.server"] == [HIK_SERVER]
    assert connections == 1  # no favicon request to a stalling server
    assert elapsed < 3  # one deadline, not the trickle's pace (a margin for a loaded machine)


def test_slowloris_head_keeps_complete_lines() -> None:
    """A head that never ends times out, but the header lines already sent are recorded."""
    slow = _trickle(f"HTTP/1.0 200 OK\r\nServer: {HIK_SERVER}\r\n", b"X")
    result = asyncio.run(probe_once(HttpProbe(), "127.77.1.5", slow, timeout=0.3))
    assert result.status.outcome is Outcome.TIMEOUT
    assert _fields(result)["http.server"] == [HIK_SERVER]


def test_endless_body_cut_at_cap() -> None:
    """A body without end is read to HTTP_BODY_MAX and reported as truncated, quickly."""

    async def main() -> tuple[ProbeResult, float]:
        async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await read_head(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html>")
            while True:
                writer.write(b"A" * 8192)
                await writer.drain()

        served = await serve("127.77.1.6", endless)
        started = time.monotonic()
        result = await HttpProbe().run(context("127.77.1.6", timeout=30), served.host, served.port)
        elapsed = time.monotonic() - started
        served.close()
        return result, elapsed

    result, elapsed = asyncio.run(main())
    assert result.status.outcome is Outcome.OK
    assert result.status.detail == "answer truncated at 64 KiB"
    body = _fields(result)["http.body"][0]
    assert body.startswith("<html>AAA") and len(body) == 2048
    assert elapsed < 15  # at the cap, long before the 30 s deadline


def test_gzip_bomb_capped() -> None:
    """An unasked-for gzip body of 50 MB of zeros inflates to DECOMPRESSED_MAX at most."""
    bomb = gzip.compress(b"<title>bomb</title>" + b"\0" * 50_000_000, compresslevel=9)
    assert len(bomb) < limits.HTTP_BODY_MAX

    async def main() -> ProbeResult:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await read_head(reader)
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
                + f"Content-Length: {len(bomb)}\r\n\r\n".encode()
                + bomb
            )
            await writer.drain()

        return await probe_once(HttpProbe(), "127.77.1.7", handler)

    result = asyncio.run(main())
    assert result.status.detail == "inflated body truncated at 256 KiB"
    assert _fields(result)["http.title"] == ["bomb"]
    data, cut = decode_content(bomb, "gzip", limits.DECOMPRESSED_MAX)
    assert cut and len(data) == limits.DECOMPRESSED_MAX


def test_chunked_answer_decoded() -> None:
    """A chunked body is reassembled before the title is looked for."""

    async def main() -> ProbeResult:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await read_head(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            for part in (b"<html><head><ti", b"tle>NETSurveillance", b" WEB</title>"):
                writer.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                await writer.drain()
                await asyncio.sleep(0.01)
            writer.write(b"0\r\n\r\n")
            await writer.drain()
            await reader.read()  # keep the connection open: the terminator must end the read

        return await probe_once(HttpProbe(), "127.77.1.8", handler, timeout=20)

    started = time.monotonic()
    result = asyncio.run(main())
    # the title as rapid7/recog xml/html_title.xml @ 14fa1a7211 records it
    assert _fields(result)["http.title"] == ["NETSurveillance WEB"]
    assert result.status.outcome is Outcome.OK
    assert time.monotonic() - started < 10  # the terminator ended it, not the 20 s deadline


def test_not_http_and_silence() -> None:
    """Binary on an HTTP port is 'not HTTP' at once; a silent port times out with a reason."""
    # The greeting nmap's "ipcam" match expects on Hikvision's SDK port 8000 (nmap-service-probes).
    sdk = b"\0\0\0\x10\0\0\0\x1e\0\0\0\x1e\0\0\0\0"

    async def main() -> tuple[ProbeResult, ProbeResult, float]:
        async def binary(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await read_head(reader)
            writer.write(sdk)
            await writer.drain()
            await reader.read()

        async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read()

        one = await serve("127.77.1.9", binary)
        two = await serve("127.77.1.10", silent)
        started = time.monotonic()
        not_http = await HttpProbe().run(context("127.77.1.9", timeout=20), one.host, one.port)
        fast = time.monotonic() - started
        quiet = await HttpProbe().run(context("127.77.1.10", timeout=0.3), two.host, two.port)
        one.close()
        two.close()
        return not_http, quiet, fast

    not_http, quiet, fast = asyncio.run(main())
    assert (not_http.status.outcome, not_http.status.detail) == (Outcome.ERROR, "not HTTP")
    assert fast < 10  # at once, not at the 20 s deadline
    assert (quiet.status.outcome, quiet.status.detail) == (
        Outcome.TIMEOUT,
        "no answer within 0.3 s",
    )


def test_accept_then_hang_up() -> None:
    """A port that accepts and closes at once is an error naming the hang-up, not a crash."""

    async def main() -> ProbeResult:
        async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            return  # the helper closes the socket

        return await probe_once(HttpProbe(), "127.77.1.12", hang_up)

    result = asyncio.run(main())
    assert result.status.outcome is Outcome.ERROR
    assert result.status.detail in (
        "connection closed without an answer",
        "connection reset without an answer",
    )


def test_refused_port() -> None:
    """A closed port is REFUSED, with no observation."""

    async def main() -> ProbeResult:
        async def idle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read()

        served = await serve("127.77.1.11", idle)
        port = served.port
        served.close()
        await served.server.wait_closed()
        return await HttpProbe().run(context("127.77.1.11"), "127.77.1.11", port)

    result = asyncio.run(main())
    assert result.status.outcome is Outcome.REFUSED and result.observations == ()


# -- parse.message / parse.html ----------------------------------------------------------------


def test_parse_head_forms() -> None:
    """Bare-LF heads, folded and repeated headers, odd lines and long values are handled."""
    raw = (
        b"HTTP/1.0 401 Unauthorized\n"
        b"Server: DVRDVS-Webs\n"
        b"junk line without colon\n"
        b'WWW-Authenticate: Digest realm="Login to ND011811000000",\n'
        b' nonce="ec3682ef24b2cd9cedefe5cc26110000"\n'
        b'WWW-Authenticate: Basic realm="hikvision"\n'
        b"X-Long: " + b"a" * 5000 + b"\n\n"
    )
    head = parse_head(raw)
    assert (head.version, head.status, head.reason) == ("1.0", 401, "Unauthorized")
    assert head.get("server") == "DVRDVS-Webs"
    assert head.get_all("www-authenticate") == (
        'Digest realm="Login to ND011811000000", nonce="ec3682ef24b2cd9cedefe5cc26110000"',
        'Basic realm="hikvision"',
    )
    long_value = head.get("x-long") or ""
    assert long_value.endswith(TRUNCATED_MARK)
    assert len(long_value) == limits.HEADER_VALUE_MAX + len(TRUNCATED_MARK)
    assert find_head_end(raw) == len(raw)
    with pytest.raises(DecodeError):
        parse_head(b"RTSP/1.0 200 OK\r\n\r\n")


def test_chunked_decoder_bounds() -> None:
    """Byte-at-a-time feeding works; bad sizes and endless size lines are DecodeError."""
    decoder = ChunkedDecoder()
    stream = b"4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nTrailer: x\r\n\r\n"
    out = b"".join(decoder.feed(stream[i : i + 1]) for i in range(len(stream)))
    assert out == b"Wikipedia" and decoder.done
    for bad in (b"-1\r\n", b"0x10\r\n", b"zz\r\n", b"4\r\nWikiXX\r\n"):
        with pytest.raises(DecodeError):
            ChunkedDecoder().feed(bad)
    with pytest.raises(DecodeError):
        ChunkedDecoder().feed(b"1" * 5000)


def test_decode_content_variants() -> None:
    """gzip, zlib deflate and raw deflate inflate; garbage is DecodeError; unknown passes."""
    page = b"<title>x</title>"
    raw_deflate = zlib.compressobj(wbits=-15)
    raw = raw_deflate.compress(page) + raw_deflate.flush()
    assert decode_content(gzip.compress(page), "gzip", 1000) == (page, False)
    assert decode_content(zlib.compress(page), "deflate", 1000) == (page, False)
    assert decode_content(raw, "Deflate", 1000) == (page, False)
    assert decode_content(page, "br", 1000) == (page, False)
    with pytest.raises(DecodeError):
        decode_content(b"not gzip", "gzip", 1000)


def test_title_extraction() -> None:
    """Entities decoded, whitespace folded, unclosed titles ended, <titlebar> ignored, capped."""
    # rapid7/recog xml/html_title.xml @ 14fa1a7211 (Synology Router, HP LaserJet) as the devices
    # sent them, entities and all.
    assert extract_title("<TITLE>Synology&nbsp;Router&nbsp;-&nbsp;synology</TITLE>") == (
        "Synology Router - synology"
    )
    printer = extract_title("<title>\n HP LaserJet M1536dnf MFP&nbsp;&nbsp;&nbsp;1.1.1.1 </title>")
    assert printer == "HP LaserJet M1536dnf MFP 1.1.1.1"
    cisco = extract_title("<titlebar>no</titlebar><title lang=en>Cisco IP Camera")
    assert cisco == "Cisco IP Camera"
    assert extract_title("<title>a < b</title>") == "a < b"
    assert extract_title("<title></title>") is None
    assert extract_title("no title here") is None
    long_title = extract_title("<title>" + "x" * 10_000)
    assert long_title is not None and long_title.endswith(TRUNCATED_MARK)


def test_decode_text_charsets() -> None:
    """Header charset, then <meta charset>, then UTF-8, then ISO-8859-1."""
    gbk = "<title>网络摄像机</title>".encode("gb2312")
    assert "网络摄像机" in decode_text(gbk, "text/html; charset=GB2312")
    assert "网络摄像机" in decode_text(b'<meta charset="gb2312">' + gbk)
    assert decode_text("é".encode()) == "é"
    assert decode_text(b"\xe9") == "é"
    assert decode_text(b"\xe9", "text/html; charset=bogus") == "é"


@given(st.binary(max_size=300))
def test_parsers_are_total(data: bytes) -> None:
    """Random bytes give a record or DecodeError from every HTTP parser, nothing else."""
    for call in (
        lambda: parse_head(data),
        lambda: ChunkedDecoder().feed(data),
        lambda: decode_content(data, "gzip", 1000),
        lambda: decode_content(data, "deflate", 1000),
    ):
        with contextlib.suppress(DecodeError):
            call()
    assert isinstance(decode_text(data), str)
    title = extract_title(data.decode("latin-1"))
    assert title is None or isinstance(title, str)


NOT_CHARSETS = ("rot13", "base64", "hex", "zlib", "idna", "undefined", "bz2", "uu", "quopri",
                "punycode", "unicode_escape", "utf-7", "utf-16", "cp037")


@pytest.mark.parametrize("label", NOT_CHARSETS)
def test_device_charset_must_be_a_text_codec(label: str) -> None:
    """A charset that is no ASCII-compatible text codec (issue 12, item 1) is ignored: the
    page is read as if none was named, from the header and from a <meta>."""
    page = b"<html><head><title>IPCamera</title></head></html>"
    assert extract_title(decode_text(page, f"text/html; charset={label}")) == "IPCamera"
    meta = f'<meta charset="{label}">'.encode() + page
    assert extract_title(decode_text(meta, "text/html")) == "IPCamera"


def test_http_probe_reads_a_page_with_a_hostile_charset() -> None:
    """charset=rot13 in the answer: the probe is ok and finds the title (it used to raise
    and end the whole scan with an internal error)."""
    body = b'<html><head><meta charset="base64"><title>NVR</title></head></html>'

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=rot13\r\n"
                     + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        await writer.drain()

    async def main() -> ProbeResult:
        served = await serve("127.77.1.13", handler)
        try:
            return await HttpProbe().run(context("127.77.1.13"), "127.77.1.13", served.port)
        finally:
            served.close()

    result = asyncio.run(main())
    assert result.status.outcome is Outcome.OK, result.status
    assert _fields(result)["http.title"] == ["NVR"]
