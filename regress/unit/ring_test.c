/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Unit tests for common/ring.c: geometry, creation and sealing, push and
 * pop with wrap-around, corrupt indices, doorbells, bounds checks, the
 * block allocator, and a producer/consumer pair in two processes.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "ring.h"
#include "unit.h"

/* Private layout (ring.h diagram): one index per cache line. */
#define SQ_TAIL(r)	((uint32_t *)((r)->base + 1 * RING_CL))
#define SQ_HEAD(r)	((uint32_t *)((r)->base + 2 * RING_CL))
#define SQ_WAKEUP(r)	((uint32_t *)((r)->base + 2 * RING_CL + 4))
#define CQ_TAIL(r)	((uint32_t *)((r)->base + 3 * RING_CL))
#define CQ_HEAD(r)	((uint32_t *)((r)->base + 4 * RING_CL))
#define CQ_WAKEUP(r)	((uint32_t *)((r)->base + 4 * RING_CL + 4))

/* Portal and lun views of one fresh ring, in this process. */
static int
pair_open(struct ring *portal, struct ring *lun, uint32_t entries,
    uint32_t data_size, uint32_t block_size)
{
	struct ring_geom	 g;
	int			 m, s, c;

	if (ring_geom_init(&g, entries, data_size, block_size) == -1 ||
	    ring_create(&g, &m, &s, &c) == -1)
		return (-1);
	if (ring_attach(lun, &g, dup(m), dup(s), dup(c)) == -1) {
		close(m);
		close(s);
		close(c);
		return (-1);
	}
	if (ring_attach(portal, &g, m, s, c) == -1) {
		ring_detach(lun);
		return (-1);
	}
	return (0);
}

static void
pair_close(struct ring *portal, struct ring *lun)
{
	ring_detach(portal);
	ring_detach(lun);
}

static int
efd_count(int efd)
{
	uint64_t	 v;

	if (read(efd, &v, sizeof(v)) != sizeof(v))
		return (0);
	return ((int)v);
}

static void
test_geom(void)
{
	struct ring_geom	 g, b;
	long			 ps = sysconf(_SC_PAGESIZE);

	REQUIRE(ring_geom_init(&g, RING_DEF_ENTRIES, RING_DEF_DATA_SIZE,
	    RING_DEF_BLOCK_SIZE) == 0);
	CHECK(g.sq_entries == RING_DEF_ENTRIES);
	CHECK(g.cq_entries == g.sq_entries);
	CHECK(g.data_off % ps == 0);
	CHECK(g.data_off >= RING_SQ_OFF + RING_DEF_ENTRIES *
	    (RING_SQE_SIZE + RING_CQE_SIZE));
	CHECK(g.map_size == g.data_off + RING_DEF_DATA_SIZE);
	CHECK(ring_geom_check(&g) == 0);

	CHECK(ring_geom_init(&b, 2, 4096, 4096) == 0);
	CHECK(ring_geom_init(&b, RING_MAX_ENTRIES, RING_MAX_DATA_SIZE,
	    RING_MAX_DATA_SIZE) == 0);
	CHECK(ring_geom_init(&b, 0, 65536, 4096) == -1);
	CHECK(ring_geom_init(&b, 1, 65536, 4096) == -1);
	CHECK(ring_geom_init(&b, 3, 65536, 4096) == -1);
	CHECK(ring_geom_init(&b, 2 * RING_MAX_ENTRIES, 65536, 4096) == -1);
	CHECK(ring_geom_init(&b, 0x80000000u, 65536, 4096) == -1);
	CHECK(ring_geom_init(&b, 8, 0, 4096) == -1);
	CHECK(ring_geom_init(&b, 8, 65536 + 4096, 8192) == -1);
	CHECK(ring_geom_init(&b, 8, 65536, 2048) == -1);
	CHECK(ring_geom_init(&b, 8, 65536, 12288) == -1);
	CHECK(ring_geom_init(&b, 8, 65536, 0) == -1);
	CHECK(ring_geom_init(&b, 8, 4096, 8192) == -1);
	CHECK(ring_geom_init(&b, 8, 2 * RING_MAX_DATA_SIZE, 4096) == -1);
	CHECK(ring_geom_init(&b, 8, 0xfffff000u, 4096) == -1);

	/* tampered geometries as a peer might send them */
	b = g; b.cq_entries = g.sq_entries / 2;
	CHECK(ring_geom_check(&b) == -1);
	b = g; b.cq_entries = g.sq_entries + 1;
	CHECK(ring_geom_check(&b) == -1);
	b = g; b.sq_entries = 0;
	CHECK(ring_geom_check(&b) == -1);
	b = g; b.data_off = g.data_off + 1;
	CHECK(ring_geom_check(&b) == -1);
	b = g; b.data_off = g.data_off - ps;
	CHECK(ring_geom_check(&b) == -1);
	b = g; b.map_size = g.map_size - 1;
	CHECK(ring_geom_check(&b) == -1);
	b = g; b.map_size = g.map_size + 4096;
	CHECK(ring_geom_check(&b) == -1);
	b = g; b.data_off = UINT64_MAX - 4095; b.map_size = g.data_size - 4096;
	CHECK(ring_geom_check(&b) == -1);
	b = g; b.data_size = g.data_size + g.block_size / 2;
	b.map_size = b.data_off + b.data_size;
	CHECK(ring_geom_check(&b) == -1);
	b = g; b.block_size = 0;
	CHECK(ring_geom_check(&b) == -1);
}

static void
test_create_attach(void)
{
	struct ring_geom	 g, big;
	struct ring		 r;
	struct ring_hdr		 hdr;
	int			 m, s, c, seals, fd;

	REQUIRE(ring_geom_init(&g, 16, 65536, 4096) == 0);
	REQUIRE(ring_create(&g, &m, &s, &c) == 0);
	CHECK(fcntl(m, F_GETFD) & FD_CLOEXEC);
	CHECK(fcntl(s, F_GETFD) & FD_CLOEXEC);
	CHECK(fcntl(c, F_GETFL) & O_NONBLOCK);
	seals = fcntl(m, F_GET_SEALS);
	CHECK(seals != -1 && (seals & F_SEAL_SHRINK) &&
	    (seals & F_SEAL_GROW) && (seals & F_SEAL_SEAL));
	CHECK(ftruncate(m, 4096) == -1 && errno == EPERM);
	CHECK(fcntl(m, F_ADD_SEALS, F_SEAL_WRITE) == -1);
	CHECK(pread(m, &hdr, sizeof(hdr), 0) == sizeof(hdr));
	CHECK(hdr.magic == RING_MAGIC && hdr.version == RING_VERSION);
	CHECK(memcmp(&hdr.geom, &g, sizeof(g)) == 0);

	/* a geometry bigger than the file is refused, fds are taken */
	REQUIRE(ring_geom_init(&big, 16, 2 * 65536, 4096) == 0);
	fd = dup(c);
	CHECK(ring_attach(&r, &big, dup(m), dup(s), fd) == -1);
	CHECK(fcntl(fd, F_GETFD) == -1);
	CHECK(r.base == NULL);

	REQUIRE(ring_attach(&r, &g, m, s, c) == 0);
	CHECK(r.data == r.base + g.data_off);
	CHECK(*SQ_WAKEUP(&r) == 1 && *CQ_WAKEUP(&r) == 1);
	CHECK(*SQ_TAIL(&r) == 0 && *CQ_HEAD(&r) == 0);
	r.data[g.data_size - 1] = 1;	/* whole mapping is accessible */
	ring_detach(&r);
	CHECK(fcntl(m, F_GETFD) == -1);

	/* an unsealed memfd is refused: a peer could shrink it */
	REQUIRE((m = memfd_create("t", MFD_CLOEXEC)) != -1);
	REQUIRE(ftruncate(m, g.map_size) == 0);
	CHECK(ring_attach(&r, &g, m, dup(2), dup(2)) == -1);
	CHECK(fcntl(m, F_GETFD) == -1);
}

static void
test_full_empty(void)
{
	struct ring	 p, l;
	struct ring_sqe	 sqe;
	struct ring_cqe	 cqe;
	uint32_t	 i;

	REQUIRE(pair_open(&p, &l, 8, 65536, 4096) == 0);
	memset(&sqe, 0, sizeof(sqe));
	memset(&cqe, 0, sizeof(cqe));
	CHECK(ring_sq_pop(&l, &sqe) == 0);
	CHECK(ring_cq_pop(&p, &cqe) == 0);
	CHECK(ring_sq_space(&p) == 8);
	for (i = 0; i < 8; i++) {
		sqe.tag = i;
		CHECK(ring_sq_push(&p, &sqe) == 0);
	}
	CHECK(ring_sq_space(&p) == 0);
	CHECK(ring_sq_push(&p, &sqe) == -1);
	/* nothing visible before commit */
	CHECK(ring_sq_pop(&l, &sqe) == 0);
	ring_sq_commit(&p);
	for (i = 0; i < 8; i++) {
		CHECK(ring_sq_pop(&l, &sqe) == 1 && sqe.tag == i);
		cqe.tag = i;
		CHECK(ring_cq_push(&l, &cqe) == 0);
	}
	CHECK(ring_sq_pop(&l, &sqe) == 0);
	CHECK(ring_cq_push(&l, &cqe) == -1);
	CHECK(ring_sq_space(&p) == 8);
	ring_cq_commit(&l);
	for (i = 0; i < 8; i++)
		CHECK(ring_cq_pop(&p, &cqe) == 1 && cqe.tag == i);
	CHECK(ring_cq_pop(&p, &cqe) == 0);
	pair_close(&p, &l);
}

/* Many more pushes than entries, in uneven batches. */
static void
test_wrap(void)
{
	struct ring	 p, l;
	struct ring_sqe	 sqe;
	struct ring_cqe	 cqe;
	uint64_t	 sent = 0, got = 0, done = 0, cgot = 0;
	const uint64_t	 n = 100000;
	unsigned int	 seed = 1, k, rounds = 0;

	REQUIRE(pair_open(&p, &l, 16, 65536, 4096) == 0);
	memset(&sqe, 0, sizeof(sqe));
	memset(&cqe, 0, sizeof(cqe));
	while (cgot < n && rounds++ < 10 * n) {
		for (k = rand_r(&seed) % 20; k > 0 && sent < n; k--) {
			sqe.tag = sent;
			sqe.cdb[0] = sent & 0xff;
			if (ring_sq_push(&p, &sqe) == -1)
				break;
			sent++;
		}
		ring_sq_commit(&p);
		for (k = rand_r(&seed) % 20; k > 0; k--) {
			if (done - cgot == l.geom.cq_entries ||
			    ring_sq_pop(&l, &sqe) != 1)
				break;
			if (sqe.tag != got || sqe.cdb[0] != (got & 0xff))
				unit_failed_now = 1;
			got++;
			cqe.tag = sqe.tag;
			REQUIRE(ring_cq_push(&l, &cqe) == 0);
			done++;
		}
		ring_cq_commit(&l);
		for (k = rand_r(&seed) % 20; k > 0; k--) {
			if (ring_cq_pop(&p, &cqe) != 1)
				break;
			if (cqe.tag != cgot)
				unit_failed_now = 1;
			cgot++;
		}
	}
	CHECK(cgot == n);
	CHECK(p.sq_tail == (uint32_t)n && l.cq_tail == (uint32_t)n);
	pair_close(&p, &l);
}

/* Indices wrap around 2^32 just as well. */
static void
test_index_wrap(void)
{
	struct ring	 p, l;
	struct ring_sqe	 sqe;
	uint32_t	 start = UINT32_MAX - 5, i;

	REQUIRE(pair_open(&p, &l, 4, 65536, 4096) == 0);
	memset(&sqe, 0, sizeof(sqe));
	p.sq_tail = l.sq_head = start;
	*SQ_TAIL(&p) = *SQ_HEAD(&p) = start;
	for (i = 0; i < 12; i++) {
		sqe.tag = i;
		CHECK(ring_sq_push(&p, &sqe) == 0);
		ring_sq_commit(&p);
		CHECK(ring_sq_pop(&l, &sqe) == 1 && sqe.tag == i);
	}
	CHECK(l.sq_head == start + 12);
	pair_close(&p, &l);
}

static void
test_corrupt(void)
{
	struct ring	 p, l;
	struct ring_sqe	 sqe;
	struct ring_cqe	 cqe;

	REQUIRE(pair_open(&p, &l, 8, 65536, 4096) == 0);
	memset(&sqe, 0, sizeof(sqe));
	memset(&cqe, 0, sizeof(cqe));

	/* the portal claims more entries than the ring holds */
	*SQ_TAIL(&l) = 9;
	CHECK(ring_sq_pop(&l, &sqe) == -1);
	CHECK(l.sq_head == 0);
	*SQ_TAIL(&l) = UINT32_MAX;	/* "behind" the head */
	CHECK(ring_sq_pop(&l, &sqe) == -1);
	CHECK(ring_sq_sleep(&l) == 1);	/* wakes up to find the error */
	ring_sq_awake(&l);
	*SQ_TAIL(&l) = 8;		/* exactly full is fine */
	CHECK(ring_sq_pop(&l, &sqe) == 1);

	/* the lun does the same on the cq */
	*CQ_TAIL(&p) = 9;
	CHECK(ring_cq_pop(&p, &cqe) == -1);
	*CQ_TAIL(&p) = 0x80000000u;
	CHECK(ring_cq_pop(&p, &cqe) == -1);
	CHECK(p.cq_head == 0);

	/* a consumer head ahead of the tail leaves no space to push */
	*SQ_HEAD(&p) = 100;
	CHECK(ring_sq_space(&p) == 0);
	CHECK(ring_sq_push(&p, &sqe) == -1);
	*CQ_HEAD(&l) = l.cq_tail + 1;
	CHECK(ring_cq_push(&l, &cqe) == -1);

	/* header scribbles do not matter: geometry is the trusted copy */
	memset(p.base, 0xff, RING_CL);
	*SQ_HEAD(&p) = 0;
	CHECK(ring_sq_space(&p) == 8);
	pair_close(&p, &l);
}

static void
test_doorbell(void)
{
	struct ring	 p, l;
	struct ring_sqe	 sqe;
	struct ring_cqe	 cqe;

	REQUIRE(pair_open(&p, &l, 8, 65536, 4096) == 0);
	memset(&sqe, 0, sizeof(sqe));
	memset(&cqe, 0, sizeof(cqe));

	/* the lun starts asleep: the first commit rings */
	CHECK(ring_sq_push(&p, &sqe) == 0);
	ring_sq_commit(&p);
	CHECK(efd_count(l.sq_efd) == 1);
	ring_doorbell_clear(l.sq_efd);
	ring_sq_awake(&l);
	/* awake: commits are silent */
	CHECK(ring_sq_push(&p, &sqe) == 0);
	ring_sq_commit(&p);
	CHECK(efd_count(l.sq_efd) == 0);
	/* going to sleep with entries pending is refused */
	CHECK(ring_sq_sleep(&l) == 1);
	ring_sq_awake(&l);
	CHECK(ring_sq_pop(&l, &sqe) == 1);
	CHECK(ring_sq_pop(&l, &sqe) == 1);
	CHECK(ring_sq_sleep(&l) == 0);
	CHECK(ring_sq_push(&p, &sqe) == 0);
	ring_sq_commit(&p);
	CHECK(efd_count(l.sq_efd) == 1);

	/* same on the cq side */
	CHECK(ring_cq_push(&l, &cqe) == 0);
	ring_cq_commit(&l);
	CHECK(efd_count(p.cq_efd) == 1);
	ring_cq_awake(&p);
	CHECK(ring_cq_push(&l, &cqe) == 0);
	ring_cq_commit(&l);
	CHECK(efd_count(p.cq_efd) == 0);
	CHECK(ring_cq_sleep(&p) == 1);
	ring_cq_awake(&p);
	ring_doorbell_clear(p.cq_efd);	/* empty: must not block */
	pair_close(&p, &l);
}

static void
test_data_check(void)
{
	struct ring	 p, l;
	uint32_t	 ds;

	REQUIRE(pair_open(&p, &l, 8, 65536, 4096) == 0);
	ds = p.geom.data_size;
	CHECK(ring_data_check(&p, 0, ds) == 0);
	CHECK(ring_data_check(&p, 0, 0) == 0);
	CHECK(ring_data_check(&p, ds, 0) == 0);
	CHECK(ring_data_check(&p, ds - 1, 1) == 0);
	CHECK(ring_data_check(&p, 4096, ds - 4096) == 0);
	CHECK(ring_data_check(&p, 0, ds + 1) == -1);
	CHECK(ring_data_check(&p, ds, 1) == -1);
	CHECK(ring_data_check(&p, ds + 1, 0) == -1);
	CHECK(ring_data_check(&p, ds - 1, 2) == -1);
	CHECK(ring_data_check(&p, 4096, ds - 4095) == -1);
	CHECK(ring_data_check(&p, UINT32_MAX, 1) == -1);
	CHECK(ring_data_check(&p, 1, UINT32_MAX) == -1);
	CHECK(ring_data_check(&p, UINT32_MAX, UINT32_MAX) == -1);
	CHECK(ring_data_check(&p, 0x80000000u, 0x80000000u) == -1);
	CHECK(ring_data_check(&p, 4096, UINT32_MAX - 4095) == -1);
	pair_close(&p, &l);
}

static void
test_alloc(void)
{
	struct ring_geom	 g;
	struct ring_alloc	 a;
	uint32_t		 off, i, o[16];

	REQUIRE(ring_geom_init(&g, 8, 16 * 4096, 4096) == 0);
	REQUIRE(ring_alloc_init(&a, &g) == 0);
	CHECK(a.nblocks == 16 && a.nfree == 16 && a.block_shift == 12);

	/* fill: lowest address first */
	for (i = 0; i < 16; i++) {
		CHECK(ring_alloc_get(&a, 1 + (i % 2) * 4095, &o[i]) == 0);
		CHECK(o[i] == i * 4096);
	}
	CHECK(a.nfree == 0);
	CHECK(ring_alloc_get(&a, 1, &off) == -1);
	CHECK(ring_alloc_get(&a, 0, &off) == 0);	/* no data: no block */

	/* fragment: free 2, 4, 5, 9, 10, 11 */
	ring_alloc_put(&a, o[2], 4096);
	ring_alloc_put(&a, o[4], 1);
	ring_alloc_put(&a, o[5], 4096);
	ring_alloc_put(&a, o[9], 4096);
	ring_alloc_put(&a, o[10], 4096);
	ring_alloc_put(&a, o[11], 4096);
	CHECK(a.nfree == 6);
	CHECK(ring_alloc_get(&a, 4 * 4096, &off) == -1);
	CHECK(ring_alloc_get(&a, 3 * 4096, &off) == 0 && off == 9 * 4096);
	CHECK(ring_alloc_get(&a, 4097, &off) == 0 && off == 4 * 4096);
	CHECK(ring_alloc_get(&a, 4097, &off) == -1);
	CHECK(ring_alloc_get(&a, 4096, &off) == 0 && off == 2 * 4096);
	CHECK(a.nfree == 0);

	/* bad puts change nothing */
	ring_alloc_put(&a, 4 * 4096, 8192);	/* fine: frees 4, 5 */
	CHECK(a.nfree == 2);
	ring_alloc_put(&a, 4 * 4096, 4096);	/* double free */
	ring_alloc_put(&a, 3 * 4096, 8192);	/* partly free */
	ring_alloc_put(&a, 100, 4096);		/* unaligned */
	ring_alloc_put(&a, 16 * 4096, 4096);	/* past the end */
	ring_alloc_put(&a, 15 * 4096, 8192);	/* runs off the end */
	ring_alloc_put(&a, 0xfffff000u, 0x2000);
	ring_alloc_put(&a, 4096, UINT32_MAX);
	CHECK(a.nfree == 2);
	CHECK(ring_alloc_get(&a, 8192, &off) == 0 && off == 4 * 4096);
	CHECK(ring_alloc_get(&a, UINT32_MAX, &off) == -1);
	for (i = 0; i < 16; i++)
		ring_alloc_put(&a, i * 4096, 4096);
	CHECK(a.nfree == 16);
	CHECK(ring_alloc_get(&a, 16 * 4096, &off) == 0 && off == 0);
	CHECK(ring_alloc_get(&a, 1, &off) == -1);
	ring_alloc_free_all(&a);
	CHECK(a.bits == NULL);
}

/* Random operations against a trivial first-fit model. */
static void
test_alloc_model(void)
{
	struct ring_geom	 g;
	struct ring_alloc	 a;
	uint8_t			 used[200];
	uint32_t		 offs[400], lens[400], off, n, b, j;
	unsigned int		 seed = 7, i, k, nlive = 0;
	int			 want, got;

	REQUIRE(ring_geom_init(&g, 8, 200 * 4096, 4096) == 0);
	REQUIRE(ring_alloc_init(&a, &g) == 0);
	memset(used, 0, sizeof(used));
	for (i = 0; i < 20000; i++) {
		if (nlive > 0 && (nlive == 400 || rand_r(&seed) % 2)) {
			k = rand_r(&seed) % nlive;
			ring_alloc_put(&a, offs[k], lens[k]);
			n = (lens[k] + 4095) / 4096;
			memset(used + offs[k] / 4096, 0, n);
			offs[k] = offs[nlive - 1];
			lens[k] = lens[--nlive];
			continue;
		}
		lens[nlive] = 1 + rand_r(&seed) % (rand_r(&seed) % 4 ?
		    4 * 4096 : 100 * 4096);
		n = (lens[nlive] + 4095) / 4096;
		want = -1;
		for (b = 0; b + n <= 200 && want == -1; b++) {
			for (j = 0; j < n && !used[b + j]; j++)
				;
			if (j == n)
				want = b;
		}
		got = ring_alloc_get(&a, lens[nlive], &off);
		if (want == -1) {
			CHECK(got == -1);
			continue;
		}
		REQUIRE(got == 0);
		REQUIRE(off == (uint32_t)want * 4096);
		memset(used + want, 1, n);
		offs[nlive++] = off;
	}
	for (n = 0, b = 0; b < 200; b++)
		n += !used[b];
	CHECK(a.nfree == n);
	ring_alloc_free_all(&a);
}

/* Child: the lun.  Complete n commands, sleeping on the doorbell. */
static int
lun_child(struct ring *l, uint32_t n)
{
	struct ring_sqe	 sqe;
	struct ring_cqe	 cqe;
	struct pollfd	 pfd;
	uint32_t	 done = 0;
	int		 rv, timeouts = 0;

	memset(&cqe, 0, sizeof(cqe));
	pfd.fd = l->sq_efd;
	pfd.events = POLLIN;
	while (done < n) {
		while ((rv = ring_sq_pop(l, &sqe)) == 1) {
			cqe.tag = sqe.tag;
			cqe.len = sqe.data_len;
			if (ring_cq_push(l, &cqe) == -1)
				return (2);	/* portal overran the cq */
			done++;
		}
		if (rv == -1)
			return (3);
		ring_cq_commit(l);
		if (done == n)
			break;
		if (ring_sq_sleep(l) == 0) {
			if (poll(&pfd, 1, 2000) == 0 && ++timeouts > 2)
				return (4);
			ring_doorbell_clear(l->sq_efd);
		}
		ring_sq_awake(l);
	}
	return (timeouts ? 5 : 0);
}

static void
test_two_procs(void)
{
	struct ring_geom	 g;
	struct ring		 p, l;
	struct ring_sqe		 sqe;
	struct ring_cqe		 cqe;
	struct pollfd		 pfd;
	const uint32_t		 n = 200000;
	uint32_t		 sent = 0, got = 0, inflight;
	int			 m, s, c, status, rv = 0, timeouts = 0;
	int			 wakeups = 0;
	pid_t			 pid;
	time_t			 t0 = time(NULL);

	REQUIRE(ring_geom_init(&g, 32, 65536, 4096) == 0);
	REQUIRE(ring_create(&g, &m, &s, &c) == 0);
	fflush(stdout);
	REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		if (ring_attach(&l, &g, m, s, c) == -1)
			_exit(1);
		_exit(lun_child(&l, n));
	}
	REQUIRE(ring_attach(&p, &g, m, s, c) == 0);
	memset(&sqe, 0, sizeof(sqe));
	pfd.fd = p.cq_efd;
	pfd.events = POLLIN;
	while (got < n && time(NULL) - t0 < 60 && timeouts < 3) {
		/* keep no more in flight than the cq can hold */
		inflight = sent - got;
		while (sent < n && inflight < g.cq_entries) {
			sqe.tag = sent;
			if (ring_sq_push(&p, &sqe) == -1)
				break;
			sent++;
			inflight++;
		}
		ring_sq_commit(&p);
		while ((rv = ring_cq_pop(&p, &cqe)) == 1) {
			if (cqe.tag != got)
				unit_failed_now = 1;
			got++;
		}
		if (rv == -1)
			break;
		/* sleep only when nothing more can be submitted */
		if (got == n || (sent < n && sent - got < g.cq_entries))
			continue;
		if (ring_cq_sleep(&p) == 0) {
			if (poll(&pfd, 1, 2000) == 0)
				timeouts++;
			ring_doorbell_clear(p.cq_efd);
			wakeups++;
		}
		ring_cq_awake(&p);
	}
	CHECK(rv != -1);
	CHECK(got == n);
	CHECK(timeouts == 0);
	if (got != n)
		kill(pid, SIGKILL);
	REQUIRE(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	printf("  %u commands, %d portal sleeps\n", n, wakeups);
	ring_detach(&p);
}

int
main(void)
{
	log_init(1, 0, "ring_test");
	UNIT_RUN(test_geom);
	UNIT_RUN(test_create_attach);
	UNIT_RUN(test_full_empty);
	UNIT_RUN(test_wrap);
	UNIT_RUN(test_index_wrap);
	UNIT_RUN(test_corrupt);
	UNIT_RUN(test_doorbell);
	UNIT_RUN(test_data_check);
	UNIT_RUN(test_alloc);
	UNIT_RUN(test_alloc_model);
	UNIT_RUN(test_two_procs);
	return (UNIT_END("ring"));
}
