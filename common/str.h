/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Small string helpers shared by the configuration readers (the master's
 * Ceph configuration, tgtctl import of Linux tgt's targets.conf).
 */

#ifndef TGT_STR_H
#define TGT_STR_H

/* s without its leading and trailing white space (trailing cut in place). */
char	*str_trim(char *s);

#endif /* TGT_STR_H */
