/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * tgt-lun children: opening a LUN's backing store or medium, its state
 * files, its start-up (descriptors and rings handed over), the dispatch of
 * the messages it sends the master, and the EXTENDED COPY sources it is
 * granted on demand.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/fs.h>
#include <linux/major.h>
#include <netinet/in.h>
#include <scsi/sg.h>

#include <dirent.h>
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

static void	 lun_start(struct svc *);

/* Linux's (scsi/sg.h of the kernel), newer than glibc's header */
#ifndef SG_SCSI_RESET_NO_ESCALATE
#define SG_SCSI_RESET_NO_ESCALATE	0x100
#endif

/*
 * An optical drive's disc: read-write when the file allows it (a DVD+R
 * or DVD+RW is written; the drive never writes a plain image, a
 * DVD-ROM), else read-only, as with read-only set.
 */
int
optical_open(const char *path, int readonly, int nofollow)
{
	int	fd, fl = O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0);

	if (!readonly) {
		if ((fd = open(path, O_RDWR | fl)) != -1 || (errno != EROFS &&
		    errno != EACCES && errno != EPERM && errno != ETXTBSY))
			return (fd);
	}
	return (open(path, O_RDONLY | fl));
}

/*
 * The sg node of a passthrough device: the path itself for /dev/sgN
 * (character major 21), or the sg node sysfs names for a bsg one (its
 * SG_IO ioctl is synchronous only, sg has the asynchronous read and
 * write tgt-lun uses).  0, or -1 with the reason in err.
 */
static int
passthrough_sg_path(const struct conf_lun *cl, char *sg, size_t sglen,
    char *err, size_t errlen)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;
	char		 dir[128];

	if (stat(cl->path, &st) == -1) {
		errappend(err, errlen, "%s:%d: cannot open %s: %s", cl->file,
		    cl->lineno, cl->path, strerror(errno));
		return (-1);
	}
	if (!S_ISCHR(st.st_mode)) {
		errappend(err, errlen, "%s:%d: passthrough %s: not a "
		    "character device", cl->file, cl->lineno, cl->path);
		return (-1);
	}
	if (major(st.st_rdev) == SCSI_GENERIC_MAJOR) {
		strlcpy(sg, cl->path, sglen);
		return (0);
	}
	snprintf(dir, sizeof(dir), "/sys/dev/char/%u:%u/device/scsi_generic",
	    major(st.st_rdev), minor(st.st_rdev));
	if (strncmp(cl->path, "/dev/bsg/", 9) != 0 ||
	    (d = opendir(dir)) == NULL) {
		errappend(err, errlen, "%s:%d: passthrough %s: not an sg or "
		    "bsg device of a SCSI device", cl->file, cl->lineno,
		    cl->path);
		return (-1);
	}
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "sg", 2) == 0)
			break;
	if (de == NULL || (size_t)snprintf(sg, sglen, "/dev/%s",
	    de->d_name) >= sglen) {
		errappend(err, errlen, "%s:%d: passthrough %s: no sg device "
		    "(load the sg module)", cl->file, cl->lineno, cl->path);
		closedir(d);
		return (-1);
	}
	closedir(d);
	return (0);
}

/*
 * A passthrough device: check that its sg node is one (version 3
 * interface) and keep it open for the device resets tgt-lun asks for.
 * tgt-lun opens it again itself (sandbox_drop_sg() says why).
 */
static int
passthrough_open(const struct conf_lun *cl, char *sg, size_t sglen,
    char *err, size_t errlen)
{
	struct stat	st;
	int		fd, v;

	if (passthrough_sg_path(cl, sg, sglen, err, errlen) == -1)
		return (-1);
	if ((fd = open(sg, O_RDWR | O_NONBLOCK | O_CLOEXEC)) == -1) {
		errappend(err, errlen, "%s:%d: cannot open %s: %s", cl->file,
		    cl->lineno, sg, strerror(errno));
		return (-1);
	}
	if (ioctl(fd, SG_GET_VERSION_NUM, &v) == -1 || v < 30000) {
		errappend(err, errlen, "%s:%d: passthrough %s: not an sg "
		    "device with the version 3 interface", cl->file,
		    cl->lineno, sg);
		close(fd);
		return (-1);
	}
	/* tgt-lun opens it as the unprivileged user in the node's group */
	if (fstat(fd, &st) == -1 || (st.st_mode & 0060) != 0060 ||
	    st.st_gid == 0) {
		errappend(err, errlen, "%s:%d: passthrough %s: needs a group "
		    "other than root that may read and write it (udev gives "
		    "sg nodes group disk, tape or cdrom, mode 0660)",
		    cl->file, cl->lineno, sg);
		close(fd);
		return (-1);
	}
	return (fd);
}

/*
 * Open a LUN's backing store; with "direct yes", O_DIRECT, after
 * checking that its block size is a multiple of the alignment the
 * store asks of direct I/O.
 */
static int
lun_open_store(const struct conf_lun *cl, char *err, size_t errlen)
{
	struct statx	 stx;
	struct stat	 st;
	unsigned int	 align = 0, ssz;
	int		 fd, fl;

	/*
	 * A tape drive's cartridge in the media directory is opened
	 * read-write whatever the drive's read-only setting (the
	 * cartridge keeps its load count and MAM), never through a link.
	 */
	if (cl->type == LUN_TYPE_OPTICAL) {
		if ((fd = optical_open(cl->path, cl->flags & LUN_F_READONLY,
		    0)) == -1) {
			errappend(err, errlen, "%s:%d: cannot open %s: %s",
			    cl->file, cl->lineno, cl->path, strerror(errno));
			return (-1);
		}
		return (fd);
	}
	if (cl->type == LUN_TYPE_TAPE)
		fl = O_RDWR | O_NOFOLLOW;
	else
		fl = (cl->flags & LUN_F_READONLY) ? O_RDONLY : O_RDWR;
	fl |= O_CLOEXEC;
	if (cl->type == LUN_TYPE_DISK && (cl->flags & LUN_F_DIRECT))
		fl |= O_DIRECT;
	if ((fd = open(cl->path, fl)) == -1) {
		errappend(err, errlen, "%s:%d: cannot open %s%s: %s",
		    cl->file, cl->lineno, cl->path, (errno == EINVAL &&
		    (fl & O_DIRECT)) ? " with O_DIRECT (direct yes)" : "",
		    strerror(errno));
		return (-1);
	}
	errno = 0;
	if (fstat(fd, &st) == -1 || (!S_ISREG(st.st_mode) &&
	    !S_ISBLK(st.st_mode))) {
		errappend(err, errlen, "%s:%d: cannot open %s: %s", cl->file,
		    cl->lineno, cl->path, errno != 0 ? strerror(errno) :
		    "not a regular file or block device");
		close(fd);
		return (-1);
	}
	if (!(fl & O_DIRECT))
		return (fd);
	if (S_ISBLK(st.st_mode) && ioctl(fd, BLKSSZGET, &ssz) == 0)
		align = ssz;
	else if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
	    (stx.stx_mask & STATX_DIOALIGN))
		align = stx.stx_dio_offset_align;
	if (align == 0)
		align = 512;	/* the kernel cannot tell: a sector */
	if (cl->block_size % align != 0) {
		errappend(err, errlen, "%s:%d: direct yes: block-size %u of "
		    "LUN %llu is not a multiple of the O_DIRECT alignment of "
		    "%s (%u bytes)", cl->file, cl->lineno, cl->block_size,
		    (unsigned long long)cl->lun, cl->path, align);
		close(fd);
		return (-1);
	}
	return (fd);
}

struct mlun *
lun_new(struct master *m, struct mtarget *mt, const struct conf_lun *cl,
    char *err, size_t errlen)
{
	struct mlun	*ml;
	char		 inst[MASTER_INSTANCE_MAX], sg[TGT_PATH_MAX];
	const char	*base;
	int		 fd;

	/*
	 * Nothing to open for backend null, an empty tape drive or a
	 * changer.
	 */
	fd = -1;
	if (cl->type == LUN_TYPE_PASSTHROUGH) {
		if ((fd = passthrough_open(cl, sg, sizeof(sg), err,
		    errlen)) == -1)
			return (NULL);
	} else if ((cl->type == LUN_TYPE_DISK ?
	    cl->backend != LUN_BACKEND_NULL &&
	    cl->backend != LUN_BACKEND_RBD &&
	    cl->backend != LUN_BACKEND_GLFS : cl->path[0] != '\0') &&
	    (fd = lun_open_store(cl, err, errlen)) == -1)
		return (NULL);
	if ((ml = calloc(1, sizeof(*ml))) == NULL) {
		errappend(err, errlen, "out of memory");
		if (fd != -1)
			close(fd);
		return (NULL);
	}
	/* rbd: the cluster's address and the key, read now */
	if (cl->type == LUN_TYPE_DISK && cl->backend == LUN_BACKEND_RBD &&
	    ((ml->rbd = malloc(sizeof(*ml->rbd))) == NULL ||
	    ceph_lun_settings(cl, ml->rbd, err, errlen) == -1)) {
		if (ml->rbd == NULL)
			errappend(err, errlen, "out of memory");
		free(ml->rbd);
		free(ml);
		return (NULL);
	}
	ml->conf = *cl;
	ml->fd = fd;
	ml->target = mt;
	if (cl->type == LUN_TYPE_TAPE) {
		strlcpy(ml->cartridge, cl->cartridge, sizeof(ml->cartridge));
		strlcpy(ml->medium, cl->path, sizeof(ml->medium));
	}
	if (cl->type == LUN_TYPE_PASSTHROUGH)
		strlcpy(ml->medium, sg, sizeof(ml->medium));
	if (cl->type == LUN_TYPE_OPTICAL && fd != -1) {
		/* the disc's name: in the media directory, or the file's */
		base = strrchr(cl->path, '/');
		strlcpy(ml->cartridge, cl->cartridge[0] != '\0' ?
		    cl->cartridge : base != NULL ? base + 1 : cl->path,
		    sizeof(ml->cartridge));
		strlcpy(ml->medium, cl->path, sizeof(ml->medium));
	}
	ml->block_size = cl->block_size;
	snprintf(inst, sizeof(inst), "%s/%llu", mt->name,
	    (unsigned long long)cl->lun);
	svc_init(&ml->svc, m, ml, ROLE_LUN, inst, lun_start);
	return (ml);
}

/*
 * A LUN's state file, opened for its tgt-lun: "<state directory>/
 * <target>-<lun>.<suffix>", the target name with every byte but
 * [A-Za-z0-9.-] written %XX ("pr": persistent reservations with APTPL,
 * "smc": a changer's inventory).  No directory, no file: the LUN runs
 * without (a note says so).  -1 or the fd.
 */
int
lun_state_file(struct master *m, struct mlun *ml, const char *suffix)
{
	char		 path[TGT_PATH_MAX], *p;
	const char	*t;
	size_t		 n;
	int		 fd;

	n = snprintf(path, sizeof(path), "%s/", m->conf->state_dir);
	for (t = ml->target->name; *t != '\0' && n + 4 < sizeof(path); t++) {
		p = path + n;
		if ((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') ||
		    (*t >= '0' && *t <= '9') || *t == '.' || *t == '-') {
			*p = *t;
			n++;
		} else
			n += snprintf(p, 4, "%%%02X", (unsigned char)*t);
	}
	if (*t != '\0' || (size_t)snprintf(path + n, sizeof(path) - n,
	    "-%llu.%s", (unsigned long long)ml->conf.lun, suffix) >=
	    sizeof(path) - n) {
		log_warnx("%s: state file name too long", ml->svc.instance);
		return (-1);
	}
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) != -1)
		return (fd);
	if (errno == ENOENT)		/* no state directory */
		log_info("%s: no %s, %s will not survive a restart",
		    ml->svc.instance, m->conf->state_dir,
		    strcmp(suffix, "pr") == 0 ? "persistent reservations" :
		    "the inventory");
	else
		log_warn("%s: %s", ml->svc.instance, path);
	return (-1);
}

static void
lun_start(struct svc *s)
{
	struct mlun		*ml = s->owner;
	struct master		*m = s->m;
	struct mportal		*mp;
	struct msg_lun_config	 lc;
	struct msg_lun_state	 st;
	int			 fd;

	if (ml->draining)
		return;		/* died while draining: removed soon */
	ml->ready = 0;
	ml->failed = 0;
	idset_clear(&ml->rings);
	/*
	 * An empty tape drive gets no descriptor, nor does a passthrough
	 * LUN (it opens its device itself, tgt-lun -S).
	 */
	fd = -1;
	if (ml->fd != -1 && ml->conf.type != LUN_TYPE_PASSTHROUGH &&
	    (fd = dupfd(ml->fd)) == -1) {
		log_warn("%s: dup", s->instance);
		return;
	}
	if (proc_spawn(s) == -1) {
		if (fd != -1)
			close(fd);
		return;
	}
	/* glfs: tgt-lun reads this first, before its sandbox */
	if (ml->conf.backend == LUN_BACKEND_GLFS)
		msgchan_send(&s->proc->chan, MSG_LUN_GLFS, ml->lun_id, NULL, 0,
		    &ml->conf.glfs, sizeof(ml->conf.glfs));
	memset(&lc, 0, sizeof(lc));
	lc.lun_id = ml->lun_id;
	lc.type = ml->conf.type;
	lc.backend = ml->conf.backend;
	lc.flags = ml->conf.flags;
	lc.block_size = ml->conf.block_size;
	lc.lun = ml->conf.lun;
	lc.size = ml->conf.size;
	strlcpy(lc.target, ml->target->name, sizeof(lc.target));
	strlcpy(lc.path, ml->conf.type == LUN_TYPE_TAPE ||
	    ml->conf.type == LUN_TYPE_OPTICAL ||
	    ml->conf.type == LUN_TYPE_PASSTHROUGH ? ml->medium :
	    ml->conf.path, sizeof(lc.path));
	if (ml->conf.backend == LUN_BACKEND_GLFS) {
		strlcpy(lc.path, ml->conf.glfs.volume, sizeof(lc.path));
		strlcat(lc.path, ":", sizeof(lc.path));
		strlcat(lc.path, ml->conf.glfs.path, sizeof(lc.path));
	}
	strlcpy(lc.vendor, ml->conf.vendor, sizeof(lc.vendor));
	strlcpy(lc.product, ml->conf.product, sizeof(lc.product));
	strlcpy(lc.revision, ml->conf.revision, sizeof(lc.revision));
	strlcpy(lc.serial, ml->conf.serial, sizeof(lc.serial));
	conf_lun_naa(ml->target->name, ml->conf.lun, lc.naa);
	if (ml->rbd != NULL)
		msgchan_send(&s->proc->chan, MSG_LUN_RBD, lc.lun_id, NULL, 0,
		    ml->rbd, sizeof(*ml->rbd));
	msgchan_send(&s->proc->chan, MSG_LUN_CONFIG, lc.lun_id, &fd,
	    fd == -1 ? 0 : 1, &lc, sizeof(lc));
	if ((fd = lun_state_file(m, ml, "pr")) != -1)
		msgchan_send(&s->proc->chan, MSG_LUN_STATE, lc.lun_id, &fd, 1,
		    NULL, 0);
	if (ml->conf.type == LUN_TYPE_CHANGER)
		changer_start(m, ml);
	alua_send(m, ml);
	if (ml->offline) {
		memset(&st, 0, sizeof(st));
		st.offline = 1;
		msgchan_send(&s->proc->chan, MSG_LUN_OFFLINE, lc.lun_id, NULL,
		    0, &st, sizeof(st));
	}

	TAILQ_FOREACH(mp, &m->portals, entry)
		if (svc_running(&mp->svc))
			ring_pair(m, mp, ml);
}

/*
 * EXTENDED COPY: a LUN's copy names another LUN by its NAA designator.
 * If a LUN of the same target has it, hand over a read-only descriptor
 * of its backing store (reopened from the master's own, so it is the
 * same file); else answer without one.  -1 if malformed.
 */
static int
lun_xcopy_req(struct proc *p, struct mlun *ml, struct msg *msg)
{
	struct msg_xcopy_req	 r;
	struct msg_xcopy_peer	 xp;
	struct mlun		*o;
	struct stat		 st;
	uint8_t			 naa[16];
	char			 path[64];
	int			 fd = -1;

	if (MSG_GET(msg, &r) == -1)
		return (-1);
	memset(&xp, 0, sizeof(xp));
	memcpy(xp.naa, r.naa, sizeof(xp.naa));
	/* disks copy from disks: a cartridge is no source */
	TAILQ_FOREACH(o, &ml->target->luns, entry) {
		if (o == ml || o->fd == -1 || o->conf.type != LUN_TYPE_DISK ||
		    ml->conf.type != LUN_TYPE_DISK)
			continue;
		conf_lun_naa(ml->target->name, o->conf.lun, naa);
		if (memcmp(naa, r.naa, sizeof(naa)) == 0)
			break;
	}
	if (o != NULL) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", o->fd);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 &&
		    (fd = open(o->conf.path, O_RDONLY | O_CLOEXEC)) == -1)
			log_warn("%s: extended copy from %s", ml->svc.instance,
			    o->conf.path);
	}
	if (fd != -1) {
		if (o->ready) {
			xp.block_size = o->block_size;
			xp.size = o->size;
		} else {
			xp.block_size = o->conf.block_size ?
			    o->conf.block_size : 512;
			xp.size = o->conf.size;
			if (xp.size == 0 && fstat(fd, &st) == 0 &&
			    S_ISREG(st.st_mode))
				xp.size = st.st_size;
		}
		if (xp.size < xp.block_size) {
			close(fd);
			fd = -1;
		}
	}
	if (fd == -1) {
		xp.block_size = 0;
		xp.size = 0;
		log_debug("%s: extended copy names no LUN of its target",
		    ml->svc.instance);
		msgchan_send(&p->chan, MSG_LUN_XCOPY_PEER, msg->hdr.peerid,
		    NULL, 0, &xp, sizeof(xp));
		return (0);
	}
	log_debug("%s: extended copy from %s", ml->svc.instance,
	    o->svc.instance);
	msgchan_send(&p->chan, MSG_LUN_XCOPY_PEER, msg->hdr.peerid, &fd, 1,
	    &xp, sizeof(xp));
	return (0);
}

/*
 * A passthrough LUN's LUN RESET: a device reset (SG_SCSI_RESET, which
 * needs CAP_SYS_ADMIN; tgt-lun has not got it).  It does not escalate
 * to a bus or host reset: other devices are not this LUN's.
 */
static void
passthrough_reset(struct mlun *ml)
{
	int	how = SG_SCSI_RESET_DEVICE | SG_SCSI_RESET_NO_ESCALATE;

	if (ml->fd == -1)
		return;
	if (ioctl(ml->fd, SG_SCSI_RESET, &how) == -1)
		log_warn("%s: device reset of %s", ml->svc.instance,
		    ml->medium);
	else
		log_info("%s: device %s reset", ml->svc.instance, ml->medium);
}

void
lun_down_send(struct mportal *mp, struct mlun *ml)
{
	struct msg_ring_del	 d;

	if (!svc_running(&mp->svc))
		return;
	ring_del_msg(&d, mp, ml);
	if (ml->failed)
		d.flags |= RING_DEL_F_FAILED;
	msgchan_send(&mp->svc.proc->chan, MSG_PORTAL_LUN_DOWN, d.target_id,
	    NULL, 0, &d, sizeof(d));
}

/*
 * The LUN's process ended, or cannot serve: every portal that has a
 * ring with it answers its commands NOT READY and stops waiting for it
 * until a restart brings the next ring (proto.h, MSG_PORTAL_LUN_DOWN).
 */
void
lun_down(struct master *m, struct mlun *ml, int failed)
{
	struct mportal	*mp;

	ml->failed = failed;
	TAILQ_FOREACH(mp, &m->portals, entry)
		if (idset_has(&ml->rings, mp->portal_id))
			lun_down_send(mp, ml);
	if (failed)
		return;		/* it lives on, and so do its rings */
	ml->ready = 0;
	idset_clear(&ml->rings);
	if (ml->ev_ping != NULL)
		evtimer_del(ml->ev_ping);
}

/* No LUN_PONG in MASTER_PING_WAIT s: the process is hung. */
static void
lun_ping_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct mlun	*ml = arg;

	if (!svc_running(&ml->svc))
		return;
	log_warnx("%s[%s]: left a task management function unanswered and "
	    "did not answer a ping for %d s, killing it",
	    role_name(ROLE_LUN), ml->svc.instance, MASTER_PING_WAIT);
	proc_signal(ml->svc.proc, SIGKILL);
}

/*
 * A portal says the LUN left a task management function unanswered for
 * TGT_TMF_WAIT s.  Its word alone kills nothing: the process is
 * pinged, and killed if it does not answer either.
 */
int
lun_stuck(struct master *m, struct mportal *mp, struct msg *msg)
{
	struct msg_ring_del	 d;
	struct mlun		*ml;
	struct timeval		 tv = { MASTER_PING_WAIT, 0 };

	if (MSG_GET(msg, &d) == -1)
		return (-1);
	if ((ml = mlun_by_id(m, d.lun_id)) == NULL ||
	    ml->target->target_id != d.target_id ||
	    ml->conf.lun != d.lun || !svc_running(&ml->svc) ||
	    !idset_has(&ml->rings, mp->portal_id))
		return (0);	/* restarted or removed meanwhile */
	if (ml->ev_ping == NULL &&
	    (ml->ev_ping = evtimer_new(m->evb, lun_ping_cb, ml)) == NULL) {
		log_warn("%s: ping", ml->svc.instance);
		return (0);
	}
	if (evtimer_pending(ml->ev_ping, NULL))
		return (0);
	log_warnx("%s: %s[%s] left a task management function unanswered "
	    "for %d s, pinging it", mp->svc.instance, role_name(ROLE_LUN),
	    ml->svc.instance, TGT_TMF_WAIT);
	msgchan_send(&ml->svc.proc->chan, MSG_LUN_PING, ml->lun_id, NULL, 0,
	    NULL, 0);
	evtimer_add(ml->ev_ping, &tv);
	return (0);
}

void
lun_dispatch(struct msgchan *ch, struct msg *msg, void *arg)
{
	struct proc		*p = arg;
	struct mlun		*ml;
	struct msg_lun_ready		 r;
	struct msg_lun_medium_done	 md;
	struct msg_lun_move		 mv;
	struct msg_error		 e;

	if (p->svc == NULL) {
		msg_free(msg);
		return;
	}
	ml = p->svc->owner;
	switch (msg->hdr.type) {
	case MSG_LUN_READY:
		/* block size 0: a device without blocks (a tape drive) */
		if (MSG_GET(msg, &r) == -1 || r.lun_id != ml->lun_id ||
		    (r.block_size != 512 && r.block_size != 1024 &&
		    r.block_size != 2048 && r.block_size != 4096 &&
		    (r.block_size != 0 || ml->conf.type == LUN_TYPE_DISK))) {
			proc_bad(p, msg);
			break;
		}
		ml->ready = 1;
		ml->size = r.size;
		ml->block_size = r.block_size;
		log_info("%s[%s]: ready, %llu bytes, block size %u",
		    role_name(p->role), p->instance,
		    (unsigned long long)r.size, r.block_size);
		luns_added_ready(p->m, ml);
		break;
	case MSG_LUN_STATS_REPLY:
		if (control_lun_reply(p->m, ml, msg) == -1)
			proc_bad(p, msg);
		break;
	case MSG_LUN_PONG:
		if (msg->hdr.len != 0) {
			proc_bad(p, msg);
			break;
		}
		if (ml->ev_ping != NULL && evtimer_pending(ml->ev_ping,
		    NULL)) {
			log_info("%s[%s]: answers its ping: left running",
			    role_name(p->role), p->instance);
			evtimer_del(ml->ev_ping);
		}
		break;
	case MSG_LUN_ALUA_SET:
		if (alua_lun_set(p->m, ml, msg) == -1)
			proc_bad(p, msg);
		break;
	case MSG_LUN_XCOPY_REQ:
		if (lun_xcopy_req(p, ml, msg) == -1)
			proc_bad(p, msg);
		break;
	case MSG_LUN_MEDIUM_DONE:
		if (MSG_GET(msg, &md) == -1 || (ml->conf.type !=
		    LUN_TYPE_TAPE && ml->conf.type != LUN_TYPE_OPTICAL)) {
			proc_bad(p, msg);
			break;
		}
		md.text[sizeof(md.text) - 1] = '\0';
		md.barcode[sizeof(md.barcode) - 1] = '\0';
		drive_done(p->m, ml, &md);
		break;
	case MSG_LUN_MOVE:
		if (MSG_GET(msg, &mv) == -1 ||
		    ml->conf.type != LUN_TYPE_CHANGER ||
		    (mv.op != MOVE_TO_DRIVE && mv.op != MOVE_FROM_DRIVE)) {
			proc_bad(p, msg);
			break;
		}
		changer_move(p->m, ml, &mv);
		break;
	case MSG_LUN_INVENTORY:
		if (msg->hdr.len != sizeof(*ml->inv) ||
		    ml->conf.type != LUN_TYPE_CHANGER) {
			proc_bad(p, msg);
			break;
		}
		if (ml->inv == NULL &&
		    (ml->inv = malloc(sizeof(*ml->inv))) == NULL) {
			log_warn("inventory");
			break;
		}
		if (msg_get(msg, ml->inv, sizeof(*ml->inv)) == -1 ||
		    ml->inv->n > sizeof(ml->inv->e) / sizeof(ml->inv->e[0])) {
			free(ml->inv);
			ml->inv = NULL;
			proc_bad(p, msg);
		}
		break;
	case MSG_LUN_DEV_RESET:
		if (msg->hdr.len != 0 ||
		    ml->conf.type != LUN_TYPE_PASSTHROUGH) {
			proc_bad(p, msg);
			break;
		}
		passthrough_reset(ml);
		break;
	case MSG_LUN_MAILSLOT_DONE:
		if (MSG_GET(msg, &e) == -1 ||
		    ml->conf.type != LUN_TYPE_CHANGER) {
			proc_bad(p, msg);
			break;
		}
		e.text[sizeof(e.text) - 1] = '\0';
		control_mailslot_reply(p->m, ml, msg->hdr.peerid, e.text);
		break;
	case MSG_LUN_ERROR:
		if (MSG_GET(msg, &e) == -1) {
			proc_bad(p, msg);
			break;
		}
		e.text[sizeof(e.text) - 1] = '\0';
		log_warnx("%s[%s]: cannot serve: %s", role_name(p->role),
		    p->instance, e.text);
		if (!ml->ready && !ml->failed)
			lun_down(p->m, ml, 1);
		break;
	default:
		log_warnx("%s[%s]: unexpected message type %u ignored",
		    role_name(p->role), p->instance, msg->hdr.type);
		break;
	}
	msg_free(msg);
}

/* Any LUN by its master index, or NULL. */
struct mlun *
mlun_by_id(struct master *m, uint32_t lun_id)
{
	struct mtarget	*mt;
	struct mlun	*ml;

	TAILQ_FOREACH(mt, &m->targets, entry)
		TAILQ_FOREACH(ml, &mt->luns, entry)
			if (ml->lun_id == lun_id)
				return (ml);
	return (NULL);
}

int
master_lun_state(struct master *m, const char *target, uint64_t lun,
    int offline)
{
	struct mtarget		*mt;
	struct mlun		*ml;
	struct msg_lun_state	 st;

	if ((mt = target_find(m, target)) == NULL ||
	    (ml = lun_find(mt, lun)) == NULL)
		return (-1);
	if (ml->offline != offline)
		log_info("%s[%s]: %s by the administrator",
		    role_name(ROLE_LUN), ml->svc.instance,
		    offline ? "offline" : "online");
	ml->offline = offline;
	if (svc_running(&ml->svc)) {
		memset(&st, 0, sizeof(st));
		st.offline = offline;
		msgchan_send(&ml->svc.proc->chan, MSG_LUN_OFFLINE, ml->lun_id,
		    NULL, 0, &st, sizeof(st));
	}
	return (0);
}
