/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Child processes: fork + exec of the sibling binaries with the channel
 * on fd 3, reaping, and restarting with a back-off when one keeps dying.
 *
 * LUN processes come from the launcher (tgt-lun -L, started once) while
 * it runs: an exec of tgt-lun, its dynamic linking and the compilation
 * of its seccomp filter cost tens of milliseconds on a busy machine,
 * which a thousand LUNs turn into tens of seconds.  The master sends the
 * launcher the arguments and the child's end of the channel; the child
 * is the master's own (CLONE_PARENT), reaped and restarted here like the
 * others.  Its pid comes back in MSG_LAUNCHED, so it may exit before the
 * master knows it: such exits wait in m->exits.  Without the launcher
 * (it died and waits for its restart) LUN processes are exec'd.
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
static void	 proc_exited(struct proc *, const char *how);
static void	 launcher_dispatch(struct msgchan *, struct msg *, void *);
static void	 launcher_down(struct master *, struct proc *);

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
	switch (role) {
	case ROLE_PORTAL:
		return ("tgt-portal");
	case ROLE_LAUNCHER:
		return ("tgt-launcher");
	default:
		return ("tgt-lun");
	}
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

/* fork + exec of the child's binary, its channel sv on fd 3. */
static pid_t
proc_exec(struct svc *s, struct proc *p, int sv)
{
	struct master	*m = s->m;
	char		 path[PATH_MAX + 32];
	char		*argv[32];
	int		 argc = 0, i, fl;
	pid_t		 pid;
	sigset_t	 set;

	/* the launcher is a tgt-lun */
	snprintf(path, sizeof(path), "%s/%s", m->exedir,
	    role_name(s->role == ROLE_LAUNCHER ? ROLE_LUN : s->role));
	argv[argc++] = (char *)role_name(s->role == ROLE_LAUNCHER ?
	    ROLE_LUN : s->role);
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
	/* the launcher's children get the user and chroot of the moment */
	if (s->role == ROLE_LAUNCHER)
		argv[argc++] = "-L";
	else {
		argv[argc++] = "-u";
		argv[argc++] = m->conf->user;
		argv[argc++] = "-c";
		argv[argc++] = m->conf->chroot;
	}
	argv[argc++] = "-n";
	argv[argc++] = p->instance;
	argv[argc] = NULL;

	switch ((pid = fork())) {
	case -1:
		log_warn("%s[%s]: fork", role_name(s->role), s->instance);
		return (-1);
	case 0:
		/* child: the channel on fd 3, everything else closes on exec */
		if (sv == TGT_CHILD_FD) {
			if ((fl = fcntl(sv, F_GETFD)) == -1 ||
			    fcntl(sv, F_SETFD, fl & ~FD_CLOEXEC) == -1)
				_exit(127);
		} else if (dup2(sv, TGT_CHILD_FD) == -1)
			_exit(127);
		sigemptyset(&set);
		sigprocmask(SIG_SETMASK, &set, NULL);
		/*
		 * The launcher binds every symbol at once, so that the LUN
		 * processes it forks inherit them resolved.
		 */
		if (s->role == ROLE_LAUNCHER && setenv("LD_BIND_NOW", "1",
		    1) == -1)
			_exit(127);
		execv(path, argv);
		dprintf(STDERR_FILENO, "tgt-master: exec %s: %s\n", path,
		    strerror(errno));
		_exit(127);
	}
	return (pid);
}

/* The launcher answered nothing for MASTER_LAUNCH_WAIT s: it hangs. */
static void
launcher_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct master	*m = arg;

	if (m->launcher.proc == NULL)
		return;
	log_warnx("%s: no answer in %d s, killing it",
	    role_name(ROLE_LAUNCHER), MASTER_LAUNCH_WAIT);
	proc_release(m->launcher.proc, SIGKILL);
	svc_schedule(&m->launcher);
}

/* Wait for the launcher's next answer if a request has none yet. */
static void
launcher_watch(struct master *m)
{
	struct timeval	 tv = { MASTER_LAUNCH_WAIT, 0 };

	if (m->nlaunching == 0) {
		if (m->ev_launch != NULL)
			evtimer_del(m->ev_launch);
		return;
	}
	if (m->ev_launch == NULL && (m->ev_launch = evtimer_new(m->evb,
	    launcher_timeout, m)) == NULL) {
		log_warn("evtimer_new");
		return;
	}
	evtimer_add(m->ev_launch, &tv);
}

/*
 * Whether the launcher may fork this LUN's process: not an rbd or glfs
 * LUN, which loads its library or connects before its sandbox, nor a
 * passthrough LUN, which opens its device as its final user; those are
 * exec'd with their options (proc_exec).
 */
static int
lun_launchable(const struct mlun *ml)
{
	return (ml->conf.type != LUN_TYPE_PASSTHROUGH &&
	    ml->conf.backend != LUN_BACKEND_RBD &&
	    ml->conf.backend != LUN_BACKEND_GLFS);
}

/* Ask the launcher for a LUN process with channel sv: 0, or -1. */
static int
proc_launch(struct svc *s, struct proc *p, int sv)
{
	struct master		*m = s->m;
	struct msg_launch	 l;

	memset(&l, 0, sizeof(l));
	strlcpy(l.instance, p->instance, sizeof(l.instance));
	strlcpy(l.user, m->conf->user, sizeof(l.user));
	strlcpy(l.chroot, m->conf->chroot, sizeof(l.chroot));
	l.verbose = m->verbose;
	l.io_uring = ((struct mlun *)s->owner)->conf.backend ==
	    LUN_BACKEND_IO_URING;
	if (++m->next_launch_id == 0)
		m->next_launch_id = 1;
	p->launch_id = m->next_launch_id;
	p->pid = -1;
	/* msgchan_send() owns sv from here, even on failure */
	if (msgchan_send(&m->launcher.proc->chan, MSG_LAUNCH, p->launch_id,
	    &sv, 1, &l, sizeof(l)) == -1) {
		p->launch_id = 0;
		return (-1);
	}
	if (m->nlaunching++ == 0)
		launcher_watch(m);
	return (0);
}

int
proc_spawn(struct svc *s)
{
	struct master	*m = s->m;
	struct proc	*p;
	int		 sv[2];
	pid_t		 pid;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		log_warn("calloc");
		return (-1);
	}
	p->m = m;
	p->svc = s;
	p->role = s->role;
	strlcpy(p->instance, s->instance, sizeof(p->instance));

	if (msg_socketpair(sv) == -1) {
		log_warn("%s[%s]: socketpair", role_name(s->role),
		    s->instance);
		free(p);
		return (-1);
	}
	if (s->role == ROLE_LUN && svc_running(&m->launcher) &&
	    lun_launchable(s->owner)) {
		if (proc_launch(s, p, sv[1]) == -1) {
			log_warn("%s[%s]: launch", role_name(s->role),
			    s->instance);
			close(sv[0]);
			free(p);
			return (-1);
		}
		pid = -1;
	} else {
		pid = proc_exec(s, p, sv[1]);
		close(sv[1]);
		if (pid == -1) {
			close(sv[0]);
			free(p);
			return (-1);
		}
		p->pid = pid;
	}
	TAILQ_INSERT_TAIL(&m->procs, p, entry);
	if (msgchan_init(&p->chan, m->evb, sv[0],
	    s->role == ROLE_PORTAL ? portal_dispatch : s->role == ROLE_LUN ?
	    lun_dispatch : launcher_dispatch, proc_closed, p) == -1) {
		log_warn("%s[%s]: channel", role_name(s->role), s->instance);
		close(sv[0]);
		proc_signal(p, SIGKILL);
		p->svc = NULL;
		return (-1);
	}
	p->chan_up = 1;
	s->proc = p;
	clock_gettime(CLOCK_MONOTONIC, &s->started);
	if (pid == -1)
		log_debug("%s[%s]: asked the launcher", role_name(s->role),
		    s->instance);
	else
		log_debug("%s[%s]: started, pid %d", role_name(s->role),
		    s->instance, (int)pid);
	return (0);
}

static void
launcher_start(struct svc *s)
{
	proc_spawn(s);
}

void
launcher_init(struct master *m)
{
	svc_init(&m->launcher, m, NULL, ROLE_LAUNCHER, "launcher",
	    launcher_start);
	svc_start(&m->launcher);
}

/* An exit reaped before the launcher said whose it is. */
static void
exit_keep(struct master *m, pid_t pid, int status)
{
	struct proc_exit	*e;

	if (m->nexits == MASTER_EXITS_MAX) {
		memmove(m->exits, m->exits + 1,
		    (m->nexits - 1) * sizeof(*m->exits));
		m->nexits--;
	}
	if (m->exits == NULL && (m->exits = calloc(MASTER_EXITS_MAX,
	    sizeof(*m->exits))) == NULL) {
		log_warn("exit of pid %d", (int)pid);
		return;
	}
	e = &m->exits[m->nexits++];
	e->pid = pid;
	e->status = status;
}

/* Take the kept exit of pid: 1 and its status, or 0. */
static int
exit_take(struct master *m, pid_t pid, int *status)
{
	size_t	 i;

	for (i = 0; i < m->nexits; i++)
		if (m->exits[i].pid == pid) {
			*status = m->exits[i].status;
			m->exits[i] = m->exits[--m->nexits];
			return (1);
		}
	return (0);
}

static void
exit_how(int status, char *how, size_t len)
{
	const char	*sig;

	if (WIFSIGNALED(status)) {
		sig = sigabbrev_np(WTERMSIG(status));
		if (sig != NULL)
			snprintf(how, len, "killed by signal SIG%s", sig);
		else
			snprintf(how, len, "killed by signal %d",
			    WTERMSIG(status));
	} else
		snprintf(how, len, "exited with status %d",
		    WEXITSTATUS(status));
}

/* The launcher's answer: the pid of the LUN process it forked. */
static void
launcher_dispatch(struct msgchan *ch, struct msg *msg, void *arg)
{
	struct proc		*lp = arg, *p;
	struct msg_launched	 d;
	char			 how[64];
	int			 status;

	if (msg->hdr.type != MSG_LAUNCHED || MSG_GET(msg, &d) == -1 ||
	    msg->hdr.peerid == 0 || d.pid < 0 || (d.pid == 0 &&
	    d.error == 0)) {
		proc_bad(lp, msg);
		msg_free(msg);
		return;
	}
	TAILQ_FOREACH(p, &lp->m->procs, entry)
		if (p->launch_id == msg->hdr.peerid && p->pid == -1)
			break;
	msg_free(msg);
	if (p == NULL) {
		log_warnx("%s: answer to no request", role_name(lp->role));
		proc_signal(lp, SIGKILL);
		return;
	}
	p->launch_id = 0;
	p->m->nlaunching--;
	launcher_watch(p->m);
	if (d.pid == 0) {
		errno = d.error;
		snprintf(how, sizeof(how), "not launched: %s",
		    strerror(errno));
		proc_exited(p, how);
		return;
	}
	p->pid = d.pid;
	log_debug("%s[%s]: started, pid %d", role_name(p->role), p->instance,
	    (int)p->pid);
	if (p->kill_sig != 0)
		kill(p->pid, p->kill_sig);
	if (exit_take(p->m, p->pid, &status)) {
		exit_how(status, how, sizeof(how));
		proc_exited(p, how);
	}
}

/*
 * The launcher is gone or let go: read what it answered, and what it
 * did not answer any more failed.  A child it made of a failed request
 * finds its channel closed and exits.
 */
static void
launcher_down(struct master *m, struct proc *lp)
{
	struct proc	*p, *pn;
	struct msg	 msg;

	if (lp->chan_up) {
		while (msg_recv_nowait(lp->chan.fd, &msg) == 1)
			launcher_dispatch(&lp->chan, &msg, lp);
		msgchan_clear(&lp->chan);
		lp->chan_up = 0;
	}
	TAILQ_FOREACH_SAFE(p, &m->procs, entry, pn)
		if (p->launch_id != 0)
			proc_exited(p, "not launched: the launcher is gone");
	if (m->ev_launch != NULL)
		evtimer_del(m->ev_launch);
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
	if (p->role == ROLE_LAUNCHER)
		launcher_down(p->m, p);
	msgchan_clear(&p->chan);
	p->chan_up = 0;
	proc_signal(p, SIGKILL);
}

void
proc_signal(struct proc *p, int sig)
{
	if (p->pid > 0)
		kill(p->pid, sig);
	else if (p->kill_sig != SIGKILL)
		p->kill_sig = sig;
}

/* Detach a process from its owner and end it. */
void
proc_release(struct proc *p, int sig)
{
	if (p->svc != NULL) {
		p->svc->proc = NULL;
		p->svc = NULL;
	}
	if (p->role == ROLE_LAUNCHER)
		launcher_down(p->m, p);
	if (p->chan_up) {
		msgchan_clear(&p->chan);
		p->chan_up = 0;
	}
	proc_signal(p, sig);
}

void
proc_kill_all(struct master *m, int sig)
{
	struct proc	*p;

	TAILQ_FOREACH(p, &m->procs, entry)
		proc_signal(p, sig);
}

static void
proc_free(struct proc *p)
{
	if (p->launch_id != 0)
		p->m->nlaunching--;
	TAILQ_REMOVE(&p->m->procs, p, entry);
	if (p->chan_up)
		msgchan_clear(&p->chan);
	free(p);
}

/* The process ended (how: why, for the log): restart it if still owned. */
static void
proc_exited(struct proc *p, const char *how)
{
	struct master	*m = p->m;
	struct svc	*s = p->svc;

	if (s == NULL || m->stopping)
		log_debug("%s[%s] %s", role_name(p->role), p->instance, how);
	else
		log_warnx("%s[%s] %s", role_name(p->role), p->instance, how);
	if (p->role == ROLE_LAUNCHER)
		launcher_down(m, p);
	if (s != NULL) {
		if (p->role != ROLE_LAUNCHER)
			apply_proc_gone(p);
		s->proc = NULL;
		p->svc = NULL;
		svc_schedule(s);
	}
	proc_free(p);
}

void
proc_reap(struct master *m)
{
	struct proc	*p;
	char		 how[64];
	pid_t		 pid;
	int		 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		TAILQ_FOREACH(p, &m->procs, entry)
			if (p->pid == pid)
				break;
		if (p == NULL) {
			if (m->nlaunching > 0)
				exit_keep(m, pid, status);
			continue;
		}
		exit_how(status, how, sizeof(how));
		proc_exited(p, how);
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
