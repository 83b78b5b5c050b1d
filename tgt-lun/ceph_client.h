/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * A connection to a Ceph cluster from inside the sandbox: everything
 * comes from a struct msg_lun_rbd the master filled in (monitors, cephx
 * key, user, pool, namespace), set with rados_conf_set(); no
 * configuration file, keyring or admin socket is ever opened.  Used by
 * backend_rbd.c; kept apart so that other users of RADOS (shared LUN
 * state) can open the same kind of connection.
 */

#ifndef TGT_CEPH_CLIENT_H
#define TGT_CEPH_CLIENT_H

#include <stddef.h>

#include <rados/librados.h>

#include "proto.h"

struct ceph_client {
	rados_t		 cluster;
	rados_ioctx_t	 io;		/* the pool (and namespace) */
	int		 connected;
};

/*
 * Connect as the settings say and open their pool: 0, or -1 with the
 * reason in err.  Blocks for at most the settings' timeout (a monitor
 * that does not answer), so it runs before the LUN serves commands.
 */
int	ceph_client_open(struct ceph_client *, const struct msg_lun_rbd *,
	    char *err, size_t errlen);
void	ceph_client_close(struct ceph_client *);

#endif /* TGT_CEPH_CLIENT_H */
