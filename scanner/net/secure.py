"""The TLS client contexts every TLS connection of camscan is made with.

Cameras present self-signed or vendor-CA certificates for an IP address, so nothing is
verified: a certificate is evidence of who made the firmware, not a trust decision. Old
firmware speaks TLS 1.0 with old ciphers, so the probing context accepts those too: it only
ever reads a certificate and a page and sends no secret. A connection that will carry one (a
credentialed login) uses :func:`secret_context`: TLS 1.2 or later at the system's default
security level (issue 12).
"""

from __future__ import annotations

import contextlib
import functools
import ssl


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
