"""Network sandboxes for the tests: the one place that makes and enters network namespaces.

- :func:`sandbox_command` / :func:`sandbox_problem`: run a command in a fresh sandbox
  (``unshare``; as root net, mount and pid namespaces, otherwise a user namespace too), or say
  why none can be made here; :func:`run_inside` runs a pytest file in one.
- :func:`private_namespace` moves this thread into a new namespace holding only ``lo`` (the
  ``private_network`` fixture does it for a whole test package); :func:`in_netns` enters a
  named one of the lab for a block.
- :func:`wire_lan`: the lab's bridge, one veth per namespace, addresses and a dead-end default
  route; only inside a sandbox whose namespace has nothing but ``lo``.

Nothing here opens a socket: the namespaces it makes are the only places the tests send from.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLONE_NEWNET = 0x40000000
GATEWAY = "198.18.0.254"
"""The default route of every lab namespace: nobody owns it, so outside traffic goes nowhere."""
SCANNER_IP = "198.18.0.2"
"""The sandbox's own address on the lab (the scanner's side, veth ``lan0``)."""
_libc = ctypes.CDLL(None, use_errno=True)


def sandbox_command(*command: str) -> list[str]:
    """`command` run in a fresh sandbox with ``lo`` up and a private tmpfs on /run."""
    prefix = ["unshare", "--net", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc"]
    if os.geteuid() != 0:
        prefix[1:1] = ["--user", "--map-root-user"]
    inner = 'mount -t tmpfs tmpfs /run && ip link set lo up && exec "$@"'
    return [*prefix, "sh", "-c", inner, "sh", *command]


def sandbox_problem() -> str:
    """'' if a network sandbox can be made here, else why not."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "unshare or ip (util-linux, iproute2) missing"
    done = subprocess.run(sandbox_command("true"), capture_output=True, text=True)
    return "" if done.returncode == 0 else f"cannot make namespaces: {done.stderr.strip()[:120]}"


def run_inside(suite: Path, env: dict[str, str], report: Path | None = None) -> None:
    """Run the pytest file `suite` inside a fresh sandbox; every test in it must pass there.

    Skips when no sandbox can be made here. `env` is added to this process's environment.
    """
    why = sandbox_problem()
    if why:
        pytest.skip(why)
    command = sandbox_command(
        sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", str(suite)
    )
    full_env = dict(
        os.environ,
        CAMSCAN_LAN_USERNS="0" if os.geteuid() == 0 else "1",
        PYTHONPATH=str(ROOT),
        **env,
    )
    done = subprocess.run(
        command, capture_output=True, text=True, cwd=ROOT, env=full_env, timeout=300
    )
    if report is not None and report.exists():
        print(json.dumps(json.loads(report.read_text()), indent=1))
    print(done.stdout[-6000:], done.stderr[-3000:])
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-3000:]
    summary = done.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary and "failed" not in summary


@contextlib.contextmanager
def private_namespace() -> Iterator[bool]:
    """This thread in a new network namespace with only ``lo`` (up) for the block; False, and
    no move, when one cannot be made (no root). The thread's namespace is restored after."""
    back = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        if _libc.unshare(CLONE_NEWNET) != 0:
            yield False
            return
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True, capture_output=True)
        yield True
    finally:
        _libc.setns(back, CLONE_NEWNET)
        os.close(back)


@pytest.fixture(scope="package", autouse=True)
def private_network() -> Iterator[bool]:
    """The package's tests run in a lo-only namespace when one can be made (True), else on the
    host's loopback (False). Import it into a package's conftest to use it there."""
    with private_namespace() as moved:
        yield moved


@contextlib.contextmanager
def in_netns(name: str | None) -> Iterator[None]:
    """This thread in /run/netns/NAME for the block (None: stay where it is)."""
    if name is None:
        yield
        return
    back = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    there = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        if _libc.setns(there, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {name}")
        yield
    finally:
        _libc.setns(back, CLONE_NEWNET)
        os.close(back)
        os.close(there)


def sh(*args: str, stdin: str | None = None) -> str:
    """Run a command (``ip`` mostly); its output, or RuntimeError with its stderr."""
    done = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def only_loopback() -> bool:
    """True when this network namespace has nothing but lo (a fresh sandbox)."""
    links = sh("ip", "-o", "link").splitlines()
    return len(links) == 1 and ": lo:" in links[0]


def configure_host(ns: str, addresses: list[str]) -> None:
    """Inside `ns`: lo and lan0 up, `addresses` (/24) on lan0, the dead-end default route."""
    batch = ["link set lo up", "link set lan0 up"]
    batch += [f"addr add {a}/24 dev lan0" for a in addresses]
    batch.append(f"route add default via {GATEWAY} dev lan0")
    sh("ip", "-n", ns, "-batch", "-", stdin="\n".join(batch) + "\n")


def wire_lan(hub: str, placements: dict[str, list[str]]) -> None:
    """Namespace `hub` holds the bridge ``br0``; this namespace and every namespace of
    `placements` (name -> its addresses) get a veth ``lan0`` on it, their /24 addresses and
    the dead-end default route. This namespace becomes the scanner, SCANNER_IP."""
    if not only_loopback():
        raise RuntimeError("refusing to build the LAN: this namespace has real interfaces")
    namespaces = [hub, *placements]
    sh("ip", "-batch", "-", stdin="".join(f"netns add {ns}\n" for ns in namespaces))
    batch = [
        "link set lo up",
        "link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0",
        "link set br0 up",
        f"link add v0 type veth peer name lan0 netns {os.getpid()}",
        "link set v0 master br0 up",
    ]
    for index, ns in enumerate(placements, start=1):
        batch += [
            f"link add v{index} type veth peer name lan0 netns {ns}",
            f"link set v{index} master br0 up",
        ]
    sh("ip", "-n", hub, "-batch", "-", stdin="\n".join(batch) + "\n")
    for ns, addresses in placements.items():
        configure_host(ns, addresses)
    sh("ip", "addr", "add", f"{SCANNER_IP}/24", "dev", "lan0")
    sh("ip", "link", "set", "lan0", "up")
    sh("ip", "route", "add", "default", "via", GATEWAY, "dev", "lan0")


def stop_processes(processes: list[subprocess.Popen[str]], wait: float = 3.0) -> None:
    """SIGTERM every process still running, give each `wait` seconds to exit, then kill it."""
    for process in processes:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            process.kill()
