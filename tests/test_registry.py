"""The protocol declarations hold together: what the registry derives is what they say."""

from __future__ import annotations

from collections import Counter

import pytest

from scanner.protocols import registry
from scanner.protocols.spec import ProtocolSpec

SPECS = {spec.name: spec for spec in registry.PROTOCOLS}


def test_each_protocol_is_declared_once_and_each_field_by_one_protocol() -> None:
    """Two declarations of one name, or one field emitted by two protocols, would make the
    derived tables depend on the order of the list."""
    names = Counter(spec.name for spec in registry.PROTOCOLS)
    fields = Counter(field.name for spec in registry.PROTOCOLS for field in spec.fields)
    assert [name for name, count in names.items() if count > 1] == []
    assert [name for name, count in fields.items() if count > 1] == []
    assert set(fields) == set(registry.FIELDS)


@pytest.mark.parametrize("spec", registry.PROTOCOLS, ids=lambda spec: spec.name)
def test_a_declaration_offers_the_hooks_of_its_kind(spec: ProtocolSpec) -> None:
    """A LAN protocol asks by datagram and is heard on its port; a host protocol is asked
    over TCP; one that is only heard has neither probe; the ports name its own probes."""
    probe_names = {probe.name for probe in spec.probes}
    assert set(spec.ports) <= probe_names
    if spec.kind == "lan":
        assert spec.discovery is not None and not spec.probes
        assert spec.listening is not None or spec.frame is not None
        assert spec.discovery.name == spec.name
    elif spec.kind == "host":
        assert spec.discovery is None and spec.listening is None
        assert spec.probes or spec.credentialed or spec.document
    else:
        assert spec.discovery is None and not spec.probes and spec.credentialed is None
    if spec.listening is not None:
        assert spec.listening.name == spec.name and spec.udp_port == spec.listening.port
    assert all(stream.name == spec.name for stream in spec.streams)


def test_the_default_sweep_runs_each_probe_on_the_ports_its_protocol_names() -> None:
    """The port map is read from the declarations, plus the ports that are noted open only."""
    assert SPECS["rtsp"].tcp_ports == (554, 8554)
    assert [probe.name for probe in registry.probes_for(8443)] == ["https"]
    assert [probe.name for probe in registry.probes_for(23)] == ["telnet"]
    assert registry.probes_for(37777) == ()
    declared = {port for spec in registry.PROTOCOLS for port in spec.tcp_ports}
    assert set(registry.DEFAULT_PORTS) == declared | set(registry.OPEN_ONLY_PORTS)


def test_root_only_protocols_are_the_raw_socket_ones() -> None:
    """ARP and DHCP are sent or heard through a raw socket: `camscan listen` without root
    says so for exactly these."""
    assert registry.RAW_ONLY == ("arp", "dhcp")
    assert {frame.name for frame in registry.FRAMES} == set(registry.RAW_ONLY)


def test_every_heard_protocol_has_a_status_in_listen_and_capture_reading() -> None:
    heard = {spec.name for spec in registry.PROTOCOLS if spec.listening or spec.frame}
    streamed = {stream.name for stream in registry.STREAMS}
    documents = {document.probe for document in registry.DOCUMENTS}
    assert set(registry.LISTENED) == heard
    assert set(registry.CAPTURED) == heard | streamed | documents
