"""Every bound on what comes off the wire, in one place.

Input from the network is hostile (issue 6): each read is capped in bytes and in wall time,
so a device that sends a gigabyte, or one byte a second, costs camscan a known amount.
"""

from __future__ import annotations

KIB = 1024

# -- sizes (bytes) -------------------------------------------------------------------------
HTTP_HEAD_MAX = 16 * KIB
"""Status line plus headers of an HTTP or RTSP answer; more is truncated."""
HTTP_BODY_MAX = 64 * KIB
"""Body bytes read from an HTTP answer (enough for a login page's <title>)."""
FAVICON_MAX = 64 * KIB
XML_MAX = 64 * KIB
"""Largest XML document handed to the parser (SOAP, UPnP description, SADP, ISAPI)."""
DATAGRAM_MAX = 64 * KIB
"""Receive buffer for one UDP datagram."""
BANNER_MAX = 4 * KIB
"""FTP/telnet/TCP greeting."""
VALUE_MAX = 16 * KIB
"""Longest observation value kept (longer values are cut and marked as truncated)."""
HEADER_VALUE_MAX = 1 * KIB
"""Longest single header value kept (Server, WWW-Authenticate, Location)."""
IDENTIFY_LINE_MAX = 256 * KIB
"""Longest JSON line `camscan identify` reads (characters); a longer one is skipped."""
IDENTIFY_HOSTS_MAX = 16_384
"""Most hosts one `camscan identify` input may hold: about 11 KiB each until the JSON document
is written, so the largest input stays near 200 MB."""
IDENTIFY_TEXT_MAX = 48 * KIB * KIB
"""Most characters of observation values one `camscan identify` input may hold in all (a
scanned /18 at a few KiB per host); they are held, judged and written out as a document."""
PASSIVE_TEXT_MAX = IDENTIFY_TEXT_MAX
"""Most characters of observation values one `listen` or `identify --pcap` keeps in all:
200 MB of distinct NOTIFYs once took 672 MB (issue 12, item 10); past it, observations are
counted and dropped."""
DECOMPRESSED_MAX = 256 * KIB
"""Most bytes a compressed body may inflate to (gzip bombs stop here)."""
SCOPES_MAX = 64
"""Most ONVIF scopes kept from one answer."""
OBSERVATIONS_PER_HOST_MAX = 512
"""Most observations kept for one host (a rogue device cannot fill memory)."""

# -- times (seconds) -----------------------------------------------------------------------
CONNECT_TIMEOUT = 1.0
"""TCP connect to one port; a LAN host answers in milliseconds."""
READ_DEADLINE = 3.0
"""Whole exchange with one service (connect excluded): a slowloris server is cut here."""
TLS_HANDSHAKE_DEADLINE = 3.0
HOST_DEADLINE = 20.0
"""Everything camscan does with one host."""

# -- counts --------------------------------------------------------------------------------
MAX_ADDRESSES = 65_536
"""Targets larger than this need --force."""
DEFAULT_MAX_HOSTS = 512
"""Hosts probed at once. A silent address holds its worker for CONNECT_TIMEOUT while it
costs 2 packets, so DEFAULT_RATE x CONNECT_TIMEOUT / 2 workers keep a mostly-empty scope
sweeping at the full rate."""
DEFAULT_MAX_CONNECTIONS = 2048
"""TCP connections open at once, over all hosts (one file descriptor each; the soft
RLIMIT_NOFILE is raised to fit, within the hard limit: scanner.net.tcp.fd_budget)."""
FD_RESERVE = 256
"""File descriptors kept free for everything but sweep sockets (discovery, output, TLS)."""

# -- rates (packets per second) ------------------------------------------------------------
DEFAULT_RATE = 1000.0
"""TCP connection attempts plus directed discovery datagrams, over the whole scan (--rate).
runZero's default is the same 1000 pps; a /24 still takes about a second of sending."""
DEFAULT_PER_HOST_RATE = 40.0
"""Packets camscan starts towards any one address per second (--per-host-rate): runZero's
default. A camera's embedded TCP stack and web server see at most this many new
connections per second, whatever the global rate and however many probes are running."""
