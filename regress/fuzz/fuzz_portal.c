/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * The in-process portal of the fuzz harnesses, see fuzz_portal.h.
 *
 * The fake tgt-lun completes commands at once (GOOD, CHECK CONDITION,
 * short or over-long transfers, chosen by CDB bytes the input controls),
 * except VERIFY(10), which it holds until the connection is gone, so
 * that aborts and teardown with commands in flight are covered too.
 */

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "../../tgt-portal/auth.h"
#include "../../tgt-portal/login.h"
#include "fuzz_portal.h"

#define LUN_ENTRIES	8
#define LUN_DATA	(128 * 1024)
#define LUN_BLOCK	4096
#define HOLD_MAX	64
#define IDLE_ROUNDS	3		/* rounds without progress: quiet */
#define RUN_ROUNDS	4096		/* hard limit per fuzz_run() */

struct portal		*portal;

static struct portal	 store;
static struct ptarget	 target;
static struct ptarget	 chap_target;	/* CHAP required, no LUNs */
static int		 master_fd = -1; /* the fake tgt-master's end */
static struct portal_listener listener;
static struct ring	 lunr;		/* the fake tgt-lun's mapping */
static struct plun	*plun;
static struct ring_sqe	 held[HOLD_MAX];
static int		 nheld;

/* The clients: bytes queued for each, not yet written. */
struct client {
	int		 fd;
	int		 eof;		/* the portal hung up */
	uint8_t		*q;
	size_t		 len, off, size;
};
static struct client	 clients[FUZZ_CLIENTS];
static int		 nclients;

static void __attribute__((noreturn))
die(const char *what)
{
	fprintf(stderr, "fuzz_portal: %s\n", what);
	abort();
}

/* Messages from the fake master to the portal: CHAP verdicts. */
static void
master_dispatch(struct msgchan *mc, struct msg *m, void *arg)
{
	if (m->hdr.type == MSG_PORTAL_AUTH_RESP)
		chap_resp_msg(m);
	msg_free(m);
}

static void
master_closed(struct msgchan *mc, void *arg)
{
	die("the master channel closed");
}

/*
 * The fake master: CHAP_N "fuzz" passes whatever its CHAP_R, anyone else
 * fails; a mutual exchange gets a made-up response.  Returns how many
 * requests it answered.
 */
static int
master_serve(void)
{
	struct pollfd		 pfd;
	struct msg		 m;
	struct msg_auth_req	 rq;
	struct msg_auth_resp	 rs;
	int			 n = 0;

	pfd.fd = master_fd;
	pfd.events = POLLIN;
	while (poll(&pfd, 1, 0) == 1) {
		if (msg_recv_fd(master_fd, &m) != 1)
			die("the portal closed the master channel");
		n++;
		if (m.hdr.type != MSG_PORTAL_AUTH_REQ ||
		    MSG_GET(&m, &rq) == -1) {
			msg_free(&m);
			continue;
		}
		msg_free(&m);
		rq.user[sizeof(rq.user) - 1] = '\0';
		memset(&rs, 0, sizeof(rs));
		rs.id = rq.id;
		rs.result = strcmp(rq.user, "fuzz") == 0 ? AUTH_R_OK :
		    AUTH_R_FAIL;
		if (rq.mutual && rs.result == AUTH_R_OK) {
			rs.response_len = rq.algorithm == CHAP_ALG_MD5 ?
			    16 : 32;
			memset(rs.response, 0x5a, rs.response_len);
			strlcpy(rs.user, FUZZ_TARGET "-chap", sizeof(rs.user));
		}
		if (msg_send_fd(master_fd, MSG_PORTAL_AUTH_RESP, rq.id, NULL,
		    0, &rs, sizeof(rs)) == -1)
			die("master: send");
	}
	return (n);
}

/* What tgt-master says about the CHAP target: open, CHAP required. */
static void
chap_target_init(void)
{
	struct msg_access	 ma;
	struct msg		 m;
	int			 sv[2];

	chap_target.target_id = 2;
	strlcpy(chap_target.name, FUZZ_TARGET "-chap",
	    sizeof(chap_target.name));
	TAILQ_INIT(&chap_target.luns);
	TAILQ_INSERT_TAIL(&portal->targets, &chap_target, entry);

	memset(&ma, 0, sizeof(ma));
	ma.target_id = chap_target.target_id;
	ma.flags = ACCESS_F_ALLOW_ALL | ACCESS_F_CHAP;
	memset(&m, 0, sizeof(m));
	m.hdr.type = MSG_PORTAL_ACCESS;
	m.hdr.len = sizeof(ma);
	m.data = (uint8_t *)&ma;
	acl_access_msg(&m);

	if (msg_socketpair(sv) == -1 ||
	    msgchan_init(&portal->master, portal->evb, sv[0],
	    master_dispatch, master_closed, NULL) == -1)
		die("master channel");
	master_fd = sv[1];
}

void
fuzz_portal_init(void)
{
	struct sockaddr_un	 sun;
	struct msg_ring		 mr;
	int			 fds[3], memfd, sq, cq, fd;

	if (portal != NULL)
		return;
	signal(SIGPIPE, SIG_IGN);
	portal = &store;
	TAILQ_INIT(&portal->listeners);
	TAILQ_INIT(&portal->targets);
	TAILQ_INIT(&portal->sessions);
	portal->tpgt = 1;
	portal->max_cmds = 16;
	portal->started = 1;
	if ((portal->evb = event_base_new()) == NULL)
		die("event_base_new");

	target.target_id = 1;
	target.flags = TARGET_F_ALLOW_ALL;	/* no rules: closed */
	strlcpy(target.name, FUZZ_TARGET, sizeof(target.name));
	strlcpy(target.alias, "fuzz disk", sizeof(target.alias));
	TAILQ_INIT(&target.luns);
	TAILQ_INSERT_TAIL(&portal->targets, &target, entry);

	memset(&mr, 0, sizeof(mr));
	if (ring_geom_init(&mr.geom, LUN_ENTRIES, LUN_DATA, LUN_BLOCK) == -1 ||
	    ring_create(&mr.geom, &memfd, &sq, &cq) == -1)
		die("ring_create");
	mr.target_id = 1;
	mr.lun = 0;
	mr.lun_id = 1;
	if (ring_attach(&lunr, &mr.geom, dup(memfd), dup(sq), dup(cq)) == -1)
		die("ring_attach");
	fds[0] = memfd;
	fds[1] = sq;
	fds[2] = cq;
	if (plun_attach(&target, &mr, fds) == -1 ||
	    (plun = plun_find(&target, 0)) == NULL)
		die("plun_attach");
	chap_target_init();

	/* An abstract AF_UNIX listener: nothing on disk, no ports. */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1,
	    "tgt-fuzz-%d", (int)getpid());
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, 16) == -1)
		die("listener");
	listener.fd = fd;
	strlcpy(listener.addr, "127.0.0.1:3260", sizeof(listener.addr));
	TAILQ_INSERT_TAIL(&portal->listeners, &listener, entry);
}

int
fuzz_connect(void)
{
	struct sockaddr_un	 sun;
	socklen_t		 len = sizeof(sun);
	int			 fd;

	if (getsockname(listener.fd, (struct sockaddr *)&sun, &len) == -1)
		die("getsockname");
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		die("socket");
	if (connect(fd, (struct sockaddr *)&sun, len) == -1)
		die("connect");
	conn_accept(listener.fd, EV_READ, &listener);
	if (nclients == FUZZ_CLIENTS)
		die("too many clients");
	clients[nclients].fd = fd;
	clients[nclients].eof = 0;
	clients[nclients].len = clients[nclients].off = 0;
	nclients++;
	return (fd);
}

static struct client *
client_find(int fd)
{
	int	 i;

	for (i = 0; i < nclients; i++)
		if (clients[i].fd == fd)
			return (&clients[i]);
	die("no such client");
}

void
fuzz_send(int fd, const uint8_t *p, size_t n)
{
	struct client	*cl = client_find(fd);
	size_t		 nsize;
	uint8_t		*nq;

	if (cl->len + n > cl->size) {
		nsize = cl->size ? cl->size : 4096;
		while (nsize < cl->len + n)
			nsize *= 2;
		if ((nq = realloc(cl->q, nsize)) == NULL)
			die("realloc");
		cl->q = nq;
		cl->size = nsize;
	}
	if (n > 0)
		memcpy(cl->q + cl->len, p, n);
	cl->len += n;
}

void
fuzz_pdu(int fd, const uint8_t *bhs, const void *data, size_t dlen)
{
	static const uint8_t	 zero[4];
	uint8_t			 h[ISCSI_BHS_SIZE];

	memcpy(h, bhs, sizeof(h));
	bhs_set_dlen(h, dlen);
	fuzz_send(fd, h, sizeof(h));
	fuzz_send(fd, data, dlen);
	fuzz_send(fd, zero, ISCSI_PAD(dlen) - dlen);
}

static size_t
keys(char *buf, size_t size, const char *const *kv)
{
	size_t	 len = 0, n;

	for (; *kv != NULL; kv++) {
		n = strlen(*kv) + 1;
		if (len + n > size)
			break;
		memcpy(buf + len, *kv, n);
		len += n;
	}
	return (len);
}

/* A second connection joins the session (MC/S) as CID 1. */
void
fuzz_login_join(int fd)
{
	static const char *const kv[] = {
		"InitiatorName=" FUZZ_INITIATOR, "TargetName=" FUZZ_TARGET,
		"SessionType=Normal", NULL
	};
	struct session	*s;
	uint8_t		 bhs[ISCSI_BHS_SIZE];
	char		 data[1024];

	if ((s = TAILQ_FIRST(&portal->sessions)) == NULL)
		return;		/* the first login failed */
	memset(bhs, 0, sizeof(bhs));
	bhs[BHS_OPCODE] = ISCSI_OP_LOGIN_REQ | ISCSI_OP_IMMEDIATE;
	bhs[BHS_FLAGS] = ISCSI_LOGIN_TRANSIT |
	    ISCSI_STAGE_OPERATIONAL << 2 | ISCSI_STAGE_FULL;
	bhs[8] = 0x80;
	bhs[13] = 1;
	put_be16(bhs + 14, s->tsih);
	put_be32(bhs + BHS_ITT, 0x100);
	put_be16(bhs + 20, 1);
	put_be32(bhs + BHS_CMDSN, s->exp_cmdsn);
	fuzz_pdu(fd, bhs, data, keys(data, sizeof(data), kv));
}

void
fuzz_login_preset(int fd, int preset)
{
	static const char *const normal[] = {
		"InitiatorName=" FUZZ_INITIATOR, "SessionType=Normal",
		"TargetName=" FUZZ_TARGET, "HeaderDigest=None",
		"DataDigest=None", "ImmediateData=Yes", "InitialR2T=No",
		"MaxRecvDataSegmentLength=4096", "MaxBurstLength=16384",
		"FirstBurstLength=8192", "MaxOutstandingR2T=2", NULL
	};
	static const char *const discovery[] = {
		"InitiatorName=" FUZZ_INITIATOR, "SessionType=Discovery",
		"MaxRecvDataSegmentLength=512", NULL
	};
	static const char *const strict[] = {
		"InitiatorName=" FUZZ_INITIATOR, "TargetName=" FUZZ_TARGET,
		"ImmediateData=No", "InitialR2T=Yes",
		"MaxRecvDataSegmentLength=512", "MaxBurstLength=1024",
		"FirstBurstLength=512", NULL
	};
	static const char *const digest[] = {
		"InitiatorName=" FUZZ_INITIATOR, "TargetName=" FUZZ_TARGET,
		"HeaderDigest=CRC32C,None", "DataDigest=CRC32C,None",
		"MaxRecvDataSegmentLength=8192", NULL
	};
	static const char *const recovery[] = {
		"InitiatorName=" FUZZ_INITIATOR, "TargetName=" FUZZ_TARGET,
		"ErrorRecoveryLevel=2", "MaxConnections=4", "InitialR2T=No",
		"MaxOutstandingR2T=4", NULL
	};
	static const char *const chap1[] = {
		"InitiatorName=" FUZZ_INITIATOR,
		"TargetName=" FUZZ_TARGET "-chap", "SessionType=Normal",
		"AuthMethod=CHAP,None", NULL
	};
	static const char *const chap2[] = { "CHAP_A=7,5", NULL };
	static const char *const chap3[] = {
		"CHAP_N=fuzz",
		"CHAP_R=0x000102030405060708090a0b0c0d0e0f"
		"101112131415161718191a1b1c1d1e1f",
		"CHAP_I=77", "CHAP_C=0xfeedfacefeedfacefeedfacefeedface", NULL
	};
	const char *const	*kv;
	uint8_t			 bhs[ISCSI_BHS_SIZE];
	char			 data[1024];

	memset(bhs, 0, sizeof(bhs));
	bhs[BHS_OPCODE] = ISCSI_OP_LOGIN_REQ | ISCSI_OP_IMMEDIATE;
	bhs[8] = 0x80;
	bhs[13] = 1;
	put_be32(bhs + BHS_ITT, 1);
	put_be32(bhs + BHS_CMDSN, 1);
	switch (preset) {
	case FUZZ_LOGIN_NORMAL:
		kv = normal;
		break;
	case FUZZ_LOGIN_DISCOVERY:
		kv = discovery;
		break;
	case FUZZ_LOGIN_STRICT:
		kv = strict;
		break;
	case FUZZ_LOGIN_DIGEST:
		kv = digest;
		break;
	case FUZZ_LOGIN_RECOVERY:
	case FUZZ_LOGIN_MCS:
		kv = recovery;
		break;
	case FUZZ_LOGIN_CHAP:
		/* SHA-256, with mutual CHAP; the fake master says yes */
		bhs[BHS_FLAGS] = ISCSI_STAGE_SECURITY << 2;
		fuzz_pdu(fd, bhs, data, keys(data, sizeof(data), chap1));
		fuzz_pdu(fd, bhs, data, keys(data, sizeof(data), chap2));
		bhs[BHS_FLAGS] = ISCSI_LOGIN_TRANSIT |
		    ISCSI_STAGE_SECURITY << 2 | ISCSI_STAGE_FULL;
		fuzz_pdu(fd, bhs, data, keys(data, sizeof(data), chap3));
		return;
	default:
		return;
	}
	bhs[BHS_FLAGS] = ISCSI_LOGIN_TRANSIT |
	    ISCSI_STAGE_OPERATIONAL << 2 | ISCSI_STAGE_FULL;
	fuzz_pdu(fd, bhs, data, keys(data, sizeof(data), kv));
}

/* The fake tgt-lun: one completion. */
static void
lun_complete(const struct ring_sqe *sqe, uint8_t status)
{
	struct ring_cqe	 cqe;
	uint32_t	 n;

	memset(&cqe, 0, sizeof(cqe));
	cqe.tag = sqe->tag;
	cqe.status = status;
	if (sqe->op == RING_OP_CMD && status != 0x40) {
		cqe.len = sqe->data_len;
		if (sqe->cdb[3] & 1)
			cqe.len /= 2;	/* short transfer */
		cqe.want = sqe->xfer_len + (sqe->cdb[2] & 0x0f) * 512;
		if (sqe->cdb[1] & 0x80) {
			cqe.status = 0x02;	/* CHECK CONDITION */
			cqe.sense_len = 18;
			cqe.sense[0] = 0x70;
			cqe.sense[2] = 0x05;
			cqe.sense[7] = 10;
			cqe.sense[12] = 0x24;
		}
		if (sqe->dir == RING_DIR_READ && sqe->data_len > 0 &&
		    ring_data_check(&lunr, sqe->data_off, sqe->data_len) == 0) {
			n = sqe->data_len < 64 ? sqe->data_len : 64;
			memset(lunr.data + sqe->data_off, 0xa5, n);
		}
	}
	while (ring_cq_push(&lunr, &cqe) == -1)
		die("cq full");
}

/* The fake tgt-lun: drain the sq.  Returns how many entries it took. */
static int
lun_serve(int release)
{
	struct ring_sqe	 sqe;
	int		 i, n = 0, rv;

	ring_doorbell_clear(lunr.sq_efd);
	do {
		ring_sq_awake(&lunr);
		while ((rv = ring_sq_pop(&lunr, &sqe)) == 1) {
			n++;
			if (sqe.op == RING_OP_CMD && sqe.cdb[0] == 0x2f &&
			    nheld < HOLD_MAX) {
				held[nheld++] = sqe;
				continue;
			}
			if (sqe.op == RING_OP_TMF) {
				/* what a TMF aborts ends first */
				for (i = 0; i < nheld; i++)
					lun_complete(&held[i], 0x40);
				nheld = 0;
			}
			lun_complete(&sqe, 0);
		}
		if (rv == -1)
			die("corrupt sq index");
		if (release && nheld > 0) {
			for (i = 0; i < nheld; i++)
				lun_complete(&held[i], 0);
			n += nheld;
			nheld = 0;
		}
		ring_cq_commit(&lunr);
	} while (ring_sq_sleep(&lunr));
	return (n);
}

/* Read and drop what the portal sent.  -1 on EOF. */
static int
drain(int fd, size_t *got)
{
	uint8_t	 buf[65536];
	ssize_t	 n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			*got += n;
			continue;
		}
		if (n == 0)
			return (-1);
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return (0);
		return (-1);	/* ECONNRESET: the portal hung up too */
	}
}

void
fuzz_run(size_t chunk)
{
	struct client	*cl;
	size_t		 want, got;
	ssize_t		 n;
	int		 i, idle = 0, round, busy;

	for (round = 0; round < RUN_ROUNDS && idle < IDLE_ROUNDS; round++) {
		got = 0;
		busy = 0;
		for (i = 0; i < nclients; i++) {
			cl = &clients[i];
			if (cl->off >= cl->len || cl->eof)
				continue;
			want = cl->len - cl->off;
			if (chunk > 0 && want > chunk)
				want = chunk;
			n = write(cl->fd, cl->q + cl->off, want);
			if (n > 0) {
				cl->off += n;
				got += n;
			} else if (n == -1 && errno != EAGAIN &&
			    errno != EINTR)
				cl->eof = 1;	/* the portal hung up */
			if (cl->off < cl->len && !cl->eof)
				busy = 1;
		}
		event_base_loop(portal->evb, EVLOOP_NONBLOCK);
		got += lun_serve(0);
		got += master_serve();
		event_base_loop(portal->evb, EVLOOP_NONBLOCK);
		for (i = 0; i < nclients; i++)
			if (!clients[i].eof &&
			    drain(clients[i].fd, &got) == -1)
				clients[i].eof = 1;
		if (got == 0 && !busy)
			idle++;
		else
			idle = 0;
	}
}

void
fuzz_hangup(void)
{
	struct session	*s;
	size_t		 got;
	int		 i, round, open = nclients;

	for (i = 0; i < nclients; i++) {
		shutdown(clients[i].fd, SHUT_WR);
		clients[i].eof = 0;
	}
	for (round = 0; round < RUN_ROUNDS && open > 0; round++) {
		got = 0;
		event_base_loop(portal->evb, EVLOOP_NONBLOCK);
		lun_serve(0);
		master_serve();
		event_base_loop(portal->evb, EVLOOP_NONBLOCK);
		for (i = 0; i < nclients; i++)
			if (!clients[i].eof &&
			    drain(clients[i].fd, &got) == -1) {
				clients[i].eof = 1;
				open--;
			}
	}
	if (open > 0)
		die("the portal kept a connection whose peer hung up");
	for (i = 0; i < nclients; i++)
		close(clients[i].fd);
	nclients = 0;
	/* Commands held by the fake LUN come back now; then all is idle. */
	for (round = 0; round < 16; round++) {
		event_base_loop(portal->evb, EVLOOP_NONBLOCK);
		lun_serve(1);
		event_base_loop(portal->evb, EVLOOP_NONBLOCK);
	}
	/*
	 * At ErrorRecoveryLevel 2 a session whose connection failed with
	 * tasks in it waits DefaultTime2Wait + DefaultTime2Retain for a
	 * TASK REASSIGN: let that time pass.
	 */
	TAILQ_FOREACH(s, &portal->sessions, entry)
		if (s->ev_retain != NULL &&
		    evtimer_pending(s->ev_retain, NULL))
			event_active(s->ev_retain, EV_TIMEOUT, 1);
	for (round = 0; round < 16; round++) {
		event_base_loop(portal->evb, EVLOOP_NONBLOCK);
		lun_serve(1);
		event_base_loop(portal->evb, EVLOOP_NONBLOCK);
	}
	if (!TAILQ_EMPTY(&portal->sessions))
		die("a session outlived its only connection");
	if (plun->ninflight != 0 || plun->nslot_free != plun->nslots)
		die("ring slots still in use after the session ended");
	if (plun->alloc.nfree != plun->alloc.nblocks)
		die("data area blocks still in use after the session ended");
	if (!TAILQ_EMPTY(&plun->waitq))
		die("tasks left on the LUN's wait queue");
	if (plun->nrefs != 0)
		die("tasks still refer to the LUN");
}
