"""Bad input to diff, merge and report: one line on stderr, exit status 2, no traceback."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from .helpers import SCANS, Run, scan

GOOD = str(SCANS / "site-a.json")


def _file(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, "utf-8")
    return str(path)


def _bad_device(tmp_path: Path) -> str:
    doc = scan("site-a.json")
    doc["devices"][1]["mac"] = "AA:BB:CC:DD:EE:FF"
    return _file(tmp_path, "mac.json", json.dumps(doc))


def _nan(tmp_path: Path) -> str:
    text = json.dumps(scan("site-a.json")).replace('"confidence": 0.9', '"confidence": NaN', 1)
    assert "NaN" in text
    return _file(tmp_path, "nan.json", text)


def _jsonl(tmp_path: Path) -> str:
    lines = "\n".join(json.dumps(d) for d in scan("site-a.json")["devices"])
    return _file(tmp_path, "scan.jsonl", lines + "\n")


def _weight(tmp_path: Path) -> str:
    doc = scan("site-a.json")
    doc["devices"][2]["verdict"]["evidence"][0]["weight"] = 2
    return _file(tmp_path, "weight.json", json.dumps(doc))


def _compliance(tmp_path: Path) -> str:
    doc = scan("site-a.json")
    doc["devices"][0]["compliance"]["status"] = "maybe"
    return _file(tmp_path, "compliance.json", json.dumps(doc))


# (how to build the bad input, a word the one-line message must contain)
INPUTS: dict[str, tuple[Callable[[Path], str], str]] = {
    "missing file": (lambda tmp: str(tmp / "nope.json"), "cannot read"),
    "a directory": (lambda tmp: str(tmp), "cannot read"),
    "not JSON": (lambda tmp: _file(tmp, "x.json", "hello"), "is not JSON"),
    "empty file": (lambda tmp: _file(tmp, "e.json", ""), "is not JSON"),
    "not UTF-8": (lambda tmp: _file(tmp, "b.json", b"\xff\xfe{}"), "not UTF-8"),
    "JSON Lines": (_jsonl, "-f json"),
    "an array": (lambda tmp: _file(tmp, "a.json", "[]"), "expected a JSON object"),
    "another schema": (
        lambda tmp: _file(tmp, "d.json", '{"schema": "camscan-diff/1"}'),
        "'camscan-diff/1'",
    ),
    "no schema": (lambda tmp: _file(tmp, "n.json", '{"devices": []}'), "no 'schema' key"),
    "no scan": (
        lambda tmp: _file(tmp, "s.json", '{"schema": "camscan/1", "devices": []}'),
        "scan must be an object",
    ),
    "bad MAC": (_bad_device, "devices[1].mac"),
    "NaN": (_nan, "NaN"),
    "deep nesting": (lambda tmp: _file(tmp, "deep.json", "[" * 100_000), "nested too deeply"),
    "bad compliance": (_compliance, "devices[0].compliance.status"),
    "a million empty objects": (
        lambda tmp: _file(tmp, "o.json", '{"devices": [' + "{}," * 1_000_000 + "{}]}"),
        "more than 1000000 objects and arrays",
    ),
    "three million values": (
        lambda tmp: _file(tmp, "v.json", '{"devices": [' + "0," * 3_000_001 + "0]}"),
        "more than 3000000 values",
    ),
    "nesting past 32": (
        lambda tmp: _file(tmp, "n32.json", '{"x": ' + "[" * 40 + "]" * 40 + "}"),
        "nested deeper than 32",
    ),
    "bad evidence": (_weight, "devices[2].verdict.evidence[0].weight must be a number"),
}


def _one_line(code: int, err: str, needle: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1, err
    assert lines[0].startswith("camscan: ") and needle in lines[0], lines[0]
    assert "Traceback" not in err


@pytest.mark.parametrize("kind", list(INPUTS))
@pytest.mark.parametrize("command", ["diff-old", "diff-new", "merge", "report"])
def test_bad_document_is_one_line_exit_2(run: Run, tmp_path: Path, kind: str, command: str) -> None:
    """Every command refuses every kind of bad document the same way: one line, status 2."""
    build, needle = INPUTS[kind]
    bad = build(tmp_path)
    argv = {
        "diff-old": ["diff", bad, GOOD],
        "diff-new": ["diff", GOOD, bad],
        "merge": ["merge", GOOD, bad],
        "report": ["report", bad, "-o", str(tmp_path / "r.html")],
    }[command]
    code, out, err = run(*argv)
    _one_line(code, err, needle)
    assert out == ""


def test_document_size_fits_its_use(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A document past DOCUMENT_MAX, or documents past DOCUMENTS_MAX in all (merge, diff),
    are refused before being read whole (issue 12: 256 MiB let 39 MB of {} reach 1 GB)."""
    from scanner.audit import document

    size = Path(GOOD).stat().st_size
    monkeypatch.setattr(document, "DOCUMENT_MAX", size - 1)
    code, _, err = run("report", GOOD, "-o", str(tmp_path / "r.html"))
    _one_line(code, err, "is larger than")
    monkeypatch.setattr(document, "DOCUMENT_MAX", size)
    monkeypatch.setattr(document, "DOCUMENTS_MAX", size * 2 + 10)
    code, _, err = run("merge", GOOD, GOOD, GOOD, "-o", str(tmp_path / "m.json"))
    _one_line(code, err, "of documents in all")
    code, _, err = run("merge", GOOD, GOOD, "-o", str(tmp_path / "m.json"))
    assert code == 0, err


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["diff", GOOD], "Missing argument"),
        (["merge"], "Missing argument"),
        (["report"], "Missing argument"),
        (["diff", GOOD, GOOD, "-f", "xml"], "unknown format"),
        (["merge", GOOD, "-o", "/nonexistent-dir/m.json"], "cannot write"),
        (["report", GOOD, "-o", "/nonexistent-dir/r.html"], "cannot write"),
        (["diff", GOOD, GOOD, "-o", "/nonexistent-dir/d.txt"], "cannot write"),
        (["merge", GOOD, "--no-such-option"], "no-such-option"),
    ],
)
def test_bad_invocation_is_one_line_exit_2(run: Run, argv: list[str], needle: str) -> None:
    """Missing arguments, a bad format or an unwritable -o: one line, status 2."""
    code, _, err = run(*argv)
    _one_line(code, err, needle)
