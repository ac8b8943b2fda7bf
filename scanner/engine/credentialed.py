"""Credentialed identification: the answers a device gives only after a login, opt-in.

Run only when the user configured credentials (scanner.credentials) and only against a host
the unicast scan found serving HTTP, through ``scanner.net`` (scope-checked, slot-limited,
bounded in bytes and time like every probe). In order, until one answers:

1. Hikvision ISAPI ``GET /ISAPI/System/deviceInfo`` -> ``isapi.device_info``;
2. Dahua ``GET /cgi-bin/magicBox.cgi?action=getSystemInfo`` (then getSoftwareVersion and
   getVendor) -> ``dahua.magicbox``;
3. ONVIF ``GetDeviceInformation`` on ``/onvif/device_service`` -> ``onvif.device_information``.

Each request is first sent *without* credentials: a device that does not have the endpoint
says 404 and gets no password. Only a 401 challenge is answered: HTTP Digest preferred;
Basic (the password itself) only with ``allow_basic_auth``, over TLS as over plain HTTP: TLS
to a camera is unverified, so it is no reason to hand out the password; ONVIF's WS-UsernameToken
(PasswordDigest) only when the device's SOAP fault asked for a login. One credential set per
host, and the first refused login ends all work with that host: camscan never guesses
(a Dahua device locks its account after 5 failures for 300 s; README, Safety). Over HTTPS
every request of a session goes through scanner.net.secure's ``secret_context`` (TLS 1.2 or
later at the default security level): a device that speaks only TLS 1.0 or weak ciphers gets
no secret.

Each step is a protocol's ``credentialed`` hook (scanner.protocols.isapi, magicbox, onvif),
tried in the registry's order through one scanner.protocols.login.Session. Our own HTTP
client, not ``requests``: here every exchange has one deadline (a slowloris
device cannot stretch it, which requests' per-read timeout allows), every connection goes
through the scope check of ``scanner.net.Net.connect``, no redirect can ever be followed,
and no thread is needed. Digest itself is a few lines of RFC 7616 (scanner.parse.auth).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Mapping, Sequence

from scanner import limits
from scanner.credentials import Credentials
from scanner.engine.unicast import HostReport, UnicastOptions
from scanner.errors import ScopeError, bug_detail
from scanner.model import Outcome, ProbeStatus
from scanner.net.tcp import Net
from scanner.protocols import host as kit  # the probe kit every host probe uses
from scanner.protocols.login import LoginFailed, Session, Step
from scanner.protocols.registry import CREDENTIALED, WEB_SERVICES, probes_for

PROBE = "credentialed"
STEPS: tuple[Step, ...] = CREDENTIALED
"""The protocols' credentialed hooks, in the order they are tried (from the registry)."""


async def identify(session: Session) -> kit.ProbeResult:
    """The steps in order until one answers; a refused login ends them."""
    rec = kit.Recorder(session.host, session.port, PROBE)
    where = session.credential.where
    try:
        for step in STEPS:
            what = await step(session, rec)
            if what:
                return rec.result(Outcome.OK, f"{what} ({where})")
    except LoginFailed as failed:
        return rec.result(Outcome.REFUSED, f"login refused at {failed} ({where}); not retried")
    except kit.DEVICE_FAULTS as exc:
        return kit.ProbeResult(tuple(rec.items), kit.failure_status(PROBE, exc, session.ctx))
    notes = "; ".join(session.notes)
    return rec.result(Outcome.NO_ANSWER, notes or "no ISAPI, magicBox or ONVIF answer")


def http_service(
    report: HostReport, services: Mapping[int, Sequence[str]] | None = None
) -> tuple[int, bool] | None:
    """The (port, tls) to ask: a port whose HTTPS probe went well, else HTTP; None if none.

    Among a protocol's ports, one that gave an observation is preferred (it said something).
    """
    outcomes = {status.probe: status.outcome for status in report.statuses}
    for name, tls in WEB_SERVICES:
        if outcomes.get(name) is not Outcome.OK:
            continue
        ports = [p for p in report.open_ports if name in (x.name for x in probes_for(p, services))]
        talked = {o.port for o in report.observations if o.probe == name}
        ranked = sorted(ports, key=lambda port: (port not in talked, port))
        if ranked:
            return ranked[0], tls
    return None


def with_credentials(
    net: Net, credentials: Credentials, options: UnicastOptions,
    on_host: Callable[[HostReport], None],
) -> Callable[[HostReport], Awaitable[None]]:
    """Wrap a scan's host callback: each host gets the credentialed steps first."""
    ctx = kit.ProbeContext(
        net, timeout=options.timeout, connect_timeout=options.connect_timeout,
        tls_timeout=options.tls_timeout,
    )

    async def done(report: HostReport) -> None:
        service = http_service(report, options.services)
        on_host(await extend(ctx, report, credentials, options.host_deadline, service))

    return done


async def extend(
    ctx: kit.ProbeContext,
    report: HostReport,
    credentials: Credentials,
    deadline: float,
    service: tuple[int, bool] | None,
) -> HostReport:
    """`report` with the credentialed observations (first) and status added; unchanged when
    no set covers the host or it serves no HTTP (`service`: see http_service)."""
    credential = credentials.for_host(report.ip)
    if credential is None or service is None:
        return report
    session = Session(ctx, report.ip, *service, credential, credentials.allow_basic_auth)
    try:
        async with asyncio.timeout(deadline):
            result = await identify(session)
    except TimeoutError:
        late = f"host deadline {kit.seconds(deadline)} s reached"
        result = kit.ProbeResult((), ProbeStatus(PROBE, Outcome.TIMEOUT, late))
    except ScopeError:
        raise  # the scope guard fired before anything was sent: stop, as run_guarded does
    except Exception as exc:  # noqa: BLE001 - a bug, isolated to this host (run_guarded)
        result = kit.ProbeResult((), ProbeStatus(PROBE, Outcome.ERROR, bug_detail(exc)))
    observations = (*result.observations, *report.observations)
    return dataclasses.replace(
        report,
        observations=observations[: limits.OBSERVATIONS_PER_HOST_MAX],
        statuses=(*report.statuses, result.status),
    )
