"""RTSP probe: ``OPTIONS`` then ``DESCRIBE rtsp://host:port/`` (RFC 2326 §10.1, §10.2).

Cameras name their streaming server in ``Server`` (``Dahua Rtsp Server``), ask for a login
with a vendor realm in ``WWW-Authenticate``, and some describe their streams without one; the
SDP then carries vendor attributes. Both requests go over one connection when the device keeps
it open (RTSP is persistent by default), else a second connection is made for DESCRIBE.
In a capture (``STREAM``), every answer of a server stream is recorded the same way.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scanner import limits
from scanner.errors import DecodeError
from scanner.model import Outcome
from scanner.net.tcp import Connection, deadline_after
from scanner.parse.rtsp import sdp_text
from scanner.protocols import host as kit  # the probe kit every host probe uses
from scanner.protocols.field import FieldSpec
from scanner.protocols.spec import ProtocolSpec
from scanner.protocols.stream import ServerStream, StreamReading
from scanner.protocols.web import Response, connection_failure, read_answers, read_response

if TYPE_CHECKING:
    from scanner.passive.heard import Heard


def build_request(method: str, url: str, cseq: int) -> bytes:
    accept = "Accept: application/sdp\r\n" if method == "DESCRIBE" else ""
    return (
        f"{method} {url} RTSP/1.0\r\nCSeq: {cseq}\r\nUser-Agent: {kit.USER_AGENT}\r\n{accept}\r\n"
    ).encode("ascii")


async def _exchange(conn: Connection, ctx: kit.ProbeContext, request: bytes) -> Response:
    deadline = deadline_after(ctx.timeout)
    try:
        await conn.send(request, deadline)
        return await read_response(
            conn.reader, deadline, ctx.timeout, protocol="RTSP", body_to_eof=False
        )
    except TimeoutError:
        raise kit.ProbeFailed(Outcome.TIMEOUT, "request not accepted in time") from None
    except OSError as exc:
        raise kit.ProbeFailed(Outcome.ERROR, connection_failure(exc)) from None


def _worth_retrying(failed: kit.ProbeFailed) -> bool:
    """A hang-up is worth a fresh connection; silence, refusal or another protocol is not."""
    return failed.outcome is Outcome.ERROR and failed.detail != "not RTSP"


class _Session:
    """RTSP requests to one device: one connection reused while it lasts (RTSP is persistent
    by default), re-dialled once when a device hangs up after an earlier answer."""

    def __init__(self, ctx: kit.ProbeContext, host: str, port: int) -> None:
        self.ctx, self.host, self.port = ctx, host, port
        self.conn: Connection | None = None
        self.used = False  # the open connection already carried an answer

    async def ask(self, request: bytes) -> Response:
        reused = self.conn is not None and self.used
        try:
            return await self._ask_once(request)
        except kit.ProbeFailed as failed:
            if not (reused and _worth_retrying(failed)):
                raise
        return await self._ask_once(request)

    async def _ask_once(self, request: bytes) -> Response:
        if self.conn is None:
            self.conn, self.used = await kit.connect(self.ctx, self.host, self.port), False
        try:
            answer = await _exchange(self.conn, self.ctx, request)
        except kit.ProbeFailed:
            self.close()
            raise
        self.used = True
        return answer

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


@dataclass(frozen=True, slots=True)
class RtspProbe:
    """Emits ``rtsp.server``, ``rtsp.www_authenticate`` and ``rtsp.sdp``.

    The status is ok when either request got an RTSP answer; a failed one is named in the
    detail ("DESCRIBE: connection closed without an answer": some devices answer only one).
    """

    name: str = "rtsp"

    async def run(self, ctx: kit.ProbeContext, host: str, port: int) -> kit.ProbeResult:
        rec = kit.Recorder(host, port, self.name)
        url = f"rtsp://{host}:{port}/"
        answered: list[Response] = []
        failures: list[tuple[str, kit.ProbeFailed]] = []
        session = _Session(ctx, host, port)
        try:
            for method, cseq in (("OPTIONS", 1), ("DESCRIBE", 2)):
                try:
                    answer = await session.ask(build_request(method, url, cseq))
                except kit.ProbeFailed as failed:
                    failures.append((method, failed))
                    if _worth_retrying(failed):
                        continue  # a device that hangs up on OPTIONS may still DESCRIBE
                    break
                record_answer(rec, answer)
                answered.append(answer)
                if answer.outcome is not Outcome.OK:
                    break  # a cut or stalled answer: do not ask a stalling device again
        finally:
            session.close()
        return _status(rec, answered, failures)


def _status(
    rec: kit.Recorder, answered: list[Response], failures: list[tuple[str, kit.ProbeFailed]]
) -> kit.ProbeResult:
    if not answered:
        failed = failures[0][1]
        return rec.result(failed.outcome, failed.detail)
    last = answered[-1]
    notes = [last.detail] if last.detail else []
    notes += [f"{method}: {failed.detail or failed.outcome.value}" for method, failed in failures]
    return rec.result(last.outcome, "; ".join(notes))


def record_answer(rec: kit.Recorder, answer: Response) -> None:
    head = answer.head
    rec.add("rtsp.server", head.get("server"), limits.HEADER_VALUE_MAX)
    for challenge in head.get_all("www-authenticate"):
        rec.add("rtsp.www_authenticate", challenge, limits.HEADER_VALUE_MAX)
    if head.status == 200 and answer.body:  # sdp_text refuses a body that is not SDP
        with contextlib.suppress(DecodeError):  # not SDP after all: nothing to record
            rec.add("rtsp.sdp", sdp_text(answer.body))


#: The observation fields this protocol emits (gathered by scanner.protocols.registry).
FIELDS = tuple(
    FieldSpec(name) for name in ("rtsp.server", "rtsp.www_authenticate", "rtsp.sdp")
)


async def _read_stream(heard: Heard, stream: ServerStream) -> None:
    rec = kit.Recorder(stream.host, stream.port, "rtsp")
    answers = await read_answers(stream.data, "RTSP")
    for answer in answers:
        record_answer(rec, answer)
    if answers:
        heard.store(rec)


#: RTSP in a capture: a server stream that starts with an RTSP status line.
STREAM = StreamReading("rtsp", lambda stream: stream.data.startswith(b"RTSP/1."), _read_stream)


PROTOCOL = ProtocolSpec(
    "rtsp", "host", FIELDS, probes=(RtspProbe("rtsp"),), ports={"rtsp": (554, 8554)},
    streams=(STREAM,),
)
