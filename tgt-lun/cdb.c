/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * CDB decoding and command dispatch.  Every supported command is one
 * entry of a command table (struct scsi_op in lun.h): the commands
 * every device type shares are spc_ops[] here, each device type has its
 * own table in its file (sbc.c for disks, ssc.c for tapes), looked up
 * first.  scsi_exec() looks the CDB up, reports a pending unit attention
 * where SAM-5 says so, checks the CONTROL byte and calls the handler.
 *
 * Task attributes (SAM-5 8.6): commands start in the order the ring
 * delivers them, which is CmdSN order.  SIMPLE and HEAD OF QUEUE commands
 * start at once (nothing waits in a queue here, so HEAD OF QUEUE has
 * nothing to overtake); an ORDERED command starts once every older
 * command of the LUN has completed, and the next ones start once it has.
 */

#include <stdlib.h>
#include <string.h>

#include "lun.h"
#include "scsi.h"

#define LBA4	0xff, 0xff, 0xff, 0xff
#define LBA8	LBA4, LBA4

/* The commands every device type shares (SPC-4). */
static const struct scsi_op spc_ops[] = {
	{ TEST_UNIT_READY, 0, 6, 0, spc_test_unit_ready, "TEST UNIT READY",
	    { 0x00, 0, 0, 0, 0, 0x07 } },
	{ REQUEST_SENSE, 0, 6, OPF_NO_UA | OPF_ALWAYS | OPF_SANITIZE,
	    spc_request_sense,
	    "REQUEST SENSE",
	    { 0x03, 0x01, 0, 0, 0xff, 0x07 } },
	{ INQUIRY, 0, 6, OPF_NO_UA | OPF_ALWAYS | OPF_SANITIZE, spc_inquiry,
	    "INQUIRY",
	    { 0x12, 0x01, 0xff, 0xff, 0xff, 0x07 } },
	{ MODE_SELECT_6, 0, 6, OPF_WRITE, spc_mode_select, "MODE SELECT(6)",
	    { 0x15, 0x11, 0, 0, 0xff, 0x07 } },
	{ RESERVE_6, 0, 6, 0, spc_reserve6, "RESERVE(6)",
	    { 0x16, 0, 0, 0, 0, 0x07 } },
	{ RELEASE_6, 0, 6, OPF_ALWAYS, spc_release6, "RELEASE(6)",
	    { 0x17, 0, 0, 0, 0, 0x07 } },
	{ MODE_SENSE_6, 0, 6, 0, spc_mode_sense, "MODE SENSE(6)",
	    { 0x1a, 0x08, 0xff, 0xff, 0xff, 0x07 } },
	{ PREVENT_ALLOW_MEDIUM_REMOVAL, 0, 6, 0, spc_prevent_allow,
	    "PREVENT ALLOW MEDIUM REMOVAL",
	    { 0x1e, 0, 0, 0, 0x03, 0x07 } },
	{ MODE_SELECT_10, 0, 10, OPF_WRITE, spc_mode_select, "MODE SELECT(10)",
	    { 0x55, 0x11, 0, 0, 0, 0, 0, 0xff, 0xff, 0x07 } },
	{ MODE_SENSE_10, 0, 10, 0, spc_mode_sense, "MODE SENSE(10)",
	    { 0x5a, 0x18, 0xff, 0xff, 0, 0, 0, 0xff, 0xff, 0x07 } },
	{ PERSISTENT_RESERVE_IN, 0, 10, OPF_SA, spc_pr_in,
	    "PERSISTENT RESERVE IN(READ KEYS)",
	    { 0x5e, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0x07 } },
	{ PERSISTENT_RESERVE_IN, 1, 10, OPF_SA, spc_pr_in,
	    "PERSISTENT RESERVE IN(READ RESERVATION)",
	    { 0x5e, 1, 0, 0, 0, 0, 0, 0xff, 0xff, 0x07 } },
	{ PERSISTENT_RESERVE_IN, 2, 10, OPF_SA, spc_pr_in,
	    "PERSISTENT RESERVE IN(REPORT CAPABILITIES)",
	    { 0x5e, 2, 0, 0, 0, 0, 0, 0xff, 0xff, 0x07 } },
	{ PERSISTENT_RESERVE_IN, 3, 10, OPF_SA, spc_pr_in,
	    "PERSISTENT RESERVE IN(READ FULL STATUS)",
	    { 0x5e, 3, 0, 0, 0, 0, 0, 0xff, 0xff, 0x07 } },
	{ PERSISTENT_RESERVE_OUT, 0, 10, OPF_SA | OPF_ALWAYS, spc_pr_out,
	    "PERSISTENT RESERVE OUT(REGISTER)",
	    { 0x5f, 0, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x07 } },
	{ PERSISTENT_RESERVE_OUT, 1, 10, OPF_SA | OPF_ALWAYS, spc_pr_out,
	    "PERSISTENT RESERVE OUT(RESERVE)",
	    { 0x5f, 1, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x07 } },
	{ PERSISTENT_RESERVE_OUT, 2, 10, OPF_SA | OPF_ALWAYS, spc_pr_out,
	    "PERSISTENT RESERVE OUT(RELEASE)",
	    { 0x5f, 2, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x07 } },
	{ PERSISTENT_RESERVE_OUT, 3, 10, OPF_SA | OPF_ALWAYS, spc_pr_out,
	    "PERSISTENT RESERVE OUT(CLEAR)",
	    { 0x5f, 3, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x07 } },
	{ PERSISTENT_RESERVE_OUT, 4, 10, OPF_SA | OPF_ALWAYS, spc_pr_out,
	    "PERSISTENT RESERVE OUT(PREEMPT)",
	    { 0x5f, 4, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x07 } },
	{ PERSISTENT_RESERVE_OUT, 5, 10, OPF_SA | OPF_ALWAYS, spc_pr_out,
	    "PERSISTENT RESERVE OUT(PREEMPT AND ABORT)",
	    { 0x5f, 5, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x07 } },
	{ PERSISTENT_RESERVE_OUT, 6, 10, OPF_SA | OPF_ALWAYS, spc_pr_out,
	    "PERSISTENT RESERVE OUT(REGISTER AND IGNORE EXISTING KEY)",
	    { 0x5f, 6, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x07 } },
	{ PERSISTENT_RESERVE_OUT, 7, 10, OPF_SA | OPF_ALWAYS, spc_pr_out,
	    "PERSISTENT RESERVE OUT(REGISTER AND MOVE)",
	    { 0x5f, 7, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x07 } },
	{ REPORT_LUNS, 0, 12, OPF_NO_UA | OPF_ALWAYS | OPF_SANITIZE,
	    spc_report_luns,
	    "REPORT LUNS",
	    { 0xa0, 0, 0xff, 0, 0, 0, LBA4, 0, 0x07 } },
	{ MAINTENANCE_IN, MI_REPORT_SUPPORTED_OPCODES, 12, OPF_SA | OPF_ALWAYS,
	    spc_report_opcodes, "REPORT SUPPORTED OPERATION CODES",
	    { 0xa3, MI_REPORT_SUPPORTED_OPCODES, 0x87, 0xff, 0xff, 0xff,
	    LBA4, 0, 0x07 } },
	{ MAINTENANCE_IN, MI_REPORT_SUPPORTED_TMF, 12, OPF_SA | OPF_ALWAYS,
	    spc_report_tmf, "REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS",
	    { 0xa3, MI_REPORT_SUPPORTED_TMF, 0x80, 0, 0, 0, LBA4, 0,
	    0x07 } },
	{ MAINTENANCE_IN, MI_REPORT_TARGET_PGS, 12,
	    OPF_SA | OPF_ALWAYS | OPF_ALUA, spc_report_tpgs,
	    "REPORT TARGET PORT GROUPS",
	    { 0xa3, 0xe0 | MI_REPORT_TARGET_PGS, 0, 0, 0, 0, LBA4, 0,
	    0x07 } },
	{ MAINTENANCE_OUT, MO_SET_TARGET_PGS, 12, OPF_SA | OPF_ALUA,
	    spc_set_tpgs, "SET TARGET PORT GROUPS",
	    { 0xa4, MO_SET_TARGET_PGS, 0, 0, 0, 0, LBA4, 0, 0x07 } },
};

/* CDB length from the group code (SPC-4 4.2.5.1); -1 if unknown. */
int
cdb_length(const uint8_t *cdb)
{
	switch (cdb[0] >> 5) {
	case 0:
		return (6);
	case 1:
	case 2:
		return (10);
	case 3:
		if (cdb[0] == VARIABLE_LENGTH)
			return (8 + cdb[7]);
		return (-1);
	case 4:
		return (16);
	case 5:
		return (12);
	}
	return (-1);
}

#define NSPC	(sizeof(spc_ops) / sizeof(spc_ops[0]))

static const struct scsi_op *
op_search(const struct scsi_op *ops, size_t n, const uint8_t *cdb,
    int *known)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (ops[i].opcode != cdb[0])
			continue;
		if (!(ops[i].flags & OPF_SA))
			return (&ops[i]);
		*known = 1;
		if (ops[i].sa == (cdb[1] & 0x1f))
			return (&ops[i]);
	}
	return (NULL);
}

/*
 * The table entry for a CDB: the device type's table first, then the
 * shared one.  *known is set when the opcode exists but its service
 * action does not.
 */
const struct scsi_op *
scsi_op_lookup(const struct devtype *dt, const uint8_t *cdb, int *known)
{
	const struct scsi_op	*op;

	*known = 0;
	if (dt != NULL && (op = op_search(dt->ops, dt->nops, cdb, known)) !=
	    NULL)
		return (op);
	/* a passthrough device answers the rest itself */
	if (dt != NULL && dt->forward != NULL)
		return (NULL);
	return (op_search(spc_ops, NSPC, cdb, known));
}

/* The entry of a disk's command (the unit tests' decoder checks). */
const struct scsi_op *
scsi_op_find(const uint8_t *cdb, int *known)
{
	return (scsi_op_lookup(&devtype_disk, cdb, known));
}

/* A command of the tables that this LUN does not have. */
static int
op_present(const struct lun *lun, const struct scsi_op *op)
{
	if ((op->flags & OPF_THIN) && !lun->thin)
		return (0);
	if ((op->flags & OPF_ALUA) && lun->alua.ngroups == 0)
		return (0);
	return (1);
}

void
scsi_cmd_init(struct scsi_cmd *cmd, struct lun *lun, struct nexus *nx,
    const struct lun_port *port, const uint8_t *cdb, uint8_t cdb_len,
    uint8_t dir, uint8_t *buf, uint32_t buflen)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->lun = lun;
	cmd->nexus = nx;
	cmd->port = port;
	if (cdb_len > sizeof(cmd->cdb))
		cdb_len = sizeof(cmd->cdb);
	memcpy(cmd->cdb, cdb, cdb_len);
	cmd->cdb_len = cdb_len;
	cmd->dir = dir;
	cmd->buf = buf;
	if (buf != NULL) {
		if (dir == RING_DIR_READ)
			cmd->in_len = buflen;
		else if (dir == RING_DIR_WRITE)
			cmd->out_len = buflen;
	}
}

/*
 * Copy parameter data to the Data-In buffer: the command would send
 * min(len, alloc) bytes (cmd->want), the buffer takes what fits.
 */
uint32_t
scsi_data_in(struct scsi_cmd *cmd, const void *src, uint32_t len,
    uint32_t alloc)
{
	uint32_t	n;

	if (len > alloc)
		len = alloc;
	n = len < cmd->in_len ? len : cmd->in_len;
	if (n > 0)
		memcpy(cmd->buf, src, n);
	cmd->len = n;
	cmd->want = len;
	return (n);
}

/*
 * LBA and transfer length of a media access command, by CDB size, and
 * the range check (SBC-3 4.5): the whole range must lie on the medium;
 * an LBA + length that wraps is out of range too.  Returns 0, or -1 with
 * the command ended.
 */
int
cdb_decode_rw(struct scsi_cmd *cmd)
{
	const uint8_t	*c = cmd->cdb;
	uint64_t	 nb = cmd->lun->nblocks;

	switch (cdb_length(c)) {
	case 6:
		cmd->lba = get_be24(&c[1]) & 0x1fffff;
		cmd->nblocks = c[4];
		if (cmd->nblocks == 0 && (c[0] == READ_6 || c[0] == WRITE_6))
			cmd->nblocks = 256;
		break;
	case 10:
		cmd->lba = get_be32(&c[2]);
		cmd->nblocks = get_be16(&c[7]);
		cmd->fua = (c[1] & 0x08) != 0;
		break;
	case 12:
		cmd->lba = get_be32(&c[2]);
		cmd->nblocks = get_be32(&c[6]);
		cmd->fua = (c[1] & 0x08) != 0;
		break;
	case 16:
		cmd->lba = get_be64(&c[2]);
		cmd->nblocks = get_be32(&c[10]);
		cmd->fua = (c[1] & 0x08) != 0;
		break;
	default:
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
		return (-1);
	}
	if (cmd->lba > nb || cmd->nblocks > nb - cmd->lba) {
		scsi_check_info(cmd, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE,
		    cmd->lba, 1);
		return (-1);
	}
	return (0);
}

/*
 * Run a command.  SCSI_DONE: status, sense, len and want are final.
 * SCSI_PENDING: I/O was submitted, cmd->done() is called when it ends.
 */
int
scsi_exec(struct scsi_cmd *cmd)
{
	const struct scsi_op	*op;
	int			(*fn)(struct scsi_cmd *);
	uint16_t		 asc;
	int			 known, len;
	uint8_t			 control;

	cmd->status = SAM_STAT_GOOD;
	cmd->sense_len = 0;
	cmd->len = cmd->want = 0;

	if (cmd->cdb_len == 0) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
		return (SCSI_DONE);
	}
	op = scsi_op_lookup(cmd->lun->dt, cmd->cdb, &known);
	if (op != NULL && !op_present(cmd->lun, op))
		op = NULL;
	cmd->op = op;

	/* another gateway's reservation change, and its unit attentions */
	pr_sync(cmd->lun);
	/* SAM-5 5.14: a pending UA ends any command but these. */
	if (cmd->nexus != NULL && (op == NULL || !(op->flags & OPF_NO_UA)) &&
	    lun_ua_take(cmd->lun, cmd->nexus, &asc)) {
		scsi_check(cmd, SK_UNIT_ATTENTION, asc);
		return (SCSI_DONE);
	}
	/* passthrough: the device checks the CDB and its reservations */
	if (op == NULL && cmd->lun->dt != NULL &&
	    cmd->lun->dt->forward != NULL) {
		fn = cmd->lun->dt->forward;
		goto run;
	}
	/* SBC-4 4.11: only a few commands while a SANITIZE runs */
	if (cmd->lun->san_active && (op == NULL ||
	    !(op->flags & OPF_SANITIZE))) {
		sanitize_busy(cmd);
		return (SCSI_DONE);
	}
	if (op == NULL) {
		if (known)		/* the service action field */
			scsi_invalid_cdb(cmd, 1, 4);
		else
			scsi_check(cmd, SK_ILLEGAL_REQUEST,
			    ASC_INVALID_OPCODE);
		return (SCSI_DONE);
	}
	len = op->cdb_len;
	if (cmd->cdb_len < len) {
		scsi_invalid_cdb(cmd, 0, -1);
		return (SCSI_DONE);
	}
	/* No ACA, no linked commands: NACA and LINK must be zero. */
	control = cmd->cdb[len - 1];
	if (control & 0x05) {
		scsi_invalid_cdb(cmd, len - 1, (control & 0x04) ? 2 : 0);
		return (SCSI_DONE);
	}
	/* SPC-4 5.15.2.4: what the state of the command's port allows */
	if (alua_gate(cmd))
		return (SCSI_DONE);
	if (pr_conflict(cmd, (op->flags & OPF_ALWAYS) ? PR_ACCESS_ALWAYS :
	    ((op->flags & OPF_READ) ? PR_ACCESS_READ : 0) |
	    ((op->flags & OPF_WRITE) ? PR_ACCESS_WRITE : 0)))
		return (SCSI_DONE);
	fn = op->fn;
 run:
	if (cmd->attr != RING_ATTR_ORDERED)
		return (fn(cmd));
	/* ORDERED: the older ones complete first, then this one */
	sbc_quiesce(cmd->lun);
	if (fn(cmd) == SCSI_DONE)
		return (SCSI_DONE);
	/* done() has run (or will, from the backend) once this returns */
	sbc_quiesce(cmd->lun);
	return (SCSI_PENDING);
}

/* Finish an asynchronous command. */
void
scsi_complete(struct scsi_cmd *cmd)
{
	if (cmd->done != NULL)
		cmd->done(cmd);
}

/* Command timeouts descriptor: none advertised beyond the defaults. */
static uint32_t
rsoc_timeouts(uint8_t *p)
{
	memset(p, 0, 12);
	put_be16(&p[0], 0x0a);
	put_be32(&p[4], 30);			/* nominal, seconds */
	put_be32(&p[8], 60);			/* recommended */
	return (12);
}

/* The entries of both tables of a LUN, device type first. */
static const struct scsi_op *
op_nth(const struct lun *lun, size_t i)
{
	size_t	ndev = lun->dt != NULL ? lun->dt->nops : 0;

	if (i < ndev)
		return (&lun->dt->ops[i]);
	if (i - ndev < NSPC)
		return (&spc_ops[i - ndev]);
	return (NULL);
}

static int
op_has_sa(const struct lun *lun, uint8_t opcode)
{
	const struct scsi_op	*op;
	size_t			 i;

	for (i = 0; (op = op_nth(lun, i)) != NULL; i++)
		if (op->opcode == opcode)
			return ((op->flags & OPF_SA) != 0);
	return (0);
}

/*
 * REPORT SUPPORTED OPERATION CODES (SPC-4 6.35), straight from the
 * command tables: all commands, or one by opcode and service action.
 */
int
spc_report_opcodes(struct scsi_cmd *cmd)
{
	uint8_t			*b;
	const struct scsi_op	*op = NULL, *o;
	uint32_t		 alloc = get_be32(&cmd->cdb[6]), n, dl;
	size_t			 i, nops;
	int			 rctd = (cmd->cdb[2] & 0x80) != 0;
	int			 opts = cmd->cdb[2] & 0x07;
	uint8_t			 rop = cmd->cdb[3];
	uint16_t		 rsa = get_be16(&cmd->cdb[4]);

	nops = NSPC + (cmd->lun->dt != NULL ? cmd->lun->dt->nops : 0);
	if ((b = calloc(1, 4 + nops * 20 + 64)) == NULL) {
		scsi_check(cmd, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
		return (SCSI_DONE);
	}
	if (opts == 0) {
		n = 4;
		for (i = 0; (op = op_nth(cmd->lun, i)) != NULL; i++) {
			if (!op_present(cmd->lun, op))
				continue;
			b[n] = op->opcode;
			put_be16(&b[n + 2], op->sa);
			b[n + 5] = (rctd ? 0x02 : 0) |
			    ((op->flags & OPF_SA) ? 0x01 : 0);
			put_be16(&b[n + 6], op->cdb_len);
			n += 8;
			if (rctd)
				n += rsoc_timeouts(&b[n]);
		}
		put_be32(&b[0], n - 4);
		scsi_data_in(cmd, b, n, alloc);
		free(b);
		return (SCSI_DONE);
	}
	switch (opts) {
	case 1:			/* opcode without service actions */
		if (op_has_sa(cmd->lun, rop))
			goto bad;
		rsa = 0;
		break;
	case 2:			/* opcode and service action */
		if (!op_has_sa(cmd->lun, rop))
			goto bad;
		break;
	case 3:			/* opcode, and service action if any */
		break;
	default:
		goto bad;
	}
	op = NULL;
	for (i = 0; (o = op_nth(cmd->lun, i)) != NULL; i++) {
		if (o->opcode != rop)
			continue;
		if ((o->flags & OPF_SA) && o->sa != rsa)
			continue;
		if (!(o->flags & OPF_SA) && opts == 3 && rsa != 0)
			continue;
		if (!op_present(cmd->lun, o))
			continue;
		op = o;
		break;
	}
	if (op == NULL) {
		b[1] = 0x01;			/* not supported */
		n = 4;
	} else {
		b[1] = 0x03 | (rctd ? 0x80 : 0);	/* supported */
		dl = op->cdb_len;
		put_be16(&b[2], dl);
		memcpy(&b[4], op->usage, dl);
		n = 4 + dl;
		if (rctd)
			n += rsoc_timeouts(&b[n]);
	}
	scsi_data_in(cmd, b, n, alloc);
	free(b);
	return (SCSI_DONE);
 bad:
	free(b);
	scsi_invalid_cdb(cmd, 2, 2);
	return (SCSI_DONE);
}
