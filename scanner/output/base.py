"""The one interface every output format implements."""

from __future__ import annotations

from typing import Protocol, TextIO

from scanner.model import Device, ScanInfo


class Formatter(Protocol):
    """Writes a scan as it happens: ``begin``, then ``device`` for each device as soon as its
    verdict is final, then ``end`` once the scan is over.

    Formats that sort (json, csv, table) hold the devices until ``end``; jsonl writes each one
    at once, so a long scan can be piped into another tool while it runs.
    """

    def begin(self, stream: TextIO) -> None: ...

    def device(self, device: Device) -> None: ...

    def end(self, info: ScanInfo) -> None: ...


class StreamFormatter:
    """Holds the stream given to ``begin`` and the devices given since."""

    def __init__(self) -> None:
        self._stream: TextIO | None = None
        self._devices: list[Device] = []

    def begin(self, stream: TextIO) -> None:
        self._stream = stream
        self._devices = []

    def device(self, device: Device) -> None:
        self._out()  # a device before begin() is a caller bug: say so now, not at end()
        self._devices.append(device)

    def _out(self) -> TextIO:
        if self._stream is None:
            raise RuntimeError(f"{type(self).__name__}: begin() must be called first")
        return self._stream
