/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Unit tests for tgt-lun's backends against errors the kernel really
 * returns: every file backend (rdwr, aio, io_uring) gets its descriptor
 * swapped, after lun_init(), for one that fails:
 *	/dev/full	writes fail with ENOSPC: SPACE ALLOCATION FAILED
 *			WRITE PROTECT (07/27/07), reads return zeroes
 *	/proc/self/mem	a mapped page then a hole: a read across both is
 *			short then EIO, a write into the hole EIO: MEDIUM
 *			ERROR with the first bad LBA in the INFORMATION field
 * and a backing file that shrank under the LUN reads zeroes past its
 * end (short reads are finished, not failed).  io_uring reads and
 * writes a registered data area with its fixed buffers.  The null
 * backend keeps every check (range, write protect, reservation) with no
 * store at all.  A backend with BE_F_WORKER runs WRITE SAME and VERIFY
 * on the LUN's worker thread, holds the rings for the exclusive one, and
 * ends a queued command at once when it is aborted.
 */

#include <sys/mman.h>
#include <sys/types.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../tgt-lun/backend.h"
#include "log.h"
#include "../../tgt-lun/lun.h"
#include "ring.h"
#include "../../tgt-lun/scsi.h"
#include "unit.h"

/* A page of ours at a fixed address, the next page unmapped. */
#define MEM_ADDR	0x10000000UL
#define MEM_LBA		(MEM_ADDR / 512)
#define FILE_SIZE	(MEM_ADDR + (1 << 20))

static struct lun	 L;
static int		 lfd = -1;
static int		 async_done;

struct res {
	uint8_t		 status;
	uint8_t		 key;
	uint16_t	 asc;
	uint32_t	 len;
	uint8_t		 sense[RING_SENSE_MAX];
	uint8_t		 sense_len;
};

static const char *
be_name(uint32_t backend)
{
	switch (backend) {
	case LUN_BACKEND_RDWR:
		return ("rdwr");
	case LUN_BACKEND_AIO:
		return ("aio");
	case LUN_BACKEND_IO_URING:
		return ("io_uring");
	}
	return ("null");
}

static int
lun_open(uint32_t backend, uint32_t flags, uint64_t fsize, uint64_t size)
{
	struct msg_lun_config	cfg;
	char			err[256], path[64];

	lfd = -1;
	if (backend != LUN_BACKEND_NULL) {
		strlcpy(path, "/tmp/backend_test.XXXXXX", sizeof(path));
		if ((lfd = mkstemp(path)) == -1)
			return (-1);
		unlink(path);
		if (ftruncate(lfd, fsize) == -1)
			return (-1);
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.type = LUN_TYPE_DISK;
	cfg.backend = backend;
	cfg.flags = flags;
	cfg.block_size = 512;
	cfg.lun = 1;
	cfg.size = size;
	strlcpy(cfg.target, "iqn.2026-11.org.example:be", sizeof(cfg.target));
	strlcpy(cfg.serial, "BE0001", sizeof(cfg.serial));
	if (lun_init(&L, &cfg, lfd, NULL, err, sizeof(err)) == -1) {
		printf("  lun_init (%s): %s\n", be_name(backend), err);
		if (lfd != -1)
			close(lfd);
		return (-1);
	}
	return (0);
}

static void
lun_close(void)
{
	lun_fini(&L);
	if (lfd != -1)
		close(lfd);
	lfd = -1;
}

/* The backing store becomes path (opened with flags), same number. */
static int
swap_fd(const char *path, int flags)
{
	int	fd;

	if ((fd = open(path, flags)) == -1)
		return (-1);
	if (dup2(fd, lfd) == -1) {
		close(fd);
		return (-1);
	}
	close(fd);
	return (0);
}

static void
test_done(struct scsi_cmd *cmd)
{
	async_done = 1;
}

static struct res
run(struct nexus *nx, uint8_t op, uint64_t lba, uint32_t n, uint8_t dir,
    void *buf, uint32_t len)
{
	struct scsi_cmd	 cmd;
	struct res	 r;
	uint8_t		 c[16];

	memset(c, 0, sizeof(c));
	c[0] = op;
	put_be64(&c[2], lba);
	put_be32(&c[10], n);
	memset(&r, 0, sizeof(r));
	scsi_cmd_init(&cmd, &L, nx, NULL, c, 16, dir, buf, len);
	cmd.done = test_done;
	async_done = 0;
	if (scsi_exec(&cmd) == SCSI_PENDING) {
		L.be->flush(&L);
		while (!async_done)
			if (L.be->poll(&L, 1) < 0)
				break;
	}
	r.status = cmd.status;
	r.len = cmd.len;
	r.sense_len = cmd.sense_len;
	memcpy(r.sense, cmd.sense, sizeof(r.sense));
	if (cmd.sense_len > 0)
		sense_parse(cmd.sense, cmd.sense_len, &r.key, &r.asc);
	return (r);
}

/* The INFORMATION field of fixed or descriptor format sense. */
static uint64_t
sense_info(const struct res *r)
{
	if ((r->sense[0] & 0x7f) == 0x70 || (r->sense[0] & 0x7f) == 0x71)
		return ((r->sense[0] & 0x80) ? get_be32(&r->sense[3]) :
		    UINT64_MAX);
	/* descriptor format: the information descriptor first */
	if (r->sense_len >= 20 && r->sense[8] == 0x00)
		return (get_be64(&r->sense[12]));
	return (UINT64_MAX);
}

#define IS_CHECK(r, k, a)	((r).status == SAM_STAT_CHECK_CONDITION && \
				    (r).key == (k) && (r).asc == (a))

static const uint32_t file_backends[] = {
	LUN_BACKEND_RDWR, LUN_BACKEND_AIO, LUN_BACKEND_IO_URING
};

/* A thin store out of space: 07/27/07, and reads still work. */
static void
test_enospc(void)
{
	uint8_t		 buf[4096];
	struct res	 r;
	size_t		 i;

	for (i = 0; i < sizeof(file_backends) / sizeof(*file_backends);
	    i++) {
		printf("  %s\n", be_name(file_backends[i]));
		REQUIRE(lun_open(file_backends[i], LUN_F_THIN |
		    LUN_F_WRITE_CACHE, 1 << 20, 0) == 0);
		REQUIRE(swap_fd("/dev/full", O_RDWR) == 0);
		memset(buf, 'w', sizeof(buf));
		r = run(NULL, WRITE_16, 16, 8, RING_DIR_WRITE, buf,
		    sizeof(buf));
		CHECK(IS_CHECK(r, SK_DATA_PROTECT, 0x2707));
		CHECK(r.len == 0);
		/* with FUA too (RWF_DSYNC) */
		r = run(NULL, WRITE_16, 16, 8, RING_DIR_WRITE, buf,
		    sizeof(buf));
		CHECK(IS_CHECK(r, SK_DATA_PROTECT, 0x2707));
		r = run(NULL, READ_16, 16, 8, RING_DIR_READ, buf,
		    sizeof(buf));
		CHECK(r.status == SAM_STAT_GOOD && r.len == sizeof(buf) &&
		    buf[0] == 0 && buf[4095] == 0);
		lun_close();
	}
}

/*
 * EIO: the LUN's store is this process's memory, where MEM_ADDR is a
 * page of 'm' and the next page is a hole.
 */
static void
test_eio(void)
{
	uint8_t		*page, buf[8192];
	struct res	 r;
	size_t		 i;

	page = mmap((void *)MEM_ADDR, 8192, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	REQUIRE(page == (void *)MEM_ADDR);
	REQUIRE(munmap(page + 4096, 4096) == 0);
	memset(page, 'm', 4096);
	for (i = 0; i < sizeof(file_backends) / sizeof(*file_backends);
	    i++) {
		printf("  %s\n", be_name(file_backends[i]));
		REQUIRE(lun_open(file_backends[i], LUN_F_WRITE_CACHE,
		    FILE_SIZE, 0) == 0);
		REQUIRE(swap_fd("/proc/self/mem", O_RDWR) == 0);
		/* the mapped page reads back */
		memset(buf, 0, sizeof(buf));
		r = run(NULL, READ_16, MEM_LBA, 8, RING_DIR_READ, buf, 4096);
		CHECK(r.status == SAM_STAT_GOOD && r.len == 4096 &&
		    buf[0] == 'm' && buf[4095] == 'm');
		/* across the hole: MEDIUM ERROR at the first block of it */
		r = run(NULL, READ_16, MEM_LBA, 16, RING_DIR_READ, buf,
		    sizeof(buf));
		CHECK(IS_CHECK(r, SK_MEDIUM_ERROR, 0x1100));
		CHECK(sense_info(&r) == MEM_LBA + 8);
		CHECK(r.len == 0);
		/* a write into the hole */
		r = run(NULL, WRITE_16, MEM_LBA + 8, 2, RING_DIR_WRITE, buf,
		    1024);
		CHECK(IS_CHECK(r, SK_MEDIUM_ERROR, 0x0c00));
		CHECK(sense_info(&r) == MEM_LBA + 8);
		/* VERIFY goes through the backend's synchronous path */
		r = run(NULL, VERIFY_16, MEM_LBA + 4, 8, RING_DIR_NONE, NULL,
		    0);
		CHECK(r.status == SAM_STAT_GOOD);
		buf[0] = 0;
		lun_close();
	}
	munmap(page, 4096);
}

/* The file shrank under the LUN: what is past its end reads zeroes. */
static void
test_short_read(void)
{
	uint8_t		 buf[8192];
	struct res	 r;
	size_t		 i;

	for (i = 0; i < sizeof(file_backends) / sizeof(*file_backends);
	    i++) {
		printf("  %s\n", be_name(file_backends[i]));
		REQUIRE(lun_open(file_backends[i], LUN_F_WRITE_CACHE,
		    1 << 20, 0) == 0);
		memset(buf, 's', sizeof(buf));
		r = run(NULL, WRITE_16, 0, 16, RING_DIR_WRITE, buf,
		    sizeof(buf));
		CHECK(r.status == SAM_STAT_GOOD && r.len == sizeof(buf));
		REQUIRE(ftruncate(lfd, 4096 + 512) == 0);
		memset(buf, 0xee, sizeof(buf));
		r = run(NULL, READ_16, 0, 16, RING_DIR_READ, buf,
		    sizeof(buf));
		CHECK(r.status == SAM_STAT_GOOD && r.len == sizeof(buf));
		CHECK(buf[0] == 's' && buf[4096 + 511] == 's');
		CHECK(buf[4096 + 512] == 0 && buf[8191] == 0);
		lun_close();
	}
}

/*
 * io_uring with a registered data area (as a ring's): transfers from and
 * to it are READ_FIXED/WRITE_FIXED; after mem_del() plain ones again.
 */
static void
test_uring_fixed(void)
{
	uint8_t		*area, rd[4096];
	struct res	 r;
	size_t		 len = 1 << 20;

	REQUIRE(lun_open(LUN_BACKEND_IO_URING, LUN_F_WRITE_CACHE, 1 << 20,
	    0) == 0);
	area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS, -1, 0);
	REQUIRE(area != MAP_FAILED);
	L.be->mem_add(&L, area, len);
	memset(area + 65536, 'f', 8192);
	r = run(NULL, WRITE_16, 64, 16, RING_DIR_WRITE, area + 65536, 8192);
	CHECK(r.status == SAM_STAT_GOOD && r.len == 8192);
	CHECK(pread(lfd, rd, sizeof(rd), 64 * 512) == sizeof(rd) &&
	    rd[0] == 'f' && rd[4095] == 'f');
	memset(area, 0, 8192);
	r = run(NULL, READ_16, 64, 16, RING_DIR_READ, area, 8192);
	CHECK(r.status == SAM_STAT_GOOD && r.len == 8192 &&
	    area[0] == 'f' && area[8191] == 'f');
	/* the last bytes of the area, and one past it: plain */
	r = run(NULL, READ_16, 64, 16, RING_DIR_READ, area + len - 8192,
	    8192);
	CHECK(r.status == SAM_STAT_GOOD && area[len - 1] == 'f');
	L.be->mem_del(&L, area, len);
	memset(area, 0, 8192);
	r = run(NULL, READ_16, 64, 16, RING_DIR_READ, area, 8192);
	CHECK(r.status == SAM_STAT_GOOD && area[0] == 'f');
	lun_close();
	munmap(area, len);
}

/* backend null: no store, zeroes, and every check still made. */
static void
test_null(void)
{
	uint8_t		 buf[8192], cdb[16];
	struct res	 r;
	struct nexus	*a, *b;
	struct scsi_cmd	 cmd;
	struct msg_lun_config cfg;
	char		 err[256];

	/* no size, no LUN */
	memset(&cfg, 0, sizeof(cfg));
	cfg.type = LUN_TYPE_DISK;
	cfg.backend = LUN_BACKEND_NULL;
	cfg.block_size = 512;
	CHECK(lun_init(&L, &cfg, -1, NULL, err, sizeof(err)) == -1);

	REQUIRE(lun_open(LUN_BACKEND_NULL, LUN_F_WRITE_CACHE | LUN_F_THIN,
	    0, 1 << 20) == 0);
	CHECK(L.nblocks == 2048 && L.fd == -1);
	memset(buf, 'n', sizeof(buf));
	r = run(NULL, WRITE_16, 100, 16, RING_DIR_WRITE, buf, sizeof(buf));
	CHECK(r.status == SAM_STAT_GOOD && r.len == sizeof(buf));
	r = run(NULL, READ_16, 100, 16, RING_DIR_READ, buf, sizeof(buf));
	CHECK(r.status == SAM_STAT_GOOD && r.len == sizeof(buf) &&
	    buf[0] == 0 && buf[8191] == 0);
	/* range */
	r = run(NULL, READ_16, 2040, 16, RING_DIR_READ, buf, sizeof(buf));
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, 0x2100));
	/* the synchronous paths: VERIFY of zeroes, WRITE SAME, SYNC */
	memset(buf, 0, 512);
	memset(cdb, 0, sizeof(cdb));
	r = run(NULL, SYNCHRONIZE_CACHE_16, 0, 0, RING_DIR_NONE, NULL, 0);
	CHECK(r.status == SAM_STAT_GOOD);
	r = run(NULL, WRITE_SAME_16, 0, 64, RING_DIR_WRITE, buf, 512);
	CHECK(r.status == SAM_STAT_GOOD);
	/* a reservation holds without a store */
	a = nexus_get(&L, 0, 1);
	b = nexus_get(&L, 0, 2);
	REQUIRE(a != NULL && b != NULL);
	a->ua = b->ua = 0;
	cdb[0] = RESERVE_6;
	scsi_cmd_init(&cmd, &L, a, NULL, cdb, 6, RING_DIR_NONE, NULL, 0);
	CHECK(scsi_exec(&cmd) == SCSI_DONE && cmd.status == SAM_STAT_GOOD);
	r = run(b, WRITE_16, 0, 1, RING_DIR_WRITE, buf, 512);
	CHECK(r.status == SAM_STAT_RESERVATION_CONFLICT);
	r = run(a, WRITE_16, 0, 1, RING_DIR_WRITE, buf, 512);
	CHECK(r.status == SAM_STAT_GOOD);
	lun_close();

	/* read-only: write protected */
	REQUIRE(lun_open(LUN_BACKEND_NULL, LUN_F_READONLY, 0, 1 << 20) == 0);
	r = run(NULL, WRITE_16, 0, 1, RING_DIR_WRITE, buf, 512);
	CHECK(IS_CHECK(r, SK_DATA_PROTECT, 0x2700));
	lun_close();
}

/* The worker test's backend: the file's, with pio() watched and gated. */
static struct backend	 wbe;
static pthread_t	 main_thread;
static pthread_mutex_t	 gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 gate_cv = PTHREAD_COND_INITIALIZER;
static int		 gate_closed, pio_in, pio_off_main;
static int		 ndone;

static long
gated_pio(struct lun *lun, int write, uint8_t *buf, uint32_t len,
    uint64_t off, int fua)
{
	pthread_mutex_lock(&gate_lock);
	pio_in++;
	pthread_cond_broadcast(&gate_cv);
	while (gate_closed)
		pthread_cond_wait(&gate_cv, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	if (!pthread_equal(pthread_self(), main_thread))
		pio_off_main++;
	return (file_pio(lun, write, buf, len, off, fua));
}

static void
worker_done(struct scsi_cmd *cmd)
{
	ndone++;
}

static int
match_cmd(struct scsi_cmd *cmd, void *arg)
{
	return (cmd == arg);
}

static void
worker_cmd(struct scsi_cmd *cmd, uint8_t op, uint8_t byte1, uint32_t n,
    uint8_t *buf, uint32_t len)
{
	uint8_t	c[16];

	memset(c, 0, sizeof(c));
	c[0] = op;
	c[1] = byte1;
	put_be32(&c[10], n);
	scsi_cmd_init(cmd, &L, NULL, NULL, c, 16, RING_DIR_WRITE, buf, len);
	cmd->done = worker_done;
}

/* Run the event loop until n commands are done (bounded). */
static int
worker_loop(struct event_base *evb, int n)
{
	int	i;

	for (i = 0; i < 1000 && ndone < n; i++)
		event_base_loop(evb, EVLOOP_ONCE);
	return (ndone >= n);
}

static void
test_worker(void)
{
	struct event_base	*evb;
	struct scsi_cmd		 ws, vf;
	struct res		 r;
	uint8_t			 pat[512], ref[512], back[4096];
	int			 i;

	main_thread = pthread_self();
	REQUIRE((evb = event_base_new()) != NULL);
	REQUIRE(lun_open(LUN_BACKEND_RDWR, 0, 1 << 20, 1 << 20) == 0);
	L.evb = evb;
	wbe = *L.be;
	wbe.flags = BE_F_WORKER;
	wbe.pio = gated_pio;
	L.be = &wbe;
	memset(pat, 0xa5, sizeof(pat));
	memcpy(ref, pat, sizeof(ref));

	/* WRITE SAME: pending, the rings held, the pio on another thread */
	ndone = pio_in = pio_off_main = 0;
	gate_closed = 1;
	worker_cmd(&ws, WRITE_SAME_16, 0, 8, pat, sizeof(pat));
	CHECK(scsi_exec(&ws) == SCSI_PENDING);
	CHECK(L.held == 1);
	/* a VERIFY queued behind it, then aborted before it runs */
	worker_cmd(&vf, VERIFY_16, 0x02, 1, ref, sizeof(ref));
	CHECK(scsi_exec(&vf) == SCSI_PENDING);
	lun_offload_abort(&L, match_cmd, &vf);
	CHECK(ndone == 1 && vf.status == SAM_STAT_TASK_ABORTED);
	CHECK(L.held == 1);
	/* the WRITE SAME is in the store's call: let it go */
	pthread_mutex_lock(&gate_lock);
	for (i = 0; i < 500 && pio_in == 0; i++) {
		struct timespec	 ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 10 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&gate_cv, &gate_lock, &ts);
	}
	CHECK(pio_in > 0);
	gate_closed = 0;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_lock);
	CHECK(worker_loop(evb, 2));
	CHECK(ws.status == SAM_STAT_GOOD);
	CHECK(pio_off_main > 0);
	CHECK(L.held == 0);

	/* the blocks are the pattern; a VERIFY of them is GOOD, off the loop */
	r = run(NULL, READ_16, 0, 8, RING_DIR_READ, back, sizeof(back));
	CHECK(r.status == SAM_STAT_GOOD);
	for (i = 0; i < 8; i++)
		CHECK(memcmp(back + 512 * i, pat, 512) == 0);
	ndone = pio_off_main = 0;
	worker_cmd(&vf, VERIFY_16, 0x02, 1, ref, sizeof(ref));
	CHECK(scsi_exec(&vf) == SCSI_PENDING);
	CHECK(L.held == 0);		/* VERIFY is not exclusive */
	CHECK(worker_loop(evb, 1));
	CHECK(vf.status == SAM_STAT_GOOD && pio_off_main > 0);
	lun_close();
	event_base_free(evb);
}

int
main(void)
{
	log_init(1, 0, "backend_test");
	UNIT_RUN(test_enospc);
	UNIT_RUN(test_eio);
	UNIT_RUN(test_short_read);
	UNIT_RUN(test_uring_fixed);
	UNIT_RUN(test_null);
	UNIT_RUN(test_worker);
	return (UNIT_END("backend"));
}
