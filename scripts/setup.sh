#!/usr/bin/env bash
# Install what sluice needs on Debian 12 and reserve hugepages. Idempotent: run it as
# often as you like; it only does what is missing.
#
#   scripts/setup.sh                  packages + hugepages (SL_HUGEPAGES, default 512 x 2 MiB)
#   SL_HUGEPAGES=0 scripts/setup.sh   packages only
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
sl_need_root

packages=(
	# build
	gcc meson ninja-build pkg-config
	# DPDK 22.11 LTS from Debian: libraries, PMD plug-ins, tools (dpdk-testpmd,
	# dpdk-telemetry.py, dpdk-devbind.py, dpdk-dumpcap)
	libdpdk-dev dpdk dpdk-dev
	# tests
	libcmocka-dev python3-scapy clang valgrind
	# libFuzzer for clang 14 (the fuzz suite)
	libclang-rt-14-dev
	# the kernel side of the demos and interop tests
	iproute2 iputils-ping ethtool socat curl redis-tools wrk
	# random packet loss on the kernel side (-m statistic): test_tcp_loss.sh, lossbench.sh
	iptables
	# benchmark charts
	gnuplot-nox
	# reading dpdk-dumpcap's captures: test_dumpcap.sh
	tshark
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	sl_say "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# tshark's wireshark-common asks whether non-root users may capture (a setuid
	# dumpcap); answer no beforehand, so nothing waits for a prompt.
	echo "wireshark-common wireshark-common/install-setuid boolean false" |
		debconf-set-selections
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Hugepages: DPDK's mbuf pools live there on real deployments and memif needs them.
# Unit tests do not (they run with --no-huge).
want=${SL_HUGEPAGES:-512}
nr=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
if [ "$want" -gt 0 ]; then
	if [ -w "$nr" ] && [ "$(cat "$nr")" -lt "$want" ]; then
		echo "$want" > "$nr" 2>/dev/null || true
	fi
	have=$(cat "$nr" 2>/dev/null || echo 0)
	if [ "$have" -lt "$want" ]; then
		sl_warn "only $have of $want 2 MiB hugepages could be reserved; sluice falls back" \
			"to --no-huge where it can (memif benchmarks need hugepages)"
	fi
	if ! grep -qs '^hugetlbfs /dev/hugepages ' /proc/mounts && ! grep -qs hugetlbfs /proc/mounts; then
		mkdir -p /dev/hugepages
		mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null ||
			sl_warn "cannot mount hugetlbfs on /dev/hugepages; DPDK will run with --no-huge"
	fi
fi
exit 0
