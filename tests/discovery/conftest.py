"""Discovery unit tests run on loopback only, inside a private network namespace when possible.

As root (CI), the whole package runs in a fresh network namespace that holds nothing but
``lo``: a multicast or broadcast datagram has no other interface to leave by. Without root
the tests stay on the host's loopback with multicast pinned to 127.0.0.1 and TTL 0, which
shared/testlan/README.md measured to never leave ``lo``; tests that need more are skipped.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
from collections.abc import Iterator

import pytest

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


@pytest.fixture(scope="package", autouse=True)
def private_network() -> Iterator[bool]:
    """Move this thread into a new, lo-only network namespace for the package; restore after."""
    back = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        if _libc.unshare(CLONE_NEWNET) != 0:
            yield False
            return
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True, capture_output=True)
        yield True
    finally:
        _libc.setns(back, CLONE_NEWNET)
        os.close(back)
