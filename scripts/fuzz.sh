#!/usr/bin/env bash
# The libFuzzer targets for longer than scripts/test.sh does (tests/fuzz/).
#
#   scripts/fuzz.sh                       every target, 10 minutes each
#   scripts/fuzz.sh --minutes 60 fuzz_frame fuzz_tcp_opt
#
# New inputs go to build-fuzz/corpus/<target>/ (kept between runs), crashes to
# build-fuzz/fuzz-artifacts/; a crash fails the run. Turn a crash into a regression
# test: reproduce it with `build-fuzz/tests/fuzz/<target> <crash file>`, fix it, add a
# unit test for the case, and copy the input to tests/fuzz/corpus/<target>/regress-<name>.
set -uo pipefail
. "$(dirname "$0")/lib/common.sh"

minutes=10
targets=()
while [ $# -gt 0 ]; do
	case "$1" in
	--minutes) minutes=$2; shift 2 ;;
	-*) sl_die "unknown option $1 (see the head of $0)" ;;
	*) targets+=("$1"); shift ;;
	esac
done
dir=$SL_ROOT/build-fuzz
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(sl_fuzz_targets)
sl_build_fuzz "${targets[@]}" || sl_die "build failed"
mkdir -p "$dir/fuzz-artifacts"
rc=0
for t in "${targets[@]}"; do
	corpus=("$dir/corpus/$t")
	mkdir -p "$dir/corpus/$t"
	[ -d "$SL_ROOT/tests/fuzz/corpus/$t" ] && corpus+=("$SL_ROOT/tests/fuzz/corpus/$t")
	sl_say "$t: $minutes min"
	if env "${SL_FUZZ_ENV[@]}" "$dir/tests/fuzz/$t" -max_total_time=$((minutes * 60)) \
		-max_len=4096 -timeout=10 -artifact_prefix="$dir/fuzz-artifacts/$t-" \
		-print_final_stats=1 "${corpus[@]}" \
		>"$dir/fuzz-artifacts/$t.log" 2>&1; then
		grep -E 'stat::(number_of_executed_units|average_exec_per_sec|new_units_added)' \
			"$dir/fuzz-artifacts/$t.log" | sed 's/^/  /'
	else
		echo "FAILED: $t (log: $dir/fuzz-artifacts/$t.log)"
		grep -E 'ERROR|SUMMARY|Test unit written' "$dir/fuzz-artifacts/$t.log" | head -5
		rc=1
	fi
done
exit $rc
