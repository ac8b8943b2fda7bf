"""The house layout of issue 11 holds: tools/layout.py run with the issue's limits."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import layout  # noqa: E402

ISSUE_LIMITS = [
    "--max-module-cycles", "0", "--max-room-cycles", "0", "--max-private", "0",
    "--max-module-lines", "400", "--max-homes", "3",
]


def test_scanner_has_no_cycle_no_private_import_and_no_long_module(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No import cycle between modules or rooms, no private name imported across modules, no
    module of scanner/ over 400 lines, and no wire protocol named in more than 3 files of
    scanner/ besides its own module and its parser."""
    assert layout.main(ISSUE_LIMITS) == 0, capsys.readouterr().out


def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "scanner" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.mark.parametrize(
    ("files", "figure"),
    [
        ({"a.py": "import scanner.b\n", "b.py": "import scanner.a\n"}, "module cycles: 1"),
        (
            {"x/__init__.py": "", "x/one.py": "from scanner.y.two import f\n",
             "y/__init__.py": "", "y/two.py": "from scanner.x.three import g\n",
             "x/three.py": ""},
            "room cycles: 1",
        ),
        ({"a.py": "from scanner.b import _x\n", "b.py": "_x = 1\n"}, "private imports: 1"),
        ({"a.py": "x = 1\n" * 401}, "module lines (scanner.a): 401"),
        ({"a.py": 'F = "rtsp.server"\n', "b.py": 'N = "rtsp"\n'}, "protocol homes (rtsp): 2"),
    ],
)
def test_the_checker_fails_a_tree_that_breaks_a_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], files: dict[str, str], figure: str
) -> None:
    """Each rule, broken once in a small tree, makes the checker exit 1 and name the figure."""
    root = _package(tmp_path, {"__init__.py": "", **files})
    limits = [*ISSUE_LIMITS, "--max-homes", "1"]
    assert layout.main(["--root", str(root), *limits]) == 1
    assert figure in capsys.readouterr().out
