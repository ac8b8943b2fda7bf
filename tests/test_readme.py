"""The README tells the truth: its --help blocks are the real ones, its commands are CI's."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import readme_help  # noqa: E402


def test_help_blocks_match_the_cli() -> None:
    """Every `<!-- help: ... -->` block in README.md is what that command's --help prints."""
    text = readme_help.README.read_text(encoding="utf-8")
    blocks = readme_help.BLOCK.findall(text)
    assert len(blocks) >= 4, "README should show the help of camscan, scan, identify and demo"
    for _, command, shown, _ in blocks:
        assert shown == readme_help.help_text(command), f"README help of '{command}' is stale"


def test_ci_runs_the_readme_quick_start() -> None:
    """.ci/run reads the README's two quick-start commands (install+demo, install+tests)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1]
    commands = re.findall(r"^python3 -m venv .*$", quick, re.MULTILINE)[:2]
    assert len(commands) == 2
    assert "camscan demo" in commands[0]
    assert "pytest" in commands[1]
    assert "python3 -m venv" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
