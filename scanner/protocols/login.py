"""The credentialed session: one host's web service asked with one credential set (opt-in).

The protocols with a credentialed hook (``credentialed`` in scanner.protocols.isapi,
magicbox and onvif, gathered by the registry) ask through one :class:`Session`;
scanner.engine.credentialed runs the hooks and says when they run and what they never do.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from scanner import limits
from scanner.credentials import Credential
from scanner.errors import DecodeError
from scanner.model import Outcome
from scanner.net.secure import secret_context
from scanner.net.tcp import deadline_after
from scanner.parse.auth import (
    Challenge,
    DigestAnswer,
    basic_authorization,
    digest_authorization,
    digest_usable,
    parse_challenges,
)
from scanner.parse.kv import decode_text
from scanner.protocols import host as kit  # the probe kit every host probe uses
from scanner.protocols.web import Response, connection_failure, read_response


class LoginFailed(Exception):
    """A device refused the credential: nothing more is sent to it."""


@dataclass
class Session:
    """Requests to one host's HTTP service with one credential set."""

    ctx: kit.ProbeContext
    host: str
    port: int
    tls: bool
    credential: Credential
    allow_basic: bool
    notes: list[str] = field(default_factory=list)

    async def send(
        self, method: str, path: str, body: bytes = b"", *, authorization: str = "",
        content_type: str = "",
    ) -> Response:
        """One exchange on its own connection, bounded like every probe's."""
        async with await kit.connect(self.ctx, self.host, self.port) as conn:
            if self.tls:
                await kit.handshake(conn, self.ctx, secret_context())
            deadline = deadline_after(self.ctx.timeout)
            request = self._request(method, path, body, authorization, content_type)
            try:
                await conn.send(request, deadline)
                return await read_response(
                    conn.reader, deadline, self.ctx.timeout, body_max=limits.XML_MAX
                )
            except TimeoutError:
                raise kit.ProbeFailed(Outcome.TIMEOUT, "request not accepted in time") from None
            except OSError as exc:
                raise kit.ProbeFailed(Outcome.ERROR, connection_failure(exc)) from None

    def _request(
        self, method: str, path: str, body: bytes, authorization: str, content_type: str
    ) -> bytes:
        default = 443 if self.tls else 80
        authority = self.host if self.port == default else f"{self.host}:{self.port}"
        lines = [f"{method} {path} HTTP/1.1", f"Host: {authority}", f"User-Agent: {kit.USER_AGENT}"]
        lines += ["Accept: */*"] + ([f"Authorization: {authorization}"] if authorization else [])
        if body or method == "POST":
            lines += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
        lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body

    async def fetch(
        self, method: str, path: str, body: bytes = b"", content_type: str = ""
    ) -> Response | None:
        """`path` without credentials; on a 401 challenge, once more with them (see retry)."""
        first = await self.send(method, path, body, content_type=content_type)
        if first.head.status != 401:
            return first
        return await self.retry(first, method, path, body, content_type)

    async def retry(
        self, challenged: Response, method: str, path: str, body: bytes, content_type: str
    ) -> Response | None:
        """Answer a 401 once. None when the device offered nothing camscan will answer (no
        challenge, Basic without allow_basic, control characters in it); a
        second 401 raises LoginFailed."""
        authorization = self._answer(challenged, method, path)
        if not authorization:
            return None
        second = await self.send(
            method, path, body, authorization=authorization, content_type=content_type
        )
        if second.head.status == 401:
            raise LoginFailed(path)
        return second

    def _answer(self, challenge_answer: Response, method: str, path: str) -> str:
        challenges = _challenges_of(challenge_answer)
        user, password = self.credential.user, self.credential.password
        digest = next((c for c in challenges if digest_usable(c)), None)
        if digest is not None:
            try:
                answer = DigestAnswer(method, path, os.urandom(8).hex())
                return digest_authorization(digest, user, password, answer)
            except DecodeError as exc:
                self.notes.append(f"{path}: {exc}")
                return ""
        if any(c.scheme == "basic" for c in challenges):
            if self.allow_basic:  # the only opt-in: TLS to a camera is unverified (issue 12)
                return basic_authorization(user, password)
            over = "HTTPS" if self.tls else "plain HTTP"
            self.notes.append(f"{path}: Basic over {over} refused (--allow-basic-auth off)")
        return ""


def _challenges_of(answer: Response) -> list[Challenge]:
    found: list[Challenge] = []
    for value in answer.head.get_all("www-authenticate"):
        try:
            found.extend(parse_challenges(value))
        except DecodeError:
            continue
    return found


def ok_text(answer: Response | None) -> str | None:
    if answer is None or answer.head.status != 200 or not answer.complete:
        return None
    return decode_text(answer.body)


Step = Callable[[Session, kit.Recorder], Awaitable[str | None]]
"""A protocol's credentialed hook: what it recorded ("ISAPI deviceInfo") or None."""


