/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * The shared-memory data ring, see ring.h.
 *
 * Ordering.  A producer copies entries into their slots, then publishes
 * its tail with a release store; the consumer loads that tail with
 * acquire before it copies entries out, and publishes its head with a
 * release store once they are copied, which the producer loads with
 * acquire before it reuses the slots.
 *
 * Sleeping.  A consumer about to block sets its wakeup flag, issues a
 * full fence and checks the ring again; a producer publishes its tail,
 * issues a full fence and reads the flag.  Either the consumer sees the
 * new tail or the producer sees the flag and rings the eventfd, so a
 * doorbell is never lost, and a busy consumer (flag clear) costs the
 * producer no system call.
 *
 * Nothing read from the mapping is trusted: indices are checked for
 * plausibility and masked, entries are copied out before use.
 */

#include <sys/types.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "ring.h"

#define RING_MIN_BLOCK	4096u

/* One index on its own cache line. */
struct ring_line {
	uint32_t	idx;		/* producer tail or consumer head */
	uint32_t	wakeup;		/* consumer lines: 1 = may sleep */
	uint8_t		pad[RING_CL - 8];
};

/* The first RING_SQ_OFF bytes of the mapping. */
struct ring_shm {
	union {
		struct ring_hdr	 hdr;
		uint8_t		 pad[RING_CL];
	}		 h;
	struct ring_line sq_prod;	/* portal */
	struct ring_line sq_cons;	/* lun */
	struct ring_line cq_prod;	/* lun */
	struct ring_line cq_cons;	/* portal */
};

_Static_assert(sizeof(struct ring_hdr) <= RING_CL, "ring_hdr too big");
_Static_assert(sizeof(struct ring_shm) == RING_SQ_OFF, "ring_shm layout");
_Static_assert(sizeof(struct ring_sqe) == RING_SQE_SIZE, "ring_sqe size");
_Static_assert(sizeof(struct ring_cqe) == RING_CQE_SIZE, "ring_cqe size");
_Static_assert(sizeof(struct ring_nexus) <= RING_MIN_BLOCK, "ring_nexus");

#define SHM(r)		((struct ring_shm *)(r)->base)

#define LOAD_ACQ(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define LOAD_RLX(p)	__atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE_REL(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define STORE_RLX(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define FENCE()		__atomic_thread_fence(__ATOMIC_SEQ_CST)
/* Keep the compiler from reading a copied entry again from the mapping. */
#define COMPILER_BARRIER() __atomic_signal_fence(__ATOMIC_SEQ_CST)

static int
is_pow2(uint64_t x)
{
	return (x != 0 && (x & (x - 1)) == 0);
}

static uint64_t
ring_page_size(void)
{
	long	 ps = sysconf(_SC_PAGESIZE);

	return (ps > 0 ? (uint64_t)ps : 4096);
}

/* Offset of the data area for the given entry counts. */
static uint64_t
ring_data_off(uint32_t sq_entries, uint32_t cq_entries)
{
	uint64_t	 end, ps = ring_page_size();

	end = RING_SQ_OFF + (uint64_t)sq_entries * RING_SQE_SIZE +
	    (uint64_t)cq_entries * RING_CQE_SIZE;
	return ((end + ps - 1) & ~(ps - 1));
}

int
ring_geom_check(const struct ring_geom *g)
{
	if (!is_pow2(g->sq_entries) || g->sq_entries < 2 ||
	    g->sq_entries > RING_MAX_ENTRIES)
		return (-1);
	if (!is_pow2(g->cq_entries) || g->cq_entries < g->sq_entries ||
	    g->cq_entries > RING_MAX_ENTRIES)
		return (-1);
	if (!is_pow2(g->block_size) || g->block_size < RING_MIN_BLOCK ||
	    g->block_size > RING_MAX_DATA_SIZE)
		return (-1);
	if (g->data_size == 0 || g->data_size > RING_MAX_DATA_SIZE ||
	    (g->data_size & (g->block_size - 1)) != 0)
		return (-1);
	/* all small enough that nothing below can overflow */
	if (g->data_off != ring_data_off(g->sq_entries, g->cq_entries) ||
	    g->map_size != g->data_off + g->data_size ||
	    g->map_size > SIZE_MAX)
		return (-1);
	return (0);
}

int
ring_geom_init(struct ring_geom *g, uint32_t entries, uint32_t data_size,
    uint32_t block_size)
{
	memset(g, 0, sizeof(*g));
	g->sq_entries = entries;
	g->cq_entries = entries;
	g->data_size = data_size;
	g->block_size = block_size;
	if (is_pow2(entries) && entries <= RING_MAX_ENTRIES) {
		g->data_off = ring_data_off(entries, entries);
		g->map_size = g->data_off + data_size;
	}
	if (ring_geom_check(g) == -1) {
		memset(g, 0, sizeof(*g));
		errno = EINVAL;
		return (-1);
	}
	return (0);
}

/* Header and initial wakeup flags, written without mapping the file. */
static int
ring_write_hdr(int fd, const struct ring_geom *g)
{
	struct ring_shm	 shm;

	memset(&shm, 0, sizeof(shm));
	shm.h.hdr.magic = RING_MAGIC;
	shm.h.hdr.version = RING_VERSION;
	shm.h.hdr.geom = *g;
	/* consumers start asleep: the first entries ring the doorbell */
	shm.sq_cons.wakeup = 1;
	shm.cq_cons.wakeup = 1;
	if (pwrite(fd, &shm, sizeof(shm), 0) != (ssize_t)sizeof(shm)) {
		if (errno == 0)
			errno = EIO;
		return (-1);
	}
	return (0);
}

int
ring_create(const struct ring_geom *g, int *memfd, int *sq_efd,
    int *cq_efd)
{
	int	 fd = -1, sq = -1, cq = -1, saved_errno;

	if (ring_geom_check(g) == -1) {
		errno = EINVAL;
		return (-1);
	}
	if ((fd = memfd_create("tgt-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING))
	    == -1 ||
	    ftruncate(fd, (off_t)g->map_size) == -1 ||
	    ring_write_hdr(fd, g) == -1 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_SEAL) == -1 ||
	    (sq = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1 ||
	    (cq = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		saved_errno = errno;
		if (fd != -1)
			close(fd);
		if (sq != -1)
			close(sq);
		errno = saved_errno;
		return (-1);
	}
	*memfd = fd;
	*sq_efd = sq;
	*cq_efd = cq;
	return (0);
}

/* The memfd must be big enough and unable to shrink under us. */
static int
ring_memfd_ok(int fd, const struct ring_geom *g)
{
	struct stat	 st;
	int		 seals;

	if (fstat(fd, &st) == -1)
		return (-1);
	if (!S_ISREG(st.st_mode) || st.st_size < 0 ||
	    (uint64_t)st.st_size < g->map_size) {
		errno = EINVAL;
		return (-1);
	}
	if ((seals = fcntl(fd, F_GET_SEALS)) == -1)
		return (-1);
	if ((seals & F_SEAL_SHRINK) == 0) {
		errno = EPERM;
		return (-1);
	}
	return (0);
}

int
ring_attach(struct ring *r, const struct ring_geom *g, int memfd,
    int sq_efd, int cq_efd)
{
	void	*p;
	int	 saved_errno;

	memset(r, 0, sizeof(*r));
	r->memfd = r->sq_efd = r->cq_efd = -1;
	if (ring_geom_check(g) == -1) {
		errno = EINVAL;
		goto fail;
	}
	if (ring_memfd_ok(memfd, g) == -1)
		goto fail;
	p = mmap(NULL, (size_t)g->map_size, PROT_READ | PROT_WRITE,
	    MAP_SHARED, memfd, 0);
	if (p == MAP_FAILED)
		goto fail;
	r->geom = *g;
	r->base = p;
	r->data = r->base + g->data_off;
	r->memfd = memfd;
	r->sq_efd = sq_efd;
	r->cq_efd = cq_efd;
	return (0);
 fail:
	saved_errno = errno;
	close(memfd);
	close(sq_efd);
	close(cq_efd);
	errno = saved_errno;
	return (-1);
}

void
ring_detach(struct ring *r)
{
	if (r->base != NULL)
		munmap(r->base, (size_t)r->geom.map_size);
	if (r->memfd >= 0)
		close(r->memfd);
	if (r->sq_efd >= 0)
		close(r->sq_efd);
	if (r->cq_efd >= 0)
		close(r->cq_efd);
	memset(r, 0, sizeof(*r));
	r->memfd = r->sq_efd = r->cq_efd = -1;
}

static struct ring_sqe *
ring_sqe_slot(struct ring *r, uint32_t idx)
{
	return ((struct ring_sqe *)(r->base + RING_SQ_OFF) +
	    (idx & (r->geom.sq_entries - 1)));
}

static struct ring_cqe *
ring_cqe_slot(struct ring *r, uint32_t idx)
{
	return ((struct ring_cqe *)(r->base + RING_SQ_OFF +
	    (size_t)r->geom.sq_entries * RING_SQE_SIZE) +
	    (idx & (r->geom.cq_entries - 1)));
}

static void
ring_doorbell(int efd)
{
	uint64_t	 one = 1;

	/* EAGAIN means the counter is already huge: still signalled */
	(void)!write(efd, &one, sizeof(one));
}

/* Publish a producer index, ring only if the consumer may be asleep. */
static void
ring_publish(struct ring_line *prod, const struct ring_line *cons,
    uint32_t tail, int efd)
{
	STORE_REL(&prod->idx, tail);
	FENCE();
	if (LOAD_RLX(&cons->wakeup))
		ring_doorbell(efd);
}

/* Free slots for a producer; 0 if the consumer's head is implausible. */
static uint32_t
ring_space(const struct ring_line *cons, uint32_t tail, uint32_t entries)
{
	uint32_t	 used = tail - LOAD_ACQ(&cons->idx);

	return (used > entries ? 0 : entries - used);
}

/* Entries ready for a consumer: 1 some, 0 none, -1 implausible tail. */
static int
ring_ready(const struct ring_line *prod, uint32_t head, uint32_t entries)
{
	uint32_t	 avail = LOAD_ACQ(&prod->idx) - head;

	if (avail == 0)
		return (0);
	return (avail > entries ? -1 : 1);
}

/* Consumer side of the sleep protocol. */
static int
ring_sleep(struct ring_line *cons, const struct ring_line *prod,
    uint32_t head)
{
	STORE_RLX(&cons->wakeup, 1);
	FENCE();
	return (LOAD_ACQ(&prod->idx) != head);
}

uint32_t
ring_sq_space(struct ring *r)
{
	return (ring_space(&SHM(r)->sq_cons, r->sq_tail,
	    r->geom.sq_entries));
}

int
ring_sq_push(struct ring *r, const struct ring_sqe *sqe)
{
	if (ring_sq_space(r) == 0) {
		errno = ENOSPC;
		return (-1);
	}
	memcpy(ring_sqe_slot(r, r->sq_tail), sqe, sizeof(*sqe));
	r->sq_tail++;
	return (0);
}

void
ring_sq_commit(struct ring *r)
{
	ring_publish(&SHM(r)->sq_prod, &SHM(r)->sq_cons, r->sq_tail,
	    r->sq_efd);
}

int
ring_cq_pop(struct ring *r, struct ring_cqe *cqe)
{
	int	 rv;

	if ((rv = ring_ready(&SHM(r)->cq_prod, r->cq_head,
	    r->geom.cq_entries)) != 1)
		return (rv);
	memcpy(cqe, ring_cqe_slot(r, r->cq_head), sizeof(*cqe));
	COMPILER_BARRIER();
	r->cq_head++;
	STORE_REL(&SHM(r)->cq_cons.idx, r->cq_head);
	return (1);
}

int
ring_cq_sleep(struct ring *r)
{
	return (ring_sleep(&SHM(r)->cq_cons, &SHM(r)->cq_prod, r->cq_head));
}

void
ring_cq_awake(struct ring *r)
{
	STORE_RLX(&SHM(r)->cq_cons.wakeup, 0);
}

int
ring_sq_pop(struct ring *r, struct ring_sqe *sqe)
{
	int	 rv;

	if ((rv = ring_ready(&SHM(r)->sq_prod, r->sq_head,
	    r->geom.sq_entries)) != 1)
		return (rv);
	memcpy(sqe, ring_sqe_slot(r, r->sq_head), sizeof(*sqe));
	COMPILER_BARRIER();
	r->sq_head++;
	STORE_REL(&SHM(r)->sq_cons.idx, r->sq_head);
	return (1);
}

int
ring_cq_push(struct ring *r, const struct ring_cqe *cqe)
{
	if (ring_space(&SHM(r)->cq_cons, r->cq_tail,
	    r->geom.cq_entries) == 0) {
		errno = ENOSPC;
		return (-1);
	}
	memcpy(ring_cqe_slot(r, r->cq_tail), cqe, sizeof(*cqe));
	r->cq_tail++;
	return (0);
}

void
ring_cq_commit(struct ring *r)
{
	ring_publish(&SHM(r)->cq_prod, &SHM(r)->cq_cons, r->cq_tail,
	    r->cq_efd);
}

int
ring_sq_sleep(struct ring *r)
{
	return (ring_sleep(&SHM(r)->sq_cons, &SHM(r)->sq_prod, r->sq_head));
}

void
ring_sq_awake(struct ring *r)
{
	STORE_RLX(&SHM(r)->sq_cons.wakeup, 0);
}

void
ring_doorbell_clear(int efd)
{
	uint64_t	 v;

	(void)!read(efd, &v, sizeof(v));
}

int
ring_data_check(const struct ring *r, uint32_t off, uint32_t len)
{
	if (off > r->geom.data_size || len > r->geom.data_size - off)
		return (-1);
	return (0);
}

/*
 * Allocator.
 */

static int
bit_isset(const struct ring_alloc *a, uint32_t i)
{
	return ((a->bits[i / 64] >> (i % 64)) & 1);
}

static void
bits_set(struct ring_alloc *a, uint32_t i, uint32_t n, int on)
{
	for (; n > 0; i++, n--) {
		if (on)
			a->bits[i / 64] |= 1ULL << (i % 64);
		else
			a->bits[i / 64] &= ~(1ULL << (i % 64));
	}
}

int
ring_alloc_init(struct ring_alloc *a, const struct ring_geom *g)
{
	memset(a, 0, sizeof(*a));
	if (ring_geom_check(g) == -1) {
		errno = EINVAL;
		return (-1);
	}
	a->nblocks = g->data_size / g->block_size;
	a->block_shift = __builtin_ctz(g->block_size);
	a->nfree = a->nblocks;
	if ((a->bits = calloc((a->nblocks + 63) / 64, sizeof(*a->bits)))
	    == NULL) {
		memset(a, 0, sizeof(*a));
		return (-1);
	}
	return (0);
}

void
ring_alloc_free_all(struct ring_alloc *a)
{
	free(a->bits);
	memset(a, 0, sizeof(*a));
}

/* Blocks needed for len bytes, without overflow. */
static uint32_t
ring_alloc_nblocks(const struct ring_alloc *a, uint32_t len)
{
	return ((len >> a->block_shift) +
	    ((len & ((1u << a->block_shift) - 1)) != 0));
}

/* Length of the free run at i, counting at most n blocks. */
static uint32_t
ring_alloc_run(const struct ring_alloc *a, uint32_t i, uint32_t n)
{
	uint32_t	 j = i;

	while (j < a->nblocks && j - i < n) {
		if (j % 64 == 0 && a->bits[j / 64] == 0 && n - (j - i) >= 64)
			j += 64;
		else if (!bit_isset(a, j))
			j++;
		else
			break;
	}
	return (j - i < n ? j - i : n);
}

int
ring_alloc_get(struct ring_alloc *a, uint32_t len, uint32_t *off)
{
	uint32_t	 i, n, run;

	if (len == 0) {
		*off = 0;
		return (0);
	}
	n = ring_alloc_nblocks(a, len);
	if (a->bits == NULL || n > a->nfree)
		return (-1);
	for (i = 0; n <= a->nblocks - i; ) {
		if (i % 64 == 0 && a->bits[i / 64] == ~0ULL) {
			i += 64;
			continue;
		}
		if (bit_isset(a, i)) {
			i++;
			continue;
		}
		if ((run = ring_alloc_run(a, i, n)) == n) {
			bits_set(a, i, n, 1);
			a->nfree -= n;
			*off = i << a->block_shift;
			return (0);
		}
		i += run;
	}
	return (-1);
}

void
ring_alloc_put(struct ring_alloc *a, uint32_t off, uint32_t len)
{
	uint32_t	 i, n, start;

	if (len == 0)
		return;
	start = off >> a->block_shift;
	n = ring_alloc_nblocks(a, len);
	if (a->bits == NULL || (off & ((1u << a->block_shift) - 1)) != 0 ||
	    start >= a->nblocks || n > a->nblocks - start) {
		log_warnx("ring: bad free of %u bytes at %u", len, off);
		return;
	}
	for (i = start; i < start + n; i++) {
		if (!bit_isset(a, i)) {
			log_warnx("ring: free of unallocated %u bytes at %u",
			    len, off);
			return;
		}
	}
	bits_set(a, start, n, 0);
	a->nfree += n;
}
