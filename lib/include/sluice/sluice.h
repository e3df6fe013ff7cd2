/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SLUICE_H
#define SLUICE_H

/**
 * @file
 * sluice: a kernel-bypass userspace TCP/IP stack on DPDK. Include this umbrella header to
 * get the whole public API (every header of include/sluice/); link with
 * `pkg-config --libs sluice`. libsluice.so exports exactly the functions and objects these
 * headers declare (see sluice/export.h); tests/install/test_exports.sh checks both.
 */

#include <sluice/config.h>
#include <sluice/conn.h>
#include <sluice/export.h>
#include <sluice/framing.h>
#include <sluice/http.h>
#include <sluice/producer.h>
#include <sluice/resp.h>
#include <sluice/stack.h>
#include <sluice/stats.h>

#endif /* SLUICE_H */
