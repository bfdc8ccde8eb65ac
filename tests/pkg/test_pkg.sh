#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# The Debian package, end to end, on this (root, CI) machine: build the .deb
# from a copy of the source (dpkg-buildpackage writes to the parent
# directory: the copy's, in a temporary directory), lintian (no errors),
# install it, then check the installed files: --version matches meson's
# project version and debian/changelog; the man page lists every --help
# option; the example configuration replays a shipped pcap case through
# /usr/bin/colo-proxy, once with the EAL options on the command line and
# once from an [eal] section; the service user with exactly the unit's
# capabilities (none) runs it, with hugepages (the unit's private hugetlbfs
# mount) and with --no-huge; systemd-analyze verify passes on the unit. The
# package is purged at the end, also on failure. meson passes COLO_SRCDIR;
# COLO_PKG_DEB=PATH reuses a .deb built already instead of building one.
: "${COLO_SRCDIR:?COLO_SRCDIR not set (run through meson test)}"
E2E_CASE=pkg
. "$COLO_SRCDIR/tests/e2e/lib.sh"

[ "$(id -u)" -eq 0 ] || e2e_skip "needs root (installs the package)"
for tool in dpkg-buildpackage dh help2man lintian systemd-analyze setpriv apt-get python3; do
    command -v "$tool" >/dev/null 2>&1 || e2e_skip "$tool not installed (scripts/setup.sh)"
done

case_name=tcp_payload_differs
tmp=$(mktemp -d "${TMPDIR:-/tmp}/colo_pkg.XXXXXX")
prefix=colo_pkg_$$
huge="$tmp/hugepages"
installed=0
cleanup() {
    rc=$?
    trap - EXIT INT TERM
    if mountpoint -q "$huge" 2>/dev/null; then
        umount "$huge" || true
    fi
    if [ "$installed" -eq 1 ]; then
        dpkg --purge colo-proxy >"$tmp/purge.log" 2>&1 ||
            { echo "dpkg --purge colo-proxy failed:" >&2; cat "$tmp/purge.log" >&2; rc=1; }
    fi
    if [ "$rc" -ne 0 ]; then
        for f in "$tmp"/*.log; do
            [ -f "$f" ] || continue
            echo "---- $f (last 30 lines)" >&2
            tail -n 30 "$f" >&2
        done
    fi
    rm -rf "$tmp" /var/run/dpdk/"$prefix"_*
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
step() {
    echo "== $* ($(date +%T))" >&2
}

# Refuse to replace a colo-proxy installed by someone else.
if dpkg-query -W -f='${Status}' colo-proxy 2>/dev/null | grep -q "ok installed"; then
    e2e_fail "a colo-proxy package is already installed: remove it first"
fi

step "copy the source"
mkdir "$tmp/src"
if git -C "$COLO_SRCDIR" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$COLO_SRCDIR" && git ls-files -co --exclude-standard -z |
        grep -zv '^build' | tar -cf - --no-recursion --null -T -) | tar -xf - -C "$tmp/src"
else
    tar -C "$COLO_SRCDIR" --exclude='./build*' --exclude=./obj-* -cf - . | tar -xf - -C "$tmp/src"
fi

step "versions: meson.build and debian/changelog"
version=$(sed -n "s/^ *version: '\([^']*\)',\$/\1/p" "$tmp/src/meson.build" | head -n 1)
deb_version=$(cd "$tmp/src" && dpkg-parsechangelog -SVersion)
[ -n "$version" ] || e2e_fail "no project version in meson.build"
[ "$version" = "$deb_version" ] ||
    e2e_fail "meson.build version $version != debian/changelog version $deb_version"

deb="$tmp/colo-proxy_${version}_amd64.deb"
if [ -n "${COLO_PKG_DEB:-}" ]; then
    # Developers: reuse a .deb built already (its name still has to match).
    [ "$(basename "$COLO_PKG_DEB")" = "$(basename "$deb")" ] ||
        e2e_fail "COLO_PKG_DEB=$COLO_PKG_DEB is not $(basename "$deb")"
    cp "$COLO_PKG_DEB" "$deb"
else
    step "dpkg-buildpackage -us -uc -b"
    (cd "$tmp/src" && DEB_BUILD_OPTIONS="noautodbgsym parallel=2" \
        dpkg-buildpackage -us -uc -b >"$tmp/build.log" 2>&1) || e2e_fail "dpkg-buildpackage failed"
fi
[ -f "$deb" ] || e2e_fail "no $(basename "$deb") (have: $(ls "$tmp"))"

step "lintian"
lintian --tag-display-limit 0 "$deb" >"$tmp/lintian.log" 2>&1 || true
cat "$tmp/lintian.log" >&2
! grep -q '^E: ' "$tmp/lintian.log" || e2e_fail "lintian reports errors"

step "install"
DEBIAN_FRONTEND=noninteractive apt-get install -o DPkg::Lock::Timeout=300 -y -q \
    --no-install-recommends "$deb" >"$tmp/install.log" 2>&1 || e2e_fail "apt-get install failed"
installed=1
for f in /usr/bin/colo-proxy /usr/bin/colo-explain /usr/bin/colo-divergence \
        /usr/bin/colo-exporter /usr/bin/colo-latency-plot /etc/colo-proxy/colo-proxy.ini \
        /lib/systemd/system/colo-proxy@.service /usr/share/man/man8/colo-proxy.8.gz \
        /usr/share/doc/colo-proxy/usage.md.gz; do
    [ -e "$f" ] || e2e_fail "the package did not install $f"
done
getent passwd colo-proxy >/dev/null || e2e_fail "the package did not create the colo-proxy user"

step "--version"
got=$(/usr/bin/colo-proxy --version)
[ "$got" = "colo-proxy $version" ] || e2e_fail "--version printed '$got', want 'colo-proxy $version'"

step "the man page lists every --help option"
/usr/bin/colo-proxy --help | sed -n 's/^ *\(-h, \)\{0,1\}\(--[a-z0-9-]*\).*/\2/p' | sort -u >"$tmp/help_opts"
[ "$(wc -l <"$tmp/help_opts")" -ge 20 ] || e2e_fail "--help lists only $(wc -l <"$tmp/help_opts") options"
zcat /usr/share/man/man8/colo-proxy.8.gz | sed 's/\\-/-/g' >"$tmp/man.txt"
missing=""
while read -r opt; do
    grep -q -- "$opt\([^a-z0-9-]\|\$\)" "$tmp/man.txt" || missing="$missing $opt"
done <"$tmp/help_opts"
[ -z "$missing" ] || e2e_fail "colo-proxy(8) lacks:$missing (rebuild the package)"

step "systemd-analyze verify"
mkdir "$tmp/units"
cp /lib/systemd/system/colo-proxy@.service "$tmp/units/colo-proxy@pkgtest.service"
systemd-analyze verify "$tmp/units/colo-proxy@pkgtest.service" >"$tmp/verify.log" 2>&1 ||
    e2e_fail "systemd-analyze verify failed: $(cat "$tmp/verify.log")"
[ ! -s "$tmp/verify.log" ] || e2e_fail "systemd-analyze verify: $(cat "$tmp/verify.log")"

# One replay of $case_name through the installed colo-proxy with the
# installed configuration; output frames and counters against the manifest.
cdir="$COLO_SRCDIR/pcaps/$case_name"
manifest="$COLO_SRCDIR/pcaps/manifest.json"
ckpts=$(e2e_py cases "$manifest" | awk -v c="$case_name" '$1 == c { print $2 }')
ctimeout=$(e2e_py get "$manifest" 'd["compare_timeout_ms"]')
[ -n "$ckpts" ] || e2e_fail "$case_name is not in $manifest"
cp "$cdir/primary.pcap" "$cdir/secondary.pcap" "$tmp/"
chmod 755 "$tmp"
replay() { # NAME RUN-PREFIX... -- EAL... ; output in $tmp/NAME
    name=$1
    shift
    out="$tmp/$name"
    mkdir -p "$out"
    chmod 777 "$out"
    rc=0
    timeout 60 "$@" -- --config /etc/colo-proxy/colo-proxy.ini --compare-timeout "$ctimeout" \
        --exit-on-idle 1000 --stats-json "$out/stats.json" >"$tmp/$name.log" 2>&1 || rc=$?
    [ "$rc" -eq 0 ] || e2e_fail "$name: colo-proxy exit status $rc"
    e2e_py pcap-eq "$cdir/expected.pcap" "$out/outbound.pcap" >&2 ||
        e2e_fail "$name: output frames differ from $case_name/expected.pcap"
    e2e_py check "$out/stats.json" "d['checkpoint_requests'] == $ckpts" \
        "d['conservation_ok'] is True" \
        "d['primary_rx'] == d['released'] + sum(d['dropped'].values())" >&2 ||
        e2e_fail "$name: counters"
    rm -rf "/var/run/dpdk/${prefix}_$name" "$tmp/rt/dpdk/${prefix}_$name"
    echo "ok   $name" >&2
}
vdevs() { # OUT_DIR
    echo "--vdev net_pcap0,rx_pcap=$tmp/primary.pcap --vdev net_pcap1,rx_pcap=$tmp/secondary.pcap"
    echo "--vdev net_pcap2,tx_pcap=$1/outbound.pcap"
}

step "replay $case_name: installed colo-proxy, installed configuration, EAL options on the command line"
# shellcheck disable=SC2046
replay cmdline /usr/bin/colo-proxy --no-pci --no-huge -m 256 -l 0,1 \
    --file-prefix "${prefix}_cmdline" $(vdevs "$tmp/cmdline")

step "replay $case_name: EAL options from the [eal] section of NAME.ini"
mkdir -p "$tmp/eal"
{
    sed -n '1,/^\[eal\]/p' /etc/colo-proxy/colo-proxy.ini
    printf '%s\n' "no-pci =" "no-huge =" "m = 256" "l = 0,1" "file-prefix = ${prefix}_eal" \
        "vdev = net_pcap0,rx_pcap=$tmp/primary.pcap" "vdev = net_pcap1,rx_pcap=$tmp/secondary.pcap" \
        "vdev = net_pcap2,tx_pcap=$tmp/eal/outbound.pcap"
    sed -n '/^\[eal\]/,$p' /etc/colo-proxy/colo-proxy.ini | tail -n +2
} >"$tmp/eal.ini"
timeout 60 /usr/bin/colo-proxy -- --config "$tmp/eal.ini" --compare-timeout "$ctimeout" \
    --exit-on-idle 1000 --stats-json "$tmp/eal/stats.json" >"$tmp/eal.log" 2>&1 ||
    e2e_fail "[eal]: colo-proxy exit status $?"
grep -q "/var/run/dpdk/${prefix}_eal/" "$tmp/eal.log" || e2e_fail "[eal]: file-prefix not applied"
e2e_py pcap-eq "$cdir/expected.pcap" "$tmp/eal/outbound.pcap" >&2 || e2e_fail "[eal]: output frames"
e2e_py check "$tmp/eal/stats.json" "d['checkpoint_requests'] == $ckpts" >&2 || e2e_fail "[eal]: counters"
rm -rf "/var/run/dpdk/${prefix}_eal"

# The unit's privileges: user and group colo-proxy, no capability at all
# (bounding, inheritable and ambient sets empty, no new privileges), DPDK's
# runtime directory under XDG_RUNTIME_DIR, hugepages on a hugetlbfs mount
# owned by colo-proxy as the unit's ExecStartPre makes it.
mkdir -p "$tmp/rt"
chown colo-proxy:colo-proxy "$tmp/rt"
as_service="setpriv --reuid=colo-proxy --regid=colo-proxy --init-groups --inh-caps=-all
    --ambient-caps=-all --bounding-set=-all --no-new-privs env XDG_RUNTIME_DIR=$tmp/rt"
step "replay $case_name as user colo-proxy with no capabilities, --no-huge"
# shellcheck disable=SC2046,SC2086
replay nohuge $as_service /usr/bin/colo-proxy --no-pci --no-huge -m 256 -l 0,1 \
    --file-prefix "${prefix}_nohuge" $(vdevs "$tmp/nohuge")
grep -q "$tmp/rt/dpdk/${prefix}_nohuge/" "$tmp/nohuge.log" ||
    e2e_fail "nohuge: DPDK's runtime directory is not under XDG_RUNTIME_DIR"

free=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0)
[ "$free" -ge 64 ] || e2e_skip "needs 64 free 2 MB hugepages (has $free; scripts/setup.sh reserves 256)"
step "replay $case_name as user colo-proxy with no capabilities, hugepages"
mkdir "$huge"
mount -t hugetlbfs -o pagesize=2M,mode=0700,uid=colo-proxy,gid=colo-proxy "colo-pkg-$$" "$huge" ||
    e2e_fail "cannot mount hugetlbfs on $huge"
# shellcheck disable=SC2046,SC2086
replay huge $as_service /usr/bin/colo-proxy --no-pci -m 64 -l 0,1 --huge-dir "$huge" \
    --file-prefix "${prefix}_huge" $(vdevs "$tmp/huge")
# EAL leaves its page files (PREFIXmap_N) in the mount: the proof it used it.
ls "$huge" | grep -q "^${prefix}_hugemap_" || e2e_fail "huge: no hugepage file in $huge"
step "done"
