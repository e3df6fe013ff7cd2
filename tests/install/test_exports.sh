#!/usr/bin/env bash
# libsluice.so exports its public API and nothing else (README, "Using libsluice in your
# own program"): every defined dynamic symbol is an sl_* name, every function and object
# the public headers declare (inline functions aside) is exported, and nothing is exported
# that they do not declare. The declarations are the compiler's (gcc -aux-info) for
# tests/install/umbrella.c, which includes <sluice/sluice.h> alone, so a header missing
# from the umbrella shows up as exported but undeclared. That program is then linked
# against the shared library and run.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/common.sh"

build=${SL_BUILD_DIR:-build}
so=$SL_ROOT/$build/lib/libsluice.so
inc=$SL_ROOT/lib/include
[ -f "$so" ] || { echo "FAIL: $so is not built"; exit 1; }
tmp=$(mktemp -d /tmp/sl-exports.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0

# report TITLE FILE: print the names in FILE under TITLE and fail, if there are any.
report() {
	if [ -s "$2" ]; then
		echo "FAIL: $1:"
		sed 's/^/  /' "$2"
		fail=1
	fi
}

nm -D --defined-only "$so" | awk '{print $3}' | sort -u > "$tmp/exported"
grep -v '^sl_' "$tmp/exported" > "$tmp/foreign" || true
report "libsluice.so exports names outside sl_*" "$tmp/foreign"

for h in "$inc"/sluice/*.h; do
	h=$(basename "$h")
	[ "$h" = sluice.h ] && continue
	grep -q "^#include <sluice/$h>" "$inc/sluice/sluice.h" || echo "sluice/$h"
done > "$tmp/missing"
report "sluice/sluice.h does not include" "$tmp/missing"

# shellcheck disable=SC2046
cc -Wall -Wextra -Werror -aux-info "$tmp/aux" -I"$inc" $(pkg-config --cflags libdpdk) \
	-c "$SL_ROOT/tests/install/umbrella.c" -o "$tmp/umbrella.o" ||
	{ echo "FAIL: tests/install/umbrella.c does not build with sluice/sluice.h alone"
	  exit 1; }
# Functions as the compiler saw them (static inline ones are not the library's), and the
# objects (extern declarations, one per line in the house style).
grep -F "/* $inc/sluice/" "$tmp/aux" | grep -v ' static ' |
	sed -E 's/^.*[ *](sl_[a-z0-9_]+) \(.*$/\1/' > "$tmp/declared.raw"
sed -nE 's/^extern [^(;]*[ *](sl_[a-z0-9_]+)(\[[^]]*\])?;.*$/\1/p' "$inc"/sluice/*.h \
	>> "$tmp/declared.raw"
sort -u "$tmp/declared.raw" > "$tmp/declared"
comm -23 "$tmp/declared" "$tmp/exported" > "$tmp/unexported"
report "declared in a public header but not exported (SL_EXPORT missing?)" "$tmp/unexported"
comm -13 "$tmp/declared" "$tmp/exported" > "$tmp/undeclared"
report "exported but declared by no header that sluice/sluice.h includes" "$tmp/undeclared"
[ $fail -eq 0 ] || exit 1
echo "ok: libsluice.so exports $(wc -l < "$tmp/exported") symbols, all sl_*, exactly the" \
	"public headers' functions and objects"

# shellcheck disable=SC2046
cc "$tmp/umbrella.o" -L"$(dirname "$so")" -lsluice $(pkg-config --libs libdpdk) \
	-o "$tmp/umbrella"
out=$(LD_LIBRARY_PATH=$(dirname "$so") "$tmp/umbrella")
echo "ok: $out, linked against libsluice.so"
