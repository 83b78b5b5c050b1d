/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * tgt-portal/acl.c and the decoding in chap.c: initiator patterns,
 * IPv4/IPv6 networks, the rule set semantics (any rule of each kind
 * present must match, no rule is closed, allow all), rule sets arriving
 * in several messages, and CHAP binary values.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tgt-portal/auth.h"
#include "log.h"
#include "unit.h"

static struct portal	 portal_store;
struct portal		*portal;

static struct sockaddr_storage
sa(const char *s)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1)
		sin6->sin6_family = AF_INET6;
	return (ss);
}

static struct msg_acl
rule_addr(int family, const char *a, int prefix)
{
	struct msg_acl	 r;

	memset(&r, 0, sizeof(r));
	r.type = ACL_ADDRESS;
	r.family = family;
	r.prefix = prefix;
	inet_pton(family == 4 ? AF_INET : AF_INET6, a, r.addr);
	return (r);
}

static void
test_initiator_match(void)
{
	CHECK(acl_match_initiator("iqn.2026-11.org.example:*",
	    "iqn.2026-11.org.example:host1"));
	CHECK(acl_match_initiator("iqn.2026-11.org.example:host?",
	    "iqn.2026-11.org.example:host1"));
	CHECK(!acl_match_initiator("iqn.2026-11.org.example:host?",
	    "iqn.2026-11.org.example:host12"));
	CHECK(acl_match_initiator("IQN.2026-11.ORG.EXAMPLE:HOST",
	    "iqn.2026-11.org.example:host"));
	CHECK(!acl_match_initiator("iqn.2026-11.org.example:a",
	    "iqn.2026-11.org.example:b"));
	CHECK(acl_match_initiator("*", "eui.0123456789abcdef"));
}

static void
test_address_match(void)
{
	struct msg_acl			 r;
	struct sockaddr_storage		 ss;

	r = rule_addr(4, "10.0.0.0", 8);
	ss = sa("10.200.3.4");
	CHECK(acl_match_address(&r, &ss));
	ss = sa("11.0.0.1");
	CHECK(!acl_match_address(&r, &ss));
	r = rule_addr(4, "192.168.1.128", 25);
	ss = sa("192.168.1.200");
	CHECK(acl_match_address(&r, &ss));
	ss = sa("192.168.1.127");
	CHECK(!acl_match_address(&r, &ss));
	r = rule_addr(4, "0.0.0.0", 0);
	ss = sa("203.0.113.9");
	CHECK(acl_match_address(&r, &ss));
	r = rule_addr(4, "127.0.0.1", 32);
	ss = sa("127.0.0.1");
	CHECK(acl_match_address(&r, &ss));
	ss = sa("127.0.0.2");
	CHECK(!acl_match_address(&r, &ss));
	/* an IPv4 client on an IPv6 socket */
	ss = sa("::ffff:127.0.0.1");
	CHECK(acl_match_address(&r, &ss));
	/* families do not mix otherwise */
	ss = sa("::1");
	CHECK(!acl_match_address(&r, &ss));
	r = rule_addr(6, "2001:db8::", 32);
	ss = sa("2001:db8:1::5");
	CHECK(acl_match_address(&r, &ss));
	ss = sa("2001:db9::5");
	CHECK(!acl_match_address(&r, &ss));
	ss = sa("10.0.0.1");
	CHECK(!acl_match_address(&r, &ss));
	r = rule_addr(6, "fe80::", 10);
	ss = sa("febf::1");
	CHECK(acl_match_address(&r, &ss));
	ss = sa("fec0::1");
	CHECK(!acl_match_address(&r, &ss));
	/* out of range prefix: no match */
	r = rule_addr(4, "10.0.0.0", 40);
	ss = sa("10.0.0.1");
	CHECK(!acl_match_address(&r, &ss));
}

static void
send_msg(uint32_t type, void *p, size_t len)
{
	struct msg	 m;

	memset(&m, 0, sizeof(m));
	m.hdr.type = type;
	m.hdr.len = len;
	m.data = p;
	if (type == MSG_PORTAL_ACCESS)
		acl_access_msg(&m);
	else
		acl_rule_msg(&m);
}

static void
set_access(uint32_t id, uint32_t flags, int n, struct msg_acl *rules)
{
	struct msg_access	 ma;
	int			 i;

	memset(&ma, 0, sizeof(ma));
	ma.target_id = id;
	ma.flags = flags;
	ma.nrules = n;
	strlcpy(ma.redirect, "192.0.2.1:3260", sizeof(ma.redirect));
	send_msg(MSG_PORTAL_ACCESS, &ma, sizeof(ma));
	for (i = 0; i < n; i++) {
		rules[i].target_id = id;
		send_msg(MSG_PORTAL_ACL, &rules[i], sizeof(rules[i]));
	}
}

static void
test_rule_sets(void)
{
	struct ptarget		 t;
	struct msg_acl		 r[3];
	struct sockaddr_storage	 lo = sa("127.0.0.1"), ten = sa("10.1.1.1");
	const char		*good = "iqn.2026-11.org.example:good";
	const char		*bad = "iqn.2026-11.org.example:bad";
	char			 addr[TGT_ADDR_MAX];

	memset(&t, 0, sizeof(t));
	t.target_id = 42;
	/* nothing from the master: the TARGET flag decides */
	CHECK(!acl_allowed(&t, good, &lo));
	t.flags = TARGET_F_ALLOW_ALL;
	CHECK(acl_allowed(&t, good, &lo));
	t.flags = 0;

	/* no rules: closed */
	set_access(42, 0, 0, NULL);
	CHECK(!acl_allowed(&t, good, &lo));
	CHECK(!acl_chap_required(&t));
	CHECK(acl_redirect(&t, addr, sizeof(addr)) == 0);

	set_access(42, ACCESS_F_ALLOW_ALL | ACCESS_F_CHAP, 0, NULL);
	CHECK(acl_allowed(&t, bad, &ten));
	CHECK(acl_chap_required(&t));

	/* initiator rules only */
	memset(r, 0, sizeof(r));
	r[0].type = ACL_INITIATOR;
	strlcpy(r[0].pattern, "*:good", sizeof(r[0].pattern));
	set_access(42, 0, 1, r);
	CHECK(acl_allowed(&t, good, &ten));
	CHECK(!acl_allowed(&t, bad, &lo));

	/* both kinds: both must match */
	r[1] = rule_addr(4, "127.0.0.0", 8);
	r[2].type = ACL_INITIATOR;
	strlcpy(r[2].pattern, "*:other", sizeof(r[2].pattern));
	set_access(42, 0, 3, r);
	CHECK(acl_allowed(&t, good, &lo));
	CHECK(!acl_allowed(&t, good, &ten));
	CHECK(!acl_allowed(&t, bad, &lo));
	CHECK(acl_allowed(&t, "iqn.2026-11.org.example:other", &lo));

	/*
	 * Half a rule set: the old one stays until the last rule is in.
	 */
	{
		struct msg_access	 ma;

		memset(&ma, 0, sizeof(ma));
		ma.target_id = 42;
		ma.nrules = 2;
		send_msg(MSG_PORTAL_ACCESS, &ma, sizeof(ma));
		r[0].target_id = 42;
		send_msg(MSG_PORTAL_ACL, &r[0], sizeof(r[0]));
		CHECK(acl_allowed(&t, good, &lo));	/* old set */
		CHECK(!acl_allowed(&t, good, &ten));
		r[1] = rule_addr(4, "10.0.0.0", 8);
		r[1].target_id = 42;
		send_msg(MSG_PORTAL_ACL, &r[1], sizeof(r[1]));
		CHECK(acl_allowed(&t, good, &ten));	/* new set */
		CHECK(!acl_allowed(&t, good, &lo));
	}
	/* a rule nobody announced, a short message: ignored */
	send_msg(MSG_PORTAL_ACL, &r[1], sizeof(r[1]));
	send_msg(MSG_PORTAL_ACL, &r[1], sizeof(r[1]) - 1);
	CHECK(acl_allowed(&t, good, &ten));

	/* an invalid rule in a set matches nothing */
	memset(r, 0, sizeof(r));
	r[0] = rule_addr(4, "10.0.0.0", 8);
	r[0].type = 9;
	set_access(42, 0, 1, r);
	CHECK(!acl_allowed(&t, good, &ten));

	/* redirect */
	set_access(42, ACCESS_F_REDIRECT | ACCESS_F_PERMANENT, 0, NULL);
	CHECK(acl_redirect(&t, addr, sizeof(addr)) == ISCSI_LD_REDIR_PERM);
	CHECK(strcmp(addr, "192.0.2.1:3260") == 0);
	set_access(42, ACCESS_F_REDIRECT, 0, NULL);
	CHECK(acl_redirect(&t, addr, sizeof(addr)) == ISCSI_LD_REDIR_TEMP);

	/* a deleted target: its settings go, closed without ALLOW_ALL */
	set_access(42, ACCESS_F_ALLOW_ALL, 0, NULL);
	CHECK(acl_allowed(&t, good, &ten));
	acl_forget(42);
	CHECK(!acl_allowed(&t, good, &ten));
	acl_forget(42);

	/* discovery */
	CHECK(!acl_chap_required(NULL));
	set_access(ACCESS_DISCOVERY, ACCESS_F_ALLOW_ALL | ACCESS_F_CHAP, 0,
	    NULL);
	CHECK(acl_chap_required(NULL));
}

static void
test_chap_decode(void)
{
	uint8_t	 b[64];

	CHECK(chap_decode("0x0102ff", b, sizeof(b)) == 3);
	CHECK(b[0] == 1 && b[1] == 2 && b[2] == 0xff);
	CHECK(chap_decode("0XABC", b, sizeof(b)) == 2);	/* 0x0abc */
	CHECK(b[0] == 0x0a && b[1] == 0xbc);
	CHECK(chap_decode("0x", b, sizeof(b)) == -1);
	CHECK(chap_decode("0x12zz", b, sizeof(b)) == -1);
	CHECK(chap_decode("12", b, sizeof(b)) == -1);
	CHECK(chap_decode("0x010203", b, 2) == -1);		/* too long */
	CHECK(chap_decode("0bAQID", b, sizeof(b)) == 3);	/* base64 */
	CHECK(b[0] == 1 && b[1] == 2 && b[2] == 3);
	CHECK(chap_decode("0bAQI=", b, sizeof(b)) == 2);
	CHECK(chap_decode("0bAQ==", b, sizeof(b)) == 1);
	CHECK(chap_decode("0bA=Q=", b, sizeof(b)) == -1);
	CHECK(chap_decode("0b!!!!", b, sizeof(b)) == -1);
	CHECK(chap_decode("0b", b, sizeof(b)) == -1);
}

static void
test_chap_keys(void)
{
	struct chap	*ch = NULL;

	CHECK(chap_is_key("CHAP_A") && chap_is_key("CHAP_C"));
	CHECK(!chap_is_key("CHAP_X") && !chap_is_key("AuthMethod"));
	CHECK(chap_key(&ch, "CHAP_A", "5") == 0);
	CHECK(chap_key(&ch, "CHAP_A", "7") == -1);	/* twice */
	CHECK(chap_key(&ch, "CHAP_Q", "7") == -1);
	CHECK(!chap_done(ch));
	chap_free(ch);
}

int
main(void)
{
	log_init(1, 0, "acl_test");
	portal = &portal_store;
	UNIT_RUN(test_initiator_match);
	UNIT_RUN(test_address_match);
	UNIT_RUN(test_rule_sets);
	UNIT_RUN(test_chap_decode);
	UNIT_RUN(test_chap_keys);
	return (UNIT_END("acl"));
}
