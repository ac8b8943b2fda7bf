"""`camscan scan` as a user runs it, on loopback: JSON Lines stream, progress only on a TTY.

Each test starts the real CLI in a subprocess against servers this test runs on 127.77.60.x
(high ports, no root needed) with --no-discovery: nothing but loopback TCP is sent.
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import re
import selectors
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PORT = 8080  # in the default port map: the HTTP probe runs on it
ANSWER = b"HTTP/1.0 200 OK\r\nServer: camscan-streaming-test\r\nContent-Length: 0\r\n\r\n"
WINDOW = 8.0
"""--timeout of the streaming scan: the silent server holds the scan open this long (long
enough for the CLI to start and answer the quick one on a loaded machine, issue 12)."""


def _camscan(*args: str, **popen: object) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="120", TERM="xterm")
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "scanner", "scan", *args], cwd=ROOT, env=env, **popen
    )


def _listeners() -> list[socket.socket]:
    """Listeners on PORT at 127.77.60.N and N+1, the first pair free: the port is fixed (the
    default port map), and another checkout's suite on this machine may hold one pair."""
    for first in range(1, 250, 2):
        listeners: list[socket.socket] = []
        try:
            for host in (f"127.77.60.{first}", f"127.77.60.{first + 1}"):
                sock = socket.socket()
                listeners.append(sock)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind((host, PORT))
                sock.listen(16)
        except OSError:
            for sock in listeners:
                sock.close()
            continue
        return listeners
    raise RuntimeError(f"no two free addresses in 127.77.60.0/24 for port {PORT}")


@contextlib.contextmanager
def _servers() -> Iterator[tuple[str, str]]:
    """(fast, slow): fast answers every HTTP request at once; slow accepts and never says a
    word."""
    listeners = _listeners()
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve(listener: socket.socket, answer: bool) -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if not answer:
                held.append(conn)
                continue
            with conn, contextlib.suppress(OSError):
                conn.settimeout(2)
                conn.recv(4096)
                conn.sendall(ANSWER)

    threads = [
        threading.Thread(target=serve, args=(sock, sock is listeners[0]), daemon=True)
        for sock in listeners
    ]
    for thread in threads:
        thread.start()
    try:
        yield listeners[0].getsockname()[0], listeners[1].getsockname()[0]
    finally:
        stop.set()
        for thread in threads:
            thread.join(2)
        for sock in (*listeners, *held):
            sock.close()


def _first_line(process: subprocess.Popen[bytes], seconds: float) -> bytes:
    """The first line the process writes to stdout, or b'' if none within ``seconds``."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(seconds):
            return b""
    return process.stdout.readline()


def test_jsonl_writes_each_device_while_the_scan_runs() -> None:
    """With -f jsonl the quick device's line arrives while the silent one still holds the scan
    open (its HTTP answer window is 8 s): devices stream, they are not collected."""
    with _servers() as (fast, slow):
        started = time.monotonic()
        process = _camscan(
            f"{fast}-{slow.rsplit('.', 1)[1]}", "--ports", str(PORT), "--no-discovery",
            "-f", "jsonl", "--timeout", str(WINDOW), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        try:
            first = _first_line(process, WINDOW - 1)
            first_at = time.monotonic() - started
            running = process.poll() is None
            rest, err = process.communicate(timeout=WINDOW + 10)
        finally:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
    assert process.returncode == 0, err.decode()
    assert running and first_at < WINDOW - 1, f"first line after {first_at:.1f} s"
    device = json.loads(first)
    assert device["ip"] == fast and device["open_ports"] == [PORT]
    assert {"probe": "http", "port": PORT, "field": "http.server",
            "value": "camscan-streaming-test"} in device["observations"]
    later = [json.loads(line) for line in rest.splitlines()]
    assert [d["ip"] for d in later] == [slow]
    assert time.monotonic() - started >= WINDOW - 0.5  # the slow one really took its window


def _read_tty(fd: int, process: subprocess.Popen[bytes]) -> bytes:
    """Everything written to the pty until the process ends and the pty runs dry."""
    chunks: list[bytes] = []
    deadline = time.monotonic() + 30
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not selector.select(0.2):
                if process.poll() is not None:
                    break
                continue
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the other end is closed
                break
            if not data:
                break
            chunks.append(data)
    return b"".join(chunks)


def test_progress_bar_on_a_terminal_and_silence_otherwise() -> None:
    """On a TTY, stderr shows a bar with 'done/total addresses' and an ETA; on a pipe the
    same scan writes nothing to stderr."""
    args = ("127.77.60.16-79", "--ports", "18080", "--no-discovery", "-f", "json",
            "--rate", "40")  # 64 addresses, every port closed: about 1.6 s of paced connects
    master, slave = pty.openpty()
    try:
        process = _camscan(*args, stdout=subprocess.PIPE, stderr=slave)
        os.close(slave)
        assert process.stdout is not None
        output = threading.Thread(target=process.stdout.read, daemon=True)
        output.start()
        raw = _read_tty(master, process).decode("utf-8", "replace")
        shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", raw)  # colours, cursor moves
        process.wait(30)
    finally:
        os.close(master)
    assert process.returncode == 0, shown
    counts = [tuple(map(int, m)) for m in re.findall(r"(\d+)/(\d+) addresses", shown)]
    assert counts and all(total == 64 for _, total in counts), shown[-500:]
    assert any(0 < done < 64 for done, _ in counts), "the bar never showed a partial count"
    assert re.search(r"\d+:\d\d:\d\d", shown), "no time remaining column"
    quiet = _camscan(*args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = quiet.communicate(timeout=30)
    assert quiet.returncode == 0 and err == b""
    assert json.loads(out)["devices"] == []
