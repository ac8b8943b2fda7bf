"""HTTP probe: ``GET /`` and ``GET /favicon.ico`` with our own minimal HTTP/1.1 client.

Not ``requests``: it cannot bound the *total* time of an exchange, and a slowloris device
keeps a per-read timeout alive forever. Here each exchange has one deadline, the head and
body have byte caps, a gzip body inflates to at most ``DECOMPRESSED_MAX``, and no redirect is
ever followed (``Location`` is recorded as ``http.location``, nothing more). ``https`` is the
same over TLS, and records the certificate (``tls.subject``, ``tls.issuer``) of its first
handshake, so an HTTPS port costs no extra handshake for it. ``read_response`` is shared with
the RTSP probe (same message syntax). The transport (``read_response``, ``build_request``,
``Response``) is scanner.protocols.web.

In a capture (``STREAM``), the client's request line of the same connection says
which page an answer is: ``/`` (or unknown) -> server, auth, title, body; ``/favicon.ico`` ->
``http.favicon_md5``; any other page -> its headers only. A page that is another protocol's
document (a UPnP description, an ONVIF answer) is recorded under that protocol.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scanner import limits
from scanner.model import Outcome
from scanner.net.tcp import deadline_after
from scanner.parse.html import decode_text, extract_title
from scanner.protocols import host as kit  # the probe kit every host probe uses
from scanner.protocols.field import FieldSpec
from scanner.protocols.spec import ProtocolSpec
from scanner.protocols.stream import Document, ServerStream, StreamReading
from scanner.protocols.tls import record_certificate
from scanner.protocols.web import (
    Response,
    build_request,
    connection_failure,
    read_answers,
    read_response,
)

if TYPE_CHECKING:
    from scanner.passive.heard import Heard

BODY_TEXT_MAX = 2 * limits.KIB
"""Characters of the page kept as ``http.body``."""

@dataclass(frozen=True, slots=True)
class HttpProbe:
    """``http`` (plain) or ``https`` (over TLS): server, auth, title, location, body, favicon."""

    name: str = "http"
    tls: bool = False

    async def fetch(
        self,
        ctx: kit.ProbeContext,
        host: str,
        port: int,
        path: str,
        body_max: int,
        rec: kit.Recorder | None = None,
    ) -> Response:
        """One exchange on its own connection; the deadline starts after connect/handshake.

        Over TLS, the certificate goes to ``rec`` (if given) as soon as the handshake is done,
        so it is kept even when the HTTP exchange then fails.
        """
        async with await kit.connect(ctx, host, port) as conn:
            if self.tls:
                await kit.handshake(conn, ctx)
                if rec is not None:
                    record_certificate(rec, conn.peer_certificate())
            deadline = deadline_after(ctx.timeout)
            request = build_request(host, port, path, 443 if self.tls else 80)
            try:
                await conn.send(request, deadline)
                return await read_response(conn.reader, deadline, ctx.timeout, body_max=body_max)
            except TimeoutError:
                raise kit.ProbeFailed(Outcome.TIMEOUT, "request not accepted in time") from None
            except OSError as exc:
                raise kit.ProbeFailed(Outcome.ERROR, connection_failure(exc)) from None

    async def run(self, ctx: kit.ProbeContext, host: str, port: int) -> kit.ProbeResult:
        rec = kit.Recorder(host, port, self.name)
        try:
            page = await self.fetch(ctx, host, port, "/", limits.HTTP_BODY_MAX, rec)
        except kit.ProbeFailed as failed:
            return rec.result(failed.outcome, failed.detail)
        record_page(rec, page)
        if page.outcome is not Outcome.TIMEOUT:  # a stalling server gets no second request
            await self._favicon(ctx, rec, host, port)
        return rec.result(page.outcome, page.detail)

    async def _favicon(
        self, ctx: kit.ProbeContext, rec: kit.Recorder, host: str, port: int
    ) -> None:
        try:
            icon = await self.fetch(ctx, host, port, "/favicon.ico", limits.FAVICON_MAX)
        except kit.ProbeFailed:
            return  # the page was read; a missing icon is not a failure of the probe
        _favicon_md5(rec, icon)


def _favicon_md5(rec: kit.Recorder, icon: Response) -> None:
    if icon.head.status == 200 and icon.body and icon.complete:
        rec.add("http.favicon_md5", hashlib.md5(icon.body, usedforsecurity=False).hexdigest())


def record_page(rec: kit.Recorder, page: Response) -> None:
    head = page.head
    rec.add("http.server", head.get("server"), limits.HEADER_VALUE_MAX)
    for challenge in head.get_all("www-authenticate"):
        rec.add("http.www_authenticate", challenge, limits.HEADER_VALUE_MAX)
    rec.add("http.location", head.get("location"), limits.HEADER_VALUE_MAX)
    if page.body:
        text = decode_text(page.body, head.get("content-type"))
        rec.add("http.title", extract_title(text))
        rec.add("http.body", text[:BODY_TEXT_MAX])


async def _read_stream(heard: Heard, stream: ServerStream) -> None:
    """Every answer of a captured server stream, recorded according to the page it answers
    (module docstring); a page that is one of ``stream.documents`` goes to its protocol."""
    answers = await read_answers(stream.data, "HTTP")
    names = ("http", *(document.probe for document in stream.documents))
    recorders = {name: kit.Recorder(stream.host, stream.port, name) for name in names}
    targets: list[str | None] = [*stream.requests]
    targets += [None] * (len(answers) - len(targets))
    for answer, target in zip(answers, targets, strict=False):
        _record_captured(recorders, stream.documents, answer, target)
    for rec in recorders.values():
        if rec.items:
            heard.store(rec)


#: HTTP in a capture: a server stream that starts with an HTTP status line.
STREAM = StreamReading(
    "http", lambda stream: stream.data.startswith(b"HTTP/1."), _read_stream, reads_requests=True
)


def _record_captured(
    recorders: dict[str, kit.Recorder],
    documents: Sequence[Document],
    page: Response,
    target: str | None,
) -> None:
    """One captured answer, under the probe that records it live."""
    text = decode_text(page.body[: limits.XML_MAX], page.head.get("content-type"))
    for document in documents:
        if document.recognises(text):
            recorders[document.probe].add(document.field, text)
            return
    rec = recorders["http"]
    path = request_path(target or "/")
    if path.endswith("/favicon.ico"):
        _favicon_md5(rec, page)
        return
    if path != "/":
        page = Response(page.head, b"", Outcome.OK)
    record_page(rec, page)


def request_path(target: str) -> str:
    """The path a request line's target names: origin form (``/a?b``) or absolute form
    (``http://host/a``). A target that is no URL (``http://[x``: urlsplit raises, issue 12,
    item 6) is kept whole, so it counts as some page other than ``/``."""
    if "://" not in target:
        return target.split("?", 1)[0]
    try:
        return urlsplit(target).path or "/"
    except ValueError:
        return target


#: The observation fields this protocol emits (gathered by scanner.protocols.registry).
FIELDS = tuple(
    FieldSpec(name)
    for name in (
        "http.server", "http.www_authenticate", "http.title", "http.favicon_md5", "http.body",
        "http.location",
    )
)


PROTOCOL = ProtocolSpec(
    "http",
    "host",
    FIELDS,
    probes=(HttpProbe("http"), HttpProbe("https", tls=True)),
    ports={
        # web UI; 8000 is Hikvision's SDK port (anything not HTTP is reported as "not HTTP");
        # 2020 and 49152 serve UPnP descriptions
        "http": (80, 81, 88, 2020, 8000, 8080, 8081, 49152),
        # web UI over TLS: its handshake also gives the certificate's names
        "https": (443, 8443),
    },
    streams=(STREAM,),
)
