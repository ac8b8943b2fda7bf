"""`camscan listen` options: one-line usage errors, raised before anything is listened to."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from scanner.cli.listen import listen
from scanner.cli.options import DURATION_MAX, parse_duration
from scanner.errors import UsageError


@pytest.mark.parametrize("text", ["0", "-5", "abc", "nan", "inf", str(DURATION_MAX + 1)])
def test_bad_durations_are_refused(text: str) -> None:
    """Durations outside (0, a day] are a one-line error naming the option and a fix."""
    with pytest.raises(UsageError) as raised:
        parse_duration(text)
    message = str(raised.value)
    assert message.startswith("camscan: bad --duration") and "e.g. --duration" in message


def test_good_durations() -> None:
    """Seconds, fractions included, are accepted as given."""
    assert parse_duration("0.5") == 0.5
    assert parse_duration("300") == 300.0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["-i", "no-such-interface0"], "no interface 'no-such-interface0'"),
        (["-i", "lo", "-f", "yaml"], "unknown format 'yaml'"),
        (["-i", "lo", "--duration", "0"], "bad --duration '0'"),
    ],
)
def test_usage_errors_come_before_listening(arguments: list[str], message: str) -> None:
    """A bad interface, format or duration fails at once, without opening any socket."""
    result = CliRunner().invoke(listen, arguments, standalone_mode=False)
    assert isinstance(result.exception, UsageError)
    assert message in str(result.exception)
