/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * SCSI passthrough: the logical unit is a real SCSI device (a disk, a
 * tape drive, a changer, a DVD writer) reached through Linux's sg
 * driver (backend_sg.c).  Its command table holds what stays the
 * target's: REPORT LUNS (the target's LUN inventory) and REPORT
 * SUPPORTED TASK MANAGEMENT FUNCTIONS (task management is the
 * target's).  Every other command, INQUIRY and MODE SENSE included,
 * goes to the device whole, and its status, sense data and residual come
 * back as the device gave them: the peripheral device type is the
 * device's own.
 *
 * Kept by the target besides: the I_T nexus table with its unit
 * attentions (lun.c), task management (ABORT TASK waits for the
 * command, sg has no abort; LUN RESET resets the device through the
 * master, SG_SCSI_RESET needing CAP_SYS_ADMIN), and one piece of
 * identification: a device whose Device Identification VPD page has no
 * designator unique to the logical unit (no NAA, EUI-64, UUID or SCSI
 * name, as a qemu disk without a serial) gets the target's NAA
 * designator appended, so that two such devices do not look like one
 * device to multipathing.  A device that has one is left alone: the
 * same device exported by two targets then looks the same through both,
 * which is right.  Reservations go to the device, which enforces them
 * but sees every initiator as the one sg initiator; with "reservations
 * target" (LUN_F_PT_RESERVE) the target keeps them per I_T nexus
 * instead, as for an emulated disk, and checks every command against
 * them before it goes to the device.
 */

#include <string.h>

#include "backend.h"
#include "log.h"
#include "lun.h"
#include "scsi.h"

#define LBA4	0xff, 0xff, 0xff, 0xff

/* SPC-2's, which no emulated device has */
#define PT_RESERVE_10	0x56
#define PT_RELEASE_10	0x57

static const struct scsi_op pt_ops[] = {
	{ REPORT_LUNS, 0, 12, OPF_NO_UA | OPF_ALWAYS, spc_report_luns,
	    "REPORT LUNS",
	    { 0xa0, 0, 0xff, 0, 0, 0, LBA4, 0, 0x07 } },
	{ MAINTENANCE_IN, MI_REPORT_SUPPORTED_TMF, 12, OPF_SA | OPF_ALWAYS,
	    spc_report_tmf, "REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS",
	    { 0xa3, MI_REPORT_SUPPORTED_TMF, 0x80, 0, 0, 0, LBA4, 0,
	    0x07 } },
};

/* Designator types unique to a logical unit (SPC-4 7.8.6.1). */
static int
pt_unique_designator(uint8_t type)
{
	return (type == 0x2 || type == 0x3 || type == 0x8 || type == 0xa);
}

/*
 * The Device Identification VPD page the device returned: append the
 * target's NAA designator when it has no unique one of the logical
 * unit.  Only a page returned whole is looked at.
 */
static void
pt_vpd83(struct scsi_cmd *cmd)
{
	uint8_t		*b = cmd->buf, d[20];
	uint32_t	 plen, off, end, alloc, n, i;

	if (cmd->status != SAM_STAT_GOOD || cmd->len < 4 || b[1] != 0x83)
		return;
	plen = get_be16(&b[2]);
	end = 4 + plen;
	if (end > cmd->len)
		return;
	for (off = 4; off + 4 <= end; off += 4 + b[off + 3])
		if (((b[off + 1] >> 4) & 0x3) == 0 &&
		    pt_unique_designator(b[off + 1] & 0x0f))
			return;
	if (plen + sizeof(d) > 0xffff)
		return;
	d[0] = 0x01;			/* binary */
	d[1] = 0x03;			/* logical unit, NAA */
	d[2] = 0;
	d[3] = 16;
	memcpy(&d[4], cmd->lun->cfg.naa, 16);
	put_be16(&b[2], plen + sizeof(d));
	alloc = get_be16(&cmd->cdb[3]);
	n = end + sizeof(d);
	if (n > alloc)
		n = alloc;
	/* what fits of the new descriptor */
	for (i = end; i < n && i < cmd->in_len; i++)
		b[i] = d[i - end];
	cmd->len = i;
	cmd->want = n;
}

/* A command back from the device, on its way to the ring. */
void
pt_complete(struct scsi_cmd *cmd)
{
	if (cmd->cdb[0] == INQUIRY && (cmd->cdb[1] & 0x01) &&
	    cmd->cdb[2] == 0x83 && !cmd->aborted)
		pt_vpd83(cmd);
	scsi_complete(cmd);
}

/*
 * The access class of a command for the target's reservations: that of
 * the emulated disk's command (the SBC and SPC tables); one the tables
 * do not know (a tape's, a vendor's) may change the medium.
 */
static int
pt_access(const struct scsi_cmd *cmd)
{
	const struct scsi_op	*op;
	int			 known;

	if ((op = scsi_op_lookup(&devtype_disk, cmd->cdb, &known)) == NULL)
		return (PR_ACCESS_WRITE);
	if (op->flags & OPF_ALWAYS)
		return (PR_ACCESS_ALWAYS);
	return (((op->flags & OPF_READ) ? PR_ACCESS_READ : 0) |
	    ((op->flags & OPF_WRITE) ? PR_ACCESS_WRITE : 0));
}

/*
 * Everything not in pt_ops[]: to the device.  With "reservations
 * target" the reservation commands are the target's (pr.c, per I_T
 * nexus, as on an emulated disk) and a command in conflict never
 * reaches the device; RESERVE(10) and RELEASE(10), which the device
 * would take for all initiators at once, are refused.
 */
static int
pt_forward(struct scsi_cmd *cmd)
{
	if (cmd->lun->cfg.flags & LUN_F_PT_RESERVE) {
		switch (cmd->cdb[0]) {
		case PERSISTENT_RESERVE_IN:
			return (spc_pr_in(cmd));
		case PERSISTENT_RESERVE_OUT:
			return (spc_pr_out(cmd));
		case RESERVE_6:
			return (spc_reserve6(cmd));
		case RELEASE_6:
			return (spc_release6(cmd));
		case PT_RESERVE_10:
		case PT_RELEASE_10:
			scsi_check(cmd, SK_ILLEGAL_REQUEST,
			    ASC_INVALID_OPCODE);
			return (SCSI_DONE);
		}
		if (pr_conflict(cmd, pt_access(cmd)))
			return (SCSI_DONE);
	}
	return (sg_submit(cmd->lun, cmd));
}

static int
pt_init(struct lun *lun, int fd, char *err, size_t errlen)
{
	if (fd == -1) {
		snprintf(err, errlen, "passthrough: no device");
		return (-1);
	}
	lun->fd = fd;
	lun->be = &backend_sg;
	if (lun->be->init(lun, err, errlen) == -1) {
		lun->be = NULL;
		lun->fd = -1;
		return (-1);
	}
	return (0);
}

/* LUN RESET: the device's too, which the master does. */
static void
pt_reset(struct lun *lun)
{
	if (lun->dev_reset != NULL && lun->dev_reset(lun) == -1)
		log_warnx("%s: cannot ask for a device reset", lun->cfg.path);
}

const struct devtype devtype_passthrough = {
	.name = "passthrough",
	.pdt = 0x1f,		/* the device's own, never reported from here */
	.ops = pt_ops,
	.nops = sizeof(pt_ops) / sizeof(pt_ops[0]),
	.forward = pt_forward,
	.init = pt_init,
	.reset = pt_reset,
};
