/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * The consumer side of the data rings: one ring per portal.  On a
 * doorbell every submission is copied out, validated (the portal is
 * untrusted: op, direction, CDB length and data area bounds), run, and
 * its completion pushed.  Completions are published once per batch, and
 * the sleep protocol of ring.h keeps a busy ring free of syscalls.
 *
 * Every command submission gets exactly one completion, even when it is
 * aborted, so that the portal knows when its data buffer is free again.
 * When the completion ring is full, completions wait in a bounded
 * backlog and submissions are left in the ring until it drains.
 */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "log.h"
#include "lun.h"
#include "scsi.h"

#define LRING_RETRY_USEC	1000

struct lcqe {
	TAILQ_ENTRY(lcqe)	 entry;
	struct ring_cqe		 cqe;
};

struct lring {
	TAILQ_ENTRY(lring)	 entry;
	struct lun		*lun;
	struct ring		 ring;
	struct lun_port		 port;
	uint64_t		 lun_nr;
	struct event		*ev;
	struct event		*ev_retry;
	TAILQ_HEAD(, lcqe)	 backlog;
	uint32_t		 nbacklog;
	uint32_t		 backlog_max;
	int			 dirty;		/* not committed */
	int			 broken;
};

static TAILQ_HEAD(, lring)	 lrings = TAILQ_HEAD_INITIALIZER(lrings);
static TAILQ_HEAD(, scsi_cmd)	 cmd_free =
    TAILQ_HEAD_INITIALIZER(cmd_free);
static uint32_t			 ncmd_free;

static void	lring_doorbell(int, short, void *);

static struct scsi_cmd *
cmd_get(void)
{
	struct scsi_cmd	*cmd;

	if ((cmd = TAILQ_FIRST(&cmd_free)) != NULL) {
		TAILQ_REMOVE(&cmd_free, cmd, entry);
		ncmd_free--;
		return (cmd);
	}
	return (malloc(sizeof(*cmd)));
}

static void
cmd_put(struct scsi_cmd *cmd)
{
	if (ncmd_free >= 1024) {
		free(cmd);
		return;
	}
	TAILQ_INSERT_HEAD(&cmd_free, cmd, entry);
	ncmd_free++;
}

static void
lring_flush_backlog(struct lring *lr)
{
	struct lcqe	*lc;

	while ((lc = TAILQ_FIRST(&lr->backlog)) != NULL) {
		if (ring_cq_push(&lr->ring, &lc->cqe) != 0)
			break;
		TAILQ_REMOVE(&lr->backlog, lc, entry);
		lr->nbacklog--;
		free(lc);
		lr->dirty = 1;
	}
}

static void
lring_commit(struct lring *lr)
{
	struct timeval	tv = { 0, LRING_RETRY_USEC };

	if (lr->dirty) {
		ring_cq_commit(&lr->ring);
		lr->dirty = 0;
	}
	if (lr->nbacklog > 0 && !evtimer_pending(lr->ev_retry, NULL))
		evtimer_add(lr->ev_retry, &tv);
}

static void
lring_retry(int fd, short ev, void *arg)
{
	struct lring	*lr = arg;

	lring_flush_backlog(lr);
	lring_commit(lr);
	/* submissions may have been left waiting for room */
	if (lr->nbacklog == 0)
		lring_doorbell(-1, 0, lr);
}

static void
lring_push(struct lring *lr, const struct ring_cqe *cqe)
{
	struct lcqe	*lc;

	if (lr->nbacklog == 0 && ring_cq_push(&lr->ring, cqe) == 0) {
		lr->dirty = 1;
		return;
	}
	if ((lc = malloc(sizeof(*lc))) == NULL) {
		log_warn("completion of tag %llu lost",
		    (unsigned long long)cqe->tag);
		return;
	}
	lc->cqe = *cqe;
	TAILQ_INSERT_TAIL(&lr->backlog, lc, entry);
	lr->nbacklog++;
}

static void
lring_reply(struct lring *lr, uint64_t tag, uint8_t status,
    const struct scsi_cmd *cmd)
{
	struct ring_cqe	cqe;

	memset(&cqe, 0, sizeof(cqe));
	cqe.tag = tag;
	cqe.status = status;
	if (cmd != NULL) {
		cqe.len = cmd->len;
		cqe.want = cmd->want;
		cqe.sense_len = cmd->sense_len;
		memcpy(cqe.sense, cmd->sense, cmd->sense_len);
	}
	lring_push(lr, &cqe);
}

/* A malformed command submission: CHECK CONDITION, nothing touched. */
static void
lring_reject(struct lring *lr, const struct ring_sqe *sqe, uint16_t asc)
{
	struct scsi_cmd	cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.lun = lr->lun;
	scsi_check(&cmd, SK_ILLEGAL_REQUEST, asc);
	lring_reply(lr, sqe->tag, cmd.status, &cmd);
}

static void
lring_cmd_done(struct scsi_cmd *cmd)
{
	struct lring	*lr = cmd->owner;

	lunstats_done(cmd);
	/* owner NULL: the ring went away, complete into the void */
	if (lr != NULL)
		lring_reply(lr, cmd->tag, cmd->status, cmd);
	cmd_put(cmd);
}

static void
lring_cmd(struct lring *lr, const struct ring_sqe *sqe)
{
	struct scsi_cmd	*cmd;
	struct nexus	*nx;
	uint8_t		*buf = NULL;
	uint32_t	 buflen = 0;

	if (sqe->dir != RING_DIR_NONE && sqe->dir != RING_DIR_READ &&
	    sqe->dir != RING_DIR_WRITE) {
		/* BIDI commands are not supported yet */
		lring_reject(lr, sqe, ASC_INVALID_FIELD_IN_CDB);
		return;
	}
	if (sqe->cdb_len == 0 || sqe->cdb_len > RING_CDB_MAX) {
		lring_reject(lr, sqe, ASC_INVALID_FIELD_IN_CDB);
		return;
	}
	if (sqe->dir != RING_DIR_NONE && sqe->data_len > 0) {
		if (ring_data_check(&lr->ring, sqe->data_off,
		    sqe->data_len) != 0) {
			log_warnx("tag %llu: data [%u, +%u) outside the data "
			    "area", (unsigned long long)sqe->tag,
			    sqe->data_off, sqe->data_len);
			lring_reject(lr, sqe, ASC_INVALID_FIELD_IN_IU);
			return;
		}
		buf = lr->ring.data + sqe->data_off;
		buflen = sqe->data_len < sqe->xfer_len ? sqe->data_len :
		    sqe->xfer_len;
	}
	if ((nx = nexus_get(lr->lun, lr->port.portal_id, sqe->nexus)) ==
	    NULL || (cmd = cmd_get()) == NULL) {
		lring_reply(lr, sqe->tag, SAM_STAT_TASK_SET_FULL, NULL);
		return;
	}
	scsi_cmd_init(cmd, lr->lun, nx, &lr->port, sqe->cdb, sqe->cdb_len,
	    sqe->dir, buf, buflen);
	cmd->tag = sqe->tag;
	cmd->sqe_nexus = sqe->nexus;
	cmd->attr = sqe->attr;
	cmd->owner = lr;
	cmd->done = lring_cmd_done;
	if (lunctl_start(cmd) || scsi_exec(cmd) == SCSI_DONE)
		lring_cmd_done(cmd);
}

static void
lring_nexus_add(struct lring *lr, const struct ring_sqe *sqe)
{
	struct ring_nexus	 rn;
	struct nexus		*nx;

	if (sqe->data_len < sizeof(rn) ||
	    ring_data_check(&lr->ring, sqe->data_off, sizeof(rn)) != 0) {
		log_warnx("nexus %u: bad nexus descriptor", sqe->nexus);
		lring_reject(lr, sqe, ASC_INVALID_FIELD_IN_IU);
		return;
	}
	memcpy(&rn, lr->ring.data + sqe->data_off, sizeof(rn));
	rn.initiator[sizeof(rn.initiator) - 1] = '\0';
	if ((nx = nexus_get(lr->lun, lr->port.portal_id, sqe->nexus)) ==
	    NULL) {
		log_warnx("nexus table full");
		lring_reply(lr, sqe->tag, SAM_STAT_TASK_SET_FULL, NULL);
		return;
	}
	/*
	 * A new login starts without a unit attention; a nexus the LUN's
	 * previous process knew gets the power on one (this process is
	 * that LU after its power on).
	 */
	if (!nx->announced && !(rn.flags & RING_NEXUS_F_POWER_ON))
		nx->ua &= ~UA_POWER_ON;
	/* ... and so does one whose session a cold reset ended */
	if (!nx->announced && lun_cold_take(lr->lun, rn.initiator, rn.isid))
		nx->ua |= UA_POWER_ON;
	strlcpy(nx->initiator, rn.initiator, sizeof(nx->initiator));
	memcpy(nx->isid, rn.isid, sizeof(nx->isid));
	nx->tpgt = rn.tpgt;
	/* the master's port id for the ring, else the portal's */
	nx->rel_port = lr->port.rel_port != 0 ? lr->port.rel_port :
	    rn.rel_port;
	nx->announced = 1;
	log_debug("nexus %u: %s isid %02x%02x%02x%02x%02x%02x tpgt %u",
	    nx->id, nx->initiator, nx->isid[0], nx->isid[1], nx->isid[2],
	    nx->isid[3], nx->isid[4], nx->isid[5], nx->tpgt);
	lring_reply(lr, sqe->tag, 0, NULL);
}

static void
lring_sqe(struct lring *lr, const struct ring_sqe *sqe)
{
	struct nexus	*nx;
	uint8_t		 st;

	switch (sqe->op) {
	case RING_OP_CMD:
		lring_cmd(lr, sqe);
		break;
	case RING_OP_TMF:
		st = lun_tmf(lr->lun, sqe->tmf, lr->port.portal_id,
		    sqe->nexus, sqe->ref_tag);
		lring_reply(lr, sqe->tag, st, NULL);
		break;
	case RING_OP_NEXUS_ADD:
		lring_nexus_add(lr, sqe);
		break;
	case RING_OP_NEXUS_DEL:
		if ((nx = nexus_find(lr->lun, lr->port.portal_id,
		    sqe->nexus)) != NULL)
			nexus_del(lr->lun, nx);
		lring_reply(lr, sqe->tag, 0, NULL);
		break;
	default:
		log_warnx("tag %llu: unknown ring op %u",
		    (unsigned long long)sqe->tag, sqe->op);
		lring_reject(lr, sqe, ASC_INVALID_FIELD_IN_CDB);
		break;
	}
}

static void
lring_drain(struct lring *lr)
{
	struct ring_sqe	sqe;
	int		r;

	while (!lr->broken && lr->nbacklog < lr->backlog_max &&
	    lr->lun->held == 0) {
		if ((r = ring_sq_pop(&lr->ring, &sqe)) == 0)
			break;
		if (r < 0) {
			log_warnx("portal %u: corrupt submission ring, "
			    "ignoring it", lr->port.portal_id);
			lr->broken = 1;
			event_del(lr->ev);
			break;
		}
		lring_sqe(lr, &sqe);
	}
}

static void
lring_doorbell(int fd, short ev, void *arg)
{
	struct lring	*lr = arg;

	if (lr->broken)
		return;
	/* only when readable: the counter is never read while empty */
	if (ev & EV_READ)
		ring_doorbell_clear(lr->ring.sq_efd);
	ring_sq_awake(&lr->ring);
	for (;;) {
		lring_drain(lr);
		/* held: lring_resume() comes back for the rest */
		if (lr->broken || lr->nbacklog >= lr->backlog_max ||
		    lr->lun->held > 0)
			break;
		/* announce sleep, then look again: no lost wakeup */
		if (ring_sq_sleep(&lr->ring) == 0)
			break;
		ring_sq_awake(&lr->ring);
	}
	/* start the batch's backing store I/O, then publish completions */
	if (lr->lun->be != NULL)
		lr->lun->be->flush(lr->lun);
	lring_commit(lr);
}

/*
 * The LUN's rings were held (worker.c): take what waits in them, from
 * the event loop (this may be called from inside a drain).
 */
void
lring_resume(struct lun *lun)
{
	struct lring	*lr;

	TAILQ_FOREACH(lr, &lrings, entry)
		if (lr->lun == lun)
			event_active(lr->ev_retry, EV_TIMEOUT, 1);
}

/* After asynchronous completions: publish what they pushed. */
void
lring_batch_done(struct lun *lun, void *arg)
{
	struct lring	*lr;

	TAILQ_FOREACH(lr, &lrings, entry)
		if (lr->lun == lun)
			lring_commit(lr);
}

struct lring *
lring_find(uint32_t portal_id)
{
	struct lring	*lr;

	TAILQ_FOREACH(lr, &lrings, entry)
		if (lr->port.portal_id == portal_id)
			return (lr);
	return (NULL);
}

struct lring *
lring_add(struct lun *lun, struct event_base *evb, const struct msg_ring *m,
    int memfd, int sq_efd, int cq_efd, char *err, size_t errlen)
{
	struct lring	*lr;
	int		 fl;

	if (ring_geom_check(&m->geom) != 0) {
		snprintf(err, errlen, "bad ring geometry");
		goto closefds;
	}
	if ((lr = calloc(1, sizeof(*lr))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto closefds;
	}
	TAILQ_INIT(&lr->backlog);
	lr->lun = lun;
	lr->lun_nr = m->lun;
	lr->port.portal_id = m->portal_id;
	lr->port.rel_port = m->rel_port;
	lr->port.data_size = m->geom.data_size;
	lr->backlog_max = 4 * m->geom.cq_entries;
	if (ring_attach(&lr->ring, &m->geom, memfd, sq_efd, cq_efd) != 0) {
		snprintf(err, errlen, "cannot map the ring");
		free(lr);
		return (NULL);
	}
	/* the doorbell must never block us, whatever the peer did */
	if ((fl = fcntl(lr->ring.sq_efd, F_GETFL)) != -1)
		(void)fcntl(lr->ring.sq_efd, F_SETFL, fl | O_NONBLOCK);
	lr->ev = event_new(evb, lr->ring.sq_efd, EV_READ | EV_PERSIST,
	    lring_doorbell, lr);
	lr->ev_retry = evtimer_new(evb, lring_retry, lr);
	if (lr->ev == NULL || lr->ev_retry == NULL ||
	    event_add(lr->ev, NULL) == -1) {
		snprintf(err, errlen, "cannot watch the doorbell");
		if (lr->ev != NULL)
			event_free(lr->ev);
		if (lr->ev_retry != NULL)
			event_free(lr->ev_retry);
		ring_detach(&lr->ring);
		free(lr);
		return (NULL);
	}
	TAILQ_INSERT_TAIL(&lrings, lr, entry);
	/* a tape drive or a changer has no backend */
	if (lun->be != NULL && lun->be->mem_add != NULL)
		lun->be->mem_add(lun, lr->ring.data, lr->ring.geom.data_size);
	/* entries may be waiting already; this also arms the sleep flag */
	lring_doorbell(-1, 0, lr);
	return (lr);
 closefds:
	close(memfd);
	close(sq_efd);
	close(cq_efd);
	return (NULL);
}

void
lring_del(struct lring *lr)
{
	struct scsi_cmd	*cmd;
	struct lcqe	*lc;

	/* the worker's are waited for or aborted: they use the data area */
	lun_offload_detach(lr->lun, lr);
	/* commands still in the backend complete into the void */
	TAILQ_FOREACH(cmd, &lr->lun->inflight, entry)
		if (cmd->owner == lr)
			cmd->owner = NULL;
	sanitize_detach(lr->lun, lr);
	xcopy_detach(lr->lun, lr);
	smc_detach(lr->lun, lr);
	nexus_del_portal(lr->lun, lr->port.portal_id);
	while ((lc = TAILQ_FIRST(&lr->backlog)) != NULL) {
		TAILQ_REMOVE(&lr->backlog, lc, entry);
		free(lc);
	}
	TAILQ_REMOVE(&lrings, lr, entry);
	event_free(lr->ev);
	event_free(lr->ev_retry);
	if (lr->lun->be != NULL && lr->lun->be->mem_del != NULL)
		lr->lun->be->mem_del(lr->lun, lr->ring.data,
		    lr->ring.geom.data_size);
	ring_detach(&lr->ring);
	free(lr);
}

void
lring_del_all(void)
{
	struct lring	*lr;

	while ((lr = TAILQ_FIRST(&lrings)) != NULL)
		lring_del(lr);
}
