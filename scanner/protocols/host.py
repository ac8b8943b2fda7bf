"""The one small interface every unicast service probe implements, and what they share.

A probe is given a host and an open port and returns a :class:`ProbeResult`: the
observations it made and one :class:`~scanner.model.ProbeStatus`. It never raises for
anything a device does (refusal, silence, garbage); those are outcomes. :func:`run_guarded`
is where every probe runs: a bug a device's answer runs into becomes that probe's
``error: <ExceptionName>: ...`` status for that host, as zgrab2 does, so one device never
costs the rest of the scan. Only an attempt to leave the scope
(:class:`~scanner.errors.ScopeError`, raised before anything is sent) escapes.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field
from typing import Protocol

from scanner import __version__, limits
from scanner.errors import DecodeError, ScopeError, bug_detail
from scanner.model import Observation, Outcome, ProbeStatus
from scanner.net.secure import client_context
from scanner.net.tcp import Connection, Net, deadline_after
from scanner.parse.text import cap_text
from scanner.protocols.lan import Findings
from scanner.scope import Scope

BANNER_WINDOW = 1.5
"""How long a banner probe listens for what a service says unasked (seconds)."""

USER_AGENT = f"camscan/{__version__}"


def seconds(value: float) -> str:
    """A duration for a status detail: 3 -> '3', 0.25 -> '0.25'."""
    return f"{value:g}"


@dataclass(frozen=True, slots=True)
class ProbeContext:
    """Everything a probe needs besides the host and port."""

    net: Net
    """The only way to open a connection (scope-checked, slot- and rate-limited)."""
    timeout: float = limits.READ_DEADLINE
    """Answer window for one exchange (request sent -> answer read), connect excluded."""
    connect_timeout: float = limits.CONNECT_TIMEOUT
    tls_timeout: float = limits.TLS_HANDSHAKE_DEADLINE
    banner_window: float = BANNER_WINDOW

    @property
    def scope(self) -> Scope:
        return self.net.scope


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """What one probe saw on one port, and how it went."""

    observations: tuple[Observation, ...]
    status: ProbeStatus


class ServiceProbe(Protocol):
    """One protocol exchange with one open port."""

    @property
    def name(self) -> str:
        """Probe name as statuses and observations show it: "http", "rtsp", "tls", ..."""
        ...

    async def run(self, ctx: ProbeContext, host: str, port: int) -> ProbeResult: ...


@dataclass(slots=True)
class Recorder:
    """One probe's observations of one service (host and port), kept by the one collector
    every probe uses (:class:`~scanner.protocols.lan.Findings`: bounded, without empty
    values or repeats); ``limit`` cuts a value shorter than the collector's own cap."""

    host: str
    port: int
    probe: str
    collected: Findings = field(init=False)

    def __post_init__(self) -> None:
        self.collected = Findings(self.probe)

    @property
    def items(self) -> list[Observation]:
        return self.collected.observations

    def add(self, field_name: str, value: str | None, limit: int = limits.VALUE_MAX) -> None:
        if value:
            self.collected.add(self.host, self.port, field_name, cap_text(value, limit))

    def result(self, outcome: Outcome, detail: str = "") -> ProbeResult:
        return ProbeResult(tuple(self.items), ProbeStatus(self.probe, outcome, detail))


class ProbeFailed(Exception):
    """A device ended the exchange early; carries the status to report."""

    def __init__(self, outcome: Outcome, detail: str = "") -> None:
        super().__init__(detail or outcome.value)
        self.outcome = outcome
        self.detail = detail


async def connect(ctx: ProbeContext, host: str, port: int) -> Connection:
    """Open a connection through ``ctx.net``; a device's refusal or silence -> ProbeFailed."""
    try:
        return await ctx.net.connect(host, port, ctx.connect_timeout)
    except ConnectionRefusedError:
        raise ProbeFailed(Outcome.REFUSED) from None
    except TimeoutError:
        raise ProbeFailed(
            Outcome.TIMEOUT, f"no connection within {seconds(ctx.connect_timeout)} s"
        ) from None
    except OSError as exc:
        raise ProbeFailed(Outcome.ERROR, f"connect: {exc.strerror or exc}") from None


async def handshake(
    conn: Connection, ctx: ProbeContext, context: ssl.SSLContext | None = None
) -> None:
    """Upgrade ``conn`` to TLS within ``ctx.tls_timeout``; failures -> ProbeFailed.

    ``context``: scanner.net.secure's permissive ``client_context`` unless given."""
    try:
        await conn.start_tls(context or client_context(), deadline_after(ctx.tls_timeout))
    except TimeoutError:
        raise ProbeFailed(
            Outcome.TIMEOUT, f"no TLS handshake within {seconds(ctx.tls_timeout)} s"
        ) from None
    except ssl.SSLError as exc:
        raise ProbeFailed(Outcome.ERROR, f"TLS handshake failed: {exc.reason or exc}") from None
    except (ConnectionError, OSError) as exc:
        raise ProbeFailed(Outcome.ERROR, f"TLS handshake failed: {exc}") from None


def failure_status(probe: str, exc: BaseException, ctx: ProbeContext) -> ProbeStatus:
    """The status for a connection-level failure (connect, TLS, reset, parse)."""
    if isinstance(exc, ProbeFailed):
        return ProbeStatus(probe, exc.outcome, exc.detail)
    if isinstance(exc, ConnectionRefusedError):
        return ProbeStatus(probe, Outcome.REFUSED)
    if isinstance(exc, TimeoutError):
        return ProbeStatus(probe, Outcome.TIMEOUT, f"deadline {seconds(ctx.timeout)} s reached")
    if isinstance(exc, ssl.SSLError):
        return ProbeStatus(probe, Outcome.ERROR, f"TLS: {exc.reason or exc}")
    if isinstance(exc, ConnectionResetError):
        return ProbeStatus(probe, Outcome.ERROR, "connection reset")
    if isinstance(exc, DecodeError):
        return ProbeStatus(probe, Outcome.ERROR, str(exc))
    return ProbeStatus(probe, Outcome.ERROR, type(exc).__name__ + (f": {exc}" if str(exc) else ""))


#: What a device can make a probe raise, reported as what it is (reset, timeout, ...).
DEVICE_FAULTS = (
    ProbeFailed,
    OSError,
    TimeoutError,
    DecodeError,
    EOFError,
    asyncio.IncompleteReadError,
)


async def run_guarded(probe: ServiceProbe, ctx: ProbeContext, host: str, port: int) -> ProbeResult:
    """Run ``probe``; a device fault it did not turn into a status becomes one here, and so
    does a bug (``error: LookupError: ...``, the traceback with CAMSCAN_DEBUG=1)."""
    try:
        return await probe.run(ctx, host, port)
    except DEVICE_FAULTS as exc:
        return ProbeResult((), failure_status(probe.name, exc, ctx))
    except ScopeError:
        raise  # the scope guard fired (nothing was sent): a bug that must stop the scan
    except Exception as exc:  # noqa: BLE001 - a bug, isolated to this probe and host
        return ProbeResult((), ProbeStatus(probe.name, Outcome.ERROR, bug_detail(exc)))
