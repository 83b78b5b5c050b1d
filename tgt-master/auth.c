/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Access settings and CHAP, the master's side.  The secrets stay here:
 * a portal sends the exchange it had with the initiator (our challenge
 * and identifier, the initiator's name and response and, for mutual CHAP,
 * the initiator's identifier and challenge) in MSG_PORTAL_AUTH_REQ; we
 * answer with the verdict and, for mutual CHAP, our name and response.
 * The credentials are looked up in the running configuration by target
 * name, so a reload changes them for the next login.
 *
 * The portals get each target's allow rules, redirect and whether CHAP
 * is required (MSG_PORTAL_ACCESS, MSG_PORTAL_ACL) just before the target
 * itself, at start-up and again on every reload.
 *
 * CHAP (RFC 1994, RFC 7143 section 12.1.3): the response is
 * H(identifier || secret || challenge) with H MD5 (CHAP_A 5) or
 * SHA-256 (CHAP_A 7).
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/md5.h>
#include <nettle/sha2.h>

#include "log.h"
#include "master.h"

int
chap_digest(int alg, uint8_t id, const void *secret, size_t slen,
    const uint8_t *chal, size_t clen, uint8_t *out)
{
	struct md5_ctx		 md5;
	struct sha256_ctx	 sha;

	switch (alg) {
	case CHAP_ALG_MD5:
		md5_init(&md5);
		md5_update(&md5, 1, &id);
		md5_update(&md5, slen, secret);
		md5_update(&md5, clen, chal);
		md5_digest(&md5, MD5_DIGEST_SIZE, out);
		explicit_bzero(&md5, sizeof(md5));
		return (MD5_DIGEST_SIZE);
	case CHAP_ALG_SHA256:
		sha256_init(&sha);
		sha256_update(&sha, 1, &id);
		sha256_update(&sha, slen, secret);
		sha256_update(&sha, clen, chal);
		sha256_digest(&sha, SHA256_DIGEST_SIZE, out);
		explicit_bzero(&sha, sizeof(sha));
		return (SHA256_DIGEST_SIZE);
	}
	return (-1);
}

static int
auth_bcmp(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t	 d = 0;
	size_t	 i;

	for (i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return (d != 0);
}

/* A name from the network, fit for the log. */
static const char *
auth_printable(const char *s, char *buf, size_t len)
{
	size_t	 i;

	for (i = 0; s[i] != '\0' && i + 1 < len; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	buf[i] = '\0';
	return (buf);
}

static struct conf_target *
auth_conf_target(struct master *m, const char *name)
{
	struct conf_target	*ct;

	if (m->conf == NULL)
		return (NULL);
	TAILQ_FOREACH(ct, &m->conf->targets, entry)
		if (strcmp(ct->name, name) == 0)
			return (ct);
	return (NULL);
}

/*
 * Check one exchange: AUTH_R_OK or AUTH_R_FAIL with a reason for the
 * log.  On success with mutual CHAP, fills our name and response.
 */
int
auth_check(const struct conf_auth *a, const struct msg_auth_req *rq,
    struct msg_auth_resp *rs, const char **why)
{
	const struct conf_chap	*c;
	uint8_t			 want[CHAP_DIGEST_MAX];
	int			 n;

	*why = NULL;
	if (rq->challenge_len < 16 || rq->challenge_len >
	    sizeof(rq->challenge) || rq->response_len > sizeof(rq->response) ||
	    rq->ichallenge_len > sizeof(rq->ichallenge)) {
		*why = "malformed request";
		return (AUTH_R_FAIL);
	}
	TAILQ_FOREACH(c, &a->chap, entry)
		if (strcmp(c->user, rq->user) == 0)
			break;
	if (c == NULL) {
		*why = "unknown user";
		return (AUTH_R_FAIL);
	}
	n = chap_digest(rq->algorithm, rq->chap_i, c->secret,
	    strlen(c->secret), rq->challenge, rq->challenge_len, want);
	if (n == -1) {
		*why = "unknown algorithm";
		return (AUTH_R_FAIL);
	}
	if ((size_t)n != rq->response_len ||
	    auth_bcmp(want, rq->response, n) != 0) {
		explicit_bzero(want, sizeof(want));
		*why = "wrong response";
		return (AUTH_R_FAIL);
	}
	if (!rq->mutual)
		return (AUTH_R_OK);

	/* The initiator wants us to prove ourselves. */
	if (a->mutual == NULL) {
		*why = "mutual CHAP asked for but not configured";
		return (AUTH_R_FAIL);
	}
	if (rq->ichallenge_len < 16) {
		*why = "initiator's challenge too short";
		return (AUTH_R_FAIL);
	}
	if (rq->ichallenge_len == rq->challenge_len &&
	    memcmp(rq->ichallenge, rq->challenge, rq->challenge_len) == 0) {
		*why = "initiator reflected our challenge";
		return (AUTH_R_FAIL);
	}
	n = chap_digest(rq->algorithm, rq->ichap_i, a->mutual->secret,
	    strlen(a->mutual->secret), rq->ichallenge, rq->ichallenge_len,
	    rs->response);
	rs->response_len = n;
	strlcpy(rs->user, a->mutual->user, sizeof(rs->user));
	return (AUTH_R_OK);
}

int
auth_request(struct master *m, struct msgchan *ch, struct msg *msg)
{
	struct msg_auth_req	*rq;
	struct msg_auth_resp	 rs;
	struct conf_target	*ct = NULL;
	const struct conf_auth	*a = NULL;
	const char		*why;
	char			 user[CHAP_NAME_MAX], ini[TGT_NAME_MAX];
	int			 disc;

	if (msg->hdr.len != sizeof(*rq) || msg->data == NULL)
		return (-1);
	/* Big: checked in place, the strings terminated in the copy. */
	if ((rq = malloc(sizeof(*rq))) == NULL) {
		log_warn("auth request");
		return (0);
	}
	memcpy(rq, msg->data, sizeof(*rq));
	rq->user[sizeof(rq->user) - 1] = '\0';
	rq->initiator[sizeof(rq->initiator) - 1] = '\0';
	rq->target[sizeof(rq->target) - 1] = '\0';
	rq->peer[sizeof(rq->peer) - 1] = '\0';
	disc = rq->target_id == ACCESS_DISCOVERY;

	memset(&rs, 0, sizeof(rs));
	rs.id = rq->id;
	if (disc)
		a = m->conf != NULL ? &m->conf->discovery : NULL;
	else if ((ct = auth_conf_target(m, rq->target)) != NULL)
		a = &ct->auth;
	if (a == NULL) {
		rs.result = AUTH_R_FAIL;
		why = "no such target";
	} else
		rs.result = auth_check(a, rq, &rs, &why);

	if (rs.result == AUTH_R_OK)
		log_info("CHAP: user \"%s\" initiator %s %s %s from %s: "
		    "authenticated%s", auth_printable(rq->user, user,
		    sizeof(user)), auth_printable(rq->initiator, ini,
		    sizeof(ini)), disc ? "discovery" : "target",
		    disc ? "session" : rq->target, rq->peer,
		    rq->mutual ? " (mutual)" : "");
	else
		log_warnx("CHAP: user \"%s\" initiator %s %s %s from %s: "
		    "authentication failed: %s", auth_printable(rq->user, user,
		    sizeof(user)), auth_printable(rq->initiator, ini,
		    sizeof(ini)), disc ? "discovery" : "target",
		    disc ? "session" : rq->target, rq->peer, why);
	explicit_bzero(rq, sizeof(*rq));
	free(rq);
	msgchan_send(ch, MSG_PORTAL_AUTH_RESP, rs.id, NULL, 0, &rs,
	    sizeof(rs));
	explicit_bzero(&rs, sizeof(rs));
	return (0);
}

static void
access_send(struct msgchan *ch, uint32_t target_id, uint32_t flags,
    const char *redirect, const struct conf_acls *acls)
{
	struct msg_access	 ma;
	struct conf_acl		*r;
	struct msg_acl		 rule;
	uint32_t		 n = 0;

	if (acls != NULL)
		TAILQ_FOREACH(r, acls, entry)
			n++;
	if (n > ACCESS_RULES_MAX) {
		log_warnx("target %u: more than %d allow rules, closed",
		    target_id, ACCESS_RULES_MAX);
		n = 0;
		flags &= ~ACCESS_F_ALLOW_ALL;
	}
	memset(&ma, 0, sizeof(ma));
	ma.target_id = target_id;
	ma.flags = flags;
	ma.nrules = n;
	strlcpy(ma.redirect, redirect, sizeof(ma.redirect));
	msgchan_send(ch, MSG_PORTAL_ACCESS, target_id, NULL, 0, &ma,
	    sizeof(ma));
	if (n == 0)
		return;
	TAILQ_FOREACH(r, acls, entry) {
		rule = r->rule;
		rule.target_id = target_id;
		msgchan_send(ch, MSG_PORTAL_ACL, target_id, NULL, 0, &rule,
		    sizeof(rule));
	}
}

void
auth_announce(struct master *m, struct mportal *mp, struct mtarget *mt)
{
	struct conf_target	*ct;
	uint32_t		 flags;

	if (!svc_running(&mp->svc))
		return;
	if ((ct = auth_conf_target(m, mt->name)) == NULL) {
		/* not configured (any more): closed */
		access_send(&mp->svc.proc->chan, mt->target_id, 0, "", NULL);
		return;
	}
	flags = ct->access & (ACCESS_F_REDIRECT | ACCESS_F_PERMANENT);
	if (ct->flags & TARGET_F_ALLOW_ALL)
		flags |= ACCESS_F_ALLOW_ALL;
	if (!TAILQ_EMPTY(&ct->auth.chap))
		flags |= ACCESS_F_CHAP;
	access_send(&mp->svc.proc->chan, mt->target_id, flags, ct->redirect,
	    &ct->acls);
}

void
auth_announce_discovery(struct master *m, struct mportal *mp)
{
	uint32_t	 flags = ACCESS_F_ALLOW_ALL;

	if (!svc_running(&mp->svc) || m->conf == NULL)
		return;
	if (!TAILQ_EMPTY(&m->conf->discovery.chap))
		flags |= ACCESS_F_CHAP;
	access_send(&mp->svc.proc->chan, ACCESS_DISCOVERY, flags, "", NULL);
}

/* After a reload: every running portal gets the new settings. */
void
auth_reload(struct master *m)
{
	struct mportal	*mp;
	struct mtarget	*mt;

	TAILQ_FOREACH(mp, &m->portals, entry) {
		if (!svc_running(&mp->svc))
			continue;
		auth_announce_discovery(m, mp);
		TAILQ_FOREACH(mt, &m->targets, entry)
			auth_announce(m, mp, mt);
	}
}
