/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Start-up shared by the children tgt-master execs (tgt-portal, tgt-lun):
 * the command line "ROLE [-dRv] [-b backend] [-S device] -u user -c
 * chroot -n instance" or "tgt-lun -L [-dv] -n instance" (-b: tgt-lun's
 * backend, for what it must set up before its seccomp filter; -S: the
 * sg device a passthrough tgt-lun opens itself; -L: tgt-lun's launcher,
 * see tgt-lun/launch.c; -R: a portal opens its RDMA devices first),
 * logging
 * with the role and instance, and the process title.
 */

#ifndef TGT_CHILD_H
#define TGT_CHILD_H

struct child_opts {
	const char	*user;		/* -u: unprivileged user (not -L) */
	const char	*chroot;	/* -c: empty directory (not -L) */
	const char	*instance;	/* -n: "addr:port" or "iqn/lun" */
	int		 debug;		/* -d: log to stderr */
	int		 verbose;	/* -v, repeatable */
	const char	*backend;	/* -b: set up before the sandbox */
	int		 rdma;		/* -R: open RDMA devices (iSER) first */
	const char	*device;	/* -S: a passthrough LUN's sg device */
	int		 launcher;	/* -L: tgt-lun's launcher */
};

/*
 * Parse the command line (usage and exit 1 on error), start logging as
 * role[instance], set the process title, ignore SIGPIPE and check that
 * the master's channel is open on TGT_CHILD_FD.
 */
void	child_start(int argc, char *argv[], const char *role,
	    struct child_opts *);

#endif /* TGT_CHILD_H */
