/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * common/log.c for the fuzz harnesses: the daemons log every malformed
 * PDU, which would drown libFuzzer's own output, so logging goes nowhere
 * unless TGT_FUZZ_LOG is set.  fatal() aborts, so that libFuzzer reports
 * it as a crash.  Linking this file keeps log.o out of libcommon.a.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

static int	 log_on = -1;
static int	 log_verbose;

static void
vlog(const char *fmt, va_list ap)
{
	if (log_on == -1)
		log_on = getenv("TGT_FUZZ_LOG") != NULL;
	if (!log_on)
		return;
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
log_init(int foreground, int verbose, const char *role)
{
	log_verbose = verbose;
}

void
log_setrole(const char *role, const char *instance)
{
}

void
log_setverbose(int v)
{
	log_verbose = v;
}

int
log_getverbose(void)
{
	return (log_verbose);
}

#define LOGFN(name)				\
void						\
name(const char *fmt, ...)			\
{						\
	va_list	 ap;				\
						\
	va_start(ap, fmt);			\
	vlog(fmt, ap);				\
	va_end(ap);				\
}

LOGFN(log_warn)
LOGFN(log_warnx)
LOGFN(log_info)
LOGFN(log_debug)

void
fatal(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
