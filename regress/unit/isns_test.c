/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * tgt-portal/isns.c: the DevAttrReg and DevDereg bodies (attribute
 * order, padding), PDU splitting, and the checks on a response.
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tgt-portal/isns.h"
#include "../../tgt-portal/portal.h"
#include "unit.h"

static struct portal	 portal_store;
struct portal		*portal = &portal_store;

/* Walk a TLV body: tags into tags[], returns the count or -1. */
static int
walk(const uint8_t *p, size_t len, uint32_t *tags, int max)
{
	size_t		 off = 0;
	uint32_t	 l;
	int		 n = 0;

	while (off < len) {
		if (len - off < 8 || n >= max)
			return (-1);
		l = get_be32(p + off + 4);
		if (l % 4 || l > len - off - 8)
			return (-1);
		tags[n++] = get_be32(p + off);
		off += 8 + l;
	}
	return (n);
}

static void
test_register(void)
{
	struct msg_isns		 rq;
	struct msg_isns_portal	 pt[2];
	struct msg_isns_node	 nd[2];
	uint8_t			*b;
	size_t			 len;
	uint32_t		 tags[64];
	int			 n, i, pg = 0;

	memset(&rq, 0, sizeof(rq));
	memset(pt, 0, sizeof(pt));
	memset(nd, 0, sizeof(nd));
	rq.op = ISNS_OP_REGISTER;
	rq.nportals = 2;
	rq.nnodes = 2;
	strlcpy(rq.eid, "tgt:host", sizeof(rq.eid));
	pt[0].addr[10] = pt[0].addr[11] = 0xff;
	pt[0].addr[12] = 127;
	pt[0].addr[15] = 1;
	pt[0].port = 3260;
	pt[0].tpgt = 1;
	pt[1] = pt[0];
	pt[1].port = 3261;
	strlcpy(nd[0].name, "iqn.2026-11.test:a", sizeof(nd[0].name));
	strlcpy(nd[0].alias, "disk a", sizeof(nd[0].alias));
	strlcpy(nd[1].name, "iqn.2026-11.test:bb", sizeof(nd[1].name));
	REQUIRE(isns_encode(&rq, pt, nd, &b, &len) == 0);
	CHECK(len % 4 == 0);
	n = walk(b, len, tags, 64);
	REQUIRE(n > 0);
	/* source, message key, delimiter, then the entity */
	CHECK(tags[0] == ISNS_TAG_ISCSI_NAME);
	CHECK(tags[1] == ISNS_TAG_EID);
	CHECK(tags[2] == ISNS_TAG_DELIMITER);
	CHECK(tags[3] == ISNS_TAG_EID);
	CHECK(tags[4] == ISNS_TAG_ENTITY_PROTOCOL);
	CHECK(tags[5] == ISNS_TAG_PORTAL_IP && tags[6] == ISNS_TAG_PORTAL_PORT);
	for (i = 0; i < n; i++)
		if (tags[i] == ISNS_TAG_PG_TAG)
			pg++;
	CHECK(pg == 4);			/* each node on each portal */
	/* "iqn.2026-11.test:a" + NUL is 19 bytes, padded to 20 */
	CHECK(get_be32(b + 4) == 20);
	CHECK(memcmp(b + 8, "iqn.2026-11.test:a", 19) == 0 && b[27] == 0);
	free(b);
}

static void
test_deregister(void)
{
	struct msg_isns	 rq;
	uint8_t		*b;
	size_t		 len;
	uint32_t	 tags[8];

	memset(&rq, 0, sizeof(rq));
	rq.op = ISNS_OP_DEREGISTER;
	strlcpy(rq.eid, "tgt:host", sizeof(rq.eid));
	strlcpy(rq.source, "iqn.2026-11.test:a", sizeof(rq.source));
	REQUIRE(isns_encode(&rq, NULL, NULL, &b, &len) == 0);
	CHECK(walk(b, len, tags, 8) == 3);
	CHECK(tags[0] == ISNS_TAG_ISCSI_NAME && tags[1] == ISNS_TAG_DELIMITER &&
	    tags[2] == ISNS_TAG_EID);
	free(b);
}

static void
test_pdus(void)
{
	uint8_t		*body, *out, *q;
	size_t		 len = 2 * ISNS_PDU_PAYLOAD + 100, outlen;
	int		 i;

	REQUIRE((body = calloc(1, len)) != NULL);
	REQUIRE(isns_pdus(ISNS_FUNC_DEVATTRREG, ISNS_F_REPLACE, 77, body, len,
	    &out, &outlen) == 0);
	CHECK(outlen == len + 3 * ISNS_HDR_LEN);
	q = out;
	for (i = 0; i < 3; i++) {
		CHECK(get_be16(q) == ISNS_VERSION);
		CHECK(get_be16(q + 2) == ISNS_FUNC_DEVATTRREG);
		CHECK(get_be16(q + 4) == (i < 2 ? ISNS_PDU_PAYLOAD : 100));
		CHECK((get_be16(q + 6) & ISNS_F_CLIENT) &&
		    (get_be16(q + 6) & ISNS_F_REPLACE));
		CHECK(!!(get_be16(q + 6) & ISNS_F_FIRST) == (i == 0));
		CHECK(!!(get_be16(q + 6) & ISNS_F_LAST) == (i == 2));
		CHECK(get_be16(q + 8) == 77 && get_be16(q + 10) == i);
		q += ISNS_HDR_LEN + get_be16(q + 4);
	}
	free(out);
	/* an empty body is one PDU */
	REQUIRE(isns_pdus(ISNS_FUNC_DEVDEREG, 0, 1, body, 0, &out, &outlen) ==
	    0);
	CHECK(outlen == ISNS_HDR_LEN);
	CHECK((get_be16(out + 6) & (ISNS_F_FIRST | ISNS_F_LAST)) ==
	    (ISNS_F_FIRST | ISNS_F_LAST));
	free(out);
	free(body);
}

static void
test_response(void)
{
	uint8_t	 r[32];

	memset(r, 0, sizeof(r));
	CHECK(isns_check_response(r, 4) == 0);
	put_be32(r, 3);
	CHECK(isns_check_response(r, 4) == 3);
	CHECK(isns_check_response(r, 0) == -1);
	CHECK(isns_check_response(r, 6) == -1);
	/* status, then one attribute of 8 bytes */
	put_be32(r, 0);
	put_be32(r + 4, ISNS_TAG_EID);
	put_be32(r + 8, 8);
	CHECK(isns_check_response(r, 20) == 0);
	CHECK(isns_check_response(r, 16) == -1);	/* cut short */
	put_be32(r + 8, 0xfffffff8);
	CHECK(isns_check_response(r, 20) == -1);	/* huge length */
	put_be32(r + 8, 6);
	CHECK(isns_check_response(r, 20) == -1);	/* not padded */
	put_be32(r + 8, 8);
	CHECK(isns_check_response(r, 24) == -1);	/* half a header */
}

int
main(void)
{
	UNIT_RUN(test_register);
	UNIT_RUN(test_deregister);
	UNIT_RUN(test_pdus);
	UNIT_RUN(test_response);
	return (UNIT_END("isns"));
}
