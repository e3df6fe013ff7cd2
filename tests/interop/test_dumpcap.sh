#!/usr/bin/env bash
# Integration: capturing sluice-server's port live with DPDK's dpdk-dumpcap (rte_pdump,
# lib/net/capture.c), read back with tshark.
#  - a Linux client echoes a foreseeable exchange through sluice while dpdk-dumpcap
#    captures the port; the capture holds that one connection, its 4-tuple, exactly the
#    segments the exchange makes each way (counted below), no loss;
#  - checksum offload off: every IPv4 and TCP checksum in the capture is valid, those sluice
#    sent included;
#  - checksum offload on (net_tap offers it): what sluice sent is captured before the port
#    fills its checksums (the README's caveat), what Linux sent is valid;
#  - after the capture detached, the port still echoes and sluice exits with every mbuf back
#    in its pool;
#  - the second run logs at debug (--log-level 'sluice.*:debug'): the connection's state
#    changes and ARP's answer are in the log, under their module's log type.
# dpdk-dumpcap is a secondary process: it maps the server's hugepages, so the server runs
# on hugepages (128 MB, files kept for the secondary; removed by it_cleanup) with the
# EAL's shared configuration.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

for tool in dpdk-dumpcap tshark; do
	command -v "$tool" >/dev/null || { it_fail "$tool is not installed (scripts/setup.sh)"; exit 1; }
done
if [ "$(sl_free_hugepages)" -lt 96 ]; then
	it_fail "needs 96 free 2 MB hugepages (scripts/setup.sh), $(sl_free_hugepages) free"
	exit 1
fi
IT_MEM="-m 128"
# The secondary maps the server's memory at the server's addresses. DPDK starts looking
# for them at 4 GiB, which AddressSanitizer's shadow occupies in a sanitized server
# (build-asan): the kernel then picks addresses that dumpcap, not sanitized, already uses,
# and its EAL fails ("Cannot init memory"). 32 TiB is free in both.
BASE_VA="--base-virtaddr 0x200000000000"

SIZES=100,200,300,400,500	# one message per segment, each echoed in one segment
K=5
WORK=$(mktemp -d "/tmp/sl-dumpcap.XXXXXX")
# dpdk-dumpcap builds its own EAL command line (no --no-pci): an empty PCI directory keeps
# its bus scan away from the machine's devices (DPDK's PCI bus reads SYSFS_PCI_DEVICES).
mkdir "$WORK/no-pci"
# it_cleanup exits with the status it finds in $?: keep the test's.
trap 'rc=$?; rm -rf "$WORK"; (exit $rc); it_cleanup' EXIT

# capture_fields FILE: one line per TCP segment of FILE, tab-separated: source address and
# port, destination address and port, tcp.stream, payload length, SYN, FIN, RST (1/0) and
# the TCP and IPv4 checksum status as tshark verifies them (1: good, 0: bad). One tshark
# run per capture: tshark takes a second or two to start.
capture_fields() {
	tshark -r "$1" -n -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -Y tcp \
		-T fields -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport -e tcp.stream \
		-e tcp.len -e tcp.flags.syn -e tcp.flags.fin -e tcp.flags.reset \
		-e tcp.checksum.status -e ip.checksum.status 2>/dev/null
}

# capture_start FILE: dpdk-dumpcap on port 0 of the running server, until stopped (SIGINT)
# or 60 s. -p: leave the port's promiscuous mode as sluice set it. Waits until it captures
# (it counts on stderr once the server installed its callbacks).
DC_PID=
capture_start() {
	local i
	SYSFS_PCI_DEVICES="$WORK/no-pci" timeout 90 ip netns exec "$IT_NS" \
		dpdk-dumpcap --file-prefix "$IT_PREFIX" -i 0 -p -a duration:60 -w "$1" \
		>"$WORK/dumpcap.log" 2>&1 &
	DC_PID=$!
	IT_PIDS=$DC_PID
	for ((i = 0; i < 200; i++)); do
		grep -q "^Packets captured" "$WORK/dumpcap.log" && return 0
		kill -0 "$DC_PID" 2>/dev/null || break
		sleep 0.1
	done
	it_fail "dpdk-dumpcap did not attach: $(tr '\r' '\n' < "$WORK/dumpcap.log" | tail -n 5)"
	return 1
}

# capture_stop NAME: SIGINT (dumpcap's Ctrl-C), wait; it must have lost nothing.
capture_stop() {
	local rc=0 summary
	# What the last segments' callbacks copied is still in dumpcap's ring for a moment.
	sleep 1
	sl_stop_pid "$DC_PID" 10 || rc=$?
	IT_PIDS=
	DC_PID=
	# "Packets received/dropped on interface 'net_tap0': 27/0 (100.0)"
	summary=$(tr '\r' '\n' < "$WORK/dumpcap.log" | grep -E '^Packets received/dropped' | tail -n 1)
	if [ "$rc" -ne 0 ]; then
		it_fail "$1: dpdk-dumpcap exited with status $rc: $(tail -n 3 "$WORK/dumpcap.log")"
	elif [[ "$summary" != *": "*"/0 ("* ]]; then
		it_fail "$1: dpdk-dumpcap lost packets: $summary"
	else
		it_ok "$1: dpdk-dumpcap: $summary"
	fi
}

# expect NAME N AWK-CONDITION: exactly N lines of $FIELDS match (fields as in
# capture_fields: $1 src, $2 sport, $3 dst, $4 dport, $5 stream, $6 len, $7 syn, $8 fin,
# $9 rst, $10 tcp checksum, $11 ip checksum; cs, sc: the direction).
expect() {
	local n
	n=$(printf '%s\n' "$FIELDS" | awk -F'\t' -v k="$IT_KERNEL_IP" -v s="$IT_SLUICE_IP" \
		-v cp="$CPORT" '
		NF == 0 { next }
		{ cs = ($1 == k && $2 == cp && $3 == s && $4 == 7)
		  sc = ($1 == s && $2 == 7 && $3 == k && $4 == cp) }
		('"$3"') { n++ }
		END { print n + 0 }')
	if [ "$n" -eq "$2" ]; then
		it_ok "$1: $n"
	else
		it_fail "$1: $n, expected $2"
	fi
}

# check_capture FILE OFFLOAD: the connection from 198.18.0.1:$CPORT to port 7 in FILE.
check_capture() {
	local f=$1 offload=$2 n tuples

	FIELDS=$(capture_fields "$f")
	# One TCP connection in the whole capture, and its 4-tuple.
	n=$(printf '%s\n' "$FIELDS" | cut -f5 | sort -u | grep -c .)
	tuples=$(printf '%s\n' "$FIELDS" | cut -f1-4 | sort -u | tr '\t\n' ' ;')
	if [ "$n" -eq 1 ] && [ "$tuples" = "$IT_KERNEL_IP $CPORT $IT_SLUICE_IP 7;$IT_SLUICE_IP 7 $IT_KERNEL_IP $CPORT;" ]; then
		it_ok "$offload: one TCP connection, $IT_KERNEL_IP:$CPORT <-> $IT_SLUICE_IP:7"
	else
		it_fail "$offload: expected one connection $IT_KERNEL_IP:$CPORT <-> $IT_SLUICE_IP:7, got $n: $tuples"
	fi

	# The segments, reasoned from the exchange (capturepeer.py):
	#  Linux -> sluice: SYN, the handshake's ACK, K messages, K pure ACKs (one per echo:
	#    the client idles past its delayed-ACK timer before the next message), FIN, and
	#    the ACK of sluice's FIN: 2K + 4.
	#  sluice -> Linux: SYN-ACK, K echoes (each acknowledges its message: the echo is
	#    written in the delivery phase of the iteration that received it, before the
	#    output phase sends the ACK), and FIN (echo mode closes when it sees the peer's
	#    FIN; the FIN acknowledges it): K + 2.
	expect "$offload: Linux -> sluice segments" $((2 * K + 4)) 'cs'
	expect "$offload: sluice -> Linux segments" $((K + 2)) 'sc'
	expect "$offload: Linux -> sluice data segments" "$K" 'cs && $6 > 0'
	expect "$offload: sluice -> Linux data segments" "$K" 'sc && $6 > 0'
	expect "$offload: SYN each way" 2 '(cs || sc) && $7 == 1'
	expect "$offload: FIN each way" 2 '(cs || sc) && $8 == 1'
	expect "$offload: RST" 0 '$9 == 1'
	# The echoes carry the messages' sizes, in order.
	n=$(printf '%s\n' "$FIELDS" | awk -F'\t' -v s="$IT_SLUICE_IP" '$1 == s && $6 > 0 { print $6 }' |
		paste -sd, -)
	if [ "$n" = "$SIZES" ]; then
		it_ok "$offload: echo segments of $SIZES bytes"
	else
		it_fail "$offload: echo segment sizes $n, expected $SIZES"
	fi

	# Checksums, as tshark verifies them.
	if [ "$offload" = off ] || [ "$TX_CSUM" = off ]; then
		expect "$offload: TCP checksums not valid" 0 '$10 != 1'
		expect "$offload: IPv4 checksums not valid" 0 '$11 != 1'
	else
		# Offloaded: sluice's frames leave it with the pseudo-header sum in the TCP
		# checksum, which the port replaces after the capture saw them. Linux's are
		# whole.
		expect "$offload: sluice's TCP checksums left to the port" $((K + 2)) 'sc && $10 == 0'
		expect "$offload: Linux's TCP checksums valid" $((2 * K + 4)) 'cs && $10 == 1'
	fi
}

for offload in off auto; do
	IT_EAL_EXTRA=$BASE_VA
	[ "$offload" = auto ] && IT_EAL_EXTRA="$BASE_VA --log-level sluice.*:debug"
	it_start_server --mode echo --mbufs 4095 --max-flows 1024 --csum-offload "$offload"
	if ! grep -q "^sluice-server: capture with: dpdk-dumpcap --file-prefix $IT_PREFIX -i 0" "$IT_LOG"; then
		it_fail "the banner does not say how to capture"
	fi
	TX_CSUM=$(sed -n 's/^sluice-server: checksum offload tx ip=[a-z]* tcp=\([a-z]*\),.*/\1/p' "$IT_LOG")
	pcap=$WORK/capture-$offload.pcapng
	capture_start "$pcap" || exit 1
	out=$(it_nsexec "$SL_PY" "$(dirname "$0")/capturepeer.py" "$IT_SLUICE_IP" 7 --sizes "$SIZES") ||
		{ it_fail "$offload: the echo exchange failed: $out"; exit 1; }
	it_ok "$offload: echo exchange while capturing ($out)"
	capture_stop "$offload"
	CPORT=${out#port }
	CPORT=${CPORT%% *}
	check_capture "$pcap" "$offload"

	# Detached: the callbacks are gone and the port works as before.
	it_check "$offload: echo after the capture detached" \
		it_nsexec "$SL_PY" "$(dirname "$0")/capturepeer.py" "$IT_SLUICE_IP" 7 --sizes "$SIZES" --gap-ms 0
	it_stop_server
	if [ "$offload" = auto ]; then
		conn="sluice.tcp: conn $IT_KERNEL_IP:$CPORT > $IT_SLUICE_IP:7 slot [0-9]*"
		for want in "$conn: CLOSED -> SYN-RECEIVED" \
			"$conn: SYN-RECEIVED -> ESTABLISHED" "$conn: ESTABLISHED -> CLOSE-WAIT" \
			"$conn: CLOSE-WAIT -> LAST-ACK" "$conn: LAST-ACK -> CLOSED" \
			"$conn closed: normal" "sluice.arp: worker 0: $IT_KERNEL_IP is at "; do
			if grep -q "^$want" "$IT_LOG"; then
				it_ok "debug log: $(grep -m1 "^$want" "$IT_LOG")"
			else
				it_fail "debug log lacks '$want'"
			fi
		done
	fi
	sl_netns_del "$IT_NS"
	sl_eal_files_del "$IT_PREFIX"
done

exit $IT_FAILED
