/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_FAULT_H
#define SL_FAULT_H

/* fault.c: a seeded fault injector between the port and the stack, one per direction:
 * drop, duplicate, reorder (hold a frame back, release it after later ones), flip a bit,
 * truncate, mark an ECN-capable frame CE (a congested router's ECN mark, RFC 3168). This
 * machine has no netem; the loss, reordering and ECN tests use this instead. The seed is
 * logged at start, so any failing run can be replayed exactly. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/config.h>

struct rte_mbuf;
struct sl_worker;

#define FAULT_HOLD_MAX 32

struct fault_dir {
	uint64_t rng;
	uint16_t nheld;
	struct rte_mbuf *held[FAULT_HOLD_MAX];
	uint64_t held_until[FAULT_HOLD_MAX];	/* release time */
	uint16_t held_after[FAULT_HOLD_MAX];	/* or after this many more frames */
};

struct fault {
	bool rx_on, tx_on;
	struct fault_dir rx, tx;
};

/* Does the configuration ask for any fault at all? */
static inline bool
fault_configured(const struct sl_fault_cfg *c)
{
	return (c->drop | c->dup | c->reorder | c->corrupt | c->truncate | c->ce) != 0;
}

/* Set up from the configuration; logs the seed when a fault is enabled. */
void
fault_init(struct sl_worker *w);

/* Free held frames. */
void
fault_fini(struct sl_worker *w);

/* Apply RX faults to a received burst. in[0..n) is consumed; the frames to process are
 * written to out (room for 2 * n + FAULT_HOLD_MAX). Returns their number. */
unsigned int
fault_rx(struct sl_worker *w, struct rte_mbuf **in, unsigned int n, struct rte_mbuf **out);

/* Apply TX faults to a frame on its way to the port; what survives is queued with
 * port_txq_add(). Consumes m. */
void
fault_tx(struct sl_worker *w, struct rte_mbuf *m);

/* Release held TX frames whose time has come (RX ones go out with the next burst). */
void
fault_tick(struct sl_worker *w);

/* The --fault option. */
int
fault_opt_parse(void *field, const char *value, char *err, size_t errlen);
void
fault_opt_format(const void *field, char *buf, size_t len);

#endif /* SL_FAULT_H */
