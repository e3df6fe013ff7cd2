/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * backend_kernel.c -- the same workload over the Linux kernel's TCP: non-blocking
 * sockets, TCP_NODELAY, one epoll set, one thread (busy-polling epoll with a zero
 * timeout, as the sluice side polls its port). --serve is the matching server: echo for
 * rr and crr, discard for stream.
 */

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

#define BK_EVENTS	256
#define BK_BUF		(256 * 1024)

struct bkernel {
	const struct bench_opts *o;
	struct bench_wl *wl;
	int ep;
	int fd[BENCH_MAX_CONNS];
	bool connecting[BENCH_MAX_CONNS];
	uint8_t buf[BK_BUF];
};

static struct bkernel bk;

static int
bk_nonblock(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void
bk_watch(int fd, uint32_t id, uint32_t events, int op)
{
	struct epoll_event ev = { .events = events, .data.u64 = id };

	epoll_ctl(bk.ep, op, fd, &ev);
}

/* ---- client transport ---- */

/* Bytes of a write the socket took only in part, sent before anything else. */
struct bk_pending {
	uint8_t *buf;
	uint32_t off, len, cap;
};

static struct bk_pending bk_pend[BENCH_MAX_CONNS];

static int
bk_pending_keep(struct bk_pending *p, const uint8_t *data, uint32_t len)
{
	if (p->cap < len) {
		uint8_t *b = realloc(p->buf, len);

		if (b == NULL)
			return -ENOMEM;
		p->buf = b;
		p->cap = len;
	}
	memcpy(p->buf, data, len);
	p->off = 0;
	p->len = len;
	return 0;
}

/* Send what is pending: true when nothing is left. */
static bool
bk_pending_flush(int fd, struct bk_pending *p)
{
	while (p->off < p->len) {
		ssize_t k = send(fd, p->buf + p->off, p->len - p->off, MSG_NOSIGNAL);

		if (k <= 0)
			return false;
		p->off += (uint32_t)k;
	}
	p->len = p->off = 0;
	return true;
}

/* Watch for room to write only while something waits for it (level-triggered). */
static bool bk_out[BENCH_MAX_CONNS];

static void
bk_want_out(uint32_t id, bool on)
{
	if (bk_out[id] == on)
		return;
	bk_out[id] = on;
	bk_watch(bk.fd[id], id, on ? EPOLLIN | EPOLLOUT : EPOLLIN, EPOLL_CTL_MOD);
}

static int
bk_send(void *be, uint32_t id, const uint8_t *data, uint32_t len)
{
	struct bk_pending *p = &bk_pend[id];
	ssize_t n;

	(void)be;
	if (bk.fd[id] < 0)
		return -ENOTCONN;
	if (!bk_pending_flush(bk.fd[id], p)) {
		bk_want_out(id, true);	/* EPOLLOUT calls bw_on_writable */
		return 0;
	}
	n = send(bk.fd[id], data, len, MSG_NOSIGNAL);
	if (n < 0) {
		if (errno != EAGAIN)
			return -errno;
		bk_want_out(id, true);
		return 0;
	}
	/* All or nothing, as the workload expects: the rest of a short write waits here
	 * and goes before the next one. */
	if ((uint32_t)n < len) {
		if (bk_pending_keep(p, data + n, len - (uint32_t)n) != 0)
			return -ENOMEM;
		bk_want_out(id, true);
	}
	return (int)len;
}

/* The first connection error is worth a line (the rest are counted). */
static void
bk_report(const char *what, int err)
{
	static bool said;

	if (said)
		return;
	said = true;
	fprintf(stderr, "sluice-bench: %s: %s (further errors are only counted)\n", what,
		strerror(err));
}

static void
bk_drop(uint32_t id, bool error)
{
	if (bk.fd[id] < 0)
		return;
	close(bk.fd[id]);
	bk.fd[id] = -1;
	bw_on_closed(bk.wl, id, error);
}

static void
bk_close(void *be, uint32_t id)
{
	(void)be;
	/* Half-close; the server's FIN (read() == 0) finishes it. */
	if (bk.fd[id] >= 0)
		shutdown(bk.fd[id], SHUT_WR);
}

static int
bk_connect(void *be, uint32_t id)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)(bk.o->port + id % bk.o->ports)),
				  .sin_addr.s_addr = bk.o->remote };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	(void)be;
	if (fd < 0)
		return -errno;
	bk_nonblock(fd);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 && errno != EINPROGRESS) {
		int e = errno;

		close(fd);
		return -e;
	}
	bk.fd[id] = fd;
	bk.connecting[id] = true;
	bk_out[id] = true;
	bk_watch(fd, id, EPOLLIN | EPOLLOUT, EPOLL_CTL_ADD);
	return 0;
}

static unsigned int
bk_poll(void *arg)
{
	struct epoll_event ev[BK_EVENTS];
	int i, n;

	(void)arg;
	n = epoll_wait(bk.ep, ev, BK_EVENTS, 0);
	for (i = 0; i < n; i++) {
		uint32_t id = (uint32_t)ev[i].data.u64;
		int fd = bk.fd[id];

		if (fd < 0)
			continue;
		if (bk.connecting[id] && (ev[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
			int err = 0;
			socklen_t l = sizeof(err);

			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l);
			if (err != 0) {
				bk_report("connect", err);
				bk_drop(id, true);
				continue;
			}
			bk.connecting[id] = false;
			bk_out[id] = true;
			bk_want_out(id, false);
			bw_on_open(bk.wl, id);
			continue;
		}
		/* One read per event (level-triggered): a connection whose server keeps
		 * answering must not keep this loop to itself. */
		if (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
			ssize_t k = recv(fd, bk.buf, sizeof(bk.buf), 0);

			if (k > 0)
				bw_on_data(bk.wl, id, (uint32_t)k);
			else if (k == 0)
				bk_drop(id, false);
			else if (errno != EAGAIN) {
				bk_report("receive", errno);
				bk_drop(id, true);
			}
		}
		if (bk.fd[id] >= 0 && (ev[i].events & EPOLLOUT) &&
		    bk_pending_flush(bk.fd[id], &bk_pend[id])) {
			bk_want_out(id, false);
			bw_on_writable(bk.wl, id);
		}
	}
	return n > 0 ? (unsigned int)n : 0;
}

int
backend_kernel_run(const struct bench_opts *o, struct bench_result *r)
{
	struct bench_io io = { bk_send, bk_close, bk_connect, &bk };
	struct bench_run run = { .o = o, .poll = bk_poll, .arg = &bk };
	uint32_t i;
	int rc;

	memset(&bk, 0, sizeof(bk));
	bk.o = o;
	for (i = 0; i < BENCH_MAX_CONNS; i++)
		bk.fd[i] = -1;
	if (o->remote == 0) {
		fprintf(stderr, "sluice-bench: --remote a.b.c.d is needed\n");
		return -EINVAL;
	}
	bk.ep = epoll_create1(0);
	if (bk.ep < 0)
		return -errno;
	bk.wl = bw_create(o, &io);
	if (bk.wl == NULL) {
		close(bk.ep);
		return -ENOMEM;
	}
	run.wl = bk.wl;
	rc = bench_run_loop(&run, r);
	for (i = 0; i < o->conns; i++)
		if (bk.fd[i] >= 0)
			close(bk.fd[i]);
	bw_free(bk.wl);
	close(bk.ep);
	for (i = 0; i < BENCH_MAX_CONNS; i++) {
		free(bk_pend[i].buf);
		bk_pend[i] = (struct bk_pending){ 0 };
	}
	return rc;
}

/* ---- the server ---- */

#define BK_SERVE_FDS 65536

static struct bk_pending bk_spend[BK_SERVE_FDS];

/* Read what fd has and echo it (or drop it). An echo the socket cannot take now waits
 * in the fd's pending buffer, and nothing more is read from fd until it has gone: the
 * client's own window then holds it back. */
static void
bk_serve_watch(int ep, int fd, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.fd = fd };

	epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
}

static void
bk_serve_fd(int ep, int fd, bool discard, uint8_t *buf, size_t size)
{
	struct bk_pending *p = fd < BK_SERVE_FDS ? &bk_spend[fd] : NULL;

	if (p == NULL) {
		close(fd);
		return;
	}
	if (p->len > 0) {
		if (!bk_pending_flush(fd, p))
			return;
		bk_serve_watch(ep, fd, EPOLLIN);
	}
	for (;;) {
		ssize_t k = recv(fd, buf, size, 0), w;

		if (k <= 0) {
			if (k == 0 || errno != EAGAIN) {
				p->len = p->off = 0;
				close(fd);
			}
			return;
		}
		if (discard)
			continue;
		w = send(fd, buf, (size_t)k, MSG_NOSIGNAL);
		if (w < 0)
			w = 0;
		if (w < k) {
			if (bk_pending_keep(p, buf + w, (uint32_t)(k - w)) != 0)
				close(fd);
			else
				bk_serve_watch(ep, fd, EPOLLOUT);
			return;
		}
	}
}

int
backend_kernel_serve(const struct bench_opts *o)
{
	static uint8_t buf[BK_BUF];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(o->port),
				  .sin_addr.s_addr = htonl(INADDR_ANY) };
	struct epoll_event ev[BK_EVENTS];
	uint64_t end = o->duration_s ? bench_now_ns() + o->duration_s * 1000000000ull :
		       UINT64_MAX;
	uint64_t accepted = 0;
	int one = 1, ls, ep;

	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0)
		return -errno;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(ls, 4096) != 0) {
		int e = errno;

		fprintf(stderr, "sluice-bench: cannot listen on port %u: %s\n", o->port,
			strerror(e));
		close(ls);
		return -e;
	}
	fcntl(ls, F_SETFL, fcntl(ls, F_GETFL) | O_NONBLOCK);
	ep = epoll_create1(0);
	ev[0] = (struct epoll_event){ .events = EPOLLIN, .data.fd = ls };
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev[0]);
	printf("sluice-bench: kernel server on port %u (%s)\n", o->port,
	       o->workload == WL_STREAM ? "discard" : "echo");
	fflush(stdout);
	while (!bench_stop_requested() && bench_now_ns() < end) {
		int i, n = epoll_wait(ep, ev, BK_EVENTS, 0);

		for (i = 0; i < n; i++) {
			int fd = ev[i].data.fd;

			if (fd == ls) {
				int c;

				while ((c = accept(ls, NULL, NULL)) >= 0) {
					struct epoll_event e = { .events = EPOLLIN, .data.fd = c };

					bk_nonblock(c);
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &e);
					accepted++;
				}
				continue;
			}
			bk_serve_fd(ep, fd, o->workload == WL_STREAM, buf, sizeof(buf));
		}
	}
	close(ep);
	close(ls);
	printf("sluice-bench: kernel server: %lu connections accepted\n",
	       (unsigned long)accepted);
	return 0;
}
