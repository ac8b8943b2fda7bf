"""The hostile loopback tests run inside a private, lo-only network namespace when possible.

As root the package moves into a fresh network namespace that holds nothing but ``lo``, so
no other process's discovery traffic reaches the personas and nothing they send can leave
by another interface. Without root they stay on the host's loopback, with directed
(unicast) discovery only: no multicast is sent at all.
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
