/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * One ring per LUN of each target: the portal is the sq producer and the
 * cq consumer.  Each sqe takes a slot; its tag is the slot index with
 * the slot's generation in the high half, so a stale or forged cqe tag is
 * recognised and ignored.  Data buffers are carved out of the ring's data
 * area; a command that finds no slot, no ring space or no buffer waits on
 * the plun's waitq, in arrival order, and is retried when completions free
 * resources.
 *
 * A plun whose lun process was restarted (a second MSG_PORTAL_LUN for the
 * same target and LUN) or which was removed is retired: its in-flight
 * commands end with a retryable error (UNIT ATTENTION) or with LOGICAL
 * UNIT NOT SUPPORTED, and its mapping is kept until no task points into
 * it any more.
 *
 * A plun whose lun process ended (MSG_PORTAL_LUN_DOWN) is down until the
 * process's restart brings its next ring: what it held ends as for a
 * restart, new commands get NOT READY (becoming ready) and task
 * management functions do not wait for it: the process that comes back
 * starts from power on, which is what any reset leaves.  A ring TMF the
 * LUN leaves unanswered for TGT_TMF_WAIT s is reported to the master
 * (MSG_PORTAL_LUN_STUCK), which kills a process that does not answer it
 * either: the LUN then goes down.
 */

#include <sys/queue.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "transport.h"
#include "task.h"

static void	 plun_cq_cb(int, short, void *);
static void	 plun_commit_cb(int, short, void *);
static void	 plun_retire(struct plun *, int);
static void	 plun_kick(struct plun *);
static void	 plun_free(struct plun *);
static void	 plun_tmf_cb(int, short, void *);

struct plun *
plun_find(struct ptarget *target, uint64_t lun)
{
	struct plun	*p;

	if (target == NULL)
		return (NULL);
	TAILQ_FOREACH(p, &target->luns, entry)
		if (p->lun == lun)
			return (p);
	return (NULL);
}

void
plun_ref(struct plun *p)
{
	p->nrefs++;
}

void
plun_unref(struct plun *p)
{
	if (p->nrefs == 0) {
		log_warnx("%s: plun lun %llu: reference count underflow",
		    __func__, (unsigned long long)p->lun);
		return;
	}
	if (--p->nrefs == 0 && p->dying)
		plun_free(p);
}

static void
plun_free(struct plun *p)
{
	if (p->ev_cq != NULL)
		event_free(p->ev_cq);
	if (p->ev_commit != NULL)
		event_free(p->ev_commit);
	if (p->ev_tmf != NULL)
		event_free(p->ev_tmf);
	ring_alloc_free_all(&p->alloc);
	iser_ring_detach(p);
	ring_detach(&p->ring);
	free(p->slots);
	free(p->slot_gen);
	free(p->slot_free);
	free(p);
}

/*
 * What a session told the LUN with lun_id about its I_T nexus: two bits
 * per LUN in sess->nexus_sent, NEXUS_SENT (announced to the LUN's
 * current process) and NEXUS_OLD (announced to an earlier process of
 * it, which went away: the next announcement asks for the power on UA).
 */
#define NEXUS_SENT	0
#define NEXUS_OLD	1

static int
nexus_bit(const struct session *s, uint32_t lun_id, int which)
{
	uint64_t	 b = 2 * (uint64_t)lun_id + which;

	return (s->nexus_sent != NULL && b / 64 < s->nexus_sent_len &&
	    (s->nexus_sent[b / 64] >> (b % 64)) & 1);
}

static int
nexus_bit_set(struct session *s, uint32_t lun_id, int which, int on)
{
	uint64_t	*n, b = 2 * (uint64_t)lun_id + which;
	uint32_t	 len = b / 64 + 1;

	if (len > s->nexus_sent_len) {
		if (!on)
			return (0);
		if ((n = reallocarray(s->nexus_sent, len, sizeof(*n))) ==
		    NULL)
			return (-1);
		memset(n + s->nexus_sent_len, 0,
		    (len - s->nexus_sent_len) * sizeof(*n));
		s->nexus_sent = n;
		s->nexus_sent_len = len;
	}
	if (on)
		s->nexus_sent[b / 64] |= 1ULL << (b % 64);
	else
		s->nexus_sent[b / 64] &= ~(1ULL << (b % 64));
	return (0);
}

/*
 * The process of the LUN with this lun_id was replaced: its sessions
 * announce their nexus again, as ones the LUN had before.
 */
static void
plun_nexus_forget(struct ptarget *target, uint32_t lun_id)
{
	struct session	*s;

	TAILQ_FOREACH(s, &portal->sessions, entry) {
		if (s->target != target || !nexus_bit(s, lun_id, NEXUS_SENT))
			continue;
		(void)nexus_bit_set(s, lun_id, NEXUS_SENT, 0);
		(void)nexus_bit_set(s, lun_id, NEXUS_OLD, 1);
	}
}

int
plun_attach(struct ptarget *target, const struct msg_ring *mr, int fds[3])
{
	struct plun	*p, *old, *q;
	uint32_t	 i;

	if (ring_geom_check(&mr->geom) == -1) {
		log_warnx("lun %llu of %s: bad ring geometry",
		    (unsigned long long)mr->lun, target->name);
		close(fds[0]);
		close(fds[1]);
		close(fds[2]);
		return (-1);
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		close(fds[0]);
		close(fds[1]);
		close(fds[2]);
		return (-1);
	}
	TAILQ_INIT(&p->waitq);
	if (ring_attach(&p->ring, &mr->geom, fds[0], fds[1], fds[2]) == -1) {
		log_warn("lun %llu of %s: ring", (unsigned long long)mr->lun,
		    target->name);
		free(p);
		return (-1);
	}
	p->target = target;
	p->lun = mr->lun;
	p->lun_id = mr->lun_id;
	p->nslots = mr->geom.sq_entries;
	if (ring_alloc_init(&p->alloc, &mr->geom) == -1 ||
	    (p->slots = calloc(p->nslots, sizeof(*p->slots))) == NULL ||
	    (p->slot_gen = calloc(p->nslots, sizeof(*p->slot_gen))) == NULL ||
	    (p->slot_free = calloc(p->nslots, sizeof(*p->slot_free))) ==
	    NULL)
		goto fail;
	/* A stack of free slots: the lowest indices come out first. */
	for (i = 0; i < p->nslots; i++)
		p->slot_free[i] = p->nslots - 1 - i;
	p->nslot_free = p->nslots;
	if ((p->ev_cq = event_new(portal->evb, p->ring.cq_efd,
	    EV_READ | EV_PERSIST, plun_cq_cb, p)) == NULL ||
	    (p->ev_commit = event_new(portal->evb, -1, 0, plun_commit_cb,
	    p)) == NULL ||
	    (p->ev_tmf = evtimer_new(portal->evb, plun_tmf_cb, p)) == NULL ||
	    event_add(p->ev_cq, NULL) == -1)
		goto fail;

	if ((old = plun_find(target, mr->lun)) != NULL) {
		log_info("lun %llu of %s: ring replaced (lun process "
		    "restarted)", (unsigned long long)mr->lun, target->name);
		TAILQ_INSERT_BEFORE(old, p, entry);
		/* a new lun process knows no nexus yet */
		plun_nexus_forget(target, old->lun_id);
		plun_nexus_forget(target, p->lun_id);
		plun_retire(old, PLUN_REPLACED);	/* may free old */
	} else {
		TAILQ_FOREACH(q, &target->luns, entry)
			if (q->lun > p->lun)
				break;
		if (q != NULL)
			TAILQ_INSERT_BEFORE(q, p, entry);
		else
			TAILQ_INSERT_TAIL(&target->luns, p, entry);
		plun_nexus_forget(target, p->lun_id);
	}
	log_debug("lun %llu of %s: ring attached, %u slots, %u bytes of data",
	    (unsigned long long)p->lun, target->name, p->nslots,
	    mr->geom.data_size);
	iser_ring_attach(p);
	/* In case completions were pushed before we listened. */
	event_active(p->ev_cq, EV_READ, 0);
	return (0);
 fail:
	log_warnx("lun %llu of %s: out of memory",
	    (unsigned long long)mr->lun, target->name);
	p->dying = PLUN_REMOVED;
	plun_free(p);
	return (-1);
}

/* A LUN the master removed by id, draining or not; NULL if unknown. */
struct plun *
plun_find_id(struct ptarget *target, uint32_t lun_id, uint64_t lun)
{
	struct plun	*p;

	TAILQ_FOREACH(p, &target->luns, entry)
		if (p->lun_id == lun_id && p->lun == lun)
			return (p);
	TAILQ_FOREACH(p, &target->drain_luns, entry)
		if (p->lun_id == lun_id && p->lun == lun)
			return (p);
	return (NULL);
}

/*
 * A LUN removed from a target that stays: lookups no longer find it, so
 * new commands get LOGICAL UNIT NOT SUPPORTED, while those it holds (in
 * the ring or waiting for it) complete.  PORTAL_LUN_DEL detaches it.
 */
void
plun_drain(struct plun *p)
{
	if (p->dying || p->draining)
		return;
	log_info("lun %llu of %s: removed, draining %u commands",
	    (unsigned long long)p->lun, p->target->name, p->ninflight);
	TAILQ_REMOVE(&p->target->luns, p, entry);
	TAILQ_INSERT_TAIL(&p->target->drain_luns, p, entry);
	p->draining = 1;
}

void
plun_detach(struct plun *p)
{
	log_info("lun %llu of %s: removed", (unsigned long long)p->lun,
	    p->target->name);
	plun_retire(p, PLUN_REMOVED);
}

/* End a task that will get no completion from this ring. */
static void
plun_end_task(struct plun *p, struct task *t)
{
	struct task	*tmf;

	switch (t->kind) {
	case TASK_K_CMD:
		t->xfer = 0;
		t->want = 0;
		if (p->dying == PLUN_REMOVED)
			task_sense(t, SK_ILLEGAL_REQUEST,
			    ASC_LUN_NOT_SUPPORTED);
		else
			task_sense(t, SK_UNIT_ATTENTION, ASC_POWER_ON_RESET);
		scsi_task_complete(t);
		break;
	case TASK_K_RING_TMF:
		tmf = t->tmf;
		t->tmf = NULL;
		task_destroy(t);
		if (tmf != NULL) {
			p->tmf_done++;
			tmf_settled(tmf);
		}
		break;
	default:
		task_destroy(t);
		break;
	}
}

/* End every task in the ring or waiting for it. */
static void
plun_end_all(struct plun *p)
{
	struct task	*t;
	uint32_t	 i;

	for (i = 0; i < p->nslots; i++) {
		if ((t = p->slots[i]) == NULL)
			continue;
		p->slots[i] = NULL;
		p->slot_free[p->nslot_free++] = i;
		p->ninflight--;
		t->flags &= ~TASK_F_INSLOT;
		plun_end_task(p, t);
	}
	while ((t = TAILQ_FIRST(&p->waitq)) != NULL) {
		plun_waitq_remove(t);
		plun_end_task(p, t);
	}
}

/*
 * Stop using a plun: it leaves the target's list, its in-flight and
 * waiting tasks end, and it is freed once no task refers to it.
 */
static void
plun_retire(struct plun *p, int why)
{
	if (p->dying)
		return;
	plun_ref(p);
	p->dying = why;
	if (p->draining)
		TAILQ_REMOVE(&p->target->drain_luns, p, entry);
	else
		TAILQ_REMOVE(&p->target->luns, p, entry);
	event_del(p->ev_cq);
	event_del(p->ev_commit);
	event_del(p->ev_tmf);
	plun_end_all(p);
	plun_unref(p);
}

void
plun_down(struct plun *p, int why)
{
	if (p->dying || p->down)
		return;
	log_info("lun %llu of %s: its process %s, %u ring operations end; "
	    "NOT READY until it is back", (unsigned long long)p->lun,
	    p->target->name, why == PLUN_DOWN_FAILED ? "cannot serve" :
	    "ended", p->ninflight);
	plun_ref(p);
	p->down = why;
	event_del(p->ev_cq);
	event_del(p->ev_commit);
	event_del(p->ev_tmf);
	plun_end_all(p);
	/* the sessions announce themselves to the next process afresh */
	plun_nexus_forget(p->target, p->lun_id);
	plun_unref(p);
}

/*
 * Ring TMFs that were sent TGT_TMF_WAIT s ago and are still not all
 * answered: the master checks the process.  tmf_mark is what had been
 * sent at the last check; fewer answers than that means one of those
 * waited the whole period.
 */
static void
plun_tmf_cb(int fd, short ev, void *arg)
{
	struct plun		*p = arg;
	struct msg_ring_del	 d;
	struct timeval		 tv = { TGT_TMF_WAIT, 0 };

	if (p->dying || p->down || p->tmf_done == p->tmf_sent)
		return;
	if ((int32_t)(p->tmf_done - p->tmf_mark) < 0) {
		log_warnx("lun %llu of %s: no answer to a task management "
		    "function for %d s, asking the master to check its process",
		    (unsigned long long)p->lun, p->target->name,
		    TGT_TMF_WAIT);
		memset(&d, 0, sizeof(d));
		d.target_id = p->target->target_id;
		d.portal_id = portal->portal_id;
		d.lun_id = p->lun_id;
		d.lun = p->lun;
		msgchan_send(&portal->master, MSG_PORTAL_LUN_STUCK, 0, NULL, 0,
		    &d, sizeof(d));
	}
	p->tmf_mark = p->tmf_sent;
	evtimer_add(p->ev_tmf, &tv);
}

void
plun_waitq_remove(struct task *t)
{
	if (!(t->flags & TASK_F_WAITQ))
		return;
	TAILQ_REMOVE(&t->lun->waitq, t, wait_entry);
	t->flags &= ~(TASK_F_WAITQ | TASK_F_R2T_BUF);
}

static void
plun_waitq_add(struct plun *p, struct task *t)
{
	TAILQ_INSERT_TAIL(&p->waitq, t, wait_entry);
	t->flags |= TASK_F_WAITQ;
	if (t->kind == TASK_K_CMD && !(t->flags & TASK_F_R2T_BUF))
		t->state = TASK_QUEUED;
}

/*
 * Buffers.
 */

int
plun_buf_area(struct task *t, uint32_t len)
{
	struct plun	*p = t->lun;
	uint32_t	 off;

	if (p == NULL || p->dying || p->down)
		return (-1);
	if (ring_alloc_get(&p->alloc, len, &off) == -1 ||
	    ring_data_check(&p->ring, off, len) == -1)
		return (-1);
	t->buf = p->ring.data + off;
	t->buf_off = off;
	t->buf_len = len;
	t->buf_heap = 0;
	return (0);
}

int
plun_buf_get(struct task *t, uint32_t len)
{
	if (len == 0)
		return (0);
	if (plun_buf_area(t, len) == 0)
		return (0);
	if ((t->buf = malloc(len)) == NULL)
		return (-1);
	t->buf_off = 0;
	t->buf_len = len;
	t->buf_heap = 1;
	return (0);
}

void
plun_buf_put(struct task *t)
{
	struct plun	*p = t->lun;

	if (t->buf == NULL)
		return;
	if (t->buf_heap)
		free(t->buf);
	else if (p != NULL) {
		ring_alloc_put(&p->alloc, t->buf_off, t->buf_len);
		if (!TAILQ_EMPTY(&p->waitq))
			plun_kick(p);
	}
	t->buf = NULL;
	t->buf_off = 0;
	t->buf_len = 0;
	t->buf_heap = 0;
}

/*
 * Submission.
 */

static void
plun_commit_soon(struct plun *p)
{
	if (p->commit_pending)
		return;
	p->commit_pending = 1;
	event_active(p->ev_commit, EV_TIMEOUT, 0);
}

static void
plun_commit_cb(int fd, short ev, void *arg)
{
	struct plun	*p = arg;

	p->commit_pending = 0;
	if (!p->dying)
		ring_sq_commit(&p->ring);
}

static uint32_t
plun_slot_get(struct plun *p, struct task *t)
{
	uint32_t	 idx;

	idx = p->slot_free[--p->nslot_free];
	p->slots[idx] = t;
	t->flags |= TASK_F_INSLOT;
	p->slot_gen[idx]++;
	p->ninflight++;
	t->tag = (uint64_t)p->slot_gen[idx] << 32 | idx;
	return (idx);
}

/* Give back the slot of a task that was not pushed after all. */
static void
plun_slot_put(struct plun *p, struct task *t)
{
	uint32_t	 idx = (uint32_t)t->tag;

	p->slots[idx] = NULL;
	p->slot_free[p->nslot_free++] = idx;
	p->ninflight--;
	t->flags &= ~TASK_F_INSLOT;
}

static uint64_t
plun_lun_field(struct plun *p)
{
	uint8_t	 l[8];

	iscsi_lun_encode(l, p->lun);
	return (get_be64(l));
}

/* RING_OP_NEXUS_ADD ahead of the first command of a session. */
static int
plun_push_nexus(struct plun *p, struct session *s)
{
	struct ring_sqe		 sqe;
	struct ring_nexus	*nx;
	struct task		*t;

	if ((t = task_new(NULL, NULL, TASK_K_NEXUS_ADD)) == NULL)
		return (-1);
	t->lun = p;
	plun_ref(p);
	t->nexus = s->nexus;
	if (plun_buf_area(t, sizeof(*nx)) == -1) {
		task_destroy(t);
		return (-1);
	}
	nx = (struct ring_nexus *)t->buf;
	memset(nx, 0, sizeof(*nx));
	strlcpy(nx->initiator, s->initiator, sizeof(nx->initiator));
	memcpy(nx->isid, s->isid, sizeof(nx->isid));
	nx->tpgt = portal->tpgt;
	nx->rel_port = portal->rel_port;
	if (nexus_bit(s, p->lun_id, NEXUS_OLD))
		nx->flags |= RING_NEXUS_F_POWER_ON;

	plun_slot_get(p, t);
	memset(&sqe, 0, sizeof(sqe));
	sqe.tag = t->tag;
	sqe.op = RING_OP_NEXUS_ADD;
	sqe.nexus = s->nexus;
	sqe.lun = plun_lun_field(p);
	sqe.data_off = t->buf_off;
	sqe.data_len = sizeof(*nx);
	if (ring_sq_push(&p->ring, &sqe) == -1) {
		/* cannot happen: space was checked */
		plun_slot_put(p, t);
		task_destroy(t);
		return (-1);
	}
	t->state = TASK_SUBMITTED;
	return (0);
}

static uint8_t
ring_attr(uint8_t attr)
{
	switch (attr) {
	case 2:
		return (RING_ATTR_ORDERED);
	case 3:
		return (RING_ATTR_HEAD);
	case 4:
		return (RING_ATTR_ACA);
	default:
		return (RING_ATTR_SIMPLE);
	}
}

/*
 * Push one waiting or new task if the ring has room for it now.
 * Returns 1 pushed, 0 not now (the caller queues it).
 */
static int
plun_try_push(struct plun *p, struct task *t)
{
	struct ring_sqe	 sqe;
	struct session	*s = t->sess;
	uint32_t	 need = 1, off;
	uint8_t		*heap;
	int		 nexus = 0;

	if (t->kind == TASK_K_CMD && s != NULL &&
	    !nexus_bit(s, p->lun_id, NEXUS_SENT))
		nexus = 1;
	need += nexus;
	if (p->nslot_free < need || ring_sq_space(&p->ring) < need)
		return (0);

	memset(&sqe, 0, sizeof(sqe));
	switch (t->kind) {
	case TASK_K_CMD:
		/* The lun reads and writes the data area only. */
		if (t->edtl > 0 && (t->rw & (ISCSI_CMD_READ | ISCSI_CMD_WRITE))
		    && (t->buf == NULL || t->buf_heap)) {
			if (ring_alloc_get(&p->alloc, t->edtl, &off) == -1)
				return (0);
			if (t->buf != NULL) {
				heap = t->buf;
				memcpy(p->ring.data + off, heap,
				    t->buf_len < t->edtl ? t->buf_len :
				    t->edtl);
				free(heap);
			}
			t->buf = p->ring.data + off;
			t->buf_off = off;
			t->buf_len = t->edtl;
			t->buf_heap = 0;
		}
		if (nexus) {
			if (plun_push_nexus(p, s) == -1)
				return (0);
			if (nexus_bit_set(s, p->lun_id, NEXUS_SENT, 1) == -1)
				log_warnx("%s: out of memory", __func__);
			(void)nexus_bit_set(s, p->lun_id, NEXUS_OLD, 0);
		}
		sqe.op = RING_OP_CMD;
		if ((t->rw & ISCSI_CMD_READ) && (t->rw & ISCSI_CMD_WRITE))
			sqe.dir = RING_DIR_BIDI;
		else if (t->rw & ISCSI_CMD_READ)
			sqe.dir = RING_DIR_READ;
		else if (t->rw & ISCSI_CMD_WRITE)
			sqe.dir = RING_DIR_WRITE;
		else
			sqe.dir = RING_DIR_NONE;
		sqe.attr = ring_attr(t->attr);
		sqe.cdb_len = t->cdb_len;
		memcpy(sqe.cdb, t->cdb, sizeof(sqe.cdb));
		sqe.lun = get_be64(t->lun_raw);
		sqe.nexus = s != NULL ? s->nexus : 0;
		if (t->buf != NULL) {
			sqe.data_off = t->buf_off;
			sqe.data_len = t->buf_len;
		}
		sqe.xfer_len = t->edtl;
		sqe.cmdsn = t->cmdsn;
		break;
	case TASK_K_RING_TMF:
		sqe.op = RING_OP_TMF;
		sqe.tmf = t->tmf_func;
		sqe.ref_tag = t->ref_tag;
		sqe.nexus = t->nexus;
		sqe.lun = plun_lun_field(p);
		break;
	case TASK_K_NEXUS_DEL:
		sqe.op = RING_OP_NEXUS_DEL;
		sqe.nexus = t->nexus;
		sqe.lun = plun_lun_field(p);
		break;
	default:
		log_warnx("%s: task kind %d", __func__, t->kind);
		return (0);
	}
	plun_slot_get(p, t);
	sqe.tag = t->tag;
	if (ring_sq_push(&p->ring, &sqe) == -1) {
		/* cannot happen: space was checked */
		log_warnx("lun %llu: sq full", (unsigned long long)p->lun);
		plun_slot_put(p, t);
		return (0);
	}
	t->state = TASK_SUBMITTED;
	plun_commit_soon(p);
	return (1);
}

/* Queue a task for the ring, or push it at once if nothing waits. */
static void
plun_enqueue(struct plun *p, struct task *t)
{
	if (TAILQ_EMPTY(&p->waitq) && plun_try_push(p, t))
		return;
	plun_waitq_add(p, t);
}

void
plun_submit(struct task *t)
{
	struct plun	*p = t->lun;

	if (p == NULL) {
		/* scsi.c sends those to nolun.c */
		task_sense(t, SK_ILLEGAL_REQUEST, ASC_LUN_NOT_SUPPORTED);
		scsi_task_complete(t);
		return;
	}
	if (p->dying) {
		plun_end_task(p, t);
		return;
	}
	if (p->down) {
		t->xfer = 0;
		t->want = 0;
		task_sense(t, SK_NOT_READY, p->down == PLUN_DOWN_FAILED ?
		    ASC_MANUAL_INTERVENTION : ASC_BECOMING_READY);
		scsi_task_complete(t);
		return;
	}
	plun_enqueue(p, t);
}

int
plun_ring_tmf(struct plun *p, struct task *tmf, uint32_t nexus, uint8_t func,
    uint64_t ref_tag)
{
	struct task	*t;
	struct timeval	 tv = { TGT_TMF_WAIT, 0 };

	if (p->dying)
		return (-1);
	if (p->down)
		return (0);	/* its next process starts from power on */
	if ((t = task_new(NULL, NULL, TASK_K_RING_TMF)) == NULL)
		return (-1);
	t->lun = p;
	plun_ref(p);
	t->nexus = nexus;
	t->tmf_func = func;
	t->ref_tag = ref_tag;
	t->tmf = tmf;
	if (tmf != NULL) {
		tmf->tmf_pending++;
		/* the first one outstanding has the whole period */
		if (p->tmf_done == p->tmf_sent++ ||
		    !evtimer_pending(p->ev_tmf, NULL)) {
			p->tmf_mark = p->tmf_sent;
			evtimer_add(p->ev_tmf, &tv);
		}
	}
	plun_enqueue(p, t);
	return (0);
}

/* The tag argument is not used: the ring operation gets its own slot. */
int
plun_submit_tmf(struct plun *p, struct session *s, uint8_t tmf,
    uint64_t ref_tag, uint64_t tag)
{
	return (plun_ring_tmf(p, NULL, s != NULL ? s->nexus : 0, tmf,
	    ref_tag));
}

void
plun_session_end(struct session *s)
{
	struct plun	*p;
	struct task	*t;

	if (s->target != NULL && s->nexus_sent != NULL) {
		TAILQ_FOREACH(p, &s->target->luns, entry) {
			if (p->down || !nexus_bit(s, p->lun_id, NEXUS_SENT))
				continue;
			if ((t = task_new(NULL, NULL, TASK_K_NEXUS_DEL)) ==
			    NULL) {
				log_warnx("%s: out of memory", __func__);
				continue;
			}
			t->lun = p;
			plun_ref(p);
			t->nexus = s->nexus;
			plun_enqueue(p, t);
		}
	}
	free(s->nexus_sent);
	s->nexus_sent = NULL;
	s->nexus_sent_len = 0;
}

/*
 * Run the waitq in order until something does not fit.  Re-entered
 * calls (a completion freeing a buffer while the queue runs) just ask
 * for another pass.
 */
static void
plun_kick(struct plun *p)
{
	struct task	*t;

	if (p->kicking) {
		p->kicking = 2;
		return;
	}
	plun_ref(p);
	do {
		p->kicking = 1;
		while (!p->dying && (t = TAILQ_FIRST(&p->waitq)) != NULL) {
			if (t->flags & TASK_F_R2T_BUF) {
				if (plun_buf_area(t, t->edtl) == -1)
					break;
				plun_waitq_remove(t);
				scsi_task_r2t_ready(t);
				continue;
			}
			if (!plun_try_push(p, t))
				break;
			plun_waitq_remove(t);
		}
	} while (p->kicking == 2);
	p->kicking = 0;
	plun_unref(p);
}

/*
 * Completion.
 */

static void
plun_cqe(struct plun *p, const struct ring_cqe *cqe)
{
	struct task	*t, *tmf;
	uint32_t	 idx = (uint32_t)cqe->tag;
	uint32_t	 gen = (uint32_t)(cqe->tag >> 32);

	if (idx >= p->nslots || (t = p->slots[idx]) == NULL ||
	    p->slot_gen[idx] != gen) {
		log_warnx("lun %llu of %s: completion with bad tag 0x%llx "
		    "ignored", (unsigned long long)p->lun, p->target->name,
		    (unsigned long long)cqe->tag);
		return;
	}
	p->slots[idx] = NULL;
	p->slot_free[p->nslot_free++] = idx;
	p->ninflight--;
	t->flags &= ~TASK_F_INSLOT;

	switch (t->kind) {
	case TASK_K_CMD:
		if (cqe->len > t->buf_len || cqe->sense_len > RING_SENSE_MAX) {
			log_warnx("lun %llu of %s: itt 0x%08x: bad completion "
			    "(len %u of %u, sense %u)",
			    (unsigned long long)p->lun, p->target->name,
			    t->itt, cqe->len, t->buf_len, cqe->sense_len);
			t->xfer = 0;
			t->want = 0;
			task_sense(t, SK_HARDWARE_ERROR, ASC_INTERNAL_FAILURE);
		} else {
			t->status = cqe->status;
			t->sense_len = cqe->sense_len;
			memcpy(t->sense, cqe->sense, cqe->sense_len);
			t->xfer = cqe->len;
			t->want = cqe->want;
		}
		scsi_task_complete(t);
		break;
	case TASK_K_RING_TMF:
		tmf = t->tmf;
		t->tmf = NULL;
		log_debug("lun %llu: tmf %u nexus %u: response %u",
		    (unsigned long long)p->lun, t->tmf_func, t->nexus,
		    cqe->status);
		task_destroy(t);
		if (tmf != NULL) {
			p->tmf_done++;
			tmf_settled(tmf);
		}
		break;
	default:
		task_destroy(t);
		break;
	}
}

static void
plun_cq_cb(int fd, short ev, void *arg)
{
	struct plun	*p = arg;
	struct ring_cqe	 cqe;
	int		 rv = 0;

	plun_ref(p);
	ring_doorbell_clear(p->ring.cq_efd);
	ring_cq_awake(&p->ring);
	for (;;) {
		while (!p->dying && (rv = ring_cq_pop(&p->ring, &cqe)) == 1)
			plun_cqe(p, &cqe);
		if (p->dying)
			break;
		if (rv == -1) {
			log_warnx("lun %llu of %s: corrupt completion ring",
			    (unsigned long long)p->lun, p->target->name);
			(void)ring_cq_sleep(&p->ring);
			break;
		}
		if (ring_cq_sleep(&p->ring) == 0)
			break;
		ring_cq_awake(&p->ring);
	}
	if (!p->dying && !TAILQ_EMPTY(&p->waitq))
		plun_kick(p);
	plun_unref(p);
}
