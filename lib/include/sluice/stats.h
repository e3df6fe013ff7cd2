/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SLUICE_STATS_H
#define SLUICE_STATS_H

/**
 * @file
 * Per-worker counters. Every packet that does not reach an application is counted under
 * the reason it was dropped; names are stable (telemetry and tests read them).
 *
 * Counters are plain uint64_t written only by their worker. Other threads (telemetry, the
 * program's exit report) read them without locks; on 64-bit targets each read is atomic,
 * so a reader sees a recent value, never a torn one.
 */

#include <stdint.h>
#include <stdio.h>

#include <sluice/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, description): the single list from which the struct, the names and telemetry
 * are generated, so a new counter cannot be forgotten in one of them. */
#define SL_STATS_FIELDS(X) \
	X(rx_packets,		"frames received from the port") \
	X(rx_bytes,		"bytes received from the port") \
	X(rx_bursts,		"non-empty RX bursts") \
	X(tx_packets,		"frames accepted by the port") \
	X(tx_bytes,		"bytes accepted by the port") \
	X(tx_bursts,		"TX bursts that sent at least one frame") \
	X(tx_deferred,		"frames the port refused once and kept for the next burst") \
	X(tx_drop_full,		"frames dropped: worker TX queue full") \
	X(tx_drop_oversize,	"frames dropped: longer than the MTU (a stack bug if ever seen)") \
	X(tx_drop_headroom,	"frames dropped: no headroom for a TCP, IPv4 or Ethernet header") \
	X(handoff_segs,		"TCP segments handed to the worker owning their flow") \
	X(handoff_arp,		"ARP frames copied to another worker to learn from") \
	X(handoff_drop_full,	"frames dropped: the other worker's handoff ring was full") \
	X(handoff_in,		"segments and ARP frames received from other workers") \
	X(mbuf_alloc_fail,	"mbuf allocations that failed (pool exhausted)") \
	X(eth_drop_runt,	"frames shorter than an Ethernet header") \
	X(eth_drop_dst,		"frames for another MAC or an unjoined multicast group") \
	X(eth_drop_src,		"frames with a multicast or broadcast source MAC") \
	X(eth_drop_ethertype,	"frames of an unhandled ethertype (IPv6, ...)") \
	X(eth_drop_vlan,	"frames of another VLAN, tagged without --vlan, or untagged with it") \
	X(arp_rx_request,	"ARP requests received") \
	X(arp_rx_reply,		"ARP replies received") \
	X(arp_tx_request,	"ARP requests sent") \
	X(arp_tx_reply,		"ARP replies sent") \
	X(arp_drop_malformed,	"ARP dropped: short, or wrong hardware/protocol type, sizes, opcode") \
	X(arp_drop_bad_sender,	"ARP dropped: multicast/broadcast sender MAC or invalid sender IP") \
	X(arp_drop_spoof,	"ARP dropped: another host claims our address") \
	X(arp_drop_not_for_us,	"ARP requests for another address (ignored)") \
	X(arp_unsolicited,	"ARP replies for unknown hosts (not learned, RFC 826 merge rule)") \
	X(arp_learned,		"neighbours resolved") \
	X(arp_updated,		"neighbour entries refreshed or changed") \
	X(arp_table_full,	"neighbour entries not created: table full") \
	X(arp_drop_no_entry,	"packets dropped: no neighbour entry free for their next hop") \
	X(arp_pending_drop,	"packets dropped: pending queue for a destination full") \
	X(arp_pending_refused,	"TCP segments not queued for an unresolved neighbour: they wait") \
	X(arp_resolve_fail,	"packets dropped: destination never answered ARP") \
	X(arp_aged,		"neighbour entries aged out") \
	X(ip_rx,		"IPv4 packets received") \
	X(ip_drop_short,	"IPv4 dropped: shorter than the header") \
	X(ip_drop_version,	"IPv4 dropped: version is not 4") \
	X(ip_drop_ihl,		"IPv4 dropped: header length below 20 or beyond the packet") \
	X(ip_drop_len,		"IPv4 dropped: total length disagrees with the frame") \
	X(ip_drop_cksum,	"IPv4 dropped: bad header checksum") \
	X(ip_drop_not_ours,	"IPv4 dropped: destination is not our address") \
	X(ip_drop_broadcast,	"IPv4 broadcasts (no broadcast service; ignored)") \
	X(ip_drop_frag,		"IPv4 fragments dropped: reassembly off, malformed, an attack shape (RFC 1858), a protocol not served") \
	X(ip_frag_in,		"IPv4 fragments taken for reassembly") \
	X(ip_frag_reassembled,	"IPv4 datagrams reassembled") \
	X(ip_frag_discarded,	"IPv4 fragments given up: timed out, overlapping or repeated, table full") \
	X(ip_drop_options,	"IPv4 dropped: header carries options") \
	X(ip_drop_martian,	"IPv4 dropped: impossible source address") \
	X(ip_drop_proto,	"IPv4 dropped: protocol not served") \
	X(ip_tx_no_route,	"IPv4 packets not sent: no route (off-subnet without gateway)") \
	X(icmp_rx_echo,		"ICMP echo requests received") \
	X(icmp_tx_echo_reply,	"ICMP echo replies sent") \
	X(icmp_drop_short,	"ICMP dropped: shorter than 8 bytes") \
	X(icmp_drop_cksum,	"ICMP dropped: bad checksum") \
	X(icmp_drop_broadcast,	"ICMP echo requests to a broadcast address (ignored)") \
	X(icmp_tx_reply_frags,	"fragments of echo replies larger than the MTU") \
	X(icmp_drop_too_big,	"echo requests whose reply cannot be sent: DF set, or no mbufs to fragment it") \
	X(icmp_rx_other,	"ICMP messages of other types (counted, not answered)") \
	X(icmp_rx_frag_needed,	"ICMP fragmentation needed received (RFC 1191)") \
	X(icmp_err_invalid,	"ICMP errors ignored: malformed, or quoting no segment in flight (RFC 5927)") \
	X(icmp_err_stale,	"ICMP fragmentation needed that taught nothing new") \
	X(icmp_rx_unreach,	"ICMP destination unreachable (not fragmentation needed) and time exceeded received") \
	X(tcp_icmp_soft_errors,	"ICMP errors recorded on a connection (never a reset)") \
	X(tcp_icmp_aborts,	"connection attempts ended at once by protocol unreachable") \
	X(pmtu_learned,		"path MTUs learnt or lowered for a destination") \
	X(pmtu_expired,		"learnt path MTUs aged out") \
	X(tcp_pmtu_shrinks,	"connections whose segment size a path MTU lowered") \
	X(tcp_blackhole_shrinks,	"segment sizes lowered after timeouts of full-size segments (no ICMP came)") \
	X(tcp_rx_segs,		"TCP segments received") \
	X(tcp_rx_predicted,	"segments that took the header-prediction fast path") \
	X(tcp_tx_segs,		"TCP segments sent") \
	X(tcp_rx_bytes,		"TCP payload bytes received in order") \
	X(tcp_tx_bytes,		"TCP payload bytes sent (retransmissions included)") \
	X(tcp_drop_short,	"TCP dropped: shorter than its header") \
	X(tcp_drop_doff,	"TCP dropped: data offset below 20 or beyond the segment") \
	X(tcp_drop_cksum,	"TCP dropped: bad checksum") \
	X(tcp_drop_flags,	"TCP dropped: impossible flag combination") \
	X(tcp_drop_port0,	"TCP dropped: port 0") \
	X(tcp_drop_noack,	"TCP dropped: no ACK bit in SYN-RECEIVED or a synchronized state") \
	X(tcp_drop_nosyn,	"TCP dropped: no SYN, RST (or ACK) in LISTEN or SYN-SENT") \
	X(tcp_drop_closed,	"TCP dropped: connection closed, its on_close not yet delivered") \
	X(tcp_drop_after_fin,	"TCP dropped: data after the peer's FIN (ignored, ACKed again)") \
	X(tcp_opt_malformed,	"TCP segments with malformed options (parsing stopped there)") \
	X(tcp_rst_closed_port,	"RSTs sent for segments to closed ports or unknown flows") \
	X(tcp_rst_rx,		"RSTs accepted (connection reset)") \
	X(tcp_rst_ignored,	"RSTs ignored: out of window, TIME-WAIT, SYN-SENT with no or a bad ACK") \
	X(tcp_rst_noconn,	"RSTs for no connection, or to a listener (ignored)") \
	X(tcp_syn_rx,		"SYNs received for a listener") \
	X(tcp_backlog_drop,	"SYNs dropped: backlog full and SYN cookies off") \
	X(tcp_syncookie_sent,	"SYN-ACKs sent with a SYN cookie") \
	X(tcp_syncookie_ok,	"connections established from a valid SYN cookie") \
	X(tcp_syncookie_bad,	"ACKs to a listener with an invalid cookie (answered with RST)") \
	X(tcp_flows_full,	"connections refused: flow table full") \
	X(tcp_passive_opens,	"connections accepted") \
	X(tcp_active_opens,	"connections opened by us") \
	X(tcp_conn_closed,	"connections finished (all reasons)") \
	X(tcp_conn_reset,	"connections ended by a peer RST") \
	X(tcp_conn_timeout,	"connections ended by a timeout") \
	X(tcp_drain_conns,	"connections open when a drain began (sl_stack_drain)") \
	X(tcp_drain_reset,	"of those, reset at the drain deadline (drain-s)") \
	X(tcp_drain_handshakes,	"half-open handshakes reset when a drain began") \
	X(tcp_drain_queued,	"bytes in their send queues when the drain began") \
	X(tcp_paws_drop,	"segments dropped by PAWS (old timestamp)") \
	X(tcp_oow_drop,		"segments outside the receive window") \
	X(tcp_challenge_ack,	"challenge ACKs sent (RFC 5961)") \
	X(tcp_ack_ratelimited,	"challenge/out-of-window ACKs suppressed by the per-connection limit") \
	X(tcp_ack_unsent,	"segments acknowledging data never sent (dropped)") \
	X(tcp_ack_old,		"segments with an ACK below SND.UNA - MAX.SND.WND (dropped)") \
	X(tcp_syn_in_window,	"SYNs on a synchronized connection (challenge ACK)") \
	X(tcp_probe_answered,	"keepalive/zero-window probes answered") \
	X(tcp_dup_answered,	"duplicate data segments answered (never rate-limited)") \
	X(tcp_ack_quick,	"ACKs sent at once within a burst after a sign of loss (quick-ACK mode)") \
	X(tcp_dupacks,		"duplicate ACKs received") \
	X(tcp_fast_retransmit,	"fast retransmissions (3 duplicate ACKs)") \
	X(tcp_rto,		"retransmission timeouts") \
	X(tcp_rto_fin,		"of which with only our FIN outstanding") \
	X(tcp_idle_restarts,	"windows restarted after an idle period longer than the RTO") \
	X(tcp_recoveries,	"loss recovery episodes entered (SACK/RACK or duplicate ACKs)") \
	X(tcp_rack_lost,	"segments RACK marked lost (RFC 8985 time-based detection)") \
	X(tcp_tlp_sent,		"tail loss probes sent (RFC 8985 §7)") \
	X(tcp_tlp_recovered,	"losses a tail loss probe repaired without an RTO") \
	X(tcp_dsack_rx,		"D-SACK blocks received (data the peer got twice, RFC 2883)") \
	X(tcp_undo,		"window reductions undone as spurious (D-SACK, F-RTO)") \
	X(tcp_sack_bad,		"SACK blocks ignored: below SND.UNA, beyond SND.MAX or empty") \
	X(tcp_sack_full,	"SACK information dropped: the scoreboard was full") \
	X(tcp_ecn_ce_rx,	"segments received with the CE mark (ECN)") \
	X(tcp_ece_reductions,	"window reductions on ECN-Echo (once per round trip)") \
	X(tcp_retransmit_segs,	"segments retransmitted") \
	X(tcp_persist_probes,	"zero-window probes sent") \
	X(tcp_rx_zero_window,	"segments from peers announcing a zero window") \
	X(tcp_keepalive_probes,	"keepalive probes sent") \
	X(tcp_ooo_segs,		"segments queued out of order") \
	X(tcp_ooo_drop,		"out-of-order segments dropped (queue limits)") \
	X(tcp_dup_bytes,	"payload bytes received twice (trimmed)") \
	X(tcp_window_trim,	"segments trimmed to the receive window") \
	X(tcp_rx_discarded,	"payload bytes discarded after sl_conn_close()") \
	X(tcp_delayed_acks,	"ACKs sent by the delayed-ACK timer") \
	X(tcp_timewait_reuse,	"TIME-WAIT connections replaced by a new SYN") \
	X(tcp_timewait_evict,	"TIME-WAIT connections evicted for a new connection") \
	X(tcp_rx_nombuf,	"segments dropped: no buffer to keep their data") \
	X(tcp_tx_nombuf,	"segments not sent: no mbuf") \
	X(tcp_output_waits,	"output passes that left data for lack of TX queue room") \
	X(tcp_ctl_waits,	"ACKs, SYNs and SYN-ACKs held back: the TX queue was full") \
	X(tcp_ack_urgent_tx,	"loss-signalling ACKs sent at once past a backed-up TX queue") \
	X(tcp_ack_rides_data,	"delayed ACKs left to data waiting in a backed-up TX queue") \
	X(tcp_reply_no_room,	"RST/SYN-ACK replies not sent: no room in the received mbuf") \
	X(tcp_reply_shed,	"RST/SYN-cookie replies not made: the TX queue was full") \
	X(tcp_txbuf_full,	"sends refused: the send queues hold their share of the pool, or it is low (tcp_mem.h)") \
	X(tcp_rx_drop_mempressure, "payload dropped under pool pressure: its connection holds unread data") \
	X(tcp_mem_pressure,	"times the mbuf pool came under pressure (free count below the threshold)") \
	X(tcp_app_writes,	"application writes queued (sends, messages, producer records)") \
	X(tcp_app_bytes,	"bytes those writes carried") \
	X(tcp_tx_data_segs,	"new data segments sent (retransmissions not counted)") \
	X(tcp_tx_tso_frames,	"TSO frames: several full segments handed to the port as one") \
	X(tcp_tx_full_segs,	"new data segments that carried a full MSS") \
	X(tcp_flush_held,	"short segments held back by Nagle, cork or SL_SEND_MORE") \
	X(prod_records,		"producer records drained into send queues") \
	X(prod_bytes,		"bytes those records carried") \
	X(prod_drop_closed,	"producer records dropped: their connection was gone or shut") \
	X(prod_drop_big,	"producer records larger than the send queues' mbufs: connection reset") \
	X(prod_stall,		"producer drains stopped for lack of mbufs (retried)") \
	X(prod_aborts,		"connections reset at a producer's request (sl_producer_abort)") \
	X(framing_msgs,		"messages delivered by deserializers") \
	X(framing_copied,	"messages spanning slices, copied once into an assembly buffer") \
	X(framing_sliced,	"messages spanning slices, delivered as slice lists") \
	X(framing_timeouts,	"messages not complete within msg-timeout-ms (slow senders)") \
	X(framing_errors,	"framing errors (bad or oversized messages, FIN inside one)") \
	X(framing_plugin_errors,"deserializers that broke their contract (connection aborted)") \
	X(framing_resyncs,	"framing errors recovered by resynchronising") \
	X(framing_asm_wait,	"messages delayed: no assembly buffer free") \
	X(framing_no_state,	"connections refused: no deserializer state free") \
	X(framing_holds,	"messages held by the application") \
	X(framing_hold_fail,	"holds refused (no ref left, too many slices/fields, copy held, closed)") \
	X(writer_aborted,	"messages withdrawn (encoder error, abort, or left open)") \
	X(fault_drop,		"fault injector: frames dropped") \
	X(fault_dup,		"fault injector: frames duplicated") \
	X(fault_reorder,	"fault injector: frames held back") \
	X(fault_corrupt,	"fault injector: frames with a flipped bit") \
	X(fault_truncate,	"fault injector: frames truncated") \
	X(fault_ce,		"fault injector: ECN-capable frames marked CE")

/** The counters of one worker (or a sum over workers). */
struct sl_stats {
#define SL_STATS_X_(name, desc) uint64_t name;
	SL_STATS_FIELDS(SL_STATS_X_)
#undef SL_STATS_X_
};

/** Number of counters in struct sl_stats. */
#define SL_STATS_COUNT (sizeof(struct sl_stats) / sizeof(uint64_t))

/**
 * Name of counter `i` (the field name, e.g. "ip_drop_cksum").
 *
 * @return
 *   The name, or NULL when i >= SL_STATS_COUNT.
 */
SL_EXPORT
const char *
sl_stats_name(unsigned int i);

/** One-line description of counter `i`, or NULL when out of range. */
SL_EXPORT
const char *
sl_stats_desc(unsigned int i);

/** Value of counter `i` of s (0 when out of range). */
SL_EXPORT
uint64_t
sl_stats_value(const struct sl_stats *s, unsigned int i);

/** Add every counter of src to dst. */
SL_EXPORT
void
sl_stats_add(struct sl_stats *dst, const struct sl_stats *src);

/**
 * Print the non-zero counters, one per line, "  name  value".
 *
 * @param all
 *   Print zero counters too.
 */
SL_EXPORT
void
sl_stats_print(FILE *f, const struct sl_stats *s, int all);

#ifdef __cplusplus
}
#endif

#endif /* SLUICE_STATS_H */
