/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * libFuzzer target: the login text keys and their negotiation
 * (tgt-portal/params.c, login.c).
 *
 * Input: one control byte, then
 *	bit 7 clear	text for text_split() and params_key() directly
 *			(bit 0: discovery session; bits 1-6: our
 *			MaxBurstLength in 4 KB units, 0 for the default).
 *			Checks what is negotiated and that the response
 *			text is well formed.  CHAP_* keys go to chap_key()
 *			and their values through chap_decode() (hex and
 *			base64 binary values).
 *	bit 7 set	a login conversation over the in-process portal:
 *			records of [flags][len hi][len lo][data], each sent
 *			as a Login Request whose byte 1 is flags (T, C,
 *			CSG, NSG) and whose data segment is data.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tgt-portal/auth.h"
#include "../../tgt-portal/login.h"
#include "fuzz_portal.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void __attribute__((noreturn))
bad(const char *why)
{
	fprintf(stderr, "fuzz_login: %s\n", why);
	abort();
}

static void
direct(uint8_t ctl, const uint8_t *data, size_t size)
{
	static struct textkv	 kv[TEXT_MAX_PAIRS], okv[TEXT_MAX_PAIRS * 2];
	struct param_neg	 n;
	struct textbuf		 out;
	struct chap		*ch = NULL;
	uint8_t			 bin[CHAP_CHALLENGE_MAX + 1];
	char			*buf, *obuf;
	uint64_t		 v;
	int			 i, nkv, r, b;

	if ((buf = malloc(size + 1)) == NULL)
		return;
	memcpy(buf, data, size);
	textbuf_init(&out);
	params_neg_init(&n, ctl & 1, ((ctl >> 1) & 0x3f) * 4096);
	nkv = text_split(buf, size, kv, TEXT_MAX_PAIRS);
	for (i = 0; i < nkv; i++) {
		if (strlen(kv[i].key) == 0 ||
		    strlen(kv[i].key) > TEXT_KEY_MAX ||
		    strlen(kv[i].val) > TEXT_VALUE_MAX)
			bad("text_split let a bad pair through");
		(void)text_number(kv[i].val, 0, UINT64_MAX, &v);
		(void)text_bool(kv[i].val, &b);
		r = chap_decode(kv[i].val, bin, CHAP_CHALLENGE_MAX);
		if (r > CHAP_CHALLENGE_MAX || r < -1)
			bad("chap_decode length");
		if (chap_is_key(kv[i].key)) {
			(void)chap_key(&ch, kv[i].key, kv[i].val);
			continue;
		}
		r = params_key(&n, kv[i].key, kv[i].val, &out);
		if (r != PARAM_OK && r != PARAM_UNKNOWN && r != PARAM_ERROR)
			bad("params_key result");
	}
	params_declare(&n, &out);
	params_finish(&n);

	if (n.p.first_burst > n.p.max_burst)
		bad("FirstBurstLength > MaxBurstLength");
	if (n.p.max_burst > n.our_max_burst)
		bad("MaxBurstLength above ours");
	if (n.p.max_xmit_dsl < 512 || n.p.max_xmit_dsl > 16777215 ||
	    n.p.max_recv_dsl < 512 || n.p.max_recv_dsl > 16777215)
		bad("MaxRecvDataSegmentLength out of range");
	if (n.p.max_outstanding_r2t < 1 || n.p.max_connections < 1 ||
	    n.p.erl > 2 || n.p.header_digest > 1 || n.p.data_digest > 1)
		bad("negotiated value out of range");

	/* Our answer must be key=value pairs an initiator can parse. */
	if (!out.error && out.len > 0) {
		if ((obuf = malloc(out.len + 1)) == NULL)
			bad("malloc");
		memcpy(obuf, out.buf, out.len);
		if (out.buf[out.len - 1] != '\0')
			bad("response text does not end with NUL");
		if (text_split(obuf, out.len, okv, TEXT_MAX_PAIRS * 2) == -1)
			bad("response text is malformed");
		free(obuf);
	}
	chap_free(ch);
	textbuf_free(&out);
	free(buf);
}

static void
conversation(const uint8_t *data, size_t size)
{
	uint8_t		 bhs[ISCSI_BHS_SIZE];
	uint32_t	 itt = 1;
	size_t		 len;
	int		 fd;

	fuzz_portal_init();
	fd = fuzz_connect();
	while (size >= 3) {
		len = (size_t)data[1] << 8 | data[2];
		memset(bhs, 0, sizeof(bhs));
		bhs[BHS_OPCODE] = ISCSI_OP_LOGIN_REQ | ISCSI_OP_IMMEDIATE;
		bhs[BHS_FLAGS] = data[0];
		bhs[8] = 0x80;
		bhs[13] = 2;
		put_be32(bhs + BHS_ITT, itt++);
		put_be32(bhs + BHS_CMDSN, 1);
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		fuzz_pdu(fd, bhs, data, len);
		data += len;
		size -= len;
	}
	fuzz_run(0);
	fuzz_hangup();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return (0);
	if (data[0] & 0x80)
		conversation(data + 1, size - 1);
	else
		direct(data[0], data + 1, size - 1);
	return (0);
}
