"""The report's compliance parts, from each device's ``compliance`` block.

The block (scanner.output.contract): ``{"status": covered|possible|not-covered|unknown,
"basis": <the evidence the flag rests on>, "lists": [{"id", "name", "status", "entity",
"source"}]}``, checked on reading (scanner.audit.shape). Documents written before compliance
flags have no block: such a device ranks with the unflagged ones and the report leaves the
compliance parts out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from scanner.audit.html_text import esc

FLAGGED = ("covered", "possible")

Block = Mapping[str, Any]


def compliance_rank(compliance: Block | None) -> int:
    """0 for a covered device, 1 for a possibly covered one, 2 for the rest."""
    status = compliance_status(compliance)
    return FLAGGED.index(status) if status in FLAGGED else len(FLAGGED)


def compliance_status(compliance: Block | None) -> str:
    """The block's ``status``; '' for a device without a block."""
    return "" if compliance is None else str(compliance["status"])


def compliance_block(compliance: Block) -> str:
    """One device's block: status and basis, then each list that flags it, with the list's
    status, the listed entity and the source of the listing."""
    rows = "".join(
        f'<tr><td>{esc(flag["name"])} <span class="muted">{esc(flag["id"], 40)}</span></td>'
        f"<td>{esc(flag['status'], 40)}</td><td>{esc(flag['entity'])}</td>"
        f"<td>{esc(flag['source'], 400)}</td></tr>"
        for flag in compliance["lists"]
    )
    table = (
        '<table class="lists"><thead><tr><th>List</th><th>Status</th><th>Entity</th>'
        f"<th>Source</th></tr></thead><tbody>{rows}</tbody></table>"
        if rows
        else ""
    )
    return (
        f'<dl class="kv"><dt>status</dt><dd>{esc(compliance["status"], 40)}</dd>'
        f'<dt class="basis">basis</dt><dd>{esc(compliance["basis"], 600)}</dd></dl>{table}'
    )


def _list_table(devices: Sequence[Mapping[str, Any]]) -> str:
    """Per regulatory list: devices it covers and possibly covers, and its source (once)."""
    counts: dict[str, list[int]] = {}
    sources: dict[str, str] = {}
    for device in devices:
        for flag in (device.get("compliance") or {}).get("lists", []):
            name = flag["name"] or flag["id"]
            counts.setdefault(name, [0, 0])[FLAGGED.index(flag["status"])] += 1
            sources.setdefault(name, flag["source"])
    rows = "".join(
        f"<tr><td>{esc(name)}</td><td>{n[0]}</td><td>{n[1]}</td>"
        f'<td class="muted">{esc(sources[name], 400)}</td></tr>'
        for name, n in sorted(counts.items())
    )
    head = "<th>List</th><th>Covered</th><th>Possibly</th><th>Source</th>"
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>" if rows else ""


def _flagged_table(flagged: Sequence[Mapping[str, Any]]) -> str:
    """One row per flagged device: what it is, the lists, and the basis of the flag."""
    rows = []
    for device in flagged:
        block, verdict = device["compliance"], device["verdict"]
        lists = ", ".join(
            f"{esc(flag['id'], 40)} ({esc(flag['status'], 20)})" for flag in block["lists"]
        )
        label = " / ".join(
            esc(verdict[key]) for key in ("manufacturer", "brand", "model") if verdict[key]
        )
        rows.append(
            f'<tr><td>{esc(device["ip"])}</td><td class="flag-{compliance_rank(block)}">'
            f"{esc(block['status'], 40)}</td><td>{label}</td><td>{lists}</td>"
            f'<td class="basis">{esc(block["basis"], 600)}</td></tr>'
        )
    head = "<th>IP</th><th>Status</th><th>Device</th><th>Lists</th><th>Basis</th>"
    body = "".join(rows)
    return f'<table class="flagged"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def compliance_section(ordered: Sequence[Mapping[str, Any]]) -> str:
    """The report's "Regulatory lists" section; ``ordered`` lists covered devices first."""
    flagged = [d for d in ordered if compliance_rank(d.get("compliance")) < len(FLAGGED)]
    covered = sum(1 for d in flagged if compliance_rank(d["compliance"]) == 0)
    listing = _flagged_table(flagged) if flagged else "<p>No device is flagged.</p>"
    return (
        '<section id="compliance"><h2>Regulatory lists</h2>'
        f"<p><b>{covered}</b> covered and <b>{len(flagged) - covered}</b> possibly covered "
        f"of {len(ordered)} devices. These are risk flags with the evidence they rest on "
        f"(basis), not legal findings.</p>{_list_table(ordered)}{listing}</section>"
    )
