/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * PDU level pieces of tgt-portal: the LUN field, serial number
 * arithmetic, BHS field accessors, text key=value parsing.
 */

#include <stdint.h>
#include <string.h>

#include "../../tgt-portal/login.h"
#include "unit.h"

struct portal	*portal;

static void
test_lun(void)
{
	uint8_t		 f[8];
	uint64_t	 lun;
	static const uint8_t flat[8] = { 0x40 | 0x12, 0x34 };
	static const uint8_t bus[8] = { 0x01, 0x02 };
	static const uint8_t multi[8] = { 0x00, 0x01, 0x00, 0x02 };
	static const uint8_t ext[8] = { 0xc0, 0x01 };

	iscsi_lun_encode(f, 0);
	CHECK(memcmp(f, "\0\0\0\0\0\0\0\0", 8) == 0);
	iscsi_lun_encode(f, 5);
	CHECK(f[0] == 0 && f[1] == 5);
	CHECK(iscsi_lun_decode(f) == 5);
	iscsi_lun_encode(f, 255);
	CHECK(f[0] == 0 && f[1] == 255);
	iscsi_lun_encode(f, 256);
	CHECK(f[0] == 0x41 && f[1] == 0x00);
	CHECK(iscsi_lun_decode(f) == 256);
	iscsi_lun_encode(f, 16383);
	CHECK(f[0] == 0x7f && f[1] == 0xff);
	CHECK(iscsi_lun_decode(f) == 16383);
	for (lun = 0; lun < 16384; lun += 7) {
		iscsi_lun_encode(f, lun);
		CHECK(iscsi_lun_decode(f) == lun);
	}
	CHECK(iscsi_lun_decode(flat) == 0x1234);
	CHECK(iscsi_lun_decode(bus) == UINT64_MAX);
	CHECK(iscsi_lun_decode(multi) == UINT64_MAX);
	CHECK(iscsi_lun_decode(ext) == UINT64_MAX);
}

static void
test_serial(void)
{
	CHECK(sn_lt(1, 2));
	CHECK(!sn_lt(2, 1));
	CHECK(!sn_lt(7, 7));
	CHECK(sn_le(7, 7));
	CHECK(sn_lt(0xffffffffu, 0));
	CHECK(!sn_lt(0, 0xffffffffu));
	CHECK(sn_lt(0xfffffff0u, 0x10));
	CHECK(sn_le(0xfffffff0u, 0x10));
	CHECK(!sn_le(0x10, 0xfffffff0u));
	CHECK(sn_lt(0, 0x7fffffffu));
}

static void
test_bhs(void)
{
	uint8_t	 b[ISCSI_BHS_SIZE];

	memset(b, 0, sizeof(b));
	bhs_set_dlen(b, 0xabcdef);
	CHECK(b[5] == 0xab && b[6] == 0xcd && b[7] == 0xef);
	CHECK(bhs_dlen(b) == 0xabcdef);
	bhs_set_dlen(b, 0);
	CHECK(bhs_dlen(b) == 0);
	put_be32(b + BHS_ITT, 0x01020304);
	CHECK(b[16] == 1 && b[19] == 4);
	CHECK(get_be32(b + BHS_ITT) == 0x01020304);
	put_be16(b + 14, 0xbeef);
	CHECK(get_be16(b + 14) == 0xbeef);
	put_be64(b + BHS_LUN, 0x1122334455667788ull);
	CHECK(get_be64(b + BHS_LUN) == 0x1122334455667788ull);
	CHECK(b[8] == 0x11 && b[15] == 0x88);
	CHECK(ISCSI_PAD(0) == 0 && ISCSI_PAD(1) == 4 && ISCSI_PAD(4) == 4 &&
	    ISCSI_PAD(5) == 8);
	b[BHS_FLAGS] = ISCSI_LOGIN_TRANSIT | (1 << 2) | 3;
	CHECK(ISCSI_LOGIN_CSG(b[BHS_FLAGS]) == 1);
	CHECK(ISCSI_LOGIN_NSG(b[BHS_FLAGS]) == 3);
}

static int
split(const char *s, size_t len, struct textkv *kv, int max)
{
	static char	 buf[4 * TEXT_VALUE_MAX];

	memcpy(buf, s, len);
	return (text_split(buf, len, kv, max));
}

static void
test_text_good(void)
{
	struct textkv	 kv[8];
	static const char t1[] = "InitiatorName=iqn.x:y\0SessionType=Normal\0"
	    "X-com.example.Key=a=b\0Empty=\0";

	REQUIRE(split(t1, sizeof(t1) - 1, kv, 8) == 4);
	CHECK(strcmp(kv[0].key, "InitiatorName") == 0);
	CHECK(strcmp(kv[0].val, "iqn.x:y") == 0);
	CHECK(strcmp(kv[1].val, "Normal") == 0);
	CHECK(strcmp(kv[2].key, "X-com.example.Key") == 0);
	CHECK(strcmp(kv[2].val, "a=b") == 0);
	CHECK(strcmp(kv[3].key, "Empty") == 0 && kv[3].val[0] == '\0');
	/* Last pair without its NUL, stray NULs: tolerated. */
	CHECK(split("A=1\0\0B=2", 9, kv, 8) == 2);
	CHECK(strcmp(kv[1].val, "2") == 0);
	CHECK(split("", 0, kv, 8) == 0);
}

static void
test_text_bad(void)
{
	struct textkv	 kv[4];
	char		 big[TEXT_VALUE_MAX + 64];
	size_t		 n;

	CHECK(split("NoEquals\0", 9, kv, 4) == -1);
	CHECK(split("=value\0", 7, kv, 4) == -1);
	CHECK(split("Bad Key=1\0", 10, kv, 4) == -1);
	CHECK(split("Bad/Key=1\0", 10, kv, 4) == -1);
	CHECK(split("A=1\0B=2\0C=3\0D=4\0E=5\0", 20, kv, 4) == -1);

	/* Key length: 63 is fine, 64 is not. */
	memset(big, 'K', 63);
	memcpy(big + 63, "=v", 3);
	CHECK(split(big, 65, kv, 4) == 1);
	memset(big, 'K', 64);
	memcpy(big + 64, "=v", 3);
	CHECK(split(big, 66, kv, 4) == -1);

	/* Value length. */
	memcpy(big, "K=", 2);
	memset(big + 2, 'v', TEXT_VALUE_MAX);
	n = 2 + TEXT_VALUE_MAX;
	CHECK(split(big, n, kv, 4) == 1);
	big[n] = 'v';
	CHECK(split(big, n + 1, kv, 4) == -1);
}

static void
test_values(void)
{
	uint64_t	 v;
	int		 b;

	CHECK(text_number("8192", 512, 16777215, &v) == 0 && v == 8192);
	CHECK(text_number("0x2000", 512, 16777215, &v) == 0 && v == 8192);
	CHECK(text_number("0X10", 0, 100, &v) == 0 && v == 16);
	CHECK(text_number("511", 512, 16777215, &v) == -1);
	CHECK(text_number("16777216", 512, 16777215, &v) == -1);
	CHECK(text_number("", 0, 100, &v) == -1);
	CHECK(text_number("0x", 0, 100, &v) == -1);
	CHECK(text_number("12a", 0, 100, &v) == -1);
	CHECK(text_number("-1", 0, 100, &v) == -1);
	CHECK(text_number("99999999999999999999999", 0, UINT64_MAX, &v) ==
	    -1);
	CHECK(text_bool("Yes", &b) == 0 && b == 1);
	CHECK(text_bool("No", &b) == 0 && b == 0);
	CHECK(text_bool("yes", &b) == -1);
	CHECK(text_bool("", &b) == -1);
}

static void
test_textbuf(void)
{
	struct textbuf	 t;
	static char	 chunk[4096];
	int		 i, r = 0;

	textbuf_init(&t);
	CHECK(textbuf_add(&t, "A", "%u", 12) == 0);
	CHECK(textbuf_add(&t, "B", "%s", "x") == 0);
	CHECK(t.len == 9 && memcmp(t.buf, "A=12\0B=x\0", 9) == 0);
	textbuf_reset(&t);
	CHECK(t.len == 0);
	for (i = 0; i < PORTAL_TEXT_MAX / (int)sizeof(chunk) + 1; i++)
		r = textbuf_append(&t, chunk, sizeof(chunk));
	CHECK(r == -1 && t.error);
	CHECK(t.len <= PORTAL_TEXT_MAX);
	textbuf_free(&t);
}

static void
test_repeated(void)
{
	struct param_neg	 n;
	struct textbuf		 out;

	textbuf_init(&out);
	params_neg_init(&n, 0, 0);
	CHECK(params_key(&n, "MaxBurstLength", "65536", &out) == PARAM_OK);
	CHECK(params_key(&n, "MaxBurstLength", "65536", &out) ==
	    PARAM_ERROR);
	CHECK(params_key(&n, "InitialR2T", "Yes", &out) == PARAM_OK);
	CHECK(params_key(&n, "InitialR2T", "No", &out) == PARAM_ERROR);
	textbuf_free(&out);
}

int
main(void)
{
	UNIT_RUN(test_lun);
	UNIT_RUN(test_serial);
	UNIT_RUN(test_bhs);
	UNIT_RUN(test_text_good);
	UNIT_RUN(test_text_bad);
	UNIT_RUN(test_values);
	UNIT_RUN(test_textbuf);
	UNIT_RUN(test_repeated);
	return (UNIT_END("pdu"));
}
