"""``camscan report``: one self-contained HTML file for a person who was not at the console.

- Self-contained: styles, the sorting script and the chart (SVG) are inline; nothing is
  fetched. A Content-Security-Policy forbids every fetch and every script but the report's own
  (by hash), so even a value that escaped escaping could not run or call out.
- Readable without JavaScript: the evidence opens with ``<details>``, the chart is SVG. With
  JavaScript, a click on a column header sorts the table (``#sort=<column>[-desc]`` in the
  address sorts on load, for a link to a sorted view).
- Covered devices first when the document carries per-device ``compliance`` blocks (a later
  issue); without them the report simply has no compliance parts.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from scanner import __version__
from scanner.audit.document import ScanDocument
from scanner.audit.html_text import esc
from scanner.audit.report_compliance import (
    compliance_rank,
    compliance_section,
    compliance_status,
)
from scanner.audit.report_parts import device_details, maker_chart, maker_counts
from scanner.audit.report_risk import STYLE as RISK_STYLE
from scanner.audit.report_risk import risk_section
from scanner.output.contract import (
    count_names,  # the summary's ordering rule
    ip_sort_key,
    unit,
)

COLUMNS: tuple[tuple[str, str], ...] = (
    ("ip", "IP"),
    ("mac", "MAC"),
    ("maker", "Maker"),
    ("brand", "Brand"),
    ("model", "Model"),
    ("type", "Type"),
    ("confidence", "Confidence"),
    ("reason", "Reason"),
)
"""(data-col name for ``#sort=``, header) of the device table, in order. Each device is one
``<tbody>``: this row, then a full-width row with the evidence in ``<details>``."""

TARGETS_SHOWN = 12

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d232b;
background:#f5f6f8}
header{background:#1f3a5f;color:#fff;padding:18px 28px}header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;opacity:.85}main{padding:8px 28px 40px}
section{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:14px 18px;margin:16px 0}
h2{font-size:17px;margin:0 0 10px}h4{margin:10px 0 4px}
.stats{display:flex;gap:14px;flex-wrap:wrap;margin:0 0 12px;padding:0;list-style:none}
.stats li{background:#eef2f7;border-radius:6px;padding:8px 14px;min-width:110px}
.stats b{display:block;font-size:22px}
.cols{display:flex;gap:28px;flex-wrap:wrap;align-items:flex-start}
figure{margin:0}figcaption{font-weight:600;padding:4px 0}
table{border-collapse:collapse}th,td{text-align:left;vertical-align:top;padding:4px 8px;
border-bottom:1px solid #e6e9ed}thead th{background:#eef2f7;white-space:nowrap}
#devices-table{width:100%}#devices-table td.nw{white-space:nowrap}
.js-sortable>thead th{cursor:pointer}.js-sortable>thead th:after{content:" \\2195";color:#8a94a0}
th[aria-sort=ascending]:after{content:" \\25B2"!important}
th[aria-sort=descending]:after{content:" \\25BC"!important}
tbody.covered td{background:#fff1f0}tbody.possible td{background:#fffbe6}
#devices-table>tbody>tr:first-child>td{border-bottom:0}tr.ev td{padding-top:0;font-size:13px}
.flag-0{color:#b5434a;font-weight:600}.flag-1{color:#8a6d00;font-weight:600}
table.flagged{margin-top:10px}td.basis{font-size:12px}table.lists{margin:4px 0}
.muted{color:#6b7580;font-size:12px}code{font-size:12px}
pre{white-space:pre-wrap;word-break:break-all;background:#f3f4f6;padding:6px;margin:2px 0;
font-size:12px;max-height:18em;overflow:auto}
details summary{cursor:pointer;color:#1f5fa8}.details{max-width:1100px;padding:4px 0 8px 18px}
table.evidence{margin:6px 0;width:100%}tr.value td{border-bottom:2px solid #dde1e6}
dl.kv{display:grid;grid-template-columns:max-content auto;gap:2px 10px;margin:4px 0}
dl.kv dt{font-weight:600}dl.kv dd{margin:0}dt.basis,dt.basis+dd{background:#fff6d6}
ul.plain{margin:2px 0;padding-left:18px}
.chart .bar-label{font-size:13px;fill:#1d232b}.chart .bar-count{font-size:12px;fill:#4a535d}
""" + RISK_STYLE

SCRIPT = """
(function () {
  var table = document.getElementById("devices-table");
  if (!table) { return; }
  var heads = table.tHead.rows[0].cells;
  function key(body, i) {
    var cell = body.rows[0].cells[i], k = cell.getAttribute("data-sort");
    return k === null ? cell.textContent.trim().toLowerCase() : k;
  }
  function sortBy(i, desc) {
    var bodies = Array.prototype.slice.call(table.tBodies);
    bodies.sort(function (a, b) {
      var x = key(a, i), y = key(b, i), r = x < y ? -1 : (x > y ? 1 : 0);
      return desc ? -r : r;
    });
    bodies.forEach(function (body) { table.appendChild(body); });
    for (var j = 0; j < heads.length; j++) {
      heads[j].setAttribute("aria-sort", j === i ? (desc ? "descending" : "ascending") : "none");
    }
  }
  Array.prototype.forEach.call(heads, function (head, i) {
    head.tabIndex = 0;
    function go() { sortBy(i, head.getAttribute("aria-sort") === "ascending"); }
    head.addEventListener("click", go);
    head.addEventListener("keydown", function (e) { if (e.key === "Enter") { go(); } });
  });
  table.classList.add("js-sortable");
  var m = /^#sort=([a-z]+)(-desc)?$/.exec(window.location.hash);
  if (m) {
    Array.prototype.forEach.call(heads, function (head, i) {
      if (head.getAttribute("data-col") === m[1]) { sortBy(i, !!m[2]); }
    });
  }
})();
"""


def _hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


CSP = (
    f"default-src 'none'; style-src '{_hash(STYLE)}'; script-src '{_hash(SCRIPT)}'; "
    "img-src 'none'; base-uri 'none'; form-action 'none'"
)
"""Nothing may be fetched; only the report's own style and script (by hash) apply."""


def _ordered(devices: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Covered devices first, then possibly covered ones, then the rest; each in IP order."""
    return sorted(
        devices, key=lambda d: (compliance_rank(d.get("compliance")), ip_sort_key(d["ip"]))
    )


def _kind(verdict: Mapping[str, Any]) -> str | None:
    """The device type, or 'camera' when only ``is_camera`` says so (as the table does)."""
    return verdict["device_type"] or ("camera" if verdict["is_camera"] else None)


def _cells(device: Mapping[str, Any], with_flags: bool) -> list[str]:
    verdict = device["verdict"]
    confidence = unit(float(verdict["confidence"]))
    ip_key = "{}:{:040d}:{}".format(*ip_sort_key(device["ip"]))
    cells = [
        f'<td class="nw" data-sort="{esc(ip_key, None)}">{esc(device["ip"])}</td>',
        f'<td class="nw"><code>{esc(device["mac"])}</code></td>',
        *(f"<td>{esc(verdict[key])}</td>" for key in ("manufacturer", "brand", "model")),
        f"<td>{esc(_kind(verdict))}</td>",
        f'<td data-sort="{confidence:.4f}">{confidence:.2f}</td>',
        f"<td>{esc(verdict['reason'], 240)}</td>",
    ]
    if with_flags:
        rank = compliance_rank(device.get("compliance"))
        status = compliance_status(device.get("compliance"))
        cells.insert(0, f'<td data-sort="{rank}" class="flag-{rank}">{esc(status)}</td>')
    return cells


def _device_body(device: Mapping[str, Any], with_flags: bool) -> str:
    """One device: its row, then its evidence under the row, across the table."""
    cells = _cells(device, with_flags)
    rank = compliance_rank(device.get("compliance"))
    body_class = (' class="covered"', ' class="possible"', "")[rank]
    return (
        f"<tbody{body_class}><tr>{''.join(cells)}</tr>"
        f'<tr class="ev"><td colspan="{len(cells)}">{device_details(device)}</td></tr></tbody>'
    )


def _device_table(devices: Sequence[Mapping[str, Any]], with_flags: bool) -> str:
    columns = ((("flag", "Compliance"),) if with_flags else ()) + COLUMNS
    heads = "".join(f'<th data-col="{col}" scope="col">{title}</th>' for col, title in columns)
    bodies = "".join(_device_body(device, with_flags) for device in devices)
    return f'<table id="devices-table"><thead><tr>{heads}</tr></thead>{bodies}</table>'


def _count_table(title: str, counts: Sequence[tuple[str | None, int]]) -> str:
    rows = "".join(
        f"<tr><td>{esc(name) if name is not None else '<i>unidentified</i>'}</td><td>{n}</td></tr>"
        for name, n in counts
    )
    body = rows or '<tr><td colspan="2" class="muted">none</td></tr>'
    return f"<table><thead><tr><th>{title}</th><th>Devices</th></tr></thead>{body}</table>"


def _brand_counts(devices: Sequence[Mapping[str, Any]]) -> list[tuple[str | None, int]]:
    return list(count_names(device["verdict"]["brand"] for device in devices).items())


def _stats(devices: Sequence[Mapping[str, Any]]) -> str:
    verdicts = [device["verdict"] for device in devices]
    identified = sum(1 for v in verdicts if v["manufacturer"])
    rebrands = sum(1 for v in verdicts if v["brand"] and v["brand"] != v["manufacturer"])
    stats = (
        ("devices", len(devices)),
        ("cameras", sum(1 for v in verdicts if v["is_camera"] is True)),
        ("maker identified", identified),
        ("unidentified", len(devices) - identified),
        ("sold under another brand", rebrands),
    )
    items = "".join(f"<li><b>{n}</b>{label}</li>" for label, n in stats)
    return f'<ul class="stats">{items}</ul>'


def _scan_line(doc: ScanDocument) -> str:
    scan = doc.scan
    targets = [str(t) for t in scan["targets"]]
    shown = ", ".join(targets[:TARGETS_SHOWN])
    more = f" and {len(targets) - TARGETS_SHOWN} more" if len(targets) > TARGETS_SHOWN else ""
    return (
        f"{esc(doc.label)}: {esc(scan.get('command', 'scan'))} of {esc(shown, 600)}{more}, "
        f"{esc(scan['started'])} to {esc(scan['finished'])}; camscan "
        f"{esc(scan.get('camscan_version'))}, {esc(scan.get('fingerprints'))} fingerprints"
    )


def render_report(doc: ScanDocument) -> str:
    """The whole HTML page for ``doc``."""
    devices = [device.data for device in doc.devices]
    with_flags = any(device.get("compliance") is not None for device in devices)
    makers = maker_counts(devices)
    ordered = _ordered(devices)
    summary = (
        '<section id="summary"><h2>Summary</h2>'
        f'{_stats(devices)}<div class="cols">'
        f"{_count_table('Maker', makers)}{_count_table('Brand', _brand_counts(devices))}"
        f"<figure><figcaption>Devices by maker</figcaption>{maker_chart(makers)}</figure>"
        "</div></section>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>camscan report: {esc(doc.label)}</title><style>{STYLE}</style></head>\n"
        f"<body><header><h1>camscan report</h1><p>{_scan_line(doc)}</p></header><main>\n"
        f"{summary}\n{compliance_section(ordered) if with_flags else ''}\n"
        f"{risk_section(ordered)}\n"
        f'<section id="devices"><h2>Devices</h2>'
        '<p class="muted">Click a header to sort (with JavaScript); open "evidence" to see '
        "what each verdict rests on. Values are shown as the devices sent them.</p>"
        f"{_device_table(ordered, with_flags)}</section>\n"
        f'</main><footer class="muted">&nbsp; camscan {esc(__version__)}</footer>'
        f"<script>{SCRIPT}</script></body></html>\n"
    )
