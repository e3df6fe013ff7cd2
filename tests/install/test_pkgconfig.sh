#!/usr/bin/env bash
# libsluice installs and is usable exactly as README.md says ("Using libsluice in your own
# program"): the commands of its install block run here copied, with the prefix in a
# staging directory -- keep the two in sync (README points back here):
#
#   1. a prefix install of the library, its headers, sluice.pc and the programs;
#   2. PKG_CONFIG_PATH at Debian's multiarch libdir;
#   3. an outside program (docs/examples/hello_sluice.c) linked against the shared
#      libsluice with an rpath, run without LD_LIBRARY_PATH; the same linked against the
#      static libsluice and the shared DPDK, checked and run; the installed sluice-server
#      and sluice-stat;
#   4. the project template (docs/examples/template/) copied out of the tree, built with
#      its own meson.build through pkg-config, run on net_tap in a throw-away namespace
#      against its Python client (replies, backpressure, the error path), then stopped
#      with SIGINT: it must exit 0 and report clean pools.
#
# Needs root (the namespace), like the interop tests.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/common.sh"

stage=$(mktemp -d /tmp/sl-install.XXXXXX)
ns=sl-install-$$
pid=
cleanup() {
	local rc=$?
	trap - EXIT
	[ -z "$pid" ] || sl_stop_pid "$pid" 10 || true
	sl_netns_del "$ns"
	if [ "$rc" -ne 0 ] && [ -f "$stage/server.log" ]; then
		echo "--- proto-server log"
		tail -n 40 "$stage/server.log"
	fi
	rm -rf "$stage"
	exit "$rc"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	exit 1
}

# ---- 1. the prefix install (README: build-install in the clone, here under $stage) ----
prefix=$stage/prefix
meson setup "$stage/build-install" "$SL_ROOT" --prefix="$prefix" -Dtests=false >/dev/null
ninja -C "$stage/build-install" >/dev/null
meson install -C "$stage/build-install" >/dev/null
echo "ok: meson install to a prefix"

# ---- 2. pkg-config ----
# shellcheck disable=SC2155	# README's line, as a user types it
export PKG_CONFIG_PATH=$prefix/lib/$(gcc -print-multiarch)/pkgconfig
[ -f "$PKG_CONFIG_PATH/sluice.pc" ] || fail "sluice.pc is not in $PKG_CONFIG_PATH"
echo "ok: sluice.pc in $PKG_CONFIG_PATH ($(pkg-config --modversion sluice))"

# ---- 3. an outside program, shared and static ----
eal=(-l 0 --no-pci --no-huge -m 256 --no-shconf --vdev net_null0 --log-level lib.eal:error)
cd "$stage"
cp "$SL_ROOT/docs/examples/hello_sluice.c" my_app.c
# shellcheck disable=SC2046
cc my_app.c $(pkg-config --cflags --libs sluice) \
    -Wl,-rpath,"$(pkg-config --variable=libdir sluice)" -o my_app
# (ldd into a variable: grep -q ending a pipe early would fail it under pipefail)
libs=$(ldd ./my_app)
echo "$libs" | grep -q "libsluice.so.0 => $prefix" ||
	fail "my_app does not find the installed libsluice.so: $(echo "$libs" | grep sluice)"
out=$(./my_app "${eal[@]}" --file-prefix "sl-install-sh-$$" -- --ip 198.18.0.2/24 2>&1) ||
	fail "my_app (shared libsluice): $out"
echo "$out" | grep -q 'hello from sluice' || fail "my_app (shared libsluice): $out"
echo "ok: shared libsluice, rpath, no LD_LIBRARY_PATH: $(echo "$out" | grep 'hello from')"

# shellcheck disable=SC2046
cc my_app.c $(pkg-config --cflags sluice) "$(pkg-config --variable=libdir sluice)/libsluice.a" \
    $(pkg-config --libs libdpdk) -lm -o my_app_static
libs=$(ldd ./my_app_static)
! echo "$libs" | grep -q libsluice || fail "my_app_static still needs libsluice.so"
echo "$libs" | grep -q 'librte_eal.so' || fail "my_app_static does not use the shared DPDK"
out=$(./my_app_static "${eal[@]}" --file-prefix "sl-install-st-$$" -- --ip 198.18.0.2/24 \
	2>&1) || fail "my_app_static: $out"
echo "$out" | grep -q 'hello from sluice' || fail "my_app_static: $out"
echo "ok: static libsluice with the shared DPDK ($(du -k my_app_static | cut -f1) KiB, runs)"

"$prefix/bin/sluice-server" "${eal[@]}" --file-prefix "sl-install-srv-$$" -- --help \
	>/dev/null 2>&1 || fail "the installed sluice-server does not run"
[ -x "$prefix/bin/sluice-bench" ] || fail "sluice-bench is not installed"
echo "ok: sluice-server and sluice-bench installed in $prefix/bin"
# sluice-stat installs next to the programs, executable, and runs (standard library only).
[ -x "$prefix/bin/sluice-stat" ] || fail "sluice-stat is not installed in $prefix/bin"
"$SL_PY" "$prefix/bin/sluice-stat" --help >/dev/null || fail "$prefix/bin/sluice-stat --help"
echo "ok: sluice-stat installed in $prefix/bin"

# ---- 4. the template, as its README.md says ----
cp -r "$SL_ROOT/docs/examples/template" "$stage/my-server"
cd "$stage/my-server"
meson setup build -Dwerror=true >/dev/null
ninja -C build >/dev/null
echo "ok: the template builds out of the tree against the install (meson, pkg-config)"

# Its README's command line (hugepages with --huge-unlink when enough are free), in a
# namespace of ours; the kernel side of the tap is the client's.
sl_netns_add "$ns"
: >"$stage/server.log"	# before the loop below reads it
# shellcheck disable=SC2046
ip netns exec "$ns" build/proto-server -l 0 --no-pci --file-prefix "$ns" $(sl_eal_mem 256) \
	--vdev net_tap0,iface=sl0 --log-level lib.eal:warning -- --ip 198.18.0.2/24 \
	--sndbuf 65536 >"$stage/server.log" 2>&1 &
pid=$!
for ((i = 0; i < 300; i++)); do
	grep -q '^proto-server: listening' "$stage/server.log" && break
	kill -0 "$pid" 2>/dev/null || fail "proto-server exited at start"
	sleep 0.1
done
grep -q '^proto-server: listening' "$stage/server.log" || fail "proto-server did not start"
sl_wait_link "$ns" sl0 5 || fail "no tap interface"
sl_tap_peer "$ns" sl0 02:00:00:00:00:01 198.18.0.1/24
ip netns exec "$ns" sysctl -qw net.ipv6.conf.sl0.disable_ipv6=1
timeout 300 ip netns exec "$ns" "$SL_PY" client.py 198.18.0.2 7000 ||
	fail "the template's client"

rc=0
sl_stop_pid "$pid" 15 || rc=$?
pid=
[ "$rc" -eq 0 ] || fail "proto-server exited with status $rc"
grep -q '^proto-server: pools clean' "$stage/server.log" || fail "proto-server: no clean pools"
summary=$(grep '^proto-server: [0-9]* requests answered' "$stage/server.log") ||
	fail "proto-server printed no summary"
paused=$(echo "$summary" | sed -E 's/.* ([0-9]+) paused.*/\1/')
errors=$(echo "$summary" | sed -E 's/.* ([0-9]+) framing errors.*/\1/')
[ "$paused" -gt 0 ] || fail "backpressure never paused the reader: $summary"
[ "$errors" -eq 2 ] || fail "want 2 framing errors answered: $summary"
grep -qE '^proto-server: connections closed:.* framing 2( |$)' "$stage/server.log" ||
	fail "on_close did not report the 2 framing errors: $(grep 'closed:' "$stage/server.log")"
echo "ok: proto-server stopped cleanly, pools clean; $summary" | sed 's/proto-server: //'
