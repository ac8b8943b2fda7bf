"""`camscan demo`: start the simulated camera LAN on loopback, scan it, print the result.

The scan is the real one (scanner.scan.run_scan) aimed at the lab's loopback addresses, so
the demo shows what `camscan scan` does on a real LAN.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

from scanner.output import Formatter
from scanner.progress import progress
from scanner.recognize import Recognizer
from scanner.scan import ScanRequest, run_scan
from scanner.scope import parse_targets
from scanner.sim.lab import Lab
from scanner.unicast import UnicastOptions


async def _demo(
    recognizer: Recognizer, formatter: Formatter, timeout: float, say: Callable[[str], None]
) -> None:
    async with Lab() as lab:
        if any(real != served for real, served in lab.port_map.items()):
            say(
                "camscan demo: cannot bind ports below 1024 here; the simulated devices "
                "serve on port+10000 instead"
            )
        scope = parse_targets(list(lab.addresses))
        ports = tuple(sorted(lab.services))
        unicast = UnicastOptions(ports=ports, timeout=timeout, services=dict(lab.services))
        request = ScanRequest(scope, tuple(lab.addresses), unicast, {"demo": True})
        with progress(sys.stderr, "demo") as on_progress:
            info = await run_scan(request, recognizer, formatter.device, on_progress)
        formatter.end(info)


def run_demo(
    recognizer: Recognizer, formatter: Formatter, timeout: float, say: Callable[[str], None]
) -> None:
    asyncio.run(_demo(recognizer, formatter, timeout, say))
