/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Sessions: life cycle, the CmdSN window, and the PDUs of the full
 * feature phase that are neither SCSI nor Text nor task management:
 * NOP-Out, Logout, SNACK, and Reject for the rest.
 */

#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "login.h"
#include "transport.h"
#include "task.h"

#define ITT_NONE	0xffffffffu

/* Logout reasons and responses (RFC 7143 11.14, 11.15). */
#define LOGOUT_CLOSE_SESSION	0
#define LOGOUT_CLOSE_CONN	1
#define LOGOUT_RECOVERY		2
#define LOGOUT_RSP_OK		0
#define LOGOUT_RSP_NO_CID	1
#define LOGOUT_RSP_NO_RECOVERY	2

/*
 * A PDU that arrived ahead of a CmdSN gap (several connections, RFC 7143
 * 3.2.2.1): it waits here, in CmdSN order, until the gap is filled.  A
 * SCSI Command keeps its task (its immediate data is in the task's
 * buffer already); other PDUs keep a copy of their data segment.  An
 * entry whose connection or task went away still holds its CmdSN.
 */
struct held_pdu {
	TAILQ_ENTRY(held_pdu)	 entry;
	struct conn		*conn;		/* NULL: only CmdSN counts */
	struct task		*task;
	uint32_t		 cmdsn;
	uint8_t			 bhs[ISCSI_BHS_SIZE];
	uint8_t			*data;
	uint32_t		 dlen;
};

static void	session_free_cb(int, short, void *);
static void	session_held_free(struct session *, struct held_pdu *);

static int		 shutting_down;
static struct event	*ev_shutdown;

struct session *
session_new(struct ptarget *target, int discovery)
{
	struct session	*s;
	int		 tries;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return (NULL);
	TAILQ_INIT(&s->conns);
	TAILQ_INIT(&s->tasks);
	TAILQ_INIT(&s->held);
	s->target = target;
	s->discovery = discovery;
	for (tries = 0; tries < 65536; tries++) {
		if (++portal->next_tsih == 0)
			portal->next_tsih = 1;
		if (session_find_tsih(portal->next_tsih) == NULL)
			break;
	}
	if (tries == 65536) {
		free(s);
		return (NULL);
	}
	s->tsih = portal->next_tsih;
	if (++portal->next_nexus == 0)
		portal->next_nexus = 1;
	s->nexus = portal->next_nexus;
	s->queue_depth = portal->max_cmds ? portal->max_cmds :
	    PORTAL_DEF_QUEUE;
	s->next_ttt = 1;
	params_defaults(&s->params);
	TAILQ_INSERT_TAIL(&portal->sessions, s, entry);
	return (s);
}

struct session *
session_find_tsih(uint16_t tsih)
{
	struct session	*s;

	TAILQ_FOREACH(s, &portal->sessions, entry)
		if (s->tsih == tsih)
			return (s);
	return (NULL);
}

struct session *
session_find(const char *initiator, const uint8_t *isid,
    struct ptarget *target, int discovery)
{
	struct session	*s;

	TAILQ_FOREACH(s, &portal->sessions, entry)
		if (s->discovery == discovery && s->target == target &&
		    memcmp(s->isid, isid, sizeof(s->isid)) == 0 &&
		    strcmp(s->initiator, initiator) == 0)
			return (s);
	return (NULL);
}

void
session_add_conn(struct session *s, struct conn *c)
{
	TAILQ_INSERT_TAIL(&s->conns, c, entry);
	c->sess = s;
}

/*
 * The last connection went away: at ErrorRecoveryLevel 0 that ends the
 * session and every task it still has.  The memory is released from the
 * event loop, so callers up the stack may still look at it.
 */
static void
session_destroy(struct session *s)
{
	struct task	*t, *tt;
	struct held_pdu	*h;
	struct timeval	 tv = { 0, 0 };

	log_info("session tsih %u %s%s%s closed", s->tsih, s->initiator,
	    s->target ? " -> " : "", s->target ? s->target->name : "");
	TAILQ_REMOVE(&portal->sessions, s, entry);
	if (s->ev_retain != NULL) {
		event_free(s->ev_retain);
		s->ev_retain = NULL;
	}
	while ((h = TAILQ_FIRST(&s->held)) != NULL)
		session_held_free(s, h);
	scsi_orphans_free(s);
	TAILQ_FOREACH_SAFE(t, &s->tasks, sess_entry, tt)
		scsi_task_free(t);
	if (s->target != NULL)
		plun_session_end(s);
	if (shutting_down && TAILQ_EMPTY(&portal->sessions)) {
		log_info("every session logged out, exiting");
		event_base_loopexit(portal->evb, NULL);
	}
	if (portal->evb == NULL ||
	    event_base_once(portal->evb, -1, EV_TIMEOUT, session_free_cb, s,
	    &tv) == -1)
		session_free_cb(-1, 0, s);
}

static void
session_free_cb(int fd, short ev, void *arg)
{
	struct session	*s = arg;

	free(s->nexus_sent);
	free(s);
}

static int
session_has_orphans(struct session *s)
{
	struct task	*t;

	if (s->ev_retain == NULL || !evtimer_pending(s->ev_retain, NULL))
		return (0);
	TAILQ_FOREACH(t, &s->tasks, sess_entry)
		if (t->orphan)
			return (1);
	return (0);
}

void
session_del_conn(struct session *s, struct conn *c)
{
	TAILQ_REMOVE(&s->conns, c, entry);
	c->sess = NULL;
	/* with tasks waiting for reassignment it lives on (ERL 2) */
	if (TAILQ_EMPTY(&s->conns) && !session_has_orphans(s))
		session_destroy(s);
}

void
session_close(struct session *s)
{
	struct conn	*c;

	if (s->ev_retain != NULL)
		evtimer_del(s->ev_retain);
	if (TAILQ_EMPTY(&s->conns)) {
		session_destroy(s);
		return;
	}
	/* conn_close() of the last connection destroys the session. */
	while ((c = TAILQ_FIRST(&s->conns)) != NULL) {
		CONNX(c)->clean_close = 1;
		conn_close(c);
	}
}

static void
session_retain_timeout(int fd, short ev, void *arg)
{
	struct session	*s = arg;

	log_info("tsih %u: DefaultTime2Retain over, tasks of failed "
	    "connections end", s->tsih);
	scsi_orphans_free(s);
	if (TAILQ_EMPTY(&s->conns))
		session_destroy(s);
}

/*
 * A connection failed at ErrorRecoveryLevel 2 and left tasks for TASK
 * REASSIGN: they (and the session, should that have been its last
 * connection) are kept for DefaultTime2Wait + DefaultTime2Retain.
 */
void
session_retain(struct session *s)
{
	struct timeval	 tv;

	tv.tv_sec = s->params.default_time2wait +
	    s->params.default_time2retain;
	tv.tv_usec = 0;
	if (s->ev_retain == NULL &&
	    (s->ev_retain = evtimer_new(portal->evb, session_retain_timeout,
	    s)) == NULL)
		return;
	evtimer_add(s->ev_retain, &tv);
	log_info("tsih %u: connection failed, its tasks wait %lld s for "
	    "reassignment", s->tsih, (long long)tv.tv_sec);
}

/*
 * MaxCmdSN = ExpCmdSN + queue depth - 1 - commands in flight, but never
 * smaller than what we announced before (RFC 7143 4.2.2.1).
 */
uint32_t
session_max_cmdsn(struct session *s)
{
	uint32_t	 max, depth = s->queue_depth;

	if (depth == 0)
		depth = 1;
	if (s->ntasks >= depth)
		max = s->exp_cmdsn - 1;
	else
		max = s->exp_cmdsn + depth - 1 - s->ntasks;
	if (s->max_cmdsn_valid && sn_lt(max, s->max_cmdsn))
		max = s->max_cmdsn;
	s->max_cmdsn = max;
	s->max_cmdsn_valid = 1;
	return (max);
}

void
session_fill_sn(struct conn *c, uint8_t *bhs, int advance)
{
	struct session	*s = c->sess;

	put_be32(bhs + BHS_STATSN, c->stat_sn);
	if (advance)
		c->stat_sn++;
	if (s != NULL) {
		put_be32(bhs + BHS_EXPCMDSN, s->exp_cmdsn);
		put_be32(bhs + BHS_MAXCMDSN, session_max_cmdsn(s));
	}
}

int
session_cmdsn(struct session *s, uint32_t cmdsn, int immediate)
{
	if (immediate)
		return (0);
	if (cmdsn != s->exp_cmdsn) {
		log_debug("tsih %u: CmdSN %u, expected %u: dropped", s->tsih,
		    cmdsn, s->exp_cmdsn);
		return (-1);
	}
	if (s->max_cmdsn_valid && sn_lt(s->max_cmdsn, cmdsn)) {
		log_debug("tsih %u: CmdSN %u beyond MaxCmdSN %u: dropped",
		    s->tsih, cmdsn, s->max_cmdsn);
		return (-1);
	}
	s->exp_cmdsn++;
	return (0);
}

static void
session_held_free(struct session *s, struct held_pdu *h)
{
	TAILQ_REMOVE(&s->held, h, entry);
	s->nheld--;
	if (h->task != NULL) {
		h->task->flags &= ~TASK_F_HELD;
		task_destroy(h->task);
	}
	free(h->data);
	free(h);
}

void
session_held_task_gone(struct task *t)
{
	struct held_pdu	*h;

	t->flags &= ~TASK_F_HELD;
	if (t->sess == NULL)
		return;
	TAILQ_FOREACH(h, &t->sess->held, entry)
		if (h->task == t) {
			h->task = NULL;
			h->conn = NULL;
			return;
		}
}

/* A connection goes: what it had waiting keeps only its CmdSN. */
void
session_held_conn_gone(struct conn *c)
{
	struct held_pdu	*h;

	if (c->sess == NULL)
		return;
	TAILQ_FOREACH(h, &c->sess->held, entry)
		if (h->conn == c) {
			h->conn = NULL;
			free(h->data);
			h->data = NULL;
			h->dlen = 0;
		}
}

/*
 * Called for every PDU of the full feature phase before it is handled.
 * 1: handle it now (immediate, in order, or outside the window: the
 * handler drops those); 0: it was held until the CmdSN gap before it
 * is filled.
 */
int
session_order(struct conn *c)
{
	struct session	*s = c->sess;
	const uint8_t	*bhs = c->rx_bhs;
	struct held_pdu	*h, *at;
	uint32_t	 cmdsn;

	if (s == NULL || (bhs[BHS_OPCODE] & ISCSI_OP_IMMEDIATE))
		return (1);
	switch (bhs[BHS_OPCODE] & ISCSI_OP_MASK) {
	case ISCSI_OP_SCSI_CMD:
	case ISCSI_OP_TMF_REQ:
	case ISCSI_OP_TEXT_REQ:
	case ISCSI_OP_LOGOUT_REQ:
	case ISCSI_OP_NOP_OUT:
		break;
	default:
		return (1);
	}
	cmdsn = get_be32(bhs + BHS_CMDSN);
	if (!sn_lt(s->exp_cmdsn, cmdsn) || !s->max_cmdsn_valid ||
	    sn_lt(s->max_cmdsn, cmdsn))
		return (1);
	TAILQ_FOREACH(at, &s->held, entry) {
		if (at->cmdsn == cmdsn)
			return (1);	/* a duplicate: dropped */
		if (sn_lt(cmdsn, at->cmdsn))
			break;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return (1);
	if (c->rx_task != NULL &&
	    (bhs[BHS_OPCODE] & ISCSI_OP_MASK) == ISCSI_OP_SCSI_CMD) {
		h->task = c->rx_task;
		h->task->flags |= TASK_F_HELD;
		c->rx_task = NULL;
		h->dlen = c->rx_dlen;
		scsi_rx_cmd_early(c, h->task);
	} else if (c->rx_dlen > 0) {
		if ((h->data = malloc(c->rx_dlen)) == NULL) {
			free(h);
			return (1);
		}
		memcpy(h->data, c->rx_data, c->rx_dlen);
		h->dlen = c->rx_dlen;
	}
	h->conn = c;
	h->cmdsn = cmdsn;
	memcpy(h->bhs, bhs, sizeof(h->bhs));
	if (at != NULL)
		TAILQ_INSERT_BEFORE(at, h, entry);
	else
		TAILQ_INSERT_TAIL(&s->held, h, entry);
	s->nheld++;
	log_debug("%s: CmdSN %u held, expected %u", c->peer_name, cmdsn,
	    s->exp_cmdsn);
	return (0);
}

/*
 * ABORT TASK for a command not received yet whose CmdSN is in the
 * window (RFC 7143 11.5.1): its CmdSN counts as received and the
 * command, should it still come, is dropped as a duplicate.
 */
int
session_cmdsn_abort(struct session *s, uint32_t cmdsn)
{
	struct held_pdu	*h, *at;

	TAILQ_FOREACH(at, &s->held, entry) {
		if (at->cmdsn == cmdsn)
			return (0);
		if (sn_lt(cmdsn, at->cmdsn))
			break;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return (-1);
	h->cmdsn = cmdsn;
	if (at != NULL)
		TAILQ_INSERT_BEFORE(at, h, entry);
	else
		TAILQ_INSERT_TAIL(&s->held, h, entry);
	s->nheld++;
	session_order_drain(s);
	return (0);
}

/* Hand a held PDU to its handler as if it had just been read. */
static void
session_replay(struct held_pdu *h)
{
	struct conn	*c = h->conn;
	uint8_t		 bhs[ISCSI_BHS_SIZE];
	uint8_t		*data = c->rx_data;
	struct task	*task = c->rx_task;
	uint32_t	 dlen = c->rx_dlen, ahslen = c->rx_ahslen;
	int		 derr = c->rx_digest_err;

	/* the connection may be in the middle of another PDU */
	memcpy(bhs, c->rx_bhs, sizeof(bhs));
	memcpy(c->rx_bhs, h->bhs, sizeof(bhs));
	c->rx_dlen = h->dlen;
	c->rx_ahslen = 0;
	c->rx_digest_err = 0;
	c->rx_task = h->task;
	c->rx_data = h->task != NULL ? h->task->buf : h->data;
	if (h->task != NULL)
		h->task->flags &= ~TASK_F_HELD;
	h->task = NULL;
	conn_rx_deliver(c);
	memcpy(c->rx_bhs, bhs, sizeof(bhs));
	c->rx_data = data;
	c->rx_task = task;
	c->rx_dlen = dlen;
	c->rx_ahslen = ahslen;
	c->rx_digest_err = derr;
}

/* ExpCmdSN moved: run what waited for it. */
void
session_order_drain(struct session *s)
{
	struct held_pdu	*h;

	while ((h = TAILQ_FIRST(&s->held)) != NULL) {
		if (sn_lt(h->cmdsn, s->exp_cmdsn)) {
			/* overtaken (cannot happen): drop */
			session_held_free(s, h);
			continue;
		}
		if (h->cmdsn != s->exp_cmdsn)
			return;
		if (h->conn == NULL || h->conn->phase != CONN_FULL ||
		    h->conn->sess != s) {
			/* gone meanwhile: the CmdSN is used up */
			s->exp_cmdsn++;
			session_held_free(s, h);
			continue;
		}
		TAILQ_REMOVE(&s->held, h, entry);
		s->nheld--;
		session_replay(h);
		free(h->data);
		free(h);
	}
}

/*
 * Ask every connection of the session to log out (Async Message,
 * AsyncEvent 1, RFC 7143 11.9.1) within wait_s seconds.  For a target
 * removed by reload (ctl.c) and for shutdown.  Returns how many
 * connections were asked.
 */
int
session_async_logout(struct session *s, uint16_t wait_s)
{
	struct conn	*c;
	int		 n = 0;

	TAILQ_FOREACH(c, &s->conns, entry)
		if (portalctl_async_logout(c, wait_s) == 0)
			n++;
	return (n);
}

static void
session_shutdown_timeout(int fd, short ev, void *arg)
{
	log_info("grace period over, exiting");
	event_base_loopexit(portal->evb, NULL);
}

/*
 * SIGTERM or the master gone: no new connections, every session is
 * asked to log out, and we exit once they all did or wait_s passed.
 */
void
session_shutdown(uint16_t wait_s)
{
	struct portal_listener	*pl;
	struct session		*s;
	struct timeval		 tv = { wait_s, 0 };
	int			 n = 0;

	if (shutting_down)
		return;
	shutting_down = 1;
	TAILQ_FOREACH(pl, &portal->listeners, entry) {
		if (pl->ev != NULL)
			event_del(pl->ev);
		iser_unlisten(pl);
	}
	TAILQ_FOREACH(s, &portal->sessions, entry)
		n += session_async_logout(s, wait_s);
	if (n == 0 || TAILQ_EMPTY(&portal->sessions)) {
		event_base_loopexit(portal->evb, NULL);
		return;
	}
	log_info("shutting down: %d connection(s) asked to log out within "
	    "%u s", n, wait_s);
	if ((ev_shutdown = evtimer_new(portal->evb, session_shutdown_timeout,
	    NULL)) == NULL || evtimer_add(ev_shutdown, &tv) == -1)
		event_base_loopexit(portal->evb, NULL);
}

void
session_task_done(struct session *s)
{
	if (s != NULL && s->ntasks > 0)
		s->ntasks--;
}

void
session_reject(struct conn *c, uint8_t reason, const uint8_t *bhs)
{
	uint8_t	 rsp[ISCSI_BHS_SIZE];

	log_debug("%s: reject opcode 0x%02x itt 0x%08x: reason 0x%02x",
	    c->peer_name, bhs[BHS_OPCODE] & ISCSI_OP_MASK,
	    get_be32(bhs + BHS_ITT), reason);
	memset(rsp, 0, sizeof(rsp));
	rsp[BHS_OPCODE] = ISCSI_OP_REJECT;
	rsp[BHS_FLAGS] = ISCSI_FLAG_FINAL;
	rsp[2] = reason;
	bhs_set_dlen(rsp, ISCSI_BHS_SIZE);
	put_be32(rsp + BHS_ITT, ITT_NONE);
	session_fill_sn(c, rsp, 1);
	conn_send_copy(c, rsp, bhs, ISCSI_BHS_SIZE);
}

static void
session_nop_out(struct conn *c)
{
	const uint8_t	*bhs = c->rx_bhs;
	uint8_t		 rsp[ISCSI_BHS_SIZE];
	uint32_t	 itt, dlen;
	int		 imm = (bhs[BHS_OPCODE] & ISCSI_OP_IMMEDIATE) != 0;

	itt = get_be32(bhs + BHS_ITT);
	if (itt == ITT_NONE) {
		/* The answer to a NOP-In of ours: nothing to reply. */
		if (!imm)
			session_reject(c, ISCSI_REJ_PROTOCOL, bhs);
		return;
	}
	if (session_cmdsn(c->sess, get_be32(bhs + BHS_CMDSN), imm) == -1)
		return;
	memset(rsp, 0, sizeof(rsp));
	rsp[BHS_OPCODE] = ISCSI_OP_NOP_IN;
	rsp[BHS_FLAGS] = ISCSI_FLAG_FINAL;
	memcpy(rsp + BHS_LUN, bhs + BHS_LUN, 8);
	put_be32(rsp + BHS_ITT, itt);
	put_be32(rsp + BHS_TTT, ITT_NONE);
	session_fill_sn(c, rsp, 1);
	dlen = c->rx_dlen;
	if (dlen > c->params.max_xmit_dsl)
		dlen = c->params.max_xmit_dsl;
	bhs_set_dlen(rsp, dlen);
	conn_send_copy(c, rsp, c->rx_data, dlen);
}

/*
 * An idle connection is probed with a NOP-In (RFC 7143 11.19): ITT
 * reserved, a TTT the initiator echoes, StatSN not advanced.
 */
void
session_ping(struct conn *c)
{
	uint8_t	 rsp[ISCSI_BHS_SIZE];

	memset(rsp, 0, sizeof(rsp));
	rsp[BHS_OPCODE] = ISCSI_OP_NOP_IN;
	rsp[BHS_FLAGS] = ISCSI_FLAG_FINAL;
	put_be32(rsp + BHS_ITT, ITT_NONE);
	put_be32(rsp + BHS_TTT, c->sess->next_ttt++ | 0x80000000u);
	session_fill_sn(c, rsp, 0);
	conn_send(c, rsp, NULL, 0, NULL, NULL);
}

static void
session_logout(struct conn *c)
{
	const uint8_t	*bhs = c->rx_bhs;
	struct conn	*oc;
	uint8_t		 rsp[ISCSI_BHS_SIZE];
	uint8_t		 reason = bhs[BHS_FLAGS] & 0x7f;
	uint16_t	 cid = get_be16(bhs + 20);
	int		 imm = (bhs[BHS_OPCODE] & ISCSI_OP_IMMEDIATE) != 0;
	int		 response = LOGOUT_RSP_OK, close_conn = 0;

	if (!(bhs[BHS_FLAGS] & ISCSI_FLAG_FINAL)) {
		session_reject(c, ISCSI_REJ_PROTOCOL, bhs);
		return;
	}
	if (session_cmdsn(c->sess, get_be32(bhs + BHS_CMDSN), imm) == -1)
		return;

	switch (reason) {
	case LOGOUT_CLOSE_SESSION:
		/* tasks waiting for reassignment end with it */
		if (c->sess->ev_retain != NULL)
			evtimer_del(c->sess->ev_retain);
		TAILQ_FOREACH(oc, &c->sess->conns, entry)
			CONNX(oc)->clean_close = 1;
		close_conn = 1;
		break;
	case LOGOUT_CLOSE_CONN:
	case LOGOUT_RECOVERY:
		if (reason == LOGOUT_RECOVERY && c->sess->params.erl < 2) {
			response = LOGOUT_RSP_NO_RECOVERY;
			break;
		}
		TAILQ_FOREACH(oc, &c->sess->conns, entry)
			if (oc->cid == cid)
				break;
		if (oc == NULL) {
			response = LOGOUT_RSP_NO_CID;
			break;
		}
		/* for recovery its tasks wait for TASK REASSIGN (ERL 2) */
		if (reason == LOGOUT_CLOSE_CONN)
			CONNX(oc)->clean_close = 1;
		if (oc == c)
			close_conn = 1;
		else
			conn_close(oc);
		break;
	default:
		session_reject(c, ISCSI_REJ_INVALID_FIELD, bhs);
		return;
	}
	log_info("%s: logout tsih %u reason %u", c->peer_name, c->sess->tsih,
	    reason);

	memset(rsp, 0, sizeof(rsp));
	rsp[BHS_OPCODE] = ISCSI_OP_LOGOUT_RSP;
	rsp[BHS_FLAGS] = ISCSI_FLAG_FINAL;
	rsp[2] = response;
	memcpy(rsp + BHS_ITT, bhs + BHS_ITT, 4);
	session_fill_sn(c, rsp, 1);
	if (response == LOGOUT_RSP_OK && c->sess->params.erl >= 2) {
		put_be16(rsp + 40, c->sess->params.default_time2wait);
		put_be16(rsp + 42, c->sess->params.default_time2retain);
	}
	if (conn_send(c, rsp, NULL, 0, NULL, NULL) == -1)
		return;
	if (close_conn) {
		if (reason == LOGOUT_CLOSE_SESSION) {
			/* Other connections of the session go at once. */
			while ((oc = TAILQ_FIRST(&c->sess->conns)) != c &&
			    oc != NULL)
				conn_close(oc);
			while ((oc = TAILQ_NEXT(c, entry)) != NULL)
				conn_close(oc);
		}
		conn_close_after_send(c);
	}
}

void
session_rx_pdu(struct conn *c)
{
	const uint8_t	*bhs = c->rx_bhs;

	switch (bhs[BHS_OPCODE] & ISCSI_OP_MASK) {
	case ISCSI_OP_NOP_OUT:
		session_nop_out(c);
		break;
	case ISCSI_OP_LOGOUT_REQ:
		session_logout(c);
		break;
	case ISCSI_OP_SNACK:
		/* Rejected at ErrorRecoveryLevel 0. */
		scsi_snack(c);
		break;
	case ISCSI_OP_LOGIN_REQ:
		session_reject(c, ISCSI_REJ_PROTOCOL, bhs);
		break;
	default:
		session_reject(c, ISCSI_REJ_NOT_SUPPORTED, bhs);
		break;
	}
}
