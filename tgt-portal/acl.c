/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Access settings of the targets, as the master sent them: a
 * MSG_PORTAL_ACCESS, then its nrules MSG_PORTAL_ACL.  The new settings
 * are collected aside and take the place of the old ones when the last
 * rule is in, so a login never sees half a rule set.
 *
 * A login is allowed when the target has "allow all", or when it has at
 * least one allow rule and:
 *	- if there are "allow initiator" rules, the InitiatorName matches
 *	  one of them (fnmatch(3), case folded), and
 *	- if there are "allow address" rules, the peer's address is in one
 *	  of the networks.
 * A target without rules is closed.
 */

#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "log.h"

struct access {
	uint32_t	 flags;		/* ACCESS_F_* */
	char		 redirect[TGT_ADDR_MAX];
	struct msg_acl	*rules;
	uint32_t	 nrules;
};

struct pacl {
	TAILQ_ENTRY(pacl)	 entry;
	uint32_t		 target_id;
	int			 valid;		/* cur was set once */
	struct access		 cur;
	struct access		 next;		/* being received */
	uint32_t		 next_have;
	int			 receiving;
};

static TAILQ_HEAD(, pacl) pacls = TAILQ_HEAD_INITIALIZER(pacls);

static struct pacl *
pacl_find(uint32_t id, int create)
{
	struct pacl	*p;

	TAILQ_FOREACH(p, &pacls, entry)
		if (p->target_id == id)
			return (p);
	if (!create)
		return (NULL);
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		log_warn("access");
		return (NULL);
	}
	p->target_id = id;
	TAILQ_INSERT_TAIL(&pacls, p, entry);
	return (p);
}

static void
pacl_commit(struct pacl *p)
{
	free(p->cur.rules);
	p->cur = p->next;
	memset(&p->next, 0, sizeof(p->next));
	p->receiving = 0;
	p->valid = 1;
}

void
acl_access_msg(struct msg *m)
{
	struct msg_access	 ma;
	struct pacl		*p;

	if (MSG_GET(m, &ma) == -1 || ma.nrules > ACCESS_RULES_MAX) {
		log_warnx("bad PORTAL_ACCESS");
		return;
	}
	ma.redirect[sizeof(ma.redirect) - 1] = '\0';
	if ((p = pacl_find(ma.target_id, 1)) == NULL)
		return;
	free(p->next.rules);
	memset(&p->next, 0, sizeof(p->next));
	p->next.flags = ma.flags;
	strlcpy(p->next.redirect, ma.redirect, sizeof(p->next.redirect));
	p->next_have = 0;
	if (ma.nrules > 0 && (p->next.rules = calloc(ma.nrules,
	    sizeof(*p->next.rules))) == NULL) {
		/* closed rather than open */
		log_warn("access rules");
		p->next.flags &= ~ACCESS_F_ALLOW_ALL;
		ma.nrules = 0;
	}
	p->next.nrules = ma.nrules;
	p->receiving = 1;
	if (ma.nrules == 0)
		pacl_commit(p);
	log_debug("access %u flags 0x%x rules %u", ma.target_id, ma.flags,
	    ma.nrules);
}

void
acl_rule_msg(struct msg *m)
{
	struct msg_acl	 r;
	struct pacl	*p;

	if (MSG_GET(m, &r) == -1) {
		log_warnx("bad PORTAL_ACL");
		return;
	}
	r.pattern[sizeof(r.pattern) - 1] = '\0';
	if ((p = pacl_find(r.target_id, 0)) == NULL || !p->receiving ||
	    p->next_have >= p->next.nrules) {
		log_warnx("PORTAL_ACL for target %u not expected",
		    r.target_id);
		return;
	}
	if ((r.type != ACL_INITIATOR && r.type != ACL_ADDRESS) ||
	    (r.type == ACL_ADDRESS && !((r.family == 4 && r.prefix <= 32) ||
	    (r.family == 6 && r.prefix <= 128)))) {
		/* an invalid rule matches nothing */
		log_warnx("bad PORTAL_ACL rule for target %u", r.target_id);
		r.type = 0;
	}
	p->next.rules[p->next_have++] = r;
	if (p->next_have == p->next.nrules)
		pacl_commit(p);
}

void
acl_forget(uint32_t target_id)
{
	struct pacl	*p;

	if ((p = pacl_find(target_id, 0)) == NULL)
		return;
	TAILQ_REMOVE(&pacls, p, entry);
	free(p->cur.rules);
	free(p->next.rules);
	free(p);
}

int
acl_match_initiator(const char *pattern, const char *name)
{
	return (fnmatch(pattern, name, FNM_CASEFOLD) == 0);
}

static int
acl_prefix_eq(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned	 full = bits / 8, rest = bits % 8;
	uint8_t		 mask;

	if (memcmp(a, b, full) != 0)
		return (0);
	if (rest == 0)
		return (1);
	mask = 0xff << (8 - rest);
	return ((a[full] & mask) == (b[full] & mask));
}

int
acl_match_address(const struct msg_acl *r, const struct sockaddr_storage *ss)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;
	const uint8_t			*a;
	static const uint8_t		 v4mapped[12] = { 0, 0, 0, 0, 0, 0,
					    0, 0, 0, 0, 0xff, 0xff };

	if (r->type != ACL_ADDRESS)
		return (0);
	switch (ss->ss_family) {
	case AF_INET:
		sin = (const struct sockaddr_in *)ss;
		a = (const uint8_t *)&sin->sin_addr;
		return (r->family == 4 && r->prefix <= 32 &&
		    acl_prefix_eq(r->addr, a, r->prefix));
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)ss;
		a = (const uint8_t *)&sin6->sin6_addr;
		if (r->family == 6)
			return (r->prefix <= 128 &&
			    acl_prefix_eq(r->addr, a, r->prefix));
		/* an IPv4 client on an IPv6 socket */
		return (r->family == 4 && r->prefix <= 32 &&
		    memcmp(a, v4mapped, sizeof(v4mapped)) == 0 &&
		    acl_prefix_eq(r->addr, a + 12, r->prefix));
	}
	return (0);
}

static const struct access *
acl_get(const struct ptarget *t)
{
	struct pacl	*p;

	p = pacl_find(t != NULL ? t->target_id : ACCESS_DISCOVERY, 0);
	if (p == NULL || !p->valid)
		return (NULL);
	return (&p->cur);
}

int
acl_allowed(const struct ptarget *t, const char *initiator,
    const struct sockaddr_storage *ss)
{
	const struct access	*a;
	uint32_t		 i;
	int			 ni = 0, na = 0, mi = 0, ma = 0;

	if ((a = acl_get(t)) == NULL)
		return (t != NULL && (t->flags & TARGET_F_ALLOW_ALL) != 0);
	if (a->flags & ACCESS_F_ALLOW_ALL)
		return (1);
	for (i = 0; i < a->nrules; i++) {
		switch (a->rules[i].type) {
		case ACL_INITIATOR:
			ni++;
			if (!mi && acl_match_initiator(a->rules[i].pattern,
			    initiator))
				mi = 1;
			break;
		case ACL_ADDRESS:
			na++;
			if (!ma && acl_match_address(&a->rules[i], ss))
				ma = 1;
			break;
		}
	}
	if (ni == 0 && na == 0)
		return (0);
	return ((ni == 0 || mi) && (na == 0 || ma));
}

int
acl_chap_required(const struct ptarget *t)
{
	const struct access	*a;

	if ((a = acl_get(t)) == NULL)
		return (0);
	return ((a->flags & ACCESS_F_CHAP) != 0);
}

int
acl_redirect(const struct ptarget *t, char *addr, size_t len)
{
	const struct access	*a;

	if (t == NULL || (a = acl_get(t)) == NULL ||
	    !(a->flags & ACCESS_F_REDIRECT) || a->redirect[0] == '\0')
		return (0);
	strlcpy(addr, a->redirect, len);
	return ((a->flags & ACCESS_F_PERMANENT) ? ISCSI_LD_REDIR_PERM :
	    ISCSI_LD_REDIR_TEMP);
}
