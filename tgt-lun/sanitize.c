/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * SANITIZE (SBC-4 5.30): OVERWRITE, BLOCK ERASE, CRYPTO ERASE and EXIT
 * FAILURE MODE.
 *
 * A sanitize operation runs in the background of the LUN process, a
 * slice at a time from an event loop timer, so that the process keeps
 * answering while it runs: INQUIRY, REPORT LUNS and REQUEST SENSE work,
 * every other command ends with NOT READY, LOGICAL UNIT NOT READY,
 * SANITIZE IN PROGRESS (02/04/1B) and the progress indication.  Task
 * management and the loss of the nexus that started it do not stop it
 * (SBC-4 4.11): they end the command (TASK ABORTED, or nothing when the
 * nexus is gone) and the operation goes on.  With IMMED clear the
 * command completes when the operation is done.
 *
 * OVERWRITE writes the pattern OVERWRITE COUNT times at a bounded rate
 * (SAN_SLICE bytes per SAN_TICK_MS), so that a long sanitize does not
 * starve the other LUNs of the disk.  BLOCK ERASE deallocates every
 * block; it exists only on thin-provisioned LUNs (LBPME, reads return
 * zeroes).  CRYPTO ERASE: the store is not encrypted, so the same effect
 * is had by deallocating every block: the old data cannot be read back.
 * It too exists only on thin LUNs, where that is an erase and not an
 * overwrite in disguise; the Block Device Characteristics VPD page
 * reports WABEREQ and WACEREQ 1 there and 0 elsewhere (SBC-4 6.6.2).
 * A failed operation leaves the LUN in the sanitize failure mode (every
 * media access ends with MEDIUM ERROR, SANITIZE COMMAND FAILED,
 * 03/31/03) until EXIT FAILURE MODE or a successful SANITIZE.
 *
 * Without an event loop (unit tests) the operation runs to its end
 * inside the command.
 */

#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "lun.h"
#include "scsi.h"

#define SAN_SLICE		(384u * 1024)	/* bytes per tick */
#define SAN_TICK_MS		50		/* so at most 7.5 MiB/s */

#define ASC_SANITIZE_FAILED		0x3103

static void	sanitize_tick(int, short, void *);

/* Sense key specific bytes: the progress indication, of 65536. */
void
sanitize_progress(const struct lun *lun, uint8_t *sks)
{
	uint64_t	p = 0;

	if (lun->san_total > 0)
		p = (lun->san_done * 65536) / lun->san_total;
	if (p > 65535)
		p = 65535;
	sks[0] = 0x80;				/* SKSV */
	put_be16(&sks[1], (uint16_t)p);
}

/* The sense of a command refused while a sanitize runs. */
void
sanitize_busy(struct scsi_cmd *cmd)
{
	uint8_t		sks[3];

	sanitize_progress(cmd->lun, sks);
	scsi_check_sks(cmd, SK_NOT_READY, ASC_SANITIZE_IN_PROGRESS, sks);
}

/* In the sanitize failure mode, media access ends with MEDIUM ERROR. */
int
sanitize_failed(struct scsi_cmd *cmd)
{
	if (!cmd->lun->san_failed)
		return (0);
	scsi_check(cmd, SK_MEDIUM_ERROR, ASC_SANITIZE_FAILED);
	return (1);
}

static void
sanitize_end(struct lun *lun, int error)
{
	struct scsi_cmd	*cmd = lun->san_cmd;

	lun->san_active = 0;
	lun->san_failed = error;
	free(lun->san_pat);
	free(lun->san_buf);
	lun->san_pat = NULL;
	lun->san_buf = NULL;
	if (lun->san_ev != NULL) {
		event_free(lun->san_ev);
		lun->san_ev = NULL;
	}
	lun->san_cmd = NULL;
	if (cmd == NULL)
		return;
	if (error)
		scsi_check(cmd, SK_MEDIUM_ERROR, ASC_SANITIZE_FAILED);
	else
		cmd->status = SAM_STAT_GOOD;
	if (lun->san_pending)
		scsi_complete(cmd);
	lun->san_pending = 0;
}

/*
 * One slice of an OVERWRITE: up to SAN_SLICE bytes of the pattern.
 * 1 when the operation is over, 0 to go on, -1 on error.
 */
static int
sanitize_step(struct lun *lun)
{
	uint8_t		*buf = lun->san_buf;
	uint64_t	 off, n, i;
	uint32_t	 plen = lun->san_patlen;
	int		 inv;

	if (lun->san_done >= lun->san_total)
		return (1);
	off = lun->san_done % lun->size;
	n = lun->size - off;
	if (n > SAN_SLICE)
		n = SAN_SLICE;
	/* odd passes inverted when INVERT is set (SBC-4 5.30.3) */
	inv = lun->san_invert && ((lun->san_done / lun->size) & 1) &&
	    lun->san_done / lun->size + 1 < lun->san_passes;
	for (i = 0; i < n; i++)
		buf[i] = lun->san_pat[((off + i) % lun->block_size) % plen] ^
		    (inv ? 0xff : 0);
	if (lun->be->pio(lun, 1, buf, n, off, 0) != (long)n)
		return (-1);
	lun->san_done += n;
	if (lun->san_done < lun->san_total)
		return (0);
	return (lun->be->sync(lun) == -1 ? -1 : 1);
}

static void
sanitize_arm(struct lun *lun)
{
	struct timeval	tv = { 0, SAN_TICK_MS * 1000 };

	evtimer_add(lun->san_ev, &tv);
}

static void
sanitize_tick(int fd, short ev, void *arg)
{
	struct lun	*lun = arg;
	int		 r;

	r = sanitize_step(lun);
	if (r == 0) {
		sanitize_arm(lun);
		return;
	}
	sanitize_end(lun, r < 0);
	if (lun->batch_done != NULL)
		lun->batch_done(lun, lun->batch_arg);
}

/* BLOCK and CRYPTO ERASE: deallocate the whole (thin) medium. */
static int
sanitize_erase(struct lun *lun)
{
	if (!lun->thin)
		return (-1);
	return (sbc_punch(lun, 0, lun->size));
}

/* The OVERWRITE parameter list; 0, or -1 with the command ended. */
static int
sanitize_overwrite_param(struct scsi_cmd *cmd, uint16_t plen)
{
	struct lun	*lun = cmd->lun;
	const uint8_t	*p;
	uint16_t	 ipl;

	/* a header and at least one byte, at most one block of pattern */
	if (plen < 5 || plen > lun->block_size + 4) {
		scsi_invalid_cdb(cmd, 7, -1);
		return (-1);
	}
	if (cmd->out_len < plen) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_IU);
		return (-1);
	}
	p = cmd->buf;
	ipl = get_be16(&p[2]);
	if (p[0] & 0x60) {			/* TEST */
		scsi_invalid_param(cmd, 0, 6);
		return (-1);
	}
	if ((p[0] & 0x1f) == 0) {		/* OVERWRITE COUNT */
		scsi_invalid_param(cmd, 0, 4);
		return (-1);
	}
	if (ipl == 0 || ipl > lun->block_size || ipl > plen - 4) {
		scsi_invalid_param(cmd, 2, -1);
		return (-1);
	}
	/* out of shared memory before it is used */
	if ((lun->san_pat = malloc(ipl)) == NULL ||
	    (lun->san_buf = malloc(SAN_SLICE)) == NULL) {
		free(lun->san_pat);
		lun->san_pat = NULL;
		scsi_check(cmd, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
		return (-1);
	}
	memcpy(lun->san_pat, &p[4], ipl);
	lun->san_patlen = ipl;
	lun->san_passes = p[0] & 0x1f;
	lun->san_invert = (p[0] & 0x80) != 0;
	cmd->len = plen;
	return (0);
}

int
sbc_sanitize(struct scsi_cmd *cmd)
{
	struct lun	*lun = cmd->lun;
	uint8_t		 sa = cmd->cdb[1] & 0x1f;
	int		 immed = (cmd->cdb[1] & 0x80) != 0;
	uint16_t	 plen = get_be16(&cmd->cdb[7]);
	int		 i, r;

	/* byte 1 bit 6 (ZNR, zoned only) and bytes 2-6 are reserved */
	if (cmd->cdb[1] & 0x40) {
		scsi_invalid_cdb(cmd, 1, 6);
		return (SCSI_DONE);
	}
	for (i = 2; i < 7; i++)
		if (cmd->cdb[i] != 0) {
			scsi_invalid_cdb(cmd, i, -1);
			return (SCSI_DONE);
		}
	if (lun->ejected) {
		scsi_check(cmd, SK_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
		return (SCSI_DONE);
	}
	if (sa != SANITIZE_OVERWRITE && plen != 0) {
		scsi_invalid_cdb(cmd, 7, -1);
		return (SCSI_DONE);
	}
	if (sa == SANITIZE_EXIT_FAILURE_MODE) {
		lun->san_failed = 0;
		return (SCSI_DONE);
	}
	if (lun->readonly || lun->swp) {
		scsi_check(cmd, SK_DATA_PROTECT, ASC_WRITE_PROTECTED);
		return (SCSI_DONE);
	}
	if (sa == SANITIZE_BLOCK_ERASE && !lun->thin) {
		scsi_invalid_cdb(cmd, 1, 4);
		return (SCSI_DONE);
	}
	if (sa == SANITIZE_OVERWRITE &&
	    sanitize_overwrite_param(cmd, plen) == -1)
		return (SCSI_DONE);

	/* nothing may be in flight under it */
	sbc_quiesce(lun);
	lun->san_failed = 0;
	if (sa != SANITIZE_OVERWRITE) {
		if (sanitize_erase(lun) == -1) {
			lun->san_failed = 1;
			scsi_check(cmd, SK_MEDIUM_ERROR, ASC_SANITIZE_FAILED);
		}
		return (SCSI_DONE);
	}
	lun->san_active = 1;
	lun->san_done = 0;
	lun->san_total = lun->size * lun->san_passes;
	lun->san_cmd = immed ? NULL : cmd;
	lun->san_pending = 0;
	if (lun->evb == NULL ||
	    (lun->san_ev = evtimer_new(lun->evb, sanitize_tick, lun)) == NULL) {
		while ((r = sanitize_step(lun)) == 0)
			;
		sanitize_end(lun, r < 0);
		if (immed)
			cmd->status = SAM_STAT_GOOD;
		return (SCSI_DONE);
	}
	sanitize_arm(lun);
	if (immed)
		return (SCSI_DONE);
	lun->san_pending = 1;
	return (SCSI_PENDING);
}

/*
 * The SANITIZE command was aborted (task management, nexus loss): it
 * ends now, the operation goes on.
 */
void
sanitize_abort(struct lun *lun)
{
	struct scsi_cmd	*cmd = lun->san_cmd;

	if (cmd == NULL)
		return;
	lun->san_cmd = NULL;
	cmd->nexus = NULL;
	cmd->status = SAM_STAT_TASK_ABORTED;
	cmd->sense_len = 0;
	cmd->len = 0;
	if (lun->san_pending)
		scsi_complete(cmd);
	lun->san_pending = 0;
}

/* The ring of a pending SANITIZE went away: complete into the void. */
void
sanitize_detach(struct lun *lun, const void *owner)
{
	if (lun->san_cmd != NULL && lun->san_cmd->owner == owner)
		lun->san_cmd->owner = NULL;
}

void
sanitize_fini(struct lun *lun)
{
	if (lun->san_ev != NULL)
		event_free(lun->san_ev);
	lun->san_ev = NULL;
	free(lun->san_pat);
	free(lun->san_buf);
	lun->san_pat = NULL;
	lun->san_buf = NULL;
	lun->san_active = 0;
	lun->san_cmd = NULL;
}
