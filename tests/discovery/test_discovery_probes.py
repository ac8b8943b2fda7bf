"""Each discovery probe against loopback responders that answer with real captures."""

from __future__ import annotations

import asyncio
import json

import pytest

from scanner.engine.discovery import discover_all
from scanner.errors import DecodeError
from scanner.model import Outcome
from scanner.parse.dhip import parse_dhip
from scanner.parse.sadp import parse_sadp
from scanner.parse.wsd import parse_probematch
from scanner.protocols.dhip import DhipProbe
from scanner.protocols.lan import DiscoveryProbe, DiscoveryResult
from scanner.protocols.mdns import MdnsProbe
from scanner.protocols.sadp import SadpProbe
from scanner.protocols.ssdp import SsdpProbe
from scanner.protocols.tdp import TdpProbe, answer_json, request
from scanner.protocols.ubnt import UbntProbe
from scanner.protocols.wsd import WsdProbe
from scanner.protocols.xm import XmProbe
from scanner.sim.responders import DiscoveryPersona, Responder

from .helpers import lo_context, place, run


async def _ask(
    probe: DiscoveryProbe,
    placed: list[tuple[DiscoveryPersona, str]],
    *,
    multicast: bool = True,
    wide: bool = True,
    timeout: float = 0.5,
    settle: float = 0.0,
) -> DiscoveryResult:
    targets = () if multicast else tuple(ip for _, ip in placed)
    ctx = lo_context(multicast=multicast, targets=targets, timeout=timeout)
    async with Responder(placed, interface_ip="127.0.0.1", multicast_ttl=0, wide=wide):
        await asyncio.sleep(settle)
        return await probe.discover(ctx)


def _values(result: DiscoveryResult, field: str, host: str) -> list[str]:
    return [o.value for o in result.observations if o.field == field and o.host == host]


def test_sadp_answer_is_read_and_matched_by_uuid() -> None:
    """The DS-2CD2385G1-I capture comes back with our Uuid, its model and its MAC."""
    result = run(_ask(SadpProbe(), place("hik-ds2cd2385g1"), multicast=True, wide=True))
    (reply,) = _values(result, "sadp.reply", "127.0.1.1")
    assert parse_sadp(reply).model == "DS-2CD2385G1-I"
    assert parse_sadp(reply).ipv4 == "127.0.1.1"
    assert _values(result, "mac", "127.0.1.1") == ["58:50:ed:1f:e3:85"]
    assert result.statuses["*"].outcome is Outcome.OK


def test_directed_sadp_without_multicast_joins_no_group() -> None:
    """Without multicast the SADP socket joins no group (a join is an IGMP report), so a
    device answering to 239.255.255.250 goes unheard, and the status says why."""
    result = run(_ask(SadpProbe(), place("hik-ds2cd2385g1"), multicast=False, wide=False))
    assert _values(result, "sadp.reply", "127.0.1.1") == []
    status = result.statuses["*"]
    assert status.outcome is Outcome.NO_ANSWER
    assert status.detail.endswith("answers sent to 239.255.255.250 go unheard without multicast")


@pytest.mark.parametrize("multicast", [True, False], ids=["multicast", "directed"])
def test_dhip_answers_name_dahua_and_its_oem_labels(multicast: bool) -> None:
    """Three DHIP captures: Private, Dahua and Lorex vendors, each from its own address."""
    placed = place("dahua-ipc-hdw1431t1", "dahua-ipc-hdw5421s", "lorex-w461asc")
    result = run(_ask(DhipProbe(), placed, multicast=multicast, wide=multicast))
    vendors = {ip: parse_dhip(_values(result, "dhip.reply", ip)[0]).vendor for _, ip in placed}
    assert vendors == {"127.0.1.1": "Private", "127.0.1.2": "Dahua", "127.0.1.3": "Lorex"}
    assert (
        json.loads(_values(result, "dhip.reply", "127.0.1.3")[0])["params"]["deviceInfo"]["Port"]
        == 35000
    )
    assert _values(result, "mac", "127.0.1.1") == ["08:ed:ed:87:42:7a"]


@pytest.mark.parametrize("multicast", [True, False], ids=["multicast", "directed"])
def test_wsd_probematch_and_relates_to(multicast: bool) -> None:
    """Hikvision and Amcrest ProbeMatches are kept whole; XAddrs point at each persona."""
    placed = place("hik-ds2cd3955fwd", "amcrest-ip2m-841b")
    result = run(_ask(WsdProbe(), placed, multicast=multicast, wide=multicast))
    for _, ip in placed:
        (envelope,) = set(_values(result, "wsd.probematch", ip))
        assert parse_probematch(envelope)[0].xaddrs[0] == f"http://{ip}/onvif/device_service"
    assert "HIKVISION%20DS-2CD3955FWD-IWS" in _values(result, "wsd.probematch", "127.0.1.1")[0]
    # nothing listens on port 80 here: the ONVIF follow-up is refused, and says so
    assert result.statuses["onvif/127.0.1.1"].outcome is Outcome.REFUSED


@pytest.mark.parametrize("multicast", [True, False], ids=["multicast", "directed"])
def test_ssdp_answers_are_kept_whole(multicast: bool) -> None:
    """The Dahua UPnP SDK answer and two router answers are read; SERVER survives intact."""
    placed = place("dahua-upnp-sdk", "compal-connect-box", "portable-sdk-router")
    result = run(_ask(SsdpProbe(), placed, multicast=multicast, wide=multicast))
    (dahua,) = _values(result, "ssdp.response", "127.0.1.1")
    assert "ZheJiang Dahua Technology CO.,LTD. Upnp SDK" in dahua
    assert "LOCATION: http://127.0.1.1:49152/upnp_device_desc.xml" in dahua
    assert {o.host for o in result.observations if o.field == "ssdp.response"} == {
        ip for _, ip in placed
    }


@pytest.mark.parametrize("multicast", [True, False], ids=["multicast", "directed"])
def test_ubiquiti_camera_and_bridge(multicast: bool) -> None:
    """UVC G4 Pro and UFP-UAP-B answers become key=value lines with the persona's address."""
    placed = place("ubnt-uvc-g4-pro", "ubnt-ufp-uap-b")
    result = run(_ask(UbntProbe(), placed, multicast=multicast, wide=multicast))
    (camera,) = _values(result, "ubnt.reply", "127.0.1.1")
    assert "platform=UVC G4 Pro" in camera.splitlines()
    assert "ipinfo=e0:63:da:00:5e:08;127.0.1.1" in camera.splitlines()
    assert "model=Unifi-Protect-UAP-Bridge" in _values(result, "ubnt.reply", "127.0.1.2")[0]


def test_tplink_discovery_cameras_and_hub() -> None:
    """Tapo C210, D130 and the H200 hub answer the directed TDP request with their JSON."""
    placed = place("tapo-c210", "tapo-d130", "tapo-h200")
    result = run(_ask(TdpProbe(), placed, multicast=False, wide=False))
    types = {
        ip: json.loads(_values(result, "tdp.reply", ip)[0])["result"]["device_type"]
        for _, ip in placed
    }
    assert types == {
        "127.0.1.1": "SMART.IPCAMERA",
        "127.0.1.2": "SMART.TAPODOORBELL",
        "127.0.1.3": "SMART.TAPOHUB",
    }
    assert _values(result, "mac", "127.0.1.1") == ["40:ae:30:00:00:00"]


def test_tplink_request_is_well_formed_and_not_an_answer() -> None:
    """The request carries version 2, op 1, its length and a CRC32 over the whole datagram."""
    import binascii
    import struct

    data = request(serial=7)
    version, _, op, size, flags, _, serial, crc = struct.unpack(">BBHHBBII", data[:16])
    assert (version, op, flags, serial, size) == (2, 1, 17, 7, len(data) - 16)
    blank = data[:12] + (0x5A6B7C8D).to_bytes(4, "big") + data[16:]
    assert crc == binascii.crc32(blank)
    with pytest.raises(DecodeError):
        answer_json(data)  # our own request, echoed, is not an answer


def test_xiongmai_directed() -> None:
    """Both XM captures answer a directed search on 34569 (broadcast needs a real LAN)."""
    placed = place("xm-ipc-6a6b", "xm-localhost-bb97")
    result = run(_ask(XmProbe(), placed, multicast=False, wide=False))
    first = json.loads(_values(result, "xm.reply", "127.0.1.1")[0])
    assert first["NetWork.NetCommon"]["HostIP"] == "0x0101007f"
    assert _values(result, "mac", "127.0.1.2") == ["00:12:31:08:bb:97"]


@pytest.mark.parametrize("multicast", [True, False], ids=["multicast", "directed"])
def test_mdns_instances_and_txt(private_network: bool, multicast: bool) -> None:
    """The Hikvision _CGI._tcp instance and the Synology TXT keys are resolved via zeroconf."""
    if not private_network:
        pytest.skip("mDNS tests run only in a private network namespace (needs root)")
    placed = place("hik-ds2cd2722fwd-mdns", "synology-ds218")
    # A responder multicasts a record at most once a second (RFC 6762 §6) and has just
    # announced its services: ask after that second, as one would ask a device already up;
    # zeroconf also aggregates multicast answers for up to 500 ms (RFC 6762 §6.4).
    window, settle = (2.5, 1.1) if multicast else (0.5, 0.0)  # 2.5: one re-query included
    result = run(
        _ask(
            MdnsProbe(), placed, multicast=multicast, wide=multicast, timeout=window, settle=settle
        )
    )
    assert _values(result, "mdns.instance", "127.0.1.1") == [
        "HIKVISION DS-2CD2722FWD-IZS - 733050075._CGI._tcp.local."
    ]
    assert "vendor=Synology model=DS218+" in _values(result, "mdns.txt", "127.0.1.2")[0]


def test_discover_all_merges_and_reports_every_probe() -> None:
    """All probes at once: each persona found by its protocol; one global status per probe."""
    placed = place("hik-ds2cd2385g1", "dahua-ipc-hdw1431t1", "ubnt-uvc-g4-pro", "xm-ipc-6a6b")
    targets = tuple(ip for _, ip in placed)

    async def scan() -> DiscoveryResult:
        async with Responder(placed, interface_ip="127.0.0.1", multicast_ttl=0, wide=False):
            return await discover_all(lo_context(multicast=False, targets=targets))

    result = run(scan())
    assert result.found_by("127.0.1.1") == ("wsd",)  # SADP answers the group: not joined
    assert result.found_by("127.0.1.2") == ("dhip",)
    assert result.found_by("127.0.1.3") == ("ubnt",)
    assert result.found_by("127.0.1.4") == ("xm",)
    globals_ = {key for key in result.statuses if key.endswith("/*")}
    assert globals_ == {
        f"{n}/*" for n in ("wsd", "ssdp", "mdns", "sadp", "dhip", "ubnt", "xm", "tdp", "arp")
    }
