"""The ``run`` fixture: camscan's real entry point with the audit commands registered."""

from __future__ import annotations

from collections.abc import Iterator
from unittest import mock

import pytest

from scanner.cli import cli, main
from scanner.cli.audit import AUDIT_COMMANDS

from .helpers import Run


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Iterator[Run]:
    """Run ``camscan ARGS`` through the real entry point, the audit commands registered for the
    test only (scanner.cli adds them for good; until then this does). Returns (status, out, err).
    """

    def invoke(*argv: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as stopped:
            main(list(argv))
        captured = capsys.readouterr()
        code = stopped.value.code
        return (0 if code is None else int(code)), captured.out, captured.err

    commands = {command.name: command for command in AUDIT_COMMANDS}
    with mock.patch.dict(cli.commands, commands):
        yield invoke
