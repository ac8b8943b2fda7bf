"""Errors a user can cause: each becomes one line on stderr and exit status 2."""

from __future__ import annotations


class UsageError(Exception):
    """Bad input from the user: the message names the problem and the fix, in one line."""


class DecodeError(ValueError):
    """A parser could not make sense of bytes a device sent. Parsers raise only this."""


class ScopeError(Exception):
    """An attempt to contact an address outside the user's scope (a bug if ever raised)."""
