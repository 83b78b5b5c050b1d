/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Task Management Function Request and Response (RFC 7143 11.5, 11.6).
 *
 * The request becomes a task of its own (TASK_K_TMF) on the session, so
 * that it goes away with its connection.  The session's commands it
 * aborts get no SCSI response: those still in the portal (waiting for
 * Data-Out or for the ring) end at once, those on the LUN are marked
 * aborted and settle when their completion comes back.  The function
 * itself travels to the LUN on the ring (RING_OP_TMF), ordered with the
 * commands, so the LUN aborts what it is running and raises its unit
 * attentions; commands of other sessions are completed by the LUN
 * (TASK ABORTED) and answered normally.  The TMF response is sent once
 * every aborted command and every ring operation has settled
 * (task->tmf_pending).
 */

#include <sys/queue.h>

#include <string.h>

#include "log.h"
#include "login.h"
#include "task.h"

/* Functions (byte 1) */
#define TMF_ABORT_TASK		1
#define TMF_ABORT_TASK_SET	2
#define TMF_CLEAR_ACA		3
#define TMF_CLEAR_TASK_SET	4
#define TMF_LUN_RESET		5
#define TMF_TARGET_WARM_RESET	6
#define TMF_TARGET_COLD_RESET	7
#define TMF_TASK_REASSIGN	8

/* Responses (byte 2) */
#define TMF_RSP_COMPLETE	0
#define TMF_RSP_NO_TASK		1
#define TMF_RSP_NO_LUN		2
#define TMF_RSP_STILL_ALLEGIANT	3
#define TMF_RSP_NO_REASSIGN	4
#define TMF_RSP_NOT_SUPPORTED	5
#define TMF_RSP_AUTH_FAILED	6
#define TMF_RSP_REJECTED	255

#define BHS_RTT			20
#define BHS_REFCMDSN		32

static void
tmf_send(struct conn *c, uint32_t itt, uint8_t response)
{
	uint8_t	 bhs[ISCSI_BHS_SIZE];

	memset(bhs, 0, sizeof(bhs));
	bhs[BHS_OPCODE] = ISCSI_OP_TMF_RSP;
	bhs[BHS_FLAGS] = ISCSI_FLAG_FINAL;
	bhs[2] = response;
	put_be32(bhs + BHS_ITT, itt);
	session_fill_sn(c, bhs, 1);
	(void)conn_send_copy(c, bhs, NULL, 0);
}

/*
 * TARGET COLD RESET: every connection to the target goes, on this portal
 * and, through the master, on every other one (RFC 7143 11.5.1, like a
 * power cycle).  The LUNs have the reset already: their next login from
 * the same initiator port gets the power on unit attention.
 */
void
tmf_cold_reset_close(struct ptarget *target)
{
	struct session	*s, *ts;
	struct conn	*c, *tc;

	TAILQ_FOREACH_SAFE(s, &portal->sessions, entry, ts) {
		if (s->target != target)
			continue;
		log_info("tsih %u: target cold reset, closing", s->tsih);
		TAILQ_FOREACH_SAFE(c, &s->conns, entry, tc) {
			CONNX(c)->clean_close = 1;
			conn_close_after_send(c);
		}
	}
}

static void
tmf_cold_reset(struct ptarget *target)
{
	struct msg_target_reset	 r;

	tmf_cold_reset_close(target);
	memset(&r, 0, sizeof(r));
	r.target_id = target->target_id;
	msgchan_send(&portal->master, MSG_PORTAL_COLD_RESET, 0, NULL, 0, &r,
	    sizeof(r));
}

void
tmf_settled(struct task *tm)
{
	struct ptarget	*target;
	int		 cold;

	if (tm->tmf_pending > 0)
		tm->tmf_pending--;
	if (tm->tmf_pending > 0)
		return;
	if (tm->state == TASK_ABORTED || tm->conn == NULL ||
	    tm->sess == NULL) {
		/* the connection went away meanwhile */
		task_destroy(tm);
		return;
	}
	log_debug("%s: tmf %u itt 0x%08x: response %u", tm->conn->peer_name,
	    tm->tmf_func, tm->itt, tm->tmf_rsp);
	session_task_done(tm->sess);
	tmf_send(tm->conn, tm->itt, tm->tmf_rsp);
	target = tm->sess->target;
	cold = tm->tmf_func == TMF_TARGET_COLD_RESET &&
	    tm->tmf_rsp == TMF_RSP_COMPLETE;
	task_destroy(tm);
	if (cold)
		tmf_cold_reset(target);
}

/*
 * Abort the session's commands on one LUN.  Aborting may free tasks and
 * run others, so the list is walked again from its head each time.
 */
static void
tmf_abort_lun(struct task *tm, struct plun *p)
{
	struct task	*t;

	for (;;) {
		/* held ones come after this request in CmdSN order */
		TAILQ_FOREACH(t, &tm->sess->tasks, sess_entry)
			if (t->kind == TASK_K_CMD && t->lun == p &&
			    t->state != TASK_ABORTED &&
			    !(t->flags & TASK_F_HELD))
				break;
		if (t == NULL)
			return;
		(void)scsi_task_abort(t, tm);
	}
}

static uint8_t
tmf_abort_task(struct task *tm, const uint8_t *bhs)
{
	struct session	*s = tm->sess;
	struct task	*t;
	struct plun	*p;
	uint32_t	 rtt = get_be32(bhs + BHS_RTT);
	uint32_t	 ref = get_be32(bhs + BHS_REFCMDSN);
	uint64_t	 tag;

	if ((t = scsi_task_find(s, rtt)) == NULL) {
		/*
		 * RFC 7143 11.6.1: a command we never saw but whose CmdSN is
		 * inside the window and before this request counts as
		 * received and aborted; anything else does not exist (a
		 * command that completed already, for instance).
		 */
		if (sn_le(s->exp_cmdsn, ref) && s->max_cmdsn_valid &&
		    sn_le(ref, s->max_cmdsn) && sn_lt(ref, tm->cmdsn) &&
		    session_cmdsn_abort(s, ref) == 0)
			return (TMF_RSP_COMPLETE);
		return (TMF_RSP_NO_TASK);
	}
	p = t->lun;
	tag = t->tag;
	if (scsi_task_abort(t, tm) && p != NULL &&
	    plun_ring_tmf(p, tm, s->nexus, RING_TMF_ABORT_TASK, tag) == -1)
		log_warnx("%s: abort task: cannot queue for the LUN",
		    tm->conn->peer_name);
	return (TMF_RSP_COMPLETE);
}

/*
 * TASK REASSIGN (ERL 2, RFC 7143 7.2.2, 11.5.1): a task whose connection
 * failed continues on this one.  The data or status it still owes goes
 * out after the TMF response (tmf_settled).
 */
static struct task	*tmf_reassigned;

static uint8_t
tmf_task_reassign(struct task *tm, const uint8_t *bhs)
{
	struct task	*t;

	if (tm->sess->params.erl < 2)
		return (TMF_RSP_NO_REASSIGN);
	if ((t = scsi_task_find(tm->sess, get_be32(bhs + BHS_RTT))) == NULL ||
	    (t->flags & TASK_F_HELD))
		return (TMF_RSP_NO_TASK);
	if (!t->orphan)
		return (TMF_RSP_STILL_ALLEGIANT);
	tmf_reassigned = t;
	return (TMF_RSP_COMPLETE);
}

static uint8_t
tmf_function(struct task *tm, const uint8_t *bhs)
{
	struct session	*s = tm->sess;
	struct plun	*p;

	switch (tm->tmf_func) {
	case TMF_ABORT_TASK:
		return (tmf_abort_task(tm, bhs));
	case TMF_ABORT_TASK_SET:
	case TMF_CLEAR_TASK_SET:
	case TMF_LUN_RESET:
		if ((p = plun_find(s->target, tm->lun_nr)) == NULL)
			return (TMF_RSP_NO_LUN);
		tmf_abort_lun(tm, p);
		/* RING_TMF_* are the iSCSI function codes */
		if (plun_ring_tmf(p, tm, s->nexus, tm->tmf_func, 0) == -1)
			log_warnx("%s: tmf %u: cannot queue for the LUN",
			    tm->conn->peer_name, tm->tmf_func);
		return (TMF_RSP_COMPLETE);
	case TMF_TARGET_WARM_RESET:
	case TMF_TARGET_COLD_RESET:
		TAILQ_FOREACH(p, &s->target->luns, entry) {
			tmf_abort_lun(tm, p);
			if (plun_ring_tmf(p, tm, s->nexus, tm->tmf_func, 0) ==
			    -1)
				log_warnx("%s: tmf %u: cannot queue for lun "
				    "%llu", tm->conn->peer_name, tm->tmf_func,
				    (unsigned long long)p->lun);
		}
		return (TMF_RSP_COMPLETE);
	case TMF_CLEAR_ACA:
		if ((p = plun_find(s->target, tm->lun_nr)) == NULL)
			return (TMF_RSP_NO_LUN);
		/* NACA is never accepted: the LUN has no ACA to clear */
		if (plun_ring_tmf(p, tm, s->nexus, tm->tmf_func, 0) == -1)
			log_warnx("%s: tmf %u: cannot queue for the LUN",
			    tm->conn->peer_name, tm->tmf_func);
		return (TMF_RSP_COMPLETE);
	case TMF_TASK_REASSIGN:
		return (tmf_task_reassign(tm, bhs));
	default:
		return (TMF_RSP_NOT_SUPPORTED);
	}
}

void
tmf_rx(struct conn *c)
{
	struct session	*s = c->sess;
	const uint8_t	*bhs = c->rx_bhs;
	struct task	*tm, *t;
	int		 imm = (bhs[BHS_OPCODE] & ISCSI_OP_IMMEDIATE) != 0;

	if (s == NULL)
		return;
	if (s->target == NULL) {
		session_reject(c, ISCSI_REJ_PROTOCOL, bhs);
		return;
	}
	if (session_cmdsn(s, get_be32(bhs + BHS_CMDSN), imm) == -1)
		return;
	s->ntasks++;
	if ((tm = task_new(s, c, TASK_K_TMF)) == NULL) {
		log_warnx("%s: tmf: out of memory", c->peer_name);
		session_task_done(s);
		tmf_send(c, get_be32(bhs + BHS_ITT), TMF_RSP_REJECTED);
		return;
	}
	tm->itt = get_be32(bhs + BHS_ITT);
	tm->cmdsn = get_be32(bhs + BHS_CMDSN);
	tm->tmf_func = bhs[BHS_FLAGS] & 0x7f;
	memcpy(tm->lun_raw, bhs + BHS_LUN, 8);
	tm->lun_nr = iscsi_lun_decode(bhs + BHS_LUN);
	task_sess_add(tm);
	log_info("%s: task management function %u lun %llu itt 0x%08x "
	    "ref itt 0x%08x", c->peer_name, tm->tmf_func,
	    (unsigned long long)tm->lun_nr, tm->itt,
	    get_be32(bhs + BHS_RTT));

	tm->tmf_pending = 1;		/* held while the function runs */
	tmf_reassigned = NULL;
	tm->tmf_rsp = tmf_function(tm, bhs);
	tmf_settled(tm);
	if (tmf_reassigned != NULL) {
		t = tmf_reassigned;
		tmf_reassigned = NULL;
		if (c->phase == CONN_FULL && c->sess == s)
			scsi_task_reassign(t, c, get_be32(bhs + BHS_DATASN));
	}
}
