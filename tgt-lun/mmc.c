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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
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

/* sense */
#define ASC_NO_MEDIUM_TRAY_CLOSED	0x3a01
#define ASC_NO_MEDIUM_TRAY_OPEN		0x3a02
#define ASC_CANNOT_WRITE_INCOMPATIBLE	0x3005
#define ASC_KEY_NOT_PRESENT		0x6f01

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
#define DVD_ECC_BLOCKS			16	/* blocks per ECC block */
#define DVD_FIRST_PSN			0x030000

#define BUFFER_SIZE			(4u << 20)

#define WP_LEN				52	/* write parameters page */
#define PC_LEN				40	/* power condition page */

struct optical {
	int		 fd;		/* the image, -1: none */
	int		 tray_open;
	int		 persistent;	/* persistent prevent */
	uint8_t		 media_event;	/* ME_*, not yet reported */
	uint16_t	 read_speed;	/* kB/s, SET CD SPEED */
	uint16_t	 write_speed;
	uint8_t		 wp[WP_LEN];	/* write parameters, current */
	uint8_t		 pc[PC_LEN];	/* power condition, current */
	char		 name[TGT_BARCODE_MAX];
};

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
	return (PROFILE_DVD_ROM);
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
	struct stat	st;

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
	log_info("disc %s in the drive: %llu blocks", o->name[0] != '\0' ?
	    o->name : lun->cfg.path, (unsigned long long)lun->nblocks);
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
	log_info("disc %s out of the drive", o->name);
	close(o->fd);
	o->fd = lun->fd = -1;
	o->tray_open = 0;
	o->media_event = ME_MEDIA_REMOVAL;
	o->name[0] = '\0';
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

/* READ(10), READ(12): the disk's, on 2048-byte blocks. */
static int
mmc_read(struct scsi_cmd *cmd)
{
	if (mmc_ready(cmd) == -1)
		return (SCSI_DONE);
	return (sbc_read(cmd));
}

/* WRITE(10), WRITE(12): a DVD-ROM is not writable. */
static int
mmc_write(struct scsi_cmd *cmd)
{
	if (mmc_ready(cmd) == -1)
		return (SCSI_DONE);
	scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_CANNOT_WRITE_INCOMPATIBLE);
	return (SCSI_DONE);
}

static int
mmc_read_capacity(struct scsi_cmd *cmd)
{
	if (mmc_ready(cmd) == -1)
		return (SCSI_DONE);
	return (sbc_read_capacity10(cmd));
}

/* SYNCHRONIZE CACHE: nothing is cached on a read-only disc. */
static int
mmc_sync_cache(struct scsi_cmd *cmd)
{
	if (mmc_ready(cmd) == -1)
		return (SCSI_DONE);
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

/* Feature code, or 0xffff past the last. */
static const uint16_t mmc_features[] = {
	0x0000,		/* profile list */
	0x0001,		/* core */
	0x0002,		/* morphing */
	0x0003,		/* removable medium */
	0x0010,		/* random readable */
	0x001f,		/* DVD read */
	0x0100,		/* power management */
	0x0105,		/* timeout */
	0x0107,		/* real-time streaming */
};
#define NFEATURES	(sizeof(mmc_features) / sizeof(mmc_features[0]))

/* One feature descriptor at p; its length, *current set. */
static uint32_t
mmc_feature(struct lun *lun, uint16_t code, uint8_t *p, int *current)
{
	uint16_t	profile = mmc_profile(lun);
	int		media = profile != PROFILE_NONE;
	uint32_t	n;

	*current = 1;
	switch (code) {
	case 0x0000:
		n = feat_hdr(p, code, 0, 1, 1, 4);
		put_be16(&p[n], PROFILE_DVD_ROM);
		p[n + 2] = profile == PROFILE_DVD_ROM ? 0x01 : 0;
		return (n + 4);
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
 * information) and 2 (full TOC).  The format is in byte 2, or, from
 * older host software (Linux sr's session check), in byte 9 bits 7-6.
 */
static int
mmc_read_toc(struct scsi_cmd *cmd)
{
	struct lun	*lun = cmd->lun;
	uint8_t		 b[64];
	uint16_t	 alloc = get_be16(&cmd->cdb[7]);
	uint8_t		 track = cmd->cdb[6];
	int		 msf = (cmd->cdb[1] & 0x02) != 0;
	int		 fmt = cmd->cdb[2] & 0x0f;
	uint32_t	 n = 4, i;
	static const uint8_t	 pts[] = { 0xa0, 0xa1, 0xa2, 0x01 };

	if (fmt == 0)
		fmt = cmd->cdb[9] >> 6;
	if (mmc_ready(cmd) == -1)
		return (SCSI_DONE);
	memset(b, 0, sizeof(b));
	switch (fmt) {
	case 0:
		if (track > 1 && track != 0xaa) {
			scsi_invalid_cdb(cmd, 6, -1);
			return (SCSI_DONE);
		}
		b[2] = 1;			/* first track */
		b[3] = 1;			/* last track */
		if (track <= 1) {
			b[n + 1] = 0x14;	/* ADR 1, data track */
			b[n + 2] = 1;
			put_addr(&b[n + 4], 0, msf);
			n += 8;
		}
		b[n + 1] = 0x14;
		b[n + 2] = 0xaa;		/* lead-out */
		put_addr(&b[n + 4], lun->nblocks, msf);
		n += 8;
		break;
	case 1:
		b[2] = 1;			/* first complete session */
		b[3] = 1;			/* last complete session */
		b[n + 1] = 0x14;
		b[n + 2] = 1;			/* first track, last session */
		put_addr(&b[n + 4], 0, msf);
		n += 8;
		break;
	case 2:
		b[2] = 1;
		b[3] = 1;
		for (i = 0; i < sizeof(pts); i++) {
			b[n] = 1;		/* session */
			b[n + 1] = 0x14;
			b[n + 3] = pts[i];	/* POINT */
			switch (pts[i]) {
			case 0xa0:		/* first track, disc type */
				b[n + 8] = 1;
				break;
			case 0xa1:		/* last track */
				b[n + 8] = 1;
				break;
			case 0xa2:		/* lead-out */
				put_msf(&b[n + 7], lun->nblocks);
				break;
			default:		/* track 1 */
				put_msf(&b[n + 7], 0);
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
	uint8_t		b[34];
	uint16_t	alloc = get_be16(&cmd->cdb[7]);

	if (cmd->cdb[1] & 0x07) {		/* track resources... */
		scsi_invalid_cdb(cmd, 1, 2);
		return (SCSI_DONE);
	}
	if (mmc_ready(cmd) == -1)
		return (SCSI_DONE);
	memset(b, 0, sizeof(b));
	put_be16(&b[0], sizeof(b) - 2);
	b[2] = 0x0c | 0x02;		/* last session complete, finalised */
	b[3] = 1;			/* first track */
	b[4] = 1;			/* sessions */
	b[5] = 1;			/* first track of the last session */
	b[6] = 1;			/* last track of the last session */
	b[7] = 0x20;			/* URU */
	put_be32(&b[16], 0xffffffff);	/* no next session */
	put_be32(&b[20], 0xffffffff);
	scsi_data_in(cmd, b, sizeof(b), alloc);
	return (SCSI_DONE);
}

/* READ TRACK INFORMATION (MMC-6 6.27): the one data track. */
static int
mmc_read_track_info(struct scsi_cmd *cmd)
{
	struct lun	*lun = cmd->lun;
	uint8_t		 b[48];
	uint16_t	 alloc = get_be16(&cmd->cdb[7]);
	uint32_t	 v = get_be32(&cmd->cdb[2]);
	int		 type = cmd->cdb[1] & 0x03;

	if (mmc_ready(cmd) == -1)
		return (SCSI_DONE);
	switch (type) {
	case 0:				/* the track holding LBA v */
		if (v >= lun->nblocks) {
			scsi_invalid_cdb(cmd, 2, -1);
			return (SCSI_DONE);
		}
		break;
	case 1:				/* track number */
	case 2:				/* first track of session number */
		if (v != 1) {
			scsi_invalid_cdb(cmd, 2, -1);
			return (SCSI_DONE);
		}
		break;
	default:
		scsi_invalid_cdb(cmd, 1, 1);
		return (SCSI_DONE);
	}
	memset(b, 0, sizeof(b));
	put_be16(&b[0], sizeof(b) - 2);
	b[2] = 1;			/* track */
	b[3] = 1;			/* session */
	b[5] = 0x04;			/* data, uninterrupted */
	b[6] = 0x01;			/* data mode 1 */
	b[7] = 0x02;			/* LRA valid, no NWA */
	put_be32(&b[8], 0);		/* start */
	put_be32(&b[20], DVD_ECC_BLOCKS);
	put_be32(&b[24], lun->nblocks);	/* size */
	put_be32(&b[28], lun->nblocks - 1);	/* last recorded */
	scsi_data_in(cmd, b, sizeof(b), alloc);
	return (SCSI_DONE);
}

/* READ DVD STRUCTURE (MMC-6 6.29) of a single-layer DVD-ROM. */
static int
mmc_read_dvd_structure(struct scsi_cmd *cmd)
{
	struct lun	*lun = cmd->lun;
	uint8_t		*b;
	uint16_t	 alloc = get_be16(&cmd->cdb[8]);
	uint8_t		 fmt = cmd->cdb[7], layer = cmd->cdb[6];
	uint32_t	 n;
	static const uint8_t	 list[] = { 0x00, 0x01, 0x04, 0xff };
	size_t		 i;

	if (cmd->cdb[1] & 0x0f) {		/* not a DVD: BD... */
		scsi_invalid_cdb(cmd, 1, 3);
		return (SCSI_DONE);
	}
	if (fmt != 0xff && mmc_ready(cmd) == -1)
		return (SCSI_DONE);
	if (fmt < 0xc0 && fmt != 0xff && layer != 0) {
		scsi_invalid_cdb(cmd, 6, -1);
		return (SCSI_DONE);
	}
	if ((b = calloc(1, 4 + 2048)) == NULL) {
		scsi_check(cmd, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
		return (SCSI_DONE);
	}
	switch (fmt) {
	case 0x00:				/* physical format */
		b[4] = 0x01;			/* DVD-ROM, part version 1 */
		b[5] = 0x0f;			/* 120 mm, rate unspecified */
		b[6] = 0x01;			/* one layer, embossed */
		b[7] = 0x00;			/* densities */
		put_be32(&b[8], DVD_FIRST_PSN);
		put_be32(&b[12], DVD_FIRST_PSN + lun->nblocks - 1);
		n = 4 + 2048;
		break;
	case 0x01:				/* copyright: none */
		n = 8;
		break;
	case 0x04:				/* manufacturing: empty */
		n = 4 + 2048;
		break;
	case 0xff:				/* the structures we have */
		n = 4;
		for (i = 0; i < sizeof(list); i++) {
			b[n] = list[i];
			b[n + 1] = 0x40;	/* RDS: readable */
			put_be16(&b[n + 2], list[i] == 0x01 ? 4 :
			    list[i] == 0xff ? 4 * sizeof(list) : 2048);
			n += 4;
		}
		break;
	default:
		free(b);
		scsi_invalid_cdb(cmd, 7, -1);
		return (SCSI_DONE);
	}
	put_be16(&b[0], n - 2);
	scsi_data_in(cmd, b, n, alloc);
	free(b);
	return (SCSI_DONE);
}

/* READ FORMAT CAPACITIES (MMC-6 6.24) */
static int
mmc_read_format_capacities(struct scsi_cmd *cmd)
{
	struct lun	*lun = cmd->lun;
	uint8_t		 b[12];
	uint16_t	 alloc = get_be16(&cmd->cdb[7]);

	memset(b, 0, sizeof(b));
	b[3] = 8;
	if (lun->ejected) {
		put_be32(&b[4], 0xffffffff);
		b[8] = 0x03;			/* no medium */
	} else {
		put_be32(&b[4], lun->nblocks);
		b[8] = 0x02;			/* formatted */
	}
	put_be24(&b[9], DVD_BLOCK);
	scsi_data_in(cmd, b, sizeof(b), alloc);
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
		if ((dt & 0x03) != 0) {		/* exceptions: none */
			b[4] = dt & 0x04 ? 0x02 : 0;
			break;
		}
		if (dt & 0x04) {
			b[4] = 0x02;		/* write: nothing */
			break;
		}
		if (max == 0)
			break;
		put_be32(&b[n], 0);
		put_be32(&b[n + 4], o->read_speed);
		put_be32(&b[n + 8], lun->nblocks - 1);
		put_be32(&b[n + 12], o->read_speed);
		n += 16;
		break;
	case 0x03:
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
		p[3] = 0x00;			/* no writing */
		p[4] = 0x40 | 0x10;		/* multi-session, mode 2 form 1 */
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
