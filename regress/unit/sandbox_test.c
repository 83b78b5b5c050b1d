/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Unit test for common/sandbox.c: a forked child drops privileges into
 * an empty directory, installs a role's filter, checks that what the
 * role needs still works (event loop, channels, rings, its ioctls), and
 * then makes a forbidden call: it must die of SIGSYS, or get EPERM in
 * -DTGT_SANITIZE builds.  Needs root; skipped otherwise.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/fs.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <liburing.h>

#include "../../tgt-lun/backend.h"
#include "log.h"
#include "msg.h"
#include "ring.h"
#include "sandbox.h"
#include "unit.h"

/* What the child found, sent to the parent before the forbidden call. */
struct report {
	int	 uid;
	int	 euid;
	int	 seccomp;	/* Seccomp: field of /proc/self/status */
	int	 nnp;		/* NoNewPrivs: field */
	int	 evloop;	/* event loop and channel work */
	int	 ring;		/* ring attach, push, doorbell work */
	int	 role_ok;	/* the role's own calls work */
	int	 socket_errno;	/* socket() must fail with EACCES */
	int	 isatty_ok;	/* isatty() survives, says no */
	int	 glfs_ok;	/* glfs LUN: threads, TCP sockets, no open */
};

/* What the child needs opened before the sandbox. */
struct pre {
	char		 dir[64];
	int		 statusfd;
	int		 sv[2];
	int		 pipefd[2];
	int		 filefd;
	struct ring_geom g;
	int		 memfd, sq_efd, cq_efd;
	int		 uring_fd;	/* -1: not the io_uring LUN */
};

static int
status_field(int fd, const char *name)
{
	char	 buf[4096], *p;
	ssize_t	 n;

	/* not pread(): the portal may not use it */
	if (lseek(fd, 0, SEEK_SET) == -1 ||
	    (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
		return (-1);
	buf[n] = '\0';
	if ((p = strstr(buf, name)) == NULL)
		return (-1);
	return (atoi(p + strlen(name)));
}

static void
nop_dispatch(struct msgchan *ch, struct msg *m, void *arg)
{
	msg_free(m);
}

static void
nop_closed(struct msgchan *ch, void *arg)
{
}

static int
check_evloop(struct pre *pre)
{
	struct event_base	*base;
	struct msgchan		 ch;
	struct msg		 m;
	int			 ok;

	if ((base = event_base_new()) == NULL)
		return (0);
	if (msgchan_init(&ch, base, pre->sv[0], nop_dispatch, nop_closed,
	    NULL) == -1)
		return (0);
	if (msgchan_send(&ch, 1, 2, NULL, 0, "x", 1) == -1)
		return (0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ok = msg_recv_fd(pre->sv[1], &m) == 1 && m.hdr.type == 1;
	msg_free(&m);
	msgchan_clear(&ch);
	event_base_free(base);
	return (ok);
}

static int
check_ring(struct pre *pre)
{
	struct ring	 r;
	struct ring_sqe	 sqe;
	uint64_t	 v = 0;

	if (ring_attach(&r, &pre->g, pre->memfd, pre->sq_efd,
	    pre->cq_efd) == -1)
		return (0);
	memset(&sqe, 0, sizeof(sqe));
	r.data[0] = 1;
	if (ring_sq_push(&r, &sqe) == -1)
		return (0);
	/* setting O_NONBLOCK stays allowed */
	if (fcntl(r.sq_efd, F_SETFL, fcntl(r.sq_efd, F_GETFL) |
	    O_NONBLOCK) == -1)
		return (0);
	ring_sq_commit(&r);
	if (read(r.sq_efd, &v, sizeof(v)) != sizeof(v) || v != 1)
		return (0);
	ring_detach(&r);
	return (1);
}

static int
check_portal(struct pre *pre)
{
	int	 n = -1;

	if (write(pre->pipefd[1], "abc", 3) != 3)
		return (0);
	return (ioctl(pre->pipefd[0], FIONREAD, &n) == 0 && n == 3);
}

static int
check_lun(struct pre *pre)
{
	char	 buf[8];
	int	 ssz;

	if (pwrite(pre->filefd, "data", 4, 4096) != 4 ||
	    pread(pre->filefd, buf, 4, 4096) != 4 ||
	    memcmp(buf, "data", 4) != 0 || fdatasync(pre->filefd) == -1)
		return (0);
	/* allowed ioctl: the kernel answers, no kill */
	return (ioctl(pre->filefd, BLKSSZGET, &ssz) == -1 &&
	    errno == ENOTTY);
}

/* The io_uring LUN may put a ring data area in its buffer table. */
static int
check_uring(struct pre *pre)
{
	static char			 buf[4096];
	struct iovec			 iov;
	struct io_uring_rsrc_update2	 up;
	__u64				 tag = 0;

	memset(&up, 0, sizeof(up));
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	up.data = (__u64)(uintptr_t)&iov;
	up.tags = (__u64)(uintptr_t)&tag;
	up.nr = 1;
	return (io_uring_register(pre->uring_fd,
	    IORING_REGISTER_BUFFERS_UPDATE, &up, sizeof(up)) == 1);
}

/* Which forbidden call the child makes last. */
static void *
thread_main(void *arg)
{
	return (arg);
}

/*
 * A glfs LUN: threads start and end, TCP sockets can be made, AF_UNIX
 * ones and open() fail with EACCES (gfapi goes on without).
 */
static int
check_glfs(void)
{
	pthread_t	 t;
	void		*r = NULL;
	int		 s, token;

	if (pthread_create(&t, NULL, thread_main, &token) != 0 ||
	    pthread_join(t, &r) != 0 || r != &token)
		return (0);
	if ((s = socket(AF_INET6, SOCK_STREAM, 0)) == -1)
		return (0);
	close(s);
	if (socket(AF_UNIX, SOCK_STREAM, 0) != -1 || errno != EACCES)
		return (0);
	return (open("/etc/passwd", O_RDONLY) == -1 && errno == EACCES);
}

#define FORBID_ROLE	0	/* open() for a portal, FIONREAD for a lun,
				 * a new process for a glfs LUN */
#define FORBID_BLOCKING	1	/* clearing O_NONBLOCK on a doorbell */
#define FORBID_SETUP	2	/* io_uring_setup(2) */
#define FORBID_REGISTER	3	/* other io_uring_register(2) */

static void
forbidden(int role, int which, struct pre *pre)
{
	int	 n;

	struct io_uring_params	p;

	if (which == FORBID_BLOCKING)
		(void)fcntl(pre->sq_efd, F_SETFL, 0);
	else if (which == FORBID_SETUP) {
		/* syscall(2): liburing's wrappers do not set errno */
		memset(&p, 0, sizeof(p));
		(void)syscall(__NR_io_uring_setup, 4, &p);
	} else if (which == FORBID_REGISTER)
		(void)syscall(__NR_io_uring_register, pre->uring_fd,
		    IORING_REGISTER_PERSONALITY, NULL, 0);
	else if (role == SANDBOX_PORTAL)
		(void)open("/etc/passwd", O_RDONLY);
	else if (role == SANDBOX_LUN_GLFS)
		/* clone(2) without CLONE_THREAD: fork */
		(void)syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
	else
		(void)ioctl(pre->filefd, FIONREAD, &n);	/* portal's only */
}

/* The filter compiled before the fork, or NULL: compiled in the child. */
static struct sandbox_prog	*compiled;

static void __attribute__((noreturn))
child(int role, int which, struct pre *pre, int wfd)
{
	struct report	 rep;
	char		 e;

	log_init(1, 0, "sandbox_test");
	/* opened here: a descriptor of the parent would show the parent */
	if ((pre->statusfd = open("/proc/self/status", O_RDONLY)) == -1)
		_exit(3);
	if (pre->uring_fd != -1) {
		/* as tgt-lun -b io_uring: the ring before the drop */
		if ((pre->uring_fd = io_uring_prepare(&e, 1)) == -1)
			_exit(4);
		sandbox_drop("nobody", pre->dir);
		sandbox_seccomp_io_uring(role, pre->uring_fd);
	} else if (compiled != NULL) {
		/* as a LUN process of tgt-lun's launcher */
		sandbox_drop("nobody", pre->dir);
		sandbox_seccomp_prog(compiled);
	} else {
		sandbox_drop("nobody", pre->dir);
		sandbox_seccomp(role);
	}

	memset(&rep, 0, sizeof(rep));
	rep.uid = getuid();
	rep.euid = geteuid();
	rep.seccomp = status_field(pre->statusfd, "Seccomp:");
	rep.nnp = status_field(pre->statusfd, "NoNewPrivs:");
	rep.evloop = check_evloop(pre);
	rep.ring = check_ring(pre);
	rep.role_ok = role == SANDBOX_PORTAL ? check_portal(pre) :
	    check_lun(pre) && (pre->uring_fd == -1 || check_uring(pre));
	rep.glfs_ok = role != SANDBOX_LUN_GLFS || check_glfs();
	rep.socket_errno = role == SANDBOX_LUN_GLFS ? EACCES :
	    socket(AF_INET, SOCK_STREAM, 0) == -1 ? errno : 0;
	rep.isatty_ok = isatty(pre->pipefd[0]) == 0;
	if (write(wfd, &rep, sizeof(rep)) != sizeof(rep))
		_exit(2);

	errno = 0;
	forbidden(role, which, pre);
	e = errno;			/* only reached with TGT_SANITIZE */
	(void)!write(wfd, &e, 1);
	_exit(0);
}

static int
pre_open(struct pre *pre)
{
	char	 tmpl[] = "/tmp/sandbox_test.file.XXXXXX";

	memset(pre, 0, sizeof(*pre));
	strlcpy(pre->dir, "/tmp/sandbox_test.XXXXXX", sizeof(pre->dir));
	if (mkdtemp(pre->dir) == NULL)
		return (-1);
	pre->statusfd = -1;
	pre->uring_fd = -1;
	if (msg_socketpair(pre->sv) == -1 || pipe(pre->pipefd) == -1 ||
	    (pre->filefd = mkstemp(tmpl)) == -1)
		return (-1);
	unlink(tmpl);
	if (ring_geom_init(&pre->g, 8, 65536, 4096) == -1 ||
	    ring_create(&pre->g, &pre->memfd, &pre->sq_efd,
	    &pre->cq_efd) == -1)
		return (-1);
	return (0);
}

static void
pre_close(struct pre *pre)
{
	close(pre->sv[0]);
	close(pre->sv[1]);
	close(pre->pipefd[0]);
	close(pre->pipefd[1]);
	close(pre->filefd);
	close(pre->memfd);
	close(pre->sq_efd);
	close(pre->cq_efd);
	rmdir(pre->dir);
}

static void
run_role_uring(int role, int which, int uring)
{
	struct pre	 pre;
	struct report	 rep;
	int		 p[2], status;
	char		 e;
	ssize_t		 n;
	pid_t		 pid;

	REQUIRE(pre_open(&pre) == 0);
	if (uring)
		pre.uring_fd = 0;	/* the child makes it */
	REQUIRE(pipe(p) == 0);
	fflush(stdout);
	REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		close(p[0]);
		child(role, which, &pre, p[1]);
	}
	close(p[1]);
	memset(&rep, 0, sizeof(rep));
	n = read(p[0], &rep, sizeof(rep));
	CHECK(n == sizeof(rep));
	CHECK(rep.uid != 0 && rep.euid != 0);
	CHECK(rep.seccomp == 2);
	CHECK(rep.nnp == 1);
	CHECK(rep.evloop == 1);
	CHECK(rep.ring == 1);
	CHECK(rep.role_ok == 1);
	CHECK(rep.socket_errno == EACCES);
	CHECK(rep.isatty_ok == 1);
	CHECK(rep.glfs_ok == 1);
	n = read(p[0], &e, 1);
	REQUIRE(waitpid(pid, &status, 0) == pid);
#ifdef TGT_SANITIZE
	CHECK(n == 1 && e == EPERM);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
#else
	CHECK(n == 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS);
#endif
	close(p[0]);
	pre_close(&pre);
}

static void
run_role(int role, int which)
{
	run_role_uring(role, which, 0);
}

static void
test_portal(void)
{
	run_role(SANDBOX_PORTAL, FORBID_ROLE);
}

static void
test_lun(void)
{
	run_role(SANDBOX_LUN, FORBID_ROLE);
}

/* Neither peer may make a shared doorbell blocking. */
static void
test_nonblock_kept(void)
{
	run_role(SANDBOX_PORTAL, FORBID_BLOCKING);
	run_role(SANDBOX_LUN, FORBID_BLOCKING);
}

/*
 * The filter compiled once and loaded by a forked process (tgt-lun's
 * launcher) allows and forbids the same as the one compiled in place.
 */
static void
test_compiled(void)
{
	int	 roles[2] = { SANDBOX_LUN, SANDBOX_PORTAL }, i;

	for (i = 0; i < 2; i++) {
		compiled = sandbox_seccomp_compile(roles[i]);
		REQUIRE(compiled != NULL && compiled->fprog.len > 0);
		run_role(roles[i], FORBID_ROLE);
		run_role(roles[i], FORBID_BLOCKING);
		run_role(roles[i], FORBID_SETUP);
		free(compiled->insns);
		free(compiled);
		compiled = NULL;
	}
}

/*
 * io_uring: only a LUN whose backend is io_uring may enter its ring; no
 * process may make a ring (an unrestricted one would escape seccomp),
 * nor register anything but a buffer update.
 */
static void
test_io_uring(void)
{
	run_role(SANDBOX_LUN, FORBID_SETUP);
	run_role(SANDBOX_PORTAL, FORBID_SETUP);
	run_role_uring(SANDBOX_LUN, FORBID_ROLE, 1);
	run_role_uring(SANDBOX_LUN, FORBID_SETUP, 1);
	run_role_uring(SANDBOX_LUN, FORBID_REGISTER, 1);
}

/*
 * glfs: the LUN's calls and gfapi's (threads, TCP sockets) work, open()
 * fails without killing, a new process kills.
 */
static void
test_glfs(void)
{
	run_role(SANDBOX_LUN_GLFS, FORBID_ROLE);
	run_role(SANDBOX_LUN_GLFS, FORBID_BLOCKING);
	run_role(SANDBOX_LUN_GLFS, FORBID_SETUP);
}

int
main(void)
{
	if (geteuid() != 0) {
		printf("unit sandbox: skipped, needs root\n");
		return (0);
	}
	UNIT_RUN(test_portal);
	UNIT_RUN(test_lun);
	UNIT_RUN(test_nonblock_kept);
	UNIT_RUN(test_io_uring);
	UNIT_RUN(test_glfs);
	UNIT_RUN(test_compiled);
	return (UNIT_END("sandbox"));
}
