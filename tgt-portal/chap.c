/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * The portal's half of CHAP (RFC 7143 section 12.1.3, RFC 1994).
 *
 *	I: CHAP_A=<A1,A2...>
 *	T: CHAP_A=<A> CHAP_I=<I> CHAP_C=<C>
 *	I: CHAP_N=<N> CHAP_R=<R> [CHAP_I=<I'> CHAP_C=<C'>]
 *	T: [CHAP_N=<N'> CHAP_R=<R'>]
 *
 * A is the first of the initiator's algorithms we know (MD5 5, SHA-256
 * 7: RFC 7143 list negotiation takes the originator's order).  I and C
 * are new random bytes for every exchange; C is as long as the digest.
 * The portal never sees a secret: the response goes to tgt-master in
 * MSG_PORTAL_AUTH_REQ, which answers with the verdict and, for mutual
 * CHAP, our N' and R'.  The login waits for that answer without blocking
 * the event loop; a connection that goes away drops its exchange.
 */

#include <sys/queue.h>
#include <sys/random.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "log.h"

#define CHAP_S_START		0	/* waiting for CHAP_A */
#define CHAP_S_CHALLENGED	1	/* challenge sent */
#define CHAP_S_WAIT		2	/* asked the master */
#define CHAP_S_DONE		3	/* authenticated */

/* CHAP keys, bits for repeat detection. */
#define CK_A			0x01
#define CK_N			0x02
#define CK_R			0x04
#define CK_I			0x08
#define CK_C			0x10

struct chap {
	TAILQ_ENTRY(chap)	 entry;		/* waiting for the master */
	struct conn		*conn;
	uint32_t		 id;
	int			 state;
	int			 waiting;	/* on chap_wait */
	uint8_t			 alg;
	uint8_t			 chap_i;
	uint8_t			 challenge[CHAP_DIGEST_MAX];
	uint16_t		 challenge_len;
	uint32_t		 got;		/* CK_* of this request */
	char			*val[5];	/* by CK bit number */
};

static TAILQ_HEAD(, chap) chap_wait = TAILQ_HEAD_INITIALIZER(chap_wait);
static uint32_t		  chap_next_id = 1;

static int
chap_key_bit(const char *key)
{
	static const char	*const keys[] = { "CHAP_A", "CHAP_N", "CHAP_R",
				    "CHAP_I", "CHAP_C" };
	int			 i;

	for (i = 0; i < 5; i++)
		if (strcmp(key, keys[i]) == 0)
			return (i);
	return (-1);
}

int
chap_is_key(const char *key)
{
	return (chap_key_bit(key) != -1);
}

static void
chap_clear_keys(struct chap *ch)
{
	int	 i;

	for (i = 0; i < 5; i++) {
		free(ch->val[i]);
		ch->val[i] = NULL;
	}
	ch->got = 0;
}

int
chap_key(struct chap **chp, const char *key, const char *val)
{
	struct chap	*ch = *chp;
	int		 b;

	if ((b = chap_key_bit(key)) == -1)
		return (-1);
	if (ch == NULL) {
		if ((ch = calloc(1, sizeof(*ch))) == NULL)
			return (-1);
		*chp = ch;
	}
	if (ch->got & (1U << b))
		return (-1);
	if ((ch->val[b] = strdup(val)) == NULL)
		return (-1);
	ch->got |= 1U << b;
	return (0);
}

void
chap_free(struct chap *ch)
{
	if (ch == NULL)
		return;
	if (ch->waiting)
		TAILQ_REMOVE(&chap_wait, ch, entry);
	chap_clear_keys(ch);
	explicit_bzero(ch, sizeof(*ch));
	free(ch);
}

int
chap_done(const struct chap *ch)
{
	return (ch != NULL && ch->state == CHAP_S_DONE);
}

static int
b64_val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return (c - 'A');
	if (c >= 'a' && c <= 'z')
		return (c - 'a' + 26);
	if (c >= '0' && c <= '9')
		return (c - '0' + 52);
	if (c == '+')
		return (62);
	if (c == '/')
		return (63);
	return (-1);
}

static int
hex_val(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

int
chap_decode(const char *s, uint8_t *out, size_t max)
{
	size_t		 n = 0, len;
	uint32_t	 acc = 0;
	int		 v, bits = 0, hi, lo, pad = 0;

	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X' && s[1] != 'b' &&
	    s[1] != 'B'))
		return (-1);
	if (s[1] == 'x' || s[1] == 'X') {
		s += 2;
		len = strlen(s);
		if (len == 0)
			return (-1);
		/* an odd count has an implied leading zero */
		if (len % 2) {
			if ((lo = hex_val(*s++)) == -1 || max < 1)
				return (-1);
			out[n++] = lo;
		}
		for (; *s != '\0'; s += 2) {
			if ((hi = hex_val(s[0])) == -1 ||
			    (lo = hex_val(s[1])) == -1 || n >= max)
				return (-1);
			out[n++] = hi << 4 | lo;
		}
		return (n);
	}
	for (s += 2; *s != '\0'; s++) {
		if (*s == '=') {
			pad++;
			continue;
		}
		if (pad || (v = b64_val((unsigned char)*s)) == -1)
			return (-1);
		acc = acc << 6 | v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n >= max)
				return (-1);
			out[n++] = (acc >> bits) & 0xff;
		}
	}
	if (n == 0 || pad > 2)
		return (-1);
	return (n);
}

static void
hex_encode(const uint8_t *p, size_t n, char *out)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i;

	*out++ = '0';
	*out++ = 'x';
	for (i = 0; i < n; i++) {
		*out++ = hex[p[i] >> 4];
		*out++ = hex[p[i] & 0x0f];
	}
	*out = '\0';
}

static int
chap_random(void *buf, size_t len)
{
	ssize_t	 n;

	do {
		n = getrandom(buf, len, 0);
	} while (n == -1 && errno == EINTR);
	return (n == (ssize_t)len ? 0 : -1);
}

/* CHAP_A: the first algorithm of the initiator's list we know. */
static int
chap_choose(struct chap *ch, const char *list, struct conn *c)
{
	char		 buf[TEXT_STD_VALUE_MAX + 1], *p, *v, *ep;
	unsigned long	 a;

	if (strlcpy(buf, list, sizeof(buf)) >= sizeof(buf))
		return (-1);
	for (p = buf; (v = strsep(&p, ",")) != NULL; ) {
		a = strtoul(v, &ep, 10);
		if (*v == '\0' || *ep != '\0')
			continue;
		if (a == CHAP_ALG_MD5 || a == CHAP_ALG_SHA256) {
			ch->alg = a;
			return (0);
		}
	}
	log_info("%s: CHAP: no algorithm we know in \"%.64s\"",
	    c->peer_name, list);
	return (-1);
}

static int
chap_challenge(struct chap *ch, struct conn *c, struct textbuf *out)
{
	char	 hex[2 + 2 * CHAP_DIGEST_MAX + 1];

	ch->challenge_len = ch->alg == CHAP_ALG_MD5 ? 16 : 32;
	if (chap_random(&ch->chap_i, 1) == -1 ||
	    chap_random(ch->challenge, ch->challenge_len) == -1) {
		log_warn("%s: CHAP: getrandom", c->peer_name);
		return (-1);
	}
	hex_encode(ch->challenge, ch->challenge_len, hex);
	textbuf_add(out, "CHAP_A", "%u", ch->alg);
	textbuf_add(out, "CHAP_I", "%u", ch->chap_i);
	textbuf_add(out, "CHAP_C", "%s", hex);
	ch->state = CHAP_S_CHALLENGED;
	return (0);
}

/* The initiator's answer: to the master. */
static int
chap_forward(struct chap *ch, struct conn *c, uint32_t target_id,
    const char *target, const char *initiator)
{
	struct msg_auth_req	*rq;
	unsigned long		 id;
	char			*ep;
	int			 n;

	if ((ch->got & (CK_N | CK_R)) != (CK_N | CK_R) ||
	    ((ch->got & CK_I) != 0) != ((ch->got & CK_C) != 0)) {
		log_info("%s: CHAP: CHAP_N and CHAP_R (and both or neither "
		    "of CHAP_I and CHAP_C) expected", c->peer_name);
		return (-1);
	}
	if ((rq = calloc(1, sizeof(*rq))) == NULL) {
		log_warn("%s: CHAP", c->peer_name);
		return (-1);
	}
	rq->id = ch->id = chap_next_id++;
	rq->target_id = target_id;
	rq->algorithm = ch->alg;
	rq->chap_i = ch->chap_i;
	rq->challenge_len = ch->challenge_len;
	memcpy(rq->challenge, ch->challenge, ch->challenge_len);
	if (strlcpy(rq->user, ch->val[1], sizeof(rq->user)) >=
	    sizeof(rq->user) || ch->val[1][0] == '\0') {
		log_info("%s: CHAP: bad CHAP_N", c->peer_name);
		goto fail;
	}
	if ((n = chap_decode(ch->val[2], rq->response,
	    sizeof(rq->response))) == -1) {
		log_info("%s: CHAP: bad CHAP_R", c->peer_name);
		goto fail;
	}
	rq->response_len = n;
	if (ch->got & CK_I) {
		id = strtoul(ch->val[3], &ep, 10);
		if (ch->val[3][0] < '0' || ch->val[3][0] > '9' ||
		    *ep != '\0' || id > 255) {
			log_info("%s: CHAP: bad CHAP_I", c->peer_name);
			goto fail;
		}
		if ((n = chap_decode(ch->val[4], rq->ichallenge,
		    sizeof(rq->ichallenge))) == -1) {
			log_info("%s: CHAP: bad CHAP_C", c->peer_name);
			goto fail;
		}
		rq->mutual = 1;
		rq->ichap_i = id;
		rq->ichallenge_len = n;
	}
	strlcpy(rq->initiator, initiator, sizeof(rq->initiator));
	strlcpy(rq->target, target, sizeof(rq->target));
	strlcpy(rq->peer, c->peer_name, sizeof(rq->peer));
	if (msgchan_send(&portal->master, MSG_PORTAL_AUTH_REQ, rq->id, NULL,
	    0, rq, sizeof(*rq)) == -1) {
		log_warn("%s: CHAP: to the master", c->peer_name);
		goto fail;
	}
	free(rq);
	ch->conn = c;
	ch->state = CHAP_S_WAIT;
	ch->waiting = 1;
	TAILQ_INSERT_TAIL(&chap_wait, ch, entry);
	return (0);
 fail:
	free(rq);
	return (-1);
}

int
chap_step(struct chap **chp, struct conn *c, uint32_t target_id,
    const char *target, const char *initiator, struct textbuf *out)
{
	struct chap	*ch;
	int		 r = CHAP_STEP_OK;

	if (*chp == NULL && (*chp = calloc(1, sizeof(**chp))) == NULL)
		return (CHAP_STEP_FAIL);
	ch = *chp;
	switch (ch->state) {
	case CHAP_S_START:
		if (ch->got == 0)
			break;		/* CHAP_A comes in a later request */
		if (ch->got != CK_A) {
			log_info("%s: CHAP: keys before CHAP_A",
			    c->peer_name);
			r = CHAP_STEP_FAIL;
		} else if (chap_choose(ch, ch->val[0], c) == -1 ||
		    chap_challenge(ch, c, out) == -1)
			r = CHAP_STEP_FAIL;
		break;
	case CHAP_S_CHALLENGED:
		if (ch->got == 0) {
			log_info("%s: CHAP: no response", c->peer_name);
			r = CHAP_STEP_FAIL;
		} else if (ch->got & CK_A) {
			log_info("%s: CHAP: CHAP_A again", c->peer_name);
			r = CHAP_STEP_FAIL;
		} else if (chap_forward(ch, c, target_id, target, initiator)
		    == -1)
			r = CHAP_STEP_FAIL;
		else
			r = CHAP_STEP_WAIT;
		break;
	default:
		/* no request while waiting; no CHAP keys once done */
		if (ch->state == CHAP_S_WAIT || ch->got != 0) {
			log_info("%s: CHAP: unexpected keys", c->peer_name);
			r = CHAP_STEP_FAIL;
		}
		break;
	}
	chap_clear_keys(ch);
	return (r);
}

void
chap_resp_msg(struct msg *m)
{
	struct msg_auth_resp	 rs;
	struct chap		*ch;
	char			 hex[2 + 2 * CHAP_DIGEST_MAX + 1];
	int			 ok;

	if (MSG_GET(m, &rs) == -1) {
		log_warnx("bad PORTAL_AUTH_RESP");
		return;
	}
	rs.user[sizeof(rs.user) - 1] = '\0';
	TAILQ_FOREACH(ch, &chap_wait, entry)
		if (ch->id == rs.id)
			break;
	if (ch == NULL)
		return;		/* the connection went away */
	TAILQ_REMOVE(&chap_wait, ch, entry);
	ch->waiting = 0;
	ok = rs.result == AUTH_R_OK && rs.response_len <= CHAP_DIGEST_MAX;
	hex[0] = '\0';
	if (ok && rs.response_len > 0) {
		if (rs.user[0] == '\0') {
			log_warnx("PORTAL_AUTH_RESP without CHAP_N");
			ok = 0;
		} else
			hex_encode(rs.response, rs.response_len, hex);
	}
	ch->state = ok ? CHAP_S_DONE : CHAP_S_CHALLENGED;
	explicit_bzero(ch->challenge, sizeof(ch->challenge));
	login_chap_done(ch->conn, ok, rs.user, hex);
	explicit_bzero(&rs, sizeof(rs));
}
