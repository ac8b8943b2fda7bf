"""``--format json``: the whole ``camscan/1`` document, written once the scan is over."""

from __future__ import annotations

from scanner.model import ScanInfo
from scanner.output.base import StreamFormatter
from scanner.output.contract import document, dumps
from scanner.output.sanitize import write_text


class JsonFormatter(StreamFormatter):
    """Holds the devices and writes one indented document (devices in IP order) at ``end``."""

    def end(self, info: ScanInfo) -> None:
        stream = self._out()
        doc = document(info, self._devices)
        write_text(
            stream,
            dumps(doc, indent=2) + "\n",
            fallback=lambda: dumps(doc, indent=2, ascii_only=True) + "\n",
        )
        stream.flush()
