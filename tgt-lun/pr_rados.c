/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Persistent reservations of an rbd LUN kept in the cluster ("reservations
 * cluster" in tgt.conf), so that every gateway exporting the image sees
 * the same registrations and reservation: the pr_store of pr.c.
 *
 * The state (pr.c's format, every registration) is the object
 * "tgt-pr.<image>" in the image's pool and namespace.  A PERSISTENT
 * RESERVE OUT reads it (load), applies the command and writes it back in
 * one operation that asserts the version it read, so two gateways
 * changing it at once cannot both win: the loser gets -ERANGE or
 * -EOVERFLOW and pr.c tries again on the newer state (commit returns
 * -ECANCELED).  The writer then notifies the object, with the unit
 * attentions the command set as payload, and the command completes only
 * once every watcher acknowledged or the LUN's timeout passed.
 *
 * Every gateway watches the object.  The watch callback runs on a
 * librados thread: it queues the unit attentions, marks the state stale
 * and acknowledges.  The LUN's event loop reads the state again before
 * its next reservation check (sync), so once a gateway acknowledged, no
 * command it starts is checked against the old state.  A broken watch
 * (an OSD out of reach for a while: notifies may be lost) marks the
 * state stale too, and the watch is made again.
 *
 * All RADOS calls here are synchronous on the event loop: a read, a
 * write and a notify for a PERSISTENT RESERVE OUT, a read for the first
 * check after another gateway's change.  Each is bounded by the LUN's
 * rbd timeout (rados_osd_op_timeout, the notify's timeout); reservation
 * changes are rare and a cluster that does not answer makes commands
 * fail with NOT READY, which initiators retry.
 *
 * APTPL: the object outlives the gateways.  A gateway that starts while
 * no other one watches the object is the logical unit's power on: without
 * APTPL it empties the state, as a power loss would.
 */

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceph_client.h"
#include "log.h"
#include "lun.h"
#include "pr_rados.h"

struct pr_rados {
	rados_ioctx_t	 io;
	char		 oid[RBD_NAME_MAX + 8];
	uint64_t	 self;		/* our client id: our own notifies */
	uint64_t	 ver;		/* of the state last read */
	uint8_t		*last;		/* that state, as read */
	uint32_t	 lastlen;
	uint64_t	 cookie;
	int		 watching;
	uint32_t	 tmo_ms;
	atomic_int	 stale;		/* another gateway changed it */
	atomic_int	 broken;	/* the watch must be made again */
	pthread_mutex_t	 lock;		/* ev, nev */
	struct pr_ev	 ev[PR_EV_MAX];	/* their unit attentions */
	uint32_t	 nev;
};

static struct pr_rados *
prr(struct lun *lun)
{
	return (lun->pr_store_priv);
}

/* librados thread: another gateway's change (or our own notify). */
static void
prr_notified(void *arg, uint64_t notify_id, uint64_t cookie,
    uint64_t notifier, void *data, size_t len)
{
	struct pr_rados	*pr = arg;
	struct pr_ev	 ev[PR_EV_MAX];
	uint32_t	 n, i;

	if (notifier != pr->self) {
		n = pr_ev_decode(data, len, ev, PR_EV_MAX);
		pthread_mutex_lock(&pr->lock);
		for (i = 0; i < n && pr->nev < PR_EV_MAX; i++)
			pr->ev[pr->nev++] = ev[i];
		pthread_mutex_unlock(&pr->lock);
		atomic_store(&pr->stale, 1);
	}
	/* the stale mark is set: our next check reads the new state */
	CEPH(rados_notify_ack)(pr->io, pr->oid, notify_id, cookie, NULL, 0);
}

/* librados thread: the watch is gone, notifies may have been missed. */
static void
prr_broken(void *arg, uint64_t cookie, int err)
{
	struct pr_rados	*pr = arg;

	atomic_store(&pr->broken, 1);
	atomic_store(&pr->stale, 1);
}

/* Read the object into the LUN; 0 or -errno. */
static int
prr_read(struct lun *lun)
{
	struct pr_rados	*pr = prr(lun);
	rados_read_op_t	 op;
	uint8_t		*b;
	size_t		 max = pr_state_max(), got = 0;
	int		 r, prval = 0;

	if ((b = malloc(max)) == NULL)
		return (-ENOMEM);
	op = CEPH(rados_create_read_op)();
	CEPH(rados_read_op_read)(op, 0, max, (char *)b, &got, &prval);
	r = CEPH(rados_read_op_operate)(op, pr->io, pr->oid, 0);
	CEPH(rados_release_read_op)(op);
	if (r == 0)
		r = prval;
	if (r < 0) {
		free(b);
		return (r);
	}
	if (got > max || pr_state_decode(lun, b, got) == -1) {
		log_warnx("%s: not a reservation state (%zu bytes)", pr->oid,
		    got);
		free(b);
		return (-EIO);
	}
	pr->ver = CEPH(rados_get_last_version)(pr->io);
	free(pr->last);
	pr->last = b;
	pr->lastlen = got;
	return (0);
}

static int
prr_watch(struct pr_rados *pr)
{
	int	r;

	if ((r = CEPH(rados_watch2)(pr->io, pr->oid, &pr->cookie,
	    prr_notified, prr_broken, pr)) < 0)
		return (r);
	pr->watching = 1;
	return (0);
}

static int
prr_load(struct lun *lun)
{
	return (prr_read(lun));
}

static int
prr_sync(struct lun *lun)
{
	struct pr_rados	*pr = prr(lun);
	struct pr_ev	 ev[PR_EV_MAX];
	uint32_t	 n;
	int		 r;

	if (atomic_exchange(&pr->broken, 0)) {
		if (pr->watching)
			CEPH(rados_unwatch2)(pr->io, pr->cookie);
		pr->watching = 0;
		if ((r = prr_watch(pr)) < 0) {
			log_warnx("%s: cannot watch again: %s", pr->oid,
			    strerror(-r));
			atomic_store(&pr->broken, 1);
			return (r);
		}
		log_info("%s: watching again", pr->oid);
	}
	if (!atomic_exchange(&pr->stale, 0))
		return (0);
	if ((r = prr_read(lun)) < 0) {
		atomic_store(&pr->stale, 1);
		return (r);
	}
	pthread_mutex_lock(&pr->lock);
	n = pr->nev;
	memcpy(ev, pr->ev, n * sizeof(ev[0]));
	pr->nev = 0;
	pthread_mutex_unlock(&pr->lock);
	pr_events_apply(lun, ev, n, NULL);
	return (0);
}

static int
prr_commit(struct lun *lun)
{
	struct pr_rados		*pr = prr(lun);
	rados_write_op_t	 op;
	uint8_t			*b, *pl;
	uint32_t		 len, plen;
	char			*reply = NULL;
	size_t			 rlen = 0;
	int			 r;

	if ((b = pr_state_encode(lun, &len)) == NULL)
		return (-ENOMEM);
	if (len == pr->lastlen && memcmp(b, pr->last, len) == 0) {
		free(b);		/* nothing changed */
		return (0);
	}
	op = CEPH(rados_create_write_op)();
	CEPH(rados_write_op_assert_version)(op, pr->ver);
	CEPH(rados_write_op_write_full)(op, (const char *)b, len);
	r = CEPH(rados_write_op_operate)(op, pr->io, pr->oid, NULL, 0);
	CEPH(rados_release_write_op)(op);
	if (r < 0) {
		free(b);
		/* the local copy holds a change that is not kept */
		atomic_store(&pr->stale, 1);
		return (r == -ERANGE || r == -EOVERFLOW ? -ECANCELED : r);
	}
	pr->ver = CEPH(rados_get_last_version)(pr->io);
	free(pr->last);
	pr->last = b;
	pr->lastlen = len;
	if ((pl = pr_ev_encode(lun->pr_ev, lun->pr_nev, &plen)) == NULL)
		return (-ENOMEM);
	r = CEPH(rados_notify2)(pr->io, pr->oid, (const char *)pl, plen,
	    pr->tmo_ms, &reply, &rlen);
	free(pl);
	if (reply != NULL)
		CEPH(rados_buffer_free)(reply);
	if (r < 0)
		/* kept; a gateway that missed it has lost its watch */
		log_warnx("%s: not every gateway acknowledged the change "
		    "within %u ms: %s", pr->oid, pr->tmo_ms, strerror(-r));
	return (0);
}

static const struct pr_store pr_rados_store = {
	.load = prr_load,
	.sync = prr_sync,
	.commit = prr_commit,
};

/*
 * No other gateway watches the object: the logical unit powers on, and
 * a state without APTPL is forgotten.  Only acknowledgements count: the
 * watch of a gateway that died (kill -9) stays on the OSD for its
 * timeout, and times out.
 */
static int
prr_power_on(struct lun *lun)
{
	struct pr_rados		*pr = prr(lun);
	struct notify_ack_t	*acks = NULL;
	struct notify_timeout_t	*tmos = NULL;
	rados_write_op_t	 op;
	char			*reply = NULL;
	uint8_t			*b = NULL;
	uint32_t		 len = 0;
	size_t			 rlen = 0, nacks = 0, ntmos = 0;
	int			 r;

	/* an SPC-2 reservation never outlives a power on */
	if ((lun->pr_aptpl || lun->pr_nregs == 0) && !lun->res6_shared)
		return (0);
	if ((r = CEPH(rados_notify2)(pr->io, pr->oid, NULL, 0, pr->tmo_ms,
	    &reply, &rlen)) < 0 && r != -ETIMEDOUT)
		return (r);
	if (reply != NULL && CEPH(rados_decode_notify_response)(reply, rlen,
	    &acks, &nacks, &tmos, &ntmos) == 0)
		CEPH(rados_free_notify_response)(acks, nacks, tmos);
	else
		nacks = 1;		/* unknown: somebody may be there */
	if (reply != NULL)
		CEPH(rados_buffer_free)(reply);
	if (nacks != 0)
		return (0);
	/* APTPL: the registrations stay, the SPC-2 reservation goes */
	lun->res6_shared = 0;
	if (lun->pr_aptpl && (b = pr_state_encode(lun, &len)) == NULL)
		return (-ENOMEM);
	op = CEPH(rados_create_write_op)();
	CEPH(rados_write_op_assert_version)(op, pr->ver);
	CEPH(rados_write_op_write_full)(op, b != NULL ? (const char *)b : "",
	    len);
	r = CEPH(rados_write_op_operate)(op, pr->io, pr->oid, NULL, 0);
	CEPH(rados_release_write_op)(op);
	free(b);
	if (r == -ERANGE || r == -EOVERFLOW)
		return (prr_read(lun));	/* another gateway came first */
	if (r < 0)
		return (r);
	log_info("%s: no other gateway: power on, %s", pr->oid,
	    lun->pr_aptpl ? "the SPC-2 reservation ended" :
	    "no APTPL, the registrations forgotten");
	return (prr_read(lun));
}

int
pr_rados_open(struct lun *lun, rados_t cluster, rados_ioctx_t io,
    const char *image, uint32_t timeout, char *err, size_t errlen)
{
	struct pr_rados		*pr;
	rados_write_op_t	 op;
	int			 r;

	if ((pr = calloc(1, sizeof(*pr))) == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return (-1);
	}
	pthread_mutex_init(&pr->lock, NULL);
	pr->io = io;
	pr->self = CEPH(rados_get_instance_id)(cluster);
	pr->tmo_ms = (timeout != 0 ? timeout : 30) * 1000;
	snprintf(pr->oid, sizeof(pr->oid), "tgt-pr.%s", image);
	lun->pr_store_priv = pr;
	/* the object exists from the first gateway on, empty: no state */
	op = CEPH(rados_create_write_op)();
	CEPH(rados_write_op_create)(op, LIBRADOS_CREATE_IDEMPOTENT, NULL);
	r = CEPH(rados_write_op_operate)(op, io, pr->oid, NULL, 0);
	CEPH(rados_release_write_op)(op);
	if (r < 0 || (r = prr_read(lun)) < 0 ||
	    (r = prr_power_on(lun)) < 0 || (r = prr_watch(pr)) < 0) {
		snprintf(err, errlen, "reservations in %s: %s", pr->oid,
		    strerror(-r));
		lun->pr_store_priv = NULL;
		free(pr->last);
		pthread_mutex_destroy(&pr->lock);
		free(pr);
		return (-1);
	}
	lun->pr_store = &pr_rados_store;
	log_info("%s: reservations in the cluster, %u registrations%s",
	    pr->oid, lun->pr_nregs, lun->pr_holder != NULL ?
	    ", reserved" : "");
	return (0);
}

void
pr_rados_close(struct lun *lun, rados_t cluster)
{
	struct pr_rados	*pr = prr(lun);

	if (pr == NULL)
		return;
	if (pr->watching) {
		CEPH(rados_unwatch2)(pr->io, pr->cookie);
		CEPH(rados_watch_flush)(cluster);
	}
	lun->pr_store = NULL;
	lun->pr_store_priv = NULL;
	free(pr->last);
	pthread_mutex_destroy(&pr->lock);
	free(pr);
}
