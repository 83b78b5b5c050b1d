/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * The iSER transport (RFC 7145): iSCSI PDUs over an RDMA reliable
 * connection, with librdmacm for the connection and libibverbs for the
 * data.
 *
 *	- iser_init() runs before the sandbox (tgt-portal -R): it opens the
 *	  RDMA CM event channel and every RDMA device (rdma_get_devices), and
 *	  allocates a protection domain on each.  Nothing is opened later.
 *	- The data areas of the portal's rings are registered as memory
 *	  regions once, when a ring is attached (iser_ring_attach), on every
 *	  device; Data-In goes by RDMA WRITE from the data area to the
 *	  initiator's read buffer, Data-Out by RDMA READ from its write buffer
 *	  into the data area: no copy.  A buffer that had to come from the
 *	  heap (data area full) is registered for that one transfer.
 *	- Control PDUs (and immediate data) travel by SEND into receive
 *	  buffers we post; each begins with the 28-byte iSER header.
 *	- Completions arrive on the portal's event loop through each
 *	  connection's completion channel descriptor.
 *	- Bounds: receives posted = ISER_RX_N (our MaxOutstandingUnexpected
 *	  PDUs); send queue ISER_SQ_N work requests; RDMA READs in flight no
 *	  more than the initiator's responder resources; a SEND carries at
 *	  most the initiator's InitiatorRecvDataSegmentLength and we accept
 *	  at most ISER_RECV_DSL (TargetRecvDataSegmentLength).  What does not
 *	  fit waits, in order, on the connection's queue.
 *
 * Everything the initiator sends is checked: the iSER header's opcode
 * and flags, and the PDU's length against what the receive completion
 * says arrived; then the iSCSI layer (conn.c) checks the PDU as it does
 * for TCP.
 */

#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

#include "bytes.h"
#include "log.h"
#include "login.h"
#include "transport.h"

#define ISER_HDR_LEN		28
#define ISER_OP_MASK		0xf0
#define ISER_OP_CTRL		0x10	/* iSCSI control-type PDU */
#define ISER_OP_HELLO		0x20
#define ISER_OP_HELLOREPLY	0x30
#define ISER_HELLO_LEN		12	/* Hello and HelloReply: header only */
#define ISER_HELLO_REJECT	0x01	/* HelloReply: the R bit */
#define ISER_VERSION		1	/* the iSER version we speak */
#define ISER_F_WSV		0x08	/* write STag valid */
#define ISER_F_RSV		0x04	/* read STag valid */
/* CM private data (the iSER CM header's flags) */
#define ISER_CM_ZBVA_NOT_SUP	0x80
#define ISER_CM_SEND_W_INV_NOT_SUP 0x40

#define ISER_AHS_MAX		256
#define ISER_RX_SIZE		(ISER_HDR_LEN + ISCSI_BHS_SIZE + \
				 ISER_AHS_MAX + ISER_RECV_DSL)
#define ISER_TX_SIZE		(ISER_HDR_LEN + ISCSI_BHS_SIZE + \
				 ISER_SEND_DSL)
#define ISER_BACKLOG		64	/* pending connection requests */
#define ISER_CQ_BUDGET		64	/* completions per round */

struct iser_dev {
	struct ibv_context	*ctx;
	struct ibv_pd		*pd;
	uint32_t		 max_rd_atom;
};

static struct {
	struct rdma_event_channel *ch;
	struct event		*ev;
	struct iser_dev		 dev[PORTAL_RDMA_DEVS];
	int			 ndev;
} iser;

#define OP_SEND		0
#define OP_WRITE	1	/* Data-In */
#define OP_READ		2	/* Data-Out */

struct iser_op {
	struct iser_op	*next;
	int		 kind;
	struct task	*t;
	uint32_t	 off;
	uint32_t	 len;
	struct ibv_mr	*mr;		/* heap buffer, this transfer only */
	void		(*done)(void *);
	void		*arg;
	int		 slot;		/* SEND: tx slot, -1 none yet */
	uint8_t		*copy;		/* SEND without a slot yet */
	uint32_t	 slen;
};

struct iser_conn {
	struct connx		 x;		/* first */
	struct rdma_cm_id	*id;
	int			 dev;
	struct ibv_comp_channel	*cc;
	struct ibv_cq		*cq;
	struct ibv_qp		*qp;
	struct event		*ev_cq;
	uint8_t			*rx_mem;
	struct ibv_mr		*rx_mr;
	uint8_t			*tx_mem;
	struct ibv_mr		*tx_mr;
	int			*tx_free;	/* stack of free tx slots */
	int			 ntx_free;
	struct iser_op		*pend;		/* not posted yet, in order */
	struct iser_op		**pend_tail;
	struct iser_op		*posted;	/* posted, for teardown */
	uint32_t		 sq_used;
	uint32_t		 reads_out;
	uint32_t		 reads_max;
	int			 rx_stopped;
	int			 qp_gone;
	uint32_t		 msgs_in;	/* messages received */
};
#define ISERC(c)	((struct iser_conn *)(c))

static void	iser_cm_event(int, short, void *);
static void	iser_cq_event(int, short, void *);
static void	iser_kick(struct iser_conn *);
static void	iser_hello(struct iser_conn *, const uint8_t *, uint32_t);

/* Before the sandbox: the CM channel, every device, a PD on each. */
int
iser_init(void)
{
	struct ibv_context	**list;
	struct ibv_device_attr	 attr;
	int			 n, i, fl;

	if ((iser.ch = rdma_create_event_channel()) == NULL) {
		log_warn("iser: rdma_create_event_channel");
		return (-1);
	}
	if ((fl = fcntl(iser.ch->fd, F_GETFL)) == -1 ||
	    fcntl(iser.ch->fd, F_SETFL, fl | O_NONBLOCK) == -1) {
		log_warn("iser: non-blocking CM channel");
		return (-1);
	}
	if ((list = rdma_get_devices(&n)) == NULL || n == 0) {
		log_warnx("iser: no RDMA device");
		if (list != NULL)
			rdma_free_devices(list);
		return (-1);
	}
	for (i = 0; i < n && iser.ndev < PORTAL_RDMA_DEVS; i++) {
		struct iser_dev	*d = &iser.dev[iser.ndev];

		d->ctx = list[i];
		if ((d->pd = ibv_alloc_pd(d->ctx)) == NULL) {
			log_warn("iser: %s: ibv_alloc_pd",
			    ibv_get_device_name(d->ctx->device));
			continue;
		}
		if (ibv_query_device(d->ctx, &attr) != 0)
			d->max_rd_atom = 1;
		else
			d->max_rd_atom = attr.max_qp_init_rd_atom;
		log_debug("iser: device %s, %u RDMA READs per connection",
		    ibv_get_device_name(d->ctx->device), d->max_rd_atom);
		iser.ndev++;
	}
	rdma_free_devices(list);
	if (iser.ndev == 0)
		return (-1);
	if ((iser.ev = event_new(portal->evb, iser.ch->fd,
	    EV_READ | EV_PERSIST, iser_cm_event, NULL)) == NULL ||
	    event_add(iser.ev, NULL) == -1) {
		log_warnx("iser: event");
		return (-1);
	}
	return (0);
}

static int
iser_dev_of(struct ibv_context *ctx)
{
	int	 i;

	for (i = 0; i < iser.ndev; i++)
		if (iser.dev[i].ctx == ctx)
			return (i);
	return (-1);
}

/* A ring was attached: its data area becomes a memory region. */
void
iser_ring_attach(struct plun *p)
{
	int	 i;

	for (i = 0; i < iser.ndev; i++) {
		p->iser_mr[i] = ibv_reg_mr(iser.dev[i].pd, p->ring.data,
		    p->ring.geom.data_size, IBV_ACCESS_LOCAL_WRITE);
		if (p->iser_mr[i] == NULL)
			log_warn("iser: lun %llu: registering %u bytes",
			    (unsigned long long)p->lun,
			    p->ring.geom.data_size);
	}
}

void
iser_ring_detach(struct plun *p)
{
	int	 i;

	for (i = 0; i < PORTAL_RDMA_DEVS; i++) {
		if (p->iser_mr[i] != NULL)
			ibv_dereg_mr(p->iser_mr[i]);
		p->iser_mr[i] = NULL;
	}
}

int
iser_listen(struct portal_listener *pl, const struct sockaddr *sa)
{
	struct rdma_cm_id	*id;

	if (iser.ch == NULL) {
		log_warnx("iser: %s: RDMA is not set up", pl->addr);
		return (-1);
	}
	if (rdma_create_id(iser.ch, &id, NULL, RDMA_PS_TCP) != 0) {
		log_warn("iser: %s: rdma_create_id", pl->addr);
		return (-1);
	}
	if (rdma_bind_addr(id, (struct sockaddr *)sa) != 0 ||
	    rdma_listen(id, ISER_BACKLOG) != 0) {
		log_warn("iser: %s: listen", pl->addr);
		rdma_destroy_id(id);
		return (-1);
	}
	pl->rdma_id = id;
	return (0);
}

void
iser_unlisten(struct portal_listener *pl)
{
	if (pl->rdma_id != NULL)
		rdma_destroy_id(pl->rdma_id);
	pl->rdma_id = NULL;
}

/* Receives. */

static int
iser_post_recv(struct iser_conn *ic, uint32_t i)
{
	struct ibv_sge		 sge;
	struct ibv_recv_wr	 wr, *bad;

	sge.addr = (uintptr_t)(ic->rx_mem + (size_t)i * ISER_RX_SIZE);
	sge.length = ISER_RX_SIZE;
	sge.lkey = ic->rx_mr->lkey;
	memset(&wr, 0, sizeof(wr));
	wr.wr_id = ((uint64_t)i << 1) | 1;
	wr.sg_list = &sge;
	wr.num_sge = 1;
	return (ibv_post_recv(ic->qp, &wr, &bad) == 0 ? 0 : -1);
}

/* A SEND came in: one iSCSI PDU behind the iSER header. */
static void
iser_rx(struct iser_conn *ic, const uint8_t *buf, uint32_t len)
{
	struct conn	*c = &ic->x.c;
	uint32_t	 need;

	ic->msgs_in++;
	if (len >= 1 && (buf[0] & ISER_OP_MASK) == ISER_OP_HELLO) {
		iser_hello(ic, buf, len);
		return;
	}
	if (len < ISER_HDR_LEN + ISCSI_BHS_SIZE) {
		log_info("%s: iser: short message (%u bytes)", c->peer_name,
		    len);
		conn_close(c);
		return;
	}
	if ((buf[0] & ISER_OP_MASK) != ISER_OP_CTRL) {
		log_info("%s: iser: header opcode 0x%02x", c->peer_name,
		    buf[0] & ISER_OP_MASK);
		conn_close(c);
		return;
	}
	c->rx_rflags = buf[0] & (ISER_F_WSV | ISER_F_RSV);
	c->rx_wstag = get_be32(buf + 4);
	c->rx_wva = get_be64(buf + 8);
	c->rx_rstag = get_be32(buf + 16);
	c->rx_rva = get_be64(buf + 20);
	memcpy(c->rx_bhs, buf + ISER_HDR_LEN, ISCSI_BHS_SIZE);
	conn_rx_sizes(c);
	need = ISER_HDR_LEN + ISCSI_BHS_SIZE + c->rx_ahslen + c->rx_dlen;
	if (c->rx_ahslen > ISER_AHS_MAX || need > len) {
		log_info("%s: iser: PDU of %u bytes in a message of %u",
		    c->peer_name, need, len);
		conn_close(c);
		return;
	}
	memcpy(c->rx_ahs, buf + ISER_HDR_LEN + ISCSI_BHS_SIZE, c->rx_ahslen);
	if (conn_rx_bhs(c) == -1 || conn_rx_hdr(c) == -1)
		return;
	if (c->rx_dlen > 0 && c->rx_data != NULL)
		memcpy(c->rx_data, buf + ISER_HDR_LEN + ISCSI_BHS_SIZE +
		    c->rx_ahslen, c->rx_dlen);
	CONNX(c)->rx_seen = 1;
	conn_rx_dispatch(c);
}

/* The send queue. */

static struct iser_op *
iser_op_new(struct iser_conn *ic, int kind)
{
	struct iser_op	*op;

	if ((op = calloc(1, sizeof(*op))) == NULL) {
		log_warn("%s: iser", ic->x.c.peer_name);
		conn_close(&ic->x.c);
		return (NULL);
	}
	op->kind = kind;
	op->slot = -1;
	return (op);
}

static void
iser_op_queue(struct iser_conn *ic, struct iser_op *op)
{
	op->next = NULL;
	*ic->pend_tail = op;
	ic->pend_tail = &op->next;
	iser_kick(ic);
}

/* The lkey of a task's buffer on this connection's device. */
static int
iser_task_lkey(struct iser_conn *ic, struct iser_op *op, uint32_t *lkey)
{
	struct task	*t = op->t;
	struct ibv_mr	*mr = NULL;

	if (!t->buf_heap && t->lun != NULL)
		mr = t->lun->iser_mr[ic->dev];
	if (mr == NULL) {
		/* a heap buffer: registered for this transfer */
		op->mr = ibv_reg_mr(iser.dev[ic->dev].pd, t->buf, t->buf_len,
		    IBV_ACCESS_LOCAL_WRITE);
		if ((mr = op->mr) == NULL) {
			log_warn("%s: iser: registering %u bytes",
			    ic->x.c.peer_name, t->buf_len);
			return (-1);
		}
	}
	*lkey = mr->lkey;
	return (0);
}

static int
iser_post(struct iser_conn *ic, struct iser_op *op)
{
	struct task		*t = op->t;
	struct ibv_sge		 sge;
	struct ibv_send_wr	 wr, *bad;
	uint8_t			*p;

	memset(&wr, 0, sizeof(wr));
	wr.wr_id = (uintptr_t)op;
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.send_flags = IBV_SEND_SIGNALED;
	if (op->kind == OP_SEND) {
		if (op->slot == -1) {
			op->slot = ic->tx_free[--ic->ntx_free];
			p = ic->tx_mem + (size_t)op->slot * ISER_TX_SIZE;
			memcpy(p, op->copy, op->slen);
			free(op->copy);
			op->copy = NULL;
		}
		sge.addr = (uintptr_t)(ic->tx_mem + (size_t)op->slot *
		    ISER_TX_SIZE);
		sge.length = op->slen;
		sge.lkey = ic->tx_mr->lkey;
		wr.opcode = IBV_WR_SEND;
	} else {
		if (iser_task_lkey(ic, op, &sge.lkey) == -1)
			return (-1);
		sge.addr = (uintptr_t)(t->buf + op->off);
		sge.length = op->len;
		if (op->kind == OP_WRITE) {
			wr.opcode = IBV_WR_RDMA_WRITE;
			wr.wr.rdma.remote_addr = t->rdma_rva + op->off;
			wr.wr.rdma.rkey = t->rdma_rstag;
		} else {
			/*
			 * The write VA is that of the first byte the
			 * immediate data did not bring (RFC 7145 7.3.5, and
			 * what Linux's initiator sends).
			 */
			wr.opcode = IBV_WR_RDMA_READ;
			wr.wr.rdma.remote_addr = t->rdma_wva + (op->off -
			    t->unsol_end);
			wr.wr.rdma.rkey = t->rdma_wstag;
		}
	}
	if (ibv_post_send(ic->qp, &wr, &bad) != 0) {
		log_warnx("%s: iser: ibv_post_send failed", ic->x.c.peer_name);
		return (-1);
	}
	return (0);
}

/* Post what waits, in order, as far as the limits allow. */
static void
iser_kick(struct iser_conn *ic)
{
	struct conn	*c = &ic->x.c;
	struct iser_op	*op;

	while ((op = ic->pend) != NULL && c->phase != CONN_CLOSING) {
		if (ic->sq_used >= ISER_SQ_N)
			return;
		if (op->kind == OP_SEND && op->slot == -1 &&
		    ic->ntx_free == 0)
			return;
		if (op->kind == OP_READ && ic->reads_out >= ic->reads_max)
			return;
		if ((ic->pend = op->next) == NULL)
			ic->pend_tail = &ic->pend;
		if (iser_post(ic, op) == -1) {
			op->next = ic->posted;
			ic->posted = op;
			conn_close(c);
			return;
		}
		op->next = ic->posted;
		ic->posted = op;
		ic->sq_used++;
		if (op->kind == OP_READ)
			ic->reads_out++;
	}
	if (ic->pend == NULL && ic->sq_used == 0 && ic->x.close_after_send)
		conn_close(c);
}

static void
iser_posted_del(struct iser_conn *ic, struct iser_op *op)
{
	struct iser_op	**pp;

	for (pp = &ic->posted; *pp != NULL; pp = &(*pp)->next)
		if (*pp == op) {
			*pp = op->next;
			return;
		}
}

/*
 * An operation is over (completed, or flushed by the teardown): give
 * back what it held.  ok: it completed successfully.
 */
static void
iser_op_end(struct iser_conn *ic, struct iser_op *op, int ok)
{
	if (op->mr != NULL)
		ibv_dereg_mr(op->mr);
	switch (op->kind) {
	case OP_SEND:
		if (op->slot != -1)
			ic->tx_free[ic->ntx_free++] = op->slot;
		free(op->copy);
		if (op->done != NULL)
			op->done(op->arg);
		break;
	case OP_WRITE:
		scsi_task_put(op->t);
		break;
	case OP_READ:
		scsi_rdma_read_done(op->t, op->len, ok);
		break;
	}
	free(op);
}

/*
 * A SEND of SLEN bytes, to be queued once *PP is filled: its buffer is a
 * free tx slot, or a copy while others wait.
 */
static struct iser_op *
iser_msg_new(struct iser_conn *ic, uint32_t slen, uint8_t **pp)
{
	struct iser_op	*op;

	if ((op = iser_op_new(ic, OP_SEND)) == NULL)
		return (NULL);
	op->slen = slen;
	if (ic->pend == NULL && ic->ntx_free > 0) {
		op->slot = ic->tx_free[--ic->ntx_free];
		*pp = ic->tx_mem + (size_t)op->slot * ISER_TX_SIZE;
	} else if ((*pp = op->copy = malloc(slen)) == NULL) {
		log_warn("%s: iser", ic->x.c.peer_name);
		free(op);
		conn_close(&ic->x.c);
		return (NULL);
	}
	return (op);
}

/*
 * An iSER Hello (RFC 7145): the initiator's lowest and highest iSER
 * version and its iSER-IRD, the RDMA READs it lets us have in flight.
 * Initiators on RDMA CM (InfiniBand, RoCE) do not send it, they give the
 * IRD in the connection request; one that does gets its answer.  Taken
 * as the connection's first message only, before any iSCSI PDU, and
 * answered by a HelloReply: our version (MaxVer and CurVer) and the
 * iSER-ORD we keep to, the least of its IRD and what the connection
 * request allowed.  With no common version, or an IRD of 0 (no RDMA
 * READ, so no write could be done), the HelloReply has the reject bit
 * and the connection ends once it is sent.
 */
static void
iser_hello(struct iser_conn *ic, const uint8_t *buf, uint32_t len)
{
	struct conn	*c = &ic->x.c;
	struct iser_op	*op;
	uint8_t		*p;
	uint32_t	 maxver, minver, ird;
	int		 ok;

	if (len < ISER_HELLO_LEN || ic->msgs_in != 1) {
		log_info("%s: iser: Hello %s", c->peer_name,
		    len < ISER_HELLO_LEN ? "too short" :
		    "after the first message");
		conn_close(c);
		return;
	}
	maxver = buf[1] >> 4;
	minver = buf[1] & 0x0f;
	ird = get_be16(buf + 2);
	ok = minver <= ISER_VERSION && ISER_VERSION <= maxver && ird > 0;
	if ((op = iser_msg_new(ic, ISER_HELLO_LEN, &p)) == NULL)
		return;
	memset(p, 0, ISER_HELLO_LEN);
	p[0] = ISER_OP_HELLOREPLY | (ok ? 0 : ISER_HELLO_REJECT);
	p[1] = ISER_VERSION << 4 | (ok ? ISER_VERSION : 0);
	if (ok) {
		if (ic->reads_max > ird)
			ic->reads_max = ird;
		put_be16(p + 2, ic->reads_max);
		log_debug("%s: iser: Hello, versions %u-%u, IRD %u: ORD %u",
		    c->peer_name, minver, maxver, ird, ic->reads_max);
	} else
		log_info("%s: iser: Hello, versions %u-%u, IRD %u: rejected",
		    c->peer_name, minver, maxver, ird);
	iser_op_queue(ic, op);
	if (!ok)
		conn_close_after_send(c);
}

static int
iser_send(struct conn *c, const uint8_t *bhs, const void *data,
    uint32_t dlen, void (*done)(void *), void *arg, int copy)
{
	struct iser_conn	*ic = ISERC(c);
	struct iser_op		*op;
	uint8_t			*p;
	uint32_t		 max;

	if (c->phase == CONN_CLOSING || ic->qp_gone)
		return (-1);
	max = c->phase == CONN_FULL && c->params.max_xmit_dsl > 0 ?
	    c->params.max_xmit_dsl : ISER_SEND_DSL;
	if (dlen > max || dlen > ISER_SEND_DSL) {
		log_warnx("%s: iser: PDU of %u data bytes, more than %u",
		    c->peer_name, dlen, max < ISER_SEND_DSL ? max :
		    ISER_SEND_DSL);
		conn_close(c);
		return (-1);
	}
	if ((op = iser_msg_new(ic, ISER_HDR_LEN + ISCSI_BHS_SIZE + dlen,
	    &p)) == NULL)
		return (-1);
	memset(p, 0, ISER_HDR_LEN);
	p[0] = ISER_OP_CTRL;
	memcpy(p + ISER_HDR_LEN, bhs, ISCSI_BHS_SIZE);
	bhs_set_dlen(p + ISER_HDR_LEN, dlen);
	if (dlen > 0)
		memcpy(p + ISER_HDR_LEN + ISCSI_BHS_SIZE, data, dlen);
	op->done = done;
	op->arg = arg;
	iser_op_queue(ic, op);
	return (0);
}

/* Data-In: RDMA WRITE of t->buf[0, len) to the initiator's buffer. */
static int
iser_data_in(struct conn *c, struct task *t, uint32_t len)
{
	struct iser_conn	*ic = ISERC(c);
	struct iser_op		*op;

	if (c->phase == CONN_CLOSING || ic->qp_gone)
		return (-1);
	if (!(t->rdma_flags & ISER_F_RSV)) {
		log_info("%s: iser: itt 0x%08x: a read without a read STag",
		    c->peer_name, t->itt);
		conn_close(c);
		return (-1);
	}
	if ((op = iser_op_new(ic, OP_WRITE)) == NULL)
		return (-1);
	op->t = t;
	op->off = 0;
	op->len = len;
	t->refs++;
	iser_op_queue(ic, op);
	return (0);
}

/* Data-Out: RDMA READ of [off, off + len) into t->buf + off. */
static int
iser_data_out(struct conn *c, struct task *t, uint32_t off, uint32_t len)
{
	struct iser_conn	*ic = ISERC(c);
	struct iser_op		*op;

	if (c->phase == CONN_CLOSING || ic->qp_gone)
		return (-1);
	if (!(t->rdma_flags & ISER_F_WSV) || off < t->unsol_end) {
		log_info("%s: iser: itt 0x%08x: a write without a write STag",
		    c->peer_name, t->itt);
		conn_close(c);
		return (-1);
	}
	if ((op = iser_op_new(ic, OP_READ)) == NULL)
		return (-1);
	op->t = t;
	op->off = off;
	op->len = len;
	t->refs++;
	iser_op_queue(ic, op);
	return (0);
}

/* Completions. */

static void
iser_wc(struct iser_conn *ic, const struct ibv_wc *wc)
{
	struct conn	*c = &ic->x.c;
	struct iser_op	*op;
	uint32_t	 i;

	if (wc->wr_id & 1) {
		i = wc->wr_id >> 1;
		if (wc->status != IBV_WC_SUCCESS) {
			if (wc->status != IBV_WC_WR_FLUSH_ERR)
				log_info("%s: iser: receive: %s", c->peer_name,
				    ibv_wc_status_str(wc->status));
			conn_close(c);
			return;
		}
		if (i >= ISER_RX_N)
			return;
		if (!ic->rx_stopped && !conn_rx_stop(c))
			iser_rx(ic, ic->rx_mem + (size_t)i * ISER_RX_SIZE,
			    wc->byte_len);
		if (c->phase != CONN_CLOSING && !ic->qp_gone &&
		    iser_post_recv(ic, i) == -1) {
			log_warnx("%s: iser: ibv_post_recv failed",
			    c->peer_name);
			conn_close(c);
		}
		return;
	}
	op = (struct iser_op *)(uintptr_t)wc->wr_id;
	iser_posted_del(ic, op);
	ic->sq_used--;
	if (op->kind == OP_READ)
		ic->reads_out--;
	if (wc->status != IBV_WC_SUCCESS) {
		if (wc->status != IBV_WC_WR_FLUSH_ERR)
			log_info("%s: iser: %s: %s", c->peer_name,
			    op->kind == OP_SEND ? "send" : op->kind ==
			    OP_WRITE ? "RDMA WRITE" : "RDMA READ",
			    ibv_wc_status_str(wc->status));
		iser_op_end(ic, op, 0);
		conn_close(c);
		return;
	}
	iser_op_end(ic, op, 1);
}

static void
iser_cq_event(int fd, short ev, void *arg)
{
	struct iser_conn	*ic = arg;
	struct conn		*c = &ic->x.c;
	struct ibv_cq		*cq;
	struct ibv_wc		 wc[16];
	void			*ctx;
	int			 n, i, total = 0;

	if (ibv_get_cq_event(ic->cc, &cq, &ctx) == 0) {
		ibv_ack_cq_events(cq, 1);
		if (ibv_req_notify_cq(ic->cq, 0) != 0) {
			log_warnx("%s: iser: ibv_req_notify_cq", c->peer_name);
			conn_close(c);
			return;
		}
	}
	while (c->phase != CONN_CLOSING && total < ISER_CQ_BUDGET) {
		if ((n = ibv_poll_cq(ic->cq, 16, wc)) <= 0)
			break;
		for (i = 0; i < n; i++) {
			iser_wc(ic, &wc[i]);
			if (c->phase == CONN_CLOSING)
				return;
		}
		total += n;
	}
	if (c->phase == CONN_CLOSING)
		return;
	if (total >= ISER_CQ_BUDGET)
		/* more may be there: come back after the others */
		event_active(ic->ev_cq, EV_READ, 0);
	iser_kick(ic);
}

/* Connection setup and teardown. */

static int
iser_conn_setup(struct iser_conn *ic, struct rdma_cm_id *id)
{
	struct conn		*c = &ic->x.c;
	struct ibv_qp_init_attr	 qa;
	struct ibv_pd		*pd = iser.dev[ic->dev].pd;
	int			 i, fl;

	if ((ic->cc = ibv_create_comp_channel(id->verbs)) == NULL ||
	    (ic->cq = ibv_create_cq(id->verbs, ISER_RX_N + ISER_SQ_N, ic,
	    ic->cc, 0)) == NULL) {
		log_warn("%s: iser: completion queue", c->peer_name);
		return (-1);
	}
	if ((fl = fcntl(ic->cc->fd, F_GETFL)) == -1 ||
	    fcntl(ic->cc->fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    ibv_req_notify_cq(ic->cq, 0) != 0)
		return (-1);
	memset(&qa, 0, sizeof(qa));
	qa.send_cq = qa.recv_cq = ic->cq;
	qa.qp_type = IBV_QPT_RC;
	qa.cap.max_send_wr = ISER_SQ_N;
	qa.cap.max_recv_wr = ISER_RX_N;
	qa.cap.max_send_sge = 1;
	qa.cap.max_recv_sge = 1;
	if (rdma_create_qp(id, pd, &qa) != 0) {
		log_warn("%s: iser: rdma_create_qp", c->peer_name);
		return (-1);
	}
	ic->qp = id->qp;
	if ((ic->rx_mem = calloc(ISER_RX_N, ISER_RX_SIZE)) == NULL ||
	    (ic->tx_mem = calloc(ISER_TX_N, ISER_TX_SIZE)) == NULL ||
	    (ic->tx_free = calloc(ISER_TX_N, sizeof(int))) == NULL) {
		log_warn("%s: iser", c->peer_name);
		return (-1);
	}
	if ((ic->rx_mr = ibv_reg_mr(pd, ic->rx_mem, (size_t)ISER_RX_N *
	    ISER_RX_SIZE, IBV_ACCESS_LOCAL_WRITE)) == NULL ||
	    (ic->tx_mr = ibv_reg_mr(pd, ic->tx_mem, (size_t)ISER_TX_N *
	    ISER_TX_SIZE, 0)) == NULL) {
		log_warn("%s: iser: registering buffers", c->peer_name);
		return (-1);
	}
	for (i = 0; i < ISER_TX_N; i++)
		ic->tx_free[ic->ntx_free++] = ISER_TX_N - 1 - i;
	for (i = 0; i < ISER_RX_N; i++)
		if (iser_post_recv(ic, i) == -1) {
			log_warnx("%s: iser: ibv_post_recv failed",
			    c->peer_name);
			return (-1);
		}
	if ((ic->ev_cq = event_new(portal->evb, ic->cc->fd,
	    EV_READ | EV_PERSIST, iser_cq_event, ic)) == NULL ||
	    event_add(ic->ev_cq, NULL) == -1)
		return (-1);
	return (0);
}

static void
iser_connect_request(struct rdma_cm_id *id,
    const struct rdma_conn_param *req)
{
	struct rdma_conn_param	 cp;
	struct iser_conn	*ic;
	struct conn		*c;
	uint8_t			 priv[4];
	int			 dev;

	if (!portal->started || (dev = iser_dev_of(id->verbs)) == -1) {
		rdma_reject(id, NULL, 0);
		rdma_destroy_id(id);
		return;
	}
	if ((c = conn_new(&iser_transport, sizeof(*ic))) == NULL) {
		log_warn("iser: connection");
		rdma_reject(id, NULL, 0);
		rdma_destroy_id(id);
		return;
	}
	ic = ISERC(c);
	ic->id = id;
	ic->dev = dev;
	ic->pend_tail = &ic->pend;
	id->context = ic;
	memcpy(&c->peer, rdma_get_peer_addr(id), sizeof(struct sockaddr_in6));
	memcpy(&c->local, rdma_get_local_addr(id),
	    sizeof(struct sockaddr_in6));
	conn_addr_name(&c->peer, c->peer_name, sizeof(c->peer_name));
	conn_addr_name(&c->local, c->local_name, sizeof(c->local_name));
	/*
	 * RDMA READs we may have in flight: what the initiator offered as
	 * its responder resources.  The CM hands the passive side the
	 * request's values from its own point of view: initiator_depth is
	 * the peer's responder resources (Linux's isert reads it the same
	 * way; libiscsi offers 4 and an initiator depth of 0).
	 */
	ic->reads_max = req->initiator_depth;
	if (ic->reads_max > iser.dev[dev].max_rd_atom)
		ic->reads_max = iser.dev[dev].max_rd_atom;
	if (ic->reads_max == 0)
		ic->reads_max = 1;
	if (iser_conn_setup(ic, id) == -1) {
		rdma_reject(id, NULL, 0);
		conn_close(c);
		return;
	}
	memset(&cp, 0, sizeof(cp));
	memset(priv, 0, sizeof(priv));
	/* we use the VAs we are given, and never send with invalidate */
	priv[0] = ISER_CM_ZBVA_NOT_SUP | ISER_CM_SEND_W_INV_NOT_SUP;
	cp.private_data = priv;
	cp.private_data_len = sizeof(priv);
	cp.initiator_depth = ic->reads_max;
	cp.responder_resources = 0;
	cp.rnr_retry_count = 7;
	if (rdma_accept(id, &cp) != 0) {
		log_warn("%s: iser: rdma_accept", c->peer_name);
		conn_close(c);
		return;
	}
	log_debug("%s: iser: accepted, %u RDMA READs in flight at most",
	    c->peer_name, ic->reads_max);
	/* the QP is ready to receive: the login may come before ESTABLISHED */
	conn_start(c);
}

static void
iser_cm_event(int fd, short ev, void *arg)
{
	struct rdma_cm_event		*e;
	struct rdma_cm_id		*id;
	struct rdma_conn_param		 req;
	struct iser_conn		*ic;
	enum rdma_cm_event_type		 type;
	int				 n, status;

	for (n = 0; n < 64; n++) {
		if (rdma_get_cm_event(iser.ch, &e) != 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("iser: rdma_get_cm_event");
			return;
		}
		type = e->event;
		status = e->status;
		id = e->id;
		req = e->param.conn;
		rdma_ack_cm_event(e);
		if (type == RDMA_CM_EVENT_CONNECT_REQUEST) {
			iser_connect_request(id, &req);
			continue;
		}
		if (id == NULL || (ic = id->context) == NULL)
			continue;	/* a listener's */
		if (ic->x.c.phase == CONN_CLOSING)
			continue;
		switch (type) {
		case RDMA_CM_EVENT_ESTABLISHED:
			log_debug("%s: iser: established", ic->x.c.peer_name);
			break;
		case RDMA_CM_EVENT_REJECTED:
			/*
			 * The initiator's side refused our accept: the IB
			 * CM's reject reason says why (e.g. 4 timeout, 10 stale
			 * connection, 28 the consumer's own).
			 */
			log_info("%s: iser: %s, reason %d", ic->x.c.peer_name,
			    rdma_event_str(type), status);
			conn_close(&ic->x.c);
			break;
		case RDMA_CM_EVENT_DISCONNECTED:
		case RDMA_CM_EVENT_CONNECT_ERROR:
		case RDMA_CM_EVENT_UNREACHABLE:
		case RDMA_CM_EVENT_DEVICE_REMOVAL:
		case RDMA_CM_EVENT_TIMEWAIT_EXIT:
			log_debug("%s: iser: %s", ic->x.c.peer_name,
			    rdma_event_str(type));
			conn_close(&ic->x.c);
			break;
		default:
			break;
		}
	}
}

static int
iser_tx_idle(struct conn *c)
{
	struct iser_conn	*ic = ISERC(c);

	return (ic->pend == NULL && ic->sq_used == 0);
}

static void
iser_rx_stop(struct conn *c)
{
	ISERC(c)->rx_stopped = 1;
}

/*
 * Teardown: the QP goes first, so nothing reaches our buffers any more,
 * then every operation gives back what it held.  The CQ, the channel,
 * the buffers and the CM id go in iser_free(), from the event loop.
 */
static void
iser_close(struct conn *c)
{
	struct iser_conn	*ic = ISERC(c);
	struct iser_op		*op;

	if (ic->ev_cq != NULL)
		event_free(ic->ev_cq);
	ic->ev_cq = NULL;
	if (ic->id != NULL) {
		rdma_disconnect(ic->id);
		if (ic->qp != NULL)
			rdma_destroy_qp(ic->id);
		ic->qp = NULL;
		ic->id->context = NULL;
	}
	ic->qp_gone = 1;
	while ((op = ic->posted) != NULL) {
		ic->posted = op->next;
		iser_op_end(ic, op, 0);
	}
	while ((op = ic->pend) != NULL) {
		ic->pend = op->next;
		iser_op_end(ic, op, 0);
	}
	ic->pend_tail = &ic->pend;
	ic->sq_used = 0;
}

static void
iser_free(struct conn *c)
{
	struct iser_conn	*ic = ISERC(c);

	if (ic->rx_mr != NULL)
		ibv_dereg_mr(ic->rx_mr);
	if (ic->tx_mr != NULL)
		ibv_dereg_mr(ic->tx_mr);
	if (ic->cq != NULL)
		ibv_destroy_cq(ic->cq);
	if (ic->cc != NULL)
		ibv_destroy_comp_channel(ic->cc);
	if (ic->id != NULL)
		rdma_destroy_id(ic->id);
	free(ic->rx_mem);
	free(ic->tx_mem);
	free(ic->tx_free);
}

const struct transport iser_transport = {
	.name = "iser",
	.type = CTL_TRANSPORT_ISER,
	.send = iser_send,
	.tx_idle = iser_tx_idle,
	.rx_stop = iser_rx_stop,
	.close = iser_close,
	.free = iser_free,
	.data_in = iser_data_in,
	.data_out = iser_data_out,
};
