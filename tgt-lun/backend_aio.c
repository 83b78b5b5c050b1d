/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * The aio backend: Linux native AIO through libaio.  Each command's iocb
 * lives in the command itself and points at the command's buffer (the
 * ring's data area), so the kernel moves data straight between the
 * backing store and the portal's buffers.  Completions raise an eventfd
 * (io_set_eventfd) watched by the event loop; FUA writes carry RWF_DSYNC.
 * The iocbs of one ring drain are submitted together (flush()).  When
 * the context is full, or for a transfer O_DIRECT could not take, the
 * command falls back to a synchronous pread/pwrite.
 */

#include <sys/eventfd.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <libaio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "log.h"
#include "lun.h"

#define AIO_DEPTH	512
#define AIO_BATCH	64

struct aio_priv {
	io_context_t	 ctx;
	int		 efd;
	struct event	*ev;
	unsigned int	 busy;		/* submitted or queued */
	int		 direct;	/* backing fd has O_DIRECT */
	struct iocb	*queue[AIO_BATCH];
	int		 nqueue;
};

_Static_assert(sizeof(struct iocb) <= sizeof(((struct scsi_cmd *)0)->be_space),
    "iocb does not fit in scsi_cmd.be_space");

static int	aio_poll(struct lun *, int);

static void
aio_event(int fd, short ev, void *arg)
{
	struct lun	*lun = arg;
	uint64_t	 cnt;

	if (read(fd, &cnt, sizeof(cnt)) == -1 && errno != EAGAIN)
		log_warn("aio eventfd read");
	while (aio_poll(lun, 0) == AIO_BATCH)
		;
	if (lun->batch_done != NULL)
		lun->batch_done(lun, lun->batch_arg);
}

static int
aio_init(struct lun *lun, char *err, size_t errlen)
{
	struct aio_priv	*ap;
	int		 r, fl;

	if ((ap = calloc(1, sizeof(*ap))) == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return (-1);
	}
	ap->efd = -1;
	if ((r = io_setup(AIO_DEPTH, &ap->ctx)) != 0) {
		snprintf(err, errlen, "io_setup: %s", strerror(-r));
		goto fail;
	}
	if ((ap->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	if (lun->evb != NULL) {
		ap->ev = event_new(lun->evb, ap->efd, EV_READ | EV_PERSIST,
		    aio_event, lun);
		if (ap->ev == NULL || event_add(ap->ev, NULL) == -1) {
			snprintf(err, errlen, "cannot watch aio eventfd");
			goto fail;
		}
	}
	if ((fl = fcntl(lun->fd, F_GETFL)) != -1 && (fl & O_DIRECT))
		ap->direct = 1;
	lun->be_priv = ap;
	return (0);
 fail:
	if (ap->ev != NULL)
		event_free(ap->ev);
	if (ap->efd != -1)
		close(ap->efd);
	if (ap->ctx != 0)
		io_destroy(ap->ctx);
	free(ap);
	return (-1);
}

static void
aio_fini(struct lun *lun)
{
	struct aio_priv	*ap = lun->be_priv;

	if (ap == NULL)
		return;
	while (ap->busy > 0 && aio_poll(lun, 1) > 0)
		;
	if (ap->ev != NULL)
		event_free(ap->ev);
	close(ap->efd);
	io_destroy(ap->ctx);
	free(ap);
	lun->be_priv = NULL;
}

/* Submit the queued iocbs; those the kernel refuses fail or run now. */
static void
aio_flush(struct lun *lun)
{
	struct aio_priv	*ap = lun->be_priv;
	struct scsi_cmd	*cmd;
	struct iocb	*iocb;
	int		 i = 0, r;

	while (i < ap->nqueue) {
		r = io_submit(ap->ctx, ap->nqueue - i, &ap->queue[i]);
		if (r > 0) {
			i += r;
			continue;
		}
		/* the first one cannot be submitted: do it synchronously */
		iocb = ap->queue[i++];
		cmd = iocb->data;
		ap->busy--;
		if (r != -EAGAIN && r != -EINVAL && r != 0)
			sbc_io_done(cmd, r);
		else
			sbc_io_done(cmd, file_pio(lun,
			    iocb->aio_lio_opcode == IO_CMD_PWRITE,
			    iocb->u.c.buf, iocb->u.c.nbytes, iocb->u.c.offset,
			    iocb->aio_rw_flags != 0));
	}
	ap->nqueue = 0;
}

static int
aio_rw(struct lun *lun, struct scsi_cmd *cmd, int write, uint8_t *buf,
    uint32_t len, uint64_t off, int fua)
{
	struct aio_priv	*ap = lun->be_priv;
	struct iocb	*iocb = (struct iocb *)cmd->be_space;

	if (ap->busy >= AIO_DEPTH || (ap->direct && ((len | off |
	    (uintptr_t)buf) & (lun->dio_align - 1)))) {
		sbc_io_done(cmd, file_pio(lun, write, buf, len, off, fua));
		return (SCSI_DONE);
	}
	memset(iocb, 0, sizeof(*iocb));
	if (write)
		io_prep_pwrite(iocb, lun->fd, buf, len, off);
	else
		io_prep_pread(iocb, lun->fd, buf, len, off);
	if (write && fua)
		iocb->aio_rw_flags = RWF_DSYNC;
	io_set_eventfd(iocb, ap->efd);
	iocb->data = cmd;
	/* queued: submitted with the others at the end of the batch */
	if (ap->nqueue == AIO_BATCH)
		aio_flush(lun);
	ap->queue[ap->nqueue++] = iocb;
	ap->busy++;
	return (SCSI_PENDING);
}

static int
aio_sync(struct lun *lun)
{
	return (fdatasync(lun->fd));
}

/* Reap up to AIO_BATCH completions; wait for one if asked. */
static int
aio_poll(struct lun *lun, int wait)
{
	struct aio_priv	*ap = lun->be_priv;
	struct io_event	 ev[AIO_BATCH];
	struct timespec	 zero = { 0, 0 };
	struct scsi_cmd	*cmd;
	int		 n, i;

	if (ap == NULL)
		return (0);
	if (ap->nqueue > 0)
		aio_flush(lun);
	if (ap->busy == 0)
		return (0);
	do {
		n = io_getevents(ap->ctx, wait ? 1 : 0, AIO_BATCH, ev,
		    wait ? NULL : &zero);
	} while (n == -EINTR);
	if (n < 0) {
		log_warnx("io_getevents: %s", strerror(-n));
		return (-1);
	}
	for (i = 0; i < n; i++) {
		cmd = ev[i].data;
		ap->busy--;
		/* res is the byte count or a negative errno */
		sbc_io_done(cmd, file_finish(lun, cmd, (long)ev[i].res));
	}
	return (n);
}

const struct backend backend_aio = {
	.name = "aio",
	.init = aio_init,
	.fini = aio_fini,
	.rw = aio_rw,
	.sync = aio_sync,
	.poll = aio_poll,
	.flush = aio_flush,
	.pio = file_pio,
	.fallocate = file_fallocate,
};
