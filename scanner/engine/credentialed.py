"""Credentialed identification: the answers a device gives only after a login, opt-in.

Run only when the user configured credentials (scanner.credentials) and only against a host
the unicast scan found serving HTTP, through ``scanner.net`` (scope-checked, slot-limited,
bounded in bytes and time like every probe). In order, until one answers:

1. Hikvision ISAPI ``GET /ISAPI/System/deviceInfo`` -> ``isapi.device_info``;
2. Dahua ``GET /cgi-bin/magicBox.cgi?action=getSystemInfo`` (then getSoftwareVersion and
   getVendor) -> ``dahua.magicbox``;
3. ONVIF ``GetDeviceInformation`` on ``/onvif/device_service`` -> ``onvif.device_information``.

Each request is first sent *without* credentials: a device that does not have the endpoint
says 404 and gets no password. Only a 401 challenge is answered: HTTP Digest preferred;
Basic (the password itself) only with ``allow_basic_auth``, over TLS as over plain HTTP: TLS
to a camera is unverified, so it is no reason to hand out the password; ONVIF's WS-UsernameToken
(PasswordDigest) only when the device's SOAP fault asked for a login. One credential set per
host, and the first refused login ends all work with that host: camscan never guesses
(a Dahua device locks its account after 5 failures for 300 s; README, Safety). Over HTTPS
every request of a session goes through ``secret_context`` (TLS 1.2 or later at the default
security level): a device that speaks only TLS 1.0 or weak ciphers gets no secret.

Our own HTTP client, not ``requests``: here every exchange has one deadline (a slowloris
device cannot stretch it, which requests' per-read timeout allows), every connection goes
through the scope check of ``scanner.net.Net.connect``, no redirect can ever be followed,
and no thread is needed. Digest itself is a few lines of RFC 7616 (scanner.parse.auth).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from scanner import limits
from scanner.credentials import Credential, Credentials
from scanner.engine.unicast import HostReport, UnicastOptions
from scanner.errors import DecodeError, ScopeError, bug_detail
from scanner.model import Outcome, ProbeStatus
from scanner.net.tcp import Net, deadline_after
from scanner.parse.auth import (
    Challenge,
    DigestAnswer,
    basic_authorization,
    digest_authorization,
    digest_usable,
    parse_challenges,
    username_token,
)
from scanner.parse.isapi import parse_isapi_device_info
from scanner.parse.kv import decode_text, parse_kv_lines
from scanner.parse.onvif import parse_device_information
from scanner.protocols import host as kit  # the probe kit every host probe uses
from scanner.protocols import onvif
from scanner.protocols.registry import probes_for
from scanner.protocols.tls import handshake, secret_context
from scanner.protocols.web import Response, connection_failure, read_response

PROBE = "credentialed"
ISAPI = "/ISAPI/System/deviceInfo"
MAGICBOX = "/cgi-bin/magicBox.cgi?action="
MAGICBOX_MORE = ("getSoftwareVersion", "getVendor")
MAGICBOX_KEYS = ("deviceType", "serialNumber", "updateSerial", "processor", "hardwareVersion")
ONVIF_SERVICE = "/onvif/device_service"
SOAP = "application/soap+xml; charset=utf-8"
_GET_INFO = next(c for c in onvif.CALLS if c.action == "GetDeviceInformation")


class LoginFailed(Exception):
    """A device refused the credential: nothing more is sent to it."""


@dataclass
class Session:
    """Requests to one host's HTTP service with one credential set."""

    ctx: kit.ProbeContext
    host: str
    port: int
    tls: bool
    credential: Credential
    allow_basic: bool
    notes: list[str] = field(default_factory=list)

    async def send(
        self, method: str, path: str, body: bytes = b"", *, authorization: str = "",
        content_type: str = "",
    ) -> Response:
        """One exchange on its own connection, bounded like every probe's."""
        async with await kit.connect(self.ctx, self.host, self.port) as conn:
            if self.tls:
                await handshake(conn, self.ctx, secret_context())
            deadline = deadline_after(self.ctx.timeout)
            request = self._request(method, path, body, authorization, content_type)
            try:
                await conn.send(request, deadline)
                return await read_response(
                    conn.reader, deadline, self.ctx.timeout, body_max=limits.XML_MAX
                )
            except TimeoutError:
                raise kit.ProbeFailed(Outcome.TIMEOUT, "request not accepted in time") from None
            except OSError as exc:
                raise kit.ProbeFailed(Outcome.ERROR, connection_failure(exc)) from None

    def _request(
        self, method: str, path: str, body: bytes, authorization: str, content_type: str
    ) -> bytes:
        default = 443 if self.tls else 80
        authority = self.host if self.port == default else f"{self.host}:{self.port}"
        lines = [f"{method} {path} HTTP/1.1", f"Host: {authority}", f"User-Agent: {kit.USER_AGENT}"]
        lines += ["Accept: */*"] + ([f"Authorization: {authorization}"] if authorization else [])
        if body or method == "POST":
            lines += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
        lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body

    async def fetch(
        self, method: str, path: str, body: bytes = b"", content_type: str = ""
    ) -> Response | None:
        """`path` without credentials; on a 401 challenge, once more with them (see retry)."""
        first = await self.send(method, path, body, content_type=content_type)
        if first.head.status != 401:
            return first
        return await self.retry(first, method, path, body, content_type)

    async def retry(
        self, challenged: Response, method: str, path: str, body: bytes, content_type: str
    ) -> Response | None:
        """Answer a 401 once. None when the device offered nothing camscan will answer (no
        challenge, Basic without allow_basic, control characters in it); a
        second 401 raises LoginFailed."""
        authorization = self._answer(challenged, method, path)
        if not authorization:
            return None
        second = await self.send(
            method, path, body, authorization=authorization, content_type=content_type
        )
        if second.head.status == 401:
            raise LoginFailed(path)
        return second

    def _answer(self, challenge_answer: Response, method: str, path: str) -> str:
        challenges = _challenges(challenge_answer)
        user, password = self.credential.user, self.credential.password
        digest = next((c for c in challenges if digest_usable(c)), None)
        if digest is not None:
            try:
                answer = DigestAnswer(method, path, os.urandom(8).hex())
                return digest_authorization(digest, user, password, answer)
            except DecodeError as exc:
                self.notes.append(f"{path}: {exc}")
                return ""
        if any(c.scheme == "basic" for c in challenges):
            if self.allow_basic:  # the only opt-in: TLS to a camera is unverified (issue 12)
                return basic_authorization(user, password)
            over = "HTTPS" if self.tls else "plain HTTP"
            self.notes.append(f"{path}: Basic over {over} refused (--allow-basic-auth off)")
        return ""


def _challenges(answer: Response) -> list[Challenge]:
    found: list[Challenge] = []
    for value in answer.head.get_all("www-authenticate"):
        try:
            found.extend(parse_challenges(value))
        except DecodeError:
            continue
    return found


def _ok_text(answer: Response | None) -> str | None:
    if answer is None or answer.head.status != 200 or not answer.complete:
        return None
    return decode_text(answer.body)


async def isapi(session: Session, rec: kit.Recorder) -> str | None:
    text = _ok_text(await session.fetch("GET", ISAPI))
    if text is None:
        return None
    try:
        parse_isapi_device_info(text)
    except DecodeError:
        return None
    rec.add("isapi.device_info", text)
    return "ISAPI deviceInfo"


async def magicbox(session: Session, rec: kit.Recorder) -> str | None:
    first = f"{MAGICBOX}getSystemInfo"
    text = _ok_text(await session.fetch("GET", first))
    try:
        keys = parse_kv_lines(text).table() if text is not None else {}
    except DecodeError:
        keys = {}
    if text is None or not any(key in keys for key in MAGICBOX_KEYS):
        return None
    parts = [f"{first}\n{text.strip()}"]
    for action in MAGICBOX_MORE:  # with the credential just accepted
        try:
            more = _ok_text(await session.fetch("GET", f"{MAGICBOX}{action}"))
        except LoginFailed:
            break  # odd, but never insist
        if more is not None and "=" in more:
            parts.append(f"{MAGICBOX}{action}\n{more.strip()}")
    rec.add("dahua.magicbox", "\n\n".join(parts))
    return "magicBox"


async def onvif_information(session: Session, rec: kit.Recorder) -> str | None:
    """GetDeviceInformation: bare; after a 401, with HTTP Digest; after a SOAP login fault
    (the bare request carried no password), with a WS-UsernameToken. Refused -> LoginFailed."""
    bare = onvif.envelope(_GET_INFO)
    first = await session.send("POST", ONVIF_SERVICE, bare, content_type=SOAP)
    if first.head.status == 401:
        answer = await session.retry(first, "POST", ONVIF_SERVICE, bare, SOAP)
        if answer is None:
            return None
        reply = _classify(answer)
    else:
        reply = _classify(first)
        if reply.outcome is Outcome.REFUSED:
            secured = _secured(bare, session.credential)
            reply = _classify(await session.send("POST", ONVIF_SERVICE, secured, content_type=SOAP))
    if reply.outcome is Outcome.REFUSED:
        raise LoginFailed(ONVIF_SERVICE)
    if reply.outcome is not Outcome.OK:
        return None
    try:
        parse_device_information(reply.body)
    except DecodeError:
        return None
    rec.add("onvif.device_information", reply.body)
    return "ONVIF GetDeviceInformation"


def _classify(answer: Response) -> onvif.Reply:
    return onvif.classify(answer.head.status, decode_text(answer.body), _GET_INFO)


def _secured(envelope: bytes, credential: Credential) -> bytes:
    """The envelope with a wsse:Security header holding a UsernameToken (PasswordDigest)."""
    created = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    token = username_token(credential.user, credential.password, os.urandom(16), created)
    text = envelope.decode()
    return text.replace("<s:Body", f"<s:Header>{token}</s:Header><s:Body", 1).encode()


STEPS: tuple[Callable[[Session, kit.Recorder], Awaitable[str | None]], ...] = (
    isapi,
    magicbox,
    onvif_information,
)


async def identify(session: Session) -> kit.ProbeResult:
    """The steps in order until one answers; a refused login ends them."""
    rec = kit.Recorder(session.host, session.port, PROBE)
    where = session.credential.where
    try:
        for step in STEPS:
            what = await step(session, rec)
            if what:
                return rec.result(Outcome.OK, f"{what} ({where})")
    except LoginFailed as failed:
        return rec.result(Outcome.REFUSED, f"login refused at {failed} ({where}); not retried")
    except kit.DEVICE_FAULTS as exc:
        return kit.ProbeResult(tuple(rec.items), kit.failure_status(PROBE, exc, session.ctx))
    notes = "; ".join(session.notes)
    return rec.result(Outcome.NO_ANSWER, notes or "no ISAPI, magicBox or ONVIF answer")


def http_service(
    report: HostReport, services: Mapping[int, Sequence[str]] | None = None
) -> tuple[int, bool] | None:
    """The (port, tls) to ask: a port whose HTTPS probe went well, else HTTP; None if none.

    Among a protocol's ports, one that gave an observation is preferred (it said something).
    """
    outcomes = {status.probe: status.outcome for status in report.statuses}
    for name, tls in (("https", True), ("http", False)):
        if outcomes.get(name) is not Outcome.OK:
            continue
        ports = [p for p in report.open_ports if name in (x.name for x in probes_for(p, services))]
        talked = {o.port for o in report.observations if o.probe == name}
        ranked = sorted(ports, key=lambda port: (port not in talked, port))
        if ranked:
            return ranked[0], tls
    return None


def with_credentials(
    net: Net, credentials: Credentials, options: UnicastOptions,
    on_host: Callable[[HostReport], None],
) -> Callable[[HostReport], Awaitable[None]]:
    """Wrap a scan's host callback: each host gets the credentialed steps first."""
    ctx = kit.ProbeContext(
        net, timeout=options.timeout, connect_timeout=options.connect_timeout,
        tls_timeout=options.tls_timeout,
    )

    async def done(report: HostReport) -> None:
        service = http_service(report, options.services)
        on_host(await extend(ctx, report, credentials, options.host_deadline, service))

    return done


async def extend(
    ctx: kit.ProbeContext,
    report: HostReport,
    credentials: Credentials,
    deadline: float,
    service: tuple[int, bool] | None,
) -> HostReport:
    """`report` with the credentialed observations (first) and status added; unchanged when
    no set covers the host or it serves no HTTP (`service`: see http_service)."""
    credential = credentials.for_host(report.ip)
    if credential is None or service is None:
        return report
    session = Session(ctx, report.ip, *service, credential, credentials.allow_basic_auth)
    try:
        async with asyncio.timeout(deadline):
            result = await identify(session)
    except TimeoutError:
        late = f"host deadline {kit.seconds(deadline)} s reached"
        result = kit.ProbeResult((), ProbeStatus(PROBE, Outcome.TIMEOUT, late))
    except ScopeError:
        raise  # the scope guard fired before anything was sent: stop, as run_guarded does
    except Exception as exc:  # noqa: BLE001 - a bug, isolated to this host (run_guarded)
        result = kit.ProbeResult((), ProbeStatus(PROBE, Outcome.ERROR, bug_detail(exc)))
    observations = (*result.observations, *report.observations)
    return dataclasses.replace(
        report,
        observations=observations[: limits.OBSERVATIONS_PER_HOST_MAX],
        statuses=(*report.statuses, result.status),
    )
