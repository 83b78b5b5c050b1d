/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Optical drives: multimedia commands (MMC-6) for one DVD drive with a
 * tray, and its command table, mode pages and features
 * (devtype_optical).
 *
 * The medium is an image file the master opened and handed over (none:
 * an empty drive); the drive never opens a file.  An image is a
 * DVD-ROM (profile 0010h): 2048-byte blocks, one session, one data
 * track, finalised, read-only.  The tray is the drive's own: START
 * STOP UNIT opens it (the image stays in it) and closes it again; the
 * master puts an image in or takes it out (tgtctl drive load|unload),
 * which closes or opens the tray too.  Every change of the medium
 * raises the media events of GET EVENT STATUS NOTIFICATION and, when a
 * medium becomes ready, the NOT READY TO READY CHANGE unit attention on
 * every I_T nexus.
 *
 * The media event is the drive's, not an I_T nexus's: the first
 * GET EVENT STATUS NOTIFICATION that asks for the media class takes it
 * (one host polls a drive, as the Linux sr driver does).
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "disc.h"
#include "log.h"
#include "lun.h"
#include "scsi.h"

/* MMC operation codes */
#define READ_FORMAT_CAPACITIES		0x23
#define GET_CONFIGURATION		0x46
#define GET_EVENT_STATUS		0x4a
#define READ_DISC_INFORMATION		0x51
#define READ_TRACK_INFORMATION		0x52
#define SEND_OPC_INFORMATION		0x54
#define READ_BUFFER_CAPACITY		0x5c
#define READ_TOC_PMA_ATIP		0x43
#define REPORT_KEY			0xa4
#define GET_PERFORMANCE			0xac
#define READ_DVD_STRUCTURE		0xad
#define SET_STREAMING			0xb6
#define SET_CD_SPEED			0xbb
#define MECHANISM_STATUS		0xbd

/* mode pages */
#define MODE_PAGE_WRITE_PARAMS		0x05
#define MODE_PAGE_POWER_CONDITION	0x1a
#define MODE_PAGE_MM_CAPABILITIES	0x2a

/* profiles */
#define PROFILE_NONE			0x0000
#define PROFILE_DVD_ROM			0x0010
#define PROFILE_DVD_PLUS_RW		DISC_DVD_PLUS_RW
#define PROFILE_DVD_PLUS_R		DISC_DVD_PLUS_R

/* sense */
#define ASC_NO_MEDIUM_TRAY_CLOSED	0x3a01
#define ASC_NO_MEDIUM_TRAY_OPEN		0x3a02
#define ASC_CANNOT_WRITE_INCOMPATIBLE	0x3005
#define ASC_KEY_NOT_PRESENT		0x6f01
#define ASC_INVALID_WRITE_ADDRESS	0x2102
#define ASC_NO_MORE_TRACKS		0x7205
#define ASC_CMD_SEQUENCE_ERROR		0x2c00
#define ASC_FORMAT_CORRUPTED		0x3100

#define FORMAT_UNIT			0x04
#define RESERVE_TRACK			0x53
#define CLOSE_TRACK_SESSION		0x5b

/* GET EVENT STATUS NOTIFICATION classes and media events */
#define GESN_OP_CHANGE			1
#define GESN_POWER			2
#define GESN_MEDIA			4
#define GESN_SUPPORTED	((1 << GESN_OP_CHANGE) | (1 << GESN_POWER) | \
			    (1 << GESN_MEDIA))
#define ME_NONE				0
#define ME_EJECT_REQUEST		1
#define ME_NEW_MEDIA			2
#define ME_MEDIA_REMOVAL		3

/* speeds in kB/s (1000 bytes): DVD 1x is 1385 */
#define DVD_1X				1385
#define DVD_MAX_SPEED			(16 * DVD_1X)

#define DVD_BLOCK			2048
#define DVD_SHIFT			11
#define DVD_ECC_BLOCKS			16	/* blocks per ECC block */
#define DVD_FIRST_PSN			0x030000

#define BUFFER_SIZE			(4u << 20)

#define WP_LEN				52	/* write parameters page */
#define PC_LEN				40	/* power condition page */

/* A track of the open session of a DVD+R (not yet on the disc). */
struct otrack {
	uint32_t	 start;
	uint32_t	 rsize;		/* reserved blocks, 0: incomplete */
	uint32_t	 written;	/* blocks from start */
	int		 closed;
};

/* A track as READ TRACK INFORMATION and READ TOC see it. */
struct tview {
	uint32_t	 number;
	uint32_t	 session;
	uint32_t	 start;
	uint32_t	 size;		/* recorded or reserved */
	uint32_t	 written;
	int		 closed;
	int		 reserved;
	int		 invisible;	/* the blank space after the others */
};

struct optical {
	int		 fd;		/* the image, -1: none */
	int		 disc;		/* a writable disc: ds is its state */
	int		 wprot;		/* opened read-only */
	struct disc_state ds;
	struct otrack	 ot[DISC_MAX_TRACKS];
	uint32_t	 nopen;		/* tracks of the open session */
	int		 tray_open;
	int		 persistent;	/* persistent prevent */
	uint8_t		 media_event;	/* ME_*, not yet reported */
	uint16_t	 read_speed;	/* kB/s, SET CD SPEED */
	uint16_t	 write_speed;
	uint8_t		 wp[WP_LEN];	/* write parameters, current */
	uint8_t		 pc[PC_LEN];	/* power condition, current */
	char		 name[TGT_BARCODE_MAX];
};

static int	mmc_param(struct scsi_cmd *, uint8_t *, uint32_t);
static int	mmc_open_session(const struct lun *);

static struct optical *
opt_of(struct scsi_cmd *cmd)
{
	return (cmd->lun->dev);
}

static int
mmc_has_medium(const struct optical *o)
{
	return (o->fd != -1);
}

static uint16_t
mmc_profile(const struct lun *lun)
{
	const struct optical	*o = lun->dev;

	if (!mmc_has_medium(o) || o->tray_open)
		return (PROFILE_NONE);
	if (o->disc)
		return (o->ds.profile);
	return (PROFILE_DVD_ROM);
}

static uint32_t
align_ecc(uint64_t n)
{
	n = (n + DVD_ECC_BLOCKS - 1) & ~(uint64_t)(DVD_ECC_BLOCKS - 1);
	return (n > 0xffffffffULL ? 0xffffffffU : (uint32_t)n);
}

/* End of a track of the open session: reserved, or as written. */
static uint32_t
ot_end(const struct otrack *t)
{
	return (t->start + (t->rsize != 0 ? t->rsize : t->written));
}

/*
 * The start of the blank space of a DVD+R after every track, closed or
 * open (tracks start on an ECC block).  0 on a blank disc.
 */
static uint32_t
plus_r_next(const struct optical *o)
{
	uint32_t	end = 0;

	if (o->nopen > 0)
		end = ot_end(&o->ot[o->nopen - 1]);
	else if (o->ds.ntracks > 0)
		end = o->ds.tracks[o->ds.ntracks - 1].start +
		    o->ds.tracks[o->ds.ntracks - 1].size;
	end = align_ecc(end);
	return (end > o->ds.capacity ? o->ds.capacity : end);
}

/* Has a DVD+R tracks that are not on the disc yet? */
static int
mmc_open_session(const struct lun *lun)
{
	const struct optical	*o = lun->dev;

	return (o->disc && o->nopen > 0);
}

/* Blocks of the disc that can be read: what was written. */
static uint32_t
mmc_readable(const struct lun *lun)
{
	const struct optical	*o = lun->dev;
	uint32_t		 end = 0, i;

	if (!o->disc)
		return (lun->nblocks);
	if (o->ds.profile == PROFILE_DVD_PLUS_RW)
		return (o->ds.formatted ? o->ds.capacity : 0);
	if (o->ds.ntracks > 0)
		end = o->ds.tracks[o->ds.ntracks - 1].start +
		    o->ds.tracks[o->ds.ntracks - 1].size;
	for (i = 0; i < o->nopen; i++)
		if (o->ot[i].start + o->ot[i].written > end)
			end = o->ot[i].start + o->ot[i].written;
	return (end);
}

/*
 * Every track of the medium in order, then the invisible one of an
 * appendable DVD+R; *nsess: the sessions, an open or empty last one
 * counted.  Returns the count.
 */
static uint32_t
mmc_tracks(const struct lun *lun, struct tview *v, uint32_t *nsess)
{
	const struct optical	*o = lun->dev;
	const struct disc_state	*ds = &o->ds;
	uint32_t		 n = 0, i, next;

	memset(v, 0, sizeof(*v) * (DISC_MAX_TRACKS + 1));
	*nsess = 1;
	if (!o->disc || ds->profile == PROFILE_DVD_PLUS_RW) {
		if (o->disc && !ds->formatted) {
			v[0].number = 1;
			v[0].session = 1;
			v[0].size = ds->capacity;
			v[0].invisible = 1;
			return (1);
		}
		v[0].number = 1;
		v[0].session = 1;
		v[0].size = v[0].written = mmc_readable(lun);
		v[0].closed = 1;
		return (1);
	}
	for (i = 0; i < ds->ntracks; i++, n++) {
		v[n].number = n + 1;
		v[n].session = ds->tracks[i].session;
		v[n].start = ds->tracks[i].start;
		v[n].size = v[n].written = ds->tracks[i].size;
		v[n].closed = 1;
	}
	*nsess = ds->nsessions;
	if (ds->status == DISC_COMPLETE)
		return (n);
	*nsess = ds->nsessions + 1;
	for (i = 0; i < o->nopen; i++, n++) {
		v[n].number = n + 1;
		v[n].session = *nsess;
		v[n].start = o->ot[i].start;
		v[n].written = o->ot[i].written;
		v[n].size = o->ot[i].rsize != 0 ? o->ot[i].rsize :
		    o->ot[i].written;
		v[n].closed = o->ot[i].closed;
		v[n].reserved = o->ot[i].rsize != 0;
		/* the incomplete track is the invisible one */
		if (o->ot[i].rsize == 0 && !o->ot[i].closed) {
			v[n].invisible = 1;
			v[n].size = ds->capacity - v[n].start;
			return (n + 1);
		}
	}
	next = plus_r_next(o);
	if (next < ds->capacity && n < DISC_MAX_TRACKS) {
		v[n].number = n + 1;
		v[n].session = *nsess;
		v[n].start = next;
		v[n].size = ds->capacity - next;
		v[n].invisible = 1;
		n++;
	}
	return (n);
}

static void
mmc_ejected(struct lun *lun)
{
	struct optical	*o = lun->dev;

	lun->ejected = !mmc_has_medium(o) || o->tray_open;
}

/* Ready for a medium access command?  0, or -1 with the sense set. */
static int
mmc_ready(struct scsi_cmd *cmd)
{
	struct optical	*o = opt_of(cmd);

	if (o->tray_open) {
		scsi_check(cmd, SK_NOT_READY, ASC_NO_MEDIUM_TRAY_OPEN);
		return (-1);
	}
	if (!mmc_has_medium(o)) {
		scsi_check(cmd, SK_NOT_READY, ASC_NO_MEDIUM_TRAY_CLOSED);
		return (-1);
	}
	return (0);
}

static int
mmc_prevented(struct lun *lun)
{
	struct optical	*o = lun->dev;

	return (o->persistent || lun_prevented(lun));
}

/* The geometry of the image in fd; 0, or -1 and why not. */
static int
mmc_geometry(struct lun *lun, int fd, char *err, size_t errlen)
{
	struct optical	*o = lun->dev;
	struct stat	 st;
	int		 fl;

	o->disc = 0;
	o->nopen = 0;
	memset(&o->ds, 0, sizeof(o->ds));
	memset(o->ot, 0, sizeof(o->ot));
	switch (disc_load(fd, &o->ds)) {
	case -1:
		snprintf(err, errlen, "reading the disc's state: %s",
		    strerror(errno));
		return (-1);
	case 1:
		/* a DVD+R or DVD+RW: writable unless opened read-only */
		o->disc = 1;
		fl = fcntl(fd, F_GETFL);
		o->wprot = fl == -1 || (fl & O_ACCMODE) == O_RDONLY ||
		    (lun->cfg.flags & LUN_F_READONLY);
		lun->readonly = o->wprot;
		lun->wce = 1;
		lun->nblocks = o->ds.capacity;
		lun->size = lun->nblocks * DVD_BLOCK;
		return (0);
	}
	lun->readonly = 1;
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "fstat: %s", strerror(errno));
		return (-1);
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		snprintf(err, errlen, "the image is not a regular file");
		return (-1);
	}
	if (st.st_size < DVD_BLOCK) {
		snprintf(err, errlen, "the image is smaller than one "
		    "2048-byte block");
		return (-1);
	}
	lun->nblocks = (uint64_t)st.st_size / DVD_BLOCK;
	/* a DVD's addresses are 32 bits */
	if (lun->nblocks > 0xffffffffULL)
		lun->nblocks = 0xffffffffULL;
	lun->size = lun->nblocks * DVD_BLOCK;
	return (0);
}

static void
mmc_defaults(struct optical *o)
{
	o->read_speed = DVD_MAX_SPEED;
	o->write_speed = DVD_MAX_SPEED;
	memset(o->wp, 0, sizeof(o->wp));
	o->wp[0] = MODE_PAGE_WRITE_PARAMS;
	o->wp[1] = WP_LEN - 2;
	o->wp[2] = 0x40 | 0x00;		/* BUFE, packet/incremental */
	o->wp[3] = 0x05;		/* track mode 5 (DVD) */
	o->wp[4] = 0x08;		/* data block type: mode 1 */
	put_be32(&o->wp[10], DVD_ECC_BLOCKS);	/* packet size */
	memset(o->pc, 0, sizeof(o->pc));
	o->pc[0] = MODE_PAGE_POWER_CONDITION;
	o->pc[1] = PC_LEN - 2;
}

/*
 * Put the image fd in the drive (it is the drive's from here) and close
 * the tray; by: the I_T nexus that did (it gets no unit attention).
 */
static int
mmc_insert(struct lun *lun, int fd, const struct nexus *by, char *err,
    size_t errlen)
{
	struct optical	*o = lun->dev;

	if (mmc_geometry(lun, fd, err, errlen) == -1)
		return (-1);
	o->fd = lun->fd = fd;
	o->tray_open = 0;
	o->media_event = ME_NEW_MEDIA;
	mmc_ejected(lun);
	lun_ua_set(lun, UA_MEDIUM_CHANGED, by);
	if (o->disc)
		log_info("disc %s in the drive: %s of %u blocks, %s, "
		    "%u sessions%s", o->name[0] != '\0' ? o->name :
		    lun->cfg.path, disc_profile_name(o->ds.profile),
		    o->ds.capacity, o->ds.status == DISC_BLANK ? "blank" :
		    o->ds.status == DISC_APPENDABLE ? "appendable" :
		    "complete", o->ds.nsessions, o->wprot ?
		    ", write protected" : "");
	else
		log_info("disc %s in the drive: %llu blocks",
		    o->name[0] != '\0' ? o->name : lun->cfg.path,
		    (unsigned long long)lun->nblocks);
	return (0);
}

static int
mmc_init(struct lun *lun, int fd, char *err, size_t errlen)
{
	struct optical	*o;
	const char	*p;

	if ((o = calloc(1, sizeof(*o))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	o->fd = -1;
	mmc_defaults(o);
	if ((p = strrchr(lun->cfg.path, '/')) != NULL)
		p++;
	else
		p = lun->cfg.path;
	strlcpy(o->name, p, sizeof(o->name));
	lun->dev = o;
	lun->fd = -1;
	lun->removable = 1;
	lun->readonly = 1;
	lun->block_size = DVD_BLOCK;
	lun->block_shift = 11;
	lun->be = &backend_rdwr;
	lun->ejected = 1;
	if (lun->be->init(lun, err, errlen) == -1)
		goto fail;
	if (fd != -1 && mmc_insert(lun, fd, NULL, err, errlen) == -1)
		goto fail;
	/* a drive that starts with a disc has no news about it */
	o->media_event = ME_NONE;
	return (0);
 fail:
	free(o);
	lun->dev = NULL;
	lun->fd = -1;
	lun->be = NULL;
	return (-1);
}

static void
mmc_fini(struct lun *lun)
{
	free(lun->dev);
	lun->dev = NULL;
}

/*
 * The master puts an image in the drive (fd, which this owns from here)
 * or takes it out (fd -1).  Taking it out is refused while an I_T nexus
 * prevents medium removal; the drive then raises an eject request, as
 * when someone presses the button of a locked drive.  Fills in what
 * the drive holds now; 0, or -1 and why not.
 */
int
mmc_medium(struct lun *lun, int fd, const char *name,
    struct msg_lun_medium_done *d)
{
	struct optical	*o = lun->dev;
	char		 err[TGT_ERR_MAX];

	memset(d, 0, sizeof(*d));
	if (lun->dt != &devtype_optical || o == NULL) {
		if (fd != -1)
			close(fd);
		strlcpy(d->text, "not an optical drive", sizeof(d->text));
		return (-1);
	}
	if (fd != -1) {
		if (mmc_has_medium(o)) {
			close(fd);
			strlcpy(d->text, "the drive holds a disc",
			    sizeof(d->text));
			goto out;
		}
		strlcpy(o->name, name, sizeof(o->name));
		if (mmc_insert(lun, fd, NULL, err, sizeof(err)) == -1) {
			log_warnx("disc not loaded: %s", err);
			close(fd);
			o->name[0] = '\0';
			strlcpy(d->text, err, sizeof(d->text));
			goto out;
		}
		d->ok = 1;
		goto out;
	}
	if (!mmc_has_medium(o)) {
		d->ok = 1;
		goto out;
	}
	if (mmc_prevented(lun)) {
		o->media_event = ME_EJECT_REQUEST;
		strlcpy(d->text, "medium removal prevented (eject requested)",
		    sizeof(d->text));
		goto out;
	}
	sbc_quiesce(lun);
	if (o->disc && o->nopen > 0)
		log_warnx("disc %s: the open session is lost", o->name);
	if (o->disc && !o->wprot && fdatasync(o->fd) == -1)
		log_warn("disc %s: sync", o->name);
	log_info("disc %s out of the drive", o->name);
	close(o->fd);
	o->fd = lun->fd = -1;
	o->tray_open = 0;
	o->media_event = ME_MEDIA_REMOVAL;
	o->name[0] = '\0';
	o->disc = 0;
	o->nopen = 0;
	lun->nblocks = 0;
	lun->size = 0;
	mmc_ejected(lun);
	d->ok = 1;
 out:
	d->loaded = mmc_has_medium(o);
	if (d->loaded)
		strlcpy(d->barcode, o->name, sizeof(d->barcode));
	return (d->ok ? 0 : -1);
}

/* A LUN reset: speeds and mode pages back to their defaults. */
static void
mmc_reset(struct lun *lun)
{
	struct optical	*o = lun->dev;

	mmc_defaults(o);
	o->persistent = 0;
}

/* TEST UNIT READY: no medium, tray closed or open (MMC-6 4.1.6.2). */
static int
mmc_test_unit_ready(struct scsi_cmd *cmd)
{
	mmc_ready(cmd);
	return (SCSI_DONE);
}

/*
 * READ(10), READ(12): the disk's, on 2048-byte blocks, of what the disc
 * holds (a writable disc: what was written).
 */
static int
mmc_read(struct scsi_cmd *cmd)
{
	if (mmc_ready(cmd) == -1 || cdb_decode_rw(cmd) == -1)
		return (SCSI_DONE);
	if (cmd->lba + cmd->nblocks > mmc_readable(cmd->lun)) {
		scsi_check_info(cmd, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE,
		    cmd->lba, 1);
		return (SCSI_DONE);
	}
	return (sbc_read(cmd));
}

/*
 * Where a DVD+R takes a write of n blocks at lba: the open track whose
 * next writable address it is, or a new incomplete track at the start
 * of the blank space.  The track, or NULL with the sense set.
 */
static struct otrack *
plus_r_target(struct scsi_cmd *cmd, uint32_t lba, uint32_t n)
{
	struct optical	*o = opt_of(cmd);
	struct otrack	*t;
	uint32_t	 i;

	if (o->ds.status == DISC_COMPLETE) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST,
		    ASC_CANNOT_WRITE_INCOMPATIBLE);
		return (NULL);
	}
	for (i = 0; i < o->nopen; i++) {
		t = &o->ot[i];
		if (t->closed || lba != t->start + t->written)
			continue;
		if (t->rsize != 0 && n > t->rsize - t->written)
			break;
		if (t->rsize == 0 && n > o->ds.capacity - lba)
			break;
		return (t);
	}
	if (i == o->nopen && lba == plus_r_next(o) &&
	    n <= o->ds.capacity - lba) {
		if (o->ds.ntracks + o->nopen >= DISC_MAX_TRACKS) {
			scsi_check(cmd, SK_ILLEGAL_REQUEST,
			    ASC_NO_MORE_TRACKS);
			return (NULL);
		}
		t = &o->ot[o->nopen++];
		memset(t, 0, sizeof(*t));
		t->start = lba;
		return (t);
	}
	scsi_check_info(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_WRITE_ADDRESS,
	    lba, 1);
	return (NULL);
}

/*
 * WRITE(10), WRITE(12): a DVD-ROM is not written; a DVD+R only at the
 * next writable address of a track; a DVD+RW anywhere once formatted.
 */
static int
mmc_write(struct scsi_cmd *cmd)
{
	struct optical	*o = opt_of(cmd);
	struct otrack	*t = NULL;
	int		 r;

	if (mmc_ready(cmd) == -1)
		return (SCSI_DONE);
	if (!o->disc) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST,
		    ASC_CANNOT_WRITE_INCOMPATIBLE);
		return (SCSI_DONE);
	}
	if (o->wprot) {
		scsi_check(cmd, SK_DATA_PROTECT, ASC_WRITE_PROTECTED);
		return (SCSI_DONE);
	}
	if (cdb_decode_rw(cmd) == -1)
		return (SCSI_DONE);
	if (o->ds.profile == PROFILE_DVD_PLUS_RW) {
		if (!o->ds.formatted) {
			scsi_check(cmd, SK_MEDIUM_ERROR,
			    ASC_FORMAT_CORRUPTED);
			return (SCSI_DONE);
		}
		return (sbc_write(cmd));
	}
	if (cmd->nblocks == 0)
		return (SCSI_DONE);
	if ((t = plus_r_target(cmd, cmd->lba, cmd->nblocks)) == NULL)
		return (SCSI_DONE);
	r = sbc_write(cmd);
	/* the rdwr backend completes at once: count what was written */
	if (r == SCSI_DONE && cmd->status == SAM_STAT_GOOD)
		t->written += cmd->len >> DVD_SHIFT;
	else if (t->written == 0 && t->rsize == 0 && t == &o->ot[o->nopen - 1])
		o->nopen--;
	return (r);
}

static int
mmc_read_capacity(struct scsi_cmd *cmd)
{
	uint8_t		b[8];
	uint32_t	n;

	if (mmc_ready(cmd) == -1)
		return (SCSI_DONE);
	if (!(cmd->cdb[8] & 0x01) && get_be32(&cmd->cdb[2]) != 0) {
		scsi_invalid_cdb(cmd, 2, -1);
		return (SCSI_DONE);
	}
	n = mmc_readable(cmd->lun);
	put_be32(&b[0], n > 0 ? n - 1 : 0);
	put_be32(&b[4], DVD_BLOCK);
	scsi_data_in(cmd, b, sizeof(b), sizeof(b));
	return (SCSI_DONE);
}

/* SYNCHRONIZE CACHE: what was written is on stable storage. */
static int
mmc_sync_cache(struct scsi_cmd *cmd)
{
	struct optical	*o = opt_of(cmd);

	if (mmc_ready(cmd) == -1)
		return (SCSI_DONE);
	if (o->disc && !o->wprot && fdatasync(o->fd) == -1)
		scsi_check(cmd, SK_MEDIUM_ERROR, ASC_WRITE_ERROR);
	return (SCSI_DONE);
}

/* A DVD+R command (RESERVE TRACK, CLOSE...) on this medium?  0 or -1. */
static int
mmc_writable(struct scsi_cmd *cmd, uint16_t profile)
{
	struct optical	*o = opt_of(cmd);

	if (mmc_ready(cmd) == -1)
		return (-1);
	if (!o->disc || (profile != 0 && o->ds.profile != profile)) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST,
		    ASC_CANNOT_WRITE_INCOMPATIBLE);
		return (-1);
	}
	if (o->wprot) {
		scsi_check(cmd, SK_DATA_PROTECT, ASC_WRITE_PROTECTED);
		return (-1);
	}
	return (0);
}

/*
 * RESERVE TRACK (MMC-6 6.31): the next track of a DVD+R gets a size,
 * rounded up to ECC blocks, at the start of the blank space.
 */
static int
mmc_reserve_track(struct scsi_cmd *cmd)
{
	struct optical	*o = opt_of(cmd);
	struct otrack	*t;
	uint32_t	 n = get_be32(&cmd->cdb[5]), start;

	if (mmc_writable(cmd, PROFILE_DVD_PLUS_R) == -1)
		return (SCSI_DONE);
	if (cmd->cdb[1] & 0x01) {		/* ARSV: by address */
		scsi_invalid_cdb(cmd, 1, 0);
		return (SCSI_DONE);
	}
	if (o->ds.status == DISC_COMPLETE) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST,
		    ASC_CANNOT_WRITE_INCOMPATIBLE);
		return (SCSI_DONE);
	}
	/* an incomplete track with nothing in it takes the size */
	if (o->nopen > 0 && o->ot[o->nopen - 1].rsize == 0 &&
	    !o->ot[o->nopen - 1].closed) {
		if (o->ot[o->nopen - 1].written != 0) {
			scsi_check(cmd, SK_ILLEGAL_REQUEST,
			    ASC_CMD_SEQUENCE_ERROR);
			return (SCSI_DONE);
		}
		o->nopen--;
	}
	start = plus_r_next(o);
	if (n == 0 || align_ecc(n) > o->ds.capacity - start) {
		scsi_invalid_cdb(cmd, 5, -1);
		return (SCSI_DONE);
	}
	if (o->ds.ntracks + o->nopen >= DISC_MAX_TRACKS) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_NO_MORE_TRACKS);
		return (SCSI_DONE);
	}
	t = &o->ot[o->nopen++];
	memset(t, 0, sizeof(*t));
	t->start = start;
	t->rsize = align_ecc(n);
	return (SCSI_DONE);
}

/*
 * Close the open session of a DVD+R: its tracks go on the disc, and
 * the state is saved (durable when this returns); finalise: no more
 * sessions.  0, or -1 with the sense set.
 */
static int
plus_r_close_session(struct scsi_cmd *cmd, int finalise)
{
	struct optical		*o = opt_of(cmd);
	struct disc_state	 ns = o->ds;
	uint32_t		 i, size;

	if (o->ds.status == DISC_COMPLETE)
		return (0);
	for (i = 0; i < o->nopen; i++) {
		size = o->ot[i].rsize != 0 ? o->ot[i].rsize :
		    o->ot[i].written;
		if (size == 0)
			continue;
		ns.tracks[ns.ntracks].start = o->ot[i].start;
		ns.tracks[ns.ntracks].size = size;
		ns.tracks[ns.ntracks].session = ns.nsessions + 1;
		ns.ntracks++;
	}
	if (ns.ntracks > o->ds.ntracks)
		ns.nsessions++;
	else if (!finalise || ns.nsessions == 0) {
		/* an empty session: nothing to close */
		o->nopen = 0;
		return (0);
	}
	ns.status = finalise || align_ecc(ns.tracks[ns.ntracks - 1].start +
	    ns.tracks[ns.ntracks - 1].size) >= ns.capacity ? DISC_COMPLETE :
	    DISC_APPENDABLE;
	sbc_quiesce(cmd->lun);
	if (disc_save(o->fd, &ns) == -1) {
		log_warn("disc %s: saving its state", o->name);
		scsi_check(cmd, SK_MEDIUM_ERROR, ASC_WRITE_ERROR);
		return (-1);
	}
	o->ds = ns;
	o->nopen = 0;
	log_info("disc %s: session %u closed%s", o->name, ns.nsessions,
	    ns.status == DISC_COMPLETE ? ", disc finalised" : "");
	return (0);
}

/*
 * CLOSE TRACK SESSION (MMC-6 6.3): 1 closes a track of a DVD+R, 2 the
 * session, 5 and 6 finalise the disc.  On a DVD+RW there is nothing to
 * close: the data is on the disc already.
 */
static int
mmc_close_track_session(struct scsi_cmd *cmd)
{
	struct optical	*o = opt_of(cmd);
	struct otrack	*t;
	uint32_t	 track = get_be16(&cmd->cdb[4]), i;
	int		 func = cmd->cdb[2] & 0x07;

	if (mmc_writable(cmd, 0) == -1)
		return (SCSI_DONE);
	if (o->ds.profile == PROFILE_DVD_PLUS_RW) {
		if (func > 3)
			scsi_invalid_cdb(cmd, 2, 2);
		else if (fdatasync(o->fd) == -1)
			scsi_check(cmd, SK_MEDIUM_ERROR, ASC_WRITE_ERROR);
		return (SCSI_DONE);
	}
	switch (func) {
	case 1:				/* close track */
		if (track <= o->ds.ntracks || track > o->ds.ntracks +
		    o->nopen) {
			/* closed already, or the invisible track */
			if (track >= 1 && track <= o->ds.ntracks + o->nopen + 1)
				return (SCSI_DONE);
			scsi_invalid_cdb(cmd, 4, -1);
			return (SCSI_DONE);
		}
		t = &o->ot[track - o->ds.ntracks - 1];
		if (t->rsize == 0 && t->written == 0) {
			/* nothing in it: no track */
			for (i = track - o->ds.ntracks; i < o->nopen; i++)
				o->ot[i - 1] = o->ot[i];
			o->nopen--;
			return (SCSI_DONE);
		}
		t->closed = 1;
		return (SCSI_DONE);
	case 2:				/* close session */
	case 3:
		plus_r_close_session(cmd, 0);
		return (SCSI_DONE);
	case 5:				/* finalise */
	case 6:
		if (o->ds.nsessions == 0 && o->nopen == 0) {
			scsi_check(cmd, SK_ILLEGAL_REQUEST,
			    ASC_CMD_SEQUENCE_ERROR);
			return (SCSI_DONE);
		}
		plus_r_close_session(cmd, 1);
		return (SCSI_DONE);
	}
	scsi_invalid_cdb(cmd, 2, 2);
	return (SCSI_DONE);
}

/*
 * FORMAT UNIT (MMC-6 6.5) of a DVD+RW: format type 26h, the whole
 * disc; afterwards it is written anywhere.
 */
static int
mmc_format_unit(struct scsi_cmd *cmd)
{
	struct optical		*o = opt_of(cmd);
	struct disc_state	 ns;
	uint8_t			 pl[12];

	if (mmc_writable(cmd, PROFILE_DVD_PLUS_RW) == -1)
		return (SCSI_DONE);
	if ((cmd->cdb[1] & 0x17) != 0x11) {	/* FmtData, code 001b */
		scsi_invalid_cdb(cmd, 1, 4);
		return (SCSI_DONE);
	}
	if (mmc_param(cmd, pl, sizeof(pl)) == -1)
		return (SCSI_DONE);
	if (get_be16(&pl[2]) != 8 || (pl[8] >> 2) != 0x26) {
		scsi_invalid_param(cmd, pl[8] >> 2 != 0x26 ? 8 : 2, -1);
		return (SCSI_DONE);
	}
	ns = o->ds;
	ns.formatted = 1;
	ns.status = DISC_COMPLETE;
	if (disc_save(o->fd, &ns) == -1) {
		scsi_check(cmd, SK_MEDIUM_ERROR, ASC_WRITE_ERROR);
		return (SCSI_DONE);
	}
	o->ds = ns;
	log_info("disc %s formatted", o->name);
	return (SCSI_DONE);
}

/*
 * START STOP UNIT: LoEj with Start clear opens the tray, unless an I_T
 * nexus prevents medium removal; with Start set it closes it, and a
 * disc in it becomes ready.  Power conditions change nothing here.
 */
static int
mmc_start_stop(struct scsi_cmd *cmd)
{
	struct lun	*lun = cmd->lun;
	struct optical	*o = opt_of(cmd);
	int		 loej = (cmd->cdb[4] & 0x02) != 0;
	int		 start = (cmd->cdb[4] & 0x01) != 0;
	int		 pc = cmd->cdb[4] >> 4;

	if (pc != 0 || !loej)
		return (SCSI_DONE);
	if (!start) {
		if (mmc_prevented(lun)) {
			scsi_check(cmd, SK_ILLEGAL_REQUEST,
			    ASC_MEDIUM_REMOVAL_PREVENTED);
			return (SCSI_DONE);
		}
		if (o->tray_open)
			return (SCSI_DONE);
		sbc_quiesce(lun);
		o->tray_open = 1;
		if (mmc_has_medium(o))
			o->media_event = ME_MEDIA_REMOVAL;
		mmc_ejected(lun);
		return (SCSI_DONE);
	}
	if (!o->tray_open)
		return (SCSI_DONE);
	o->tray_open = 0;
	if (mmc_has_medium(o)) {
		o->media_event = ME_NEW_MEDIA;
		lun_ua_set(lun, UA_MEDIUM_CHANGED, cmd->nexus);
	}
	mmc_ejected(lun);
	return (SCSI_DONE);
}

/*
 * PREVENT ALLOW MEDIUM REMOVAL: bit 0 prevents for the I_T nexus (it
 * ends with the nexus and with a reset), bit 1 is the drive's
 * persistent prevent (MMC-6 6.13).
 */
static int
mmc_prevent_allow(struct scsi_cmd *cmd)
{
	struct optical	*o = opt_of(cmd);
	uint8_t		 p = cmd->cdb[4] & 0x03;

	if (p & 0x02) {
		o->persistent = (p & 0x01) != 0;
		return (SCSI_DONE);
	}
	return (spc_prevent_allow(cmd));
}

/* GET CONFIGURATION (MMC-6 6.6) */

/* A feature header; returns where its data starts. */
static uint32_t
feat_hdr(uint8_t *p, uint16_t code, uint8_t version, int persistent,
    int current, uint8_t len)
{
	put_be16(&p[0], code);
	p[2] = version << 2 | (persistent ? 0x02 : 0) | (current ? 0x01 : 0);
	p[3] = len;
	return (4);
}

/* The features, in order. */
static const uint16_t mmc_features[] = {
	0x0000,		/* profile list */
	0x0001,		/* core */
	0x0002,		/* morphing */
	0x0003,		/* removable medium */
	0x0010,		/* random readable */
	0x001f,		/* DVD read */
	0x0020,		/* random writable */
	0x0023,		/* formattable */
	0x002a,		/* DVD+RW */
	0x002b,		/* DVD+R */
	0x0100,		/* power management */
	0x0105,		/* timeout */
	0x0107,		/* real-time streaming */
};
#define NFEATURES	(sizeof(mmc_features) / sizeof(mmc_features[0]))

/* One feature descriptor at p; its length, *current set. */
static uint32_t
mmc_feature(struct lun *lun, uint16_t code, uint8_t *p, int *current)
{
	const struct optical	*o = lun->dev;
	uint16_t	profile = mmc_profile(lun);
	int		media = profile != PROFILE_NONE;
	uint32_t	n;

	*current = 1;
	switch (code) {
	case 0x0000:
		n = feat_hdr(p, code, 0, 1, 1, 12);
		put_be16(&p[n], PROFILE_DVD_PLUS_R);
		p[n + 2] = profile == PROFILE_DVD_PLUS_R ? 0x01 : 0;
		put_be16(&p[n + 4], PROFILE_DVD_PLUS_RW);
		p[n + 6] = profile == PROFILE_DVD_PLUS_RW ? 0x01 : 0;
		put_be16(&p[n + 8], PROFILE_DVD_ROM);
		p[n + 10] = profile == PROFILE_DVD_ROM ? 0x01 : 0;
		return (n + 12);
	case 0x0001:
		n = feat_hdr(p, code, 2, 1, 1, 8);
		put_be32(&p[n], 0x00000001);	/* SCSI family */
		p[n + 4] = 0x01;		/* DBE */
		return (n + 8);
	case 0x0002:
		n = feat_hdr(p, code, 1, 1, 1, 4);
		p[n] = 0x02;			/* OCEvent, no ASYNC */
		return (n + 4);
	case 0x0003:
		n = feat_hdr(p, code, 0, 1, 1, 4);
		/* tray, Eject, Lock; Pvnt Jmpr set: no jumper */
		p[n] = 0x20 | 0x08 | 0x04 | 0x01;
		return (n + 4);
	case 0x0010:
		*current = media;
		n = feat_hdr(p, code, 0, 0, media, 8);
		put_be32(&p[n], DVD_BLOCK);
		put_be16(&p[n + 4], DVD_ECC_BLOCKS);
		return (n + 8);
	case 0x001f:
		*current = media;
		n = feat_hdr(p, code, 1, 0, media, 4);
		return (n + 4);
	case 0x0020:		/* random writable: a formatted DVD+RW */
		*current = profile == PROFILE_DVD_PLUS_RW && o->ds.formatted &&
		    !o->wprot;
		n = feat_hdr(p, code, 0, 0, *current, 12);
		put_be32(&p[n], *current ? o->ds.capacity - 1 : 0);
		put_be32(&p[n + 4], DVD_BLOCK);
		put_be16(&p[n + 8], DVD_ECC_BLOCKS);
		return (n + 12);
	case 0x0023:		/* formattable */
		*current = profile == PROFILE_DVD_PLUS_RW;
		n = feat_hdr(p, code, 0, 0, *current, 0);
		return (n);
	case 0x002a:		/* DVD+RW: Write */
		*current = profile == PROFILE_DVD_PLUS_RW;
		n = feat_hdr(p, code, 1, 0, *current, 4);
		p[n] = 0x01;
		return (n + 4);
	case 0x002b:		/* DVD+R: Write */
		*current = profile == PROFILE_DVD_PLUS_R;
		n = feat_hdr(p, code, 0, 0, *current, 4);
		p[n] = 0x01;
		return (n + 4);
	case 0x0100:
		return (feat_hdr(p, code, 0, 1, 1, 0));
	case 0x0105:
		n = feat_hdr(p, code, 1, 1, 1, 4);
		return (n + 4);
	case 0x0107:
		*current = media;
		n = feat_hdr(p, code, 3, 0, media, 4);
		p[n] = 0x08 | 0x02;		/* SCS, WSPD */
		return (n + 4);
	}
	*current = 0;
	return (0);
}

static int
mmc_get_configuration(struct scsi_cmd *cmd)
{
	struct lun	*lun = cmd->lun;
	uint8_t		 b[512], f[64];
	uint32_t	 n = 8, l;
	uint16_t	 start = get_be16(&cmd->cdb[2]);
	uint16_t	 alloc = get_be16(&cmd->cdb[7]);
	int		 rt = cmd->cdb[1] & 0x03, current;
	size_t		 i;

	if (rt == 3) {
		scsi_invalid_cdb(cmd, 1, 1);
		return (SCSI_DONE);
	}
	memset(b, 0, sizeof(b));
	put_be16(&b[6], mmc_profile(lun));
	for (i = 0; i < NFEATURES; i++) {
		if (mmc_features[i] < start)
			continue;
		if (rt == 2 && mmc_features[i] != start)
			continue;
		memset(f, 0, sizeof(f));
		l = mmc_feature(lun, mmc_features[i], f, &current);
		if (rt == 1 && !current)
			continue;
		memcpy(&b[n], f, l);
		n += l;
	}
	put_be32(&b[0], n - 4);
	scsi_data_in(cmd, b, n, alloc);
	return (SCSI_DONE);
}

/* GET EVENT STATUS NOTIFICATION, polled (MMC-6 6.7). */
static int
mmc_get_event_status(struct scsi_cmd *cmd)
{
	struct lun	*lun = cmd->lun;
	struct optical	*o = opt_of(cmd);
	uint8_t		 b[8];
	uint8_t		 req = cmd->cdb[4] & GESN_SUPPORTED;
	uint16_t	 alloc = get_be16(&cmd->cdb[7]);
	int		 class;

	if (!(cmd->cdb[1] & 0x01)) {		/* asynchronous: none */
		scsi_invalid_cdb(cmd, 1, 0);
		return (SCSI_DONE);
	}
	memset(b, 0, sizeof(b));
	b[3] = GESN_SUPPORTED;
	if (req == 0) {
		/* no class we have: NEA, the header alone */
		put_be16(&b[0], 2);
		b[2] = 0x80;
		scsi_data_in(cmd, b, 4, alloc);
		return (SCSI_DONE);
	}
	/*
	 * The lowest class asked for with an event; operational change
	 * and power management never have one, so the media class when
	 * it does or is the only one asked for, else the lowest asked.
	 */
	if ((req & (1 << GESN_MEDIA)) && (o->media_event != ME_NONE ||
	    (req & ~(1 << GESN_MEDIA)) == 0))
		class = GESN_MEDIA;
	else
		class = (req & (1 << GESN_OP_CHANGE)) ? GESN_OP_CHANGE :
		    (req & (1 << GESN_POWER)) ? GESN_POWER : GESN_MEDIA;
	put_be16(&b[0], 6);
	b[2] = class;
	switch (class) {
	case GESN_OP_CHANGE:
		break;				/* no change, available */
	case GESN_POWER:
		b[5] = 0x01;			/* active */
		break;
	case GESN_MEDIA:
		b[4] = o->media_event;
		b[5] = (o->tray_open ? 0x01 : 0) |
		    (mmc_has_medium(o) && !o->tray_open ? 0x02 : 0);
		o->media_event = ME_NONE;
		break;
	}
	(void)lun;
	scsi_data_in(cmd, b, sizeof(b), alloc);
	return (SCSI_DONE);
}

/* LBA to minutes, seconds, frames (with the 2-second pregap). */
static void
put_msf(uint8_t *p, uint64_t lba)
{
	uint64_t	f = lba + 150;
	uint64_t	m = f / (60 * 75);

	p[0] = 0;
	p[1] = m > 0xff ? 0xff : m;
	p[2] = (f / 75) % 60;
	p[3] = f % 75;
}

static void
put_addr(uint8_t *p, uint64_t lba, int msf)
{
	if (msf)
		put_msf(p, lba);
	else
		put_be32(p, lba);
}

/*
 * READ TOC/PMA/ATIP (MMC-6 6.26), formats 0 (TOC), 1 (session
 * information) and 2 (full TOC) of the closed tracks.  The format is in
 * byte 2, or, from older host software (Linux sr's session check), in
 * byte 9 bits 7-6.  A blank disc has no TOC.
 */
static int
mmc_read_toc(struct scsi_cmd *cmd)
{
	struct tview	 v[DISC_MAX_TRACKS + 1];
	uint8_t		 b[4 + 11 * (DISC_MAX_TRACKS + 3)];
	uint16_t	 alloc = get_be16(&cmd->cdb[7]);
	uint8_t		 track = cmd->cdb[6];
	int		 msf = (cmd->cdb[1] & 0x02) != 0;
	int		 fmt = cmd->cdb[2] & 0x0f;
	uint32_t	 n = 4, i, nt, nc, ns, last_start, leadout;

	if (fmt == 0)
		fmt = cmd->cdb[9] >> 6;
	if (mmc_ready(cmd) == -1)
		return (SCSI_DONE);
	nt = mmc_tracks(cmd->lun, v, &ns);
	/* the closed tracks of closed sessions */
	for (nc = 0; nc < nt && v[nc].closed && !v[nc].invisible &&
	    (v[nc].session < ns || !mmc_open_session(cmd->lun)); nc++)
		;
	if (nc == 0) {
		scsi_invalid_cdb(cmd, 2, 3);
		return (SCSI_DONE);
	}
	leadout = v[nc - 1].start + v[nc - 1].size;
	last_start = v[nc - 1].start;
	for (i = nc; i > 0 && v[i - 1].session == v[nc - 1].session; i--)
		last_start = v[i - 1].start;
	memset(b, 0, sizeof(b));
	switch (fmt) {
	case 0:
		if (track > nc && track != 0xaa) {
			scsi_invalid_cdb(cmd, 6, -1);
			return (SCSI_DONE);
		}
		b[2] = 1;			/* first track */
		b[3] = nc;			/* last track */
		for (i = 0; i < nc && track != 0xaa; i++) {
			if (v[i].number < track)
				continue;
			b[n + 1] = 0x14;	/* ADR 1, data track */
			b[n + 2] = v[i].number;
			put_addr(&b[n + 4], v[i].start, msf);
			n += 8;
		}
		b[n + 1] = 0x14;
		b[n + 2] = 0xaa;		/* lead-out */
		put_addr(&b[n + 4], leadout, msf);
		n += 8;
		break;
	case 1:
		b[2] = 1;			/* first complete session */
		b[3] = v[nc - 1].session;	/* last complete session */
		for (i = 0; i < nc; i++)
			if (v[i].session == v[nc - 1].session)
				break;
		b[n + 1] = 0x14;
		b[n + 2] = v[i].number;		/* first track, last session */
		put_addr(&b[n + 4], last_start, msf);
		n += 8;
		break;
	case 2:
		b[2] = 1;
		b[3] = v[nc - 1].session;
		for (i = 0; i < nc + 3; i++) {
			b[n] = i < 3 ? 1 : v[i - 3].session;
			b[n + 1] = 0x14;
			switch (i) {
			case 0:			/* A0: first track */
				b[n + 3] = 0xa0;
				b[n + 8] = 1;
				break;
			case 1:			/* A1: last track */
				b[n + 3] = 0xa1;
				b[n + 8] = nc;
				break;
			case 2:			/* A2: lead-out */
				b[n + 3] = 0xa2;
				put_msf(&b[n + 7], leadout);
				break;
			default:
				b[n + 3] = v[i - 3].number;
				put_msf(&b[n + 7], v[i - 3].start);
				break;
			}
			n += 11;
		}
		break;
	default:
		scsi_invalid_cdb(cmd, 2, 3);
		return (SCSI_DONE);
	}
	put_be16(&b[0], n - 2);
	scsi_data_in(cmd, b, n, alloc);
	return (SCSI_DONE);
}

/* READ DISC INFORMATION (MMC-6 6.22), standard disc information. */
static int
mmc_read_disc_info(struct scsi_cmd *cmd)
{
	struct optical	*o = opt_of(cmd);
	struct tview	 v[DISC_MAX_TRACKS + 1];
	uint8_t		 b[34];
	uint16_t	 alloc = get_be16(&cmd->cdb[7]);
	uint32_t	 nt, ns, first = 1, i;
	uint8_t		 status = DISC_COMPLETE, last = 3;

	if (cmd->cdb[1] & 0x07) {		/* track resources... */
		scsi_invalid_cdb(cmd, 1, 2);
		return (SCSI_DONE);
	}
	if (mmc_ready(cmd) == -1)
		return (SCSI_DONE);
	nt = mmc_tracks(cmd->lun, v, &ns);
	for (i = 0; i < nt; i++)
		if (v[i].session == ns) {
			first = v[i].number;
			break;
		}
	if (o->disc && o->ds.profile == PROFILE_DVD_PLUS_R &&
	    o->ds.status != DISC_COMPLETE) {
		status = o->ds.nsessions == 0 && o->nopen == 0 ?
		    DISC_BLANK : DISC_APPENDABLE;
		last = o->nopen > 0 ? 1 : 0;	/* incomplete, empty */
	}
	if (o->disc && o->ds.profile == PROFILE_DVD_PLUS_RW &&
	    !o->ds.formatted) {
		status = DISC_BLANK;
		last = 0;
	}
	memset(b, 0, sizeof(b));
	put_be16(&b[0], sizeof(b) - 2);
	b[2] = (o->disc && o->ds.profile == PROFILE_DVD_PLUS_RW ? 0x10 : 0) |
	    last << 2 | status;
	b[3] = 1;			/* first track */
	b[4] = ns;			/* sessions */
	b[5] = first;			/* first track of the last session */
	b[6] = nt;			/* last track of the last session */
	b[7] = 0x20;			/* URU */
	if (o->disc && o->ds.profile == PROFILE_DVD_PLUS_RW)
		b[7] |= o->ds.formatted ? 0x03 : 0;	/* BG format */
	if (status == DISC_COMPLETE) {
		put_be32(&b[16], 0xffffffff);
		put_be32(&b[20], 0xffffffff);
	} else {
		put_be32(&b[16], nt > 0 ? v[nt - 1].start : 0);
		put_be32(&b[20], o->ds.capacity);
	}
	scsi_data_in(cmd, b, sizeof(b), alloc);
	return (SCSI_DONE);
}

/* READ TRACK INFORMATION (MMC-6 6.27) */
static int
mmc_read_track_info(struct scsi_cmd *cmd)
{
	struct optical		*o = opt_of(cmd);
	struct tview		 v[DISC_MAX_TRACKS + 1];
	const struct tview	*t = NULL;
	uint8_t			 b[48];
	uint16_t		 alloc = get_be16(&cmd->cdb[7]);
	uint32_t		 val = get_be32(&cmd->cdb[2]), nt, ns, i;
	int			 type = cmd->cdb[1] & 0x03;

	if (mmc_ready(cmd) == -1)
		return (SCSI_DONE);
	nt = mmc_tracks(cmd->lun, v, &ns);
	for (i = 0; i < nt; i++) {
		switch (type) {
		case 0:			/* the track holding LBA val */
			if (val >= v[i].start && val - v[i].start <
			    v[i].size)
				t = &v[i];
			break;
		case 1:			/* track number, FFh invisible */
			if (val == v[i].number || (val == 0xff &&
			    v[i].invisible))
				t = &v[i];
			break;
		case 2:			/* first track of session number */
			if (val == v[i].session)
				t = &v[i];
			break;
		default:
			scsi_invalid_cdb(cmd, 1, 1);
			return (SCSI_DONE);
		}
		if (t != NULL)
			break;
	}
	if (t == NULL) {
		scsi_invalid_cdb(cmd, 2, -1);
		return (SCSI_DONE);
	}
	memset(b, 0, sizeof(b));
	put_be16(&b[0], sizeof(b) - 2);
	b[2] = t->number;
	b[3] = t->session;
	b[5] = o->disc && o->ds.profile == PROFILE_DVD_PLUS_R ? 0x05 : 0x04;
	b[6] = 0x01 | (t->reserved ? 0x80 : 0) |
	    (t->written == 0 ? 0x40 : 0);	/* RT, Blank, data mode 1 */
	put_be32(&b[8], t->start);
	if (!t->closed && t->written < t->size) {
		b[7] |= 0x01;			/* NWA valid */
		put_be32(&b[12], t->start + t->written);
		put_be32(&b[16], t->size - t->written);
	}
	put_be32(&b[20], DVD_ECC_BLOCKS);
	put_be32(&b[24], t->size);
	if (t->written > 0) {
		b[7] |= 0x02;			/* LRA valid */
		put_be32(&b[28], t->start + t->written - 1);
	}
	put_be32(&b[36], t->start + t->size);	/* read compatibility */
	scsi_data_in(cmd, b, sizeof(b), alloc);
	return (SCSI_DONE);
}

/* READ DVD STRUCTURE (MMC-6 6.29) of a single-layer DVD. */
static int
mmc_read_dvd_structure(struct scsi_cmd *cmd)
{
	struct lun	*lun = cmd->lun;
	struct optical	*o = opt_of(cmd);
	uint8_t		*b;
	uint16_t	 alloc = get_be16(&cmd->cdb[8]);
	uint8_t		 fmt = cmd->cdb[7], layer = cmd->cdb[6];
	uint32_t	 n, end;
	uint8_t		 list[5];
	size_t		 i, nl = 0;
	int		 plus = o->disc;

	if (cmd->cdb[1] & 0x0f) {		/* not a DVD: BD... */
		scsi_invalid_cdb(cmd, 1, 3);
		return (SCSI_DONE);
	}
	if (mmc_ready(cmd) == -1)
		return (SCSI_DONE);
	if (fmt < 0xc0 && fmt != 0xff && layer != 0) {
		scsi_invalid_cdb(cmd, 6, -1);
		return (SCSI_DONE);
	}
	list[nl++] = 0x00;
	list[nl++] = 0x01;
	list[nl++] = 0x04;
	if (plus)
		list[nl++] = 0x11;
	list[nl++] = 0xff;
	if ((b = calloc(1, 4 + 2048)) == NULL) {
		scsi_check(cmd, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
		return (SCSI_DONE);
	}
	end = plus ? o->ds.capacity : lun->nblocks;
	switch (fmt) {
	case 0x00:				/* physical format */
		/* book type, part version: DVD-ROM, DVD+RW, DVD+R */
		b[4] = !plus ? 0x01 : o->ds.profile == PROFILE_DVD_PLUS_RW ?
		    0x92 : 0xa1;
		b[5] = 0x0f;			/* 120 mm, rate unspecified */
		/* one layer, embossed, recordable or rewritable */
		b[6] = !plus ? 0x01 : o->ds.profile == PROFILE_DVD_PLUS_RW ?
		    0x04 : 0x02;
		b[7] = 0x00;			/* densities */
		put_be32(&b[8], DVD_FIRST_PSN);
		put_be32(&b[12], DVD_FIRST_PSN + (end > 0 ? end - 1 : 0));
		n = 4 + 2048;
		break;
	case 0x01:				/* copyright: none */
		n = 8;
		break;
	case 0x04:				/* manufacturing: empty */
		n = 4 + 2048;
		break;
	case 0x11:				/* ADIP of DVD+R/+RW */
		if (!plus)
			goto bad;
		b[4] = o->ds.profile == PROFILE_DVD_PLUS_RW ? 0x92 : 0xa1;
		b[5] = 0x0f;
		b[6] = o->ds.profile == PROFILE_DVD_PLUS_RW ? 0x04 : 0x02;
		put_be32(&b[8], DVD_FIRST_PSN);
		put_be32(&b[12], DVD_FIRST_PSN + end - 1);
		memcpy(&b[4 + 19], "TGTSUITE", 8);	/* manufacturer */
		memcpy(&b[4 + 27], "V01", 3);		/* media type */
		b[4 + 30] = 0x01;			/* revision */
		n = 4 + 256;
		break;
	case 0xff:				/* the structures we have */
		n = 4;
		for (i = 0; i < nl; i++) {
			b[n] = list[i];
			b[n + 1] = 0x40;	/* RDS: readable */
			put_be16(&b[n + 2], list[i] == 0x01 ? 4 :
			    list[i] == 0x11 ? 256 :
			    list[i] == 0xff ? 4 * nl : 2048);
			n += 4;
		}
		break;
	default:
		goto bad;
	}
	put_be16(&b[0], n - 2);
	scsi_data_in(cmd, b, n, alloc);
	free(b);
	return (SCSI_DONE);
 bad:
	free(b);
	scsi_invalid_cdb(cmd, 7, -1);
	return (SCSI_DONE);
}

/*
 * READ FORMAT CAPACITIES (MMC-6 6.24): the current capacity, and the
 * format a DVD+RW takes (26h, the whole disc).
 */
static int
mmc_read_format_capacities(struct scsi_cmd *cmd)
{
	struct lun	*lun = cmd->lun;
	struct optical	*o = opt_of(cmd);
	uint8_t		 b[20];
	uint16_t	 alloc = get_be16(&cmd->cdb[7]);
	uint32_t	 n = 12;

	memset(b, 0, sizeof(b));
	b[3] = 8;
	if (lun->ejected) {
		put_be32(&b[4], 0xffffffff);
		b[8] = 0x03;			/* no medium */
	} else if (o->disc) {
		put_be32(&b[4], o->ds.capacity);
		/* unformatted (blank), or formatted */
		b[8] = (o->ds.profile == PROFILE_DVD_PLUS_RW ?
		    o->ds.formatted : o->ds.status != DISC_BLANK) ? 0x02 :
		    0x01;
		if (o->ds.profile == PROFILE_DVD_PLUS_RW) {
			b[3] = 16;
			put_be32(&b[12], o->ds.capacity);
			b[16] = 0x26 << 2;
			n = 20;
		}
	} else {
		put_be32(&b[4], lun->nblocks);
		b[8] = 0x02;			/* formatted */
	}
	put_be24(&b[9], DVD_BLOCK);
	scsi_data_in(cmd, b, n, alloc);
	return (SCSI_DONE);
}

/* MECHANISM STATUS (MMC-6 6.11): no changer, the tray's state. */
static int
mmc_mechanism_status(struct scsi_cmd *cmd)
{
	struct optical	*o = opt_of(cmd);
	uint8_t		 b[8];

	memset(b, 0, sizeof(b));
	b[1] = o->tray_open ? 0x10 : 0;		/* door open */
	scsi_data_in(cmd, b, sizeof(b), get_be16(&cmd->cdb[8]));
	return (SCSI_DONE);
}

/* SET CD SPEED (MMC-6 6.39): kept, 0xffff is the fastest. */
static int
mmc_set_cd_speed(struct scsi_cmd *cmd)
{
	struct optical	*o = opt_of(cmd);
	uint16_t	 r = get_be16(&cmd->cdb[2]);
	uint16_t	 w = get_be16(&cmd->cdb[4]);

	o->read_speed = r == 0 || r > DVD_MAX_SPEED ? DVD_MAX_SPEED : r;
	o->write_speed = w == 0 || w > DVD_MAX_SPEED ? DVD_MAX_SPEED : w;
	return (SCSI_DONE);
}

/* Copy the Data-Out parameter list of len bytes; -1 with the sense. */
static int
mmc_param(struct scsi_cmd *cmd, uint8_t *p, uint32_t len)
{
	cmd->want = len;
	if (cmd->out_len < len) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_IU);
		return (-1);
	}
	if (p != NULL)
		memcpy(p, cmd->buf, len);
	cmd->len = len;
	return (0);
}

/* SET STREAMING (MMC-6 6.43): a performance descriptor. */
static int
mmc_set_streaming(struct scsi_cmd *cmd)
{
	struct optical	*o = opt_of(cmd);
	uint8_t		 d[28];
	uint16_t	 len = get_be16(&cmd->cdb[9]);
	uint32_t	 sz, ms;
	uint64_t	 kbs;

	if (cmd->cdb[8] != 0) {			/* only type 0 */
		scsi_invalid_cdb(cmd, 8, -1);
		return (SCSI_DONE);
	}
	if (len == 0)
		return (SCSI_DONE);
	if (len < sizeof(d)) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST,
		    ASC_PARAM_LIST_LENGTH_ERROR);
		return (SCSI_DONE);
	}
	if (mmc_param(cmd, d, sizeof(d)) == -1)
		return (SCSI_DONE);
	cmd->want = len;
	if (get_be32(&d[8]) < get_be32(&d[4]) && get_be32(&d[8]) != 0) {
		scsi_invalid_param(cmd, 8, -1);
		return (SCSI_DONE);
	}
	if (d[0] & 0x04) {			/* RDD: defaults */
		o->read_speed = o->write_speed = DVD_MAX_SPEED;
		return (SCSI_DONE);
	}
	/* kilobytes per second: size in kB over time in ms, times 1000 */
	sz = get_be32(&d[12]);
	ms = get_be32(&d[16]);
	if (ms != 0) {
		kbs = (uint64_t)sz * 1000 / ms;
		o->read_speed = kbs == 0 || kbs > DVD_MAX_SPEED ?
		    DVD_MAX_SPEED : kbs;
	}
	sz = get_be32(&d[20]);
	ms = get_be32(&d[24]);
	if (ms != 0) {
		kbs = (uint64_t)sz * 1000 / ms;
		o->write_speed = kbs == 0 || kbs > DVD_MAX_SPEED ?
		    DVD_MAX_SPEED : kbs;
	}
	return (SCSI_DONE);
}

/*
 * GET PERFORMANCE (MMC-6 6.8): type 0, nominal performance (reading; a
 * disc that cannot be written has no write performance), and type 3,
 * write speed descriptors (none for a DVD-ROM).
 */
static int
mmc_get_performance(struct scsi_cmd *cmd)
{
	struct lun	*lun = cmd->lun;
	struct optical	*o = opt_of(cmd);
	uint8_t		 b[8 + 16];
	uint16_t	 max = get_be16(&cmd->cdb[8]);
	uint8_t		 type = cmd->cdb[10], dt = cmd->cdb[1] & 0x1f;
	uint32_t	 n = 8, alloc;

	memset(b, 0, sizeof(b));
	switch (type) {
	case 0x00:
		if (mmc_ready(cmd) == -1)
			return (SCSI_DONE);
		if (dt & 0x04)
			b[4] = 0x02;		/* write */
		if ((dt & 0x03) != 0 || max == 0)
			break;			/* exceptions: none */
		if ((dt & 0x04) && (!o->disc || o->wprot))
			break;			/* not written */
		put_be32(&b[n], 0);
		put_be32(&b[n + 4], dt & 0x04 ? o->write_speed :
		    o->read_speed);
		put_be32(&b[n + 8], lun->nblocks - 1);
		put_be32(&b[n + 12], dt & 0x04 ? o->write_speed :
		    o->read_speed);
		n += 16;
		break;
	case 0x03:			/* write speeds of a writable disc */
		if (mmc_ready(cmd) == -1)
			return (SCSI_DONE);
		if (!o->disc || o->wprot || max == 0)
			break;
		b[n] = 0x00;			/* CLV */
		put_be32(&b[n + 4], lun->nblocks);
		put_be32(&b[n + 8], o->read_speed);
		put_be32(&b[n + 12], o->write_speed);
		n += 16;
		break;
	default:
		scsi_invalid_cdb(cmd, 10, -1);
		return (SCSI_DONE);
	}
	put_be32(&b[0], n - 4);
	alloc = 8 + (uint32_t)max * 16;
	scsi_data_in(cmd, b, n, alloc);
	return (SCSI_DONE);
}

/* READ BUFFER CAPACITY (MMC-6 6.21): an empty buffer. */
static int
mmc_read_buffer_capacity(struct scsi_cmd *cmd)
{
	uint8_t		b[12];
	int		block = cmd->cdb[1] & 0x01;

	memset(b, 0, sizeof(b));
	put_be16(&b[0], 10);
	if (block) {
		b[3] = 0x01;
		put_be32(&b[8], BUFFER_SIZE / DVD_BLOCK);
	} else {
		put_be32(&b[4], BUFFER_SIZE);
		put_be32(&b[8], BUFFER_SIZE);
	}
	scsi_data_in(cmd, b, sizeof(b), get_be16(&cmd->cdb[7]));
	return (SCSI_DONE);
}

/*
 * REPORT KEY (MMC-6 6.30), for a drive and discs without content
 * protection: no region (RPC state), authentication not granted (ASF
 * 0), no key to exchange.
 */
static int
mmc_report_key(struct scsi_cmd *cmd)
{
	uint8_t		b[8];
	uint16_t	alloc = get_be16(&cmd->cdb[8]);
	uint8_t		fmt = cmd->cdb[10] & 0x3f;

	if (cmd->cdb[7] != 0) {			/* key class: DVD CSS/CPPM */
		scsi_invalid_cdb(cmd, 7, -1);
		return (SCSI_DONE);
	}
	memset(b, 0, sizeof(b));
	switch (fmt) {
	case 0x05:				/* authentication success */
		if (mmc_ready(cmd) == -1)
			return (SCSI_DONE);
		put_be16(&b[0], 6);
		break;
	case 0x08:				/* RPC state */
		put_be16(&b[0], 6);
		b[4] = 0x00 | 4 << 3 | 5;	/* no region set, changes */
		b[5] = 0x00;			/* region mask: every one */
		b[6] = 0x01;			/* RPC phase II */
		break;
	case 0x3f:				/* none */
		return (SCSI_DONE);
	case 0x00:				/* AGID */
	case 0x01:				/* challenge */
	case 0x02:				/* KEY1 */
	case 0x04:				/* title key */
		if (mmc_ready(cmd) == -1)
			return (SCSI_DONE);
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_KEY_NOT_PRESENT);
		return (SCSI_DONE);
	default:
		scsi_invalid_cdb(cmd, 10, 5);
		return (SCSI_DONE);
	}
	scsi_data_in(cmd, b, 8, alloc);
	return (SCSI_DONE);
}

/* SEND OPC INFORMATION (MMC-6 6.37): nothing to calibrate. */
static int
mmc_send_opc(struct scsi_cmd *cmd)
{
	uint16_t	len = get_be16(&cmd->cdb[7]);

	if (mmc_ready(cmd) == -1)
		return (SCSI_DONE);
	if (len != 0 && mmc_param(cmd, NULL, len) == -1)
		return (SCSI_DONE);
	return (SCSI_DONE);
}

/*
 * Mode pages: write parameters 05h, power condition 1Ah, capabilities
 * 2Ah (read-only); pc: current, changeable, default.
 */
static uint32_t
mmc_mode_page(struct lun *lun, uint8_t page, int pc, uint8_t *p)
{
	struct optical	*o = lun->dev;
	struct optical	 def;

	switch (page) {
	case MODE_PAGE_WRITE_PARAMS:
		if (pc == 1) {
			memset(p, 0, WP_LEN);
			p[0] = page;
			p[1] = WP_LEN - 2;
			p[2] = 0x40 | 0x10 | 0x0f;	/* BUFE, test, type */
			p[3] = 0xc0 | 0x20 | 0x0f;	/* MS, FP, mode */
			p[4] = 0x0f;			/* block type */
			p[5] = 0xff;			/* link size */
			p[8] = 0xff;			/* session format */
			memset(&p[10], 0xff, 4);	/* packet size */
			return (WP_LEN);
		}
		if (pc == 2) {
			mmc_defaults(&def);
			memcpy(p, def.wp, WP_LEN);
		} else
			memcpy(p, o->wp, WP_LEN);
		return (WP_LEN);
	case MODE_PAGE_POWER_CONDITION:
		if (pc == 1) {
			memset(p, 0, PC_LEN);
			p[0] = page;
			p[1] = PC_LEN - 2;
			p[3] = 0x03;			/* IDLE, STANDBY */
			memset(&p[4], 0xff, 8);		/* their timers */
			return (PC_LEN);
		}
		if (pc == 2) {
			mmc_defaults(&def);
			memcpy(p, def.pc, PC_LEN);
		} else
			memcpy(p, o->pc, PC_LEN);
		return (PC_LEN);
	case MODE_PAGE_MM_CAPABILITIES:
		memset(p, 0, 32);
		p[0] = page;
		p[1] = 32 - 2;
		if (pc == 1)
			return (32);
		p[2] = 0x08;			/* DVD-ROM read */
		/*
		 * DVD-R Write: the drive writes DVD+R and DVD+RW discs,
		 * which have no bit of their own here; libburn gives a
		 * drive write modes only when one of these bits is set.
		 */
		p[3] = 0x10;
		p[4] = 0x40 | 0x10;		/* multi-session, form 1 */
		p[5] = 0x00;
		p[6] = 0x20 | 0x08 | 0x01 |	/* tray, eject, lock */
		    (lun_prevented(lun) || o->persistent ? 0x02 : 0);
		put_be16(&p[8], DVD_MAX_SPEED);	/* obsolete max read */
		put_be16(&p[12], BUFFER_SIZE >> 10);	/* buffer, KB */
		put_be16(&p[14], o->read_speed);	/* obsolete current */
		p[27] = 0x00;			/* CLV */
		/* no write speed: a DVD-ROM is not written */
		return (32);
	}
	return (0);
}

static int
mmc_mode_page_set(struct lun *lun, const uint8_t *p)
{
	struct optical	*o = lun->dev;

	switch (p[0] & 0x3f) {
	case MODE_PAGE_WRITE_PARAMS:
		if (memcmp(&o->wp[2], &p[2], WP_LEN - 2) == 0)
			return (0);
		memcpy(&o->wp[2], &p[2], WP_LEN - 2);
		return (1);
	case MODE_PAGE_POWER_CONDITION:
		if (memcmp(&o->pc[2], &p[2], PC_LEN - 2) == 0)
			return (0);
		memcpy(&o->pc[2], &p[2], PC_LEN - 2);
		return (1);
	}
	return (0);
}

/* No block descriptors (MMC-6 7.2). */
static uint32_t
mmc_mode_bd(struct lun *lun, int llbaa, uint8_t *bd)
{
	return (0);
}

static int
mmc_mode_bd_set(struct lun *lun, const uint8_t *bd, uint32_t len, int apply)
{
	return (-1);
}

static uint8_t
mmc_mode_devspec(struct lun *lun)
{
	return (0);
}

#define LBA4	0xff, 0xff, 0xff, 0xff

/* The optical drive's commands; cdb.c has those every type shares. */
static const struct scsi_op mmc_ops[] = {
	{ TEST_UNIT_READY, 0, 6, 0, mmc_test_unit_ready, "TEST UNIT READY",
	    { 0x00, 0, 0, 0, 0, 0x07 } },
	{ FORMAT_UNIT, 0, 6, OPF_WRITE, mmc_format_unit, "FORMAT UNIT",
	    { 0x04, 0x17, 0, 0, 0, 0x07 } },
	{ START_STOP_UNIT, 0, 6, OPF_READ, mmc_start_stop, "START STOP UNIT",
	    { 0x1b, 0x01, 0, 0, 0xf3, 0x07 } },
	{ PREVENT_ALLOW_MEDIUM_REMOVAL, 0, 6, 0, mmc_prevent_allow,
	    "PREVENT ALLOW MEDIUM REMOVAL",
	    { 0x1e, 0, 0, 0, 0x03, 0x07 } },
	{ READ_FORMAT_CAPACITIES, 0, 10, 0, mmc_read_format_capacities,
	    "READ FORMAT CAPACITIES",
	    { 0x23, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0x07 } },
	{ READ_CAPACITY_10, 0, 10, 0, mmc_read_capacity, "READ CAPACITY",
	    { 0x25, 0, LBA4, 0, 0, 0x01, 0x07 } },
	{ READ_10, 0, 10, OPF_READ, mmc_read, "READ(10)",
	    { 0x28, 0x18, LBA4, 0, 0xff, 0xff, 0x07 } },
	{ WRITE_10, 0, 10, OPF_WRITE, mmc_write, "WRITE(10)",
	    { 0x2a, 0x08, LBA4, 0, 0xff, 0xff, 0x07 } },
	{ SYNCHRONIZE_CACHE_10, 0, 10, OPF_WRITE, mmc_sync_cache,
	    "SYNCHRONIZE CACHE",
	    { 0x35, 0x02, LBA4, 0, 0xff, 0xff, 0x07 } },
	{ READ_TOC_PMA_ATIP, 0, 10, 0, mmc_read_toc, "READ TOC/PMA/ATIP",
	    { 0x43, 0x02, 0x0f, 0, 0, 0, 0xff, 0xff, 0xff, 0xc7 } },
	{ GET_CONFIGURATION, 0, 10, OPF_NO_UA | OPF_ALWAYS,
	    mmc_get_configuration, "GET CONFIGURATION",
	    { 0x46, 0x03, 0xff, 0xff, 0, 0, 0, 0xff, 0xff, 0x07 } },
	{ GET_EVENT_STATUS, 0, 10, OPF_NO_UA | OPF_ALWAYS,
	    mmc_get_event_status, "GET EVENT STATUS NOTIFICATION",
	    { 0x4a, 0x01, 0, 0, 0xff, 0, 0, 0xff, 0xff, 0x07 } },
	{ READ_DISC_INFORMATION, 0, 10, 0, mmc_read_disc_info,
	    "READ DISC INFORMATION",
	    { 0x51, 0x07, 0, 0, 0, 0, 0, 0xff, 0xff, 0x07 } },
	{ READ_TRACK_INFORMATION, 0, 10, 0, mmc_read_track_info,
	    "READ TRACK INFORMATION",
	    { 0x52, 0x03, LBA4, 0, 0xff, 0xff, 0x07 } },
	{ SEND_OPC_INFORMATION, 0, 10, 0, mmc_send_opc,
	    "SEND OPC INFORMATION",
	    { 0x54, 0x01, 0, 0, 0, 0, 0, 0xff, 0xff, 0x07 } },
	{ RESERVE_TRACK, 0, 10, OPF_WRITE, mmc_reserve_track, "RESERVE TRACK",
	    { 0x53, 0x01, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x07 } },
	{ CLOSE_TRACK_SESSION, 0, 10, OPF_WRITE, mmc_close_track_session,
	    "CLOSE TRACK SESSION",
	    { 0x5b, 0x01, 0x07, 0, 0xff, 0xff, 0, 0, 0, 0x07 } },
	{ READ_BUFFER_CAPACITY, 0, 10, 0, mmc_read_buffer_capacity,
	    "READ BUFFER CAPACITY",
	    { 0x5c, 0x01, 0, 0, 0, 0, 0, 0xff, 0xff, 0x07 } },
	{ REPORT_KEY, 0, 12, 0, mmc_report_key, "REPORT KEY",
	    { 0xa4, 0, LBA4, 0, 0xff, 0xff, 0xff, 0xff, 0x07 } },
	{ READ_12, 0, 12, OPF_READ, mmc_read, "READ(12)",
	    { 0xa8, 0x18, LBA4, LBA4, 0x80, 0x07 } },
	{ WRITE_12, 0, 12, OPF_WRITE, mmc_write, "WRITE(12)",
	    { 0xaa, 0x08, LBA4, LBA4, 0x80, 0x07 } },
	{ GET_PERFORMANCE, 0, 12, 0, mmc_get_performance, "GET PERFORMANCE",
	    { 0xac, 0x1f, LBA4, 0, 0, 0xff, 0xff, 0xff, 0x07 } },
	{ READ_DVD_STRUCTURE, 0, 12, 0, mmc_read_dvd_structure,
	    "READ DVD STRUCTURE",
	    { 0xad, 0x0f, LBA4, 0xff, 0xff, 0xff, 0xff, 0xc0, 0x07 } },
	{ SET_STREAMING, 0, 12, 0, mmc_set_streaming, "SET STREAMING",
	    { 0xb6, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x07 } },
	{ SET_CD_SPEED, 0, 12, 0, mmc_set_cd_speed, "SET CD SPEED",
	    { 0xbb, 0x03, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0x07 } },
	{ MECHANISM_STATUS, 0, 12, OPF_ALWAYS, mmc_mechanism_status,
	    "MECHANISM STATUS",
	    { 0xbd, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0x07 } },
};

static const uint8_t mmc_vpd[] = { 0 };
static const uint8_t mmc_mode_pages[] = { MODE_PAGE_WRITE_PARAMS,
    MODE_PAGE_CONTROL, MODE_PAGE_POWER_CONDITION, MODE_PAGE_INFO_EXCEPTIONS,
    MODE_PAGE_MM_CAPABILITIES };

static uint32_t
mmc_vpd_page(struct scsi_cmd *cmd, uint8_t page, uint8_t *b)
{
	return (0);
}

const struct devtype devtype_optical = {
	.name = "optical",
	.pdt = TYPE_ROM,
	.inq5 = 0,
	.version = VD_MMC6,
	.product = "DVD",
	.ops = mmc_ops,
	.nops = sizeof(mmc_ops) / sizeof(mmc_ops[0]),
	.init = mmc_init,
	.fini = mmc_fini,
	.vpd = mmc_vpd,
	.nvpd = 0,
	.vpd_page = mmc_vpd_page,
	.mode_pages = mmc_mode_pages,
	.nmode_pages = sizeof(mmc_mode_pages),
	.mode_page = mmc_mode_page,
	.mode_page_set = mmc_mode_page_set,
	.mode_bd = mmc_mode_bd,
	.mode_bd_set = mmc_mode_bd_set,
	.mode_devspec = mmc_mode_devspec,
	.reset = mmc_reset,
};
