#!/usr/bin/env bash
# The example systemd unit (docs/examples/sluice-server.service, shown in docs/deploy.md)
# is valid: `meson install` into a staging directory, point the unit's ExecStartPre and
# ExecStart at the staged bind-nic.sh and sluice-server, and `systemd-analyze verify` it.
# Also: the unit stops with SIGTERM (the drain) and gives the drain time
# (TimeoutStopSec above --drain-s), restarts on failure, and lets vfio lock memory; the
# copy in docs/deploy.md is the file itself.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/common.sh"

build=${SL_BUILD_DIR:-build}
unit=$SL_ROOT/docs/examples/sluice-server.service
stage=$(mktemp -d /tmp/sl-deploy.XXXXXX)
trap 'rm -rf "$stage"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

meson install -C "$SL_ROOT/$build" --destdir "$stage" >/dev/null
bind=$(find "$stage" -path '*/sluice/bind-nic.sh' | head -n 1)
server=$(find "$stage" -path '*/bin/sluice-server' | head -n 1)
[ -n "$bind" ] && [ -x "$bind" ] || fail "bind-nic.sh not installed executable under libexec/sluice"
[ -n "$server" ] || fail "sluice-server not installed"
echo "ok: installed ${bind#"$stage"} and ${server#"$stage"}"
grep -q "^ExecStartPre=/usr/local/libexec/sluice/bind-nic.sh " "$unit" ||
	fail "the unit's ExecStartPre is not the installed bind-nic.sh"
grep -q "^ExecStart=/usr/local/bin/sluice-server " "$unit" ||
	fail "the unit's ExecStart is not the installed sluice-server"

if command -v systemd-analyze >/dev/null; then
	sed -e "s|/usr/local/libexec/sluice/bind-nic.sh|$bind|" \
	    -e "s|/usr/local/bin/sluice-server|$server|" "$unit" > "$stage/sluice-server.service"
	out=$(cd "$stage" && systemd-analyze verify ./sluice-server.service 2>&1) ||
		fail "systemd-analyze verify: $out"
	[ -z "$out" ] || fail "systemd-analyze verify warns: $out"
	echo "ok: systemd-analyze verify accepts the unit"
else
	echo "ok: systemd-analyze not installed: verify skipped"
fi

grep -q '^KillSignal=SIGTERM$' "$unit" || fail "KillSignal is not SIGTERM"
grep -q '^Restart=on-failure$' "$unit" || fail "Restart is not on-failure"
grep -q '^LimitMEMLOCK=infinity$' "$unit" || fail "LimitMEMLOCK is not infinity"
stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)$/\1/p' "$unit")
drain=$(grep -o -- '--drain-s [0-9]*' "$unit" | awk '{print $2}')
[ -n "$stop" ] && [ -n "$drain" ] && [ "$stop" -gt "$drain" ] ||
	fail "TimeoutStopSec ($stop) must exceed --drain-s ($drain)"
echo "ok: SIGTERM, TimeoutStopSec $stop > --drain-s $drain, Restart=on-failure, LimitMEMLOCK"

# docs/deploy.md shows the file itself.
awk '/^```ini$/{f=1; next} /^```$/{f=0} f' "$SL_ROOT/docs/deploy.md" > "$stage/doc.service"
diff -u "$unit" "$stage/doc.service" >/dev/null ||
	fail "docs/deploy.md's unit differs from docs/examples/sluice-server.service"
echo "ok: docs/deploy.md shows docs/examples/sluice-server.service as it is"
echo "PASS: test_deploy_unit"
