"""The report's "Risk findings" section, from each device's ``risks`` list (issue 13).

KEV first: findings a device is affected by and that CISA lists as exploited in the wild,
then the other affected ones by severity, then the possible ones. Documents written before
risk findings have no ``risks``: the section then says so instead of claiming "none".
Every string from the document goes through scanner.audit.html_text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from scanner.audit.html_text import esc
from scanner.output.contract import ip_sort_key

_SEVERITY = {"critical": 0, "high": 1, "medium": 2, "low": 3}

STYLE = (
    "tr.risk-kev td{background:#fff1f0}td.sev-critical,td.sev-high{color:#b5434a;"
    "font-weight:600}td.sev-medium{color:#8a6d00}.kev{background:#b5434a;color:#fff;"
    "border-radius:3px;padding:0 4px;font-size:11px}"
)
"""Added to the report's style sheet (and so to its CSP hash)."""


def _key(item: tuple[Mapping[str, Any], Mapping[str, Any]]) -> tuple[object, ...]:
    device, risk = item
    return (
        risk["status"] != "affected",
        not risk["kev"],
        _SEVERITY.get(str(risk["severity"]), 9),
        str(risk["id"]),
        ip_sort_key(device["ip"]),
    )


def _row(device: Mapping[str, Any], risk: Mapping[str, Any]) -> str:
    verdict = device["verdict"]
    label = " / ".join(
        esc(verdict[key]) for key in ("manufacturer", "brand", "model") if verdict.get(key)
    )
    kev = risk["kev"] is True
    badge = f' <span class="kev">KEV {esc(risk.get("kev_added"), 12)}</span>' if kev else ""
    source = esc(risk["source"], 300)  # text, never a link: the report points nowhere
    row_class = ' class="risk-kev"' if kev and risk["status"] == "affected" else ""
    severity = esc(risk["severity"], 12)
    return (
        f"<tr{row_class}><td>{esc(device['ip'])}</td><td>{label}</td>"
        f"<td><b>{esc(risk['id'], 40)}</b>{badge}</td><td>{esc(risk['status'], 12)}</td>"
        f'<td class="sev-{severity}">{severity}</td>'
        f'<td class="basis">{esc(risk["basis"], 600)}</td><td class="muted">{source}</td></tr>'
    )


def risk_section(devices: Sequence[Mapping[str, Any]]) -> str:
    """The whole section; an explanation instead of a table when nothing was found."""
    if not any("risks" in device for device in devices):
        return (
            '<section id="risks"><h2>Risk findings</h2><p class="muted">This document was '
            "written before camscan reported risk findings.</p></section>"
        )
    pairs = sorted(
        ((device, risk) for device in devices for risk in device.get("risks") or []), key=_key
    )
    affected = {d["ip"] for d, r in pairs if r["status"] == "affected"}
    kev = {d["ip"] for d, r in pairs if r["status"] == "affected" and r["kev"]}
    intro = (
        f"<p><b>{len(kev)}</b> devices carry a known-exploited vulnerability (CISA KEV), "
        f"<b>{len(affected)}</b> have at least one affected finding, of {len(devices)}. "
        "Findings come from what the scan saw: camscan exploited nothing and logged in "
        "nowhere. <i>possible</i>: the model matches but the firmware (or whether a request "
        "carried a login) is unknown.</p>"
    )
    if not pairs:
        return f'<section id="risks"><h2>Risk findings</h2>{intro}<p>No finding.</p></section>'
    head = (
        "<th>IP</th><th>Device</th><th>Finding</th><th>Status</th><th>Severity</th>"
        "<th>Basis</th><th>Source</th>"
    )
    rows = "".join(_row(device, risk) for device, risk in pairs)
    return (
        f'<section id="risks"><h2>Risk findings</h2>{intro}'
        f'<table class="flagged"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
        "</section>"
    )
