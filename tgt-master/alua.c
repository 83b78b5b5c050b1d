/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Target port groups (ALUA, SPC-4 5.15): the master holds each group's
 * state, builds the table every LUN process gets (MSG_LUN_ALUA: groups,
 * states and the relative target port of each listener in them) and
 * sends it again after every change.  A state changes by tgtctl
 * port-group (implicit), by a SET TARGET PORT GROUPS through any LUN
 * (explicit: that LUN applied it already, the others learn it here), or
 * by a reload that gives a group another state in tgt.conf.  A reload
 * that leaves a group's configured state alone keeps the state it has
 * now, so a group put in standby by tgtctl stays there.
 *
 * The relative target port of a listener is its relative-port, or its
 * portal id + 1: a kept listener keeps both across reloads (apply.c),
 * so does its port.
 */

#include <sys/queue.h>

#include <stdio.h>
#include <string.h>

#include "alua.h"
#include "log.h"
#include "master.h"

static struct mpgroup *
pgroup_find(struct master *m, uint16_t id)
{
	uint32_t	i;

	for (i = 0; i < m->npgroups; i++)
		if (m->pgroups[i].id == id)
			return (&m->pgroups[i]);
	return (NULL);
}

/* The table every LUN gets, from the groups and the running listeners. */
static void
alua_table(struct master *m, struct msg_lun_alua *a)
{
	struct msg_alua_group	*g;
	struct mportal		*mp;
	uint32_t		 i;

	memset(a, 0, sizeof(*a));
	if (m->conf == NULL || m->npgroups == 0)
		return;
	a->flags = m->conf->alua_explicit ? ALUA_F_EXPLICIT : 0;
	a->transition = m->conf->alua_transition;
	a->ngroups = m->npgroups;
	for (i = 0; i < m->npgroups; i++) {
		g = &a->group[i];
		g->id = m->pgroups[i].id;
		g->state = m->pgroups[i].state;
		g->pref = m->pgroups[i].pref;
		g->status = m->pgroups[i].status;
		TAILQ_FOREACH(mp, &m->portals, entry)
			if (!mp->draining && mp->listen.pgroup == g->id &&
			    g->nports < ALUA_PORTS_MAX)
				g->ports[g->nports++] = portal_rel_port(mp);
	}
}

/* After LUN_CONFIG, before the rings: the LUN's starting table. */
void
alua_send(struct master *m, struct mlun *ml)
{
	struct msg_lun_alua	 a;

	if (m->npgroups == 0 || !svc_running(&ml->svc))
		return;
	alua_table(m, &a);
	msgchan_send(&ml->svc.proc->chan, MSG_LUN_ALUA, ml->lun_id, NULL, 0,
	    &a, sizeof(a));
}

/* Every running LUN gets the table again. */
void
alua_announce(struct master *m)
{
	struct msg_lun_alua	 a;
	struct mtarget		*mt;
	struct mlun		*ml;

	alua_table(m, &a);
	TAILQ_FOREACH(mt, &m->targets, entry)
		TAILQ_FOREACH(ml, &mt->luns, entry)
			if (svc_running(&ml->svc))
				msgchan_send(&ml->svc.proc->chan,
				    MSG_LUN_ALUA, ml->lun_id, NULL, 0, &a,
				    sizeof(a));
}

/*
 * The groups of a new configuration: a group whose configured state
 * did not change keeps the state it has now.  Called by master_commit()
 * once the portals are in place; the LUNs get the new table.
 */
void
alua_reload(struct master *m)
{
	struct mpgroup		 next[ALUA_GROUPS_MAX], *o;
	struct conf_pgroup	*cg;
	uint32_t		 n = 0;
	int			 had = m->npgroups != 0;

	memset(next, 0, sizeof(next));
	TAILQ_FOREACH(cg, &m->conf->pgroups, entry) {
		if (n == ALUA_GROUPS_MAX)
			break;
		next[n].id = cg->id;
		next[n].conf_state = cg->state;
		next[n].pref = cg->pref;
		o = pgroup_find(m, cg->id);
		if (o != NULL && o->conf_state == cg->state) {
			next[n].state = o->state;
			next[n].status = o->status;
		} else {
			if (o != NULL && o->state != cg->state)
				log_info("port-group %u: %s (reload)", cg->id,
				    alua_state_name(cg->state));
			next[n].state = cg->state;
			next[n].status = o != NULL ? ALUA_STATUS_IMPLICIT :
			    ALUA_STATUS_NONE;
		}
		n++;
	}
	memcpy(m->pgroups, next, sizeof(next));
	m->npgroups = n;
	if (n != 0 || had)
		alua_announce(m);
}

/* tgtctl port-group N state S: 0, or -1 and why. */
int
alua_set(struct master *m, uint16_t id, int state, char *err, size_t errlen)
{
	struct mpgroup	*g;

	if (alua_state_name(state) == NULL) {
		snprintf(err, errlen, "unknown state %d", state);
		return (-1);
	}
	if ((g = pgroup_find(m, id)) == NULL) {
		snprintf(err, errlen, "no port-group %u", id);
		return (-1);
	}
	if (g->state != state)
		log_info("port-group %u: %s (tgtctl)", id,
		    alua_state_name(state));
	g->state = state;
	g->status = ALUA_STATUS_IMPLICIT;
	alua_announce(m);
	return (0);
}

/*
 * MSG_LUN_ALUA_SET: a SET TARGET PORT GROUPS through a LUN.  -1 if
 * malformed (the LUN is restarted); a group the master does not know
 * (a reload removed it meanwhile) is passed over, and so is the whole
 * request when a reload turned explicit ALUA off meanwhile (the LUN
 * gets the table again).
 */
int
alua_lun_set(struct master *m, struct mlun *ml, struct msg *msg)
{
	struct msg_lun_alua	 a;
	struct mpgroup		*g;
	uint32_t		 i;

	if (MSG_GET(msg, &a) != 0 || a.ngroups > ALUA_GROUPS_MAX)
		return (-1);
	for (i = 0; i < a.ngroups; i++)
		if (a.group[i].state > ALUA_UNAVAILABLE)
			return (-1);
	if (!m->conf->alua_explicit) {
		log_info("%s: SET TARGET PORT GROUPS after explicit ALUA was "
		    "turned off, ignored", ml->svc.instance);
		alua_announce(m);
		return (0);
	}
	for (i = 0; i < a.ngroups; i++) {
		if ((g = pgroup_find(m, a.group[i].id)) == NULL)
			continue;
		if (g->state != a.group[i].state)
			log_info("port-group %u: %s (SET TARGET PORT GROUPS "
			    "through %s)", g->id,
			    alua_state_name(a.group[i].state),
			    ml->svc.instance);
		g->state = a.group[i].state;
		g->status = ALUA_STATUS_EXPLICIT;
	}
	alua_announce(m);
	return (0);
}

/* tgtctl show port-groups: one ctl_pgroup per group. */
void
alua_show(struct master *m, void (*reply)(void *, const struct ctl_pgroup *),
    void *arg)
{
	struct ctl_pgroup	 c;
	struct mportal		*mp;
	char			 one[TGT_ADDR_MAX + 32];
	uint32_t		 i;

	for (i = 0; i < m->npgroups; i++) {
		memset(&c, 0, sizeof(c));
		c.id = m->pgroups[i].id;
		c.state = m->pgroups[i].state;
		c.conf_state = m->pgroups[i].conf_state;
		c.pref = m->pgroups[i].pref;
		c.status = m->pgroups[i].status;
		c.flags = m->conf->alua_explicit ? ALUA_F_EXPLICIT : 0;
		TAILQ_FOREACH(mp, &m->portals, entry) {
			if (mp->draining || mp->listen.pgroup != c.id)
				continue;
			snprintf(one, sizeof(one), "%s%s (port %u)",
			    c.nports > 0 ? ", " : "", mp->listen.name,
			    portal_rel_port(mp));
			strlcat(c.listeners, one, sizeof(c.listeners));
			c.nports++;
		}
		reply(arg, &c);
	}
}
