"""One scan, end to end: probe the scope, judge each host, hand each Device on as it is final.

The CLI, the demo and the tests all run scans through here, so what the demo shows is what
`camscan scan` does.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from scanner import __version__
from scanner.model import Device, ScanInfo
from scanner.recognize import Recognizer
from scanner.scope import Scope
from scanner.unicast import HostReport, UnicastOptions, probe_hosts

DeviceSink = Callable[[Device], None]
ProgressSink = Callable[[int, int], None]
"""Called with (addresses done, addresses in all) as the scan goes."""


@dataclass(frozen=True)
class ScanRequest:
    """Everything one scan needs besides the recognizer."""

    scope: Scope
    target_texts: tuple[str, ...]
    unicast: UnicastOptions
    options: dict[str, object] = field(default_factory=dict)


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


async def run_scan(
    request: ScanRequest,
    recognizer: Recognizer,
    on_device: DeviceSink,
    on_progress: ProgressSink | None = None,
) -> ScanInfo:
    """Probe every address in scope; call on_device for each device found."""
    started = now()

    def judge(report: HostReport) -> None:
        found_by = sorted({o.probe for o in report.observations} | {"tcp"})
        device = recognizer.device(
            report.ip, report.observations, report.statuses, found_by, report.open_ports
        )
        on_device(device)

    await probe_hosts(request.scope, request.unicast, judge, on_progress)
    return ScanInfo(
        started=started,
        finished=now(),
        targets=request.target_texts,
        ports=tuple(request.unicast.ports),
        command="scan",
        camscan_version=__version__,
        fingerprints=len(recognizer.database),
        options=dict(request.options),
    )


def scan_sync(
    request: ScanRequest,
    recognizer: Recognizer,
    on_device: DeviceSink,
    on_progress: ProgressSink | None = None,
) -> ScanInfo:
    return asyncio.run(run_scan(request, recognizer, on_device, on_progress))


def identify_info(sources: Sequence[str], count: int) -> ScanInfo:
    """The "scan" object for an offline `camscan identify` run."""
    stamp = now()
    return ScanInfo(
        started=stamp,
        finished=stamp,
        targets=tuple(sources),
        command="identify",
        camscan_version=__version__,
        fingerprints=count,
    )
