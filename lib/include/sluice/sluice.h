/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SLUICE_H
#define SLUICE_H

/**
 * @file
 * sluice: a kernel-bypass userspace TCP/IP stack on DPDK. Include this umbrella header to
 * get the whole public API; link with `pkg-config --libs sluice`.
 */

#include <sluice/config.h>
#include <sluice/conn.h>
#include <sluice/framing.h>
#include <sluice/producer.h>
#include <sluice/stack.h>
#include <sluice/stats.h>

#endif /* SLUICE_H */
