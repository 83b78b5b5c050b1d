/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * The running state: portals (one per listener), targets and their LUNs,
 * the rings between every running portal and LUN, and the configuration
 * applied by difference: listeners are matched by address, targets by
 * name, LUNs by number and settings; what matches keeps running
 * untouched.  Each child kind's start-up and dispatch live in their own
 * file: portal.c, lun.c, and media.c for what moves media between LUNs.
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

static void	 lun_free(struct mlun *ml);
static void	 portal_free(struct mportal *mp);
static void	 target_free(struct mtarget *mt);

void
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

int
dupfd(int fd)
{
	return (fcntl(fd, F_DUPFD_CLOEXEC, 0));
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

struct mtarget *
target_find(struct master *m, const char *name)
{
	struct mtarget	*mt;

	TAILQ_FOREACH(mt, &m->targets, entry)
		if (!mt->draining && strcmp(mt->name, name) == 0)
			return (mt);
	return (NULL);
}

struct mlun *
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

	/*
	 * A target port's identity is in every nexus and in registrations
	 * the initiators hold: it changes with a restart, not a reload.
	 */
	if (m->conf != NULL && m->conf->tpgt != conf->tpgt &&
	    !TAILQ_EMPTY(&m->portals)) {
		errappend(err, errlen, "portal-group-tag %u -> %u: needs a "
		    "restart of tgt-master", m->conf->tpgt, conf->tpgt);
		nerr++;
	}
	TAILQ_FOREACH(mp, &m->portals, entry)
		mp->keep = mp->readvertise = 0;
	TAILQ_FOREACH(mt, &m->targets, entry) {
		mt->keep = 0;
		TAILQ_FOREACH(ml, &mt->luns, entry)
			ml->keep = ml->resize = 0;
	}

	TAILQ_FOREACH(cl, &conf->listens, entry) {
		if ((mp = portal_find(m, cl)) != NULL) {
			if (portal_rel_port(mp) != (cl->rel_port != 0 ?
			    cl->rel_port : mp->portal_id + 1)) {
				errappend(err, errlen, "%s:%d: listen on %s: "
				    "relative-port %u -> %u: needs a restart "
				    "of tgt-master", cl->file, cl->lineno,
				    cl->name, portal_rel_port(mp),
				    cl->rel_port);
				nerr++;
			}
			mp->keep = 1;
			mp->next_pgroup = cl->pgroup;
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

void
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

void
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
void
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
 * (SPC-4 6.37).  Added LUNs are new to every nexus, which gets their
 * power on unit attention instead.
 */
static void
luns_changed(struct master *m, struct mtarget *mt)
{
	struct mlun		*ml;
	struct msg_lun_ua	 ua;

	log_info("target %s: LUNs changed, REPORTED LUNS DATA HAS CHANGED "
	    "for its other LUNs", mt->name);
	mt->ua_wait = 0;
	if (mt->ev_ua != NULL)
		evtimer_del(mt->ev_ua);
	memset(&ua, 0, sizeof(ua));
	ua.asc = 0x3f;
	ua.ascq = 0x0e;
	TAILQ_FOREACH(ml, &mt->luns, entry) {
		if (!ml->ua_new && svc_running(&ml->svc))
			msgchan_send(&ml->svc.proc->chan, MSG_LUN_UA,
			    ml->lun_id, NULL, 0, &ua, sizeof(ua));
		ml->ua_new = 0;
	}
}

static void
luns_changed_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct mtarget	*mt = arg;

	luns_changed(mt->m, mt);
}

/*
 * With many LUNs the unit attention wakes every LUN process, which
 * delays the start of the added ones: it goes out once they are ready,
 * or after MASTER_UA_WAIT seconds if one is not.
 */
static void
luns_changed_later(struct master *m, struct mtarget *mt, int added)
{
	struct timeval	 tv = { MASTER_UA_WAIT, 0 };

	if (added == 0) {
		if (mt->ua_wait == 0)
			luns_changed(m, mt);
		return;
	}
	if (mt->ev_ua == NULL && (mt->ev_ua = evtimer_new(m->evb,
	    luns_changed_cb, mt)) == NULL) {
		log_warn("evtimer_new");
		luns_changed(m, mt);
		return;
	}
	mt->ua_wait += added;
	evtimer_add(mt->ev_ua, &tv);
}

void
luns_added_ready(struct master *m, struct mlun *ml)
{
	struct mtarget	*mt = ml->target;

	if (!ml->ua_new || mt->ua_wait == 0)
		return;
	if (--mt->ua_wait == 0)
		luns_changed(m, mt);
}

void
master_commit(struct master *m, struct apply *a)
{
	struct tgt_conf	*old = m->conf;
	struct mportal	*mp, *mpn;
	struct mtarget	*mt, *mtn;
	struct mlun	*ml, *mln;
	int		 changed, added, resend;

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
		changed = added = 0;
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
		 * target (luns_changed_later()).
		 */
		TAILQ_FOREACH_SAFE(ml, &a->luns, entry, mln) {
			if (ml->target != mt)
				continue;
			TAILQ_REMOVE(&a->luns, ml, entry);
			ml->lun_id = m->next_lun_id++;
			ml->ua_new = 1;
			TAILQ_INSERT_TAIL(&mt->luns, ml, entry);
			svc_start(&ml->svc);
			changed = 1;
			added++;
		}
		if (changed)
			luns_changed_later(m, mt, added);
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
		if (mp->keep)
			mp->listen.pgroup = mp->next_pgroup;
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
	/* port-groups and their listeners: every LUN gets the table */
	alua_reload(m);
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
	if (ml->ev_ping != NULL)
		event_free(ml->ev_ping);
	svc_stop(&ml->svc);
	if (ml->fd != -1)
		close(ml->fd);
	idset_free(&ml->rings);
	free(ml->inv);
	if (ml->rbd != NULL)
		explicit_bzero(ml->rbd, sizeof(*ml->rbd));
	free(ml->rbd);
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
	if (mt->ev_ua != NULL)
		event_free(mt->ev_ua);
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
	svc_stop(&m->launcher);
}

void
master_free(struct master *m)
{
	master_stop_all(m);
	conf_free(m->conf);
	m->conf = NULL;
	free(m->exits);
	m->exits = NULL;
	m->nexits = 0;
	if (m->ev_launch != NULL)
		event_free(m->ev_launch);
	m->ev_launch = NULL;
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
void
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
	r.rel_port = portal_rel_port(mp);
	r.geom = g;
	if (msgchan_send(&ml->svc.proc->chan, MSG_LUN_RING_ADD, r.lun_id,
	    lfds, 3, &r, sizeof(r)) == 0)
		idset_add(&ml->rings, mp->portal_id);
	msgchan_send(&mp->svc.proc->chan, MSG_PORTAL_LUN, r.target_id,
	    pfds, 3, &r, sizeof(r));
	if (ml->failed)
		lun_down_send(mp, ml);	/* it reads no ring */
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
		lun_down(p->m, ml, 0);
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
void
proc_bad(struct proc *p, const struct msg *msg)
{
	log_warnx("%s[%s]: malformed message type %u len %u, killing it",
	    role_name(p->role), p->instance, msg->hdr.type, msg->hdr.len);
	proc_signal(p, SIGKILL);
}

void
master_log_verbose(struct master *m, int level)
{
	struct proc	*p;
	int32_t		 v = level;

	log_setverbose(level);
	m->verbose = level;
	/* the launcher passes the level on to each LUN process */
	TAILQ_FOREACH(p, &m->procs, entry)
		if (p->chan_up && p->role != ROLE_LAUNCHER)
			msgchan_send(&p->chan, MSG_LOG_VERBOSE, 0, NULL, 0, &v,
			    sizeof(v));
	log_info("log %s", level ? "verbose" : "brief");
}
