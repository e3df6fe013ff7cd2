/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_TCP_ISN_H
#define SL_TCP_ISN_H

/*
 * tcp_isn.c: the numbers a connection starts from, keyed with the worker's secrets:
 * initial sequence numbers (RFC 6528), timestamp offsets (RFC 7323 §5.4), and the SYN
 * cookies a listener answers with when its backlog is full. Called by tcp_in.c (passive
 * opens, cookies), tcp_out.c (the cookie SYN-ACK) and the active open.
 */

#include <stdbool.h>
#include <stdint.h>

struct flow_key;
struct sl_worker;
struct tcp_seg;

uint32_t
tcp_isn(struct sl_worker *w, const struct flow_key *k);

uint32_t
tcp_ts_offset(struct sl_worker *w, const struct flow_key *k);

/* The cookie for a SYN (our ISN in the SYN-ACK); *mss is the MSS it encodes. */
uint32_t
tcp_cookie_make(struct sl_worker *w, const struct tcp_seg *s, uint16_t *mss);

/* 0 when the ACK carries a valid cookie; *mss is the MSS it encoded. */
int
tcp_cookie_check(struct sl_worker *w, const struct tcp_seg *s, uint16_t *mss);

/* The TSval of a cookie SYN-ACK, carrying the SYN's window scale and SACK-permitted, and
 * whether we agreed to ECN (tcp_ecn_syn_ok). */
uint32_t
tcp_cookie_tsval(struct sl_worker *w, const struct tcp_seg *syn);

/* What tcp_cookie_tsval encoded, from the TSecr of the ACK. */
void
tcp_cookie_ts_decode(uint32_t tsecr, bool *sack, int *wscale, bool *ecn);

#endif /* SL_TCP_ISN_H */
