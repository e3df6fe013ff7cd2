/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: ARP. Every step of the input is an ARP packet behind an Ethernet
 * broadcast header, into a worker with open connections (fuzz_stack.h): requests,
 * replies, claims of our own address, malformed lengths and types.
 */

#define FZ_OPS_FIXED FZ_ARP
#include "fuzz_stack.h"
