/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Media that move between LUNs: a changer's drives, the cartridges and
 * discs loaded into them (by a changer's MOVE MEDIUM or by tgtctl), and
 * the mail slot.  The master opens every medium and hands the drive's
 * LUN process exactly one descriptor.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cartridge.h"
#include "disc.h"
#include "log.h"
#include "master.h"
#include "ring.h"

static const char *
medium_word(const struct mlun *ml)
{
	return (ml->conf.type == LUN_TYPE_OPTICAL ? "disc" : "cartridge");
}

/* Drive i of a changer, a tape or optical LUN, or NULL. */
static struct mlun *
changer_drive(struct master *m, const struct mlun *ch, uint32_t i)
{
	struct mtarget	*mt;
	struct mlun	*ml;

	if (i >= ch->conf.changer.ndrives ||
	    (mt = target_find(m, ch->conf.changer.drive[i].target)) == NULL ||
	    (ml = lun_find(mt, ch->conf.changer.drive[i].lun)) == NULL ||
	    (ml->conf.type != LUN_TYPE_TAPE &&
	    ml->conf.type != LUN_TYPE_OPTICAL))
		return (NULL);
	return (ml);
}

/* Tell the changers that have this drive what it holds now. */
static void
changer_notify(struct master *m, const struct mlun *drive)
{
	struct msg_changer_drive	 cd;
	struct mtarget			*mt;
	struct mlun			*ml;
	uint32_t			 i;

	TAILQ_FOREACH(mt, &m->targets, entry)
		TAILQ_FOREACH(ml, &mt->luns, entry) {
			if (ml->conf.type != LUN_TYPE_CHANGER ||
			    !svc_running(&ml->svc))
				continue;
			for (i = 0; i < ml->conf.changer.ndrives; i++) {
				if (changer_drive(m, ml, i) != drive)
					continue;
				memset(&cd, 0, sizeof(cd));
				cd.drive = i;
				strlcpy(cd.barcode, drive->cartridge,
				    sizeof(cd.barcode));
				msgchan_send(&ml->svc.proc->chan,
				    MSG_LUN_CHANGER_DRIVE, ml->lun_id, NULL, 0,
				    &cd, sizeof(cd));
			}
		}
}

static void
drive_emptied(struct mlun *ml)
{
	log_info("%s[%s]: %s %s out of the drive", role_name(ROLE_LUN),
	    ml->svc.instance, medium_word(ml), ml->cartridge);
	if (ml->fd != -1)
		close(ml->fd);
	ml->fd = -1;
	ml->cartridge[0] = '\0';
	ml->medium[0] = '\0';
}

/*
 * A cartridge into a tape drive (barcode) or out of it (NULL).  Load:
 * the cartridge <media directory>/<barcode>, in no other drive, into an
 * empty drive; the master opens it and the drive gets a descriptor.
 * Unload: the drive gives its cartridge back (unless medium removal is
 * prevented) and the master closes it when the drive says so.  A drive
 * whose process is not running changes at once; it starts with what it
 * holds.  0 done, 1 the drive answers later (MEDIUM_DONE), -1: *key and
 * *ascq and err say why not.
 */
static int
drive_medium(struct master *m, struct mlun *ml, const char *barcode,
    uint8_t *key, uint16_t *ascq, char *err, size_t errlen)
{
	struct mtarget		*ot;
	struct mlun		*ol;
	struct msg_lun_medium	 lm;
	struct disc_state	 ds;
	struct stat		 st;
	char			 path[TGT_PATH_MAX];
	int			 fd, sfd;

	*key = 0x05;				/* ILLEGAL REQUEST */
	*ascq = 0x3b0d;				/* destination full */
	if (ml->req_kind != REQ_NONE) {
		snprintf(err, errlen, "the drive is busy");
		*key = 0x02;
		*ascq = 0x0401;			/* becoming ready */
		return (-1);
	}
	memset(&lm, 0, sizeof(lm));
	if (barcode == NULL) {
		if (ml->fd == -1) {
			snprintf(err, errlen, "the drive is empty");
			*ascq = 0x3b0e;		/* source empty */
			return (-1);
		}
		if (svc_running(&ml->svc) && msgchan_send(&ml->svc.proc->chan,
		    MSG_LUN_MEDIUM, ml->lun_id, NULL, 0, &lm, sizeof(lm)) == 0)
			return (1);
		drive_emptied(ml);
		changer_notify(m, ml);
		return (0);
	}
	if (cart_barcode_ok(barcode) == -1) {
		snprintf(err, errlen, "invalid barcode");
		return (-1);
	}
	if (ml->fd != -1) {
		snprintf(err, errlen, "the drive holds %s", ml->cartridge);
		return (-1);
	}
	/* a read-only disc image may be in several optical drives */
	TAILQ_FOREACH(ot, &m->targets, entry)
		TAILQ_FOREACH(ol, &ot->luns, entry)
			if (ml->conf.type == LUN_TYPE_TAPE &&
			    ol->conf.type == LUN_TYPE_TAPE && ol->fd != -1 &&
			    strcmp(ol->cartridge, barcode) == 0) {
				snprintf(err, errlen, "%s is in the drive %s",
				    barcode, ol->svc.instance);
				return (-1);
			}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", m->conf->media_dir,
	    barcode) >= sizeof(path)) {
		snprintf(err, errlen, "path too long");
		return (-1);
	}
	errno = 0;
	if ((fd = ml->conf.type == LUN_TYPE_OPTICAL ? optical_open(path,
	    ml->conf.flags & LUN_F_READONLY, 1) : open(path, O_RDWR |
	    O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: %s", path, errno != 0 ?
		    strerror(errno) : "not a regular file");
		if (fd != -1)
			close(fd);
		*key = 0x04;			/* HARDWARE ERROR */
		*ascq = 0x3b0e;
		return (-1);
	}
	/* a writable disc is written by one drive at a time */
	if (ml->conf.type == LUN_TYPE_OPTICAL && disc_load(fd, &ds) == 1 &&
	    (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR)
		TAILQ_FOREACH(ot, &m->targets, entry)
			TAILQ_FOREACH(ol, &ot->luns, entry)
				if (ol->conf.type == LUN_TYPE_OPTICAL &&
				    ol->fd != -1 &&
				    strcmp(ol->medium, path) == 0) {
					snprintf(err, errlen, "%s, a writable "
					    "disc, is in the drive %s",
					    barcode, ol->svc.instance);
					close(fd);
					return (-1);
				}
	ml->fd = fd;
	strlcpy(ml->cartridge, barcode, sizeof(ml->cartridge));
	strlcpy(ml->medium, path, sizeof(ml->medium));
	log_info("%s[%s]: %s %s into the drive", role_name(ROLE_LUN),
	    ml->svc.instance, medium_word(ml), barcode);
	if (!svc_running(&ml->svc)) {
		changer_notify(m, ml);
		return (0);
	}
	strlcpy(lm.barcode, barcode, sizeof(lm.barcode));
	if ((sfd = dupfd(fd)) == -1 || msgchan_send(&ml->svc.proc->chan,
	    MSG_LUN_MEDIUM, ml->lun_id, &sfd, 1, &lm, sizeof(lm)) == -1) {
		/* it starts with it, if it was restarting */
		changer_notify(m, ml);
		return (0);
	}
	return (1);
}

/* tgtctl drive load|unload: 0 done, 1 the drive answers later, -1. */
int
master_drive(struct master *m, const struct ctl_drive *d, uint32_t ctl_id,
    struct mlun **mlp, char *err, size_t errlen)
{
	struct mtarget	*mt;
	struct mlun	*ml;
	uint16_t	 ascq;
	uint8_t		 key;
	int		 r;

	if ((mt = target_find(m, d->target)) == NULL ||
	    (ml = lun_find(mt, d->lun)) == NULL) {
		snprintf(err, errlen, "no such LUN");
		return (-1);
	}
	if (ml->conf.type != LUN_TYPE_TAPE &&
	    ml->conf.type != LUN_TYPE_OPTICAL) {
		snprintf(err, errlen, "not a tape or optical drive");
		return (-1);
	}
	*mlp = ml;
	r = drive_medium(m, ml, d->op == DRIVE_OP_LOAD ? d->barcode : NULL,
	    &key, &ascq, err, errlen);
	if (r == 1) {
		ml->req_kind = REQ_CTL;
		ml->req_id = ctl_id;
		ml->req_load = d->op == DRIVE_OP_LOAD;
	}
	return (r);
}

/* A changer asks for a move into or out of one of its drives. */
void
changer_move(struct master *m, struct mlun *ch, const struct msg_lun_move *mv)
{
	struct msg_lun_move_done	 md;
	struct mlun			*drive;
	char				 bc[TGT_BARCODE_MAX];
	int				 r;

	memset(&md, 0, sizeof(md));
	md.id = mv->id;
	memcpy(bc, mv->barcode, sizeof(bc));
	bc[sizeof(bc) - 1] = '\0';
	if ((drive = changer_drive(m, ch, mv->drive)) == NULL) {
		md.key = 0x04;
		md.ascq = 0x4400;
		strlcpy(md.text, "no such drive", sizeof(md.text));
		goto answer;
	}
	if (mv->op == MOVE_FROM_DRIVE && strcmp(drive->cartridge, bc) != 0) {
		/* the changer's view is not what the drive holds */
		md.key = 0x05;
		md.ascq = 0x3b0e;
		snprintf(md.text, sizeof(md.text), "the drive holds \"%s\"",
		    drive->cartridge);
		goto answer;
	}
	r = drive_medium(m, drive, mv->op == MOVE_TO_DRIVE ? bc : NULL,
	    &md.key, &md.ascq, md.text, sizeof(md.text));
	if (r == 1) {
		drive->req_kind = REQ_CHANGER;
		drive->req_id = mv->id;
		drive->req_lun = ch->lun_id;
		drive->req_load = mv->op == MOVE_TO_DRIVE;
		return;
	}
	md.ok = r == 0;
 answer:
	msgchan_send(&ch->svc.proc->chan, MSG_LUN_MOVE_DONE, ch->lun_id, NULL,
	    0, &md, sizeof(md));
}

/* A drive did what it was asked: tell who asked. */
void
drive_done(struct master *m, struct mlun *ml,
    const struct msg_lun_medium_done *d)
{
	struct msg_lun_move_done	 md;
	struct mlun			*ch;
	uint32_t			 kind = ml->req_kind;

	ml->req_kind = REQ_NONE;
	if (!d->loaded && ml->fd != -1)
		drive_emptied(ml);
	switch (kind) {
	case REQ_CTL:
		control_drive_reply(m, ml, ml->req_id, d);
		break;
	case REQ_CHANGER:
		if ((ch = mlun_by_id(m, ml->req_lun)) == NULL ||
		    !svc_running(&ch->svc))
			break;
		memset(&md, 0, sizeof(md));
		md.id = ml->req_id;
		md.ok = d->ok;
		if (!d->ok) {
			/* refused by the drive: removal prevented, or bad */
			md.key = 0x05;
			md.ascq = d->loaded ? 0x5302 : 0x3000;
			memcpy(md.text, d->text, sizeof(md.text));
			md.text[sizeof(md.text) - 1] = '\0';
		}
		msgchan_send(&ch->svc.proc->chan, MSG_LUN_MOVE_DONE,
		    ch->lun_id, NULL, 0, &md, sizeof(md));
		return;
	}
	changer_notify(m, ml);
}

/* A changer's elements and inventory file, after its LUN_CONFIG. */
void
changer_start(struct master *m, struct mlun *ml)
{
	const struct conf_changer	*cc = &ml->conf.changer;
	struct msg_changer		*mc;
	struct mlun			*d;
	uint32_t			 i;
	int				 fd;

	if ((mc = calloc(1, sizeof(*mc))) == NULL) {
		log_warn("%s: changer", ml->svc.instance);
		return;
	}
	mc->nslots = cc->nslots;
	mc->nmail = cc->nmail;
	mc->ndrives = cc->ndrives;
	for (i = 0; i < cc->ndrives; i++) {
		if ((d = changer_drive(m, ml, i)) == NULL)
			continue;
		strlcpy(mc->drive[i].serial, d->conf.serial,
		    sizeof(mc->drive[i].serial));
		strlcpy(mc->drive[i].barcode, d->cartridge,
		    sizeof(mc->drive[i].barcode));
	}
	mc->nplaced = cc->nplaced;
	for (i = 0; i < cc->nplaced; i++) {
		mc->placed[i].kind = cc->placed[i].kind;
		mc->placed[i].index = cc->placed[i].index;
		strlcpy(mc->placed[i].barcode, cc->placed[i].barcode,
		    sizeof(mc->placed[i].barcode));
	}
	fd = lun_state_file(m, ml, "smc");
	msgchan_send(&ml->svc.proc->chan, MSG_LUN_CHANGER, ml->lun_id, &fd,
	    fd != -1 ? 1 : 0, mc, sizeof(*mc));
	free(mc);
}

/*
 * tgtctl library insert|eject: a cartridge of the media directory, in
 * no drive, into a mail slot of a changer, or out of one.  1: the
 * changer answers later, -1 and why not.
 */
int
master_mailslot(struct master *m, const struct ctl_mailslot *cm,
    uint32_t ctl_id, struct mlun **mlp, char *err, size_t errlen)
{
	struct mtarget	*mt;
	struct mlun	*ml, *ol;
	struct stat	 st;
	char		 path[TGT_PATH_MAX];

	if ((mt = target_find(m, cm->target)) == NULL ||
	    (ml = lun_find(mt, cm->lun)) == NULL) {
		snprintf(err, errlen, "no such LUN");
		return (-1);
	}
	if (ml->conf.type != LUN_TYPE_CHANGER) {
		snprintf(err, errlen, "not a media changer");
		return (-1);
	}
	if (cart_barcode_ok(cm->barcode) == -1) {
		snprintf(err, errlen, "invalid barcode");
		return (-1);
	}
	if (cm->op == MAILSLOT_INSERT) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s",
		    m->conf->media_dir, cm->barcode) >= sizeof(path) ||
		    lstat(path, &st) == -1 || !S_ISREG(st.st_mode)) {
			snprintf(err, errlen, "no cartridge %s in %s",
			    cm->barcode, m->conf->media_dir);
			return (-1);
		}
		TAILQ_FOREACH(mt, &m->targets, entry)
			TAILQ_FOREACH(ol, &mt->luns, entry)
				if ((ol->conf.type == LUN_TYPE_TAPE ||
				    ol->conf.type == LUN_TYPE_OPTICAL) &&
				    ol->fd != -1 &&
				    strcmp(ol->cartridge, cm->barcode) == 0) {
					snprintf(err, errlen, "%s is in the "
					    "drive %s", cm->barcode,
					    ol->svc.instance);
					return (-1);
				}
	}
	if (!svc_running(&ml->svc) || msgchan_send(&ml->svc.proc->chan,
	    MSG_LUN_MAILSLOT, ctl_id, NULL, 0, cm, sizeof(*cm)) == -1) {
		snprintf(err, errlen, "the changer is not running");
		return (-1);
	}
	*mlp = ml;
	return (1);
}
