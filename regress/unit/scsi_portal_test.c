/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Unit tests for the portal's per-LUN rings (tgt-portal/lunring.c) and
 * the commands it answers itself (tgt-portal/nolun.c).  The test plays
 * the lun process on the other side of a real ring: it pops sqes, pushes
 * cqes (good ones and hostile ones) and runs the portal's event loop.
 *
 * lunring.c and nolun.c are compiled into this file; the few scsi.c and
 * tmf.c functions they call are replaced by recorders below, so no
 * connection or session machinery is needed.
 */

#include <sys/queue.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "../../tgt-portal/iscsi.c"
#include "../../tgt-portal/lunring.c"
#include "../../tgt-portal/nolun.c"

#include "log.h"
#include "unit.h"

struct portal	*portal;

/* What scsi.c would have seen. */
static int		 ncomplete;
static struct task	*last_done;
static uint8_t		 last_status, last_key;
static uint16_t		 last_asc;
static uint32_t		 last_xfer, last_want;
static int		 nr2t_ready, ntmf_settled;

/*
 * Replacements for scsi.c and tmf.c.
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
	return (t);
}

void
task_destroy(struct task *t)
{
	struct plun	*p = t->lun;

	plun_waitq_remove(t);
	plun_buf_put(t);
	free(t);
	if (p != NULL)
		plun_unref(p);
}

void
task_sense(struct task *t, uint8_t key, uint16_t asc)
{
	t->status = 0x02;
	memset(t->sense, 0, 18);
	t->sense[0] = 0x70;
	t->sense[2] = key;
	t->sense[12] = asc >> 8;
	t->sense[13] = asc & 0xff;
	t->sense_len = 18;
}

/* Records the outcome; the task stays for the test to look at. */
void
scsi_task_complete(struct task *t)
{
	ncomplete++;
	last_done = t;
	last_status = t->status;
	last_key = t->sense_len ? t->sense[2] : 0;
	last_asc = t->sense_len ? (t->sense[12] << 8 | t->sense[13]) : 0;
	last_xfer = t->xfer;
	last_want = t->want;
	t->state = TASK_DATA_IN;
}

void
scsi_task_r2t_ready(struct task *t)
{
	nr2t_ready++;
	t->state = TASK_DATA_OUT;
}

void
tmf_settled(struct task *tm)
{
	ntmf_settled++;
	if (tm->tmf_pending > 0)
		tm->tmf_pending--;
}

/* No RDMA device here: iser.c is not linked. */
void
iser_ring_attach(struct plun *p)
{
}

void
iser_ring_detach(struct plun *p)
{
}

/*
 * Fixture: a portal with one target; rings created as the master would.
 */

static struct ptarget	 target;
static struct session	 sess;
static int		 fixture_on;

static void	unfixture(void);

struct lunside {
	struct ring	 r;
	struct plun	*p;
};

static void
fixture(void)
{
	static struct portal	 pt;

	if (portal == NULL) {
		portal = &pt;
		TAILQ_INIT(&pt.targets);
		TAILQ_INIT(&pt.sessions);
		TAILQ_INIT(&pt.listeners);
		pt.evb = event_base_new();
		pt.tpgt = 1;
		pt.portal_id = 2;
		pt.rel_port = 3;	/* as PORTAL_CONFIG gives it */
	}
	if (fixture_on)
		unfixture();	/* the previous test stopped half way */
	fixture_on = 1;
	memset(&target, 0, sizeof(target));
	TAILQ_INIT(&target.luns);
	strlcpy(target.name, "iqn.2026-11.org.example:unit",
	    sizeof(target.name));
	TAILQ_INSERT_TAIL(&pt.targets, &target, entry);
	memset(&sess, 0, sizeof(sess));
	TAILQ_INIT(&sess.tasks);
	TAILQ_INIT(&sess.conns);
	sess.target = &target;
	sess.nexus = 7;
	strlcpy(sess.initiator, "iqn.2026-11.org.example:init",
	    sizeof(sess.initiator));
	memcpy(sess.isid, "\x80\x01\x02\x03\x04\x05", 6);
	TAILQ_INSERT_TAIL(&pt.sessions, &sess, entry);
	ncomplete = nr2t_ready = ntmf_settled = 0;
	last_done = NULL;
}

static void
unfixture(void)
{
	fixture_on = 0;
	TAILQ_REMOVE(&portal->sessions, &sess, entry);
	TAILQ_REMOVE(&portal->targets, &target, entry);
	free(sess.nexus_sent);
	sess.nexus_sent = NULL;
	sess.nexus_sent_len = 0;
}

/* Create a ring, attach the portal side, map the lun side. */
static int
lun_open(struct lunside *ls, uint64_t lun, uint32_t lun_id,
    uint32_t entries, uint32_t data_size)
{
	struct msg_ring	 mr;
	int		 fds[3], memfd, sq, cq;

	memset(&mr, 0, sizeof(mr));
	if (ring_geom_init(&mr.geom, entries, data_size, 4096) == -1 ||
	    ring_create(&mr.geom, &memfd, &sq, &cq) == -1)
		return (-1);
	mr.lun = lun;
	mr.lun_id = lun_id;
	if (ring_attach(&ls->r, &mr.geom, dup(memfd), dup(sq), dup(cq)) == -1)
		return (-1);
	fds[0] = memfd;
	fds[1] = sq;
	fds[2] = cq;
	if (plun_attach(&target, &mr, fds) == -1)
		return (-1);
	ls->p = plun_find(&target, lun);
	return (ls->p != NULL ? 0 : -1);
}

static void
run_loop(void)
{
	int	 i;

	for (i = 0; i < 4; i++)
		event_base_loop(portal->evb, EVLOOP_NONBLOCK);
}

/* What the lun sees: pushed entries are published from the event loop. */
static int
sq_pop(struct lunside *ls, struct ring_sqe *sqe)
{
	run_loop();
	return (ring_sq_pop(&ls->r, sqe));
}

static struct task *
cmd(struct plun *p, uint8_t rw, uint32_t edtl)
{
	struct task	*t;

	t = task_new(&sess, NULL, TASK_K_CMD);
	t->lun = p;
	plun_ref(p);
	t->rw = rw;
	t->edtl = edtl;
	t->cdb[0] = 0x28;
	t->cdb_len = 16;
	iscsi_lun_encode(t->lun_raw, p->lun);
	return (t);
}

static void
cqe_push(struct lunside *ls, uint64_t tag, uint8_t status, uint32_t len,
    uint32_t want, uint8_t sense_len)
{
	struct ring_cqe	 c;

	memset(&c, 0, sizeof(c));
	c.tag = tag;
	c.status = status;
	c.len = len;
	c.want = want;
	c.sense_len = sense_len;
	ring_cq_push(&ls->r, &c);
	ring_cq_commit(&ls->r);
}

/*
 * Tests.
 */

/* NEXUS_ADD precedes a session's first command; the sqe is complete. */
static void
test_submit_nexus(void)
{
	struct lunside		 ls;
	struct ring_sqe		 sqe;
	struct ring_nexus	 nx;
	struct task		*t, *t2;

	fixture();
	REQUIRE(lun_open(&ls, 3, 5, 8, 64 * 1024) == 0);
	t = cmd(ls.p, ISCSI_CMD_READ, 8192);
	t->cmdsn = 42;
	plun_submit(t);
	CHECK(t->state == TASK_SUBMITTED);
	CHECK(t->buf != NULL && !t->buf_heap && t->buf_len == 8192);
	run_loop();

	REQUIRE(sq_pop(&ls, &sqe) == 1);
	CHECK(sqe.op == RING_OP_NEXUS_ADD);
	CHECK(sqe.nexus == 7);
	REQUIRE(ring_data_check(&ls.r, sqe.data_off, sizeof(nx)) == 0);
	memcpy(&nx, ls.r.data + sqe.data_off, sizeof(nx));
	CHECK(strcmp(nx.initiator, sess.initiator) == 0);
	CHECK(memcmp(nx.isid, sess.isid, 6) == 0);
	CHECK(nx.tpgt == 1 && nx.rel_port == 3);

	REQUIRE(sq_pop(&ls, &sqe) == 1);
	CHECK(sqe.op == RING_OP_CMD);
	CHECK(sqe.tag == t->tag);
	CHECK(sqe.dir == RING_DIR_READ);
	CHECK(sqe.data_off == t->buf_off && sqe.data_len == 8192);
	CHECK(sqe.xfer_len == 8192 && sqe.cmdsn == 42 && sqe.nexus == 7);
	CHECK(sqe.cdb[0] == 0x28 && sqe.cdb_len == 16);
	CHECK(sqe.lun == 0x0003000000000000ULL);

	/* the second command needs no nexus */
	t2 = cmd(ls.p, 0, 0);
	plun_submit(t2);
	REQUIRE(sq_pop(&ls, &sqe) == 1);
	CHECK(sqe.op == RING_OP_CMD && sqe.tag == t2->tag);
	CHECK(sqe.dir == RING_DIR_NONE && sqe.data_len == 0);

	cqe_push(&ls, t->tag, 0, 4096, 4096, 0);
	run_loop();
	CHECK(ncomplete == 1 && last_done == t);
	CHECK(last_status == 0 && last_xfer == 4096 && last_want == 4096);
	task_destroy(t);
	plun_detach(ls.p);		/* t2 is still on the LUN */
	CHECK(ncomplete == 2 && last_done == t2);
	CHECK(last_key == SK_ILLEGAL_REQUEST && last_asc == 0x2500);
	task_destroy(t2);
	ring_detach(&ls.r);
	unfixture();
}

/* Forged, stale and oversized completions never reach a task. */
static void
test_hostile_cqes(void)
{
	struct lunside	 ls;
	struct ring_sqe	 sqe;
	struct task	*t;
	uint64_t	 tag;

	fixture();
	REQUIRE(lun_open(&ls, 1, 0, 8, 64 * 1024) == 0);
	t = cmd(ls.p, ISCSI_CMD_READ, 4096);
	plun_submit(t);
	while (sq_pop(&ls, &sqe) == 1)
		;
	tag = t->tag;
	run_loop();		/* the NEXUS_ADD completion is missing */

	cqe_push(&ls, tag + 1, 0, 0, 0, 0);		/* unused slot */
	cqe_push(&ls, tag ^ (1ULL << 40), 0, 0, 0, 0);	/* wrong generation */
	cqe_push(&ls, (tag & ~0xffffffffULL) | 1000, 0, 0, 0, 0); /* index */
	run_loop();
	CHECK(ncomplete == 0);
	CHECK(ls.p->ninflight == 2);

	/* more data than the buffer holds: the command fails, no overrun */
	cqe_push(&ls, tag, 0, 4097, 4097, 0);
	run_loop();
	CHECK(ncomplete == 1 && last_done == t);
	CHECK(last_status == 0x02 && last_key == SK_HARDWARE_ERROR);
	CHECK(last_xfer == 0);
	/* the slot is free now: the same tag again is stale */
	cqe_push(&ls, tag, 0, 0, 0, 0);
	run_loop();
	CHECK(ncomplete == 1);
	task_destroy(t);

	t = cmd(ls.p, ISCSI_CMD_READ, 4096);
	plun_submit(t);
	CHECK(t->tag != tag);
	cqe_push(&ls, t->tag, 0x02, 0, 0, RING_SENSE_MAX + 1);
	run_loop();
	CHECK(ncomplete == 2 && last_key == SK_HARDWARE_ERROR);
	task_destroy(t);

	plun_detach(ls.p);
	ring_detach(&ls.r);
	unfixture();
}

/* A full ring or a full data area makes commands wait, in order. */
static void
test_waitq(void)
{
	struct lunside	 ls;
	struct ring_sqe	 sqe;
	struct task	*t[6], *big;
	uint64_t	 nexus_tag = 0;
	int		 i, n;

	fixture();
	REQUIRE(lun_open(&ls, 1, 0, 4, 64 * 1024) == 0);
	for (i = 0; i < 6; i++) {
		t[i] = cmd(ls.p, 0, 0);
		plun_submit(t[i]);
	}
	/* 4 slots: NEXUS_ADD and three commands */
	CHECK(t[2]->state == TASK_SUBMITTED);
	CHECK(t[3]->state == TASK_QUEUED && t[4]->state == TASK_QUEUED);
	for (n = 0; sq_pop(&ls, &sqe) == 1; n++)
		if (n == 0)
			nexus_tag = sqe.tag;
	CHECK(n == 4);
	cqe_push(&ls, nexus_tag, 0, 0, 0, 0);
	run_loop();
	CHECK(t[3]->state == TASK_SUBMITTED);
	CHECK(t[4]->state == TASK_QUEUED);
	cqe_push(&ls, t[0]->tag, 0, 0, 0, 0);
	run_loop();
	CHECK(t[4]->state == TASK_SUBMITTED && t[5]->state == TASK_QUEUED);
	for (i = 1; i < 5; i++)
		cqe_push(&ls, t[i]->tag, 0, 0, 0, 0);
	run_loop();
	CHECK(t[5]->state == TASK_SUBMITTED);
	cqe_push(&ls, t[5]->tag, 0, 0, 0, 0);
	run_loop();
	CHECK(ncomplete == 6);
	for (i = 0; i < 6; i++)
		task_destroy(t[i]);
	CHECK(ls.p->alloc.nfree == ls.p->alloc.nblocks);
	while (sq_pop(&ls, &sqe) == 1)
		;

	/* data area: 16 blocks of 4K */
	big = cmd(ls.p, ISCSI_CMD_READ, 60 * 1024);
	plun_submit(big);
	CHECK(big->state == TASK_SUBMITTED);
	t[0] = cmd(ls.p, ISCSI_CMD_READ, 8192);
	plun_submit(t[0]);
	CHECK(t[0]->state == TASK_QUEUED && t[0]->buf == NULL);
	/* a write's immediate data goes to the heap meanwhile */
	t[1] = cmd(ls.p, ISCSI_CMD_WRITE, 8192);
	REQUIRE(plun_buf_get(t[1], 8192) == 0);
	CHECK(t[1]->buf_heap == 1);
	memset(t[1]->buf, 0xa5, 8192);
	plun_submit(t[1]);
	CHECK(t[1]->state == TASK_QUEUED);
	cqe_push(&ls, big->tag, 0, 0, 0, 0);
	run_loop();
	CHECK(ncomplete == 7);
	task_destroy(big);		/* frees 60K: both fit now */
	CHECK(t[0]->state == TASK_SUBMITTED);
	CHECK(t[1]->state == TASK_SUBMITTED && t[1]->buf_heap == 0);
	CHECK(t[1]->buf[0] == 0xa5 && t[1]->buf[8191] == 0xa5);
	while (sq_pop(&ls, &sqe) == 1)
		if (sqe.tag == t[1]->tag)
			CHECK(sqe.dir == RING_DIR_WRITE &&
			    sqe.data_off == t[1]->buf_off);
	cqe_push(&ls, t[0]->tag, 0, 0, 0, 0);
	cqe_push(&ls, t[1]->tag, 0, 0, 0, 0);
	run_loop();
	task_destroy(t[0]);
	task_destroy(t[1]);
	CHECK(ls.p->alloc.nfree == ls.p->alloc.nblocks);
	CHECK(ls.p->ninflight == 0);

	plun_detach(ls.p);
	ring_detach(&ls.r);
	unfixture();
}

/* A restarted lun process: in-flight commands end with a unit attention. */
static void
test_replace(void)
{
	struct lunside	 ls, ls2;
	struct ring_sqe	 sqe;
	struct task	*t, *w;
	struct plun	*old;

	fixture();
	REQUIRE(lun_open(&ls, 1, 0, 8, 64 * 1024) == 0);
	old = ls.p;
	t = cmd(old, ISCSI_CMD_READ, 4096);
	plun_submit(t);
	/* a write still receiving data keeps the old plun alive */
	w = cmd(old, ISCSI_CMD_WRITE, 4096);
	REQUIRE(plun_buf_get(w, 4096) == 0);
	CHECK(sess.nexus_sent != NULL && (sess.nexus_sent[0] & 1));

	REQUIRE(lun_open(&ls2, 1, 0, 8, 64 * 1024) == 0);
	CHECK(ls2.p != old && plun_find(&target, 1) == ls2.p);
	CHECK(ncomplete == 1 && last_done == t);
	CHECK(last_key == SK_UNIT_ATTENTION && last_asc == 0x2900);
	CHECK((sess.nexus_sent[0] & 1) == 0);
	task_destroy(t);
	CHECK(old->nrefs == 1);

	/* the write's data completes: it fails the same way */
	plun_submit(w);
	CHECK(ncomplete == 2 && last_done == w);
	CHECK(last_key == SK_UNIT_ATTENTION);
	task_destroy(w);		/* last reference: old plun freed */

	/* the new ring works, with a fresh nexus */
	t = cmd(ls2.p, 0, 0);
	plun_submit(t);
	REQUIRE(sq_pop(&ls2, &sqe) == 1);
	CHECK(sqe.op == RING_OP_NEXUS_ADD);

	plun_detach(ls2.p);
	CHECK(plun_find(&target, 1) == NULL);
	task_destroy(t);
	ring_detach(&ls.r);
	ring_detach(&ls2.r);
	unfixture();
}

/* A removed LUN: LOGICAL UNIT NOT SUPPORTED; session end: NEXUS_DEL. */
static void
test_remove_and_nexus_del(void)
{
	struct lunside	 ls, ls2;
	struct ring_sqe	 sqe;
	struct task	*t;
	int		 del = 0;

	fixture();
	REQUIRE(lun_open(&ls, 1, 0, 8, 64 * 1024) == 0);
	REQUIRE(lun_open(&ls2, 2, 1, 8, 64 * 1024) == 0);
	t = cmd(ls.p, 0, 0);
	plun_submit(t);
	plun_detach(ls.p);
	CHECK(ncomplete == 1 && last_key == SK_ILLEGAL_REQUEST &&
	    last_asc == 0x2500);
	task_destroy(t);

	t = cmd(ls2.p, 0, 0);
	plun_submit(t);
	cqe_push(&ls2, t->tag, 0, 0, 0, 0);
	run_loop();
	task_destroy(t);
	while (sq_pop(&ls2, &sqe) == 1)
		;
	plun_session_end(&sess);
	CHECK(sess.nexus_sent == NULL);
	run_loop();
	while (sq_pop(&ls2, &sqe) == 1)
		if (sqe.op == RING_OP_NEXUS_DEL && sqe.nexus == 7)
			del++;
	CHECK(del == 1);

	plun_detach(ls2.p);
	ring_detach(&ls.r);
	ring_detach(&ls2.r);
	unfixture();
}

/* Ring TMF operations settle their TMF, also when the ring goes away. */
static void
test_ring_tmf(void)
{
	struct lunside	 ls;
	struct ring_sqe	 sqe;
	struct task	 tm;

	fixture();
	REQUIRE(lun_open(&ls, 1, 0, 8, 64 * 1024) == 0);
	memset(&tm, 0, sizeof(tm));
	REQUIRE(plun_ring_tmf(ls.p, &tm, 7, RING_TMF_LUN_RESET, 0) == 0);
	CHECK(tm.tmf_pending == 1);
	REQUIRE(sq_pop(&ls, &sqe) == 1);
	CHECK(sqe.op == RING_OP_TMF && sqe.tmf == RING_TMF_LUN_RESET);
	CHECK(sqe.nexus == 7 && sqe.lun == 0x0001000000000000ULL);
	cqe_push(&ls, sqe.tag, RING_TMF_COMPLETE, 0, 0, 0);
	run_loop();
	CHECK(ntmf_settled == 1 && tm.tmf_pending == 0);

	REQUIRE(plun_ring_tmf(ls.p, &tm, 7, RING_TMF_ABORT_TASK, 99) == 0);
	plun_detach(ls.p);
	CHECK(ntmf_settled == 2 && tm.tmf_pending == 0);
	ring_detach(&ls.r);
	unfixture();
}

/*
 * A LUN whose process ended (issue 13): what its ring held ends, task
 * management does not wait for it, new commands get NOT READY until
 * the next ring comes, and then the nexus is announced as an old one.
 */
static void
test_down(void)
{
	struct lunside	 ls, ls2, ls3;
	struct ring_sqe	 sqe;
	struct ring_nexus nx;
	struct task	*t;
	struct task	 tm;

	fixture();
	REQUIRE(lun_open(&ls, 1, 0, 8, 64 * 1024) == 0);
	REQUIRE(lun_open(&ls2, 2, 1, 8, 64 * 1024) == 0);
	t = cmd(ls.p, ISCSI_CMD_READ, 4096);
	plun_submit(t);
	memset(&tm, 0, sizeof(tm));
	REQUIRE(plun_ring_tmf(ls.p, &tm, 7, RING_TMF_TARGET_COLD_RESET,
	    0) == 0);
	CHECK(tm.tmf_pending == 1 && ls.p->tmf_sent == 1);
	CHECK(evtimer_pending(ls.p->ev_tmf, NULL));

	plun_down(ls.p, PLUN_DOWN_ENDED);
	CHECK(ncomplete == 1 && last_done == t &&
	    last_key == SK_UNIT_ATTENTION && last_asc == 0x2900);
	CHECK(ntmf_settled == 1 && tm.tmf_pending == 0);
	CHECK(ls.p->tmf_done == 1 && !evtimer_pending(ls.p->ev_tmf, NULL));
	CHECK(plun_find(&target, 1) == ls.p && ls.p->ninflight == 0);
	task_destroy(t);

	/* nothing more goes into its ring */
	t = cmd(ls.p, ISCSI_CMD_READ, 4096);
	plun_submit(t);
	CHECK(ncomplete == 2 && last_key == SK_NOT_READY &&
	    last_asc == 0x0401);
	task_destroy(t);
	REQUIRE(plun_ring_tmf(ls.p, &tm, 7, RING_TMF_LUN_RESET, 0) == 0);
	CHECK(tm.tmf_pending == 0 && ntmf_settled == 1);
	while (sq_pop(&ls, &sqe) == 1)
		CHECK(sqe.op != RING_OP_TMF || sqe.tmf != RING_TMF_LUN_RESET);

	/* one that cannot serve: MANUAL INTERVENTION REQUIRED */
	plun_down(ls2.p, PLUN_DOWN_FAILED);
	t = cmd(ls2.p, 0, 0);
	plun_submit(t);
	CHECK(ncomplete == 3 && last_key == SK_NOT_READY &&
	    last_asc == 0x0403);
	task_destroy(t);

	/* the restarted process's ring: the nexus comes from power on */
	REQUIRE(lun_open(&ls3, 1, 0, 8, 64 * 1024) == 0);
	CHECK(ls3.p != ls.p && !ls3.p->down);
	t = cmd(ls3.p, 0, 0);
	plun_submit(t);
	REQUIRE(sq_pop(&ls3, &sqe) == 1);
	CHECK(sqe.op == RING_OP_NEXUS_ADD && sqe.data_len == sizeof(nx));
	memcpy(&nx, ls3.r.data + sqe.data_off, sizeof(nx));
	CHECK(nx.flags & RING_NEXUS_F_POWER_ON);

	plun_detach(ls3.p);
	plun_detach(ls2.p);
	task_destroy(t);
	ring_detach(&ls.r);
	ring_detach(&ls2.r);
	ring_detach(&ls3.r);
	unfixture();
}

static struct task *
nolun_cmd(struct plun *p, uint8_t op, uint32_t edtl)
{
	struct task	*t;

	t = task_new(&sess, NULL, TASK_K_CMD);
	if (p != NULL) {
		t->lun = p;
		plun_ref(p);
	}
	t->rw = ISCSI_CMD_READ;
	t->edtl = edtl;
	t->cdb[0] = op;
	return (t);
}

static void
test_nolun(void)
{
	struct lunside	 ls, ls2;
	struct task	*t;

	fixture();
	REQUIRE(lun_open(&ls, 300, 0, 8, 64 * 1024) == 0);
	REQUIRE(lun_open(&ls2, 0, 1, 8, 64 * 1024) == 0);

	/* REPORT LUNS, sorted, flat addressing above 255 */
	t = nolun_cmd(ls.p, 0xa0, 4096);
	put_be32(t->cdb + 6, 4096);
	CHECK(nolun_handles(t));
	nolun_exec(t);
	CHECK(last_status == 0 && last_xfer == 24 && last_want == 24);
	CHECK(get_be32(t->buf) == 16);
	CHECK(t->buf[8] == 0 && t->buf[9] == 0);
	CHECK(t->buf[16] == 0x41 && t->buf[17] == 0x2c);
	task_destroy(t);

	/* allocation length honoured, length field complete */
	t = nolun_cmd(NULL, 0xa0, 4096);
	put_be32(t->cdb + 6, 16);
	nolun_exec(t);
	CHECK(last_xfer == 16 && get_be32(t->buf) == 16);
	task_destroy(t);

	/* EDTL smaller than the data: overflow is visible in want */
	t = nolun_cmd(NULL, 0xa0, 8);
	put_be32(t->cdb + 6, 4096);
	nolun_exec(t);
	CHECK(last_xfer == 8 && last_want == 24);
	task_destroy(t);

	t = nolun_cmd(NULL, 0xa0, 4096);
	t->cdb[2] = 0x07;
	put_be32(t->cdb + 6, 4096);
	nolun_exec(t);
	CHECK(last_status == 0x02 && last_asc == 0x2400 && last_xfer == 0);
	task_destroy(t);

	/* LUN 5 does not exist */
	t = nolun_cmd(NULL, 0x12, 255);
	put_be16(t->cdb + 3, 255);
	nolun_exec(t);
	CHECK(last_status == 0 && last_xfer == 36);
	CHECK(t->buf[0] == 0x7f);
	task_destroy(t);

	t = nolun_cmd(NULL, 0x12, 255);
	t->cdb[1] = 1;
	t->cdb[2] = 0x80;
	put_be16(t->cdb + 3, 255);
	nolun_exec(t);
	CHECK(last_status == 0x02 && last_asc == 0x2400);
	task_destroy(t);

	t = nolun_cmd(NULL, 0x03, 252);
	t->cdb[4] = 252;
	nolun_exec(t);
	CHECK(last_status == 0 && last_xfer == 18);
	CHECK(t->buf[2] == SK_ILLEGAL_REQUEST && t->buf[12] == 0x25);
	task_destroy(t);

	t = nolun_cmd(NULL, 0x00, 0);
	t->rw = 0;
	nolun_exec(t);
	CHECK(last_status == 0x02 && last_key == SK_ILLEGAL_REQUEST &&
	    last_asc == 0x2500);
	task_destroy(t);

	plun_detach(ls.p);
	plun_detach(ls2.p);
	ring_detach(&ls.r);
	ring_detach(&ls2.r);
	unfixture();
}

int
main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init(1, 0, "scsi_portal_test");
	UNIT_RUN(test_submit_nexus);
	UNIT_RUN(test_hostile_cqes);
	UNIT_RUN(test_waitq);
	UNIT_RUN(test_replace);
	UNIT_RUN(test_remove_and_nexus_del);
	UNIT_RUN(test_ring_tmf);
	UNIT_RUN(test_down);
	UNIT_RUN(test_nolun);
	return (UNIT_END("scsi_portal"));
}
