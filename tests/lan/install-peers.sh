#!/usr/bin/env bash
# install-peers.sh - the real discovery daemons the namespace-LAN tests run as peers:
# avahi-daemon (mDNS), wsdd (WS-Discovery) and minidlna (SSDP/UPnP), from Debian, plus
# iproute2/util-linux for the lab itself. Run as root (CI: from .ci/run, before pytest).
#
# Debian starts a packaged daemon on install through invoke-rc.d - in the ROOT network
# namespace, where it would talk multicast on the real interface. A /usr/sbin/policy-rc.d
# that exits 101 forbids that, so it is checked (and made) FIRST, and after installing the
# script fails if any of the three daemons runs in the root namespace.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "install-peers.sh: run as root" >&2; exit 1; }

guard=/usr/sbin/policy-rc.d
if [ ! -x "$guard" ] || [ "$("$guard" any start >/dev/null 2>&1; echo $?)" != 101 ]; then
    printf '#!/bin/sh\n# camscan lab: never start services on package install\nexit 101\n' > "$guard"
    chmod 755 "$guard"
fi
[ "$("$guard" any start >/dev/null 2>&1; echo $?)" = 101 ] || {
    echo "install-peers.sh: $guard does not exit 101; refusing to install daemons" >&2; exit 1; }

need=()
for pkg in avahi-daemon wsdd minidlna iproute2 util-linux; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

root_ns=$(readlink /proc/$$/ns/net)   # this script runs in the namespace to protect
for pid in $(pgrep -f 'avahi-daemon|minidlnad|/usr/sbin/wsdd' || true); do
    [ -d "/proc/$pid" ] || continue                       # gone meanwhile
    ns=$(readlink "/proc/$pid/ns/net" 2>/dev/null || echo "$root_ns")   # unreadable: assume the worst
    if [ "$ns" = "$root_ns" ]; then
        echo "install-peers.sh: $(cat "/proc/$pid/comm" 2>/dev/null) (pid $pid) runs in the root" \
             "network namespace; stop it before running the LAN tests" >&2
        exit 1
    fi
done
for bin in avahi-daemon wsdd minidlnad; do command -v "$bin" >/dev/null; done
echo "install-peers.sh: avahi-daemon, wsdd, minidlna installed; none running in the root namespace"
