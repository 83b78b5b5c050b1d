/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Target port groups shared by the gateways of an rbd image (with
 * "reservations cluster"): each gateway's LUN process publishes its own
 * groups (the master's table: ids, configured states, relative ports)
 * with a heartbeat counter as omap values "pg.<id>" of the object
 * "tgt-alua.<image>", and reads the others' every period (a fifth of the
 * LUN's rbd timeout, 1 to 10 s).  A group whose counter has not moved
 * for three periods, as this process's own clock measures it (no clock
 * is compared between hosts), belongs to a dead gateway and is reported
 * unavailable.  alua.c merges the others' groups into the table REPORT
 * TARGET PORT GROUPS shows and, when no live group elsewhere is
 * active/optimized, makes this gateway's active/non-optimized groups
 * active/optimized.
 *
 * One write and one read per period, on a thread of their own (each is
 * bounded by the LUN's timeout, and a cluster out of reach must not hold
 * up the event loop): the loop's timer hands the thread a copy of our
 * groups, the thread publishes them, reads the others' and hands back
 * the peers' table through an eventfd, and the loop applies it.  A
 * round still running when the timer fires again is not doubled; a
 * cluster out of reach leaves the last known table in place.
 */

#include <sys/eventfd.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alua.h"
#include "ceph_client.h"
#include "log.h"
#include "lun.h"
#include "pr_rados.h"

#define AR_KEY		"pg."
#define AR_VAL_MAX	(8 + 4 + 2 * ALUA_PORTS_MAX)
#define AR_DEAD		3		/* periods without a beat */

struct ar_peer {
	uint16_t		 id;
	uint64_t		 beat;
	struct timespec		 seen;	/* when beat last moved */
	struct msg_alua_group	 g;
};

struct alua_rados {
	struct lun		*lun;
	rados_ioctx_t		 io;
	char			 oid[RBD_NAME_MAX + 16];
	uint32_t		 period;	/* seconds */
	struct event		*tick;
	struct event		*ev;
	int			 efd;
	pthread_t		 thread;
	/* the thread's own */
	uint64_t		 beat;
	struct ar_peer		 peer[ALUA_GROUPS_MAX];
	uint32_t		 npeer;
	/* under lock: a round asked and its outcome */
	pthread_mutex_t		 lock;
	pthread_cond_t		 cv;
	int			 asked, busy, quit;
	struct msg_lun_alua	 local;		/* our groups, to publish */
	struct msg_alua_group	 out[ALUA_GROUPS_MAX];
	uint32_t		 nout;
	int			 fresh;		/* out is new */
	int			 error;		/* of the last round */
};

static struct alua_rados	*ar_the;

static void	alua_rados_stop(struct alua_rados *);

static double
ar_since(const struct timespec *t)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return ((now.tv_sec - t->tv_sec) + (now.tv_nsec - t->tv_nsec) / 1e9);
}

/* Our groups, with the next beat. */
static int
ar_publish(struct alua_rados *ar, const struct msg_lun_alua *a)
{
	rados_write_op_t		 op;
	char				 keys[ALUA_GROUPS_MAX][16];
	char				 vals[ALUA_GROUPS_MAX][AR_VAL_MAX];
	const char			*kp[ALUA_GROUPS_MAX];
	const char			*vp[ALUA_GROUPS_MAX];
	size_t				 lens[ALUA_GROUPS_MAX];
	const struct msg_alua_group	*g;
	uint8_t				*v;
	uint32_t			 i, j;
	int				 r;

	if (a->ngroups == 0)
		return (0);
	ar->beat++;
	for (i = 0; i < a->ngroups && i < ALUA_GROUPS_MAX; i++) {
		g = &a->group[i];
		snprintf(keys[i], sizeof(keys[i]), AR_KEY "%05u", g->id);
		v = (uint8_t *)vals[i];
		put_be64(&v[0], ar->beat);
		v[8] = g->state;
		v[9] = g->pref;
		put_be16(&v[10], g->nports);
		for (j = 0; j < g->nports && j < ALUA_PORTS_MAX; j++)
			put_be16(&v[12 + 2 * j], g->ports[j]);
		kp[i] = keys[i];
		vp[i] = vals[i];
		lens[i] = 12 + 2 * j;
	}
	op = CEPH(rados_create_write_op)();
	CEPH(rados_write_op_create)(op, LIBRADOS_CREATE_IDEMPOTENT, NULL);
	CEPH(rados_write_op_omap_set)(op, kp, vp, lens, i);
	r = CEPH(rados_write_op_operate)(op, ar->io, ar->oid, NULL, 0);
	CEPH(rados_release_write_op)(op);
	return (r);
}

/* One group of another gateway, from its omap value: 0 or -1. */
static int
ar_decode(const char *key, size_t klen, const uint8_t *v, size_t vlen,
    struct msg_alua_group *g, uint64_t *beat)
{
	char		 k[16];
	unsigned int	 id;
	uint32_t	 j;

	if (klen >= sizeof(k))
		return (-1);
	memcpy(k, key, klen);
	k[klen] = '\0';
	if (sscanf(k, AR_KEY "%5u", &id) != 1 || id > 65535 || vlen < 12)
		return (-1);
	memset(g, 0, sizeof(*g));
	g->id = id;
	*beat = get_be64(&v[0]);
	g->state = v[8];
	g->pref = v[9] != 0;
	g->status = ALUA_STATUS_IMPLICIT;
	g->nports = get_be16(&v[10]);
	if (alua_state_name(g->state) == NULL || g->nports == 0 ||
	    g->nports > ALUA_PORTS_MAX || vlen != 12 + 2u * g->nports)
		return (-1);
	for (j = 0; j < g->nports; j++)
		if ((g->ports[j] = get_be16(&v[12 + 2 * j])) == 0)
			return (-1);
	return (0);
}

static struct ar_peer *
ar_peer(struct alua_rados *ar, uint16_t id)
{
	uint32_t	i;

	for (i = 0; i < ar->npeer; i++)
		if (ar->peer[i].id == id)
			return (&ar->peer[i]);
	if (ar->npeer == ALUA_GROUPS_MAX)
		return (NULL);
	memset(&ar->peer[ar->npeer], 0, sizeof(ar->peer[0]));
	ar->peer[ar->npeer].id = id;
	clock_gettime(CLOCK_MONOTONIC, &ar->peer[ar->npeer].seen);
	return (&ar->peer[ar->npeer++]);
}

/* The others' groups, and which of them still beat, into out. */
static int
ar_read(struct alua_rados *ar, const struct msg_lun_alua *a,
    struct msg_alua_group *out, uint32_t *nout)
{
	rados_read_op_t		 op;
	rados_omap_iter_t	 it;
	struct msg_alua_group	 g;
	struct ar_peer		*p;
	char			*key, *val;
	size_t			 klen, vlen;
	uint64_t		 beat;
	unsigned char		 more = 0;
	uint32_t		 i;
	int			 r, prval = 0;

	op = CEPH(rados_create_read_op)();
	CEPH(rados_read_op_omap_get_vals2)(op, "", AR_KEY, ALUA_GROUPS_MAX * 2,
	    &it, &more, &prval);
	r = CEPH(rados_read_op_operate)(op, ar->io, ar->oid, 0);
	if (r == 0)
		r = prval;
	if (r < 0) {
		CEPH(rados_release_read_op)(op);
		return (r);
	}
	while (CEPH(rados_omap_get_next2)(it, &key, &val, &klen, &vlen) == 0 &&
	    key != NULL) {
		if (ar_decode(key, klen, (const uint8_t *)val, vlen, &g,
		    &beat) == -1) {
			log_warnx("%s: bad value of %.*s left out", ar->oid,
			    (int)(klen > 32 ? 32 : klen), key);
			continue;
		}
		for (i = 0; i < a->ngroups; i++)
			if (a->group[i].id == g.id)
				break;
		if (i < a->ngroups || (p = ar_peer(ar, g.id)) == NULL)
			continue;	/* ours */
		if (p->beat != beat) {
			p->beat = beat;
			clock_gettime(CLOCK_MONOTONIC, &p->seen);
		}
		p->g = g;
	}
	CEPH(rados_omap_get_end)(it);
	CEPH(rados_release_read_op)(op);
	*nout = 0;
	for (i = 0; i < ar->npeer; i++) {
		g = ar->peer[i].g;
		if (g.nports == 0)
			continue;
		if (ar_since(&ar->peer[i].seen) > AR_DEAD * ar->period)
			g.state = ALUA_UNAVAILABLE;	/* its gateway died */
		out[(*nout)++] = g;
	}
	return (0);
}

/* The heartbeat's thread: a round each time the loop asks. */
static void *
ar_main(void *arg)
{
	struct alua_rados	*ar = arg;
	struct msg_lun_alua	 a;
	struct msg_alua_group	 out[ALUA_GROUPS_MAX];
	uint32_t		 nout = 0;
	uint64_t		 one = 1;
	int			 r;

	pthread_mutex_lock(&ar->lock);
	for (;;) {
		while (!ar->asked && !ar->quit)
			pthread_cond_wait(&ar->cv, &ar->lock);
		if (ar->quit)
			break;
		ar->asked = 0;
		a = ar->local;
		pthread_mutex_unlock(&ar->lock);
		if ((r = ar_publish(ar, &a)) == 0)
			r = ar_read(ar, &a, out, &nout);
		pthread_mutex_lock(&ar->lock);
		ar->busy = 0;
		ar->error = r;
		if (r == 0) {
			memcpy(ar->out, out, nout * sizeof(out[0]));
			ar->nout = nout;
			ar->fresh = 1;
		}
		/* a full counter still wakes the loop */
		if (write(ar->efd, &one, sizeof(one)) == -1 && errno != EAGAIN)
			abort();
	}
	pthread_mutex_unlock(&ar->lock);
	return (NULL);
}

/* The loop's timer: a round, unless one still runs. */
static void
ar_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct alua_rados	*ar = arg;

	pthread_mutex_lock(&ar->lock);
	if (!ar->busy) {
		ar->local = ar->lun->alua_local;
		ar->asked = ar->busy = 1;
		pthread_cond_signal(&ar->cv);
	}
	pthread_mutex_unlock(&ar->lock);
}

/* The loop: a round ended; its table becomes the LUN's. */
static void
ar_done(evutil_socket_t fd, short ev, void *arg)
{
	struct alua_rados	*ar = arg;
	struct lun		*lun = ar->lun;
	uint64_t		 cnt;
	int			 fresh, error;

	if (read(fd, &cnt, sizeof(cnt)) == -1 && errno != EAGAIN)
		log_warn("heartbeat eventfd read");
	pthread_mutex_lock(&ar->lock);
	fresh = ar->fresh;
	error = ar->error;
	if (fresh) {
		memcpy(lun->alua_peer, ar->out, ar->nout * sizeof(ar->out[0]));
		lun->alua_npeer = ar->nout;
		ar->fresh = 0;
	}
	pthread_mutex_unlock(&ar->lock);
	if (error < 0)
		log_warnx("%s: %s", ar->oid, strerror(-error));
	if (fresh)
		alua_apply(lun, NULL);
}

static void
ar_free(struct alua_rados *ar)
{
	if (ar->tick != NULL)
		event_free(ar->tick);
	if (ar->ev != NULL)
		event_free(ar->ev);
	if (ar->efd != -1)
		close(ar->efd);
	pthread_cond_destroy(&ar->cv);
	pthread_mutex_destroy(&ar->lock);
	free(ar);
}

int
alua_rados_open(struct lun *lun, rados_ioctx_t io, const char *image,
    uint32_t timeout, char *err, size_t errlen)
{
	struct alua_rados	*ar;
	struct timeval		 tv;

	if (lun->evb == NULL)
		return (0);
	if ((ar = calloc(1, sizeof(*ar))) == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return (-1);
	}
	ar->efd = -1;
	pthread_mutex_init(&ar->lock, NULL);
	pthread_cond_init(&ar->cv, NULL);
	ar->lun = lun;
	ar->io = io;
	ar->period = timeout / 5;
	if (ar->period < 1)
		ar->period = 1;
	if (ar->period > 10)
		ar->period = 10;
	snprintf(ar->oid, sizeof(ar->oid), "tgt-alua.%s", image);
	tv.tv_sec = ar->period;
	tv.tv_usec = 0;
	if ((ar->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1 ||
	    (ar->ev = event_new(lun->evb, ar->efd, EV_READ | EV_PERSIST,
	    ar_done, ar)) == NULL || event_add(ar->ev, NULL) == -1 ||
	    (ar->tick = event_new(lun->evb, -1, EV_PERSIST, ar_tick, ar)) ==
	    NULL) {
		snprintf(err, errlen, "cannot start the port group heartbeat");
		ar_free(ar);
		return (-1);
	}
	if ((errno = lun_thread_start(&ar->thread, ar_main, ar)) != 0) {
		snprintf(err, errlen, "port group heartbeat thread: %s",
		    strerror(errno));
		ar_free(ar);
		return (-1);
	}
	if (event_add(ar->tick, &tv) == -1) {
		snprintf(err, errlen, "cannot start the port group heartbeat");
		alua_rados_stop(ar);
		return (-1);
	}
	ar_the = ar;
	return (0);
}

/* The thread ends once its round does (bounded by the timeout). */
static void
alua_rados_stop(struct alua_rados *ar)
{
	pthread_mutex_lock(&ar->lock);
	ar->quit = 1;
	pthread_cond_signal(&ar->cv);
	pthread_mutex_unlock(&ar->lock);
	pthread_join(ar->thread, NULL);
	ar_free(ar);
}

void
alua_rados_close(struct lun *lun)
{
	if (ar_the == NULL || ar_the->lun != lun)
		return;
	alua_rados_stop(ar_the);
	ar_the = NULL;
	lun->alua_npeer = 0;
}
