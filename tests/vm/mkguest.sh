#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Build (or find in the cache) the tiny test guest of the real-VM tests: the
# Debian 6.1 cloud kernel, virtio_net with its module chain, busybox-static,
# ethtool, a fixed 1 MB file made from a seed, and tests/vm/guest/ (its /init
# and the CGI scripts of its HTTP server). No disk: the kernel and an
# initramfs boot with -kernel/-initrd.
#
#   tests/vm/mkguest.sh            prints the guest directory:
#       vmlinuz, initrd.gz   boot these
#       file.bin             the file the guest serves at /cgi-bin/file
#       file.sha256          its SHA-256
#       manifest             what the guest was built from (the cache key)
#
# The cache lives in $COLO_GUEST_CACHE (default /var/cache/colo-proxy-tests),
# one directory per key: the versions of every package used, the seed, and
# the hash of this script and of tests/vm/guest/. Needs root (apt-get
# download), python3, cpio, gzip, busybox-static and ethtool installed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${COLO_GUEST_CACHE:-/var/cache/colo-proxy-tests}
seed=${COLO_GUEST_SEED:-17}
size=${COLO_GUEST_FILE_SIZE:-1048576}
meta=linux-image-cloud-amd64

die() {
    echo "mkguest: $*" >&2
    exit 1
}

for tool in apt-get apt-cache dpkg-deb dpkg-query python3 cpio gzip sha256sum ldd; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not installed"
done
busybox=/bin/busybox
[ -x "$busybox" ] || die "no $busybox: install busybox-static"
if ldd "$busybox" >/dev/null 2>&1; then
    die "$busybox is dynamically linked: install busybox-static"
fi
ethtool=$(command -v ethtool 2>/dev/null || true)
[ -n "$ethtool" ] || [ -x /usr/sbin/ethtool ] || die "ethtool not installed"
ethtool=${ethtool:-/usr/sbin/ethtool}

# The kernel package the meta package points at, and its version.
kernel_pkg() {
    apt-cache depends "$meta" 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ {print $2; exit}'
}
kpkg=$(kernel_pkg)
if [ -z "$kpkg" ]; then
    apt-get update -q >/dev/null || die "apt-get update failed"
    kpkg=$(kernel_pkg)
fi
[ -n "$kpkg" ] || die "no kernel package behind $meta"
kver=$(apt-cache policy "$kpkg" | awk '$1 == "Candidate:" {print $2}')
[ -n "$kver" ] && [ "$kver" != "(none)" ] || die "no candidate version of $kpkg"

pkgver() {
    dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo none
}
manifest="kernel $kpkg $kver
busybox-static $(pkgver busybox-static)
ethtool $(pkgver ethtool)
libc6 $(pkgver libc6)
libmnl0 $(pkgver libmnl0)
file seed $seed size $size
sources $(cd "$here" && cat mkguest.sh guest/init guest/cgi-bin/* | sha256sum | cut -c1-16)"
key=$(echo "$manifest" | sha256sum | cut -c1-16)
dir=$cache/guest-$key

if [ -f "$dir/ok" ]; then
    echo "$dir"
    exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock -w 300 9 || die "another mkguest holds $cache/.lock"
if [ -f "$dir/ok" ]; then
    echo "$dir"
    exit 0
fi

work=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "mkguest: building $dir ($kpkg $kver)" >&2

# apt-get download runs as _apt when it can write the directory.
chmod 0777 "$work"
(cd "$work" && apt-get download -q "$kpkg=$kver" >download.log 2>&1) ||
    { cat "$work/download.log" >&2; die "apt-get download $kpkg=$kver failed"; }
dpkg-deb -x "$work"/"$kpkg"_*.deb "$work/k"
vmlinuz=$(ls "$work"/k/boot/vmlinuz-*)
moddir=$(ls -d "$work"/k/lib/modules/*)

root=$work/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc,www/cgi-bin,lib/modules}
mkdir -p "$root"/lib64 "$root"/lib/x86_64-linux-gnu

# The virtio_net chain: each module after the modules it depends on (the
# "depends=" entry of its .modinfo), virtio_pci (the transport) first.
ordered=" "
add_module() {
    local name=$1 file deps d
    case "$ordered" in *" $name "*) return 0 ;; esac
    file=$(find "$moddir" -name "$name.ko" -o -name "${name//_/-}.ko" | head -n 1)
    [ -n "$file" ] || die "module $name not in $kpkg"
    deps=$(tr '\0' '\n' <"$file" | sed -n 's/^depends=//p' | head -n 1)
    for d in ${deps//,/ }; do
        add_module "$d"
    done
    cp "$file" "$root/lib/modules/$name.ko"
    echo "$name.ko" >>"$root/lib/modules/order"
    ordered="$ordered$name "
}
add_module virtio_pci
add_module virtio_net

cp "$busybox" "$root/bin/busybox"
cp "$ethtool" "$root/usr/sbin/ethtool"
ldd "$ethtool" | awk '$2 == "=>" {print $3} $1 ~ /^\// {print $1}' | while read -r lib; do
    case "$lib" in
    /lib64/*) cp -L "$lib" "$root/lib64/" ;;
    *) cp -L "$lib" "$root/lib/x86_64-linux-gnu/" ;;
    esac
done

python3 - "$root/www/file.bin" "$seed" "$size" <<'EOF'
import random
import sys

path, seed, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "wb") as f:
    f.write(random.Random(seed).randbytes(size))
EOF
cp "$here"/guest/cgi-bin/* "$root/www/cgi-bin/"
cp "$here/guest/init" "$root/init"
chmod 0755 "$root/init" "$root"/www/cgi-bin/*

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$work/initrd.gz"

out=$work/out
mkdir "$out"
cp "$vmlinuz" "$out/vmlinuz"
mv "$work/initrd.gz" "$out/initrd.gz"
cp "$root/www/file.bin" "$out/file.bin"
sha256sum <"$out/file.bin" | cut -d' ' -f1 >"$out/file.sha256"
{
    echo "$manifest"
    echo "modules $(tr '\n' ' ' <"$root/lib/modules/order")"
} >"$out/manifest"
touch "$out/ok"
rm -rf "$dir"
mv "$out" "$dir"
# Guests of other keys are stale once a day old.
find "$cache" -maxdepth 1 -name 'guest-*' ! -name "guest-$key" -mtime +0 -exec rm -rf {} + 2>/dev/null || true
echo "mkguest: $dir ready ($(du -sh "$dir" | cut -f1))" >&2
echo "$dir"
