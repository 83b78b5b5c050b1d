/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * tgt-portal children: the listening socket, the configuration a portal
 * is sent, its start-up (sockets and rings handed over) and the dispatch
 * of the messages it sends the master.
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

struct mportal *
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
 * The relative target port id of a listener: relative-port in tgt.conf
 * (gateways over one image need distinct ones), else its portal id + 1.
 */
uint16_t
portal_rel_port(const struct mportal *mp)
{
	return (mp->listen.rel_port != 0 ? mp->listen.rel_port :
	    mp->portal_id + 1);
}

/* The portal's settings; sent again when a reload changes them. */
void
portal_config_send(struct master *m, struct mportal *mp)
{
	struct msg_portal_config pc;

	memset(&pc, 0, sizeof(pc));
	pc.portal_id = mp->portal_id;
	pc.tpgt = m->conf->tpgt;
	pc.rel_port = portal_rel_port(mp);
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
	case MSG_PORTAL_LUN_STUCK:
		if (lun_stuck(p->m, mp, msg) == -1)
			proc_bad(p, msg);
		break;
	default:
		log_warnx("%s[%s]: unexpected message type %u ignored",
		    role_name(p->role), p->instance, msg->hdr.type);
		break;
	}
	msg_free(msg);
}
