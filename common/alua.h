/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Names of the asymmetric access states (ALUA_* of proto.h) as
 * tgt.conf(5) and tgtctl(8) spell them, shared by the master, the LUN
 * processes' logs and tgtctl.
 */

#ifndef TGT_ALUA_H
#define TGT_ALUA_H

/* "active-optimized"..., NULL for a code that is no state. */
const char	*alua_state_name(int);
/* The ALUA_* code of a name, or -1. */
int		 alua_state_parse(const char *);

#endif /* TGT_ALUA_H */
