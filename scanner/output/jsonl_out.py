"""``--format jsonl``: one device object per line, written the moment the device is final.

No envelope and no summary: each line is the ``$defs/device`` object of the schema on its own,
in the order the scan finished the devices, so ``camscan scan ... | jq`` sees results while the
scan runs.
"""

from __future__ import annotations

from scanner.model import Device, ScanInfo
from scanner.output.base import StreamFormatter
from scanner.output.contract import device_to_dict, dumps
from scanner.output.sanitize import write_text


class JsonlFormatter(StreamFormatter):
    def device(self, device: Device) -> None:
        stream = self._out()
        obj = device_to_dict(device)
        write_text(stream, dumps(obj) + "\n", fallback=lambda: dumps(obj, ascii_only=True) + "\n")
        stream.flush()

    def end(self, info: ScanInfo) -> None:
        self._out().flush()
