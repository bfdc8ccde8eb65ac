#!/bin/sh -eu
# SPDX-License-Identifier: BSD-3-Clause
# Run one variant of the real-VM test by hand, outside meson:
#   tests/vm/run.sh [VARIANT] [BUILD_DIR]
# VARIANT: default (what meson runs as qemu_colo), tso, mq, svm_kill.
# BUILD_DIR: the meson build directory of colo-proxy (default: build).
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${2:-$src/build}" && pwd)
COLO_PROXY=$build/app/colo-proxy COLO_SRCDIR=$src COLO_BUILDDIR=$build \
    exec "$src/tests/vm/test_qemu_colo.sh" "${1:-default}"
