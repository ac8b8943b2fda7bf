"""Rate control: the global rate, the per-host cap, slots that cannot stall, the fd budget.

Times are checked only from below (a limit makes things at least this slow), so a loaded
machine cannot fail these tests. Everything runs on 127.77.61.x.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scanner.cli import main
from scanner.engine import scan as scan_module
from scanner.engine.discovery import make_context
from scanner.engine.scan import ScanRequest, run_scan
from scanner.engine.unicast import UnicastOptions
from scanner.model import Outcome
from scanner.net import Network
from scanner.net.pacer import Pacer
from scanner.net.tcp import Net
from scanner.protocols.lan import DiscoveryContext, DiscoveryResult
from scanner.protocols.udp import UdpPlan, exchange
from scanner.recognize import Recognizer
from scanner.scope import parse_targets

ROOT = Path(__file__).resolve().parents[1]


def _timed(pacer: Pacer, hosts: list[str]) -> list[float]:
    """When each of several concurrent waits (one per entry of ``hosts``) was let through."""

    async def run() -> list[float]:
        loop = asyncio.get_running_loop()
        start = loop.time()

        async def one(host: str) -> float:
            await pacer.wait(host)
            return loop.time() - start

        return list(await asyncio.gather(*(one(h) for h in hosts)))

    return asyncio.run(run())


def test_per_host_cap_spaces_one_host_even_when_asked_at_once() -> None:
    """Eight probes of one host waiting at once go out 1/20 s apart at --per-host-rate 20."""
    times = sorted(_timed(Pacer(None, 20), ["127.77.61.1"] * 8))
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.045 and times[-1] >= 0.33


def test_per_host_cap_leaves_other_hosts_alone() -> None:
    """Eight different hosts under a per-host cap and no global rate go out at once."""
    times = _timed(Pacer(None, 1), [f"127.77.61.{n}" for n in range(1, 9)])
    assert max(times) < 0.1


def test_global_rate_bounds_all_hosts_together() -> None:
    """At --rate 50, ten packets to ten hosts take at least 9/50 s."""
    times = _timed(Pacer(50, 1000), [f"127.77.61.{n}" for n in range(1, 11)])
    assert max(times) >= 0.17


def test_one_network_hands_its_pacer_to_tcp_and_to_discovery() -> None:
    """A Network's TCP slots and a discovery context given it wait on its one pacer; a
    context without one (a test's) is unpaced."""
    scope = parse_targets(["127.77.61.1"])
    pacer = Pacer(100, 10)
    network = Network(scope, pacer)
    alone = make_context(scope, None, multicast=False)
    shared = dataclasses.replace(alone, network=network)
    assert network.tcp.pacer is pacer
    assert shared.pacer() is pacer and shared.tcp() is network.tcp
    assert alone.pacer().unlimited and alone.tcp().pacer.unlimited


def test_a_scan_gives_discovery_and_the_sweep_one_network(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """run_scan makes one Network from the rates and hands the same one to discovery and to
    the unicast sweep."""
    seen: dict[str, Network | None] = {}

    async def discover(ctx: DiscoveryContext) -> DiscoveryResult:
        seen["discovery"] = ctx.network
        return DiscoveryResult()

    async def sweep(*args: object) -> None:
        assert isinstance(args[-1], Network)
        seen["sweep"] = args[-1]

    monkeypatch.setattr(scan_module, "discover_all", discover)
    monkeypatch.setattr(scan_module, "probe_hosts", sweep)
    scope = parse_targets(["127.77.61.1"])
    request = ScanRequest(
        scope, ("127.77.61.1",), UnicastOptions(rate=50, per_host_rate=5), {},
        make_context(scope, None, multicast=False),
    )
    asyncio.run(run_scan(request, Recognizer.load(), lambda _: None))
    network = seen["sweep"]
    assert network is not None and seen["discovery"] is network
    assert network.pacer.rate == 50 and network.pacer.per_host == 5


def test_directed_datagrams_wait_for_the_scan_pacer() -> None:
    """Twenty directed datagrams at --rate 50 take at least 19/50 s to send."""
    targets = tuple(f"127.77.61.{n}" for n in range(1, 21))
    scope = parse_targets(list(targets))
    ctx = make_context(scope, None, timeout=0.01, multicast=False, unicast_targets=targets)
    ctx = dataclasses.replace(ctx, network=Network(scope, Pacer(50, None)))

    async def run() -> tuple[int, float]:
        started = time.monotonic()
        heard = await exchange(ctx, UdpPlan(9, (b"camscan pacing test",)))
        return heard.sent, time.monotonic() - started

    sent, seconds = asyncio.run(run())
    assert sent == 20 and seconds >= 0.37


def _dropping_ports(host: str, count: int) -> list[socket.socket]:
    """Listeners whose accept queue is full: a SYN to them is dropped (a filtered port)."""
    held = []
    for _ in range(count):
        listener = socket.socket()
        listener.bind((host, 0))
        listener.listen(0)
        held += [listener, socket.create_connection(listener.getsockname(), timeout=1)]
    return held


def test_hosts_sharing_few_slots_never_stall_each_other() -> None:
    """Two hosts with four filtered ports each share three slots: every connect times out on
    its own timer and gives its slot back, so both sweeps end (no host waits forever)."""
    hosts = ("127.77.61.30", "127.77.61.31")
    held = {h: _dropping_ports(h, 4) for h in hosts}
    ports = {h: [s.getsockname()[1] for s in held[h][::2]] for h in hosts}

    async def run() -> list[list[Outcome]]:
        net = Net(parse_targets(list(hosts)), max_connections=3)
        sweeps = (net.port_states(h, ports[h], timeout=0.2) for h in hosts)
        return list(await asyncio.wait_for(asyncio.gather(*sweeps), 5))

    try:
        results = asyncio.run(run())
    finally:
        for sock in (s for group in held.values() for s in group):
            sock.close()
    assert results == [[Outcome.TIMEOUT] * 4] * 2


def test_a_cancelled_sweep_gives_its_slots_back() -> None:
    """A sweep cancelled while its connects wait on filtered ports returns every slot: the
    next sweep on the same three slots runs at once."""
    held = _dropping_ports("127.77.61.40", 3)
    filtered = [s.getsockname()[1] for s in held[::2]]

    async def run() -> list[Outcome]:
        net = Net(parse_targets(["127.77.61.40", "127.77.61.41"]), max_connections=3)
        stuck = asyncio.create_task(net.port_states("127.77.61.40", filtered, timeout=30))
        await asyncio.sleep(0.2)
        stuck.cancel()
        with pytest.raises(asyncio.CancelledError):
            await stuck
        closed = net.port_states("127.77.61.41", [9, 19, 29], timeout=30)
        return await asyncio.wait_for(closed, 2)

    try:
        assert asyncio.run(run()) == [Outcome.REFUSED] * 3
    finally:
        for sock in held:
            sock.close()


def test_fd_budget_raises_the_soft_limit_but_never_the_hard_one() -> None:
    """Soft 64 becomes 600+256; with hard 300 the budget shrinks to fit under it."""
    code = (
        "import resource; from scanner.net.tcp import fd_budget; R = resource.RLIMIT_NOFILE\n"
        "resource.setrlimit(R, (64, resource.getrlimit(R)[1]))\n"
        "print(fd_budget(600), resource.getrlimit(R)[0])\n"
        "resource.setrlimit(R, (64, 300))\n"
        "print(fd_budget(600), resource.getrlimit(R))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    assert done.stdout.split("\n")[:2] == ["600 856", "44 (300, 300)"]


def _scan_seconds(tmp_path: Path, *args: str) -> float:
    started = time.monotonic()
    with pytest.raises(SystemExit) as stopped:
        main(["scan", *args, "--no-discovery", "-f", "json", "-o", str(tmp_path / "s.json")])
    assert stopped.value.code == 0
    return time.monotonic() - started


def test_cli_rate_bounds_the_whole_scan(tmp_path: Path) -> None:
    """--rate 25 over 30 addresses with one closed port: 30 connects need at least 29/25 s."""
    seconds = _scan_seconds(tmp_path, "127.77.61.100-129", "--ports", "18081", "--rate", "25")
    assert seconds >= 1.1


def test_cli_per_host_rate_bounds_one_address(tmp_path: Path) -> None:
    """--per-host-rate 10 on one address with 12 closed ports: at least 11/10 s."""
    seconds = _scan_seconds(
        tmp_path, "127.77.61.140", "--ports", "18100-18111", "--per-host-rate", "10"
    )
    assert seconds >= 1.05


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--rate", "0"], "--rate"),
        (["--rate", "fast"], "--rate"),
        (["--per-host-rate", "-1"], "--per-host-rate"),
        (["--per-host-rate", "1e9"], "--per-host-rate"),
    ],
)
def test_bad_rates_are_one_line_errors(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A rate that is not a positive number in range is one line on stderr and exit 2."""
    with pytest.raises(SystemExit) as stopped:
        main(["scan", "127.77.61.1", *argv])
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert stopped.value.code == 2 and len(lines) == 1 and needle in lines[0], lines
