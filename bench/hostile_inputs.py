"""Memory and time of camscan on the hostile inputs of issue 12: a benchmark, not a unit test.

    python bench/hostile_inputs.py [--camscan PATH] [--only NAME ...] [--scale 1.0] [--keep DIR]

Each case writes a crafted input (a capture, an observations file, a scan document), runs
one camscan command on it under /usr/bin/time -v, and prints its exit status, wall seconds,
maximum resident set size and the first line camscan wrote on stderr. `--camscan` names
the executable to measure (another checkout's venv, to compare before and after);
`--scale` shrinks or grows the inputs. Nothing is sent anywhere: every case is offline.

Cases (the issue's numbers, measured before the fix, in brackets):
- frag-overlap: 64 IPv4 datagrams, each in 1024 overlapping 16000-byte fragments that never
  complete, gzip-compressed [1.6 MB gzip capture -> 1.1 GB RSS].
- frag-quadratic: datagrams whose last fragment comes first, then 8-byte fragments in
  order, so every fragment completes a longer prefix [4.6 MB capture -> 26 s].
- notify-flood: distinct SSDP NOTIFYs of 16 KiB from 4096 hosts [200 MB -> 672 MB RSS].
- long-line: one observations line of 400 MB [822 MB RSS].
- many-hosts: 200,000 hosts, one observation each [1.5 GB RSS].
- big-values: 16 KiB values, 512 per host, up to identify's text budget.
- brackets / digits: `[` x 100000, a 5000-digit port [exit 1 "internal error"].
- report-braces: a 39 MB scan document of empty objects for `camscan report` [1 GB RSS].
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262_144, 1)
MACS = bytes.fromhex("020000000002" "020000000001")


def _frame(src: str, dst: str, ident: int, offset: int, more: bool, payload: bytes,
           proto: int = 17) -> bytes:
    """An Ethernet + IPv4 frame (checksum left 0: camscan does not check it)."""
    flags = (0x2000 if more else 0) | (offset // 8)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident & 0xFFFF, flags, 64,
                     proto, 0, bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))))
    return MACS + b"\x08\x00" + ip + payload


def _record(frame: bytes, stamp: int) -> bytes:
    return struct.pack("<IIII", stamp, 0, len(frame), len(frame)) + frame


def _udp(sport: int, dport: int, payload: bytes) -> bytes:
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def frag_overlap(path: Path, scale: float) -> list[str]:
    target = path / "frag-overlap.pcap.gz"
    piece = b"\x00" * 16_000
    with gzip.open(target, "wb", compresslevel=6) as out:
        out.write(PCAP_HEADER)
        for ident in range(64):
            for n in range(int(1024 * scale)):
                offset = (n * 8) % 49_000
                out.write(_record(_frame("192.0.2.7", "192.0.2.2", ident, offset, True, piece), n))
    return ["identify", "--pcap", str(target), "-f", "json", "-o", "/dev/null"]


def frag_quadratic(path: Path, scale: float) -> list[str]:
    target = path / "frag-quadratic.pcap"
    with target.open("wb") as out:
        out.write(PCAP_HEADER)
        for ident in range(max(1, int(10 * scale))):
            last = 65_528
            out.write(_record(_frame("192.0.2.8", "192.0.2.2", ident, last, False, b"y" * 7), 0))
            for offset in range(0, last, 8):
                head = _udp(3702, 50000, b"") if offset == 0 else b"x" * 8
                out.write(_record(_frame("192.0.2.8", "192.0.2.2", ident, offset, True, head), 1))
    return ["identify", "--pcap", str(target), "-f", "json", "-o", "/dev/null"]


def notify_flood(path: Path, scale: float) -> list[str]:
    target = path / "notify-flood.pcap"
    filler = "X" * 16_000
    with target.open("wb") as out:
        out.write(PCAP_HEADER)
        for n in range(int(12_800 * scale)):
            host = f"10.1.{(n % 4096) // 256}.{(n % 4096) % 256 or 1}"
            text = (f"NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nNT: upnp:rootdevice\r\n"
                    f"NTS: ssdp:alive\r\nUSN: uuid:{n}\r\nX-Pad: {filler}\r\n\r\n").encode()
            frame = _frame(host, "239.255.255.250", n, 0, False, _udp(1900, 1900, text))
            out.write(_record(frame, n))
    return ["identify", "--pcap", str(target), "-f", "json", "-o", "/dev/null"]


def long_line(path: Path, scale: float) -> list[str]:
    target = path / "long-line.jsonl"
    with target.open("w") as out:
        out.write('{"host": "192.0.2.9", "field": "http.server", "value": "')
        block = "a" * (1 << 20)
        for _ in range(int(400 * scale)):
            out.write(block)
        out.write('"}\n')
    return ["identify", str(target), "-f", "json", "-o", "/dev/null"]


def many_hosts(path: Path, scale: float) -> list[str]:
    target = path / "many-hosts.jsonl"
    with target.open("w") as out:
        for n in range(int(200_000 * scale)):
            host = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
            out.write(json.dumps({"host": host, "field": "http.server", "value": "Boa/0.94"}))
            out.write("\n")
    return ["identify", str(target), "-f", "json", "-o", "/dev/null"]


def big_values(path: Path, scale: float) -> list[str]:
    """As many 16 KiB values as identify keeps: 512 per host, until its text budget."""
    target = path / "big-values.jsonl"
    with target.open("w") as out:
        for n in range(int(3_072 * scale)):
            value = f"{n:08d}" + "v" * 16_000
            host = f"10.0.{n // 512}.1"
            out.write(json.dumps({"host": host, "field": "http.body", "value": value}) + "\n")
    return ["identify", str(target), "-f", "json", "-o", "/dev/null"]


def brackets(path: Path, scale: float) -> list[str]:
    target = path / "brackets.jsonl"
    target.write_text("[" * 100_000 + "\n")
    return ["identify", str(target), "-f", "json", "-o", "/dev/null"]


def digits(path: Path, scale: float) -> list[str]:
    target = path / "digits.jsonl"
    target.write_text('{"host": "192.0.2.9", "field": "http.server", "value": "x", "port": '
                      + "9" * 5000 + "}\n")
    return ["identify", str(target), "-f", "json", "-o", "/dev/null"]


def report_braces(path: Path, scale: float) -> list[str]:
    target = path / "braces.json"
    with target.open("w") as out:
        out.write('{"schema": "camscan/1", "scan": {}, "devices": [')
        out.write(",".join(["{}"] * int(13_000_000 * scale)))
        out.write("]}")
    return ["report", str(target), "-o", str(path / "report.html")]


CASES: dict[str, Callable[[Path, float], list[str]]] = {
    "frag-overlap": frag_overlap,
    "frag-quadratic": frag_quadratic,
    "notify-flood": notify_flood,
    "long-line": long_line,
    "many-hosts": many_hosts,
    "big-values": big_values,
    "brackets": brackets,
    "digits": digits,
    "report-braces": report_braces,
}


def measure(camscan: str, argv: list[str]) -> tuple[int, float, float, str]:
    """(exit status, seconds, max RSS in MB, first stderr line of camscan)."""
    started = time.monotonic()
    done = subprocess.run(["/usr/bin/time", "-v", camscan, *argv], capture_output=True,
                          text=True, check=False)
    seconds = time.monotonic() - started
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    own = [line for line in done.stderr.splitlines()
           if line.strip() and not line.startswith("\t") and "Command" not in line]
    first = own[0][:150] if own else ""
    return done.returncode, seconds, int(rss.group(1)) / 1024 if rss else -1.0, first


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--camscan", default=shutil.which("camscan") or "camscan")
    parser.add_argument("--only", nargs="*", choices=sorted(CASES))
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--keep", type=Path, help="write the inputs here and keep them")
    args = parser.parse_args()
    if not Path("/usr/bin/time").exists():
        print("bench: /usr/bin/time is needed (apt-get install time)", file=sys.stderr)
        return 2
    work = args.keep or Path(tempfile.mkdtemp(prefix="camscan-hostile-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"{'case':15} {'input MB':>9} {'exit':>4} {'seconds':>8} {'RSS MB':>8}  stderr")
    try:
        for name in args.only or CASES:
            argv = CASES[name](work, args.scale)
            size = sum(Path(a).stat().st_size for a in argv if Path(a).is_file()) / 1e6
            status, seconds, rss, first = measure(args.camscan, argv)
            print(f"{name:15} {size:9.1f} {status:4} {seconds:8.1f} {rss:8.0f}  {first}")
            if args.keep is None:
                for item in work.iterdir():
                    item.unlink()
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
