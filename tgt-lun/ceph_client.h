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
#include <rbd/librbd.h>

#include "proto.h"

/*
 * librados and librbd are loaded with dlopen(3), by the LUN processes of
 * backend rbd alone and before their sandbox (ceph_load()): linked into
 * tgt-lun, they would cost every LUN process a third of a second and
 * some 20 MiB at start.  The functions used, called as CEPH(name)(...):
 */
#define CEPH_FUNCS(X) \
	X(rados_buffer_free) \
	X(rados_conf_set) \
	X(rados_connect) \
	X(rados_create2) \
	X(rados_create_read_op) \
	X(rados_create_write_op) \
	X(rados_decode_notify_response) \
	X(rados_free_notify_response) \
	X(rados_get_instance_id) \
	X(rados_get_last_version) \
	X(rados_ioctx_create) \
	X(rados_ioctx_destroy) \
	X(rados_ioctx_set_namespace) \
	X(rados_notify2) \
	X(rados_notify_ack) \
	X(rados_omap_get_end) \
	X(rados_omap_get_next2) \
	X(rados_read_op_omap_get_vals2) \
	X(rados_read_op_operate) \
	X(rados_read_op_read) \
	X(rados_release_read_op) \
	X(rados_release_write_op) \
	X(rados_shutdown) \
	X(rados_unwatch2) \
	X(rados_watch2) \
	X(rados_watch_flush) \
	X(rados_write_op_assert_version) \
	X(rados_write_op_create) \
	X(rados_write_op_omap_set) \
	X(rados_write_op_operate) \
	X(rados_write_op_write_full) \
	X(rbd_aio_compare_and_write) \
	X(rbd_aio_create_completion) \
	X(rbd_aio_flush) \
	X(rbd_aio_get_return_value) \
	X(rbd_aio_read) \
	X(rbd_aio_release) \
	X(rbd_aio_write) \
	X(rbd_close) \
	X(rbd_diff_iterate2) \
	X(rbd_discard) \
	X(rbd_flush) \
	X(rbd_get_size) \
	X(rbd_get_stripe_unit) \
	X(rbd_open) \
	X(rbd_read) \
	X(rbd_update_unwatch) \
	X(rbd_update_watch) \
	X(rbd_write) \
	X(rbd_write_zeroes)

struct ceph_lib {
#define CEPH_PTR(f)	__typeof__(f) *f;
	CEPH_FUNCS(CEPH_PTR)
#undef CEPH_PTR
};
extern struct ceph_lib	ceph_lib;
#define CEPH(f)		(ceph_lib.f)

/*
 * Load librbd (and with it librados) and resolve CEPH_FUNCS: 0, or -1
 * with the reason in err.  Before the chroot.
 */
int	ceph_load(char *err, size_t errlen);

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
