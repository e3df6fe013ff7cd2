/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SLUICE_H
#define SLUICE_H

/**
 * @file
 * sluice: a kernel-bypass userspace TCP/IP stack on DPDK. Include this umbrella header to
 * get the whole public API (every header of include/sluice/); link with
 * `pkg-config --libs sluice`. libsluice.so exports exactly the functions and objects these
 * headers declare (see sluice/export.h); tests/install/test_exports.sh checks both.
 *
 * Errors, one convention across every header (README "Using libsluice in your own
 * program" says the same):
 *
 *   - a function that returns int reports failure as a negative errno value (-EAGAIN,
 *     -EINVAL, ...) and success as 0, or as a count, index or offset >= 0 where its
 *     documentation says so (sl_cursor_memchr(), sl_http_header_find() return -ENOENT
 *     when there is nothing to find);
 *   - a function that returns a pointer returns NULL on failure and sets rte_errno to a
 *     positive errno value (sl_stack_create(), sl_worker_connect(),
 *     sl_conn_writer_begin(), sl_writer_reserve(), sl_conn_hold_msg(), ...): errno values
 *     cannot travel in a pointer;
 *   - a function that cannot fail returns void, or a value that needs no error (a count,
 *     a name);
 *   - values handed to the application are positive errno values where they are not a
 *     return code: on_error's err, struct sl_ds_result.err.
 *
 * Every errno a function can return is listed in its documentation.
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
