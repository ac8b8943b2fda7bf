"""scanner.engine.unicast.probe_hosts and the probe registry over a few 127.77.5.x hosts."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from scanner.engine.unicast import HostReport, UnicastOptions, merge_statuses, probe_hosts
from scanner.errors import ScopeError, UsageError
from scanner.model import Outcome, ProbeStatus
from scanner.protocols.host import ProbeContext, ProbeResult, run_guarded
from scanner.protocols.registry import DEFAULT_PORTS, check_services, probes_for
from scanner.scope import parse_targets

from .loopback import context, read_head, serve
from .test_rtsp import DAHUA_405

# s0047 (recog http_servers: Xiongmai "uc-httpd 1.0.0"), s0028 (recog html_title).
XM_PAGE = (
    b"HTTP/1.0 200 OK\r\nServer: uc-httpd 1.0.0\r\nContent-Type: text/html\r\n\r\n"
    b"<html><head><title>NETSurveillance WEB</title></head></html>"
)


async def _web(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_head(reader)
    writer.write(XM_PAGE)
    await writer.drain()


async def _rtsp(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        await read_head(reader)
        writer.write(DAHUA_405)
        await writer.drain()


async def _hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read()


def _fast(**kwargs: object) -> UnicastOptions:
    base: dict[str, object] = {
        "timeout": 0.5,
        "connect_timeout": 0.5,
        "banner_window": 0.3,
        "host_deadline": 3.0,
    }
    base.update(kwargs)
    return UnicastOptions(**base)  # type: ignore[arg-type]


def test_probe_hosts_reports_devices_only() -> None:
    """Hosts with open ports are reported with their observations; a silent host is not."""

    async def main() -> list[HostReport]:
        web = await serve("127.77.5.1", _web)
        rtsp = await serve("127.77.5.2", _rtsp, port=web.port + 1 if web.port < 65535 else 0)
        services = {web.port: ["http"], rtsp.port: ["rtsp"]}
        reports: list[HostReport] = []

        async def collect(report: HostReport) -> None:  # a coroutine callback is awaited
            reports.append(report)

        options = _fast(ports=(), services=services)
        await probe_hosts(parse_targets(["127.77.5.1-3"]), options, collect)
        web.close()
        rtsp.close()
        return sorted(reports, key=lambda r: r.ip)

    first, second = asyncio.run(main())
    assert first.ip == "127.77.5.1" and len(first.open_ports) == 1
    assert {(o.field, o.value) for o in first.observations} >= {
        ("http.server", "uc-httpd 1.0.0"),
        ("http.title", "NETSurveillance WEB"),
    }
    assert [s.probe for s in first.statuses] == ["tcp", "http"]
    assert first.statuses[0] == ProbeStatus("tcp", Outcome.OK, "1 of 2 ports open")
    assert second.ip == "127.77.5.2"
    assert [(o.field, o.value) for o in second.observations] == [
        ("rtsp.server", "Dahua Rtsp Server")
    ]


def test_report_silent_and_progress() -> None:
    """report_silent reports a closed host as tcp refused; progress counts every address."""
    progress: list[tuple[int, int]] = []
    reports: list[HostReport] = []
    options = _fast(ports=(9,), report_silent=True)
    asyncio.run(
        probe_hosts(
            parse_targets(["127.77.5.10-12"]),
            options,
            reports.append,
            lambda done, total: progress.append((done, total)),
        )
    )
    assert sorted(r.ip for r in reports) == ["127.77.5.10", "127.77.5.11", "127.77.5.12"]
    assert all(
        r.statuses == (ProbeStatus("tcp", Outcome.REFUSED, "all 1 ports closed"),) for r in reports
    )
    assert progress[-1] == (3, 3) and len(progress) == 3


def test_host_deadline_cuts_slow_probes() -> None:
    """A probe still running at the host deadline is cancelled and reported as such."""

    async def main() -> list[HostReport]:
        slow = await serve("127.77.5.20", _hang)
        reports: list[HostReport] = []
        options = _fast(ports=(), services={slow.port: ["http"]}, timeout=5, host_deadline=0.3)
        await probe_hosts(parse_targets(["127.77.5.20"]), options, reports.append)
        slow.close()
        return reports

    (report,) = asyncio.run(main())
    assert report.statuses[1] == ProbeStatus("http", Outcome.TIMEOUT, "host deadline 0.3 s reached")


def test_worker_pool_is_bounded() -> None:
    """254 addresses with max_hosts=4 never have more than a handful of tasks alive."""
    peak = 0

    def watch(done: int, total: int) -> None:
        nonlocal peak
        peak = max(peak, len(asyncio.all_tasks()))

    options = _fast(ports=(9,), max_hosts=4)
    asyncio.run(probe_hosts(parse_targets(["127.77.6.0/24"]), options, lambda r: None, watch))
    assert 0 < peak <= 1 + 4 * 2  # main, four workers, one connect task per worker


def test_callback_error_propagates() -> None:
    """An exception from on_host stops the scan and surfaces as itself, not as a group."""

    def boom(report: HostReport) -> None:
        raise KeyError("stop")

    options = _fast(ports=(9,), report_silent=True)
    with pytest.raises(KeyError, match="stop"):
        asyncio.run(probe_hosts(parse_targets(["127.77.5.30-31"]), options, boom))


def test_bad_options_are_usage_errors() -> None:
    """Unknown probe names, bad ports and bad limits are refused before any connection."""
    scope = parse_targets(["127.77.5.40"])
    for options in (
        UnicastOptions(services={80: ["gopher"]}),
        UnicastOptions(ports=(0,)),
        UnicastOptions(ports=(), services={}),
        UnicastOptions(max_hosts=0),
        UnicastOptions(rate=0),
    ):
        with pytest.raises(UsageError):
            asyncio.run(probe_hosts(scope, options, lambda r: None))


def test_registry_map() -> None:
    """The documented port map, the services override and the open-only name 'tcp'."""
    assert DEFAULT_PORTS == (
        21, 23, 80, 81, 88, 443, 554, 2020, 8000, 8080, 8081, 8443, 8554, 9000, 34567, 37777,
        49152,
    )  # fmt: skip
    assert [p.name for p in probes_for(21)] == ["ftp"]
    assert [p.name for p in probes_for(23)] == ["telnet"]
    assert [p.name for p in probes_for(8000)] == ["http"]
    assert [p.name for p in probes_for(8443)] == ["https"]
    assert [p.name for p in probes_for(8554)] == ["rtsp"]
    assert probes_for(37777) == () and probes_for(12345) == ()
    services = check_services({10080: ["http"], 10443: ["https", "tls"], 18000: ["tcp"]})
    assert [p.name for p in probes_for(10443, services)] == ["https", "tls"]
    assert probes_for(18000, services) == ()
    assert [p.name for p in probes_for(80, services)] == ["http"]
    with pytest.raises(UsageError, match="unknown probe 'ssh'"):
        check_services({22: ["ssh"]})


def test_merge_statuses() -> None:
    """One status per probe: a single port keeps its own; several ports give the best, labelled."""
    merged = merge_statuses(
        [
            (8080, ProbeStatus("http", Outcome.TIMEOUT, "deadline 3 s reached")),
            (554, ProbeStatus("rtsp", Outcome.ERROR, "not RTSP")),
            (80, ProbeStatus("http", Outcome.OK)),
        ]
    )
    assert merged == (
        ProbeStatus("http", Outcome.OK, "8080 timeout: deadline 3 s reached; 80 ok"),
        ProbeStatus("rtsp", Outcome.ERROR, "not RTSP"),
    )


@dataclass(frozen=True)
class _Raising:
    """A probe that raises what it is given (to test the safety net around probes)."""

    error: Exception
    name: str = "http"

    async def run(self, ctx: ProbeContext, host: str, port: int) -> ProbeResult:
        raise self.error


def test_run_guarded_turns_device_faults_into_statuses() -> None:
    """A device fault a probe let through becomes a status, and so does a bug (named, one
    line); a ScopeError (the scope guard fired) escapes."""
    ctx = context("127.77.5.50")
    reset = asyncio.run(run_guarded(_Raising(ConnectionResetError()), ctx, "127.77.5.50", 80))
    assert reset == ProbeResult((), ProbeStatus("http", Outcome.ERROR, "connection reset"))
    bug = asyncio.run(run_guarded(_Raising(LookupError("no\ncodec")), ctx, "127.77.5.50", 80))
    assert bug == ProbeResult((), ProbeStatus("http", Outcome.ERROR, "LookupError: no codec"))
    with pytest.raises(ScopeError):
        asyncio.run(run_guarded(_Raising(ScopeError("x")), ctx, "127.77.5.50", 80))


def test_a_bug_in_one_probe_for_one_host_costs_only_that_status(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """zgrab2's isolation (issue 12): a probe that raises for one host's answer gives that
    host `error: ValueError: ...`; the other host and the other probe are reported as ever,
    and CAMSCAN_DEBUG=1 puts the traceback on stderr."""
    import scanner.protocols.http as http_probe

    real = http_probe.extract_title

    def title(text: str) -> str | None:
        if "NETSurveillance" in text and "odd" in text:
            raise ValueError("a bug met on this page")
        return real(text)

    monkeypatch.setattr(http_probe, "extract_title", title)
    monkeypatch.setenv("CAMSCAN_DEBUG", "1")

    async def odd(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        writer.write(XM_PAGE.replace(b"</title>", b" odd</title>"))
        await writer.drain()

    async def main() -> list[HostReport]:
        web = await serve("127.77.5.61", _web)
        bad = await serve("127.77.5.62", odd, port=web.port)
        rtsp = await serve("127.77.5.62", _rtsp, port=web.port + 1 if web.port < 65535 else 0)
        services = {web.port: ["http"], rtsp.port: ["rtsp"]}
        reports: list[HostReport] = []
        await probe_hosts(parse_targets(["127.77.5.61-62"]), _fast(ports=(), services=services),
                          reports.append)
        for served in (web, bad, rtsp):
            served.close()
        return sorted(reports, key=lambda r: r.ip)

    good, broken = asyncio.run(main())
    assert ("http.title", "NETSurveillance WEB") in {(o.field, o.value) for o in good.observations}
    statuses = {s.probe: s for s in broken.statuses}
    bug = "ValueError: a bug met on this page"
    assert statuses["http"] == ProbeStatus("http", Outcome.ERROR, bug)
    assert statuses["rtsp"].outcome is Outcome.OK
    assert "Traceback" in capsys.readouterr().err
