"""--policy: make the exit status say whether a covered device was found (for scheduled audits).

`camscan scan 10.0.0.0/24 --policy ndaa889` exits 3 when any device is flagged "covered" on
that list (strong evidence only; "possible" flags do not trip a policy). Several --policy
options combine; `any` means every list camscan checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TextIO

from scanner.model import Device, ScanInfo
from scanner.output import Formatter
from scanner.risk import trips

POLICIES: tuple[str, ...] = ("ndaa889", "fcc", "uk2022", "any")
EXIT_POLICY = 3
EXIT_RISK = 4
"""--fail-on: a device is affected by a finding of the named kind (scanner.cli.options)."""


def violates(device: Device, policies: frozenset[str]) -> bool:
    """True when a device is flagged "covered" on a list the policy names."""
    if not policies or device.compliance is None:
        return False
    return any(
        flag.status == "covered" and ("any" in policies or flag.list_id in policies)
        for flag in device.compliance.flags
    )


@dataclass
class PolicyWatch:
    """A formatter that passes every device on and counts the ones a policy forbids."""

    inner: Formatter
    policies: frozenset[str]
    violations: list[str] = field(default_factory=list)
    fail_on: str | None = None
    """--fail-on kev|high|any (None: risk findings never change the exit status)."""
    risky: list[str] = field(default_factory=list)

    def begin(self, stream: TextIO) -> None:
        self.inner.begin(stream)

    def device(self, device: Device) -> None:
        if violates(device, self.policies):
            self.violations.append(device.ip)
        if trips(device.risks, self.fail_on):
            self.risky.append(device.ip)
        self.inner.device(device)

    def end(self, info: ScanInfo) -> None:
        self.inner.end(info)

    def exit_code(self) -> int:
        """3 for a policy violation (it wins), else 4 for a --fail-on finding, else 0."""
        if self.violations:
            return EXIT_POLICY
        return EXIT_RISK if self.risky else 0
