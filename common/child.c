/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 */

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "proto.h"

extern char	**environ;

static void __attribute__((noreturn))
child_usage(const char *role)
{
	fprintf(stderr, "usage: %s [-dRv] [-b backend] [-S device] -u user "
	    "-c chroot -n instance\n", role);
	if (strcmp(role, "tgt-lun") == 0)
		fprintf(stderr, "       %s -L [-dv] -n instance\n", role);
	exit(1);
}

void
child_start(int argc, char *argv[], const char *role, struct child_opts *o)
{
	int	 ch;

	memset(o, 0, sizeof(*o));
	setproctitle_init(argc, argv, environ);	/* copies argv first */
	while ((ch = getopt(argc, argv, "b:dLRS:vu:c:n:")) != -1) {
		switch (ch) {
		case 'b':
			o->backend = optarg;
			break;
		case 'S':
			o->device = optarg;
			break;
		case 'd':
			o->debug = 1;
			break;
		case 'L':
			if (strcmp(role, "tgt-lun") != 0)
				child_usage(role);
			o->launcher = 1;
			break;
		case 'R':
			o->rdma = 1;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'c':
			o->chroot = optarg;
			break;
		case 'n':
			o->instance = optarg;
			break;
		default:
			child_usage(role);
		}
	}
	if (argc != optind || o->instance == NULL || (!o->launcher &&
	    (o->user == NULL || o->chroot == NULL)))
		child_usage(role);

	log_init(o->debug, o->verbose, role);
	log_setrole(role, o->instance);
	setproctitle("%s", o->instance);
	if (fcntl(TGT_CHILD_FD, F_GETFD) == -1)
		fatalx("no master channel on fd %d", TGT_CHILD_FD);
	signal(SIGPIPE, SIG_IGN);
}
