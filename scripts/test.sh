#!/usr/bin/env bash
# Every test suite of sluice; exits non-zero if any fails. .ci/run calls this.
#
#   scripts/test.sh              everything
#   scripts/test.sh unit interop only the named suites (unit, asan, tsan, sim, install,
#                                fuzz, interop, soak, bench)
#
# Suites:
#   unit     cmocka unit tests (fake ring port, virtual clock, leak check per test)
#   asan     the unit, sim and interop suites again, built with AddressSanitizer +
#            UndefinedBehaviorSanitizer and DPDK's mbuf sanity checks in sluice's code
#            (-Dmbuf_debug=true)
#   tsan     the cross-thread send channel (lib/chan/chan.c, no DPDK) and its tests, built with
#            ThreadSanitizer in build-tsan; any report fails the suite
#   sim      two sluice stacks in one process over an in-memory link with injected loss,
#            reordering, duplication, corruption, truncation and delay: every (profile,
#            seed) pair must deliver every byte exactly and leave nothing behind
#            (tests/sim/sim.c; tests/sim/long.sh runs more seeds and bigger transfers)
#   install  libsluice exports sl_* only; README's install commands run verbatim (a prefix
#            install, shared and static linking), and the project template
#            (docs/examples/template) builds against it and serves its client on net_tap
#            the example systemd unit verifies against the installed files
#   fuzz     libFuzzer targets (built with clang in build-fuzz; bounded runs from the
#            seeds in tests/fuzz/corpus, a few minutes in all): one per deserializer
#            through the real framing driver; the whole input path of a worker with open
#            connections (fuzz_frame), ARP (fuzz_arp), the TCP option parser (fuzz_tcp_opt)
#   interop  the Linux kernel as the peer over net_tap in throw-away network namespaces,
#            including hostile input from the kernel side (test_hostile.sh)
#   soak     one minute of scripts/soak.sh: connection churn with 1000 idle connections
#            held, fault injector on; fails if pools or memory grow
#   bench    scripts/bench.sh --quick: sluice-bench runs every workload on both stacks
#            and the raw floor, and its JSON parses (no figure is judged); then
#            --quick --sweep, rr at 1 to 64k connections (retransmits reported)
set -uo pipefail
. "$(dirname "$0")/lib/common.sh"
sl_need_root

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(unit asan tsan sim install fuzz interop soak bench)

sl_say "setup"
"$SL_ROOT/scripts/setup.sh" || sl_die "setup failed"

declare -a results=()
failed=0

run_suite() {
	local name=$1 start rc
	shift
	sl_say "suite: $name"
	start=$(date +%s)
	"$@"
	rc=$?
	results+=("$(printf '%-10s %-4s %4ss' "$name" "$([ $rc -eq 0 ] && echo ok || echo FAIL)" \
		"$(($(date +%s) - start))")")
	[ $rc -eq 0 ] || failed=1
}

suite_unit() {
	sl_build build -Dwerror=true || return 1
	meson test -C "$SL_ROOT/build" --suite unit --print-errorlogs --num-processes 2
}

suite_asan() {
	local t rc=0
	sl_build build-asan -Dwerror=true -Dsanitizers=true -Dmbuf_debug=true || return 1
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
	meson test -C "$SL_ROOT/build-asan" --suite unit --suite sim --print-errorlogs \
		--num-processes 2 || rc=1
	# The interop tests again, against the sanitized sluice-server: a report aborts it,
	# and the test sees it exit with an error.
	for t in "$SL_ROOT"/tests/interop/test_*.sh; do
		sl_say "asan interop: $(basename "$t")"
		if ! SL_BUILD_DIR=build-asan timeout 1200 "$t"; then
			echo "FAILED under ASan: $(basename "$t")"
			rc=1
		fi
	done
	unset ASAN_OPTIONS UBSAN_OPTIONS
	return $rc
}

# tsan_run LOG CMD...: run a ThreadSanitizer-instrumented test; fail on any report.
# gcc 12's TSan aborts with "FATAL: ThreadSanitizer: unexpected memory mapping" when the
# kernel places mappings outside the layout its shadow memory assumes, which happens with
# wider mmap randomization (vm.mmap_rnd_bits = 32, the default of some recent distribution
# kernels; 28 works). The run is then repeated under `setarch -R`, which turns address
# randomization off for that process only; the tests do not depend on it.
tsan_run() {
	local log=$1 rc
	shift
	TSAN_OPTIONS=halt_on_error=1 timeout 120 "$@" >"$log" 2>&1
	rc=$?
	if [ $rc -ne 0 ] && grep -q 'unexpected memory mapping' "$log"; then
		echo "(TSan: unexpected memory mapping; again with address randomization off)"
		TSAN_OPTIONS=halt_on_error=1 timeout 120 setarch "$(uname -m)" -R "$@" \
			>"$log" 2>&1
		rc=$?
	fi
	grep -q 'WARNING: ThreadSanitizer' "$log" && rc=1
	[ $rc -eq 0 ] || cat "$log"
	return $rc
}

suite_tsan() {
	local dir="$SL_ROOT/build-tsan" t rc=0
	sl_build_tsan || return 1
	for t in "${SL_TSAN_TESTS[@]}"; do
		sl_say "tsan: $t"
		if tsan_run "$dir/$t.log" "$dir/$t"; then
			grep -E '^(\[  PASSED|[a-z_]+: )' "$dir/$t.log"
		else
			echo "FAILED: $t (log: $dir/$t.log)"
			rc=1
		fi
	done
	return $rc
}

suite_sim() {
	sl_build build -Dwerror=true || return 1
	meson test -C "$SL_ROOT/build" --suite sim --print-errorlogs --num-processes 2
}

suite_install() {
	sl_build build -Dwerror=true || return 1
	"$SL_ROOT/tests/install/test_exports.sh" || return 1
	"$SL_ROOT/tests/install/test_pkgconfig.sh" || return 1
	"$SL_ROOT/tests/install/test_deploy_unit.sh"
}

suite_fuzz() {
	local dir="$SL_ROOT/build-fuzz"
	sl_build_fuzz || return 1
	mkdir -p "$dir/fuzz-artifacts"
	(cd "$dir/fuzz-artifacts" &&
		meson test -C "$dir" --suite fuzz --no-rebuild --print-errorlogs --num-processes 2)
}

# The benchmark tool runs and its output parses (scripts/bench.sh --quick: every
# workload for a second; then the connection sweep, 1 to 64k connections, a second
# each); the figures of so short a run are not judged, the sweep's retransmits and TX
# drops on the lossless link are reported.
suite_bench() {
	sl_build build -Dwerror=true || return 1
	"$SL_ROOT/scripts/bench.sh" --quick --out "$SL_ROOT/build/bench/ci" &&
		"$SL_ROOT/scripts/bench.sh" --quick --sweep --out "$SL_ROOT/build/bench/ci-sweep"
}

suite_soak() {
	sl_build build -Dwerror=true || return 1
	"$SL_ROOT/scripts/soak.sh" --minutes 1 --interval 10 --idle 1000
}

suite_interop() {
	local t rc=0
	sl_build build -Dwerror=true || return 1
	for t in "$SL_ROOT"/tests/interop/test_*.sh; do
		sl_say "interop: $(basename "$t")"
		if ! timeout 900 "$t"; then
			echo "FAILED: $(basename "$t")"
			rc=1
		fi
	done
	return $rc
}

for s in "${suites[@]}"; do
	case "$s" in
	unit) run_suite unit suite_unit ;;
	asan) run_suite asan suite_asan ;;
	tsan) run_suite tsan suite_tsan ;;
	sim) run_suite sim suite_sim ;;
	install) run_suite install suite_install ;;
	fuzz) run_suite fuzz suite_fuzz ;;
	interop) run_suite interop suite_interop ;;
	soak) run_suite soak suite_soak ;;
	bench) run_suite bench suite_bench ;;
	*) sl_die "unknown suite '$s' (unit, asan, tsan, sim, install, fuzz, interop, soak, bench)" ;;
	esac
done

sl_say "summary"
printf '%s\n' "${results[@]}"
if [ $failed -ne 0 ]; then
	echo "SOME TESTS FAILED"
	exit 1
fi
echo "all suites passed"
