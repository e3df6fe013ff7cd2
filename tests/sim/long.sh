#!/usr/bin/env bash
# The long simulation run: every fault profile with many seeds and --long transfers
# (64 flows of up to 8 MiB each way), two runs at a time. Prints one line per run and the
# replay command of every failure; exits non-zero if any run failed.
#
#   tests/sim/long.sh [BUILD_DIR]        default build dir: build
#   SEEDS="1 2 3" tests/sim/long.sh      seeds (default 1..10)
#   PROFILES="loss10 mixed" ...          profiles (default: all of them)
#   JOBS=4 ...                           runs in parallel (default 2)
#   LOGS=DIR ...                         keep every run's output there (default: a temp dir)
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
sim=$build/tests/sim/sim
[ -x "$sim" ] || { echo "no $sim: build first (meson setup $build && ninja -C $build)"; exit 2; }
seeds=${SEEDS:-$(seq 1 10)}
profiles=${PROFILES:-$("$sim" --help | sed -n '/^profiles/,$p' | awk 'NR > 1 { print $1 }')}
jobs=${JOBS:-2}
logs=${LOGS:-$(mktemp -d /tmp/sluice-sim-long.XXXXXX)}
mkdir -p "$logs"

run_one() {
	local sim=$1 logs=$2 p=$3 s=$4 log
	log=$logs/$p-s$s.log
	if "$sim" --long --profile "$p" --seed "$s" >"$log" 2>&1; then
		grep '^sim: PASS' "$log"
	else
		echo "FAIL $p seed $s: $(grep -m1 'FAIL' "$log")"
		echo "  replay: $sim --long --profile $p --seed $s   (log: $log)"
	fi
}
export -f run_one

start=$(date +%s)
for p in $profiles; do
	for s in $seeds; do
		echo "$p $s"
	done
done | xargs -P "$jobs" -L 1 bash -c 'run_one "$0" "$1" $2 $3' "$sim" "$logs" | tee "$logs/summary"
n=$(grep -c . "$logs/summary")
failed=$(grep -c '^FAIL' "$logs/summary")
echo "long simulation: $((n - failed)) passed, $failed failed, $(($(date +%s) - start)) s (logs: $logs)"
[ "$failed" -eq 0 ]
