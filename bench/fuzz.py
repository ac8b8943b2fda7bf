"""Long fuzz run of every parser that reads what a device sent: a benchmark, not a unit test.

    python bench/fuzz.py [--count 100000] [--seed 1] [--only NAME ...] [--jobs 2] [--crashes DIR]

Each parser gets COUNT inputs made from real seeds (tests/fixtures/captures, the simulated
LAN's captured answers, its certificates, the hostile personas' payloads): bytes flipped,
inserted, deleted, repeated or spliced between seeds, tokens of the format dropped in,
inputs cut or grown past the 64 KiB bounds. A parser may return or raise DecodeError;
anything else is a bug. Printed: one line per parser (inputs, returned, DecodeError, other,
seconds), then every other exception once per (parser, type, message). Exit status 1 if
there was any. The unit suite runs the same property with hypothesis, a few hundred inputs
each; this is the long run.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import gzip
import multiprocessing
import random
import re
import sys
import time
import traceback
import zlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scanner.errors import DecodeError  # noqa: E402
from scanner.parse import (  # noqa: E402
    auth,
    html,
    isapi,
    kv,
    mdns,
    message,
    onvif,
    rtsp,
    tls,
    upnp,
    xmlsafe,
)
from scanner.parse import dhip as dhip_parse  # noqa: E402
from scanner.parse import sadp as sadp_parse  # noqa: E402
from scanner.parse import ssdp as ssdp_parse  # noqa: E402
from scanner.parse import wsd as wsd_parse  # noqa: E402
from scanner.parse import xm as xm_parse  # noqa: E402
from scanner.protocols import dhip, registry, sadp, ssdp, ubnt, wsd, xm  # noqa: E402
from scanner.protocols.banner import banner_text  # noqa: E402
from scanner.protocols.lan import Findings, http_target  # noqa: E402
from scanner.protocols.udp import Datagram  # noqa: E402
from scanner.sim.personas import load_personas  # noqa: E402
from scanner.sim.responders import BUILDERS, load_discovery_personas  # noqa: E402
from scanner.sim.servers import render  # noqa: E402
from tests.hostile.lab import personas as hostile  # noqa: E402

CAPTURES = ROOT / "tests" / "fixtures" / "captures"
CERTS = ROOT / "scanner" / "sim" / "data" / "certs"
TOKEN = "6B2F5C8E-0000-4000-8000-000000000001"
TOKENS = {
    "xml": [b"<", b">", b"</", b"/>", b"&", b"&amp;", b"&#0;", b"&#x10FFFF;", b"<!DOCTYPE a [",
            b"<!ENTITY e SYSTEM 'file:///etc/passwd'>", b"]]>", b"<![CDATA[", b"xmlns:d=",
            b'encoding="utf-16"', b"<?xml version='1.0'?>", b"\xef\xbb\xbf", b"\xff\xfe"],
    "json": [b"{", b"}", b"[", b"]", b'"', b"\\u0000", b"\\ud800", b"1e999", b"-0", b",", b":",
             b"null", b"9" * 30, b'"deviceInfo":', b'"params":'],
    "text": [b"\r\n", b"\n", b"\r\n\r\n", b":", b"=", b" ", b"\t", b"\x00", b"%", b"%zz",
             b"\xc3\x28", b"\xe2\x80\xae", b"\x1b[31m", b"HTTP/1.1 ", b"RTSP/1.0 ", b"0x",
             b"Content-Length: 99999999999\r\n", b"Transfer-Encoding: chunked\r\n",
             b"ffffffff\r\n"],
    "binary": [b"\x00", b"\xff", b"\x80", b"\x30\x82\xff\xff", b"\x06\x03\x55\x04\x03",
               b"\x00\xff\xff", b"\x01\x00\x00\x00"],
}


def _read(path: Path) -> bytes:
    return path.read_bytes()


def captures(*suffixes: str) -> list[bytes]:
    return [_read(p) for p in sorted(CAPTURES.iterdir()) if p.name.endswith(suffixes)]


def answers(protocol: str) -> list[bytes]:
    """The discovery personas' answers for `protocol`, as the responders serve them."""
    requests = {
        "sadp": sadp.inquiry(TOKEN), "dhip": dhip.search_request(), "ubnt": ubnt.REQUEST,
        "xm": xm.search_request(), "ssdp": ssdp.search("ssdp:all", 1),
        "wsd": wsd.probe_message("urn:uuid:1", *wsd.TYPES[0]),
    }
    built = []
    for persona in load_discovery_personas():
        if protocol in persona.answers:
            data = BUILDERS[protocol](persona.answers[protocol], "192.0.2.7", requests[protocol])
            built += [data] if data else []
    return built


def http_answers(kind: str) -> list[bytes]:
    """Every HTTP or RTSP answer of the simulated LAN's personas, rendered as served."""
    found = []
    for persona in load_personas():
        if kind == "http" and persona.http is not None:
            found.append(render(persona.http, "HTTP/1.1"))
        for _, answer in persona.rtsp if kind == "rtsp" else ():
            found.append(render(answer, "RTSP/1.0", cseq="1", url="rtsp://192.0.2.7/"))
    return found


def certificates() -> list[bytes]:
    found = []
    for path in sorted(CERTS.glob("*.pem")):
        for block in re.findall(rb"-----BEGIN CERTIFICATE-----(.+?)-----END", _read(path), re.S):
            found.append(base64.b64decode(b"".join(block.split())))
    return found


def chunked(seeds: list[bytes]) -> list[bytes]:
    """Each seed as a chunked body, in chunks of 7 bytes."""
    out = []
    for data in seeds:
        pieces = [data[i : i + 7] for i in range(0, len(data), 7)]
        parts = [b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces]
        out.append(b"".join(parts) + b"0\r\n\r\n")
    return out


def bodies(kind: str) -> list[bytes]:
    """The bodies after the head of each persona answer (SDP for rtsp, pages for http)."""
    return [a.split(b"\r\n\r\n", 1)[1] for a in http_answers(kind) if b"\r\n\r\n" in a]


def _read_datagram(read: Callable[[Datagram, Findings], bool]) -> Callable[[bytes], object]:
    return lambda data: read(Datagram("192.0.2.7", 1, data), Findings("fuzz"))


def _text(call: Callable[[str], object]) -> Callable[[bytes], object]:
    return lambda data: call(data.decode("utf-8", "surrogateescape"))


def _all_fields(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    for field in sorted(registry.STRUCTURED_FIELDS):
        with contextlib.suppress(DecodeError):
            registry.parse_field(field, text)
        registry.derived(field, text)


def _url(data: bytes) -> None:
    target = http_target(data.decode("utf-8", "surrogateescape"))
    if target is not None:
        from scanner.protocols.web import build_request

        build_request(target[0], target[1], target[2], 80)


def _challenge(data: bytes) -> None:
    for challenge in auth.parse_challenges(data.decode("latin-1")):
        with contextlib.suppress(DecodeError):
            line = auth.digest_authorization(
                challenge, "admin", "pw", auth.DigestAnswer("GET", "/", "c")
            )
            if "\r" in line or "\n" in line:
                raise AssertionError("line break in an Authorization header")


def _urls() -> list[bytes]:
    texts = b" ".join(answers("ssdp") + answers("wsd"))
    found = re.findall(rb"https?://[^\s<\"]+", texts)
    return [*found, b"http://192.0.2.7:45895/r\xc3\xa1\xc3\xadz desc.xml", b"http://[::1]/"]


def _challenges() -> list[bytes]:
    found = re.findall(rb"(?im)^WWW-Authenticate: *([^\r\n]+)", b"\n".join(http_answers("http")))
    found += re.findall(rb"(?im)^WWW-Authenticate: *([^\r\n]+)", b"\n".join(http_answers("rtsp")))
    return found


def _xml() -> list[bytes]:
    return [*captures(".xml"), hostile.upnp_billion_laughs(), hostile.soap_billion_laughs()]


Target = tuple[str, Callable[[], list[bytes]], Callable[[bytes], object]]
TARGETS: dict[str, Target] = {
    "xmlsafe.parse_xml": ("xml", _xml, xmlsafe.parse_xml),
    "sadp.parse_sadp": ("xml", lambda: captures(".sadp.xml") + answers("sadp"),
                        sadp_parse.parse_sadp),
    "wsd.parse_probematch": ("xml", lambda: captures(".wsd.xml") + answers("wsd"),
                             wsd_parse.parse_probematch),
    "wsd.probematch_table": ("xml", lambda: captures(".wsd.xml") + answers("wsd"),
                             wsd_parse.probematch_table),
    "onvif.parse_device_information": (
        "xml",
        lambda: [*captures(".devinfo.xml", ".onvif-fault.xml"), hostile.soap_billion_laughs()],
        onvif.parse_device_information),
    "wsd.parse_scopes": ("text", lambda: captures(".scopes.txt"), wsd_parse.parse_scopes),
    "upnp.parse_upnp_description": (
        "xml", lambda: [*captures(".upnp.xml"), hostile.upnp_billion_laughs()],
        upnp.parse_upnp_description),
    "isapi.parse_isapi_device_info": ("xml", lambda: captures(".isapi.xml"),
                                      isapi.parse_isapi_device_info),
    "ssdp.parse_ssdp": ("text", lambda: captures(".ssdp.txt", ".notify.txt") + answers("ssdp"),
                        ssdp_parse.parse_ssdp),
    "dhip.parse_dhip": ("json", lambda: captures(".dhip.json", ".dhip.txt") + answers("dhip"),
                        dhip_parse.parse_dhip),
    "kv.parse_kv_lines": ("text", lambda: captures(".magicbox.txt"), kv.parse_kv_lines),
    "mdns.parse_txt": ("text", lambda: captures(".mdns.txt"), mdns.parse_txt),
    "xm.parse_xm_table": ("json", lambda: captures(".xm.json") + answers("xm"),
                          xm_parse.parse_xm_table),
    "ubnt.parse_ubnt": ("binary", lambda: answers("ubnt"), ubnt.parse_ubnt),
    "http.parse_head": ("text", lambda: http_answers("http"), message.parse_head),
    "rtsp.parse_rtsp_head": ("text", lambda: http_answers("rtsp"), rtsp.parse_rtsp_head),
    "http.ChunkedDecoder": ("text", lambda: chunked(captures(".xml")),
                            lambda data: message.ChunkedDecoder().feed(data)),
    "http.decode_content(gzip)": ("binary", lambda: [gzip.compress(c) for c in captures(".xml")],
                                  lambda data: message.decode_content(data, "gzip", 256 * 1024)),
    "http.decode_content(deflate)": (
        "binary", lambda: [zlib.compress(c) for c in captures(".xml")],
        lambda data: message.decode_content(data, "deflate", 256 * 1024)),
    "rtsp.sdp_text": ("text", lambda: bodies("rtsp"), rtsp.sdp_text),
    "tls.certificate_names": ("binary", certificates, tls.certificate_names),
    "html.title": ("text", lambda: bodies("http"),
                   lambda data: html.extract_title(html.decode_text(data, "text/html"))),
    "banner.banner_text": ("text", lambda: [b"220 (vsFTPd 3.0.2)\r\n", b"\xff\xfb\x01login: "],
                           lambda data: [banner_text(data, f) for f in
                                         ("ftp.banner", "telnet.banner", "tcp.banner")]),
    "fields.parse_field": ("text", lambda: captures(".xml", ".txt", ".json"), _all_fields),
    "discovery.sadp.read_answer": ("xml", lambda: answers("sadp"),
                                   _read_datagram(lambda d, f: sadp.read_answer(TOKEN, d, f))),
    "discovery.dhip.read_answer": ("json", lambda: answers("dhip"),
                                   _read_datagram(dhip.read_answer)),
    "discovery.xm.read_answer": ("json", lambda: answers("xm"), _read_datagram(xm.read_answer)),
    "discovery.ubnt.read_answer": ("binary", lambda: answers("ubnt"),
                                   _read_datagram(ubnt.read_answer)),
    "discovery.wsd.read_answer": (
        "xml", lambda: answers("wsd"),
        _read_datagram(lambda d, f: wsd.read_answer({"1"}, {}, set(), d, f))),
    "discovery.ssdp.read_answer": ("text", lambda: answers("ssdp"),
                                   _read_datagram(lambda d, f: ssdp.read_answer({}, {}, d, f))),
    "discovery.http_target": ("text", _urls, _url),
    "auth.parse_challenges": ("text", _challenges, _challenge),
}


def mutate(rng: random.Random, seeds: list[bytes], tokens: list[bytes]) -> bytes:
    """One input: a seed with 1-8 random edits (or, rarely, random bytes)."""
    if rng.random() < 0.01:
        return rng.randbytes(rng.randrange(0, 2048))
    data = bytearray(rng.choice(seeds))
    for _ in range(rng.choice((1, 1, 2, 3, 5, 8))):
        at = rng.randrange(len(data) + 1)
        op = rng.randrange(9)
        if op == 0 and data:
            data[min(at, len(data) - 1)] ^= 1 << rng.randrange(8)
        elif op == 1 and data:
            data[min(at, len(data) - 1)] = rng.choice(b"\x00\xff\x7f\x80<>\"'&=:\n")
        elif op == 2:
            data[at:at] = rng.randbytes(rng.randrange(1, 9))
        elif op == 3:
            data[at:at] = rng.choice(tokens)
        elif op == 4:
            del data[at : at + rng.randrange(1, 64)]
        elif op == 5:
            start = rng.randrange(len(data) + 1)
            data[at:at] = data[start : start + rng.randrange(1, 256)]
        elif op == 6:
            other = rng.choice(seeds)
            data[at:] = other[rng.randrange(len(other) + 1) :]
        elif op == 7:
            del data[at:]
        elif op == 8 and len(data) < 70_000:
            chunk = bytes(data[at : at + rng.randrange(1, 64)]) or b"A"
            data[at:at] = chunk * rng.choice((2, 16, 256, 70_000 // len(chunk)))
    return bytes(data)


Outcome = tuple[str, int, int, int, float, float, list[str]]
"""(parser, returned, DecodeError, other, seconds, slowest input in ms, other exceptions)."""


def fuzz(name: str, count: int, seed: int, crashes: str | None) -> Outcome:
    """Run one parser on `count` mutated inputs; every other exception is kept once."""
    family, seeds_of, call = TARGETS[name]
    seeds = [s for s in seeds_of() if s] or [b""]
    tokens = TOKENS[family] + TOKENS["text"]
    rng = random.Random(f"{seed}:{name}")
    returned = decode_errors = 0
    others: Counter[tuple[str, str]] = Counter()
    notes: list[str] = []
    slowest = 0.0
    started = time.monotonic()
    for index in range(count):
        data = mutate(rng, seeds, tokens)
        began = time.perf_counter()
        try:
            call(data)
            returned += 1
        except DecodeError:
            decode_errors += 1
        except Exception as exc:  # noqa: BLE001 - the point: any other exception is a bug
            key = (type(exc).__name__, str(exc)[:120])
            if not others[key]:
                notes.append(_note(name, exc, data, index, crashes))
            others[key] += 1
        slowest = max(slowest, time.perf_counter() - began)
    seconds = time.monotonic() - started
    return name, returned, decode_errors, sum(others.values()), seconds, slowest * 1000, notes


def _note(name: str, exc: Exception, data: bytes, index: int, crashes: str | None) -> str:
    where = ""
    if crashes:
        path = Path(crashes) / f"{name}-{index}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        where = f" (input saved to {path})"
    frame = traceback.extract_tb(exc.__traceback__)[-1]
    return (f"{name}: {type(exc).__name__}: {str(exc)[:120]} at "
            f"{Path(frame.filename).name}:{frame.lineno}{where}")


def _run(job: tuple[str, int, int, str | None]) -> Outcome:
    return fuzz(*job)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="inputs per parser")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", nargs="*", default=None, choices=sorted(TARGETS))
    parser.add_argument("--jobs", type=int, default=multiprocessing.cpu_count())
    parser.add_argument("--crashes", default=None, help="directory to save crashing inputs in")
    args = parser.parse_args()
    names = args.only or list(TARGETS)
    jobs = [(name, args.count, args.seed, args.crashes) for name in names]
    print(f"{'parser':34} {'inputs':>8} {'returned':>9} {'DecodeErr':>9} {'other':>6} "
          f"{'seconds':>8} {'slowest ms':>10}", flush=True)
    notes: list[str] = []
    totals = Counter[str]()
    with multiprocessing.Pool(max(1, args.jobs)) as pool:
        for name, ok, refused, other, seconds, slow, found in pool.imap_unordered(_run, jobs):
            print(f"{name:34} {ok + refused + other:>8} {ok:>9} {refused:>9} {other:>6} "
                  f"{seconds:>8.1f} {slow:>10.1f}", flush=True)
            totals.update({"inputs": ok + refused + other, "other": other})
            notes.extend(found)
    print(f"\n{len(names)} parsers, {totals['inputs']} inputs, "
          f"{totals['other']} exceptions other than DecodeError")
    for note in notes:
        print(note)
    return 1 if totals["other"] else 0


if __name__ == "__main__":
    sys.exit(main())
