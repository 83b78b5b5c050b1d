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

#include "log.h"
#include "master.h"
#include "ring.h"

static void	 portal_start(struct svc *);
static void	 portal_config_send(struct master *, struct mportal *);
static void	 lun_start(struct svc *);
static void	 ring_pair(struct master *, struct mportal *, struct mlun *);
static void	 lun_free(struct mlun *);
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

static struct mlun *
lun_new(struct master *m, struct mtarget *mt, const struct conf_lun *cl,
    char *err, size_t errlen)
{
	struct mlun	*ml;
	struct stat	 st;
	char		 inst[MASTER_INSTANCE_MAX];
	int		 fd;

	fd = open(cl->path, ((cl->flags & LUN_F_READONLY) ? O_RDONLY :
	    O_RDWR) | O_CLOEXEC);
	if (fd == -1) {
		errappend(err, errlen, "%s:%d: cannot open %s: %s", cl->file,
		    cl->lineno, cl->path, strerror(errno));
		return (NULL);
	}
	errno = 0;
	if (fstat(fd, &st) == -1 || (!S_ISREG(st.st_mode) &&
	    !S_ISBLK(st.st_mode))) {
		errappend(err, errlen, "%s:%d: cannot open %s: %s", cl->file,
		    cl->lineno, cl->path, errno != 0 ? strerror(errno) :
		    "not a regular file or block device");
		close(fd);
		return (NULL);
	}
	if ((ml = calloc(1, sizeof(*ml))) == NULL) {
		errappend(err, errlen, "out of memory");
		close(fd);
		return (NULL);
	}
	ml->conf = *cl;
	ml->fd = fd;
	ml->target = mt;
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

	if (!ml->ready || ml->conf.size != 0 || ml->block_size == 0 ||
	    fstat(ml->fd, &st) == -1)
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

	if (!svc_running(&ml->svc) || m->conf->drain_timeout == 0) {
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
		if (svc_running(&ml->svc))
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
		TAILQ_FOREACH(ml, &a->luns, entry)
			if (ml->target == mt)
				changed = 1;
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
		if (changed)
			luns_changed(m, mt);
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
 * A ring between a portal and a LUN: the master creates it and hands a
 * copy of the memfd and both doorbells to each side, keeping nothing.
 */
static void
ring_pair(struct master *m, struct mportal *mp, struct mlun *ml)
{
	struct ring_geom	 g;
	struct msg_ring		 r;
	int			 lfds[3], pfds[3], i;

	if (ring_geom_init(&g, RING_DEF_ENTRIES, RING_DEF_DATA_SIZE,
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
 * The LUN's state file (persistent reservations with APTPL), opened for
 * its tgt-lun: "<state directory>/<target>-<lun>.pr", the target name
 * with every byte but [A-Za-z0-9.-] written %XX.  No directory, no file:
 * the LUN runs without persistence (a warning says so).  -1 or the fd.
 */
static int
lun_state_open(struct master *m, struct mlun *ml)
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
	    "-%llu.pr", (unsigned long long)ml->conf.lun) >=
	    sizeof(path) - n) {
		log_warnx("%s: state file name too long", ml->svc.instance);
		return (-1);
	}
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) != -1)
		return (fd);
	if (errno == ENOENT)		/* no state directory */
		log_info("%s: no %s, persistent reservations will not "
		    "survive a restart", ml->svc.instance, m->conf->state_dir);
	else
		log_warn("%s: %s", ml->svc.instance, path);
	return (-1);
}

/*
 * EXTENDED COPY between the LUNs of a target: a read-only descriptor of
 * every other LUN's backing store, so this one can copy from them.
 */
static void
lun_xcopy_peers(struct svc *s, struct mlun *ml)
{
	struct msg_xcopy_peer	 xp;
	struct mlun		*o;
	struct stat		 st;
	int			 fd;

	TAILQ_FOREACH(o, &ml->target->luns, entry) {
		if (o == ml)
			continue;
		if ((fd = open(o->conf.path, O_RDONLY | O_CLOEXEC)) == -1)
			continue;
		memset(&xp, 0, sizeof(xp));
		conf_lun_naa(ml->target->name, o->conf.lun, xp.naa);
		xp.block_size = o->conf.block_size ? o->conf.block_size : 512;
		xp.writable = 0;
		xp.size = o->conf.size;
		if (xp.size == 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
			xp.size = st.st_size;
		if (xp.size == 0) {
			close(fd);
			continue;
		}
		msgchan_send(&s->proc->chan, MSG_LUN_XCOPY_PEER, ml->lun_id,
		    &fd, 1, &xp, sizeof(xp));
	}
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
	if ((fd = dupfd(ml->fd)) == -1) {
		log_warn("%s: dup", s->instance);
		return;
	}
	if (proc_spawn(s) == -1) {
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
	strlcpy(lc.path, ml->conf.path, sizeof(lc.path));
	strlcpy(lc.vendor, ml->conf.vendor, sizeof(lc.vendor));
	strlcpy(lc.product, ml->conf.product, sizeof(lc.product));
	strlcpy(lc.revision, ml->conf.revision, sizeof(lc.revision));
	strlcpy(lc.serial, ml->conf.serial, sizeof(lc.serial));
	conf_lun_naa(ml->target->name, ml->conf.lun, lc.naa);
	msgchan_send(&s->proc->chan, MSG_LUN_CONFIG, lc.lun_id, &fd, 1, &lc,
	    sizeof(lc));
	if ((fd = lun_state_open(m, ml)) != -1)
		msgchan_send(&s->proc->chan, MSG_LUN_STATE, lc.lun_id, &fd, 1,
		    NULL, 0);
	lun_xcopy_peers(s, ml);
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
	struct mlun	*ml;
	struct mportal	*mp;

	if (p->svc == NULL)
		return;
	if (p->role == ROLE_LUN) {
		ml = p->svc->owner;
		ml->ready = 0;
		idset_clear(&ml->rings);
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

void
lun_dispatch(struct msgchan *ch, struct msg *msg, void *arg)
{
	struct proc		*p = arg;
	struct mlun		*ml;
	struct msg_lun_ready	 r;
	struct msg_error	 e;

	if (p->svc == NULL) {
		msg_free(msg);
		return;
	}
	ml = p->svc->owner;
	switch (msg->hdr.type) {
	case MSG_LUN_READY:
		if (MSG_GET(msg, &r) == -1 || r.lun_id != ml->lun_id ||
		    (r.block_size != 512 && r.block_size != 1024 &&
		    r.block_size != 2048 && r.block_size != 4096)) {
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
