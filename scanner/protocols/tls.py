"""TLS probe: handshake, take the device's certificate, record its subject and issuer.

Cameras present self-signed or vendor-CA certificates for an IP address, so nothing is
verified: the certificate is evidence of who made the firmware, not a trust decision. Old
firmware speaks TLS 1.0 with old ciphers, so the probing context accepts those too: it only
ever reads a certificate and a login page and sends no secret. A connection that will carry
one (a credentialed login, scanner.engine.credentialed) uses :func:`secret_context`
instead: TLS 1.2 or later at the system's default security level (issue 12).
In a capture (``STREAM``), the certificate is read from the server's side of the handshake.
"""

from __future__ import annotations

import contextlib
import functools
import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scanner.errors import DecodeError
from scanner.model import Outcome
from scanner.net.tcp import Connection, deadline_after
from scanner.parse.tls import certificate_names, looks_like_server_hello, server_handshake
from scanner.protocols import host as kit  # the probe kit every host probe uses
from scanner.protocols.field import FieldSpec
from scanner.protocols.stream import ServerStream, StreamReading

if TYPE_CHECKING:
    from scanner.passive.heard import Heard


@functools.cache
def client_context() -> ssl.SSLContext:
    """One shared, non-verifying client context that still talks to 2010-era firmware."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    with contextlib.suppress(ssl.SSLError):  # no security levels: keep the defaults
        context.set_ciphers("ALL:@SECLEVEL=0")
    context.options |= getattr(ssl, "OP_LEGACY_SERVER_CONNECT", 0)
    return context


@functools.cache
def secret_context() -> ssl.SSLContext:
    """The context for a connection that carries a secret: TLS 1.2 or later, the default
    ciphers and security level, no legacy renegotiation. A camera's certificate is
    self-signed or issued for an address, so it is still not verified: this keeps a
    passive listener and a downgrade out, not an active impostor (README, Safety)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = max(context.minimum_version, ssl.TLSVersion.TLSv1_2)
    return context


async def handshake(
    conn: Connection, ctx: kit.ProbeContext, context: ssl.SSLContext | None = None
) -> None:
    """Upgrade ``conn`` to TLS within ``ctx.tls_timeout``; failures -> ProbeFailed.

    ``context``: :func:`client_context` (the permissive one) unless given."""
    try:
        await conn.start_tls(context or client_context(), deadline_after(ctx.tls_timeout))
    except TimeoutError:
        raise kit.ProbeFailed(
            Outcome.TIMEOUT, f"no TLS handshake within {kit.seconds(ctx.tls_timeout)} s"
        ) from None
    except ssl.SSLError as exc:
        raise kit.ProbeFailed(Outcome.ERROR, f"TLS handshake failed: {exc.reason or exc}") from None
    except (ConnectionError, OSError) as exc:
        raise kit.ProbeFailed(Outcome.ERROR, f"TLS handshake failed: {exc}") from None


@dataclass(frozen=True, slots=True)
class TlsProbe:
    """Emits ``tls.subject`` and ``tls.issuer``."""

    name: str = "tls"

    async def run(self, ctx: kit.ProbeContext, host: str, port: int) -> kit.ProbeResult:
        rec = kit.Recorder(host, port, self.name)
        try:
            async with await kit.connect(ctx, host, port) as conn:
                await handshake(conn, ctx)
                der = conn.peer_certificate()
        except kit.ProbeFailed as failed:
            return rec.result(failed.outcome, failed.detail)
        problem = record_certificate(rec, der)
        return rec.result(Outcome.ERROR if problem else Outcome.OK, problem)


def record_certificate(rec: kit.Recorder, der: bytes | None) -> str:
    """Add ``tls.subject`` and ``tls.issuer`` from a DER certificate; "" or what went wrong."""
    if not der:
        return "no certificate presented"
    try:
        names = certificate_names(der)
    except DecodeError as exc:
        return f"unreadable certificate: {exc}"
    rec.add("tls.subject", names.subject)
    rec.add("tls.issuer", names.issuer)
    return ""


#: The observation fields this protocol emits (gathered by scanner.protocols.registry).
FIELDS = (FieldSpec("tls.subject"), FieldSpec("tls.issuer"))


async def _read_stream(heard: Heard, stream: ServerStream) -> None:
    """The server's certificate from its handshake (TLS 1.2 and older; 1.3 hides it)."""
    rec = kit.Recorder(stream.host, stream.port, "tls")
    try:
        hello = server_handshake(stream.data)
    except DecodeError as exc:
        heard.bad("tls", stream.host, f"unreadable handshake: {exc}")
        return
    if hello.certificate is None:
        what = "certificate encrypted" if hello.version == "TLS 1.3" else "no certificate"
        heard.tally("tls").note(f"{hello.version} handshakes ({what}, skipped)")
        return
    problem = record_certificate(rec, hello.certificate)
    if problem:
        heard.bad("tls", stream.host, problem)
        return
    heard.store(rec)


#: TLS in a capture: a server stream that starts with a ServerHello.
STREAM = StreamReading("tls", lambda stream: looks_like_server_hello(stream.data), _read_stream)
