/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Commands the portal answers itself: REPORT LUNS, which only the portal
 * can answer for every LUN of a target (it knows them all), and every
 * command addressed to a LUN that does not exist (SPC-4 4.6.17): INQUIRY
 * reports peripheral qualifier 011b, REQUEST SENSE returns LOGICAL UNIT
 * NOT SUPPORTED as data, anything else ends with CHECK CONDITION.
 */

#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "task.h"

#define OP_TEST_UNIT_READY	0x00
#define OP_REQUEST_SENSE	0x03
#define OP_INQUIRY		0x12
#define OP_REPORT_LUNS		0xa0

#define NOLUN_INQ_LEN		36
#define NOLUN_PQ_NOT_PRESENT	0x7f	/* qualifier 011b, type 1Fh */

int
nolun_handles(const struct task *t)
{
	return (t->lun == NULL || t->cdb[0] == OP_REPORT_LUNS);
}

/* Put the response data in a heap buffer; 0 or -1. */
static int
nolun_data(struct task *t, const uint8_t *data, uint32_t len,
    uint32_t alloc)
{
	uint32_t	 n;

	plun_buf_put(t);
	t->want = len < alloc ? len : alloc;
	n = t->want < t->edtl ? t->want : t->edtl;
	if (!(t->rw & ISCSI_CMD_READ))
		n = 0;
	t->xfer = n;
	if (n == 0)
		return (0);
	if ((t->buf = malloc(n)) == NULL) {
		t->xfer = 0;
		return (-1);
	}
	memcpy(t->buf, data, n);
	t->buf_len = n;
	t->buf_off = 0;
	t->buf_heap = 1;
	return (0);
}

static void
nolun_report_luns(struct task *t)
{
	struct ptarget	*target = t->sess->target;
	struct plun	*p;
	uint8_t		*data;
	uint32_t	 n = 0, alloc, len;

	alloc = get_be32(t->cdb + 6);
	switch (t->cdb[2]) {
	case 0x00:
	case 0x02:
		TAILQ_FOREACH(p, &target->luns, entry)
			n++;
		break;
	case 0x01:
		/* no well known logical units */
		break;
	default:
		task_sense(t, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_CDB);
		return;
	}
	len = 8 + 8 * n;
	if ((data = calloc(1, len)) == NULL) {
		t->status = SAM_BUSY;
		return;
	}
	put_be32(data, 8 * n);
	n = 0;
	if (t->cdb[2] != 0x01)
		TAILQ_FOREACH(p, &target->luns, entry)
			iscsi_lun_encode(data + 8 + 8 * n++, p->lun);
	if (nolun_data(t, data, len, alloc) == -1)
		t->status = SAM_BUSY;
	free(data);
}

static void
nolun_inquiry(struct task *t)
{
	uint8_t		 d[NOLUN_INQ_LEN];
	uint32_t	 alloc = get_be16(t->cdb + 3), len;

	memset(d, 0, sizeof(d));
	d[0] = NOLUN_PQ_NOT_PRESENT;
	if (t->cdb[1] & 0x01) {
		/* EVPD: only the list of supported pages, itself */
		if (t->cdb[2] != 0x00) {
			task_sense(t, SK_ILLEGAL_REQUEST,
			    ASC_INVALID_FIELD_CDB);
			return;
		}
		d[3] = 1;
		d[4] = 0x00;
		len = 5;
	} else {
		if (t->cdb[2] != 0) {
			task_sense(t, SK_ILLEGAL_REQUEST,
			    ASC_INVALID_FIELD_CDB);
			return;
		}
		d[2] = 0x06;		/* SPC-4 */
		d[3] = 0x02;		/* response data format */
		d[4] = NOLUN_INQ_LEN - 5;
		d[7] = 0x02;		/* CmdQue */
		memcpy(d + 8, "TGT     ", 8);
		memcpy(d + 16, "NO SUCH LUN     ", 16);
		memcpy(d + 32, "0001", 4);
		len = NOLUN_INQ_LEN;
	}
	if (nolun_data(t, d, len, alloc) == -1)
		t->status = SAM_BUSY;
}

static void
nolun_request_sense(struct task *t)
{
	uint8_t		 d[18];
	uint32_t	 len;

	memset(d, 0, sizeof(d));
	if (t->cdb[1] & 0x01) {
		/* descriptor format */
		d[0] = 0x72;
		d[1] = SK_ILLEGAL_REQUEST;
		d[2] = ASC_LUN_NOT_SUPPORTED >> 8;
		d[3] = ASC_LUN_NOT_SUPPORTED & 0xff;
		len = 8;
	} else {
		d[0] = 0x70;
		d[2] = SK_ILLEGAL_REQUEST;
		d[7] = 10;
		d[12] = ASC_LUN_NOT_SUPPORTED >> 8;
		d[13] = ASC_LUN_NOT_SUPPORTED & 0xff;
		len = sizeof(d);
	}
	if (nolun_data(t, d, len, t->cdb[4]) == -1)
		t->status = SAM_BUSY;
}

void
nolun_exec(struct task *t)
{
	t->status = SAM_GOOD;
	t->sense_len = 0;
	t->xfer = 0;
	t->want = 0;
	if (t->cdb[0] == OP_REPORT_LUNS && t->sess != NULL &&
	    t->sess->target != NULL)
		nolun_report_luns(t);
	else if (t->lun != NULL) {
		/* not ours: a LUN that exists runs its own commands */
		plun_submit(t);
		return;
	} else if (t->cdb[0] == OP_INQUIRY)
		nolun_inquiry(t);
	else if (t->cdb[0] == OP_REQUEST_SENSE)
		nolun_request_sense(t);
	else
		task_sense(t, SK_ILLEGAL_REQUEST, ASC_LUN_NOT_SUPPORTED);
	if (t->status != SAM_GOOD) {
		plun_buf_put(t);
		t->xfer = 0;
	}
	scsi_task_complete(t);
}
