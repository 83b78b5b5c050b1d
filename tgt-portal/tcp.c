/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * The TCP transport: accept, the PDU receive state machine and the send
 * queue, with header and data digests.
 *
 * Receive: every read is a readv() of what the current part of the PDU
 * still needs, straight to its destination, plus a small staging buffer
 * that picks up whatever follows (the next BHS of back-to-back small
 * PDUs).  The data segment of a SCSI Command or Data-Out goes to the
 * buffer conn_rx_hdr() returns, which is the command's buffer in the
 * ring's data area.  While the initiator writes, reads stop at the next
 * BHS, so no data segment passes through the staging buffer.
 *
 * Send: PDUs are queued (BHS copied, data referenced) and written with
 * one writev() per event loop round; a PDU's done callback runs once it
 * is fully written.
 */

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "login.h"
#include "transport.h"

#define CONN_ACCEPT_MAX		32	/* per listener event */
#define CONN_RX_BUDGET		128	/* PDUs per read event */
#define CONN_TX_IOV		512	/* iovecs per writev */
#define CONN_TXFREE_MAX		64

struct txbuf {
	struct txbuf	*next;
	uint8_t		 hdr[ISCSI_BHS_SIZE];
	const uint8_t	*data;
	uint32_t	 dlen;
	uint32_t	 total;		/* header + digests + data + pad */
	uint8_t		 hd;		/* header digest bytes: 0 or 4 */
	uint8_t		 dd;		/* data digest bytes: 0 or 4 */
	uint8_t		 hdig[ISCSI_DIGEST_SIZE];
	uint8_t		 ddig[ISCSI_DIGEST_SIZE];
	uint32_t	 off;		/* bytes written */
	void		(*done)(void *);
	void		*arg;
	uint8_t		*copy;		/* own copy of the data */
	uint32_t	 copy_size;
};

static const uint8_t	 zeros[4];

static void	conn_read(int, short, void *);
static void	conn_flush(int, short, void *);


/* Out of descriptors: stop accepting for a second, or we would spin. */
static void
conn_accept_resume(int fd, short ev, void *arg)
{
	struct portal_listener	*pl;

	TAILQ_FOREACH(pl, &portal->listeners, entry)
		if (pl->ev != NULL)
			event_add(pl->ev, NULL);
}

static void
conn_accept_pause(void)
{
	struct portal_listener	*pl;
	struct timeval		 tv = { 1, 0 };

	TAILQ_FOREACH(pl, &portal->listeners, entry)
		if (pl->ev != NULL)
			event_del(pl->ev);
	if (event_base_once(portal->evb, -1, EV_TIMEOUT, conn_accept_resume,
	    NULL, &tv) == -1)
		conn_accept_resume(-1, 0, NULL);
}

void
conn_accept(int lfd, short ev, void *arg)
{
	struct sockaddr_storage	 ss;
	socklen_t		 slen;
	struct conn		*c;
	int			 fd, i, one = 1;

	for (i = 0; i < CONN_ACCEPT_MAX; i++) {
		slen = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &slen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				log_warn("accept");
				conn_accept_pause();
			} else if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn("accept");
			return;
		}
		if (!portal->started) {
			close(fd);
			continue;
		}
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one)) == -1)
			log_warn("TCP_NODELAY");
		if ((c = conn_new(&tcp_transport, 0)) == NULL) {
			log_warn("accept");
			close(fd);
			continue;
		}
		c->fd = fd;
		memcpy(&c->peer, &ss, sizeof(ss));
		slen = sizeof(c->local);
		if (getsockname(fd, (struct sockaddr *)&c->local, &slen) == -1)
			memset(&c->local, 0, sizeof(c->local));
		c->ev_read = event_new(portal->evb, fd, EV_READ | EV_PERSIST,
		    conn_read, c);
		c->ev_write = event_new(portal->evb, fd, EV_WRITE, conn_flush,
		    c);
		if (c->ev_read == NULL || c->ev_write == NULL ||
		    event_add(c->ev_read, NULL) == -1) {
			conn_addr_name(&c->peer, c->peer_name,
			    sizeof(c->peer_name));
			log_warnx("%s: no events", c->peer_name);
			conn_close(c);
			continue;
		}
		conn_start(c);
	}
}

/* Send queue. */

static void
conn_schedule_flush(struct conn *c)
{
	struct connx	*x = CONNX(c);

	if (x->flush_sched || x->write_wait)
		return;
	x->flush_sched = 1;
	event_active(c->ev_write, EV_WRITE, 1);
}

static struct txbuf *
conn_txbuf_get(struct connx *x)
{
	struct txbuf	*tb;

	if ((tb = x->txfree) != NULL) {
		x->txfree = tb->next;
		x->ntxfree--;
		tb->next = NULL;
		tb->off = 0;
		tb->done = NULL;
		tb->arg = NULL;
		return (tb);
	}
	return (calloc(1, sizeof(*tb)));
}

static void
conn_txbuf_put(struct connx *x, struct txbuf *tb)
{
	if (x->ntxfree >= CONN_TXFREE_MAX || x->c.phase == CONN_CLOSING) {
		free(tb->copy);
		free(tb);
		return;
	}
	tb->next = x->txfree;
	x->txfree = tb;
	x->ntxfree++;
}

static int
tcp_send(struct conn *c, const uint8_t *bhs, const void *data,
    uint32_t dlen, void (*done)(void *), void *arg, int copy)
{
	struct connx	*x = CONNX(c);
	struct txbuf	*tb;
	uint8_t		*p;

	if (c->phase == CONN_CLOSING || c->fd == -1)
		return (-1);
	if ((tb = conn_txbuf_get(x)) == NULL) {
		log_warn("%s: send", c->peer_name);
		conn_close(c);
		return (-1);
	}
	memcpy(tb->hdr, bhs, ISCSI_BHS_SIZE);
	bhs_set_dlen(tb->hdr, dlen);
	tb->dlen = dlen;
	/* The last login response still goes without digests. */
	tb->hd = c->phase != CONN_LOGIN && c->params.header_digest ?
	    ISCSI_DIGEST_SIZE : 0;
	tb->dd = c->phase != CONN_LOGIN && c->params.data_digest &&
	    dlen > 0 ? ISCSI_DIGEST_SIZE : 0;
	tb->total = ISCSI_BHS_SIZE + tb->hd + ISCSI_PAD(dlen) + tb->dd;
	if (tb->hd)
		digest_put(tb->hdig, digest_crc32c(tb->hdr, ISCSI_BHS_SIZE));
	if (copy && dlen > 0) {
		if (tb->copy_size < dlen) {
			if ((p = realloc(tb->copy, dlen)) == NULL) {
				log_warn("%s: send", c->peer_name);
				free(tb->copy);
				free(tb);
				conn_close(c);
				return (-1);
			}
			tb->copy = p;
			tb->copy_size = dlen;
		}
		memcpy(tb->copy, data, dlen);
		tb->data = tb->copy;
	} else
		tb->data = data;
	if (tb->dd)
		/* over the data where it lies: no copy for Data-In */
		digest_put(tb->ddig, digest_final(digest_update(
		    digest_update(DIGEST_INIT, tb->data, dlen), zeros,
		    ISCSI_PAD(dlen) - dlen)));
	tb->done = done;
	tb->arg = arg;
	tb->next = NULL;
	*c->txq_tail = tb;
	c->txq_tail = &tb->next;
	c->txq_len++;
	conn_schedule_flush(c);
	return (0);
}

static void
conn_flush(int fd, short ev, void *arg)
{
	struct conn	*c = arg;
	struct connx	*x = CONNX(c);
	struct iovec	 iov[CONN_TX_IOV];
	struct txbuf	*tb;
	struct iovec	 seg[5];
	size_t		 want;
	ssize_t		 n, written;
	uint32_t	 off, r;
	int		 cnt, i, nseg;

	x->flush_sched = 0;
	x->write_wait = 0;
	while (c->txq != NULL) {
		cnt = 0;
		want = 0;
		for (tb = c->txq; tb != NULL && cnt + 5 <= CONN_TX_IOV;
		    tb = tb->next) {
			want += tb->total - tb->off;
			if (tb->off == 0 && tb->hd == 0 && tb->dd == 0) {
				/* the common case: header, data, padding */
				iov[cnt].iov_base = tb->hdr;
				iov[cnt++].iov_len = ISCSI_BHS_SIZE;
				if (tb->dlen == 0)
					continue;
				iov[cnt].iov_base = (uint8_t *)tb->data;
				iov[cnt++].iov_len = tb->dlen;
				if (tb->total > ISCSI_BHS_SIZE + tb->dlen) {
					iov[cnt].iov_base = (uint8_t *)zeros;
					iov[cnt++].iov_len = tb->total -
					    ISCSI_BHS_SIZE - tb->dlen;
				}
				continue;
			}
			/* header, its digest, data, padding, data digest */
			nseg = 0;
			seg[nseg].iov_base = tb->hdr;
			seg[nseg++].iov_len = ISCSI_BHS_SIZE;
			if (tb->hd) {
				seg[nseg].iov_base = tb->hdig;
				seg[nseg++].iov_len = tb->hd;
			}
			if (tb->dlen > 0) {
				seg[nseg].iov_base = (uint8_t *)tb->data;
				seg[nseg++].iov_len = tb->dlen;
			}
			if (ISCSI_PAD(tb->dlen) != tb->dlen) {
				seg[nseg].iov_base = (uint8_t *)zeros;
				seg[nseg++].iov_len = ISCSI_PAD(tb->dlen) -
				    tb->dlen;
			}
			if (tb->dd) {
				seg[nseg].iov_base = tb->ddig;
				seg[nseg++].iov_len = tb->dd;
			}
			off = tb->off;
			for (i = 0; i < nseg; i++) {
				if (off >= seg[i].iov_len) {
					off -= seg[i].iov_len;
					continue;
				}
				iov[cnt].iov_base = (uint8_t *)seg[i].iov_base +
				    off;
				iov[cnt++].iov_len = seg[i].iov_len - off;
				off = 0;
			}
		}
		n = written = writev(c->fd, iov, cnt);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			log_debug("%s: write: %s", c->peer_name,
			    strerror(errno));
			conn_close(c);
			return;
		}
		while (n > 0 && (tb = c->txq) != NULL) {
			r = tb->total - tb->off;
			if ((size_t)n < r) {
				tb->off += n;
				break;
			}
			n -= r;
			c->txq = tb->next;
			if (c->txq == NULL)
				c->txq_tail = &c->txq;
			c->txq_len--;
			if (tb->done != NULL) {
				tb->done(tb->arg);
				if (c->phase == CONN_CLOSING) {
					free(tb->copy);
					free(tb);
					return;
				}
			}
			conn_txbuf_put(x, tb);
		}
		if ((size_t)written < want)
			break;	/* short write: the socket is full */
	}
	if (c->txq != NULL) {
		x->write_wait = 1;
		event_add(c->ev_write, NULL);
		return;
	}
	if (x->close_after_send)
		conn_close(c);
}

/* Receive. */

/*
 * Fill dst[c->rx_pos .. len) from the staging buffer, then the socket.
 * 1: complete, 0: would block, -1: connection gone.
 */
/*
 * How much to read beyond the current part, into the staging buffer.
 * Normally a whole stage, to pick up many back-to-back PDUs (read
 * commands, NOPs) with one readv().  While the initiator is writing
 * (rx_exact), no more than the rest of this PDU and the next BHS: the
 * next PDU's data segment must not land in the stage, it goes straight
 * to its buffer in the ring's data area.
 */
static uint32_t
conn_ahead(struct connx *x)
{
	struct conn	*c = &x->c;
	uint32_t	 dd = c->params.data_digest && c->rx_dlen ?
			    ISCSI_DIGEST_SIZE : 0;

	if (!x->rx_exact)
		return (sizeof(x->stage));
	switch (c->rx_state) {
	case RX_DATA:
		return (ISCSI_PAD(c->rx_dlen) - c->rx_dlen + dd +
		    ISCSI_BHS_SIZE);
	case RX_PAD:
		return (dd + ISCSI_BHS_SIZE);
	case RX_DDIGEST:
		return (ISCSI_BHS_SIZE);
	default:
		return (0);
	}
}

static int
conn_take(struct connx *x, uint8_t *dst, uint32_t len, int *drained)
{
	struct conn	*c = &x->c;
	struct iovec	 iov[2];
	uint32_t	 n, want, ahead;
	ssize_t		 r;

	while (c->rx_pos < len) {
		if (x->st_off < x->st_len) {
			n = x->st_len - x->st_off;
			if (n > len - c->rx_pos)
				n = len - c->rx_pos;
			memcpy(dst + c->rx_pos, x->stage + x->st_off, n);
			x->st_off += n;
			c->rx_pos += n;
			continue;
		}
		x->st_off = x->st_len = 0;
		if (*drained)
			return (0);
		want = len - c->rx_pos;
		ahead = conn_ahead(x);
		iov[0].iov_base = dst + c->rx_pos;
		iov[0].iov_len = want;
		iov[1].iov_base = x->stage;
		iov[1].iov_len = ahead;
		r = readv(c->fd, iov, ahead > 0 ? 2 : 1);
		if (r == 0) {
			log_debug("%s: connection closed by peer",
			    c->peer_name);
			return (-1);
		}
		if (r == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				*drained = 1;
				return (0);
			}
			log_debug("%s: read: %s", c->peer_name,
			    strerror(errno));
			return (-1);
		}
		if ((size_t)r < want + ahead)
			*drained = 1;
		if ((size_t)r <= want)
			c->rx_pos += r;
		else {
			c->rx_pos += want;
			x->st_len = r - want;
		}
	}
	return (1);
}

/* The header digest over BHS and AHS: 0 good, -1 bad. */
static int
conn_rx_hdigest(struct conn *c)
{
	uint32_t	 crc;

	crc = digest_update(DIGEST_INIT, c->rx_bhs, ISCSI_BHS_SIZE);
	if (c->rx_ahslen > 0)
		crc = digest_update(crc, c->rx_ahs, c->rx_ahslen);
	if (digest_final(crc) == digest_get(CONNX(c)->rx_dig))
		return (0);
	log_info("%s: header digest error (opcode 0x%02x), closing",
	    c->peer_name, c->rx_bhs[BHS_OPCODE] & ISCSI_OP_MASK);
	return (-1);
}

/* The data digest over data and padding: 0 good, -1 bad. */
static int
conn_rx_ddigest(struct conn *c)
{
	struct connx	*x = CONNX(c);
	uint32_t	 crc;

	crc = digest_update(DIGEST_INIT, c->rx_data, c->rx_dlen);
	crc = digest_update(crc, x->rx_padb, ISCSI_PAD(c->rx_dlen) -
	    c->rx_dlen);
	if (digest_final(crc) == digest_get(x->rx_dig))
		return (0);
	log_info("%s: data digest error (opcode 0x%02x itt 0x%08x)",
	    c->peer_name, c->rx_bhs[BHS_OPCODE] & ISCSI_OP_MASK,
	    get_be32(c->rx_bhs + BHS_ITT));
	return (-1);
}

static void
conn_read(int fd, short ev, void *arg)
{
	struct conn	*c = arg;
	struct connx	*x = CONNX(c);
	uint32_t	 pad;
	int		 r, npdu = 0, drained = 0;

	while (!conn_rx_stop(c)) {
		switch (c->rx_state) {
		case RX_BHS:
			if ((r = conn_take(x, c->rx_bhs, ISCSI_BHS_SIZE,
			    &drained)) != 1)
				goto out;
			c->rx_pos = 0;
			conn_rx_sizes(c);
			if (c->rx_ahslen > 0) {
				c->rx_state = RX_AHS;
				break;
			}
			goto header;
		case RX_AHS:
			if ((r = conn_take(x, c->rx_ahs, c->rx_ahslen,
			    &drained)) != 1)
				goto out;
			c->rx_pos = 0;
 header:
			if (c->params.header_digest) {
				c->rx_state = RX_HDIGEST;
				break;
			}
			goto hdr_done;
		case RX_HDIGEST:
			if ((r = conn_take(x, x->rx_dig, sizeof(x->rx_dig),
			    &drained)) != 1)
				goto out;
			c->rx_pos = 0;
			if (conn_rx_hdigest(c) == -1) {
				conn_close(c);
				return;
			}
 hdr_done:
			if (conn_rx_bhs(c) == -1 || conn_rx_hdr(c) == -1)
				return;
			c->rx_state = RX_DATA;
			break;
		case RX_DATA:
			if (c->rx_dlen > 0 && (r = conn_take(x, c->rx_data,
			    c->rx_dlen, &drained)) != 1)
				goto out;
			c->rx_pos = 0;
			c->rx_state = RX_PAD;
			break;
		case RX_PAD:
			pad = ISCSI_PAD(c->rx_dlen) - c->rx_dlen;
			if (pad > 0 && (r = conn_take(x, x->rx_padb, pad,
			    &drained)) != 1)
				goto out;
			c->rx_pos = 0;
			c->rx_state = c->params.data_digest && c->rx_dlen ?
			    RX_DDIGEST : RX_BHS;
			if (c->rx_state == RX_BHS)
				goto complete;
			break;
		case RX_DDIGEST:
			if ((r = conn_take(x, x->rx_dig, sizeof(x->rx_dig),
			    &drained)) != 1)
				goto out;
			c->rx_pos = 0;
			c->rx_state = RX_BHS;
			if (conn_rx_ddigest(c) == -1)
				c->rx_digest_err = 1;
 complete:
			conn_rx_dispatch(c);
			if (conn_rx_stop(c))
				return;
			if (++npdu >= CONN_RX_BUDGET) {
				/* Let others run; come back for the rest. */
				event_active(c->ev_read, EV_READ, 1);
				return;
			}
			break;
		default:
			conn_close(c);
			return;
		}
	}
	return;
 out:
	if (r == -1)
		conn_close(c);
}

static int
tcp_tx_idle(struct conn *c)
{
	return (c->txq == NULL);
}

static void
tcp_rx_stop(struct conn *c)
{
	if (c->ev_read != NULL)
		event_del(c->ev_read);
}

static void
tcp_close(struct conn *c)
{
	struct connx	*x = CONNX(c);
	struct txbuf	*tb;

	if (c->ev_read != NULL)
		event_free(c->ev_read);
	if (c->ev_write != NULL)
		event_free(c->ev_write);
	c->ev_read = c->ev_write = NULL;
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;

	/* Unsent PDUs: give their data back. */
	while ((tb = c->txq) != NULL) {
		c->txq = tb->next;
		if (tb->done != NULL)
			tb->done(tb->arg);
		free(tb->copy);
		free(tb);
	}
	c->txq_tail = &c->txq;
	c->txq_len = 0;
	while ((tb = x->txfree) != NULL) {
		x->txfree = tb->next;
		free(tb->copy);
		free(tb);
	}
	x->ntxfree = 0;
}

const struct transport tcp_transport = {
	.name = "tcp",
	.type = CTL_TRANSPORT_TCP,
	.send = tcp_send,
	.tx_idle = tcp_tx_idle,
	.rx_stop = tcp_rx_stop,
	.close = tcp_close,
};
