/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the whole input path. Frames of every kind (raw, IPv4, TCP for open
 * connections, ARP), time and application calls, interleaved as the input says, into one
 * worker on a virtual clock (fuzz_stack.h); the mbuf pool must come back to its baseline
 * after every input.
 */

#include "fuzz_stack.h"
