/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * The control socket: AF_UNIX SOCK_SEQPACKET, one message channel per
 * client, root only.  Listings of what the master knows are answered
 * here; what portals know (sessions, connections, session drop) is
 * forwarded to every running portal, and statistics to every running
 * LUN (peerid is the client id); their answers are relayed, with a
 * single END once all answered or after a timeout.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "master.h"

struct ctl_conn {
	TAILQ_ENTRY(ctl_conn)	 entry;
	struct master		*m;
	uint32_t		 id;
	struct msgchan		 chan;
	struct idset		 waiting;	/* portals owing an END */
	struct idset		 waiting_luns;	/* LUNs owing statistics */
	int			 nwaiting;
	uint32_t		 relay;		/* request being relayed */
	struct event		*ev_timeout;
	int			 refused;	/* not root: only errors */
};

static void	 control_accept(evutil_socket_t, short, void *);
static void	 control_dispatch(struct msgchan *, struct msg *, void *);
static void	 control_closed(struct msgchan *, void *);
static void	 control_free(struct ctl_conn *);
static struct ctl_conn *control_find(struct master *, uint32_t);

/* Create the socket (before daemon(), so that errors are visible). */
int
control_init(struct master *m, const char *path)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	mode_t			 old;
	int			 s;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		log_warnx("control socket %s: path too long", path);
		return (-1);
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_warnx("control socket %s: exists and is not a "
			    "socket", path);
			return (-1);
		}
		/* stale socket of a previous run */
		if (unlink(path) == -1) {
			log_warn("control socket %s: unlink", path);
			return (-1);
		}
	}
	if ((s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		log_warn("control socket");
		return (-1);
	}
	old = umask(0077);
	if (bind(s, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		log_warn("control socket %s: bind", path);
		umask(old);
		close(s);
		return (-1);
	}
	umask(old);
	if (chmod(path, 0600) == -1 || listen(s, 16) == -1) {
		log_warn("control socket %s", path);
		unlink(path);
		close(s);
		return (-1);
	}
	m->ctl_fd = s;
	strlcpy(m->ctl_path, path, sizeof(m->ctl_path));
	return (0);
}

int
control_listen(struct master *m)
{
	if ((m->ev_ctl = event_new(m->evb, m->ctl_fd, EV_READ | EV_PERSIST,
	    control_accept, m)) == NULL || event_add(m->ev_ctl, NULL) == -1) {
		log_warn("control socket event");
		return (-1);
	}
	return (0);
}

void
control_close(struct master *m)
{
	struct ctl_conn	*c;

	while ((c = TAILQ_FIRST(&m->ctl_conns)) != NULL)
		control_free(c);
	if (m->ev_ctl != NULL) {
		event_free(m->ev_ctl);
		m->ev_ctl = NULL;
	}
	if (m->ctl_fd != -1) {
		close(m->ctl_fd);
		m->ctl_fd = -1;
		unlink(m->ctl_path);
	}
}

static void
control_error(struct ctl_conn *c, const char *text)
{
	struct msg_error	 e;

	memset(&e, 0, sizeof(e));
	strlcpy(e.text, text, sizeof(e.text));
	msgchan_send(&c->chan, MSG_CTL_ERROR, 0, NULL, 0, &e, sizeof(e));
}

static void
control_accept(evutil_socket_t fd, short ev, void *arg)
{
	struct master		*m = arg;
	struct ctl_conn		*c;
	struct ucred		 cred;
	socklen_t		 len = sizeof(cred);
	int			 s;

	if ((s = accept4(m->ctl_fd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) == -1) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("control accept");
		return;
	}
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		cred.uid = (uid_t)-1;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("control");
		close(s);
		return;
	}
	c->m = m;
	c->id = m->next_ctl_id++;
	if (m->next_ctl_id == 0)
		m->next_ctl_id = 1;
	if (msgchan_init(&c->chan, m->evb, s, control_dispatch,
	    control_closed, c) == -1) {
		log_warn("control channel");
		close(s);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&m->ctl_conns, c, entry);
	if (cred.uid != 0) {
		/*
		 * Refuse, but keep the connection until the client closes
		 * it: closing with its request unread would turn our answer
		 * into a connection reset on its side.
		 */
		log_warnx("control: refused client uid %d", (int)cred.uid);
		c->refused = 1;
		control_error(c, "permission denied");
	}
}

static void
control_free(struct ctl_conn *c)
{
	TAILQ_REMOVE(&c->m->ctl_conns, c, entry);
	if (c->ev_timeout != NULL)
		event_free(c->ev_timeout);
	idset_free(&c->waiting);
	idset_free(&c->waiting_luns);
	msgchan_clear(&c->chan);
	free(c);
}

static void
control_closed(struct msgchan *ch, void *arg)
{
	control_free(arg);
}

static void
control_end(struct ctl_conn *c)
{
	idset_clear(&c->waiting);
	idset_clear(&c->waiting_luns);
	c->nwaiting = 0;
	c->relay = 0;
	if (c->ev_timeout != NULL)
		evtimer_del(c->ev_timeout);
	msgchan_send(&c->chan, MSG_CTL_END, 0, NULL, 0, NULL, 0);
}

static void
control_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct ctl_conn	*c = arg;

	log_debug("control: request %u: %d process(es) did not answer",
	    c->relay, c->nwaiting);
	control_end(c);
}

static void
show_targets(struct ctl_conn *c)
{
	struct mtarget		*mt;
	struct mlun		*ml;
	struct ctl_target	 t;

	TAILQ_FOREACH(mt, &c->m->targets, entry) {
		memset(&t, 0, sizeof(t));
		t.target_id = mt->target_id;
		t.flags = mt->flags;
		if (mt->draining)
			t.flags |= CTL_TARGET_F_DRAINING;
		strlcpy(t.name, mt->name, sizeof(t.name));
		TAILQ_FOREACH(ml, &mt->luns, entry)
			t.nluns++;
		msgchan_send(&c->chan, MSG_CTL_TARGET, 0, NULL, 0, &t,
		    sizeof(t));
	}
	msgchan_send(&c->chan, MSG_CTL_END, 0, NULL, 0, NULL, 0);
}

static void
show_luns(struct ctl_conn *c)
{
	struct mtarget	*mt;
	struct mlun	*ml;
	struct ctl_lun	 l;

	TAILQ_FOREACH(mt, &c->m->targets, entry)
		TAILQ_FOREACH(ml, &mt->luns, entry) {
			memset(&l, 0, sizeof(l));
			l.lun_id = ml->lun_id;
			l.block_size = ml->block_size;
			l.lun = ml->conf.lun;
			l.size = ml->ready ? ml->size : 0;
			/* -1: the launcher has not said yet */
			l.pid = ml->svc.proc != NULL && ml->svc.proc->pid > 0 ?
			    ml->svc.proc->pid : 0;
			l.restarts = ml->svc.restarts;
			l.backend = ml->conf.type == LUN_TYPE_PASSTHROUGH ?
			    LUN_BACKEND_SG : ml->conf.backend;
			l.flags = ml->conf.flags;
			if (ml->offline)
				l.flags |= CTL_LUN_F_OFFLINE;
			strlcpy(l.target, mt->name, sizeof(l.target));
			/* a tape or optical drive: the medium it holds now */
			strlcpy(l.path, ml->conf.type == LUN_TYPE_TAPE ||
			    ml->conf.type == LUN_TYPE_OPTICAL ?
			    ml->medium : ml->conf.path, sizeof(l.path));
			msgchan_send(&c->chan, MSG_CTL_LUN, 0, NULL, 0, &l,
			    sizeof(l));
		}
	msgchan_send(&c->chan, MSG_CTL_END, 0, NULL, 0, NULL, 0);
}

static void
relay_wait(struct ctl_conn *c)
{
	struct timeval	 tv;

	if (c->nwaiting == 0) {
		control_end(c);
		return;
	}
	if (c->ev_timeout == NULL &&
	    (c->ev_timeout = evtimer_new(c->m->evb, control_timeout, c)) ==
	    NULL) {
		control_end(c);
		return;
	}
	tv.tv_sec = MASTER_CTL_TIMEOUT;
	tv.tv_usec = 0;
	evtimer_add(c->ev_timeout, &tv);
}

/* Forward a request to every running portal, relay the answers. */
static void
relay_portals(struct ctl_conn *c, uint32_t type, const void *data,
    size_t len)
{
	struct mportal	*mp;

	c->relay = type;
	TAILQ_FOREACH(mp, &c->m->portals, entry) {
		if (!svc_running(&mp->svc))
			continue;
		if (msgchan_send(&mp->svc.proc->chan, type, c->id, NULL, 0,
		    data, len) == -1)
			continue;
		if (idset_add(&c->waiting, mp->portal_id) == -1)
			continue;
		c->nwaiting++;
	}
	relay_wait(c);
}

/* Where every cartridge is: the drives, then the changers' elements. */
static void
show_cartridges(struct ctl_conn *c)
{
	struct mtarget		*mt;
	struct mlun		*ml;
	struct ctl_cartridge	 cc;
	uint32_t		 i;

	TAILQ_FOREACH(mt, &c->m->targets, entry)
		TAILQ_FOREACH(ml, &mt->luns, entry) {
			if (ml->conf.type != LUN_TYPE_TAPE ||
			    ml->cartridge[0] == '\0')
				continue;
			memset(&cc, 0, sizeof(cc));
			cc.lun = ml->conf.lun;
			cc.kind = CHANGER_DRIVE;
			strlcpy(cc.target, mt->name, sizeof(cc.target));
			strlcpy(cc.barcode, ml->cartridge, sizeof(cc.barcode));
			msgchan_send(&c->chan, MSG_CTL_CARTRIDGE, 0, NULL, 0,
			    &cc, sizeof(cc));
		}
	TAILQ_FOREACH(mt, &c->m->targets, entry)
		TAILQ_FOREACH(ml, &mt->luns, entry) {
			if (ml->conf.type != LUN_TYPE_CHANGER ||
			    ml->inv == NULL)
				continue;
			for (i = 0; i < ml->inv->n; i++) {
				/* the drives were listed by the master's view */
				if (ml->inv->e[i].kind == CHANGER_DRIVE)
					continue;
				memset(&cc, 0, sizeof(cc));
				cc.lun = ml->conf.lun;
				cc.kind = ml->inv->e[i].kind;
				cc.index = ml->inv->e[i].index;
				strlcpy(cc.target, mt->name, sizeof(cc.target));
				memcpy(cc.barcode, ml->inv->e[i].barcode,
				    sizeof(cc.barcode));
				cc.barcode[sizeof(cc.barcode) - 1] = '\0';
				msgchan_send(&c->chan, MSG_CTL_CARTRIDGE, 0,
				    NULL, 0, &cc, sizeof(cc));
			}
		}
	msgchan_send(&c->chan, MSG_CTL_END, 0, NULL, 0, NULL, 0);
}

static void
show_stats(struct ctl_conn *c)
{
	struct mtarget	*mt;
	struct mlun	*ml;

	c->relay = MSG_CTL_SHOW_STATS;
	TAILQ_FOREACH(mt, &c->m->targets, entry)
		TAILQ_FOREACH(ml, &mt->luns, entry) {
			if (!svc_running(&ml->svc) || !ml->ready)
				continue;
			if (msgchan_send(&ml->svc.proc->chan, MSG_LUN_STATS,
			    c->id, NULL, 0, NULL, 0) == -1)
				continue;
			if (idset_add(&c->waiting_luns, ml->lun_id) == -1)
				continue;
			c->nwaiting++;
		}
	relay_wait(c);
}

static void
show_portals(struct ctl_conn *c)
{
	struct mportal		*mp;
	struct ctl_portal	 p;

	TAILQ_FOREACH(mp, &c->m->portals, entry) {
		memset(&p, 0, sizeof(p));
		p.portal_id = mp->portal_id;
		p.pid = mp->svc.proc != NULL ? mp->svc.proc->pid : 0;
		p.restarts = mp->svc.restarts;
		if (mp->draining)
			p.state = CTL_PORTAL_DRAINING;
		else if (!svc_running(&mp->svc))
			p.state = CTL_PORTAL_STOPPED;
		else
			p.state = CTL_PORTAL_RUNNING;
		strlcpy(p.addr, mp->listen.name, sizeof(p.addr));
		if (mp->listen.iser)
			strlcat(p.addr, " iser", sizeof(p.addr));
		msgchan_send(&c->chan, MSG_CTL_PORTAL, 0, NULL, 0, &p,
		    sizeof(p));
	}
	msgchan_send(&c->chan, MSG_CTL_END, 0, NULL, 0, NULL, 0);
}

static void
attr(struct ctl_conn *c, const char *target, const char *key,
    const char *value)
{
	struct ctl_attr	 a;

	memset(&a, 0, sizeof(a));
	strlcpy(a.target, target, sizeof(a.target));
	strlcpy(a.key, key, sizeof(a.key));
	strlcpy(a.value, value, sizeof(a.value));
	msgchan_send(&c->chan, MSG_CTL_ATTR, 0, NULL, 0, &a, sizeof(a));
}

/*
 * A target's settings as key/value pairs, secrets left out: show target.
 * Access rules and CHAP users are listed as they are configured.
 */
static void
show_attrs(struct ctl_conn *c, struct msg *msg)
{
	struct ctl_name		 n;
	struct mtarget		*mt;
	struct conf_target	*ct;
	struct conf_acl		*acl;
	struct conf_chap	*chap;
	char			 buf[INET6_ADDRSTRLEN + 8];

	if (MSG_GET(msg, &n) == -1) {
		control_error(c, "malformed request");
		return;
	}
	n.name[sizeof(n.name) - 1] = '\0';
	TAILQ_FOREACH(mt, &c->m->targets, entry)
		if (strcmp(mt->name, n.name) == 0)
			break;
	if (mt == NULL) {
		control_error(c, "no such target");
		return;
	}
	attr(c, mt->name, "state", mt->draining ? "draining" : "running");
	if (mt->alias[0] != '\0')
		attr(c, mt->name, "alias", mt->alias);
	if (mt->flags & TARGET_F_ALLOW_ALL)
		attr(c, mt->name, "allow", "all");
	/* the rules as configured: a draining target has none left */
	ct = NULL;
	if (!mt->draining && c->m->conf != NULL)
		TAILQ_FOREACH(ct, &c->m->conf->targets, entry)
			if (strcmp(ct->name, mt->name) == 0)
				break;
	if (ct != NULL) {
		TAILQ_FOREACH(acl, &ct->acls, entry) {
			if (acl->rule.type == ACL_INITIATOR) {
				acl->rule.pattern[sizeof(acl->rule.pattern) -
				    1] = '\0';
				attr(c, mt->name, "allow initiator",
				    acl->rule.pattern);
				continue;
			}
			if (inet_ntop(acl->rule.family == 6 ? AF_INET6 :
			    AF_INET, acl->rule.addr, buf, sizeof(buf)) ==
			    NULL)
				continue;
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
			    "/%u", acl->rule.prefix);
			attr(c, mt->name, "allow address", buf);
		}
		/* user names only: secrets never leave the master */
		TAILQ_FOREACH(chap, &ct->auth.chap, entry)
			attr(c, mt->name, "auth chap user", chap->user);
		if (ct->auth.mutual != NULL)
			attr(c, mt->name, "auth mutual user",
			    ct->auth.mutual->user);
		if (ct->access & ACCESS_F_REDIRECT)
			attr(c, mt->name, "redirect", ct->redirect);
	}
	if (!(mt->flags & TARGET_F_ALLOW_ALL) && (ct == NULL ||
	    TAILQ_EMPTY(&ct->acls)))
		attr(c, mt->name, "allow", "none");
	msgchan_send(&c->chan, MSG_CTL_END, 0, NULL, 0, NULL, 0);
}

static void
log_verbose(struct ctl_conn *c, struct msg *msg)
{
	int32_t	 v;

	if (MSG_GET(msg, &v) == -1 || v < 0 || v > 4) {
		control_error(c, "malformed request");
		return;
	}
	master_log_verbose(c->m, v);
	msgchan_send(&c->chan, MSG_CTL_OK, 0, NULL, 0, NULL, 0);
}

static void
lun_state(struct ctl_conn *c, struct msg *msg)
{
	struct ctl_lun_state	 ls;

	if (MSG_GET(msg, &ls) == -1 || ls.offline > 1) {
		control_error(c, "malformed request");
		return;
	}
	ls.target[sizeof(ls.target) - 1] = '\0';
	if (master_lun_state(c->m, ls.target, ls.lun, ls.offline) == -1) {
		control_error(c, "no such LUN");
		return;
	}
	msgchan_send(&c->chan, MSG_CTL_OK, 0, NULL, 0, NULL, 0);
}

static void
session_drop(struct ctl_conn *c, struct msg *msg)
{
	struct ctl_session_drop	 d;

	if (MSG_GET(msg, &d) == -1) {
		control_error(c, "malformed request");
		return;
	}
	d.target[sizeof(d.target) - 1] = '\0';
	relay_portals(c, MSG_CTL_SESSION_DROP, &d, sizeof(d));
}

static void
pgroup_reply(void *arg, const struct ctl_pgroup *g)
{
	struct ctl_conn	*c = arg;

	msgchan_send(&c->chan, MSG_CTL_PGROUP, 0, NULL, 0, g, sizeof(*g));
}

/* tgtctl show port-groups */
static void
show_pgroups(struct ctl_conn *c)
{
	alua_show(c->m, pgroup_reply, c);
	msgchan_send(&c->chan, MSG_CTL_END, 0, NULL, 0, NULL, 0);
}

/* tgtctl port-group N state S */
static void
pgroup_state(struct ctl_conn *c, struct msg *msg)
{
	struct ctl_pgroup_state	 ps;
	char			 err[128];

	if (MSG_GET(msg, &ps) == -1 || ps.id > 0xffff || ps.state > 0xff) {
		control_error(c, "malformed request");
		return;
	}
	if (alua_set(c->m, ps.id, ps.state, err, sizeof(err)) == -1) {
		control_error(c, err);
		return;
	}
	msgchan_send(&c->chan, MSG_CTL_OK, 0, NULL, 0, NULL, 0);
}

/* tgtctl drive load|unload: a cartridge into or out of a tape drive. */
static void
drive_op(struct ctl_conn *c, struct msg *msg)
{
	struct ctl_drive	 d;
	struct mlun		*ml = NULL;
	char			 err[TGT_ERR_MAX];
	int			 r;

	if (MSG_GET(msg, &d) == -1 || (d.op != DRIVE_OP_LOAD &&
	    d.op != DRIVE_OP_UNLOAD)) {
		control_error(c, "malformed request");
		return;
	}
	if (c->nwaiting > 0) {
		control_error(c, "a request is already in progress");
		return;
	}
	d.target[sizeof(d.target) - 1] = '\0';
	d.barcode[sizeof(d.barcode) - 1] = '\0';
	err[0] = '\0';
	r = master_drive(c->m, &d, c->id, &ml, err, sizeof(err));
	if (r == -1)
		control_error(c, err);
	else if (r == 0)
		msgchan_send(&c->chan, MSG_CTL_OK, 0, NULL, 0, NULL, 0);
	else if (idset_add(&c->waiting_luns, ml->lun_id) == -1)
		control_error(c, "out of memory");
	else {
		c->relay = MSG_CTL_DRIVE;
		c->nwaiting = 1;
		relay_wait(c);
	}
}

/* tgtctl library insert|eject: a cartridge into or out of a mail slot. */
static void
mailslot_op(struct ctl_conn *c, struct msg *msg)
{
	struct ctl_mailslot	 cm;
	struct mlun		*ml = NULL;
	char			 err[TGT_ERR_MAX];

	if (MSG_GET(msg, &cm) == -1 || (cm.op != MAILSLOT_INSERT &&
	    cm.op != MAILSLOT_EJECT)) {
		control_error(c, "malformed request");
		return;
	}
	if (c->nwaiting > 0) {
		control_error(c, "a request is already in progress");
		return;
	}
	cm.target[sizeof(cm.target) - 1] = '\0';
	cm.barcode[sizeof(cm.barcode) - 1] = '\0';
	err[0] = '\0';
	if (master_mailslot(c->m, &cm, c->id, &ml, err, sizeof(err)) == -1)
		control_error(c, err);
	else if (idset_add(&c->waiting_luns, ml->lun_id) == -1)
		control_error(c, "out of memory");
	else {
		c->relay = MSG_CTL_MAILSLOT;
		c->nwaiting = 1;
		relay_wait(c);
	}
}

/* The changer did what mailslot_op() asked, or says why not (err). */
void
control_mailslot_reply(struct master *m, struct mlun *ml, uint32_t ctl_id,
    const char *err)
{
	struct ctl_conn	*c;

	if ((c = control_find(m, ctl_id)) == NULL ||
	    c->relay != MSG_CTL_MAILSLOT ||
	    !idset_has(&c->waiting_luns, ml->lun_id))
		return;
	idset_clear(&c->waiting_luns);
	c->nwaiting = 0;
	c->relay = 0;
	if (c->ev_timeout != NULL)
		evtimer_del(c->ev_timeout);
	if (err[0] == '\0')
		msgchan_send(&c->chan, MSG_CTL_OK, 0, NULL, 0, NULL, 0);
	else
		control_error(c, err);
}

/* The drive did what drive_op() asked, or said why not. */
void
control_drive_reply(struct master *m, struct mlun *ml, uint32_t ctl_id,
    const struct msg_lun_medium_done *d)
{
	struct ctl_conn	*c;
	char		 text[sizeof(d->text)];

	if ((c = control_find(m, ctl_id)) == NULL ||
	    c->relay != MSG_CTL_DRIVE ||
	    !idset_has(&c->waiting_luns, ml->lun_id))
		return;
	idset_clear(&c->waiting_luns);
	c->nwaiting = 0;
	c->relay = 0;
	if (c->ev_timeout != NULL)
		evtimer_del(c->ev_timeout);
	if (d->ok)
		msgchan_send(&c->chan, MSG_CTL_OK, 0, NULL, 0, NULL, 0);
	else {
		memcpy(text, d->text, sizeof(text));
		text[sizeof(text) - 1] = '\0';
		control_error(c, text);
	}
}

static void
control_dispatch(struct msgchan *ch, struct msg *msg, void *arg)
{
	struct ctl_conn	*c = arg;
	char		 err[TGT_ERR_MAX];

	if (c->refused) {
		control_error(c, "permission denied");
		msg_free(msg);
		return;
	}
	switch (msg->hdr.type) {
	case MSG_CTL_SHOW_TARGETS:
		show_targets(c);
		break;
	case MSG_CTL_SHOW_LUNS:
		show_luns(c);
		break;
	case MSG_CTL_SHOW_CARTRIDGES:
		show_cartridges(c);
		break;
	case MSG_CTL_SHOW_PORTALS:
		show_portals(c);
		break;
	case MSG_CTL_SHOW_ATTRS:
		show_attrs(c, msg);
		break;
	case MSG_CTL_SHOW_PGROUPS:
		if (msg->hdr.len != 0)
			control_error(c, "malformed request");
		else
			show_pgroups(c);
		break;
	case MSG_CTL_PGROUP_STATE:
		pgroup_state(c, msg);
		break;
	case MSG_CTL_LOG_VERBOSE:
		log_verbose(c, msg);
		break;
	case MSG_CTL_LUN_STATE:
		lun_state(c, msg);
		break;
	case MSG_CTL_DRIVE:
		drive_op(c, msg);
		break;
	case MSG_CTL_MAILSLOT:
		mailslot_op(c, msg);
		break;
	case MSG_CTL_SHOW_SESSIONS:
	case MSG_CTL_SHOW_CONNECTIONS:
	case MSG_CTL_SHOW_STATS:
	case MSG_CTL_SESSION_DROP:
		if (c->nwaiting > 0) {
			control_error(c, "a request is already in progress");
			break;
		}
		if (msg->hdr.type == MSG_CTL_SHOW_STATS)
			show_stats(c);
		else if (msg->hdr.type == MSG_CTL_SESSION_DROP)
			session_drop(c, msg);
		else if (msg->hdr.len != 0)
			control_error(c, "malformed request");
		else
			relay_portals(c, msg->hdr.type, NULL, 0);
		break;
	case MSG_CTL_RELOAD:
		if (master_reload(c->m, err, sizeof(err)) == -1)
			control_error(c, err);
		else
			msgchan_send(&c->chan, MSG_CTL_OK, 0, NULL, 0, NULL,
			    0);
		break;
	default:
		log_debug("control: unknown request %u", msg->hdr.type);
		control_error(c, "unknown request");
		break;
	}
	msg_free(msg);
}

static struct ctl_conn *
control_find(struct master *m, uint32_t id)
{
	struct ctl_conn	*c;

	TAILQ_FOREACH(c, &m->ctl_conns, entry)
		if (c->id == id)
			return (c);
	return (NULL);
}

int
control_portal_reply(struct master *m, struct mportal *mp, struct msg *msg)
{
	struct ctl_conn		*c;
	struct ctl_session	 s;
	struct ctl_connection	 cc;

	if (msg->hdr.type == MSG_CTL_SESSION) {
		if (MSG_GET(msg, &s) == -1)
			return (-1);
		s.initiator[sizeof(s.initiator) - 1] = '\0';
		s.target[sizeof(s.target) - 1] = '\0';
		s.peer[sizeof(s.peer) - 1] = '\0';
		s.local[sizeof(s.local) - 1] = '\0';
		s.portal_id = mp->portal_id;
	} else if (msg->hdr.type == MSG_CTL_CONNECTION) {
		if (MSG_GET(msg, &cc) == -1)
			return (-1);
		cc.initiator[sizeof(cc.initiator) - 1] = '\0';
		cc.target[sizeof(cc.target) - 1] = '\0';
		cc.peer[sizeof(cc.peer) - 1] = '\0';
		cc.local[sizeof(cc.local) - 1] = '\0';
		cc.portal_id = mp->portal_id;
	} else if (msg->hdr.len != 0)
		return (-1);

	/* the client may be gone, or this answer late: drop it */
	if ((c = control_find(m, msg->hdr.peerid)) == NULL ||
	    !idset_has(&c->waiting, mp->portal_id))
		return (0);
	if (msg->hdr.type == MSG_CTL_SESSION) {
		if (c->relay == MSG_CTL_SHOW_SESSIONS ||
		    c->relay == MSG_CTL_SESSION_DROP)
			msgchan_send(&c->chan, MSG_CTL_SESSION, 0, NULL, 0,
			    &s, sizeof(s));
		return (0);
	}
	if (msg->hdr.type == MSG_CTL_CONNECTION) {
		if (c->relay == MSG_CTL_SHOW_CONNECTIONS)
			msgchan_send(&c->chan, MSG_CTL_CONNECTION, 0, NULL, 0,
			    &cc, sizeof(cc));
		return (0);
	}
	idset_del(&c->waiting, mp->portal_id);
	if (--c->nwaiting == 0)
		control_end(c);
	return (0);
}

/* A portal went away: whoever waits for it stops waiting. */
void
control_portal_gone(struct master *m, struct mportal *mp)
{
	struct ctl_conn	*c;

	TAILQ_FOREACH(c, &m->ctl_conns, entry) {
		if (!idset_has(&c->waiting, mp->portal_id))
			continue;
		idset_del(&c->waiting, mp->portal_id);
		if (--c->nwaiting == 0)
			control_end(c);
	}
}

int
control_lun_reply(struct master *m, struct mlun *ml, struct msg *msg)
{
	struct ctl_conn		*c;
	struct ctl_lun_stats	 st;

	if (MSG_GET(msg, &st) == -1)
		return (-1);
	st.lun_id = ml->lun_id;
	st.lun = ml->conf.lun;
	strlcpy(st.target, ml->target->name, sizeof(st.target));
	if ((c = control_find(m, msg->hdr.peerid)) == NULL ||
	    !idset_has(&c->waiting_luns, ml->lun_id))
		return (0);
	msgchan_send(&c->chan, MSG_CTL_STATS, 0, NULL, 0, &st, sizeof(st));
	idset_del(&c->waiting_luns, ml->lun_id);
	if (--c->nwaiting == 0)
		control_end(c);
	return (0);
}

void
control_lun_gone(struct master *m, struct mlun *ml)
{
	struct ctl_conn	*c;

	TAILQ_FOREACH(c, &m->ctl_conns, entry) {
		if (!idset_has(&c->waiting_luns, ml->lun_id))
			continue;
		idset_del(&c->waiting_luns, ml->lun_id);
		if (--c->nwaiting == 0)
			control_end(c);
	}
}

/* Reload changed the control socket path: move there, keep clients. */
void
control_move(struct master *m, const char *path)
{
	struct event	*oev = m->ev_ctl;
	char		 opath[sizeof(m->ctl_path)];
	int		 ofd = m->ctl_fd;

	strlcpy(opath, m->ctl_path, sizeof(opath));
	if (control_init(m, path) == -1) {
		m->ctl_fd = ofd;
		log_warnx("control socket stays %s", opath);
		return;
	}
	m->ev_ctl = NULL;
	if (control_listen(m) == -1) {
		close(m->ctl_fd);
		unlink(m->ctl_path);
		m->ctl_fd = ofd;
		m->ev_ctl = oev;
		strlcpy(m->ctl_path, opath, sizeof(m->ctl_path));
		return;
	}
	if (oev != NULL)
		event_free(oev);
	close(ofd);
	unlink(opath);
	log_info("control socket moved to %s", path);
}
