/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * EXTENDED COPY (LID1) and RECEIVE COPY RESULTS (SPC-4 6.3, 6.18): the
 * copy manager of a LUN process.
 *
 * Supported: identification descriptor target descriptors (E4h) naming
 * a block device by its NAA designator, block to block segment
 * descriptors (02h).  A target descriptor names this LUN, or another
 * LUN of the same target: then the copy waits while the master, asked
 * for that designator (MSG_LUN_XCOPY_REQ), hands over a read-only
 * descriptor of that LUN's backing store (the LUN process never opens a
 * file, and holds another LUN's store only while a copy that names it
 * runs; it is closed when the copy ends).  A copy reads from any of them
 * and writes to this LUN only, so every write goes through the
 * reservations and the write protection of the LUN that holds the data.
 * A designator the master does not know in this target ends the copy
 * with COPY ABORTED, COPY TARGET DEVICE NOT REACHABLE.  One copy waits
 * for the master at a time; another one meanwhile gets BUSY.  Task
 * management and the loss of its nexus end a waiting copy (TASK
 * ABORTED); the descriptor that arrives after is closed.
 *
 * The copy runs synchronously in the LUN process with a bounded bounce
 * buffer, after the transfers in flight have drained, so it is atomic
 * with respect to the other commands of this LUN.  With LIST ID USAGE
 * 00b or 01b the copy status is held per I_T nexus for RECEIVE COPY
 * RESULTS (COPY STATUS), which returns it once.
 */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "lun.h"
#include "scsi.h"

#define XC_MAX_TGT		2	/* target descriptors */
#define XC_MAX_SEG		2	/* segment descriptors */
#define XC_MAX_DESC_LEN		1024	/* descriptor list length */
#define XC_MAX_SEG_BLOCKS	65535	/* NUMBER OF BLOCKS is 16 bits */
#define XC_HDR			16
#define XC_TGT_LEN		32
#define XC_B2B_LEN		28
#define XC_CHUNK		(1u << 20)

#define XC_TGT_IDENT		0xe4
#define XC_SEG_B2B		0x02

#define ASC_TOO_MANY_TGT_DESC		0x2606
#define ASC_UNSUPP_TGT_DESC		0x2607
#define ASC_TOO_MANY_SEG_DESC		0x2608
#define ASC_UNSUPP_SEG_DESC		0x2609
#define ASC_COPY_TARGET_UNREACHABLE	0x0d02

#define RCR_COPY_STATUS		0x00
#define RCR_OP_PARAMS		0x03

/* A copy target: a LUN's store. */
struct xc_tgt {
	int		 fd;		/* -1: not resolved yet */
	uint32_t	 bs;
	uint64_t	 nblocks;
	int		 writable;
	int		 self;
	int		 owned;		/* fd from the master: close it */
	uint8_t		 naa[16];	/* the designator, as named */
};

/* An EXTENDED COPY between its checks and its end. */
struct xc_job {
	struct scsi_cmd	*cmd;
	uint8_t		*pl;		/* private copy of the list */
	uint32_t	 tdl;
	uint32_t	 sdl;
	uint32_t	 ntgt;
	uint8_t		 list_id;
	uint8_t		 usage;
	uint32_t	 asked;		/* tgt[] index the master was asked */
	uint32_t	 reqid;
	struct xc_tgt	 tgt[XC_MAX_TGT];
};

/* The copy waiting for the master, if any. */
static struct xc_job	*xc_wait;
static uint32_t		 xc_reqid;

static void	 xcopy_run(struct xc_job *);
static int	 xcopy_offload(struct xc_job *);

/* Does the designator of a target descriptor name this NAA? */
static int
xcopy_naa_match(const uint8_t *d, const uint8_t *naa)
{
	uint32_t	l = (naa[0] >> 4) == 6 ? 16 : 8;

	/* code set binary, association LU, type NAA */
	return ((d[0] & 0x0f) == 0x01 && (d[1] & 0x3f) == 0x03 &&
	    d[3] == l && memcmp(&d[4], naa, l) == 0);
}

/*
 * Check an identification target descriptor and resolve it when it names
 * this LUN.  0, or -1 with the command ended.
 */
static int
xcopy_target(struct scsi_cmd *cmd, const uint8_t *d, uint32_t off,
    struct xc_tgt *t)
{
	struct lun	*lun = cmd->lun;

	if (d[0] != XC_TGT_IDENT) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_UNSUPP_TGT_DESC);
		return (-1);
	}
	/*
	 * SPC-4 ignores LU ID TYPE (the designator says which LU) and
	 * made NUL obsolete; only block devices can be copied.
	 */
	if ((d[1] & 0x1f) != TYPE_DISK) {	/* PERIPHERAL DEVICE TYPE */
		scsi_invalid_param(cmd, off + 1, 4);
		return (-1);
	}
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if (xcopy_naa_match(&d[4], lun->cfg.naa)) {
		t->fd = lun->fd;
		t->bs = lun->block_size;
		t->nblocks = lun->nblocks;
		t->writable = !lun->readonly && !lun->swp;
		t->self = 1;
		return (0);
	}
	/* an NAA designator of 8 or 16 bytes, asked for later */
	if ((d[4] & 0x0f) != 0x01 || (d[5] & 0x3f) != 0x03 ||
	    (d[7] != 8 && d[7] != 16) || (d[7] == 16) != ((d[8] >> 4) == 6)) {
		scsi_check(cmd, SK_COPY_ABORTED, ASC_COPY_TARGET_UNREACHABLE);
		return (-1);
	}
	memcpy(t->naa, &d[8], d[7]);
	return (0);
}

static void
xcopy_job_free(struct xc_job *job)
{
	uint32_t	i;

	for (i = 0; i < job->ntgt; i++)
		if (job->tgt[i].owned && job->tgt[i].fd != -1)
			close(job->tgt[i].fd);
	free(job->pl);
	free(job);
}

/*
 * Ask the master for the first source not resolved yet.  1 when the job
 * waits for it, 0 when every target is resolved, -1 with the command
 * ended.
 */
static int
xcopy_resolve(struct xc_job *job)
{
	struct lun	*lun = job->cmd->lun;
	uint32_t	 i;

	/* this LUN is resolved, even without a descriptor (backend null) */
	for (i = 0; i < job->ntgt; i++)
		if (!job->tgt[i].self && job->tgt[i].fd == -1)
			break;
	if (i == job->ntgt)
		return (0);
	if (lun->xcopy_ask == NULL) {
		scsi_check(job->cmd, SK_COPY_ABORTED,
		    ASC_COPY_TARGET_UNREACHABLE);
		return (-1);
	}
	job->asked = i;
	job->reqid = ++xc_reqid;
	if (lun->xcopy_ask(lun, job->tgt[i].naa, job->reqid) == -1) {
		scsi_check(job->cmd, SK_HARDWARE_ERROR,
		    ASC_INTERNAL_TARGET_FAILURE);
		return (-1);
	}
	xc_wait = job;
	return (1);
}

/* The waiting copy ends now (its command completes). */
static void
xcopy_finish(struct xc_job *job)
{
	struct scsi_cmd	*cmd = job->cmd;

	if (xc_wait == job)
		xc_wait = NULL;
	xcopy_job_free(job);
	cmd->done(cmd);
}

/*
 * The master's answer: fd -1 when it knows no LUN of this target with
 * that designator.  An answer nobody waits for any more is closed.
 */
void
xcopy_peer_reply(struct lun *lun, uint32_t reqid, const uint8_t *naa,
    int fd, uint32_t block_size, uint64_t nblocks)
{
	struct xc_job	*job = xc_wait;
	struct xc_tgt	*t;

	if (job == NULL || job->reqid != reqid ||
	    memcmp(job->tgt[job->asked].naa, naa, 16) != 0) {
		if (fd != -1)
			close(fd);
		return;
	}
	xc_wait = NULL;
	if (fd == -1 || block_size == 0 || nblocks == 0) {
		scsi_check(job->cmd, SK_COPY_ABORTED,
		    ASC_COPY_TARGET_UNREACHABLE);
		xcopy_finish(job);
		if (lun->batch_done != NULL)
			lun->batch_done(lun, lun->batch_arg);
		return;
	}
	t = &job->tgt[job->asked];
	t->fd = fd;
	t->owned = 1;
	t->bs = block_size;
	t->nblocks = nblocks;
	t->writable = 0;
	switch (xcopy_resolve(job)) {
	case 1:
		return;
	case 0:
		if (xcopy_offload(job))
			return;
		xcopy_run(job);
		break;
	}
	xcopy_finish(job);
	/* outside the ring's own processing: publish the completion */
	if (lun->batch_done != NULL)
		lun->batch_done(lun, lun->batch_arg);
}

static int
xcopy_worker(struct scsi_cmd *cmd)
{
	struct xc_job	*job = cmd->arg;

	xcopy_run(job);
	xcopy_job_free(job);
	return (SCSI_DONE);
}

static void
xcopy_drop(struct scsi_cmd *cmd)
{
	xcopy_job_free(cmd->arg);
}

/*
 * Every target resolved: the copy runs on the worker thread if the
 * backend has one (1: the command completes from there), else here (0).
 */
static int
xcopy_offload(struct xc_job *job)
{
	job->cmd->arg = job;
	return (lun_offload_fn(job->cmd, 1, xcopy_worker, xcopy_drop));
}

/* Task management or nexus loss: a waiting copy that matches ends. */
void
xcopy_abort(struct lun *lun, int (*match)(struct scsi_cmd *, void *),
    void *arg)
{
	struct xc_job	*job = xc_wait;

	if (job == NULL || job->cmd->lun != lun || !match(job->cmd, arg))
		return;
	job->cmd->status = SAM_STAT_TASK_ABORTED;
	job->cmd->sense_len = 0;
	job->cmd->len = 0;
	job->cmd->aborted = 1;
	xcopy_finish(job);
}

/* The ring of the waiting copy went away: it completes into the void. */
void
xcopy_detach(struct lun *lun, const void *owner)
{
	if (xc_wait != NULL && xc_wait->cmd->lun == lun &&
	    xc_wait->cmd->owner == owner)
		xc_wait->cmd->owner = NULL;
}

static void
xcopy_hold(struct scsi_cmd *cmd, uint8_t list_id, uint8_t usage,
    uint16_t segs, uint64_t bytes)
{
	struct nexus	*nx = cmd->nexus;

	if (nx == NULL || (usage != 0 && usage != 1))
		return;
	nx->xc_held = 1;
	nx->xc_list_id = list_id;
	nx->xc_status = cmd->status == SAM_STAT_GOOD ? 0x01 : 0x02;
	nx->xc_segs = segs;
	nx->xc_bytes = bytes;
}

/* This LUN's store through its backend (it may have none), or a peer's. */
static long
xcopy_io(struct lun *lun, const struct xc_tgt *t, int write, uint8_t *buf,
    uint32_t len, uint64_t off)
{
	if (t->self)
		return (lun->be->pio(lun, write, buf, len, off, 0));
	return (rdwr_io(t->fd, write, buf, len, off, 0));
}

/* Copy count blocks of one segment; 0, or -1 with the command ended. */
static int
xcopy_segment(struct scsi_cmd *cmd, const struct xc_tgt *src,
    const struct xc_tgt *dst, uint64_t slba, uint64_t dlba, uint64_t bytes,
    uint8_t *buf)
{
	uint64_t	soff = slba * src->bs, doff = dlba * dst->bs, n;

	while (bytes > 0) {
		n = bytes < XC_CHUNK ? bytes : XC_CHUNK;
		if (xcopy_io(cmd->lun, src, 0, buf, n, soff) != (long)n ||
		    xcopy_io(cmd->lun, dst, 1, buf, n, doff) != (long)n) {
			/* THIRD PARTY DEVICE FAILURE */
			scsi_check(cmd, SK_COPY_ABORTED, 0x0d01);
			return (-1);
		}
		soff += n;
		doff += n;
		bytes -= n;
	}
	return (0);
}

int
spc_extended_copy(struct scsi_cmd *cmd)
{
	struct xc_job	*job = NULL;
	uint8_t		*pl, *s;
	uint32_t	 plen = get_be32(&cmd->cdb[10]);
	uint32_t	 tdl, sdl, inl, ntgt, nseg, off, dlen, i;

	if ((cmd->cdb[1] & 0x1f) != 0) {	/* LID1 only */
		scsi_invalid_cdb(cmd, 1, 4);
		return (SCSI_DONE);
	}
	if (plen == 0)
		return (SCSI_DONE);
	if (plen < XC_HDR) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST,
		    ASC_PARAM_LIST_LENGTH_ERROR);
		return (SCSI_DONE);
	}
	if (cmd->out_len < plen) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_IU);
		return (SCSI_DONE);
	}
	if (xc_wait != NULL) {
		/* one copy at a time (RECEIVE COPY RESULTS says so) */
		cmd->status = SAM_STAT_BUSY;
		return (SCSI_DONE);
	}
	cmd->want = cmd->len = plen;
	/* a private copy: the ring's data area is shared memory */
	if ((job = calloc(1, sizeof(*job))) == NULL ||
	    (job->pl = malloc(plen)) == NULL)
		goto nomem;
	job->cmd = cmd;
	pl = job->pl;
	memcpy(pl, cmd->buf, plen);
	job->list_id = pl[0];
	job->usage = (pl[1] >> 3) & 0x03;
	tdl = get_be16(&pl[2]);
	sdl = get_be32(&pl[8]);
	inl = get_be32(&pl[12]);

	if ((uint64_t)tdl + sdl + inl > XC_MAX_DESC_LEN ||
	    (uint64_t)XC_HDR + tdl + sdl + inl > plen) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST,
		    ASC_PARAM_LIST_LENGTH_ERROR);
		goto out;
	}
	if (inl != 0) {
		scsi_invalid_param(cmd, 12, -1);
		goto out;
	}
	if (tdl % XC_TGT_LEN != 0) {
		scsi_invalid_param(cmd, 2, -1);
		goto out;
	}
	ntgt = tdl / XC_TGT_LEN;
	if (ntgt > XC_MAX_TGT) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_TOO_MANY_TGT_DESC);
		goto out;
	}
	/* count the segment descriptors, each at least a header */
	for (nseg = 0, off = 0; off < sdl; nseg++) {
		if (sdl - off < 4) {
			scsi_invalid_param(cmd, XC_HDR + tdl + off, -1);
			goto out;
		}
		off += 4 + get_be16(&pl[XC_HDR + tdl + off + 2]);
	}
	if (nseg > XC_MAX_SEG) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_TOO_MANY_SEG_DESC);
		goto out;
	}
	for (i = 0; i < ntgt; i++)
		if (pl[XC_HDR + i * XC_TGT_LEN] != XC_TGT_IDENT) {
			scsi_check(cmd, SK_ILLEGAL_REQUEST,
			    ASC_UNSUPP_TGT_DESC);
			goto out;
		}
	for (off = 0; off < sdl; off += 4 + dlen) {
		s = &pl[XC_HDR + tdl + off];
		dlen = get_be16(&s[2]);
		if (s[0] != XC_SEG_B2B) {
			scsi_check(cmd, SK_ILLEGAL_REQUEST,
			    ASC_UNSUPP_SEG_DESC);
			goto out;
		}
		if (dlen != XC_B2B_LEN - 4 || off + 4 + dlen > sdl) {
			scsi_invalid_param(cmd, XC_HDR + tdl + off + 2, -1);
			goto out;
		}
	}
	job->tdl = tdl;
	job->sdl = sdl;
	for (i = 0; i < ntgt; i++) {
		if (xcopy_target(cmd, &pl[XC_HDR + i * XC_TGT_LEN],
		    XC_HDR + i * XC_TGT_LEN, &job->tgt[i]) == -1)
			goto out;
		job->ntgt = i + 1;
	}
	switch (xcopy_resolve(job)) {
	case 1:
		return (SCSI_PENDING);
	case 0:
		if (xcopy_offload(job))
			return (SCSI_PENDING);
		xcopy_run(job);
		break;
	}
	goto out;
 nomem:
	scsi_check(cmd, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
 out:
	if (job != NULL)
		xcopy_job_free(job);
	return (SCSI_DONE);
}

/* Every target resolved: run the segments, hold the status. */
static void
xcopy_run(struct xc_job *job)
{
	struct scsi_cmd	*cmd = job->cmd;
	struct lun	*lun = cmd->lun;
	struct xc_tgt	*src, *dst;
	uint8_t		*buf, *s;
	uint32_t	 tdl = job->tdl, off;
	uint64_t	 slba, dlba, nblk, bytes, total = 0;
	uint16_t	 si, di, done = 0;

	/* a SANITIZE that began while this copy waited for the master */
	if (lun->san_active) {
		sanitize_busy(cmd);
		return;
	}
	if ((buf = malloc(XC_CHUNK)) == NULL) {
		scsi_check(cmd, SK_HARDWARE_ERROR,
		    ASC_INTERNAL_TARGET_FAILURE);
		return;
	}
	sbc_quiesce(lun);
	for (off = 0; off < job->sdl; off += XC_B2B_LEN) {
		s = &job->pl[XC_HDR + tdl + off];
		si = get_be16(&s[4]);
		di = get_be16(&s[6]);
		if (si >= job->ntgt || di >= job->ntgt) {
			scsi_check(cmd, SK_COPY_ABORTED,
			    ASC_COPY_TARGET_UNREACHABLE);
			break;
		}
		src = &job->tgt[si];
		dst = &job->tgt[di];
		nblk = get_be16(&s[10]);
		slba = get_be64(&s[12]);
		dlba = get_be64(&s[20]);
		/* DC: NUMBER OF BLOCKS counts destination blocks */
		bytes = nblk * ((s[1] & 0x02) ? dst->bs : src->bs);
		if (bytes % src->bs || bytes % dst->bs) {
			scsi_invalid_param(cmd, XC_HDR + tdl + off + 10, -1);
			break;
		}
		if (!dst->self) {
			/* another LUN writes its own data */
			scsi_invalid_param(cmd, XC_HDR + tdl + off + 6, -1);
			break;
		}
		if (!dst->writable) {
			scsi_check(cmd, SK_DATA_PROTECT, ASC_WRITE_PROTECTED);
			break;
		}
		if (slba > src->nblocks || bytes / src->bs >
		    src->nblocks - slba || dlba > dst->nblocks ||
		    bytes / dst->bs > dst->nblocks - dlba) {
			/* the segment's range is not on its device */
			scsi_check_info(cmd, SK_COPY_ABORTED,
			    ASC_NO_ADDITIONAL_SENSE, done, 1);
			break;
		}
		if (xcopy_segment(cmd, src, dst, slba, dlba, bytes, buf) == -1)
			break;
		if (!lun->wce && lun->be->sync(lun) == -1) {
			scsi_check(cmd, SK_MEDIUM_ERROR, ASC_WRITE_ERROR);
			break;
		}
		total += bytes;
		done++;
	}
	xcopy_hold(cmd, job->list_id, job->usage, done, total);
	free(buf);
}

int
spc_receive_copy_results(struct scsi_cmd *cmd)
{
	struct nexus	*nx = cmd->nexus;
	uint8_t		 b[64];
	uint32_t	 alloc = get_be32(&cmd->cdb[10]), n;
	uint8_t		 list_id = cmd->cdb[2];
	static const uint8_t descs[] = { XC_SEG_B2B, XC_TGT_IDENT };

	memset(b, 0, sizeof(b));
	switch (cmd->cdb[1] & 0x1f) {
	case RCR_COPY_STATUS:
		if (nx == NULL || !nx->xc_held || nx->xc_list_id != list_id) {
			scsi_invalid_cdb(cmd, 2, -1);
			return (SCSI_DONE);
		}
		put_be32(&b[0], 8);
		b[4] = nx->xc_status;
		put_be16(&b[5], nx->xc_segs);
		b[7] = 0x01;			/* transfer count in KiB */
		put_be32(&b[8], (uint32_t)(nx->xc_bytes >> 10));
		n = 12;
		nx->xc_held = 0;		/* returned once */
		break;
	case RCR_OP_PARAMS:
		b[4] = 0x01;			/* SNLID */
		put_be16(&b[8], XC_MAX_TGT);
		put_be16(&b[10], XC_MAX_SEG);
		put_be32(&b[12], XC_MAX_DESC_LEN);
		put_be32(&b[16], XC_MAX_SEG_BLOCKS * cmd->lun->block_size);
		put_be32(&b[20], 0);		/* no inline data */
		put_be32(&b[24], 0);		/* no held data */
		put_be16(&b[34], 1);		/* total concurrent copies */
		b[36] = 1;
		b[37] = cmd->lun->block_shift;	/* data segment granularity */
		b[43] = sizeof(descs);
		memcpy(&b[44], descs, sizeof(descs));
		n = 44 + sizeof(descs);
		put_be32(&b[0], n - 4);
		break;
	default:
		scsi_invalid_cdb(cmd, 1, 4);
		return (SCSI_DONE);
	}
	scsi_data_in(cmd, b, n, alloc);
	return (SCSI_DONE);
}

/* Third-party Copy VPD page (SPC-4 7.8.17): the commands supported. */
uint32_t
vpd_third_party_copy(uint8_t *b)
{
	static const uint8_t cmds[] = {
		EXTENDED_COPY, 1, 0x00,			/* LID1 */
		RECEIVE_COPY_RESULTS, 2, RCR_COPY_STATUS, RCR_OP_PARAMS,
	};
	uint32_t	l;

	b[1] = VPD_THIRD_PARTY_COPY;
	/* Supported Commands descriptor, padded to a multiple of 4 */
	put_be16(&b[4], 0x0001);
	l = (1 + sizeof(cmds) + 3) & ~3u;
	put_be16(&b[6], l);
	memset(&b[8], 0, l);
	b[8] = sizeof(cmds);
	memcpy(&b[9], cmds, sizeof(cmds));
	put_be16(&b[2], 4 + l);
	return (8 + l);
}
