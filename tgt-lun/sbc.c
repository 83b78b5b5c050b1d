/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * SCSI block commands (SBC-3): media access and capacity.
 *
 * Transfer length against the expected transfer length (the buffer the
 * portal gave us): a read sends what fits and reports in cmd->want what
 * it would have sent, so the portal can report the residual overflow.
 * A write whose Data-Out is shorter than the CDB asks for writes nothing
 * and ends with INVALID FIELD IN INFORMATION UNIT (one of the two
 * behaviours FCP-4 and SAM-5 allow), with want set likewise.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "lun.h"
#include "scsi.h"

#define ASC_MEDIUM_REMOVAL_PREVENTED	0x5302

/* Largest transfer in blocks: what fits in the ring, at most 8 MiB. */
uint32_t
sbc_max_xfer_blocks(const struct scsi_cmd *cmd)
{
	uint32_t	bytes = LUN_MAX_XFER;

	if (cmd->port != NULL && cmd->port->data_size != 0 &&
	    cmd->port->data_size < bytes)
		bytes = cmd->port->data_size;
	return (bytes >> cmd->lun->block_shift);
}

static int
sbc_medium_check(struct scsi_cmd *cmd)
{
	if (cmd->lun->ejected) {
		scsi_check(cmd, SK_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
		return (-1);
	}
	return (0);
}

static int
sbc_write_check(struct scsi_cmd *cmd)
{
	if (cmd->lun->readonly || cmd->lun->swp) {
		scsi_check(cmd, SK_DATA_PROTECT, ASC_WRITE_PROTECTED);
		return (-1);
	}
	return (0);
}

/* Called by the backend when a transfer ended (res: bytes or -errno). */
void
sbc_io_done(struct scsi_cmd *cmd, long res)
{
	struct lun	*lun = cmd->lun;
	int		 pending = cmd->io_pending;

	if (pending) {
		TAILQ_REMOVE(&lun->inflight, cmd, entry);
		lun->ninflight--;
		cmd->io_pending = 0;
	}
	if (pending && cmd->aborted) {
		cmd->status = SAM_STAT_TASK_ABORTED;
		cmd->sense_len = 0;
		cmd->len = 0;
	} else if (res < 0 || (unsigned long)res != cmd->io_len) {
		scsi_check(cmd, SK_MEDIUM_ERROR, cmd->io_write ?
		    ASC_WRITE_ERROR : ASC_UNRECOVERED_READ_ERROR);
		cmd->len = 0;
	} else {
		cmd->status = SAM_STAT_GOOD;
		cmd->len = cmd->io_len;
	}
	if (pending)
		scsi_complete(cmd);
}

static int
sbc_submit(struct scsi_cmd *cmd, int write, uint32_t len, int fua)
{
	struct lun	*lun = cmd->lun;
	int		 r;

	cmd->io_len = len;
	cmd->io_write = write;
	cmd->io_pending = 0;
	if (len == 0) {
		cmd->status = SAM_STAT_GOOD;
		cmd->len = 0;
		return (SCSI_DONE);
	}
	r = lun->be->rw(lun, cmd, write, cmd->buf, len,
	    cmd->lba << lun->block_shift, fua);
	if (r == SCSI_PENDING) {
		cmd->io_pending = 1;
		TAILQ_INSERT_TAIL(&lun->inflight, cmd, entry);
		lun->ninflight++;
	}
	return (r);
}

/* Common checks of READ/WRITE/VERIFY: protect field, range, size. */
static int
sbc_rw_prepare(struct scsi_cmd *cmd, uint64_t *need)
{
	/* RDPROTECT/WRPROTECT/VRPROTECT: no protection information. */
	if (cmd->cdb[0] != READ_6 && cmd->cdb[0] != WRITE_6 &&
	    (cmd->cdb[1] & 0xe0)) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
		return (-1);
	}
	if (sbc_medium_check(cmd) == -1 || cdb_decode_rw(cmd) == -1)
		return (-1);
	if (cmd->nblocks > sbc_max_xfer_blocks(cmd)) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
		return (-1);
	}
	*need = (uint64_t)cmd->nblocks << cmd->lun->block_shift;
	return (0);
}

int
sbc_read(struct scsi_cmd *cmd)
{
	uint64_t	need;
	uint32_t	n;

	if (sbc_rw_prepare(cmd, &need) == -1)
		return (SCSI_DONE);
	cmd->want = need;
	n = need < cmd->in_len ? need : cmd->in_len;
	return (sbc_submit(cmd, 0, n, 0));
}

int
sbc_write(struct scsi_cmd *cmd)
{
	uint64_t	need;

	if (sbc_rw_prepare(cmd, &need) == -1 || sbc_write_check(cmd) == -1)
		return (SCSI_DONE);
	if (cmd->out_len < need) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_IU);
		cmd->want = need;
		return (SCSI_DONE);
	}
	cmd->want = need;
	/* With the write cache off every write is write-through. */
	return (sbc_submit(cmd, 1, need, cmd->fua || !cmd->lun->wce));
}

/*
 * VERIFY 10/12/16.  BYTCHK 0: medium verification only (the range is
 * checked); 1: compare the Data-Out with the medium; 3: compare one
 * block of Data-Out with every block of the range.
 */
int
sbc_verify(struct scsi_cmd *cmd)
{
	struct lun	*lun = cmd->lun;
	uint64_t	 need, i;
	uint32_t	 bs = lun->block_size, dlen;
	uint8_t		*medium, *ref;
	long		 r;
	int		 bytchk = (cmd->cdb[1] >> 1) & 3;

	if (bytchk == 2) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
		return (SCSI_DONE);
	}
	if (sbc_rw_prepare(cmd, &need) == -1)
		return (SCSI_DONE);
	if (bytchk == 0 || need == 0)
		return (SCSI_DONE);
	dlen = bytchk == 1 ? need : bs;
	cmd->want = dlen;
	if (cmd->out_len < dlen) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_IU);
		return (SCSI_DONE);
	}
	if ((medium = malloc(need)) == NULL || (ref = malloc(dlen)) == NULL) {
		free(medium);
		scsi_check(cmd, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
		return (SCSI_DONE);
	}
	/* the Data-Out is in shared memory: compare a private copy */
	memcpy(ref, cmd->buf, dlen);
	cmd->len = dlen;
	r = rdwr_io(lun->fd, 0, medium, need, cmd->lba << lun->block_shift,
	    0);
	if (r != (long)need) {
		scsi_check(cmd, SK_MEDIUM_ERROR, ASC_UNRECOVERED_READ_ERROR);
		goto out;
	}
	for (i = 0; i < need; i++) {
		if (medium[i] != ref[bytchk == 1 ? i : i % bs]) {
			scsi_check_info(cmd, SK_MISCOMPARE,
			    ASC_MISCOMPARE_VERIFY, i, 1);
			break;
		}
	}
 out:
	free(medium);
	free(ref);
	return (SCSI_DONE);
}

/* SYNCHRONIZE CACHE 10/16; IMMED is honoured by completing after. */
int
sbc_sync_cache(struct scsi_cmd *cmd)
{
	if (sbc_medium_check(cmd) == -1 || cdb_decode_rw(cmd) == -1)
		return (SCSI_DONE);
	if (cmd->lun->be->sync(cmd->lun) == -1)
		scsi_check(cmd, SK_MEDIUM_ERROR, ASC_WRITE_ERROR);
	return (SCSI_DONE);
}

int
sbc_prefetch(struct scsi_cmd *cmd)
{
	if (sbc_medium_check(cmd) == -1 || cdb_decode_rw(cmd) == -1)
		return (SCSI_DONE);
	return (SCSI_DONE);
}

int
sbc_read_capacity10(struct scsi_cmd *cmd)
{
	struct lun	*lun = cmd->lun;
	uint8_t		 b[8];

	/* PMI zero: the LOGICAL BLOCK ADDRESS field must be zero. */
	if (!(cmd->cdb[8] & 0x01) && get_be32(&cmd->cdb[2]) != 0) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
		return (SCSI_DONE);
	}
	if (sbc_medium_check(cmd) == -1)
		return (SCSI_DONE);
	put_be32(&b[0], lun->nblocks - 1 > 0xfffffffe ? 0xffffffff :
	    (uint32_t)(lun->nblocks - 1));
	put_be32(&b[4], lun->block_size);
	scsi_data_in(cmd, b, sizeof(b), sizeof(b));
	return (SCSI_DONE);
}

int
sbc_read_capacity16(struct scsi_cmd *cmd)
{
	struct lun	*lun = cmd->lun;
	uint8_t		 b[32];

	if (!(cmd->cdb[14] & 0x01) && get_be64(&cmd->cdb[2]) != 0) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
		return (SCSI_DONE);
	}
	if (sbc_medium_check(cmd) == -1)
		return (SCSI_DONE);
	memset(b, 0, sizeof(b));
	put_be64(&b[0], lun->nblocks - 1);
	put_be32(&b[8], lun->block_size);
	if (lun->thin)
		b[14] = 0x80 | 0x40;		/* LBPME, LBPRZ */
	scsi_data_in(cmd, b, sizeof(b), get_be32(&cmd->cdb[10]));
	return (SCSI_DONE);
}

/* START STOP UNIT: LOEJ ejects or loads a removable medium. */
int
sbc_start_stop(struct scsi_cmd *cmd)
{
	struct lun	*lun = cmd->lun;
	int		 loej = (cmd->cdb[4] & 0x02) != 0;
	int		 start = (cmd->cdb[4] & 0x01) != 0;
	int		 pc = cmd->cdb[4] >> 4;

	if (pc != 0 || !loej || !lun->removable)
		return (SCSI_DONE);
	if (start)
		lun->ejected = 0;
	else if (lun->prevent)
		scsi_check(cmd, SK_ILLEGAL_REQUEST,
		    ASC_MEDIUM_REMOVAL_PREVENTED);
	else
		lun->ejected = 1;
	return (SCSI_DONE);
}

int
sbc_prevent_allow(struct scsi_cmd *cmd)
{
	if (cmd->lun->removable)
		cmd->lun->prevent = cmd->cdb[4] & 0x01;
	return (SCSI_DONE);
}
