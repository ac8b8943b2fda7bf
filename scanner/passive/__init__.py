"""Passive identification: what devices say without being asked, and packet captures.

``camscan listen`` (scanner.passive.listen) sends nothing and reads what arrives on the
discovery ports, ARP and DHCP; ``camscan identify --pcap`` (scanner.passive.pcap) reads the
same protocols, and the TCP answers of HTTP, RTSP and TLS servers, from a capture file.
Both turn what they hear into the observations the active probes make, through the same
readers and parsers (scanner.passive.frames, datagrams, streams), so one classifier judges
them all (scanner.passive.session).
"""
