/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_LOG_H
#define SL_LOG_H

/*
 * Logging through rte_log, one log type per module of the stack, named "sluice.<module>"
 * (sluice.tcp, sluice.arp, ...), so that the EAL's `--log-level 'sluice.tcp:debug'` or
 * `--log-level 'sluice.*:debug'` sets them like any DPDK library's. Each type starts at
 * INFO.
 *
 * A .c file says which module it logs as before its first include:
 *
 *   #define SL_LOG_MODULE tcp
 *
 * and then writes SL_LOG(level, ...) as before; a file that says nothing logs as
 * sluice.core. SL_LOGM(module, level, ...) names the module explicitly (for inline
 * functions in headers, which are compiled into files of other modules).
 *
 * Messages that can fire once per packet (a dropped segment, a per-connection event
 * under load) use SL_LOG_RL: at most SL_LOG_RL_BURST messages per second per call site
 * and per thread, the rest counted and reported ("+N suppressed") with the next message
 * that call site prints. Both forms ask rte_log_can_log() first, so a disabled message
 * evaluates none of its arguments and formats nothing: debug messages cost one call and
 * two loads on the data path while their level is off.
 */

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_log.h>

/* The modules, one rte_log type each ("sluice." #name), in the order of the data path
 * (README "Logs"). core: the poll loop, workers, configuration, counters, telemetry,
 * steering, fault injection; port: the DPDK port, its queues, pools and packet capture;
 * eth, arp, ipv4, icmp: the network layers; tcp: flows, input, output, timers; framing:
 * the deserializer driver and built-in framings; api: the connection API, delivery,
 * writers and producers. */
#define SL_LOG_MODULES(X) \
	X(core) \
	X(port) \
	X(eth) \
	X(arp) \
	X(ipv4) \
	X(icmp) \
	X(tcp) \
	X(framing) \
	X(api)

#define SL_LOG_DECLARE_TYPE(m) extern int sl_logtype_ ## m;
SL_LOG_MODULES(SL_LOG_DECLARE_TYPE)
#undef SL_LOG_DECLARE_TYPE

#ifndef SL_LOG_MODULE
#define SL_LOG_MODULE core
#endif

/* The rte_log type of a module, and its name as a string literal (macro arguments are
 * expanded first, so SL_LOG_MODULE works as the argument). */
#define SL_LOG_PASTE_(a, b) a ## b
#define SL_LOG_PASTE(a, b) SL_LOG_PASTE_(a, b)
#define SL_LOGTYPE(m) SL_LOG_PASTE(sl_logtype_, m)
#define SL_LOGNAME(m) "sluice." RTE_STR(m)

/* Messages per second one call site prints on one thread (SL_LOG_RL). */
#define SL_LOG_RL_BURST 10

/* The state of one rate-limited call site on one thread. Zeroed is the start state. */
struct sl_log_rl {
	uint64_t window_start;	/* TSC at which the current one-second window opened */
	uint32_t printed;	/* messages printed in that window */
	uint64_t suppressed;	/* messages suppressed since the last one printed */
};

/*
 * May a rate-limited message print at TSC `now` (hz ticks per second)? true: print it,
 * and *suppressed says how many of this call site's messages were suppressed since the
 * last one printed (the caller reports them); false: it is counted as suppressed.
 */
static inline bool
sl_log_rl_allow(struct sl_log_rl *rl, uint64_t now, uint64_t hz, unsigned int burst,
		uint64_t *suppressed)
{
	if (rl->printed == 0 || now - rl->window_start >= hz) {
		rl->window_start = now;
		rl->printed = 0;
	}
	if (rl->printed >= burst) {
		rl->suppressed++;
		return false;
	}
	rl->printed++;
	*suppressed = rl->suppressed;
	rl->suppressed = 0;
	return true;
}

#define SL_LOGM(m, level, fmt, ...) do { \
	if (rte_log_can_log(SL_LOGTYPE(m), RTE_LOG_ ## level)) \
		rte_log(RTE_LOG_ ## level, SL_LOGTYPE(m), \
			SL_LOGNAME(m) ": " fmt "\n", ##__VA_ARGS__); \
} while (0)

/* The call site's state is thread-local: workers on other lcores have their own budget
 * and nothing is shared between them. */
#define SL_LOGM_RL(m, level, fmt, ...) do { \
	static __thread struct sl_log_rl sl_log_rl_; \
	uint64_t sl_log_sup_; \
	if (unlikely(rte_log_can_log(SL_LOGTYPE(m), RTE_LOG_ ## level)) && \
	    sl_log_rl_allow(&sl_log_rl_, rte_get_tsc_cycles(), rte_get_tsc_hz(), \
			    SL_LOG_RL_BURST, &sl_log_sup_)) { \
		if (sl_log_sup_ == 0) \
			rte_log(RTE_LOG_ ## level, SL_LOGTYPE(m), \
				SL_LOGNAME(m) ": " fmt "\n", ##__VA_ARGS__); \
		else \
			rte_log(RTE_LOG_ ## level, SL_LOGTYPE(m), \
				SL_LOGNAME(m) ": " fmt " (+%" PRIu64 " suppressed)\n", \
				##__VA_ARGS__, sl_log_sup_); \
	} \
} while (0)

#define SL_LOG(level, fmt, ...) SL_LOGM(SL_LOG_MODULE, level, fmt, ##__VA_ARGS__)
#define SL_LOG_RL(level, fmt, ...) SL_LOGM_RL(SL_LOG_MODULE, level, fmt, ##__VA_ARGS__)

/* An IPv4 address in network byte order (an lvalue) for "%u.%u.%u.%u". */
#define SL_IP4_FMT "%u.%u.%u.%u"
#define SL_IP4_ARGS(a) \
	((const uint8_t *)&(a))[0], ((const uint8_t *)&(a))[1], \
	((const uint8_t *)&(a))[2], ((const uint8_t *)&(a))[3]

#endif /* SL_LOG_H */
