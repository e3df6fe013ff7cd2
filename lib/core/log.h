/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_LOG_H
#define SL_LOG_H

/* Logging through rte_log under the "sluice" log type, so `--log-level=sluice:debug` on
 * the EAL command line controls it like any DPDK library. */

#include <rte_log.h>

extern int sl_logtype;

#define SL_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, sl_logtype, "sluice: " fmt "\n", ##__VA_ARGS__)

#endif /* SL_LOG_H */
