/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Connect to a Ceph cluster with settings only, see ceph_client.h.
 */

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ceph_client.h"
#include "log.h"

struct ceph_lib	 ceph_lib;
static int	 ceph_have;
static char	 ceph_why[256];	/* why it could not be loaded */

int
ceph_load(char *err, size_t errlen)
{
	void	*h;

	if (ceph_have)
		return (0);
	/* librbd's dependencies bring librados: one handle finds both */
	if ((h = dlopen("librbd.so.1", RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(ceph_why, sizeof(ceph_why), "cannot load librbd: %s",
		    dlerror());
		snprintf(err, errlen, "%s", ceph_why);
		return (-1);
	}
#define CEPH_SYM(f)							\
	if ((ceph_lib.f = (__typeof__(f) *)dlsym(h, #f)) == NULL) {	\
		snprintf(ceph_why, sizeof(ceph_why), "librbd: no %s", #f); \
		snprintf(err, errlen, "%s", ceph_why);			\
		return (-1);						\
	}
	CEPH_FUNCS(CEPH_SYM)
#undef CEPH_SYM
	ceph_have = 1;
	return (0);
}

/*
 * librados options set before connecting.  No file is read: no
 * configuration file (rados_create2 without rados_conf_read_file, and
 * CEPH_ARGS is not parsed), no keyring ("key" holds the secret), no
 * admin socket, no log file; the messenger v2 only, as the master gave
 * the monitors' addresses.
 */
static const char *const ceph_fixed[][2] = {
	{ "admin_socket", "" },
	{ "log_file", "" },
	{ "log_to_stderr", "false" },
	{ "err_to_stderr", "false" },
	{ "log_to_syslog", "false" },
	{ "keyring", "" },
	{ "crash_dir", "" },
	{ "ms_bind_ipv6", "false" },
	{ "rbd_cache", "false" },
	/*
	 * UNMAP and WRITE SAME with UNMAP promise zeroes (LBPRZ): no
	 * discard may be skipped for being smaller than an object
	 */
	{ "rbd_skip_partial_discard", "false" },
	{ "debug_ms", "0/0" },
	{ "debug_rados", "0/0" },
	{ "debug_rbd", "0/0" },
	{ "debug_monc", "0/0" },
	{ "debug_auth", "0/0" },
	{ "debug_objecter", "0/0" },
};

static int
ceph_conf(struct ceph_client *cc, const char *name, const char *val,
    char *err, size_t errlen)
{
	int	 r;

	if ((r = CEPH(rados_conf_set)(cc->cluster, name, val)) < 0) {
		snprintf(err, errlen, "rados_conf_set %s: %s", name,
		    strerror(-r));
		return (-1);
	}
	return (0);
}

int
ceph_client_open(struct ceph_client *cc, const struct msg_lun_rbd *rs,
    char *err, size_t errlen)
{
	char	 name[RBD_NAME_MAX + 8], tmo[16];
	size_t	 i;
	int	 r;

	memset(cc, 0, sizeof(*cc));
	if (!ceph_have) {
		snprintf(err, errlen, "%s", ceph_why[0] != '\0' ? ceph_why :
		    "librbd is loaded before the sandbox: tgt-lun needs -b rbd");
		return (-1);
	}
	snprintf(name, sizeof(name), "client.%s", rs->user);
	if ((r = CEPH(rados_create2)(&cc->cluster, "ceph", name, 0)) < 0) {
		snprintf(err, errlen, "rados_create2: %s", strerror(-r));
		cc->cluster = NULL;
		return (-1);
	}
	snprintf(tmo, sizeof(tmo), "%u", rs->timeout ? rs->timeout : 30);
	for (i = 0; i < sizeof(ceph_fixed) / sizeof(ceph_fixed[0]); i++)
		if (ceph_conf(cc, ceph_fixed[i][0], ceph_fixed[i][1], err,
		    errlen) == -1)
			goto fail;
	if (ceph_conf(cc, "mon_host", rs->mon_host, err, errlen) == -1 ||
	    ceph_conf(cc, "key", rs->key, err, errlen) == -1 ||
	    ceph_conf(cc, "client_mount_timeout", tmo, err, errlen) == -1 ||
	    ceph_conf(cc, "rados_mon_op_timeout", tmo, err, errlen) == -1 ||
	    ceph_conf(cc, "rados_osd_op_timeout", tmo, err, errlen) == -1)
		goto fail;
	if ((r = CEPH(rados_connect)(cc->cluster)) < 0) {
		snprintf(err, errlen, "cannot connect to the cluster at %s "
		    "as %s: %s", rs->mon_host, name, strerror(-r));
		goto fail;
	}
	cc->connected = 1;
	if ((r = CEPH(rados_ioctx_create)(cc->cluster, rs->pool, &cc->io)) < 0) {
		snprintf(err, errlen, "pool %s: %s", rs->pool, strerror(-r));
		cc->io = NULL;
		goto fail;
	}
	CEPH(rados_ioctx_set_namespace)(cc->io, rs->ns[0] != '\0' ? rs->ns : NULL);
	return (0);
 fail:
	ceph_client_close(cc);
	return (-1);
}

void
ceph_client_close(struct ceph_client *cc)
{
	if (cc->io != NULL)
		CEPH(rados_ioctx_destroy)(cc->io);
	if (cc->cluster != NULL)
		CEPH(rados_shutdown)(cc->cluster);
	memset(cc, 0, sizeof(*cc));
}
