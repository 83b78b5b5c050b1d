/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Privilege drop and seccomp allow-lists for the children, see sandbox.h.
 *
 * A child may only use descriptors it was given: no open, socket,
 * connect, exec, clone or ptrace.  socket() and connect() fail with
 * EACCES instead of killing, so that syslog(3) trying to reconnect after
 * a syslogd restart does not take the process down; ioctl(TCGETS) fails
 * with ENOTTY for isatty(3).  Anything else outside the lists kills the
 * process (fails with EPERM in -DTGT_SANITIZE builds, so that the
 * sanitizer runtimes can still report and exit).
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <linux/fs.h>
#include <linux/io_uring.h>
#include <rdma/rdma_user_ioctl_cmds.h>

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <pwd.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"

#ifdef TGT_SANITIZE
#define SANDBOX_DEFAULT	SCMP_ACT_ERRNO(EPERM)
#else
#define SANDBOX_DEFAULT	SCMP_ACT_KILL_PROCESS
#endif

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* ioctl commands are 32 bits: ignore whatever the upper half holds. */
#define IOCTL_IS(cmd)	SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, (cmd))

static const char *const sandbox_common[] = {
	"read", "write", "readv", "writev", "close", "fstat", "lseek",
	"mremap", "madvise", "munmap", "brk",
	"epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
	"poll", "ppoll", "select", "pselect6",
	"gettimeofday", "clock_gettime", "clock_nanosleep", "nanosleep",
	"getpid", "gettid", "getppid", "getuid", "geteuid", "getgid",
	"getegid", "getrandom", "uname", "sysinfo",
	"exit", "exit_group", "rt_sigreturn", "rt_sigaction",
	"rt_sigprocmask", "restart_syscall", "sched_yield", "futex",
	"sendmsg", "recvmsg", "sendto", "recvfrom",
	"getsockopt", "setsockopt", "dup", "dup2", "dup3", "pipe2",
	"eventfd2", "timerfd_create", "timerfd_settime", "timerfd_gettime",
	NULL
};

static const char *const sandbox_portal[] = {
	"accept", "accept4", "getsockname", "getpeername", "shutdown",
	NULL
};

static const char *const sandbox_lun[] = {
	"pread64", "pwrite64", "preadv", "pwritev", "preadv2", "pwritev2",
	"fsync", "fdatasync", "sync_file_range", "fallocate", "ftruncate",
	"io_setup", "io_destroy", "io_submit", "io_getevents",
	"io_pgetevents", "io_cancel",
	NULL
};

#ifdef TGT_SANITIZE
/*
 * LeakSanitizer cannot work in an empty chroot (it needs /proc and
 * ptrace), and would turn every exit into a failure.  Check for leaks
 * once before the chroot, which also disables the check at exit.
 */
void	 __lsan_do_leak_check(void) __attribute__((weak));

/* What ASan and UBSan use while reporting and at exit. */
static const char *const sandbox_san[] = {
	"mmap", "mprotect", "sigaltstack", "tgkill", "prctl",
	"sched_getaffinity", "getrlimit", "prlimit64",
	NULL
};
#endif

/*
 * A LUN whose store is a cluster's (backend rbd or glfs): the client
 * library runs threads of its own (clone with CLONE_THREAD only, so no
 * new process), talks TCP to the cluster it was given, names its threads
 * and counts the CPUs.  open(2) and openat(2) fail with EACCES (librados
 * and gfapi read /proc and /sys for thread names, the CPU count and a
 * reconnection's local port, and go on without); no exec, no other
 * socket family.  sandbox_net_args has the rules with arguments.
 *
 * librados and librbd also set their threads' scheduling and affinity,
 * wait on futexes with membarrier, and lock a few pages.
 */
static const char *const sandbox_lun_rbd[] = {
	"set_robust_list", "rseq", "membarrier",
	"epoll_create",
	"connect", "getsockname", "getpeername", "shutdown", "bind",
	"sched_getaffinity", "sched_setaffinity", "getrlimit", "prlimit64",
	"sched_getparam", "sched_getscheduler", "sched_setscheduler",
	"getcpu", "mlock", "munlock", "tgkill", "sigaltstack",
	NULL
};

/* gfapi reconnects to glusterd and the bricks and reads its groups. */
static const char *const sandbox_lun_glfs[] = {
	"set_robust_list", "rseq", "getgroups", "bind", "getsockname",
	"getpeername", "shutdown", "connect",
	NULL
};

static const unsigned long sandbox_lun_ioctls[] = {
	BLKGETSIZE64, BLKSSZGET, BLKPBSZGET, BLKDISCARD, BLKZEROOUT,
	BLKFLSBUF, BLKROGET
};

/*
 * Drop to user in the chroot dir.  With open_fn (an iSER portal), the
 * RDMA devices are opened in between, by the final user: the kernel's
 * rdma_cm and uverbs devices refuse write(2) from a process whose
 * credentials changed since it opened them (so does sg, for a
 * passthrough LUN).  So the user and groups change first (plus xgid,
 * the device's group), keeping CAP_SYS_CHROOT alone; open_fn runs;
 * chroot then changes no credentials.  The capability stays, but unusable: the
 * seccomp filter that follows has no chroot(2).  Locked memory becomes
 * unlimited first, for the memory regions the verbs pin.
 */
static void
sandbox_drop_open(const char *user, const char *dir, int (*open_fn)(void),
    gid_t xgid, int memlock)
{
	struct __user_cap_header_struct	 ch;
	struct __user_cap_data_struct	 cd[2];
	struct rlimit			 rl = { RLIM_INFINITY, RLIM_INFINITY };
	struct passwd	*pw;
	uid_t		 uid;
	gid_t		 gid, groups[2];
	int		 ngroups = 1;

	if ((pw = getpwnam(user)) == NULL)
		fatalx("unknown user %s", user);
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (uid == 0)
		fatalx("refusing to run as root (user %s)", user);
#ifdef TGT_SANITIZE
	if (__lsan_do_leak_check != NULL)
		__lsan_do_leak_check();
#endif
	if (open_fn != NULL) {
		/* the verbs' memory regions (not the sg device's) */
		if (memlock && setrlimit(RLIMIT_MEMLOCK, &rl) == -1)
			fatal("setrlimit RLIMIT_MEMLOCK");
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1)
			fatal("prctl PR_SET_KEEPCAPS");
	} else {
		if (chroot(dir) == -1)
			fatal("chroot %s", dir);
		if (chdir("/") == -1)
			fatal("chdir /");
	}
	groups[0] = gid;
	if (xgid != (gid_t)-1 && xgid != gid)
		groups[ngroups++] = xgid;
	if (setgroups(ngroups, groups) == -1)
		fatal("setgroups");
	if (setresgid(gid, gid, gid) == -1)
		fatal("setresgid");
	if (setresuid(uid, uid, uid) == -1)
		fatal("setresuid");
	if (open_fn != NULL) {
		memset(&ch, 0, sizeof(ch));
		memset(cd, 0, sizeof(cd));
		ch.version = _LINUX_CAPABILITY_VERSION_3;
		cd[0].effective = cd[0].permitted = 1u << CAP_SYS_CHROOT;
		if (syscall(SYS_capset, &ch, cd) == -1)
			fatal("capset");
		if (open_fn() == -1)
			fatalx("cannot open what the sandbox would keep out");
		if (chroot(dir) == -1)
			fatal("chroot %s", dir);
		if (chdir("/") == -1)
			fatal("chdir /");
	}
	if (setuid(0) != -1 || seteuid(0) != -1)
		fatalx("could regain root after dropping privileges");
	if (getuid() != uid || geteuid() != uid || getgid() != gid ||
	    getegid() != gid)
		fatalx("privileges not dropped");
}

void
sandbox_drop(const char *user, const char *dir)
{
	sandbox_drop_open(user, dir, NULL, (gid_t)-1, 0);
}

void
sandbox_drop_rdma(const char *user, const char *dir, int (*open_fn)(void))
{
	sandbox_drop_open(user, dir, open_fn, (gid_t)-1, 1);
}

/*
 * A passthrough LUN: open_fn opens the sg device as the final user, in
 * the device node's group (devgid, added to the process's groups).
 * Linux's sg refuses read(2) and write(2) to a process whose
 * credentials are not those of the opener, so the master cannot open it
 * for the LUN, nor can the LUN open it before it drops root.  Nothing
 * more is kept: sg filters the opcodes only on a read-only descriptor.
 */
void
sandbox_drop_sg(const char *user, const char *dir, int (*open_fn)(void),
    gid_t devgid)
{
	sandbox_drop_open(user, dir, open_fn, devgid, 0);
}

void
sandbox_drop_net(const char *user, const char *dir, int (*connect_fn)(void))
{
	sandbox_drop_open(user, dir, connect_fn, (gid_t)-1, 0);
}

static void
sandbox_rule(scmp_filter_ctx ctx, uint32_t action, const char *name,
    unsigned int argc, const struct scmp_arg_cmp *argv)
{
	int	 nr, rv;

	if ((nr = seccomp_syscall_resolve_name(name)) == __NR_SCMP_ERROR) {
		log_debug("seccomp: no syscall %s here", name);
		return;
	}
	if ((rv = seccomp_rule_add_array(ctx, action, nr, argc, argv)) < 0) {
		errno = -rv;
		fatal("seccomp rule for %s", name);
	}
}

static void
sandbox_allow(scmp_filter_ctx ctx, const char *const *names)
{
	for (; *names != NULL; names++)
		sandbox_rule(ctx, SCMP_ACT_ALLOW, *names, 0, NULL);
}

static void
sandbox_allow_arg(scmp_filter_ctx ctx, const char *name,
    struct scmp_arg_cmp cmp)
{
	sandbox_rule(ctx, SCMP_ACT_ALLOW, name, 1, &cmp);
}

/*
 * fcntl(2): the ring doorbells are eventfds whose open file description
 * both peers share, so a peer that could clear O_NONBLOCK on it could make
 * the other side's read or write block forever.  Nobody may clear it:
 * F_SETFL is allowed only with O_NONBLOCK set.
 */
static void
sandbox_fcntl(scmp_filter_ctx ctx)
{
	static const int	 cmds[] = {
		F_GETFD, F_SETFD, F_GETFL, F_DUPFD_CLOEXEC, F_GET_SEALS
	};
	struct scmp_arg_cmp	 setfl[2] = {
		SCMP_A1(SCMP_CMP_EQ, F_SETFL),
		SCMP_A2(SCMP_CMP_MASKED_EQ, O_NONBLOCK, O_NONBLOCK)
	};
	size_t			 i;

	for (i = 0; i < NITEMS(cmds); i++)
		sandbox_allow_arg(ctx, "fcntl", SCMP_A1(SCMP_CMP_EQ,
		    (scmp_datum_t)cmds[i]));
	sandbox_rule(ctx, SCMP_ACT_ALLOW, "fcntl", 2, setfl);
}

/* Rules with argument checks, for every role. */
static void
sandbox_common_args(scmp_filter_ctx ctx, int role)
{
	struct scmp_arg_cmp	 tcgets = IOCTL_IS(TCGETS);

	/* fstat(2) is newfstatat(fd, "", AT_EMPTY_PATH) in glibc */
	sandbox_allow_arg(ctx, "newfstatat", SCMP_A3(SCMP_CMP_MASKED_EQ,
	    AT_EMPTY_PATH, AT_EMPTY_PATH));
#ifndef TGT_SANITIZE
	/* no new executable memory */
	sandbox_allow_arg(ctx, "mmap", SCMP_A2(SCMP_CMP_MASKED_EQ,
	    PROT_EXEC, 0));
	sandbox_allow_arg(ctx, "mprotect", SCMP_A2(SCMP_CMP_MASKED_EQ,
	    PROT_EXEC, 0));
#endif
	sandbox_fcntl(ctx);
	sandbox_rule(ctx, SCMP_ACT_ERRNO(ENOTTY), "ioctl", 1, &tcgets);
	if (role == SANDBOX_LUN_RBD || role == SANDBOX_LUN_GLFS)
		return;			/* sandbox_net_args */
	sandbox_rule(ctx, SCMP_ACT_ERRNO(EACCES), "socket", 0, NULL);
	sandbox_rule(ctx, SCMP_ACT_ERRNO(EACCES), "connect", 0, NULL);
}

/* A cluster client's threads and sockets (see sandbox_lun_rbd). */
static void
sandbox_net_args(scmp_filter_ctx ctx, int role)
{
	static const int	 families[] = { AF_INET, AF_INET6 };
	struct scmp_arg_cmp	 afunix;
	size_t			 i;

	sandbox_allow(ctx, role == SANDBOX_LUN_RBD ? sandbox_lun_rbd :
	    sandbox_lun_glfs);
	sandbox_allow_arg(ctx, "clone", SCMP_A0(SCMP_CMP_MASKED_EQ,
	    CLONE_THREAD, CLONE_THREAD));
	/* clone3's flags are out of the filter's reach: glibc falls back */
	sandbox_rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL);
	for (i = 0; i < NITEMS(families); i++)
		sandbox_allow_arg(ctx, "socket", SCMP_A0(SCMP_CMP_EQ,
		    (scmp_datum_t)families[i]));
	/* syslog(3)'s AF_UNIX socket fails, as for the other roles */
	afunix = SCMP_A0(SCMP_CMP_EQ, AF_UNIX);
	sandbox_rule(ctx, SCMP_ACT_ERRNO(EACCES), "socket", 1, &afunix);
	sandbox_rule(ctx, SCMP_ACT_ERRNO(EACCES), "open", 0, NULL);
	sandbox_rule(ctx, SCMP_ACT_ERRNO(EACCES), "openat", 0, NULL);
#ifndef TGT_SANITIZE
	/* (the sanitizers' list has both unconditionally) */
	sandbox_allow_arg(ctx, "prctl", SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME));
	sandbox_allow_arg(ctx, "prctl", SCMP_A0(SCMP_CMP_EQ, PR_GET_NAME));
	/* gfapi's io-threads count the CPUs when they add a worker */
	sandbox_rule(ctx, SCMP_ACT_ALLOW, "sched_getaffinity", 0, NULL);
#endif
}

static void
sandbox_lun_args(scmp_filter_ctx ctx)
{
	size_t	 i;

	for (i = 0; i < NITEMS(sandbox_lun_ioctls); i++)
		sandbox_allow_arg(ctx, "ioctl",
		    IOCTL_IS(sandbox_lun_ioctls[i]));
}

/*
 * io_uring: the ring's operations are checked by the ring's own
 * restrictions (IORING_REGISTER_RESTRICTIONS), not by seccomp, so only
 * the one ring tgt-lun restricted may be entered, and only its buffer
 * table may be updated (a new ring portal data area).
 */
static void
sandbox_io_uring(scmp_filter_ctx ctx, int ring_fd)
{
	struct scmp_arg_cmp	 reg[2] = {
		SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)ring_fd),
		SCMP_A1(SCMP_CMP_EQ, IORING_REGISTER_BUFFERS_UPDATE)
	};

	sandbox_allow_arg(ctx, "io_uring_enter", SCMP_A0(SCMP_CMP_EQ,
	    (scmp_datum_t)ring_fd));
	sandbox_rule(ctx, SCMP_ACT_ALLOW, "io_uring_register", 2, reg);
}

void
sandbox_seccomp(int role)
{
	sandbox_seccomp_io_uring(role, -1);
}

/* The allow-list of a role as a libseccomp filter, not loaded yet. */
static scmp_filter_ctx
sandbox_filter(int role, int ring_fd)
{
	scmp_filter_ctx	 ctx;
	int		 rv;

	if (role != SANDBOX_PORTAL && role != SANDBOX_LUN &&
	    role != SANDBOX_PORTAL_RDMA && role != SANDBOX_LUN_RBD &&
	    role != SANDBOX_LUN_GLFS)
		fatalx("sandbox: unknown role %d", role);
	if ((ctx = seccomp_init(SANDBOX_DEFAULT)) == NULL)
		fatalx("seccomp_init failed");
	sandbox_allow(ctx, sandbox_common);
	sandbox_common_args(ctx, role);
#ifdef TGT_SANITIZE
	sandbox_allow(ctx, sandbox_san);
#endif
	if (role == SANDBOX_PORTAL || role == SANDBOX_PORTAL_RDMA) {
		sandbox_allow(ctx, sandbox_portal);
		sandbox_allow_arg(ctx, "ioctl", IOCTL_IS(FIONREAD));
	}
	if (role == SANDBOX_PORTAL_RDMA) {
		/*
		 * libibverbs talks to the kernel's uverbs device (opened
		 * before the chroot) with write(2) and this one ioctl, and
		 * maps its queues with mmap(2) (allowed above, not
		 * executable); librdmacm writes to its CM channel.
		 */
		sandbox_allow_arg(ctx, "ioctl", IOCTL_IS(RDMA_VERBS_IOCTL));
	} else if (role == SANDBOX_LUN || role == SANDBOX_LUN_RBD ||
	    role == SANDBOX_LUN_GLFS) {
		sandbox_allow(ctx, sandbox_lun);
		sandbox_lun_args(ctx);
		if (ring_fd >= 0)
			sandbox_io_uring(ctx, ring_fd);
	}
	if (role == SANDBOX_LUN_RBD || role == SANDBOX_LUN_GLFS) {
		sandbox_net_args(ctx, role);
		/* the library's threads may run already: they get it too */
		if ((rv = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC,
		    1)) < 0) {
			errno = -rv;
			fatal("seccomp thread sync");
		}
	}
	return (ctx);
}

void
sandbox_seccomp_io_uring(int role, int ring_fd)
{
	scmp_filter_ctx	 ctx;
	int		 rv;

	ctx = sandbox_filter(role, ring_fd);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("prctl PR_SET_NO_NEW_PRIVS");
	if ((rv = seccomp_load(ctx)) < 0) {
		errno = -rv;
		fatal("seccomp_load");
	}
	seccomp_release(ctx);
}

/*
 * libseccomp 2.5 exports a filter only to a descriptor: through a memfd
 * into memory, once; loading it later is two prctl(2) calls.
 */
struct sandbox_prog *
sandbox_seccomp_compile(int role)
{
	struct sandbox_prog	*sp;
	scmp_filter_ctx		 ctx;
	struct stat		 st;
	size_t			 n;
	int			 fd, rv;

	ctx = sandbox_filter(role, -1);
	if ((fd = memfd_create("tgt-seccomp", MFD_CLOEXEC)) == -1)
		fatal("memfd_create");
	if ((rv = seccomp_export_bpf(ctx, fd)) < 0) {
		errno = -rv;
		fatal("seccomp_export_bpf");
	}
	seccomp_release(ctx);
	if (fstat(fd, &st) == -1)
		fatal("fstat");
	n = st.st_size / sizeof(struct sock_filter);
	if (n == 0 || n > BPF_MAXINSNS ||
	    (size_t)st.st_size != n * sizeof(struct sock_filter))
		fatalx("seccomp filter of %lld bytes", (long long)st.st_size);
	if ((sp = malloc(sizeof(*sp))) == NULL ||
	    (sp->insns = calloc(n, sizeof(struct sock_filter))) == NULL)
		fatal("seccomp filter");
	if (pread(fd, sp->insns, st.st_size, 0) != st.st_size)
		fatal("seccomp filter");
	close(fd);
	sp->fprog.len = n;
	sp->fprog.filter = sp->insns;
	return (sp);
}

void
sandbox_seccomp_prog(const struct sandbox_prog *sp)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("prctl PR_SET_NO_NEW_PRIVS");
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &sp->fprog) == -1)
		fatal("prctl PR_SET_SECCOMP");
}
