"""The HTML report's Risk findings section, and merge's risk counts."""

from __future__ import annotations

import io
import json
import re

from scanner.audit.document import parse_document
from scanner.audit.merge import merge_documents
from scanner.audit.report import render_report
from scanner.model import ScanInfo
from scanner.output import make_formatter
from tests.risk.helpers import corpus_devices


def _document() -> str:
    out = io.StringIO()
    formatter = make_formatter("json")
    formatter.begin(out)
    for device in corpus_devices().values():
        formatter.device(device)
    formatter.end(ScanInfo("2026-12-02T06:00:00+00:00", "2026-12-02T06:00:01+00:00", ("x",)))
    return out.getvalue()


def _section(page: str) -> str:
    start = page.index('<section id="risks">')
    return page[start : page.index("</section>", start)]


def test_report_lists_findings_kev_first() -> None:
    """The section lists every finding, the KEV-affected one first, marked KEV with its date."""
    page = render_report(parse_document(_document(), "corpus.json"))
    section = _section(page)
    rows = re.findall(r"<tr[^>]*><td>([^<]+)</td><td>[^<]*</td><td><b>([^<]+)</b>", section)
    assert rows[0][1] == "CVE-2017-7921"
    assert "KEV 2026-03-05" in section and "CVE-2021-33044" in section
    assert "<b>2</b> devices carry a known-exploited vulnerability" in section
    assert not re.search(r"""\b(?:src|href)\s*=""", page)  # still points nowhere


def test_report_of_a_document_without_risks_says_so() -> None:
    """A document written before risk findings gets a note, not 'no finding'."""
    document = json.loads(_document())
    for device in document["devices"]:
        del device["risks"]
    section = _section(render_report(parse_document(json.dumps(document), "old.json")))
    assert "written before camscan reported risk findings" in section


def test_merge_counts_risks_in_its_summary() -> None:
    """A merged document counts affected and possible findings like a scan's summary does.
    (s0254 and hd0016 are one camera, same serial, answering twice: merge keeps one.)"""
    merged = merge_documents([parse_document(_document(), "a.json")])
    assert merged["summary"]["risks"]["CVE-2017-7921"] == 1
    assert merged["summary"]["possible_risks"]["CVE-2021-33044"] == 1
