/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * tgtctl: talk to tgt-master over its control socket.
 *
 *	tgtctl [-j] [-s socket] show targets | sessions | connections |
 *	    luns | portals | stats | cartridges | port-groups
 *	tgtctl [-j] [-s socket] show target name
 *	tgtctl [-s socket] port-group id state state
 *	tgtctl [-s socket] reload
 *	tgtctl [-s socket] log verbose | brief
 *	tgtctl [-s socket] lun offline | online target lun
 *	tgtctl [-s socket] session drop target tsih
 *	tgtctl [-s socket] drive load target lun barcode | unload target lun
 *	tgtctl [-s socket] library insert | eject target lun barcode
 *	tgtctl import [file]
 *	tgtctl [-j] cartridge create | list ...	(tgt-admin/cartridge.c)
 *	tgtctl disc create ...			(tgt-admin/disc.c)
 *
 * Listings print as aligned tables, or with -j as JSON (an array of
 * objects, one per row; show target prints one object).
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alua.h"
#include "msg.h"
#include "proto.h"
#include "tgtctl.h"

#define DEF_SOCKET	"/run/tgt.sock"
#define REPLY_TIMEOUT	30000	/* ms: a reload may open many files */
#define MAX_COLS	32

/*
 * A table printed with aligned columns, or as a JSON array of objects.
 * A column without a head is JSON only, one without a key text only;
 * numeric columns print as JSON numbers ("-" as null).
 */
struct column {
	const char	*head;
	const char	*key;
	int		 num;
};

struct table {
	int		   ncols;
	struct column	   col[MAX_COLS];
	char		***rows;
	size_t		   nrows;
};

static int	 jflag;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: tgtctl [-j] [-s socket] show targets | sessions | "
	    "connections |\n"
	    "                   luns | portals | stats | cartridges | "
	    "port-groups\n"
	    "       tgtctl [-j] [-s socket] show target name\n"
	    "       tgtctl [-s socket] port-group id state state\n"
	    "       tgtctl [-s socket] reload\n"
	    "       tgtctl [-s socket] log verbose | brief\n"
	    "       tgtctl [-s socket] lun offline | online target lun\n"
	    "       tgtctl [-s socket] session drop target tsih\n"
	    "       tgtctl [-s socket] drive load target lun barcode\n"
	    "       tgtctl [-s socket] drive unload target lun\n"
	    "       tgtctl [-s socket] library insert | eject target lun "
	    "barcode\n"
	    "       tgtctl import [file]\n"
	    "       tgtctl cartridge create barcode [size size] "
	    "[type data|worm|cleaning]\n"
	    "                   [write-protect] [directory dir]\n"
	    "       tgtctl [-j] cartridge list [directory dir]\n"
	    "       tgtctl cartridge import file [barcode barcode] "
	    "[size size]\n"
	    "                   [directory dir]\n"
	    "       tgtctl disc create name [type dvd+r|dvd+rw] [size size] "
	    "[directory dir]\n");
	exit(1);
}

static void
table_init(struct table *t, const struct column *cols)
{
	memset(t, 0, sizeof(*t));
	while (cols[t->ncols].head != NULL || cols[t->ncols].key != NULL) {
		if (t->ncols == MAX_COLS)
			errx(1, "too many columns");
		t->col[t->ncols] = cols[t->ncols];
		t->ncols++;
	}
}

static void
table_vcell(struct table *t, size_t row, int col, const char *fmt,
    va_list ap)
{
	char	**r = t->rows[row];

	free(r[col]);
	if (vasprintf(&r[col], fmt, ap) == -1)
		err(1, "vasprintf");
}

/* A cell of the last row. */
static void __attribute__((format(printf, 3, 4)))
table_cell(struct table *t, int col, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	table_vcell(t, t->nrows - 1, col, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 4, 5)))
table_cell_at(struct table *t, size_t row, int col, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	table_vcell(t, row, col, fmt, ap);
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
table_free(struct table *t)
{
	size_t	 i;
	int	 c;

	for (i = 0; i < t->nrows; i++) {
		for (c = 0; c < t->ncols; c++)
			free(t->rows[i][c]);
		free(t->rows[i]);
	}
	free(t->rows);
	t->rows = NULL;
	t->nrows = 0;
}

/* A JSON string: quotes, backslash and control bytes escaped. */
void
json_string(FILE *fp, const char *s)
{
	const unsigned char	*p;

	fputc('"', fp);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", fp);
			break;
		case '\\':
			fputs("\\\\", fp);
			break;
		case '\n':
			fputs("\\n", fp);
			break;
		case '\t':
			fputs("\\t", fp);
			break;
		default:
			/* control bytes, and bytes that are not ASCII:
			 * names and paths need not be UTF-8 */
			if (*p < 0x20 || *p >= 0x7f)
				fprintf(fp, "\\u%04x", *p);
			else
				fputc(*p, fp);
		}
	}
	fputc('"', fp);
}

static int
is_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '\0')
		return (0);
	for (; *s != '\0'; s++)
		if ((*s < '0' || *s > '9') && *s != '.')
			return (0);
	return (1);
}

static void
table_json(struct table *t)
{
	size_t	 i;
	int	 c, first;
	char	*v;

	printf("[");
	for (i = 0; i < t->nrows; i++) {
		printf("%s\n  {", i ? "," : "");
		first = 1;
		for (c = 0; c < t->ncols; c++) {
			if (t->col[c].key == NULL)
				continue;
			v = t->rows[i][c] != NULL ? t->rows[i][c] : "";
			printf("%s", first ? "" : ", ");
			first = 0;
			json_string(stdout, t->col[c].key);
			printf(": ");
			if (t->col[c].num && is_number(v))
				printf("%s", v);
			else if (t->col[c].num)
				printf("null");
			else
				json_string(stdout, v);
		}
		printf("}");
	}
	printf("%s]", t->nrows ? "\n" : "");
}

static void
table_text(struct table *t, const char *indent)
{
	size_t	 w[MAX_COLS], i, len;
	int	 c, last = 0;

	for (c = 0; c < t->ncols; c++) {
		w[c] = t->col[c].head != NULL ? strlen(t->col[c].head) : 0;
		if (t->col[c].head != NULL)
			last = c;
	}
	for (i = 0; i < t->nrows; i++)
		for (c = 0; c < t->ncols; c++)
			if (t->rows[i][c] != NULL &&
			    (len = strlen(t->rows[i][c])) > w[c])
				w[c] = len;
	printf("%s", indent);
	for (c = 0; c < t->ncols; c++)
		if (t->col[c].head != NULL)
			printf("%-*s%s", c == last ? 0 : (int)w[c],
			    t->col[c].head, c == last ? "\n" : "  ");
	for (i = 0; i < t->nrows; i++) {
		printf("%s", indent);
		for (c = 0; c < t->ncols; c++)
			if (t->col[c].head != NULL)
				printf("%-*s%s", c == last ? 0 : (int)w[c],
				    t->rows[i][c] != NULL ? t->rows[i][c] :
				    "", c == last ? "\n" : "  ");
	}
}

static void
table_print(struct table *t)
{
	if (jflag) {
		table_json(t);
		printf("\n");
	} else
		table_text(t, "");
	table_free(t);
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
ctl_request(int s, uint32_t type, const void *data, size_t len)
{
	if (msg_send_fd(s, type, 0, NULL, 0, data, len) == -1 &&
	    errno != EPIPE)
		err(1, "send");
	/* on EPIPE the master has already said why: read it */
}

/*
 * The next item of a listing into buf (exactly len bytes), or 0 at its
 * END.  Anything else is an error.
 */
static int
ctl_next(int s, uint32_t type, void *buf, size_t len)
{
	struct msg	 m;

	ctl_recv(s, &m);
	if (m.hdr.type == MSG_CTL_END) {
		msg_free(&m);
		return (0);
	}
	if (m.hdr.type != type || msg_get(&m, buf, len) == -1)
		errx(1, "unexpected reply %u", m.hdr.type);
	msg_free(&m);
	return (1);
}

static void
ctl_ok(int s)
{
	struct msg	 m;

	ctl_recv(s, &m);
	if (m.hdr.type != MSG_CTL_OK)
		errx(1, "unexpected reply %u", m.hdr.type);
	msg_free(&m);
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

#define TERM(a)	((a)[sizeof(a) - 1] = '\0')

/* Sessions: into t (NULL: only counted), filtered by target name. */
static const struct column session_cols[] = {
	{ "TSIH", "tsih", 1 },
	{ "INITIATOR", "initiator", 0 },
	{ "ISID", "isid", 0 },
	{ "TARGET", "target", 0 },
	{ "PEER", "peer", 0 },
	{ "LOCAL", "local", 0 },
	{ "CONNS", "connections", 1 },
	{ "INFLIGHT", "inflight", 1 },
	{ NULL, NULL, 0 }
};

struct count {
	char	name[TGT_ADDR_MAX > TGT_NAME_MAX ? TGT_ADDR_MAX : TGT_NAME_MAX];
	int	n;
};

static int
get_sessions(int s, struct table *t, const char *target, struct count *tc,
    size_t ntc, int bylocal)
{
	struct ctl_session	 cs;
	size_t			 i;
	int			 n = 0;

	ctl_request(s, MSG_CTL_SHOW_SESSIONS, NULL, 0);
	while (ctl_next(s, MSG_CTL_SESSION, &cs, sizeof(cs))) {
		TERM(cs.initiator);
		TERM(cs.target);
		TERM(cs.peer);
		TERM(cs.local);
		if (target != NULL && strcmp(target, cs.target) != 0)
			continue;
		n++;
		for (i = 0; i < ntc; i++)
			if (strcmp(tc[i].name, bylocal ? cs.local :
			    cs.target) == 0)
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
	static const struct column cols[] = {
		{ "ID", "id", 1 },
		{ "TARGET", "name", 0 },
		{ "LUNS", "luns", 1 },
		{ "SESSIONS", "sessions", 1 },
		{ "ACCESS", "access", 0 },
		{ "STATE", "state", 0 },
		{ NULL, NULL, 0 }
	};
	struct table		 t;
	struct count		*tc = NULL;
	struct ctl_target	 ct;
	size_t			 ntc = 0, i;

	table_init(&t, cols);
	ctl_request(s, MSG_CTL_SHOW_TARGETS, NULL, 0);
	while (ctl_next(s, MSG_CTL_TARGET, &ct, sizeof(ct))) {
		TERM(ct.name);
		if ((tc = reallocarray(tc, ntc + 1, sizeof(*tc))) == NULL)
			err(1, "reallocarray");
		strlcpy(tc[ntc].name, ct.name, sizeof(tc[ntc].name));
		tc[ntc].n = 0;
		ntc++;
		table_row(&t);
		table_cell(&t, 0, "%u", ct.target_id);
		table_cell(&t, 1, "%s", ct.name);
		table_cell(&t, 2, "%u", ct.nluns);
		table_cell(&t, 4, "%s", (ct.flags & TARGET_F_ALLOW_ALL) ?
		    "all" : "rules");
		table_cell(&t, 5, "%s", (ct.flags & CTL_TARGET_F_DRAINING) ?
		    "draining" : "running");
	}
	/* the master does not know sessions: the portals count them */
	get_sessions(s, NULL, NULL, tc, ntc, 0);
	for (i = 0; i < t.nrows; i++)
		table_cell_at(&t, i, 3, "%d", tc[i].n);
	free(tc);
	table_print(&t);
}

static const struct column lun_cols[] = {
	{ "TARGET", "target", 0 },
	{ "LUN", "lun", 1 },
	{ "BACKEND", "backend", 0 },
	{ "SIZE", NULL, 0 },
	{ NULL, "size", 1 },
	{ "BLOCK", "block_size", 1 },
	{ "PID", "pid", 1 },
	{ "RESTARTS", "restarts", 1 },
	{ "FLAGS", "flags", 0 },
	{ "STATE", "state", 0 },
	{ "PATH", "path", 0 },
	{ NULL, NULL, 0 }
};

static void
get_luns(int s, struct table *t, const char *target)
{
	struct ctl_lun	 cl;
	char		 size[32], flags[64];

	ctl_request(s, MSG_CTL_SHOW_LUNS, NULL, 0);
	while (ctl_next(s, MSG_CTL_LUN, &cl, sizeof(cl))) {
		TERM(cl.target);
		TERM(cl.path);
		if (target != NULL && strcmp(target, cl.target) != 0)
			continue;
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
		table_row(t);
		table_cell(t, 0, "%s", cl.target);
		table_cell(t, 1, "%llu", (unsigned long long)cl.lun);
		table_cell(t, 2, "%s", cl.backend == LUN_BACKEND_AIO ? "aio" :
		    cl.backend == LUN_BACKEND_IO_URING ? "io_uring" :
		    cl.backend == LUN_BACKEND_NULL ? "null" :
		    cl.backend == LUN_BACKEND_SG ? "sg" :
		    cl.backend == LUN_BACKEND_RBD ? "rbd" :
		    cl.backend == LUN_BACKEND_GLFS ? "glfs" : "rdwr");
		table_cell(t, 3, "%s", size);
		if (cl.pid == 0 || cl.size == 0)
			table_cell(t, 4, "-");
		else
			table_cell(t, 4, "%llu", (unsigned long long)cl.size);
		table_cell(t, 5, "%u", cl.block_size);
		if (cl.pid != 0)
			table_cell(t, 6, "%u", cl.pid);
		else
			table_cell(t, 6, "-");
		table_cell(t, 7, "%u", cl.restarts);
		table_cell(t, 8, "%s", flags);
		table_cell(t, 9, "%s", (cl.flags & CTL_LUN_F_OFFLINE) ?
		    "offline" : cl.pid == 0 ? "stopped" : "online");
		table_cell(t, 10, "%s", cl.path);
	}
}

static const struct column cart_cols[] = {
	{ "BARCODE", "barcode", 0 },
	{ "WHERE", "where", 0 },
	{ "INDEX", "index", 1 },
	{ "TARGET", "target", 0 },
	{ "LUN", "lun", 1 },
	{ NULL, NULL, 0 }
};

/* Where every cartridge is: in a drive, a slot or a mail slot. */
static void
show_cartridges(int s)
{
	struct ctl_cartridge	 cc;
	struct table		 t;

	table_init(&t, cart_cols);
	ctl_request(s, MSG_CTL_SHOW_CARTRIDGES, NULL, 0);
	while (ctl_next(s, MSG_CTL_CARTRIDGE, &cc, sizeof(cc))) {
		TERM(cc.target);
		TERM(cc.barcode);
		table_row(&t);
		table_cell(&t, 0, "%s", cc.barcode);
		table_cell(&t, 1, "%s", cc.kind == CHANGER_DRIVE ? "drive" :
		    cc.kind == CHANGER_MAILSLOT ? "mailslot" : "slot");
		if (cc.kind == CHANGER_DRIVE)
			table_cell(&t, 2, "-");
		else
			table_cell(&t, 2, "%u", cc.index);
		table_cell(&t, 3, "%s", cc.target);
		table_cell(&t, 4, "%llu", (unsigned long long)cc.lun);
	}
	table_print(&t);
}

static void
show_luns(int s)
{
	struct table	 t;

	table_init(&t, lun_cols);
	get_luns(s, &t, NULL);
	table_print(&t);
}

static void
show_sessions(int s)
{
	struct table	 t;

	table_init(&t, session_cols);
	get_sessions(s, &t, NULL, NULL, 0, 0);
	table_print(&t);
}

static const struct column conn_cols[] = {
	{ "TSIH", "tsih", 1 },
	{ "CID", "cid", 1 },
	{ "INITIATOR", "initiator", 0 },
	{ "TARGET", "target", 0 },
	{ "PEER", "peer", 0 },
	{ NULL, "local", 0 },
	{ "DIGEST", NULL, 0 },
	{ NULL, "header_digest", 0 },
	{ NULL, "data_digest", 0 },
	{ "RECVDSL", "max_recv_data_segment_length", 1 },
	{ "XMITDSL", "max_xmit_data_segment_length", 1 },
	{ "BURST", "max_burst_length", 1 },
	{ "FIRST", "first_burst_length", 1 },
	{ "R2T", NULL, 0 },
	{ NULL, "initial_r2t", 0 },
	{ NULL, "immediate_data", 0 },
	{ NULL, "max_outstanding_r2t", 1 },
	{ NULL, "max_connections", 1 },
	{ NULL, "default_time2wait", 1 },
	{ NULL, "default_time2retain", 1 },
	{ NULL, "data_pdu_in_order", 0 },
	{ NULL, "data_sequence_in_order", 0 },
	{ NULL, "error_recovery_level", 1 },
	{ "TRANSPORT", "transport", 0 },
	{ NULL, NULL, 0 }
};

static void
get_connections(int s, struct table *t, const char *target)
{
	struct ctl_connection	 cc;

	ctl_request(s, MSG_CTL_SHOW_CONNECTIONS, NULL, 0);
	while (ctl_next(s, MSG_CTL_CONNECTION, &cc, sizeof(cc))) {
		TERM(cc.initiator);
		TERM(cc.target);
		TERM(cc.peer);
		TERM(cc.local);
		if (target != NULL && strcmp(target, cc.target) != 0)
			continue;
		table_row(t);
		table_cell(t, 0, "%llu", (unsigned long long)cc.tsih);
		table_cell(t, 1, "%u", cc.cid);
		table_cell(t, 2, "%s", cc.initiator);
		table_cell(t, 3, "%s", cc.target[0] != '\0' ? cc.target :
		    "(discovery)");
		table_cell(t, 4, "%s", cc.peer);
		table_cell(t, 5, "%s", cc.local);
		table_cell(t, 6, "%s/%s", cc.header_digest ? "CRC32C" :
		    "None", cc.data_digest ? "CRC32C" : "None");
		table_cell(t, 7, "%s", cc.header_digest ? "CRC32C" : "None");
		table_cell(t, 8, "%s", cc.data_digest ? "CRC32C" : "None");
		table_cell(t, 9, "%u", cc.max_recv_dsl);
		table_cell(t, 10, "%u", cc.max_xmit_dsl);
		table_cell(t, 11, "%u", cc.max_burst);
		table_cell(t, 12, "%u", cc.first_burst);
		table_cell(t, 13, "%s/%s", cc.initial_r2t ? "Yes" : "No",
		    cc.immediate_data ? "Yes" : "No");
		table_cell(t, 14, "%s", cc.initial_r2t ? "Yes" : "No");
		table_cell(t, 15, "%s", cc.immediate_data ? "Yes" : "No");
		table_cell(t, 16, "%u", cc.max_outstanding_r2t);
		table_cell(t, 17, "%u", cc.max_connections);
		table_cell(t, 18, "%u", cc.default_time2wait);
		table_cell(t, 19, "%u", cc.default_time2retain);
		table_cell(t, 20, "%s", cc.data_pdu_in_order ? "Yes" : "No");
		table_cell(t, 21, "%s", cc.data_seq_in_order ? "Yes" : "No");
		table_cell(t, 22, "%u", cc.erl);
		table_cell(t, 23, "%s", cc.transport == CTL_TRANSPORT_ISER ?
		    "iser" : "tcp");
	}
}

static void
show_connections(int s)
{
	struct table	 t;

	table_init(&t, conn_cols);
	get_connections(s, &t, NULL);
	table_print(&t);
}

static void
show_portals(int s)
{
	static const struct column cols[] = {
		{ "ID", "id", 1 },
		{ "ADDRESS", "address", 0 },
		{ "STATE", "state", 0 },
		{ "PID", "pid", 1 },
		{ "RESTARTS", "restarts", 1 },
		{ "SESSIONS", "sessions", 1 },
		{ NULL, NULL, 0 }
	};
	static const char	*states[] = { "running", "stopped",
				    "draining" };
	struct table		 t;
	struct ctl_portal	 cp;
	struct count		*pc = NULL;
	size_t			 n = 0, i;

	table_init(&t, cols);
	ctl_request(s, MSG_CTL_SHOW_PORTALS, NULL, 0);
	while (ctl_next(s, MSG_CTL_PORTAL, &cp, sizeof(cp))) {
		TERM(cp.addr);
		if ((pc = reallocarray(pc, n + 1, sizeof(*pc))) == NULL)
			err(1, "reallocarray");
		strlcpy(pc[n].name, cp.addr, sizeof(pc[n].name));
		pc[n].n = 0;
		n++;
		table_row(&t);
		table_cell(&t, 0, "%u", cp.portal_id);
		table_cell(&t, 1, "%s", cp.addr);
		table_cell(&t, 2, "%s", cp.state < 3 ? states[cp.state] :
		    "?");
		if (cp.pid != 0)
			table_cell(&t, 3, "%u", cp.pid);
		else
			table_cell(&t, 3, "-");
		table_cell(&t, 4, "%u", cp.restarts);
	}
	/* sessions by the local address they came in on */
	get_sessions(s, NULL, NULL, pc, n, 1);
	for (i = 0; i < t.nrows; i++)
		table_cell_at(&t, i, 5, "%d", pc[i].n);
	free(pc);
	table_print(&t);
}

/* Upper bound of the bucket holding the q-quantile, microseconds. */
static uint64_t
percentile(const struct ctl_lun_stats *st, double q)
{
	uint64_t	 total = 0, sum = 0, want;
	int		 i;

	for (i = 0; i < CTL_LAT_BUCKETS; i++)
		total += st->lat[i];
	if (total == 0)
		return (0);
	want = (uint64_t)(q * total + 0.999999);
	if (want == 0)
		want = 1;
	for (i = 0; i < CTL_LAT_BUCKETS; i++) {
		sum += st->lat[i];
		if (sum >= want)
			break;
	}
	if (i >= CTL_LAT_BUCKETS)
		i = CTL_LAT_BUCKETS - 1;
	return (1ULL << i);
}

static const struct column stats_cols[] = {
	{ "TARGET", "target", 0 },
	{ "LUN", "lun", 1 },
	{ "STATE", "state", 0 },
	{ "CMDS", "commands", 1 },
	{ "READS", "reads", 1 },
	{ "WRITES", "writes", 1 },
	{ "READ", NULL, 0 },
	{ NULL, "read_bytes", 1 },
	{ "WRITTEN", NULL, 0 },
	{ NULL, "written_bytes", 1 },
	{ "ERRORS", "errors", 1 },
	{ "AVG(us)", "latency_avg_us", 1 },
	{ "P50(us)", "latency_p50_us", 1 },
	{ "P99(us)", "latency_p99_us", 1 },
	{ "UPTIME(s)", "uptime_s", 1 },
	{ NULL, NULL, 0 }
};

static void
get_stats(int s, struct table *t, const char *target)
{
	struct ctl_lun_stats	 st;
	char			 b[32];

	ctl_request(s, MSG_CTL_SHOW_STATS, NULL, 0);
	while (ctl_next(s, MSG_CTL_STATS, &st, sizeof(st))) {
		TERM(st.target);
		if (target != NULL && strcmp(target, st.target) != 0)
			continue;
		table_row(t);
		table_cell(t, 0, "%s", st.target);
		table_cell(t, 1, "%" PRIu64, st.lun);
		table_cell(t, 2, "%s", st.offline ? "offline" : "online");
		table_cell(t, 3, "%" PRIu64, st.cmds);
		table_cell(t, 4, "%" PRIu64, st.reads);
		table_cell(t, 5, "%" PRIu64, st.writes);
		human(b, sizeof(b), st.read_bytes);
		table_cell(t, 6, "%s", b);
		table_cell(t, 7, "%" PRIu64, st.read_bytes);
		human(b, sizeof(b), st.write_bytes);
		table_cell(t, 8, "%s", b);
		table_cell(t, 9, "%" PRIu64, st.write_bytes);
		table_cell(t, 10, "%" PRIu64, st.errors);
		table_cell(t, 11, "%" PRIu64, st.cmds ? st.lat_sum_us /
		    st.cmds : 0);
		table_cell(t, 12, "%" PRIu64, percentile(&st, 0.50));
		table_cell(t, 13, "%" PRIu64, percentile(&st, 0.99));
		table_cell(t, 14, "%" PRIu64, st.uptime_s);
	}
}

static void
show_stats(int s)
{
	struct table	 t;

	table_init(&t, stats_cols);
	get_stats(s, &t, NULL);
	table_print(&t);
}

/* show target NAME: its settings, LUNs, statistics, sessions. */
static void
show_target(int s, const char *name)
{
	struct ctl_name	 n;
	struct ctl_attr	 a;
	struct table	 luns, sess, conns, stats;
	int		 first = 1;

	memset(&n, 0, sizeof(n));
	if (strlcpy(n.name, name, sizeof(n.name)) >= sizeof(n.name))
		errx(1, "target name too long");
	table_init(&luns, lun_cols);
	table_init(&sess, session_cols);
	table_init(&conns, conn_cols);
	table_init(&stats, stats_cols);

	if (jflag) {
		printf("{\"name\": ");
		json_string(stdout, name);
		printf(",\n \"settings\": {");
	} else
		printf("target %s\n", name);
	ctl_request(s, MSG_CTL_SHOW_ATTRS, &n, sizeof(n));
	while (ctl_next(s, MSG_CTL_ATTR, &a, sizeof(a))) {
		TERM(a.key);
		TERM(a.value);
		if (jflag) {
			printf("%s", first ? "" : ", ");
			json_string(stdout, a.key);
			printf(": ");
			json_string(stdout, a.value);
		} else
			printf("  %-18s %s\n", a.key, a.value);
		first = 0;
	}
	get_luns(s, &luns, name);
	get_stats(s, &stats, name);
	get_sessions(s, &sess, name, NULL, 0, 0);
	get_connections(s, &conns, name);
	if (jflag) {
		printf("},\n \"luns\": ");
		table_json(&luns);
		printf(",\n \"stats\": ");
		table_json(&stats);
		printf(",\n \"sessions\": ");
		table_json(&sess);
		printf(",\n \"connections\": ");
		table_json(&conns);
		printf("}\n");
	} else {
		printf("\nLUNs\n");
		table_text(&luns, "  ");
		printf("\nStatistics\n");
		table_text(&stats, "  ");
		printf("\nSessions\n");
		table_text(&sess, "  ");
		printf("\nConnections\n");
		table_text(&conns, "  ");
	}
	table_free(&luns);
	table_free(&stats);
	table_free(&sess);
	table_free(&conns);
}

static void
log_level(int s, const char *how)
{
	int32_t	 v;

	if (strcmp(how, "verbose") == 0)
		v = 1;
	else if (strcmp(how, "brief") == 0)
		v = 0;
	else
		usage();
	ctl_request(s, MSG_CTL_LOG_VERBOSE, &v, sizeof(v));
	ctl_ok(s);
}

static uint64_t
number(const char *s, uint64_t max, const char *what)
{
	char			*end;
	unsigned long long	 v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (s[0] == '\0' || s[0] == '-' || *end != '\0' || errno != 0 ||
	    v > max)
		errx(1, "%s: invalid %s", s, what);
	return (v);
}

/* tgtctl show port-groups: ALUA target port groups and their states */
static void
show_pgroups(int s)
{
	static const struct column cols[] = {
		{ "GROUP", "id", 1 },
		{ "STATE", "state", 0 },
		{ "CONFIGURED", "configured", 0 },
		{ "PREF", "preferred", 0 },
		{ "BY", "changed_by", 0 },
		{ "LISTENERS", "listeners", 0 },
		{ NULL, NULL, 0 }
	};
	static const char	*by[] = { "-", "initiator", "target" };
	struct table		 t;
	struct ctl_pgroup	 g;
	const char		*st, *cst;

	table_init(&t, cols);
	ctl_request(s, MSG_CTL_SHOW_PGROUPS, NULL, 0);
	while (ctl_next(s, MSG_CTL_PGROUP, &g, sizeof(g))) {
		TERM(g.listeners);
		st = alua_state_name(g.state);
		cst = alua_state_name(g.conf_state);
		table_row(&t);
		table_cell(&t, 0, "%u", g.id);
		table_cell(&t, 1, "%s", st != NULL ? st : "?");
		table_cell(&t, 2, "%s", cst != NULL ? cst : "?");
		table_cell(&t, 3, "%s", g.pref ? "yes" : "no");
		table_cell(&t, 4, "%s", g.status < 3 ? by[g.status] : "?");
		table_cell(&t, 5, "%s", g.nports > 0 ? g.listeners : "-");
	}
	table_print(&t);
}

/* tgtctl port-group ID state STATE */
static void
pgroup_state(int s, const char *id, const char *state)
{
	struct ctl_pgroup_state	 ps;
	int			 st;

	memset(&ps, 0, sizeof(ps));
	ps.id = number(id, 65535, "port-group");
	if ((st = alua_state_parse(state)) == -1)
		errx(1, "%s: unknown state (active-optimized, "
		    "active-non-optimized, standby, unavailable, "
		    "transitioning)", state);
	ps.state = st;
	ctl_request(s, MSG_CTL_PGROUP_STATE, &ps, sizeof(ps));
	ctl_ok(s);
}

static void
lun_state(int s, const char *how, const char *target, const char *lun)
{
	struct ctl_lun_state	 ls;

	memset(&ls, 0, sizeof(ls));
	if (strcmp(how, "offline") == 0)
		ls.offline = 1;
	else if (strcmp(how, "online") != 0)
		usage();
	if (strlcpy(ls.target, target, sizeof(ls.target)) >=
	    sizeof(ls.target))
		errx(1, "target name too long");
	ls.lun = number(lun, 16383, "LUN");
	ctl_request(s, MSG_CTL_LUN_STATE, &ls, sizeof(ls));
	ctl_ok(s);
}

/* tgtctl drive load TARGET LUN BARCODE | drive unload TARGET LUN */
static void
drive_op(int s, int argc, char *argv[])
{
	struct ctl_drive	 d;
	struct msg		 m;

	memset(&d, 0, sizeof(d));
	if (strcmp(argv[0], "load") == 0 && argc == 4)
		d.op = DRIVE_OP_LOAD;
	else if (strcmp(argv[0], "unload") == 0 && argc == 3)
		d.op = DRIVE_OP_UNLOAD;
	else
		usage();
	if (strlcpy(d.target, argv[1], sizeof(d.target)) >= sizeof(d.target))
		errx(1, "target name too long");
	d.lun = number(argv[2], 16383, "LUN");
	if (d.op == DRIVE_OP_LOAD && strlcpy(d.barcode, argv[3],
	    sizeof(d.barcode)) >= sizeof(d.barcode))
		errx(1, "barcode too long");
	ctl_request(s, MSG_CTL_DRIVE, &d, sizeof(d));
	ctl_recv(s, &m);
	if (m.hdr.type == MSG_CTL_END)
		errx(1, "the drive did not answer");
	if (m.hdr.type != MSG_CTL_OK)
		errx(1, "unexpected reply %u", m.hdr.type);
	msg_free(&m);
}

/* tgtctl library insert|eject TARGET LUN BARCODE */
static void
library_op(int s, int argc, char *argv[])
{
	struct ctl_mailslot	 cm;
	struct msg		 m;

	memset(&cm, 0, sizeof(cm));
	if (argc != 4)
		usage();
	if (strcmp(argv[0], "insert") == 0)
		cm.op = MAILSLOT_INSERT;
	else if (strcmp(argv[0], "eject") == 0)
		cm.op = MAILSLOT_EJECT;
	else
		usage();
	if (strlcpy(cm.target, argv[1], sizeof(cm.target)) >=
	    sizeof(cm.target))
		errx(1, "target name too long");
	cm.lun = number(argv[2], 16383, "LUN");
	if (strlcpy(cm.barcode, argv[3], sizeof(cm.barcode)) >=
	    sizeof(cm.barcode))
		errx(1, "barcode too long");
	ctl_request(s, MSG_CTL_MAILSLOT, &cm, sizeof(cm));
	ctl_recv(s, &m);
	if (m.hdr.type == MSG_CTL_END)
		errx(1, "the changer did not answer");
	if (m.hdr.type != MSG_CTL_OK)
		errx(1, "unexpected reply %u", m.hdr.type);
	msg_free(&m);
}

static void
session_drop(int s, const char *target, const char *tsih)
{
	struct ctl_session_drop	 d;
	struct ctl_session	 cs;
	int			 n = 0;

	memset(&d, 0, sizeof(d));
	if (strlcpy(d.target, target, sizeof(d.target)) >= sizeof(d.target))
		errx(1, "target name too long");
	d.tsih = number(tsih, 65535, "session id");
	ctl_request(s, MSG_CTL_SESSION_DROP, &d, sizeof(d));
	while (ctl_next(s, MSG_CTL_SESSION, &cs, sizeof(cs))) {
		TERM(cs.initiator);
		TERM(cs.peer);
		printf("dropped session %llu of %s from %s\n",
		    (unsigned long long)cs.tsih, cs.initiator, cs.peer);
		n++;
	}
	if (n == 0)
		errx(1, "no session %s on target %s", tsih, target);
}

int
main(int argc, char *argv[])
{
	const char	*path = DEF_SOCKET;
	int		 ch, s;

	while ((ch = getopt(argc, argv, "js:")) != -1) {
		switch (ch) {
		case 'j':
			jflag = 1;
			break;
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

	if (strcmp(argv[0], "import") == 0) {
		if (argc > 2)
			usage();
		return (import_file(argc == 2 ? argv[1] :
		    "/etc/tgt/targets.conf", stdout));
	}

	if (strcmp(argv[0], "cartridge") == 0) {
		if ((s = cartridge_cmd(argc - 1, argv + 1, jflag)) == -1)
			usage();
		return (s);
	}

	if (strcmp(argv[0], "disc") == 0) {
		if ((s = disc_cmd(argc - 1, argv + 1)) == -1)
			usage();
		return (s);
	}

	if (strcmp(argv[0], "show") == 0 && argc == 3 &&
	    strcmp(argv[1], "target") == 0) {
		s = ctl_connect(path);
		show_target(s, argv[2]);
	} else if (strcmp(argv[0], "show") == 0 && argc == 2) {
		if (strcmp(argv[1], "targets") != 0 &&
		    strcmp(argv[1], "luns") != 0 &&
		    strcmp(argv[1], "sessions") != 0 &&
		    strcmp(argv[1], "connections") != 0 &&
		    strcmp(argv[1], "portals") != 0 &&
		    strcmp(argv[1], "cartridges") != 0 &&
		    strcmp(argv[1], "port-groups") != 0 &&
		    strcmp(argv[1], "stats") != 0)
			usage();
		s = ctl_connect(path);
		if (strcmp(argv[1], "targets") == 0)
			show_targets(s);
		else if (strcmp(argv[1], "luns") == 0)
			show_luns(s);
		else if (strcmp(argv[1], "sessions") == 0)
			show_sessions(s);
		else if (strcmp(argv[1], "connections") == 0)
			show_connections(s);
		else if (strcmp(argv[1], "portals") == 0)
			show_portals(s);
		else if (strcmp(argv[1], "cartridges") == 0)
			show_cartridges(s);
		else if (strcmp(argv[1], "port-groups") == 0)
			show_pgroups(s);
		else
			show_stats(s);
	} else if (strcmp(argv[0], "reload") == 0 && argc == 1) {
		s = ctl_connect(path);
		ctl_request(s, MSG_CTL_RELOAD, NULL, 0);
		ctl_ok(s);
	} else if (strcmp(argv[0], "log") == 0 && argc == 2) {
		s = ctl_connect(path);
		log_level(s, argv[1]);
	} else if (strcmp(argv[0], "port-group") == 0 && argc == 4 &&
	    strcmp(argv[2], "state") == 0) {
		s = ctl_connect(path);
		pgroup_state(s, argv[1], argv[3]);
	} else if (strcmp(argv[0], "lun") == 0 && argc == 4) {
		s = ctl_connect(path);
		lun_state(s, argv[1], argv[2], argv[3]);
	} else if (strcmp(argv[0], "library") == 0 && argc == 5) {
		s = ctl_connect(path);
		library_op(s, argc - 1, argv + 1);
	} else if (strcmp(argv[0], "drive") == 0 && argc >= 4) {
		s = ctl_connect(path);
		drive_op(s, argc - 1, argv + 1);
	} else if (strcmp(argv[0], "session") == 0 && argc == 4 &&
	    strcmp(argv[1], "drop") == 0) {
		s = ctl_connect(path);
		session_drop(s, argv[2], argv[3]);
	} else
		usage();
	if (fflush(stdout) == EOF)
		err(1, "stdout");
	close(s);
	return (0);
}
