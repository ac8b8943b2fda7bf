"""Run one scan as `camscan scan TARGET --timeout T` builds it, in a process of its own.

    python tests/hostile/scan_runner.py TARGET TIMEOUT OUTDIR

Writes OUTDIR/scan.json, scan.txt (table) and scan.csv from the one scan, and prints one JSON
line: wall seconds, peak RSS (VmHWM, MiB) and the asyncio errors seen (an unexpected
exception in a callback or a task is a traceback the user would see). Its own process, so
the peak RSS is the scan's and nothing else's.
"""

from __future__ import annotations

import asyncio
import io
import json
import sys
import time
from pathlib import Path
from typing import Any

from scanner.engine.plan import plan
from scanner.engine.scan import ScanRequest, run_scan
from scanner.engine.unicast import UnicastOptions
from scanner.model import Device, ScanInfo
from scanner.output import make_formatter
from scanner.protocols.registry import DEFAULT_PORTS
from scanner.recognize import Recognizer
from scanner.scope import parse_targets


class Tee:
    """Hands every device to the json, table and csv formatters at once."""

    def __init__(self) -> None:
        self.streams = {name: io.StringIO() for name in ("json", "table", "csv")}
        self.formatters = {name: make_formatter(name) for name in self.streams}
        for name, formatter in self.formatters.items():
            formatter.begin(self.streams[name])

    def device(self, device: Device) -> None:
        for formatter in self.formatters.values():
            formatter.device(device)

    def end(self, info: ScanInfo) -> None:
        for formatter in self.formatters.values():
            formatter.end(info)


def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return -1.0


async def scan(
    target: str, timeout: float, recognizer: Recognizer, tee: Tee, errors: list[str]
) -> ScanInfo:
    loop = asyncio.get_running_loop()

    def on_error(_: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        errors.append(f"{context.get('message')}: {context.get('exception')!r}")

    loop.set_exception_handler(on_error)
    scope = parse_targets([target])
    chosen = plan(scope, None, multicast=True, unicast_all=False, timeout=timeout)
    unicast = UnicastOptions(ports=tuple(DEFAULT_PORTS), timeout=timeout)
    options: dict[str, object] = {"timeout": timeout, "discovery_plan": chosen.describe()}
    request = ScanRequest(scope, (target,), unicast, options, chosen.context)
    return await run_scan(request, recognizer, tee.device)


def main(target: str, timeout: float, outdir: Path) -> None:
    tee, errors, recognizer = Tee(), [], Recognizer.load()
    started = time.monotonic()
    info = asyncio.run(scan(target, timeout, recognizer, tee, errors))
    seconds = time.monotonic() - started
    tee.end(info)
    for name, suffix in (("json", "json"), ("table", "txt"), ("csv", "csv")):
        (outdir / f"scan.{suffix}").write_text(tee.streams[name].getvalue(), encoding="utf-8")
    print(json.dumps({"seconds": seconds, "peak_rss_mib": peak_rss_mib(), "errors": errors}))


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), Path(sys.argv[3]))
