"""The hostile loopback tests run inside a private, lo-only network namespace when possible.

As root the package moves into a fresh network namespace that holds nothing but ``lo``, so
no other process's discovery traffic reaches the personas and nothing they send can leave
by another interface. Without root they stay on the host's loopback, with directed
(unicast) discovery only: no multicast is sent at all.
"""

from tests.sandbox import private_network  # noqa: F401 (the package's fixture)
