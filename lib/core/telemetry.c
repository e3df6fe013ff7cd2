/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * telemetry.c -- the /sluice/... commands for rte_telemetry (read with dpdk-telemetry.py).
 *
 * DPDK 22.11 telemetry callbacks take no user argument and cannot be unregistered, so
 * this file holds the one piece of process-wide state in the library: the stack the
 * commands report on, behind a lock so that sl_stack_destroy() can detach it while the
 * telemetry thread may be reading.
 *
 * Connections (/sluice/conns, /sluice/conn_info, /sluice/conn) are read from the
 * telemetry thread while their workers run: each is a snapshot, memory-safe and checked
 * against reuse of its slot, but not consistent across fields (tcp/flow_snap.h).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_spinlock.h>
#include <rte_telemetry.h>

#include <sluice/stack.h>

#include "core/telemetry.h"
#include "api/wmark.h"
#include "core/worker.h"
#include "tcp/flow_snap.h"

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

/* ---- connections ---- */

/* A reply must fit DPDK's telemetry output buffer (16 KiB in 22.11: MAX_OUTPUT_LEN in
 * lib/telemetry/telemetry.c, announced to clients as max_output_len), or the library
 * silently drops what does not fit; an array holds RTE_TEL_MAX_ARRAY_ENTRIES values, a
 * dict RTE_TEL_MAX_DICT_ENTRIES. /sluice/conns therefore counts the bytes of the JSON it
 * will produce and ends the page before it would overflow, and scans a bounded number of
 * slots per call, so a reply is bounded in size and time however many connections exist. */
#define TEL_OUTPUT_MAX		16384
#define TEL_OUTPUT_SLACK	256	/* the command name, braces, rounding */
#define TEL_CONNS_MAX		500	/* connections per page (< RTE_TEL_MAX_ARRAY_ENTRIES) */
#define TEL_CONNS_SCAN		65536	/* slots looked at per call */
_Static_assert(TEL_CONNS_MAX <= RTE_TEL_MAX_ARRAY_ENTRIES, "a page must fit a telemetry array");

/* The columns of /sluice/conns, in reply order: one array per column, entry i of each
 * describing connection i of the page. */
enum conn_col {
	COL_ID, COL_STATE, COL_LOCAL, COL_REMOTE, COL_SND_UNA, COL_SND_NXT, COL_RCV_NXT,
	COL_SND_WND, COL_SND_WSCALE, COL_RCV_WND, COL_RCV_WSCALE, COL_CWND, COL_SSTHRESH,
	COL_SRTT, COL_RTTVAR, COL_RTO, COL_RETRANS, COL_SEND_Q, COL_UNACKED, COL_RECV_Q,
	COL_OOO, COL_FRAMING, COL_FRAMING_STATE, COL_AGE, COL_IDLE, COL_MSS,
	COL_COUNT
};

static const struct {
	const char *name;
	bool str;
} conn_cols[COL_COUNT] = {
	[COL_ID] = { "id", true },		/* worker.slot.gen, for /sluice/conn_info */
	[COL_STATE] = { "state", true },
	[COL_LOCAL] = { "local", true },	/* address:port */
	[COL_REMOTE] = { "remote", true },
	[COL_SND_UNA] = { "snd_una", false },
	[COL_SND_NXT] = { "snd_nxt", false },
	[COL_RCV_NXT] = { "rcv_nxt", false },
	[COL_SND_WND] = { "snd_wnd", false },	/* bytes, scaled */
	[COL_SND_WSCALE] = { "snd_wscale", false },
	[COL_RCV_WND] = { "rcv_wnd", false },
	[COL_RCV_WSCALE] = { "rcv_wscale", false },
	[COL_CWND] = { "cwnd", false },		/* bytes */
	[COL_SSTHRESH] = { "ssthresh", false },
	[COL_SRTT] = { "srtt_us", false },
	[COL_RTTVAR] = { "rttvar_us", false },
	[COL_RTO] = { "rto_us", false },
	[COL_RETRANS] = { "retrans", false },	/* segments retransmitted */
	[COL_SEND_Q] = { "send_q", false },	/* bytes queued to send, unacked included */
	[COL_UNACKED] = { "unacked", false },
	[COL_RECV_Q] = { "recv_q", false },	/* in-order bytes waiting for delivery */
	[COL_OOO] = { "ooo", false },		/* out-of-order bytes held */
	[COL_FRAMING] = { "framing", true },	/* deserializer */
	[COL_FRAMING_STATE] = { "framing_state", true },
	[COL_AGE] = { "age_ms", false },
	[COL_IDLE] = { "idle_ms", false },	/* since the last segment accepted */
	[COL_MSS] = { "mss", false },
};
_Static_assert(COL_COUNT + 4 <= RTE_TEL_MAX_DICT_ENTRIES, "columns and counts fit a dict");

/* What /sluice/conns and /sluice/conn_info take. */
struct conn_query {
	uint64_t cursor;
	uint32_t count;
	uint32_t states;		/* bit per enum sl_tcp_state; 0: any */
	uint32_t lport, rport, port;	/* 0: any */
	int worker;			/* -1: any */
};

static unsigned int
tel_digits(uint64_t v)
{
	unsigned int n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/* A state by name, as sl_tcp_state_str() prints it; any case, '_' for '-'. */
static int
tel_state_parse(const char *name, size_t len)
{
	unsigned int st;
	size_t i;

	for (st = SL_TCP_CLOSED; st <= SL_TCP_TIME_WAIT; st++) {
		const char *want = sl_tcp_state_str((enum sl_tcp_state)st);

		if (strlen(want) != len)
			continue;
		for (i = 0; i < len; i++) {
			char c = name[i] == '_' ? '-' : name[i];

			if ((c | 0x20) != (want[i] | 0x20))
				break;
		}
		if (i == len)
			return (int)st;
	}
	return -1;
}

static int
tel_u32_parse(const char *v, uint32_t max, uint32_t *out)
{
	unsigned long x;
	char *end;

	if (*v < '0' || *v > '9')
		return -EINVAL;
	errno = 0;
	x = strtoul(v, &end, 10);
	if (*end != '\0' || errno != 0 || x > max)
		return -EINVAL;
	*out = (uint32_t)x;
	return 0;
}

/* "cursor[,count][,key=value...]": keys lport, rport, port (either side), worker, and
 * state (names joined by '|'). Anything else is -EINVAL. */
static int
tel_conns_parse(const char *params, struct conn_query *q)
{
	char buf[512], *tok, *save = NULL;
	unsigned int bare = 0;
	uint32_t v;

	memset(q, 0, sizeof(*q));
	q->worker = -1;
	q->count = TEL_CONNS_MAX;
	if (params == NULL || *params == '\0')
		return 0;
	if (strlen(params) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, params);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		if (eq == NULL) {
			char *end;

			if (*tok < '0' || *tok > '9')
				return -EINVAL;
			errno = 0;
			if (bare == 0) {
				q->cursor = strtoull(tok, &end, 10);
			} else if (bare == 1) {
				unsigned long c = strtoul(tok, &end, 10);

				if (c == 0)
					return -EINVAL;
				q->count = (uint32_t)RTE_MIN(c, (unsigned long)TEL_CONNS_MAX);
			} else {
				return -EINVAL;
			}
			if (*end != '\0' || errno != 0)
				return -EINVAL;
			bare++;
			continue;
		}
		*eq++ = '\0';
		if (strcmp(tok, "state") == 0) {
			const char *p = eq;

			for (;;) {
				size_t len = strcspn(p, "|");
				int st = tel_state_parse(p, len);

				if (st < 0)
					return -EINVAL;
				q->states |= 1u << st;
				if (p[len] == '\0')
					break;
				p += len + 1;
			}
		} else if (strcmp(tok, "lport") == 0) {
			if (tel_u32_parse(eq, 65535, &q->lport) != 0)
				return -EINVAL;
		} else if (strcmp(tok, "rport") == 0) {
			if (tel_u32_parse(eq, 65535, &q->rport) != 0)
				return -EINVAL;
		} else if (strcmp(tok, "port") == 0) {
			if (tel_u32_parse(eq, 65535, &q->port) != 0)
				return -EINVAL;
		} else if (strcmp(tok, "worker") == 0) {
			if (tel_u32_parse(eq, RTE_MAX_LCORE, &v) != 0)
				return -EINVAL;
			q->worker = (int)v;
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

static bool
tel_conn_match(const struct conn_query *q, const struct flow_snap *s)
{
	if (q->states != 0 && !(q->states & (1u << s->state)))
		return false;
	if (q->lport != 0 && s->lport != q->lport)
		return false;
	if (q->rport != 0 && s->rport != q->rport)
		return false;
	if (q->port != 0 && s->lport != q->port && s->rport != q->port)
		return false;
	return true;
}

static void
tel_addr_port(char *buf, size_t len, rte_be32_t addr, uint16_t port)
{
	char a[INET_ADDRSTRLEN];

	if (inet_ntop(AF_INET, &addr, a, sizeof(a)) == NULL)
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s:%u", a, port);
}

/* Column col of a connection: a string in buf (returns true) or a number in *v. */
static bool
tel_conn_col(const struct flow_snap *s, enum conn_col col, char *buf, size_t len,
	     uint64_t *v)
{
	switch (col) {
	case COL_ID:
		snprintf(buf, len, "%u.%u.%u", s->worker, s->idx, s->gen);
		return true;
	case COL_STATE:
		snprintf(buf, len, "%s", sl_tcp_state_str((enum sl_tcp_state)s->state));
		return true;
	case COL_LOCAL:
		tel_addr_port(buf, len, s->laddr, s->lport);
		return true;
	case COL_REMOTE:
		tel_addr_port(buf, len, s->raddr, s->rport);
		return true;
	case COL_FRAMING:
		snprintf(buf, len, "%s", s->framing);
		return true;
	case COL_FRAMING_STATE:
		snprintf(buf, len, "%s", s->framing_state);
		return true;
	case COL_SND_UNA: *v = s->snd_una; break;
	case COL_SND_NXT: *v = s->snd_nxt; break;
	case COL_RCV_NXT: *v = s->rcv_nxt; break;
	case COL_SND_WND: *v = s->snd_wnd; break;
	case COL_SND_WSCALE: *v = s->snd_ws; break;
	case COL_RCV_WND: *v = s->rcv_wnd; break;
	case COL_RCV_WSCALE: *v = s->rcv_ws; break;
	case COL_CWND: *v = s->cwnd; break;
	case COL_SSTHRESH: *v = s->ssthresh; break;
	case COL_SRTT: *v = s->srtt_us; break;
	case COL_RTTVAR: *v = s->rttvar_us; break;
	case COL_RTO: *v = s->rto_us; break;
	case COL_RETRANS: *v = s->retransmits; break;
	case COL_SEND_Q: *v = s->send_q; break;
	case COL_UNACKED: *v = s->unacked; break;
	case COL_RECV_Q: *v = s->recv_q; break;
	case COL_OOO: *v = s->ooo_bytes; break;
	case COL_AGE: *v = s->age_us / 1000; break;
	case COL_IDLE: *v = s->idle_us / 1000; break;
	case COL_MSS: *v = s->mss; break;
	case COL_COUNT: *v = 0; break;
	}
	return false;
}

#define TEL_COL_LEN 48	/* longest string column: "255.255.255.255:65535", an id */

/* Bytes connection s adds to the reply, in all and to each column's array: its value
 * and a comma (strings quoted; none needs escaping). */
static size_t
tel_conn_json_size(const struct flow_snap *s, size_t col[COL_COUNT])
{
	char buf[TEL_COL_LEN];
	size_t n = 0;
	uint64_t v;
	unsigned int c;

	for (c = 0; c < COL_COUNT; c++) {
		col[c] = tel_conn_col(s, c, buf, sizeof(buf), &v) ? strlen(buf) + 3 :
			 tel_digits(v) + 1;
		n += col[c];
	}
	return n;
}

/* Whether connection s still fits the page: the reply within TEL_OUTPUT_MAX, and each
 * column's array within RTE_TEL_MAX_SINGLE_STRING_LEN, a margin against JSON helpers
 * that format one value through a bounded buffer (some DPDK releases drop a longer one;
 * with 26 columns to share 16 KiB no array comes near it). */
static bool
tel_conn_fits(const struct flow_snap *s, size_t *used, size_t col_used[COL_COUNT])
{
	size_t col[COL_COUNT], n;
	unsigned int c;

	n = tel_conn_json_size(s, col);
	if (*used + n > TEL_OUTPUT_MAX)
		return false;
	for (c = 0; c < COL_COUNT; c++)
		if (col_used[c] + col[c] > RTE_TEL_MAX_SINGLE_STRING_LEN - TEL_OUTPUT_SLACK)
			return false;
	*used += n;
	for (c = 0; c < COL_COUNT; c++)
		col_used[c] += col[c];
	return true;
}

/* "/sluice/conns[,cursor[,count]][,key=value...]": a page of connections, columns as
 * arrays. The scan goes through every worker's slots in order; "next" is the cursor of
 * the next page, 0 once the scan is complete (Redis SCAN's convention). */
static int
tel_conns(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct rte_tel_data *cols[COL_COUNT] = { NULL };
	size_t col_used[COL_COUNT] = { 0 };
	char buf[TEL_COL_LEN];
	struct conn_query q;
	struct flow_snap snap;
	uint64_t pos, end, per, total = 0, v;
	size_t used;
	uint32_t n = 0, scanned = 0, changed = 0;
	unsigned int c, i;
	int rc;

	rc = tel_conns_parse(params, &q);
	if (rc != 0)
		return rc;
	for (c = 0; c < COL_COUNT; c++) {
		cols[c] = rte_tel_data_alloc();
		if (cols[c] == NULL) {
			while (c-- > 0)
				rte_tel_data_free(cols[c]);
			return -ENOMEM;
		}
		rte_tel_data_start_array(cols[c], conn_cols[c].str ? RTE_TEL_STRING_VAL :
					 RTE_TEL_U64_VAL);
	}
	/* {"<cmd>":{"total":N,"next":N,"count":N,"changed":N,"<col>":[...],...}} */
	used = strlen(cmd) + TEL_OUTPUT_SLACK + 4 * (12 + 20);
	for (c = 0; c < COL_COUNT; c++)
		used += strlen(conn_cols[c].name) + 6;

	rte_spinlock_lock(&tel.lock);
	if (tel.stack == NULL) {
		rte_spinlock_unlock(&tel.lock);
		for (c = 0; c < COL_COUNT; c++)
			rte_tel_data_free(cols[c]);
		return -ENODEV;
	}
	per = tel.stack->workers[0]->tcp.max_flows;
	for (i = 0; i < tel.stack->nb_workers; i++)
		total += __atomic_load_n(&tel.stack->workers[i]->tcp.nflows, __ATOMIC_RELAXED);
	end = per * tel.stack->nb_workers;
	pos = q.cursor;
	if (q.worker >= 0) {
		if ((unsigned int)q.worker >= tel.stack->nb_workers)
			end = 0;
		else
			end = per * ((unsigned int)q.worker + 1);
		pos = RTE_MAX(pos, per * (unsigned int)q.worker);
	}
	for (; pos < end && n < q.count && scanned < TEL_CONNS_SCAN; pos++, scanned++) {
		const struct sl_worker *w = tel.stack->workers[pos / per];

		rc = flow_snap_read(w, (uint32_t)(pos % per), &snap);
		if (rc == -EAGAIN)
			changed++;
		if (rc != 0 || !tel_conn_match(&q, &snap))
			continue;
		if (!tel_conn_fits(&snap, &used, col_used))
			break;		/* it starts the next page */
		for (c = 0; c < COL_COUNT; c++) {
			if (tel_conn_col(&snap, c, buf, sizeof(buf), &v))
				rte_tel_data_add_array_string(cols[c], buf);
			else
				rte_tel_data_add_array_u64(cols[c], v);
		}
		n++;
	}
	rte_spinlock_unlock(&tel.lock);

	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "total", total);	/* connections now, every state */
	rte_tel_data_add_dict_u64(d, "next", pos < end ? pos : 0);
	rte_tel_data_add_dict_u64(d, "count", n);
	/* Connections skipped because they closed or their slot was reused mid-read. */
	rte_tel_data_add_dict_u64(d, "changed", changed);
	for (c = 0; c < COL_COUNT; c++)
		rte_tel_data_add_dict_container(d, conn_cols[c].name, cols[c], 0);
	return 0;
}

/* "worker.slot.gen" (or with '_' or ':' between): 0 or -EINVAL. */
static int
tel_conn_id_parse(const char *p, uint32_t *wid, uint32_t *idx, uint32_t *gen)
{
	unsigned long x[3];
	unsigned int i;
	char *end;

	if (p == NULL)
		return -EINVAL;
	for (i = 0; i < 3; i++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		errno = 0;
		x[i] = strtoul(p, &end, 10);
		if (errno != 0 || x[i] > UINT32_MAX)
			return -EINVAL;
		if (i < 2 && *end != '.' && *end != '_' && *end != ':')
			return -EINVAL;
		p = end + 1;
	}
	if (*end != '\0')
		return -EINVAL;
	*wid = (uint32_t)x[0];
	*idx = (uint32_t)x[1];
	*gen = (uint32_t)x[2];
	return 0;
}

/* The snapshot of a connection, under the lock: 0, -ENODEV, -ENOENT. gen < 0: any. */
static int
tel_conn_snap(uint32_t wid, uint32_t idx, int64_t gen, struct flow_snap *s)
{
	int rc = -ENODEV;

	rte_spinlock_lock(&tel.lock);
	if (tel.stack != NULL) {
		rc = -ENOENT;
		if (wid < tel.stack->nb_workers &&
		    flow_snap_read(tel.stack->workers[wid], idx, s) == 0 &&
		    (gen < 0 || s->gen == (uint32_t)gen))
			rc = 0;
	}
	rte_spinlock_unlock(&tel.lock);
	return rc;
}

static void
tel_put_loss(struct rte_tel_data *d, const struct tcp_loss_counts *l)
{
	rte_tel_data_add_dict_u64(d, "recoveries", l->recoveries);
	rte_tel_data_add_dict_u64(d, "rack_lost", l->rack_lost);
	rte_tel_data_add_dict_u64(d, "tlp_sent", l->tlp_sent);
	rte_tel_data_add_dict_u64(d, "undo", l->undo);
	rte_tel_data_add_dict_u64(d, "rto", l->rto);
	rte_tel_data_add_dict_u64(d, "ece_reductions", l->ece_reductions);
	rte_tel_data_add_dict_u64(d, "dsack_rx", l->dsack_rx);
}

/* "/sluice/conn_info,<worker.slot.gen>": everything /sluice/conns shows and the rest:
 * options, timers, water marks, loss recovery. */
static int
tel_conn_info(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	static const char *const flush_names[] = { "iteration", "nagle", "cork" };
	char buf[TEL_COL_LEN];
	struct flow_snap s;
	uint32_t wid, idx, gen;
	uint64_t v;
	unsigned int c;
	int rc;

	rc = tel_conn_id_parse(params, &wid, &idx, &gen);
	if (rc != 0)
		return rc;
	rc = tel_conn_snap(wid, idx, gen, &s);
	if (rc != 0)
		return rc;
	rte_tel_data_start_dict(d);
	for (c = 0; c < COL_COUNT; c++) {
		if (tel_conn_col(&s, c, buf, sizeof(buf), &v))
			rte_tel_data_add_dict_string(d, conn_cols[c].name, buf);
		else
			rte_tel_data_add_dict_u64(d, conn_cols[c].name, v);
	}
	rte_tel_data_add_dict_u64(d, "worker", s.worker);
	rte_tel_data_add_dict_u64(d, "slot", s.idx);
	rte_tel_data_add_dict_u64(d, "gen", s.gen);
	rte_tel_data_add_dict_u64(d, "snd_max", s.snd_max);
	rte_tel_data_add_dict_u64(d, "iss", s.iss);
	rte_tel_data_add_dict_u64(d, "irs", s.irs);
	rte_tel_data_add_dict_u64(d, "max_snd_wnd", s.max_snd_wnd);
	rte_tel_data_add_dict_u64(d, "rcv_buf", s.rcv_buf);
	rte_tel_data_add_dict_u64(d, "rcv_mss", s.rcv_mss);
	rte_tel_data_add_dict_u64(d, "peer_mss", s.peer_mss);
	rte_tel_data_add_dict_u64(d, "min_rtt_us", s.min_rtt_us);
	rte_tel_data_add_dict_u64(d, "backoff", s.backoff);
	rte_tel_data_add_dict_u64(d, "timeouts_in_a_row", s.nrtx);
	rte_tel_data_add_dict_u64(d, "dupacks", s.dupacks);
	rte_tel_data_add_dict_u64(d, "unsent", s.unsent);
	rte_tel_data_add_dict_u64(d, "queued", s.queued);
	rte_tel_data_add_dict_u64(d, "sndbuf_low", s.sndbuf_low);
	rte_tel_data_add_dict_u64(d, "sndbuf_high", s.sndbuf_high);
	rte_tel_data_add_dict_u64(d, "sndbuf_max", s.sndbuf_max);
	rte_tel_data_add_dict_u64(d, "ooo_segments", s.ooo_segs);
	rte_tel_data_add_dict_u64(d, "rx_held", s.rx_held);
	rte_tel_data_add_dict_u64(d, "framing_need", s.framing_need);
	rte_tel_data_add_dict_u64(d, "bytes_acked", s.bytes_acked);
	rte_tel_data_add_dict_u64(d, "bytes_received", s.bytes_rcvd);
	rte_tel_data_add_dict_u64(d, "app_writes", s.app_writes);
	rte_tel_data_add_dict_u64(d, "app_bytes", s.app_bytes);
	rte_tel_data_add_dict_u64(d, "data_segments", s.data_segs);
	rte_tel_data_add_dict_string(d, "cc", s.cc);
	rte_tel_data_add_dict_string(d, "flush", s.flush < RTE_DIM(flush_names) ?
				     flush_names[s.flush] : "?");
	rte_tel_data_add_dict_int(d, "ts", s.ts);
	rte_tel_data_add_dict_int(d, "sack", s.sack);
	rte_tel_data_add_dict_int(d, "wscale", s.wscale);
	rte_tel_data_add_dict_int(d, "ecn", s.ecn);
	rte_tel_data_add_dict_int(d, "in_recovery", s.recovery);
	rte_tel_data_add_dict_int(d, "persist", s.persist);
	rte_tel_data_add_dict_int(d, "keepalive", s.keepalive);
	rte_tel_data_add_dict_int(d, "keepalive_probes_out", s.ka_sent);
	rte_tel_data_add_dict_u64(d, "sack_scoreboard_records", s.sacked_recs);
	/* Timers, microseconds from now (0: not running). */
	rte_tel_data_add_dict_u64(d, "rtx_timer_us", s.rtx_in_us);
	rte_tel_data_add_dict_u64(d, "delack_timer_us", s.delack_in_us);
	rte_tel_data_add_dict_u64(d, "keepalive_timer_us", s.ka_in_us);
	rte_tel_data_add_dict_u64(d, "close_timer_us", s.tw_in_us);
	rte_tel_data_add_dict_u64(d, "age_us", s.age_us);
	rte_tel_data_add_dict_u64(d, "idle_us", s.idle_us);
	tel_put_loss(d, &s.loss);
	return 0;
}

/* One connection's send counters: "/sluice/conn,<worker>,<slot>" (the slot is
 * sl_conn_ref().idx), whatever its generation; /sluice/conn_info has the rest. */
static int
tel_conn(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	char id[TEL_COL_LEN];
	struct flow_snap s;
	unsigned long wid, idx;
	char *end;
	int rc;

	if (params == NULL)
		return -EINVAL;
	wid = strtoul(params, &end, 10);
	if (*end != ',')
		return -EINVAL;
	idx = strtoul(end + 1, &end, 10);
	if (*end != '\0' || wid > UINT32_MAX || idx > UINT32_MAX)
		return -EINVAL;
	rc = tel_conn_snap((uint32_t)wid, (uint32_t)idx, -1, &s);
	if (rc != 0)
		return rc;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "state", sl_tcp_state_str((enum sl_tcp_state)s.state));
	rte_tel_data_add_dict_u64(d, "gen", s.gen & WM_GEN_MASK);
	snprintf(id, sizeof(id), "%u.%u.%u", s.worker, s.idx, s.gen);
	rte_tel_data_add_dict_string(d, "id", id);
	rte_tel_data_add_dict_u64(d, "app_writes", s.app_writes);
	rte_tel_data_add_dict_u64(d, "app_bytes", s.app_bytes);
	rte_tel_data_add_dict_u64(d, "data_segments", s.data_segs);
	rte_tel_data_add_dict_u64(d, "retransmitted_segments", s.retransmits);
	rte_tel_data_add_dict_u64(d, "bytes_acked", s.bytes_acked);
	rte_tel_data_add_dict_u64(d, "queued", s.queued);
	rte_tel_data_add_dict_u64(d, "cwnd", s.cwnd);
	rte_tel_data_add_dict_u64(d, "snd_wnd", s.snd_wnd);
	rte_tel_data_add_dict_u64(d, "ssthresh", s.ssthresh);
	rte_tel_data_add_dict_string(d, "cc", s.cc);
	tel_put_loss(d, &s.loss);
	return 0;
}

/* What the stack holds right now, summed over workers: connections (TIME-WAIT
 * included) and mbufs in use. Read from the telemetry thread while the workers run, so
 * each figure is a snapshot, good for watching growth (scripts/soak.sh). Also the lowest
 * free count any worker's pool was seen at (at the start of a poll iteration, since
 * start) and the reserve of that worker's pool (tcp_mem.h): the closest the stack came
 * to running dry. */
static void
tel_add_load(struct rte_tel_data *d, const struct sl_stack *s)
{
	uint64_t flows = 0, timewait = 0, in_use = 0, free_min = UINT64_MAX, reserve = 0;
	unsigned int i;

	for (i = 0; i < s->nb_workers; i++) {
		const struct sl_worker *w = s->workers[i];
		uint32_t m;

		if (w == NULL)
			continue;
		flows += __atomic_load_n(&w->tcp.nflows, __ATOMIC_RELAXED);
		timewait += __atomic_load_n(&w->tcp.ntimewait, __ATOMIC_RELAXED);
		if (w->pool != NULL)
			in_use += rte_mempool_in_use_count(w->pool);
		m = __atomic_load_n(&w->tcp.mem_free_min, __ATOMIC_RELAXED);
		if (m < free_min) {
			free_min = m;
			reserve = w->tcp.mem_reserve;
		}
	}
	rte_tel_data_add_dict_u64(d, "flows", flows);
	rte_tel_data_add_dict_u64(d, "timewait", timewait);
	rte_tel_data_add_dict_u64(d, "mbufs_in_use", in_use);
	if (free_min != UINT64_MAX) {
		rte_tel_data_add_dict_u64(d, "mbufs_free_min", free_min);
		rte_tel_data_add_dict_u64(d, "mbufs_reserve", reserve);
	}
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
			rc = rte_telemetry_register_cmd("/sluice/conns", tel_conns,
				"Connections, paged. Params: cursor[,count][,key=value...]");
		if (rc == 0)
			rc = rte_telemetry_register_cmd("/sluice/conn_info", tel_conn_info,
				"One connection in full. Parameters: id (worker.slot.gen)");
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
