#!/usr/bin/env bash
# libsluice is installable: `meson install` into a staging directory, then an outside
# program (docs/examples/hello_sluice.c) compiles with `pkg-config sluice` alone, links
# against the shared library, and runs on a net_null port; sluice-stat lands in bindir.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/common.sh"

build=${SL_BUILD_DIR:-build}
stage=$(mktemp -d /tmp/sl-install.XXXXXX)
trap 'rm -rf "$stage"' EXIT

meson install -C "$SL_ROOT/$build" --destdir "$stage" >/dev/null
pc=$(dirname "$(find "$stage" -name sluice.pc | head -n 1)")
[ -n "$pc" ] || { echo "FAIL: sluice.pc not installed"; exit 1; }
# Point a copy of the installed sluice.pc at the staging directory (DPDK stays where
# Debian put it).
mkdir -p "$stage/pc"
sed "s|^prefix=|prefix=$stage|" "$pc/sluice.pc" > "$stage/pc/sluice.pc"
export PKG_CONFIG_PATH=$stage/pc
echo "ok: sluice.pc installed ($(pkg-config --modversion sluice))"
# shellcheck disable=SC2046
cc -Wall -Werror "$SL_ROOT/docs/examples/hello_sluice.c" $(pkg-config --cflags --libs sluice) \
	-o "$stage/hello_sluice"
echo "ok: an outside program builds with pkg-config --cflags --libs sluice"
libdir=$(dirname "$(find "$stage" -name 'libsluice.so' | head -n 1)")
out=$(LD_LIBRARY_PATH=$libdir "$stage/hello_sluice" -l 0 --no-pci --no-huge -m 256 \
	--no-shconf --file-prefix "sl-install-$$" --vdev net_null0 --log-level lib.eal:error \
	-- --ip 198.18.0.2/24 2>&1)
echo "$out" | grep -q 'hello from sluice' || { echo "FAIL: hello_sluice: $out"; exit 1; }
echo "ok: it runs against the shared libsluice: $(echo "$out" | grep "hello from sluice")"
# sluice-stat installs next to the programs, executable, and runs (standard library only).
stat=$(find "$stage" -path '*/bin/sluice-stat' | head -n 1)
[ -n "$stat" ] && [ -x "$stat" ] || { echo "FAIL: sluice-stat not installed in bindir"; exit 1; }
"$SL_PY" "$stat" --help >/dev/null || { echo "FAIL: $stat --help"; exit 1; }
echo "ok: sluice-stat installed: ${stat#"$stage"}"
