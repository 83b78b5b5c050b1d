/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * iSCSI wire format (RFC 7143): opcodes, flags and Basic Header Segment
 * field offsets.  PDUs are handled as byte arrays with the accessors
 * below, never by casting the wire buffer to a structure.
 */

#ifndef TGT_ISCSI_H
#define TGT_ISCSI_H

#include <stdint.h>
#include <string.h>

#include "bytes.h"

#define ISCSI_BHS_SIZE		48
#define ISCSI_DIGEST_SIZE	4
#define ISCSI_PAD(n)		(((n) + 3) & ~3u)

/* Initiator opcodes (byte 0, low six bits). */
#define ISCSI_OP_NOP_OUT	0x00
#define ISCSI_OP_SCSI_CMD	0x01
#define ISCSI_OP_TMF_REQ	0x02
#define ISCSI_OP_LOGIN_REQ	0x03
#define ISCSI_OP_TEXT_REQ	0x04
#define ISCSI_OP_DATA_OUT	0x05
#define ISCSI_OP_LOGOUT_REQ	0x06
#define ISCSI_OP_SNACK		0x10
/* Target opcodes. */
#define ISCSI_OP_NOP_IN		0x20
#define ISCSI_OP_SCSI_RSP	0x21
#define ISCSI_OP_TMF_RSP	0x22
#define ISCSI_OP_LOGIN_RSP	0x23
#define ISCSI_OP_TEXT_RSP	0x24
#define ISCSI_OP_DATA_IN	0x25
#define ISCSI_OP_LOGOUT_RSP	0x26
#define ISCSI_OP_R2T		0x31
#define ISCSI_OP_ASYNC		0x32
#define ISCSI_OP_REJECT		0x3f

#define ISCSI_OP_MASK		0x3f
#define ISCSI_OP_IMMEDIATE	0x40	/* byte 0 */
#define ISCSI_FLAG_FINAL	0x80	/* byte 1 */

/* SCSI Command byte 1 */
#define ISCSI_CMD_READ		0x40
#define ISCSI_CMD_WRITE		0x20
#define ISCSI_CMD_ATTR_MASK	0x07

/* Data-In byte 1 */
#define ISCSI_DATAIN_ACK	0x40
#define ISCSI_DATAIN_OVERFLOW	0x04
#define ISCSI_DATAIN_UNDERFLOW	0x02
#define ISCSI_DATAIN_STATUS	0x01

/* SCSI Response byte 1 */
#define ISCSI_RSP_BIDI_OVERFLOW	0x10
#define ISCSI_RSP_BIDI_UNDERFLOW 0x08
#define ISCSI_RSP_OVERFLOW	0x04
#define ISCSI_RSP_UNDERFLOW	0x02
/* SCSI Response byte 2 */
#define ISCSI_RSP_COMPLETED	0x00
#define ISCSI_RSP_TARGET_FAILURE 0x01

/* Login byte 1 */
#define ISCSI_LOGIN_TRANSIT	0x80
#define ISCSI_LOGIN_CONTINUE	0x40
#define ISCSI_LOGIN_CSG(b)	(((b) >> 2) & 3)
#define ISCSI_LOGIN_NSG(b)	((b) & 3)
#define ISCSI_STAGE_SECURITY	0
#define ISCSI_STAGE_OPERATIONAL	1
#define ISCSI_STAGE_FULL	3

/* Login status class (byte 36) and detail (byte 37). */
#define ISCSI_LS_SUCCESS	0x00
#define ISCSI_LS_REDIRECT	0x01
#define ISCSI_LS_INITIATOR_ERR	0x02
#define ISCSI_LS_TARGET_ERR	0x03
#define ISCSI_LD_REDIR_TEMP	0x01
#define ISCSI_LD_REDIR_PERM	0x02
#define ISCSI_LD_INIT_ERR	0x00
#define ISCSI_LD_AUTH_FAIL	0x01
#define ISCSI_LD_AUTHZ_FAIL	0x02
#define ISCSI_LD_NOT_FOUND	0x03
#define ISCSI_LD_REMOVED	0x04
#define ISCSI_LD_VERSION	0x05
#define ISCSI_LD_TOO_MANY_CONN	0x06
#define ISCSI_LD_MISSING_PARAM	0x07
#define ISCSI_LD_NO_SESSION_SPAN 0x08
#define ISCSI_LD_NO_SESSION	0x0a
#define ISCSI_LD_INVALID_REQ	0x0b
#define ISCSI_LD_TARGET_ERR	0x00
#define ISCSI_LD_SVC_UNAVAIL	0x01
#define ISCSI_LD_NO_RESOURCES	0x02

/* Reject reasons (byte 2). */
#define ISCSI_REJ_DIGEST	0x02
#define ISCSI_REJ_SNACK		0x03
#define ISCSI_REJ_PROTOCOL	0x04
#define ISCSI_REJ_NOT_SUPPORTED	0x05
#define ISCSI_REJ_IMM_CMD	0x06
#define ISCSI_REJ_TASK_IN_PROG	0x07
#define ISCSI_REJ_INVALID_DATA_ACK 0x08
#define ISCSI_REJ_INVALID_FIELD	0x09
#define ISCSI_REJ_LONG_OP	0x0a
#define ISCSI_REJ_NEGOTIATION	0x0b
#define ISCSI_REJ_WAITING_LOGOUT 0x0c

/* Common BHS offsets. */
#define BHS_OPCODE		0
#define BHS_FLAGS		1
#define BHS_TOTAHSLEN		4
#define BHS_DATASEGLEN		5	/* 3 bytes */
#define BHS_LUN			8	/* 8 bytes */
#define BHS_ITT			16
#define BHS_TTT			20	/* also SCSI Cmd EDTL */
#define BHS_EDTL		20
#define BHS_CMDSN		24	/* initiator PDUs */
#define BHS_STATSN		24	/* target PDUs */
#define BHS_EXPSTATSN		28	/* initiator PDUs */
#define BHS_EXPCMDSN		28	/* target PDUs */
#define BHS_MAXCMDSN		32	/* target PDUs */
#define BHS_DATASN		36	/* Data-In/Out, R2TSN in R2T */
#define BHS_BUFOFF		40	/* Data-In/Out buffer offset */
#define BHS_RESID		44	/* residual count / R2T desired length */
#define BHS_CDB			32	/* SCSI Command CDB, 16 bytes */

static inline uint32_t
bhs_dlen(const uint8_t *bhs)
{
	return ((uint32_t)bhs[5] << 16 | (uint32_t)bhs[6] << 8 | bhs[7]);
}

static inline void
bhs_set_dlen(uint8_t *bhs, uint32_t n)
{
	bhs[5] = n >> 16;
	bhs[6] = n >> 8;
	bhs[7] = n;
}

/* Serial number arithmetic (RFC 1982, 32 bits). */
static inline int
sn_lt(uint32_t a, uint32_t b)
{
	return (a != b && (int32_t)(a - b) < 0);
}

static inline int
sn_le(uint32_t a, uint32_t b)
{
	return (a == b || sn_lt(a, b));
}

/* LUN field: single level, peripheral or flat addressing -> LUN number. */
uint64_t	 iscsi_lun_decode(const uint8_t *);
void		 iscsi_lun_encode(uint8_t *, uint64_t);

#endif /* TGT_ISCSI_H */
