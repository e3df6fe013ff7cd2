/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_FUZZ_COMMON_H
#define SL_FUZZ_COMMON_H

/*
 * The shared body of the libFuzzer targets. A target defines fuzz_framings(), which
 * fills the framings to fuzz (at most 8, static: they outlive the process's stack), and
 * includes this header once. Each input's first byte picks a framing; the rest goes to
 * slk_fuzz_one(), which runs it through the real driver whole and cut as the input's
 * next bytes say, and aborts (a crash for libFuzzer) when the two runs disagree, an
 * invariant breaks (a message outside the stream, fields outside the message, bytes
 * that are not the stream's) or an mbuf or framing buffer leaks. ASan and UBSan watch
 * the rest.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "framing_kit.h"
#include "harness.h"

#define FUZZ_MAX_FRAMINGS 8

struct fuzz_set {
	const struct sl_framing *fr[FUZZ_MAX_FRAMINGS];
	unsigned int flags[FUZZ_MAX_FRAMINGS];	/* SLK_F_* for each */
	unsigned int n;
};

/* Defined by the target. */
static void
fuzz_framings(struct fuzz_set *set);

static struct fuzz_set fuzz_set;
static struct slk_env *fuzz_env;

int
LLVMFuzzerInitialize(int *argc, char ***argv);
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* A failed check aborts (libFuzzer keeps the input) instead of exiting. */
	setenv("CMOCKA_TEST_ABORT", "1", 1);
	th_eal_init("sl-fuzz");
	fuzz_framings(&fuzz_set);
	if (fuzz_set.n == 0 || fuzz_set.n > FUZZ_MAX_FRAMINGS)
		abort();
	fuzz_env = slk_env_open(fuzz_set.fr, fuzz_set.n);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	unsigned int k;

	if (len == 0)
		return 0;
	k = data[0] % fuzz_set.n;
	slk_fuzz_one(fuzz_env, fuzz_set.fr[k], fuzz_set.flags[k], data + 1, len - 1);
	return 0;
}

#endif /* SL_FUZZ_COMMON_H */
