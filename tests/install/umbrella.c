/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * umbrella -- a program that includes <sluice/sluice.h> and nothing else of sluice, and
 * takes the address of something declared in each public header. tests/install/
 * test_exports.sh builds it against the shared library and runs it: it compiles only if
 * the umbrella header brings in every public header, and links and loads only if
 * libsluice.so exports what they declare. A new public header gets a line here.
 */

#include <stdio.h>

#include <sluice/sluice.h>

#ifndef SL_EXPORT
#error "sluice/sluice.h does not include sluice/export.h"
#endif

/* Function pointers of different types, compared as the generic function pointer type
 * (exempt from -Wcast-function-type). */
typedef void (*umbrella_fn)(void);

static const struct {
	const char *header;
	umbrella_fn fn;
} uses[] = {
	{ "config.h", (umbrella_fn)sl_config_defaults },
	{ "conn.h", (umbrella_fn)sl_conn_listen_arg },
	{ "framing.h", (umbrella_fn)sl_cursor_avail },
	{ "http.h", (umbrella_fn)sl_http_init },
	{ "producer.h", (umbrella_fn)sl_producer_create },
	{ "resp.h", (umbrella_fn)sl_resp_init },
	{ "stack.h", (umbrella_fn)sl_stack_create },
	{ "stats.h", (umbrella_fn)sl_stats_name },
};

int
main(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(uses) / sizeof(uses[0]); i++) {
		if (uses[i].fn == NULL) {
			printf("umbrella: nothing of sluice/%s resolved\n", uses[i].header);
			return 1;
		}
	}
	/* An exported object, too (framing.h). */
	if (sl_ds_raw.name == NULL) {
		printf("umbrella: sl_ds_raw has no name\n");
		return 1;
	}
	printf("umbrella: %u public headers reached through sluice/sluice.h\n", i);
	return 0;
}
