#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Install what colo-proxy needs on Debian 12 (as root) and make hugepages
# available when the machine allows it. Safe to run again: it only installs
# what is missing. Sourced by run.sh and test.sh.
set -euo pipefail

# Every tool a test uses is here: under CI=true a test that would skip for a
# missing one fails instead. dpdk-dev: dpdk-testpmd, dpdk-telemetry.py,
# dpdk-dumpcap; socat, curl: netns_colo; tcpdump, iproute2: captures and
# namespaces; debhelper, dpkg-dev, fakeroot, help2man, lintian: the .deb
# (tests/pkg); systemd: systemd-analyze verify of the unit; util-linux: setpriv,
# taskset, flock; libssl-dev: libcrypto's HMAC for the link authenticator.
# libjansson-dev: QMP parsing in libcolo; qemu-system-x86: the qmp suite's real QEMU
# and the real-VM tests, with busybox-static, cpio, ethtool, procps (tests/vm:
# the guest mkguest.sh builds).
COLO_PACKAGES=(libdpdk-dev dpdk-dev dpdk libnuma-dev libpcap-dev libssl-dev libcunit1-dev meson ninja-build
    pkg-config python3 gcc clang libclang-rt-14-dev tcpdump iproute2 socat curl
    debhelper dpkg-dev fakeroot help2man lintian systemd util-linux libjansson-dev qemu-system-x86
    busybox-static cpio ethtool procps)

missing=()
for p in "${COLO_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: missing packages: ${missing[*]} (run as root to install them)" >&2
        exit 1
    fi
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -o DPkg::Lock::Timeout=300 -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# Hugepages are optional: tests run with --no-huge; dpdk-dumpcap needs them.
if [ "$(id -u)" -eq 0 ]; then
    if [ "$(cat /proc/sys/vm/nr_hugepages)" -lt 256 ]; then
        echo 256 > /proc/sys/vm/nr_hugepages 2>/dev/null || true
    fi
    if ! grep -q hugetlbfs /proc/mounts; then
        mkdir -p /dev/hugepages
        mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true
    fi
fi
echo "setup: ok ($(pkg-config --modversion libdpdk 2>/dev/null | sed 's/^/DPDK /'), hugepages $(cat /proc/sys/vm/nr_hugepages))"
