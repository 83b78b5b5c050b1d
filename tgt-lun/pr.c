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
 * SPEC_I_PT registers the initiator ports of the iSCSI TransportIDs in
 * the parameter data (a name alone stands for every ISID), ALL_TG_PT
 * makes a registration hold on every target port, REGISTER AND MOVE
 * hands the reservation to another initiator port, PREEMPT AND ABORT
 * aborts the tasks of the preempted nexuses.  APTPL: the registrations
 * and the reservation are written to the state file the master hands
 * over (MSG_LUN_STATE) after every change, and read back when the LUN
 * process starts, so they survive a restart of tgt-lun and of the whole
 * suite.  The file holds two slots written in turn, each with a sequence
 * number and a checksum: a torn write loses one change, never the state.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
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
#define PRO_REGISTER_AND_MOVE		0x07

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

/* parameter data byte 20 (REGISTER and friends) */
#define PR_SPEC_I_PT			0x08
#define PR_ALL_TG_PT			0x04
#define PR_APTPL			0x01

#define PR_MAX_PARAM			(64 * 1024)
#define PR_TRIES			16	/* against a busy cluster store */

/* APTPL can be kept: a state file, or a cluster store */
static int
pr_can_persist(const struct lun *lun)
{
	return (lun->pr_fd != -1 || lun->pr_store != NULL);
}

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
	    (reg->any_isid ||
	    memcmp(reg->isid, nx->isid, sizeof(reg->isid)) == 0) &&
	    (reg->all_tg_pt || reg->rel_port == nx->rel_port));
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

/*
 * A unit attention (and with PREEMPT AND ABORT an abort) for every nexus
 * of an initiator port but the caller's.  Noted while a PERSISTENT
 * RESERVE OUT runs and applied by pr_events_apply() once the change is
 * kept: with a cluster store the change may be tried again, and the
 * other gateways apply the same events to their own nexuses.
 */
static void
pr_event(struct lun *lun, const struct pr_reg *reg, uint16_t ua, int abort)
{
	struct pr_ev	*ev;

	if (lun->pr_nev >= PR_EV_MAX) {
		log_warnx("more than %d reservation events in one command, "
		    "some unit attentions are lost", PR_EV_MAX);
		return;
	}
	ev = &lun->pr_ev[lun->pr_nev++];
	ev->reg = *reg;
	ev->ua = ua;
	ev->abort = abort;
}

/* Abort the tasks of the nexuses of a registration (PREEMPT AND ABORT). */
static void
pr_abort_reg(struct lun *lun, const struct pr_reg *reg,
    const struct nexus *except)
{
	struct scsi_cmd	*cmd;

	TAILQ_FOREACH(cmd, &lun->inflight, entry)
		if (cmd->nexus != NULL && cmd->nexus != except &&
		    pr_reg_is(reg, cmd->nexus))
			cmd->aborted = 1;
}

void
pr_events_apply(struct lun *lun, const struct pr_ev *ev, uint32_t n,
    const struct nexus *except)
{
	struct nexus	*nx;
	uint32_t	 i;

	for (i = 0; i < n; i++) {
		RB_FOREACH(nx, nexus_tree, &lun->nexuses)
			if (nx != except && pr_reg_is(&ev[i].reg, nx))
				nx->ua |= ev[i].ua;
		if (ev[i].abort)
			pr_abort_reg(lun, &ev[i].reg, except);
	}
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

/* Is nx the I_T nexus that holds the shared SPC-2 reservation? */
static int
pr_res6_mine(const struct lun *lun, const struct nexus *nx)
{
	const struct pr_reg	*id = &lun->res6_id;

	if (nx == NULL)
		return (id->initiator[0] == '\0' && id->rel_port == 0);
	return (strcmp(id->initiator, nx->initiator) == 0 &&
	    memcmp(id->isid, nx->isid, sizeof(id->isid)) == 0 &&
	    id->rel_port == nx->rel_port);
}

/* Is there an SPC-2 reservation? */
static int
pr_res6_held(const struct lun *lun)
{
	if (lun->pr_store != NULL)
		return (lun->res6_shared);
	return (lun->res6_holder != NULL || lun->res6_anon);
}

/* Does an SPC-2 reservation of another I_T nexus bar cmd? */
static int
pr_res6_other(const struct scsi_cmd *cmd)
{
	const struct lun	*lun = cmd->lun;

	if (lun->pr_store != NULL)
		return (lun->res6_shared && !pr_res6_mine(lun, cmd->nexus));
	if (lun->res6_anon)
		return (cmd->nexus != NULL);
	return (lun->res6_holder != NULL && lun->res6_holder != cmd->nexus);
}

static void	pr_store_error(struct scsi_cmd *, int);
static void	pr_conflict_end(struct scsi_cmd *);

/*
 * Change the SPC-2 reservation kept in the cluster: read the state,
 * apply, write it back unless another gateway changed it meanwhile (then
 * again on the newer state).  op: 1 reserve for cmd's nexus, 0 release
 * it, -1 release whoever holds it (a reset), -2 release it if nx holds
 * it (nexus loss).  cmd (may be NULL) gets the outcome.
 */
static void
pr_res6_cluster(struct lun *lun, struct scsi_cmd *cmd, int op,
    const struct nexus *nx)
{
	int	 try, r;

	for (try = 0; ; try++) {
		if ((r = lun->pr_store->load(lun)) < 0)
			break;
		switch (op) {
		case 1:
			/* no SPC-2 reservation while a persistent one exists */
			if (lun->pr_holder != NULL || pr_res6_other(cmd)) {
				pr_conflict_end(cmd);
				return;
			}
			memset(&lun->res6_id, 0, sizeof(lun->res6_id));
			if (cmd->nexus != NULL) {
				strlcpy(lun->res6_id.initiator,
				    cmd->nexus->initiator,
				    sizeof(lun->res6_id.initiator));
				memcpy(lun->res6_id.isid, cmd->nexus->isid,
				    sizeof(lun->res6_id.isid));
				lun->res6_id.rel_port = cmd->nexus->rel_port;
			}
			lun->res6_shared = 1;
			break;
		case 0:
			if (lun->pr_holder != NULL) {
				pr_conflict_end(cmd);
				return;
			}
			/* releasing another's reservation is a no-op */
			if (!lun->res6_shared || !pr_res6_mine(lun, cmd->nexus))
				return;
			lun->res6_shared = 0;
			break;
		default:
			if (!lun->res6_shared ||
			    (op == -2 && !pr_res6_mine(lun, nx)))
				return;
			lun->res6_shared = 0;
			break;
		}
		r = lun->pr_store->commit(lun);
		if (r != -ECANCELED || try >= PR_TRIES)
			break;
	}
	if (r >= 0)
		return;
	if (cmd != NULL)
		pr_store_error(cmd, -r);
	else
		log_warnx("SPC-2 reservation: the cluster state could not be "
		    "changed: %s", strerror(-r));
}

/* I_T nexus loss: an SPC-2 reservation ends, registrations stay. */
void
pr_nexus_gone(struct lun *lun, struct nexus *nx)
{
	if (lun->res6_holder == nx)
		lun->res6_holder = NULL;
	/* only if it looks held here: no cluster call at every logout */
	if (lun->pr_store != NULL && lun->res6_shared &&
	    pr_res6_mine(lun, nx))
		pr_res6_cluster(lun, NULL, -2, nx);
}

/* LU or target reset: SPC-2 reservations end, on every gateway. */
void
pr_reset(struct lun *lun)
{
	lun->res6_holder = NULL;
	lun->res6_anon = 0;
	if (lun->pr_store != NULL)
		pr_res6_cluster(lun, NULL, -1, NULL);
}

/* A cluster store that could not be read or written. */
static void
pr_store_error(struct scsi_cmd *cmd, int error)
{
	if (error == ETIMEDOUT || error == ENOTCONN || error == ESHUTDOWN)
		/* out of reach for now: retryable */
		scsi_check(cmd, SK_NOT_READY, ASC_LUN_TRANSITION);
	else
		scsi_check(cmd, SK_HARDWARE_ERROR,
		    ASC_INTERNAL_TARGET_FAILURE);
}

/*
 * A cluster store: take another gateway's change before the command's
 * unit attention check.  A store out of reach is pr_conflict()'s to
 * report, for the commands whose verdict depends on it.
 */
void
pr_sync(struct lun *lun)
{
	if (lun->pr_store != NULL)
		(void)lun->pr_store->sync(lun);
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
	/* another gateway's change first; without it, no verdict */
	if (lun->pr_store != NULL && lun->pr_store->sync(lun) < 0 &&
	    (access & (PR_ACCESS_READ | PR_ACCESS_WRITE))) {
		pr_store_error(cmd, ETIMEDOUT);
		return (1);
	}
	if (pr_res6_held(lun)) {
		conflict = pr_res6_other(cmd);
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

	/* with a cluster store, held by the nexus on every gateway */
	if (lun->pr_store != NULL) {
		pr_res6_cluster(lun, cmd, 1, NULL);
		return (SCSI_DONE);
	}
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

	if (lun->pr_store != NULL) {
		pr_res6_cluster(lun, cmd, 0, NULL);
		return (SCSI_DONE);
	}
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

/*
 * TransportID of an iSCSI initiator port (SPC-4 7.6.4.6): format 01b
 * with the ISID, or 00b (the name alone) for a registration of every
 * ISID of the name.
 */
static uint32_t
pr_transport_id(const struct pr_reg *reg, uint8_t *p, uint32_t room)
{
	char		name[TGT_NAME_MAX + 32];
	uint32_t	l;

	if (reg->any_isid)
		l = snprintf(name, sizeof(name), "%s", reg->initiator);
	else
		l = snprintf(name, sizeof(name),
		    "%s,i,0x%02x%02x%02x%02x%02x%02x", reg->initiator,
		    reg->isid[0], reg->isid[1], reg->isid[2], reg->isid[3],
		    reg->isid[4], reg->isid[5]);
	if (l >= sizeof(name))
		l = sizeof(name) - 1;
	l = (l + 1 + 3) & ~3u;
	if (4 + l > room)
		return (0);
	memset(p, 0, 4 + l);
	p[0] = (reg->any_isid ? 0x00 : 0x40) | 0x05;
	put_be16(&p[2], l);
	memcpy(&p[4], name, strlen(name));
	return (4 + l);
}

/*
 * Parse an iSCSI TransportID of at most len bytes into a registration
 * (name, ISID or any).  Returns its length, or 0 if it is malformed.
 */
static uint32_t
pr_parse_transport_id(const uint8_t *p, uint32_t len, struct pr_reg *r)
{
	const char	*s, *comma;
	uint32_t	 l, i;
	size_t		 n;
	unsigned int	 v;

	if (len < 4 || (p[0] & 0x0f) != 0x05 || (p[0] & 0x30) != 0)
		return (0);
	l = get_be16(&p[2]);
	if (l < 4 || l % 4 != 0 || l > len - 4 || l > TGT_NAME_MAX + 24)
		return (0);
	s = (const char *)&p[4];
	if ((n = strnlen(s, l)) == l || n == 0)
		return (0);		/* not NUL-terminated, or empty */
	memset(r, 0, sizeof(*r));
	switch (p[0] >> 6) {
	case 0:				/* iSCSI name */
		if (n >= sizeof(r->initiator))
			return (0);
		memcpy(r->initiator, s, n);
		r->any_isid = 1;
		break;
	case 1:				/* name,i,0xISID */
		if ((comma = strstr(s, ",i,0x")) == NULL ||
		    comma - s >= (ptrdiff_t)sizeof(r->initiator) ||
		    strlen(comma + 5) != 12)
			return (0);
		memcpy(r->initiator, s, comma - s);
		for (i = 0; i < 6; i++) {
			if (sscanf(comma + 5 + 2 * i, "%2x", &v) != 1)
				return (0);
			r->isid[i] = v;
		}
		break;
	default:
		return (0);
	}
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
	int		 r;

	if (lun->pr_store != NULL && (r = lun->pr_store->sync(lun)) < 0) {
		pr_store_error(cmd, -r);
		return (SCSI_DONE);
	}
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
		/* CRH, SIP_C, ATP_C, PTPL_C with a state file */
		b[2] = 0x10 | 0x08 | 0x04 | (pr_can_persist(lun) ? 0x01 : 0);
		b[3] = 0x80 | (lun->pr_aptpl ? 0x01 : 0);  /* TMV, PTPL_A */
		b[4] = 0x80 | 0x40 | 0x20 | 0x08 | 0x02;
		b[5] = 0x01;
		n = 8;
		break;
	case PRI_READ_FULL_STATUS:
		TAILQ_FOREACH(reg, &lun->pr_regs, entry) {
			put_be64(&b[n], reg->key);
			if (reg->all_tg_pt)
				b[n + 12] |= 0x02;	/* ALL_TG_PT */
			if (pr_is_holder(lun, reg)) {
				b[n + 12] |= 0x01;	/* R_HOLDER */
				b[n + 13] = lun->pr_type & 0x0f;
			}
			put_be16(&b[n + 18], reg->all_tg_pt ? 0 :
			    reg->rel_port);
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

/* A new registration; NULL (with the command ended) when out of room. */
static struct pr_reg *
pr_reg_add(struct scsi_cmd *cmd, const struct pr_reg *tmpl, uint64_t key)
{
	struct lun	*lun = cmd->lun;
	struct pr_reg	*reg;

	if (lun->pr_nregs >= PR_MAX_REGS ||
	    (reg = calloc(1, sizeof(*reg))) == NULL) {
		/* INSUFFICIENT REGISTRATION RESOURCES */
		scsi_check(cmd, SK_ILLEGAL_REQUEST, 0x5504);
		return (NULL);
	}
	*reg = *tmpl;
	reg->key = key;
	TAILQ_INSERT_TAIL(&lun->pr_regs, reg, entry);
	lun->pr_nregs++;
	return (reg);
}

/* The registration of the issuing nexus, as a template. */
static void
pr_reg_self(const struct scsi_cmd *cmd, struct pr_reg *r, int all_tg_pt)
{
	const struct nexus	*nx = cmd->nexus;

	memset(r, 0, sizeof(*r));
	if (nx != NULL) {
		strlcpy(r->initiator, nx->initiator, sizeof(r->initiator));
		memcpy(r->isid, nx->isid, sizeof(r->isid));
		r->rel_port = nx->rel_port;
	}
	r->all_tg_pt = all_tg_pt;
}

static int
pr_reg_same(const struct pr_reg *a, const struct pr_reg *b)
{
	return (strcmp(a->initiator, b->initiator) == 0 &&
	    a->any_isid == b->any_isid &&
	    (a->any_isid || memcmp(a->isid, b->isid, sizeof(a->isid)) == 0) &&
	    a->all_tg_pt == b->all_tg_pt &&
	    (a->all_tg_pt || a->rel_port == b->rel_port));
}

/*
 * SPEC_I_PT: register every TransportID of the parameter data (after
 * the issuer).  All or nothing: on an error none stays registered.
 */
static int
pr_register_spec(struct scsi_cmd *cmd, const uint8_t *pl, uint32_t plen,
    uint64_t sakey, int all_tg_pt)
{
	struct lun	*lun = cmd->lun;
	struct pr_reg	 r, *added[64], *reg;
	uint32_t	 tlen, off, l;
	int		 nadded = 0, i;

	if (plen < 28) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST,
		    ASC_PARAM_LIST_LENGTH_ERROR);
		return (-1);
	}
	tlen = get_be32(&pl[24]);
	if (tlen > plen - 28) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST,
		    ASC_PARAM_LIST_LENGTH_ERROR);
		return (-1);
	}
	for (off = 0; off < tlen; off += l) {
		if ((l = pr_parse_transport_id(&pl[28 + off], tlen - off,
		    &r)) == 0 || nadded == (int)(sizeof(added) /
		    sizeof(added[0]))) {
			scsi_invalid_param(cmd, 28 + off, -1);
			goto undo;
		}
		r.all_tg_pt = all_tg_pt;
		r.rel_port = cmd->nexus != NULL ? cmd->nexus->rel_port : 0;
		/* a port already registered is an error (SPC-4 5.13.7) */
		TAILQ_FOREACH(reg, &lun->pr_regs, entry)
			if (pr_reg_same(reg, &r))
				break;
		if (reg != NULL) {
			scsi_invalid_param(cmd, 28 + off, -1);
			goto undo;
		}
		if ((added[nadded] = pr_reg_add(cmd, &r, sakey)) == NULL)
			goto undo;
		nadded++;
	}
	return (0);
 undo:
	for (i = 0; i < nadded; i++) {
		TAILQ_REMOVE(&lun->pr_regs, added[i], entry);
		lun->pr_nregs--;
		free(added[i]);
	}
	return (-1);
}

static void
pr_register(struct scsi_cmd *cmd, struct pr_reg *my, const uint8_t *pl,
    uint32_t plen, int ignore)
{
	struct lun	*lun = cmd->lun;
	struct pr_reg	 self, *reg;
	uint64_t	 key = get_be64(&pl[0]), sakey = get_be64(&pl[8]);
	int		 spec = (pl[20] & PR_SPEC_I_PT) != 0;
	int		 all_tg_pt = (pl[20] & PR_ALL_TG_PT) != 0;

	if (spec && (ignore || my != NULL || sakey == 0)) {
		/* only a new registration may name other ports */
		scsi_invalid_param(cmd, 20, 3);
		return;
	}
	if (my == NULL) {
		if (!ignore && key != 0) {
			pr_conflict_end(cmd);
			return;
		}
		if (sakey == 0)
			goto done;	/* nothing to unregister */
		pr_reg_self(cmd, &self, all_tg_pt);
		if ((reg = pr_reg_add(cmd, &self, sakey)) == NULL)
			return;
		if (spec && pr_register_spec(cmd, pl, plen, sakey,
		    all_tg_pt) == -1) {
			pr_unregister(lun, reg);
			return;
		}
	} else {
		if (!ignore && key != my->key) {
			pr_conflict_end(cmd);
			return;
		}
		if (sakey == 0)
			pr_unregister(lun, my);
		else
			my->key = sakey;
	}
	lun->pr_generation++;
 done:
	/* the APTPL of the last REGISTER applies (SPC-4 5.13.4) */
	lun->pr_aptpl = (pl[20] & PR_APTPL) != 0;
}

static void
pr_preempt(struct scsi_cmd *cmd, struct pr_reg *my, uint64_t sakey,
    uint8_t type, int abort)
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
		pr_event(lun, reg, UA_REGS_PREEMPTED, abort);
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

/*
 * REGISTER AND MOVE (SPC-4 5.13.8): the reservation holder registers
 * another initiator port with the service action key and moves the
 * reservation to it; UNREG drops the issuer's own registration.
 */
static void
pr_register_and_move(struct scsi_cmd *cmd, struct pr_reg *my,
    const uint8_t *pl, uint32_t plen)
{
	struct lun	*lun = cmd->lun;
	struct pr_reg	 r, *reg;
	uint64_t	 key = get_be64(&pl[0]), sakey = get_be64(&pl[8]);
	uint32_t	 tlen;
	uint16_t	 relport = get_be16(&pl[18]);

	if (my == NULL || my->key != key || lun->pr_holder == NULL ||
	    !pr_is_holder(lun, my) || pr_all_registrants(lun->pr_type)) {
		pr_conflict_end(cmd);
		return;
	}
	if (plen < 24 || (tlen = get_be32(&pl[20])) > plen - 24) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST,
		    ASC_PARAM_LIST_LENGTH_ERROR);
		return;
	}
	if (sakey == 0) {
		scsi_invalid_param(cmd, 8, -1);
		return;
	}
	if (pr_parse_transport_id(&pl[24], tlen, &r) == 0 || r.any_isid) {
		scsi_invalid_param(cmd, 24, -1);
		return;
	}
	r.rel_port = relport;
	if (pr_reg_same(&r, my)) {	/* a move to itself */
		scsi_invalid_param(cmd, 24, -1);
		return;
	}
	TAILQ_FOREACH(reg, &lun->pr_regs, entry)
		if (pr_reg_same(reg, &r))
			break;
	if (reg == NULL && (reg = pr_reg_add(cmd, &r, sakey)) == NULL)
		return;
	reg->key = sakey;
	lun->pr_holder = reg;
	if (pl[17] & 0x02)		/* UNREG */
		pr_unregister(lun, my);
	lun->pr_aptpl = (pl[17] & PR_APTPL) != 0;
	lun->pr_generation++;
}

/*
 * One try of a PERSISTENT RESERVE OUT (its parameter list checked for
 * size) on the state as it is now; the command's status says how it
 * went.
 */
static void
pr_out_apply(struct scsi_cmd *cmd, const uint8_t *pl, uint32_t len)
{
	struct lun	*lun = cmd->lun;
	struct pr_reg	*my, *reg;
	uint64_t	 key = get_be64(&pl[0]), sakey = get_be64(&pl[8]);
	uint8_t		 sa = cmd->cdb[1] & 0x1f;
	uint8_t		 type = cmd->cdb[2] & 0x0f;
	uint8_t		 scope = cmd->cdb[2] >> 4;

	if (pr_res6_other(cmd)) {
		pr_conflict_end(cmd);
		return;
	}
	my = pr_find(lun, cmd->nexus);
	/* APTPL needs somewhere to persist to (PTPL_C) */
	if ((sa == PRO_REGISTER || sa == PRO_REGISTER_AND_IGNORE ||
	    sa == PRO_REGISTER_AND_MOVE) && !pr_can_persist(lun) &&
	    (pl[sa == PRO_REGISTER_AND_MOVE ? 17 : 20] & PR_APTPL)) {
		scsi_invalid_param(cmd, sa == PRO_REGISTER_AND_MOVE ? 17 : 20,
		    0);
		return;
	}

	switch (sa) {
	case PRO_REGISTER:
	case PRO_REGISTER_AND_IGNORE:
		pr_register(cmd, my, pl, len, sa == PRO_REGISTER_AND_IGNORE);
		return;
	case PRO_REGISTER_AND_MOVE:
		pr_register_and_move(cmd, my, pl, len);
		return;
	}

	/* everything else needs a registration and its key */
	if (my == NULL || my->key != key) {
		pr_conflict_end(cmd);
		return;
	}
	/* SPEC_I_PT and ALL_TG_PT belong to REGISTER only */
	if (pl[20] & (PR_SPEC_I_PT | PR_ALL_TG_PT)) {
		scsi_invalid_param(cmd, 20, (pl[20] & PR_SPEC_I_PT) ? 3 : 2);
		return;
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
					pr_event(lun, reg, UA_RES_RELEASED, 0);
		lun->pr_holder = NULL;
		lun->pr_type = 0;
		break;
	case PRO_CLEAR:
		TAILQ_FOREACH(reg, &lun->pr_regs, entry)
			if (reg != my)
				pr_event(lun, reg, UA_RES_PREEMPTED, 0);
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
		pr_preempt(cmd, my, sakey, type,
		    sa == PRO_PREEMPT_AND_ABORT);
		break;
	}
}

/*
 * PERSISTENT RESERVE OUT.  With a cluster store (pr_rados.c) the state
 * is read from the cluster first, the command applied to it and the
 * result written back only if nobody changed it meanwhile; if somebody
 * did, the command is tried again on the newer state.  The unit
 * attentions it causes are set once the change is kept.
 */
int
spc_pr_out(struct scsi_cmd *cmd)
{
	struct lun	*lun = cmd->lun;
	uint8_t		*pl = NULL;
	uint32_t	 len = get_be32(&cmd->cdb[5]);
	uint8_t		 sa = cmd->cdb[1] & 0x1f;
	int		 spec, try, r;

	if (sa > PRO_REGISTER_AND_MOVE) {
		scsi_invalid_cdb(cmd, 1, 4);
		return (SCSI_DONE);
	}
	cmd->want = len;
	/* 24 bytes, more with SPEC_I_PT or REGISTER AND MOVE */
	if (len < 24 || len > PR_MAX_PARAM) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST,
		    ASC_PARAM_LIST_LENGTH_ERROR);
		return (SCSI_DONE);
	}
	if (cmd->out_len < len) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_IU);
		return (SCSI_DONE);
	}
	/* out of shared memory before anything is looked at */
	if ((pl = malloc(len)) == NULL) {
		scsi_check(cmd, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
		return (SCSI_DONE);
	}
	memcpy(pl, cmd->buf, len);
	cmd->len = len;
	spec = sa != PRO_REGISTER_AND_MOVE && (pl[20] & PR_SPEC_I_PT);
	if (len != 24 && sa != PRO_REGISTER_AND_MOVE && !spec) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST,
		    ASC_PARAM_LIST_LENGTH_ERROR);
		goto out;
	}
	for (try = 0; ; try++) {
		lun->pr_nev = 0;
		if (lun->pr_store != NULL &&
		    (r = lun->pr_store->load(lun)) < 0) {
			pr_store_error(cmd, -r);
			goto out;
		}
		pr_out_apply(cmd, pl, len);
		if (cmd->status != SAM_STAT_GOOD)
			goto out;
		if (lun->pr_store == NULL) {
			if (pr_state_save(lun) == -1)
				/* made, but would not survive a restart */
				scsi_check(cmd, SK_HARDWARE_ERROR,
				    ASC_INTERNAL_TARGET_FAILURE);
			break;
		}
		r = lun->pr_store->commit(lun);
		if (r == -ECANCELED && try < PR_TRIES)
			continue;	/* another gateway was first */
		if (r < 0) {
			pr_store_error(cmd, -r);
			goto out;
		}
		break;
	}
	pr_events_apply(lun, lun->pr_ev, lun->pr_nev, cmd->nexus);
 out:
	lun->pr_nev = 0;
	free(pl);
	return (SCSI_DONE);
}

/*
 * The state, as each of the two slots of the state file and the object
 * of a cluster store hold it:
 *	"TGTPR\0\0\1"	magic and format version
 *	u32 sequence, u32 checksum (FNV-1a of what follows it),
 *	u32 generation, u32 nregs, u32 holder index + 1 (0: none),
 *	u8 type, u8 aptpl, u8 SPC-2 reserved (cluster store only), 1
 *	    reserved,
 *	nregs records of PR_REC bytes: the initiator name (NUL padded),
 *	    ISID, relative port, key, flags (1 ALL_TG_PT, 2 any ISID),
 *	then, if SPC-2 reserved, one more: the holder's I_T nexus.
 * The checksum covers every record.
 * Everything big-endian.  The file keeps registrations only with APTPL
 * (with APTPL off a slot says "none", so a restart forgets them); a
 * cluster store keeps them all, the gateways share them.
 */
#define PR_MAGIC	"TGTPR\0\0\1"
#define PR_HDR		32
#define PR_REC		(TGT_NAME_MAX + 6 + 2 + 8 + 4)
#define PR_SLOT		(PR_HDR + PR_MAX_REGS * PR_REC)
/* a cluster store's state: one record more, the SPC-2 holder */
#define PR_STATE_MAX	(PR_SLOT + PR_REC)
#define PR_EV_REC	(PR_REC + 4)	/* + unit attention, abort, pad */

static uint32_t
pr_fnv(const uint8_t *p, size_t n)
{
	uint32_t	h = 2166136261u;

	while (n-- > 0)
		h = (h ^ *p++) * 16777619u;
	return (h);
}

static void
pr_reg_put(const struct pr_reg *reg, uint8_t *r)
{
	memset(r, 0, PR_REC);
	memcpy(r, reg->initiator, strnlen(reg->initiator, TGT_NAME_MAX - 1));
	memcpy(&r[TGT_NAME_MAX], reg->isid, 6);
	put_be16(&r[TGT_NAME_MAX + 6], reg->rel_port);
	put_be64(&r[TGT_NAME_MAX + 8], reg->key);
	put_be32(&r[TGT_NAME_MAX + 16],
	    (reg->all_tg_pt ? 1 : 0) | (reg->any_isid ? 2 : 0));
}

static void
pr_reg_get(struct pr_reg *reg, const uint8_t *r)
{
	memset(reg, 0, sizeof(*reg));
	memcpy(reg->initiator, r, TGT_NAME_MAX - 1);
	memcpy(reg->isid, &r[TGT_NAME_MAX], 6);
	reg->rel_port = get_be16(&r[TGT_NAME_MAX + 6]);
	reg->key = get_be64(&r[TGT_NAME_MAX + 8]);
	reg->all_tg_pt = (get_be32(&r[TGT_NAME_MAX + 16]) & 1) != 0;
	reg->any_isid = (get_be32(&r[TGT_NAME_MAX + 16]) & 2) != 0;
}

/* Encode into b (PR_STATE_MAX bytes); returns the length used. */
static uint32_t
pr_encode(struct lun *lun, int regs, uint32_t seq, uint8_t *b)
{
	struct pr_reg	*reg;
	uint32_t	 n = 0, holder = 0, len;

	memset(b, 0, PR_HDR);
	if (regs) {
		TAILQ_FOREACH(reg, &lun->pr_regs, entry) {
			pr_reg_put(reg, &b[PR_HDR + n * PR_REC]);
			if (reg == lun->pr_holder)
				holder = n + 1;
			n++;
		}
	}
	memcpy(b, PR_MAGIC, 8);
	put_be32(&b[8], seq);
	put_be32(&b[16], lun->pr_generation);
	put_be32(&b[20], n);
	put_be32(&b[24], holder);
	b[28] = holder ? lun->pr_type : 0;
	b[29] = lun->pr_aptpl;
	if (regs && lun->res6_shared && lun->pr_store != NULL) {
		b[30] = 1;
		pr_reg_put(&lun->res6_id, &b[PR_HDR + n * PR_REC]);
	}
	len = PR_HDR + (n + b[30]) * PR_REC;
	put_be32(&b[12], pr_fnv(&b[16], len - 16));
	return (len);
}

size_t
pr_state_max(void)
{
	return (PR_STATE_MAX);
}

uint8_t *
pr_state_encode(struct lun *lun, uint32_t *len)
{
	uint8_t	*b;

	if ((b = malloc(PR_STATE_MAX)) == NULL)
		return (NULL);
	*len = pr_encode(lun, 1, 0, b);
	return (b);
}

/* The sequence number of a sound state of len bytes, 0 if not sound. */
static uint32_t
pr_state_check(const uint8_t *b, size_t len)
{
	uint32_t	n;

	if (len < PR_HDR || memcmp(b, PR_MAGIC, 8) != 0)
		return (0);
	n = get_be32(&b[20]);
	if (n > PR_MAX_REGS || b[30] > 1 ||
	    len < PR_HDR + ((size_t)n + b[30]) * PR_REC ||
	    get_be32(&b[24]) > n || b[29] > 1 ||
	    pr_fnv(&b[16], PR_HDR + (n + b[30]) * PR_REC - 16) !=
	    get_be32(&b[12]))
		return (0);
	return (get_be32(&b[8]) == 0 ? 1 : get_be32(&b[8]));
}

/*
 * Replace the LUN's reservations with those of a state of len bytes,
 * untrusted like any input: every count and string is checked.  An
 * empty state is no registration at all.  0, or -1 (the state is
 * unsound, or out of memory).
 */
int
pr_state_decode(struct lun *lun, const uint8_t *s, size_t len)
{
	struct pr_reg	*reg;
	uint32_t	 n, i, holder;

	if (len == 0) {
		pr_fini(lun);
		lun->pr_aptpl = 0;
		lun->res6_shared = 0;
		return (0);
	}
	if (pr_state_check(s, len) == 0)
		return (-1);
	pr_fini(lun);
	n = get_be32(&s[20]);
	lun->res6_shared = s[30];
	if (lun->res6_shared)
		pr_reg_get(&lun->res6_id, &s[PR_HDR + n * PR_REC]);
	lun->pr_generation = get_be32(&s[16]);
	lun->pr_aptpl = s[29];
	n = get_be32(&s[20]);
	holder = get_be32(&s[24]);
	for (i = 0; i < n; i++) {
		if ((reg = calloc(1, sizeof(*reg))) == NULL)
			return (-1);
		pr_reg_get(reg, &s[PR_HDR + i * PR_REC]);
		TAILQ_INSERT_TAIL(&lun->pr_regs, reg, entry);
		lun->pr_nregs++;
		if (holder == i + 1 && pr_type_valid(s[28])) {
			lun->pr_holder = reg;
			lun->pr_type = s[28];
		}
	}
	return (0);
}

uint8_t *
pr_ev_encode(const struct pr_ev *ev, uint32_t n, uint32_t *len)
{
	uint8_t		*b;
	uint32_t	 i;

	if ((b = calloc(n == 0 ? 1 : n, PR_EV_REC)) == NULL)
		return (NULL);
	for (i = 0; i < n; i++) {
		pr_reg_put(&ev[i].reg, &b[i * PR_EV_REC]);
		put_be16(&b[i * PR_EV_REC + PR_REC], ev[i].ua);
		b[i * PR_EV_REC + PR_REC + 2] = ev[i].abort != 0;
	}
	*len = n * PR_EV_REC;
	return (b);
}

/* Events from another gateway: at most max, the count. */
uint32_t
pr_ev_decode(const uint8_t *b, size_t len, struct pr_ev *ev, uint32_t max)
{
	uint32_t	n = 0;

	for (; len >= PR_EV_REC && n < max; len -= PR_EV_REC, b += PR_EV_REC) {
		pr_reg_get(&ev[n].reg, b);
		/* only the unit attentions reservations may set */
		ev[n].ua = get_be16(&b[PR_REC]) & (UA_RES_PREEMPTED |
		    UA_RES_RELEASED | UA_REGS_PREEMPTED);
		ev[n].abort = b[PR_REC + 2] != 0;
		n++;
	}
	return (n);
}

int
pr_state_save(struct lun *lun)
{
	uint8_t		*b;
	uint32_t	 len;
	int		 rv = 0;

	if (lun->pr_fd == -1)
		return (0);
	if ((b = malloc(PR_SLOT)) == NULL)
		return (-1);
	len = pr_encode(lun, lun->pr_aptpl, lun->pr_seq + 1, b);
	if (pwrite(lun->pr_fd, b, len, (off_t)((lun->pr_seq + 1) & 1) *
	    PR_SLOT) != (ssize_t)len || fdatasync(lun->pr_fd) == -1)
		rv = -1;
	else
		lun->pr_seq++;
	free(b);
	return (rv);
}

/* Read one slot; its sequence number, or 0 if it is not valid. */
static uint32_t
pr_slot_read(int fd, int slot, uint8_t *b, size_t *len)
{
	ssize_t		r;

	r = pread(fd, b, PR_SLOT, (off_t)slot * PR_SLOT);
	*len = r < 0 ? 0 : (size_t)r;
	return (r < 0 ? 0 : pr_state_check(b, r));
}

/*
 * Take over the state file (the LUN keeps the fd) and restore what it
 * holds.
 */
int
pr_state_load(struct lun *lun, int fd, char *err, size_t errlen)
{
	uint8_t		*b[2];
	uint32_t	 seq[2];
	size_t		 len[2];
	int		 best, rv = 0;

	b[0] = malloc(PR_SLOT);
	b[1] = malloc(PR_SLOT);
	if (b[0] == NULL || b[1] == NULL) {
		snprintf(err, errlen, "out of memory");
		rv = -1;
		goto out;
	}
	if (lun->pr_fd != -1)
		close(lun->pr_fd);
	lun->pr_fd = fd;
	if (lun->pr_store != NULL)
		goto out;		/* the cluster's state rules */
	seq[0] = pr_slot_read(fd, 0, b[0], &len[0]);
	seq[1] = pr_slot_read(fd, 1, b[1], &len[1]);
	if (seq[0] == 0 && seq[1] == 0)
		goto out;		/* new, or nothing valid */
	best = seq[1] > seq[0] ? 1 : 0;
	lun->pr_seq = seq[best];
	if (pr_state_decode(lun, b[best], len[best]) == -1) {
		snprintf(err, errlen, "out of memory");
		rv = -1;
	}
 out:
	free(b[0]);
	free(b[1]);
	return (rv);
}
