/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * tgtctl: talk to tgt-master over its control socket.
 *
 *	tgtctl [-s socket] show targets | luns | sessions
 *	tgtctl [-s socket] reload
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "proto.h"

#define DEF_SOCKET	"/run/tgt.sock"
#define REPLY_TIMEOUT	30000	/* ms: a reload may open many files */
#define MAX_COLS	10

/* A table printed with aligned columns. */
struct table {
	int		  ncols;
	const char	 *head[MAX_COLS];
	char		***rows;
	size_t		  nrows;
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: tgtctl [-s socket] show targets | luns | sessions\n"
	    "       tgtctl [-s socket] reload\n");
	exit(1);
}

static void __attribute__((format(printf, 3, 4)))
table_cell(struct table *t, int col, const char *fmt, ...)
{
	va_list	 ap;
	char	**row = t->rows[t->nrows - 1];

	va_start(ap, fmt);
	if (vasprintf(&row[col], fmt, ap) == -1)
		err(1, "vasprintf");
	va_end(ap);
}

static void
table_row(struct table *t)
{
	char	***rows;

	if ((rows = reallocarray(t->rows, t->nrows + 1, sizeof(*rows))) ==
	    NULL)
		err(1, "reallocarray");
	t->rows = rows;
	if ((t->rows[t->nrows] = calloc(t->ncols, sizeof(char *))) == NULL)
		err(1, "calloc");
	t->nrows++;
}

static void
table_print(struct table *t)
{
	size_t	 w[MAX_COLS], i, len;
	int	 c;

	for (c = 0; c < t->ncols; c++)
		w[c] = strlen(t->head[c]);
	for (i = 0; i < t->nrows; i++)
		for (c = 0; c < t->ncols; c++)
			if (t->rows[i][c] != NULL &&
			    (len = strlen(t->rows[i][c])) > w[c])
				w[c] = len;
	for (c = 0; c < t->ncols; c++)
		printf("%-*s%s", c == t->ncols - 1 ? 0 : (int)w[c],
		    t->head[c], c == t->ncols - 1 ? "\n" : "  ");
	for (i = 0; i < t->nrows; i++) {
		for (c = 0; c < t->ncols; c++) {
			printf("%-*s%s", c == t->ncols - 1 ? 0 : (int)w[c],
			    t->rows[i][c] != NULL ? t->rows[i][c] : "",
			    c == t->ncols - 1 ? "\n" : "  ");
			free(t->rows[i][c]);
		}
		free(t->rows[i]);
	}
	free(t->rows);
	t->rows = NULL;
	t->nrows = 0;
}

static int
ctl_connect(const char *path)
{
	struct sockaddr_un	 sun;
	int			 s;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		errx(1, "%s: socket path too long", path);
	if ((s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket");
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(1, "%s", path);
	return (s);
}

/* Next reply; exits on errors, timeouts and MSG_CTL_ERROR. */
static void
ctl_recv(int s, struct msg *m)
{
	struct pollfd		 pfd;
	struct msg_error	 e;
	int			 r;

	pfd.fd = s;
	pfd.events = POLLIN;
	if ((r = poll(&pfd, 1, REPLY_TIMEOUT)) == -1)
		err(1, "poll");
	if (r == 0)
		errx(1, "no answer from tgt-master");
	if ((r = msg_recv_fd(s, m)) == -1)
		err(1, "receive");
	if (r == 0)
		errx(1, "tgt-master closed the connection");
	if (m->hdr.type == MSG_CTL_ERROR) {
		if (msg_get(m, &e, sizeof(e)) == -1)
			errx(1, "malformed error reply");
		e.text[sizeof(e.text) - 1] = '\0';
		/* multi-line texts (config errors) read better unprefixed */
		if (strchr(e.text, '\n') != NULL)
			fprintf(stderr, "tgtctl: reload failed:\n%s\n", e.text);
		else
			fprintf(stderr, "tgtctl: %s\n", e.text);
		exit(1);
	}
}

static void
ctl_request(int s, uint32_t type)
{
	if (msg_send_fd(s, type, 0, NULL, 0, NULL, 0) == -1 &&
	    errno != EPIPE)
		err(1, "send");
	/* on EPIPE the master has already said why: read it */
}

static void
human(char *buf, size_t len, uint64_t v)
{
	const char	*units = "KMGTPE";
	double		 d = v;
	int		 u = -1;

	while (d >= 1024 && u < 5) {
		d /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu", (unsigned long long)v);
	else
		snprintf(buf, len, "%.1f%c", d, units[u]);
}

/* Sessions, or with count set only their number per target. */
struct target_count {
	char	name[TGT_NAME_MAX];
	int	n;
};

static int
get_sessions(int s, struct table *t, struct target_count *tc, size_t ntc)
{
	struct msg		 m;
	struct ctl_session	 cs;
	size_t			 i;
	int			 n = 0;

	ctl_request(s, MSG_CTL_SHOW_SESSIONS);
	for (;;) {
		ctl_recv(s, &m);
		if (m.hdr.type == MSG_CTL_END) {
			msg_free(&m);
			break;
		}
		if (m.hdr.type != MSG_CTL_SESSION ||
		    msg_get(&m, &cs, sizeof(cs)) == -1)
			errx(1, "unexpected reply %u", m.hdr.type);
		msg_free(&m);
		cs.initiator[sizeof(cs.initiator) - 1] = '\0';
		cs.target[sizeof(cs.target) - 1] = '\0';
		cs.peer[sizeof(cs.peer) - 1] = '\0';
		cs.local[sizeof(cs.local) - 1] = '\0';
		n++;
		for (i = 0; i < ntc; i++)
			if (strcmp(tc[i].name, cs.target) == 0)
				tc[i].n++;
		if (t == NULL)
			continue;
		table_row(t);
		table_cell(t, 0, "%llu", (unsigned long long)cs.tsih);
		table_cell(t, 1, "%s", cs.initiator);
		table_cell(t, 2, "%02x%02x%02x%02x%02x%02x", cs.isid[0],
		    cs.isid[1], cs.isid[2], cs.isid[3], cs.isid[4],
		    cs.isid[5]);
		table_cell(t, 3, "%s", cs.target[0] != '\0' ? cs.target :
		    "(discovery)");
		table_cell(t, 4, "%s", cs.peer);
		table_cell(t, 5, "%s", cs.local);
		table_cell(t, 6, "%u", cs.cid_count);
		table_cell(t, 7, "%u", cs.inflight);
	}
	return (n);
}

static void
show_targets(int s)
{
	struct table		 t = { 4, { "ID", "TARGET", "LUNS",
				    "SESSIONS" }, NULL, 0 };
	struct target_count	*tc = NULL;
	struct ctl_target	 ct;
	struct msg		 m;
	size_t			 ntc = 0, i;

	ctl_request(s, MSG_CTL_SHOW_TARGETS);
	for (;;) {
		ctl_recv(s, &m);
		if (m.hdr.type == MSG_CTL_END) {
			msg_free(&m);
			break;
		}
		if (m.hdr.type != MSG_CTL_TARGET ||
		    msg_get(&m, &ct, sizeof(ct)) == -1)
			errx(1, "unexpected reply %u", m.hdr.type);
		msg_free(&m);
		ct.name[sizeof(ct.name) - 1] = '\0';
		if ((tc = reallocarray(tc, ntc + 1, sizeof(*tc))) == NULL)
			err(1, "reallocarray");
		strlcpy(tc[ntc].name, ct.name, sizeof(tc[ntc].name));
		tc[ntc].n = 0;
		ntc++;
		table_row(&t);
		table_cell(&t, 0, "%u", ct.target_id);
		table_cell(&t, 1, "%s%s", ct.name,
		    (ct.flags & TARGET_F_ALLOW_ALL) ? "" : " (no access)");
		table_cell(&t, 2, "%u", ct.nluns);
	}
	/* the master does not know sessions: the portals count them */
	get_sessions(s, NULL, tc, ntc);
	for (i = 0; i < t.nrows; i++)
		if (asprintf(&t.rows[i][3], "%d", tc[i].n) == -1)
			err(1, "asprintf");
	free(tc);
	table_print(&t);
}

static void
show_luns(int s)
{
	struct table	 t = { 9, { "TARGET", "LUN", "BACKEND", "SIZE",
			    "BLOCK", "PID", "RESTARTS", "FLAGS", "PATH" },
			    NULL, 0 };
	struct ctl_lun	 cl;
	struct msg	 m;
	char		 size[32], flags[64];

	ctl_request(s, MSG_CTL_SHOW_LUNS);
	for (;;) {
		ctl_recv(s, &m);
		if (m.hdr.type == MSG_CTL_END) {
			msg_free(&m);
			break;
		}
		if (m.hdr.type != MSG_CTL_LUN ||
		    msg_get(&m, &cl, sizeof(cl)) == -1)
			errx(1, "unexpected reply %u", m.hdr.type);
		msg_free(&m);
		cl.target[sizeof(cl.target) - 1] = '\0';
		cl.path[sizeof(cl.path) - 1] = '\0';
		if (cl.pid == 0 || cl.size == 0)
			strlcpy(size, "-", sizeof(size));
		else
			human(size, sizeof(size), cl.size);
		flags[0] = '\0';
		if (cl.flags & LUN_F_READONLY)
			strlcat(flags, "ro,", sizeof(flags));
		if (cl.flags & LUN_F_THIN)
			strlcat(flags, "thin,", sizeof(flags));
		if (cl.flags & LUN_F_REMOVABLE)
			strlcat(flags, "removable,", sizeof(flags));
		if (cl.flags & LUN_F_WRITE_CACHE)
			strlcat(flags, "wce,", sizeof(flags));
		if (flags[0] != '\0')
			flags[strlen(flags) - 1] = '\0';
		else
			strlcpy(flags, "-", sizeof(flags));
		table_row(&t);
		table_cell(&t, 0, "%s", cl.target);
		table_cell(&t, 1, "%llu", (unsigned long long)cl.lun);
		table_cell(&t, 2, "%s", cl.backend == LUN_BACKEND_AIO ?
		    "aio" : "rdwr");
		table_cell(&t, 3, "%s", size);
		table_cell(&t, 4, "%u", cl.block_size);
		if (cl.pid != 0)
			table_cell(&t, 5, "%u", cl.pid);
		else
			table_cell(&t, 5, "-");
		table_cell(&t, 6, "%u", cl.restarts);
		table_cell(&t, 7, "%s", flags);
		table_cell(&t, 8, "%s", cl.path);
	}
	table_print(&t);
}

static void
show_sessions(int s)
{
	struct table	 t = { 8, { "TSIH", "INITIATOR", "ISID", "TARGET",
			    "PEER", "LOCAL", "CONNS", "INFLIGHT" }, NULL, 0 };

	get_sessions(s, &t, NULL, 0);
	table_print(&t);
}

static void
reload(int s)
{
	struct msg	 m;

	ctl_request(s, MSG_CTL_RELOAD);
	ctl_recv(s, &m);
	if (m.hdr.type != MSG_CTL_OK)
		errx(1, "unexpected reply %u", m.hdr.type);
	msg_free(&m);
}

int
main(int argc, char *argv[])
{
	const char	*path = DEF_SOCKET;
	int		 ch, s;

	while ((ch = getopt(argc, argv, "s:")) != -1) {
		switch (ch) {
		case 's':
			path = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	signal(SIGPIPE, SIG_IGN);

	if (strcmp(argv[0], "show") == 0 && argc == 2) {
		if (strcmp(argv[1], "targets") != 0 &&
		    strcmp(argv[1], "luns") != 0 &&
		    strcmp(argv[1], "sessions") != 0)
			usage();
		s = ctl_connect(path);
		if (strcmp(argv[1], "targets") == 0)
			show_targets(s);
		else if (strcmp(argv[1], "luns") == 0)
			show_luns(s);
		else
			show_sessions(s);
	} else if (strcmp(argv[0], "reload") == 0 && argc == 1) {
		s = ctl_connect(path);
		reload(s);
	} else
		usage();
	close(s);
	return (0);
}
