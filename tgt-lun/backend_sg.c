/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * The sg backend of a passthrough LUN: CDBs go to a SCSI device through
 * the asynchronous interface of Linux's sg driver (version 3 headers).
 * write(2) of a struct sg_io_hdr starts a command, the descriptor turns
 * readable when one ends, and read(2) returns that command's header:
 * SCSI status, sense, residual, and usr_ptr, the command it was.  The
 * data buffer is the command's own (the ring's data area), no copy is
 * made here.  The driver takes SG_MAX_QUEUE commands per descriptor;
 * more wait on the LUN's in-flight list, unsent, for a slot.  The
 * blocking SG_IO ioctl is never used: one slow command would stall the
 * whole event loop.
 *
 * sg has no way to abort one command: an aborted one is waited for
 * (the device or the kernel's timeout ends it) and then reported as
 * TASK ABORTED.  A device that went away (ENODEV) fails every command
 * with LOGICAL UNIT NOT SUPPORTED.
 */

#include <sys/types.h>

#include <scsi/sg.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "log.h"
#include "lun.h"
#include "scsi.h"

/* A command's state in scsi_cmd.be_space. */
struct sg_cmd {
	int		 sent;		/* in the driver */
};

struct sg_priv {
	struct event	*ev;
	uint32_t	 nsent;
	int		 gone;		/* the device is no more */
};

/* Commands may stay in the device for an hour (a tape's erase, rewind). */
#define SG_TIMEOUT_MS	(3600u * 1000u)

static struct sg_cmd *
sg_cmd(struct scsi_cmd *cmd)
{
	_Static_assert(sizeof(struct sg_cmd) <= sizeof(cmd->be_space),
	    "be_space too small");
	return ((struct sg_cmd *)cmd->be_space);
}

/* Off the in-flight list, and back to the ring. */
static void
sg_finish(struct lun *lun, struct scsi_cmd *cmd)
{
	TAILQ_REMOVE(&lun->inflight, cmd, entry);
	lun->ninflight--;
	cmd->io_pending = 0;
	if (cmd->aborted) {
		cmd->status = SAM_STAT_TASK_ABORTED;
		cmd->sense_len = 0;
		cmd->len = cmd->want = 0;
	}
	pt_complete(cmd);
}

/* The device is gone: LOGICAL UNIT NOT SUPPORTED, as for a bad LUN. */
static void
sg_gone(struct lun *lun)
{
	struct sg_priv	*sp = lun->be_priv;
	struct scsi_cmd	*cmd, *tmp;

	if (sp->ev != NULL && event_pending(sp->ev, EV_READ, NULL)) {
		log_warnx("%s: the device is gone", lun->cfg.path);
		event_del(sp->ev);
	}
	sp->gone = 1;
	sp->nsent = 0;
	TAILQ_FOREACH_SAFE(cmd, &lun->inflight, entry, tmp) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_LUN_NOT_SUPPORTED);
		sg_finish(lun, cmd);
	}
}

/*
 * Hand one command to the driver: 1 sent, 0 no slot (it waits), -1
 * failed (the command is ended with its sense).
 */
static int
sg_send(struct lun *lun, struct scsi_cmd *cmd)
{
	struct sg_priv	*sp = lun->be_priv;
	struct sg_io_hdr h;
	int		 len;

	if (sp->gone) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_LUN_NOT_SUPPORTED);
		return (-1);
	}
	/* the CDB's own length; sg takes at most 16 bytes */
	if ((len = cdb_length(cmd->cdb)) == -1)
		len = cmd->cdb_len;
	if (len > cmd->cdb_len || len > 16) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
		return (-1);
	}
	memset(&h, 0, sizeof(h));
	h.interface_id = 'S';
	h.cmdp = cmd->cdb;
	h.cmd_len = len;
	h.sbp = cmd->sense;
	h.mx_sb_len = sizeof(cmd->sense);
	h.timeout = SG_TIMEOUT_MS;
	h.usr_ptr = cmd;
	/* straight to and from the ring where the driver allows it */
	h.flags = SG_FLAG_DIRECT_IO;
	h.dxferp = cmd->buf;
	if (cmd->in_len > 0) {
		h.dxfer_direction = SG_DXFER_FROM_DEV;
		h.dxfer_len = cmd->in_len;
	} else if (cmd->out_len > 0) {
		h.dxfer_direction = SG_DXFER_TO_DEV;
		h.dxfer_len = cmd->out_len;
	} else {
		h.dxfer_direction = SG_DXFER_NONE;
		h.dxferp = NULL;
	}
	while (write(lun->fd, &h, sizeof(h)) == -1) {
		switch (errno) {
		case EINTR:
			continue;
		case EAGAIN:
		case EDOM:		/* every slot taken */
			return (0);
		case ENODEV:
		case ENXIO:
			/* the caller ends the others (sg_gone()) */
			sp->gone = 1;
			scsi_check(cmd, SK_ILLEGAL_REQUEST,
			    ASC_LUN_NOT_SUPPORTED);
			return (-1);
		case EPERM:		/* the kernel's command filter */
			scsi_check(cmd, SK_ILLEGAL_REQUEST,
			    ASC_INVALID_OPCODE);
			return (-1);
		case ENOMEM:
		case EMSGSIZE:
		case EOVERFLOW:
		case EINVAL:		/* too long for the host */
			scsi_invalid_cdb(cmd, 0, -1);
			return (-1);
		default:
			log_warn("%s: sg write", lun->cfg.path);
			scsi_check(cmd, SK_HARDWARE_ERROR,
			    ASC_INTERNAL_TARGET_FAILURE);
			return (-1);
		}
	}
	sg_cmd(cmd)->sent = 1;
	sp->nsent++;
	return (1);
}

/* Send what waits for a slot, oldest first; end the aborted ones. */
static void
sg_start(struct lun *lun)
{
	struct scsi_cmd	*cmd, *tmp;
	int		 r;

	TAILQ_FOREACH_SAFE(cmd, &lun->inflight, entry, tmp) {
		if (sg_cmd(cmd)->sent)
			continue;
		if (cmd->aborted) {
			sg_finish(lun, cmd);
			continue;
		}
		if ((r = sg_send(lun, cmd)) == 0)
			break;
		if (r == -1)
			sg_finish(lun, cmd);
		if (((struct sg_priv *)lun->be_priv)->gone)
			break;
	}
	if (((struct sg_priv *)lun->be_priv)->gone)
		sg_gone(lun);
}

/*
 * Queue a command for the device: SCSI_PENDING, it completes through
 * scsi_complete(); or SCSI_DONE with its status and sense set.
 */
int
sg_submit(struct lun *lun, struct scsi_cmd *cmd)
{
	struct scsi_cmd	*o;
	int		 r = 0;

	sg_cmd(cmd)->sent = 0;
	/* nobody overtakes a command that waits for a slot */
	TAILQ_FOREACH(o, &lun->inflight, entry)
		if (!sg_cmd(o)->sent)
			break;
	if (o == NULL && (r = sg_send(lun, cmd)) == -1) {
		if (((struct sg_priv *)lun->be_priv)->gone)
			sg_gone(lun);
		return (SCSI_DONE);
	}
	cmd->io_pending = 1;
	TAILQ_INSERT_TAIL(&lun->inflight, cmd, entry);
	lun->ninflight++;
	return (SCSI_PENDING);
}

/* The outcome of one command, as the driver returned it. */
static void
sg_result(struct scsi_cmd *cmd, const struct sg_io_hdr *h)
{
	uint32_t	xfer = cmd->in_len > 0 ? cmd->in_len : cmd->out_len;
	uint32_t	resid;

	cmd->sense_len = 0;
	cmd->len = cmd->want = 0;
	if (h->host_status == 0x01 || h->host_status == 0x04) {
		/* DID_NO_CONNECT, DID_BAD_TARGET: no such device */
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_LUN_NOT_SUPPORTED);
		return;
	}
	if (h->host_status != 0 || (h->status == 0 &&
	    (h->driver_status & 0x0f) != 0)) {
		/* the transport failed (timeout, reset...): retry it */
		log_debug("sg: host status %#x driver status %#x",
		    h->host_status, h->driver_status);
		scsi_check(cmd, SK_ABORTED_COMMAND,
		    ASC_INTERNAL_TARGET_FAILURE);
		return;
	}
	cmd->status = h->status;
	if (h->sb_len_wr > 0)
		cmd->sense_len = h->sb_len_wr < sizeof(cmd->sense) ?
		    h->sb_len_wr : sizeof(cmd->sense);
	resid = h->resid > 0 ? (uint32_t)h->resid : 0;
	if (resid > xfer)
		resid = xfer;
	cmd->len = xfer - resid;
	cmd->want = cmd->len;
}

/* Read what the driver has finished; the count, or -1 (gone). */
static int
sg_reap(struct lun *lun)
{
	struct sg_priv	*sp = lun->be_priv;
	struct sg_io_hdr h;
	struct scsi_cmd	*cmd;
	ssize_t		 r;
	int		 n = 0;

	/* even with nothing sent: a read tells a vanished device (ENODEV) */
	for (;;) {
		memset(&h, 0, sizeof(h));
		h.interface_id = 'S';
		h.pack_id = -1;
		if ((r = read(lun->fd, &h, sizeof(h))) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			/*
			 * The data went nowhere: the command's ring was
			 * removed (its portal died) while the device worked.
			 * The header is there; the command ends as any.
			 */
			if (errno == EFAULT && h.usr_ptr != NULL)
				r = sizeof(h);
		}
		if (r == -1) {
			log_warn("%s: sg read", lun->cfg.path);
			sg_gone(lun);
			return (-1);
		}
		if (r != sizeof(h)) {
			log_warnx("%s: sg read: %zd bytes", lun->cfg.path, r);
			sg_gone(lun);
			return (-1);
		}
		/* usr_ptr is ours, echoed by the kernel: still, look it up */
		TAILQ_FOREACH(cmd, &lun->inflight, entry)
			if (cmd == h.usr_ptr && sg_cmd(cmd)->sent)
				break;
		if (cmd == NULL) {
			log_warnx("%s: sg completion for no command",
			    lun->cfg.path);
			continue;
		}
		sp->nsent--;
		sg_cmd(cmd)->sent = 0;
		sg_result(cmd, &h);
		sg_finish(lun, cmd);
		n++;
	}
	/* slots are free: the waiting ones go */
	sg_start(lun);
	return (n);
}

static void
sg_event(evutil_socket_t fd, short ev, void *arg)
{
	struct lun	*lun = arg;

	if (sg_reap(lun) != 0 && lun->batch_done != NULL)
		lun->batch_done(lun, lun->batch_arg);
}

static int
sg_init(struct lun *lun, char *err, size_t errlen)
{
	struct sg_priv	*sp;
	int		 fl;

	/* completions are read when the event loop says so */
	if ((fl = fcntl(lun->fd, F_GETFL)) == -1 ||
	    fcntl(lun->fd, F_SETFL, fl | O_NONBLOCK) == -1) {
		snprintf(err, errlen, "fcntl: %s", strerror(errno));
		return (-1);
	}
	if ((sp = calloc(1, sizeof(*sp))) == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return (-1);
	}
	if (lun->evb != NULL) {
		sp->ev = event_new(lun->evb, lun->fd, EV_READ | EV_PERSIST,
		    sg_event, lun);
		if (sp->ev == NULL || event_add(sp->ev, NULL) == -1) {
			snprintf(err, errlen, "cannot watch the sg device");
			if (sp->ev != NULL)
				event_free(sp->ev);
			free(sp);
			return (-1);
		}
	}
	lun->be_priv = sp;
	return (0);
}

/* Wait for what is in flight (or give up if the device is gone). */
static int
sg_poll(struct lun *lun, int wait)
{
	struct sg_priv	*sp = lun->be_priv;
	struct pollfd	 pfd;
	int		 n;

	if (sp == NULL)
		return (0);
	if ((n = sg_reap(lun)) != 0 || !wait)
		return (n);
	if (sp->nsent == 0) {
		/* nothing in the driver: only unsent commands, if any */
		n = lun->ninflight;
		sg_start(lun);
		if ((n -= lun->ninflight) != 0 || sp->nsent == 0)
			return (n);
	}
	pfd.fd = lun->fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
		return (-1);
	return (sg_reap(lun));
}

static void
sg_flush(struct lun *lun)
{
	sg_start(lun);
}

static void
sg_fini(struct lun *lun)
{
	struct sg_priv	*sp = lun->be_priv;

	if (sp == NULL)
		return;
	while (lun->ninflight > 0 && sg_poll(lun, 1) > 0)
		;
	if (sp->ev != NULL)
		event_free(sp->ev);
	free(sp);
	lun->be_priv = NULL;
}

/*
 * No rw, sync, pio or fallocate: a passthrough LUN's commands never
 * reach the emulated SBC code, they go to sg_submit() whole.
 */
const struct backend backend_sg = {
	.name = "sg",
	.init = sg_init,
	.fini = sg_fini,
	.poll = sg_poll,
	.flush = sg_flush,
};
