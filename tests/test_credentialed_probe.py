"""The credentialed probe against loopback cameras: sent once, Digest first, in scope only.

The cameras are loopback servers (127.77.2.x) that check every Authorization header with
their own arithmetic (hashlib here, not scanner.parse.auth) and serve real answers: the
DS-2CD2386G2-IU ISAPI deviceInfo, the Dahua NVR magicBox lines, the Amcrest
GetDeviceInformation (tests/fixtures/captures/SOURCES.md).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from scanner.credentials import Credential, Credentials
from scanner.engine.credentialed import Session, extend, identify
from scanner.engine.scan import ScanRequest, run_scan
from scanner.engine.unicast import HostReport, UnicastOptions
from scanner.errors import ScopeError
from scanner.model import Device, Observation, Outcome, ProbeStatus
from scanner.net.tcp import Net
from scanner.protocols.host import ProbeContext
from scanner.recognize import Recognizer
from scanner.scope import parse_targets

CAPTURES = Path(__file__).parent / "fixtures" / "captures"
ISAPI_XML = (CAPTURES / "hikvision-ds-2cd2386g2-iu-v5.7.18.isapi.xml").read_text()
AMCREST_INFO = (CAPTURES / "amcrest-ip5m-t1277ew-ai-v2.800.00ac003.0.r.devinfo.xml").read_text()
FAULT = (CAPTURES / "unknown-unknown-unknown.onvif-fault.xml").read_text()
NVR = (CAPTURES / "dahua-nvr2x-4ks3-4.001.0000005.0.magicbox.txt").read_text()
MAGICBOX = {  # action -> the lines the NVR answered to it
    block.split("\n", 1)[0].split("action=")[1]: block.split("\n", 1)[1]
    for block in NVR.strip().split("\n\n")
}
USER, PASSWORD = "admin", "correct horse"
REALM = "Login to 4F07335PAZEEA9B"


# -- a device ---------------------------------------------------------------------------------


@dataclass
class Camera:
    """Serves `paths` (path -> (body, content type)); `auth` is digest, basic or none."""

    paths: dict[str, tuple[str, str]]
    auth: str = "digest"
    password: str = PASSWORD
    onvif: bool = False
    seen: list[tuple[str, str]] = field(default_factory=list)
    """(path, Authorization scheme or '') of every request."""
    refused: int = 0
    """Requests that carried credentials and were refused."""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        except (ConnectionError, asyncio.IncompleteReadError):
            return  # the port sweep's connect-and-reset
        method, path = head.split()[:2]
        length = re.search(r"(?im)^content-length:\s*(\d+)", head)
        body = (await reader.readexactly(int(length.group(1)))).decode() if length else ""
        auth = re.search(r"(?im)^authorization:\s*(.*?)\r$", head)
        self.seen.append((path, auth.group(1).split()[0] if auth else ""))
        writer.write(self.answer(method, path, auth.group(1) if auth else "", body))
        await writer.drain()
        writer.close()

    def answer(self, method: str, path: str, authorization: str, body: str) -> bytes:
        if path not in self.paths:
            return reply("404 Not Found", "")
        if self.onvif and path == "/onvif/device_service":
            return self.soap(body)
        if self.auth != "none" and not self.accepts(method, path, authorization):
            self.refused += bool(authorization)
            return reply("401 Unauthorized", "", self.challenge())
        text, kind = self.paths[path]
        return reply("200 OK", text, f"Content-Type: {kind}")

    def challenge(self) -> str:
        if self.auth == "basic":
            return f'WWW-Authenticate: Basic realm="{REALM}"'
        return f'WWW-Authenticate: Digest realm="{REALM}", qop="auth", nonce="n0nce", opaque="0p"'

    def accepts(self, method: str, path: str, authorization: str) -> bool:
        scheme, _, rest = authorization.partition(" ")
        if scheme == "Basic" and self.auth == "basic":
            return base64.b64decode(rest).decode() == f"{USER}:{self.password}"
        if scheme != "Digest" or self.auth != "digest":
            return False
        p = dict(re.findall(r'(\w+)="?([^",]*)"?', rest))
        md5 = lambda text: hashlib.md5(text.encode()).hexdigest()  # noqa: E731
        ha1, ha2 = md5(f"{USER}:{REALM}:{self.password}"), md5(f"{method}:{path}")
        expected = md5(f"{ha1}:n0nce:{p['nc']}:{p['cnonce']}:auth:{ha2}")
        return p["response"] == expected and p["uri"] == path and p["opaque"] == "0p"

    def soap(self, body: str) -> bytes:
        """ONVIF: a login fault unless the UsernameToken's PasswordDigest is right."""
        token = re.search(r"<wsse:Password[^>]*>([^<]+)</wsse:Password>.*?<wsse:Nonce[^>]*>"
                          r"([^<]+)</wsse:Nonce><wsu:Created>([^<]+)<", body)
        if token:
            nonce = base64.b64decode(token.group(2))
            raw = nonce + token.group(3).encode() + self.password.encode()
            if base64.b64encode(hashlib.sha1(raw).digest()).decode() == token.group(1):
                return reply("200 OK", ENVELOPE, "Content-Type: application/soap+xml")
            self.refused += 1
        return reply("400 Bad Request", FAULT, "Content-Type: application/soap+xml")


def reply(status: str, body: str, *headers: str) -> bytes:
    data = body.encode()
    lines = [f"HTTP/1.1 {status}", *headers, f"Content-Length: {len(data)}", "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


ENVELOPE = (
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
    f'xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><s:Body>{AMCREST_INFO}</s:Body>'
    "</s:Envelope>"
)
HIKVISION = {"/ISAPI/System/deviceInfo": (ISAPI_XML, "application/xml")}
DAHUA = {f"/cgi-bin/magicBox.cgi?action={a}": (t, "text/plain") for a, t in MAGICBOX.items()}
ONVIF = {"/onvif/device_service": ("", "")}


def credentials(password: str = PASSWORD, scope: str | None = None, **kw: bool) -> Credentials:
    where = parse_targets([scope]) if scope else None
    return Credentials((Credential(USER, password, where, "test entry 1"),), **kw)


def report(ip: str, port: int) -> HostReport:
    seen = Observation(ip, port, "http", "http.www_authenticate", "Digest")
    statuses = (ProbeStatus("tcp", Outcome.OK), ProbeStatus("http", Outcome.OK))
    return HostReport(ip, (port,), (seen,), statuses)


async def _extend(device: Camera, given: Credentials, scope: str = "127.77.2.0/24") -> HostReport:
    server = await asyncio.start_server(device.handle, "127.77.2.5", 0)
    port = server.sockets[0].getsockname()[1]
    ctx = ProbeContext(Net(parse_targets([scope])), timeout=1.0)
    try:
        return await extend(ctx, report("127.77.2.5", port), given, 5.0, (port, False))
    finally:
        server.close()


def run(device: Camera, given: Credentials) -> tuple[ProbeStatus, dict[str, str]]:
    """The credentialed status and observations (field -> value) for `device`."""
    done = asyncio.run(_extend(device, given))
    status = next(s for s in done.statuses if s.probe == "credentialed")
    return status, {o.field: o.value for o in done.observations if o.probe == "credentialed"}


# -- sending --------------------------------------------------------------------------------


def test_isapi_behind_digest_is_read_and_names_the_camera() -> None:
    """A Digest-protected ISAPI deviceInfo is read with one challenge and one answer; the
    verdict then names Hikvision and the model."""
    device = Camera(HIKVISION)
    status, seen = run(device, credentials())
    assert status.outcome is Outcome.OK, status
    assert seen["isapi.device_info"] == ISAPI_XML
    assert device.seen == [("/ISAPI/System/deviceInfo", ""), ("/ISAPI/System/deviceInfo", "Digest")]
    verdict = Recognizer.load().device("127.77.2.5", [
        Observation("127.77.2.5", 80, "credentialed", "isapi.device_info", ISAPI_XML)
    ]).verdict
    assert (verdict.manufacturer, verdict.model) == ("Hikvision", "DS-2CD2386G2-IU")


def test_a_wrong_password_is_tried_once_and_never_again() -> None:
    """A refused login ends all work with the host: one password-bearing request in all,
    no other endpoint, no other credential."""
    device = Camera({**HIKVISION, **DAHUA, **ONVIF})
    status, seen = run(device, credentials("wrong"))
    assert status.outcome is Outcome.REFUSED
    assert "login refused at /ISAPI/System/deviceInfo" in status.detail
    assert "not retried" in status.detail and "wrong" not in status.detail
    assert [a for _, a in device.seen if a] == ["Digest"] and device.refused == 1
    assert len(device.seen) == 2 and seen == {}


def test_endpoints_a_device_lacks_get_no_password() -> None:
    """A Dahua NVR: ISAPI is 404 without credentials (no password sent there); magicBox is
    read through Digest, with its version and vendor."""
    device = Camera(DAHUA)
    status, seen = run(device, credentials())
    assert status.outcome is Outcome.OK, status
    assert device.seen[0] == ("/ISAPI/System/deviceInfo", "")
    assert all(a == "" for p, a in device.seen if "ISAPI" in p)
    value = seen["dahua.magicbox"]
    assert "updateSerial=NVR2X-4KS3" in value and "vendor=Dahua" in value
    assert "version=4.001.0000005.0" in value
    verdict = Recognizer.load().device("127.77.2.5", [
        Observation("127.77.2.5", 80, "credentialed", "dahua.magicbox", value)
    ]).verdict
    assert verdict.manufacturer == "Dahua"


def test_onvif_asks_for_a_username_token_only_after_a_login_fault() -> None:
    """ONVIF: the bare call gets the device's NotAuthorized fault; then one call with a
    WS-UsernameToken (PasswordDigest) that the device verifies."""
    device = Camera(ONVIF, onvif=True)
    status, seen = run(device, credentials())
    assert status.outcome is Outcome.OK, status
    assert "Amcrest" in seen["onvif.device_information"]
    assert [p for p, _ in device.seen].count("/onvif/device_service") == 2
    assert device.refused == 0


def test_onvif_behind_http_digest_is_read() -> None:
    """An ONVIF service that answers 401 gets HTTP Digest (no UsernameToken) once."""
    device = Camera({"/onvif/device_service": (ENVELOPE, "application/soap+xml")})
    status, seen = run(device, credentials())
    assert status.outcome is Outcome.OK, status
    assert "IP5M-T1277EW-AI" in seen["onvif.device_information"]
    assert device.seen[-2:] == [("/onvif/device_service", ""), ("/onvif/device_service", "Digest")]


def test_onvif_refusing_the_token_is_a_refused_login() -> None:
    """A wrong password in the UsernameToken: refused, not retried."""
    device = Camera(ONVIF, onvif=True, password="other")
    status, _ = run(device, credentials())
    assert status.outcome is Outcome.REFUSED and device.refused == 1


def test_basic_over_plain_http_is_refused_unless_allowed() -> None:
    """A Basic-only device over plain HTTP gets no password, unless allow_basic_auth."""
    device = Camera(HIKVISION, auth="basic")
    status, _ = run(device, credentials())
    assert status.outcome is Outcome.NO_ANSWER
    assert "Basic over plain HTTP refused" in status.detail
    assert all(a == "" for _, a in device.seen)
    allowed = Camera(HIKVISION, auth="basic")
    status, seen = run(allowed, credentials(allow_basic_auth=True))
    assert status.outcome is Outcome.OK and "isapi.device_info" in seen
    assert [a for _, a in allowed.seen if a] == ["Basic"]


def test_a_challenge_with_control_characters_is_not_answered() -> None:
    """A nonce that would add a header to our request: no password goes out."""
    device = Camera(HIKVISION)
    device.challenge = lambda: 'WWW-Authenticate: Digest realm="x", nonce="a\x0bb"'  # type: ignore[method-assign]
    status, _ = run(device, credentials())
    assert status.outcome is Outcome.NO_ANSWER and "control character" in status.detail
    assert all(a == "" for _, a in device.seen)


def test_hosts_outside_a_credential_scope_get_nothing() -> None:
    """A set scoped to 127.77.3.0/24 is never used on 127.77.2.5: not one request."""
    device = Camera(HIKVISION)
    done = asyncio.run(_extend(device, credentials(scope="127.77.3.0/24")))
    assert device.seen == [] and all(s.probe != "credentialed" for s in done.statuses)


def test_a_bug_in_a_credentialed_step_is_that_hosts_error_status(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A step that raises (a bug) becomes `error: KeyError: ...` for this host, the scan's
    other statuses kept (issue 12: isolation as in zgrab2)."""
    from scanner.engine import credentialed

    async def broken(session: Session, rec: object) -> str | None:
        raise KeyError("realm")

    monkeypatch.setattr(credentialed, "STEPS", (broken,))
    done = asyncio.run(_extend(Camera(HIKVISION), credentials()))
    assert done.statuses[-1] == ProbeStatus("credentialed", Outcome.ERROR, "KeyError: 'realm'")
    assert [s.probe for s in done.statuses] == ["tcp", "http", "credentialed"]


def test_hosts_outside_the_scan_scope_are_refused_by_net() -> None:
    """Even called directly on a host outside the scan's scope, nothing is sent: Net's scope
    check raises ScopeError (a bug if it ever happens) before any connection."""
    device = Camera(HIKVISION)

    async def attempt() -> None:
        server = await asyncio.start_server(device.handle, "127.77.2.5", 0)
        port = server.sockets[0].getsockname()[1]
        ctx = ProbeContext(Net(parse_targets(["127.77.9.0/24"])), timeout=1.0)
        session = Session(ctx, "127.77.2.5", port, False, credentials().entries[0], False)
        try:
            await identify(session)
        finally:
            server.close()

    with pytest.raises(ScopeError):
        asyncio.run(attempt())
    assert device.seen == []


def test_a_scan_with_credentials_adds_the_credentialed_answer() -> None:
    """run_scan with ScanRequest.credentials: the device's JSON carries isapi.device_info."""
    device = Camera(HIKVISION)
    found: list[Device] = []

    async def scan() -> None:
        server = await asyncio.start_server(device.handle, "127.77.2.7", 18088)
        try:
            scope = parse_targets(["127.77.2.7"])
            unicast = UnicastOptions(ports=(18088,), services={18088: ["http"]}, timeout=1.0)
            request = ScanRequest(scope, ("127.77.2.7",), unicast, credentials=credentials())
            await run_scan(request, Recognizer.load(), found.append)
        finally:
            server.close()

    asyncio.run(scan())
    (scanned,) = found
    assert scanned.verdict.manufacturer == "Hikvision"
    assert any(o.field == "isapi.device_info" for o in scanned.observations)
