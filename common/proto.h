/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Messages between tgt-master and its children, and between tgtctl and
 * tgt-master.  All structures are fixed size; strings are NUL-terminated
 * inside their arrays and the receiver re-terminates them before use.
 * Every receiver checks hdr.len == sizeof(struct ...) before copying.
 *
 * Start-up of a child:
 *	master: socketpair, fork, exec "tgt-<role> [-dv] -u user -c chroot
 *	    -n instance", channel on fd 3 (TGT_CHILD_FD).
 *	child: getpwnam, chroot, drop to the user, seccomp; only then it
 *	    reads messages.
 *
 * tgt-lun:   LUN_CONFIG (+ backing fd), then RING_ADD (+ memfd, sq efd,
 *            cq efd) for each portal; RING_DEL when a portal goes away.
 *            It answers LUN_CONFIG with LUN_READY.
 * tgt-portal: PORTAL_CONFIG, LISTEN (+ socket fd) for each listener,
 *            TARGET for each target, LUN (+ memfd, sq efd, cq efd) for each
 *            LUN, then START.  LUN again with the same target/lun replaces
 *            the ring (the lun process was restarted): in-flight commands
 *            on the old ring end with a retryable error.
 */

#ifndef TGT_PROTO_H
#define TGT_PROTO_H

#include <stdint.h>

#include "ring.h"

#define TGT_CHILD_FD		3
#define TGT_NAME_MAX		224	/* iSCSI names are at most 223 bytes */
#define TGT_PATH_MAX		1024
#define TGT_ADDR_MAX		64	/* "[v6addr]:port" */
#define TGT_ERR_MAX		512

enum msg_type {
	MSG_NONE = 0,

	/* master -> lun */
	MSG_LUN_CONFIG = 100,	/* struct msg_lun_config + backing fd */
	MSG_LUN_RING_ADD,	/* struct msg_ring + memfd, sq efd, cq efd */
	MSG_LUN_RING_DEL,	/* struct msg_ring_del */
	/* lun -> master */
	MSG_LUN_READY,		/* struct msg_lun_ready */
	MSG_LUN_ERROR,		/* struct msg_error: cannot serve, give up */

	/* master -> portal */
	MSG_PORTAL_CONFIG = 200, /* struct msg_portal_config */
	MSG_PORTAL_LISTEN,	/* struct msg_listen + listening socket */
	MSG_PORTAL_TARGET,	/* struct msg_target */
	MSG_PORTAL_TARGET_DEL,	/* struct msg_target_del */
	MSG_PORTAL_LUN,		/* struct msg_ring + memfd, sq efd, cq efd */
	MSG_PORTAL_LUN_DEL,	/* struct msg_ring_del */
	MSG_PORTAL_START,	/* no payload: configuration complete */

	/* master <-> children, any */
	MSG_LOG_VERBOSE = 300,	/* int32_t level */

	/*
	 * tgtctl <-> master, and master <-> portal for what portals know.
	 * peerid carries the control client id through the master.
	 */
	MSG_CTL_SHOW_TARGETS = 400, /* no payload */
	MSG_CTL_SHOW_LUNS,	/* no payload */
	MSG_CTL_SHOW_SESSIONS,	/* no payload */
	MSG_CTL_RELOAD,		/* no payload */
	MSG_CTL_TARGET,		/* reply: struct ctl_target */
	MSG_CTL_LUN,		/* reply: struct ctl_lun */
	MSG_CTL_SESSION,	/* reply: struct ctl_session */
	MSG_CTL_END,		/* reply: end of a listing, no payload */
	MSG_CTL_OK,		/* reply: done, no payload */
	MSG_CTL_ERROR,		/* reply: struct msg_error */
};

struct msg_error {
	char		text[TGT_ERR_MAX];
};

/* lun_config.type */
#define LUN_TYPE_DISK		0

/* lun_config.backend */
#define LUN_BACKEND_RDWR	0
#define LUN_BACKEND_AIO		1

/* lun_config.flags */
#define LUN_F_READONLY		0x0001
#define LUN_F_THIN		0x0002
#define LUN_F_REMOVABLE		0x0004
#define LUN_F_WRITE_CACHE	0x0008	/* WCE reported set */

struct msg_lun_config {
	uint32_t	lun_id;		/* master's index, stable per LUN */
	uint32_t	type;		/* LUN_TYPE_* */
	uint32_t	backend;	/* LUN_BACKEND_* */
	uint32_t	flags;		/* LUN_F_* */
	uint32_t	block_size;	/* 512, 1024, 2048 or 4096 */
	uint32_t	pad;
	uint64_t	lun;		/* LUN number */
	uint64_t	size;		/* bytes, 0 = size of the backing store */
	char		target[TGT_NAME_MAX];
	char		path[TGT_PATH_MAX];	/* for logs and identifiers */
	char		vendor[9];	/* T10 vendor id */
	char		product[17];
	char		revision[5];
	char		serial[33];	/* unit serial number (VPD 0x80) */
	uint8_t		naa[16];	/* NAA IEEE registered extended id */
};

struct msg_lun_ready {
	uint32_t	lun_id;
	uint32_t	block_size;
	uint64_t	size;		/* bytes */
};

struct msg_portal_config {
	uint32_t	portal_id;	/* relative target port id is id + 1 */
	uint16_t	tpgt;		/* target portal group tag */
	uint16_t	pad;
	uint32_t	max_cmds;	/* CmdSN window per session */
	uint32_t	max_xfer;	/* bytes, largest command accepted */
};

struct msg_listen {
	char		addr[TGT_ADDR_MAX];	/* as shown in SendTargets */
};

/* msg_target.flags */
#define TARGET_F_ALLOW_ALL	0x0001

struct msg_target {
	uint32_t	target_id;
	uint32_t	flags;
	char		name[TGT_NAME_MAX];
	char		alias[TGT_NAME_MAX];
};

struct msg_target_del {
	uint32_t	target_id;
};

struct msg_ring {
	uint32_t	target_id;	/* portal side */
	uint32_t	portal_id;	/* lun side */
	uint32_t	lun_id;
	uint32_t	pad;
	uint64_t	lun;
	struct ring_geom geom;
};

struct msg_ring_del {
	uint32_t	target_id;
	uint32_t	portal_id;
	uint32_t	lun_id;
	uint32_t	pad;
	uint64_t	lun;
};

/* Control replies. */
struct ctl_target {
	uint32_t	target_id;
	uint32_t	nluns;
	uint32_t	nsessions;
	uint32_t	flags;
	char		name[TGT_NAME_MAX];
};

struct ctl_lun {
	uint32_t	lun_id;
	uint32_t	block_size;
	uint64_t	lun;
	uint64_t	size;		/* bytes */
	uint32_t	pid;		/* 0 if not running */
	uint32_t	restarts;
	uint32_t	backend;
	uint32_t	flags;
	char		target[TGT_NAME_MAX];
	char		path[TGT_PATH_MAX];
};

struct ctl_session {
	uint64_t	tsih;
	uint8_t		isid[6];
	uint16_t	cid_count;	/* connections */
	uint32_t	portal_id;
	uint32_t	inflight;	/* commands in flight */
	char		initiator[TGT_NAME_MAX];
	char		target[TGT_NAME_MAX];
	char		peer[TGT_ADDR_MAX];
	char		local[TGT_ADDR_MAX];
};

#endif /* TGT_PROTO_H */
