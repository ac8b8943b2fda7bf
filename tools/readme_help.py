"""Keep the README's --help blocks true: print or rewrite them from the real CLI.

    python tools/readme_help.py          # rewrite README.md's help blocks in place
    python tools/readme_help.py --check  # exit 1 if any block differs (tests/test_readme.py)

A block is the fenced text after a line `<!-- help: camscan scan -->` in README.md.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from click.testing import CliRunner

from scanner.cli import cli

README = Path(__file__).resolve().parents[1] / "README.md"
WIDTH = 100
BLOCK = re.compile(r"(<!-- help: (camscan(?: [a-z]+)?) -->\n```text\n)(.*?)(```)", re.DOTALL)


def help_text(command: str) -> str:
    """`command --help` as a terminal WIDTH columns wide prints it."""
    args = [*command.split()[1:], "--help"]
    result = CliRunner().invoke(cli, args, prog_name="camscan", terminal_width=WIDTH)
    return result.output


def render(text: str) -> str:
    return BLOCK.sub(lambda m: m.group(1) + help_text(m.group(2)) + m.group(4), text)


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    fresh = render(text)
    if "--check" in argv:
        return 0 if fresh == text else 1
    README.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
