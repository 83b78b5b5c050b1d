/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Logging, in the style of OpenBSD daemons' log.c: to stderr in the
 * foreground (-d), to syslog otherwise.  Every line carries the process
 * role and instance ("tgt-portal[127.0.0.1:3260]").
 */

#ifndef TGT_LOG_H
#define TGT_LOG_H

#include <stdarg.h>

/* foreground: 1 = stderr, 0 = syslog.  verbose: 0 brief, 1+ debug. */
void	log_init(int foreground, int verbose, const char *role);
void	log_setrole(const char *role, const char *instance);
void	log_setverbose(int);
int	log_getverbose(void);

void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif /* TGT_LOG_H */
