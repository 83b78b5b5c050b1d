/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * tgtctl internals.
 *
 *	tgtctl.c	commands over the control socket, tables, JSON
 *	import.c	tgt-admin targets.conf to tgt.conf(5)
 */

#ifndef TGTCTL_H
#define TGTCTL_H

#include <stdio.h>

/* tgtctl.c */
void	 json_string(FILE *, const char *);

/* import.c: print file as tgt.conf to out; 0, or 1 on errors. */
int	 import_file(const char *file, FILE *out);

#endif /* TGTCTL_H */
