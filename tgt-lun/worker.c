/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * The LUN's worker thread, for backends whose store is across a network
 * (rbd, glfs).  Reads and writes go through the backend's asynchronous
 * rw(); the commands that work on the medium themselves (VERIFY, WRITE
 * SAME, UNMAP, GET LBA STATUS, and COMPARE AND WRITE, ORWRITE, WRITE
 * ATOMIC where the store cannot do them) call the backend's synchronous
 * entries, which wait on the cluster.  Here they run on a second
 * thread, so the event loop goes on: other commands, the master's
 * messages, the store's completions and resize events.
 *
 * The event loop hands the thread one command at a time, in arrival
 * order.  An exclusive command (one that was atomic with respect to all
 * others: it waited for the transfers in flight) holds the rings: no
 * new command is taken from them until it is done, and it starts only
 * once nothing is in flight.  The thread only runs the command's
 * handler; completing it, and everything else, stays on the loop: the
 * thread hands the command back through an eventfd.
 *
 * Task management: a queued command that is aborted completes at once;
 * the running one is waited for (the backend's calls are bounded by the
 * cluster timeout), since it may be using the ring's data area.
 */

#include <sys/eventfd.h>
#include <sys/queue.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event.h>

#include "backend.h"
#include "log.h"
#include "lun.h"
#include "scsi.h"

struct lun_worker {
	pthread_t		 thread;
	pthread_mutex_t		 lock;
	pthread_cond_t		 cv;
	struct scsi_cmd		*job;		/* given to the thread */
	struct scsi_cmd		*done;		/* handed back */
	int			 quit;
	/* the loop's side */
	TAILQ_HEAD(, scsi_cmd)	 queue;		/* waiting, oldest first */
	struct scsi_cmd		*running;	/* job or done, until reaped */
	int			 running_abort;
	int			 efd;
	struct event		*ev;
};

static __thread int	 on_worker;

static void
worker_aborted(struct scsi_cmd *cmd)
{
	cmd->status = SAM_STAT_TASK_ABORTED;
	cmd->sense_len = 0;
	cmd->len = 0;
}

/* A queued command ends unrun. */
static void
worker_drop(struct scsi_cmd *cmd)
{
	if (cmd->offload_drop != NULL)
		cmd->offload_drop(cmd);
	worker_aborted(cmd);
}

static void	worker_next(struct lun *);
static void	worker_unhold(struct lun *, struct scsi_cmd *);

static void *
worker_main(void *arg)
{
	struct lun_worker	*w = arg;
	struct scsi_cmd		*cmd;
	uint64_t		 one = 1;

	on_worker = 1;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (w->job == NULL && !w->quit)
			pthread_cond_wait(&w->cv, &w->lock);
		if (w->job == NULL)
			break;
		cmd = w->job;
		pthread_mutex_unlock(&w->lock);
		/* a handler run here ends synchronously (see lun_offload) */
		if ((cmd->offload_fn != NULL ? cmd->offload_fn(cmd) :
		    cmd->op->fn(cmd)) != SCSI_DONE)
			abort();
		pthread_mutex_lock(&w->lock);
		w->job = NULL;
		w->done = cmd;
		pthread_cond_broadcast(&w->cv);
		/* a full counter still wakes the loop */
		if (write(w->efd, &one, sizeof(one)) == -1 && errno != EAGAIN)
			abort();
	}
	pthread_mutex_unlock(&w->lock);
	return (NULL);
}

/* The loop: the running command came back; complete it. */
static void
worker_reap(struct lun *lun)
{
	struct lun_worker	*w = lun->worker;
	struct scsi_cmd		*cmd;

	pthread_mutex_lock(&w->lock);
	cmd = w->done;
	w->done = NULL;
	pthread_mutex_unlock(&w->lock);
	if (cmd == NULL)
		return;
	w->running = NULL;
	if (w->running_abort || cmd->aborted)
		worker_aborted(cmd);
	w->running_abort = 0;
	scsi_complete(cmd);
	worker_unhold(lun, cmd);
	worker_next(lun);
}

static void
worker_event(int fd, short ev, void *arg)
{
	struct lun	*lun = arg;
	uint64_t	 cnt;

	if (read(fd, &cnt, sizeof(cnt)) == -1 && errno != EAGAIN)
		log_warn("worker eventfd read");
	worker_reap(lun);
	if (lun->batch_done != NULL)
		lun->batch_done(lun, lun->batch_arg);
}

static int
worker_start(struct lun *lun)
{
	struct lun_worker	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return (-1);
	TAILQ_INIT(&w->queue);
	w->efd = -1;
	if (pthread_mutex_init(&w->lock, NULL) != 0) {
		free(w);
		return (-1);
	}
	if (pthread_cond_init(&w->cv, NULL) != 0)
		goto fail;
	if ((w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		goto fail;
	w->ev = event_new(lun->evb, w->efd, EV_READ | EV_PERSIST,
	    worker_event, lun);
	if (w->ev == NULL || event_add(w->ev, NULL) == -1)
		goto fail;
	if ((errno = lun_thread_start(&w->thread, worker_main, w)) != 0)
		goto fail;
	lun->worker = w;
	return (0);
 fail:
	log_warn("cannot start the LUN's worker thread");
	if (w->ev != NULL)
		event_free(w->ev);
	if (w->efd != -1)
		close(w->efd);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->lock);
	free(w);
	return (-1);
}

/*
 * Run cmd's handler on the worker thread if the backend wants that:
 * returns 1 (the caller returns SCSI_PENDING, cmd completes later) or 0
 * (go on here: on the worker itself, or without one).  A handler that
 * calls this must end synchronously once on the worker.  exclusive:
 * nothing else in flight while it runs (sbc_quiesce's promise).
 */
int
lun_offload(struct scsi_cmd *cmd, int exclusive)
{
	struct lun	*lun = cmd->lun;

	if (on_worker || lun->be == NULL ||
	    !(lun->be->flags & BE_F_WORKER) || lun->evb == NULL)
		return (0);
	if (lun->worker == NULL) {
		/* without a thread the command waits here, as it used to */
		if (lun->worker_failed || worker_start(lun) == -1) {
			lun->worker_failed = 1;
			return (0);
		}
	}
	cmd->offload_excl = exclusive != 0;
	cmd->offload_fn = NULL;
	cmd->offload_drop = NULL;
	TAILQ_INSERT_TAIL(&lun->worker->queue, cmd, entry);
	if (exclusive)
		lun->held++;
	worker_next(lun);
	return (1);
}

/*
 * As lun_offload(), with what the worker runs instead of the command's
 * handler, and what ends it if it is aborted before it ran (may be
 * NULL).
 */
int
lun_offload_fn(struct scsi_cmd *cmd, int exclusive,
    int (*fn)(struct scsi_cmd *), void (*drop)(struct scsi_cmd *))
{
	if (!lun_offload(cmd, exclusive))
		return (0);
	cmd->offload_fn = fn;
	cmd->offload_drop = drop;
	return (1);
}

/* Give the thread the oldest command, if it is idle and may start it. */
static void
worker_next(struct lun *lun)
{
	struct lun_worker	*w = lun->worker;
	struct scsi_cmd		*cmd;

	if (w == NULL || w->running != NULL ||
	    (cmd = TAILQ_FIRST(&w->queue)) == NULL)
		return;
	if (cmd->offload_excl && lun->ninflight > 0)
		return;			/* lun_offload_idle() starts it */
	TAILQ_REMOVE(&w->queue, cmd, entry);
	w->running = cmd;
	pthread_mutex_lock(&w->lock);
	w->job = cmd;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->lock);
}

/* The backend's transfers in flight all ended (sbc_io_done). */
void
lun_offload_idle(struct lun *lun)
{
	worker_next(lun);
}

/* Wait for the running command to come back, and complete it. */
static void
worker_wait(struct lun *lun)
{
	struct lun_worker	*w = lun->worker;
	uint64_t		 cnt;

	if (w == NULL || w->running == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	while (w->done == NULL)
		pthread_cond_wait(&w->cv, &w->lock);
	pthread_mutex_unlock(&w->lock);
	if (read(w->efd, &cnt, sizeof(cnt)) == -1 && errno != EAGAIN)
		log_warn("worker eventfd read");
	worker_reap(lun);
}

/* An exclusive command ended or left the queue: release its hold. */
static void
worker_unhold(struct lun *lun, struct scsi_cmd *cmd)
{
	if (cmd->offload_excl && lun->held > 0 && --lun->held == 0)
		lring_resume(lun);
}

/*
 * End the offloaded commands that match: queued ones at once, the
 * running one once the thread is done with it, all as TASK ABORTED.
 */
void
lun_offload_abort(struct lun *lun, int (*match)(struct scsi_cmd *, void *),
    void *arg)
{
	struct lun_worker	*w = lun->worker;
	struct scsi_cmd		*cmd, *next;

	if (w == NULL)
		return;
	if (w->running != NULL && match(w->running, arg)) {
		w->running_abort = 1;
		worker_wait(lun);
	}
	for (cmd = TAILQ_FIRST(&w->queue); cmd != NULL; cmd = next) {
		next = TAILQ_NEXT(cmd, entry);
		if (!match(cmd, arg))
			continue;
		TAILQ_REMOVE(&w->queue, cmd, entry);
		worker_drop(cmd);
		worker_unhold(lun, cmd);
		scsi_complete(cmd);
	}
	worker_next(lun);
}

static int
owner_match(struct scsi_cmd *cmd, void *owner)
{
	return (cmd->owner == owner);
}

/* A ring goes away: its offloaded commands end into the void. */
void
lun_offload_detach(struct lun *lun, void *owner)
{
	struct lun_worker	*w = lun->worker;

	if (w == NULL)
		return;
	/* the running one uses the ring's data area: wait for it first */
	if (w->running != NULL && w->running->owner == owner)
		worker_wait(lun);
	lun_offload_abort(lun, owner_match, owner);
}

/* Everything ends; the thread exits. */
void
lun_offload_fini(struct lun *lun)
{
	struct lun_worker	*w = lun->worker;
	struct scsi_cmd		*cmd;

	if (w == NULL)
		return;
	worker_wait(lun);
	while ((cmd = TAILQ_FIRST(&w->queue)) != NULL) {
		TAILQ_REMOVE(&w->queue, cmd, entry);
		worker_drop(cmd);
		scsi_complete(cmd);
	}
	lun->held = 0;
	pthread_mutex_lock(&w->lock);
	w->quit = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	event_free(w->ev);
	close(w->efd);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->lock);
	free(w);
	lun->worker = NULL;
}

/*
 * A thread of the LUN process (the worker, the port group heartbeat,
 * the glfs size watcher), with every signal blocked: signals are the
 * event loop's business.  0 or an errno.
 */
int
lun_thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t	 all, old;
	int		 r;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return (r);
}

/* Is the caller the worker thread?  (sbc_quiesce does not poll there.) */
int
lun_on_worker(void)
{
	return (on_worker);
}
