#!/usr/bin/env bash
# Integration: 802.1Q VLANs (--vlan). sluice-server --vlan 100 --mode echo on net_tap; a
# host on VLAN 100 of a trunk speaks to it from the kernel side of the TAP through a packet
# socket (tests/interop/vlanpeer.py, scapy): this machine's kernel has no 802.1Q module,
# so the kernel's own `ip link add link sl0 name sl0.100 type vlan id 100` is not
# available here. ARP, ping and a TCP echo on VLAN 100, every reply tagged; untagged and
# VLAN-200 frames dropped and counted, with checksum offload and without (the software
# path); sluice exits with every mbuf back in its pool.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

for offload in auto off; do
	it_start_server --mode echo --vlan 100 --csum-offload "$offload"
	mac=$(sl_telemetry "$IT_PREFIX" /sluice/info | sl_json_get /sluice/info mac)
	if SL_IFACE=$IT_IFACE SL_PREFIX=$IT_PREFIX SL_MAC=$mac SL_IP=$IT_SLUICE_IP \
		timeout 120 ip netns exec "$IT_NS" "$SL_PY" "$(dirname "$0")/vlanpeer.py"; then
		it_ok "checksum offload $offload: VLAN 100 ARP, ping and TCP echo tagged; other frames dropped"
	else
		it_fail "vlanpeer.py (checksum offload $offload)"
	fi
	it_expect_stat tcp_drop_cksum -eq 0
	it_stop_server
	sl_netns_del "$IT_NS"
done
exit $IT_FAILED
