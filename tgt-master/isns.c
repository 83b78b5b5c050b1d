/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * iSNS registration, the master's side.  The root process never parses
 * what the network says: it connects a non-blocking TCP socket to the
 * configured server and gives it to a running portal with the entity,
 * its portals (the listeners) and its storage nodes (the targets that
 * are not redirected); the portal speaks iSNSP (tgt-portal/isns.c) and
 * answers MSG_PORTAL_ISNS_DONE.
 *
 * The entity is registered with the Replace flag at start-up, after
 * every reload and every ISNS_REFRESH seconds, so the server always
 * holds exactly the current targets and portals: a target removed by a
 * reload goes away, a new one appears.  When the last target goes, or
 * the isns server statement, or the server changes, the entity is
 * deregistered from the server it was registered with.  A failure is
 * retried after ISNS_RETRY seconds.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "master.h"

#define ISNS_SOON		1	/* seconds after a (re)load */
#define ISNS_REFRESH		120
#define ISNS_RETRY		10
#define ISNS_WATCHDOG		30	/* no answer from the portal */

struct isns_state {
	struct event		*ev;
	uint32_t		 seq;
	int			 inflight;
	uint32_t		 op;		/* of the request in flight */
	int			 registered;	/* the entity is on ss */
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 name[TGT_ADDR_MAX];
	char			 source[TGT_NAME_MAX];	/* a node of it */
	char			 try_source[TGT_NAME_MAX];
	int			 failing;
};

static void	isns_run(int, short, void *);

static struct isns_state *
isns_get(struct master *m)
{
	struct isns_state	*is;

	if (m->isns != NULL)
		return (m->isns);
	if ((is = calloc(1, sizeof(*is))) == NULL)
		return (NULL);
	if ((is->ev = evtimer_new(m->evb, isns_run, m)) == NULL) {
		free(is);
		return (NULL);
	}
	m->isns = is;
	return (is);
}

static void
isns_schedule(struct isns_state *is, int sec)
{
	struct timeval	 tv = { sec, 0 };

	evtimer_add(is->ev, &tv);
}

/* After start-up and every reload. */
void
isns_update(struct master *m)
{
	struct isns_state	*is;

	if (m->conf == NULL || (m->conf->isns_sslen == 0 &&
	    (m->isns == NULL || !m->isns->registered)))
		return;
	if ((is = isns_get(m)) == NULL) {
		log_warn("iSNS");
		return;
	}
	if (!is->inflight)
		isns_schedule(is, ISNS_SOON);
}

static int
conf_target_registered(const struct conf_target *ct)
{
	return ((ct->access & ACCESS_F_REDIRECT) == 0);
}

static void
isns_addr(const struct sockaddr_storage *ss, uint16_t tpgt,
    struct msg_isns_portal *p)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	memset(p, 0, sizeof(*p));
	p->tpgt = tpgt;
	if (ss->ss_family == AF_INET) {
		sin = (const struct sockaddr_in *)ss;
		p->addr[10] = p->addr[11] = 0xff;
		memcpy(p->addr + 12, &sin->sin_addr, 4);
		p->port = ntohs(sin->sin_port);
	} else {
		sin6 = (const struct sockaddr_in6 *)ss;
		memcpy(p->addr, &sin6->sin6_addr, 16);
		p->port = ntohs(sin6->sin6_port);
	}
}

static struct mportal *
isns_portal(struct master *m)
{
	struct mportal	*mp;

	TAILQ_FOREACH(mp, &m->portals, entry)
		if (svc_running(&mp->svc) && !mp->draining)
			return (mp);
	return (NULL);
}

static void
isns_run(int fd, short ev, void *arg)
{
	struct master		*m = arg;
	struct isns_state	*is = m->isns;
	struct tgt_conf		*conf = m->conf;
	struct conf_target	*ct;
	struct mportal		*mp, *p;
	struct msg_isns		 rq;
	struct msg_isns_portal	 pt;
	struct msg_isns_node	 nd;
	const struct sockaddr_storage *ss;
	socklen_t		 sslen;
	char			 host[128];
	uint32_t		 nnodes = 0, nportals = 0;
	int			 s, want;

	if (is->inflight) {
		log_warnx("iSNS: no answer from the portal, trying again");
		is->inflight = 0;
	}
	TAILQ_FOREACH(ct, &conf->targets, entry)
		if (conf_target_registered(ct))
			nnodes++;
	if (nnodes > ISNS_NODES_MAX)
		nnodes = ISNS_NODES_MAX;
	want = conf->isns_sslen != 0 && nnodes > 0;

	memset(&rq, 0, sizeof(rq));
	if (is->registered && (!want || is->sslen != conf->isns_sslen ||
	    memcmp(&is->ss, &conf->isns_ss, is->sslen) != 0)) {
		/* away from where it is registered */
		rq.op = ISNS_OP_DEREGISTER;
		strlcpy(rq.source, is->source, sizeof(rq.source));
		ss = &is->ss;
		sslen = is->sslen;
		nnodes = 0;
	} else if (want) {
		rq.op = ISNS_OP_REGISTER;
		ss = &conf->isns_ss;
		sslen = conf->isns_sslen;
	} else
		return;

	if ((mp = isns_portal(m)) == NULL) {
		isns_schedule(is, ISNS_SOON);	/* portals not up yet */
		return;
	}
	if (rq.op == ISNS_OP_REGISTER)
		TAILQ_FOREACH(p, &m->portals, entry)
			if (!p->draining && nportals < ISNS_PORTALS_MAX)
				nportals++;

	if ((s = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1 || (connect(s, (const struct sockaddr *)ss,
	    sslen) == -1 && errno != EINPROGRESS)) {
		if (!is->failing)
			log_warn("iSNS: cannot connect to %s",
			    rq.op == ISNS_OP_REGISTER ? conf->isns_name :
			    is->name);
		is->failing = 1;
		if (s != -1)
			close(s);
		isns_schedule(is, ISNS_RETRY);
		return;
	}

	if (gethostname(host, sizeof(host)) == -1)
		strlcpy(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	snprintf(rq.eid, sizeof(rq.eid), "tgt:%s", host);
	rq.seq = ++is->seq;
	rq.nportals = nportals;
	rq.nnodes = nnodes;
	if (msgchan_send(&mp->svc.proc->chan, MSG_PORTAL_ISNS, 0, &s, 1, &rq,
	    sizeof(rq)) == -1) {
		log_warn("iSNS: to the portal");
		isns_schedule(is, ISNS_RETRY);
		return;
	}
	is->try_source[0] = '\0';
	if (rq.op == ISNS_OP_REGISTER) {
		nportals = 0;
		TAILQ_FOREACH(p, &m->portals, entry) {
			if (p->draining || nportals++ >= rq.nportals)
				continue;
			isns_addr(&p->listen.ss, m->conf->tpgt, &pt);
			msgchan_send(&mp->svc.proc->chan,
			    MSG_PORTAL_ISNS_PORTAL, 0, NULL, 0, &pt,
			    sizeof(pt));
		}
		nnodes = 0;
		TAILQ_FOREACH(ct, &conf->targets, entry) {
			if (!conf_target_registered(ct) ||
			    nnodes++ >= rq.nnodes)
				continue;
			memset(&nd, 0, sizeof(nd));
			strlcpy(nd.name, ct->name, sizeof(nd.name));
			strlcpy(nd.alias, ct->alias, sizeof(nd.alias));
			if (is->try_source[0] == '\0')
				strlcpy(is->try_source, ct->name,
				    sizeof(is->try_source));
			msgchan_send(&mp->svc.proc->chan,
			    MSG_PORTAL_ISNS_NODE, 0, NULL, 0, &nd,
			    sizeof(nd));
		}
	}
	is->inflight = 1;
	is->op = rq.op;
	if (rq.op == ISNS_OP_REGISTER) {
		memcpy(&is->ss, ss, sslen);
		is->sslen = sslen;
		strlcpy(is->name, conf->isns_name, sizeof(is->name));
	}
	isns_schedule(is, ISNS_WATCHDOG);
}

int
isns_done(struct master *m, struct msg *msg)
{
	struct isns_state	*is = m->isns;
	struct msg_isns_done	 d;

	if (MSG_GET(msg, &d) == -1)
		return (-1);
	if (is == NULL || !is->inflight || d.seq != is->seq)
		return (0);	/* an old one */
	is->inflight = 0;
	if (!d.ok) {
		if (!is->failing)
			log_warnx("iSNS: %s with %s failed, retrying every %d "
			    "seconds", is->op == ISNS_OP_REGISTER ?
			    "registration" : "deregistration", is->name,
			    ISNS_RETRY);
		is->failing = 1;
		isns_schedule(is, ISNS_RETRY);
		return (0);
	}
	if (is->failing)
		log_info("iSNS: %s with %s done", is->op == ISNS_OP_REGISTER ?
		    "registration" : "deregistration", is->name);
	is->failing = 0;
	if (is->op == ISNS_OP_REGISTER) {
		is->registered = 1;
		strlcpy(is->source, is->try_source, sizeof(is->source));
		isns_schedule(is, ISNS_REFRESH);
	} else {
		is->registered = 0;
		/* then register where the configuration says, if anywhere */
		isns_schedule(is, 0);
	}
	return (0);
}
