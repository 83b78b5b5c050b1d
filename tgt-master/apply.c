/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * The running state: portals (one per listener), targets and their LUNs,
 * the rings between every running portal and LUN, and the messages that
 * set children up.  A configuration is applied by difference: listeners
 * are matched by address, targets by name, LUNs by number and settings;
 * what matches keeps running untouched.
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

static void	 portal_start(struct svc *);
static void	 portal_config_send(struct master *, struct mportal *);
static void	 lun_start(struct svc *);
static void	 changer_start(struct master *, struct mlun *);
static void	 drive_done(struct master *, struct mlun *,
		    const struct msg_lun_medium_done *);
static void	 changer_move(struct master *, struct mlun *,
		    const struct msg_lun_move *);
static void	 ring_pair(struct master *, struct mportal *, struct mlun *);
static void	 lun_free(struct mlun *);
static const char *medium_word(const struct mlun *);
static void	 portal_free(struct mportal *);
static void	 target_free(struct mtarget *);

static void __attribute__((format(printf, 3, 4)))
errappend(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 len = strlen(err);

	if (len > 0 && len + 1 < errlen)
		err[len++] = '\n';
	if (len >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + len, errlen - len, fmt, ap);
	va_end(ap);
}

static int
dupfd(int fd)
{
	return (fcntl(fd, F_DUPFD_CLOEXEC, 0));
}

/* Bound, listening, non-blocking socket for a listener, or -1. */
static int
listen_socket(const struct conf_listen *cl, char *err, size_t errlen)
{
	int	 s, on = 1;

	if ((s = socket(cl->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		goto fail;
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		goto fail;
	if (cl->ss.ss_family == AF_INET6 && setsockopt(s, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) == -1)
		goto fail;
	if (bind(s, (const struct sockaddr *)&cl->ss, cl->sslen) == -1 ||
	    listen(s, 128) == -1)
		goto fail;
	return (s);
 fail:
	errappend(err, errlen, "%s:%d: cannot listen on %s: %s", cl->file,
	    cl->lineno, cl->name, strerror(errno));
	if (s != -1)
		close(s);
	return (-1);
}

static struct mportal *
portal_new(struct master *m, const struct conf_listen *cl, char *err,
    size_t errlen)
{
	struct mportal	*mp;
	char		 inst[MASTER_INSTANCE_MAX];
	int		 s = -1;

	/* iSER: the portal listens with RDMA CM itself (tgt-portal -R) */
	if (!cl->iser && (s = listen_socket(cl, err, errlen)) == -1)
		return (NULL);
	if ((mp = calloc(1, sizeof(*mp))) == NULL) {
		errappend(err, errlen, "out of memory");
		if (s != -1)
			close(s);
		return (NULL);
	}
	mp->listen = *cl;
	mp->sock = s;
	snprintf(inst, sizeof(inst), "%s%s", cl->name, cl->iser ? " iser" :
	    "");
	svc_init(&mp->svc, m, mp, ROLE_PORTAL, inst, portal_start);
	mp->svc.rdma = cl->iser;
	return (mp);
}

/*
 * An optical drive's disc: read-write when the file allows it (a DVD+R
 * or DVD+RW is written; the drive never writes a plain image, a
 * DVD-ROM), else read-only, as with read-only set.
 */
static int
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

static struct mlun *
lun_new(struct master *m, struct mtarget *mt, const struct conf_lun *cl,
    char *err, size_t errlen)
{
	struct mlun	*ml;
	char		 inst[MASTER_INSTANCE_MAX];
	const char	*base;
	int		 fd;

	/*
	 * Nothing to open for backend null, an empty tape drive or a
	 * changer.
	 */
	fd = -1;
	if ((cl->type == LUN_TYPE_DISK ? cl->backend != LUN_BACKEND_NULL :
	    cl->path[0] != '\0') &&
	    (fd = lun_open_store(cl, err, errlen)) == -1)
		return (NULL);
	if ((ml = calloc(1, sizeof(*ml))) == NULL) {
		errappend(err, errlen, "out of memory");
		if (fd != -1)
			close(fd);
		return (NULL);
	}
	ml->conf = *cl;
	ml->fd = fd;
	ml->target = mt;
	if (cl->type == LUN_TYPE_TAPE) {
		strlcpy(ml->cartridge, cl->cartridge, sizeof(ml->cartridge));
		strlcpy(ml->medium, cl->path, sizeof(ml->medium));
	}
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

static struct mtarget *
target_new(const struct conf_target *ct)
{
	struct mtarget	*mt;

	if ((mt = calloc(1, sizeof(*mt))) == NULL)
		return (NULL);
	strlcpy(mt->name, ct->name, sizeof(mt->name));
	strlcpy(mt->alias, ct->alias, sizeof(mt->alias));
	mt->flags = ct->flags;
	TAILQ_INIT(&mt->luns);
	TAILQ_INIT(&mt->drain_luns);
	return (mt);
}

static struct mportal *
portal_find(struct master *m, const struct conf_listen *cl)
{
	struct mportal	*mp;

	TAILQ_FOREACH(mp, &m->portals, entry)
		if (!mp->draining && conf_listen_equal(&mp->listen, cl))
			return (mp);
	return (NULL);
}

static struct mtarget *
target_find(struct master *m, const char *name)
{
	struct mtarget	*mt;

	TAILQ_FOREACH(mt, &m->targets, entry)
		if (!mt->draining && strcmp(mt->name, name) == 0)
			return (mt);
	return (NULL);
}

static struct mlun *
lun_find(struct mtarget *mt, uint64_t lun)
{
	struct mlun	*ml;

	TAILQ_FOREACH(ml, &mt->luns, entry)
		if (ml->conf.lun == lun)
			return (ml);
	return (NULL);
}

/*
 * A kept LUN whose backing store changed size since its process said
 * how big it is: 1 (reload tells it to look again).  A configured size
 * is fixed.
 */
static int
lun_resized(const struct mlun *ml)
{
	struct stat	 st;
	uint64_t	 store;

	/* a drive's medium changes by tgtctl drive, not by a reload */
	if (!ml->ready || ml->conf.size != 0 || ml->block_size == 0 ||
	    ml->conf.type != LUN_TYPE_DISK || fstat(ml->fd, &st) == -1)
		return (0);
	if (S_ISREG(st.st_mode))
		store = st.st_size;
	else if (!S_ISBLK(st.st_mode) ||
	    ioctl(ml->fd, BLKGETSIZE64, &store) == -1)
		return (0);
	return (store / ml->block_size * ml->block_size != ml->size);
}

int
master_prepare(struct master *m, struct tgt_conf *conf, struct apply *a,
    char *err, size_t errlen)
{
	struct conf_listen	*cl;
	struct conf_target	*ct;
	struct conf_lun		*cu;
	struct mportal		*mp;
	struct mtarget		*mt, *nt;
	struct mlun		*ml;
	int			 nerr = 0;

	memset(a, 0, sizeof(*a));
	a->conf = conf;
	TAILQ_INIT(&a->portals);
	TAILQ_INIT(&a->targets);
	TAILQ_INIT(&a->luns);
	err[0] = '\0';

	TAILQ_FOREACH(mp, &m->portals, entry)
		mp->keep = mp->readvertise = 0;
	TAILQ_FOREACH(mt, &m->targets, entry) {
		mt->keep = 0;
		TAILQ_FOREACH(ml, &mt->luns, entry)
			ml->keep = ml->resize = 0;
	}

	TAILQ_FOREACH(cl, &conf->listens, entry) {
		if ((mp = portal_find(m, cl)) != NULL) {
			mp->keep = 1;
			/* a new advertised address: sent again at commit */
			if (strcmp(mp->listen.advertise, cl->advertise) != 0) {
				strlcpy(mp->next_advertise, cl->advertise,
				    sizeof(mp->next_advertise));
				mp->readvertise = 1;
			}
			continue;
		}
		if ((mp = portal_new(m, cl, err, errlen)) == NULL) {
			nerr++;
			continue;
		}
		TAILQ_INSERT_TAIL(&a->portals, mp, entry);
	}

	TAILQ_FOREACH(ct, &conf->targets, entry) {
		/*
		 * Same name, same target: its sessions stay, changed access
		 * settings apply to new logins (master_commit), and its LUNs
		 * are compared one by one.
		 */
		if ((mt = target_find(m, ct->name)) != NULL) {
			mt->keep = 1;
			TAILQ_FOREACH(cu, &ct->luns, entry) {
				ml = lun_find(mt, cu->lun);
				if (ml != NULL && conf_lun_equal(&ml->conf,
				    cu)) {
					ml->keep = 1;
					ml->resize = lun_resized(ml);
					continue;
				}
				if ((ml = lun_new(m, mt, cu, err, errlen)) ==
				    NULL) {
					nerr++;
					continue;
				}
				TAILQ_INSERT_TAIL(&a->luns, ml, entry);
			}
			continue;
		}
		/* new */
		if ((nt = target_new(ct)) == NULL) {
			errappend(err, errlen, "out of memory");
			nerr++;
			continue;
		}
		TAILQ_INSERT_TAIL(&a->targets, nt, entry);
		TAILQ_FOREACH(cu, &ct->luns, entry) {
			if ((ml = lun_new(m, nt, cu, err, errlen)) == NULL) {
				nerr++;
				continue;
			}
			TAILQ_INSERT_TAIL(&nt->luns, ml, entry);
		}
	}

	if (nerr) {
		master_abort(m, a);
		return (-1);
	}
	return (0);
}

void
master_abort(struct master *m, struct apply *a)
{
	struct mportal	*mp;
	struct mtarget	*mt;
	struct mlun	*ml;

	while ((mp = TAILQ_FIRST(&a->portals)) != NULL) {
		TAILQ_REMOVE(&a->portals, mp, entry);
		portal_free(mp);
	}
	while ((mt = TAILQ_FIRST(&a->targets)) != NULL) {
		TAILQ_REMOVE(&a->targets, mt, entry);
		target_free(mt);
	}
	while ((ml = TAILQ_FIRST(&a->luns)) != NULL) {
		TAILQ_REMOVE(&a->luns, ml, entry);
		lun_free(ml);
	}
	conf_free(a->conf);
	a->conf = NULL;
}

static void
ring_del_msg(struct msg_ring_del *d, struct mportal *mp, struct mlun *ml)
{
	memset(d, 0, sizeof(*d));
	d->target_id = ml->target->target_id;
	d->portal_id = mp->portal_id;
	d->lun_id = ml->lun_id;
	d->lun = ml->conf.lun;
}

/* Take a LUN away from every portal, then stop its process. */
static void
lun_remove(struct master *m, struct mlun *ml)
{
	struct mportal		*mp;
	struct msg_ring_del	 d;

	log_info("%s[%s]: removed", role_name(ROLE_LUN), ml->svc.instance);
	TAILQ_FOREACH(mp, &m->portals, entry) {
		if (!svc_running(&mp->svc))
			continue;
		ring_del_msg(&d, mp, ml);
		msgchan_send(&mp->svc.proc->chan, MSG_PORTAL_LUN_DEL,
		    d.target_id, NULL, 0, &d, sizeof(d));
	}
	control_lun_gone(m, ml);
	if (ml->draining)
		TAILQ_REMOVE(&ml->target->drain_luns, ml, entry);
	else
		TAILQ_REMOVE(&ml->target->luns, ml, entry);
	lun_free(ml);
}

static void
lun_drained(evutil_socket_t fd, short ev, void *arg)
{
	struct mlun	*ml = arg;

	lun_remove(ml->svc.m, ml);
}

/*
 * A LUN a reload removed from a target that stays: portals stop taking
 * commands for it (LOGICAL UNIT NOT SUPPORTED) but let those they
 * accepted complete; after the drain timeout its rings go and its
 * process stops, whatever is still in flight.
 */
static void
lun_drain(struct master *m, struct mlun *ml)
{
	struct mportal		*mp;
	struct msg_ring_del	 d;
	struct timeval		 tv = { m->conf->drain_timeout, 0 };

	/*
	 * A tape drive or a changer stops at once: its replacement opens
	 * the same cartridge or inventory file, which two processes must
	 * not write (what is in flight ends with a retryable error).
	 */
	if (!svc_running(&ml->svc) || m->conf->drain_timeout == 0 ||
	    ml->conf.type != LUN_TYPE_DISK) {
		lun_remove(m, ml);
		return;
	}
	TAILQ_FOREACH(mp, &m->portals, entry) {
		if (!svc_running(&mp->svc))
			continue;
		ring_del_msg(&d, mp, ml);
		msgchan_send(&mp->svc.proc->chan, MSG_PORTAL_LUN_DRAIN,
		    d.target_id, NULL, 0, &d, sizeof(d));
	}
	if ((ml->ev_drain = evtimer_new(m->evb, lun_drained, ml)) == NULL ||
	    evtimer_add(ml->ev_drain, &tv) == -1) {
		lun_remove(m, ml);
		return;
	}
	TAILQ_REMOVE(&ml->target->luns, ml, entry);
	TAILQ_INSERT_TAIL(&ml->target->drain_luns, ml, entry);
	ml->draining = 1;
	log_info("%s[%s]: removed, draining for %d s", role_name(ROLE_LUN),
	    ml->svc.instance, m->conf->drain_timeout);
}

static void
target_remove(struct master *m, struct mtarget *mt)
{
	struct mportal		*mp;
	struct mlun		*ml;
	struct msg_target_del	 d;

	while ((ml = TAILQ_FIRST(&mt->luns)) != NULL)
		lun_remove(m, ml);
	while ((ml = TAILQ_FIRST(&mt->drain_luns)) != NULL)
		lun_remove(m, ml);
	memset(&d, 0, sizeof(d));
	d.target_id = mt->target_id;
	TAILQ_FOREACH(mp, &m->portals, entry)
		if (svc_running(&mp->svc))
			msgchan_send(&mp->svc.proc->chan,
			    MSG_PORTAL_TARGET_DEL, d.target_id, NULL, 0, &d,
			    sizeof(d));
	log_info("target %s removed", mt->name);
	TAILQ_REMOVE(&m->targets, mt, entry);
	target_free(mt);
}

static void
target_drained(evutil_socket_t fd, short ev, void *arg)
{
	struct mtarget	*mt = arg;

	target_remove(mt->m, mt);
}

/*
 * A target a reload removed: its sessions are asked to log out (async
 * message), it is deleted after the drain timeout.  Its LUNs run
 * on meanwhile, so that commands in flight complete.
 */
static void
target_drain(struct master *m, struct mtarget *mt)
{
	struct mportal		*mp;
	struct msg_drain	 d;
	struct timeval		 tv = { m->conf->drain_timeout + 1, 0 };

	memset(&d, 0, sizeof(d));
	d.target_id = mt->target_id;
	d.wait = m->conf->drain_timeout;
	mt->draining = 1;
	mt->m = m;
	TAILQ_FOREACH(mp, &m->portals, entry)
		if (svc_running(&mp->svc))
			msgchan_send(&mp->svc.proc->chan,
			    MSG_PORTAL_TARGET_DRAIN, d.target_id, NULL, 0, &d,
			    sizeof(d));
	if ((mt->ev_drain = evtimer_new(m->evb, target_drained, mt)) ==
	    NULL || evtimer_add(mt->ev_drain, &tv) == -1) {
		target_remove(m, mt);
		return;
	}
	log_info("target %s removed, draining for %d s", mt->name,
	    m->conf->drain_timeout);
}

static void
portal_remove(struct master *m, struct mportal *mp)
{
	struct mtarget		*mt;
	struct mlun		*ml;
	struct msg_ring_del	 d;

	log_info("%s[%s]: removed", role_name(ROLE_PORTAL), mp->svc.instance);
	TAILQ_FOREACH(mt, &m->targets, entry)
		TAILQ_FOREACH(ml, &mt->luns, entry) {
			if (!svc_running(&ml->svc) ||
			    !idset_has(&ml->rings, mp->portal_id))
				continue;
			ring_del_msg(&d, mp, ml);
			msgchan_send(&ml->svc.proc->chan, MSG_LUN_RING_DEL,
			    d.lun_id, NULL, 0, &d, sizeof(d));
			idset_del(&ml->rings, mp->portal_id);
		}
	control_portal_gone(m, mp);
	TAILQ_REMOVE(&m->portals, mp, entry);
	portal_free(mp);
}

static void
portal_drained(evutil_socket_t fd, short ev, void *arg)
{
	struct mportal	*mp = arg;

	portal_remove(mp->svc.m, mp);
}

/*
 * A listener a reload removed: its portal stops accepting and asks every
 * session to log out; it is stopped after the drain timeout.
 * The master's socket closes now, the address may be configured again.
 */
static void
portal_drain(struct master *m, struct mportal *mp)
{
	struct msg_drain	 d;
	struct timeval		 tv = { m->conf->drain_timeout + 1, 0 };

	if (!svc_running(&mp->svc)) {
		portal_remove(m, mp);
		return;
	}
	memset(&d, 0, sizeof(d));
	d.wait = m->conf->drain_timeout;
	msgchan_send(&mp->svc.proc->chan, MSG_PORTAL_DRAIN, 0, NULL, 0, &d,
	    sizeof(d));
	mp->draining = 1;
	if (mp->sock != -1) {
		close(mp->sock);
		mp->sock = -1;
	}
	if ((mp->ev_drain = evtimer_new(m->evb, portal_drained, mp)) ==
	    NULL || evtimer_add(mp->ev_drain, &tv) == -1) {
		portal_remove(m, mp);
		return;
	}
	log_info("%s[%s]: removed, draining for %d s", role_name(ROLE_PORTAL),
	    mp->svc.instance, m->conf->drain_timeout);
}

static void
target_announce(struct master *m, struct mportal *mp, struct mtarget *mt)
{
	struct msg_target	 t;

	memset(&t, 0, sizeof(t));
	t.target_id = mt->target_id;
	t.flags = mt->flags;
	strlcpy(t.name, mt->name, sizeof(t.name));
	strlcpy(t.alias, mt->alias, sizeof(t.alias));
	/* access first: no login may see the target without its rules */
	auth_announce(m, mp, mt);
	msgchan_send(&mp->svc.proc->chan, MSG_PORTAL_TARGET, t.target_id,
	    NULL, 0, &t, sizeof(t));
}

/*
 * After a target's access rules, the target and its LUN rings (the
 * channel keeps the order): the portal lists it and lets logins in.
 */
static void
target_ready(struct mportal *mp, struct mtarget *mt)
{
	struct msg_target_ready	 r;

	memset(&r, 0, sizeof(r));
	r.target_id = mt->target_id;
	msgchan_send(&mp->svc.proc->chan, MSG_PORTAL_TARGET_READY,
	    r.target_id, NULL, 0, &r, sizeof(r));
}

/* Smallest portal id not in use: ids stay small and get reused. */
static uint32_t
portal_id_alloc(struct master *m)
{
	struct mportal	*mp;
	uint32_t	 id = 0;

 again:
	TAILQ_FOREACH(mp, &m->portals, entry)
		if (mp->portal_id == id) {
			id++;
			goto again;
		}
	return (id);
}

/* Access settings of a kept target: they apply to new logins. */
static void
target_update(struct master *m, struct mtarget *mt)
{
	struct conf_target	*ct;
	struct mportal		*mp;

	TAILQ_FOREACH(ct, &m->conf->targets, entry)
		if (strcmp(ct->name, mt->name) == 0)
			break;
	if (ct == NULL || (ct->flags == mt->flags &&
	    strcmp(ct->alias, mt->alias) == 0))
		return;
	mt->flags = ct->flags;
	strlcpy(mt->alias, ct->alias, sizeof(mt->alias));
	log_info("target %s: settings changed, for new logins", mt->name);
	TAILQ_FOREACH(mp, &m->portals, entry)
		if (svc_running(&mp->svc))
			target_announce(m, mp, mt);
}

/*
 * LUNs were added to or removed from a target that stays: its other LUNs
 * establish REPORTED LUNS DATA HAS CHANGED for every I_T nexus they know
 * (SPC-4 6.37).  Added LUNs are not running yet, their nexuses get the
 * power on unit attention.
 */
static void
luns_changed(struct master *m, struct mtarget *mt)
{
	struct mlun		*ml;
	struct msg_lun_ua	 ua;

	log_info("target %s: LUNs changed, REPORTED LUNS DATA HAS CHANGED "
	    "for its other LUNs", mt->name);
	memset(&ua, 0, sizeof(ua));
	ua.asc = 0x3f;
	ua.ascq = 0x0e;
	TAILQ_FOREACH(ml, &mt->luns, entry)
		if (!ml->added && svc_running(&ml->svc))
			msgchan_send(&ml->svc.proc->chan, MSG_LUN_UA,
			    ml->lun_id, NULL, 0, &ua, sizeof(ua));
}

void
master_commit(struct master *m, struct apply *a)
{
	struct tgt_conf	*old = m->conf;
	struct mportal	*mp, *mpn;
	struct mtarget	*mt, *mtn;
	struct mlun	*ml, *mln;
	int		 changed, resend;

	m->conf = a->conf;
	a->conf = NULL;
	if (old != NULL && (strcmp(old->user, m->conf->user) != 0 ||
	    strcmp(old->chroot, m->conf->chroot) != 0))
		log_info("user or chroot changed: applies to children "
		    "started from now on");

	/* what went away drains; what stays may have new settings */
	TAILQ_FOREACH_SAFE(mt, &m->targets, entry, mtn) {
		if (mt->draining)
			continue;
		if (!mt->keep) {
			target_drain(m, mt);
			continue;
		}
		changed = 0;
		TAILQ_FOREACH_SAFE(ml, &mt->luns, entry, mln) {
			if (!ml->keep) {
				lun_drain(m, ml);
				changed = 1;
			}
			else if (ml->resize && svc_running(&ml->svc)) {
				log_info("%s[%s]: backing store resized",
				    role_name(ROLE_LUN), ml->svc.instance);
				msgchan_send(&ml->svc.proc->chan,
				    MSG_LUN_RESIZE, ml->lun_id, NULL, 0, NULL,
				    0);
			}
		}
		/*
		 * Its new LUNs start now, once the removed ones drain, and
		 * before the unit attention goes to every other LUN of the
		 * target: with many LUNs that takes a while, and the new
		 * ones answer as soon as their process has its ring.
		 */
		TAILQ_FOREACH_SAFE(ml, &a->luns, entry, mln) {
			if (ml->target != mt)
				continue;
			TAILQ_REMOVE(&a->luns, ml, entry);
			ml->lun_id = m->next_lun_id++;
			ml->added = 1;
			TAILQ_INSERT_TAIL(&mt->luns, ml, entry);
			svc_start(&ml->svc);
			changed = 1;
		}
		if (changed)
			luns_changed(m, mt);
		TAILQ_FOREACH(ml, &mt->luns, entry)
			ml->added = 0;
		target_update(m, mt);
	}
	TAILQ_FOREACH_SAFE(mp, &m->portals, entry, mpn)
		if (!mp->keep && !mp->draining)
			portal_drain(m, mp);
	/*
	 * NOP-In settings apply to the connections of running portals, a
	 * new advertised address to the next SendTargets.
	 */
	TAILQ_FOREACH(mp, &m->portals, entry) {
		resend = old != NULL &&
		    (old->nop_interval != m->conf->nop_interval ||
		    old->nop_timeout != m->conf->nop_timeout);
		if (mp->readvertise) {
			strlcpy(mp->listen.advertise, mp->next_advertise,
			    sizeof(mp->listen.advertise));
			mp->readvertise = 0;
			resend = 1;
		}
		if (resend && !mp->draining && svc_running(&mp->svc))
			portal_config_send(m, mp);
	}

	/* access rules and CHAP of what stays may have changed */
	auth_reload(m);
	isns_update(m);

	/* new targets: running portals learn them, then their LUNs start */
	while ((mt = TAILQ_FIRST(&a->targets)) != NULL) {
		TAILQ_REMOVE(&a->targets, mt, entry);
		mt->target_id = m->next_target_id++;
		mt->m = m;
		TAILQ_INSERT_TAIL(&m->targets, mt, entry);
		TAILQ_FOREACH(mp, &m->portals, entry)
			if (svc_running(&mp->svc))
				target_announce(m, mp, mt);
		log_info("target %s added", mt->name);
		TAILQ_FOREACH(ml, &mt->luns, entry) {
			ml->lun_id = m->next_lun_id++;
			svc_start(&ml->svc);
		}
		TAILQ_FOREACH(mp, &m->portals, entry)
			if (svc_running(&mp->svc))
				target_ready(mp, mt);
	}
	/* new LUNs of targets that stay */
	while ((ml = TAILQ_FIRST(&a->luns)) != NULL) {
		TAILQ_REMOVE(&a->luns, ml, entry);
		ml->lun_id = m->next_lun_id++;
		TAILQ_INSERT_TAIL(&ml->target->luns, ml, entry);
		svc_start(&ml->svc);
	}
	/* new portals get everything, rings to every running LUN */
	while ((mp = TAILQ_FIRST(&a->portals)) != NULL) {
		TAILQ_REMOVE(&a->portals, mp, entry);
		mp->portal_id = portal_id_alloc(m);
		TAILQ_INSERT_TAIL(&m->portals, mp, entry);
		svc_start(&mp->svc);
	}
	conf_free(old);
}

int
master_reload(struct master *m, char *err, size_t errlen)
{
	struct tgt_conf	*conf;
	struct apply	 a;

	log_info("reloading %s", m->conffile);
	if ((conf = parse_config(m->conffile, CONF_OPT_LOG)) == NULL) {
		strlcpy(err, conf_errors(), errlen);
		if (err[0] == '\0')
			strlcpy(err, "configuration error", errlen);
		log_warnx("reload failed, configuration unchanged");
		return (-1);
	}
	if (master_prepare(m, conf, &a, err, errlen) == -1) {
		log_warnx("reload failed, configuration unchanged: %s", err);
		return (-1);
	}
	master_commit(m, &a);
	if (m->ctl_fd != -1 && strcmp(m->conf->control, m->ctl_path) != 0)
		control_move(m, m->conf->control);
	log_info("reloaded %s", m->conffile);
	return (0);
}

static void
lun_free(struct mlun *ml)
{
	if (ml->ev_drain != NULL)
		event_free(ml->ev_drain);
	svc_stop(&ml->svc);
	if (ml->fd != -1)
		close(ml->fd);
	idset_free(&ml->rings);
	free(ml->inv);
	free(ml);
}

static void
portal_free(struct mportal *mp)
{
	if (mp->ev_drain != NULL)
		event_free(mp->ev_drain);
	svc_stop(&mp->svc);
	if (mp->sock != -1)
		close(mp->sock);
	free(mp);
}

static void
target_free(struct mtarget *mt)
{
	struct mlun	*ml;

	while ((ml = TAILQ_FIRST(&mt->luns)) != NULL) {
		TAILQ_REMOVE(&mt->luns, ml, entry);
		lun_free(ml);
	}
	while ((ml = TAILQ_FIRST(&mt->drain_luns)) != NULL) {
		TAILQ_REMOVE(&mt->drain_luns, ml, entry);
		lun_free(ml);
	}
	if (mt->ev_drain != NULL)
		event_free(mt->ev_drain);
	free(mt);
}

/* Shutdown: let every child go (SIGTERM), free the running state. */
void
master_stop_all(struct master *m)
{
	struct mportal	*mp;
	struct mtarget	*mt;

	while ((mt = TAILQ_FIRST(&m->targets)) != NULL) {
		TAILQ_REMOVE(&m->targets, mt, entry);
		target_free(mt);
	}
	while ((mp = TAILQ_FIRST(&m->portals)) != NULL) {
		TAILQ_REMOVE(&m->portals, mp, entry);
		portal_free(mp);
	}
}

void
master_free(struct master *m)
{
	master_stop_all(m);
	conf_free(m->conf);
	m->conf = NULL;
}

/*
 * The data area of a new ring, by the configuration: the rings share
 * MASTER_RING_MEM, each at most RING_DEF_DATA_SIZE (32 MiB) and at least
 * MASTER_MAX_XFER (8 MiB, the largest command), a power of two.  So with
 * P listeners and L LUNs every pair gets min(32 MiB, max(8 MiB,
 * 1 GiB / (P * L) rounded down to a power of two)): 32 MiB up to 32
 * pairs, 8 MiB from 128 on, and the shared memory of all rings is at
 * most max(1 GiB, P * L * 8 MiB).  A ring keeps its size until it is
 * made again (a reload sizes the rings it makes by the new
 * configuration).
 */
static uint32_t
ring_data_size(struct master *m)
{
	struct conf_listen	*cl;
	struct conf_target	*ct;
	struct conf_lun		*cu;
	uint64_t		 np = 0, nl = 0, per;
	uint32_t		 size = RING_DEF_DATA_SIZE;

	TAILQ_FOREACH(cl, &m->conf->listens, entry)
		np++;
	TAILQ_FOREACH(ct, &m->conf->targets, entry)
		TAILQ_FOREACH(cu, &ct->luns, entry)
			nl++;
	if (np == 0 || nl == 0)
		return (size);
	per = MASTER_RING_MEM / (np * nl);
	while (size > MASTER_MAX_XFER && size > per)
		size >>= 1;
	return (size);
}

/*
 * A ring between a portal and a LUN: the master creates it and hands a
 * copy of the memfd and both doorbells to each side, keeping nothing.
 */
static void
ring_pair(struct master *m, struct mportal *mp, struct mlun *ml)
{
	struct ring_geom	 g;
	struct msg_ring		 r;
	int			 lfds[3], pfds[3], i;

	if (ring_geom_init(&g, RING_DEF_ENTRIES, ring_data_size(m),
	    RING_DEF_BLOCK_SIZE) == -1 ||
	    ring_create(&g, &lfds[0], &lfds[1], &lfds[2]) == -1) {
		log_warn("ring %s - %s", mp->svc.instance, ml->svc.instance);
		return;
	}
	for (i = 0; i < 3; i++)
		if ((pfds[i] = dupfd(lfds[i])) == -1) {
			log_warn("dup");
			while (i-- > 0)
				close(pfds[i]);
			for (i = 0; i < 3; i++)
				close(lfds[i]);
			return;
		}
	memset(&r, 0, sizeof(r));
	r.target_id = ml->target->target_id;
	r.portal_id = mp->portal_id;
	r.lun_id = ml->lun_id;
	r.lun = ml->conf.lun;
	r.geom = g;
	if (msgchan_send(&ml->svc.proc->chan, MSG_LUN_RING_ADD, r.lun_id,
	    lfds, 3, &r, sizeof(r)) == 0)
		idset_add(&ml->rings, mp->portal_id);
	msgchan_send(&mp->svc.proc->chan, MSG_PORTAL_LUN, r.target_id,
	    pfds, 3, &r, sizeof(r));
}

/* The portal's settings; sent again when a reload changes them. */
static void
portal_config_send(struct master *m, struct mportal *mp)
{
	struct msg_portal_config pc;

	memset(&pc, 0, sizeof(pc));
	pc.portal_id = mp->portal_id;
	pc.tpgt = 1;
	pc.max_cmds = MASTER_MAX_CMDS;
	pc.max_xfer = MASTER_MAX_XFER;
	pc.nop_interval = m->conf->nop_interval;
	strlcpy(pc.advertise, mp->listen.advertise, sizeof(pc.advertise));
	pc.nop_timeout = m->conf->nop_timeout;
	msgchan_send(&mp->svc.proc->chan, MSG_PORTAL_CONFIG, 0, NULL, 0, &pc,
	    sizeof(pc));
}

static void
portal_start(struct svc *s)
{
	struct mportal		*mp = s->owner;
	struct master		*m = s->m;
	struct msgchan		*ch;
	struct mtarget		*mt;
	struct mlun		*ml;
	struct msg_listen	 ls;
	struct msg_ring_del	 d;
	struct msg_drain	 dr;
	int			 fd;

	if (mp->draining)
		return;		/* died while draining: removed soon */
	if (proc_spawn(s) == -1)
		return;
	ch = &s->proc->chan;
	memset(&dr, 0, sizeof(dr));

	portal_config_send(m, mp);

	memset(&ls, 0, sizeof(ls));
	strlcpy(ls.addr, mp->listen.name, sizeof(ls.addr));
	if (mp->listen.iser) {
		ls.transport = CTL_TRANSPORT_ISER;
		ls.sslen = mp->listen.sslen;
		memcpy(&ls.ss, &mp->listen.ss, sizeof(ls.ss));
		msgchan_send(ch, MSG_PORTAL_LISTEN, 0, NULL, 0, &ls,
		    sizeof(ls));
	} else if ((fd = dupfd(mp->sock)) == -1)
		log_warn("%s: dup", mp->svc.instance);
	else
		msgchan_send(ch, MSG_PORTAL_LISTEN, 0, &fd, 1, &ls,
		    sizeof(ls));

	TAILQ_FOREACH(mt, &m->targets, entry) {
		target_announce(m, mp, mt);
		if (mt->draining) {
			/* restarted while it drains: no new logins */
			dr.target_id = mt->target_id;
			dr.wait = m->conf->drain_timeout;
			msgchan_send(ch, MSG_PORTAL_TARGET_DRAIN, dr.target_id,
			    NULL, 0, &dr, sizeof(dr));
		}
	}
	TAILQ_FOREACH(mt, &m->targets, entry)
		TAILQ_FOREACH(ml, &mt->luns, entry) {
			if (!svc_running(&ml->svc))
				continue;	/* paired when it starts */
			if (idset_has(&ml->rings, mp->portal_id)) {
				/* ring of this portal's previous process */
				ring_del_msg(&d, mp, ml);
				msgchan_send(&ml->svc.proc->chan,
				    MSG_LUN_RING_DEL, d.lun_id, NULL, 0, &d,
				    sizeof(d));
				idset_del(&ml->rings, mp->portal_id);
			}
			ring_pair(m, mp, ml);
		}
	auth_announce_discovery(m, mp);
	TAILQ_FOREACH(mt, &m->targets, entry)
		if (!mt->draining)
			target_ready(mp, mt);
	msgchan_send(ch, MSG_PORTAL_START, 0, NULL, 0, NULL, 0);
}

/*
 * A LUN's state file, opened for its tgt-lun: "<state directory>/
 * <target>-<lun>.<suffix>", the target name with every byte but
 * [A-Za-z0-9.-] written %XX ("pr": persistent reservations with APTPL,
 * "smc": a changer's inventory).  No directory, no file: the LUN runs
 * without (a note says so).  -1 or the fd.
 */
static int
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
	idset_clear(&ml->rings);
	/* an empty tape drive gets no descriptor */
	fd = -1;
	if (ml->fd != -1 && (fd = dupfd(ml->fd)) == -1) {
		log_warn("%s: dup", s->instance);
		return;
	}
	if (proc_spawn(s) == -1) {
		if (fd != -1)
			close(fd);
		return;
	}
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
	    ml->conf.type == LUN_TYPE_OPTICAL ? ml->medium :
	    ml->conf.path, sizeof(lc.path));
	strlcpy(lc.vendor, ml->conf.vendor, sizeof(lc.vendor));
	strlcpy(lc.product, ml->conf.product, sizeof(lc.product));
	strlcpy(lc.revision, ml->conf.revision, sizeof(lc.revision));
	strlcpy(lc.serial, ml->conf.serial, sizeof(lc.serial));
	conf_lun_naa(ml->target->name, ml->conf.lun, lc.naa);
	msgchan_send(&s->proc->chan, MSG_LUN_CONFIG, lc.lun_id, &fd,
	    fd == -1 ? 0 : 1, &lc, sizeof(lc));
	if ((fd = lun_state_file(m, ml, "pr")) != -1)
		msgchan_send(&s->proc->chan, MSG_LUN_STATE, lc.lun_id, &fd, 1,
		    NULL, 0);
	if (ml->conf.type == LUN_TYPE_CHANGER)
		changer_start(m, ml);
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

void
apply_proc_gone(struct proc *p)
{
	struct msg_lun_medium_done	 md;
	struct mlun			*ml;
	struct mportal			*mp;

	if (p->svc == NULL)
		return;
	if (p->role == ROLE_LUN) {
		ml = p->svc->owner;
		ml->ready = 0;
		idset_clear(&ml->rings);
		if (ml->req_kind != REQ_NONE) {
			/*
			 * The drive died in the middle: it starts again
			 * with what the master holds for it, which is the
			 * cartridge of a load and still the one of an unload.
			 */
			memset(&md, 0, sizeof(md));
			md.ok = ml->req_load;
			md.loaded = 1;
			strlcpy(md.text, "the drive restarted",
			    sizeof(md.text));
			drive_done(p->m, ml, &md);
		}
		control_lun_gone(p->m, ml);
	} else {
		mp = p->svc->owner;
		control_portal_gone(p->m, mp);
	}
}

/* A child sent something it should not: it is restarted. */
static void
proc_bad(struct proc *p, const struct msg *msg)
{
	log_warnx("%s[%s]: malformed message type %u len %u, killing it",
	    role_name(p->role), p->instance, msg->hdr.type, msg->hdr.len);
	kill(p->pid, SIGKILL);
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
		break;
	case MSG_LUN_STATS_REPLY:
		if (control_lun_reply(p->m, ml, msg) == -1)
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
		break;
	default:
		log_warnx("%s[%s]: unexpected message type %u ignored",
		    role_name(p->role), p->instance, msg->hdr.type);
		break;
	}
	msg_free(msg);
}

/*
 * A portal answered a TARGET COLD RESET and closed its own sessions to
 * the target: every other portal closes theirs (RFC 7143 11.5.1).
 */
static int
portal_cold_reset(struct master *m, struct mportal *from, struct msg *msg)
{
	struct msg_target_reset	 r;
	struct mtarget		*mt;
	struct mportal		*mp;

	if (MSG_GET(msg, &r) == -1)
		return (-1);
	TAILQ_FOREACH(mt, &m->targets, entry)
		if (mt->target_id == r.target_id)
			break;
	if (mt == NULL)
		return (0);	/* removed by a reload meanwhile */
	log_info("%s: target %s: cold reset, ending its sessions on every "
	    "portal", from->svc.instance, mt->name);
	TAILQ_FOREACH(mp, &m->portals, entry)
		if (mp != from && svc_running(&mp->svc))
			msgchan_send(&mp->svc.proc->chan,
			    MSG_PORTAL_COLD_RESET, 0, NULL, 0, &r, sizeof(r));
	return (0);
}

void
portal_dispatch(struct msgchan *ch, struct msg *msg, void *arg)
{
	struct proc	*p = arg;
	struct mportal	*mp;

	if (p->svc == NULL) {
		msg_free(msg);
		return;
	}
	mp = p->svc->owner;
	switch (msg->hdr.type) {
	case MSG_CTL_SESSION:
	case MSG_CTL_CONNECTION:
	case MSG_CTL_END:
		if (control_portal_reply(p->m, mp, msg) == -1)
			proc_bad(p, msg);
		break;
	case MSG_PORTAL_AUTH_REQ:
		if (auth_request(p->m, &p->chan, msg) == -1)
			proc_bad(p, msg);
		break;
	case MSG_PORTAL_ISNS_DONE:
		if (isns_done(p->m, msg) == -1)
			proc_bad(p, msg);
		break;
	case MSG_PORTAL_COLD_RESET:
		if (portal_cold_reset(p->m, mp, msg) == -1)
			proc_bad(p, msg);
		break;
	default:
		log_warnx("%s[%s]: unexpected message type %u ignored",
		    role_name(p->role), p->instance, msg->hdr.type);
		break;
	}
	msg_free(msg);
}

void
master_log_verbose(struct master *m, int level)
{
	struct proc	*p;
	int32_t		 v = level;

	log_setverbose(level);
	m->verbose = level;
	TAILQ_FOREACH(p, &m->procs, entry)
		if (p->chan_up)
			msgchan_send(&p->chan, MSG_LOG_VERBOSE, 0, NULL, 0, &v,
			    sizeof(v));
	log_info("log %s", level ? "verbose" : "brief");
}

static const char *
medium_word(const struct mlun *ml)
{
	return (ml->conf.type == LUN_TYPE_OPTICAL ? "disc" : "cartridge");
}

/* Any LUN by its master index, or NULL. */
static struct mlun *
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
static void
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
static void
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
static void
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
