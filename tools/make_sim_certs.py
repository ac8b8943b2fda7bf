#!/usr/bin/env python3
"""Write the TLS certificates of the simulated LAN: scanner/sim/data/certs/<persona>.pem.

    python tools/make_sim_certs.py          # needs the `cryptography` package (test extra)

These are our own test certificates, not captures: the keys and validity are ours, but the
subject and issuer names are the ones real devices presented (personas.toml cites each).
A persona whose issuer differs from its subject gets a generated issuer certificate with
exactly that name, which signs its certificate, so the issuer string a client sees is real.
Each PEM file holds the private key, the certificate and (if any) the issuer certificate,
which is what ssl.SSLContext.load_cert_chain() takes; the lab needs only the stdlib then.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scanner.sim.personas import Persona, load_personas  # noqa: E402

OUT = ROOT / "scanner" / "sim" / "data" / "certs"
NOT_BEFORE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
NOT_AFTER = dt.datetime(2099, 12, 31, 23, 59, 59, tzinfo=dt.UTC)

_HEX_VALUE = re.compile(r"^#([0-9a-fA-F]{4,})$")
_DER_STRING_TYPES = {
    0x0C: _ASN1Type.UTF8String,
    0x13: _ASN1Type.PrintableString,
    0x16: _ASN1Type.IA5String,
    0x1E: _ASN1Type.BMPString,
}


def dn_from_rfc4514(text: str) -> x509.Name:
    """The Name an RFC 4514 string denotes, `<dotted OID>=#<DER>` values included.

    cryptography's parser keeps `#...` values as text; RFC 4514 section 2.4 says they are
    the BER encoding of the value, so they are decoded here, keeping their string type.
    """
    rdns: list[x509.RelativeDistinguishedName] = []
    for part in re.split(r"(?<!\\),", text):  # an escaped comma does not split
        key, _, value = part.partition("=")
        match = _HEX_VALUE.match(value)
        if match is None:
            rdns.extend(x509.Name.from_rfc4514_string(part).rdns)
        else:
            attr = _decode_der_attr(x509.ObjectIdentifier(key), bytes.fromhex(match.group(1)))
            rdns.append(x509.RelativeDistinguishedName([attr]))
    return x509.Name(list(reversed(rdns)))  # RFC 4514 lists the last RDN first


def _decode_der_attr(oid: x509.ObjectIdentifier, der: bytes) -> x509.NameAttribute[str]:
    tag, length, value = der[0], der[1], der[2:]
    if tag not in _DER_STRING_TYPES or length >= 0x80 or length != len(value):
        raise ValueError(f"unsupported DER value {der.hex()} for {oid.dotted_string}")
    text = value.decode("utf-16-be" if tag == 0x1E else "utf-8")
    return x509.NameAttribute(oid, text, _type=_DER_STRING_TYPES[tag])


def _cert(subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey,
          signer: ec.EllipticCurvePrivateKey, ca: bool) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    return builder.sign(signer, hashes.SHA256())


def write_persona_cert(persona: Persona, out: Path) -> Path:
    """Generate and write `<out>/<persona>.pem`; returns its path."""
    assert persona.tls is not None
    subject = dn_from_rfc4514(persona.tls.subject)
    issuer = dn_from_rfc4514(persona.tls.issuer)
    key = ec.generate_private_key(ec.SECP256R1())
    chain: list[x509.Certificate]
    if subject == issuer:
        chain = [_cert(subject, subject, key, key, ca=False)]
    else:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = _cert(issuer, issuer, ca_key, ca_key, ca=True)
        chain = [_cert(subject, issuer, key, ca_key, ca=False), ca]
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    pem += b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain)
    path = out / f"{persona.name}.pem"
    path.write_bytes(pem)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="directory (default: %(default)s)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    wanted = {p.name for p in load_personas() if p.tls is not None}
    for stale in args.out.glob("*.pem"):
        if stale.stem not in wanted:
            stale.unlink()
    for persona in load_personas():
        if persona.tls is not None:
            print(write_persona_cert(persona, args.out))
    return 0


__all__ = ["dn_from_rfc4514", "main", "write_persona_cert"]

if __name__ == "__main__":
    raise SystemExit(main())
