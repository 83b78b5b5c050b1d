/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * The rbd backend: a Ceph RBD image through librbd.  The LUN process
 * opens no file: the master sends the cluster's settings (MSG_LUN_RBD,
 * see ceph_client.h) before LUN_CONFIG, and init() connects with them.
 *
 * Reads and writes are rbd_aio_read/rbd_aio_write straight from and to
 * the command's buffer (the ring's data area).  librbd completes them on
 * its own threads: the callback there only queues the command under a
 * mutex and raises an eventfd; the event loop reaps the queue and ends
 * the commands.  A FUA write is the write, then an rbd_aio_flush before
 * the command ends.  The image's header is watched (rbd_update_watch):
 * a resize from any client raises the eventfd too, and the loop tells
 * the LUN (CAPACITY DATA HAS CHANGED).
 *
 * SYNCHRONIZE CACHE is rbd_aio_flush, and COMPARE AND WRITE is
 * rbd_aio_compare_and_write: the OSD compares and writes in one step,
 * so it is atomic for every client of the image (several gateways),
 * and a miscompare comes back with its offset.  librbd does that within
 * one 512-byte sector only (it refuses more with EINVAL): the one-block
 * COMPARE AND WRITE of 512-byte blocks that initiators use for cluster
 * locks (VMware's ATS).  Anything larger is compared and written by
 * sbc.c on the worker, atomic through this process only.
 *
 * The synchronous entry points (pio, fallocate, extent: VERIFY, WRITE
 * SAME, UNMAP, GET LBA STATUS) run on the LUN's worker thread
 * (BE_F_WORKER, worker.c), never on the event loop, and are bounded by
 * the cluster timeout.  A cluster that does not answer within that
 * timeout makes librbd fail with ETIMEDOUT, which sbc.c turns into a
 * retryable NOT READY.
 */

#include <sys/eventfd.h>
#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rbd/librbd.h>

#include "backend.h"
#include "ceph_client.h"
#include "log.h"
#include "lun.h"
#include "pr_rados.h"

/* what a command in flight keeps in its be_space */
struct rbd_io {
	rbd_completion_t	 comp;
	struct scsi_cmd		*next;		/* done queue */
	long			 res;
	int			 fua;		/* flush after the write */
	int			 flushing;	/* FUA: the flush is running */
	uint64_t		 mismatch;	/* compare and write */
};

_Static_assert(sizeof(struct rbd_io) <= sizeof(((struct scsi_cmd *)0)->be_space),
    "rbd_io does not fit in scsi_cmd.be_space");

struct rbd_priv {
	struct ceph_client	 cc;
	rbd_image_t		 img;
	uint64_t		 watch;
	int			 watching;
	int			 efd;
	struct event		*ev;
	pthread_mutex_t		 lock;		/* done and its tail */
	struct scsi_cmd		*done;
	struct scsi_cmd		**tail;
	unsigned int		 busy;		/* in librbd */
	atomic_int		 changed;	/* the header changed */
	uint64_t		 stripe_unit;	/* compare and write within */
};

static struct msg_lun_rbd	 rbd_settings;
static int			 rbd_have_settings;

static int	rbd_poll(struct lun *, int);

void
rbd_configure(const struct msg_lun_rbd *rs)
{
	rbd_settings = *rs;
	rbd_settings.mon_host[sizeof(rbd_settings.mon_host) - 1] = '\0';
	rbd_settings.key[sizeof(rbd_settings.key) - 1] = '\0';
	rbd_settings.user[sizeof(rbd_settings.user) - 1] = '\0';
	rbd_settings.pool[sizeof(rbd_settings.pool) - 1] = '\0';
	rbd_settings.ns[sizeof(rbd_settings.ns) - 1] = '\0';
	rbd_settings.image[sizeof(rbd_settings.image) - 1] = '\0';
	rbd_have_settings = 1;
}

static struct rbd_io *
rbd_io(struct scsi_cmd *cmd)
{
	return ((struct rbd_io *)cmd->be_space);
}

static void
rbd_kick(struct rbd_priv *rp)
{
	uint64_t	 one = 1;

	/* a full counter still wakes the loop: nothing to do then */
	if (write(rp->efd, &one, sizeof(one)) == -1 && errno != EAGAIN)
		abort();
}

/* librbd's thread: queue the command for the loop, nothing else. */
static void
rbd_complete(rbd_completion_t c, void *arg)
{
	struct scsi_cmd	*cmd = arg;
	struct rbd_priv	*rp = cmd->lun->be_priv;
	struct rbd_io	*io = rbd_io(cmd);

	io->res = CEPH(rbd_aio_get_return_value)(c);
	io->next = NULL;
	pthread_mutex_lock(&rp->lock);
	*rp->tail = cmd;
	rp->tail = &io->next;
	pthread_mutex_unlock(&rp->lock);
	rbd_kick(rp);
}

/* librbd's thread: the image header changed (a resize). */
static void
rbd_header_changed(void *arg)
{
	struct rbd_priv	*rp = arg;

	atomic_store(&rp->changed, 1);
	rbd_kick(rp);
}

#define RBD_CAW_SECTOR	512

/*
 * Where a COMPARE AND WRITE at off found the data differ, from off.
 * librbd 16 reports the offset in the buffer plus the image offset of
 * the stripe unit (object), not of off; a librbd that reports off plus
 * it is read as well.  The two cannot be confused: the compare is
 * within one sector.
 */
static uint64_t
rbd_caw_offset(const struct rbd_priv *rp, uint64_t off, uint64_t mm)
{
	uint64_t	 base = off - off % rp->stripe_unit;

	if (mm >= off && mm - off < RBD_CAW_SECTOR)
		return (mm - off);
	if (mm >= base && mm - base < RBD_CAW_SECTOR)
		return (mm - base);
	return (0);
}

/* Reap what librbd completed; returns the count. */
static int
rbd_reap(struct lun *lun)
{
	struct rbd_priv	*rp = lun->be_priv;
	struct scsi_cmd	*cmd, *next;
	struct rbd_io	*io;
	int		 n = 0, r;

	pthread_mutex_lock(&rp->lock);
	cmd = rp->done;
	rp->done = NULL;
	rp->tail = &rp->done;
	pthread_mutex_unlock(&rp->lock);
	for (; cmd != NULL; cmd = next) {
		io = rbd_io(cmd);
		next = io->next;
		CEPH(rbd_aio_release)(io->comp);
		n++;
		if (io->res >= 0 && io->fua &&
		    !io->flushing && !cmd->aborted) {
			/* FUA: the write is in, now make it durable */
			io->flushing = 1;
			if ((r = CEPH(rbd_aio_create_completion)(cmd, rbd_complete,
			    &io->comp)) == 0 &&
			    (r = CEPH(rbd_aio_flush)(rp->img, io->comp)) == 0)
				continue;
			if (r < 0 && io->comp != NULL)
				CEPH(rbd_aio_release)(io->comp);
			io->res = r;
		}
		rp->busy--;
		if (io->res == -EILSEQ)
			cmd->io_info = rbd_caw_offset(rp, cmd->lba <<
			    lun->block_shift, io->mismatch);
		/* reads and writes end whole or not at all */
		sbc_io_done(cmd, io->res < 0 ? io->res : (long)cmd->io_len);
	}
	if (atomic_exchange(&rp->changed, 0) && lun->resized != NULL)
		lun->resized(lun);
	return (n);
}

static void
rbd_event(int fd, short ev, void *arg)
{
	struct lun	*lun = arg;
	uint64_t	 cnt;

	if (read(fd, &cnt, sizeof(cnt)) == -1 && errno != EAGAIN)
		log_warn("rbd eventfd read");
	rbd_reap(lun);
	if (lun->batch_done != NULL)
		lun->batch_done(lun, lun->batch_arg);
}

static int
rbd_init(struct lun *lun, char *err, size_t errlen)
{
	struct rbd_priv	*rp;
	int		 r;

	if (!rbd_have_settings) {
		snprintf(err, errlen, "backend rbd without its cluster "
		    "settings (no LUN_RBD before LUN_CONFIG)");
		return (-1);
	}
	if ((rp = calloc(1, sizeof(*rp))) == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return (-1);
	}
	rp->efd = -1;
	rp->tail = &rp->done;
	pthread_mutex_init(&rp->lock, NULL);
	if ((rp->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	if (ceph_client_open(&rp->cc, &rbd_settings, err, errlen) == -1)
		goto fail;
	if ((r = CEPH(rbd_open)(rp->cc.io, rbd_settings.image, &rp->img,
	    NULL)) < 0) {
		snprintf(err, errlen, "image %s/%s%s%s: %s", rbd_settings.pool,
		    rbd_settings.ns, rbd_settings.ns[0] != '\0' ? "/" : "",
		    rbd_settings.image, strerror(-r));
		rp->img = NULL;
		goto fail;
	}
	if ((r = CEPH(rbd_get_stripe_unit)(rp->img, &rp->stripe_unit)) < 0 ||
	    rp->stripe_unit == 0) {
		snprintf(err, errlen, "image %s: no stripe unit: %s",
		    rbd_settings.image, strerror(r < 0 ? -r : EINVAL));
		goto fail;
	}
	if ((r = CEPH(rbd_update_watch)(rp->img, &rp->watch, rbd_header_changed,
	    rp)) < 0)
		log_warnx("rbd: cannot watch the image, resizes go unseen: %s",
		    strerror(-r));
	else
		rp->watching = 1;
	if ((lun->cfg.flags & LUN_F_PR_CLUSTER) &&
	    pr_rados_open(lun, rp->cc.cluster, rp->cc.io, rbd_settings.image,
	    rbd_settings.timeout, err, errlen) == -1)
		goto fail;
	if ((lun->cfg.flags & LUN_F_PR_CLUSTER) &&
	    alua_rados_open(lun, rp->cc.io, rbd_settings.image,
	    rbd_settings.timeout, err, errlen) == -1)
		goto fail;
	if (lun->evb != NULL) {
		rp->ev = event_new(lun->evb, rp->efd, EV_READ | EV_PERSIST,
		    rbd_event, lun);
		if (rp->ev == NULL || event_add(rp->ev, NULL) == -1) {
			snprintf(err, errlen, "cannot watch the rbd eventfd");
			goto fail;
		}
	}
	explicit_bzero(rbd_settings.key, sizeof(rbd_settings.key));
	lun->be_priv = rp;
	return (0);
 fail:
	if (rp->ev != NULL)
		event_free(rp->ev);
	alua_rados_close(lun);
	pr_rados_close(lun, rp->cc.cluster);
	if (rp->watching)
		CEPH(rbd_update_unwatch)(rp->img, rp->watch);
	if (rp->img != NULL)
		CEPH(rbd_close)(rp->img);
	ceph_client_close(&rp->cc);
	if (rp->efd != -1)
		close(rp->efd);
	pthread_mutex_destroy(&rp->lock);
	free(rp);
	return (-1);
}

static void
rbd_fini(struct lun *lun)
{
	struct rbd_priv	*rp = lun->be_priv;

	if (rp == NULL)
		return;
	while (rp->busy > 0 && rbd_poll(lun, 1) > 0)
		;
	if (rp->ev != NULL)
		event_free(rp->ev);
	alua_rados_close(lun);
	pr_rados_close(lun, rp->cc.cluster);
	if (rp->watching)
		CEPH(rbd_update_unwatch)(rp->img, rp->watch);
	CEPH(rbd_close)(rp->img);
	ceph_client_close(&rp->cc);
	close(rp->efd);
	pthread_mutex_destroy(&rp->lock);
	free(rp);
	lun->be_priv = NULL;
}

enum rbd_op { RBD_READ, RBD_WRITE, RBD_FLUSH, RBD_CAW };

/*
 * Start op on cmd in librbd; rbd_reap() ends it.  fua: flush after the
 * write.  cmp: the compare data of RBD_CAW.
 */
static int
rbd_submit(struct lun *lun, struct scsi_cmd *cmd, enum rbd_op op,
    uint8_t *cmp, uint8_t *buf, uint32_t len, uint64_t off, int fua)
{
	struct rbd_priv	*rp = lun->be_priv;
	struct rbd_io	*io = rbd_io(cmd);
	int		 r;

	memset(io, 0, sizeof(*io));
	if ((r = CEPH(rbd_aio_create_completion)(cmd, rbd_complete,
	    &io->comp)) < 0) {
		sbc_io_done(cmd, r);
		return (SCSI_DONE);
	}
	io->fua = fua;
	switch (op) {
	case RBD_READ:
		r = CEPH(rbd_aio_read)(rp->img, off, len, (char *)buf,
		    io->comp);
		break;
	case RBD_WRITE:
		r = CEPH(rbd_aio_write)(rp->img, off, len, (const char *)buf,
		    io->comp);
		break;
	case RBD_FLUSH:
		io->flushing = 1;
		r = CEPH(rbd_aio_flush)(rp->img, io->comp);
		break;
	case RBD_CAW:
		r = CEPH(rbd_aio_compare_and_write)(rp->img, off, len,
		    (const char *)cmp, (const char *)buf, io->comp,
		    &io->mismatch, 0);
		break;
	}
	if (r < 0) {
		CEPH(rbd_aio_release)(io->comp);
		sbc_io_done(cmd, r);
		return (SCSI_DONE);
	}
	rp->busy++;
	return (SCSI_PENDING);
}

static int
rbd_rw(struct lun *lun, struct scsi_cmd *cmd, int write, uint8_t *buf,
    uint32_t len, uint64_t off, int fua)
{
	return (rbd_submit(lun, cmd, write ? RBD_WRITE : RBD_READ, NULL, buf,
	    len, off, write && fua));
}

/* SYNCHRONIZE CACHE: rbd_aio_flush. */
static int
rbd_sync_cmd(struct lun *lun, struct scsi_cmd *cmd)
{
	return (rbd_submit(lun, cmd, RBD_FLUSH, NULL, NULL, 0, 0, 0));
}

/*
 * COMPARE AND WRITE on the OSD: rbd_aio_compare_and_write, within one
 * sector of librbd's and one stripe unit, else -1 and sbc.c does it.
 */
static int
rbd_caw(struct lun *lun, struct scsi_cmd *cmd, uint8_t *cmp, uint8_t *buf,
    uint32_t len, uint64_t off, int fua)
{
	struct rbd_priv	*rp = lun->be_priv;

	if (len == 0 || off % RBD_CAW_SECTOR + len > RBD_CAW_SECTOR ||
	    off / rp->stripe_unit != (off + len - 1) / rp->stripe_unit)
		return (-1);
	return (rbd_submit(lun, cmd, RBD_CAW, cmp, buf, len, off, fua));
}

static int
rbd_sync(struct lun *lun)
{
	struct rbd_priv	*rp = lun->be_priv;
	int		 r;

	if ((r = CEPH(rbd_flush)(rp->img)) < 0) {
		errno = -r;
		return (-1);
	}
	return (0);
}

/* Reap completions; wait for one (at most the cluster timeout) if asked. */
static int
rbd_poll(struct lun *lun, int wait)
{
	struct rbd_priv	*rp = lun->be_priv;
	struct pollfd	 pfd;
	uint64_t	 cnt;
	int		 n;

	if (rp == NULL)
		return (0);
	if ((n = rbd_reap(lun)) > 0 || !wait || rp->busy == 0)
		return (n);
	pfd.fd = rp->efd;
	pfd.events = POLLIN;
	/* librbd times out before this, with ETIMEDOUT */
	if (poll(&pfd, 1, (rbd_settings.timeout + 30) * 1000) <= 0)
		return (-1);
	if (read(rp->efd, &cnt, sizeof(cnt)) == -1 && errno != EAGAIN)
		log_warn("rbd eventfd read");
	return (rbd_reap(lun));
}

static void
rbd_flush_batch(struct lun *lun)
{
	/* every rbd_aio_* call is already on its way */
}

static long
rbd_pio(struct lun *lun, int write, uint8_t *buf, uint32_t len, uint64_t off,
    int fua)
{
	struct rbd_priv	*rp = lun->be_priv;
	ssize_t		 r;
	int		 f;

	if (write)
		r = CEPH(rbd_write)(rp->img, off, len, (const char *)buf);
	else
		r = CEPH(rbd_read)(rp->img, off, len, (char *)buf);
	if (r < 0)
		return (r);
	if (write && fua && (f = CEPH(rbd_flush)(rp->img)) < 0)
		return (f);
	return (r);
}

static int
rbd_fallocate(struct lun *lun, int mode, uint64_t off, uint64_t len)
{
	struct rbd_priv	*rp = lun->be_priv;
	ssize_t		 r;

	if (mode & FALLOC_FL_PUNCH_HOLE)
		r = CEPH(rbd_discard)(rp->img, off, len);
	else if (mode & FALLOC_FL_ZERO_RANGE)
		r = CEPH(rbd_write_zeroes)(rp->img, off, len, 0, 0);
	else {
		errno = EOPNOTSUPP;
		return (-1);
	}
	if (r < 0) {
		errno = -r;
		return (-1);
	}
	return (0);
}

/* rbd_diff_iterate2's walk for rbd_extent() */
struct rbd_walk {
	uint64_t	 off;		/* asked about */
	uint64_t	 next;		/* where its state ends */
	int		 mapped;
	int		 found;		/* the state of off is known */
};

static int
rbd_walk_cb(uint64_t ofs, size_t len, int exists, void *arg)
{
	struct rbd_walk	*w = arg;

	if (!exists)
		return (0);
	if (!w->found) {
		w->found = 1;
		if (ofs > w->off) {		/* a hole up to this extent */
			w->mapped = 0;
			w->next = ofs;
			return (-ECANCELED);
		}
		w->mapped = 1;
		w->next = ofs + len;
		return (0);
	}
	if (ofs > w->next)			/* the mapped run ended */
		return (-ECANCELED);
	w->next = ofs + len;
	return (0);
}

/* GET LBA STATUS: the image's allocated extents, from rbd_diff_iterate2. */
static int
rbd_extent(struct lun *lun, uint64_t off, uint64_t end, int *mapped,
    uint64_t *next)
{
	struct rbd_priv	*rp = lun->be_priv;
	struct rbd_walk	 w;
	int		 r;

	memset(&w, 0, sizeof(w));
	w.off = off;
	r = CEPH(rbd_diff_iterate2)(rp->img, NULL, off, end - off, 1, 0,
	    rbd_walk_cb, &w);
	if (r < 0 && r != -ECANCELED) {
		errno = -r;
		return (-1);
	}
	if (!w.found) {				/* nothing allocated */
		w.mapped = 0;
		w.next = end;
	}
	*mapped = w.mapped;
	*next = w.next > end ? end : w.next;
	return (0);
}

static int
rbd_store_size(struct lun *lun, uint64_t *size)
{
	struct rbd_priv	*rp = lun->be_priv;
	int		 r;

	if ((r = CEPH(rbd_get_size)(rp->img, size)) < 0) {
		errno = -r;
		return (-1);
	}
	return (0);
}

const struct backend backend_rbd = {
	.name = "rbd",
	.flags = BE_F_WORKER,
	.init = rbd_init,
	.fini = rbd_fini,
	.rw = rbd_rw,
	.sync = rbd_sync,
	.poll = rbd_poll,
	.flush = rbd_flush_batch,
	.pio = rbd_pio,
	.fallocate = rbd_fallocate,
	.size = rbd_store_size,
	.extent = rbd_extent,
	.sync_cmd = rbd_sync_cmd,
	.caw = rbd_caw,
};
