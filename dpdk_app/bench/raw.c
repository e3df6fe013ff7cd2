/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * raw.c -- the port's floors, with no stack.
 *
 * Packet rate: txonly sends --size-byte frames in bursts of 32 as fast as the port takes
 * them; rxonly counts and frees what arrives. Run one of each on the two ends of a link
 * (scripts/bench.sh does, on net_memif): the receiver's rate is what the link carries at
 * best, the ceiling for any stack's packet rate on it.
 *
 * Round trip: pingpong keeps one frame in flight, sends the next when it comes back and
 * records each round trip in the latency histogram; reflect sends back every frame it
 * receives, unchanged. The pair's rate is the ceiling for a depth-1 request/response on
 * the link (rr with one connection): two crossings and two polls, and nothing else.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "bench.h"

#define RAW_BURST	32
#define RAW_MBUFS	8191
#define RAW_DESC	1024

/* pingpong: a frame not back after this long is lost (an error); the next one goes. */
#define RAW_PINGPONG_TIMEOUT_NS	100000000ull

static uint16_t raw_port;
static struct rte_mbuf *raw_tmpl;
static uint64_t raw_count, raw_bytes, raw_errors;
static bool raw_measuring;
static struct hist *raw_lat;
static bool raw_inflight;
static uint64_t raw_sent_ns;

static int
raw_port_setup(struct rte_mempool **pool)
{
	struct rte_eth_conf conf;
	int rc;

	if (rte_eth_dev_count_avail() == 0) {
		fprintf(stderr, "sluice-bench: no port (give the EAL a --vdev)\n");
		return -ENODEV;
	}
	RTE_ETH_FOREACH_DEV(raw_port)
		break;
	*pool = rte_pktmbuf_pool_create("bench_raw", RAW_MBUFS, 256, 0,
					RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (*pool == NULL)
		return -ENOMEM;
	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_configure(raw_port, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(raw_port, 0, RAW_DESC, (unsigned int)rte_socket_id(),
					    NULL, *pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(raw_port, 0, RAW_DESC, (unsigned int)rte_socket_id(),
					    NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(raw_port);
	return rc;
}

/* One UDP-looking frame of `size` bytes, copied for every send. */
static int
raw_template(struct rte_mempool *pool, uint32_t size)
{
	struct rte_ether_hdr *eh;

	raw_tmpl = rte_pktmbuf_alloc(pool);
	if (raw_tmpl == NULL)
		return -ENOMEM;
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(raw_tmpl, (uint16_t)size);
	if (eh == NULL)
		return -EINVAL;
	memset(eh, 0x5a, size);
	memset(&eh->dst_addr, 0xff, sizeof(eh->dst_addr));
	eh->src_addr = (struct rte_ether_addr){ .addr_bytes = { 2, 0, 0, 0, 0x5a, 1 } };
	eh->ether_type = rte_cpu_to_be_16(0x88b5);	/* local experimental */
	return 0;
}

/* pingpong: send the next frame when none is in flight; take it back. */
static unsigned int
raw_pingpong(void)
{
	struct rte_mbuf *m[RAW_BURST];
	uint64_t now;
	uint16_t n, i;

	if (!raw_inflight) {
		struct rte_mbuf *f = rte_pktmbuf_copy(raw_tmpl, raw_tmpl->pool, 0, UINT32_MAX);

		if (f == NULL)
			return 0;
		raw_sent_ns = bench_now_ns();
		if (rte_eth_tx_burst(raw_port, 0, &f, 1) != 1) {
			rte_pktmbuf_free(f);
			return 0;
		}
		raw_inflight = true;
	}
	n = rte_eth_rx_burst(raw_port, 0, m, RAW_BURST);
	now = bench_now_ns();
	for (i = 0; i < n && raw_inflight; i++) {
		raw_inflight = false;
		raw_count++;
		raw_bytes += m[i]->pkt_len;
		if (raw_measuring)
			hist_add(raw_lat, now - raw_sent_ns);
	}
	rte_pktmbuf_free_bulk(m, n);
	if (raw_inflight && now - raw_sent_ns > RAW_PINGPONG_TIMEOUT_NS) {
		raw_errors++;
		raw_inflight = false;
	}
	return n;
}

/* reflect: every frame goes back as it came. */
static unsigned int
raw_reflect(void)
{
	struct rte_mbuf *m[RAW_BURST];
	uint16_t n, sent;

	n = rte_eth_rx_burst(raw_port, 0, m, RAW_BURST);
	if (n == 0)
		return 0;
	sent = rte_eth_tx_burst(raw_port, 0, m, n);
	if (sent < n) {
		raw_errors += n - sent;
		rte_pktmbuf_free_bulk(m + sent, n - sent);
	}
	raw_count += sent;
	return n;
}

static unsigned int
raw_poll(void *arg)
{
	const struct bench_opts *o = arg;
	struct rte_mbuf *m[RAW_BURST];
	uint16_t n, i;

	if (o->workload == WL_PINGPONG)
		return raw_pingpong();
	if (o->workload == WL_REFLECT)
		return raw_reflect();
	if (o->workload == WL_RXONLY) {
		n = rte_eth_rx_burst(raw_port, 0, m, RAW_BURST);
		for (i = 0; i < n; i++)
			raw_bytes += m[i]->pkt_len;
		rte_pktmbuf_free_bulk(m, n);
		raw_count += n;
		return n;
	}
	if (rte_pktmbuf_alloc_bulk(raw_tmpl->pool, m, RAW_BURST) != 0)
		return 0;
	for (i = 0; i < RAW_BURST; i++) {
		rte_memcpy(rte_pktmbuf_mtod(m[i], void *),
			   rte_pktmbuf_mtod(raw_tmpl, const void *), raw_tmpl->data_len);
		m[i]->data_len = raw_tmpl->data_len;
		m[i]->pkt_len = raw_tmpl->pkt_len;
	}
	n = rte_eth_tx_burst(raw_port, 0, m, RAW_BURST);
	if (n < RAW_BURST)
		rte_pktmbuf_free_bulk(m + n, RAW_BURST - n);
	raw_count += n;
	raw_bytes += (uint64_t)n * raw_tmpl->pkt_len;
	return n;
}

int
raw_run(const struct bench_opts *o, struct bench_result *r)
{
	struct rte_mempool *pool = NULL;
	uint64_t start, last, end, next, c0 = 0, b0 = 0, e0 = 0;
	bool measuring = false;
	int rc;

	rc = raw_port_setup(&pool);
	if (rc == 0 && (o->workload == WL_TXONLY || o->workload == WL_PINGPONG))
		rc = raw_template(pool, RTE_MAX(o->size, 60u));
	if (rc != 0) {
		fprintf(stderr, "sluice-bench: raw port setup: %s\n", strerror(-rc));
		goto out;
	}
	hist_init(&r->lat);
	raw_lat = &r->lat;
	start = last = bench_now_ns();
	end = start + (uint64_t)(o->duration_s ? o->duration_s : 10) * 1000000000ull +
	      (uint64_t)o->warmup_ms * 1000000ull;
	next = start + 1000000000ull;
	while (!bench_stop_requested()) {
		uint64_t now;
		unsigned int i;

		for (i = 0; i < 64; i++)
			raw_poll((void *)(uintptr_t)o);
		now = bench_now_ns();
		if (!measuring && now >= start + (uint64_t)o->warmup_ms * 1000000ull) {
			measuring = true;
			raw_measuring = true;
			c0 = raw_count;
			b0 = raw_bytes;
			e0 = raw_errors;
			last = now;
		}
		if (o->progress && now >= next) {
			printf("[%3.0fs] %s %.2f Mpps\n", (double)(now - start) / 1e9,
			       o->workload == WL_TXONLY ? "sent" :
			       o->workload == WL_PINGPONG ? "round trips" :
			       o->workload == WL_REFLECT ? "reflected" : "received",
			       (double)(raw_count - c0) / ((double)(now - last) / 1e9) / 1e6);
			fflush(stdout);
			next += 1000000000ull;
		}
		if (now >= end)
			break;
	}
	r->seconds = (double)(bench_now_ns() - last) / 1e9;
	r->ops = raw_count - c0;
	r->bytes = raw_bytes - b0;
	r->errors = raw_errors - e0;
out:
	if (raw_tmpl != NULL)
		rte_pktmbuf_free(raw_tmpl);
	rte_eth_dev_stop(raw_port);
	rte_eth_dev_close(raw_port);
	rte_mempool_free(pool);
	return rc;
}
