/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Unit tests for common/msg.c: descriptor passing, queueing when the
 * socket buffer is full, and rejection of malformed datagrams.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "msg.h"
#include "unit.h"

struct sink {
	int		 nmsgs;
	int		 nclosed;
	int		 bad_order;
	int		 nfds;
	uint32_t	 next_seq;
};

static int
count_fds(void)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return (n);
}

static void
sink_dispatch(struct msgchan *ch, struct msg *m, void *arg)
{
	struct sink	*s = arg;
	uint32_t	 seq;

	if (MSG_GET(m, &seq) == 0) {
		if (seq != s->next_seq)
			s->bad_order = 1;
		s->next_seq = seq + 1;
	}
	s->nfds += m->nfds;
	s->nmsgs++;
	msg_free(m);
}

static void
sink_closed(struct msgchan *ch, void *arg)
{
	struct sink	*s = arg;

	s->nclosed++;
}

/* Run the loop until cond holds or enough rounds went by. */
#define LOOP_UNTIL(base, cond) do {					\
	int	 rounds_;						\
	for (rounds_ = 0; rounds_ < 100000 && !(cond); rounds_++)	\
		event_base_loop((base), EVLOOP_ONCE | EVLOOP_NONBLOCK);	\
} while (0)

#define LOOP_SOME(base) do {						\
	int	 rounds_;						\
	for (rounds_ = 0; rounds_ < 100; rounds_++)			\
		event_base_loop((base), EVLOOP_ONCE | EVLOOP_NONBLOCK);	\
} while (0)

static void
test_fd_passing(void)
{
	int		 sv[2], p[2], fds[2];
	struct msg	 m;
	char		 c = 0;
	const char	 payload[] = "hello";

	REQUIRE(msg_socketpair(sv) == 0);
	REQUIRE(pipe(p) == 0);
	/* the blocking helpers must work on blocking sockets too */
	REQUIRE(fcntl(sv[1], F_SETFL, 0) == 0);
	fds[0] = p[0];
	fds[1] = p[1];
	REQUIRE(msg_send_fd(sv[0], 7, 42, fds, 2, payload,
	    sizeof(payload)) == 0);
	REQUIRE(msg_recv_fd(sv[1], &m) == 1);
	CHECK(m.hdr.type == 7);
	CHECK(m.hdr.peerid == 42);
	CHECK(m.hdr.pid == (uint32_t)getpid());
	CHECK(m.hdr.len == sizeof(payload));
	CHECK(m.nfds == 2);
	CHECK(memcmp(m.data, payload, sizeof(payload)) == 0);
	CHECK(fcntl(m.fds[0], F_GETFD) & FD_CLOEXEC);
	/* the received write end reaches the original read end */
	CHECK(write(m.fds[1], "x", 1) == 1);
	CHECK(read(p[0], &c, 1) == 1 && c == 'x');
	msg_free(&m);
	CHECK(m.data == NULL && m.fds[0] == -1 && m.nfds == 0);
	close(p[0]);
	close(p[1]);

	close(sv[0]);
	CHECK(msg_recv_fd(sv[1], &m) == 0);
	close(sv[1]);
}

static void
test_msg_get(void)
{
	int		 sv[2];
	struct msg	 m;
	uint32_t	 v = 0xdeadbeef, w = 0;
	uint64_t	 big;
	uint16_t	 small;

	REQUIRE(msg_socketpair(sv) == 0);
	REQUIRE(msg_send_fd(sv[0], 1, 0, NULL, 0, &v, sizeof(v)) == 0);
	REQUIRE(msg_recv_fd(sv[1], &m) == 1);
	CHECK(MSG_GET(&m, &big) == -1);
	CHECK(MSG_GET(&m, &small) == -1);
	CHECK(MSG_GET(&m, &w) == 0 && w == v);
	msg_free(&m);

	/* empty payload */
	REQUIRE(msg_send_fd(sv[0], 2, 0, NULL, 0, NULL, 0) == 0);
	REQUIRE(msg_recv_fd(sv[1], &m) == 1);
	CHECK(m.hdr.len == 0 && m.data == NULL);
	CHECK(msg_get(&m, NULL, 0) == 0);
	CHECK(MSG_GET(&m, &w) == -1);
	msg_free(&m);

	/* too large, bad fd counts */
	CHECK(msg_send_fd(sv[0], 3, 0, NULL, 0, &v,
	    MSG_MAX_PAYLOAD + 1) == -1 && errno == EMSGSIZE);
	CHECK(msg_send_fd(sv[0], 3, 0, NULL, MSG_MAX_FDS + 1, NULL, 0) == -1);
	close(sv[0]);
	close(sv[1]);
}

/* Fill the socket so that sends queue, then drain in order. */
static void
test_queueing(void)
{
	struct event_base	*base;
	struct msgchan		 a, b;
	struct sink		 sa, sb;
	int			 sv[2], p[2], fd, i, nfds0;
	uint32_t		 seq;
	static uint8_t		 buf[MSG_MAX_PAYLOAD];
	const int		 n = 2000;

	memset(&sa, 0, sizeof(sa));
	memset(&sb, 0, sizeof(sb));
	REQUIRE((base = event_base_new()) != NULL);
	REQUIRE(msg_socketpair(sv) == 0);
	REQUIRE(pipe(p) == 0);
	nfds0 = count_fds();
	REQUIRE(msgchan_init(&a, base, sv[0], sink_dispatch, sink_closed,
	    &sa) == 0);
	REQUIRE(msgchan_init(&b, base, sv[1], sink_dispatch, sink_closed,
	    &sb) == 0);

	/* big ones first so the socket buffer fills up quickly */
	for (i = 0; i < 10; i++)
		CHECK(msgchan_send(&a, 9, 0, NULL, 0, buf, sizeof(buf)) == 0);
	CHECK(a.outq_len > 0);
	for (seq = 0; seq < (uint32_t)n; seq++) {
		REQUIRE((fd = dup(p[0])) != -1);
		CHECK(msgchan_send(&a, 1, 0, &fd, 1, &seq, sizeof(seq)) == 0);
	}
	CHECK(a.outq_len > (size_t)n - 10);
	LOOP_UNTIL(base, sb.nmsgs == n + 10);
	CHECK(sb.nmsgs == n + 10);
	CHECK(sb.bad_order == 0);
	CHECK(sb.next_seq == (uint32_t)n);
	CHECK(sb.nfds == n);
	CHECK(a.outq_len == 0 && a.outq == NULL);
	CHECK(sa.nclosed == 0 && sb.nclosed == 0);
	/* every fd sent was closed on both sides */
	CHECK(count_fds() == nfds0);

	/* queued fds are closed by msgchan_clear */
	for (i = 0; i < 10; i++)
		CHECK(msgchan_send(&a, 9, 0, NULL, 0, buf, sizeof(buf)) == 0);
	REQUIRE((fd = dup(p[0])) != -1);
	CHECK(msgchan_send(&a, 1, 0, &fd, 1, NULL, 0) == 0);
	CHECK(a.outq_len > 0);
	msgchan_clear(&a);
	msgchan_clear(&b);
	CHECK(count_fds() == nfds0 - 2);
	close(p[0]);
	close(p[1]);
	event_base_free(base);
}

/* Send a raw datagram to a channel and check it kills the channel. */
static void
garbage_case(const void *d, size_t len, const int *fds, int nfds,
    int close_first)
{
	struct event_base	*base;
	struct msgchan		 b;
	struct sink		 sb;
	struct msghdr		 mh;
	struct iovec		 iov;
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int) * 16)];
	}			 cbuf;
	struct cmsghdr		*cm;
	int			 sv[2], fd, nfds0;

	memset(&sb, 0, sizeof(sb));
	REQUIRE((base = event_base_new()) != NULL);
	REQUIRE(msg_socketpair(sv) == 0);
	nfds0 = count_fds();
	REQUIRE(msgchan_init(&b, base, sv[1], sink_dispatch, sink_closed,
	    &sb) == 0);
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = (void *)d;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
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
	if (len > 0 || nfds > 0)
		REQUIRE(sendmsg(sv[0], &mh, 0) != -1);
	if (close_first)
		close(sv[0]);
	LOOP_UNTIL(base, sb.nclosed > 0);
	/* a few more rounds: closed() must not come again */
	LOOP_SOME(base);
	CHECK(sb.nclosed == 1);
	CHECK(sb.nmsgs == 0);
	CHECK(b.dead);
	/* received descriptors were all closed */
	CHECK(count_fds() == nfds0 - close_first);
	REQUIRE((fd = dup(2)) != -1);
	CHECK(msgchan_send(&b, 1, 0, &fd, 1, NULL, 0) == -1 &&
	    errno == EPIPE);
	CHECK(fcntl(fd, F_GETFD) == -1);	/* closed by msgchan_send */
	msgchan_clear(&b);
	if (!close_first)
		close(sv[0]);
	event_base_free(base);
}

static void
test_garbage(void)
{
	struct {
		struct msg_hdr	 hdr;
		uint8_t		 data[MSG_MAX_PAYLOAD + 16];
	}		 *big;
	struct msg_hdr	  hdr;
	int		  p[2], fds[MSG_MAX_FDS + 2], i;

	REQUIRE((big = calloc(1, sizeof(*big))) != NULL);
	REQUIRE(pipe(p) == 0);
	for (i = 0; i < MSG_MAX_FDS + 2; i++)
		fds[i] = p[i % 2];

	memset(&hdr, 0, sizeof(hdr));
	/* shorter than a header */
	garbage_case(&hdr, sizeof(hdr) - 1, NULL, 0, 0);
	/* header claims more than the datagram holds */
	hdr.len = 4;
	garbage_case(&hdr, sizeof(hdr), NULL, 0, 0);
	/* header claims less than the datagram holds */
	big->hdr.len = 2;
	garbage_case(big, sizeof(big->hdr) + 4, NULL, 0, 0);
	/* payload over the limit: truncated datagram */
	big->hdr.len = MSG_MAX_PAYLOAD + 1;
	garbage_case(big, sizeof(big->hdr) + MSG_MAX_PAYLOAD + 1, NULL, 0, 0);
	/* too many descriptors, well-formed otherwise */
	hdr.len = 0;
	garbage_case(&hdr, sizeof(hdr), fds, MSG_MAX_FDS + 1, 0);
	garbage_case(&hdr, sizeof(hdr), fds, MSG_MAX_FDS + 2, 0);
	/* peer goes away */
	garbage_case(NULL, 0, NULL, 0, 1);
	close(p[0]);
	close(p[1]);
	free(big);
}

/* A send that fails (peer gone) reports closed() from the loop, once. */
static void
test_send_fail(void)
{
	struct event_base	*base;
	struct msgchan		 a;
	struct sink		 sa;
	int			 sv[2], fd;

	memset(&sa, 0, sizeof(sa));
	REQUIRE((base = event_base_new()) != NULL);
	REQUIRE(msg_socketpair(sv) == 0);
	REQUIRE(msgchan_init(&a, base, sv[0], sink_dispatch, sink_closed,
	    &sa) == 0);
	close(sv[1]);
	REQUIRE((fd = dup(2)) != -1);
	CHECK(msgchan_send(&a, 1, 0, &fd, 1, NULL, 0) == -1);
	CHECK(fcntl(fd, F_GETFD) == -1);
	CHECK(sa.nclosed == 0);		/* not from inside msgchan_send */
	CHECK(msgchan_send(&a, 1, 0, NULL, 0, NULL, 0) == -1 &&
	    errno == EPIPE);
	LOOP_UNTIL(base, sa.nclosed > 0);
	LOOP_SOME(base);
	CHECK(sa.nclosed == 1);
	msgchan_clear(&a);
	event_base_free(base);
}

/* Clearing a channel from its own closed() callback is allowed. */
static void
clear_closed(struct msgchan *ch, void *arg)
{
	(*(int *)arg)++;
	msgchan_clear(ch);
}

static void
test_clear_in_closed(void)
{
	struct event_base	*base;
	struct msgchan		 a;
	int			 sv[2], n = 0;

	REQUIRE((base = event_base_new()) != NULL);
	REQUIRE(msg_socketpair(sv) == 0);
	REQUIRE(msgchan_init(&a, base, sv[0], sink_dispatch, clear_closed,
	    &n) == 0);
	close(sv[1]);
	LOOP_UNTIL(base, n > 0);
	LOOP_SOME(base);
	CHECK(n == 1);
	CHECK(a.fd == -1 && a.ev_read == NULL);
	event_base_free(base);
}

int
main(void)
{
	log_init(1, 0, "msg_test");
	UNIT_RUN(test_fd_passing);
	UNIT_RUN(test_msg_get);
	UNIT_RUN(test_queueing);
	UNIT_RUN(test_garbage);
	UNIT_RUN(test_send_fail);
	UNIT_RUN(test_clear_in_closed);
	return (UNIT_END("msg"));
}
