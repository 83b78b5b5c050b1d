/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Child processes: fork + exec of the sibling binaries with the channel
 * on fd 3, reaping, and restarting with a back-off when one keeps dying.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "master.h"

static void	 proc_closed(struct msgchan *, void *);
static void	 svc_restart_cb(evutil_socket_t, short, void *);
static void	 svc_schedule(struct svc *);
static void	 proc_free(struct proc *);

void
master_init(struct master *m)
{
	memset(m, 0, sizeof(*m));
	TAILQ_INIT(&m->portals);
	TAILQ_INIT(&m->targets);
	TAILQ_INIT(&m->procs);
	TAILQ_INIT(&m->ctl_conns);
	m->ctl_fd = -1;
	m->next_target_id = 1;
	m->next_lun_id = 1;
	m->next_ctl_id = 1;
}

const char *
role_name(int role)
{
	return (role == ROLE_PORTAL ? "tgt-portal" : "tgt-lun");
}

void
svc_init(struct svc *s, struct master *m, void *owner, int role,
    const char *instance, void (*start)(struct svc *))
{
	memset(s, 0, sizeof(*s));
	s->m = m;
	s->owner = owner;
	s->role = role;
	strlcpy(s->instance, instance, sizeof(s->instance));
	s->start = start;
}

int
svc_running(const struct svc *s)
{
	return (s->proc != NULL && s->proc->chan_up);
}

void
svc_stop(struct svc *s)
{
	if (s->ev_restart != NULL) {
		event_free(s->ev_restart);
		s->ev_restart = NULL;
	}
	if (s->proc != NULL)
		proc_release(s->proc, SIGTERM);
}

static double
elapsed(const struct timespec *since)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return ((now.tv_sec - since->tv_sec) +
	    (now.tv_nsec - since->tv_nsec) / 1e9);
}

static void
svc_schedule(struct svc *s)
{
	struct timeval	 tv;

	if (s->m->stopping)
		return;
	if (s->backoff == 0 || elapsed(&s->started) >= MASTER_BACKOFF_WINDOW)
		s->backoff = MASTER_BACKOFF_MIN;
	else if ((s->backoff *= 2) > MASTER_BACKOFF_MAX)
		s->backoff = MASTER_BACKOFF_MAX;
	if (s->ev_restart == NULL &&
	    (s->ev_restart = evtimer_new(s->m->evb, svc_restart_cb, s)) ==
	    NULL)
		fatal("evtimer_new");
	tv.tv_sec = s->backoff;
	tv.tv_usec = 0;
	evtimer_add(s->ev_restart, &tv);
	log_info("%s[%s]: restarting in %d s", role_name(s->role),
	    s->instance, s->backoff);
}

/* Start the process; if that fails (fork, fds), try again later. */
void
svc_start(struct svc *s)
{
	s->start(s);
	if (s->proc == NULL) {
		clock_gettime(CLOCK_MONOTONIC, &s->started);
		svc_schedule(s);
	}
}

static void
svc_restart_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct svc	*s = arg;

	if (s->proc != NULL || s->m->stopping)
		return;
	s->restarts++;
	svc_start(s);
}

int
proc_spawn(struct svc *s)
{
	struct master	*m = s->m;
	struct proc	*p;
	char		 path[PATH_MAX + 32];
	char		*argv[32];
	int		 argc = 0, i, sv[2], fl;
	pid_t		 pid;
	sigset_t	 set;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		log_warn("calloc");
		return (-1);
	}
	p->m = m;
	p->svc = s;
	p->role = s->role;
	strlcpy(p->instance, s->instance, sizeof(p->instance));

	snprintf(path, sizeof(path), "%s/%s", m->exedir, role_name(s->role));
	argv[argc++] = (char *)role_name(s->role);
	if (m->debug)
		argv[argc++] = "-d";
	for (i = 0; i < m->verbose && i < 4; i++)
		argv[argc++] = "-v";
	/*
	 * io_uring: the LUN makes its ring before its seccomp filter; rbd:
	 * its filter lets librados make threads and sockets.
	 */
	if (s->role == ROLE_LUN && ((struct mlun *)s->owner)->conf.backend ==
	    LUN_BACKEND_IO_URING) {
		argv[argc++] = "-b";
		argv[argc++] = "io_uring";
	} else if (s->role == ROLE_LUN &&
	    ((struct mlun *)s->owner)->conf.backend == LUN_BACKEND_RBD) {
		argv[argc++] = "-b";
		argv[argc++] = "rbd";
	}
	/* passthrough: the LUN opens its sg device itself */
	if (s->role == ROLE_LUN && ((struct mlun *)s->owner)->conf.type ==
	    LUN_TYPE_PASSTHROUGH) {
		argv[argc++] = "-S";
		argv[argc++] = ((struct mlun *)s->owner)->medium;
	}
	/* glfs: the LUN connects to the volume before its sandbox */
	if (s->role == ROLE_LUN && ((struct mlun *)s->owner)->conf.backend ==
	    LUN_BACKEND_GLFS) {
		argv[argc++] = "-b";
		argv[argc++] = "glfs";
	}
	if (s->rdma)
		argv[argc++] = "-R";
	argv[argc++] = "-u";
	argv[argc++] = m->conf->user;
	argv[argc++] = "-c";
	argv[argc++] = m->conf->chroot;
	argv[argc++] = "-n";
	argv[argc++] = p->instance;
	argv[argc] = NULL;

	if (msg_socketpair(sv) == -1) {
		log_warn("%s[%s]: socketpair", role_name(s->role),
		    s->instance);
		free(p);
		return (-1);
	}
	switch ((pid = fork())) {
	case -1:
		log_warn("%s[%s]: fork", role_name(s->role), s->instance);
		close(sv[0]);
		close(sv[1]);
		free(p);
		return (-1);
	case 0:
		/* child: the channel on fd 3, everything else closes on exec */
		if (sv[1] == TGT_CHILD_FD) {
			if ((fl = fcntl(sv[1], F_GETFD)) == -1 ||
			    fcntl(sv[1], F_SETFD, fl & ~FD_CLOEXEC) == -1)
				_exit(127);
		} else if (dup2(sv[1], TGT_CHILD_FD) == -1)
			_exit(127);
		sigemptyset(&set);
		sigprocmask(SIG_SETMASK, &set, NULL);
		execv(path, argv);
		dprintf(STDERR_FILENO, "tgt-master: exec %s: %s\n", path,
		    strerror(errno));
		_exit(127);
	}
	close(sv[1]);
	p->pid = pid;
	TAILQ_INSERT_TAIL(&m->procs, p, entry);
	if (msgchan_init(&p->chan, m->evb, sv[0],
	    s->role == ROLE_PORTAL ? portal_dispatch : lun_dispatch,
	    proc_closed, p) == -1) {
		log_warn("%s[%s]: channel", role_name(s->role), s->instance);
		close(sv[0]);
		kill(pid, SIGKILL);
		p->svc = NULL;
		return (-1);
	}
	p->chan_up = 1;
	s->proc = p;
	clock_gettime(CLOCK_MONOTONIC, &s->started);
	log_debug("%s[%s]: started, pid %d", role_name(s->role), s->instance,
	    (int)pid);
	return (0);
}

/*
 * The channel is gone: the child exited, or sent something the channel
 * layer refused.  Either way it is done; SIGCHLD does the rest.
 */
static void
proc_closed(struct msgchan *ch, void *arg)
{
	struct proc	*p = arg;

	if (p->svc != NULL && !p->m->stopping)
		log_debug("%s[%s]: channel closed", role_name(p->role),
		    p->instance);
	msgchan_clear(&p->chan);
	p->chan_up = 0;
	kill(p->pid, SIGKILL);
}

/* Detach a process from its owner and end it. */
void
proc_release(struct proc *p, int sig)
{
	if (p->svc != NULL) {
		p->svc->proc = NULL;
		p->svc = NULL;
	}
	if (p->chan_up) {
		msgchan_clear(&p->chan);
		p->chan_up = 0;
	}
	kill(p->pid, sig);
}

void
proc_kill_all(struct master *m, int sig)
{
	struct proc	*p;

	TAILQ_FOREACH(p, &m->procs, entry)
		kill(p->pid, sig);
}

static void
proc_free(struct proc *p)
{
	TAILQ_REMOVE(&p->m->procs, p, entry);
	if (p->chan_up)
		msgchan_clear(&p->chan);
	free(p);
}

void
proc_reap(struct master *m)
{
	struct proc	*p;
	struct svc	*s;
	const char	*sig;
	char		 how[64];
	pid_t		 pid;
	int		 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		TAILQ_FOREACH(p, &m->procs, entry)
			if (p->pid == pid)
				break;
		if (p == NULL)
			continue;
		if (WIFSIGNALED(status)) {
			sig = sigabbrev_np(WTERMSIG(status));
			if (sig != NULL)
				snprintf(how, sizeof(how),
				    "killed by signal SIG%s", sig);
			else
				snprintf(how, sizeof(how),
				    "killed by signal %d", WTERMSIG(status));
		} else
			snprintf(how, sizeof(how), "exited with status %d",
			    WEXITSTATUS(status));
		s = p->svc;
		if (s == NULL || m->stopping)
			log_debug("%s[%s] %s", role_name(p->role),
			    p->instance, how);
		else
			log_warnx("%s[%s] %s", role_name(p->role),
			    p->instance, how);
		if (s != NULL) {
			apply_proc_gone(p);
			s->proc = NULL;
			p->svc = NULL;
			svc_schedule(s);
		}
		proc_free(p);
	}
	if (m->stopping && TAILQ_EMPTY(&m->procs))
		event_base_loopexit(m->evb, NULL);
}

/* Sets of small ids (portal ids), as bitmaps. */
int
idset_add(struct idset *s, uint32_t id)
{
	uint64_t	*nb;
	size_t		 n = id / 64 + 1;

	if (n > s->nwords) {
		if ((nb = reallocarray(s->bits, n, sizeof(*nb))) == NULL)
			return (-1);
		memset(nb + s->nwords, 0, (n - s->nwords) * sizeof(*nb));
		s->bits = nb;
		s->nwords = n;
	}
	s->bits[id / 64] |= 1ULL << (id % 64);
	return (0);
}

void
idset_del(struct idset *s, uint32_t id)
{
	if (id / 64 < s->nwords)
		s->bits[id / 64] &= ~(1ULL << (id % 64));
}

int
idset_has(const struct idset *s, uint32_t id)
{
	return (id / 64 < s->nwords &&
	    (s->bits[id / 64] & (1ULL << (id % 64))) != 0);
}

void
idset_clear(struct idset *s)
{
	if (s->bits != NULL)
		memset(s->bits, 0, s->nwords * sizeof(*s->bits));
}

void
idset_free(struct idset *s)
{
	free(s->bits);
	s->bits = NULL;
	s->nwords = 0;
}
