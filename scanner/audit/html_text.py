"""Document text made safe for HTML, shared by the report's parts.

Every string that came from a document goes through :func:`esc` or :func:`esc_block`: devices
write their own banners, and ``<script>`` in a Server header must stay text. Values are also
cleaned of control characters and bidirectional overrides (scanner.output.sanitize), which HTML
escaping alone would leave in to mislead a reader.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from scanner.output.sanitize import ELLIPSIS, clean

CELL_MAX = 120
"""Longest text in a table cell, in characters."""
VALUE_SHOWN_MAX = 4096
"""Longest raw value (banner, XML) shown in the evidence; the JSON keeps all of it."""
NESTING_MAX = 4
"""Deepest level of a nested value (probes, sightings) rendered; deeper parts are counted."""
ITEMS_MAX = 50
"""Most entries of one list or object rendered; the rest are counted."""


def esc(value: object, limit: int | None = CELL_MAX) -> str:
    """One line of document text, cleaned, cut at ``limit`` and HTML-escaped ('' for None)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        value = "true" if value else "false"
    return html.escape(clean(str(value), limit), quote=True)


def esc_block(value: object, limit: int = VALUE_SHOWN_MAX) -> str:
    """Multi-line document text for a ``<pre>``: each line cleaned (indentation kept, up to
    40 columns), the whole cut at ``limit`` characters, then HTML-escaped."""
    text = str(value)
    cut = len(text) > limit
    lines = []
    for line in text[:limit].splitlines():
        indent = min(len(line) - len(line.lstrip(" \t")), 40)
        lines.append(" " * indent + clean(line))
    shown = "\n".join(lines) + (f"{ELLIPSIS} ({len(text)} characters)" if cut else "")
    return html.escape(shown, quote=True)


def render_value(value: object, depth: int = 0) -> str:
    """Any JSON value as nested HTML lists, every string escaped."""
    if isinstance(value, Mapping):
        if depth >= NESTING_MAX:
            return f'<span class="muted">{{{len(value)} keys}}</span>'
        items = list(value.items())
        rows = "".join(
            f"<dt>{esc(key, 60)}</dt><dd>{render_value(item, depth + 1)}</dd>"
            for key, item in items[:ITEMS_MAX]
        )
        return f'<dl class="kv">{rows}{_more(len(items))}</dl>'
    if isinstance(value, list):
        if depth >= NESTING_MAX:
            return f'<span class="muted">[{len(value)} items]</span>'
        rows = "".join(f"<li>{render_value(item, depth + 1)}</li>" for item in value[:ITEMS_MAX])
        return f'<ul class="plain">{rows}{_more(len(value))}</ul>'
    if value is None:
        return '<span class="muted">null</span>'
    return esc(value, VALUE_SHOWN_MAX)


def _more(count: int) -> str:
    extra = count - ITEMS_MAX
    return f'<li class="muted">… {extra} more</li>' if extra > 0 else ""
