/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Reservations: SPC-2 RESERVE(6)/RELEASE(6), held by an I_T nexus, and
 * SPC-4 persistent reservations, whose registrations belong to an
 * initiator port (initiator name and ISID) seen through a target port,
 * so they outlive the nexus.  The reservation conflict rules of SPC-4
 * 5.13 are applied by pr_conflict() from the access class of each
 * command in the opcode table.
 *
 * Not yet: SPEC_I_PT, ALL_TG_PT, REGISTER AND MOVE, APTPL (persistence
 * across restarts) and the task aborts of PREEMPT AND ABORT.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lun.h"
#include "scsi.h"

/* PERSISTENT RESERVE OUT service actions */
#define PRO_REGISTER			0x00
#define PRO_RESERVE			0x01
#define PRO_RELEASE			0x02
#define PRO_CLEAR			0x03
#define PRO_PREEMPT			0x04
#define PRO_PREEMPT_AND_ABORT		0x05
#define PRO_REGISTER_AND_IGNORE		0x06

/* PERSISTENT RESERVE IN service actions */
#define PRI_READ_KEYS			0x00
#define PRI_READ_RESERVATION		0x01
#define PRI_REPORT_CAPABILITIES		0x02
#define PRI_READ_FULL_STATUS		0x03

/* reservation types */
#define PR_WE				0x1
#define PR_EA				0x3
#define PR_WE_RO			0x5
#define PR_EA_RO			0x6
#define PR_WE_AR			0x7
#define PR_EA_AR			0x8

#define ASC_INVALID_RELEASE		0x2604

#define PR_MAX_REGS			1024

static int
pr_type_valid(uint8_t type)
{
	switch (type) {
	case PR_WE:
	case PR_EA:
	case PR_WE_RO:
	case PR_EA_RO:
	case PR_WE_AR:
	case PR_EA_AR:
		return (1);
	}
	return (0);
}

static int
pr_all_registrants(uint8_t type)
{
	return (type == PR_WE_AR || type == PR_EA_AR);
}

/* Does a registration belong to the initiator port of this nexus? */
static int
pr_reg_is(const struct pr_reg *reg, const struct nexus *nx)
{
	if (nx == NULL)
		return (reg->initiator[0] == '\0' && reg->rel_port == 0);
	return (strcmp(reg->initiator, nx->initiator) == 0 &&
	    memcmp(reg->isid, nx->isid, sizeof(reg->isid)) == 0 &&
	    reg->rel_port == nx->rel_port);
}

static struct pr_reg *
pr_find(struct lun *lun, const struct nexus *nx)
{
	struct pr_reg	*reg;

	TAILQ_FOREACH(reg, &lun->pr_regs, entry)
		if (pr_reg_is(reg, nx))
			return (reg);
	return (NULL);
}

/* Is this registration a reservation holder? */
static int
pr_is_holder(const struct lun *lun, const struct pr_reg *reg)
{
	if (lun->pr_holder == NULL || reg == NULL)
		return (0);
	return (pr_all_registrants(lun->pr_type) || lun->pr_holder == reg);
}

/* Establish a UA on every nexus of an initiator port but the caller's. */
static void
pr_ua_reg(struct lun *lun, const struct pr_reg *reg, uint16_t ua,
    const struct nexus *except)
{
	struct nexus	*nx;

	RB_FOREACH(nx, nexus_tree, &lun->nexuses)
		if (nx != except && pr_reg_is(reg, nx))
			nx->ua |= ua;
}

static void
pr_unregister(struct lun *lun, struct pr_reg *reg)
{
	struct pr_reg	*other;

	if (lun->pr_holder == reg) {
		other = NULL;
		if (pr_all_registrants(lun->pr_type))
			TAILQ_FOREACH(other, &lun->pr_regs, entry)
				if (other != reg)
					break;
		/* all registrants: the reservation goes with the last one */
		lun->pr_holder = other;
		if (other == NULL)
			lun->pr_type = 0;
	}
	TAILQ_REMOVE(&lun->pr_regs, reg, entry);
	lun->pr_nregs--;
	free(reg);
}

void
pr_fini(struct lun *lun)
{
	struct pr_reg	*reg;

	while ((reg = TAILQ_FIRST(&lun->pr_regs)) != NULL) {
		TAILQ_REMOVE(&lun->pr_regs, reg, entry);
		free(reg);
	}
	lun->pr_nregs = 0;
	lun->pr_holder = NULL;
	lun->pr_type = 0;
}

/* I_T nexus loss: an SPC-2 reservation ends, registrations stay. */
void
pr_nexus_gone(struct lun *lun, struct nexus *nx)
{
	if (lun->res6_holder == nx)
		lun->res6_holder = NULL;
}

/* LU or target reset. */
void
pr_reset(struct lun *lun)
{
	lun->res6_holder = NULL;
	lun->res6_anon = 0;
}

/*
 * RESERVATION CONFLICT check for a command of the given access class
 * (PR_ACCESS_*).  Returns 1 with the command ended.
 */
int
pr_conflict(struct scsi_cmd *cmd, int access)
{
	struct lun	*lun = cmd->lun;
	struct pr_reg	*reg;
	int		 conflict = 0;

	if (access & PR_ACCESS_ALWAYS)
		return (0);
	if (lun->res6_holder != NULL || lun->res6_anon) {
		if ((lun->res6_anon && cmd->nexus != NULL) ||
		    (!lun->res6_anon && lun->res6_holder != cmd->nexus))
			conflict = 1;
	} else if (lun->pr_holder != NULL && (access & (PR_ACCESS_READ |
	    PR_ACCESS_WRITE))) {
		reg = pr_find(lun, cmd->nexus);
		switch (lun->pr_type) {
		case PR_WE:
			conflict = (access & PR_ACCESS_WRITE) &&
			    !pr_is_holder(lun, reg);
			break;
		case PR_EA:
			conflict = !pr_is_holder(lun, reg);
			break;
		case PR_WE_RO:
		case PR_WE_AR:
			conflict = (access & PR_ACCESS_WRITE) && reg == NULL;
			break;
		case PR_EA_RO:
		case PR_EA_AR:
			conflict = reg == NULL;
			break;
		}
	}
	if (conflict) {
		cmd->status = SAM_STAT_RESERVATION_CONFLICT;
		cmd->sense_len = 0;
	}
	return (conflict);
}

static void
pr_conflict_end(struct scsi_cmd *cmd)
{
	cmd->status = SAM_STAT_RESERVATION_CONFLICT;
	cmd->sense_len = 0;
}

int
spc_reserve6(struct scsi_cmd *cmd)
{
	struct lun	*lun = cmd->lun;

	/* no SPC-2 reservation while a persistent one exists */
	if (lun->pr_holder != NULL) {
		pr_conflict_end(cmd);
		return (SCSI_DONE);
	}
	if (cmd->nexus == NULL)
		lun->res6_anon = 1;
	else
		lun->res6_holder = cmd->nexus;
	return (SCSI_DONE);
}

int
spc_release6(struct scsi_cmd *cmd)
{
	struct lun	*lun = cmd->lun;

	if (lun->pr_holder != NULL) {
		pr_conflict_end(cmd);
		return (SCSI_DONE);
	}
	/* releasing a reservation held by someone else is a no-op */
	if (cmd->nexus == NULL)
		lun->res6_anon = 0;
	else if (lun->res6_holder == cmd->nexus)
		lun->res6_holder = NULL;
	return (SCSI_DONE);
}

/* TransportID of an iSCSI initiator port (SPC-4 7.6.4.6), format 01b. */
static uint32_t
pr_transport_id(const struct pr_reg *reg, uint8_t *p, uint32_t room)
{
	char		name[TGT_NAME_MAX + 32];
	uint32_t	l;

	l = snprintf(name, sizeof(name), "%s,i,0x%02x%02x%02x%02x%02x%02x",
	    reg->initiator, reg->isid[0], reg->isid[1], reg->isid[2],
	    reg->isid[3], reg->isid[4], reg->isid[5]);
	if (l >= sizeof(name))
		l = sizeof(name) - 1;
	l = (l + 1 + 3) & ~3u;
	if (4 + l > room)
		return (0);
	memset(p, 0, 4 + l);
	p[0] = 0x40 | 0x05;
	put_be16(&p[2], l);
	memcpy(&p[4], name, strlen(name));
	return (4 + l);
}

int
spc_pr_in(struct scsi_cmd *cmd)
{
	struct lun	*lun = cmd->lun;
	struct pr_reg	*reg;
	uint8_t		*b;
	uint32_t	 n = 8, size, l;
	uint16_t	 alloc = get_be16(&cmd->cdb[7]);

	size = 8 + lun->pr_nregs * (24 + 4 + TGT_NAME_MAX + 32);
	if ((b = calloc(1, size)) == NULL) {
		scsi_check(cmd, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
		return (SCSI_DONE);
	}
	put_be32(&b[0], lun->pr_generation);
	switch (cmd->cdb[1] & 0x1f) {
	case PRI_READ_KEYS:
		TAILQ_FOREACH(reg, &lun->pr_regs, entry) {
			put_be64(&b[n], reg->key);
			n += 8;
		}
		put_be32(&b[4], n - 8);
		break;
	case PRI_READ_RESERVATION:
		if (lun->pr_holder != NULL) {
			if (!pr_all_registrants(lun->pr_type))
				put_be64(&b[8], lun->pr_holder->key);
			b[21] = lun->pr_type & 0x0f;	/* scope LU */
			n += 16;
		}
		put_be32(&b[4], n - 8);
		break;
	case PRI_REPORT_CAPABILITIES:
		memset(b, 0, 8);
		put_be16(&b[0], 8);
		b[2] = 0x10;			/* CRH */
		b[3] = 0x80;			/* TMV: the mask is valid */
		b[4] = 0x80 | 0x40 | 0x20 | 0x08 | 0x02;
		b[5] = 0x01;
		n = 8;
		break;
	case PRI_READ_FULL_STATUS:
		TAILQ_FOREACH(reg, &lun->pr_regs, entry) {
			put_be64(&b[n], reg->key);
			if (pr_is_holder(lun, reg)) {
				b[n + 12] = 0x01;	/* R_HOLDER */
				b[n + 13] = lun->pr_type & 0x0f;
			}
			put_be16(&b[n + 18], reg->rel_port);
			l = pr_transport_id(reg, &b[n + 24], size - n - 24);
			put_be32(&b[n + 20], l);
			n += 24 + l;
		}
		put_be32(&b[4], n - 8);
		break;
	default:
		free(b);
		scsi_invalid_cdb(cmd, 1, 4);
		return (SCSI_DONE);
	}
	scsi_data_in(cmd, b, n, alloc);
	free(b);
	return (SCSI_DONE);
}

static int
pr_register(struct scsi_cmd *cmd, struct pr_reg *my, uint64_t key,
    uint64_t sakey, int ignore)
{
	struct lun	*lun = cmd->lun;
	struct nexus	*nx = cmd->nexus;

	if (my == NULL) {
		if (!ignore && key != 0)
			return (-1);
		if (sakey == 0)
			return (0);
		if (lun->pr_nregs >= PR_MAX_REGS ||
		    (my = calloc(1, sizeof(*my))) == NULL) {
			/* INSUFFICIENT REGISTRATION RESOURCES */
			scsi_check(cmd, SK_ILLEGAL_REQUEST, 0x5502);
			return (0);
		}
		if (nx != NULL) {
			strlcpy(my->initiator, nx->initiator,
			    sizeof(my->initiator));
			memcpy(my->isid, nx->isid, sizeof(my->isid));
			my->rel_port = nx->rel_port;
		}
		my->key = sakey;
		TAILQ_INSERT_TAIL(&lun->pr_regs, my, entry);
		lun->pr_nregs++;
	} else {
		if (!ignore && key != my->key)
			return (-1);
		if (sakey == 0)
			pr_unregister(lun, my);
		else
			my->key = sakey;
	}
	lun->pr_generation++;
	return (0);
}

static void
pr_preempt(struct scsi_cmd *cmd, struct pr_reg *my, uint64_t sakey,
    uint8_t type)
{
	struct lun	*lun = cmd->lun;
	struct pr_reg	*reg, *next;
	int		 removed = 0, holder_preempted;

	holder_preempted = lun->pr_holder != NULL &&
	    ((pr_all_registrants(lun->pr_type) && sakey == 0) ||
	    (!pr_all_registrants(lun->pr_type) &&
	    lun->pr_holder->key == sakey));
	if (sakey == 0 && !holder_preempted) {
		scsi_invalid_param(cmd, 8, -1);
		return;
	}
	for (reg = TAILQ_FIRST(&lun->pr_regs); reg != NULL; reg = next) {
		next = TAILQ_NEXT(reg, entry);
		if (reg == my)
			continue;
		if (sakey != 0 && reg->key != sakey)
			continue;
		pr_ua_reg(lun, reg, UA_REGS_PREEMPTED, cmd->nexus);
		if (lun->pr_holder == reg)
			lun->pr_holder = NULL;
		TAILQ_REMOVE(&lun->pr_regs, reg, entry);
		lun->pr_nregs--;
		free(reg);
		removed++;
	}
	if (holder_preempted) {
		lun->pr_holder = my;
		lun->pr_type = type;
	} else if (removed == 0) {
		pr_conflict_end(cmd);
		return;
	}
	lun->pr_generation++;
}

int
spc_pr_out(struct scsi_cmd *cmd)
{
	struct lun	*lun = cmd->lun;
	struct pr_reg	*my, *reg;
	uint8_t		 pl[24];
	uint64_t	 key, sakey;
	uint32_t	 len = get_be32(&cmd->cdb[5]);
	uint8_t		 sa = cmd->cdb[1] & 0x1f;
	uint8_t		 type = cmd->cdb[2] & 0x0f;
	uint8_t		 scope = cmd->cdb[2] >> 4;

	if (sa > PRO_REGISTER_AND_IGNORE) {
		scsi_invalid_cdb(cmd, 1, 4);
		return (SCSI_DONE);
	}
	cmd->want = len;
	if (len != sizeof(pl)) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST,
		    ASC_PARAM_LIST_LENGTH_ERROR);
		return (SCSI_DONE);
	}
	if (cmd->out_len < len) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_IU);
		return (SCSI_DONE);
	}
	memcpy(pl, cmd->buf, sizeof(pl));	/* out of shared memory */
	cmd->len = len;
	key = get_be64(&pl[0]);
	sakey = get_be64(&pl[8]);
	/* SPEC_I_PT, ALL_TG_PT, APTPL are not supported yet */
	if (pl[20] & 0x0d) {
		scsi_invalid_param(cmd, 20, (pl[20] & 0x08) ? 3 :
		    (pl[20] & 0x04) ? 2 : 0);
		return (SCSI_DONE);
	}
	if (lun->res6_holder != NULL || lun->res6_anon) {
		if (lun->res6_anon || lun->res6_holder != cmd->nexus) {
			pr_conflict_end(cmd);
			return (SCSI_DONE);
		}
	}
	my = pr_find(lun, cmd->nexus);

	switch (sa) {
	case PRO_REGISTER:
	case PRO_REGISTER_AND_IGNORE:
		if (pr_register(cmd, my, key, sakey,
		    sa == PRO_REGISTER_AND_IGNORE) == -1)
			pr_conflict_end(cmd);
		return (SCSI_DONE);
	}

	/* everything else needs a registration and its key */
	if (my == NULL || my->key != key) {
		pr_conflict_end(cmd);
		return (SCSI_DONE);
	}
	switch (sa) {
	case PRO_RESERVE:
		if (scope != 0 || !pr_type_valid(type)) {
			scsi_invalid_cdb(cmd, 2, -1);
			break;
		}
		if (lun->pr_holder == NULL) {
			lun->pr_holder = my;
			lun->pr_type = type;
		} else if (!pr_is_holder(lun, my) || lun->pr_type != type)
			pr_conflict_end(cmd);
		break;
	case PRO_RELEASE:
		if (lun->pr_holder == NULL || !pr_is_holder(lun, my))
			break;
		if (scope != 0 || lun->pr_type != type) {
			scsi_check(cmd, SK_ILLEGAL_REQUEST,
			    ASC_INVALID_RELEASE);
			break;
		}
		/* registrants-only and all-registrants: tell the others */
		if (lun->pr_type != PR_WE && lun->pr_type != PR_EA)
			TAILQ_FOREACH(reg, &lun->pr_regs, entry)
				if (reg != my)
					pr_ua_reg(lun, reg, UA_RES_RELEASED,
					    cmd->nexus);
		lun->pr_holder = NULL;
		lun->pr_type = 0;
		break;
	case PRO_CLEAR:
		TAILQ_FOREACH(reg, &lun->pr_regs, entry)
			if (reg != my)
				pr_ua_reg(lun, reg, UA_RES_PREEMPTED,
				    cmd->nexus);
		pr_fini(lun);
		lun->pr_generation++;
		break;
	case PRO_PREEMPT:
	case PRO_PREEMPT_AND_ABORT:
		if (lun->pr_holder != NULL && (scope != 0 ||
		    !pr_type_valid(type))) {
			scsi_invalid_cdb(cmd, 2, -1);
			break;
		}
		pr_preempt(cmd, my, sakey, type);
		break;
	}
	return (SCSI_DONE);
}
