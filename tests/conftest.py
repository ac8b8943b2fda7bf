"""Suite-wide settings."""

from __future__ import annotations

import os

# The advisory data ages by design (camscan warns on stderr when it is over 180 days old);
# tests that count stderr lines must not start failing on that date. The staleness warning
# itself is tested with the variable removed (tests/risk/test_risk_cli.py).
os.environ["CAMSCAN_NO_DATA_WARNING"] = "1"
