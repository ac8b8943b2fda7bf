"""RTSP probe and scanner.parse.rtsp against loopback servers speaking real camera answers."""

from __future__ import annotations

import asyncio

import pytest

from scanner.errors import DecodeError
from scanner.model import Outcome
from scanner.parse.rtsp import parse_rtsp_head, sdp_text
from scanner.protocols.host import ProbeResult
from scanner.protocols.rtsp import RtspProbe

from .loopback import context, probe_once, read_head, serve

# s0274: a Dahua camera's answer, from nmap-service-probes @ db4aefddfa ("Dahua IP camera rtspd").
DAHUA_405 = (
    b"RTSP/1.0 405 Method Not Allowed\r\nServer: Dahua Rtsp Server\r\n"
    b"Content-Length: 0\r\nCSeq: 0\r\n\r\n"
)
# s0211: a Foscam C1's OPTIONS answer (luisiam/homebridge-foscamcamera#6), bare LF as quoted.
FOSCAM_OPTIONS = (
    b"RTSP/1.0 200 OK\nServer: Hisilicon Streaming Media Server/1.0.0(Jul 30 2015)\nCseq: 1\n"
    b"Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, SET_PARAMETER, GET_PARAMETER\n\n"
)
# s0212: a Hikvision DESCRIBE answer (mpromonet/webrtc-streamer#138). The corpus keeps the
# SDP up to the MEDIAINFO prefix, so Content-Length is that of the kept text, not 651.
HIK_SDP = (
    b"v=0\no=- 1534930022996637 1534930022996637 IN IP4 192.168.1.4\ns=Media Presentation\n"
    b"e=NONE\nb=AS:5050\nt=0 0\n"
    b"a=control:rtsp://admin:admin000@21m677n127.imwork.net:17970/h264/ch1/main/av_stream/\n"
    b"m=video 0 RTP/AVP 96\nc=IN IP4 0.0.0.0\nb=AS:5000\na=recvonly\n"
    b"a=x-dimensions:1280,720\n"
)
HIK_DESCRIBE = (
    b"RTSP/1.0 200 OK\nCSeq: 3\nContent-Type: application/sdp\n"
    b"Content-Base: rtsp://admin:admin000@21m677n127.imwork.net:17970/h264/ch1/main/av_stream/\n"
    + f"Content-Length: {len(HIK_SDP)}\n\n".encode()
    + HIK_SDP
)


async def _run(
    host: str, answers: dict[bytes, bytes], close_after: bool = False
) -> tuple[ProbeResult, list[bytes]]:
    """Serve ``answers`` (request method -> bytes) on host; return the result and requests."""
    requests: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            request = await read_head(reader)
            requests.append(request)
            writer.write(answers[request.split(b" ", 1)[0]])
            await writer.drain()
            if close_after:
                return

    served = await serve(host, handler)
    result = await RtspProbe().run(context(host), host, served.port)
    served.close()
    return result, requests


def test_dahua_answer() -> None:
    """Dahua's 405 answer gives rtsp.server; the probe sends OPTIONS then DESCRIBE on one link."""
    result, requests = asyncio.run(
        _run("127.77.2.1", {b"OPTIONS": DAHUA_405, b"DESCRIBE": DAHUA_405})
    )
    assert result.status.outcome is Outcome.OK
    assert [(o.field, o.value) for o in result.observations] == [
        ("rtsp.server", "Dahua Rtsp Server")
    ]
    assert requests[0].startswith(b"OPTIONS rtsp://127.77.2.1:")
    assert b"\r\nCSeq: 1\r\n" in requests[0] and b"User-Agent: camscan/" in requests[0]
    assert requests[1].startswith(b"DESCRIBE rtsp://127.77.2.1:")
    assert b"\r\nCSeq: 2\r\n" in requests[1] and b"Accept: application/sdp" in requests[1]


def test_sdp_recorded_and_reconnect() -> None:
    """A 200 DESCRIBE's SDP is rtsp.sdp; a device that hangs up after OPTIONS is re-dialled."""
    result, requests = asyncio.run(
        _run(
            "127.77.2.2",
            {b"OPTIONS": FOSCAM_OPTIONS, b"DESCRIBE": HIK_DESCRIBE},
            close_after=True,
        )
    )
    fields = {o.field: o.value for o in result.observations}
    assert fields["rtsp.server"] == "Hisilicon Streaming Media Server/1.0.0(Jul 30 2015)"
    assert fields["rtsp.sdp"] == HIK_SDP.decode()
    assert len(requests) == 2 and result.status.outcome is Outcome.OK


def test_describe_only_device() -> None:
    """A device that hangs up on OPTIONS but answers DESCRIBE: ok, and the hang-up is named."""

    async def main() -> tuple[ProbeResult, int]:
        connections = 0

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal connections
            connections += 1
            request = await read_head(reader)
            if request.startswith(b"DESCRIBE "):
                writer.write(HIK_DESCRIBE)
                await writer.drain()

        served = await serve("127.77.2.4", handler)
        result = await RtspProbe().run(context("127.77.2.4"), served.host, served.port)
        served.close()
        return result, connections

    result, connections = asyncio.run(main())
    assert result.status.outcome is Outcome.OK
    assert result.status.detail == "OPTIONS: connection closed without an answer"
    assert [o.field for o in result.observations] == ["rtsp.sdp"] and connections == 2


def test_not_rtsp() -> None:
    """An HTTP server on an RTSP port is reported as 'not RTSP'."""

    async def main() -> ProbeResult:
        async def http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await read_head(reader)
            writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
            await writer.drain()

        return await probe_once(RtspProbe(), "127.77.2.3", http)

    result = asyncio.run(main())
    assert (result.status.outcome, result.status.detail) == (Outcome.ERROR, "not RTSP")


def test_parse_rtsp() -> None:
    """parse_rtsp_head reads the Dahua answer; sdp_text refuses a body that is not SDP."""
    head = parse_rtsp_head(DAHUA_405)
    assert (head.protocol, head.status, head.get("server")) == ("RTSP", 405, "Dahua Rtsp Server")
    assert sdp_text(HIK_SDP).startswith("v=0\n")
    for bad in (b"<html>", b""):
        with pytest.raises(DecodeError):
            sdp_text(bad)
