"""The command line: parse options, build the scan, pick a formatter. click only.

Every error a user can cause ends as one line on stderr and exit status 2 (see README,
"Exit status"); a traceback is a bug.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from scanner import __version__, limits
from scanner.cli_passive import identify_pcap, pcap_option
from scanner.cli_risk import (
    fail_on_option,
    firmware_age_option,
    parse_firmware_age,
    stale_warning,
)
from scanner.errors import UsageError
from scanner.identify import read_observations
from scanner.options import parse_ports, parse_timeout
from scanner.output import FORMATS, make_formatter
from scanner.pacing import Pacer, pacing
from scanner.policy import POLICIES, PolicyWatch
from scanner.progress import progress
from scanner.recognize import Recognizer
from scanner.scan import ScanRequest, identify_info, run_scan

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
_EXTENSIONS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}

format_option = click.option(
    "-f",
    "--format",
    "fmt",
    type=str,
    default=None,
    metavar="|".join(FORMATS),
    help="Output format. Default: table on a terminal, else json (or from -o's extension).",
)
output_option = click.option(
    "-o",
    "--output",
    type=str,
    default=None,
    metavar="FILE",
    help="Write the result to FILE instead of standard output.",
)
timeout_option = click.option(
    "--timeout",
    type=str,
    default="2",
    show_default=True,
    metavar="SECONDS",
    help="Answer window for each probe exchange.",
)
policy_option = click.option(
    "--policy",
    "policies",
    type=click.Choice(POLICIES),
    multiple=True,
    help="Exit with status 3 when a device is covered by this list (repeatable; any = all).",
)
fingerprints_option = click.option(
    "--fingerprints",
    type=str,
    default=None,
    metavar="DIR",
    help="Use the fingerprint database in DIR instead of the one shipped with camscan.",
)


if TYPE_CHECKING:
    _RateType = click.ParamType[float | None]
else:
    _RateType = click.ParamType  # generic only from click 8.2 on; pyproject allows 8.1


class Rate(_RateType):
    """Packets per second: a positive number up to 10,000,000, or 'unlimited' (None)."""

    name = "rate"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> float | None:
        if value is None or isinstance(value, float):
            return value
        text = str(value).strip().lower()
        if text == "unlimited":
            return None
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not 0 < number <= 10_000_000:
            self.fail(f"'{str(value)[:40]}' is not a rate: give packets per second "
                      "(e.g. 1000) or 'unlimited'", param, ctx)
        return number


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="camscan")
def cli() -> None:
    """Find the IP cameras, NVRs and DVRs on a network you administer, and name who really
    made each one, OEM rebrands included."""


@cli.command()
@click.argument("targets", nargs=-1, metavar="[TARGET]...")
@click.option(
    "-i",
    "--interface",
    type=str,
    default=None,
    help="Interface whose subnet(s) to scan when no TARGET is given.",
)
@format_option
@output_option
@timeout_option
@click.option(
    "--ports",
    type=str,
    default=None,
    metavar="LIST",
    help="TCP ports to probe, e.g. 80,443,554,8000-8100 (default: the camera set).",
)
@click.option("--allow-public", is_flag=True, help="Allow targets in public address space.")
@click.option("--force", is_flag=True, help="Allow more than 65,536 addresses.")
@click.option(
    "--max-hosts", type=click.IntRange(1, 4096), default=None,
    help=f"Hosts probed at once. [default: {limits.DEFAULT_MAX_HOSTS}]",
)
@click.option(
    "--rate", type=Rate(), default=str(int(limits.DEFAULT_RATE)), show_default=True,
    metavar="PPS",
    help="Packets per second over the whole scan: TCP connection attempts plus directed "
         "discovery datagrams ('unlimited' for none).",
)
@click.option(
    "--per-host-rate", type=Rate(), default=str(int(limits.DEFAULT_PER_HOST_RATE)),
    show_default=True, metavar="PPS",
    help="Packets per second to any one address, to spare fragile cameras ('unlimited' for "
         "none).",
)
@click.option("--unicast-discovery", is_flag=True,
              help="Also send every discovery probe to each target address (finds cameras "
                   "behind routers; on by itself for targets outside the attached subnets).")
@click.option("--no-multicast", is_flag=True,
              help="Send no multicast or broadcast discovery.")
@click.option("--no-discovery", is_flag=True,
              help="Skip discovery protocols entirely: the port sweep and service probes only.")
@click.option("--credentials", "credentials_file", type=str, default=None, metavar="FILE",
              help="Log in with the credential sets in FILE (TOML, chmod 600) for deeper "
                   "identification (ISAPI, magicBox, ONVIF); CAMSCAN_USER/CAMSCAN_PASSWORD add "
                   "one set for every target. One attempt per host, Digest first, never guessed.")
@click.option("--allow-basic-auth", is_flag=True,
              help="Allow HTTP Basic (the password itself) when a device offers nothing "
                   "else, over HTTP or HTTPS; without it Basic is never sent.")
@policy_option
@fail_on_option
@firmware_age_option
@fingerprints_option
def scan(
    targets: tuple[str, ...],
    interface: str | None,
    fmt: str | None,
    output: str | None,
    timeout: str,
    ports: str | None,
    allow_public: bool,
    force: bool,
    max_hosts: int | None,
    rate: float | None,
    per_host_rate: float | None,
    unicast_discovery: bool,
    no_multicast: bool,
    no_discovery: bool,
    credentials_file: str | None,
    allow_basic_auth: bool,
    policies: tuple[str, ...],
    fail_on: str | None,
    firmware_age: str,
    fingerprints: str | None,
) -> int:
    """Scan TARGETs (IPv4 address, CIDR 192.168.1.0/24, or range 192.168.1.10-50).

    Only the targets given are contacted. With no TARGET, the subnet(s) of the chosen
    interface (-i, default: the one holding the default route) are scanned."""
    from scanner import interfaces
    from scanner.probes.registry import DEFAULT_PORTS
    from scanner.scope import parse_targets
    from scanner.unicast import UnicastOptions

    window = parse_timeout(timeout)
    port_list = parse_ports(ports) if ports is not None else tuple(DEFAULT_PORTS)
    texts = list(targets)
    if not texts:
        texts = interfaces.subnet_targets(interfaces.resolve(interface))
    elif interface is not None:
        interfaces.resolve(interface)  # an unknown -i is an error even with targets
    scope = parse_targets(texts, allow_public=allow_public, force=force)
    recognizer = _recognizer(fingerprints, firmware_age)
    unicast = UnicastOptions(
        ports=port_list, timeout=window, rate=rate, per_host_rate=per_host_rate,
        max_hosts=max_hosts or limits.DEFAULT_MAX_HOSTS,
    )
    options: dict[str, object] = {"timeout": window, "rate": rate, "per_host_rate": per_host_rate}
    discovery = None
    if not no_discovery:
        from scanner.discovery.plan import plan

        chosen = plan(
            scope, interface, multicast=not no_multicast, unicast_all=unicast_discovery,
            timeout=window,
        )
        discovery = chosen.context
        options["discovery_plan"] = chosen.describe()
        if chosen.note:
            click.echo(f"camscan: {chosen.note} discovery is sent", err=True)
    from scanner.credentials import load_credentials

    credentials = load_credentials(credentials_file, allow_basic_auth=allow_basic_auth)
    for warning in credentials.warnings if credentials else ():
        click.echo(warning, err=True)
    if credentials is not None:
        options["credentials"] = len(credentials.entries)  # a count, never the values
    request = ScanRequest(
        scope, tuple(texts), unicast, options, discovery, credentials=credentials
    )
    with (
        _formatter(fmt, output, policies, fail_on) as formatter,
        progress(sys.stderr) as on_progress,
        pacing(Pacer(rate, per_host_rate)),
        _oui_table_read(recognizer, window / 2 if discovery else None),
    ):
        info = asyncio.run(run_scan(request, recognizer, formatter.device, on_progress))
        formatter.end(info)
    return formatter.exit_code()


@contextlib.contextmanager
def _oui_table_read(recognizer: Recognizer, delay: float | None) -> Iterator[None]:
    """Read the OUI registry in a thread, ``delay`` seconds into the scan (None: never).

    Discovery attaches MACs, and the first one looked up loads Wireshark's 3 MB table: 0.6 s
    of Python that would otherwise follow the answer window. Halfway through the window the
    requests are out (the ARP sweep's too: a thread that competes for the interpreter lock
    would slow its sending) and the scan only waits, so the table is read then instead."""
    if delay is None:
        yield
        return
    import threading

    from scanner.recognize.oui import lookup

    database = recognizer.database
    reader = threading.Timer(
        delay, lookup, args=("00:00:00:00:00:00", database.vocabulary, database.root)
    )
    reader.daemon = True
    reader.start()
    try:
        yield
    finally:
        reader.cancel()  # only if it has not started: a read under way finishes


@cli.command()
@click.argument("source", required=False, default="-", metavar="[FILE|-]")
@pcap_option
@format_option
@output_option
@policy_option
@fail_on_option
@firmware_age_option
@fingerprints_option
def identify(
    source: str,
    pcap: str | None,
    fmt: str | None,
    output: str | None,
    policies: tuple[str, ...],
    fail_on: str | None,
    firmware_age: str,
    fingerprints: str | None,
) -> int:
    """Identify devices from observations (JSON Lines) or a packet capture, offline.

    Each line: {"host": "198.18.0.7", "field": "http.server", "value": "App-webs/"},
    optionally with "port". Fields are listed in fingerprints/README.md. With --pcap FILE,
    the observations come from a capture (pcap or pcapng) instead."""
    if pcap is not None:
        return identify_pcap(
            pcap, fmt, output, policies, fingerprints, fail_on=fail_on, firmware_age=firmware_age
        )
    _format_name(fmt, output)  # a bad -f fails before any input is read
    recognizer = _recognizer(fingerprints, firmware_age)
    with _open_input(source) as stream:
        data = read_observations(stream, source, lambda m: click.echo(m, err=True))
    with _formatter(fmt, output, policies, fail_on) as formatter:
        for host, observations in data.by_host.items():
            formatter.device(recognizer.device(host, observations, found_by=("identify",)))
        formatter.end(identify_info([source], len(recognizer.database)))
    return formatter.exit_code()


@cli.command()
@format_option
@output_option
@timeout_option
@policy_option
@fail_on_option
@firmware_age_option
@fingerprints_option
def demo(
    fmt: str | None,
    output: str | None,
    timeout: str,
    policies: tuple[str, ...],
    fail_on: str | None,
    firmware_age: str,
    fingerprints: str | None,
) -> int:
    """Start a simulated camera LAN on loopback (127.77.0.0/24), scan it, print the result.

    Nothing leaves this machine: every simulated device listens on a loopback address."""
    from scanner.demo import run_demo

    window = parse_timeout(timeout)
    recognizer = _recognizer(fingerprints, firmware_age)
    with _formatter(fmt, output, policies, fail_on) as formatter:
        run_demo(recognizer, formatter, window, lambda m: click.echo(m, err=True))
    return formatter.exit_code()


def _register_more_commands() -> None:
    """diff, merge, report (audit work on scan documents) and listen live in their own modules."""
    from scanner.cli_audit import AUDIT_COMMANDS
    from scanner.cli_passive import listen
    from scanner.cli_risk import advisories

    for command in (*AUDIT_COMMANDS, listen, advisories):
        cli.add_command(command)


_register_more_commands()


def _recognizer(fingerprints: str | None, firmware_age: str | None = None) -> Recognizer:
    """The fingerprints and advisory data; one warning line when the advisories are stale."""
    age = parse_firmware_age(firmware_age) if firmware_age is not None else None
    recognizer = Recognizer.load(Path(fingerprints) if fingerprints else None)
    data = recognizer.risk.data
    warning = stale_warning(data) if data is not None else None
    if warning:
        click.echo(warning, err=True)
    return recognizer if age is None else recognizer.with_firmware_age(age)


@contextlib.contextmanager
def _open_input(source: str) -> Iterator[TextIO]:
    if source == "-":
        yield sys.stdin
        return
    try:
        handle = open(source, encoding="utf-8", errors="replace")  # noqa: SIM115
    except OSError as exc:
        raise UsageError(
            f"camscan: cannot read '{source}': {exc.strerror} "
            "(give a readable file, or - for stdin)"
        ) from None
    with handle:
        yield handle


def _format_name(fmt: str | None, output: str | None) -> str:
    """-f if given, else from -o's extension, else table on a terminal and json otherwise."""
    name = fmt or (_EXTENSIONS.get(Path(output).suffix.lower(), "json") if output else None)
    name = name or ("table" if sys.stdout.isatty() else "json")
    if name not in FORMATS:
        raise UsageError(f"camscan: unknown format '{name}' (use one of: {', '.join(FORMATS)})")
    return name


@contextlib.contextmanager
def _formatter(
    fmt: str | None, output: str | None, policies: tuple[str, ...] = (),
    fail_on: str | None = None,
) -> Iterator[PolicyWatch]:
    formatter = PolicyWatch(
        make_formatter(_format_name(fmt, output)), frozenset(policies), fail_on=fail_on
    )
    if output is None:
        formatter.begin(sys.stdout)
        yield formatter
        return
    try:
        handle = open(output, "w", encoding="utf-8", newline="")  # noqa: SIM115
    except OSError as exc:
        raise UsageError(
            f"camscan: cannot write '{output}': {exc.strerror} (choose another -o path)"
        ) from None
    with handle:
        formatter.begin(handle)
        yield formatter


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI; turn every user error into one line and exit status 2."""
    try:
        result = cli.main(args=argv, prog_name="camscan", standalone_mode=False)
    except UsageError as exc:
        _fail(str(exc), EXIT_USAGE)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else "", err=True)
        sys.exit(EXIT_USAGE)
    except click.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx else "camscan"
        _fail(f"camscan: {exc.format_message()} (see '{command} --help')", EXIT_USAGE)
    except click.exceptions.Abort:
        _fail("camscan: interrupted", EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        _fail("camscan: interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(EXIT_OK)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # a bug: one line, the traceback only on request
        if os.environ.get("CAMSCAN_DEBUG"):
            raise
        _fail(
            f"camscan: internal error: {type(exc).__name__}: {exc} "
            "(a bug: please report it; CAMSCAN_DEBUG=1 shows the traceback)",
            EXIT_FAILURE,
        )
    sys.exit(result if isinstance(result, int) else EXIT_OK)


def _fail(message: str, code: int) -> None:
    click.echo(" ".join(message.split()), err=True)
    sys.exit(code)
