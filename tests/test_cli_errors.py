"""Every mistake a user can make on the command line: one line on stderr, exit status 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.cli import main

BAD_IDENTIFY = Path(__file__).parent / "fixtures" / "identify"

# (arguments, a word the one-line message must contain)
CASES: list[tuple[list[str], str]] = [
    (["scan", "10.0.0.300"], "not an IPv4"),
    (["scan", "banana"], "not an IPv4"),
    (["scan", "10.0.0.0/33"], "10.0.0.0/33"),
    (["scan", "10.0.0.10-5"], "10.0.0.10-5"),
    (["scan", "10.0.0.10-300"], "10.0.0.10-300"),
    (["scan", "10.0.0.1-10.0.1.1-5"], "10.0.0.1-10.0.1.1-5"),
    (["scan", "8.8.8.8"], "--allow-public"),
    (["scan", "1.1.1.0/24"], "--allow-public"),
    (["scan", "10.0.0.0/8"], "--force"),
    (["scan", "::1"], "IPv6"),
    (
        [
            "scan",
            "",
        ],
        "not an IPv4",
    ),
    (["scan", "127.0.0.1", "--ports", "0"], "--ports"),
    (["scan", "127.0.0.1", "--ports", "70000"], "--ports"),
    (["scan", "127.0.0.1", "--ports", "80,,443"], "--ports"),
    (["scan", "127.0.0.1", "--ports", "http"], "--ports"),
    (["scan", "127.0.0.1", "--ports", "90-80"], "--ports"),
    (["scan", "127.0.0.1", "--ports", ""], "--ports"),
    (["scan", "127.0.0.1", "--timeout", "0"], "--timeout"),
    (["scan", "127.0.0.1", "--timeout", "-1"], "--timeout"),
    (["scan", "127.0.0.1", "--timeout", "soon"], "--timeout"),
    (["scan", "127.0.0.1", "--timeout", "nan"], "--timeout"),
    (["scan", "127.0.0.1", "--timeout", "1e9"], "--timeout"),
    (["scan", "127.0.0.1", "--format", "xml"], "format"),
    (["scan", "127.0.0.1", "-f", "yaml"], "format"),
    (["scan", "127.0.0.1", "-i", "no-such-if0"], "no-such-if0"),
    (["scan", "127.0.0.1", "-o", "/nonexistent-dir/out.json"], "cannot write"),
    (["scan", "127.0.0.1", "--max-hosts", "0"], "--max-hosts"),
    (["scan", "127.0.0.1", "--no-such-option"], "no-such-option"),
    (["scan", "127.0.0.1", "--fingerprints", "/nonexistent-dir"], "fingerprint"),
    (["identify", "/nonexistent/observations.jsonl"], "cannot read"),
    (["identify", str(BAD_IDENTIFY / "not-json.jsonl")], "not a JSON object"),
    (["identify", str(BAD_IDENTIFY / "array.jsonl")], "JSON object"),
    (["identify", str(BAD_IDENTIFY / "missing-value.jsonl")], "must all be strings"),
    (["identify", str(BAD_IDENTIFY / "bad-host.jsonl")], "not an IP address"),
    (["identify", str(BAD_IDENTIFY / "bad-port.jsonl")], "port"),
    (["identify", "-f", "pdf"], "format"),
    (["frobnicate"], "frobnicate"),
    (["demo", "--timeout", "x"], "--timeout"),
]


@pytest.mark.parametrize(("argv", "needle"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_bad_invocation_is_one_line_exit_2(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A malformed invocation exits 2 with one line naming the problem, never a traceback."""
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    err = capsys.readouterr().err
    assert stopped.value.code == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert needle.lower() in lines[0].lower(), lines[0]
    assert "Traceback" not in err


def test_there_are_thirty_or_more_cases() -> None:
    """The table covers at least 30 malformed invocations (issue 6)."""
    assert len(CASES) >= 30


def test_unknown_identify_field_warns_and_continues(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown field in identify input is a warning; the run still succeeds."""
    with pytest.raises(SystemExit) as stopped:
        main(["identify", str(BAD_IDENTIFY / "unknown-field.jsonl"), "-f", "jsonl"])
    captured = capsys.readouterr()
    assert stopped.value.code in (0, None)
    assert "unknown field 'http.colour'" in captured.err
    assert '"Hikvision"' in captured.out
