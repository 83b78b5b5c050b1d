/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * The io_uring backend (liburing).  Each command becomes one SQE whose
 * user_data is the command; the SQEs of one ring drain are submitted
 * together (flush()), and completions are reaped on the LUN's event loop,
 * which watches the io_uring descriptor itself (readable while the
 * completion queue holds entries): no thread, no eventfd.
 *
 * The data areas of the portal rings are registered as fixed buffers
 * (mem_add()), so reads and writes into them are READ_FIXED/WRITE_FIXED
 * and the kernel does not pin and unpin pages for every command.  FUA
 * writes carry RWF_DSYNC; SYNCHRONIZE CACHE is an IORING_OP_FSYNC
 * (datasync); punching and zeroing (UNMAP, WRITE SAME) IORING_OP_FALLOCATE.
 *
 * Sandbox: tgt-lun creates the ring before its seccomp filter
 * (io_uring_prepare(), from main()), disabled, then registers a sparse
 * buffer table and restrictions (IORING_REGISTER_RESTRICTIONS): only
 * the opcodes below, no SQE flags, and of the registration opcodes only
 * BUFFERS_UPDATE, and only then enables it.  The filter allows
 * io_uring_enter and io_uring_register on that one descriptor and never
 * io_uring_setup, so the process cannot reach through io_uring anything
 * its plain system calls could not (no open, socket, connect...).
 */

#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "log.h"
#include "lun.h"

#define URING_DEPTH	256	/* SQ entries; the CQ has twice as many */
#define URING_BATCH	64	/* CQEs reaped at once */
#define URING_SLOTS	64	/* fixed buffers: ring data areas */

struct uring_slot {
	uint8_t		*base;		/* NULL: free */
	size_t		 len;
};

struct uring_priv {
	struct io_uring	*ring;
	struct event	*ev;
	unsigned int	 busy;		/* prepared, not yet reaped */
	unsigned int	 queued;	/* prepared, not yet submitted */
	unsigned int	 max_busy;
	int		 waiting;	/* sync(): the result awaited */
	int		 wait_done;
	int		 wait_res;
};

/* The ring made before the sandbox (or by init() in tests). */
static struct io_uring		 uring;
static int			 uring_ready;
static char			 uring_err[256];
static struct uring_slot	 uring_slots[URING_SLOTS];

/* user_data of the SQEs sync() and fallocate() wait for */
#define URING_WAIT_TAG	1

static const uint8_t uring_ops[] = {
	IORING_OP_READ, IORING_OP_WRITE, IORING_OP_READ_FIXED,
	IORING_OP_WRITE_FIXED, IORING_OP_FSYNC, IORING_OP_FALLOCATE
};

static void	uring_reap(struct lun *, struct uring_priv *);

void
io_uring_unavailable(const char *why)
{
	if (!uring_ready && uring_err[0] == '\0')
		snprintf(uring_err, sizeof(uring_err), "%s", why);
}

int
io_uring_prepare(char *err, size_t errlen)
{
	struct io_uring_restriction	 res[8];
	struct io_uring_params		 p;
	size_t				 i, n = 0;
	int				 r;

	if (uring_ready)
		return (uring.ring_fd);
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_R_DISABLED | IORING_SETUP_CQSIZE;
	p.cq_entries = 2 * URING_DEPTH;
	if ((r = io_uring_queue_init_params(URING_DEPTH, &uring, &p)) < 0) {
		if (r == -ENOSYS)
			snprintf(uring_err, sizeof(uring_err), "io_uring_setup:"
			    " %s (kernel without io_uring)", strerror(-r));
		else if (r == -EPERM || r == -EACCES)
			snprintf(uring_err, sizeof(uring_err), "io_uring_setup:"
			    " %s (sysctl kernel.io_uring_disabled, or a "
			    "seccomp filter of a container)", strerror(-r));
		else
			snprintf(uring_err, sizeof(uring_err),
			    "io_uring_setup: %s", strerror(-r));
		goto fail;
	}
	if ((r = io_uring_register_buffers_sparse(&uring, URING_SLOTS)) < 0) {
		snprintf(uring_err, sizeof(uring_err), "io_uring buffer "
		    "table: %s", strerror(-r));
		goto fail_ring;
	}
	memset(res, 0, sizeof(res));
	for (i = 0; i < sizeof(uring_ops); i++) {
		res[n].opcode = IORING_RESTRICTION_SQE_OP;
		res[n++].sqe_op = uring_ops[i];
	}
	res[n].opcode = IORING_RESTRICTION_REGISTER_OP;
	res[n++].register_op = IORING_REGISTER_BUFFERS_UPDATE;
	/* the symbols are missing from Debian's liburing 2.3: by opcode */
	if ((r = io_uring_register(uring.ring_fd,
	    IORING_REGISTER_RESTRICTIONS, res, n)) < 0) {
		snprintf(uring_err, sizeof(uring_err), "io_uring "
		    "restrictions: %s", strerror(-r));
		goto fail_ring;
	}
	if ((r = io_uring_register(uring.ring_fd,
	    IORING_REGISTER_ENABLE_RINGS, NULL, 0)) < 0) {
		snprintf(uring_err, sizeof(uring_err), "io_uring enable: %s",
		    strerror(-r));
		goto fail_ring;
	}
	uring_ready = 1;
	return (uring.ring_fd);
 fail_ring:
	io_uring_queue_exit(&uring);
 fail:
	snprintf(err, errlen, "%s", uring_err);
	return (-1);
}

static void
uring_event(int fd, short ev, void *arg)
{
	struct lun	*lun = arg;

	uring_reap(lun, lun->be_priv);
	if (lun->batch_done != NULL)
		lun->batch_done(lun, lun->batch_arg);
}

static int
uring_init(struct lun *lun, char *err, size_t errlen)
{
	struct uring_priv	*up;

	if (!uring_ready) {
		/* tgt-lun made it before its sandbox; a test makes it here */
		if (uring_err[0] != '\0') {
			snprintf(err, errlen, "%s", uring_err);
			return (-1);
		}
		if (io_uring_prepare(err, errlen) == -1)
			return (-1);
	}
	if ((up = calloc(1, sizeof(*up))) == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return (-1);
	}
	up->ring = &uring;
	up->max_busy = URING_DEPTH;
	if (lun->evb != NULL) {
		up->ev = event_new(lun->evb, uring.ring_fd,
		    EV_READ | EV_PERSIST, uring_event, lun);
		if (up->ev == NULL || event_add(up->ev, NULL) == -1) {
			snprintf(err, errlen, "cannot watch the io_uring");
			if (up->ev != NULL)
				event_free(up->ev);
			free(up);
			return (-1);
		}
	}
	lun->be_priv = up;
	return (0);
}

static void
uring_fini(struct lun *lun)
{
	struct uring_priv	*up = lun->be_priv;

	if (up == NULL)
		return;
	while (up->busy > 0 && lun->be->poll(lun, 1) > 0)
		;
	if (up->ev != NULL)
		event_free(up->ev);
	free(up);
	lun->be_priv = NULL;
	/* the ring stays: it cannot be made again inside the sandbox */
}

/* Submit what rw() prepared. */
static void
uring_flush(struct lun *lun)
{
	struct uring_priv	*up = lun->be_priv;
	int			 r;

	while (up->queued > 0) {
		r = io_uring_submit(up->ring);
		if (r == -EINTR)
			continue;
		if (r < 0) {
			if (r != -EAGAIN && r != -EBUSY)
				log_warnx("io_uring_submit: %s",
				    strerror(-r));
			/* left in the SQ: submitted with the next batch */
			return;
		}
		if (r == 0)
			return;
		up->queued -= (unsigned int)r > up->queued ? up->queued :
		    (unsigned int)r;
	}
}

/* The fixed buffer holding [buf, buf + len), or -1. */
static int
uring_slot_find(const uint8_t *buf, uint32_t len)
{
	int	i;

	for (i = 0; i < URING_SLOTS; i++) {
		if (uring_slots[i].base != NULL &&
		    buf >= uring_slots[i].base &&
		    len <= uring_slots[i].len &&
		    (size_t)(buf - uring_slots[i].base) <=
		    uring_slots[i].len - len)
			return (i);
	}
	return (-1);
}

static struct io_uring_sqe *
uring_sqe(struct lun *lun, struct uring_priv *up)
{
	struct io_uring_sqe	*sqe;

	if (up->busy >= up->max_busy)
		return (NULL);
	if ((sqe = io_uring_get_sqe(up->ring)) == NULL) {
		uring_flush(lun);
		sqe = io_uring_get_sqe(up->ring);
	}
	return (sqe);
}

static int
uring_rw(struct lun *lun, struct scsi_cmd *cmd, int write, uint8_t *buf,
    uint32_t len, uint64_t off, int fua)
{
	struct uring_priv	*up = lun->be_priv;
	struct io_uring_sqe	*sqe;
	int			 slot;

	if ((lun->direct && ((len | off | (uintptr_t)buf) &
	    (lun->dio_align - 1))) || (sqe = uring_sqe(lun, up)) == NULL) {
		/* full, or a transfer O_DIRECT cannot take: now */
		sbc_io_done(cmd, file_pio(lun, write, buf, len, off, fua));
		return (SCSI_DONE);
	}
	slot = uring_slot_find(buf, len);
	if (write && slot >= 0)
		io_uring_prep_write_fixed(sqe, lun->fd, buf, len, off, slot);
	else if (write)
		io_uring_prep_write(sqe, lun->fd, buf, len, off);
	else if (slot >= 0)
		io_uring_prep_read_fixed(sqe, lun->fd, buf, len, off, slot);
	else
		io_uring_prep_read(sqe, lun->fd, buf, len, off);
	if (write && fua)
		sqe->rw_flags = RWF_DSYNC;
	io_uring_sqe_set_data(sqe, cmd);
	up->busy++;
	up->queued++;
	return (SCSI_PENDING);
}

/* One completion; a short transfer is finished by file_finish(). */
static void
uring_complete(struct lun *lun, struct uring_priv *up,
    struct io_uring_cqe *cqe)
{
	struct scsi_cmd	*cmd;

	up->busy--;
	if (cqe->user_data == URING_WAIT_TAG) {
		up->wait_done = 1;
		up->wait_res = cqe->res;
		return;
	}
	cmd = io_uring_cqe_get_data(cqe);
	sbc_io_done(cmd, file_finish(lun, cmd, cqe->res));
}

static void
uring_reap(struct lun *lun, struct uring_priv *up)
{
	struct io_uring_cqe	*cqes[URING_BATCH];
	unsigned int		 n, i;

	do {
		n = io_uring_peek_batch_cqe(up->ring, cqes, URING_BATCH);
		for (i = 0; i < n; i++) {
			uring_complete(lun, up, cqes[i]);
			io_uring_cqe_seen(up->ring, cqes[i]);
		}
	} while (n == URING_BATCH);
}

/* Reap completions; with wait, block for one if none is there. */
static int
uring_poll(struct lun *lun, int wait)
{
	struct uring_priv	*up = lun->be_priv;
	struct io_uring_cqe	*cqe;
	unsigned int		 before;
	int			 r;

	if (up == NULL)
		return (0);
	uring_flush(lun);
	if (up->busy == 0)
		return (0);
	before = up->busy;
	if (wait) {
		do {
			r = io_uring_wait_cqe(up->ring, &cqe);
		} while (r == -EINTR);
		if (r < 0) {
			log_warnx("io_uring wait: %s", strerror(-r));
			return (-1);
		}
	}
	uring_reap(lun, up);
	return (before - up->busy);
}

/* Submit one SQE prepared by prep and wait for it: its result. */
static int
uring_wait_op(struct lun *lun, struct io_uring_sqe *sqe)
{
	struct uring_priv	*up = lun->be_priv;

	io_uring_sqe_set_data64(sqe, URING_WAIT_TAG);
	up->busy++;
	up->queued++;
	up->wait_done = 0;
	while (!up->wait_done)
		if (uring_poll(lun, 1) < 0)
			return (-EIO);
	return (up->wait_res);
}

/* SYNCHRONIZE CACHE: IORING_OP_FSYNC (data). */
static int
uring_sync(struct lun *lun)
{
	struct uring_priv	*up = lun->be_priv;
	struct io_uring_sqe	*sqe;
	int			 r;

	if ((sqe = uring_sqe(lun, up)) == NULL)
		return (fdatasync(lun->fd));
	io_uring_prep_fsync(sqe, lun->fd, IORING_FSYNC_DATASYNC);
	if ((r = uring_wait_op(lun, sqe)) < 0) {
		errno = -r;
		return (-1);
	}
	return (0);
}

/* UNMAP, WRITE SAME, SANITIZE: IORING_OP_FALLOCATE. */
static int
uring_fallocate(struct lun *lun, int mode, uint64_t off, uint64_t len)
{
	struct uring_priv	*up = lun->be_priv;
	struct io_uring_sqe	*sqe;
	int			 r;

	if ((sqe = uring_sqe(lun, up)) == NULL)
		return (file_fallocate(lun, mode, off, len));
	io_uring_prep_fallocate(sqe, lun->fd, mode, off, len);
	if ((r = uring_wait_op(lun, sqe)) < 0) {
		errno = -r;
		return (-1);
	}
	return (0);
}

/* A ring's data area: a fixed buffer, if a slot and the kernel allow. */
static void
uring_mem_add(struct lun *lun, void *base, size_t len)
{
	struct iovec	iov;
	__u64		tag = 0;
	int		i, r;

	if (!uring_ready)
		return;
	for (i = 0; i < URING_SLOTS; i++)
		if (uring_slots[i].base == NULL)
			break;
	if (i == URING_SLOTS) {
		log_info("io_uring: no fixed buffer slot left, plain reads "
		    "and writes for this ring");
		return;
	}
	iov.iov_base = base;
	iov.iov_len = len;
	r = io_uring_register_buffers_update_tag(&uring, i, &iov, &tag, 1);
	if (r < 0) {
		log_info("io_uring: data area not registered (%s), plain "
		    "reads and writes for this ring", strerror(-r));
		return;
	}
	uring_slots[i].base = base;
	uring_slots[i].len = len;
}

static void
uring_mem_del(struct lun *lun, void *base, size_t len)
{
	struct iovec	iov;
	__u64		tag = 0;
	int		i, r;

	for (i = 0; i < URING_SLOTS; i++) {
		if (uring_slots[i].base != base)
			continue;
		/* transfers in flight keep their own page references */
		iov.iov_base = NULL;
		iov.iov_len = 0;
		r = io_uring_register_buffers_update_tag(&uring, i, &iov,
		    &tag, 1);
		if (r < 0)
			log_warnx("io_uring: unregister buffer %d: %s", i,
			    strerror(-r));
		uring_slots[i].base = NULL;
		uring_slots[i].len = 0;
	}
}

const struct backend backend_io_uring = {
	.name = "io_uring",
	.init = uring_init,
	.fini = uring_fini,
	.rw = uring_rw,
	.sync = uring_sync,
	.poll = uring_poll,
	.flush = uring_flush,
	.pio = file_pio,
	.fallocate = uring_fallocate,
	.mem_add = uring_mem_add,
	.mem_del = uring_mem_del,
};
