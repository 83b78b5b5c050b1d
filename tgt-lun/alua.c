/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Asymmetric logical unit access (SPC-4 5.15): the target port groups
 * the master announces (MSG_LUN_ALUA), the state of the group a command
 * came through and the commands each state allows, REPORT TARGET PORT
 * GROUPS and SET TARGET PORT GROUPS.
 *
 * Every relative target port of the table belongs to one group; the
 * table may name ports this process has no ring for (another suite's,
 * later).  A ring whose port is in no group is not restricted.  The
 * states come from the master (tgt.conf, tgtctl: implicit changes) or
 * from a SET TARGET PORT GROUPS through any LUN (explicit ones, when
 * tgt.conf allows them), which this LUN applies at once and reports to
 * the master for the others.  A group whose state changes gives every
 * I_T nexus of the LUN ASYMMETRIC ACCESS STATE CHANGED (06/2A/06), but
 * the one whose SET TARGET PORT GROUPS changed it.
 */

#include <stdio.h>
#include <string.h>

#include "alua.h"
#include "log.h"
#include "lun.h"
#include "scsi.h"

#define ASC_LUN_TRANSITIONING	0x040a	/* asymmetric access state
					 * transition */
#define ASC_LUN_STANDBY		0x040b	/* target port in standby state */
#define ASC_LUN_UNAVAILABLE	0x040c	/* target port in unavailable
					 * state */

#define READ_BUFFER		0x3c
#define WRITE_BUFFER		0x3b
#define LOG_SELECT		0x4c
#define LOG_SENSE		0x4d
#define RECEIVE_DIAGNOSTIC	0x1c
#define BUFFER_MODE_ECHO	0x0a

/* supported states: T_SUP, U_SUP, S_SUP, AN_SUP, AO_SUP */
#define ALUA_SUPPORTED		0x8f

/* The table of a message, checked; -1 and why if it is not sound. */
int
alua_check_table(const struct msg_lun_alua *a, char *err, size_t errlen)
{
	const struct msg_alua_group	*g, *h;
	uint32_t			 i, j, k, l;

	if (a->ngroups > ALUA_GROUPS_MAX || a->transition >
	    ALUA_TRANSITION_MAX || (a->flags & ~ALUA_F_EXPLICIT) != 0) {
		snprintf(err, errlen, "bad ALUA header");
		return (-1);
	}
	for (i = 0; i < a->ngroups; i++) {
		g = &a->group[i];
		if (alua_state_name(g->state) == NULL || g->pref > 1 ||
		    g->status > ALUA_STATUS_IMPLICIT ||
		    g->nports > ALUA_PORTS_MAX) {
			snprintf(err, errlen, "bad ALUA group %u", g->id);
			return (-1);
		}
		for (j = 0; j < i; j++) {
			h = &a->group[j];
			if (h->id == g->id) {
				snprintf(err, errlen, "ALUA group %u twice",
				    g->id);
				return (-1);
			}
			for (k = 0; k < g->nports; k++)
				for (l = 0; l < h->nports; l++)
					if (g->ports[k] == h->ports[l])
						goto dup;
		}
		for (k = 0; k < g->nports; k++) {
			if (g->ports[k] == 0)
				goto dup;
			for (l = 0; l < k; l++)
				if (g->ports[k] == g->ports[l])
					goto dup;
		}
	}
	return (0);
 dup:
	snprintf(err, errlen, "ALUA group %u: a relative port in two places",
	    a->group[i].id);
	return (-1);
}

static struct msg_alua_group *
group_by_id(struct msg_lun_alua *a, uint16_t id)
{
	uint32_t	i;

	for (i = 0; i < a->ngroups; i++)
		if (a->group[i].id == id)
			return (&a->group[i]);
	return (NULL);
}

/* The group of relative port rp in a table, NULL if none. */
static const struct msg_alua_group *
port_group(const struct msg_lun_alua *a, uint16_t rp)
{
	uint32_t	i, j;

	for (i = 0; i < a->ngroups; i++)
		for (j = 0; j < a->group[i].nports; j++)
			if (a->group[i].ports[j] == rp)
				return (&a->group[i]);
	return (NULL);
}

/*
 * The table the LUN works with: the master's (this gateway's groups),
 * then the other gateways' groups as the cluster has them (alua_rados.c:
 * a dead gateway's are unavailable).  When no other gateway has a live
 * active/optimized group, this gateway's active/non-optimized groups
 * become active/optimized: the survivor takes the I/O.
 */
static void
alua_effective(struct lun *lun, struct msg_lun_alua *e)
{
	const struct msg_alua_group	*p;
	char				 err[64];
	uint32_t			 i, j;
	int				 opt = 0;

	*e = lun->alua_local;
	if (lun->alua_npeer == 0 || e->ngroups == 0)
		return;
	for (i = 0; i < lun->alua_npeer; i++)
		if (lun->alua_peer[i].state == ALUA_ACTIVE_OPTIMIZED)
			opt = 1;
	for (i = 0; i < e->ngroups && !opt; i++)
		if (e->group[i].state == ALUA_ACTIVE_NONOPT) {
			e->group[i].state = ALUA_ACTIVE_OPTIMIZED;
			e->group[i].status = ALUA_STATUS_IMPLICIT;
		}
	for (i = 0; i < lun->alua_npeer && e->ngroups < ALUA_GROUPS_MAX; i++) {
		p = &lun->alua_peer[i];
		if (group_by_id(e, p->id) != NULL)
			continue;	/* ours, or given twice */
		for (j = 0; j < p->nports; j++)
			if (port_group(e, p->ports[j]) != NULL)
				break;
		if (j == p->nports)
			e->group[e->ngroups++] = *p;
	}
	if (alua_check_table(e, err, sizeof(err)) == -1) {
		log_warnx("other gateways' port groups left out: %s", err);
		*e = lun->alua_local;
	}
}

/*
 * Make the table the LUN works with again (after the master's table or
 * the other gateways' groups changed).  A group that was there before
 * and has another state now, or a port that moved to a group of another
 * state (a reload), sets the unit attention for every nexus but except.
 */
void
alua_apply(struct lun *lun, const struct nexus *except)
{
	struct msg_lun_alua		 e;
	const struct msg_alua_group	*g, *po;
	struct msg_alua_group		*old;
	uint32_t			 i, j;
	int				 changed = 0;

	alua_effective(lun, &e);
	for (i = 0; i < e.ngroups; i++) {
		g = &e.group[i];
		if ((old = group_by_id(&lun->alua, g->id)) != NULL &&
		    old->state != g->state) {
			log_info("target port group %u: %s", g->id,
			    alua_state_name(g->state));
			changed = 1;
		}
		for (j = 0; j < g->nports; j++)
			if ((po = port_group(&lun->alua, g->ports[j])) !=
			    NULL && po->state != g->state) {
				log_info("relative port %u: %s (group %u)",
				    g->ports[j], alua_state_name(g->state),
				    g->id);
				changed = 1;
			}
	}
	memcpy(&lun->alua, &e, sizeof(lun->alua));
	if (changed)
		lun_ua_set(lun, UA_ALUA_CHANGED, except);
}

/* Take a new table from the master: 0, or -1 and why (the old stays). */
int
alua_configure(struct lun *lun, const struct msg_lun_alua *a, char *err,
    size_t errlen)
{
	if (alua_check_table(a, err, errlen) == -1)
		return (-1);
	memcpy(&lun->alua_local, a, sizeof(lun->alua_local));
	alua_apply(lun, NULL);
	return (0);
}

uint16_t
alua_rel_port(const struct scsi_cmd *cmd)
{
	if (cmd->port != NULL)
		return (cmd->port->rel_port != 0 ? cmd->port->rel_port :
		    cmd->port->portal_id + 1);
	if (cmd->nexus != NULL && cmd->nexus->rel_port != 0)
		return (cmd->nexus->rel_port);
	return (1);
}

/* The group of the port a command came through, NULL if none. */
const struct msg_alua_group *
alua_group(const struct scsi_cmd *cmd)
{
	return (port_group(&cmd->lun->alua, alua_rel_port(cmd)));
}

/* The commands every state allows (SPC-4 5.15.2.4). */
static int
allowed_always(const struct scsi_cmd *cmd)
{
	switch (cmd->cdb[0]) {
	case INQUIRY:
	case REPORT_LUNS:
	case REQUEST_SENSE:
		return (1);
	case MAINTENANCE_IN:
		return ((cmd->cdb[1] & 0x1f) == MI_REPORT_TARGET_PGS);
	case READ_BUFFER:
	case WRITE_BUFFER:
		return ((cmd->cdb[1] & 0x1f) == BUFFER_MODE_ECHO);
	}
	return (0);
}

/* What standby allows beyond that (SPC-4 5.15.2.4.4). */
static int
allowed_standby(const struct scsi_cmd *cmd)
{
	switch (cmd->cdb[0]) {
	case LOG_SELECT:
	case LOG_SENSE:
	case MODE_SELECT_6:
	case MODE_SELECT_10:
	case MODE_SENSE_6:
	case MODE_SENSE_10:
	case RECEIVE_DIAGNOSTIC:
	case SEND_DIAGNOSTIC:
	case PERSISTENT_RESERVE_IN:
	case PERSISTENT_RESERVE_OUT:
		return (1);
	case MAINTENANCE_OUT:
		return ((cmd->cdb[1] & 0x1f) == MO_SET_TARGET_PGS);
	}
	return (0);
}

/*
 * The asymmetric access state of the command's port against the
 * command: 0 it may run, 1 it ended with NOT READY.
 */
int
alua_gate(struct scsi_cmd *cmd)
{
	const struct msg_alua_group	*g;

	if (cmd->lun->alua.ngroups == 0 || (g = alua_group(cmd)) == NULL)
		return (0);
	switch (g->state) {
	case ALUA_ACTIVE_OPTIMIZED:
	case ALUA_ACTIVE_NONOPT:
		return (0);
	case ALUA_STANDBY:
		if (allowed_always(cmd) || allowed_standby(cmd))
			return (0);
		scsi_check(cmd, SK_NOT_READY, ASC_LUN_STANDBY);
		return (1);
	case ALUA_UNAVAILABLE:
		if (allowed_always(cmd) || (cmd->cdb[0] == MAINTENANCE_OUT &&
		    (cmd->cdb[1] & 0x1f) == MO_SET_TARGET_PGS))
			return (0);
		scsi_check(cmd, SK_NOT_READY, ASC_LUN_UNAVAILABLE);
		return (1);
	default:
		if (allowed_always(cmd))
			return (0);
		scsi_check(cmd, SK_NOT_READY, ASC_LUN_TRANSITIONING);
		return (1);
	}
}

/* Standard INQUIRY byte 5, TPGS: implicit, and explicit if allowed. */
uint8_t
alua_tpgs(const struct lun *lun)
{
	if (lun->alua.ngroups == 0)
		return (0);
	return ((lun->alua.flags & ALUA_F_EXPLICIT) ? 0x30 : 0x10);
}

/* The target port group designator's id (VPD 83h, type 5h). */
uint16_t
alua_group_id(const struct scsi_cmd *cmd, uint16_t dflt)
{
	const struct msg_alua_group	*g;

	if (cmd->lun->alua.ngroups == 0 || (g = alua_group(cmd)) == NULL)
		return (dflt);
	return (g->id);
}

/*
 * REPORT TARGET PORT GROUPS (SPC-4 6.36): one descriptor per group with
 * its relative target ports, after the length-only header (format 000b)
 * or the extended one (001b, with the implicit transition time).
 */
int
spc_report_tpgs(struct scsi_cmd *cmd)
{
	struct lun			*lun = cmd->lun;
	const struct msg_alua_group	*g;
	uint8_t				 b[8 + ALUA_GROUPS_MAX *
	    (8 + 4 * ALUA_PORTS_MAX)];
	uint32_t			 alloc = get_be32(&cmd->cdb[6]);
	uint32_t			 n, i, j;
	int				 fmt = cmd->cdb[1] >> 5;

	if (fmt > 1) {
		scsi_invalid_cdb(cmd, 1, 7);
		return (SCSI_DONE);
	}
	memset(b, 0, sizeof(b));
	n = 4;
	if (fmt == 1) {
		b[4] = 0x10;			/* format type 001b */
		b[5] = lun->alua.transition;
		n = 8;
	}
	for (i = 0; i < lun->alua.ngroups; i++) {
		g = &lun->alua.group[i];
		b[n] = (g->pref ? 0x80 : 0) | g->state;
		b[n + 1] = ALUA_SUPPORTED;
		put_be16(&b[n + 2], g->id);
		b[n + 5] = g->status;
		b[n + 7] = g->nports;
		n += 8;
		for (j = 0; j < g->nports; j++, n += 4)
			put_be16(&b[n + 2], g->ports[j]);
	}
	put_be32(&b[0], n - 4);
	scsi_data_in(cmd, b, n, alloc);
	return (SCSI_DONE);
}

/*
 * SET TARGET PORT GROUPS (SPC-4 6.49), with explicit ALUA: each
 * descriptor names a group and the state it goes to (active/optimized,
 * active/non-optimized, standby or unavailable).  All are checked
 * before any is applied; the other nexuses get the unit attention and
 * the master hears of it for the other LUNs.
 */
int
spc_set_tpgs(struct scsi_cmd *cmd)
{
	struct lun		*lun = cmd->lun;
	struct msg_lun_alua	 req;
	struct msg_alua_group	*g;
	uint8_t			 pl[4 + 4 * ALUA_GROUPS_MAX];
	uint32_t		 len = get_be32(&cmd->cdb[6]), off, i;
	uint8_t			 st;

	if (!(lun->alua.flags & ALUA_F_EXPLICIT)) {
		scsi_invalid_cdb(cmd, 1, 4);
		return (SCSI_DONE);
	}
	if (len == 0)
		return (SCSI_DONE);
	cmd->want = len;
	if (len > sizeof(pl) || len < 4 || (len & 3) != 0) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST,
		    ASC_PARAM_LIST_LENGTH_ERROR);
		return (SCSI_DONE);
	}
	if (cmd->out_len < len) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_IU);
		return (SCSI_DONE);
	}
	memcpy(pl, cmd->buf, len);
	cmd->len = len;
	for (off = 4; off < len; off += 4) {
		st = pl[off] & 0x0f;
		if (st > ALUA_UNAVAILABLE) {
			scsi_invalid_param(cmd, off, 3);
			return (SCSI_DONE);
		}
		if (group_by_id(&lun->alua_local, get_be16(&pl[off + 2])) ==
		    NULL) {
			scsi_invalid_param(cmd, off + 2, -1);
			return (SCSI_DONE);
		}
	}
	memset(&req, 0, sizeof(req));
	for (off = 4; off < len; off += 4) {
		g = group_by_id(&lun->alua_local, get_be16(&pl[off + 2]));
		st = pl[off] & 0x0f;
		if (g->state != st)
			log_info("target port group %u: %s (SET TARGET PORT "
			    "GROUPS)", g->id, alua_state_name(st));
		g->state = st;
		g->status = ALUA_STATUS_EXPLICIT;
		for (i = 0; i < req.ngroups; i++)
			if (req.group[i].id == g->id)
				break;
		req.group[i] = *g;
		if (i == req.ngroups)
			req.ngroups++;
	}
	alua_apply(lun, cmd->nexus);
	if (req.ngroups > 0 && lun->alua_tell != NULL)
		lun->alua_tell(lun, &req);
	return (SCSI_DONE);
}
