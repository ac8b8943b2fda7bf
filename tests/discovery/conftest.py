"""Discovery unit tests run on loopback only, inside a private network namespace when possible.

As root (CI), the whole package runs in a fresh network namespace that holds nothing but
``lo``: a multicast or broadcast datagram has no other interface to leave by. Without root
the tests stay on the host's loopback with multicast pinned to 127.0.0.1 and TTL 0, which
the lab measured to never leave ``lo`` (tests/lan/README.md); tests that need more are skipped.
"""

from tests.sandbox import private_network  # noqa: F401 (the package's fixture)
