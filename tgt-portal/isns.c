/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * iSNS client (RFC 4171, iSNSP over TCP), the part that speaks to the
 * network.  tgt-master connects to the server and gives the socket to
 * one portal (MSG_PORTAL_ISNS, then the portals and the targets to
 * register); we send one DevAttrReg with the Replace flag (the entity,
 * its portals, its storage nodes and their portal groups: whatever was
 * registered before and is not listed any more goes away) or a DevDereg
 * of the entity, read the response, close the socket and tell the
 * master (MSG_PORTAL_ISNS_DONE).  No ESI or SCN: the master refreshes
 * the registration periodically instead.
 *
 * The response is untrusted: its header, lengths and every attribute
 * are checked against what was read before anything is used.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "isns.h"
#include "log.h"
#include "portal.h"

#define ISNS_TIMEOUT		10	/* seconds for the whole exchange */

struct isns_client {
	int			 fd;
	struct event		*ev;
	struct event		*ev_timer;
	struct msg_isns		 req;
	struct msg_isns_portal	*portals;
	struct msg_isns_node	*nodes;
	uint32_t		 nportals_have;
	uint32_t		 nnodes_have;
	uint16_t		 xid;
	uint16_t		 func;
	uint8_t			*out;		/* PDUs to send */
	size_t			 outlen;
	size_t			 outoff;
	uint8_t			 hdr[ISNS_HDR_LEN];
	uint8_t			*in;		/* payload being read */
	size_t			 inlen;		/* expected */
	size_t			 inoff;		/* header + payload read */
	int			 active;
};

static struct isns_client	 isns_c = { .fd = -1 };
static uint16_t			 isns_xid;

static void	isns_io(int, short, void *);

static void
isns_finish(struct isns_client *ic, int ok, uint32_t status)
{
	struct msg_isns_done	 d;

	if (!ic->active)
		return;
	if (ic->ev != NULL) {
		event_free(ic->ev);
		ic->ev = NULL;
	}
	if (ic->ev_timer != NULL)
		evtimer_del(ic->ev_timer);
	if (ic->fd != -1) {
		close(ic->fd);
		ic->fd = -1;
	}
	free(ic->portals);
	free(ic->nodes);
	free(ic->out);
	free(ic->in);
	ic->portals = NULL;
	ic->nodes = NULL;
	ic->out = ic->in = NULL;
	ic->active = 0;
	memset(&d, 0, sizeof(d));
	d.seq = ic->req.seq;
	d.ok = ok;
	d.status = status;
	msgchan_send(&portal->master, MSG_PORTAL_ISNS_DONE, 0, NULL, 0, &d,
	    sizeof(d));
}

static void
isns_timeout(int fd, short ev, void *arg)
{
	struct isns_client	*ic = arg;

	log_warnx("iSNS: no answer from the server within %d seconds",
	    ISNS_TIMEOUT);
	isns_finish(ic, 0, 0);
}

/* A growing buffer of TLVs. */
struct isns_buf {
	uint8_t		*p;
	size_t		 len;
	size_t		 size;
	int		 error;
};

static void
tlv_add(struct isns_buf *b, uint32_t tag, const void *v, size_t len)
{
	size_t	 padded = (len + 3) & ~(size_t)3, need;
	uint8_t	*np;

	if (b->error)
		return;
	need = b->len + 8 + padded;
	if (need > ISNS_MSG_MAX) {
		b->error = 1;
		return;
	}
	if (need > b->size) {
		if ((np = realloc(b->p, need + 4096)) == NULL) {
			b->error = 1;
			return;
		}
		b->p = np;
		b->size = need + 4096;
	}
	put_be32(b->p + b->len, tag);
	put_be32(b->p + b->len + 4, padded);
	memset(b->p + b->len + 8, 0, padded);
	if (len > 0)
		memcpy(b->p + b->len + 8, v, len);
	b->len = need;
}

static void
tlv_str(struct isns_buf *b, uint32_t tag, const char *s)
{
	/* NUL terminated, padded to 4 bytes */
	tlv_add(b, tag, s, strlen(s) + 1);
}

static void
tlv_u32(struct isns_buf *b, uint32_t tag, uint32_t v)
{
	uint8_t	 x[4];

	put_be32(x, v);
	tlv_add(b, tag, x, 4);
}

/* The message body of the request (without the PDU headers). */
int
isns_encode(const struct msg_isns *rq, const struct msg_isns_portal *pt,
    const struct msg_isns_node *nd, uint8_t **out, size_t *len)
{
	struct isns_buf	 b;
	const char	*source;
	uint32_t	 i, j;

	memset(&b, 0, sizeof(b));
	source = rq->op == ISNS_OP_REGISTER && rq->nnodes > 0 ?
	    nd[0].name : rq->source;
	tlv_str(&b, ISNS_TAG_ISCSI_NAME, source);
	if (rq->op == ISNS_OP_DEREGISTER) {
		tlv_add(&b, ISNS_TAG_DELIMITER, NULL, 0);
		tlv_str(&b, ISNS_TAG_EID, rq->eid);
		goto done;
	}
	tlv_str(&b, ISNS_TAG_EID, rq->eid);
	tlv_add(&b, ISNS_TAG_DELIMITER, NULL, 0);
	tlv_str(&b, ISNS_TAG_EID, rq->eid);
	tlv_u32(&b, ISNS_TAG_ENTITY_PROTOCOL, ISNS_PROTO_ISCSI);
	for (i = 0; i < rq->nportals; i++) {
		tlv_add(&b, ISNS_TAG_PORTAL_IP, pt[i].addr, 16);
		tlv_u32(&b, ISNS_TAG_PORTAL_PORT, pt[i].port & 0xffff);
	}
	for (i = 0; i < rq->nnodes; i++) {
		tlv_str(&b, ISNS_TAG_ISCSI_NAME, nd[i].name);
		tlv_u32(&b, ISNS_TAG_ISCSI_NODE_TYPE, ISNS_NODE_TARGET);
		if (nd[i].alias[0] != '\0')
			tlv_str(&b, ISNS_TAG_ISCSI_ALIAS, nd[i].alias);
	}
	for (i = 0; i < rq->nnodes; i++)
		for (j = 0; j < rq->nportals; j++) {
			tlv_str(&b, ISNS_TAG_PG_ISCSI_NAME, nd[i].name);
			tlv_add(&b, ISNS_TAG_PG_PORTAL_IP, pt[j].addr, 16);
			tlv_u32(&b, ISNS_TAG_PG_PORTAL_PORT,
			    pt[j].port & 0xffff);
			tlv_u32(&b, ISNS_TAG_PG_TAG, pt[j].tpgt);
		}
 done:
	if (b.error) {
		free(b.p);
		return (-1);
	}
	*out = b.p;
	*len = b.len;
	return (0);
}

/* Split a message body into PDUs (first, last, sequence ids). */
int
isns_pdus(uint16_t func, uint16_t flags, uint16_t xid, const uint8_t *body,
    size_t len, uint8_t **out, size_t *outlen)
{
	size_t	 n = (len + ISNS_PDU_PAYLOAD - 1) / ISNS_PDU_PAYLOAD, i, chunk;
	uint8_t	*p, *q;
	uint16_t f;

	if (n == 0)
		n = 1;
	if (n > 0xffff || (p = malloc(len + n * ISNS_HDR_LEN)) == NULL)
		return (-1);
	q = p;
	for (i = 0; i < n; i++) {
		chunk = len - i * ISNS_PDU_PAYLOAD;
		if (chunk > ISNS_PDU_PAYLOAD)
			chunk = ISNS_PDU_PAYLOAD;
		f = flags | ISNS_F_CLIENT;
		if (i == 0)
			f |= ISNS_F_FIRST;
		if (i == n - 1)
			f |= ISNS_F_LAST;
		put_be16(q, ISNS_VERSION);
		put_be16(q + 2, func);
		put_be16(q + 4, chunk);
		put_be16(q + 6, f);
		put_be16(q + 8, xid);
		put_be16(q + 10, i);
		if (chunk > 0)
			memcpy(q + ISNS_HDR_LEN, body + i * ISNS_PDU_PAYLOAD,
			    chunk);
		q += ISNS_HDR_LEN + chunk;
	}
	*out = p;
	*outlen = q - p;
	return (0);
}

/*
 * Check a response payload: the status, then well-formed attributes.
 * Returns the iSNS status code, or -1 if malformed.
 */
int
isns_check_response(const uint8_t *p, size_t len)
{
	uint32_t	 status, tlen;
	size_t		 off;

	if (len < 4 || len % 4 != 0)
		return (-1);
	status = get_be32(p);
	for (off = 4; off < len; off += 8 + tlen) {
		if (len - off < 8)
			return (-1);
		tlen = get_be32(p + off + 4);
		if (tlen % 4 != 0 || tlen > len - off - 8)
			return (-1);
	}
	return (status);
}

static void
isns_start_io(struct isns_client *ic, short what)
{
	if (ic->ev != NULL)
		event_free(ic->ev);
	ic->ev = event_new(portal->evb, ic->fd, what | EV_PERSIST, isns_io,
	    ic);
	if (ic->ev == NULL || event_add(ic->ev, NULL) == -1) {
		log_warnx("iSNS: event");
		isns_finish(ic, 0, 0);
	}
}

static void
isns_send_request(struct isns_client *ic)
{
	uint8_t		*body;
	size_t		 len;
	struct timeval	 tv = { ISNS_TIMEOUT, 0 };

	if (isns_encode(&ic->req, ic->portals, ic->nodes, &body, &len) ==
	    -1) {
		log_warnx("iSNS: registration too large or no memory");
		isns_finish(ic, 0, 0);
		return;
	}
	ic->xid = ++isns_xid;
	ic->func = ic->req.op == ISNS_OP_REGISTER ? ISNS_FUNC_DEVATTRREG :
	    ISNS_FUNC_DEVDEREG;
	if (isns_pdus(ic->func, ic->req.op == ISNS_OP_REGISTER ?
	    ISNS_F_REPLACE : 0, ic->xid, body, len, &ic->out, &ic->outlen) ==
	    -1) {
		free(body);
		log_warnx("iSNS: no memory");
		isns_finish(ic, 0, 0);
		return;
	}
	free(body);
	ic->outoff = 0;
	ic->inoff = 0;
	if (ic->ev_timer == NULL)
		ic->ev_timer = evtimer_new(portal->evb, isns_timeout, ic);
	if (ic->ev_timer != NULL)
		evtimer_add(ic->ev_timer, &tv);
	isns_start_io(ic, EV_WRITE);
}

/* A whole PDU came in: ours, or something to skip. */
static void
isns_pdu(struct isns_client *ic)
{
	uint16_t	 func = get_be16(ic->hdr + 2);
	uint16_t	 flags = get_be16(ic->hdr + 6);
	uint16_t	 xid = get_be16(ic->hdr + 8);
	int		 st;

	if (func != (ic->func | ISNS_FUNC_RESPONSE) || xid != ic->xid) {
		/* not the answer (a server message we did not ask for) */
		log_debug("iSNS: function 0x%04x xid %u ignored", func, xid);
		free(ic->in);
		ic->in = NULL;
		ic->inoff = 0;
		return;
	}
	if ((flags & (ISNS_F_FIRST | ISNS_F_LAST)) !=
	    (ISNS_F_FIRST | ISNS_F_LAST) || !(flags & ISNS_F_SERVER)) {
		log_warnx("iSNS: response in several PDUs or not from a "
		    "server");
		isns_finish(ic, 0, 0);
		return;
	}
	st = isns_check_response(ic->in, ic->inlen);
	if (st == -1) {
		log_warnx("iSNS: malformed response");
		isns_finish(ic, 0, 0);
		return;
	}
	if (st != 0) {
		log_warnx("iSNS: %s refused: status %d",
		    ic->req.op == ISNS_OP_REGISTER ? "registration" :
		    "deregistration", st);
		isns_finish(ic, 0, st);
		return;
	}
	log_info("iSNS: entity %s %s (%u targets, %u portals)", ic->req.eid,
	    ic->req.op == ISNS_OP_REGISTER ? "registered" : "deregistered",
	    ic->req.nnodes, ic->req.nportals);
	isns_finish(ic, 1, 0);
}

static void
isns_read(struct isns_client *ic)
{
	ssize_t		 n;
	size_t		 want;
	uint8_t		*dst;

	for (;;) {
		if (ic->inoff < ISNS_HDR_LEN) {
			want = ISNS_HDR_LEN - ic->inoff;
			dst = ic->hdr + ic->inoff;
		} else {
			want = ISNS_HDR_LEN + ic->inlen - ic->inoff;
			dst = ic->in + (ic->inoff - ISNS_HDR_LEN);
		}
		if (want > 0) {
			n = read(ic->fd, dst, want);
			if (n == -1 && (errno == EAGAIN || errno == EINTR))
				return;
			if (n <= 0) {
				log_warnx("iSNS: connection %s",
				    n == 0 ? "closed by the server" :
				    strerror(errno));
				isns_finish(ic, 0, 0);
				return;
			}
			ic->inoff += n;
		}
		if (ic->inoff == ISNS_HDR_LEN && ic->in == NULL) {
			if (get_be16(ic->hdr) != ISNS_VERSION) {
				log_warnx("iSNS: version %u",
				    get_be16(ic->hdr));
				isns_finish(ic, 0, 0);
				return;
			}
			ic->inlen = get_be16(ic->hdr + 4);
			if ((ic->in = malloc(ic->inlen + 1)) == NULL) {
				isns_finish(ic, 0, 0);
				return;
			}
		}
		if (ic->inoff == ISNS_HDR_LEN + ic->inlen && ic->in != NULL) {
			isns_pdu(ic);
			if (!ic->active)
				return;
			/* a skipped PDU: read the next one */
		}
	}
}

static void
isns_io(int fd, short ev, void *arg)
{
	struct isns_client	*ic = arg;
	ssize_t			 n;
	int			 err = 0;
	socklen_t		 elen = sizeof(err);

	if (ev & EV_WRITE) {
		if (ic->outoff == 0 && (getsockopt(fd, SOL_SOCKET, SO_ERROR,
		    &err, &elen) == -1 || err != 0)) {
			log_warnx("iSNS: cannot connect to the server: %s",
			    strerror(err ? err : errno));
			isns_finish(ic, 0, 0);
			return;
		}
		while (ic->outoff < ic->outlen) {
			n = write(fd, ic->out + ic->outoff,
			    ic->outlen - ic->outoff);
			if (n == -1 && (errno == EAGAIN || errno == EINTR))
				return;
			if (n == -1) {
				log_warnx("iSNS: write: %s", strerror(errno));
				isns_finish(ic, 0, 0);
				return;
			}
			ic->outoff += n;
		}
		isns_start_io(ic, EV_READ);
		return;
	}
	if (ev & EV_READ)
		isns_read(ic);
}

static void
isns_ready(struct isns_client *ic)
{
	if (ic->nportals_have == ic->req.nportals &&
	    ic->nnodes_have == ic->req.nnodes)
		isns_send_request(ic);
}

void
isns_msg(struct msg *m)
{
	struct isns_client	*ic = &isns_c;
	struct msg_isns		 rq;
	struct msg_isns_portal	 pt;
	struct msg_isns_node	 nd;
	struct event		*timer;

	switch (m->hdr.type) {
	case MSG_PORTAL_ISNS:
		if (MSG_GET(m, &rq) == -1 || m->nfds != 1 || m->fds[0] < 0 ||
		    rq.nportals > ISNS_PORTALS_MAX ||
		    rq.nnodes > ISNS_NODES_MAX || rq.op > ISNS_OP_DEREGISTER) {
			log_warnx("bad PORTAL_ISNS");
			return;
		}
		if (ic->active) {
			log_warnx("iSNS: new request, the old one is dropped");
			isns_finish(ic, 0, 0);
		}
		rq.eid[sizeof(rq.eid) - 1] = '\0';
		rq.source[sizeof(rq.source) - 1] = '\0';
		timer = ic->ev_timer;
		memset(ic, 0, sizeof(*ic));
		ic->ev_timer = timer;
		ic->req = rq;
		ic->fd = m->fds[0];
		m->fds[0] = -1;
		ic->active = 1;
		if ((rq.nportals > 0 && (ic->portals = calloc(rq.nportals,
		    sizeof(*ic->portals))) == NULL) || (rq.nnodes > 0 &&
		    (ic->nodes = calloc(rq.nnodes, sizeof(*ic->nodes))) ==
		    NULL)) {
			log_warn("iSNS");
			isns_finish(ic, 0, 0);
			return;
		}
		isns_ready(ic);
		break;
	case MSG_PORTAL_ISNS_PORTAL:
		if (MSG_GET(m, &pt) == -1 || !ic->active ||
		    ic->nportals_have >= ic->req.nportals) {
			log_warnx("bad PORTAL_ISNS_PORTAL");
			return;
		}
		ic->portals[ic->nportals_have++] = pt;
		isns_ready(ic);
		break;
	case MSG_PORTAL_ISNS_NODE:
		if (MSG_GET(m, &nd) == -1 || !ic->active ||
		    ic->nnodes_have >= ic->req.nnodes) {
			log_warnx("bad PORTAL_ISNS_NODE");
			return;
		}
		nd.name[sizeof(nd.name) - 1] = '\0';
		nd.alias[sizeof(nd.alias) - 1] = '\0';
		ic->nodes[ic->nnodes_have++] = nd;
		isns_ready(ic);
		break;
	}
}
