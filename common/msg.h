/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Message channels between the processes of the suite, in the spirit of
 * OpenBSD's imsg: a fixed header, a payload of at most MSG_MAX_PAYLOAD
 * bytes, and up to MSG_MAX_FDS file descriptors passed with SCM_RIGHTS.
 *
 * Channels are AF_UNIX SOCK_SEQPACKET sockets, so every message is one
 * datagram and its descriptors arrive with it.  Writes that would block are
 * queued and flushed when the socket is writable again.  A received
 * message is checked (length in header matches datagram, no truncation of
 * data or control) before it is handed out; the payload itself must still
 * be size-checked by the dispatcher before any copy.
 */

#ifndef TGT_MSG_H
#define TGT_MSG_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#define MSG_MAX_FDS		4
#define MSG_MAX_PAYLOAD		(60 * 1024)

struct msg_hdr {
	uint32_t	type;
	uint32_t	len;		/* payload bytes */
	uint32_t	peerid;		/* e.g. control client, target id */
	uint32_t	pid;		/* sender */
};

struct msg {
	struct msg_hdr	 hdr;
	uint8_t		*data;		/* hdr.len bytes, owned by the msg */
	int		 fds[MSG_MAX_FDS];
	int		 nfds;
};

struct msg_out;

struct msgchan {
	int			 fd;
	struct msg_out		*outq;		/* queued datagrams */
	struct msg_out		**outq_tail;
	size_t			 outq_len;
	struct event		*ev_read;
	struct event		*ev_write;
	void			(*dispatch)(struct msgchan *, struct msg *,
				    void *);
	void			(*closed)(struct msgchan *, void *);
	void			*arg;
	int			 dead;
};

/* Create a pair of connected, non-blocking, close-on-exec channels fds. */
int	 msg_socketpair(int sv[2]);

/*
 * Attach a channel to an event base.  dispatch() is called for every
 * message received (it owns the message: msg_free() it); closed() is called
 * once when the peer goes away or sends garbage.
 */
int	 msgchan_init(struct msgchan *, struct event_base *, int fd,
	    void (*dispatch)(struct msgchan *, struct msg *, void *),
	    void (*closed)(struct msgchan *, void *), void *arg);
void	 msgchan_clear(struct msgchan *);	/* closes fd, queued fds */

/*
 * Queue a message.  Ownership of the passed fds moves to the channel,
 * which closes them once sent (pass dup()s to keep a copy); on failure
 * they are closed too.  Returns 0, or -1 with errno set (message too
 * large, no memory, channel dead).
 */
int	 msgchan_send(struct msgchan *, uint32_t type, uint32_t peerid,
	    const int *fds, int nfds, const void *data, size_t len);

/*
 * Blocking send and receive, for code without an event loop (tgtctl).
 * Unlike msgchan_send(), msg_send_fd() leaves the fds open (the caller
 * still owns them).  Both also work on a non-blocking socket (they poll).
 */
int	 msg_send_fd(int sock, uint32_t type, uint32_t peerid,
	    const int *fds, int nfds, const void *data, size_t len);
/* 1 got a message, 0 peer closed, -1 error. */
int	 msg_recv_fd(int sock, struct msg *);
/* The same without waiting: -1 with EAGAIN if there is none. */
int	 msg_recv_nowait(int sock, struct msg *);

/* Free payload and close fds that were not taken (set to -1 to take). */
void	 msg_free(struct msg *);

/*
 * Payload helpers for dispatchers: copy exactly sizeof(*p) bytes, or fail.
 * MSG_GET(m, &s) is 0 when m->hdr.len == sizeof(s).
 */
int	 msg_get(const struct msg *, void *, size_t);
#define MSG_GET(m, p)	msg_get((m), (p), sizeof(*(p)))

#endif /* TGT_MSG_H */
