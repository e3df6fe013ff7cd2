/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SLUICE_EXPORT_H
#define SLUICE_EXPORT_H

/**
 * @file
 * SL_EXPORT: what the shared library exports.
 *
 * libsluice is compiled with -fvisibility=hidden, so a function or object is visible to
 * programs only when its declaration in a public header carries SL_EXPORT, and the
 * library's version map (lib/version.map) keeps every name outside sl_* local even if one
 * slipped through. The private modules (tcp_input, eth_input, arp_output, ...) therefore
 * never meet the same names in another library of the program (lwIP has them), and calls
 * between them bind inside the library instead of going through the PLT.
 *
 * Applications need nothing from this header: the attribute makes no difference to the
 * code that calls a function.
 */

/** Marks a public declaration as exported by libsluice (on its own line, before it). */
#define SL_EXPORT __attribute__((visibility("default")))

#endif /* SLUICE_EXPORT_H */
