"""TLS probe, HTTPS probe and the DER name walker, with certificates made at test time.

Names are real ones: s0105 (recog x509_subjects, Hikvision DVR default certificate), s0154
(recog, TP-LINK CA, rendered by recog with the emailAddress as an OID), s0215 (curl -v of a
Dahua NVR, rroller/dahua#647; curl printed the names in DER order).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

from scanner.errors import DecodeError
from scanner.model import Outcome
from scanner.parse.tls import certificate_names, render_name
from scanner.protocols.http import HttpProbe
from scanner.protocols.tls import TlsProbe

from .loopback import context, read_head, serve

A = x509.NameAttribute
OID = {
    "C": NameOID.COUNTRY_NAME,
    "ST": NameOID.STATE_OR_PROVINCE_NAME,
    "L": NameOID.LOCALITY_NAME,
    "O": NameOID.ORGANIZATION_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "CN": NameOID.COMMON_NAME,
    "emailAddress": NameOID.EMAIL_ADDRESS,
}


def _name(*parts: tuple[str, str]) -> x509.Name:
    """An X.509 name from (attribute, value) pairs, in the order given."""
    return x509.Name([A(OID[key], value) for key, value in parts])


HIKVISION = _name(
    ("C", "CN"), ("ST", "ZheJiang"), ("L", "HangZhou"), ("O", "HIKVISION"), ("OU", "DVRNVR"),
    ("CN", "www.hikvision.com"),
)
HIKVISION_TEXT = "CN=www.hikvision.com,OU=DVRNVR,O=HIKVISION,L=HangZhou,ST=ZheJiang,C=CN"
TPLINK = _name(
    ("emailAddress", "service@tp-link.com.cn"), ("C", "CN"), ("ST", "Guangdong"),
    ("L", "Shenzhen"), ("O", "TP-LINK Technologies CO., LTD."), ("CN", "TP-LINK CA"),
)
TPLINK_TEXT = (
    "CN=TP-LINK CA,O=TP-LINK Technologies CO.\\, LTD.,L=Shenzhen,ST=Guangdong,C=CN,"
    "1.2.840.113549.1.9.1=#0c16736572766963654074702d6c696e6b2e636f6d2e636e"
)
DAHUA_CA = _name(
    ("CN", "NVR"), ("C", "CN"), ("ST", "Zhejiang"), ("L", "Hangzhou"),
    ("O", "ZheJiang Dahua Technology CO.,LTD."), ("OU", "NVR"),
)
DAHUA_LEAF = _name(("CN", "192.168.20.92"), ("C", "CN"))


def _der(name: x509.Name) -> bytes:
    return name.public_bytes()


def _certificate(
    subject: x509.Name, issuer: x509.Name | None = None
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A certificate for ``subject``, self-signed or signed by a throwaway ``issuer`` key."""
    key = ec.generate_private_key(ec.SECP256R1())
    signer = ec.generate_private_key(ec.SECP256R1()) if issuer else key
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer or subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(signer, hashes.SHA256())
    )
    return cert, key


def _server_context(tmp_path: Path, subject: x509.Name, issuer: x509.Name | None) -> ssl.SSLContext:
    cert, key = _certificate(subject, issuer)
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    return server


def test_render_real_names() -> None:
    """Hikvision's and TP-LINK's default names render exactly as recog shows them."""
    assert render_name(_der(HIKVISION)) == HIKVISION_TEXT
    assert render_name(_der(TPLINK)) == TPLINK_TEXT
    assert render_name(_der(HIKVISION)) == HIKVISION.rfc4514_string()


def test_render_escapes_and_multivalue() -> None:
    """RFC 4514 escaping (specials, leading '#'/space, trailing space) and '+' for one RDN."""
    name = x509.Name(
        [
            x509.RelativeDistinguishedName(
                [A(NameOID.COMMON_NAME, "a+b"), A(NameOID.ORGANIZATIONAL_UNIT_NAME, "#1")]
            ),
            x509.RelativeDistinguishedName([A(NameOID.ORGANIZATION_NAME, ' x;"<>\\ ')]),
        ]
    )
    text = render_name(_der(name))
    assert text.startswith('O=\\ x\\;\\"\\<\\>\\\\\\ ,')
    # DER sorts a SET's members, so either order is faithful to what the device sent.
    assert text.split(",", 1)[1] in ("CN=a\\+b+OU=\\#1", "OU=\\#1+CN=a\\+b")


def test_render_string_types() -> None:
    """BMPString and UTF8String values decode; a short-named SERIALNUMBER keeps its name."""
    name = x509.Name(
        [
            A(NameOID.COMMON_NAME, "网络摄像机", _type=_ASN1Type.BMPString),
            A(NameOID.SERIAL_NUMBER, "DS-2CD2042WD"),
            A(NameOID.ORGANIZATION_NAME, "Ünïcode"),
        ]
    )
    assert render_name(_der(name)) == "O=Ünïcode,SERIALNUMBER=DS-2CD2042WD,CN=网络摄像机"


def test_certificate_names_from_der() -> None:
    """Subject and issuer come from the right places of a CA-signed certificate."""
    cert, _ = _certificate(DAHUA_LEAF, DAHUA_CA)
    names = certificate_names(cert.public_bytes(serialization.Encoding.DER))
    assert names.subject == "C=CN,CN=192.168.20.92"
    assert names.issuer == (
        "OU=NVR,O=ZheJiang Dahua Technology CO.\\,LTD.,L=Hangzhou,ST=Zhejiang,C=CN,CN=NVR"
    )


def test_broken_der_is_decode_error() -> None:
    """Every truncation and many bit flips of a real certificate give a result or DecodeError."""
    cert, _ = _certificate(HIKVISION)
    der = cert.public_bytes(serialization.Encoding.DER)
    for cut in range(len(der)):
        with pytest.raises(DecodeError):
            certificate_names(der[:cut])
    for index in range(0, len(der), 3):
        flipped = der[:index] + bytes([der[index] ^ 0xA5]) + der[index + 1 :]
        with contextlib.suppress(DecodeError):
            certificate_names(flipped)


def test_tls_probe_self_signed(tmp_path: Path) -> None:
    """The tls probe reads a self-signed certificate without verifying it."""

    async def main() -> list[tuple[str, str]]:
        async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read()

        served = await serve("127.77.3.1", hold, tls=_server_context(tmp_path, HIKVISION, None))
        result = await TlsProbe().run(context("127.77.3.1"), served.host, served.port)
        served.close()
        assert result.status.outcome is Outcome.OK, result.status
        return [(o.field, o.value) for o in result.observations]

    assert asyncio.run(main()) == [("tls.subject", HIKVISION_TEXT), ("tls.issuer", HIKVISION_TEXT)]


def test_https_probe_records_page_and_certificate(tmp_path: Path) -> None:
    """https speaks HTTP over TLS and records the certificate of its handshake."""
    tls = _server_context(tmp_path, DAHUA_LEAF, DAHUA_CA)

    async def main() -> dict[str, str]:
        async def page(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await read_head(reader)
            writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()

        served = await serve("127.77.3.2", page, tls=tls)
        result = await HttpProbe("https", tls=True).run(
            context("127.77.3.2"), served.host, served.port
        )
        served.close()
        assert result.status.outcome is Outcome.OK, result.status
        assert {o.probe for o in result.observations} == {"https"}
        return {o.field: o.value for o in result.observations}

    fields = asyncio.run(main())
    assert fields["tls.subject"] == "C=CN,CN=192.168.20.92"
    assert fields["tls.issuer"].startswith("OU=NVR,O=ZheJiang Dahua Technology CO.\\,LTD.")


def test_tls_probe_on_plain_port() -> None:
    """A plaintext server on a TLS port is an error, not a hang or a crash."""

    async def main() -> tuple[Outcome, str]:
        async def plain(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read(10)
            writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
            await writer.drain()

        served = await serve("127.77.3.3", plain)
        result = await TlsProbe().run(context("127.77.3.3"), served.host, served.port)
        served.close()
        return result.status.outcome, result.status.detail

    outcome, detail = asyncio.run(main())
    assert outcome is Outcome.ERROR and detail.startswith("TLS handshake failed")
