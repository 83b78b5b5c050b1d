/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Persistent reservations of an rbd LUN in a RADOS object shared by the
 * gateways (pr_rados.c): the LUN's pr_store.
 */

#ifndef TGT_PR_RADOS_H
#define TGT_PR_RADOS_H

#include <rados/librados.h>

struct lun;

/*
 * Create or read the image's reservation object and watch it; the LUN's
 * reservations are the cluster's from then on.  0, or -1 and why.
 */
int	pr_rados_open(struct lun *, rados_t, rados_ioctx_t,
	    const char *image, uint32_t timeout, char *err, size_t errlen);
void	pr_rados_close(struct lun *, rados_t);

/*
 * Publish this gateway's target port groups in "tgt-alua.<image>" and
 * take the other gateways' from there, every timeout / 5 seconds
 * (alua_rados.c).  0, or -1 and why.
 */
int	alua_rados_open(struct lun *, rados_ioctx_t, const char *image,
	    uint32_t timeout, char *err, size_t errlen);
void	alua_rados_close(struct lun *);

#endif /* TGT_PR_RADOS_H */
