"""Text cut to a bound, marked when cut: every parser and probe bounds what it keeps this way."""

from __future__ import annotations

#: Appended to a value that was cut to its bound, so nobody mistakes it for the whole.
TRUNCATED_MARK = "…[truncated]"


def cap_text(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, marked when cut."""
    return text if len(text) <= limit else text[:limit] + TRUNCATED_MARK
