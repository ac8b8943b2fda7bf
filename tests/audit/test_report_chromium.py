"""camscan report in a real browser: headless Chromium draws it, and its script sorts.

Chromium is a test dependency (Debian package ``chromium``); without it these tests skip and
say so. It runs in a fresh network namespace when the machine allows one (``unshare --net``),
and with background networking off in any case; the page itself may fetch nothing (its CSP).
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from scanner.audit import render_report

from .helpers import parsed, scan
from .png import colours, png_size

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"
)

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
HEADER_BLUE = (0x1F, 0x3A, 0x5F)  # the report's header background (STYLE)
FIRST_BAR = (0x2F, 0x6F, 0xB3)  # the first bar of the maker chart (PALETTE[0])


@functools.cache
def _isolation() -> tuple[str, ...]:
    """A command prefix that gives Chromium a network namespace of its own, if one can be had."""
    for prefix in (("unshare", "--net"), ("unshare", "--user", "--map-root-user", "--net")):
        try:
            done = subprocess.run([*prefix, "true"], capture_output=True, timeout=10, check=False)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return prefix
    return ()


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    profile = tmp_path / "profile"
    command = [*_isolation(), CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def _page(tmp_path: Path, name: str) -> Path:
    page = tmp_path / "report.html"
    page.write_text(render_report(parsed(scan(name), name)), "utf-8")
    return page


def test_report_renders_in_chromium(tmp_path: Path) -> None:
    """The screenshot is 1280x2000 and far from blank: the styled header and the chart's first
    bar are there (so the CSP let the inline style through)."""
    page = _page(tmp_path, "demo.json")
    shot = tmp_path / "report.png"
    done = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri())
    assert shot.exists(), done.stderr[-2000:]
    data = shot.read_bytes()
    assert png_size(data) == (1280, 2000)
    seen = colours(data)
    assert len(seen) > 50
    assert HEADER_BLUE in seen and FIRST_BAR in seen


def test_script_runs_and_sorts(tmp_path: Path) -> None:
    """With JavaScript the table becomes sortable, and #sort=confidence-desc orders it by
    confidence, highest first."""
    page = _page(tmp_path, "demo.json")
    done = _chromium(tmp_path, "--dump-dom", page.as_uri() + "#sort=confidence-desc")
    dom = done.stdout
    assert 'class="js-sortable"' in dom, done.stderr[-2000:]
    assert re.search(r'data-col="confidence"[^>]*aria-sort="descending"', dom)
    shown = [float(x) for x in re.findall(r'<td data-sort="([0-9.]+)">[0-9.]+</td>', dom)]
    assert len(shown) == len(scan("demo.json")["devices"])
    assert shown == sorted(shown, reverse=True)
