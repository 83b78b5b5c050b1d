/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * CDB decoding and command dispatch.  Every supported command is one
 * entry of scsi_ops[]: operation code, service action when the opcode
 * has them, the CDB length, flags and the handler.  scsi_exec() looks the
 * CDB up, reports a pending unit attention where SAM-5 says so, checks
 * the CONTROL byte and calls the handler.
 */

#include <string.h>

#include "lun.h"
#include "scsi.h"

#define OPF_NO_UA	0x01	/* neither reports nor clears a UA */
#define OPF_SA		0x02	/* service action in byte 1, bits 4-0 */

struct scsi_op {
	uint8_t		 opcode;
	uint8_t		 sa;
	uint8_t		 cdb_len;
	uint8_t		 flags;
	int		 (*fn)(struct scsi_cmd *);
	const char	*name;
};

static const struct scsi_op scsi_ops[] = {
	{ TEST_UNIT_READY, 0, 6, 0, spc_test_unit_ready, "TEST UNIT READY" },
	{ REQUEST_SENSE, 0, 6, OPF_NO_UA, spc_request_sense,
	    "REQUEST SENSE" },
	{ READ_6, 0, 6, 0, sbc_read, "READ(6)" },
	{ WRITE_6, 0, 6, 0, sbc_write, "WRITE(6)" },
	{ INQUIRY, 0, 6, OPF_NO_UA, spc_inquiry, "INQUIRY" },
	{ MODE_SELECT_6, 0, 6, 0, spc_mode_select, "MODE SELECT(6)" },
	{ MODE_SENSE_6, 0, 6, 0, spc_mode_sense, "MODE SENSE(6)" },
	{ START_STOP_UNIT, 0, 6, 0, sbc_start_stop, "START STOP UNIT" },
	{ PREVENT_ALLOW_MEDIUM_REMOVAL, 0, 6, 0, sbc_prevent_allow,
	    "PREVENT ALLOW MEDIUM REMOVAL" },
	{ READ_CAPACITY_10, 0, 10, 0, sbc_read_capacity10,
	    "READ CAPACITY(10)" },
	{ READ_10, 0, 10, 0, sbc_read, "READ(10)" },
	{ WRITE_10, 0, 10, 0, sbc_write, "WRITE(10)" },
	{ VERIFY_10, 0, 10, 0, sbc_verify, "VERIFY(10)" },
	{ PRE_FETCH_10, 0, 10, 0, sbc_prefetch, "PRE-FETCH(10)" },
	{ SYNCHRONIZE_CACHE_10, 0, 10, 0, sbc_sync_cache,
	    "SYNCHRONIZE CACHE(10)" },
	{ MODE_SELECT_10, 0, 10, 0, spc_mode_select, "MODE SELECT(10)" },
	{ MODE_SENSE_10, 0, 10, 0, spc_mode_sense, "MODE SENSE(10)" },
	{ READ_16, 0, 16, 0, sbc_read, "READ(16)" },
	{ WRITE_16, 0, 16, 0, sbc_write, "WRITE(16)" },
	{ VERIFY_16, 0, 16, 0, sbc_verify, "VERIFY(16)" },
	{ PRE_FETCH_16, 0, 16, 0, sbc_prefetch, "PRE-FETCH(16)" },
	{ SYNCHRONIZE_CACHE_16, 0, 16, 0, sbc_sync_cache,
	    "SYNCHRONIZE CACHE(16)" },
	{ SERVICE_ACTION_IN_16, SAI_READ_CAPACITY_16, 16, OPF_SA,
	    sbc_read_capacity16, "READ CAPACITY(16)" },
	{ REPORT_LUNS, 0, 12, OPF_NO_UA, spc_report_luns, "REPORT LUNS" },
	{ READ_12, 0, 12, 0, sbc_read, "READ(12)" },
	{ WRITE_12, 0, 12, 0, sbc_write, "WRITE(12)" },
	{ VERIFY_12, 0, 12, 0, sbc_verify, "VERIFY(12)" },
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

/*
 * The table entry for a CDB.  *known is set when the opcode exists but
 * its service action does not.
 */
const struct scsi_op *
scsi_op_find(const uint8_t *cdb, int *known)
{
	size_t	i;

	*known = 0;
	for (i = 0; i < sizeof(scsi_ops) / sizeof(scsi_ops[0]); i++) {
		if (scsi_ops[i].opcode != cdb[0])
			continue;
		if (!(scsi_ops[i].flags & OPF_SA))
			return (&scsi_ops[i]);
		*known = 1;
		if (scsi_ops[i].sa == (cdb[1] & 0x1f))
			return (&scsi_ops[i]);
	}
	return (NULL);
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
	op = scsi_op_find(cmd->cdb, &known);
	cmd->op = op;

	/* SAM-5 5.14: a pending UA ends any command but these. */
	if (cmd->nexus != NULL && (op == NULL || !(op->flags & OPF_NO_UA)) &&
	    lun_ua_take(cmd->lun, cmd->nexus, &asc)) {
		scsi_check(cmd, SK_UNIT_ATTENTION, asc);
		return (SCSI_DONE);
	}
	if (op == NULL) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, known ?
		    ASC_INVALID_FIELD_IN_CDB : ASC_INVALID_OPCODE);
		return (SCSI_DONE);
	}
	len = op->cdb_len;
	if (cmd->cdb_len < len) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
		return (SCSI_DONE);
	}
	/* No ACA, no linked commands: NACA and LINK must be zero. */
	control = cmd->cdb[len - 1];
	if (control & 0x05) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
		return (SCSI_DONE);
	}
	return (op->fn(cmd));
}

/* Finish an asynchronous command. */
void
scsi_complete(struct scsi_cmd *cmd)
{
	if (cmd->done != NULL)
		cmd->done(cmd);
}
