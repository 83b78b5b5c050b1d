/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Message channels over AF_UNIX SOCK_SEQPACKET, see msg.h.
 *
 * One datagram per message: struct msg_hdr then hdr.len payload bytes,
 * descriptors in one SCM_RIGHTS control message.  Anything else coming
 * from the peer (short or truncated datagram, length mismatch, too many
 * descriptors, unknown control message) kills the channel.
 *
 * ch->dead: 0 alive, 1 failed with closed() still to be delivered from
 * the event loop, 2 closed() delivered.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "msg.h"

#define MSG_OUTQ_MAX	65536		/* queued datagrams per channel */

struct msg_out {
	struct msg_out	*next;
	struct msg_hdr	 hdr;
	int		 fds[MSG_MAX_FDS];
	int		 nfds;
	uint8_t		 data[];
};

union msg_cbuf {
	struct cmsghdr	 hdr;
	char		 buf[CMSG_SPACE(sizeof(int) * MSG_MAX_FDS)];
};

/* Receive buffer for the payload: the processes are single threaded. */
static uint8_t	 msg_rbuf[MSG_MAX_PAYLOAD];

static void
close_fds(const int *fds, int nfds)
{
	int	 i, saved_errno = errno;

	for (i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	errno = saved_errno;
}

static int
msg_args_ok(const int *fds, int nfds, const void *data, size_t len)
{
	int	 i;

	if (nfds < 0 || nfds > MSG_MAX_FDS || (nfds > 0 && fds == NULL) ||
	    len > MSG_MAX_PAYLOAD || (len > 0 && data == NULL))
		return (0);
	for (i = 0; i < nfds; i++)
		if (fds[i] < 0)
			return (0);
	return (1);
}

/* One sendmsg() of a datagram; returns 0 or -1 with errno. */
static int
msg_sendmsg(int fd, const struct msg_hdr *hdr, const void *data,
    const int *fds, int nfds, int flags)
{
	struct msghdr	 mh;
	struct iovec	 iov[2];
	union msg_cbuf	 cbuf;
	struct cmsghdr	*cm;

	memset(&mh, 0, sizeof(mh));
	iov[0].iov_base = (void *)hdr;
	iov[0].iov_len = sizeof(*hdr);
	iov[1].iov_base = (void *)data;
	iov[1].iov_len = hdr->len;
	mh.msg_iov = iov;
	mh.msg_iovlen = hdr->len > 0 ? 2 : 1;
	if (nfds > 0) {
		memset(&cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	if (sendmsg(fd, &mh, flags | MSG_NOSIGNAL) == -1)
		return (-1);
	return (0);
}

/* Take the descriptors out of the control messages; 0 if all is well. */
static int
msg_take_fds(struct msghdr *mh, struct msg *m)
{
	struct cmsghdr	*cm;
	size_t		 i, n;
	int		 fd, bad = 0;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS) {
			bad = 1;
			continue;
		}
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			    sizeof(fd));
			if (m->nfds < MSG_MAX_FDS)
				m->fds[m->nfds++] = fd;
			else {
				close(fd);
				bad = 1;
			}
		}
	}
	return (bad ? -1 : 0);
}

/*
 * One recvmsg(): 1 message in m, 0 end of file, -1 with errno
 * (EBADMSG: the peer sent garbage).
 */
static int
msg_recvmsg(int fd, struct msg *m, int flags)
{
	struct msghdr	 mh;
	struct iovec	 iov[2];
	union msg_cbuf	 cbuf;
	ssize_t		 n;
	int		 i;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < MSG_MAX_FDS; i++)
		m->fds[i] = -1;
	memset(&mh, 0, sizeof(mh));
	iov[0].iov_base = &m->hdr;
	iov[0].iov_len = sizeof(m->hdr);
	iov[1].iov_base = msg_rbuf;
	iov[1].iov_len = sizeof(msg_rbuf);
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	mh.msg_control = cbuf.buf;
	mh.msg_controllen = sizeof(cbuf.buf);

	if ((n = recvmsg(fd, &mh, flags | MSG_CMSG_CLOEXEC)) == -1)
		return (-1);
	if (msg_take_fds(&mh, m) == -1 ||
	    (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    (n == 0 && m->nfds > 0))
		goto bad;
	if (n == 0)
		return (0);
	if ((size_t)n < sizeof(m->hdr) || m->hdr.len > MSG_MAX_PAYLOAD ||
	    m->hdr.len != (size_t)n - sizeof(m->hdr))
		goto bad;
	if (m->hdr.len > 0) {
		if ((m->data = malloc(m->hdr.len)) == NULL) {
			msg_free(m);
			errno = ENOMEM;
			return (-1);
		}
		memcpy(m->data, msg_rbuf, m->hdr.len);
	}
	return (1);
 bad:
	msg_free(m);
	errno = EBADMSG;
	return (-1);
}

int
msg_socketpair(int sv[2])
{
	return (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, sv));
}

static void
msgchan_outq_free(struct msgchan *ch)
{
	struct msg_out	*o;

	while ((o = ch->outq) != NULL) {
		ch->outq = o->next;
		close_fds(o->fds, o->nfds);
		free(o);
	}
	ch->outq_tail = &ch->outq;
	ch->outq_len = 0;
}

/* Deliver closed(), once.  Called from an event callback only. */
static void
msgchan_closed(struct msgchan *ch)
{
	if (ch->dead == 2)
		return;
	ch->dead = 2;
	event_del(ch->ev_read);
	event_del(ch->ev_write);
	msgchan_outq_free(ch);
	if (ch->closed != NULL)
		ch->closed(ch, ch->arg);	/* may msgchan_clear(ch) */
}

/* Failure outside the event loop: closed() comes from the loop. */
static void
msgchan_fail_later(struct msgchan *ch)
{
	if (ch->dead)
		return;
	ch->dead = 1;
	event_del(ch->ev_read);
	event_active(ch->ev_write, EV_WRITE, 1);
}

static void
msgchan_readcb(evutil_socket_t fd, short what, void *arg)
{
	struct msgchan	*ch = arg;
	struct msg	 m;
	int		 r;

	if (ch->dead) {
		msgchan_closed(ch);
		return;
	}
	r = msg_recvmsg(ch->fd, &m, MSG_DONTWAIT);
	if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;
	if (r == -1) {
		if (errno == EBADMSG)
			log_warnx("channel %d: bad message from peer", ch->fd);
		else
			log_warn("channel %d: recvmsg", ch->fd);
	}
	if (r <= 0) {
		msgchan_closed(ch);
		return;
	}
	ch->dispatch(ch, &m, ch->arg);	/* may msgchan_clear(ch) */
}

static void
msgchan_writecb(evutil_socket_t fd, short what, void *arg)
{
	struct msgchan	*ch = arg;
	struct msg_out	*o;

	if (ch->dead) {
		msgchan_closed(ch);
		return;
	}
	while ((o = ch->outq) != NULL) {
		if (msg_sendmsg(ch->fd, &o->hdr, o->data, o->fds, o->nfds,
		    MSG_DONTWAIT) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == ENOBUFS)
				return;
			log_warn("channel %d: sendmsg", ch->fd);
			msgchan_closed(ch);
			return;
		}
		if ((ch->outq = o->next) == NULL)
			ch->outq_tail = &ch->outq;
		ch->outq_len--;
		close_fds(o->fds, o->nfds);
		free(o);
	}
	event_del(ch->ev_write);
}

int
msgchan_init(struct msgchan *ch, struct event_base *base, int fd,
    void (*dispatch)(struct msgchan *, struct msg *, void *),
    void (*closed)(struct msgchan *, void *), void *arg)
{
	int	 fl;

	memset(ch, 0, sizeof(*ch));
	ch->fd = fd;
	ch->outq_tail = &ch->outq;
	ch->dispatch = dispatch;
	ch->closed = closed;
	ch->arg = arg;
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		goto fail;
	ch->ev_read = event_new(base, fd, EV_READ | EV_PERSIST,
	    msgchan_readcb, ch);
	ch->ev_write = event_new(base, fd, EV_WRITE | EV_PERSIST,
	    msgchan_writecb, ch);
	if (ch->ev_read == NULL || ch->ev_write == NULL ||
	    event_add(ch->ev_read, NULL) == -1)
		goto fail;
	return (0);
 fail:
	if (ch->ev_read != NULL)
		event_free(ch->ev_read);
	if (ch->ev_write != NULL)
		event_free(ch->ev_write);
	ch->ev_read = ch->ev_write = NULL;
	ch->fd = -1;
	ch->dead = 2;
	return (-1);
}

void
msgchan_clear(struct msgchan *ch)
{
	if (ch->ev_read != NULL)
		event_free(ch->ev_read);
	if (ch->ev_write != NULL)
		event_free(ch->ev_write);
	ch->ev_read = ch->ev_write = NULL;
	if (ch->outq_tail != NULL)
		msgchan_outq_free(ch);
	if (ch->fd >= 0)
		close(ch->fd);
	ch->fd = -1;
	ch->dead = 2;
}

static int
msgchan_enqueue(struct msgchan *ch, const struct msg_hdr *hdr,
    const int *fds, int nfds, const void *data)
{
	struct msg_out	*o;

	if (ch->outq_len >= MSG_OUTQ_MAX) {
		errno = ENOBUFS;
		return (-1);
	}
	if ((o = malloc(sizeof(*o) + hdr->len)) == NULL)
		return (-1);
	o->next = NULL;
	o->hdr = *hdr;
	if (hdr->len > 0)
		memcpy(o->data, data, hdr->len);
	o->nfds = nfds;
	if (nfds > 0)
		memcpy(o->fds, fds, sizeof(int) * nfds);
	if (ch->outq == NULL && event_add(ch->ev_write, NULL) == -1) {
		free(o);
		errno = ENOMEM;
		return (-1);
	}
	*ch->outq_tail = o;
	ch->outq_tail = &o->next;
	ch->outq_len++;
	return (0);
}

int
msgchan_send(struct msgchan *ch, uint32_t type, uint32_t peerid,
    const int *fds, int nfds, const void *data, size_t len)
{
	struct msg_hdr	 hdr;

	if (!msg_args_ok(fds, nfds, data, len)) {
		if (nfds > 0 && nfds <= MSG_MAX_FDS && fds != NULL)
			close_fds(fds, nfds);
		errno = len > MSG_MAX_PAYLOAD ? EMSGSIZE : EINVAL;
		return (-1);
	}
	if (ch->dead || ch->fd < 0) {
		close_fds(fds, nfds);
		errno = EPIPE;
		return (-1);
	}
	hdr.type = type;
	hdr.len = len;
	hdr.peerid = peerid;
	hdr.pid = getpid();

	if (ch->outq == NULL) {
		do {
			if (msg_sendmsg(ch->fd, &hdr, data, fds, nfds,
			    MSG_DONTWAIT) == 0) {
				close_fds(fds, nfds);
				return (0);
			}
		} while (errno == EINTR);
		if (errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != ENOBUFS) {
			log_warn("channel %d: sendmsg", ch->fd);
			close_fds(fds, nfds);
			msgchan_fail_later(ch);
			errno = EPIPE;
			return (-1);
		}
	}
	if (msgchan_enqueue(ch, &hdr, fds, nfds, data) == -1) {
		close_fds(fds, nfds);
		return (-1);
	}
	return (0);
}

static int
msg_wait(int fd, short events)
{
	struct pollfd	 pfd;

	pfd.fd = fd;
	pfd.events = events;
	pfd.revents = 0;
	if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
		return (-1);
	return (0);
}

int
msg_send_fd(int sock, uint32_t type, uint32_t peerid, const int *fds,
    int nfds, const void *data, size_t len)
{
	struct msg_hdr	 hdr;

	if (!msg_args_ok(fds, nfds, data, len)) {
		errno = len > MSG_MAX_PAYLOAD ? EMSGSIZE : EINVAL;
		return (-1);
	}
	hdr.type = type;
	hdr.len = len;
	hdr.peerid = peerid;
	hdr.pid = getpid();
	for (;;) {
		if (msg_sendmsg(sock, &hdr, data, fds, nfds, 0) == 0)
			return (0);
		if (errno == EINTR)
			continue;
		if ((errno != EAGAIN && errno != EWOULDBLOCK) ||
		    msg_wait(sock, POLLOUT) == -1)
			return (-1);
	}
}

int
msg_recv_fd(int sock, struct msg *m)
{
	int	 r;

	for (;;) {
		if ((r = msg_recvmsg(sock, m, 0)) != -1)
			return (r);
		if (errno == EINTR)
			continue;
		if ((errno != EAGAIN && errno != EWOULDBLOCK) ||
		    msg_wait(sock, POLLIN) == -1)
			return (-1);
	}
}

int
msg_recv_nowait(int sock, struct msg *m)
{
	int	 r;

	while ((r = msg_recvmsg(sock, m, MSG_DONTWAIT)) == -1 &&
	    errno == EINTR)
		;
	return (r);
}

void
msg_free(struct msg *m)
{
	int	 i;

	free(m->data);
	m->data = NULL;
	for (i = 0; i < MSG_MAX_FDS; i++) {
		if (m->fds[i] >= 0)
			close(m->fds[i]);
		m->fds[i] = -1;
	}
	m->nfds = 0;
}

int
msg_get(const struct msg *m, void *p, size_t n)
{
	if (m->hdr.len != n || (n > 0 && m->data == NULL)) {
		errno = EBADMSG;
		return (-1);
	}
	if (n > 0)
		memcpy(p, m->data, n);
	return (0);
}
