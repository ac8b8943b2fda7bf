"""Audit work over saved scans: compare two (diff), combine several (merge), show one (report).

Everything here reads ``camscan/1`` documents (scanner.audit.document) and touches no network.
"""

from __future__ import annotations

from scanner.audit.diff import DIFF_SCHEMA, Diff, diff_documents, diff_to_dict, match_devices
from scanner.audit.document import DeviceRecord, ScanDocument, load_document, parse_document
from scanner.audit.merge import merge_documents
from scanner.audit.report import render_report

__all__ = [
    "DIFF_SCHEMA",
    "DeviceRecord",
    "Diff",
    "ScanDocument",
    "diff_documents",
    "diff_to_dict",
    "load_document",
    "match_devices",
    "merge_documents",
    "parse_document",
    "render_report",
]
