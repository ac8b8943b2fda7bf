"""The command line: parse options, build the scan, pick a formatter. click only.

One command per module (scan, identify, listen, demo, audit: diff/merge/report, risk:
advisories); the options they share are in scanner.cli.options, the recognizer and output
helpers in scanner.cli.common. This module only makes the group and the entry point.

Every error a user can cause ends as one line on stderr and exit status 2 (see README,
"Exit status"); a traceback is a bug.
"""

from __future__ import annotations

import os
import sys

import click

from scanner import __version__
from scanner.cli.audit import AUDIT_COMMANDS
from scanner.cli.demo import demo
from scanner.cli.identify import identify
from scanner.cli.listen import listen
from scanner.cli.risk import advisories
from scanner.cli.scan import scan
from scanner.errors import UsageError

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="camscan")
def cli() -> None:
    """Find the IP cameras, NVRs and DVRs on a network you administer, and name who really
    made each one, OEM rebrands included."""


for _command in (scan, identify, demo, *AUDIT_COMMANDS, listen, advisories):
    cli.add_command(_command)


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
