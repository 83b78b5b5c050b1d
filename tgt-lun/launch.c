/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * tgt-lun -L: the launcher of the LUN processes.  tgt-master execs it
 * once, as root, and asks it for each LUN process (MSG_LAUNCH, with the
 * child's channel).  A fork of it is a tgt-lun that has already been
 * exec'd and linked, and whose seccomp filter has been compiled: with
 * a thousand LUNs that is most of the start-up time.  The child then
 * goes through the very start-up of an exec'd tgt-lun: chroot, drop to
 * the user, the filter, and only then its first message.
 *
 * The children are the master's (clone(2) with CLONE_PARENT): it reaps
 * them and restarts them as it does the exec'd ones.  The launcher keeps
 * nothing of a LUN: the channel it passes on is closed in it right after
 * the fork, and it is never given a backing store.  It reads only from
 * the master, and exits when the master goes away.
 */

#include <sys/prctl.h>
#include <sys/syscall.h>

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "lun.h"
#include "msg.h"
#include "proto.h"
#include "sandbox.h"

/* The child's arguments: its child_opts point into this. */
static struct msg_launch	 launch;

/* In the child: its channel on TGT_CHILD_FD, its name and options. */
static void
launched(struct msg *m, struct child_opts *o)
{
	if (dup2(m->fds[0], TGT_CHILD_FD) == -1)
		_exit(127);
	msg_free(m);
	if (prctl(PR_SET_NAME, "tgt-lun", 0, 0, 0) == -1)
		_exit(127);
	o->launcher = 0;
	o->instance = launch.instance;
	o->user = launch.user;
	o->chroot = launch.chroot;
	o->verbose = launch.verbose;
	o->backend = launch.io_uring ? "io_uring" : NULL;
	log_init(o->debug, o->verbose, "tgt-lun");
	log_setrole("tgt-lun", o->instance);
	setproctitle("%s", o->instance);
}

struct sandbox_prog *
launcher_run(struct child_opts *o)
{
	struct sandbox_prog	*sp;
	struct msg_launched	 d;
	struct msg		 m;
	pid_t			 pid;
	int			 r;

	sp = sandbox_seccomp_compile(SANDBOX_LUN);
	if (prctl(PR_SET_NAME, "tgt-launcher", 0, 0, 0) == -1)
		fatal("prctl PR_SET_NAME");
	setproctitle("launcher");
	log_setrole("tgt-launcher", NULL);
	for (;;) {
		if ((r = msg_recv_fd(TGT_CHILD_FD, &m)) <= 0) {
			if (r == -1)
				fatal("master channel");
			log_debug("master channel closed, exiting");
			exit(0);
		}
		/* the master is the only sender: anything else is a bug */
		if (m.hdr.type != MSG_LAUNCH || MSG_GET(&m, &launch) != 0 ||
		    m.nfds != 1)
			fatalx("malformed message type %u len %u from the "
			    "master", m.hdr.type, m.hdr.len);
		launch.instance[sizeof(launch.instance) - 1] = '\0';
		launch.user[sizeof(launch.user) - 1] = '\0';
		launch.chroot[sizeof(launch.chroot) - 1] = '\0';
		memset(&d, 0, sizeof(d));
		pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL,
		    NULL, 0);
		if (pid == 0) {
			launched(&m, o);
			return (sp);
		}
		if (pid == -1) {
			d.error = errno;
			log_warn("%s: clone", launch.instance);
		} else
			d.pid = pid;
		msg_free(&m);
		if (msg_send_fd(TGT_CHILD_FD, MSG_LAUNCHED, m.hdr.peerid, NULL,
		    0, &d, sizeof(d)) == -1)
			fatal("master channel");
	}
}
