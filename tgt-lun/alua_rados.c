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
 * One write and one read per period, synchronous on the event loop and
 * bounded by the LUN's timeout like every RADOS call of pr_rados.c; a
 * cluster out of reach leaves the last known table in place.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	uint64_t		 beat;
	struct event		*tick;
	struct ar_peer		 peer[ALUA_GROUPS_MAX];
	uint32_t		 npeer;
};

static struct alua_rados	*ar_the;

static double
ar_since(const struct timespec *t)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return ((now.tv_sec - t->tv_sec) + (now.tv_nsec - t->tv_nsec) / 1e9);
}

/* Our groups, with the next beat. */
static int
ar_publish(struct alua_rados *ar)
{
	const struct msg_lun_alua	*a = &ar->lun->alua_local;
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

/* The others' groups, and which of them still beat. */
static int
ar_read(struct alua_rados *ar)
{
	struct lun		*lun = ar->lun;
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
		for (i = 0; i < lun->alua_local.ngroups; i++)
			if (lun->alua_local.group[i].id == g.id)
				break;
		if (i < lun->alua_local.ngroups || (p = ar_peer(ar, g.id)) ==
		    NULL)
			continue;	/* ours */
		if (p->beat != beat) {
			p->beat = beat;
			clock_gettime(CLOCK_MONOTONIC, &p->seen);
		}
		p->g = g;
	}
	CEPH(rados_omap_get_end)(it);
	CEPH(rados_release_read_op)(op);
	lun->alua_npeer = 0;
	for (i = 0; i < ar->npeer; i++) {
		g = ar->peer[i].g;
		if (g.nports == 0)
			continue;
		if (ar_since(&ar->peer[i].seen) > AR_DEAD * ar->period)
			g.state = ALUA_UNAVAILABLE;	/* its gateway died */
		lun->alua_peer[lun->alua_npeer++] = g;
	}
	return (0);
}

static void
ar_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct alua_rados	*ar = arg;
	int			 r;

	if ((r = ar_publish(ar)) < 0 || (r = ar_read(ar)) < 0) {
		log_warnx("%s: %s", ar->oid, strerror(-r));
		return;
	}
	alua_apply(ar->lun, NULL);
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
	if ((ar->tick = event_new(lun->evb, -1, EV_PERSIST, ar_tick, ar)) ==
	    NULL || event_add(ar->tick, &tv) == -1) {
		snprintf(err, errlen, "cannot start the port group heartbeat");
		if (ar->tick != NULL)
			event_free(ar->tick);
		free(ar);
		return (-1);
	}
	ar_the = ar;
	return (0);
}

void
alua_rados_close(struct lun *lun)
{
	if (ar_the == NULL || ar_the->lun != lun)
		return;
	event_free(ar_the->tick);
	free(ar_the);
	ar_the = NULL;
	lun->alua_npeer = 0;
}
