/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * tgt-master/auth.c: CHAP responses (MD5 and SHA-256, vectors computed
 * independently with Python's hashlib), the verdicts of auth_check()
 * (wrong user, wrong response, wrong length, mutual, reflection) and
 * conf_acl_address().
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tgt-master/master.h"
#include "unit.h"

static int
unhex(const char *s, uint8_t *out)
{
	int	 n = 0;
	unsigned v;

	while (s[0] != '\0' && s[1] != '\0') {
		if (sscanf(s, "%2x", &v) != 1)
			return (-1);
		out[n++] = v;
		s += 2;
	}
	return (n);
}

static void
test_chap_md5(void)
{
	uint8_t	 chal[16], want[16], got[CHAP_DIGEST_MAX];
	int	 i;

	for (i = 0; i < 16; i++)
		chal[i] = i;
	REQUIRE(unhex("f2f17d483c1fcd4646f3c472cdf69b37", want) == 16);
	CHECK(chap_digest(CHAP_ALG_MD5, 1, "secret123456", 12, chal, 16,
	    got) == 16);
	CHECK(memcmp(got, want, 16) == 0);
}

static void
test_chap_sha256(void)
{
	uint8_t	 chal[32], want[32], got[CHAP_DIGEST_MAX];
	int	 i;

	for (i = 0; i < 32; i++)
		chal[i] = i;
	REQUIRE(unhex("8f50f91131089231ff1d0ac1a3bd467a"
	    "23d0325a9320f64bcc52ccc563dab44f", want) == 32);
	CHECK(chap_digest(CHAP_ALG_SHA256, 0xab, "secret123456", 12, chal,
	    32, got) == 32);
	CHECK(memcmp(got, want, 32) == 0);
	CHECK(chap_digest(6, 0, "x", 1, chal, 16, got) == -1);
}

static struct conf_chap	 alice = { .user = "alice",
			    .secret = "secret123456" };
static struct conf_chap	 mutual = { .user = "target",
			    .secret = "mutual-secret-9" };

static void
setup_auth(struct conf_auth *a, int with_mutual)
{
	conf_auth_init(a);
	TAILQ_INSERT_TAIL(&a->chap, &alice, entry);
	a->mutual = with_mutual ? &mutual : NULL;
}

static void
make_req(struct msg_auth_req *rq, int alg)
{
	int	 i;

	memset(rq, 0, sizeof(*rq));
	rq->algorithm = alg;
	rq->chap_i = 1;
	rq->challenge_len = alg == CHAP_ALG_MD5 ? 16 : 32;
	for (i = 0; i < rq->challenge_len; i++)
		rq->challenge[i] = i;
	strlcpy(rq->user, "alice", sizeof(rq->user));
	rq->response_len = chap_digest(alg, 1, "secret123456", 12,
	    rq->challenge, rq->challenge_len, rq->response);
}

static void
test_auth_check(void)
{
	struct conf_auth	 a;
	struct msg_auth_req	 rq;
	struct msg_auth_resp	 rs;
	const char		*why;

	setup_auth(&a, 0);
	make_req(&rq, CHAP_ALG_MD5);
	memset(&rs, 0, sizeof(rs));
	CHECK(auth_check(&a, &rq, &rs, &why) == AUTH_R_OK);
	CHECK(rs.response_len == 0);

	make_req(&rq, CHAP_ALG_SHA256);
	CHECK(auth_check(&a, &rq, &rs, &why) == AUTH_R_OK);

	/* one bit off */
	rq.response[5] ^= 0x10;
	CHECK(auth_check(&a, &rq, &rs, &why) == AUTH_R_FAIL);
	CHECK(why != NULL && strcmp(why, "wrong response") == 0);

	/* the MD5 response claimed for SHA-256 */
	make_req(&rq, CHAP_ALG_MD5);
	rq.algorithm = CHAP_ALG_SHA256;
	CHECK(auth_check(&a, &rq, &rs, &why) == AUTH_R_FAIL);

	make_req(&rq, CHAP_ALG_MD5);
	strlcpy(rq.user, "mallory", sizeof(rq.user));
	CHECK(auth_check(&a, &rq, &rs, &why) == AUTH_R_FAIL);
	CHECK(why != NULL && strcmp(why, "unknown user") == 0);

	/* a short or oversized challenge from the portal */
	make_req(&rq, CHAP_ALG_MD5);
	rq.challenge_len = 8;
	CHECK(auth_check(&a, &rq, &rs, &why) == AUTH_R_FAIL);
	make_req(&rq, CHAP_ALG_MD5);
	rq.response_len = 200;
	CHECK(auth_check(&a, &rq, &rs, &why) == AUTH_R_FAIL);
}

static void
test_auth_mutual(void)
{
	struct conf_auth	 a;
	struct msg_auth_req	 rq;
	struct msg_auth_resp	 rs;
	const char		*why;
	uint8_t			 want[16];

	/* mutual asked, none configured */
	setup_auth(&a, 0);
	make_req(&rq, CHAP_ALG_MD5);
	rq.mutual = 1;
	rq.ichap_i = 7;
	rq.ichallenge_len = 20;
	memset(rq.ichallenge, 0x55, 20);
	memset(&rs, 0, sizeof(rs));
	CHECK(auth_check(&a, &rq, &rs, &why) == AUTH_R_FAIL);

	setup_auth(&a, 1);
	CHECK(auth_check(&a, &rq, &rs, &why) == AUTH_R_OK);
	REQUIRE(unhex("82216a4c5f044fefad27e66737aef18d", want) == 16);
	CHECK(rs.response_len == 16);
	CHECK(memcmp(rs.response, want, 16) == 0);
	CHECK(strcmp(rs.user, "target") == 0);

	/* the initiator reflects our challenge */
	memset(&rs, 0, sizeof(rs));
	rq.ichallenge_len = rq.challenge_len;
	memcpy(rq.ichallenge, rq.challenge, rq.challenge_len);
	CHECK(auth_check(&a, &rq, &rs, &why) == AUTH_R_FAIL);
	CHECK(rs.response_len == 0);

	/* a too short initiator challenge */
	rq.ichallenge_len = 4;
	memset(rq.ichallenge, 0x33, 4);
	CHECK(auth_check(&a, &rq, &rs, &why) == AUTH_R_FAIL);

	/* no mutual answer for a wrong one-way response */
	rq.ichallenge_len = 20;
	memset(rq.ichallenge, 0x55, 20);
	rq.response[0] ^= 1;
	CHECK(auth_check(&a, &rq, &rs, &why) == AUTH_R_FAIL);
	CHECK(rs.response_len == 0);
}

static void
test_acl_address(void)
{
	struct msg_acl	 r;

	memset(&r, 0, sizeof(r));
	CHECK(conf_acl_address("10.0.0.0/8", &r) == 0);
	CHECK(r.family == 4 && r.prefix == 8 && r.addr[0] == 10);
	CHECK(conf_acl_address("192.0.2.7", &r) == 0);
	CHECK(r.family == 4 && r.prefix == 32);
	CHECK(conf_acl_address("0.0.0.0/0", &r) == 0);
	CHECK(r.prefix == 0);
	CHECK(conf_acl_address("2001:db8::/32", &r) == 0);
	CHECK(r.family == 6 && r.prefix == 32 && r.addr[1] == 0x01);
	CHECK(conf_acl_address("::1", &r) == 0);
	CHECK(r.family == 6 && r.prefix == 128 && r.addr[15] == 1);
	CHECK(conf_acl_address("10.0.0.1/8", &r) == -1);	/* host bits */
	CHECK(conf_acl_address("10.0.0.0/33", &r) == -1);
	CHECK(conf_acl_address("10.0.0.0/", &r) == -1);
	CHECK(conf_acl_address("10.0.0.0/-1", &r) == -1);
	CHECK(conf_acl_address("10.0.0.0/8x", &r) == -1);
	CHECK(conf_acl_address("2001:db8::1/129", &r) == -1);
	CHECK(conf_acl_address("host.example", &r) == -1);
	CHECK(conf_acl_address("", &r) == -1);
}

int
main(void)
{
	UNIT_RUN(test_chap_md5);
	UNIT_RUN(test_chap_sha256);
	UNIT_RUN(test_auth_check);
	UNIT_RUN(test_auth_mutual);
	UNIT_RUN(test_acl_address);
	return (UNIT_END("auth"));
}
