/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * tgt-portal: the unprivileged process that speaks iSCSI on the listeners
 * tgt-master hands it.  main() sandboxes the process before it reads a
 * single message, then runs the event loop; the master's messages
 * configure listeners, targets and the rings to the LUN processes.
 */

#include <sys/queue.h>

#include <err.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "auth.h"
#include "child.h"
#include "isns.h"
#include "log.h"
#include "login.h"
#include "sandbox.h"
#include "transport.h"

struct portal	*portal;
static struct portal	 portal_store;

static void	 portal_dispatch(struct msgchan *, struct msg *, void *);
static void	 portal_closed(struct msgchan *, void *);
static void	 portal_sigterm(int, short, void *);

int
main(int argc, char *argv[])
{
	struct child_opts	 o;
	struct event		*ev_term;

	child_start(argc, argv, "tgt-portal", &o);

	portal = &portal_store;
	TAILQ_INIT(&portal->listeners);
	TAILQ_INIT(&portal->targets);
	TAILQ_INIT(&portal->sessions);
	portal->max_cmds = PORTAL_DEF_QUEUE;
	portal->master.fd = -1;

	if ((portal->evb = event_base_new()) == NULL)
		fatalx("event_base_new");

	/* Nothing untrusted has been read yet: lock ourselves in first. */
	/* SIGTERM: sessions are asked to log out first (session.c) */
	if ((ev_term = evsignal_new(portal->evb, SIGTERM, portal_sigterm,
	    NULL)) == NULL || evsignal_add(ev_term, NULL) == -1)
		fatalx("SIGTERM handler");
	/*
	 * iSER: the RDMA CM channel and the devices are opened before the
	 * chroot, by the unprivileged user; nothing RDMA is opened later.
	 */
	if (o.rdma)
		sandbox_drop_rdma(o.user, o.chroot, iser_init);
	else
		sandbox_drop(o.user, o.chroot);
	sandbox_seccomp(o.rdma ? SANDBOX_PORTAL_RDMA : SANDBOX_PORTAL);

	if (msgchan_init(&portal->master, portal->evb, TGT_CHILD_FD,
	    portal_dispatch, portal_closed, NULL) == -1)
		fatal("master channel");
	log_debug("started");
	event_base_dispatch(portal->evb);
	return (0);
}

static void
portal_closed(struct msgchan *mc, void *arg)
{
	log_info("master went away");
	session_shutdown(PORTAL_STOP_WAIT);
}

static void
portal_sigterm(int sig, short ev, void *arg)
{
	session_shutdown(PORTAL_STOP_WAIT);
}

static struct ptarget *
ptarget_by_id(uint32_t id)
{
	struct ptarget	*t;

	TAILQ_FOREACH(t, &portal->targets, entry)
		if (t->target_id == id)
			return (t);
	return (NULL);
}

static void
portal_config(struct msg *m)
{
	struct msg_portal_config	 pc;

	if (MSG_GET(m, &pc) == -1) {
		log_warnx("bad PORTAL_CONFIG");
		return;
	}
	portal->portal_id = pc.portal_id;
	portal->tpgt = pc.tpgt != 0 ? pc.tpgt : 1;
	portal->rel_port = pc.rel_port != 0 ? pc.rel_port :
	    portal->portal_id + 1;
	portal->max_cmds = pc.max_cmds;
	if (portal->max_cmds == 0 || portal->max_cmds > 65536)
		portal->max_cmds = PORTAL_DEF_QUEUE;
	portal->max_xfer = pc.max_xfer;
	portal->nop_interval = pc.nop_interval > 3600 ? 3600 : pc.nop_interval;
	portal->nop_timeout = pc.nop_timeout > 3600 ? 3600 : pc.nop_timeout;
	pc.advertise[sizeof(pc.advertise) - 1] = '\0';
	strlcpy(portal->advertise, pc.advertise, sizeof(portal->advertise));
	if (portal->nop_timeout == 0)
		portal->nop_timeout = 1;
	log_debug("portal %u tpgt %u queue %u max transfer %u nop %u/%u s",
	    portal->portal_id, portal->tpgt, portal->max_cmds,
	    portal->max_xfer, portal->nop_interval, portal->nop_timeout);
	conn_nop_reset();
}

static void
portal_listen(struct msg *m)
{
	struct msg_listen	 ml;
	struct portal_listener	*pl;
	int			 fl;

	if (MSG_GET(m, &ml) == -1 || (ml.transport == CTL_TRANSPORT_ISER ?
	    m->nfds != 0 || ml.sslen > sizeof(ml.ss) ||
	    (ml.ss.ss_family != AF_INET && ml.ss.ss_family != AF_INET6) :
	    m->nfds != 1 || m->fds[0] < 0)) {
		log_warnx("bad PORTAL_LISTEN");
		return;
	}
	ml.addr[sizeof(ml.addr) - 1] = '\0';
	if ((pl = calloc(1, sizeof(*pl))) == NULL) {
		log_warn("listener");
		return;
	}
	if (ml.transport == CTL_TRANSPORT_ISER) {
		pl->fd = -1;
		strlcpy(pl->addr, ml.addr, sizeof(pl->addr));
		if (iser_listen(pl, (struct sockaddr *)&ml.ss) == -1) {
			free(pl);
			return;
		}
		TAILQ_INSERT_TAIL(&portal->listeners, pl, entry);
		log_debug("listener %s (iser)", pl->addr);
		return;
	}
	pl->fd = m->fds[0];
	m->fds[0] = -1;
	strlcpy(pl->addr, ml.addr, sizeof(pl->addr));
	if ((fl = fcntl(pl->fd, F_GETFL)) == -1 ||
	    fcntl(pl->fd, F_SETFL, fl | O_NONBLOCK) == -1)
		log_warn("%s: non-blocking", pl->addr);
	if ((pl->ev = event_new(portal->evb, pl->fd, EV_READ | EV_PERSIST,
	    conn_accept, pl)) == NULL) {
		log_warnx("%s: event", pl->addr);
		close(pl->fd);
		free(pl);
		return;
	}
	TAILQ_INSERT_TAIL(&portal->listeners, pl, entry);
	if (portal->started)
		event_add(pl->ev, NULL);
	log_debug("listener %s", pl->addr);
}

static void
portal_target(struct msg *m)
{
	struct msg_target	 mt;
	struct ptarget		*t;

	if (MSG_GET(m, &mt) == -1) {
		log_warnx("bad PORTAL_TARGET");
		return;
	}
	mt.name[sizeof(mt.name) - 1] = '\0';
	mt.alias[sizeof(mt.alias) - 1] = '\0';
	if (mt.name[0] == '\0') {
		log_warnx("PORTAL_TARGET without a name");
		return;
	}
	if ((t = ptarget_by_id(mt.target_id)) == NULL) {
		if ((t = calloc(1, sizeof(*t))) == NULL) {
			log_warn("target");
			return;
		}
		t->target_id = mt.target_id;
		/* added by a reload: hidden until its LUNs are there */
		t->unready = portal->started;
		TAILQ_INIT(&t->luns);
		TAILQ_INIT(&t->drain_luns);
		TAILQ_INSERT_TAIL(&portal->targets, t, entry);
	}
	t->flags = mt.flags;
	t->dying = 0;
	strlcpy(t->name, mt.name, sizeof(t->name));
	strlcpy(t->alias, mt.alias, sizeof(t->alias));
	log_debug("target %u %s", t->target_id, t->name);
}

/*
 * A deleted target: its sessions end and its rings go.  The structure
 * stays (marked dying, invisible to logins and discovery) since rings
 * with commands in flight may still point at it.
 */
static void
portal_target_del(struct msg *m)
{
	struct msg_target_del	 md;
	struct ptarget		*t;
	struct session		*s, *ss;
	struct plun		*pl, *npl;

	if (MSG_GET(m, &md) == -1) {
		log_warnx("bad PORTAL_TARGET_DEL");
		return;
	}
	if ((t = ptarget_by_id(md.target_id)) == NULL || t->dying == 1)
		return;	/* dying 2: drained (ctl.c), now deleted */
	log_info("target %s removed", t->name);
	t->dying = 1;
	acl_forget(t->target_id);
	TAILQ_FOREACH_SAFE(s, &portal->sessions, entry, ss)
		if (s->target == t)
			session_close(s);
	TAILQ_FOREACH_SAFE(pl, &t->luns, entry, npl)
		plun_detach(pl);
	TAILQ_FOREACH_SAFE(pl, &t->drain_luns, entry, npl)
		plun_detach(pl);
}

static void
portal_lun(struct msg *m)
{
	struct msg_ring	 mr;
	struct ptarget	*t;
	int		 fds[3], i;

	if (MSG_GET(m, &mr) == -1 || m->nfds != 3) {
		log_warnx("bad PORTAL_LUN");
		return;
	}
	for (i = 0; i < 3; i++)
		if (m->fds[i] < 0) {
			log_warnx("bad PORTAL_LUN fds");
			return;
		}
	if ((t = ptarget_by_id(mr.target_id)) == NULL || t->dying) {
		log_warnx("PORTAL_LUN for unknown target %u", mr.target_id);
		return;
	}
	/* plun_attach() owns the descriptors from here on. */
	for (i = 0; i < 3; i++) {
		fds[i] = m->fds[i];
		m->fds[i] = -1;
	}
	if (plun_attach(t, &mr, fds) == -1)
		log_warnx("%s: lun %llu: ring not attached", t->name,
		    (unsigned long long)mr.lun);
}

/*
 * The plun a LUN_DEL, LUN_DRAIN or LUN_DOWN (struct msg_ring_del) names,
 * or NULL (malformed, or it is gone already).
 */
static struct plun *
portal_msg_plun(struct msg *m, const char *what, uint32_t *flags)
{
	struct msg_ring_del	 md;
	struct ptarget		*t;

	if (MSG_GET(m, &md) == -1) {
		log_warnx("bad %s", what);
		return (NULL);
	}
	*flags = md.flags;
	if ((t = ptarget_by_id(md.target_id)) == NULL)
		return (NULL);
	return (plun_find_id(t, md.lun_id, md.lun));
}

/*
 * A target added after START has its access rules and LUN rings: from
 * now on discovery lists it and logins are let in.
 */
static void
portal_target_ready(struct msg *m)
{
	struct msg_target_ready	 mr;
	struct ptarget		*t;

	if (MSG_GET(m, &mr) == -1) {
		log_warnx("bad PORTAL_TARGET_READY");
		return;
	}
	if ((t = ptarget_by_id(mr.target_id)) == NULL)
		return;
	if (t->unready)
		log_debug("target %s ready", t->name);
	t->unready = 0;
}

static void
portal_start(void)
{
	struct portal_listener	*pl;
	struct ptarget		*t;

	if (portal->started)
		return;
	portal->started = 1;
	TAILQ_FOREACH(t, &portal->targets, entry)
		t->unready = 0;		/* the configuration is complete */
	/* iSER listeners have no event: RDMA CM's channel is iser.c's */
	TAILQ_FOREACH(pl, &portal->listeners, entry)
		if (pl->ev != NULL && event_add(pl->ev, NULL) == -1)
			log_warnx("%s: cannot listen", pl->addr);
	log_info("accepting connections");
}

static void
portal_show_sessions(uint32_t peerid)
{
	struct ctl_session	 cs;
	struct session		*s;
	struct conn		*c;

	TAILQ_FOREACH(s, &portal->sessions, entry) {
		memset(&cs, 0, sizeof(cs));
		cs.tsih = s->tsih;
		memcpy(cs.isid, s->isid, sizeof(cs.isid));
		TAILQ_FOREACH(c, &s->conns, entry)
			cs.cid_count++;
		cs.portal_id = portal->portal_id;
		cs.inflight = s->ntasks;
		strlcpy(cs.initiator, s->initiator, sizeof(cs.initiator));
		if (s->target != NULL)
			strlcpy(cs.target, s->target->name, sizeof(cs.target));
		if ((c = TAILQ_FIRST(&s->conns)) != NULL) {
			strlcpy(cs.peer, c->peer_name, sizeof(cs.peer));
			strlcpy(cs.local, c->local_name, sizeof(cs.local));
		}
		msgchan_send(&portal->master, MSG_CTL_SESSION, peerid, NULL, 0,
		    &cs, sizeof(cs));
	}
	msgchan_send(&portal->master, MSG_CTL_END, peerid, NULL, 0, NULL, 0);
}

/* A cold reset received by another portal: the target's sessions go. */
static void
portal_cold_reset(struct msg *m)
{
	struct msg_target_reset	 r;
	struct ptarget		*t;

	if (MSG_GET(m, &r) == -1) {
		log_warnx("bad COLD_RESET");
		return;
	}
	if ((t = ptarget_by_id(r.target_id)) == NULL)
		return;
	log_info("target %s: cold reset on another portal", t->name);
	tmf_cold_reset_close(t);
}

static void
portal_dispatch(struct msgchan *mc, struct msg *m, void *arg)
{
	struct plun	*pl;
	uint32_t	 flags;
	int32_t		 v;

	switch (m->hdr.type) {
	case MSG_PORTAL_CONFIG:
		portal_config(m);
		break;
	case MSG_PORTAL_LISTEN:
		portal_listen(m);
		break;
	case MSG_PORTAL_TARGET:
		portal_target(m);
		break;
	case MSG_PORTAL_TARGET_DEL:
		portal_target_del(m);
		break;
	case MSG_PORTAL_LUN:
		portal_lun(m);
		break;
	case MSG_PORTAL_LUN_DEL:
		if ((pl = portal_msg_plun(m, "PORTAL_LUN_DEL", &flags)) !=
		    NULL)
			plun_detach(pl);
		break;
	case MSG_PORTAL_LUN_DRAIN:
		if ((pl = portal_msg_plun(m, "PORTAL_LUN_DRAIN", &flags)) !=
		    NULL)
			plun_drain(pl);
		break;
	case MSG_PORTAL_LUN_DOWN:
		/* its process ended or cannot serve */
		if ((pl = portal_msg_plun(m, "PORTAL_LUN_DOWN", &flags)) !=
		    NULL)
			plun_down(pl, flags & RING_DEL_F_FAILED ?
			    PLUN_DOWN_FAILED : PLUN_DOWN_ENDED);
		break;
	case MSG_PORTAL_TARGET_READY:
		portal_target_ready(m);
		break;
	case MSG_PORTAL_START:
		portal_start();
		break;
	case MSG_PORTAL_COLD_RESET:
		portal_cold_reset(m);
		break;
	case MSG_PORTAL_ACCESS:
		acl_access_msg(m);
		break;
	case MSG_PORTAL_ACL:
		acl_rule_msg(m);
		break;
	case MSG_PORTAL_AUTH_RESP:
		chap_resp_msg(m);
		break;
	case MSG_PORTAL_ISNS:
	case MSG_PORTAL_ISNS_PORTAL:
	case MSG_PORTAL_ISNS_NODE:
		isns_msg(m);
		break;
	case MSG_LOG_VERBOSE:
		if (MSG_GET(m, &v) == -1) {
			log_warnx("bad LOG_VERBOSE");
			break;
		}
		log_setverbose(v);
		break;
	case MSG_CTL_SHOW_SESSIONS:
		portal_show_sessions(m->hdr.peerid);
		break;
	case MSG_CTL_SHOW_CONNECTIONS:
	case MSG_CTL_SESSION_DROP:
	case MSG_PORTAL_TARGET_DRAIN:
	case MSG_PORTAL_DRAIN:
		portalctl_dispatch(m);
		break;
	default:
		log_warnx("unexpected message %u from master", m->hdr.type);
		break;
	}
	msg_free(m);
}
