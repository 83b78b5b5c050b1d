/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Logging to stderr (foreground) or syslog, see log.h.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static int	 log_foreground = 1;
static int	 log_verbose;
static char	 log_role[64] = "tgt";
static char	 log_instance[128];

static void	 vlog(int, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));
static void	 vlog_errno(int, int, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));

void
log_init(int foreground, int verbose, const char *role)
{
	log_foreground = foreground;
	log_verbose = verbose;
	if (role != NULL)
		strlcpy(log_role, role, sizeof(log_role));
	if (!log_foreground)
		openlog(log_role, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	tzset();
}

void
log_setrole(const char *role, const char *instance)
{
	if (instance != NULL)
		strlcpy(log_instance, instance, sizeof(log_instance));
	else
		log_instance[0] = '\0';
	if (role == NULL || strcmp(role, log_role) == 0)
		return;
	strlcpy(log_role, role, sizeof(log_role));
	/* reconnects: call it before the sandbox forbids socket() */
	if (!log_foreground) {
		closelog();
		openlog(log_role, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	}
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

static void
vlog(int pri, const char *fmt, va_list ap)
{
	char	 buf[1024];
	int	 saved_errno = errno;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (log_foreground) {
		if (log_instance[0] != '\0')
			fprintf(stderr, "%s[%s]: %s\n", log_role,
			    log_instance, buf);
		else
			fprintf(stderr, "%s: %s\n", log_role, buf);
		fflush(stderr);
	} else if (log_instance[0] != '\0')
		syslog(pri, "[%s] %s", log_instance, buf);
	else
		syslog(pri, "%s", buf);
	errno = saved_errno;
}

static void
logit(int pri, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

/* Log fmt followed by ": strerror(err)" (just strerror if fmt is NULL). */
static void
vlog_errno(int pri, int err, const char *fmt, va_list ap)
{
	char	 buf[1024];

	if (fmt == NULL) {
		logit(pri, "%s", strerror(err));
		return;
	}
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (err != 0)
		logit(pri, "%s: %s", buf, strerror(err));
	else
		logit(pri, "%s", buf);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved_errno = errno;

	va_start(ap, fmt);
	vlog_errno(LOG_ERR, saved_errno, fmt, ap);
	va_end(ap);
	errno = saved_errno;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

static void __attribute__((noreturn, format(printf, 2, 0)))
vfatalc(int err, const char *fmt, va_list ap)
{
	char	 buf[1024];

	if (fmt != NULL)
		vsnprintf(buf, sizeof(buf), fmt, ap);
	else
		buf[0] = '\0';
	if (err != 0 && buf[0] != '\0')
		logit(LOG_CRIT, "fatal: %s: %s", buf,
		    strerror(err));
	else if (err != 0)
		logit(LOG_CRIT, "fatal: %s", strerror(err));
	else
		logit(LOG_CRIT, "fatal: %s", buf);
	exit(1);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved_errno = errno;

	va_start(ap, fmt);
	vfatalc(saved_errno, fmt, ap);
	va_end(ap);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vfatalc(0, fmt, ap);
	va_end(ap);
}
