"""camscan report: one self-contained, escaped HTML page that reads without JavaScript."""

from __future__ import annotations

import base64
import hashlib
import html
import re
from pathlib import Path
from typing import Any

from scanner.audit import merge_documents, render_report

from .helpers import SCANS, Run, device, parsed, scan

HOSTILE = "<script>alert(1)</script>"


def _render(doc: dict[str, Any], label: str = "scan.json") -> str:
    return render_report(parsed(doc, label))


def _hostile_site() -> dict[str, Any]:
    """site-a with a hostile banner in every place a device's words reach the report."""
    doc = scan("site-a.json")
    target = device(doc, "198.18.0.30")
    target["observations"][0]["value"] = HOSTILE
    target["verdict"]["evidence"][0]["value"] = HOSTILE
    target["verdict"]["model"] = HOSTILE
    target["verdict"]["reason"] = f'"><img src=x onerror=alert(2)> {HOSTILE}'
    target["verdict"]["manufacturer"] = "Axis\u202e<b>evil</b>"
    target["compliance"]["basis"] = HOSTILE
    return doc


def test_hostile_banner_is_escaped() -> None:
    """<script> in an observation, the verdict or the basis appears only escaped, and the one
    <script> element is the report's own."""
    page = _render(_hostile_site())
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<script") == 1
    assert "<img" not in page and "<b>evil" not in page
    assert "\u202e" not in page  # a bidi override would reorder what the reader sees


def test_nothing_is_fetched() -> None:
    """No src/href/url()/@import points anywhere, and the policy forbids all fetches."""
    page = _render(scan("demo.json"))
    assert not re.search(r"""\b(?:src|href|action|srcset|poster)\s*=""", page, re.I)
    assert not re.search(r"url\(|@import", page, re.I)
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy is not None and "default-src 'none'" in policy.group(1)


def test_policy_hashes_match_inline_style_and_script() -> None:
    """The CSP allows exactly the inline <style> and <script> present (else Chromium would
    drop the styling and the sorting)."""
    page = _render(scan("site-a.json"))
    for tag in ("style", "script"):
        match = re.search(rf"<{tag}>(.*?)</{tag}>", page, re.S)
        assert match is not None
        digest = hashlib.sha256(match.group(1).encode("utf-8")).digest()
        assert f"'sha256-{base64.b64encode(digest).decode()}'" in page


def test_summary_counts_and_chart() -> None:
    """The summary counts devices and cameras; the SVG chart has one bar per maker."""
    doc = scan("demo.json")
    page = _render(doc)
    makers = {d["verdict"]["manufacturer"] for d in doc["devices"]}
    cameras = sum(1 for d in doc["devices"] if d["verdict"]["is_camera"] is True)
    assert f"<li><b>{len(doc['devices'])}</b>devices</li>" in page
    assert f"<li><b>{cameras}</b>cameras</li>" in page
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert svg.count("<rect") == len(makers)  # unidentified (None) is a bar too


def test_covered_devices_come_first_with_their_basis() -> None:
    """With compliance blocks, covered devices lead the table and each shows its basis."""
    doc = scan("site-a.json")
    page = _render(doc)
    table = page[page.index('id="devices-table"') :]
    order = re.findall(r'<td class="nw" data-sort="[^"]*">([^<]+)</td>', table)
    statuses = {d["ip"]: d["compliance"]["status"] for d in doc["devices"]}
    ranks = [0 if statuses[ip] == "covered" else 1 for ip in order]
    assert ranks == sorted(ranks) and len(order) == len(doc["devices"])
    assert "Regulatory lists" in page
    for item in doc["devices"]:
        basis = item["compliance"]["basis"]
        assert html.escape(basis[:30], quote=True) in page


def test_report_without_compliance_blocks() -> None:
    """A document from before compliance blocks renders without the compliance parts."""
    doc = scan("site-a.json")
    for item in doc["devices"]:
        del item["compliance"]
    page = _render(doc)
    assert "Regulatory lists" not in page and 'data-col="flag"' not in page
    assert page.count('<tr class="ev">') == len(doc["devices"])


def test_evidence_opens_without_javascript() -> None:
    """Every device has a <details> with its fingerprints and the value each matched."""
    doc = scan("site-a.json")
    page = _render(doc)
    for item in doc["devices"]:
        for evidence in item["verdict"]["evidence"]:
            assert evidence["fingerprint"] in page
    assert page.count("<details><summary>") >= len(doc["devices"])


def test_report_command_writes_file(run: Run, tmp_path: Path) -> None:
    """camscan report SCAN -o FILE writes the page and nothing to stdout."""
    out = tmp_path / "report.html"
    code, stdout, err = run("report", str(SCANS / "site-b.json"), "-o", str(out))
    assert (code, stdout, err) == (0, "", "")
    assert out.read_text("utf-8").startswith("<!DOCTYPE html>")


def test_merged_report_lists_sightings() -> None:
    """A merged document's report shows, per device, every scan that saw it and where."""
    merged = merge_documents(
        [parsed(scan("site-a.json"), "a.json"), parsed(scan("site-b.json"), "b.json")]
    )
    page = _render(merged, "merged.json")
    assert page.count("<h4>Seen in</h4>") == len(merged["devices"])
    assert "198.18.0.17" in page and "198.18.0.23" in page and "b.json" in page
