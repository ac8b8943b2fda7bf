"""Devices that speak unasked: the personas `camscan listen` is tested against.

Each announcer persona sends, at start and then every `interval` seconds, what a real
device sent on its own, copied from the cited capture. The only changes are the tokens a
device fills in per message: ``{ip}`` (its own address where the capture had the device's
site address) and ``{message_id}`` (WS-Discovery: a fresh uuid per message).

- ``ssdp``: NOTIFY datagrams to 239.255.255.250:1900;
- ``wsd``: a WS-Discovery Hello to 239.255.255.250:3702;
- ``dhcp``: a DHCPREQUEST in INIT-REBOOT state (RFC 2131 §4.3.2: broadcast, ciaddr 0,
  option 50 = the address it had) carrying the captured option 12 / 60 values;
- ``mac``: the device's MAC, set on its interface; with ``dhcp`` or ``mac``, the ARP
  announcement of its address (RFC 5227 §2.3) that a host makes after it boots;
- ``mdns``: the mDNS persona of scanner/sim/data/discovery, registered with python-zeroconf
  (which announces it) and re-announced each interval;
- ``sadp``: the SADP persona of scanner/sim/data/discovery answering inquiries, which
  Hikvision devices send *to the group* (scanner.sim.responders.Responder);
- role ``sadp-tool``: an administrator's search tool asking SADP each interval (the
  inquiry of scanner.protocols.sadp), so the devices' answers fill the group.

Run one announcer per network namespace (``ip netns exec NS python -m
tests.passive.announcers NAME ADDRESS``); it prints ``ready`` and runs until SIGTERM. It only
ever sends on the interface holding ADDRESS, which must lie in the lab's 198.18.0.0/15 or on
loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import signal
import socket
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.protocols import sadp, ssdp, wsd
from scanner.sim.responders import Responder, fill, load_discovery_personas

LAB = ipaddress.IPv4Network("198.18.0.0/15")
ALLOWED = (LAB, ipaddress.IPv4Network("127.0.0.0/8"))
SSDP_TTL = 2
"""UPnP Device Architecture 1.1 §1.1.2: the default TTL of SSDP multicast."""

AXIS_M1014_NOTIFY = (
    "NOTIFY * HTTP/1.1\r\n"
    "HOST: 239.255.255.250:1900\r\n"
    "CACHE-CONTROL: max-age=1800\r\n"
    "LOCATION: http://{ip}:45895/rootdesc1.xml\r\n"
    'OPT: "http://schemas.upnp.org/upnp/1/0/"; ns=01\r\n'
    "01-NLS: 2ae7b584-1dd2-11b2-988f-983991d749b2\r\n"
    "NT: urn:axis-com:service:BasicService:1\r\n"
    "NTS: ssdp:byebye\r\n"
    "SERVER: Linux/2.6.35, UPnP/1.0, Portable SDK for UPnP devices/1.6.18\r\n"
    "X-User-Agent: redsonic\r\n"
    "USN: uuid:Upnp-BasicDevice-1_0-ACCC8E270AD8::urn:axis-com:service:BasicService:1\r\n"
    "\r\n"
)
ASUS_NOTIFY = (
    "NOTIFY * HTTP/1.1\r\n"
    "HOST: 239.255.255.250:1900\r\n"
    "CACHE-CONTROL: max-age=120\r\n"
    "LOCATION: http://{ip}:40415/rootDesc.xml\r\n"
    "SERVER: AsusWRT/386.1 UPnP/1.1 MiniUPnPd/2.2.0\r\n"
    "NT: urn:schemas-upnp-org:service:WANIPConnection:1\r\n"
    "USN: uuid:3ddcd1d3-2380-45f5-b069-3497f66cbb22::urn:schemas-upnp-org:service:"
    "WANIPConnection:1\r\n"
    "NTS: ssdp:alive\r\n"
    'OPT: "http://schemas.upnp.org/upnp/1/0/"; ns=01\r\n'
    "01-NLS: 1614360073\r\n"
    "BOOTID.UPNP.ORG: 1614360073\r\n"
    "CONFIGID.UPNP.ORG: 1337\r\n"
    "\r\n"
)
DAHUA_HELLO = """<?xml version="1.0" encoding="utf-8" standalone="yes" ?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:sc="http://www.w3.org/2003/05/soap-encoding"
  xmlns:dn="http://www.onvif.org/ver10/network/wsdl" xmlns:tds="http://www.onvif.org/ver10/device/wsdl"
  xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing">
  <s:Header>
    <a:MessageID>uuid:{message_id}</a:MessageID>
    <a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>
    <a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Hello</a:Action>
  </s:Header>
  <s:Body>
    <d:Hello>
      <a:EndpointReference>
        <a:Address>uuid:503b687a-b9d7-474f-a2d0-a18c8b25a464</a:Address>
      </a:EndpointReference>
    <d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>
    <d:Scopes>onvif://www.onvif.org/location/country/china onvif://www.onvif.org/name/Dahua onvif://www.onvif.org/hardware/IPC-HFW2228M-I1-V2 onvif://www.onvif.org/Profile/Streaming onvif://www.onvif.org/type/Network_Video_Transmitter onvif://www.onvif.org/extension/unique_identifier</d:Scopes>
    <d:XAddrs>http://{ip}/onvif/device_service</d:XAddrs>
    <d:MetadataVersion>1</d:MetadataVersion>
    </d:Hello>
  </s:Body>
</s:Envelope>
"""  # noqa: E501 - the captured lines, as they were


@dataclass(frozen=True)
class AnnouncerPersona:
    """One device that announces itself; `label` is what camscan must conclude."""

    name: str
    description: str
    label: dict[str, Any]
    sources: tuple[str, ...]
    mac: str | None = None
    """The device's MAC, set on the interface and announced by ARP; None: the lab
    interface's own (announced only with DHCP)."""
    ssdp: tuple[str, ...] = ()
    wsd: str | None = None
    dhcp: tuple[tuple[str, str], ...] = ()
    """DHCP options as scapy names them: ("hostname", ...), ("vendor_class_id", ...)."""
    mdns: str | None = None
    """Name of the scanner/sim/data/discovery persona whose mDNS service is announced."""
    sadp: str | None = None
    """Name of the discovery persona that answers SADP inquiries (to the group)."""


ANNOUNCERS: tuple[AnnouncerPersona, ...] = (
    AnnouncerPersona(
        "axis-m1014-notify", "Axis M1014 leaving the network: NOTIFY ssdp:byebye",
        {"manufacturer": "Axis"},
        ("FantasticFiasco/axis-js packages/axis-discovery-ssdp/test/sockets/Message.mock.ts "
         "@ 647c15a475 (NOTIFY_MESSAGE; also tests/fixtures/captures/"
         "axis-m1014-unknown.notify.txt). LOCATION host substituted; the MAC is the one its "
         "USN carries (ACCC8E270AD8). Sent each interval, where the device sends it once.",),
        mac="ac:cc:8e:27:0a:d8", ssdp=(AXIS_M1014_NOTIFY,),
    ),
    AnnouncerPersona(
        "asus-router-notify", "ASUS router (AsusWRT MiniUPnPd) NOTIFY ssdp:alive: not a camera",
        {"manufacturer": "ASUS", "is_camera": False},
        ("corpus s0222, https://github.com/home-assistant/core/issues/46822 (advertisement "
         "logged by Home Assistant as a dict of its headers; written back as the NOTIFY in the "
         "logged order, HA's own _timestamp/_address/_udn/_source keys left out). LOCATION "
         "host substituted.",),
        ssdp=(ASUS_NOTIFY,),
    ),
    AnnouncerPersona(
        "dahua-hfw2228m-hello", "Dahua IPC-HFW2228M-I1-V2 joining: WS-Discovery Hello",
        {"manufacturer": "Dahua", "model": "IPC-HFW2228M-I1-V2"},
        ("corpus s0260, unattributed public code file ref 41621192913 (Elixir test 'parse "
         "Hello': the whole envelope). MessageID fresh per message, XAddrs host substituted.",),
        wsd=DAHUA_HELLO,
    ),
    AnnouncerPersona(
        "axis-p3343-dhcp", "Axis P3343 asking for its address: DHCP vendor class",
        {"manufacturer": "Axis", "model": "P3343"},
        ("corpus s0001, rapid7/recog xml/dhcp_vendor_class.xml @ 14fa1a7211 (example "
         "'AXIS,Network Camera,P3343,5.20.3'). The source gives option 60 only; the MAC is "
         "the lab interface's.",),
        dhcp=(("vendor_class_id", "AXIS,Network Camera,P3343,5.20.3"),),
    ),
    AnnouncerPersona(
        "reolink-dhcp", "Reolink NVR asking for its address: DHCP host name",
        {"manufacturer": "Reolink"},
        ("https://github.com/home-assistant/core/issues/89417 (HA's Reolink maintainer: 'For "
         "my NVR the hostname was just \"Reolink\"', seen by HA's DHCP discovery); Reolink "
         "units keep sending DHCP requests (home-assistant/core issue #91493). The MAC is the "
         "lab interface's.",),
        dhcp=(("hostname", "Reolink"),),
    ),
    AnnouncerPersona(
        "hik-ds2cd2722fwd-announcing", "Hikvision DS-2CD2722FWD-IZS announcing _CGI._tcp (mDNS)",
        {"manufacturer": "Hikvision", "model": "DS-2CD2722FWD-IZS"},
        ("scanner/sim/data/discovery/hikvision.toml persona hik-ds2cd2722fwd-mdns",),
        mdns="hik-ds2cd2722fwd-mdns",
    ),
    AnnouncerPersona(
        "hik-ds2cd2385g1-sadp", "Hikvision DS-2CD2385G1-I answering SADP tools to the group",
        {"manufacturer": "Hikvision", "model": "DS-2CD2385G1-I"},
        ("scanner/sim/data/discovery/hikvision.toml persona hik-ds2cd2385g1",),
        sadp="hik-ds2cd2385g1",
    ),
)
BY_NAME = {persona.name: persona for persona in ANNOUNCERS}
SADP_TOOL = "sadp-tool"


def _interface_of(address: str) -> str:
    """The interface holding `address` in this network namespace."""
    from scanner.interfaces import interfaces

    for name, interface in interfaces().items():
        if ipaddress.IPv4Address(address) in interface.addresses:
            return name
    raise SystemExit(f"announcers: no interface holds {address}")


def _mac_of(interface: str) -> str:
    return Path(f"/sys/class/net/{interface}/address").read_text().strip()


def _udp(address: str, port: int = 0, ttl: int = SSDP_TTL) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(address))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
    sock.bind((address, port))
    return sock


def dhcp_request(mac: str, address: str, options: tuple[tuple[str, str], ...]) -> Any:
    """The INIT-REBOOT DHCPREQUEST (module docstring) with `options` added."""
    from scapy.layers.dhcp import BOOTP, DHCP
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether

    dhcp_options: list[Any] = [("message-type", "request"), ("requested_addr", address)]
    dhcp_options += [(name, value.encode()) for name, value in options]
    return (
        Ether(src=mac, dst="ff:ff:ff:ff:ff:ff")
        / IP(src="0.0.0.0", dst="255.255.255.255")
        / UDP(sport=68, dport=67)
        / BOOTP(chaddr=bytes.fromhex(mac.replace(":", "")), xid=uuid.uuid4().int & 0xFFFFFFFF)
        / DHCP(options=[*dhcp_options, "end"])
    )


def arp_announcement(mac: str, address: str) -> Any:
    """RFC 5227 §2.3: a request for its own address, sender and target both `address`."""
    from scapy.layers.l2 import ARP, Ether

    return Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / ARP(
        op=1, hwsrc=mac, psrc=address, hwdst="00:00:00:00:00:00", pdst=address
    )


def check_address(address: str) -> str:
    """`address` if it is a lab or loopback address; SystemExit otherwise."""
    if not any(ipaddress.IPv4Address(address) in net for net in ALLOWED):
        raise SystemExit(f"announcers: refusing {address}: not a lab or loopback address")
    return address


class Announcer:
    """Sends one persona's announcements on the interface holding `address`."""

    def __init__(self, persona: AnnouncerPersona, address: str, interval: float) -> None:
        check_address(address)
        self.persona, self.address, self.interval = persona, address, interval
        self.interface = _interface_of(address)
        if persona.mac and ipaddress.IPv4Address(address) in LAB:  # its own namespace's link
            subprocess.run(["ip", "link", "set", "dev", self.interface, "address", persona.mac],
                           check=True, capture_output=True)
        self.mac = _mac_of(self.interface)
        self.sent = 0

    def once(self) -> None:
        """Every datagram and frame of one round."""
        for text in self.persona.ssdp:
            with contextlib.closing(_udp(self.address)) as sock:
                sock.sendto(fill(text, ip=self.address).encode(), (ssdp.GROUP, ssdp.PORT))
                self.sent += 1
        if self.persona.wsd:
            hello = fill(self.persona.wsd, ip=self.address, message_id=str(uuid.uuid4()))
            with contextlib.closing(_udp(self.address, wsd.PORT)) as sock:
                sock.sendto(hello.encode(), (wsd.GROUP, wsd.PORT))
                self.sent += 1
        if self.persona.dhcp or self.persona.mac:
            from scapy.sendrecv import sendp

            frames = [arp_announcement(self.mac, self.address)]
            if self.persona.dhcp:
                frames.insert(0, dhcp_request(self.mac, self.address, self.persona.dhcp))
            sendp(frames, iface=self.interface, verbose=False)
            self.sent += len(frames)

    async def run(self, stop: asyncio.Event) -> None:
        async with contextlib.AsyncExitStack() as stack:
            zeroconf = await self._services(stack)
            print("ready", flush=True)
            while not stop.is_set():
                self.once()
                if zeroconf is not None:
                    await zeroconf[0].async_update_service(zeroconf[1])
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.interval)

    async def _services(self, stack: contextlib.AsyncExitStack) -> tuple[Any, Any] | None:
        """Start the SADP responder and the mDNS registration this persona needs."""
        personas = {p.name: p for p in load_discovery_personas()}
        if self.persona.sadp:
            responder = Responder([(personas[self.persona.sadp], self.address)],
                                  interface_ip=self.address)
            await stack.enter_async_context(responder)
        if not self.persona.mdns:
            return None
        from zeroconf import IPVersion
        from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

        table = personas[self.persona.mdns].answers["mdns"]
        zc = AsyncZeroconf(interfaces=[self.address], ip_version=IPVersion.V4Only)
        stack.push_async_callback(zc.async_close)
        info = AsyncServiceInfo(
            table["type"], f"{table['instance']}.{table['type']}",
            addresses=[socket.inet_aton(self.address)], port=int(table["port"]),
            properties=dict(e.partition("=")[::2] for e in table.get("txt", [])),
            server=table["server"],
        )
        await (await zc.async_register_service(info, cooperating_responders=True))
        return zc, info


async def _sadp_tool(address: str, interval: float, stop: asyncio.Event) -> None:
    """An administrator's SADP tool: one inquiry to the group each interval."""
    print("ready", flush=True)
    with contextlib.closing(_udp(check_address(address), sadp.PORT)) as sock:
        while not stop.is_set():
            token = str(uuid.uuid4()).upper()
            sock.sendto(sadp.inquiry(token), (sadp.GROUP, sadp.PORT))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)


async def main(name: str, address: str, interval: float) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if name == SADP_TOOL:
        await _sadp_tool(address, interval, stop)
        return
    await Announcer(BY_NAME[name], address, interval).run(stop)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("name", choices=[*BY_NAME, SADP_TOOL])
    parser.add_argument("address")
    parser.add_argument("--interval", type=float, default=1.0)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.name, arguments.address, arguments.interval))
