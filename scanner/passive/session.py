"""A listening session or a capture, end to end: hear, judge each host, hand each Device on.

The devices are judged by the same classifier as a scan (``Recognizer.device``), so a
camera that announced itself gets the verdict it would get had camscan asked. The
document's ``scan`` object says what was listened to or read and how each protocol went
(``options.listeners``, ``options.capture``), so a reader can tell "nothing announced" from
"not listened to" (``arp: skipped: needs root``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from scanner import __version__, limits
from scanner.model import Device, Observation, Outcome, ProbeStatus, ScanInfo, now
from scanner.passive.heard import Heard
from scanner.passive.listen import ListenPlan, ListenResult, listen
from scanner.passive.pcap import CaptureBounds, Warn, read_capture
from scanner.protocols.registry import CAPTURED, LISTENED
from scanner.recognize import Recognizer

DeviceSink = Callable[[Device], None]


def devices(heard: Heard, recognizer: Recognizer) -> list[Device]:
    """One judged Device per host heard, in address order."""
    observations: dict[str, list[Observation]] = {}
    statuses: dict[str, list[ProbeStatus]] = {}
    for findings in heard.findings.values():
        for obs in findings.observations:
            observations.setdefault(obs.host, []).append(obs)
        for host, status in findings.statuses.items():
            statuses.setdefault(host, []).append(status)
    result: list[Device] = []
    hosts = set(observations) | set(statuses) | set(heard.open_ports)
    for host in sorted(hosts, key=_address_key):
        found_by = {o.probe for o in observations.get(host, [])}
        found_by |= {s.probe for s in statuses.get(host, []) if s.outcome is Outcome.OK}
        ports = sorted(heard.open_ports.get(host, ()))
        found_by |= {"tcp"} if ports else set()
        result.append(
            recognizer.device(
                host, observations.get(host, []), statuses.get(host, []), sorted(found_by),
                ports,
            )
        )
    return result


def _address_key(host: str) -> tuple[int, int]:
    address = ipaddress.ip_address(host)
    return address.version, int(address)


def labels(heard: Heard, protocols: tuple[str, ...]) -> dict[str, str]:
    labels = {name: status.label() for name, status in heard.statuses(protocols).items()}
    if heard.dropped_hosts:
        labels["hosts"] = f"{heard.dropped_hosts} messages from hosts beyond the limit dropped"
    if heard.over_budget:
        budget = limits.PASSIVE_TEXT_MAX // (1024 * 1024)
        labels["budget"] = f"{heard.over_budget} observations past the {budget} MiB budget dropped"
    if heard.frame_notes:
        labels["frames"] = heard.frames_label()
    return labels


def run_listen(plan: ListenPlan, recognizer: Recognizer, on_device: DeviceSink) -> ScanInfo:
    """Listen as `plan` says, then judge and hand on every host heard."""
    started = now()
    heard = Heard()
    result: ListenResult = listen(plan, heard)
    for device in devices(heard, recognizer):
        on_device(device)
    options: dict[str, object] = {
        "interface": plan.interface,
        "duration": plan.duration,
        "listened_seconds": result.seconds,
        "mode": result.mode,
        "sent": "nothing" if result.mode == "sniff" else
        "no datagram (the kernel reports the group memberships by IGMP)",
        "listeners": labels(heard, LISTENED),
    }
    if result.mode == "sniff":
        options["kernel_filter"] = result.kernel_filter
    if result.interrupted:
        options["interrupted"] = True
    return ScanInfo(
        started=started,
        finished=now(),
        targets=(plan.interface,),
        command="listen",
        camscan_version=__version__,
        fingerprints=len(recognizer.database),
        options=options,
    )


def run_capture(
    path: str, recognizer: Recognizer, on_device: DeviceSink, warn: Warn,
    bounds: CaptureBounds | None = None,
) -> ScanInfo:
    """Read a capture file, then judge and hand on every host in it."""
    started = now()
    heard = Heard()
    summary = read_capture(path, heard, bounds or CaptureBounds(), warn)
    for device in devices(heard, recognizer):
        on_device(device)
    capture: dict[str, object] = {"file": path, **summary.describe()}
    capture["protocols"] = labels(heard, CAPTURED)
    return ScanInfo(
        started=started,
        finished=now(),
        targets=(path,),
        command="identify",
        camscan_version=__version__,
        fingerprints=len(recognizer.database),
        options={"capture": capture},
    )
