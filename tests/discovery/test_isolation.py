"""Discovery's isolation (issue 12, zgrab2's rule): a bug met on one host's answer or
follow-up is that host's `error: <Exception>: ...` status; the other hosts are unharmed."""

from __future__ import annotations

import asyncio

import pytest

from scanner.errors import ScopeError
from scanner.model import Outcome, ProbeStatus
from scanner.protocols.lan import Findings, isolated
from scanner.protocols.udp import Datagram, Received, judge


def test_a_reader_bug_on_one_answer_is_that_hosts_status() -> None:
    """The reader raises IndexError on 127.0.1.1's answer: that host is an error naming it,
    127.0.1.2 is read, and the probe as a whole is ok."""

    def read(datagram: Datagram, findings: Findings) -> bool:
        if datagram.data == b"odd":
            raise IndexError("tuple index out of range")
        findings.add(datagram.source, 1900, "ssdp.response", datagram.data.decode())
        return True

    heard = Received([Datagram("127.0.1.1", 1900, b"odd"), Datagram("127.0.1.2", 1900, b"fine")])
    result = judge("ssdp", heard, read)
    assert result.statuses["127.0.1.1"] == ProbeStatus(
        "ssdp", Outcome.ERROR, "IndexError: tuple index out of range"
    )
    assert result.statuses["127.0.1.2"].outcome is Outcome.OK
    assert result.statuses["*"].outcome is Outcome.OK
    assert [o.value for o in result.observations] == ["fine"]


def test_a_follow_up_bug_is_its_hosts_status_and_the_others_finish() -> None:
    """One follow-up raises, the other completes; a ScopeError still escapes."""
    findings = Findings("upnp")

    async def bad() -> None:
        raise UnicodeEncodeError("ascii", "é", 0, 1, "ordinal not in range")

    async def good() -> None:
        await asyncio.sleep(0.01)
        findings.add("127.0.1.4", 80, "upnp.description", "<root/>")
        findings.status("127.0.1.4", Outcome.OK)

    asyncio.run(isolated(findings, [("127.0.1.3", bad()), ("127.0.1.4", good())]))
    assert findings.statuses["127.0.1.3"].outcome is Outcome.ERROR
    assert findings.statuses["127.0.1.3"].detail.startswith("UnicodeEncodeError: ")
    assert findings.statuses["127.0.1.4"].outcome is Outcome.OK

    async def guard() -> None:
        raise ScopeError("127.0.2.9")

    with pytest.raises(ScopeError):
        asyncio.run(isolated(findings, [("127.0.1.5", guard())]))
