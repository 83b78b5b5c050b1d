/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Internals of the SCSI side of tgt-portal, shared by scsi.c, lunring.c,
 * nolun.c, tmf.c and their unit test.  The contract with the rest of the
 * portal is portal.h; this header is not part of it.
 *
 * A task is one of (task->kind):
 *	TASK_K_CMD	a SCSI command, on its session's task list until its
 *			response is queued (or it is aborted and settled)
 *	TASK_K_TMF	a task management request, on the session's list
 *			until its response is queued
 *	TASK_K_RING_TMF, TASK_K_NEXUS_ADD, TASK_K_NEXUS_DEL
 *			ring operations that need a ring slot but answer
 *			nobody; never on a session
 * Every task with a plun holds a reference on it (plun->nrefs), so a
 * replaced or removed plun stays mapped while anything still points
 * into its data area.
 */

#ifndef TGT_TASK_H
#define TGT_TASK_H

#include "portal.h"

#define ITT_RESERVED		0xffffffffu
#define TTT_NONE		0xffffffffu

/* SCSI status codes */
#define SAM_GOOD		0x00
#define SAM_CHECK_CONDITION	0x02
#define SAM_BUSY		0x08
#define SAM_TASK_ABORTED	0x40

/* Sense keys */
#define SK_NOT_READY		0x02
#define SK_HARDWARE_ERROR	0x04
#define SK_ILLEGAL_REQUEST	0x05
#define SK_UNIT_ATTENTION	0x06
#define SK_ABORTED_COMMAND	0x0b

/* ASC/ASCQ pairs, as (asc << 8 | ascq) */
#define ASC_LUN_NOT_SUPPORTED	0x2500
#define ASC_INVALID_FIELD_CDB	0x2400
#define ASC_INVALID_OPCODE	0x2000
#define ASC_POWER_ON_RESET	0x2900
#define ASC_BECOMING_READY	0x0401	/* LUN is becoming ready */
#define ASC_MANUAL_INTERVENTION	0x0403	/* LUN not ready, manual
					 * intervention required */
#define ASC_INTERNAL_FAILURE	0x4400
#define ASC_DATA_PHASE_ERROR	0x4b00
#define ASC_CRC_ERROR		0x4705	/* protocol service CRC error */

/* scsi.c */
struct task	*task_new(struct session *, struct conn *, int kind);
void		 task_sess_add(struct task *);
/* Free a task that is settled: no ring slot, no pending sends. */
void		 task_destroy(struct task *);
void		 task_sense(struct task *, uint8_t key, uint16_t asc);
/* The ring has a buffer for a write that waited to send R2Ts. */
void		 scsi_task_r2t_ready(struct task *);
/*
 * Abort a command on behalf of a TMF: no SCSI response will be sent.
 * Returns 1 if the task is still on the LUN (the TMF must wait for it,
 * tmf->tmf_pending was raised), 0 if it is gone already.
 */
int		 scsi_task_abort(struct task *, struct task *tmf);
struct task	*scsi_task_find(struct session *, uint32_t itt);

/* lunring.c */
void		 plun_ref(struct plun *);
void		 plun_unref(struct plun *);
/* Data area only (no heap fallback); 0 or -1. */
int		 plun_buf_area(struct task *, uint32_t len);
void		 plun_waitq_remove(struct task *);
/* A RING_OP_TMF on behalf of tmf (may be NULL): 0 or -1. */
int		 plun_ring_tmf(struct plun *, struct task *tmf, uint32_t nexus,
		    uint8_t func, uint64_t ref_tag);

/* tmf.c */
/* A task the TMF waited for is settled, or a ring TMF op completed. */
void		 tmf_settled(struct task *tmf);

#endif /* TGT_TASK_H */
