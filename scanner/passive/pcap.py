"""A packet capture file (pcap or pcapng) -> what its packets say, read in bounds.

scapy's RawPcapReader streams the file (pcapng is detected by its magic). Reading stops
after ``packets`` packets or ``size`` captured bytes, whichever comes first, with a warning
saying how much was left unread; a file that breaks off mid-packet ends the reading the
same way. Ethernet frames pass the cheap pre-filter (scanner.passive.frames.wanted) before
scapy decodes them; other link types (Linux cooked, raw IP) are decoded as they come.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from scanner import limits
from scanner.errors import UsageError, bug_detail
from scanner.passive.frames import FrameReader, wanted
from scanner.passive.heard import Heard
from scanner.passive.streams import Streams
from scanner.protocols.registry import DEFAULT_PORTS

PACKETS_MAX = 1_000_000
SIZE_MAX = 1024 * limits.KIB * limits.KIB
"""Captured bytes read at most (1 GiB)."""
STREAM_PORTS = frozenset(DEFAULT_PORTS)
"""TCP ports whose connections are followed: the camera ports a scan sweeps."""
_ETHERNET = 1

Warn = Callable[[str], None]


@dataclass(frozen=True)
class CaptureBounds:
    packets: int = PACKETS_MAX
    size: int = SIZE_MAX


@dataclass(frozen=True)
class CaptureSummary:
    """How the reading went, for the document's options."""

    packets: int
    size: int
    decoded: int
    """Packets that passed the pre-filter and were decoded."""
    stopped: str = ""
    """Why reading ended before the end of the file ('' when it did not)."""

    def describe(self) -> dict[str, object]:
        info: dict[str, object] = {
            "packets": self.packets, "bytes": self.size, "decoded": self.decoded
        }
        if self.stopped:
            info["stopped"] = self.stopped
        return info


def _open(path: str) -> Any:
    from scapy.error import Scapy_Exception
    from scapy.utils import RawPcapReader

    try:
        return RawPcapReader(path)
    except OSError as exc:
        raise UsageError(
            f"camscan: cannot read '{path}': {exc.strerror or exc} (give a readable capture file)"
        ) from None
    except (Scapy_Exception, EOFError, ValueError):
        raise UsageError(
            f"camscan: '{path}' is not a pcap or pcapng capture "
            "(record one with tcpdump -w FILE, or save it from Wireshark as pcap)"
        ) from None


def check_capture(path: str) -> None:
    """UsageError unless `path` opens as a pcap or pcapng capture."""
    _open(path).close()


def _decoder(linktype: int | None) -> Any:
    from scapy.config import conf
    from scapy.packet import Raw

    return conf.l2types.num2layer.get(linktype if linktype is not None else _ETHERNET, Raw)


@contextlib.contextmanager
def _scapy_quiet() -> Iterator[None]:
    """scapy logs what it thinks of odd packets; camscan says what matters itself."""
    logger = logging.getLogger("scapy")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def read_capture(path: str, heard: Heard, bounds: CaptureBounds, warn: Warn) -> CaptureSummary:
    """Read `path` into `heard` (TCP streams included); see the module docstring."""
    with _scapy_quiet():
        return _read(path, heard, bounds, warn)


def _read(path: str, heard: Heard, bounds: CaptureBounds, warn: Warn) -> CaptureSummary:
    from scapy.error import Scapy_Exception

    reader = _open(path)
    streams = Streams(set(STREAM_PORTS))
    frames = FrameReader(heard, streams)
    packets = size = decoded = 0
    stopped = ""
    try:
        iterator = iter(reader)
        while True:
            if packets >= bounds.packets or size >= bounds.size:
                stopped = f"stopped after {packets} packets ({size} bytes): the limit"
                break
            try:
                data, meta = next(iterator)
            except StopIteration:
                break
            except (Scapy_Exception, EOFError, ValueError, OSError) as exc:
                stopped = f"stopped after {packets} packets: the file breaks off ({exc})"
                break
            except Exception as exc:  # noqa: BLE001 - scapy's reader met what it cannot read
                stopped = f"stopped after {packets} packets: unreadable ({bug_detail(exc)})"
                break
            packets += 1
            size += len(data)
            linktype = getattr(meta, "linktype", None) or getattr(reader, "linktype", None)
            if linktype in (None, _ETHERNET) and not wanted(data, streams.ports):
                continue
            decoded += 1
            frames.read_bytes(data, _decoder(linktype))
    finally:
        reader.close()
    if stopped:
        warn(f"camscan: warning: {path}: {stopped}; the rest was not read")
    streams.finish(heard)
    heard.settle_dhcp()
    return CaptureSummary(packets, size, decoded, stopped)
