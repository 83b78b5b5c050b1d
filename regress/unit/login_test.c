/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Login negotiation of tgt-portal.  params.c is driven directly with the
 * key sets real initiators send; then whole logins run through conn.c
 * and login.c over a loopback TCP connection, with this test playing the
 * initiator and the portal's event loop turned by hand.
 */

#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "../../tgt-portal/login.h"
#include "log.h"
#include "unit.h"

#define XSTR(x)		#x
#define STR(x)		XSTR(x)

struct portal		*portal;
static struct portal	 portal_store;

/* Negotiate one key set; the response text goes to out. */
static void
negotiate(struct param_neg *n, int discovery, struct textbuf *out,
    const char *const *keys)
{
	char	 kv[512], *eq;

	params_neg_init(n, discovery, 0);
	textbuf_init(out);
	for (; *keys != NULL; keys++) {
		strlcpy(kv, *keys, sizeof(kv));
		eq = strchr(kv, '=');
		*eq = '\0';
		if (params_key(n, kv, eq + 1, out) == PARAM_UNKNOWN)
			textbuf_add(out, kv, "NotUnderstood");
	}
	params_declare(n, out);
	params_finish(n);
}

/* Is key=val in the response text? */
static int
has(const struct textbuf *t, const char *kv)
{
	size_t	 pos;

	for (pos = 0; pos < t->len; pos += strlen(t->buf + pos) + 1)
		if (strcmp(t->buf + pos, kv) == 0)
			return (1);
	return (0);
}

static int
count_key(const struct textbuf *t, const char *key)
{
	size_t	 pos, kl = strlen(key);
	int	 n = 0;

	for (pos = 0; pos < t->len; pos += strlen(t->buf + pos) + 1)
		if (strncmp(t->buf + pos, key, kl) == 0 &&
		    t->buf[pos + kl] == '=')
			n++;
	return (n);
}

/* iSER keys (RFC 7145 6): as Linux's iSER initiator sends them. */
static void
neg_iser(struct param_neg *n, int iser, struct textbuf *out,
    const char *const *keys)
{
	char	 kv[512], *eq;

	params_neg_init(n, 0, 0);
	n->iser = iser;
	textbuf_init(out);
	for (; *keys != NULL; keys++) {
		strlcpy(kv, *keys, sizeof(kv));
		eq = strchr(kv, '=');
		*eq = '\0';
		if (params_key(n, kv, eq + 1, out) == PARAM_UNKNOWN)
			textbuf_add(out, kv, "NotUnderstood");
	}
	params_declare(n, out);
	params_finish(n);
}

static void
test_iser_keys(void)
{
	static const char *const keys[] = {
		"InitialR2T=No", "ImmediateData=Yes",
		"FirstBurstLength=262144", "MaxBurstLength=16776192",
		"InitiatorRecvDataSegmentLength=262144",
		"TargetRecvDataSegmentLength=65536",
		"MaxOutstandingUnexpectedPDUs=64", "RDMAExtensions=Yes",
		"HeaderDigest=CRC32C,None", "ErrorRecoveryLevel=2",
		"MaxConnections=4", NULL
	};
	static const char *const crc[] = { "DataDigest=CRC32C", NULL };
	struct param_neg	 n;
	struct textbuf		 out;

	neg_iser(&n, 1, &out, keys);
	CHECK(has(&out, "RDMAExtensions=Yes") && n.p.rdma_ext == 1);
	CHECK(has(&out, "InitialR2T=Yes") && n.p.initial_r2t == 1);
	CHECK(has(&out, "ImmediateData=No") && n.p.immediate_data == 0);
	CHECK(has(&out, "FirstBurstLength=8192"));
	CHECK(has(&out, "TargetRecvDataSegmentLength=8192"));
	CHECK(has(&out, "InitiatorRecvDataSegmentLength=8192"));
	CHECK(has(&out, "HeaderDigest=None"));
	CHECK(has(&out, "MaxRecvDataSegmentLength=8192"));
	CHECK(n.p.max_recv_dsl == 8192 && n.p.max_xmit_dsl == 8192);
	CHECK(n.p.max_unexpected == 64);
	/* no ERL > 0 and no MC/S over iSER */
	CHECK(has(&out, "ErrorRecoveryLevel=0") && n.p.erl == 0);
	CHECK(has(&out, "MaxConnections=1") && n.p.max_connections == 1);
	textbuf_free(&out);

	/* over TCP: no RDMA extensions, the iSER lengths are irrelevant */
	neg_iser(&n, 0, &out, keys);
	CHECK(has(&out, "RDMAExtensions=No") && n.p.rdma_ext == 0);
	CHECK(has(&out, "InitialR2T=No"));
	CHECK(has(&out, "TargetRecvDataSegmentLength=Irrelevant"));
	CHECK(has(&out, "MaxOutstandingUnexpectedPDUs=Irrelevant"));
	CHECK(has(&out, "HeaderDigest=CRC32C"));
	CHECK(has(&out, "ErrorRecoveryLevel=2") && n.p.erl == 2);
	CHECK(has(&out, "MaxConnections=4") && n.p.max_connections == 4);
	textbuf_free(&out);

	/* iSER has no digests: CRC32C alone is refused */
	neg_iser(&n, 1, &out, crc);
	CHECK(has(&out, "DataDigest=Reject") && n.p.data_digest == 0);
	textbuf_free(&out);
}

/* What open-iscsi sends in the operational stage. */
static void
test_openiscsi(void)
{
	static const char *const keys[] = {
		"HeaderDigest=None", "DataDigest=None",
		"DefaultTime2Wait=2", "DefaultTime2Retain=0",
		"IFMarker=No", "OFMarker=No", "ErrorRecoveryLevel=0",
		"InitialR2T=No", "ImmediateData=Yes",
		"MaxBurstLength=16776192", "FirstBurstLength=262144",
		"MaxOutstandingR2T=1", "MaxConnections=1",
		"DataPDUInOrder=Yes", "DataSequenceInOrder=Yes",
		"MaxRecvDataSegmentLength=262144", NULL
	};
	struct param_neg	 n;
	struct textbuf		 out;

	negotiate(&n, 0, &out, keys);
	CHECK(!out.error);
	CHECK(n.p.header_digest == 0 && n.p.data_digest == 0);
	CHECK(n.p.max_burst == PORTAL_MAX_BURST);
	CHECK(n.p.first_burst == PORTAL_FIRST_BURST);
	CHECK(n.p.first_burst <= n.p.max_burst);
	CHECK(n.p.initial_r2t == 0);
	CHECK(n.p.immediate_data == 1);
	CHECK(n.p.max_outstanding_r2t == 1);
	CHECK(n.p.erl == 0);
	CHECK(n.p.max_connections == 1);
	CHECK(n.p.default_time2wait == 2);
	CHECK(n.p.default_time2retain == 0);
	CHECK(n.p.data_pdu_in_order == 1 && n.p.data_seq_in_order == 1);
	CHECK(n.p.max_xmit_dsl == 262144);
	CHECK(n.p.max_recv_dsl == PORTAL_MAX_RECV_DSL);
	CHECK(has(&out, "HeaderDigest=None"));
	CHECK(has(&out, "MaxBurstLength=1048576"));
	CHECK(has(&out, "FirstBurstLength=65536"));
	CHECK(has(&out, "InitialR2T=No"));
	CHECK(has(&out, "ImmediateData=Yes"));
	CHECK(has(&out, "IFMarker=No") && has(&out, "OFMarker=No"));
	CHECK(has(&out, "DefaultTime2Retain=0"));
	CHECK(has(&out, "ErrorRecoveryLevel=0"));
	CHECK(has(&out, "MaxConnections=1"));
	CHECK(count_key(&out, "MaxRecvDataSegmentLength") == 1);
	CHECK(has(&out, "MaxRecvDataSegmentLength=262144"));
	textbuf_free(&out);
}

/* What libiscsi sends, with digests offered. */
static void
test_libiscsi(void)
{
	static const char *const keys[] = {
		"HeaderDigest=CRC32C,None", "DataDigest=CRC32C,None",
		"InitialR2T=Yes", "ImmediateData=No",
		"MaxBurstLength=262144", "FirstBurstLength=262144",
		"MaxRecvDataSegmentLength=65536", "DataPDUInOrder=Yes",
		"DataSequenceInOrder=Yes", "DefaultTime2Wait=5",
		"DefaultTime2Retain=60", "MaxOutstandingR2T=8",
		"ErrorRecoveryLevel=2", "MaxConnections=4", NULL
	};
	struct param_neg	 n;
	struct textbuf		 out;

	negotiate(&n, 0, &out, keys);
	/* the initiator's preference: CRC32C first */
	CHECK(has(&out, "HeaderDigest=CRC32C") && n.p.header_digest == 1);
	CHECK(has(&out, "DataDigest=CRC32C") && n.p.data_digest == 1);
	CHECK(n.p.initial_r2t == 1 && has(&out, "InitialR2T=Yes"));
	CHECK(n.p.immediate_data == 0 && has(&out, "ImmediateData=No"));
	CHECK(n.p.max_burst == 262144);
	CHECK(n.p.first_burst == 65536);
	CHECK(n.p.max_xmit_dsl == 65536);
	CHECK(n.p.default_time2wait == 5);
	CHECK(n.p.default_time2retain == PORTAL_TIME2RETAIN);
	CHECK(n.p.max_outstanding_r2t == PORTAL_MAX_R2T);
	CHECK(has(&out, "ErrorRecoveryLevel=" STR(PORTAL_MAX_ERL)) &&
	    n.p.erl == PORTAL_MAX_ERL);
	CHECK(has(&out, "MaxConnections=4") && n.p.max_connections == 4);
	textbuf_free(&out);
}

/* Digests: the first of the initiator's list we do; ERL is the min. */
static void
test_digest_order(void)
{
	static const char *const keys[] = {
		"HeaderDigest=None,CRC32C", "DataDigest=MD5,CRC32C",
		"ErrorRecoveryLevel=0", "MaxConnections=65535", NULL
	};
	struct param_neg	 n;
	struct textbuf		 out;

	negotiate(&n, 0, &out, keys);
	CHECK(has(&out, "HeaderDigest=None") && n.p.header_digest == 0);
	CHECK(has(&out, "DataDigest=CRC32C") && n.p.data_digest == 1);
	CHECK(has(&out, "ErrorRecoveryLevel=0") && n.p.erl == 0);
	CHECK(n.p.max_connections == PORTAL_MAX_CONNS);
	textbuf_free(&out);
}

/* Nothing sent: RFC defaults, and we still declare our receive size. */
static void
test_declarative(void)
{
	static const char *const none[] = { NULL };
	static const char *const small[] = {
		"MaxBurstLength=4096", "MaxRecvDataSegmentLength=512", NULL
	};
	struct param_neg	 n;
	struct textbuf		 out;

	negotiate(&n, 0, &out, none);
	CHECK(n.p.max_xmit_dsl == 8192);
	CHECK(n.p.max_recv_dsl == PORTAL_MAX_RECV_DSL);
	CHECK(has(&out, "MaxRecvDataSegmentLength=262144"));
	CHECK(n.p.max_burst == 262144 && n.p.first_burst == 65536);
	CHECK(n.p.initial_r2t == 1 && n.p.immediate_data == 1);
	textbuf_free(&out);

	/* FirstBurstLength follows a small MaxBurstLength down. */
	negotiate(&n, 0, &out, small);
	CHECK(n.p.max_burst == 4096);
	CHECK(n.p.first_burst == 4096);
	CHECK(n.p.max_xmit_dsl == 512);
	textbuf_free(&out);
}

static void
test_reject(void)
{
	static const char *const keys[] = {
		"MaxRecvDataSegmentLength=100", "MaxBurstLength=x",
		"FirstBurstLength=0x", "InitialR2T=maybe",
		"ErrorRecoveryLevel=3", "HeaderDigest=MD5",
		"MaxOutstandingR2T=0", "DefaultTime2Wait=3601",
		"TargetAlias=foo", "X-com.example.Thing=1", "FooBar=1", NULL
	};
	struct param_neg	 n;
	struct textbuf		 out;

	negotiate(&n, 0, &out, keys);
	CHECK(has(&out, "MaxRecvDataSegmentLength=Reject"));
	CHECK(n.p.max_xmit_dsl == 8192);
	CHECK(has(&out, "MaxBurstLength=Reject"));
	CHECK(has(&out, "FirstBurstLength=Reject"));
	CHECK(has(&out, "InitialR2T=Reject"));
	CHECK(has(&out, "ErrorRecoveryLevel=Reject"));
	CHECK(has(&out, "HeaderDigest=Reject"));
	CHECK(has(&out, "MaxOutstandingR2T=Reject"));
	CHECK(has(&out, "DefaultTime2Wait=Reject"));
	CHECK(has(&out, "TargetAlias=Reject"));
	CHECK(has(&out, "X-com.example.Thing=NotUnderstood"));
	CHECK(has(&out, "FooBar=NotUnderstood"));
	/* We still declared ours (the initiator's was rejected). */
	CHECK(has(&out, "MaxRecvDataSegmentLength=262144"));
	textbuf_free(&out);
}

static void
test_discovery(void)
{
	static const char *const keys[] = {
		"HeaderDigest=None", "MaxBurstLength=262144",
		"InitialR2T=No", "ImmediateData=Yes", "MaxConnections=1",
		"MaxRecvDataSegmentLength=32768", "ErrorRecoveryLevel=0",
		NULL
	};
	struct param_neg	 n;
	struct textbuf		 out;

	negotiate(&n, 1, &out, keys);
	CHECK(has(&out, "HeaderDigest=None"));
	CHECK(has(&out, "MaxBurstLength=Irrelevant"));
	CHECK(has(&out, "InitialR2T=Irrelevant"));
	CHECK(has(&out, "ImmediateData=Irrelevant"));
	CHECK(has(&out, "MaxConnections=Irrelevant"));
	CHECK(has(&out, "ErrorRecoveryLevel=0"));
	CHECK(n.p.max_xmit_dsl == 32768);
	textbuf_free(&out);
}

/*
 * Whole logins over TCP.
 */

static int	 lfd = -1;
static struct portal_listener listener;

static void
pump(void)
{
	event_base_loop(portal->evb, EVLOOP_NONBLOCK);
}

static int
client_connect(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 fd;

	if (getsockname(lfd, (struct sockaddr *)&sin, &len) == -1)
		return (-1);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (-1);
	if (connect(fd, (struct sockaddr *)&sin, len) == -1) {
		close(fd);
		return (-1);
	}
	conn_accept(lfd, EV_READ, &listener);
	return (fd);
}

static int
client_send(int fd, const uint8_t *bhs, const void *data, size_t dlen)
{
	uint8_t	 buf[ISCSI_BHS_SIZE + 65536 + 4];
	size_t	 n = ISCSI_BHS_SIZE + ISCSI_PAD(dlen);

	if (n > sizeof(buf))
		return (-1);
	memset(buf, 0, n);
	memcpy(buf, bhs, ISCSI_BHS_SIZE);
	bhs_set_dlen(buf, dlen);
	if (dlen > 0)
		memcpy(buf + ISCSI_BHS_SIZE, data, dlen);
	if (write(fd, buf, n) != (ssize_t)n)
		return (-1);
	pump();
	return (0);
}

/* Read one PDU, turning the portal's loop meanwhile.  0, -1 EOF/time. */
static int
client_recv(int fd, uint8_t *bhs, char *data, size_t dsize, size_t *dlen)
{
	uint8_t		 buf[ISCSI_BHS_SIZE + 65536 + 4];
	size_t		 have = 0, need = ISCSI_BHS_SIZE;
	struct pollfd	 pfd;
	ssize_t		 n;
	int		 i, hdr = 0;

	for (i = 0; i < 5000 && have < need; i++) {
		pump();
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 1) <= 0)
			continue;
		if ((n = read(fd, buf + have, need - have)) <= 0)
			return (-1);
		have += n;
		if (!hdr && have == ISCSI_BHS_SIZE) {
			hdr = 1;
			need += ISCSI_PAD(bhs_dlen(buf));
			if (need > sizeof(buf))
				return (-1);
		}
	}
	if (have < need)
		return (-1);
	memcpy(bhs, buf, ISCSI_BHS_SIZE);
	*dlen = bhs_dlen(buf);
	if (*dlen + 1 > dsize)
		return (-1);
	memcpy(data, buf + ISCSI_BHS_SIZE, *dlen);
	data[*dlen] = '\0';
	return (0);
}

/* Is the connection closed by the portal? */
static int
client_eof(int fd)
{
	char		 c;
	struct pollfd	 pfd;
	int		 i;

	for (i = 0; i < 3000; i++) {
		pump();
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 1) == 1)
			return (read(fd, &c, 1) == 0);
	}
	return (0);
}

static size_t
text(char *buf, size_t size, ...)
{
	va_list		 ap;
	const char	*s;
	size_t		 len = 0, n;

	va_start(ap, size);
	while ((s = va_arg(ap, const char *)) != NULL) {
		n = strlen(s) + 1;
		if (len + n > size)
			break;
		memcpy(buf + len, s, n);
		len += n;
	}
	va_end(ap);
	return (len);
}

static void
login_bhs(uint8_t *bhs, int flags, uint32_t itt, uint8_t isid_last)
{
	memset(bhs, 0, ISCSI_BHS_SIZE);
	bhs[BHS_OPCODE] = ISCSI_OP_LOGIN_REQ | ISCSI_OP_IMMEDIATE;
	bhs[BHS_FLAGS] = flags;
	bhs[8] = 0x80;
	bhs[13] = isid_last;
	put_be32(bhs + BHS_ITT, itt);
	put_be32(bhs + BHS_CMDSN, 10);
}

static int
has_text(const char *d, size_t len, const char *kv)
{
	size_t	 pos;

	for (pos = 0; pos < len; pos += strlen(d + pos) + 1)
		if (strcmp(d + pos, kv) == 0)
			return (1);
	return (0);
}

#define SEC_TO_OP	(ISCSI_LOGIN_TRANSIT | ISCSI_STAGE_OPERATIONAL)
#define OP_TO_FULL	(ISCSI_LOGIN_TRANSIT | ISCSI_STAGE_OPERATIONAL << 2 | \
			    ISCSI_STAGE_FULL)
#define SEC_TO_FULL	(ISCSI_LOGIN_TRANSIT | ISCSI_STAGE_FULL)

static void
test_login_normal(void)
{
	uint8_t		 bhs[ISCSI_BHS_SIZE], rsp[ISCSI_BHS_SIZE];
	char		 req[1024], data[65536];
	size_t		 len, dlen;
	struct session	*s;
	struct conn	*c;
	int		 fd;

	REQUIRE((fd = client_connect()) != -1);
	len = text(req, sizeof(req), "InitiatorName=iqn.2026-11.test:init",
	    "SessionType=Normal", "TargetName=iqn.2026-11.test:disk",
	    "AuthMethod=CHAP,None", "Unknown.Key=1", NULL);
	login_bhs(bhs, SEC_TO_OP, 0x11, 1);
	REQUIRE(client_send(fd, bhs, req, len) == 0);
	REQUIRE(client_recv(fd, rsp, data, sizeof(data), &dlen) == 0);
	CHECK(rsp[BHS_OPCODE] == ISCSI_OP_LOGIN_RSP);
	CHECK(rsp[36] == 0 && rsp[37] == 0);
	CHECK(rsp[BHS_FLAGS] == SEC_TO_OP);
	CHECK(get_be32(rsp + BHS_ITT) == 0x11);
	CHECK(get_be32(rsp + BHS_EXPCMDSN) == 10);
	CHECK(has_text(data, dlen, "AuthMethod=None"));
	CHECK(has_text(data, dlen, "TargetPortalGroupTag=7"));
	CHECK(has_text(data, dlen, "TargetAlias=Test disk"));
	CHECK(has_text(data, dlen, "Unknown.Key=NotUnderstood"));

	len = text(req, sizeof(req), "HeaderDigest=None", "DataDigest=None",
	    "MaxRecvDataSegmentLength=131072", "InitialR2T=No",
	    "ImmediateData=Yes", "MaxBurstLength=262144",
	    "FirstBurstLength=262144", NULL);
	login_bhs(bhs, OP_TO_FULL, 0x12, 1);
	REQUIRE(client_send(fd, bhs, req, len) == 0);
	REQUIRE(client_recv(fd, rsp, data, sizeof(data), &dlen) == 0);
	CHECK(rsp[36] == 0 && rsp[37] == 0);
	CHECK(rsp[BHS_FLAGS] == OP_TO_FULL);
	CHECK(get_be16(rsp + 14) != 0);
	CHECK(has_text(data, dlen, "MaxRecvDataSegmentLength=262144"));
	CHECK(has_text(data, dlen, "FirstBurstLength=65536"));

	s = TAILQ_FIRST(&portal->sessions);
	REQUIRE(s != NULL);
	CHECK(s->tsih == get_be16(rsp + 14));
	CHECK(strcmp(s->initiator, "iqn.2026-11.test:init") == 0);
	CHECK(s->params.initial_r2t == 0 && s->params.first_burst == 65536);
	CHECK(s->exp_cmdsn == 10);
	c = TAILQ_FIRST(&s->conns);
	REQUIRE(c != NULL);
	CHECK(c->phase == CONN_FULL);
	CHECK(c->params.max_xmit_dsl == 131072);
	CHECK(c->params.max_recv_dsl == PORTAL_MAX_RECV_DSL);

	/* NOP-Out ping is echoed. */
	memset(bhs, 0, sizeof(bhs));
	bhs[BHS_OPCODE] = ISCSI_OP_NOP_OUT;
	bhs[BHS_FLAGS] = ISCSI_FLAG_FINAL;
	put_be32(bhs + BHS_ITT, 0x21);
	put_be32(bhs + BHS_TTT, 0xffffffff);
	put_be32(bhs + BHS_CMDSN, 10);
	REQUIRE(client_send(fd, bhs, "ping", 4) == 0);
	REQUIRE(client_recv(fd, rsp, data, sizeof(data), &dlen) == 0);
	CHECK(rsp[BHS_OPCODE] == ISCSI_OP_NOP_IN);
	CHECK(get_be32(rsp + BHS_ITT) == 0x21);
	CHECK(dlen == 4 && memcmp(data, "ping", 4) == 0);
	CHECK(get_be32(rsp + BHS_EXPCMDSN) == 11);
	CHECK(get_be32(rsp + BHS_MAXCMDSN) == 11 + 31);

	/* SNACK: rejected at ErrorRecoveryLevel 0, BHS echoed. */
	memset(bhs, 0, sizeof(bhs));
	bhs[BHS_OPCODE] = ISCSI_OP_SNACK;
	bhs[BHS_FLAGS] = ISCSI_FLAG_FINAL;
	REQUIRE(client_send(fd, bhs, NULL, 0) == 0);
	REQUIRE(client_recv(fd, rsp, data, sizeof(data), &dlen) == 0);
	CHECK(rsp[BHS_OPCODE] == ISCSI_OP_REJECT);
	CHECK(dlen == ISCSI_BHS_SIZE && (uint8_t)data[0] == ISCSI_OP_SNACK);

	/* A second login with the same ISID reinstates the session. */
	{
		int	 fd2;
		uint16_t old = s->tsih;

		REQUIRE((fd2 = client_connect()) != -1);
		len = text(req, sizeof(req),
		    "InitiatorName=iqn.2026-11.test:init",
		    "TargetName=iqn.2026-11.test:disk", NULL);
		login_bhs(bhs, SEC_TO_FULL, 0x31, 1);
		REQUIRE(client_send(fd2, bhs, req, len) == 0);
		REQUIRE(client_recv(fd2, rsp, data, sizeof(data), &dlen) ==
		    0);
		CHECK(rsp[36] == 0);
		CHECK(get_be16(rsp + 14) != old);
		CHECK(client_eof(fd));
		s = TAILQ_FIRST(&portal->sessions);
		REQUIRE(s != NULL);
		CHECK(TAILQ_NEXT(s, entry) == NULL);
		CHECK(s->tsih == get_be16(rsp + 14));
		/* No operational stage: the defaults hold. */
		c = TAILQ_FIRST(&s->conns);
		CHECK(c != NULL && c->params.max_recv_dsl == 8192);

		/* Logout closes it. */
		memset(bhs, 0, sizeof(bhs));
		bhs[BHS_OPCODE] = ISCSI_OP_LOGOUT_REQ | ISCSI_OP_IMMEDIATE;
		bhs[BHS_FLAGS] = ISCSI_FLAG_FINAL;
		put_be32(bhs + BHS_ITT, 0x41);
		put_be32(bhs + BHS_CMDSN, 10);
		REQUIRE(client_send(fd2, bhs, NULL, 0) == 0);
		REQUIRE(client_recv(fd2, rsp, data, sizeof(data), &dlen) ==
		    0);
		CHECK(rsp[BHS_OPCODE] == ISCSI_OP_LOGOUT_RSP && rsp[2] == 0);
		CHECK(get_be32(rsp + BHS_ITT) == 0x41);
		CHECK(client_eof(fd2));
		CHECK(TAILQ_EMPTY(&portal->sessions));
		close(fd2);
	}
	close(fd);
}

/* Expect a login failure with class/detail for one request. */
static int
login_fails(int flags, const char *req, size_t len, uint8_t vmin,
    uint8_t class, uint8_t detail)
{
	uint8_t		 bhs[ISCSI_BHS_SIZE], rsp[ISCSI_BHS_SIZE];
	char		 data[65536];
	size_t		 dlen;
	int		 fd, ok;

	if ((fd = client_connect()) == -1)
		return (0);
	login_bhs(bhs, flags, 1, 9);
	bhs[3] = vmin;
	if (client_send(fd, bhs, req, len) == -1 ||
	    client_recv(fd, rsp, data, sizeof(data), &dlen) == -1) {
		close(fd);
		return (0);
	}
	ok = rsp[BHS_OPCODE] == ISCSI_OP_LOGIN_RSP && rsp[36] == class &&
	    rsp[37] == detail && !(rsp[BHS_FLAGS] & ISCSI_LOGIN_TRANSIT);
	if (!ok)
		printf("  got status %02x%02x\n", rsp[36], rsp[37]);
	ok = ok && client_eof(fd);
	close(fd);
	return (ok);
}

static void
test_login_errors(void)
{
	char	 req[1024];
	size_t	 len;

	len = text(req, sizeof(req), "SessionType=Normal",
	    "TargetName=iqn.2026-11.test:disk", NULL);
	CHECK(login_fails(SEC_TO_OP, req, len, 0, ISCSI_LS_INITIATOR_ERR,
	    ISCSI_LD_MISSING_PARAM));
	len = text(req, sizeof(req), "InitiatorName=iqn.x:y", NULL);
	CHECK(login_fails(SEC_TO_OP, req, len, 0, ISCSI_LS_INITIATOR_ERR,
	    ISCSI_LD_MISSING_PARAM));
	len = text(req, sizeof(req), "InitiatorName=iqn.x:y",
	    "TargetName=iqn.2026-11.test:nope", NULL);
	CHECK(login_fails(SEC_TO_OP, req, len, 0, ISCSI_LS_INITIATOR_ERR,
	    ISCSI_LD_NOT_FOUND));
	len = text(req, sizeof(req), "InitiatorName=iqn.x:y",
	    "TargetName=iqn.2026-11.test:disk", NULL);
	CHECK(login_fails(SEC_TO_OP, req, len, 1, ISCSI_LS_INITIATOR_ERR,
	    ISCSI_LD_VERSION));
	len = text(req, sizeof(req), "InitiatorName=iqn.x:y",
	    "InitiatorName=iqn.x:z", "TargetName=iqn.2026-11.test:disk",
	    NULL);
	CHECK(login_fails(SEC_TO_OP, req, len, 0, ISCSI_LS_INITIATOR_ERR,
	    ISCSI_LD_INIT_ERR));
	len = text(req, sizeof(req), "InitiatorName=iqn.x:y",
	    "TargetName=iqn.2026-11.test:disk", "AuthMethod=CHAP", NULL);
	CHECK(login_fails(SEC_TO_OP, req, len, 0, ISCSI_LS_INITIATOR_ERR,
	    ISCSI_LD_AUTH_FAIL));
	len = text(req, sizeof(req), "InitiatorName=iqn.x:y",
	    "SessionType=Bogus", NULL);
	CHECK(login_fails(SEC_TO_OP, req, len, 0, ISCSI_LS_INITIATOR_ERR,
	    ISCSI_LD_INIT_ERR));
	/* Malformed text. */
	memcpy(req, "InitiatorName\0", 14);
	CHECK(login_fails(SEC_TO_OP, req, 14, 0, ISCSI_LS_INITIATOR_ERR,
	    ISCSI_LD_INIT_ERR));
	/* T and C together; NSG going backwards. */
	len = text(req, sizeof(req), "InitiatorName=iqn.x:y",
	    "TargetName=iqn.2026-11.test:disk", NULL);
	CHECK(login_fails(SEC_TO_OP | ISCSI_LOGIN_CONTINUE, req, len, 0,
	    ISCSI_LS_INITIATOR_ERR, ISCSI_LD_INIT_ERR));
	CHECK(login_fails(ISCSI_LOGIN_TRANSIT | ISCSI_STAGE_OPERATIONAL << 2,
	    req, len, 0, ISCSI_LS_INITIATOR_ERR, ISCSI_LD_INIT_ERR));
	CHECK(TAILQ_EMPTY(&portal->sessions));
}

/* A request spread over C-bit PDUs, then discovery with a long answer. */
static void
test_login_continue(void)
{
	uint8_t		 bhs[ISCSI_BHS_SIZE], rsp[ISCSI_BHS_SIZE];
	char		 req[1024], data[65536], all[65536];
	size_t		 len, dlen, alen = 0;
	uint32_t	 ttt, cmdsn = 10;
	int		 fd, i, npdu = 0, ntargets = 0;

	REQUIRE((fd = client_connect()) != -1);
	len = text(req, sizeof(req), "InitiatorName=iqn.2026-11.test:init",
	    "SessionType=Discovery", NULL);
	/* First half with C, no T. */
	login_bhs(bhs, ISCSI_LOGIN_CONTINUE, 1, 2);
	REQUIRE(client_send(fd, bhs, req, 20) == 0);
	REQUIRE(client_recv(fd, rsp, data, sizeof(data), &dlen) == 0);
	CHECK(rsp[36] == 0 && dlen == 0 && rsp[BHS_FLAGS] == 0);
	login_bhs(bhs, SEC_TO_FULL, 1, 2);
	REQUIRE(client_send(fd, bhs, req + 20, len - 20) == 0);
	REQUIRE(client_recv(fd, rsp, data, sizeof(data), &dlen) == 0);
	CHECK(rsp[36] == 0 && rsp[BHS_FLAGS] == SEC_TO_FULL);
	REQUIRE(!TAILQ_EMPTY(&portal->sessions));
	CHECK(TAILQ_FIRST(&portal->sessions)->discovery);

	/* SendTargets=All: 8192 bytes a PDU, continued with our TTT. */
	len = text(req, sizeof(req), "SendTargets=All", NULL);
	memset(bhs, 0, sizeof(bhs));
	bhs[BHS_OPCODE] = ISCSI_OP_TEXT_REQ;
	bhs[BHS_FLAGS] = ISCSI_FLAG_FINAL;
	put_be32(bhs + BHS_ITT, 0x77);
	put_be32(bhs + BHS_TTT, 0xffffffff);
	put_be32(bhs + BHS_CMDSN, cmdsn++);
	REQUIRE(client_send(fd, bhs, req, len) == 0);
	for (;;) {
		REQUIRE(client_recv(fd, rsp, data, sizeof(data), &dlen) == 0);
		REQUIRE(rsp[BHS_OPCODE] == ISCSI_OP_TEXT_RSP);
		CHECK(dlen <= 8192);
		REQUIRE(alen + dlen <= sizeof(all));
		memcpy(all + alen, data, dlen);
		alen += dlen;
		npdu++;
		if (rsp[BHS_FLAGS] & ISCSI_FLAG_FINAL)
			break;
		CHECK(rsp[BHS_FLAGS] & 0x40);
		ttt = get_be32(rsp + BHS_TTT);
		CHECK(ttt != 0xffffffff);
		put_be32(bhs + BHS_TTT, ttt);
		put_be32(bhs + BHS_CMDSN, cmdsn++);
		REQUIRE(client_send(fd, bhs, NULL, 0) == 0);
	}
	CHECK(npdu > 1);
	CHECK(get_be32(rsp + BHS_TTT) == 0xffffffff);
	for (i = 0; (size_t)i < alen; i += strlen(all + i) + 1)
		if (strncmp(all + i, "TargetName=", 11) == 0)
			ntargets++;
	CHECK(ntargets == 301);
	CHECK(has_text(all, alen, "TargetName=iqn.2026-11.test:disk"));
	CHECK(has_text(all, alen, "TargetAddress=127.0.0.1:3260,7"));
	close(fd);
	client_eof(fd);
}

/* A login response too long for one PDU comes in C-bit pieces. */
static void
test_login_long_response(void)
{
	uint8_t		 bhs[ISCSI_BHS_SIZE], rsp[ISCSI_BHS_SIZE];
	char		 req[16384], data[65536];
	size_t		 len = 0, dlen, got = 0;
	int		 fd, i, npdu = 0, nu = 0;

	REQUIRE((fd = client_connect()) != -1);
	len = text(req, sizeof(req), "InitiatorName=iqn.2026-11.test:long",
	    "TargetName=iqn.2026-11.test:disk", NULL);
	login_bhs(bhs, SEC_TO_OP, 1, 3);
	REQUIRE(client_send(fd, bhs, req, len) == 0);
	REQUIRE(client_recv(fd, rsp, data, sizeof(data), &dlen) == 0);
	REQUIRE(rsp[36] == 0);

	len = 0;
	for (i = 0; i < 200; i++)
		len += snprintf(req + len, sizeof(req) - len,
		    "X-org.example.a-long-vendor-key-%03d=1", i) + 1;
	login_bhs(bhs, OP_TO_FULL, 2, 3);
	REQUIRE(client_send(fd, bhs, req, len) == 0);
	for (;;) {
		REQUIRE(client_recv(fd, rsp, data, sizeof(data), &dlen) == 0);
		REQUIRE(rsp[36] == 0);
		CHECK(dlen <= LOGIN_PDU_MAX);
		for (i = 0; (size_t)i < dlen; i += strlen(data + i) + 1)
			if (strstr(data + i, "=NotUnderstood") != NULL)
				nu++;
		got += dlen;
		npdu++;
		if (!(rsp[BHS_FLAGS] & ISCSI_LOGIN_CONTINUE))
			break;
		/* No T while the target has more to say. */
		CHECK(!(rsp[BHS_FLAGS] & ISCSI_LOGIN_TRANSIT));
		login_bhs(bhs, OP_TO_FULL, 2, 3);
		REQUIRE(client_send(fd, bhs, NULL, 0) == 0);
	}
	CHECK(npdu >= 2);
	CHECK(got > LOGIN_PDU_MAX);
	CHECK(rsp[BHS_FLAGS] == OP_TO_FULL);
	CHECK(get_be16(rsp + 14) != 0);
	/* A key cut at the PDU boundary is counted in neither piece. */
	CHECK(nu >= 199);
	close(fd);
	client_eof(fd);
}

static int
normal_login(uint8_t isid_last)
{
	uint8_t		 bhs[ISCSI_BHS_SIZE], rsp[ISCSI_BHS_SIZE];
	char		 req[1024], data[65536];
	size_t		 len, dlen;
	int		 fd;

	if ((fd = client_connect()) == -1)
		return (-1);
	len = text(req, sizeof(req), "InitiatorName=iqn.2026-11.test:ffp",
	    "TargetName=iqn.2026-11.test:disk", NULL);
	login_bhs(bhs, SEC_TO_OP, 1, isid_last);
	if (client_send(fd, bhs, req, len) == -1 ||
	    client_recv(fd, rsp, data, sizeof(data), &dlen) == -1 ||
	    rsp[36] != 0)
		goto bad;
	len = text(req, sizeof(req), "MaxRecvDataSegmentLength=8192", NULL);
	login_bhs(bhs, OP_TO_FULL, 2, isid_last);
	if (client_send(fd, bhs, req, len) == -1 ||
	    client_recv(fd, rsp, data, sizeof(data), &dlen) == -1 ||
	    rsp[36] != 0)
		goto bad;
	return (fd);
 bad:
	close(fd);
	return (-1);
}

static void
nop_bhs(uint8_t *bhs, uint32_t itt, uint32_t cmdsn, int imm)
{
	memset(bhs, 0, ISCSI_BHS_SIZE);
	bhs[BHS_OPCODE] = ISCSI_OP_NOP_OUT | (imm ? ISCSI_OP_IMMEDIATE : 0);
	bhs[BHS_FLAGS] = ISCSI_FLAG_FINAL;
	put_be32(bhs + BHS_ITT, itt);
	put_be32(bhs + BHS_TTT, 0xffffffff);
	put_be32(bhs + BHS_CMDSN, cmdsn);
}

/* The CmdSN window, Text in a normal session, too long a PDU. */
static void
test_full_feature(void)
{
	uint8_t		 bhs[ISCSI_BHS_SIZE], rsp[ISCSI_BHS_SIZE];
	char		 req[1024], data[65536];
	static char	 big[PORTAL_MAX_RECV_DSL + 4];
	size_t		 len, dlen;
	struct session	*s;
	uint32_t	 max;
	int		 fd, i;

	REQUIRE((fd = normal_login(4)) != -1);
	s = TAILQ_FIRST(&portal->sessions);
	REQUIRE(s != NULL);

	/* Outside the window (CmdSN 9, ExpCmdSN 10): dropped. */
	nop_bhs(bhs, 0x51, 9, 0);
	REQUIRE(client_send(fd, bhs, NULL, 0) == 0);
	nop_bhs(bhs, 0x52, 10, 0);
	REQUIRE(client_send(fd, bhs, NULL, 0) == 0);
	REQUIRE(client_recv(fd, rsp, data, sizeof(data), &dlen) == 0);
	CHECK(get_be32(rsp + BHS_ITT) == 0x52);
	CHECK(get_be32(rsp + BHS_EXPCMDSN) == 11);
	max = get_be32(rsp + BHS_MAXCMDSN);
	CHECK(max == 11 + 31);

	/* Commands in flight shrink it, but never below what was said. */
	s->ntasks = 20;
	nop_bhs(bhs, 0x53, 11, 1);
	REQUIRE(client_send(fd, bhs, NULL, 0) == 0);
	REQUIRE(client_recv(fd, rsp, data, sizeof(data), &dlen) == 0);
	CHECK(get_be32(rsp + BHS_EXPCMDSN) == 11);
	CHECK(get_be32(rsp + BHS_MAXCMDSN) == max);
	session_task_done(s);
	CHECK(s->ntasks == 19);
	s->ntasks = 0;
	session_task_done(s);
	CHECK(s->ntasks == 0);

	/* Text: SendTargets with an empty value names this target. */
	len = text(req, sizeof(req), "SendTargets=", "Foo=bar", NULL);
	memset(bhs, 0, sizeof(bhs));
	bhs[BHS_OPCODE] = ISCSI_OP_TEXT_REQ;
	bhs[BHS_FLAGS] = ISCSI_FLAG_FINAL;
	put_be32(bhs + BHS_ITT, 0x61);
	put_be32(bhs + BHS_TTT, 0xffffffff);
	put_be32(bhs + BHS_CMDSN, 11);
	REQUIRE(client_send(fd, bhs, req, len) == 0);
	REQUIRE(client_recv(fd, rsp, data, sizeof(data), &dlen) == 0);
	CHECK(rsp[BHS_OPCODE] == ISCSI_OP_TEXT_RSP);
	CHECK(rsp[BHS_FLAGS] == ISCSI_FLAG_FINAL);
	CHECK(has_text(data, dlen, "TargetName=iqn.2026-11.test:disk"));
	CHECK(has_text(data, dlen, "TargetAddress=127.0.0.1:3260,7"));
	CHECK(has_text(data, dlen, "Foo=NotUnderstood"));
	for (len = 0, i = 0; len < dlen; len += strlen(data + len) + 1)
		if (strncmp(data + len, "TargetName=", 11) == 0)
			i++;
	CHECK(i == 1);
	CHECK(get_be32(rsp + BHS_EXPCMDSN) == 12);

	/* Ahead of a CmdSN gap: held until the gap is filled. */
	nop_bhs(bhs, 0x81, 13, 0);
	REQUIRE(client_send(fd, bhs, NULL, 0) == 0);
	nop_bhs(bhs, 0x82, 12, 0);
	REQUIRE(client_send(fd, bhs, NULL, 0) == 0);
	REQUIRE(client_recv(fd, rsp, data, sizeof(data), &dlen) == 0);
	CHECK(get_be32(rsp + BHS_ITT) == 0x82);
	REQUIRE(client_recv(fd, rsp, data, sizeof(data), &dlen) == 0);
	CHECK(get_be32(rsp + BHS_ITT) == 0x81);
	CHECK(get_be32(rsp + BHS_EXPCMDSN) == 14);
	CHECK(s->nheld == 0);

	/* Unknown opcode: Reject, the connection lives on. */
	memset(bhs, 0, sizeof(bhs));
	bhs[BHS_OPCODE] = 0x1c;
	bhs[BHS_FLAGS] = ISCSI_FLAG_FINAL;
	REQUIRE(client_send(fd, bhs, NULL, 0) == 0);
	REQUIRE(client_recv(fd, rsp, data, sizeof(data), &dlen) == 0);
	CHECK(rsp[BHS_OPCODE] == ISCSI_OP_REJECT);
	CHECK(rsp[2] == ISCSI_REJ_NOT_SUPPORTED);

	/* A data segment over our MaxRecvDataSegmentLength: Reject, bye. */
	nop_bhs(bhs, 0x71, 14, 0);
	bhs_set_dlen(bhs, sizeof(big));
	REQUIRE(write(fd, bhs, sizeof(bhs)) == sizeof(bhs));
	REQUIRE(client_recv(fd, rsp, data, sizeof(data), &dlen) == 0);
	CHECK(rsp[BHS_OPCODE] == ISCSI_OP_REJECT);
	CHECK(rsp[2] == ISCSI_REJ_PROTOCOL);
	CHECK(client_eof(fd));
	CHECK(TAILQ_EMPTY(&portal->sessions));
	close(fd);
}

/* The CmdSN reorder queue: in order out, duplicates dropped. */
static void
test_cmdsn_order(void)
{
	static const uint32_t	 order[] = { 14, 12, 13, 12, 11 };
	uint8_t			 bhs[ISCSI_BHS_SIZE], rsp[ISCSI_BHS_SIZE];
	char			 data[1024];
	size_t			 dlen;
	struct session		*s, *x;
	uint32_t		 i;
	int			 fd, n;

	REQUIRE((fd = normal_login(5)) != -1);
	s = NULL;
	TAILQ_FOREACH(x, &portal->sessions, entry)
		if (x->isid[5] == 5)
			s = x;
	REQUIRE(s != NULL && s->exp_cmdsn == 10);
	/* 10 comes last: nothing is answered before it */
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		nop_bhs(bhs, 0x100 + order[i], order[i], 0);
		REQUIRE(client_send(fd, bhs, NULL, 0) == 0);
	}
	/* an immediate PDU goes past the queue */
	nop_bhs(bhs, 0x1ff, 10, 1);
	REQUIRE(client_send(fd, bhs, NULL, 0) == 0);
	REQUIRE(client_recv(fd, rsp, data, sizeof(data), &dlen) == 0);
	CHECK(get_be32(rsp + BHS_ITT) == 0x1ff);
	CHECK(s->nheld == 4);
	CHECK(s->exp_cmdsn == 10);
	/* beyond MaxCmdSN: dropped, not held */
	nop_bhs(bhs, 0x1fe, s->max_cmdsn + 1, 0);
	REQUIRE(client_send(fd, bhs, NULL, 0) == 0);
	CHECK(s->nheld == 4);
	nop_bhs(bhs, 0x100 + 10, 10, 0);
	REQUIRE(client_send(fd, bhs, NULL, 0) == 0);
	for (n = 10; n <= 14; n++) {
		REQUIRE(client_recv(fd, rsp, data, sizeof(data), &dlen) == 0);
		CHECK(get_be32(rsp + BHS_ITT) == 0x100u + n);
	}
	CHECK(s->nheld == 0);
	CHECK(s->exp_cmdsn == 15);
	/* an aborted CmdSN still to come counts as received */
	CHECK(session_cmdsn_abort(s, 16) == 0);
	CHECK(s->nheld == 1 && s->exp_cmdsn == 15);
	nop_bhs(bhs, 0x200, 15, 0);
	REQUIRE(client_send(fd, bhs, NULL, 0) == 0);
	REQUIRE(client_recv(fd, rsp, data, sizeof(data), &dlen) == 0);
	CHECK(get_be32(rsp + BHS_ITT) == 0x200);
	CHECK(s->nheld == 0 && s->exp_cmdsn == 17);
	close(fd);
	for (i = 0; i < 50 && !TAILQ_EMPTY(&portal->sessions); i++)
		pump();
}

static void
add_target(uint32_t id, const char *name, const char *alias)
{
	struct ptarget	*t;

	t = calloc(1, sizeof(*t));
	t->target_id = id;
	t->flags = TARGET_F_ALLOW_ALL;
	strlcpy(t->name, name, sizeof(t->name));
	strlcpy(t->alias, alias, sizeof(t->alias));
	TAILQ_INIT(&t->luns);
	TAILQ_INSERT_TAIL(&portal->targets, t, entry);
}

static int
setup(void)
{
	struct sockaddr_in	 sin;
	char			 name[TGT_NAME_MAX];
	int			 i;

	log_init(1, 0, "login_test");
	portal = &portal_store;
	TAILQ_INIT(&portal->listeners);
	TAILQ_INIT(&portal->targets);
	TAILQ_INIT(&portal->sessions);
	portal->tpgt = 7;
	portal->max_cmds = 32;
	portal->started = 1;
	if ((portal->evb = event_base_new()) == NULL)
		return (-1);
	add_target(1, "iqn.2026-11.test:disk", "Test disk");
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name),
		    "iqn.2026-11.test:a-rather-long-target-name-nr-%03d", i);
		add_target(i + 2, name, "");
	}
	strlcpy(listener.addr, "127.0.0.1:3260", sizeof(listener.addr));
	TAILQ_INSERT_TAIL(&portal->listeners, &listener, entry);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, 8) == -1)
		return (-1);
	listener.fd = lfd;
	return (0);
}

/* Added by a reload, its LUNs not there yet: service unavailable. */
static void
test_login_unready(void)
{
	char	 req[1024];
	size_t	 len;

	add_target(400, "iqn.2026-11.test:unready", "");
	REQUIRE(ptarget_find("iqn.2026-11.test:unready") != NULL);
	ptarget_find("iqn.2026-11.test:unready")->unready = 1;
	len = text(req, sizeof(req), "InitiatorName=iqn.x:y",
	    "TargetName=iqn.2026-11.test:unready", NULL);
	CHECK(login_fails(SEC_TO_OP, req, len, 0, ISCSI_LS_TARGET_ERR,
	    ISCSI_LD_SVC_UNAVAIL));
	CHECK(TAILQ_EMPTY(&portal->sessions));
}

int
main(void)
{
	UNIT_RUN(test_openiscsi);
	UNIT_RUN(test_libiscsi);
	UNIT_RUN(test_digest_order);
	UNIT_RUN(test_iser_keys);
	UNIT_RUN(test_declarative);
	UNIT_RUN(test_reject);
	UNIT_RUN(test_discovery);
	if (setup() == -1) {
		printf("FAIL setup: %s\n", strerror(errno));
		return (1);
	}
	UNIT_RUN(test_login_normal);
	UNIT_RUN(test_login_errors);
	UNIT_RUN(test_login_unready);
	UNIT_RUN(test_login_continue);
	UNIT_RUN(test_login_long_response);
	UNIT_RUN(test_full_feature);
	UNIT_RUN(test_cmdsn_order);
	return (UNIT_END("login"));
}
