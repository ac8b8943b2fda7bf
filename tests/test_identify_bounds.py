"""`camscan identify` reads its input in bounds (issue 12, items 9 and 10): over-long lines
are skipped, hosts and observations capped, malformed JSON of every kind is a one-line
usage error (exit 2), and warnings never echo control characters."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from scanner import limits
from scanner.cli import main
from scanner.identify import read_observations
from scanner.limits import IDENTIFY_LINE_MAX, OBSERVATIONS_PER_HOST_MAX, VALUE_MAX

GOOD = {"host": "192.0.2.7", "field": "http.server", "value": "App-webs/"}


def _run(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    path = tmp_path / "observations.jsonl"
    path.write_text(text)
    with pytest.raises(SystemExit) as stopped:
        main(["identify", str(path), "-f", "jsonl"])
    out = capsys.readouterr()
    return int(stopped.value.code or 0), out.out, out.err


@pytest.mark.parametrize(("text", "why"), [
    ("[" * 100_000, "nested too deep"),
    ('{"host": "192.0.2.7", "field": "http.server", "value": "x", "port": ' + "9" * 5000 + "}",
     "a number too long"),
], ids=["brackets", "digits"])
def test_malformed_json_of_every_kind_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, why: str
) -> None:
    """Nesting past the recursion limit and a 5000-digit number: exit 2, one line (they
    used to be exit 1, "internal error")."""
    code, _, err = _run(tmp_path, text + "\n", capsys)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and why in err and "internal error" not in err


def test_an_over_long_line_is_skipped_and_the_rest_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A line past IDENTIFY_LINE_MAX is skipped with a warning naming it; the next is read."""
    long = json.dumps({**GOOD, "value": "a" * (IDENTIFY_LINE_MAX + 10)})
    code, out, err = _run(tmp_path, long + "\n" + json.dumps(GOOD) + "\n", capsys)
    assert code == 0, err
    assert ":1: line longer than 256 KiB skipped" in err
    assert json.loads(out)["ip"] == "192.0.2.7"


def test_the_long_line_is_never_held_whole() -> None:
    """Reading past an over-long line asks the stream for bounded pieces only."""
    asked: list[int] = []

    class Stream(io.StringIO):
        def readline(self, size: int | None = -1, /) -> str:
            asked.append(-1 if size is None else size)
            return super().readline(size)

    text = "x" * (IDENTIFY_LINE_MAX * 3) + "\n" + json.dumps(GOOD) + "\n"
    found = read_observations(Stream(text), "-", lambda _: None)
    assert list(found.by_host) == ["192.0.2.7"] and found.skipped == 1
    assert asked and all(0 < size <= IDENTIFY_LINE_MAX + 1 for size in asked)


def test_observations_per_host_are_capped() -> None:
    """Past OBSERVATIONS_PER_HOST_MAX for one host, observations are counted, not kept."""
    lines = [json.dumps({**GOOD, "value": f"App-webs/{n}"}) for n in range(600)]
    warnings: list[str] = []
    found = read_observations(io.StringIO("\n".join(lines)), "in", warnings.append)
    assert len(found.by_host["192.0.2.7"]) == OBSERVATIONS_PER_HOST_MAX
    assert found.skipped == 600 - OBSERVATIONS_PER_HOST_MAX
    assert warnings == [f"camscan: warning: in: 88 observations past {OBSERVATIONS_PER_HOST_MAX}"
                        " for one host skipped"]


def test_too_many_hosts_or_too_much_text_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """More hosts than IDENTIFY_HOSTS_MAX, or more value text than IDENTIFY_TEXT_MAX: one
    line naming the line reached and the fix, exit 2."""
    monkeypatch.setattr(limits, "IDENTIFY_HOSTS_MAX", 3)
    lines = [json.dumps({**GOOD, "host": f"192.0.2.{n}"}) for n in range(1, 6)]
    code, _, err = _run(tmp_path, "\n".join(lines) + "\n", capsys)
    assert code == 2 and ":4: more than 3 hosts" in err and "split the input" in err
    monkeypatch.setattr(limits, "IDENTIFY_TEXT_MAX", 1024 * 1024)
    lines = [json.dumps({**GOOD, "value": f"{n:04d}" + "v" * VALUE_MAX}) for n in range(70)]
    code, _, err = _run(tmp_path, "\n".join(lines) + "\n", capsys)
    assert code == 2 and ":65: more than 1 MiB of observation values" in err


def test_unknown_field_warning_escapes_control_characters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A field name with escape sequences is shown escaped, never sent to the terminal."""
    field = "http.\x1b]0;owned\x07\x1b[31mred\u202e"
    code, _, err = _run(tmp_path, json.dumps({**GOOD, "field": field}) + "\n", capsys)
    assert code == 0
    assert "\x1b" not in err and "\x07" not in err and "\u202e" not in err
    assert "unknown field 'http.\\x1b]0;owned\\x07\\x1b[31mred\\u202e'" in err
