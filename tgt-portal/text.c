/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Text requests in the full feature phase (RFC 7143 11.10, 11.11) and
 * SendTargets discovery (appendix C).  A request may span several PDUs
 * (C bit), a response longer than the initiator's MaxRecvDataSegmentLength
 * is sent in pieces, each asked for by a Text Request carrying our TTT.
 */

#include <sys/queue.h>

#include <string.h>
#include <strings.h>

#include "auth.h"
#include "log.h"
#include "login.h"

#define TTT_NONE	0xffffffffu
#define TEXT_FINAL	0x80
#define TEXT_CONTINUE	0x40

static uint32_t
text_new_ttt(struct session *s)
{
	uint32_t	 ttt;

	ttt = s->next_ttt++;
	if (ttt == TTT_NONE)
		ttt = s->next_ttt++;
	return (ttt);
}

static void
text_target(struct textbuf *out, const struct ptarget *t)
{
	struct portal_listener	*pl;

	textbuf_add(out, "TargetName", "%s", t->name);
	if (portal->advertise[0] != '\0') {
		textbuf_add(out, "TargetAddress", "%s,%u", portal->advertise,
		    portal->tpgt);
		return;
	}
	TAILQ_FOREACH(pl, &portal->listeners, entry)
		textbuf_add(out, "TargetAddress", "%s,%u", pl->addr,
		    portal->tpgt);
}

/* May the initiator on c log in to t (or be redirected)? */
static int
text_visible(struct conn *c, const struct ptarget *t)
{
	char	 addr[TGT_ADDR_MAX];

	return (acl_allowed(t, c->sess->initiator, &c->peer) ||
	    acl_redirect(t, addr, sizeof(addr)) != 0);
}

/*
 * SendTargets=All|<name>|"" (RFC 7143 appendix C).  Only the targets
 * the initiator may log in to are listed.
 */
static void
text_sendtargets(struct conn *c, const char *val, struct textbuf *out)
{
	struct session	*s = c->sess;
	struct ptarget	*t;

	if (strcmp(val, "All") == 0) {
		if (!s->discovery) {
			/* Only discovery sessions see every target. */
			text_target(out, s->target);
			return;
		}
		TAILQ_FOREACH(t, &portal->targets, entry)
			if (!t->dying && !t->unready &&
			    text_visible(c, t))
				text_target(out, t);
	} else if (val[0] == '\0') {
		if (!s->discovery && s->target != NULL)
			text_target(out, s->target);
	} else if ((t = ptarget_find(val)) != NULL && !t->unready &&
	    text_visible(c, t))
		text_target(out, t);
}

/* Send the next piece of x->text_out. */
static void
text_send(struct conn *c, const uint8_t *req)
{
	struct connx	*x = CONNX(c);
	uint8_t		 rsp[ISCSI_BHS_SIZE];
	size_t		 remain = x->text_out.len - x->text_off, n;

	n = remain;
	if (n > c->params.max_xmit_dsl)
		n = c->params.max_xmit_dsl;
	memset(rsp, 0, sizeof(rsp));
	rsp[BHS_OPCODE] = ISCSI_OP_TEXT_RSP;
	memcpy(rsp + BHS_LUN, req + BHS_LUN, 8);
	memcpy(rsp + BHS_ITT, req + BHS_ITT, 4);
	if (n < remain) {
		rsp[BHS_FLAGS] = TEXT_CONTINUE;
		x->text_ttt = text_new_ttt(c->sess);
		x->text_itt = get_be32(req + BHS_ITT);
		put_be32(rsp + BHS_TTT, x->text_ttt);
	} else {
		rsp[BHS_FLAGS] = TEXT_FINAL;
		put_be32(rsp + BHS_TTT, TTT_NONE);
	}
	bhs_set_dlen(rsp, n);
	session_fill_sn(c, rsp, 1);
	conn_send_copy(c, rsp, n ? x->text_out.buf + x->text_off : NULL, n);
	x->text_off += n;
	if (x->text_off >= x->text_out.len) {
		textbuf_reset(&x->text_out);
		x->text_off = 0;
	}
}

/* Answer a complete request in x->text_in. */
static void
text_request(struct conn *c, const uint8_t *req)
{
	struct connx	*x = CONNX(c);
	struct textkv	 kv[TEXT_MAX_PAIRS];
	int		 i, n = 0, st = 0;

	textbuf_reset(&x->text_out);
	x->text_off = 0;
	if (x->text_in.len > 0 && (n = text_split(x->text_in.buf,
	    x->text_in.len, kv, TEXT_MAX_PAIRS)) == -1) {
		textbuf_reset(&x->text_in);
		session_reject(c, ISCSI_REJ_PROTOCOL, req);
		return;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(kv[i].key, "SendTargets") == 0) {
			if (st++) {
				textbuf_reset(&x->text_in);
				textbuf_reset(&x->text_out);
				session_reject(c, ISCSI_REJ_PROTOCOL, req);
				return;
			}
			text_sendtargets(c, kv[i].val, &x->text_out);
		} else
			textbuf_add(&x->text_out, kv[i].key, "NotUnderstood");
	}
	textbuf_reset(&x->text_in);
	if (x->text_out.error) {
		textbuf_reset(&x->text_out);
		session_reject(c, ISCSI_REJ_LONG_OP, req);
		return;
	}
	text_send(c, req);
}

void
text_rx(struct conn *c)
{
	struct connx	*x = CONNX(c);
	const uint8_t	*bhs = c->rx_bhs;
	uint8_t		 flags = bhs[BHS_FLAGS];
	uint32_t	 ttt = get_be32(bhs + BHS_TTT);
	uint32_t	 itt = get_be32(bhs + BHS_ITT);
	int		 imm = (bhs[BHS_OPCODE] & ISCSI_OP_IMMEDIATE) != 0;
	uint8_t		 rsp[ISCSI_BHS_SIZE];

	if ((flags & TEXT_FINAL) && (flags & TEXT_CONTINUE)) {
		session_reject(c, ISCSI_REJ_PROTOCOL, bhs);
		return;
	}
	if (session_cmdsn(c->sess, get_be32(bhs + BHS_CMDSN), imm) == -1)
		return;

	if (ttt != TTT_NONE) {
		if (ttt != x->text_ttt || itt != x->text_itt) {
			session_reject(c, ISCSI_REJ_INVALID_FIELD, bhs);
			return;
		}
		if (x->text_in_more) {
			/* Next piece of a long request. */
		} else if (x->text_off < x->text_out.len) {
			text_send(c, bhs);
			return;
		} else {
			session_reject(c, ISCSI_REJ_INVALID_FIELD, bhs);
			return;
		}
	} else if (x->text_in_more && itt != x->text_itt) {
		/* A new request ends the old one. */
		textbuf_reset(&x->text_in);
		x->text_in_more = 0;
	}

	if (c->rx_dlen > 0 &&
	    textbuf_append(&x->text_in, c->rx_data, c->rx_dlen) == -1) {
		textbuf_reset(&x->text_in);
		x->text_in_more = 0;
		session_reject(c, ISCSI_REJ_LONG_OP, bhs);
		return;
	}
	if (flags & TEXT_CONTINUE) {
		/* Ask for the rest: empty response, F=0, our TTT. */
		x->text_in_more = 1;
		x->text_itt = itt;
		x->text_ttt = text_new_ttt(c->sess);
		memset(rsp, 0, sizeof(rsp));
		rsp[BHS_OPCODE] = ISCSI_OP_TEXT_RSP;
		memcpy(rsp + BHS_LUN, bhs + BHS_LUN, 8);
		put_be32(rsp + BHS_ITT, itt);
		put_be32(rsp + BHS_TTT, x->text_ttt);
		session_fill_sn(c, rsp, 1);
		conn_send(c, rsp, NULL, 0, NULL, NULL);
		return;
	}
	x->text_in_more = 0;
	text_request(c, bhs);
}
