"""The network layer: the only room that opens sockets.

A scan builds one :class:`Network` (scanner.engine.scan.run_scan) and hands it to everything that
sends: the port sweep and service probes, the credentialed stage, discovery's directed
datagrams and its follow-up calls (ONVIF XAddrs, UPnP LOCATION). So ``--rate`` and
``--per-host-rate`` are one pacer, the TCP connection slots are one pool, and every
connection is checked against the one scope. The modules:

- tcp: scope-checked, slot-limited, paced TCP connections and bounded reads;
- connector: the batched non-blocking connect loop of the port sweep;
- pacer: the global and per-host rate every connect and directed datagram waits on;
- secure: the TLS client contexts (the permissive probing one, the strict one for secrets).

The one exception is a sweep helper of scanner.engine.farm: another process, which builds its own
Network from its share of the rate (SweepJob).
"""

from __future__ import annotations

from scanner import limits
from scanner.net.pacer import Pacer
from scanner.net.tcp import Net
from scanner.scope import Scope

__all__ = ["Network"]


class Network:
    """One scan's network layer: its scope, its pacer and its TCP connection slots."""

    def __init__(
        self,
        scope: Scope,
        pacer: Pacer | None = None,
        max_connections: int = limits.DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        self.scope = scope
        self.pacer = pacer or Pacer()
        """Unlimited when none is given (tests, and the demo, which asks only loopback)."""
        self.tcp = Net(scope, max_connections, self.pacer)
        """The connection slots every TCP exchange of the scan takes one of."""
