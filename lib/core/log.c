/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * log.c -- the rte_log types of the stack's modules (core/log.h), registered when the
 * library is loaded, before rte_eal_init() parses --log-level: the EAL then applies the
 * levels it was given to them like to its own.
 */

#include "core/log.h"

#define SL_LOG_REGISTER_TYPE(m) RTE_LOG_REGISTER(sl_logtype_ ## m, sluice.m, INFO);
SL_LOG_MODULES(SL_LOG_REGISTER_TYPE)
