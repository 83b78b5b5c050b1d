/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Sandboxing of the children: chroot to an empty directory, drop to the
 * unprivileged user, then a libseccomp allow-list per role.  Called at
 * start-up, before the child reads any message or any byte from the
 * network.  Any failure is fatal: a child never runs unsandboxed.
 */

#ifndef TGT_SANDBOX_H
#define TGT_SANDBOX_H

#include <sys/types.h>
#include <linux/filter.h>

#define SANDBOX_PORTAL	1
#define SANDBOX_LUN	2
#define SANDBOX_PORTAL_RDMA 3	/* a portal with iSER: plus the verbs' */
#define SANDBOX_LUN_RBD	4	/* a LUN with backend rbd: plus librados' */
#define SANDBOX_LUN_GLFS 5	/* a glfs LUN: plus gfapi's threads and
				 * TCP sockets */

/* getpwnam(user), chroot(dir), chdir("/"), setgroups, setresgid, setresuid. */
void	sandbox_drop(const char *user, const char *dir);
/*
 * The same for an iSER portal: the user changes first, open_fn opens the
 * RDMA devices as that user, then the chroot (sandbox.c says why).
 */
void	sandbox_drop_rdma(const char *user, const char *dir,
	    int (*open_fn)(void));
/*
 * The same for a passthrough LUN: open_fn opens its sg device as the
 * user, in the device's group devgid (sandbox.c says why).
 */
void	sandbox_drop_sg(const char *user, const char *dir,
	    int (*open_fn)(void), gid_t devgid);
/*
 * The same for a glfs LUN: connect_fn connects to the volume as the
 * final user before the chroot (gfapi loads its translators and resolves
 * names while it connects); its threads share the process's chroot.
 */
void	sandbox_drop_net(const char *user, const char *dir,
	    int (*connect_fn)(void));
/*
 * Install the seccomp filter for the role (no new privileges first), on
 * every thread of the process.
 */
void	sandbox_seccomp(int role);
/*
 * The same, for a LUN whose backend is io_uring: io_uring_enter(2) and
 * io_uring_register(2) (buffer updates only) are allowed on ring_fd, a
 * ring created and restricted before the filter; io_uring_setup(2) is
 * not, so no unrestricted ring can be made afterwards.
 */
void	sandbox_seccomp_io_uring(int role, int ring_fd);

/*
 * The filter of a role compiled once, for processes forked later that
 * each load it with sandbox_seccomp_prog() (tgt-lun's launcher): the
 * same filter as sandbox_seccomp(role), without compiling it again.
 */
struct sandbox_prog {
	struct sock_fprog	 fprog;
	struct sock_filter	*insns;
};
struct sandbox_prog	*sandbox_seccomp_compile(int role);
void	sandbox_seccomp_prog(const struct sandbox_prog *);

#endif /* TGT_SANDBOX_H */
