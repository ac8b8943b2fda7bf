"""Credentials for deeper identification: opt-in, from a file or the environment, never argv.

A command-line argument is visible to every user of the machine (``ps``, /proc/PID/cmdline)
and lands in shell history, so a password is only ever read from a file or the environment.

The file is TOML, one ``[[credential]]`` table per set::

    # camscan credentials: readable by you only (chmod 600)
    [[credential]]
    scope = ["192.168.1.0/24"]   # optional: the targets this set is for (default: every one)
    user = "admin"
    password = "..."

``CAMSCAN_USER`` and ``CAMSCAN_PASSWORD`` (both) give one more set, for every target. A host
gets the *first* set whose scope holds it, and only that one: camscan never tries a second
password on a device (see scanner/engine/credentialed.py and the README's Safety section).
A set's scope only narrows: credentials go to hosts inside the scan's scope and the set's.
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from scanner.errors import UsageError
from scanner.scope import Scope, parse_targets

ENV_USER, ENV_PASSWORD = "CAMSCAN_USER", "CAMSCAN_PASSWORD"
FILE_MAX = 64 * 1024
SETS_MAX = 256
_KEYS = {"scope", "user", "password"}


@dataclass(frozen=True, slots=True)
class Credential:
    """One user name and password; `where` names its source without revealing it."""

    user: str
    password: str = field(repr=False)
    scope: Scope | None = field(default=None, repr=False)
    """None: every host in the scan's scope."""
    where: str = ""
    """'creds.toml entry 2' or 'CAMSCAN_USER': how statuses refer to this set."""

    def covers(self, ip: str) -> bool:
        return self.scope is None or self.scope.contains(ip)


@dataclass(frozen=True, slots=True)
class Credentials:
    """Every set, in the order they apply, and how they may be sent."""

    entries: tuple[Credential, ...]
    allow_basic_auth: bool = False
    """Send Basic (the password itself, base64) when that is all a device offers, over
    HTTPS or plain HTTP. Off: Basic is never sent; Digest is always preferred."""
    warnings: tuple[str, ...] = ()
    """One line each, for stderr (a world-readable file, ...)."""

    def for_host(self, ip: str) -> Credential | None:
        """The one set `ip` gets: the first whose scope holds it, or None."""
        return next((c for c in self.entries if c.covers(ip)), None)


def load_credentials(
    path: str | Path | None,
    environ: Mapping[str, str] | None = None,
    *,
    allow_basic_auth: bool = False,
) -> Credentials | None:
    """The sets from `path` (if given) then the environment; None when there are none.

    Raises UsageError (one line naming the file and entry) for an unreadable or malformed
    file, or for only one of CAMSCAN_USER / CAMSCAN_PASSWORD being set.
    """
    env = os.environ if environ is None else environ
    entries: list[Credential] = []
    warnings: list[str] = []
    if path is not None:
        file = Path(path)
        entries.extend(_from_file(file))
        warnings.extend(_permission_warnings(file))
    from_env = _from_environment(env)
    if from_env is not None:
        entries.append(from_env)
    if not entries:
        return None
    return Credentials(tuple(entries), allow_basic_auth, tuple(warnings))


def _permission_warnings(path: Path) -> list[str]:
    """A warning when anyone but the owner may read the file (group or others)."""
    mode = path.stat().st_mode
    who = "every user" if mode & stat.S_IROTH else "its group" if mode & stat.S_IRGRP else ""
    if who:
        return [
            f"camscan: warning: '{path}' holds passwords and {who} can read it "
            f"(chmod 600 '{path}')"
        ]
    return []


def _read(path: Path) -> dict[str, object]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(
            f"camscan: cannot read credentials file '{path}': {exc.strerror or exc}"
        ) from None
    if len(data) > FILE_MAX:
        raise UsageError(f"camscan: credentials file '{path}' is larger than 64 KiB")
    try:
        return tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"camscan: credentials file '{path}' is not TOML: {exc}") from None


def _from_file(path: Path) -> list[Credential]:
    document = _read(path)
    tables = document.get("credential")
    unknown = sorted(set(document) - {"credential"})
    if unknown or not isinstance(tables, list) or not tables:
        raise UsageError(
            f"camscan: credentials file '{path}' needs [[credential]] tables with user and "
            f"password{f' (unknown key {unknown[0]!r})' if unknown else ''}"
        )
    if len(tables) > SETS_MAX:
        raise UsageError(f"camscan: credentials file '{path}' has more than {SETS_MAX} sets")
    return [_entry(table, f"{path.name} entry {n}") for n, table in enumerate(tables, 1)]


def _entry(table: object, where: str) -> Credential:
    if not isinstance(table, dict):
        raise UsageError(f"camscan: {where}: not a table")
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise UsageError(
            f"camscan: {where}: unknown key {unknown[0]!r} (use scope, user, password)"
        )
    user, password = table.get("user"), table.get("password")
    if not isinstance(user, str) or not isinstance(password, str) or not password:
        raise UsageError(f"camscan: {where}: user and password must both be strings")
    scope = table.get("scope")
    if scope is not None:
        if isinstance(scope, str):
            scope = [scope]
        if not isinstance(scope, list) or not all(isinstance(s, str) for s in scope):
            raise UsageError(f"camscan: {where}: scope must be a list of targets")
    return Credential(
        _checked_user(user, where), password, _scope(scope, where), where
    )


def _scope(targets: list[str] | None, where: str) -> Scope | None:
    if targets is None:
        return None
    try:  # a filter only: the scan's own scope still decides what may be contacted
        return parse_targets(targets, allow_public=True, force=True)
    except UsageError as exc:
        raise UsageError(f"camscan: {where}: {str(exc).removeprefix('camscan: ')}") from None


def _checked_user(user: str, where: str) -> str:
    """A user name goes into an HTTP header and SOAP: printable ASCII without quotes only."""
    if not user or not all(" " <= c <= "~" for c in user) or any(c in user for c in "\"\\:"):
        raise UsageError(
            f"camscan: {where}: the user name must be printable ASCII without quotes, "
            "backslashes or colons"
        )
    return user


def _from_environment(env: Mapping[str, str]) -> Credential | None:
    user, password = env.get(ENV_USER), env.get(ENV_PASSWORD)
    if user is None and password is None:
        return None
    if not user or not password:
        raise UsageError(
            f"camscan: {ENV_USER} and {ENV_PASSWORD} must be set together (or neither)"
        )
    try:  # os.environ keeps bytes that are not UTF-8 as lone surrogates
        password.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(
            f"camscan: {ENV_PASSWORD} is not UTF-8 text (set it in UTF-8, or put the "
            "password in a --credentials file)"
        ) from None
    return Credential(_checked_user(user, ENV_USER), password, None, ENV_USER)
