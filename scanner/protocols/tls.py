"""TLS probe: handshake, take the device's certificate, record its subject and issuer.

Cameras present self-signed or vendor-CA certificates for an IP address, so nothing is
verified: the certificate is evidence of who made the firmware, not a trust decision. Old
firmware speaks TLS 1.0 with old ciphers, so the probing context accepts those too: it only
ever reads a certificate and a login page and sends no secret. A connection that will carry
one (a credentialed login, scanner.engine.credentialed) uses ``secret_context`` instead:
TLS 1.2 or later at the system's default security level (issue 12). Both contexts are the
network layer's (scanner.net.secure); the handshake is the probe kit's (``kit.handshake``).
In a capture (``STREAM``), the certificate is read from the server's side of the handshake.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from scanner.errors import DecodeError
from scanner.model import Outcome
from scanner.parse.tls import certificate_names, looks_like_server_hello, server_handshake
from scanner.protocols import host as kit  # the probe kit every host probe uses
from scanner.protocols.field import FieldSpec
from scanner.protocols.spec import ProtocolSpec
from scanner.protocols.stream import ServerStream, StreamReading

if TYPE_CHECKING:
    from scanner.passive.heard import Heard


@dataclass(frozen=True, slots=True)
class TlsProbe:
    """Emits ``tls.subject`` and ``tls.issuer``."""

    name: str = "tls"

    async def run(self, ctx: kit.ProbeContext, host: str, port: int) -> kit.ProbeResult:
        rec = kit.Recorder(host, port, self.name)
        try:
            async with await kit.connect(ctx, host, port) as conn:
                await kit.handshake(conn, ctx)
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


#: ``tls`` (certificate only) runs on no port by default: it is for a TLS port that does not
#: speak HTTP, named in a ``services`` override (the https probe reads the certificate too).
PROTOCOL = ProtocolSpec("tls", "host", FIELDS, probes=(TlsProbe("tls"),), streams=(STREAM,))
