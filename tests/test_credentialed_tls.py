"""The credentialed probe over HTTPS: Basic only when allowed, a secret only over modern TLS.

The cameras are the loopback devices of test_credentialed_probe.py behind a TLS server with a
throwaway self-signed certificate (issue 12, item 3: with credentials, a Basic-only HTTPS
device used to get the password three times, over TLS down to 1.0 at SECLEVEL=0).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
import warnings
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from scanner.credentials import Credentials
from scanner.engine.credentialed import extend
from scanner.model import Outcome, ProbeStatus
from scanner.net.tcp import Net
from scanner.protocols.host import ProbeContext
from scanner.protocols.tls import TlsProbe
from scanner.scope import parse_targets
from tests.test_credentialed_probe import HIKVISION, Camera, credentials, report

HOST = "127.77.2.9"


def server_context(tmp_path: Path, *, legacy: bool = False) -> ssl.SSLContext:
    """A TLS server with a self-signed certificate; `legacy`: TLS 1.0 only, SECLEVEL=0."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "camera")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=9))
        .sign(key, hashes.SHA256())
    )
    pem = tmp_path / "camera.pem"
    pem.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pem)
    if legacy:
        context.set_ciphers("ALL:@SECLEVEL=0")
        with warnings.catch_warnings():  # deprecated, which is the point of this device
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1
    return context


async def _extend_tls(device: Camera, given: Credentials, tls: ssl.SSLContext) -> ProbeStatus:
    server = await asyncio.start_server(device.handle, HOST, 0, ssl=tls)
    port = server.sockets[0].getsockname()[1]
    ctx = ProbeContext(Net(parse_targets([HOST])), timeout=1.0)
    try:
        done = await extend(ctx, report(HOST, port), given, 5.0, (port, True))
    finally:
        server.close()
    return next(s for s in done.statuses if s.probe == "credentialed")


def test_basic_over_https_is_refused_without_the_flag(tmp_path: Path) -> None:
    """A Basic-only device on HTTPS gets no password (at ISAPI, magicBox or ONVIF) unless
    allow_basic_auth: TLS to a camera is unverified, so it is no opt-in of its own."""
    tls = server_context(tmp_path)
    device = Camera(HIKVISION, auth="basic")
    status = asyncio.run(_extend_tls(device, credentials(), tls))
    assert status.outcome is Outcome.NO_ANSWER, status
    assert "Basic over HTTPS refused (--allow-basic-auth off)" in status.detail
    assert device.seen and all(scheme == "" for _, scheme in device.seen), device.seen
    allowed = Camera(HIKVISION, auth="basic")
    status = asyncio.run(_extend_tls(allowed, credentials(allow_basic_auth=True), tls))
    assert status.outcome is Outcome.OK, status
    assert [scheme for _, scheme in allowed.seen if scheme] == ["Basic"]


def test_a_secret_never_goes_over_legacy_tls(tmp_path: Path) -> None:
    """A device that speaks only TLS 1.0 (SECLEVEL=0 ciphers) gets not one request from a
    login session, Digest or Basic; the certificate probe, which sends no secret, still
    reads its certificate."""
    tls = server_context(tmp_path, legacy=True)
    for auth, given in (("digest", credentials()), ("basic", credentials(allow_basic_auth=True))):
        device = Camera(HIKVISION, auth=auth)
        status = asyncio.run(_extend_tls(device, given, tls))
        assert status.outcome is Outcome.ERROR and "TLS handshake failed" in status.detail, status
        assert device.seen == []

    async def certificate() -> ProbeStatus:
        server = await asyncio.start_server(Camera(HIKVISION).handle, HOST, 0, ssl=tls)
        ctx = ProbeContext(Net(parse_targets([HOST])), timeout=1.0)
        try:
            result = await TlsProbe().run(ctx, HOST, server.sockets[0].getsockname()[1])
        finally:
            server.close()
        return result.status

    assert asyncio.run(certificate()).outcome is Outcome.OK
