"""Pieces of the HTML report: the maker chart and the evidence behind each device's verdict.

Every string from the document goes through scanner.audit.html_text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from scanner.audit.html_text import VALUE_SHOWN_MAX, esc, esc_block, render_value
from scanner.audit.report_compliance import compliance_block
from scanner.output.contract import count_names  # the summary's ordering rule

PALETTE = ("#2f6fb3", "#d9822b", "#3a9b5c", "#b5434a", "#7b5ea7", "#8a6d3b", "#c45fa0", "#4d8f99")
UNKNOWN_COLOUR = "#9aa0a6"
UNKNOWN_MAKER = "(unidentified)"
OBSERVATIONS_SHOWN = 512
"""Most observations listed for one device (the scanner keeps at most as many)."""


def maker_counts(devices: Sequence[Mapping[str, Any]]) -> list[tuple[str | None, int]]:
    """(maker, devices) most common first, ties by name; None (unidentified) last."""
    makers = [device["verdict"]["manufacturer"] for device in devices]
    known: list[tuple[str | None, int]] = list(count_names(makers).items())
    unknown = makers.count(None)
    return known + ([(None, unknown)] if unknown else [])


def maker_chart(counts: Sequence[tuple[str | None, int]], bars_max: int = 30) -> str:
    """A horizontal bar chart as inline SVG (no script, no external file)."""
    rows = list(counts[:bars_max])
    rest = sum(n for _, n in counts[bars_max:])
    if rest:
        rows.append((f"{len(counts) - bars_max} other makers", rest))
    if not rows:
        return '<p class="muted">No devices.</p>'
    top = max(n for _, n in rows)
    height = 16 + 26 * len(rows)
    parts = [
        f'<svg class="chart" role="img" aria-labelledby="chart-title" width="760" '
        f'height="{height}" viewBox="0 0 760 {height}">',
        '<title id="chart-title">Devices by maker</title>',
    ]
    for i, (name, n) in enumerate(rows):
        y = 8 + 26 * i
        width = max(2, round(n / top * 480))
        colour = UNKNOWN_COLOUR if name is None else PALETTE[i % len(PALETTE)]
        label = esc(name if name is not None else UNKNOWN_MAKER, 28)
        parts.append(
            f'<text x="210" y="{y + 16}" text-anchor="end" class="bar-label">{label}</text>'
            f'<rect x="220" y="{y + 2}" width="{width}" height="20" rx="3" fill="{colour}">'
            f"<title>{label}: {n}</title></rect>"
            f'<text x="{226 + width}" y="{y + 16}" class="bar-count">{n}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _where(item: Mapping[str, Any]) -> str:
    """'http:80', or just 'mac' for a fact with no port."""
    port = item["port"]
    return esc(item["probe"], 40) + ("" if port is None else f":{port}")


def _evidence_rows(evidence: Sequence[Mapping[str, Any]]) -> str:
    rows = []
    for item in evidence:
        claims = ", ".join(f"{esc(k, 40)}={esc(v, 80)}" for k, v in item["asserts"].items())
        rows.append(
            f"<tr><td><code>{esc(item['fingerprint'])}</code>"
            f'<div class="muted">{esc(item["description"])}</div></td>'
            f'<td>{esc(item["field"], 60)}<div class="muted">{_where(item)}</div></td>'
            f"<td>{esc(item['weight'], 8)}</td><td>{claims}</td></tr>"
            f'<tr class="value"><td colspan="4"><pre>{esc_block(item["value"])}</pre></td></tr>'
        )
    return "".join(rows)


def _observations(observations: Sequence[Mapping[str, Any]]) -> str:
    items = [
        f'<li><b>{esc(obs["field"], 60)}</b> <span class="muted">{_where(obs)}</span>'
        f"<pre>{esc_block(obs['value'], VALUE_SHOWN_MAX // 2)}</pre></li>"
        for obs in observations[:OBSERVATIONS_SHOWN]
    ]
    return (
        f"<details><summary>All {len(observations)} observations</summary>"
        f'<ul class="plain">{"".join(items)}</ul></details>'
    )


def _facts(device: Mapping[str, Any]) -> str:
    verdict = device["verdict"]
    facts = [
        ("serial", verdict.get("serial")),
        ("firmware", verdict.get("firmware")),
        ("OUI registrant", verdict.get("oui_vendor")),
        ("conflicting makers", ", ".join(verdict["conflicts"])),
        ("open ports", ", ".join(str(port) for port in device["open_ports"])),
        ("found by", ", ".join(device["found_by"])),
    ]
    rows = "".join(f"<dt>{name}</dt><dd>{esc(value)}</dd>" for name, value in facts if value)
    return f'<dl class="kv">{rows}</dl>' if rows else ""


def device_details(device: Mapping[str, Any]) -> str:
    """The ``<details>`` under a device's row: what the verdict rests on. Opens without
    JavaScript. ``device`` has been checked (scanner.audit.shape), so its keys are there."""
    evidence = device["verdict"]["evidence"]
    names = ", ".join(esc(item["fingerprint"], 80) for item in evidence[:6])
    more = f", … {len(evidence) - 6} more" if len(evidence) > 6 else ""
    title = f"{len(evidence)} evidence" + (f": {names}{more}" if names else "")
    parts = [f'<details><summary>{title}</summary><div class="details">', _facts(device)]
    if evidence:
        parts.append(
            '<table class="evidence"><thead><tr><th>Fingerprint</th><th>Field</th>'
            f"<th>Weight</th><th>Asserts</th></tr></thead><tbody>{_evidence_rows(evidence)}"
            "</tbody></table>"
        )
    if device.get("observations"):
        parts.append(_observations(device["observations"]))
    if device["probes"]:
        parts.append("<h4>Probes</h4>" + render_value(device["probes"]))
    if device.get("compliance") is not None:
        parts.append(f"<h4>Compliance</h4>{compliance_block(device['compliance'])}")
    if device.get("seen_in"):
        parts.append(f"<h4>Seen in</h4>{render_value(device['seen_in'])}")
    parts.append("</div></details>")
    return "".join(parts)
