/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * tgt-master: the only privileged process of the suite.  It parses
 * tgt.conf, binds the listeners, opens the backing stores, creates the
 * control socket, then fork+execs one tgt-portal per listener and one
 * tgt-lun per LUN and supervises them.
 */

#include <sys/resource.h>
#include <sys/types.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "master.h"

static struct master	 master;
static struct event	*ev_stop_timer;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: tgt-master [-dnv] [-f file]\n");
	exit(1);
}

/* Where tgt-portal and tgt-lun are: next to us, or $TGT_CHILD_DIR. */
static void
find_exedir(char *dir, size_t len)
{
	char		 self[PATH_MAX];
	const char	*env;
	ssize_t		 n;

	if ((env = getenv("TGT_CHILD_DIR")) != NULL && env[0] != '\0') {
		if (strlcpy(dir, env, len) >= len)
			errx(1, "TGT_CHILD_DIR too long");
		return;
	}
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) == -1)
		err(1, "readlink /proc/self/exe");
	self[n] = '\0';
	strlcpy(dir, dirname(self), len);
}

static void
check_child(const char *dir, const char *name)
{
	char	 path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (access(path, X_OK) == -1)
		err(1, "%s", path);
}

static void
stop_timeout(evutil_socket_t fd, short ev, void *arg)
{
	log_warnx("children did not exit in %d s, killing them",
	    MASTER_STOP_WAIT);
	proc_kill_all(&master, SIGKILL);
}

static void
shutdown_begin(void)
{
	struct timeval	 tv = { MASTER_STOP_WAIT, 0 };

	if (master.stopping)
		return;
	log_info("shutting down");
	master.stopping = 1;
	control_close(&master);
	master_stop_all(&master);
	if (TAILQ_EMPTY(&master.procs)) {
		event_base_loopexit(master.evb, NULL);
		return;
	}
	if ((ev_stop_timer = evtimer_new(master.evb, stop_timeout, NULL)) !=
	    NULL)
		evtimer_add(ev_stop_timer, &tv);
}

static void
on_signal(evutil_socket_t sig, short ev, void *arg)
{
	char	 errbuf[TGT_ERR_MAX];

	switch (sig) {
	case SIGCHLD:
		proc_reap(&master);
		break;
	case SIGHUP:
		if (!master.stopping)
			master_reload(&master, errbuf, sizeof(errbuf));
		break;
	case SIGTERM:
	case SIGINT:
		shutdown_begin();
		break;
	}
}

/*
 * A portal holds a descriptor per connection and three per LUN ring, the
 * master two or three per LUN: raise the soft limit on descriptors to
 * the hard one (at most TGT_NOFILE_MAX), for this process and the
 * children it starts, which inherit it.
 */
#define TGT_NOFILE_MAX	(1u << 20)

static void
raise_nofile(void)
{
	struct rlimit	rl;
	rlim_t		want;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("getrlimit");
		return;
	}
	want = rl.rlim_max;
	if (want == RLIM_INFINITY || want > TGT_NOFILE_MAX)
		want = TGT_NOFILE_MAX;
	if (rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("setrlimit");
}

int
main(int argc, char *argv[])
{
	const char	*file = CONF_DEF_FILE;
	struct tgt_conf	*conf;
	struct apply	 a;
	struct event	*evs[4];
	const int	 sigs[4] = { SIGCHLD, SIGHUP, SIGTERM, SIGINT };
	char		 errbuf[TGT_ERR_MAX * 4];
	int		 ch, debug = 0, noaction = 0, verbose = 0, i;

	setproctitle_init(argc, argv, environ);	/* copies argv first */
	while ((ch = getopt(argc, argv, "df:nv")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'f':
			file = optarg;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	log_init(1, verbose, "tgt-master");
	if ((conf = parse_config(file, noaction ? CONF_OPT_NOACTION : 0)) ==
	    NULL)
		exit(1);
	if (noaction) {
		if (verbose)
			conf_dump(conf, stdout);
		fprintf(stderr, "configuration OK\n");
		conf_free(conf);
		exit(0);
	}
	if (geteuid() != 0)
		errx(1, "need root privileges");

	raise_nofile();
	master_init(&master);
	master.debug = debug;
	master.verbose = verbose;
	/* reload re-reads the file after daemon() did chdir("/") */
	if (realpath(file, master.conffile) == NULL)
		err(1, "%s", file);
	setproctitle("master %s", master.conffile);
	find_exedir(master.exedir, sizeof(master.exedir));
	check_child(master.exedir, "tgt-portal");
	check_child(master.exedir, "tgt-lun");

	/* everything that can fail on a bad setup fails here, visibly */
	if (master_prepare(&master, conf, &a, errbuf, sizeof(errbuf)) == -1) {
		fprintf(stderr, "%s\n", errbuf);
		exit(1);
	}
	if (control_init(&master, conf->control) == -1)
		exit(1);

	if (!debug) {
		if (daemon(0, 0) == -1)
			err(1, "daemon");
		log_init(0, verbose, "tgt-master");
	}
	signal(SIGPIPE, SIG_IGN);

	if ((master.evb = event_base_new()) == NULL)
		fatalx("event_base_new");
	for (i = 0; i < 4; i++)
		if ((evs[i] = evsignal_new(master.evb, sigs[i], on_signal,
		    NULL)) == NULL || evsignal_add(evs[i], NULL) == -1)
			fatalx("signal event");
	if (control_listen(&master) == -1)
		exit(1);

	launcher_init(&master);
	master_commit(&master, &a);
	log_info("started, control socket %s", master.ctl_path);

	event_base_dispatch(master.evb);

	control_close(&master);
	master_free(&master);
	if (ev_stop_timer != NULL)
		event_free(ev_stop_timer);
	for (i = 0; i < 4; i++)
		event_free(evs[i]);
	event_base_free(master.evb);
	log_info("exiting");
	return (0);
}
