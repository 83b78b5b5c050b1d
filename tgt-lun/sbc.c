/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Disks: SCSI block commands (SBC-3), media access and capacity, and
 * the disk's command table, VPD and mode pages (devtype_disk).
 *
 * Transfer length against the expected transfer length (the buffer the
 * portal gave us): a read sends what fits and reports in cmd->want what
 * it would have sent, so the portal can report the residual overflow.
 * A write whose Data-Out is shorter than the CDB asks for writes the
 * whole blocks it got and reports want likewise; when the Data-Out ends
 * inside a block it writes nothing and ends with INVALID FIELD IN
 * INFORMATION UNIT (both are behaviours FCP-4 and SAM-5 allow).
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "lun.h"
#include "scsi.h"


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

#define ASC_SPACE_ALLOC_FAILED_WP	0x2707

/*
 * A transfer failed with errno error at (or from) lba.  A thin store
 * that ran out of space is SPACE ALLOCATION FAILED WRITE PROTECT (SBC-3
 * 4.7.3.7: the initiator may free space and retry); anything else the
 * kernel reports is a MEDIUM ERROR with the LBA in the INFORMATION field.
 */
void
sbc_io_error(struct scsi_cmd *cmd, int write, int error, uint64_t lba)
{
	if (write && (error == ENOSPC || error == EDQUOT))
		scsi_check(cmd, SK_DATA_PROTECT, ASC_SPACE_ALLOC_FAILED_WP);
	else if (error == ETIMEDOUT || error == ENOTCONN ||
	    error == ESHUTDOWN)
		/*
		 * A store out of reach (rbd: the cluster did not answer in
		 * time): retryable, as initiators retry a transition.
		 */
		scsi_check(cmd, SK_NOT_READY, ASC_LUN_TRANSITION);
	else
		scsi_check_info(cmd, SK_MEDIUM_ERROR, write ?
		    ASC_WRITE_ERROR : ASC_UNRECOVERED_READ_ERROR, lba, 1);
}

/* The outcome of a synchronous transfer of len bytes at lba: 0 or -1. */
static int
sbc_pio_check(struct scsi_cmd *cmd, int write, long r, uint32_t len,
    uint64_t lba)
{
	if (r == (long)len)
		return (0);
	if (r < 0)
		sbc_io_error(cmd, write, -r, lba);
	else
		sbc_io_error(cmd, write, EIO, lba + ((unsigned long)r >>
		    cmd->lun->block_shift));
	return (-1);
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
	} else if (res == -EILSEQ && cmd->cdb[0] == COMPARE_AND_WRITE) {
		/* the store's own compare (backend caw()) */
		scsi_check_info(cmd, SK_MISCOMPARE, ASC_MISCOMPARE_VERIFY,
		    cmd->io_info, 1);
		cmd->len = 0;
	} else if (res < 0) {
		sbc_io_error(cmd, cmd->io_write, -res, cmd->lba);
		cmd->len = 0;
	} else if ((unsigned long)res != cmd->io_len) {
		/* short: the first block not transferred is the bad one */
		sbc_io_error(cmd, cmd->io_write, EIO, cmd->lba +
		    ((unsigned long)res >> lun->block_shift));
		cmd->len = 0;
	} else {
		cmd->status = SAM_STAT_GOOD;
		cmd->len = cmd->io_len;
	}
	if (pending)
		scsi_complete(cmd);
	/* an exclusive command on the worker may wait for this */
	if (pending && lun->ninflight == 0)
		lun_offload_idle(lun);
}

static int	sbc_pending(struct scsi_cmd *, int);

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
	return (sbc_pending(cmd, r));
}

/* The backend took cmd for later (r is SCSI_PENDING): in flight. */
static int
sbc_pending(struct scsi_cmd *cmd, int r)
{
	if (r == SCSI_PENDING) {
		cmd->io_pending = 1;
		TAILQ_INSERT_TAIL(&cmd->lun->inflight, cmd, entry);
		cmd->lun->ninflight++;
	}
	return (r);
}

/* Where the TRANSFER LENGTH field is, for field pointers. */
static uint16_t
sbc_xfer_len_byte(const struct scsi_cmd *cmd)
{
	switch (cdb_length(cmd->cdb)) {
	case 10:
		return (7);
	case 12:
		return (6);
	case 16:
		return (10);
	}
	return (4);
}

/* Common checks of READ/WRITE/VERIFY: protect field, range, size. */
static int
sbc_rw_prepare(struct scsi_cmd *cmd, uint64_t *need)
{
	/* RDPROTECT/WRPROTECT/VRPROTECT: no protection information. */
	if (cmd->cdb[0] != READ_6 && cmd->cdb[0] != WRITE_6 &&
	    (cmd->cdb[1] & 0xe0)) {
		scsi_invalid_cdb(cmd, 1, 7);
		return (-1);
	}
	if (sbc_medium_check(cmd) == -1 || cdb_decode_rw(cmd) == -1)
		return (-1);
	if (cmd->nblocks > sbc_max_xfer_blocks(cmd)) {
		scsi_invalid_cdb(cmd, sbc_xfer_len_byte(cmd), -1);
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
	cmd->want = need;
	if (cmd->out_len < need) {
		/*
		 * Less Data-Out than the CDB asks for (SAM-5 5.4.3):
		 * whole blocks are written and the rest is the portal's
		 * residual overflow; a partial block writes nothing.
		 */
		if (cmd->out_len & (cmd->lun->block_size - 1)) {
			scsi_check(cmd, SK_ILLEGAL_REQUEST,
			    ASC_INVALID_FIELD_IN_IU);
			return (SCSI_DONE);
		}
		need = cmd->out_len;
	}
	/* WRITE AND VERIFY: the data must be on the medium. */
	if (cmd->cdb[0] == WRITE_VERIFY_10 || cmd->cdb[0] == WRITE_VERIFY_12 ||
	    cmd->cdb[0] == WRITE_VERIFY_16)
		cmd->fua = 1;
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

	if (lun_offload(cmd, 0))
		return (SCSI_PENDING);
	if (bytchk == 2) {
		scsi_invalid_cdb(cmd, 1, 2);
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
	r = lun->be->pio(lun, 0, medium, need, cmd->lba << lun->block_shift,
	    0);
	if (sbc_pio_check(cmd, 0, r, need, cmd->lba) == -1)
		goto out;
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
	struct lun	*lun = cmd->lun;

	if (sbc_medium_check(cmd) == -1 || cdb_decode_rw(cmd) == -1)
		return (SCSI_DONE);
	if (lun->be->sync_cmd == NULL && lun_offload(cmd, 0))
		return (SCSI_PENDING);
	if (lun->be->sync_cmd != NULL) {
		/* a failure is a WRITE ERROR, as below */
		cmd->io_len = 0;
		cmd->io_write = 1;
		cmd->io_pending = 0;
		return (sbc_pending(cmd, lun->be->sync_cmd(lun, cmd)));
	}
	if (lun->be->sync(lun) == -1)
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
		scsi_invalid_cdb(cmd, 2, -1);
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
		scsi_invalid_cdb(cmd, 2, -1);
		return (SCSI_DONE);
	}
	if (sbc_medium_check(cmd) == -1)
		return (SCSI_DONE);
	memset(b, 0, sizeof(b));
	put_be64(&b[0], lun->nblocks - 1);
	put_be32(&b[8], lun->block_size);
	/*
	 * LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT: "physical-block-size"
	 * (a 512e disk, say); 0 by default, as libiscsi's
	 * GetLBAStatus.UnmapSingle asks for descriptors SBC forbids when it
	 * is not.
	 */
	b[13] = lun->pb_exp & 0x0f;
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
	/* neither eject nor load while an I_T nexus prevents removal */
	if (lun_prevented(lun))
		scsi_check(cmd, SK_ILLEGAL_REQUEST,
		    ASC_MEDIUM_REMOVAL_PREVENTED);
	else
		lun->ejected = !start;
	return (SCSI_DONE);
}

/* Wait until no transfer is in flight (for commands that must be atomic). */
void
sbc_quiesce(struct lun *lun)
{
	if (lun->be == NULL)		/* a device without a backend */
		return;
	/* the worker runs exclusive commands with nothing in flight */
	if (lun_on_worker())
		return;
	while (lun->ninflight > 0)
		if (lun->be->poll(lun, 1) <= 0)
			break;
}

/*
 * Deallocate [off, off + len): punch a hole (files; block devices turn
 * it into a discard that reads back zeroes), or write zeroes where the
 * store cannot punch.  Reads of the range return zeroes (LBPRZ).
 */
int
sbc_punch(struct lun *lun, uint64_t off, uint64_t len)
{
	static uint8_t	zero[64 * 1024];
	uint32_t	n;

	if (len == 0)
		return (0);
	if (lun->be->fallocate(lun, FALLOC_FL_PUNCH_HOLE |
	    FALLOC_FL_KEEP_SIZE, off, len) == 0)
		return (0);
	if (errno != EOPNOTSUPP && errno != ENOSYS)
		return (-1);
	while (len > 0) {
		n = len < sizeof(zero) ? len : sizeof(zero);
		if (lun->be->pio(lun, 1, zero, n, off, 0) != n)
			return (-1);
		off += n;
		len -= n;
	}
	return (0);
}

#define UNMAP_MAX_DESC	256

/* UNMAP (SBC-3 5.28): thin-provisioned LUNs only. */
int
sbc_unmap(struct scsi_cmd *cmd)
{
	struct lun	*lun = cmd->lun;
	uint8_t		*pl = NULL;
	uint32_t	 len = get_be16(&cmd->cdb[7]), bdl, i, cnt;
	uint64_t	 lba;

	if (lun_offload(cmd, 1))
		return (SCSI_PENDING);
	/* no medium, then NOT READY whatever the command */
	if (sbc_medium_check(cmd) == -1)
		return (SCSI_DONE);
	if (!lun->thin) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
		return (SCSI_DONE);
	}
	if (cmd->cdb[1] & 0x01) {		/* ANCHOR: not supported */
		scsi_invalid_cdb(cmd, 1, 0);
		return (SCSI_DONE);
	}
	if (sbc_write_check(cmd) == -1)
		return (SCSI_DONE);
	if (len == 0)
		return (SCSI_DONE);
	cmd->want = len;
	if (cmd->out_len < len) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_IU);
		return (SCSI_DONE);
	}
	if (len < 8) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST,
		    ASC_PARAM_LIST_LENGTH_ERROR);
		return (SCSI_DONE);
	}
	if (len > 8 + 16 * UNMAP_MAX_DESC) {
		scsi_invalid_param(cmd, 2, -1);
		return (SCSI_DONE);
	}
	cmd->len = len;
	if ((pl = malloc(len)) == NULL) {
		scsi_check(cmd, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
		return (SCSI_DONE);
	}
	memcpy(pl, cmd->buf, len);		/* out of shared memory */
	bdl = get_be16(&pl[2]);
	if (bdl > len - 8)
		bdl = len - 8;
	bdl /= 16;
	/* validate every descriptor before touching the medium */
	for (i = 0; i < bdl; i++) {
		lba = get_be64(&pl[8 + 16 * i]);
		cnt = get_be32(&pl[8 + 16 * i + 8]);
		if (lba > lun->nblocks || cnt > lun->nblocks - lba) {
			scsi_check_info(cmd, SK_ILLEGAL_REQUEST,
			    ASC_LBA_OUT_OF_RANGE, lba, 1);
			goto out;
		}
		if (cnt > sbc_max_xfer_blocks(cmd) * 64) {
			scsi_invalid_param(cmd, 8 + 16 * i + 8, -1);
			goto out;
		}
	}
	sbc_quiesce(lun);
	for (i = 0; i < bdl; i++) {
		lba = get_be64(&pl[8 + 16 * i]);
		cnt = get_be32(&pl[8 + 16 * i + 8]);
		if (sbc_punch(lun, lba << lun->block_shift,
		    (uint64_t)cnt << lun->block_shift) == -1) {
			scsi_check(cmd, SK_MEDIUM_ERROR, ASC_WRITE_ERROR);
			break;
		}
	}
 out:
	free(pl);
	return (SCSI_DONE);
}

/*
 * Largest WRITE SAME, in blocks (VPD B0 MAXIMUM WRITE SAME LENGTH): as
 * much as one transfer.  WSNZ is 0: NUMBER OF LOGICAL BLOCKS 0 means "to
 * the end of the medium", and the blocks that makes are bounded by this
 * length too.  That is the trade-off of WSNZ 0: an initiator may ask
 * for "the rest of the disk", but gets it only near the end of the
 * medium, and no WRITE SAME holds the LUN process longer than the
 * largest transfer would.
 */
uint32_t
sbc_max_ws_blocks(const struct scsi_cmd *cmd)
{
	return (sbc_max_xfer_blocks(cmd));
}

/*
 * WRITE SAME 10/16: one block of Data-Out (or zeroes with NDOB) written
 * to every block of the range; with UNMAP on a thin LUN and a zero block
 * the range is deallocated instead.  Zero blocks: to the end of the
 * medium (WSNZ 0), within MAXIMUM WRITE SAME LENGTH.  Zeroes without
 * UNMAP are written as zeroes (FALLOC_FL_ZERO_RANGE when the store can).
 */
int
sbc_write_same(struct scsi_cmd *cmd)
{
	struct lun	*lun = cmd->lun;
	uint32_t	 bs = lun->block_size, chunk, n, i;
	uint64_t	 off, left;
	uint8_t		*blk = NULL, *pat = NULL;
	int		 ten = cmd->cdb[0] == WRITE_SAME_10;
	int		 unmap = (cmd->cdb[1] & 0x08) != 0;
	int		 ndob = !ten && (cmd->cdb[1] & 0x01);
	int		 zero;

	if (lun_offload(cmd, 1))
		return (SCSI_PENDING);
	/*
	 * Fully provisioned (LBPWS clear): WRITE SAME with UNMAP is not
	 * supported.  It ends as an unsupported command, which is what
	 * initiators (and libiscsi's UnmapVPD tests) take as "LBPWS off".
	 */
	if (sbc_medium_check(cmd) == -1)
		return (SCSI_DONE);
	if (unmap && !lun->thin) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
		return (SCSI_DONE);
	}
	if (cmd->cdb[1] & 0xe0) {
		scsi_invalid_cdb(cmd, 1, 7);
		return (SCSI_DONE);
	}
	if (cmd->cdb[1] & 0x10) {		/* ANCHOR */
		scsi_invalid_cdb(cmd, 1, 4);
		return (SCSI_DONE);
	}
	if (sbc_medium_check(cmd) == -1 || cdb_decode_rw(cmd) == -1 ||
	    sbc_write_check(cmd) == -1)
		return (SCSI_DONE);
	if (cmd->nblocks == 0) {
		if (cmd->lba >= lun->nblocks) {
			scsi_check_info(cmd, SK_ILLEGAL_REQUEST,
			    ASC_LBA_OUT_OF_RANGE, cmd->lba, 1);
			return (SCSI_DONE);
		}
		cmd->nblocks = lun->nblocks - cmd->lba;
	}
	if (cmd->nblocks > sbc_max_ws_blocks(cmd)) {
		scsi_invalid_cdb(cmd, ten ? 7 : 10, -1);
		return (SCSI_DONE);
	}
	if ((blk = calloc(1, bs)) == NULL)
		goto nomem;
	if (!ndob) {
		cmd->want = bs;
		/* exactly one block of Data-Out */
		if (cmd->out_len != bs) {
			scsi_check(cmd, SK_ILLEGAL_REQUEST,
			    ASC_INVALID_FIELD_IN_IU);
			goto out;
		}
		memcpy(blk, cmd->buf, bs);
		cmd->len = bs;
	}
	for (zero = 1, i = 0; i < bs && zero; i++)
		zero = blk[i] == 0;
	off = cmd->lba << lun->block_shift;
	left = (uint64_t)cmd->nblocks << lun->block_shift;
	sbc_quiesce(lun);
	/*
	 * UNMAP on a thin LUN: the range is deallocated whatever the
	 * Data-Out holds (SBC-3 4.7.3.4 lets the device server unmap), and
	 * reads of it return zeroes (LBPRZ).
	 */
	if (unmap) {
		if (sbc_punch(lun, off, left) == -1)
			scsi_check(cmd, SK_MEDIUM_ERROR, ASC_WRITE_ERROR);
		goto out;
	}
	if (zero && lun->be->fallocate(lun, FALLOC_FL_ZERO_RANGE |
	    FALLOC_FL_KEEP_SIZE, off, left) == 0) {
		if ((!lun->wce || cmd->fua) && lun->be->sync(lun) == -1)
			scsi_check(cmd, SK_MEDIUM_ERROR, ASC_WRITE_ERROR);
		goto out;
	}
	chunk = left < (1u << 20) ? left : (1u << 20);
	if ((pat = malloc(chunk)) == NULL)
		goto nomem;
	for (i = 0; i < chunk; i += bs)
		memcpy(pat + i, blk, bs);
	while (left > 0) {
		n = left < chunk ? left : chunk;
		if (sbc_pio_check(cmd, 1, lun->be->pio(lun, 1, pat, n, off,
		    left == n && (!lun->wce || cmd->fua)), n,
		    off >> lun->block_shift) == -1)
			break;
		off += n;
		left -= n;
	}
	goto out;
 nomem:
	scsi_check(cmd, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
 out:
	free(blk);
	free(pat);
	return (SCSI_DONE);
}

#define GLS_MAX_DESC	64

static off_t
sbc_lseek(void *fd, off_t pos, int whence)
{
	return (lseek(*(int *)fd, pos, whence));
}

/*
 * Whether byte pos of the store is mapped, and in *next the byte where
 * that state ends: the backend's extent(), or SEEK_DATA and SEEK_HOLE
 * on the descriptor.  What cannot be told counts as mapped to the end.
 */
static void
sbc_extent(struct lun *lun, off_t pos, int *mapped, uint64_t *next)
{
	if (lun->be->extent == NULL)
		(void)seek_extent(sbc_lseek, &lun->fd, pos, lun->size, mapped,
		    next);
	else if (lun->be->extent(lun, pos, lun->size, mapped, next) == -1) {
		*mapped = 1;
		*next = lun->size;
	}
}

/*
 * GET LBA STATUS: mapped and deallocated extents from SEEK_DATA and
 * SEEK_HOLE on the backing file, in blocks (a block is mapped when any
 * byte of it is).  Block devices report everything mapped.
 */
int
sbc_get_lba_status(struct scsi_cmd *cmd)
{
	struct lun	*lun = cmd->lun;
	uint8_t		 b[8 + 16 * GLS_MAX_DESC];
	uint64_t	 lba = get_be64(&cmd->cdb[2]), end, next;
	uint32_t	 alloc = get_be32(&cmd->cdb[10]), nd = 0, max;
	off_t		 pos;
	int		 mapped;

	if (lun_offload(cmd, 0))
		return (SCSI_PENDING);
	if (sbc_medium_check(cmd) == -1)
		return (SCSI_DONE);
	if (lba >= lun->nblocks) {
		scsi_check_info(cmd, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE,
		    lba, 1);
		return (SCSI_DONE);
	}
	memset(b, 0, sizeof(b));
	max = alloc < 8 ? 0 : (alloc - 8) / 16;
	if (max > GLS_MAX_DESC)
		max = GLS_MAX_DESC;
	if (max == 0)
		max = 1;
	end = lun->nblocks;
	while (lba < end && nd < max) {
		pos = lba << lun->block_shift;
		sbc_extent(lun, pos, &mapped, &next);
		/* a partly mapped block is mapped */
		next = mapped ? (next + lun->block_size - 1) >>
		    lun->block_shift : next >> lun->block_shift;
		if (next > end)
			next = end;
		if (next <= lba)
			next = lba + 1;
		if (next - lba > UINT32_MAX)
			next = lba + UINT32_MAX;
		put_be64(&b[8 + 16 * nd], lba);
		put_be32(&b[8 + 16 * nd + 8], next - lba);
		b[8 + 16 * nd + 12] = mapped ? 0 : 1;
		nd++;
		lba = next;
	}
	put_be32(&b[0], 4 + 16 * nd);
	scsi_data_in(cmd, b, 8 + 16 * nd, alloc);
	return (SCSI_DONE);
}

/* Largest COMPARE AND WRITE, in blocks (VPD B0). */
uint32_t
sbc_max_caw_blocks(const struct scsi_cmd *cmd)
{
	uint32_t	max = sbc_max_xfer_blocks(cmd) / 2;

	return (max > 255 ? 255 : max);
}

/*
 * COMPARE AND WRITE: the Data-Out holds the verify data then the write
 * data.  Atomic with respect to every other command: transfers in flight
 * are waited for, and this process runs one command at a time.
 */
int
sbc_compare_and_write(struct scsi_cmd *cmd)
{
	struct lun	*lun = cmd->lun;
	uint64_t	 need, i;
	uint8_t		*medium = NULL, *data = NULL;
	int		 r;

	/* the store's own compare needs no worker; see below */
	if (lun->be->caw == NULL && lun_offload(cmd, 1))
		return (SCSI_PENDING);
	if (cmd->cdb[1] & 0xe0) {
		scsi_invalid_cdb(cmd, 1, 7);
		return (SCSI_DONE);
	}
	if (sbc_medium_check(cmd) == -1)
		return (SCSI_DONE);
	cmd->lba = get_be64(&cmd->cdb[2]);
	cmd->nblocks = cmd->cdb[13];
	cmd->fua = (cmd->cdb[1] & 0x08) != 0;
	if (cmd->lba > lun->nblocks || cmd->nblocks > lun->nblocks -
	    cmd->lba) {
		scsi_check_info(cmd, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE,
		    cmd->lba, 1);
		return (SCSI_DONE);
	}
	if (cmd->nblocks > sbc_max_caw_blocks(cmd)) {
		scsi_invalid_cdb(cmd, 13, -1);
		return (SCSI_DONE);
	}
	if (sbc_write_check(cmd) == -1)
		return (SCSI_DONE);
	need = (uint64_t)cmd->nblocks << lun->block_shift;
	cmd->want = 2 * need;
	/*
	 * The Data-Out must be exactly the verify and the write data: a
	 * NUMBER OF LOGICAL BLOCKS that disagrees with it is refused.
	 */
	if (cmd->out_len != 2 * need) {
		scsi_invalid_cdb(cmd, 13, -1);
		return (SCSI_DONE);
	}
	if (need == 0)
		return (SCSI_DONE);
	/*
	 * A store that compares and writes itself (rbd) does it atomically
	 * for every client, other gateways included: straight from the
	 * Data-Out, nothing to wait for.  Not on the worker: there the
	 * store said no to this range.
	 */
	if (lun->be->caw != NULL && !lun_on_worker()) {
		/* done with io_len: both halves of the Data-Out */
		cmd->io_len = 2 * need;
		cmd->io_write = 1;
		cmd->io_pending = 0;
		cmd->io_info = 0;
		r = lun->be->caw(lun, cmd, cmd->buf, cmd->buf + need, need,
		    cmd->lba << lun->block_shift, cmd->fua || !lun->wce);
		if (r != -1)
			return (sbc_pending(cmd, r));
		if (lun_offload(cmd, 1))
			return (SCSI_PENDING);
	}
	if ((medium = malloc(need)) == NULL ||
	    (data = malloc(2 * need)) == NULL) {
		scsi_check(cmd, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
		goto out;
	}
	memcpy(data, cmd->buf, 2 * need);	/* out of shared memory */
	cmd->len = 2 * need;
	sbc_quiesce(lun);
	if (sbc_pio_check(cmd, 0, lun->be->pio(lun, 0, medium, need,
	    cmd->lba << lun->block_shift, 0), need, cmd->lba) == -1)
		goto out;
	for (i = 0; i < need; i++) {
		if (medium[i] != data[i]) {
			scsi_check_info(cmd, SK_MISCOMPARE,
			    ASC_MISCOMPARE_VERIFY, i, 1);
			goto out;
		}
	}
	sbc_pio_check(cmd, 1, lun->be->pio(lun, 1, data + need, need,
	    cmd->lba << lun->block_shift, cmd->fua || !lun->wce), need,
	    cmd->lba);
 out:
	free(medium);
	free(data);
	return (SCSI_DONE);
}

/* READ DEFECT DATA 10/12: a virtual medium has no defects. */
int
sbc_read_defect_data(struct scsi_cmd *cmd)
{
	uint8_t		b[8];
	int		twelve = cmd->cdb[0] == READ_DEFECT_DATA_12;
	uint8_t		req = twelve ? cmd->cdb[1] : cmd->cdb[2];
	uint32_t	alloc;

	memset(b, 0, sizeof(b));
	/* PLISTV, GLISTV for the lists asked for (empty), same format */
	b[1] = (req & 0x18) | (req & 0x07);
	if (twelve) {
		alloc = get_be32(&cmd->cdb[6]);
		scsi_data_in(cmd, b, 8, alloc);
	} else {
		alloc = get_be16(&cmd->cdb[7]);
		scsi_data_in(cmd, b, 4, alloc);
	}
	return (SCSI_DONE);
}

/*
 * ORWRITE(16): the Data-Out is ORed into the medium.  Read, OR and
 * write back with nothing else in flight, so it is atomic.
 */
int
sbc_orwrite(struct scsi_cmd *cmd)
{
	struct lun	*lun = cmd->lun;
	uint64_t	 need, i, off;
	uint8_t		*medium;

	if (lun_offload(cmd, 1))
		return (SCSI_PENDING);
	if (sbc_rw_prepare(cmd, &need) == -1 || sbc_write_check(cmd) == -1)
		return (SCSI_DONE);
	cmd->want = need;
	if (need == 0)
		return (SCSI_DONE);
	if (cmd->out_len < need) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_IU);
		return (SCSI_DONE);
	}
	if ((medium = malloc(need)) == NULL) {
		scsi_check(cmd, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
		return (SCSI_DONE);
	}
	off = cmd->lba << lun->block_shift;
	sbc_quiesce(lun);
	if (sbc_pio_check(cmd, 0, lun->be->pio(lun, 0, medium, need, off, 0),
	    need, cmd->lba) == -1)
		goto out;
	for (i = 0; i < need; i++)
		medium[i] |= cmd->buf[i];
	cmd->len = need;
	sbc_pio_check(cmd, 1, lun->be->pio(lun, 1, medium, need, off,
	    cmd->fua || !lun->wce), need, cmd->lba);
 out:
	free(medium);
	return (SCSI_DONE);
}

/* Atomic write alignment and granularity, in blocks (VPD B0). */
uint32_t
sbc_atomic_align(const struct scsi_cmd *cmd)
{
	uint32_t	n = 4096 >> cmd->lun->block_shift;

	return (n < 2 ? 2 : n);
}

/*
 * WRITE ATOMIC(16): all of it or nothing.  One pwrite with nothing else
 * in flight; the limits of VPD B0 (alignment, granularity, no atomic
 * boundaries) are enforced.
 */
int
sbc_write_atomic(struct scsi_cmd *cmd)
{
	struct lun	*lun = cmd->lun;
	uint64_t	 nb = lun->nblocks, need;
	uint32_t	 align = sbc_atomic_align(cmd);

	if (lun_offload(cmd, 1))
		return (SCSI_PENDING);
	if (cmd->cdb[1] & 0xe0) {
		scsi_invalid_cdb(cmd, 1, 7);
		return (SCSI_DONE);
	}
	if (sbc_medium_check(cmd) == -1)
		return (SCSI_DONE);
	cmd->lba = get_be64(&cmd->cdb[2]);
	cmd->nblocks = get_be16(&cmd->cdb[12]);
	cmd->fua = (cmd->cdb[1] & 0x08) != 0;
	if (cmd->lba > nb || cmd->nblocks > nb - cmd->lba) {
		scsi_check_info(cmd, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE,
		    cmd->lba, 1);
		return (SCSI_DONE);
	}
	if (get_be16(&cmd->cdb[10]) != 0) {	/* no atomic boundaries */
		scsi_invalid_cdb(cmd, 10, -1);
		return (SCSI_DONE);
	}
	if (cmd->lba % align != 0) {
		scsi_invalid_cdb(cmd, 2, -1);
		return (SCSI_DONE);
	}
	if (cmd->nblocks % align != 0 ||
	    cmd->nblocks > sbc_max_xfer_blocks(cmd)) {
		scsi_invalid_cdb(cmd, 12, -1);
		return (SCSI_DONE);
	}
	if (sbc_write_check(cmd) == -1)
		return (SCSI_DONE);
	need = (uint64_t)cmd->nblocks << lun->block_shift;
	cmd->want = need;
	if (need == 0)
		return (SCSI_DONE);
	if (cmd->out_len < need) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_IU);
		return (SCSI_DONE);
	}
	sbc_quiesce(lun);
	cmd->len = need;
	sbc_pio_check(cmd, 1, lun->be->pio(lun, 1, cmd->buf, need,
	    cmd->lba << lun->block_shift, cmd->fua || !lun->wce), need,
	    cmd->lba);
	return (SCSI_DONE);
}

/* Block Limits VPD page (SBC-3 6.5.3). */
static uint32_t
vpd_block_limits(struct scsi_cmd *cmd, uint8_t *b)
{
	struct lun	*lun = cmd->lun;
	uint32_t	 max = sbc_max_xfer_blocks(cmd);
	uint32_t	 gran = 4096 >> lun->block_shift;

	b[1] = VPD_BLOCK_LIMITS;
	put_be16(&b[2], 0x3c);
	b[4] = 0x00;				/* WSNZ 0 */
	b[5] = sbc_max_caw_blocks(cmd);		/* COMPARE AND WRITE */
	put_be16(&b[6], gran ? gran : 1);	/* optimal granularity */
	put_be32(&b[8], max);			/* max transfer length */
	put_be32(&b[12], max);			/* optimal transfer */
	put_be32(&b[16], max);			/* max prefetch length */
	if (lun->thin) {
		put_be32(&b[20], max * 64);	/* max unmap LBA count */
		put_be32(&b[24], 256);		/* max descriptors */
		put_be32(&b[28], gran ? gran : 1);
	}
	put_be64(&b[36], sbc_max_ws_blocks(cmd)); /* max write same */
	put_be32(&b[44], max);			/* max atomic transfer */
	put_be32(&b[48], sbc_atomic_align(cmd)); /* atomic alignment */
	put_be32(&b[52], sbc_atomic_align(cmd)); /* atomic granularity */
	return (0x40);
}

static uint32_t
sbc_vpd_page(struct scsi_cmd *cmd, uint8_t page, uint8_t *b)
{
	struct lun	*lun = cmd->lun;

	switch (page) {
	case VPD_BLOCK_LIMITS:
		return (vpd_block_limits(cmd, b));
	case VPD_THIRD_PARTY_COPY:
		return (vpd_third_party_copy(b));
	case VPD_BLOCK_DEV_CHARS:
		b[1] = page;
		put_be16(&b[2], 0x3c);
		put_be16(&b[4], 1);		/* non-rotating medium */
		/*
		 * WABEREQ, WACEREQ 1: reads after a block or cryptographic
		 * erase succeed; only a thin LU supports them, elsewhere
		 * both are 0 (not specified, SBC-4 6.6.2).
		 */
		b[7] = lun->thin ? 0x40 | 0x10 : 0;
		return (0x40);
	case VPD_LB_PROVISIONING:
		b[1] = page;
		put_be16(&b[2], 4);
		if (lun->thin) {
			b[5] = 0x80 | 0x40 | 0x20 | 0x04; /* LBPU, LBPWS,
							   * LBPWS10, LBPRZ */
			b[6] = 0x02;		/* thin provisioned */
		}
		return (8);
	}
	return (0);
}

/* The caching mode page (SBC-3 6.4.5); pc: current, changeable, default. */
static uint32_t
sbc_mode_page(struct lun *lun, uint8_t page, int pc, uint8_t *p)
{
	int	wce;

	wce = pc == 0 ? lun->wce : pc == 1 ? 1 :
	    (lun->cfg.flags & LUN_F_WRITE_CACHE) != 0;
	switch (page) {
	case MODE_PAGE_CACHING:
		memset(p, 0, 20);
		p[0] = page;
		p[1] = 0x12;
		if (wce)
			p[2] |= 0x04;		/* WCE */
		return (20);
	}
	return (0);
}

static int
sbc_mode_page_set(struct lun *lun, const uint8_t *p)
{
	int	wce, changed = 0;

	switch (p[0] & 0x3f) {
	case MODE_PAGE_CACHING:
		wce = (p[2] & 0x04) != 0;
		changed = wce != lun->wce;
		lun->wce = wce;
		break;
	}
	return (changed);
}

/* Short or long LBA block descriptor: the capacity and the block size. */
static uint32_t
sbc_mode_bd(struct lun *lun, int llbaa, uint8_t *bd)
{
	if (!llbaa) {
		put_be32(&bd[0], lun->nblocks > 0xffffffff ? 0xffffffff :
		    (uint32_t)lun->nblocks);
		put_be24(&bd[5], lun->block_size);
		return (8);
	}
	put_be64(&bd[0], lun->nblocks);
	put_be32(&bd[12], lun->block_size);
	return (16);
}

/* The block size cannot change. */
static int
sbc_mode_bd_set(struct lun *lun, const uint8_t *bd, uint32_t len, int apply)
{
	if (len == 8 && get_be24(&bd[5]) != lun->block_size)
		return (-1);
	if (len == 16 && get_be32(&bd[12]) != lun->block_size)
		return (-1);
	return (0);
}

/* WP, DPOFUA */
static uint8_t
sbc_mode_devspec(struct lun *lun)
{
	return (((lun->readonly || lun->swp) ? 0x80 : 0) | 0x10);
}

#define LBA4	0xff, 0xff, 0xff, 0xff
#define LBA8	LBA4, LBA4

/* The disk's commands; cdb.c has those every device type shares. */
static const struct scsi_op sbc_ops[] = {
	{ READ_6, 0, 6, OPF_READ, sbc_read, "READ(6)",
	    { 0x08, 0x1f, 0xff, 0xff, 0xff, 0x07 } },
	{ WRITE_6, 0, 6, OPF_WRITE, sbc_write, "WRITE(6)",
	    { 0x0a, 0x1f, 0xff, 0xff, 0xff, 0x07 } },
	{ START_STOP_UNIT, 0, 6, OPF_WRITE, sbc_start_stop, "START STOP UNIT",
	    { 0x1b, 0x01, 0, 0x0f, 0xf7, 0x07 } },
	{ READ_CAPACITY_10, 0, 10, 0, sbc_read_capacity10,
	    "READ CAPACITY(10)",
	    { 0x25, 0, LBA4, 0, 0, 0x01, 0x07 } },
	{ READ_10, 0, 10, OPF_READ, sbc_read, "READ(10)",
	    { 0x28, 0x18, LBA4, 0, 0xff, 0xff, 0x07 } },
	{ WRITE_10, 0, 10, OPF_WRITE, sbc_write, "WRITE(10)",
	    { 0x2a, 0x18, LBA4, 0, 0xff, 0xff, 0x07 } },
	{ WRITE_VERIFY_10, 0, 10, OPF_WRITE, sbc_write, "WRITE AND VERIFY(10)",
	    { 0x2e, 0x12, LBA4, 0, 0xff, 0xff, 0x07 } },
	{ VERIFY_10, 0, 10, OPF_READ, sbc_verify, "VERIFY(10)",
	    { 0x2f, 0x16, LBA4, 0, 0xff, 0xff, 0x07 } },
	{ PRE_FETCH_10, 0, 10, OPF_READ, sbc_prefetch, "PRE-FETCH(10)",
	    { 0x34, 0x02, LBA4, 0, 0xff, 0xff, 0x07 } },
	{ SYNCHRONIZE_CACHE_10, 0, 10, OPF_WRITE, sbc_sync_cache,
	    "SYNCHRONIZE CACHE(10)",
	    { 0x35, 0x02, LBA4, 0, 0xff, 0xff, 0x07 } },
	{ WRITE_SAME_10, 0, 10, OPF_WRITE, sbc_write_same, "WRITE SAME(10)",
	    { 0x41, 0x08, LBA4, 0, 0xff, 0xff, 0x07 } },
	{ UNMAP, 0, 10, OPF_WRITE, sbc_unmap, "UNMAP",
	    { 0x42, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0x07 } },
	{ READ_DEFECT_DATA_10, 0, 10, OPF_READ, sbc_read_defect_data,
	    "READ DEFECT DATA(10)",
	    { 0x37, 0, 0x1f, 0, 0, 0, 0, 0xff, 0xff, 0x07 } },
	{ SANITIZE, SANITIZE_OVERWRITE, 10, OPF_SA | OPF_WRITE, sbc_sanitize,
	    "SANITIZE(OVERWRITE)",
	    { 0x48, 0x80 | SANITIZE_OVERWRITE, 0, 0, 0, 0, 0, 0xff, 0xff,
	    0x07 } },
	{ SANITIZE, SANITIZE_BLOCK_ERASE, 10, OPF_SA | OPF_WRITE | OPF_THIN,
	    sbc_sanitize, "SANITIZE(BLOCK ERASE)",
	    { 0x48, 0x80 | SANITIZE_BLOCK_ERASE, 0, 0, 0, 0, 0, 0xff, 0xff,
	    0x07 } },
	{ SANITIZE, SANITIZE_CRYPTO_ERASE, 10, OPF_SA | OPF_WRITE | OPF_THIN,
	    sbc_sanitize, "SANITIZE(CRYPTOGRAPHIC ERASE)",
	    { 0x48, 0x80 | SANITIZE_CRYPTO_ERASE, 0, 0, 0, 0, 0, 0xff, 0xff,
	    0x07 } },
	{ SANITIZE, SANITIZE_EXIT_FAILURE_MODE, 10, OPF_SA | OPF_WRITE,
	    sbc_sanitize, "SANITIZE(EXIT FAILURE MODE)",
	    { 0x48, 0x80 | SANITIZE_EXIT_FAILURE_MODE, 0, 0, 0, 0, 0, 0xff,
	    0xff, 0x07 } },
	{ EXTENDED_COPY, 0, 16, OPF_SA | OPF_WRITE, spc_extended_copy,
	    "EXTENDED COPY(LID1)",
	    { 0x83, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, LBA4, 0, 0x07 } },
	{ RECEIVE_COPY_RESULTS, 0, 16, OPF_SA | OPF_READ,
	    spc_receive_copy_results, "RECEIVE COPY RESULTS(COPY STATUS)",
	    { 0x84, 0x00, 0xff, 0, 0, 0, 0, 0, 0, 0, LBA4, 0, 0x07 } },
	{ RECEIVE_COPY_RESULTS, 3, 16, OPF_SA | OPF_ALWAYS,
	    spc_receive_copy_results,
	    "RECEIVE COPY RESULTS(OPERATING PARAMETERS)",
	    { 0x84, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, LBA4, 0, 0x07 } },
	{ READ_16, 0, 16, OPF_READ, sbc_read, "READ(16)",
	    { 0x88, 0x18, LBA8, LBA4, 0, 0x07 } },
	{ COMPARE_AND_WRITE, 0, 16, OPF_WRITE, sbc_compare_and_write,
	    "COMPARE AND WRITE",
	    { 0x89, 0x18, LBA8, 0, 0, 0, 0xff, 0, 0x07 } },
	{ ORWRITE_16, 0, 16, OPF_WRITE, sbc_orwrite, "ORWRITE(16)",
	    { 0x8b, 0x18, LBA8, LBA4, 0, 0x07 } },
	{ WRITE_16, 0, 16, OPF_WRITE, sbc_write, "WRITE(16)",
	    { 0x8a, 0x18, LBA8, LBA4, 0, 0x07 } },
	{ WRITE_VERIFY_16, 0, 16, OPF_WRITE, sbc_write, "WRITE AND VERIFY(16)",
	    { 0x8e, 0x12, LBA8, LBA4, 0, 0x07 } },
	{ VERIFY_16, 0, 16, OPF_READ, sbc_verify, "VERIFY(16)",
	    { 0x8f, 0x16, LBA8, LBA4, 0, 0x07 } },
	{ PRE_FETCH_16, 0, 16, OPF_READ, sbc_prefetch, "PRE-FETCH(16)",
	    { 0x90, 0x02, LBA8, LBA4, 0, 0x07 } },
	{ SYNCHRONIZE_CACHE_16, 0, 16, OPF_WRITE, sbc_sync_cache,
	    "SYNCHRONIZE CACHE(16)",
	    { 0x91, 0x02, LBA8, LBA4, 0, 0x07 } },
	{ WRITE_SAME_16, 0, 16, OPF_WRITE, sbc_write_same, "WRITE SAME(16)",
	    { 0x93, 0x09, LBA8, LBA4, 0, 0x07 } },
	{ WRITE_ATOMIC_16, 0, 16, OPF_WRITE, sbc_write_atomic,
	    "WRITE ATOMIC(16)",
	    { 0x9c, 0x18, LBA8, 0, 0, 0xff, 0xff, 0, 0x07 } },
	{ SERVICE_ACTION_IN_16, SAI_READ_CAPACITY_16, 16, OPF_SA,
	    sbc_read_capacity16, "READ CAPACITY(16)",
	    { 0x9e, SAI_READ_CAPACITY_16, LBA8, LBA4, 0x01, 0x07 } },
	{ SERVICE_ACTION_IN_16, SAI_GET_LBA_STATUS, 16, OPF_SA | OPF_READ,
	    sbc_get_lba_status, "GET LBA STATUS",
	    { 0x9e, SAI_GET_LBA_STATUS, LBA8, LBA4, 0, 0x07 } },
	{ READ_12, 0, 12, OPF_READ, sbc_read, "READ(12)",
	    { 0xa8, 0x18, LBA4, LBA4, 0, 0x07 } },
	{ WRITE_12, 0, 12, OPF_WRITE, sbc_write, "WRITE(12)",
	    { 0xaa, 0x18, LBA4, LBA4, 0, 0x07 } },
	{ WRITE_VERIFY_12, 0, 12, OPF_WRITE, sbc_write, "WRITE AND VERIFY(12)",
	    { 0xae, 0x12, LBA4, LBA4, 0, 0x07 } },
	{ READ_DEFECT_DATA_12, 0, 12, OPF_READ, sbc_read_defect_data,
	    "READ DEFECT DATA(12)",
	    { 0xb7, 0x1f, LBA4, LBA4, 0, 0x07 } },
	{ VERIFY_12, 0, 12, OPF_READ, sbc_verify, "VERIFY(12)",
	    { 0xaf, 0x16, LBA4, LBA4, 0, 0x07 } },
};

static const uint8_t sbc_vpd[] = { VPD_THIRD_PARTY_COPY, VPD_BLOCK_LIMITS,
    VPD_BLOCK_DEV_CHARS, VPD_LB_PROVISIONING };
static const uint8_t sbc_mode_pages[] = { MODE_PAGE_CACHING,
    MODE_PAGE_CONTROL, MODE_PAGE_INFO_EXCEPTIONS };

const struct devtype devtype_disk = {
	.name = "disk",
	.pdt = TYPE_DISK,
	.inq5 = 0x08,				/* 3PC: EXTENDED COPY */
	.version = VD_SBC3,
	.product = "DISK",
	.ops = sbc_ops,
	.nops = sizeof(sbc_ops) / sizeof(sbc_ops[0]),
	.init = NULL,				/* lun_init() */
	.vpd = sbc_vpd,
	.nvpd = sizeof(sbc_vpd),
	.vpd_page = sbc_vpd_page,
	.mode_pages = sbc_mode_pages,
	.nmode_pages = sizeof(sbc_mode_pages),
	.mode_page = sbc_mode_page,
	.mode_page_set = sbc_mode_page_set,
	.mode_bd = sbc_mode_bd,
	.mode_bd_set = sbc_mode_bd_set,
	.mode_devspec = sbc_mode_devspec,
};
