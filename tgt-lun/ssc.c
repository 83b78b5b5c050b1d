/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Tape drives: SCSI stream commands (SSC-4) for one generic LTO-class
 * drive, on a cartridge in the format of tgt-cartridge(5)
 * (common/cartridge.c), and the drive's command table, VPD and mode
 * pages (devtype_tape).
 *
 * The master hands the drive the descriptor of the cartridge it holds
 * (none: an empty drive); the drive never opens a file.  The position
 * is the logical object identifier of SSC-4: objects (blocks and
 * filemarks) from the beginning of the tape.  The drive reports
 * buffered mode 1, but has no buffer of its own: every block is in the
 * cartridge file when its command completes (so it survives the death
 * of this process), and on stable storage after WRITE FILEMARKS,
 * REWIND, LOAD UNLOAD or a write in the early warning zone.
 *
 * Residuals (the INFORMATION field): what was not read, written or
 * spaced over, in blocks, bytes or filemarks as the command counts, as
 * an absolute value (Linux st takes either sign for reverse spacing);
 * the ILI residual of a variable-length READ is signed, negative when
 * the block was longer than asked for (SSC-4 7.3.3).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cartridge.h"
#include "log.h"
#include "lun.h"
#include "scsi.h"

/* SSC operation codes */
#define REWIND				0x01
#define FORMAT_MEDIUM			0x04
#define READ_BLOCK_LIMITS		0x05
#define WRITE_FILEMARKS_6		0x10
#define SPACE_6				0x11
#define ERASE_6				0x19
#define LOAD_UNLOAD			0x1b
#define LOCATE_10			0x2b
#define READ_POSITION			0x34
#define REPORT_DENSITY_SUPPORT		0x44
#define LOG_SELECT			0x4c
#define LOG_SENSE			0x4d
#define WRITE_FILEMARKS_16		0x80
#define READ_ATTRIBUTE			0x8c
#define WRITE_ATTRIBUTE			0x8d
#define SPACE_16			0x91
#define LOCATE_16			0x92

/* mode and log pages */
#define MODE_PAGE_COMPRESSION		0x0f
#define MODE_PAGE_DEVICE_CONFIG		0x10
#define MODE_PAGE_PARTITION		0x11
#define LOG_PAGE_SUPPORTED		0x00
#define LOG_PAGE_WRITE_ERRORS		0x02
#define LOG_PAGE_READ_ERRORS		0x03
#define LOG_PAGE_SEQUENTIAL		0x0c
#define LOG_PAGE_TAPEALERT		0x2e

#define VPD_SEQ_CAPABILITIES		0xb0

/* the one density of the drive: an LTO-5 class */
#define TAPE_DENSITY			0x58
#define TAPE_DENSITY_NAME		"LTO-5"
#define TAPE_MEDIUM_TYPE_DATA		0x00
#define TAPE_MEDIUM_TYPE_CLEANING	0x01
#define TAPE_MEDIUM_TYPE_WORM		0x80

#define ASC_AUX_MEMORY_OUT_OF_SPACE	0x5506

/* TapeAlert flags (SSC-4 annex), the ones this drive raises */
#define TA_READ_WARNING			0x01
#define TA_WRITE_WARNING		0x02
#define TA_MEDIA			0x04
#define TA_WRITE_PROTECT		0x09
#define TA_CLEANING_MEDIA		0x0b
#define TA_UNSUPPORTED_FORMAT		0x0c
#define TA_WORM_OVERWRITE		0x2f	/* WORM medium overwrite */

struct tape {
	struct cart	 cart;
	int		 fd;		/* the cartridge, -1: none */
	int		 loaded;	/* threaded and ready */
	uint32_t	 blksize;	/* fixed block length, 0: variable */
	int		 dce;		/* data compression enabled */
	/* log counters (LOG SENSE 02h, 03h, 0Ch) */
	uint64_t	 wr_bytes, rd_bytes, wr_blocks, rd_blocks;
	uint8_t		 ta[64];	/* TapeAlert flags 1-64 */
};

static struct tape *
tape_of(struct scsi_cmd *cmd)
{
	return (cmd->lun->dev);
}

/* Largest block: what fits in the ring, at most 8 MiB. */
static uint32_t
ssc_max_block(const struct scsi_cmd *cmd)
{
	uint32_t	bytes = LUN_MAX_XFER;

	if (cmd->port != NULL && cmd->port->data_size != 0 &&
	    cmd->port->data_size < bytes)
		bytes = cmd->port->data_size;
	return (bytes);
}

/* Early warning: the last 1/32 of the tape, at least 32 KiB. */
static uint64_t
ssc_ew_zone(const struct tape *t)
{
	uint64_t	ew = t->cart.info.capacity / 32;

	return (ew < 32768 ? 32768 : ew);
}

static int
ssc_in_ew(const struct tape *t)
{
	return (cart_remaining(&t->cart) < ssc_ew_zone(t));
}

static int
ssc_wp(const struct lun *lun, const struct tape *t)
{
	return (lun->readonly || lun->swp || t->cart.info.wp);
}

/* Ready for a medium access command?  0, or -1 with the sense set. */
static int
ssc_ready(struct scsi_cmd *cmd, int rw)
{
	struct tape	*t = tape_of(cmd);

	if (!t->loaded) {
		scsi_check(cmd, SK_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
		return (-1);
	}
	if (rw && t->cart.info.type == CART_CLEANING) {
		scsi_check(cmd, SK_NOT_READY, ASC_CLEANING_CARTRIDGE);
		return (-1);
	}
	return (0);
}

/* May the drive write here?  0, or -1 with the sense set. */
static int
ssc_write_ok(struct scsi_cmd *cmd)
{
	struct tape	*t = tape_of(cmd);

	if (ssc_ready(cmd, 1) == -1)
		return (-1);
	if (ssc_wp(cmd->lun, t)) {
		t->ta[TA_WRITE_PROTECT - 1] = 1;
		scsi_check(cmd, SK_DATA_PROTECT, ASC_WRITE_PROTECTED);
		return (-1);
	}
	/* WORM: only appends, never over what is written */
	if (t->cart.info.type == CART_WORM && t->cart.pos != t->cart.eod) {
		t->ta[TA_WORM_OVERWRITE - 1] = 1;
		scsi_check(cmd, SK_DATA_PROTECT, ASC_WORM_OVERWRITE);
		return (-1);
	}
	return (0);
}

static void
ssc_medium_error(struct scsi_cmd *cmd, int write)
{
	struct tape	*t = tape_of(cmd);

	t->ta[(write ? TA_WRITE_WARNING : TA_READ_WARNING) - 1] = 1;
	scsi_check(cmd, SK_MEDIUM_ERROR, write ? ASC_WRITE_ERROR :
	    ASC_UNRECOVERED_READ_ERROR);
}

/*
 * Load the cartridge: check it and find its end of data, count the
 * load, rewind, and tell every other I_T nexus (28/00).
 */
static int
ssc_load(struct lun *lun, const struct nexus *by, char *err, size_t errlen)
{
	struct tape	*t = lun->dev;

	if (t->loaded) {
		if (cart_locate(&t->cart, 0) == -1) {
			snprintf(err, errlen, "rewind: %s", strerror(errno));
			return (-1);
		}
		return (0);
	}
	if (cart_open(&t->cart, t->fd, err, errlen) == -1)
		return (-1);
	if (t->cart.cut)
		log_warnx("cartridge %s: a torn last block was cut",
		    t->cart.info.barcode);
	t->cart.info.load_count++;
	if (t->cart.info.density == 0)
		t->cart.info.density = TAPE_DENSITY;
	if (cart_save_info(&t->cart) == -1)
		log_warn("cartridge %s: saving the load count",
		    t->cart.info.barcode);
	t->loaded = 1;
	lun->ejected = 0;
	memset(t->ta, 0, sizeof(t->ta));
	if (t->cart.info.type == CART_CLEANING)
		t->ta[TA_CLEANING_MEDIA - 1] = 1;
	log_info("cartridge %s loaded: %llu objects, %llu filemarks%s",
	    t->cart.info.barcode, (unsigned long long)t->cart.eod,
	    (unsigned long long)t->cart.nfm,
	    t->cart.info.wp ? ", write protected" : "");
	lun_ua_set(lun, UA_MEDIUM_CHANGED, by);
	return (0);
}

static void
ssc_unload(struct lun *lun)
{
	struct tape	*t = lun->dev;

	if (!t->loaded)
		return;
	if (cart_sync(&t->cart) == -1)
		log_warn("cartridge %s: sync", t->cart.info.barcode);
	log_info("cartridge %s unloaded", t->cart.info.barcode);
	cart_close(&t->cart);
	t->loaded = 0;
	lun->ejected = 1;
}

static int
ssc_init(struct lun *lun, int fd, char *err, size_t errlen)
{
	struct tape	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	t->fd = fd;
	lun->dev = t;
	lun->fd = fd;
	lun->removable = 1;
	lun->ejected = 1;
	lun->readonly = (lun->cfg.flags & LUN_F_READONLY) != 0;
	lun->block_size = 0;
	if (fd != -1 && ssc_load(lun, NULL, err, errlen) == -1) {
		free(t);
		lun->dev = NULL;
		lun->fd = -1;
		return (-1);
	}
	return (0);
}

static void
ssc_fini(struct lun *lun)
{
	if (lun->dev == NULL)
		return;
	ssc_unload(lun);
	free(lun->dev);
	lun->dev = NULL;
}

/*
 * The master puts a cartridge in the drive (fd, which this owns from
 * here) or takes it out (fd -1).  Fills in what the drive holds now;
 * 0, or -1 and why not.
 */
int
ssc_medium(struct lun *lun, int fd, struct msg_lun_medium_done *d)
{
	struct tape	*t = lun->dev;
	char		 err[TGT_ERR_MAX];

	memset(d, 0, sizeof(*d));
	if (lun->dt != &devtype_tape || t == NULL) {
		if (fd != -1)
			close(fd);
		strlcpy(d->text, "not a tape drive", sizeof(d->text));
		return (-1);
	}
	if (fd != -1) {
		if (t->fd != -1) {
			close(fd);
			strlcpy(d->text, "the drive holds a cartridge",
			    sizeof(d->text));
			goto out;
		}
		t->fd = lun->fd = fd;
		if (ssc_load(lun, NULL, err, sizeof(err)) == -1) {
			log_warnx("cartridge not loaded: %s", err);
			close(fd);
			t->fd = lun->fd = -1;
			strlcpy(d->text, err, sizeof(d->text));
			goto out;
		}
		d->ok = 1;
		goto out;
	}
	if (t->fd == -1) {
		d->ok = 1;
		goto out;
	}
	if (lun_prevented(lun)) {
		strlcpy(d->text, "medium removal prevented", sizeof(d->text));
		goto out;
	}
	ssc_unload(lun);
	close(t->fd);
	t->fd = lun->fd = -1;
	d->ok = 1;
 out:
	d->loaded = t->fd != -1;
	if (t->loaded)
		strlcpy(d->barcode, t->cart.info.barcode, sizeof(d->barcode));
	return (d->ok ? 0 : -1);
}

/* A LUN reset: the mode parameters return to their defaults. */
static void
ssc_reset(struct lun *lun)
{
	struct tape	*t = lun->dev;

	t->blksize = 0;
	t->dce = 0;
}

/*
 * Position on object n; past end of data the drive stops at end of
 * data and says so (BLANK CHECK, END-OF-DATA DETECTED).  0 or -1.
 */
static int
ssc_goto(struct scsi_cmd *cmd, uint64_t n)
{
	struct tape	*t = tape_of(cmd);

	if (n > t->cart.eod) {
		if (cart_locate(&t->cart, t->cart.eod) == -1)
			ssc_medium_error(cmd, 0);
		else
			scsi_check(cmd, SK_BLANK_CHECK, ASC_EOD_DETECTED);
		return (-1);
	}
	if (cart_locate(&t->cart, n) == -1) {
		scsi_check(cmd, SK_MEDIUM_ERROR, ASC_LOCATE_FAILED);
		return (-1);
	}
	return (0);
}

/*
 * The transfer length of a 6-byte READ, WRITE or WRITE FILEMARKS, or of
 * the 16-byte form, which first positions the tape at its logical object
 * identifier (partition 0 only).  0 and *n, or -1 with the sense set.
 */
static int
ssc_cdb_count(struct scsi_cmd *cmd, uint32_t *n)
{
	const uint8_t	*c = cmd->cdb;

	if (c[0] == READ_16 || c[0] == WRITE_16 ||
	    c[0] == WRITE_FILEMARKS_16) {
		if (c[3] != 0) {		/* partition */
			scsi_invalid_cdb(cmd, 3, -1);
			return (-1);
		}
		if (ssc_goto(cmd, get_be64(&c[4])) == -1)
			return (-1);
		*n = get_be24(&c[12]);
	} else
		*n = get_be24(&c[2]);
	return (0);
}

/* READ(6), READ(16) */
static int
ssc_read(struct scsi_cmd *cmd)
{
	struct tape	*t = tape_of(cmd);
	const uint8_t	*c = cmd->cdb;
	struct cart_rec	 r;
	uint32_t	 n, done, len, room, bs;
	int		 fixed = c[1] & 0x01, sili = (c[1] & 0x02) != 0;

	if (fixed && sili) {
		scsi_invalid_cdb(cmd, 1, 1);
		return (SCSI_DONE);
	}
	if (ssc_ready(cmd, 1) == -1)
		return (SCSI_DONE);
	if (ssc_cdb_count(cmd, &n) == -1)
		return (SCSI_DONE);
	if (n == 0)
		return (SCSI_DONE);
	if (fixed && t->blksize == 0) {
		scsi_invalid_cdb(cmd, 1, 0);
		return (SCSI_DONE);
	}
	bs = fixed ? t->blksize : n;
	if ((uint64_t)n * (fixed ? bs : 1) > ssc_max_block(cmd)) {
		scsi_invalid_cdb(cmd, c[0] == READ_16 ? 12 : 2, -1);
		return (SCSI_DONE);
	}
	cmd->want = fixed ? n * bs : n;
	for (done = 0; done < (fixed ? n : 1); done++) {
		len = fixed ? bs : n;
		room = cmd->in_len > done * bs ? cmd->in_len - done * bs : 0;
		if (room > len)
			room = len;
		/* no room (no Data-In buffer): the block is read, not sent */
		if (cart_read(&t->cart, room > 0 ? cmd->buf + (fixed ?
		    done * bs : 0) : NULL, room, &r) == -1) {
			ssc_medium_error(cmd, 0);
			return (SCSI_DONE);
		}
		if (r.type == CART_REC_FILEMARK) {
			/* past the filemark: what was not read */
			scsi_check_stream(cmd, SK_NO_SENSE,
			    ASC_FILEMARK_DETECTED, SENSE_FILEMARK,
			    fixed ? n - done : n, 1);
			return (SCSI_DONE);
		}
		if (r.type == CART_REC_EOD) {
			scsi_check_stream(cmd, SK_BLANK_CHECK,
			    ASC_EOD_DETECTED, 0, fixed ? n - done : n, 1);
			return (SCSI_DONE);
		}
		t->rd_blocks++;
		t->rd_bytes += r.len < room ? r.len : room;
		cmd->len = fixed ? done * bs + (r.len < room ? r.len : room) :
		    (r.len < room ? r.len : room);
		if (r.len == len)
			continue;
		/*
		 * Incorrect length.  Variable mode: the residual in bytes
		 * (negative when the block was longer), none with SILI
		 * for a shorter block, nor for a longer one unless a
		 * fixed block length is set.  Fixed mode: blocks not read,
		 * the wrong one excluded.
		 */
		if (!fixed) {
			if (sili && (r.len < len || t->blksize == 0))
				return (SCSI_DONE);
			scsi_check_stream(cmd, SK_NO_SENSE,
			    ASC_NO_ADDITIONAL_SENSE, SENSE_ILI,
			    (int64_t)len - (int64_t)r.len, 1);
		} else {
			cmd->len = done * bs;
			scsi_check_stream(cmd, SK_NO_SENSE,
			    ASC_NO_ADDITIONAL_SENSE, SENSE_ILI,
			    n - done - 1, 1);
		}
		return (SCSI_DONE);
	}
	return (SCSI_DONE);
}

/* Write one record; 0, or -1 with the sense of the end of the medium. */
static int
ssc_put(struct scsi_cmd *cmd, int type, const uint8_t *buf, uint32_t len,
    int64_t resid)
{
	struct tape	*t = tape_of(cmd);

	if (cart_write(&t->cart, type, buf, len) == 0)
		return (0);
	if (errno == ENOSPC)
		scsi_check_stream(cmd, SK_VOLUME_OVERFLOW, ASC_EOP_EOM_DETECTED,
		    SENSE_EOM, resid, 1);
	else
		ssc_medium_error(cmd, 1);
	return (-1);
}

/*
 * After a write: in the early warning zone the command succeeded but
 * says it is near the end (NO SENSE, EOM, 00/02), and what is written
 * goes to stable storage.
 */
static void
ssc_written(struct scsi_cmd *cmd)
{
	struct tape	*t = tape_of(cmd);

	if (!ssc_in_ew(t))
		return;
	if (cart_sync(&t->cart) == -1) {
		ssc_medium_error(cmd, 1);
		return;
	}
	scsi_check_stream(cmd, SK_NO_SENSE, ASC_EOP_EOM_DETECTED, SENSE_EOM,
	    0, 1);
}

/* WRITE(6), WRITE(16) */
static int
ssc_write(struct scsi_cmd *cmd)
{
	struct tape	*t = tape_of(cmd);
	const uint8_t	*c = cmd->cdb;
	uint32_t	 n, i, bs, need;
	uint8_t		*copy;
	int		 fixed = c[1] & 0x01;

	if (ssc_ready(cmd, 1) == -1)
		return (SCSI_DONE);
	if (ssc_cdb_count(cmd, &n) == -1)
		return (SCSI_DONE);
	if (ssc_write_ok(cmd) == -1 || n == 0)
		return (SCSI_DONE);
	if (fixed && t->blksize == 0) {
		scsi_invalid_cdb(cmd, 1, 0);
		return (SCSI_DONE);
	}
	bs = fixed ? t->blksize : n;
	if ((uint64_t)n * (fixed ? bs : 1) > ssc_max_block(cmd)) {
		scsi_invalid_cdb(cmd, c[0] == WRITE_16 ? 12 : 2, -1);
		return (SCSI_DONE);
	}
	need = fixed ? n * bs : n;
	cmd->want = need;
	if (cmd->out_len < need) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_IU);
		return (SCSI_DONE);
	}
	/* the Data-Out is in shared memory: write a private copy */
	if ((copy = malloc(need)) == NULL) {
		scsi_check(cmd, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
		return (SCSI_DONE);
	}
	memcpy(copy, cmd->buf, need);
	for (i = 0; i < (fixed ? n : 1); i++) {
		if (ssc_put(cmd, CART_REC_DATA, copy + (fixed ? i * bs : 0),
		    bs, fixed ? n - i : n) == -1)
			break;
		t->wr_blocks++;
		t->wr_bytes += bs;
		cmd->len += bs;
	}
	free(copy);
	if (i == (fixed ? n : 1))
		ssc_written(cmd);
	return (SCSI_DONE);
}

/* WRITE FILEMARKS(6), WRITE FILEMARKS(16) */
static int
ssc_write_filemarks(struct scsi_cmd *cmd)
{
	struct tape	*t = tape_of(cmd);
	const uint8_t	*c = cmd->cdb;
	uint32_t	 n, i;

	if (c[1] & 0x02) {			/* WSMK: no setmarks */
		scsi_invalid_cdb(cmd, 1, 1);
		return (SCSI_DONE);
	}
	if (ssc_ready(cmd, 1) == -1)
		return (SCSI_DONE);
	if (ssc_cdb_count(cmd, &n) == -1)
		return (SCSI_DONE);
	if (n > 0 && ssc_write_ok(cmd) == -1)
		return (SCSI_DONE);
	for (i = 0; i < n; i++)
		if (ssc_put(cmd, CART_REC_FILEMARK, NULL, 0, n - i) == -1)
			return (SCSI_DONE);
	/* IMMED 0: what is written is on the medium (here: stable) */
	if (!(c[1] & 0x01) && cart_sync(&t->cart) == -1) {
		ssc_medium_error(cmd, 1);
		return (SCSI_DONE);
	}
	if (n > 0)
		ssc_written(cmd);
	return (SCSI_DONE);
}

/*
 * SPACE over count blocks (code 0) or filemarks (1), backwards when
 * negative, or to end of data (3), through the cartridge's filemark
 * index: no record between here and there is read.
 */
static void
ssc_space_do(struct scsi_cmd *cmd, int code, int64_t count)
{
	struct tape	*t = tape_of(cmd);
	struct cart	*ct = &t->cart;
	uint64_t	 pos = ct->pos, fm, n, k, f;

	switch (code) {
	case 0:				/* blocks */
		if (count >= 0) {
			n = count;
			fm = cart_fm_next(ct, pos);
			if (fm != UINT64_MAX && fm < pos + n && fm < ct->eod) {
				/* stop past the filemark */
				if (ssc_goto(cmd, fm + 1) == 0)
					scsi_check_stream(cmd, SK_NO_SENSE,
					    ASC_FILEMARK_DETECTED,
					    SENSE_FILEMARK, n - (fm - pos), 1);
				return;
			}
			if (pos + n > ct->eod) {
				if (ssc_goto(cmd, ct->eod) == 0)
					scsi_check_stream(cmd, SK_BLANK_CHECK,
					    ASC_EOD_DETECTED, 0,
					    n - (ct->eod - pos), 1);
				return;
			}
			ssc_goto(cmd, pos + n);
			return;
		}
		n = -(uint64_t)count;
		fm = cart_fm_prev(ct, pos);
		if (fm != UINT64_MAX && fm + n >= pos) {
			/* stop before the filemark (its BOP side) */
			if (ssc_goto(cmd, fm) == 0)
				scsi_check_stream(cmd, SK_NO_SENSE,
				    ASC_FILEMARK_DETECTED, SENSE_FILEMARK,
				    n - (pos - fm - 1), 1);
			return;
		}
		if (n > pos) {
			if (ssc_goto(cmd, 0) == 0)
				scsi_check_stream(cmd, SK_NO_SENSE,
				    ASC_BOP_BOM_DETECTED, SENSE_EOM,
				    n - pos, 1);
			return;
		}
		ssc_goto(cmd, pos - n);
		return;
	case 1:				/* filemarks */
		f = cart_fm_before(ct, pos);
		if (count >= 0) {
			n = count;
			if (n == 0)
				return;
			k = f + n - 1;		/* rank of the last one */
			if (k < ct->nfm) {
				ssc_goto(cmd, cart_fm_objno(ct, k) + 1);
				return;
			}
			if (ssc_goto(cmd, ct->eod) == 0)
				scsi_check_stream(cmd, SK_BLANK_CHECK,
				    ASC_EOD_DETECTED, 0, n - (ct->nfm - f), 1);
			return;
		}
		n = -(uint64_t)count;
		if (n <= f) {
			ssc_goto(cmd, cart_fm_objno(ct, f - n));
			return;
		}
		if (ssc_goto(cmd, 0) == 0)
			scsi_check_stream(cmd, SK_NO_SENSE,
			    ASC_BOP_BOM_DETECTED, SENSE_EOM, n - f, 1);
		return;
	case 3:				/* end of data */
		ssc_goto(cmd, ct->eod);
		return;
	}
	scsi_invalid_cdb(cmd, 1, 3);
}

/* SPACE(6), SPACE(16) */
static int
ssc_space(struct scsi_cmd *cmd)
{
	const uint8_t	*c = cmd->cdb;
	int64_t		 count;
	int		 code = c[1] & 0x0f;

	if (ssc_ready(cmd, 0) == -1)
		return (SCSI_DONE);
	if (c[0] == SPACE_16) {
		if (get_be16(&c[12]) != 0) {	/* parameter length */
			scsi_invalid_cdb(cmd, 12, -1);
			return (SCSI_DONE);
		}
		count = (int64_t)get_be64(&c[4]);
	} else {
		count = get_be24(&c[2]);
		if (count & 0x800000)
			count -= 0x1000000;
	}
	/* 2: sequential filemarks, 4-5: setmarks, not supported */
	if (code != 0 && code != 1 && code != 3) {
		scsi_invalid_cdb(cmd, 1, 3);
		return (SCSI_DONE);
	}
	if (count == 0 && code != 3)
		return (SCSI_DONE);
	ssc_space_do(cmd, code, count);
	return (SCSI_DONE);
}

/* LOCATE(10), LOCATE(16) */
static int
ssc_locate(struct scsi_cmd *cmd)
{
	struct tape	*t = tape_of(cmd);
	const uint8_t	*c = cmd->cdb;
	uint64_t	 id, f;
	int		 cp = (c[1] & 0x02) != 0, dest = 0;
	uint8_t		 part;

	if (c[0] == LOCATE_16) {
		dest = (c[1] >> 3) & 0x07;
		part = c[3];
		id = get_be64(&c[4]);
	} else {
		part = c[8];
		id = get_be32(&c[3]);
	}
	if (cp && part != 0) {			/* one partition */
		scsi_invalid_cdb(cmd, c[0] == LOCATE_16 ? 3 : 8, -1);
		return (SCSI_DONE);
	}
	if (dest != 0 && dest != 1 && dest != 3) {
		scsi_invalid_cdb(cmd, 1, 5);
		return (SCSI_DONE);
	}
	if (ssc_ready(cmd, 0) == -1)
		return (SCSI_DONE);
	switch (dest) {
	case 0:					/* logical object */
		ssc_goto(cmd, id);
		break;
	case 1:				/* logical file: past its FM */
		if (id == 0) {
			ssc_goto(cmd, 0);
			break;
		}
		f = cart_fm_objno(&t->cart, id - 1);
		ssc_goto(cmd, f == UINT64_MAX ? UINT64_MAX : f + 1);
		break;
	case 3:
		ssc_goto(cmd, t->cart.eod);
		break;
	}
	return (SCSI_DONE);
}

/* REWIND: what is written goes to stable storage, then the beginning. */
static int
ssc_rewind(struct scsi_cmd *cmd)
{
	struct tape	*t = tape_of(cmd);

	if (ssc_ready(cmd, 0) == -1)
		return (SCSI_DONE);
	if (cart_sync(&t->cart) == -1)
		ssc_medium_error(cmd, 1);
	else
		ssc_goto(cmd, 0);
	return (SCSI_DONE);
}

/* ERASE: end of data here (LONG or not, the rest is gone). */
static int
ssc_erase(struct scsi_cmd *cmd)
{
	struct tape	*t = tape_of(cmd);

	if (ssc_write_ok(cmd) == -1)
		return (SCSI_DONE);
	if (cart_erase(&t->cart) == -1 || cart_sync(&t->cart) == -1)
		ssc_medium_error(cmd, 1);
	return (SCSI_DONE);
}

/*
 * LOAD UNLOAD: load, unload (EOT: to the end of the tape first, HOLD,
 * RETEN: nothing to do on a virtual tape).  Loading with EOT makes no
 * sense (SSC-4 7.2).
 */
static int
ssc_load_unload(struct scsi_cmd *cmd)
{
	struct lun	*lun = cmd->lun;
	struct tape	*t = tape_of(cmd);
	char		 err[TGT_ERR_MAX];
	int		 load = cmd->cdb[4] & 0x01;

	if (load && (cmd->cdb[4] & 0x04)) {
		scsi_invalid_cdb(cmd, 4, 2);
		return (SCSI_DONE);
	}
	if (t->fd == -1) {
		scsi_check(cmd, SK_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
		return (SCSI_DONE);
	}
	if (load) {
		if (ssc_load(lun, cmd->nexus, err, sizeof(err)) == -1) {
			log_warnx("load: %s", err);
			scsi_check(cmd, SK_MEDIUM_ERROR,
			    ASC_CANNOT_READ_MEDIUM);
		}
		return (SCSI_DONE);
	}
	if (lun_prevented(lun)) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST,
		    ASC_MEDIUM_REMOVAL_PREVENTED);
		return (SCSI_DONE);
	}
	ssc_unload(lun);
	return (SCSI_DONE);
}

/* READ BLOCK LIMITS, with MLOI the largest logical object identifier. */
static int
ssc_read_block_limits(struct scsi_cmd *cmd)
{
	struct tape	*t = tape_of(cmd);
	uint8_t		 b[20];

	memset(b, 0, sizeof(b));
	if (cmd->cdb[1] & 0x01) {		/* MLOI */
		if (ssc_ready(cmd, 0) == -1)
			return (SCSI_DONE);
		put_be16(&b[2], 16);
		put_be64(&b[12], t->cart.info.capacity / CART_REC_HDR);
		scsi_data_in(cmd, b, 20, 20);
		return (SCSI_DONE);
	}
	b[0] = 0;				/* granularity: 1 byte */
	put_be24(&b[1], ssc_max_block(cmd));
	put_be16(&b[4], 1);
	scsi_data_in(cmd, b, 6, 6);
	return (SCSI_DONE);
}

/*
 * READ POSITION: short (00h, and 01h, vendor-specific block ids, which
 * Linux st asks for and which are the same here), long (06h) and
 * extended (08h) forms.
 */
static int
ssc_read_position(struct scsi_cmd *cmd)
{
	struct tape	*t = tape_of(cmd);
	struct cart	*ct = &t->cart;
	uint8_t		 b[32], flags;
	uint8_t		 sa = cmd->cdb[1] & 0x1f;

	if (sa != 0x00 && sa != 0x01 && sa != 0x06 && sa != 0x08) {
		scsi_invalid_cdb(cmd, 1, 4);
		return (SCSI_DONE);
	}
	if (ssc_ready(cmd, 0) == -1)
		return (SCSI_DONE);
	memset(b, 0, sizeof(b));
	flags = (ct->pos == 0 ? 0x80 : 0) |		/* BOP */
	    (cart_remaining(ct) < CART_REC_HDR ? 0x40 : 0) | /* EOP */
	    (ssc_in_ew(t) ? 0x01 : 0);			/* BPEW */
	switch (sa) {
	case 0x00:
	case 0x01:
		b[0] = flags;
		if (ct->pos > UINT32_MAX)
			b[0] |= 0x04 | 0x02;	/* LOLU, PERR: too far */
		else {
			put_be32(&b[4], (uint32_t)ct->pos);
			put_be32(&b[8], (uint32_t)ct->pos);
		}
		scsi_data_in(cmd, b, 20, 20);
		break;
	case 0x06:
		b[0] = flags & 0xc1;
		put_be64(&b[8], ct->pos);
		put_be64(&b[16], cart_fm_before(ct, ct->pos));
		scsi_data_in(cmd, b, 32, 32);
		break;
	case 0x08:
		b[0] = flags;
		put_be16(&b[2], 0x1c);
		put_be64(&b[8], ct->pos);
		put_be64(&b[16], ct->pos);
		scsi_data_in(cmd, b, 32, get_be16(&cmd->cdb[7]));
		break;
	}
	return (SCSI_DONE);
}

/* REPORT DENSITY SUPPORT: the drive's one density, or medium type. */
static int
ssc_report_density(struct scsi_cmd *cmd)
{
	struct tape	*t = tape_of(cmd);
	uint8_t		 b[64], *d = &b[4];
	int		 media = cmd->cdb[1] & 0x01;
	int		 mtype = (cmd->cdb[1] & 0x02) != 0;
	uint32_t	 cap;

	if (media && ssc_ready(cmd, 0) == -1)
		return (SCSI_DONE);
	memset(b, 0, sizeof(b));
	cap = t->loaded ? t->cart.info.capacity / 1000000 : 1500000;
	if (mtype) {
		put_be16(&b[0], 2 + 56);
		d[0] = TAPE_MEDIUM_TYPE_DATA;
		put_be16(&d[2], 52);
		d[4] = 1;			/* density codes */
		d[5] = TAPE_DENSITY;
		put_be16(&d[14], 127);		/* width, 0.1 mm */
		put_be16(&d[16], 846);		/* length, m */
		memcpy(&d[20], "LTO-CVE ", 8);
		memcpy(&d[28], "U-516   ", 8);
		memcpy(&d[36], "Ultrium 5/16T       ", 20);
		scsi_data_in(cmd, b, 4 + 56, get_be16(&cmd->cdb[7]));
		return (SCSI_DONE);
	}
	put_be16(&b[0], 2 + 52);
	d[0] = TAPE_DENSITY;			/* primary */
	d[1] = TAPE_DENSITY;			/* secondary */
	d[2] = 0x80 | 0x20 | 0x01;		/* WRTOK, DEFLT, DLV */
	put_be24(&d[5], 15142);			/* bits per mm */
	put_be16(&d[8], 127);			/* media width, 0.1 mm */
	put_be16(&d[10], 1280);			/* tracks */
	put_be32(&d[12], cap);			/* capacity, MB */
	memcpy(&d[16], "LTO-CVE ", 8);
	memcpy(&d[24], "U-516   ", 8);
	memcpy(&d[32], "Ultrium 5/16T       ", 20);
	scsi_data_in(cmd, b, 4 + 52, get_be16(&cmd->cdb[7]));
	return (SCSI_DONE);
}

/* A log parameter with an 8-byte counter; returns its size. */
static uint32_t
log_counter(uint8_t *p, uint16_t code, uint64_t v)
{
	put_be16(&p[0], code);
	p[2] = 0x00;				/* bounded data counter */
	p[3] = 8;
	put_be64(&p[4], v);
	return (12);
}

/* LOG SENSE (SSC-4 8.2): supported pages, counters and TapeAlert. */
static int
ssc_log_sense(struct scsi_cmd *cmd)
{
	struct tape	*t = tape_of(cmd);
	static const uint8_t pages[] = { LOG_PAGE_SUPPORTED,
	    LOG_PAGE_WRITE_ERRORS, LOG_PAGE_READ_ERRORS, LOG_PAGE_SEQUENTIAL,
	    LOG_PAGE_TAPEALERT };
	uint8_t		 b[1024];
	uint32_t	 n = 4, i;
	uint8_t		 page = cmd->cdb[2] & 0x3f;
	uint16_t	 ptr = get_be16(&cmd->cdb[5]);
	int		 pc = cmd->cdb[2] >> 6, cumulative;
	uint64_t	 bytes;

	if (cmd->cdb[1] & 0x01) {		/* SP: nothing to save */
		scsi_invalid_cdb(cmd, 1, 0);
		return (SCSI_DONE);
	}
	if (cmd->cdb[3] != 0) {			/* no subpages */
		scsi_invalid_cdb(cmd, 3, -1);
		return (SCSI_DONE);
	}
	memset(b, 0, sizeof(b));
	b[0] = page;
	/* current cumulative values (pc 1) count; the others are zero */
	cumulative = pc == 1;
	switch (page) {
	case LOG_PAGE_SUPPORTED:
		memcpy(&b[4], pages, sizeof(pages));
		n += sizeof(pages);
		break;
	case LOG_PAGE_WRITE_ERRORS:
	case LOG_PAGE_READ_ERRORS:
		bytes = page == LOG_PAGE_WRITE_ERRORS ? t->wr_bytes :
		    t->rd_bytes;
		for (i = 0; i <= 6; i++) {
			if (i < ptr)
				continue;
			n += log_counter(&b[n], i, !cumulative ? 0 :
			    i == 5 ? bytes : 0);
		}
		break;
	case LOG_PAGE_SEQUENTIAL:
		/* bytes from initiators, to the medium, from it, to them */
		for (i = 0; i <= 3; i++) {
			if (i < ptr)
				continue;
			bytes = i < 2 ? t->wr_bytes : t->rd_bytes;
			n += log_counter(&b[n], i, cumulative ? bytes : 0);
		}
		if (ptr <= 0x100) {
			/* cleaning required */
			put_be16(&b[n], 0x0100);
			b[n + 2] = 0x03;
			b[n + 3] = 1;
			b[n + 4] = 0;
			n += 5;
		}
		break;
	case LOG_PAGE_TAPEALERT:
		for (i = 1; i <= 64; i++) {
			if (i < ptr)
				continue;
			put_be16(&b[n], i);
			b[n + 2] = 0x03;
			b[n + 3] = 1;
			b[n + 4] = cumulative ? t->ta[i - 1] : 0;
			n += 5;
		}
		/* reading the flags clears them (SSC-4 annex A) */
		if (cumulative)
			memset(t->ta, 0, sizeof(t->ta));
		break;
	default:
		scsi_invalid_cdb(cmd, 2, 5);
		return (SCSI_DONE);
	}
	put_be16(&b[2], n - 4);
	scsi_data_in(cmd, b, n, get_be16(&cmd->cdb[7]));
	return (SCSI_DONE);
}

/* LOG SELECT: PCR resets the counters; no parameters are taken. */
static int
ssc_log_select(struct scsi_cmd *cmd)
{
	struct tape	*t = tape_of(cmd);

	if (get_be16(&cmd->cdb[7]) != 0) {
		scsi_invalid_cdb(cmd, 7, -1);
		return (SCSI_DONE);
	}
	if (cmd->cdb[1] & 0x02) {		/* PCR */
		t->wr_bytes = t->rd_bytes = 0;
		t->wr_blocks = t->rd_blocks = 0;
		memset(t->ta, 0, sizeof(t->ta));
	}
	return (SCSI_DONE);
}

/*
 * Medium auxiliary memory (SPC-4 7.4): the device attributes come from
 * the cartridge, the host attributes (0800h-0BFFh, 1400h-17FFh) are what
 * WRITE ATTRIBUTE stored, kept sorted by identifier.
 */
#define MAM_MAX_ATTRS	256

static int
mam_host_id(uint16_t id)
{
	return ((id >= 0x0800 && id <= 0x0bff) ||
	    (id >= 0x1400 && id <= 0x17ff));
}

/* Append a device attribute; returns its size. */
static uint32_t
mam_put(uint8_t *p, uint16_t id, int ascii, const void *v, uint16_t len)
{
	put_be16(&p[0], id);
	p[2] = 0x80 | (ascii ? 0x01 : 0x00);	/* READ ONLY */
	put_be16(&p[3], len);
	memcpy(&p[5], v, len);
	return (5 + len);
}

static uint32_t
mam_put64(uint8_t *p, uint16_t id, uint64_t v)
{
	uint8_t	b[8];

	put_be64(b, v);
	return (mam_put(p, id, 0, b, 8));
}

static uint32_t
mam_put_ascii(uint8_t *p, uint16_t id, const char *s, uint16_t len)
{
	char	b[64];
	size_t	l = strlen(s);

	memset(b, ' ', sizeof(b));
	memcpy(b, s, l < len ? l : len);
	return (mam_put(p, id, 1, b, len));
}

/* Every attribute of the cartridge in b, ascending; returns the size. */
static uint32_t
mam_all(struct tape *t, uint8_t *b)
{
	struct cart_info	*in = &t->cart.info;
	struct tm		 tm;
	time_t			 ct = in->created;
	char			 date[16];
	uint32_t		 n = 0, off, alen;
	uint8_t			 mt;
	int			 have_barcode = 0;

	n += mam_put64(&b[n], 0x0000, cart_remaining(&t->cart) >> 20);
	n += mam_put64(&b[n], 0x0001, in->capacity >> 20);
	n += mam_put64(&b[n], 0x0003, in->load_count);
	n += mam_put64(&b[n], 0x0004, CART_MAM_MAX - in->mam_len);
	n += mam_put_ascii(&b[n], 0x0400, "TGT", 8);
	n += mam_put_ascii(&b[n], 0x0401, in->barcode, 32);
	gmtime_r(&ct, &tm);
	strftime(date, sizeof(date), "%Y%m%d", &tm);
	n += mam_put_ascii(&b[n], 0x0406, date, 8);
	mt = in->type == CART_CLEANING ? TAPE_MEDIUM_TYPE_CLEANING :
	    in->type == CART_WORM ? TAPE_MEDIUM_TYPE_WORM :
	    TAPE_MEDIUM_TYPE_DATA;
	n += mam_put(&b[n], 0x0408, 0, &mt, 1);
	/* host attributes, checked as they are untrusted file contents */
	for (off = 0; off + 5 <= in->mam_len; off += 5 + alen) {
		alen = get_be16(&in->mam[off + 3]);
		if (off + 5 + alen > in->mam_len)
			break;
		if (get_be16(&in->mam[off]) == 0x0806)
			have_barcode = 1;
		if (!have_barcode && get_be16(&in->mam[off]) > 0x0806) {
			n += mam_put_ascii(&b[n], 0x0806, in->barcode, 32);
			b[n - 32 - 5 + 2] &= ~0x80;	/* host writable */
			have_barcode = 1;
		}
		memcpy(&b[n], &in->mam[off], 5 + alen);
		b[n + 2] &= 0x03;
		n += 5 + alen;
	}
	if (!have_barcode) {
		n += mam_put_ascii(&b[n], 0x0806, in->barcode, 32);
		b[n - 32 - 5 + 2] &= ~0x80;
	}
	return (n);
}

/* READ ATTRIBUTE */
static int
ssc_read_attribute(struct scsi_cmd *cmd)
{
	struct tape	*t = tape_of(cmd);
	const uint8_t	*c = cmd->cdb;
	uint8_t		*all, *b;
	uint32_t	 alloc = get_be32(&c[10]), n, off, len, m = 4;
	uint16_t	 first = get_be16(&c[8]), id;
	uint8_t		 sa = c[1] & 0x1f;

	if (sa != 0x00 && sa != 0x01 && sa != 0x02 && sa != 0x03 &&
	    sa != 0x05) {
		scsi_invalid_cdb(cmd, 1, 4);
		return (SCSI_DONE);
	}
	if (c[5] != 0 || c[7] != 0) {		/* volume, partition */
		scsi_invalid_cdb(cmd, c[5] != 0 ? 5 : 7, -1);
		return (SCSI_DONE);
	}
	if (ssc_ready(cmd, 0) == -1)
		return (SCSI_DONE);
	if (sa == 0x02 || sa == 0x03) {	/* volume, partition list */
		uint8_t	l[4] = { 0, 2, 0, 1 };

		scsi_data_in(cmd, l, 4, alloc);
		return (SCSI_DONE);
	}
	if ((all = calloc(1, 2 * CART_MAM_MAX + 1024)) == NULL ||
	    (b = calloc(1, 2 * CART_MAM_MAX + 1024)) == NULL) {
		free(all);
		scsi_check(cmd, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
		return (SCSI_DONE);
	}
	n = mam_all(t, all);
	for (off = 0; off < n; off += len) {
		id = get_be16(&all[off]);
		len = 5 + get_be16(&all[off + 3]);
		if (id < first)
			continue;
		if (sa == 0x00) {
			memcpy(&b[m], &all[off], len);
			m += len;
		} else {
			put_be16(&b[m], id);
			m += 2;
		}
	}
	put_be32(&b[0], m - 4);
	scsi_data_in(cmd, b, m, alloc);
	free(all);
	free(b);
	return (SCSI_DONE);
}

/* WRITE ATTRIBUTE: host attributes only; length 0 deletes one. */
static int
ssc_write_attribute(struct scsi_cmd *cmd)
{
	struct tape	*t = tape_of(cmd);
	struct cart_info *in = &t->cart.info;
	const uint8_t	*c = cmd->cdb;
	uint8_t		*pl = NULL, *nm = NULL;
	uint32_t	 len = get_be32(&c[10]), dl, off, alen, o, ol, nn;
	uint16_t	 id;
	int		 placed;

	if (c[5] != 0 || c[7] != 0) {
		scsi_invalid_cdb(cmd, c[5] != 0 ? 5 : 7, -1);
		return (SCSI_DONE);
	}
	if (ssc_ready(cmd, 0) == -1 || len == 0)
		return (SCSI_DONE);
	cmd->want = len;
	if (cmd->out_len < len) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_IU);
		return (SCSI_DONE);
	}
	if (len < 4 || len > 4 + CART_MAM_MAX) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST,
		    ASC_PARAM_LIST_LENGTH_ERROR);
		return (SCSI_DONE);
	}
	if ((pl = malloc(len)) == NULL || (nm = malloc(CART_MAM_MAX)) ==
	    NULL) {
		scsi_check(cmd, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
		goto out;
	}
	memcpy(pl, cmd->buf, len);		/* out of shared memory */
	cmd->len = len;
	dl = get_be32(&pl[0]);
	if (dl > len - 4) {
		scsi_invalid_param(cmd, 0, -1);
		goto out;
	}
	/* check them all first */
	for (off = 4; off < 4 + dl; off += 5 + alen) {
		if (4 + dl - off < 5) {
			scsi_invalid_param(cmd, off, -1);
			goto out;
		}
		id = get_be16(&pl[off]);
		alen = get_be16(&pl[off + 3]);
		if (off + 5 + alen > 4 + dl || !mam_host_id(id) ||
		    (pl[off + 2] & 0x03) == 0x03) {
			scsi_invalid_param(cmd, off, -1);
			goto out;
		}
	}
	/* then merge each into the sorted list */
	for (off = 4; off < 4 + dl; off += 5 + alen) {
		id = get_be16(&pl[off]);
		alen = get_be16(&pl[off + 3]);
		nn = 0;
		placed = 0;
		for (o = 0; o + 5 <= in->mam_len; o += ol) {
			ol = 5 + get_be16(&in->mam[o + 3]);
			if (o + ol > in->mam_len)
				break;
			if (!placed && get_be16(&in->mam[o]) >= id) {
				placed = 1;
				if (alen > 0) {
					if (nn + 5 + alen > CART_MAM_MAX)
						goto full;
					memcpy(&nm[nn], &pl[off], 5 + alen);
					nm[nn + 2] &= 0x03;
					nn += 5 + alen;
				}
			}
			if (get_be16(&in->mam[o]) == id)
				continue;
			if (nn + ol > CART_MAM_MAX)
				goto full;
			memcpy(&nm[nn], &in->mam[o], ol);
			nn += ol;
		}
		if (!placed && alen > 0) {
			if (nn + 5 + alen > CART_MAM_MAX)
				goto full;
			memcpy(&nm[nn], &pl[off], 5 + alen);
			nm[nn + 2] &= 0x03;
			nn += 5 + alen;
		}
		memcpy(in->mam, nm, nn);
		in->mam_len = nn;
	}
	if (cart_save_info(&t->cart) == -1)
		ssc_medium_error(cmd, 1);
	goto out;
 full:
	scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_AUX_MEMORY_OUT_OF_SPACE);
 out:
	free(pl);
	free(nm);
	return (SCSI_DONE);
}

/* Sequential-access device capabilities VPD page (SSC-4 7.4.2). */
static uint32_t
ssc_vpd_page(struct scsi_cmd *cmd, uint8_t page, uint8_t *b)
{
	switch (page) {
	case VPD_SEQ_CAPABILITIES:
		b[1] = page;
		put_be16(&b[2], 4);
		b[4] = 0x01;			/* WORM */
		return (8);
	}
	return (0);
}

/* Mode pages 0Fh, 10h, 11h; pc: current, changeable, default. */
static uint32_t
ssc_mode_page(struct lun *lun, uint8_t page, int pc, uint8_t *p)
{
	struct tape	*t = lun->dev;
	uint64_t	 mb;

	switch (page) {
	case MODE_PAGE_COMPRESSION:
		memset(p, 0, 16);
		p[0] = page;
		p[1] = 0x0e;
		if (pc == 1) {
			p[2] = 0x80;		/* DCE changeable */
			return (16);
		}
		p[2] = (pc == 0 && t->dce ? 0x80 : 0) | 0x40;	/* DCC */
		p[3] = 0x80;			/* DDE */
		put_be32(&p[4], 0x01);		/* default algorithm */
		put_be32(&p[8], 0x01);
		return (16);
	case MODE_PAGE_DEVICE_CONFIG:
		memset(p, 0, 16);
		p[0] = page;
		p[1] = 0x0e;
		if (pc == 1) {
			p[14] = 0xff;		/* compression algorithm */
			return (16);
		}
		p[8] = 0x40;			/* LOIS */
		p[10] = 0x10 | 0x08;		/* EEG, SEW */
		p[14] = pc == 0 && t->dce ? 0x01 : 0x00;
		return (16);
	case MODE_PAGE_PARTITION:
		memset(p, 0, 10);
		p[0] = page;
		p[1] = 0x08;
		if (pc == 1)
			return (10);
		p[4] = 0x10;			/* PSUM: megabytes */
		p[5] = 0x03;		/* format, partition recog. */
		mb = t->loaded ? t->cart.info.capacity / 1000000 : 0;
		put_be16(&p[8], mb > 0xffff ? 0xffff : mb);
		return (10);
	}
	return (0);
}

static int
ssc_mode_page_set(struct lun *lun, const uint8_t *p)
{
	struct tape	*t = lun->dev;
	int		 dce;

	switch (p[0] & 0x3f) {
	case MODE_PAGE_COMPRESSION:
	case MODE_PAGE_DEVICE_CONFIG:
		dce = (p[0] & 0x3f) == MODE_PAGE_COMPRESSION ?
		    (p[2] & 0x80) != 0 : p[14] != 0;
		if (dce == t->dce)
			return (0);
		t->dce = dce;
		return (1);
	}
	return (0);
}

/* Block descriptor: density, no block count, the fixed block length. */
static uint32_t
ssc_mode_bd(struct lun *lun, int llbaa, uint8_t *bd)
{
	struct tape	*t = lun->dev;

	memset(bd, 0, 8);
	bd[0] = t->loaded ? t->cart.info.density : 0;
	put_be24(&bd[5], t->blksize);
	return (8);
}

/* MODE SELECT may set the block length (0: variable) and density. */
static int
ssc_mode_bd_set(struct lun *lun, const uint8_t *bd, uint32_t len, int apply)
{
	struct tape	*t = lun->dev;
	uint32_t	 bs;

	if (len != 8)
		return (-1);
	bs = get_be24(&bd[5]);
	if ((bd[0] != 0 && bd[0] != 0x7f && bd[0] != TAPE_DENSITY) ||
	    bs > LUN_MAX_XFER)
		return (-1);
	if (!apply || bs == t->blksize)
		return (0);
	t->blksize = bs;
	return (1);
}

/* WP, BUFFERED MODE 1 */
static uint8_t
ssc_mode_devspec(struct lun *lun)
{
	struct tape	*t = lun->dev;

	return ((t->loaded && ssc_wp(lun, t) ? 0x80 : 0) | 0x10);
}

#define LBA4	0xff, 0xff, 0xff, 0xff
#define LBA8	LBA4, LBA4

/* The tape drive's commands; cdb.c has those every device type shares. */
static const struct scsi_op ssc_ops[] = {
	{ REWIND, 0, 6, OPF_READ, ssc_rewind, "REWIND",
	    { 0x01, 0x01, 0, 0, 0, 0x07 } },
	{ READ_BLOCK_LIMITS, 0, 6, 0, ssc_read_block_limits,
	    "READ BLOCK LIMITS",
	    { 0x05, 0x01, 0, 0, 0, 0x07 } },
	{ READ_6, 0, 6, OPF_READ, ssc_read, "READ(6)",
	    { 0x08, 0x03, 0xff, 0xff, 0xff, 0x07 } },
	{ WRITE_6, 0, 6, OPF_WRITE, ssc_write, "WRITE(6)",
	    { 0x0a, 0x01, 0xff, 0xff, 0xff, 0x07 } },
	{ WRITE_FILEMARKS_6, 0, 6, OPF_WRITE, ssc_write_filemarks,
	    "WRITE FILEMARKS(6)",
	    { 0x10, 0x03, 0xff, 0xff, 0xff, 0x07 } },
	{ SPACE_6, 0, 6, OPF_READ, ssc_space, "SPACE(6)",
	    { 0x11, 0x0f, 0xff, 0xff, 0xff, 0x07 } },
	{ ERASE_6, 0, 6, OPF_WRITE, ssc_erase, "ERASE(6)",
	    { 0x19, 0x03, 0, 0, 0, 0x07 } },
	{ LOAD_UNLOAD, 0, 6, OPF_READ, ssc_load_unload, "LOAD UNLOAD",
	    { 0x1b, 0x01, 0, 0, 0x0f, 0x07 } },
	{ LOCATE_10, 0, 10, OPF_READ, ssc_locate, "LOCATE(10)",
	    { 0x2b, 0x07, 0, LBA4, 0, 0xff, 0x07 } },
	{ READ_POSITION, 0, 10, 0, ssc_read_position, "READ POSITION",
	    { 0x34, 0x1f, 0, 0, 0, 0, 0, 0xff, 0xff, 0x07 } },
	{ REPORT_DENSITY_SUPPORT, 0, 10, 0, ssc_report_density,
	    "REPORT DENSITY SUPPORT",
	    { 0x44, 0x03, 0, 0, 0, 0, 0, 0xff, 0xff, 0x07 } },
	{ LOG_SELECT, 0, 10, OPF_WRITE, ssc_log_select, "LOG SELECT",
	    { 0x4c, 0x03, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0x07 } },
	{ LOG_SENSE, 0, 10, 0, ssc_log_sense, "LOG SENSE",
	    { 0x4d, 0x01, 0xff, 0xff, 0, 0xff, 0xff, 0xff, 0xff, 0x07 } },
	{ WRITE_FILEMARKS_16, 0, 16, OPF_WRITE, ssc_write_filemarks,
	    "WRITE FILEMARKS(16)",
	    { 0x80, 0x03, 0, 0xff, LBA8, 0xff, 0xff, 0xff, 0x07 } },
	{ READ_16, 0, 16, OPF_READ, ssc_read, "READ(16)",
	    { 0x88, 0x03, 0, 0xff, LBA8, 0xff, 0xff, 0xff, 0x07 } },
	{ WRITE_16, 0, 16, OPF_WRITE, ssc_write, "WRITE(16)",
	    { 0x8a, 0x01, 0, 0xff, LBA8, 0xff, 0xff, 0xff, 0x07 } },
	{ READ_ATTRIBUTE, 0, 16, OPF_READ, ssc_read_attribute,
	    "READ ATTRIBUTE",
	    { 0x8c, 0x1f, 0, 0, 0, 0xff, 0, 0xff, 0xff, 0xff, LBA4, 0,
	    0x07 } },
	{ WRITE_ATTRIBUTE, 0, 16, OPF_WRITE, ssc_write_attribute,
	    "WRITE ATTRIBUTE",
	    { 0x8d, 0x01, 0, 0, 0, 0xff, 0, 0xff, 0, 0, LBA4, 0, 0x07 } },
	{ SPACE_16, 0, 16, OPF_READ, ssc_space, "SPACE(16)",
	    { 0x91, 0x0f, 0, 0, LBA8, 0xff, 0xff, 0, 0x07 } },
	{ LOCATE_16, 0, 16, OPF_READ, ssc_locate, "LOCATE(16)",
	    { 0x92, 0x3b, 0, 0xff, LBA8, 0, 0, 0, 0x07 } },
};

static const uint8_t ssc_vpd[] = { VPD_SEQ_CAPABILITIES };
static const uint8_t ssc_mode_pages[] = { MODE_PAGE_CONTROL,
    MODE_PAGE_COMPRESSION, MODE_PAGE_DEVICE_CONFIG, MODE_PAGE_PARTITION,
    MODE_PAGE_INFO_EXCEPTIONS };

const struct devtype devtype_tape = {
	.name = "tape",
	.pdt = TYPE_TAPE,
	.inq5 = 0,
	.version = VD_SSC4,
	.product = "TAPE",
	.ops = ssc_ops,
	.nops = sizeof(ssc_ops) / sizeof(ssc_ops[0]),
	.init = ssc_init,
	.fini = ssc_fini,
	.vpd = ssc_vpd,
	.nvpd = sizeof(ssc_vpd),
	.vpd_page = ssc_vpd_page,
	.mode_page0 = 1,
	.mode_pages = ssc_mode_pages,
	.nmode_pages = sizeof(ssc_mode_pages),
	.mode_page = ssc_mode_page,
	.mode_page_set = ssc_mode_page_set,
	.mode_bd = ssc_mode_bd,
	.mode_bd_set = ssc_mode_bd_set,
	.mode_devspec = ssc_mode_devspec,
	.reset = ssc_reset,
};
