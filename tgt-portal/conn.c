/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Connections, whatever carries them: creation and teardown, the NOP-In
 * idle timer, closing after the last PDU, and the checks and dispatch of
 * a received PDU.  A transport (tcp.c, iser.c; struct transport in
 * transport.h) moves the bytes: it fills c->rx_bhs, c->rx_ahs and the
 * data segment, then calls conn_rx_sizes(), conn_rx_bhs(), conn_rx_hdr()
 * (which says where the data segment goes: for a write, the command's
 * buffer in the ring's data area) and conn_rx_dispatch().  PDUs to send
 * go through conn_send(), which hands them to the transport's queue.
 */

#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "login.h"
#include "transport.h"

#define CONN_SCRATCH_MIN	8192

static void	conn_free_cb(int, short, void *);

void
conn_addr_name(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char	 host[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(sin->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(sin6->sin6_port));
	} else
		snprintf(buf, len, "?");
}

/*
 * A new connection of transport tp: size bytes (at least a struct connx,
 * which comes first) of zeroed memory, or NULL.
 */
struct conn *
conn_new(const struct transport *tp, size_t size)
{
	struct connx	*x;
	struct conn	*c;

	if (size < sizeof(*x))
		size = sizeof(*x);
	if ((x = calloc(1, size)) == NULL)
		return (NULL);
	c = &x->c;
	c->tp = tp;
	c->fd = -1;
	c->txq_tail = &c->txq;
	TAILQ_INIT(&c->retained);
	c->rx_state = RX_BHS;
	c->stat_sn = 1;
	textbuf_init(&x->text_in);
	textbuf_init(&x->text_out);
	return (c);
}

/* The transport is ready (peer and local are set): the login begins. */
void
conn_start(struct conn *c)
{
	conn_addr_name(&c->peer, c->peer_name, sizeof(c->peer_name));
	conn_addr_name(&c->local, c->local_name, sizeof(c->local_name));
	log_info("%s: connected to %s (%s)", c->peer_name, c->local_name,
	    c->tp->name);
	login_start(c);
}

/* Tear down now; the memory goes from the event loop. */
void
conn_close(struct conn *c)
{
	struct connx	*x = CONNX(c);
	struct task	*t, *tt;
	struct timeval	 tv = { 0, 0 };

	if (c->phase == CONN_CLOSING)
		return;
	c->phase = CONN_CLOSING;
	log_debug("%s: closing", c->peer_name);

	if (c->ev_timer != NULL)
		event_free(c->ev_timer);
	c->ev_timer = NULL;
	/* descriptors, events; unsent PDUs give their data back */
	c->tp->close(c);

	c->rx_task = NULL;
	if (c->sess != NULL) {
		session_held_conn_gone(c);
		/* ERL 2: a failed connection's tasks wait for reassignment */
		if (c->sess->params.erl >= 2 && !x->clean_close &&
		    c->sess->target != NULL && scsi_orphan(c) > 0)
			session_retain(c->sess);
		scsi_retained_free(c);
		TAILQ_FOREACH_SAFE(t, &c->sess->tasks, sess_entry, tt)
			if (t->conn == c)
				scsi_task_free(t);
		session_del_conn(c->sess, c);
	} else
		scsi_retained_free(c);
	login_free(c);
	textbuf_free(&x->text_in);
	textbuf_free(&x->text_out);
	log_info("%s: disconnected", c->peer_name);

	if (portal->evb == NULL || event_base_once(portal->evb, -1,
	    EV_TIMEOUT, conn_free_cb, x, &tv) == -1)
		conn_free_cb(-1, 0, x);
}

static void
conn_free_cb(int fd, short ev, void *arg)
{
	struct connx	*x = arg;

	if (x->c.tp->free != NULL)
		x->c.tp->free(&x->c);
	free(x->c.rx_scratch);
	free(x);
}

/*
 * Idle timer of the full feature phase: a connection that sent nothing
 * for nop_interval seconds gets a NOP-In ping; one that sends nothing
 * within nop_timeout seconds after it is dead and closed.
 */
static void
conn_nop_arm(struct conn *c)
{
	struct connx	*x = CONNX(c);
	struct timeval	 tv = { 0, 0 };

	if (c->ev_timer == NULL)
		return;
	evtimer_del(c->ev_timer);
	if (portal->nop_interval == 0) {
		x->ping_out = 0;
		return;
	}
	tv.tv_sec = x->ping_out ? portal->nop_timeout : portal->nop_interval;
	evtimer_add(c->ev_timer, &tv);
}

static void
conn_idle(int fd, short ev, void *arg)
{
	struct conn	*c = arg;
	struct connx	*x = CONNX(c);

	if (c->phase != CONN_FULL)
		return;
	if (x->rx_seen) {
		x->rx_seen = 0;
		x->ping_out = 0;
	} else if (x->ping_out) {
		log_info("%s: no answer to NOP-In in %u s, closing",
		    c->peer_name, portal->nop_timeout);
		conn_close(c);
		return;
	} else if (c->sess != NULL) {
		x->ping_out = 1;
		session_ping(c);
	}
	conn_nop_arm(c);
}

void
conn_full(struct conn *c)
{
	c->phase = CONN_FULL;
	if (c->ev_timer != NULL)
		event_free(c->ev_timer);
	c->ev_timer = evtimer_new(portal->evb, conn_idle, c);
	conn_nop_arm(c);
}

/* The NOP-In settings changed (reload): every connection uses them now. */
void
conn_nop_reset(void)
{
	struct session	*s;
	struct conn	*c;

	TAILQ_FOREACH(s, &portal->sessions, entry)
		TAILQ_FOREACH(c, &s->conns, entry)
			if (c->phase == CONN_FULL) {
				CONNX(c)->rx_seen = 0;
				conn_nop_arm(c);
			}
}

void
conn_close_after_send(struct conn *c)
{
	struct connx	*x = CONNX(c);

	if (c->phase == CONN_CLOSING)
		return;
	x->close_after_send = 1;
	if (c->phase == CONN_FULL)
		c->phase = CONN_LOGOUT;
	c->tp->rx_stop(c);
	if (c->tp->tx_idle(c))
		conn_close(c);
}

int
conn_send(struct conn *c, const uint8_t *bhs, const void *data,
    uint32_t dlen, void (*done)(void *), void *arg)
{
	if (c->phase == CONN_CLOSING || (dlen > 0 && data == NULL))
		return (-1);
	return (c->tp->send(c, bhs, data, dlen, done, arg, 0));
}

int
conn_send_copy(struct conn *c, const uint8_t *bhs, const void *data,
    uint32_t dlen)
{
	if (c->phase == CONN_CLOSING || (dlen > 0 && data == NULL))
		return (-1);
	return (c->tp->send(c, bhs, data, dlen, NULL, NULL, 1));
}

static int
conn_scratch(struct conn *c, uint32_t len)
{
	uint8_t		*p;
	uint32_t	 n;

	if (c->rx_scratch != NULL && c->rx_scratch_len >= len)
		return (0);
	n = len < CONN_SCRATCH_MIN ? CONN_SCRATCH_MIN : len;
	if ((p = realloc(c->rx_scratch, n)) == NULL)
		return (-1);
	c->rx_scratch = p;
	c->rx_scratch_len = n;
	return (0);
}

/* The data segment goes too far: tell the initiator, then hang up. */
static void
conn_rx_too_long(struct conn *c)
{
	log_info("%s: data segment of %u bytes for opcode 0x%02x is too long",
	    c->peer_name, c->rx_dlen, c->rx_bhs[BHS_OPCODE] & ISCSI_OP_MASK);
	if (c->phase == CONN_LOGIN)
		login_error(c);
	else {
		session_reject(c, ISCSI_REJ_PROTOCOL, c->rx_bhs);
		conn_close_after_send(c);
	}
}

/*
 * After the BHS: the sizes of what follows.  Nothing is trusted before
 * the header digest (if any) was checked, except as a hint how much to
 * read.
 */
void
conn_rx_sizes(struct conn *c)
{
	uint8_t		 op = c->rx_bhs[BHS_OPCODE] & ISCSI_OP_MASK;

	/* A write: its data, and likely the next PDU's, go to the ring. */
	CONNX(c)->rx_exact = c->phase == CONN_FULL &&
	    (op == ISCSI_OP_DATA_OUT || (op == ISCSI_OP_SCSI_CMD &&
	    (c->rx_bhs[BHS_FLAGS] & ISCSI_CMD_WRITE)));
	c->rx_ahslen = c->rx_bhs[BHS_TOTAHSLEN] * 4;
	c->rx_dlen = bhs_dlen(c->rx_bhs);
	c->rx_data = NULL;
	c->rx_digest_err = 0;
}

/*
 * A PDU whose data digest is wrong (RFC 7143 7.8): Reject, and the PDU
 * is discarded, except that a Data-Out still counts for the progress of
 * its task, which then ends with a CRC error (scsi.c).  A command with
 * bad immediate data is as if never received: the initiator retries it.
 */
static void
conn_rx_digest_fail(struct conn *c)
{
	uint8_t	 op = c->rx_bhs[BHS_OPCODE] & ISCSI_OP_MASK;

	session_reject(c, ISCSI_REJ_DIGEST, c->rx_bhs);
	if (op == ISCSI_OP_DATA_OUT) {
		scsi_rx_dataout(c);
		return;
	}
	if (op == ISCSI_OP_SCSI_CMD)
		scsi_rx_discard(c);
	c->rx_task = NULL;
}

/* After the (checked) header: limits.  0 go on, -1 stop reading. */
int
conn_rx_bhs(struct conn *c)
{
	uint8_t		 op = c->rx_bhs[BHS_OPCODE] & ISCSI_OP_MASK;
	uint32_t	 limit;

	if (c->phase == CONN_LOGIN) {
		if (op != ISCSI_OP_LOGIN_REQ) {
			log_info("%s: opcode 0x%02x during login",
			    c->peer_name, op);
			conn_close(c);
			return (-1);
		}
		limit = PORTAL_TEXT_MAX;
	} else
		limit = c->params.max_recv_dsl;
	if (c->rx_ahslen > sizeof(c->rx_ahs)) {
		log_info("%s: AHS of %u bytes", c->peer_name, c->rx_ahslen);
		conn_close(c);
		return (-1);
	}
	if (c->rx_dlen > limit) {
		conn_rx_too_long(c);
		return (-1);
	}
	return (0);
}

/* After the whole header: where the data segment goes. */
int
conn_rx_hdr(struct conn *c)
{
	uint8_t	 op = c->rx_bhs[BHS_OPCODE] & ISCSI_OP_MASK;
	uint8_t	*p = NULL;

	if (c->phase == CONN_FULL &&
	    (op == ISCSI_OP_SCSI_CMD || op == ISCSI_OP_DATA_OUT)) {
		p = scsi_rx_hdr(c);
		if (c->phase != CONN_FULL)
			return (-1);
	}
	if (p == NULL && c->rx_dlen > 0) {
		if (conn_scratch(c, c->rx_dlen) == -1) {
			log_warn("%s: receive buffer", c->peer_name);
			conn_close(c);
			return (-1);
		}
		p = c->rx_scratch;
	}
	c->rx_data = p;
	return (0);
}

void
conn_rx_dispatch(struct conn *c)
{
	const uint8_t	*bhs = c->rx_bhs;
	struct session	*s = c->sess;

	if (c->phase == CONN_LOGIN) {
		login_rx(c);
		return;
	}
	c->exp_stat_sn = get_be32(bhs + BHS_EXPSTATSN);
	CONNX(c)->rx_seen = 1;
	if (!TAILQ_EMPTY(&c->retained))
		scsi_ack(c);
	if (c->rx_digest_err) {
		conn_rx_digest_fail(c);
		return;
	}
	if (s == NULL || !session_order(c))
		return;
	conn_rx_deliver(c);
	if (!TAILQ_EMPTY(&s->held) && c->sess == s)
		session_order_drain(s);
}

void
conn_rx_deliver(struct conn *c)
{
	const uint8_t	*bhs = c->rx_bhs;

	switch (bhs[BHS_OPCODE] & ISCSI_OP_MASK) {
	case ISCSI_OP_SCSI_CMD:
		scsi_rx_cmd(c);
		break;
	case ISCSI_OP_DATA_OUT:
		scsi_rx_dataout(c);
		break;
	case ISCSI_OP_TMF_REQ:
		tmf_rx(c);
		break;
	case ISCSI_OP_TEXT_REQ:
		text_rx(c);
		break;
	default:
		session_rx_pdu(c);
		break;
	}
}

int
conn_rx_stop(struct conn *c)
{
	return (c->phase == CONN_CLOSING || CONNX(c)->close_after_send);
}
