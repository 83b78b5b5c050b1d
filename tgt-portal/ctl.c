/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * What the master asks of a portal for tgtctl and reload: the list of
 * connections with their negotiated parameters, dropping a session, and
 * draining a target (or the whole portal) that a reload removed.
 *
 * Draining sends every connection in full feature phase an Async Message
 * "target requests logout" (AsyncEvent 1, RFC 7143 11.9.1) whose
 * Parameter3 is the number of seconds the initiator has to log out.  The
 * target stays invisible to logins and discovery from then on; the
 * master deletes it (which closes what is left) once that time is over.
 */

#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "login.h"
#include "transport.h"

#define ASYNC_LOGOUT_REQUEST	1	/* AsyncEvent */
#define PTARGET_DRAINING	2	/* ptarget.dying: not yet deleted */

/* Async Message asking the initiator to log this connection out. */
int
portalctl_async_logout(struct conn *c, uint16_t wait)
{
	uint8_t	 bhs[ISCSI_BHS_SIZE];

	if (c->phase != CONN_FULL || c->sess == NULL)
		return (-1);
	memset(bhs, 0, sizeof(bhs));
	bhs[BHS_OPCODE] = ISCSI_OP_ASYNC;
	bhs[BHS_FLAGS] = ISCSI_FLAG_FINAL;
	put_be32(bhs + BHS_ITT, 0xffffffffu);
	session_fill_sn(c, bhs, 1);
	bhs[36] = ASYNC_LOGOUT_REQUEST;		/* AsyncEvent */
	bhs[37] = 0;				/* AsyncVCode */
	put_be16(bhs + 38, 0);			/* Parameter1 */
	put_be16(bhs + 40, 0);			/* Parameter2 */
	put_be16(bhs + 42, wait);		/* Parameter3: Time2Wait */
	return (conn_send_copy(c, bhs, NULL, 0));
}

static void
session_info(const struct session *s, struct ctl_session *cs)
{
	struct conn	*c;

	memset(cs, 0, sizeof(*cs));
	cs->tsih = s->tsih;
	memcpy(cs->isid, s->isid, sizeof(cs->isid));
	TAILQ_FOREACH(c, &s->conns, entry)
		cs->cid_count++;
	cs->portal_id = portal->portal_id;
	cs->inflight = s->ntasks;
	strlcpy(cs->initiator, s->initiator, sizeof(cs->initiator));
	if (s->target != NULL)
		strlcpy(cs->target, s->target->name, sizeof(cs->target));
	if ((c = TAILQ_FIRST(&s->conns)) != NULL) {
		strlcpy(cs->peer, c->peer_name, sizeof(cs->peer));
		strlcpy(cs->local, c->local_name, sizeof(cs->local));
	}
}

static void
show_connections(uint32_t peerid)
{
	struct ctl_connection	 cc;
	struct session		*s;
	struct conn		*c;

	TAILQ_FOREACH(s, &portal->sessions, entry)
		TAILQ_FOREACH(c, &s->conns, entry) {
			memset(&cc, 0, sizeof(cc));
			cc.tsih = s->tsih;
			cc.cid = c->cid;
			cc.portal_id = portal->portal_id;
			cc.full = c->phase == CONN_FULL;
			cc.max_recv_dsl = c->params.max_recv_dsl;
			cc.max_xmit_dsl = c->params.max_xmit_dsl;
			cc.header_digest = c->params.header_digest;
			cc.data_digest = c->params.data_digest;
			cc.max_burst = s->params.max_burst;
			cc.first_burst = s->params.first_burst;
			cc.max_outstanding_r2t =
			    s->params.max_outstanding_r2t;
			cc.max_connections = s->params.max_connections;
			cc.default_time2wait = s->params.default_time2wait;
			cc.default_time2retain =
			    s->params.default_time2retain;
			cc.initial_r2t = s->params.initial_r2t;
			cc.immediate_data = s->params.immediate_data;
			cc.data_pdu_in_order = s->params.data_pdu_in_order;
			cc.data_seq_in_order = s->params.data_seq_in_order;
			cc.erl = s->params.erl;
			strlcpy(cc.initiator, s->initiator,
			    sizeof(cc.initiator));
			if (s->target != NULL)
				strlcpy(cc.target, s->target->name,
				    sizeof(cc.target));
			strlcpy(cc.peer, c->peer_name, sizeof(cc.peer));
			strlcpy(cc.local, c->local_name, sizeof(cc.local));
			cc.transport = c->tp->type;
			msgchan_send(&portal->master, MSG_CTL_CONNECTION,
			    peerid, NULL, 0, &cc, sizeof(cc));
		}
	msgchan_send(&portal->master, MSG_CTL_END, peerid, NULL, 0, NULL, 0);
}

/* Close the sessions with this TSIH (and target, if named). */
static void
session_drop(struct msg *m)
{
	struct ctl_session_drop	 d;
	struct ctl_session	 cs;
	struct session		*s, *ss;

	if (MSG_GET(m, &d) == -1) {
		log_warnx("bad SESSION_DROP");
		goto end;
	}
	d.target[sizeof(d.target) - 1] = '\0';
	TAILQ_FOREACH_SAFE(s, &portal->sessions, entry, ss) {
		if (s->tsih != d.tsih)
			continue;
		if (d.target[0] != '\0' && (s->target == NULL ||
		    strcmp(s->target->name, d.target) != 0))
			continue;
		session_info(s, &cs);
		log_info("session tsih %u %s: dropped by the administrator",
		    s->tsih, s->initiator);
		session_close(s);
		msgchan_send(&portal->master, MSG_CTL_SESSION,
		    m->hdr.peerid, NULL, 0, &cs, sizeof(cs));
	}
 end:
	msgchan_send(&portal->master, MSG_CTL_END, m->hdr.peerid, NULL, 0,
	    NULL, 0);
}

static int
drain_sessions(struct ptarget *t, uint16_t wait)
{
	struct session	*s;
	int		 n = 0;

	TAILQ_FOREACH(s, &portal->sessions, entry)
		if (!s->discovery && (t == NULL || s->target == t))
			n += session_async_logout(s, wait);
	return (n);
}

static void
drain(struct msg *m)
{
	struct msg_drain	 d;
	struct ptarget		*t = NULL;
	struct portal_listener	*pl;
	uint16_t		 wait;

	if (MSG_GET(m, &d) == -1) {
		log_warnx("bad DRAIN");
		return;
	}
	wait = d.wait > 3600 ? 3600 : d.wait;
	if (m->hdr.type == MSG_PORTAL_TARGET_DRAIN) {
		TAILQ_FOREACH(t, &portal->targets, entry)
			if (t->target_id == d.target_id)
				break;
		if (t == NULL || t->dying)
			return;
		t->dying = PTARGET_DRAINING;
		log_info("target %s draining: %d connection(s) asked to log "
		    "out within %u s", t->name, drain_sessions(t, wait), wait);
		return;
	}
	/* the whole portal: no new connections, everyone logs out */
	while ((pl = TAILQ_FIRST(&portal->listeners)) != NULL) {
		TAILQ_REMOVE(&portal->listeners, pl, entry);
		if (pl->ev != NULL)
			event_free(pl->ev);
		if (pl->fd != -1)
			close(pl->fd);
		iser_unlisten(pl);
		free(pl);
	}
	log_info("draining: %d connection(s) asked to log out within %u s",
	    drain_sessions(NULL, wait), wait);
}

void
portalctl_dispatch(struct msg *m)
{
	switch (m->hdr.type) {
	case MSG_CTL_SHOW_CONNECTIONS:
		show_connections(m->hdr.peerid);
		break;
	case MSG_CTL_SESSION_DROP:
		session_drop(m);
		break;
	case MSG_PORTAL_TARGET_DRAIN:
	case MSG_PORTAL_DRAIN:
		drain(m);
		break;
	}
}
