/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * tgtctl internals.
 *
 *	tgtctl.c	commands over the control socket, tables, JSON
 *	import.c	tgt-admin targets.conf to tgt.conf(5)
 *	cartridge.c	virtual tape cartridges in the media directory
 */

#ifndef TGTCTL_H
#define TGTCTL_H

#include <stdio.h>

/* tgtctl.c */
void	 json_string(FILE *, const char *);

/* import.c: print file as tgt.conf to out; 0, or 1 on errors. */
int	 import_file(const char *file, FILE *out);

/* cartridge.c: tgtctl cartridge create|list; 0, 1 on errors, -1 usage. */
int	 cartridge_cmd(int argc, char *argv[], int json);

/* disc.c: tgtctl disc create; 0, 1 on errors, -1 usage. */
int	 disc_cmd(int argc, char *argv[]);

#endif /* TGTCTL_H */

/* cartridge.c: "64M", "4G", "1T" or bytes into *out; 0 or -1 */
int	 parse_size(const char *, uint64_t *);
