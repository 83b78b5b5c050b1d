/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * SCSI Command, Data-Out, R2T, Data-In and SCSI Response (RFC 7143
 * sections 11.3, 11.4, 11.7, 11.8).
 *
 * A command's task is created when its BHS has been read, so that any
 * immediate data lands straight in its buffer in the ring's data area.
 * Writes then collect unsolicited Data-Out (InitialR2T=No) and solicited
 * Data-Out in answer to R2Ts.  DataPDUInOrder and DataSequenceInOrder are
 * always Yes (params.c answers Yes to both), so Data-Out arrives at
 * increasing, contiguous offsets: one offset, one expected DataSN and the
 * R2T index derived from the offset describe the whole transfer.  The TTT
 * of the k-th R2T of a task is task->ttt + k.
 *
 * On completion the read data is sent from the data area in Data-In PDUs
 * that reference it; the buffer is released when the last of them has
 * been written (task->refs).
 */

#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "transport.h"
#include "task.h"

#define AHS_EXT_CDB		1

static uint8_t	*scsi_cmd_hdr(struct conn *);
static uint8_t	*scsi_dataout_hdr(struct conn *);
static void	 scsi_write_progress(struct task *);
static void	 scsi_task_exec(struct task *);
static void	 scsi_datain_done(void *);

/*
 * Task life.
 */

struct task *
task_new(struct session *s, struct conn *c, int kind)
{
	struct task	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return (NULL);
	t->sess = s;
	t->conn = c;
	t->kind = kind;
	t->ttt = TTT_NONE;
	t->state = TASK_NEW;
	return (t);
}

void
task_sess_add(struct task *t)
{
	TAILQ_INSERT_TAIL(&t->sess->tasks, t, sess_entry);
	t->flags |= TASK_F_ONSESS;
}

static void
task_sess_del(struct task *t)
{
	if (t->flags & TASK_F_HELD)
		session_held_task_gone(t);
	if (!(t->flags & TASK_F_ONSESS))
		return;
	TAILQ_REMOVE(&t->sess->tasks, t, sess_entry);
	t->flags &= ~TASK_F_ONSESS;
}

void
task_destroy(struct task *t)
{
	struct plun	*p = t->lun;

	task_sess_del(t);
	plun_waitq_remove(t);
	plun_buf_put(t);
	free(t);
	if (p != NULL)
		plun_unref(p);
}

/* Fixed format sense data, CHECK CONDITION. */
void
task_sense(struct task *t, uint8_t key, uint16_t asc)
{
	t->status = SAM_CHECK_CONDITION;
	memset(t->sense, 0, 18);
	t->sense[0] = 0x70;
	t->sense[2] = key;
	t->sense[7] = 10;
	t->sense[12] = asc >> 8;
	t->sense[13] = asc & 0xff;
	t->sense_len = 18;
}

struct task *
scsi_task_find(struct session *s, uint32_t itt)
{
	struct task	*t;

	TAILQ_FOREACH(t, &s->tasks, sess_entry)
		if (t->kind == TASK_K_CMD && t->itt == itt &&
		    t->state != TASK_ABORTED)
			return (t);
	return (NULL);
}

/*
 * A task that gets no response (aborted, or its connection is gone) is
 * settled: the window grows, a TMF waiting for it learns about it.
 */
static void
task_settle(struct task *t)
{
	struct task	*tmf = t->tmf;

	t->tmf = NULL;
	if (t->flags & TASK_F_ONSESS)
		session_task_done(t->sess);
	task_destroy(t);
	if (tmf != NULL)
		tmf_settled(tmf);
}

void
scsi_task_free(struct task *t)
{
	task_sess_del(t);
	t->flags |= TASK_F_DETACHED;
	t->conn = NULL;
	t->sess = NULL;
	if (t->kind == TASK_K_TMF) {
		/* the aborted tasks it waits for forget it when they settle */
		if (t->tmf_pending > 0) {
			t->state = TASK_ABORTED;
			return;
		}
		task_destroy(t);
		return;
	}
	plun_waitq_remove(t);
	if (t->flags & TASK_F_INSLOT) {
		/* the ring slot stays in use until the completion */
		t->state = TASK_ABORTED;
		return;
	}
	if (t->refs > 0)
		return;		/* the last send completion frees it */
	task_destroy(t);
}

int
scsi_task_abort(struct task *t, struct task *tmf)
{
	if (t->flags & TASK_F_HELD) {
		/* never delivered: its CmdSN stays taken (session.c) */
		t->state = TASK_ABORTED;
		task_destroy(t);
		return (0);
	}
	plun_waitq_remove(t);
	if ((t->flags & TASK_F_INSLOT) || (t->state == TASK_DATA_OUT &&
	    t->refs > 0)) {
		/* in the ring, or an RDMA READ writes its buffer */
		t->state = TASK_ABORTED;
		t->tmf = tmf;
		tmf->tmf_pending++;
		return (1);
	}
	t->state = TASK_ABORTED;
	t->tmf = NULL;
	task_settle(t);
	return (0);
}

/*
 * Receive side.
 */

uint8_t *
scsi_rx_hdr(struct conn *c)
{
	struct session	*s = c->sess;

	c->rx_task = NULL;
	if (s == NULL || s->target == NULL || c->phase != CONN_FULL)
		return (NULL);
	switch (c->rx_bhs[BHS_OPCODE] & ISCSI_OP_MASK) {
	case ISCSI_OP_SCSI_CMD:
		return (scsi_cmd_hdr(c));
	case ISCSI_OP_DATA_OUT:
		return (scsi_dataout_hdr(c));
	}
	return (NULL);
}

/* Extended CDB AHS: 0 ok, -1 malformed, 1 CDB too long. */
static int
scsi_ext_cdb(struct conn *c, struct task *t)
{
	const uint8_t	*a = c->rx_ahs;
	uint32_t	 left = c->rx_ahslen, len, n;

	if (left > sizeof(c->rx_ahs))
		return (-1);
	while (left >= 4) {
		len = get_be16(a);
		n = ISCSI_PAD(len + 3);
		if (n > left)
			return (-1);
		if (a[2] == AHS_EXT_CDB) {
			if (len < 1)
				return (-1);
			if (16 + len - 1 > RING_CDB_MAX)
				return (1);
			memcpy(t->cdb + 16, a + 4, len - 1);
			t->cdb_len = 16 + len - 1;
		}
		a += n;
		left -= n;
	}
	return (left == 0 ? 0 : -1);
}

static int
scsi_itt_busy(struct session *s, struct task *self, uint32_t itt)
{
	struct task	*t;

	TAILQ_FOREACH(t, &s->tasks, sess_entry)
		if (t != self && t->itt == itt && t->state != TASK_ABORTED)
			return (1);
	return (0);
}

static uint32_t
min32(uint32_t a, uint32_t b)
{
	return (a < b ? a : b);
}

static uint8_t *
scsi_cmd_hdr(struct conn *c)
{
	struct session	*s = c->sess;
	const uint8_t	*bhs = c->rx_bhs;
	struct task	*t;
	uint32_t	 dlen = bhs_dlen(bhs), max;
	int		 rv;

	if ((t = task_new(s, c, TASK_K_CMD)) == NULL) {
		log_warnx("%s: out of memory", c->peer_name);
		return (NULL);
	}
	t->itt = get_be32(bhs + BHS_ITT);
	t->cmdsn = get_be32(bhs + BHS_CMDSN);
	t->rw = bhs[BHS_FLAGS] & (ISCSI_CMD_READ | ISCSI_CMD_WRITE);
	t->attr = bhs[BHS_FLAGS] & ISCSI_CMD_ATTR_MASK;
	t->edtl = t->rw ? get_be32(bhs + BHS_EDTL) : 0;
	memcpy(t->lun_raw, bhs + BHS_LUN, 8);
	t->lun_nr = iscsi_lun_decode(bhs + BHS_LUN);
	memcpy(t->cdb, bhs + BHS_CDB, 16);
	t->cdb_len = 16;
	t->rdma_flags = c->rx_rflags;
	t->rdma_wstag = c->rx_wstag;
	t->rdma_rstag = c->rx_rstag;
	t->rdma_wva = c->rx_wva;
	t->rdma_rva = c->rx_rva;
	if ((t->lun = plun_find(s->target, t->lun_nr)) != NULL)
		plun_ref(t->lun);
	task_sess_add(t);
	c->rx_task = t;

	if ((rv = scsi_ext_cdb(c, t)) == -1)
		t->reject = ISCSI_REJ_PROTOCOL;
	else if (rv == 1)
		task_sense(t, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_CDB);
	if (t->itt == ITT_RESERVED)		/* RFC 7143 11.2.1.8 */
		t->reject = ISCSI_REJ_INVALID_FIELD;
	else if (scsi_itt_busy(s, t, t->itt))
		t->reject = ISCSI_REJ_TASK_IN_PROG;
	if (dlen > 0 && (!(t->rw & ISCSI_CMD_WRITE) ||
	    !s->params.immediate_data || dlen > s->params.first_burst ||
	    dlen > t->edtl || dlen > c->params.max_recv_dsl))
		t->reject = ISCSI_REJ_PROTOCOL;
	if (t->reject)
		return (NULL);

	if (t->rw == (ISCSI_CMD_READ | ISCSI_CMD_WRITE)) {
		/* no bidirectional commands */
		task_sense(t, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_CDB);
		return (NULL);
	}
	if (t->lun != NULL && t->edtl > 0) {
		max = t->lun->ring.geom.data_size;
		if (portal->max_xfer > 0)
			max = min32(max, portal->max_xfer);
		if (t->edtl > max) {
			log_debug("%s: itt 0x%08x: transfer of %u bytes, "
			    "more than %u", c->peer_name, t->itt, t->edtl, max);
			task_sense(t, SK_ILLEGAL_REQUEST,
			    ASC_INVALID_FIELD_CDB);
		}
	}
	if (dlen == 0 || t->lun == NULL || (t->flags & TASK_F_STATUS) ||
	    t->status != SAM_GOOD)
		return (NULL);
	if (plun_buf_get(t, t->edtl) == -1) {
		t->status = SAM_BUSY;
		t->flags |= TASK_F_STATUS;
		return (NULL);
	}
	return (t->buf);
}

/*
 * The solicited sequence (R2T) a Data-Out at the task's current offset
 * belongs to: its index, and where it ends.
 */
static uint32_t
scsi_r2t_index(struct task *t, uint32_t off, uint32_t *end)
{
	uint32_t	 burst = t->sess->params.max_burst, k;

	if (burst == 0)
		burst = 256 * 1024;
	k = (off - t->unsol_end) / burst;
	if (end != NULL)
		*end = t->unsol_end + min32((k + 1) * burst,
		    t->edtl - t->unsol_end);
	return (k);
}

static uint8_t *
scsi_dataout_hdr(struct conn *c)
{
	struct session	*s = c->sess;
	const uint8_t	*bhs = c->rx_bhs;
	struct task	*t;
	uint32_t	 itt, ttt, datasn, off, dlen, limit, end, k;
	int		 final;

	itt = get_be32(bhs + BHS_ITT);
	ttt = get_be32(bhs + BHS_TTT);
	datasn = get_be32(bhs + BHS_DATASN);
	off = get_be32(bhs + BHS_BUFOFF);
	dlen = bhs_dlen(bhs);
	final = (bhs[BHS_FLAGS] & ISCSI_FLAG_FINAL) != 0;

	if ((t = scsi_task_find(s, itt)) == NULL ||
	    t->state != TASK_DATA_OUT || t->conn != c) {
		log_debug("%s: Data-Out for unknown itt 0x%08x", c->peer_name,
		    itt);
		return (NULL);
	}
	if (t->recovering && off != t->data_rcvd &&
	    !(t->flags & TASK_F_UNSOL)) {
		/* sent before our recovery R2T reached the initiator */
		c->rx_stale = 1;
		c->rx_task = t;
		return (NULL);
	}
	if (dlen == 0 || dlen > c->params.max_recv_dsl ||
	    off != t->data_rcvd || dlen > t->edtl - off ||
	    datasn != t->exp_datasn)
		goto bad;
	if (t->flags & TASK_F_UNSOL) {
		limit = min32(s->params.first_burst, t->edtl);
		if (ttt != TTT_NONE || off >= limit || dlen > limit - off)
			goto bad;
	} else {
		if (off < t->unsol_end)
			goto bad;
		k = scsi_r2t_index(t, off, &end);
		if (off >= t->r2t_next || ttt != t->ttt + k ||
		    dlen > end - off || (final && off + dlen != end))
			goto bad;
	}
	t->recovering = 0;
	c->rx_task = t;
	return (t->buf != NULL ? t->buf + off : NULL);
 bad:
	log_debug("%s: itt 0x%08x: bad Data-Out (ttt 0x%08x datasn %u "
	    "offset %u len %u; expected datasn %u offset %u)", c->peer_name,
	    itt, ttt, datasn, off, dlen, t->exp_datasn, t->data_rcvd);
	return (NULL);
}

/* A SCSI Response with status BUSY for a command that has no task. */
static void
scsi_busy(struct conn *c, uint32_t itt)
{
	uint8_t	 bhs[ISCSI_BHS_SIZE];

	memset(bhs, 0, sizeof(bhs));
	bhs[BHS_OPCODE] = ISCSI_OP_SCSI_RSP;
	bhs[BHS_FLAGS] = ISCSI_FLAG_FINAL;
	bhs[2] = ISCSI_RSP_COMPLETED;
	bhs[3] = SAM_BUSY;
	put_be32(bhs + BHS_ITT, itt);
	session_fill_sn(c, bhs, 1);
	(void)conn_send_copy(c, bhs, NULL, 0);
}

void
scsi_rx_discard(struct conn *c)
{
	struct task	*t = c->rx_task;

	c->rx_task = NULL;
	if (t == NULL || t->kind != TASK_K_CMD || t->state != TASK_NEW ||
	    t->conn != c)
		return;
	/* not counted in the window yet, its CmdSN not taken */
	task_destroy(t);
}

/*
 * A write that waits behind a CmdSN gap (session.c) may be followed at
 * once by its unsolicited Data-Out: take that data as it comes.  When
 * its turn comes scsi_rx_cmd() goes on from there.
 */
void
scsi_rx_cmd_early(struct conn *c, struct task *t)
{
	struct session	*s = c->sess;
	const uint8_t	*bhs = c->rx_bhs;
	uint32_t	 dlen = bhs_dlen(bhs);

	if (t->reject || !(t->rw & ISCSI_CMD_WRITE) || t->edtl == 0 ||
	    (bhs[BHS_FLAGS] & ISCSI_FLAG_FINAL) || s->params.initial_r2t ||
	    dlen >= min32(s->params.first_burst, t->edtl) ||
	    t->state != TASK_NEW)
		return;		/* no unsolicited Data-Out, or an error */
	if (t->lun != NULL && t->buf == NULL && t->status == SAM_GOOD &&
	    !(t->flags & TASK_F_STATUS) && plun_buf_get(t, t->edtl) == -1) {
		t->status = SAM_BUSY;
		t->flags |= TASK_F_STATUS;
	}
	t->data_rcvd = dlen;
	t->flags |= TASK_F_UNSOL;
	t->state = TASK_DATA_OUT;
	t->early = 1;
}

void
scsi_rx_cmd(struct conn *c)
{
	struct session	*s = c->sess;
	const uint8_t	*bhs = c->rx_bhs;
	struct task	*t = c->rx_task;
	uint8_t		*p;
	uint32_t	 dlen = bhs_dlen(bhs), limit;
	int		 imm = (bhs[BHS_OPCODE] & ISCSI_OP_IMMEDIATE) != 0;

	c->rx_task = NULL;
	if (s == NULL)
		return;
	if (s->target == NULL) {
		/* discovery session */
		session_reject(c, ISCSI_REJ_PROTOCOL, bhs);
		return;
	}
	if (t == NULL || t->kind != TASK_K_CMD ||
	    (t->state != TASK_NEW && !t->early) ||
	    t->itt != get_be32(bhs + BHS_ITT) || t->conn != c) {
		/* scsi_rx_hdr() was not called for this PDU */
		p = scsi_cmd_hdr(c);
		if ((t = c->rx_task) == NULL) {
			/* out of memory: BUSY, without a task */
			if (session_cmdsn(s, get_be32(bhs + BHS_CMDSN),
			    imm) == 0)
				scsi_busy(c, get_be32(bhs + BHS_ITT));
			return;
		}
		c->rx_task = NULL;
		if (p != NULL && dlen > 0 && c->rx_data != NULL)
			memcpy(p, c->rx_data, dlen);
	}
	if (session_cmdsn(s, t->cmdsn, imm) == -1) {
		task_destroy(t);
		return;
	}
	s->ntasks++;
	if (t->early) {
		/* its unsolicited data came meanwhile (scsi_rx_cmd_early) */
		t->early = 0;
		if (!(t->flags & TASK_F_UNSOL))
			scsi_write_progress(t);
		return;
	}
	if (t->reject) {
		session_reject(c, t->reject, bhs);
		task_settle(t);
		return;
	}
	if (!(t->rw & ISCSI_CMD_WRITE) || t->edtl == 0) {
		scsi_task_exec(t);
		return;
	}

	/* A write: immediate data is in, what else comes? */
	t->data_rcvd = dlen;
	limit = min32(s->params.first_burst, t->edtl);
	if (!(bhs[BHS_FLAGS] & ISCSI_FLAG_FINAL)) {
		if (s->params.initial_r2t || dlen >= limit) {
			session_reject(c, ISCSI_REJ_PROTOCOL, bhs);
			task_settle(t);
			return;
		}
		t->flags |= TASK_F_UNSOL;
	} else
		t->unsol_end = dlen;
	t->r2t_next = t->unsol_end;
	t->state = TASK_DATA_OUT;
	if (t->lun != NULL && t->buf == NULL && t->status == SAM_GOOD &&
	    !(t->flags & TASK_F_STATUS)) {
		if (t->flags & TASK_F_UNSOL) {
			if (plun_buf_get(t, t->edtl) == -1) {
				t->status = SAM_BUSY;
				t->flags |= TASK_F_STATUS;
			}
		} else if (plun_buf_area(t, t->edtl) == -1) {
			if (t->lun->dying || t->lun->down) {
				scsi_task_exec(t);
				return;
			}
			/* wait for the ring's data area before R2T */
			t->flags |= TASK_F_R2T_BUF;
			TAILQ_INSERT_TAIL(&t->lun->waitq, t, wait_entry);
			t->flags |= TASK_F_WAITQ;
			return;
		}
	}
	scsi_write_progress(t);
}

void
scsi_task_r2t_ready(struct task *t)
{
	/* a closing connection frees the task (scsi_task_free) */
	if (t->conn == NULL || t->conn->phase != CONN_FULL)
		return;
	scsi_write_progress(t);
}

static void
scsi_send_r2ts(struct task *t)
{
	struct session	*s = t->sess;
	struct conn	*c = t->conn;
	uint8_t		 bhs[ISCSI_BHS_SIZE];
	uint32_t	 burst = s->params.max_burst, maxr2t, n, len, k, end;

	if (burst == 0)
		burst = 256 * 1024;
	if ((maxr2t = s->params.max_outstanding_r2t) == 0)
		maxr2t = 1;
	if (t->ttt == TTT_NONE) {
		/* reserve one TTT per R2T this task will need */
		n = (t->edtl - t->unsol_end + burst - 1) / burst;
		if (s->next_ttt == TTT_NONE ||
		    (uint64_t)s->next_ttt + n >= TTT_NONE)
			s->next_ttt = 1;
		t->ttt = s->next_ttt;
		s->next_ttt += n;
	}
	while (t->r2t_outstanding < maxr2t && t->r2t_next < t->edtl) {
		/*
		 * The rest of the burst r2t_next is in: all of it, except
		 * after a recovery.  Its TTT is the burst's, its R2TSN the
		 * next one.
		 */
		k = scsi_r2t_index(t, t->r2t_next, &end);
		len = end - t->r2t_next;
		if (c->tp->data_out != NULL) {
			/* RDMA: we fetch the burst ourselves, no R2T */
			if (c->tp->data_out(c, t, t->r2t_next, len) == -1)
				return;
			t->r2t_next += len;
			t->r2t_outstanding++;
			continue;
		}
		t->r2t_shift = t->r2t_sn - k;
		memset(bhs, 0, sizeof(bhs));
		bhs[BHS_OPCODE] = ISCSI_OP_R2T;
		bhs[BHS_FLAGS] = ISCSI_FLAG_FINAL;
		memcpy(bhs + BHS_LUN, t->lun_raw, 8);
		put_be32(bhs + BHS_ITT, t->itt);
		put_be32(bhs + BHS_TTT, t->ttt + k);
		session_fill_sn(c, bhs, 0);
		put_be32(bhs + BHS_DATASN, t->r2t_sn);
		put_be32(bhs + BHS_BUFOFF, t->r2t_next);
		put_be32(bhs + BHS_RESID, len);
		if (conn_send_copy(c, bhs, NULL, 0) == -1)
			return;
		t->r2t_sn++;
		t->r2t_next += len;
		t->r2t_outstanding++;
	}
}

/* The unsolicited data or a solicited sequence is complete. */
static void
scsi_write_progress(struct task *t)
{
	if (t->flags & (TASK_F_UNSOL | TASK_F_HELD))
		return;
	if (t->data_rcvd >= t->edtl || t->lun == NULL || t->buf == NULL ||
	    t->status != SAM_GOOD || (t->flags & TASK_F_STATUS)) {
		/*
		 * All in, or nothing more worth soliciting; but data we
		 * asked for is still to come first.
		 */
		if (t->r2t_outstanding > 0 && t->data_rcvd < t->edtl)
			return;
		scsi_task_exec(t);
		return;
	}
	t->state = TASK_DATA_OUT;
	scsi_send_r2ts(t);
}

void
scsi_rx_dataout(struct conn *c)
{
	struct session	*s = c->sess;
	const uint8_t	*bhs = c->rx_bhs;
	struct task	*t = c->rx_task;
	uint32_t	 dlen = bhs_dlen(bhs), end, limit;
	int		 final = (bhs[BHS_FLAGS] & ISCSI_FLAG_FINAL) != 0;

	c->rx_task = NULL;
	if (s == NULL)
		return;
	if (c->rx_stale) {
		c->rx_stale = 0;
		return;
	}
	if (t == NULL || t->state != TASK_DATA_OUT ||
	    t->itt != get_be32(bhs + BHS_ITT) ||
	    t->data_rcvd != get_be32(bhs + BHS_BUFOFF)) {
		if (!c->rx_digest_err)	/* that one was rejected already */
			session_reject(c, ISCSI_REJ_PROTOCOL, bhs);
		return;
	}
	if (c->rx_digest_err && s->params.erl >= 1 &&
	    !(t->flags & TASK_F_UNSOL) && t->buf != NULL) {
		/*
		 * RFC 7143 7.8 a): ask again, with a recovery R2T, for
		 * everything from the lost PDU on; what the initiator sent
		 * meanwhile is dropped (rx_stale).
		 */
		log_debug("%s: itt 0x%08x: recovery R2T from offset %u",
		    c->peer_name, t->itt, t->data_rcvd);
		t->recovering = 1;
		t->r2t_next = t->data_rcvd;
		t->r2t_outstanding = 0;
		t->exp_datasn = 0;
		scsi_send_r2ts(t);
		return;
	}
	if (c->rx_digest_err && t->status == SAM_GOOD &&
	    !(t->flags & TASK_F_STATUS)) {
		/*
		 * RFC 7143 7.8: the data is lost; the task ends with a CRC
		 * error once all its data is in.
		 */
		task_sense(t, SK_ABORTED_COMMAND, ASC_CRC_ERROR);
		t->flags |= TASK_F_STATUS;
	}
	t->data_rcvd += dlen;
	t->exp_datasn++;
	if (t->flags & TASK_F_UNSOL) {
		limit = min32(s->params.first_burst, t->edtl);
		if (!final && t->data_rcvd < limit)
			return;
		t->flags &= ~TASK_F_UNSOL;
		t->unsol_end = t->r2t_next = t->data_rcvd;
		t->exp_datasn = 0;
		scsi_write_progress(t);
		return;
	}
	scsi_r2t_index(t, t->data_rcvd - dlen, &end);
	if (t->data_rcvd < end)
		return;
	t->exp_datasn = 0;
	if (t->r2t_outstanding > 0)
		t->r2t_outstanding--;
	scsi_write_progress(t);
}

/* All data is in (or none is needed): run the command. */
static void
scsi_task_exec(struct task *t)
{
	if ((t->flags & TASK_F_STATUS) || t->status != SAM_GOOD) {
		t->xfer = 0;
		t->want = 0;
		scsi_task_complete(t);
	} else if (nolun_handles(t))
		nolun_exec(t);
	else
		plun_submit(t);
}

/*
 * Send side.
 */

static void
scsi_datain_done(void *arg)
{
	struct task	*t = arg;

	if (--t->refs > 0)
		return;
	task_destroy(t);
}

void
scsi_task_put(struct task *t)
{
	scsi_datain_done(t);
}

/*
 * An RDMA READ of Data-Out is over.  The task held a reference for it:
 * an abort or a closing connection that came meanwhile waited for this
 * (the buffer was being written); now the task can go.
 */
void
scsi_rdma_read_done(struct task *t, uint32_t len, int ok)
{
	if (t->refs > 0)
		t->refs--;
	if (t->state == TASK_ABORTED) {
		if (t->refs == 0)
			task_settle(t);
		return;
	}
	if ((t->flags & TASK_F_DETACHED) || t->conn == NULL) {
		if (t->refs == 0)
			task_destroy(t);
		return;
	}
	if (!ok || t->state != TASK_DATA_OUT)
		return;		/* the connection is going: it frees t */
	t->data_rcvd += len;
	if (t->r2t_outstanding > 0)
		t->r2t_outstanding--;
	scsi_write_progress(t);
}

/* Residual flags and count of the response. */
static uint8_t
scsi_resid(const struct task *t, uint32_t xfer, uint32_t *resid)
{
	*resid = 0;
	if (t->want > t->edtl) {
		*resid = t->want - t->edtl;
		return (ISCSI_RSP_OVERFLOW);
	}
	if (xfer < t->edtl) {
		*resid = t->edtl - xfer;
		return (ISCSI_RSP_UNDERFLOW);
	}
	return (0);
}

static uint32_t
scsi_xfer(const struct task *t)
{
	if (t->xfer > t->buf_len || t->buf == NULL)
		return (0);
	return (t->xfer);
}

/*
 * The Data-In PDUs of a read: at most MaxRecvDataSegmentLength each, a
 * sequence (F bit) ends every MaxBurstLength bytes.  Calls fn for each,
 * or only for those with DataSN in [from, to].
 */
static int
scsi_datain_each(struct task *t, struct conn *c, uint32_t xfer,
    uint32_t from, uint32_t to, int (*fn)(struct task *, struct conn *,
    uint32_t, uint32_t, uint32_t, int, int))
{
	struct session	*s = t->sess;
	uint32_t	 off, len, seq_left, burst, mxdsl, sn;
	int		 last;

	if ((burst = s->params.max_burst) == 0)
		burst = 256 * 1024;
	if ((mxdsl = c->params.max_xmit_dsl) == 0)
		mxdsl = 8192;
	seq_left = burst;
	for (off = 0, sn = 0; off < xfer; off += len, sn++) {
		len = min32(min32(mxdsl, xfer - off), seq_left);
		last = off + len == xfer;
		if (sn >= from && sn <= to &&
		    fn(t, c, sn, off, len, last || len == seq_left, last) == -1)
			return (-1);
		seq_left -= len;
		if (seq_left == 0)
			seq_left = burst;
	}
	return (0);
}

/* Queue one Data-In PDU; the last one carries the status if collapsed. */
static int
scsi_datain_one(struct task *t, struct conn *c, uint32_t sn, uint32_t off,
    uint32_t len, int final, int last)
{
	uint8_t		 bhs[ISCSI_BHS_SIZE];
	uint32_t	 resid;
	uint8_t		 rflags;

	memset(bhs, 0, sizeof(bhs));
	bhs[BHS_OPCODE] = ISCSI_OP_DATA_IN;
	if (final)
		bhs[BHS_FLAGS] |= ISCSI_FLAG_FINAL;
	memcpy(bhs + BHS_LUN, t->lun_raw, 8);
	put_be32(bhs + BHS_ITT, t->itt);
	put_be32(bhs + BHS_TTT, TTT_NONE);
	if (last && t->collapsed) {
		rflags = scsi_resid(t, off + len, &resid);
		bhs[BHS_FLAGS] |= ISCSI_DATAIN_STATUS | rflags;
		bhs[3] = t->status;
		session_fill_sn(c, bhs, 0);
		put_be32(bhs + BHS_STATSN, t->statsn);
		put_be32(bhs + BHS_RESID, resid);
	} else {
		session_fill_sn(c, bhs, 0);
		put_be32(bhs + BHS_STATSN, 0);
	}
	put_be32(bhs + BHS_DATASN, sn);
	if (sn + 1 > t->datasn)
		t->datasn = sn + 1;
	put_be32(bhs + BHS_BUFOFF, off);
	bhs_set_dlen(bhs, len);
	t->refs++;
	if (conn_send(c, bhs, t->buf + off, len, scsi_datain_done, t) == -1) {
		t->refs--;
		return (-1);
	}
	return (0);
}

/* The SCSI Response PDU (StatSN t->statsn). */
static void
scsi_response(struct task *t, struct conn *c)
{
	uint8_t		 bhs[ISCSI_BHS_SIZE], rsp[2 + RING_SENSE_MAX];
	uint32_t	 len = 0, resid;

	memset(bhs, 0, sizeof(bhs));
	bhs[BHS_OPCODE] = ISCSI_OP_SCSI_RSP;
	bhs[BHS_FLAGS] = ISCSI_FLAG_FINAL | scsi_resid(t, scsi_xfer(t),
	    &resid);
	bhs[2] = ISCSI_RSP_COMPLETED;
	bhs[3] = t->status;
	put_be32(bhs + BHS_ITT, t->itt);
	session_fill_sn(c, bhs, 0);
	put_be32(bhs + BHS_STATSN, t->statsn);
	put_be32(bhs + BHS_DATASN, (t->rw & ISCSI_CMD_READ) ? t->datasn :
	    t->r2t_sn);
	put_be32(bhs + BHS_RESID, resid);
	if (t->sense_len > 0 && t->status != SAM_GOOD) {
		len = 2 + t->sense_len;
		put_be16(rsp, t->sense_len);
		memcpy(rsp + 2, t->sense, t->sense_len);
	}
	bhs_set_dlen(bhs, len);
	(void)conn_send_copy(c, bhs, rsp, len);
}

void
scsi_task_complete(struct task *t)
{
	struct session	*s = t->sess;
	struct conn	*c = t->conn;
	uint32_t	 xfer;

	if (t->orphan && t->state != TASK_ABORTED &&
	    !(t->flags & TASK_F_DETACHED) && s != NULL) {
		/* no connection (ERL 2): the answer waits for TASK REASSIGN */
		if (!t->orphan_done)
			session_task_done(s);
		t->orphan_done = 1;
		t->state = TASK_DATA_IN;
		return;
	}
	if (t->state == TASK_ABORTED || (t->flags & TASK_F_DETACHED) ||
	    c == NULL || s == NULL) {
		t->state = TASK_ABORTED;
		task_settle(t);
		return;
	}
	t->state = TASK_DATA_IN;
	/* The response is queued below: the ITT is free, the window grows. */
	task_sess_del(t);
	t->flags |= TASK_F_DETACHED;
	session_task_done(s);

	xfer = (t->rw & ISCSI_CMD_READ) ? scsi_xfer(t) : 0;
	t->refs = 1;		/* held while queueing */
	/* the status goes with the last Data-In if there is no sense */
	t->collapsed = xfer > 0 && t->status == SAM_GOOD &&
	    t->sense_len == 0;
	t->statsn = c->stat_sn++;
	if (xfer > 0 && c->tp->data_in != NULL) {
		/* RDMA WRITE, then the SCSI Response after it */
		t->collapsed = 0;
		if (xfer > t->edtl)
			xfer = t->edtl;
		if (c->tp->data_in(c, t, xfer) == -1) {
			scsi_datain_done(t);
			return;
		}
	} else if (xfer > 0) {
		if (scsi_datain_each(t, c, xfer, 0, UINT32_MAX,
		    scsi_datain_one) == -1) {
			scsi_datain_done(t);	/* connection is dead */
			return;
		}
	}
	if (!t->collapsed)
		scsi_response(t, c);
	if (s->params.erl >= 1 && c->phase == CONN_FULL) {
		/* kept for SNACK until ExpStatSN acknowledges it */
		t->refs++;
		t->retained = 1;
		TAILQ_INSERT_TAIL(&c->retained, t, sess_entry);
	}
	scsi_datain_done(t);
}

/*
 * Error recovery level 1 (RFC 7143 7.x, 11.16): an answered task stays
 * on its connection's retained list, with its buffer, until ExpStatSN
 * says the initiator has its status; a SNACK until then gets its
 * Data-In or its status again, from the data area.
 */

static void
scsi_retained_release(struct conn *c, struct task *t)
{
	TAILQ_REMOVE(&c->retained, t, sess_entry);
	t->retained = 0;
	scsi_datain_done(t);
}

void
scsi_ack(struct conn *c)
{
	struct task	*t;

	while ((t = TAILQ_FIRST(&c->retained)) != NULL &&
	    sn_lt(t->statsn, c->exp_stat_sn))
		scsi_retained_release(c, t);
}

void
scsi_retained_free(struct conn *c)
{
	struct task	*t;

	while ((t = TAILQ_FIRST(&c->retained)) != NULL)
		scsi_retained_release(c, t);
}

static struct task *
scsi_retained_find(struct conn *c, uint32_t itt)
{
	struct task	*t;

	TAILQ_FOREACH(t, &c->retained, sess_entry)
		if (t->itt == itt)
			return (t);
	return (NULL);
}

/* R2T SNACK: the R2Ts with R2TSN in [from, to] of a write in progress. */
static void
scsi_r2t_resend(struct task *t, uint32_t from, uint32_t to)
{
	struct session	*s = t->sess;
	uint8_t		 bhs[ISCSI_BHS_SIZE];
	uint32_t	 burst = s->params.max_burst, k, n, off, end;

	if (burst == 0)
		burst = 256 * 1024;
	/* R2TSN n asked for burst n - r2t_shift (from its first gap) */
	for (n = from; sn_lt(n, t->r2t_sn) && sn_le(n, to); n++) {
		k = n - t->r2t_shift;
		off = t->unsol_end + k * burst;
		if (off >= t->edtl || off >= t->r2t_next)
			break;
		if (off < t->data_rcvd)
			off = t->data_rcvd;
		end = t->unsol_end + min32((k + 1) * burst, t->edtl -
		    t->unsol_end);
		if (off >= end)
			continue;
		memset(bhs, 0, sizeof(bhs));
		bhs[BHS_OPCODE] = ISCSI_OP_R2T;
		bhs[BHS_FLAGS] = ISCSI_FLAG_FINAL;
		memcpy(bhs + BHS_LUN, t->lun_raw, 8);
		put_be32(bhs + BHS_ITT, t->itt);
		put_be32(bhs + BHS_TTT, t->ttt + k);
		session_fill_sn(t->conn, bhs, 0);
		put_be32(bhs + BHS_DATASN, n);
		put_be32(bhs + BHS_BUFOFF, off);
		put_be32(bhs + BHS_RESID, end - off);
		if (conn_send_copy(t->conn, bhs, NULL, 0) == -1)
			return;
	}
}

#define SNACK_DATA_R2T		0
#define SNACK_STATUS		1
#define SNACK_DATA_ACK		2
#define SNACK_RDATA		3

void
scsi_snack(struct conn *c)
{
	struct session	*s = c->sess;
	const uint8_t	*bhs = c->rx_bhs;
	struct task	*t;
	uint32_t	 itt = get_be32(bhs + BHS_ITT);
	uint32_t	 beg = get_be32(bhs + BHS_BUFOFF);	/* BegRun */
	uint32_t	 run = get_be32(bhs + BHS_RESID);	/* RunLength */
	uint32_t	 end = run == 0 ? UINT32_MAX : beg + run - 1;
	uint32_t	 xfer;

	if (s == NULL || s->params.erl == 0 || s->target == NULL) {
		session_reject(c, ISCSI_REJ_SNACK, bhs);
		return;
	}
	if (run != 0 && end < beg)
		end = UINT32_MAX;
	switch (bhs[BHS_FLAGS] & 0x0f) {
	case SNACK_DATA_R2T:
	case SNACK_RDATA:
		if (((bhs[BHS_FLAGS] & 0x0f) == SNACK_RDATA && beg != 0) ||
		    itt == ITT_RESERVED)
			break;
		if ((t = scsi_retained_find(c, itt)) != NULL) {
			xfer = (t->rw & ISCSI_CMD_READ) ? scsi_xfer(t) : 0;
			if (xfer == 0 || beg >= t->datasn)
				break;
			log_debug("%s: SNACK itt 0x%08x: Data-In %u-%u again",
			    c->peer_name, itt, beg, end);
			(void)scsi_datain_each(t, c, xfer, beg, end,
			    scsi_datain_one);
			return;
		}
		if ((t = scsi_task_find(s, itt)) != NULL && t->conn == c &&
		    t->state == TASK_DATA_OUT) {
			log_debug("%s: SNACK itt 0x%08x: R2T %u-%u again",
			    c->peer_name, itt, beg, end);
			scsi_r2t_resend(t, beg, end);
			return;
		}
		if (t != NULL)
			return;		/* no Data-In yet: nothing to resend */
		break;
	case SNACK_STATUS:
		TAILQ_FOREACH(t, &c->retained, sess_entry) {
			if (sn_lt(t->statsn, beg) ||
			    (end != UINT32_MAX && sn_lt(end, t->statsn)))
				continue;
			log_debug("%s: SNACK StatSN %u (itt 0x%08x) again",
			    c->peer_name, t->statsn, t->itt);
			xfer = (t->rw & ISCSI_CMD_READ) ? scsi_xfer(t) : 0;
			if (t->collapsed)
				(void)scsi_datain_each(t, c, xfer,
				    t->datasn - 1, t->datasn - 1,
				    scsi_datain_one);
			else
				scsi_response(t, c);
		}
		return;
	case SNACK_DATA_ACK:
		/* we never ask for DataACK (A bit): nothing held for it */
		return;
	}
	log_debug("%s: SNACK type %u itt 0x%08x BegRun %u: nothing to resend",
	    c->peer_name, bhs[BHS_FLAGS] & 0x0f, itt, beg);
	session_reject(c, ISCSI_REJ_PROTOCOL, bhs);
}

/*
 * Error recovery level 2: connection recovery (RFC 7143 7.2).  When a
 * connection fails, its commands lose their allegiance but not their
 * state: those still running, waiting for data or answered but not yet
 * acknowledged stay on the session (orphan) until TASK REASSIGN moves
 * them to another connection or DefaultTime2Retain ends them.
 */
int
scsi_orphan(struct conn *c)
{
	struct session	*s = c->sess;
	struct task	*t;
	int		 n = 0;

	TAILQ_FOREACH(t, &s->tasks, sess_entry) {
		if (t->conn != c || t->kind != TASK_K_CMD ||
		    t->state == TASK_ABORTED || (t->flags & TASK_F_HELD))
			continue;
		t->conn = NULL;
		t->orphan = 1;
		n++;
	}
	/* answered, unacknowledged: back on the session, buffer kept */
	while ((t = TAILQ_FIRST(&c->retained)) != NULL) {
		TAILQ_REMOVE(&c->retained, t, sess_entry);
		t->retained = 0;
		t->flags &= ~TASK_F_DETACHED;
		t->conn = NULL;
		t->orphan = 1;
		t->orphan_done = 1;
		t->orphan_ref = 1;
		task_sess_add(t);
		n++;
	}
	if (n > 0)
		log_info("%s: %d task(s) wait for reassignment", c->peer_name,
		    n);
	return (n);
}

void
scsi_orphans_free(struct session *s)
{
	struct task	*t, *tt;

	TAILQ_FOREACH_SAFE(t, &s->tasks, sess_entry, tt) {
		if (!t->orphan)
			continue;
		if (t->orphan_done) {
			/* answered or complete: no slot, only its refs */
			task_sess_del(t);
			t->flags |= TASK_F_DETACHED;
			t->sess = NULL;
			if (t->orphan_ref) {
				t->orphan_ref = 0;
				scsi_datain_done(t);
			} else if (t->refs == 0)
				task_destroy(t);
			continue;
		}
		scsi_task_free(t);
	}
}

/* How many Data-In PDUs a read of xfer bytes takes. */
static int
scsi_datain_count1(struct task *t, struct conn *c, uint32_t sn,
    uint32_t off, uint32_t len, int final, int last)
{
	t->datasn = sn + 1;
	return (0);
}

void
scsi_task_reassign(struct task *t, struct conn *c, uint32_t expdatasn)
{
	struct session	*s = t->sess;
	uint32_t	 xfer, n;

	log_info("%s: itt 0x%08x reassigned to this connection (cid %u), "
	    "from DataSN %u", c->peer_name, t->itt, c->cid, expdatasn);
	t->conn = c;
	t->orphan = 0;
	if (!t->orphan_done) {
		if (t->state != TASK_DATA_OUT)
			return;		/* the completion comes here */
		/* ask again for everything not received */
		if ((t->flags & TASK_F_UNSOL) && t->ttt == TTT_NONE) {
			t->flags &= ~TASK_F_UNSOL;
			t->unsol_end = t->data_rcvd;
		}
		if (t->flags & TASK_F_UNSOL)
			return;		/* cannot tell what came: it ends */
		if (t->flags & TASK_F_WAITQ)
			return;		/* R2Ts once the buffer is there */
		t->recovering = 1;
		t->r2t_next = t->data_rcvd;
		t->r2t_outstanding = 0;
		t->exp_datasn = 0;
		scsi_write_progress(t);
		return;
	}
	/* answered or completed while orphaned: data from expdatasn, status */
	t->orphan_done = 0;
	task_sess_del(t);
	t->flags |= TASK_F_DETACHED;
	t->state = TASK_DATA_IN;
	t->refs++;		/* held while queueing */
	xfer = (t->rw & ISCSI_CMD_READ) ? scsi_xfer(t) : 0;
	t->collapsed = xfer > 0 && t->status == SAM_GOOD &&
	    t->sense_len == 0;
	t->statsn = c->stat_sn++;
	n = 0;
	if (xfer > 0) {
		(void)scsi_datain_each(t, c, xfer, 0, UINT32_MAX,
		    scsi_datain_count1);
		n = t->datasn;
	}
	if (expdatasn < n)
		(void)scsi_datain_each(t, c, xfer, expdatasn, UINT32_MAX,
		    scsi_datain_one);
	if (!t->collapsed || expdatasn >= n)
		scsi_response(t, c);
	if (s->params.erl >= 1 && c->phase == CONN_FULL) {
		if (!t->orphan_ref)
			t->refs++;
		t->orphan_ref = 0;
		t->retained = 1;
		TAILQ_INSERT_TAIL(&c->retained, t, sess_entry);
	} else if (t->orphan_ref) {
		t->orphan_ref = 0;
		t->refs--;
	}
	scsi_datain_done(t);
}
