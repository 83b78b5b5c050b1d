/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * iSNSP (RFC 4171) as tgt-portal/isns.c speaks it: header, flags,
 * functions and attribute tags.
 */

#ifndef TGT_PORTAL_ISNS_H
#define TGT_PORTAL_ISNS_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"
#include "proto.h"

#define ISNS_VERSION		1
#define ISNS_HDR_LEN		12
#define ISNS_PDU_PAYLOAD	8192	/* bytes of a message per PDU */
#define ISNS_MSG_MAX		(4 * 1024 * 1024)

/* flags */
#define ISNS_F_CLIENT		0x8000
#define ISNS_F_SERVER		0x4000
#define ISNS_F_AUTH		0x2000
#define ISNS_F_REPLACE		0x1000
#define ISNS_F_LAST		0x0800
#define ISNS_F_FIRST		0x0400

/* functions */
#define ISNS_FUNC_DEVATTRREG	0x0001
#define ISNS_FUNC_DEVDEREG	0x0004
#define ISNS_FUNC_RESPONSE	0x8000

/* attribute tags */
#define ISNS_TAG_DELIMITER	0
#define ISNS_TAG_EID		1
#define ISNS_TAG_ENTITY_PROTOCOL 2
#define ISNS_TAG_PORTAL_IP	16
#define ISNS_TAG_PORTAL_PORT	17
#define ISNS_TAG_ISCSI_NAME	32
#define ISNS_TAG_ISCSI_NODE_TYPE 33
#define ISNS_TAG_ISCSI_ALIAS	34
#define ISNS_TAG_PG_ISCSI_NAME	48
#define ISNS_TAG_PG_PORTAL_IP	49
#define ISNS_TAG_PG_PORTAL_PORT	50
#define ISNS_TAG_PG_TAG		51

#define ISNS_PROTO_ISCSI	2
#define ISNS_NODE_TARGET	0x00000001

/* MSG_PORTAL_ISNS, _PORTAL, _NODE from the master */
void	 isns_msg(struct msg *);
/* Pieces, for the unit tests. */
int	 isns_encode(const struct msg_isns *, const struct msg_isns_portal *,
	    const struct msg_isns_node *, uint8_t **, size_t *);
int	 isns_pdus(uint16_t func, uint16_t flags, uint16_t xid,
	    const uint8_t *body, size_t len, uint8_t **out, size_t *outlen);
int	 isns_check_response(const uint8_t *, size_t);

#endif /* TGT_PORTAL_ISNS_H */
