"""Errors a user can cause (each becomes one line on stderr and exit status 2), and how an
unexpected one met while handling one host is reported (:func:`bug_detail`)."""

from __future__ import annotations

import os
import sys
import traceback


class UsageError(Exception):
    """Bad input from the user: the message names the problem and the fix, in one line."""


class DecodeError(ValueError):
    """A parser could not make sense of bytes a device sent. Parsers raise only this."""


class ScopeError(Exception):
    """An attempt to contact an address outside the user's scope (a bug if ever raised)."""


def bug_detail(exc: BaseException) -> str:
    """A status detail for an exception nothing expected: ``ValueError: ...``, one line.

    This is the zgrab2 rule (issue 12): a bug met while handling one host's answer becomes
    that host's ``error`` status and the scan, ``listen`` or ``identify --pcap`` goes on.
    The detail names the exception so the bug still shows; with CAMSCAN_DEBUG=1 its
    traceback goes to stderr too.
    """
    if os.environ.get("CAMSCAN_DEBUG"):
        traceback.print_exception(exc, file=sys.stderr)
    text = " ".join(str(exc).split())
    name = type(exc).__name__
    return f"{name}: {text[:BUG_TEXT_MAX]}" if text else name


BUG_TEXT_MAX = 160
"""Characters of an unexpected exception's message kept in a status."""
