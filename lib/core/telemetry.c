/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * telemetry.c -- the /sluice/... commands for rte_telemetry (read with dpdk-telemetry.py).
 *
 * DPDK 22.11 telemetry callbacks take no user argument and cannot be unregistered, so
 * this file holds the one piece of process-wide state in the library: the stack the
 * commands report on, behind a lock so that sl_stack_destroy() can detach it while the
 * telemetry thread may be reading.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_ethdev.h>
#include <rte_spinlock.h>
#include <rte_telemetry.h>

#include <sluice/stack.h>

#include "core/telemetry.h"
#include "api/wmark.h"
#include "core/worker.h"

static struct {
	rte_spinlock_t lock;
	struct sl_stack *stack;
	bool registered;
} tel = { .lock = RTE_SPINLOCK_INITIALIZER };

static void
tel_put_stats(struct rte_tel_data *d, const struct sl_stats *st)
{
	unsigned int i;

	rte_tel_data_start_dict(d);
	for (i = 0; i < SL_STATS_COUNT; i++)
		rte_tel_data_add_dict_u64(d, sl_stats_name(i), sl_stats_value(st, i));
}

static int
tel_stats(const char *cmd __rte_unused, const char *params __rte_unused,
	  struct rte_tel_data *d)
{
	struct sl_stats sum;
	int rc = -ENODEV;

	rte_spinlock_lock(&tel.lock);
	if (tel.stack != NULL) {
		sl_stack_stats(tel.stack, &sum);
		tel_put_stats(d, &sum);
		rc = 0;
	}
	rte_spinlock_unlock(&tel.lock);
	return rc;
}

static int
tel_worker_stats(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	unsigned long id;
	char *end;
	int rc = -EINVAL;

	if (params == NULL || *params == '\0')
		return -EINVAL;
	id = strtoul(params, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	rte_spinlock_lock(&tel.lock);
	if (tel.stack != NULL && id < tel.stack->nb_workers) {
		tel_put_stats(d, &tel.stack->workers[id]->stats);
		rc = 0;
	}
	rte_spinlock_unlock(&tel.lock);
	return rc;
}

/* The send path in ratios: how writes coalesced, how full the TX bursts were. */
static int
tel_send(const char *cmd __rte_unused, const char *params __rte_unused,
	 struct rte_tel_data *d)
{
	struct sl_stats st;
	int rc = -ENODEV;

	rte_spinlock_lock(&tel.lock);
	if (tel.stack != NULL) {
		sl_stack_stats(tel.stack, &st);
		rte_tel_data_start_dict(d);
		rte_tel_data_add_dict_u64(d, "app_writes", st.tcp_app_writes);
		rte_tel_data_add_dict_u64(d, "app_bytes", st.tcp_app_bytes);
		rte_tel_data_add_dict_u64(d, "data_segments", st.tcp_tx_data_segs);
		rte_tel_data_add_dict_u64(d, "full_segments", st.tcp_tx_full_segs);
		rte_tel_data_add_dict_u64(d, "retransmitted_segments", st.tcp_retransmit_segs);
		rte_tel_data_add_dict_u64(d, "tx_packets", st.tx_packets);
		rte_tel_data_add_dict_u64(d, "tx_bursts", st.tx_bursts);
		/* Ratios x 100, as integers (22.11 telemetry has no doubles in dicts). */
		rte_tel_data_add_dict_u64(d, "writes_per_segment_x100", st.tcp_tx_data_segs ?
					  st.tcp_app_writes * 100 / st.tcp_tx_data_segs : 0);
		rte_tel_data_add_dict_u64(d, "packets_per_burst_x100", st.tx_bursts ?
					  st.tx_packets * 100 / st.tx_bursts : 0);
		rc = 0;
	}
	rte_spinlock_unlock(&tel.lock);
	return rc;
}

/* One connection's send counters: "/sluice/conn,<worker>,<slot>" (the slot is
 * sl_conn_ref().idx). Read while the worker runs, so a snapshot, not a consistent one. */
static int
tel_conn(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	unsigned long wid, idx;
	char *end;
	int rc = -EINVAL;

	if (params == NULL)
		return -EINVAL;
	wid = strtoul(params, &end, 10);
	if (*end != ',')
		return -EINVAL;
	idx = strtoul(end + 1, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	rte_spinlock_lock(&tel.lock);
	if (tel.stack != NULL && wid < tel.stack->nb_workers &&
	    idx < tel.stack->workers[wid]->tcp.max_flows) {
		const struct sl_worker *w = tel.stack->workers[wid];
		const struct tcp_flow *f = w->tcp.by_idx[idx];

		rc = -ENOENT;
		if (f != NULL && f->w == w) {
			rte_tel_data_start_dict(d);
			rte_tel_data_add_dict_string(d, "state", sl_tcp_state_str(
							     (enum sl_tcp_state)f->state));
			rte_tel_data_add_dict_u64(d, "gen", f->gen & WM_GEN_MASK);
			rte_tel_data_add_dict_u64(d, "app_writes", f->app_writes);
			rte_tel_data_add_dict_u64(d, "app_bytes", f->app_bytes);
			rte_tel_data_add_dict_u64(d, "data_segments", f->data_segs);
			rte_tel_data_add_dict_u64(d, "retransmitted_segments", f->retransmits);
			rte_tel_data_add_dict_u64(d, "bytes_acked", f->bytes_acked);
			rte_tel_data_add_dict_u64(d, "queued", w->tcp.slots[idx].word & WM_QUEUED);
			rte_tel_data_add_dict_u64(d, "cwnd", f->cwnd);
			rte_tel_data_add_dict_u64(d, "snd_wnd", f->snd_wnd);
			rte_tel_data_add_dict_u64(d, "ssthresh", f->ssthresh);
			rte_tel_data_add_dict_string(d, "cc", f->cc->name);
			rte_tel_data_add_dict_u64(d, "recoveries", f->loss.recoveries);
			rte_tel_data_add_dict_u64(d, "rack_lost", f->loss.rack_lost);
			rte_tel_data_add_dict_u64(d, "tlp_sent", f->loss.tlp_sent);
			rte_tel_data_add_dict_u64(d, "undo", f->loss.undo);
			rte_tel_data_add_dict_u64(d, "rto", f->loss.rto);
			rte_tel_data_add_dict_u64(d, "ece_reductions", f->loss.ece_reductions);
			rte_tel_data_add_dict_u64(d, "dsack_rx", f->loss.dsack_rx);
			rc = 0;
		}
	}
	rte_spinlock_unlock(&tel.lock);
	return rc;
}

/* What the stack holds right now, summed over workers: connections (TIME-WAIT
 * included) and mbufs in use. Read from the telemetry thread while the workers run, so
 * each figure is a snapshot, good for watching growth (scripts/soak.sh). */
static void
tel_add_load(struct rte_tel_data *d, const struct sl_stack *s)
{
	uint64_t flows = 0, timewait = 0, in_use = 0;
	unsigned int i;

	for (i = 0; i < s->nb_workers; i++) {
		const struct sl_worker *w = s->workers[i];

		if (w == NULL)
			continue;
		flows += __atomic_load_n(&w->tcp.nflows, __ATOMIC_RELAXED);
		timewait += __atomic_load_n(&w->tcp.ntimewait, __ATOMIC_RELAXED);
		if (w->pool != NULL)
			in_use += rte_mempool_in_use_count(w->pool);
	}
	rte_tel_data_add_dict_u64(d, "flows", flows);
	rte_tel_data_add_dict_u64(d, "timewait", timewait);
	rte_tel_data_add_dict_u64(d, "mbufs_in_use", in_use);
}

static int
tel_info(const char *cmd __rte_unused, const char *params __rte_unused,
	 struct rte_tel_data *d)
{
	char buf[RTE_ETHER_ADDR_FMT_SIZE];
	struct sl_port_info info;
	int rc = -ENODEV;

	rte_spinlock_lock(&tel.lock);
	if (tel.stack != NULL) {
		const struct sl_config *cfg = &tel.stack->cfg;

		info = tel.stack->info;
		rte_tel_data_start_dict(d);
		rte_tel_data_add_dict_int(d, "port_id", info.port_id);
		rte_tel_data_add_dict_string(d, "driver", info.driver);
		rte_ether_format_addr(buf, sizeof(buf), &info.mac);
		rte_tel_data_add_dict_string(d, "mac", buf);
		rte_tel_data_add_dict_string(d, "ip", inet_ntop(AF_INET, &cfg->ip.addr, buf,
								sizeof(buf)));
		rte_tel_data_add_dict_int(d, "prefix_len", cfg->ip.len);
		rte_tel_data_add_dict_int(d, "mtu", info.mtu);
		rte_tel_data_add_dict_int(d, "workers", (int)tel.stack->nb_workers);
		rte_tel_data_add_dict_string(d, "steering",
					     tel.stack->nb_workers == 1 ? "one worker" :
					     info.rss_steering ? "rss" : "software handoff");
		rte_tel_data_add_dict_int(d, "tx_ip_csum_offload", info.tx_ip_csum);
		rte_tel_data_add_dict_int(d, "tx_tcp_csum_offload", info.tx_tcp_csum);
		rte_tel_data_add_dict_int(d, "rx_ip_csum_offload", info.rx_ip_csum);
		rte_tel_data_add_dict_int(d, "rx_tcp_csum_offload", info.rx_tcp_csum);
		rte_tel_data_add_dict_int(d, "capture", info.capture);
		tel_add_load(d, tel.stack);
		rc = 0;
	}
	rte_spinlock_unlock(&tel.lock);
	return rc;
}

int
sl_stack_telemetry_register(struct sl_stack *s)
{
	int rc = 0;

	rte_spinlock_lock(&tel.lock);
	if (!tel.registered) {
		rc = rte_telemetry_register_cmd("/sluice/stats", tel_stats,
				"Counters summed over workers. Takes no parameters");
		if (rc == 0)
			rc = rte_telemetry_register_cmd("/sluice/worker_stats", tel_worker_stats,
				"Counters of one worker. Parameters: int worker_id");
		if (rc == 0)
			rc = rte_telemetry_register_cmd("/sluice/send", tel_send,
				"Send path: writes, segments, coalescing. Takes no parameters");
		if (rc == 0)
			rc = rte_telemetry_register_cmd("/sluice/conn", tel_conn,
				"Send counters of one connection. Parameters: worker,slot");
		if (rc == 0)
			rc = rte_telemetry_register_cmd("/sluice/info", tel_info,
				"Port, addresses and offloads in use. Takes no parameters");
		tel.registered = rc == 0;
	}
	if (rc == 0)
		tel.stack = s;
	rte_spinlock_unlock(&tel.lock);
	return rc;
}

void
telemetry_detach(struct sl_stack *s)
{
	rte_spinlock_lock(&tel.lock);
	if (tel.stack == s)
		tel.stack = NULL;
	rte_spinlock_unlock(&tel.lock);
}
