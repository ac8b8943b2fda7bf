"""ONVIF follow-up calls to the XAddrs a WS-Discovery answer named, without credentials.

Only calls the ONVIF Core specification marks PRE_AUTH are expected to answer
(GetSystemDateAndTime, GetCapabilities, GetServices; docs/protocols.md §ONVIF-PRE_AUTH), plus one
GetDeviceInformation, which most devices refuse without a login: the refusal is recorded
(``refused: needs login``, and the Fault itself as ``onvif.device_information``), never
retried and never answered with a password (failed logins count toward lockouts).

Every connection goes through ``scanner.net`` (scope-checked, bounded); only an XAddr on the
host that sent it is called: one naming any other host, in the scope or not, is never
contacted (``URL host X is not the sender``; issue 12). The SOAP body carries the xsi/xsd
declarations some ONVIF stacks insist on (tests/lan/README.md, npm onvif mock).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from scanner import limits
from scanner.credentials import Credential
from scanner.errors import DecodeError
from scanner.model import Outcome
from scanner.net.tcp import Net, deadline_after
from scanner.parse.auth import username_token
from scanner.parse.kv import decode_text
from scanner.parse.onvif import parse_device_information
from scanner.parse.wsd import parse_scopes
from scanner.parse.xmlsafe import parse_xml
from scanner.protocols import host as kit  # the probe kit every host probe uses
from scanner.protocols.field import FieldSpec
from scanner.protocols.host import USER_AGENT, ProbeContext, ProbeFailed, connect
from scanner.protocols.lan import Findings, http_target, isolated, own_targets
from scanner.protocols.login import LoginFailed, Session
from scanner.protocols.spec import ProtocolSpec
from scanner.protocols.stream import Document, parses
from scanner.protocols.web import Response, read_response

PROBE = "onvif"
DEVICE_SERVICE = "/onvif/device_service"
SOAP = "application/soap+xml; charset=utf-8"
DEVICE_NS = "http://www.onvif.org/ver10/device/wsdl"
XADDRS_PER_HOST = 1
_AUTH_WORDS = ("notauthorized", "not authorized", "failedauthentication", "unauthorized")


@dataclass(frozen=True)
class Call:
    action: str
    body: str
    expect: str
    """Local name of the element a real answer holds."""


CALLS = (
    Call(
        "GetSystemDateAndTime", '<GetSystemDateAndTime xmlns="%s"/>', "GetSystemDateAndTimeResponse"
    ),
    Call(
        "GetCapabilities",
        '<GetCapabilities xmlns="%s"><Category>All</Category></GetCapabilities>',
        "GetCapabilitiesResponse",
    ),
    Call(
        "GetServices",
        '<GetServices xmlns="%s"><IncludeCapability>false</IncludeCapability></GetServices>',
        "GetServicesResponse",
    ),
    Call(
        "GetDeviceInformation", '<GetDeviceInformation xmlns="%s"/>', "GetDeviceInformationResponse"
    ),
)
_GET_INFO = next(c for c in CALLS if c.action == "GetDeviceInformation")


@dataclass(frozen=True)
class Reply:
    """How one call went: outcome, a short detail, and the body when there was one."""

    outcome: Outcome
    detail: str
    body: str = ""


def endpoint(xaddr: str) -> tuple[str, int, str] | None:
    """(host, port, path) of an http XAddr with an IPv4 literal host; None otherwise."""
    return http_target(xaddr)


def envelope(call: Call) -> bytes:
    body = call.body % DEVICE_NS
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">'
        '<s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xmlns:xsd="http://www.w3.org/2001/XMLSchema">{body}</s:Body></s:Envelope>'
    ).encode()


def request(host: str, port: int, path: str, call: Call) -> bytes:
    payload = envelope(call)
    authority = host if port == 80 else f"{host}:{port}"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: {USER_AGENT}\r\n"
        "Content-Type: application/soap+xml; charset=utf-8; "
        f'action="{DEVICE_NS}/{call.action}"\r\n'
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode("ascii") + payload


def classify(status: int, body: str, call: Call) -> Reply:
    """An HTTP answer -> ok / refused (needs login) / error."""
    lowered = body[:4096].lower()
    if status == 401 or (status >= 400 and any(w in lowered for w in _AUTH_WORDS)):
        return Reply(Outcome.REFUSED, "needs login", body)
    try:
        root = parse_xml(body).root if body else None
    except DecodeError as exc:
        return Reply(Outcome.ERROR, f"HTTP {status}, not SOAP: {exc}")
    if root is not None and root.find(call.expect) is not None:
        return Reply(Outcome.OK, "", body)
    if root is not None and root.find("Fault") is not None:
        return Reply(Outcome.ERROR, f"HTTP {status}, SOAP fault", body)
    return Reply(Outcome.ERROR, f"HTTP {status}, no {call.expect}")


async def invoke(ctx: ProbeContext, host: str, port: int, path: str, call: Call) -> Reply:
    """One SOAP call, bounded in bytes and time; never raises for what the device does."""
    try:
        connection = await connect(ctx, host, port)
    except ProbeFailed as failed:
        return Reply(failed.outcome, failed.detail or f"port {port} closed")
    async with connection:
        deadline = deadline_after(ctx.timeout)
        try:
            await connection.send(request(host, port, path, call), deadline)
            answer = await read_response(
                connection.reader, deadline, ctx.timeout, body_max=limits.XML_MAX
            )
        except ProbeFailed as failed:
            return Reply(failed.outcome, failed.detail)
        except (OSError, TimeoutError) as exc:
            return Reply(Outcome.ERROR, f"{call.action}: {exc}")
    return classify(answer.head.status, decode_text(answer.body), call)


async def follow_up(ctx: ProbeContext, findings: Findings, host: str, port: int, path: str) -> None:
    """The calls against one XAddr on its sender; results go to `findings` under "onvif"."""
    done: list[str] = []
    for call in CALLS:
        if call.action == "GetServices" and "GetCapabilities ok" in done:
            continue  # one of the two is enough
        reply = await invoke(ctx, host, port, path, call)
        if reply.outcome is Outcome.REFUSED and reply.detail != "needs login":
            findings.status(f"{PROBE}/{host}", reply.outcome, reply.detail, probe=PROBE)
            return  # the port is closed: no point asking again
        if call.action == "GetDeviceInformation":
            _record_device_information(findings, host, port, reply, done)
        else:
            done.append(f"{call.action} {reply.outcome.value}")


def _record_device_information(
    findings: Findings, host: str, port: int, reply: Reply, done: list[str]
) -> None:
    if reply.body:
        try:
            parse_device_information(reply.body)
            findings.add(host, port, "onvif.device_information", reply.body, probe=PROBE)
        except DecodeError:
            pass
    others = f" ({', '.join(done)})" if done else ""
    detail = (reply.detail or "GetDeviceInformation answered") + others
    findings.status(f"{PROBE}/{host}", reply.outcome, detail, probe=PROBE)


async def follow_up_all(
    net: Net, findings: Findings, xaddrs: dict[str, list[str]], timeout: float
) -> int:
    """Run the calls for every answering host's first XAddr on that host itself; returns
    how many XAddrs were left alone because they name another host."""
    ctx = ProbeContext(net, timeout=timeout)
    elsewhere = 0
    jobs: list[tuple[str, Coroutine[Any, Any, None]]] = []
    for source, urls in xaddrs.items():
        own, why = own_targets(source, urls, "XAddr", net.scope)
        elsewhere += sum(1 for u in urls if endpoint(u) is not None) - len(own)
        if why:
            findings.status(f"{PROBE}/{source}", Outcome.SKIPPED, why, probe=PROBE)
        jobs.extend(
            (f"{PROBE}/{source}", follow_up(ctx, findings, *t)) for t in own[:XADDRS_PER_HOST]
        )
    await isolated(findings, jobs)
    return elsewhere


async def credentialed(session: Session, rec: kit.Recorder) -> str | None:
    """GetDeviceInformation: bare; after a 401, with HTTP Digest; after a SOAP login fault
    (the bare request carried no password), with a WS-UsernameToken. Refused -> LoginFailed."""
    bare = envelope(_GET_INFO)
    first = await session.send("POST", DEVICE_SERVICE, bare, content_type=SOAP)
    if first.head.status == 401:
        answer = await session.retry(first, "POST", DEVICE_SERVICE, bare, SOAP)
        if answer is None:
            return None
        reply = _classify(answer)
    else:
        reply = _classify(first)
        if reply.outcome is Outcome.REFUSED:
            secured = _secured(bare, session.credential)
            secured_answer = await session.send("POST", DEVICE_SERVICE, secured, content_type=SOAP)
            reply = _classify(secured_answer)
    if reply.outcome is Outcome.REFUSED:
        raise LoginFailed(DEVICE_SERVICE)
    if reply.outcome is not Outcome.OK:
        return None
    try:
        parse_device_information(reply.body)
    except DecodeError:
        return None
    rec.add("onvif.device_information", reply.body)
    return "ONVIF GetDeviceInformation"


def _classify(answer: Response) -> Reply:
    return classify(answer.head.status, decode_text(answer.body), _GET_INFO)


def _secured(envelope: bytes, credential: Credential) -> bytes:
    """The envelope with a wsse:Security header holding a UsernameToken (PasswordDigest)."""
    created = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    token = username_token(credential.user, credential.password, os.urandom(16), created)
    text = envelope.decode()
    return text.replace("<s:Body", f"<s:Header>{token}</s:Header><s:Body", 1).encode()


#: The observation fields this protocol emits (gathered by scanner.protocols.registry).
FIELDS = (
    FieldSpec("onvif.scopes", table=lambda value: parse_scopes(value).table()),
    FieldSpec(
        "onvif.device_information",
        table=lambda value: parse_device_information(value).table(),
        firmware_keys=("FirmwareVersion",),
    ),
)


#: A GetDeviceInformation answer seen in a capture (scanner.protocols.http reads the page).
DOCUMENT = Document(
    PROBE,
    "onvif.device_information",
    lambda text: "GetDeviceInformationResponse" in text[:4096]
    and parses(parse_device_information, text),
)


#: ONVIF's discovery is WS-Discovery (scanner.protocols.wsd), whose answers lead here.
PROTOCOL = ProtocolSpec(
    "onvif", "host", FIELDS, document=DOCUMENT, credentialed=credentialed
)
