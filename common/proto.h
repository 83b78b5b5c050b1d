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
 *	    -n instance", channel on fd 3 (TGT_CHILD_FD).  A LUN process is
 *	    forked by the launcher (tgt-lun -L, exec'd once) instead when it
 *	    runs: LAUNCH carries the arguments and the channel, the
 *	    launcher's child is the master's (clone(2) CLONE_PARENT) and
 *	    continues as above with its channel on fd 3.
 *	child: getpwnam, chroot, drop to the user, seccomp; only then it
 *	    reads messages.
 *
 * tgt-lun:   LUN_CONFIG (+ backing fd), ALUA when there are target port
 *            groups, then RING_ADD (+ memfd, sq efd, cq efd) for each
 *            portal; RING_DEL when a portal goes away.  It answers
 *            LUN_CONFIG with LUN_READY.
 * tgt-portal: PORTAL_CONFIG, LISTEN (+ socket fd) for each listener,
 *            TARGET for each target, LUN (+ memfd, sq efd, cq efd) for each
 *            LUN, then START.  LUN again with the same target/lun replaces
 *            the ring (the lun process was restarted): in-flight commands
 *            on the old ring end with a retryable error.
 */

#ifndef TGT_PROTO_H
#define TGT_PROTO_H

#include <sys/socket.h>

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

	/*
	 * Operations (tgtctl show portals/connections/stats/target, log,
	 * lun offline/online, session drop) and reload by difference.
	 * Requests tgtctl -> master:
	 */
	MSG_CTL_SHOW_PORTALS = 700, /* no payload */
	MSG_CTL_SHOW_CONNECTIONS, /* no payload; also master -> portal */
	MSG_CTL_SHOW_STATS,	/* no payload */
	MSG_CTL_SHOW_ATTRS,	/* struct ctl_name: a target's settings */
	MSG_CTL_LOG_VERBOSE,	/* int32_t level */
	MSG_CTL_LUN_STATE,	/* struct ctl_lun_state */
	MSG_CTL_SESSION_DROP,	/* struct ctl_session_drop; also master ->
				 * portal, which answers SESSION per
				 * session dropped, then END */
	/* replies master -> tgtctl (and portal -> master) */
	MSG_CTL_PORTAL = 720,	/* struct ctl_portal */
	MSG_CTL_CONNECTION,	/* struct ctl_connection */
	MSG_CTL_STATS,		/* struct ctl_lun_stats */
	MSG_CTL_ATTR,		/* struct ctl_attr */
	/* master -> lun */
	MSG_LUN_STATS = 740,	/* no payload; answered by MSG_LUN_STATS_REPLY
				 * with the same peerid */
	MSG_LUN_OFFLINE,	/* struct msg_lun_state */
	MSG_LUN_RESIZE,		/* no payload: backing store size changed,
				 * answered by MSG_LUN_READY */
	/* lun -> master */
	MSG_LUN_STATS_REPLY,	/* struct ctl_lun_stats */
	MSG_LUN_DEV_RESET,	/* no payload: a passthrough LUN's LUN RESET,
				 * the master resets the device (SG_SCSI_RESET
				 * needs CAP_SYS_ADMIN) */
	/* master -> portal */
	MSG_PORTAL_TARGET_DRAIN = 760, /* struct msg_drain: async logout to
				 * the target's sessions, close them after
				 * wait seconds; no new logins */
	MSG_PORTAL_DRAIN,	/* struct msg_drain: the same for every
				 * session; stop listening (target_id 0) */

	/*
	 * Access control and CHAP.  master -> portal: ACCESS for a target
	 * (before its TARGET, so that no login sees it without its rules)
	 * or for discovery sessions, then its nrules ACL messages; the new
	 * settings replace the old ones once the last rule arrived.  A
	 * target without ACCESS is open only if its TARGET had
	 * TARGET_F_ALLOW_ALL.
	 */
	MSG_PORTAL_ACCESS = 800, /* struct msg_access */
	MSG_PORTAL_ACL,		/* struct msg_acl */
	/* portal -> master: check a CHAP response; peerid = id */
	MSG_PORTAL_AUTH_REQ,	/* struct msg_auth_req */
	/* master -> portal: the verdict; peerid = id */
	MSG_PORTAL_AUTH_RESP,	/* struct msg_auth_resp */

	/*
	 * iSNS (RFC 4171).  The master connects to the server (non-blocking)
	 * and hands the socket to one portal with MSG_PORTAL_ISNS, followed
	 * by nportals ISNS_PORTAL and nnodes ISNS_NODE: the portal speaks
	 * iSNSP (registers the entity with all of them, replacing what was
	 * registered before, or deregisters it), then closes the socket and
	 * answers ISNS_DONE.
	 */
	MSG_PORTAL_ISNS = 820,	/* struct msg_isns + socket */
	MSG_PORTAL_ISNS_PORTAL,	/* struct msg_isns_portal */
	MSG_PORTAL_ISNS_NODE,	/* struct msg_isns_node */
	MSG_PORTAL_ISNS_DONE,	/* portal -> master: struct msg_isns_done */

	/*
	 * master -> lun, after LUN_CONFIG: STATE hands over the LUN's
	 * state file (persistent reservations with APTPL), opened read-write
	 * by the master.  XCOPY_PEER answers an XCOPY_REQ (below).
	 */
	MSG_LUN_STATE = 900,	/* no payload + state file fd */
	MSG_LUN_XCOPY_PEER,	/* struct msg_xcopy_peer [+ backing fd] */

	/*
	 * Reload of a target that stays.  master -> portal: LUN_DRAIN, a
	 * removed LUN takes no new commands (they get LOGICAL UNIT NOT
	 * SUPPORTED) but those already accepted complete; PORTAL_LUN_DEL
	 * follows after the drain timeout.  TARGET_READY after a new
	 * target's ACCESS, TARGET and LUN messages: until then discovery
	 * does not list it and logins get "service unavailable" (targets
	 * known at START are ready).  master -> lun: LUN_UA, a unit
	 * attention for every I_T nexus the LUN knows (only 3F/0E
	 * REPORTED LUNS DATA HAS CHANGED is accepted).
	 */
	MSG_PORTAL_LUN_DRAIN = 1000, /* struct msg_ring_del */
	MSG_PORTAL_TARGET_READY, /* struct msg_target_ready */
	MSG_LUN_UA,		/* struct msg_lun_ua */

	/*
	 * TARGET COLD RESET (RFC 7143 11.5.1) ends every session to the
	 * target on every portal.  The portal that answered it sends
	 * COLD_RESET to the master once its LUNs have the reset (portal ->
	 * master), and the master sends it on to every other portal
	 * (master -> portal), which closes the target's sessions.
	 */
	MSG_PORTAL_COLD_RESET = 1020, /* struct msg_target_reset */

	/*
	 * EXTENDED COPY from another LUN, resolved when a copy names it.
	 * lun -> master: XCOPY_REQ, the source's NAA designator, peerid a
	 * request id.  master -> lun: XCOPY_PEER with the same peerid and
	 * naa, the source's geometry and a read-only descriptor of its
	 * backing store when a LUN of the same target has that designator;
	 * without a descriptor (size 0) when none has.  The LUN closes the
	 * descriptor when the copy ends.
	 */
	MSG_LUN_XCOPY_REQ = 1030, /* struct msg_xcopy_req */

	/*
	 * Ceph RBD.  master -> lun, before LUN_CONFIG of a LUN with backend
	 * rbd: what the LUN needs to reach its image, read by the master
	 * from the cluster configuration and keyring (the LUN opens no
	 * file).
	 */
	MSG_LUN_RBD = 1040,	/* struct msg_lun_rbd */

	/*
	 * Cartridges of tape drives.  tgtctl -> master: DRIVE loads a
	 * cartridge of the media directory into an empty drive, or takes
	 * one out (answered OK or ERROR).  master -> lun: MEDIUM with the
	 * cartridge's descriptor puts it in the drive, which loads it
	 * (NOT READY TO READY CHANGE for every I_T nexus); MEDIUM without
	 * one takes the cartridge out, unless an I_T nexus prevents
	 * medium removal.  lun -> master: MEDIUM_DONE says what the drive
	 * holds now; the master closes its descriptor of a cartridge that
	 * left the drive.
	 */
	MSG_CTL_DRIVE = 1200,	/* struct ctl_drive */
	MSG_LUN_MEDIUM = 1210,	/* struct msg_lun_medium [+ cartridge fd] */
	MSG_LUN_MEDIUM_DONE,	/* struct msg_lun_medium_done */

	/*
	 * Media changers.  master -> changer lun, after LUN_CONFIG:
	 * CHANGER, its elements and what the drives hold (+ its inventory
	 * file, read-write, when the state directory has one).  A MOVE
	 * MEDIUM into or out of a drive: changer -> master MOVE, the
	 * master does it as a MEDIUM to the drive and answers MOVE_DONE.
	 * master -> changer: DRIVE when a drive's cartridge changed by
	 * other means (tgtctl drive).  tgtctl -> master: MAILSLOT puts a
	 * cartridge of the media directory in an import/export element or
	 * takes one out; the master relays it to the changer (MAILSLOT,
	 * answered by MAILSLOT_DONE).
	 */
	MSG_CTL_MAILSLOT = 1220, /* struct ctl_mailslot */
	MSG_LUN_CHANGER = 1230,	/* struct msg_changer [+ inventory fd] */
	MSG_LUN_MOVE,		/* struct msg_lun_move */
	MSG_LUN_MOVE_DONE,	/* struct msg_lun_move_done */
	MSG_LUN_CHANGER_DRIVE,	/* struct msg_changer_drive */
	MSG_LUN_MAILSLOT,	/* struct ctl_mailslot, peerid = ctl id */
	MSG_LUN_MAILSLOT_DONE,	/* struct msg_error: "" if done */
	/*
	 * changer -> master: INVENTORY, what every element holds, after
	 * each change (the master keeps the last one).  tgtctl -> master:
	 * SHOW_CARTRIDGES, answered by one CARTRIDGE per cartridge in a
	 * drive, slot or mail slot, then END.
	 */
	MSG_LUN_INVENTORY,	/* struct msg_inventory */
	MSG_CTL_SHOW_CARTRIDGES = 1240, /* no payload */
	MSG_CTL_CARTRIDGE,	/* struct ctl_cartridge */

	/*
	 * Asymmetric logical unit access (ALUA, SPC-4 5.15).  master ->
	 * lun: ALUA, the whole table of target port groups (their ids,
	 * states and relative target ports), after LUN_CONFIG and after
	 * every change; a group whose state changed gives every I_T nexus
	 * ASYMMETRIC ACCESS STATE CHANGED.  lun -> master: ALUA_SET, the
	 * states a SET TARGET PORT GROUPS asked for (already applied by
	 * that LUN), which the master applies to the other LUNs.
	 * tgtctl -> master: SHOW_PGROUPS (answered by one PGROUP per
	 * group, then END) and PGROUP_STATE (OK or ERROR).
	 */
	MSG_LUN_ALUA = 1250,	/* struct msg_lun_alua */
	MSG_LUN_ALUA_SET,	/* struct msg_lun_alua (ids and states) */
	MSG_CTL_SHOW_PGROUPS = 1260, /* no payload */
	MSG_CTL_PGROUP,		/* struct ctl_pgroup */
	MSG_CTL_PGROUP_STATE,	/* struct ctl_pgroup_state */

	/*
	 * master -> lun, first of all for a glfs LUN (tgt-lun -b glfs
	 * reads it before its sandbox, see tgt-lun(8))
	 */
	MSG_LUN_GLFS = 1300,	/* struct msg_lun_glfs */

	/*
	 * A LUN without a working process.  master -> portal: LUN_DOWN,
	 * the LUN's process ended (it is restarted with back-off and its
	 * new ring comes as a PORTAL_LUN), or with RING_DEL_F_FAILED it
	 * said it cannot serve (MSG_LUN_ERROR before MSG_LUN_READY) and
	 * reads no ring: what its ring held ends with a unit attention,
	 * new commands get NOT READY until a new ring comes, and task
	 * management functions do not wait for it.
	 * portal -> master: LUN_STUCK, a task management function sent on
	 * the LUN's ring got no answer for TGT_TMF_WAIT s; the master
	 * then sends the process LUN_PING and kills it (LUN_DOWN follows)
	 * unless it answers LUN_PONG within MASTER_PING_WAIT s, so that a
	 * portal alone cannot have a working LUN killed.
	 */
	MSG_PORTAL_LUN_DOWN = 1420, /* struct msg_ring_del */
	MSG_PORTAL_LUN_STUCK,	/* struct msg_ring_del */
	MSG_LUN_PING,		/* no payload */
	MSG_LUN_PONG,		/* no payload */

	/*
	 * master -> launcher (tgt-lun -L): start a LUN process with this
	 * channel; peerid is the master's number for the request, which
	 * LAUNCHED carries back with the new process id.
	 */
	MSG_LAUNCH = 1500,	/* struct msg_launch + the child's channel */
	MSG_LAUNCHED,		/* struct msg_launched */
};

struct msg_error {
	char		text[TGT_ERR_MAX];
};

/* lun_config.type */
#define LUN_TYPE_DISK		0
#define LUN_TYPE_TAPE		1	/* SSC tape drive; fd: its cartridge */
#define LUN_TYPE_CHANGER	2	/* SMC media changer; no fd */
#define LUN_TYPE_OPTICAL	3	/* MMC DVD drive; fd: its disc image */
/*
 * SCSI passthrough: the commands go to a Linux sg device, which tgt-lun
 * opens itself (started with -S path, see tgt-lun.c); no fd.
 */
#define LUN_TYPE_PASSTHROUGH	4

/* lun_config.backend */
#define LUN_BACKEND_RDWR	0
#define LUN_BACKEND_AIO		1
#define LUN_BACKEND_IO_URING	2
#define LUN_BACKEND_NULL	3	/* no store: LUN_CONFIG carries no fd */
#define LUN_BACKEND_SG		4	/* ctl_lun only: a passthrough LUN */
#define LUN_BACKEND_RBD		5	/* Ceph RBD image: no fd, LUN_RBD first */
#define LUN_BACKEND_GLFS	6	/* GlusterFS: MSG_LUN_GLFS, no fd */

/* lun_config.flags */
#define LUN_F_READONLY		0x0001
#define LUN_F_THIN		0x0002
#define LUN_F_REMOVABLE		0x0004
#define LUN_F_WRITE_CACHE	0x0008	/* WCE reported set */
/* physical block size 2^(9 + n) bytes, n in bits 4-7; 0: the block size */
#define LUN_F_PBLOCK_SHIFT	4
#define LUN_F_PBLOCK_MASK	0x00f0
#define LUN_F_DIRECT		0x0100	/* store opened with O_DIRECT */
/* passthrough: the target keeps the reservations, not the device */
#define LUN_F_PT_RESERVE	0x0200
/* rbd: reservations in a RADOS object all gateways share (pr_rados.c) */
#define LUN_F_PR_CLUSTER	0x0400

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

#define RBD_MON_MAX		512	/* "v2:127.0.0.1:3300,..." */
#define RBD_KEY_MAX		128	/* base64 cephx secret */
#define RBD_NAME_MAX		128	/* pool, namespace, image, user */

struct msg_lun_rbd {
	char		mon_host[RBD_MON_MAX];
	char		key[RBD_KEY_MAX];
	char		user[RBD_NAME_MAX];	/* cephx id, without "client." */
	char		pool[RBD_NAME_MAX];
	char		ns[RBD_NAME_MAX];	/* "": the default namespace */
	char		image[RBD_NAME_MAX];
	uint32_t	timeout;	/* seconds for a mon or OSD operation */
	uint32_t	pad;
};
/* A glfs LUN's image: volume, its volfile servers, path in the volume. */
#define GLFS_SERVERS_MAX	4
#define GLFS_HOST_MAX		256
#define GLFS_VOLUME_MAX		128
struct msg_glfs_server {
	char		host[GLFS_HOST_MAX];	/* name or address */
	uint32_t	port;			/* 0: 24007 */
	uint32_t	pad;
};
struct msg_lun_glfs {
	char		volume[GLFS_VOLUME_MAX];
	char		path[TGT_PATH_MAX];	/* absolute, in the volume */
	uint32_t	nservers;	/* 1 to GLFS_SERVERS_MAX */
	uint32_t	readonly;	/* open the image read-only */
	uint64_t	create;		/* bytes: create a missing image */
	struct msg_glfs_server server[GLFS_SERVERS_MAX];
};

struct msg_xcopy_peer {
	uint8_t		naa[16];	/* the peer LUN's NAA designator */
	uint32_t	block_size;
	uint32_t	writable;	/* 0: the fd is read-only (always) */
	uint64_t	size;		/* bytes exported; 0: no such LUN */
};

struct msg_xcopy_req {
	uint8_t		naa[16];	/* as named, zero padded */
};

struct msg_lun_ready {
	uint32_t	lun_id;
	uint32_t	block_size;
	uint64_t	size;		/* bytes */
};

struct msg_portal_config {
	uint32_t	portal_id;
	uint16_t	tpgt;		/* target portal group tag */
	uint16_t	rel_port;	/* relative target port id, 0: id + 1 */
	uint32_t	max_cmds;	/* CmdSN window per session */
	uint32_t	max_xfer;	/* bytes, largest command accepted */
	uint32_t	nop_interval;	/* idle seconds before a NOP-In, 0 none */
	uint32_t	nop_timeout;	/* seconds for its answer */
	char		advertise[TGT_ADDR_MAX]; /* TargetAddress, "": listener */
};

struct msg_listen {
	char		addr[TGT_ADDR_MAX];	/* as shown in SendTargets */
	uint32_t	transport;		/* CTL_TRANSPORT_* */
	uint32_t	sslen;			/* iSER: address to bind */
	struct sockaddr_storage ss;
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

struct msg_target_reset {
	uint32_t	target_id;
};

struct msg_ring {
	uint32_t	target_id;	/* portal side */
	uint32_t	portal_id;	/* lun side */
	uint32_t	lun_id;
	uint16_t	rel_port;	/* relative target port id, 0:
					 * portal_id + 1 */
	uint16_t	pad;
	uint64_t	lun;
	struct ring_geom geom;
};

#define TGT_TMF_WAIT	5	/* s: LUN_STUCK, see above */

struct msg_ring_del {
	uint32_t	target_id;
	uint32_t	portal_id;
	uint32_t	lun_id;
	uint32_t	flags;		/* LUN_DOWN: */
#define RING_DEL_F_FAILED 0x1		/* alive, but it cannot serve */
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

/* Operations. */
#define CTL_TARGET_F_DRAINING	0x80000000	/* ctl_target.flags */
#define CTL_LUN_F_OFFLINE	0x80000000	/* ctl_lun.flags */

struct ctl_name {
	char		name[TGT_NAME_MAX];
};

struct ctl_lun_state {
	uint64_t	lun;
	uint32_t	offline;	/* 1 offline, 0 online */
	uint32_t	pad;
	char		target[TGT_NAME_MAX];
};

struct msg_lun_state {
	uint32_t	offline;
};

struct ctl_session_drop {
	uint64_t	tsih;
	uint32_t	count;		/* reply: sessions dropped */
	uint32_t	pad;
	char		target[TGT_NAME_MAX];
};

struct msg_drain {
	uint32_t	target_id;
	uint32_t	wait;		/* seconds: AsyncEvent 1 Parameter3 */
};

/* ctl_portal.state */
#define CTL_PORTAL_RUNNING	0
#define CTL_PORTAL_STOPPED	1	/* waiting to be restarted */
#define CTL_PORTAL_DRAINING	2	/* removed by a reload */

struct ctl_portal {
	uint32_t	portal_id;
	uint32_t	pid;		/* 0 if not running */
	uint32_t	restarts;
	uint32_t	state;		/* CTL_PORTAL_* */
	char		addr[TGT_ADDR_MAX];
};

#define CTL_TRANSPORT_TCP	0
#define CTL_TRANSPORT_ISER	1

struct ctl_connection {
	uint64_t	tsih;
	uint16_t	cid;
	uint8_t		transport;	/* CTL_TRANSPORT_* */
	uint8_t		pad;
	uint32_t	portal_id;
	uint32_t	max_recv_dsl;
	uint32_t	max_xmit_dsl;
	uint32_t	max_burst;
	uint32_t	first_burst;
	uint32_t	max_outstanding_r2t;
	uint32_t	max_connections;
	uint32_t	default_time2wait;
	uint32_t	default_time2retain;
	uint8_t		header_digest;	/* 0 None, 1 CRC32C */
	uint8_t		data_digest;
	uint8_t		initial_r2t;
	uint8_t		immediate_data;
	uint8_t		data_pdu_in_order;
	uint8_t		data_seq_in_order;
	uint8_t		erl;
	uint8_t		full;		/* 1 full feature phase */
	char		initiator[TGT_NAME_MAX];
	char		target[TGT_NAME_MAX];
	char		peer[TGT_ADDR_MAX];
	char		local[TGT_ADDR_MAX];
};

/* Latency histogram: lat[i] counts commands that took < 2^i us. */
#define CTL_LAT_BUCKETS		32

struct ctl_lun_stats {
	uint32_t	lun_id;
	uint32_t	offline;
	uint64_t	lun;
	uint64_t	cmds;
	uint64_t	reads;
	uint64_t	writes;
	uint64_t	read_bytes;
	uint64_t	write_bytes;
	uint64_t	errors;		/* status other than GOOD */
	uint64_t	lat_sum_us;
	uint64_t	uptime_s;	/* since the process started */
	uint64_t	lat[CTL_LAT_BUCKETS];
	char		target[TGT_NAME_MAX];	/* filled in by the master */
};

struct ctl_attr {
	char		target[TGT_NAME_MAX];
	char		key[32];	/* "alias", "allow", "auth" ... */
	char		value[TGT_PATH_MAX];
};

/* msg_access.target_id of discovery sessions */
#define ACCESS_DISCOVERY	0xffffffffu

/* msg_access.flags */
#define ACCESS_F_ALLOW_ALL	0x0001	/* no allow rule applies */
#define ACCESS_F_CHAP		0x0002	/* CHAP required */
#define ACCESS_F_REDIRECT	0x0004	/* logins get redirect */
#define ACCESS_F_PERMANENT	0x0008	/* redirect: moved permanently */

#define ACCESS_RULES_MAX	1024	/* allow rules per target */

struct msg_access {
	uint32_t	target_id;
	uint32_t	flags;		/* ACCESS_F_* */
	uint32_t	nrules;		/* MSG_PORTAL_ACL that follow */
	uint32_t	pad;
	char		redirect[TGT_ADDR_MAX];	/* TargetAddress value */
};

/* msg_acl.type */
#define ACL_INITIATOR		1	/* pattern: fnmatch(3), no case */
#define ACL_ADDRESS		2	/* family, addr, prefix */

struct msg_acl {
	uint32_t	target_id;
	uint8_t		type;		/* ACL_* */
	uint8_t		family;		/* 4 or 6 */
	uint8_t		prefix;		/* bits, <= 32 or 128 */
	uint8_t		pad;
	uint8_t		addr[16];	/* network byte order */
	char		pattern[TGT_NAME_MAX];
};

/* CHAP algorithms (CHAP_A) */
#define CHAP_ALG_MD5		5
#define CHAP_ALG_SHA256		7
#define CHAP_DIGEST_MAX		32	/* SHA-256 */
#define CHAP_CHALLENGE_MAX	1024	/* initiator's CHAP_C, bytes */
#define CHAP_NAME_MAX		256	/* CHAP_N */

struct msg_auth_req {
	uint32_t	id;		/* portal's exchange id */
	uint32_t	target_id;	/* ACCESS_DISCOVERY: discovery */
	uint8_t		algorithm;	/* CHAP_ALG_* */
	uint8_t		chap_i;		/* our identifier */
	uint8_t		mutual;		/* ichap_i, ichallenge are set */
	uint8_t		ichap_i;	/* the initiator's identifier */
	uint16_t	challenge_len;	/* ours */
	uint16_t	response_len;
	uint16_t	ichallenge_len;
	uint16_t	pad;
	uint8_t		challenge[CHAP_CHALLENGE_MAX];
	uint8_t		response[CHAP_DIGEST_MAX];
	uint8_t		ichallenge[CHAP_CHALLENGE_MAX];
	char		user[CHAP_NAME_MAX];	/* CHAP_N */
	char		initiator[TGT_NAME_MAX];
	char		target[TGT_NAME_MAX];	/* "" for discovery */
	char		peer[TGT_ADDR_MAX];	/* for the log */
};

/* msg_auth_resp.result */
#define AUTH_R_OK		0
#define AUTH_R_FAIL		1

struct msg_auth_resp {
	uint32_t	id;
	uint32_t	result;		/* AUTH_R_* */
	uint16_t	response_len;	/* mutual: our CHAP_R, else 0 */
	uint16_t	pad;
	uint32_t	pad2;
	uint8_t		response[CHAP_DIGEST_MAX];
	char		user[CHAP_NAME_MAX];	/* mutual: our CHAP_N */
};

#define ISNS_PORTALS_MAX	64	/* per request */
#define ISNS_NODES_MAX		4096

/* msg_isns.op */
#define ISNS_OP_REGISTER	0
#define ISNS_OP_DEREGISTER	1	/* the entity and all it holds */

struct msg_isns {
	uint32_t	op;		/* ISNS_OP_* */
	uint32_t	nportals;
	uint32_t	nnodes;
	uint32_t	seq;		/* echoed in ISNS_DONE */
	char		eid[TGT_NAME_MAX];	/* entity identifier */
	char		source[TGT_NAME_MAX];	/* deregister: a node of the
						 * entity as source */
};

struct msg_isns_portal {
	uint8_t		addr[16];	/* IPv6 or IPv4-mapped */
	uint32_t	port;
	uint32_t	tpgt;		/* portal group tag */
};

struct msg_isns_node {
	char		name[TGT_NAME_MAX];
	char		alias[TGT_NAME_MAX];
};

struct msg_isns_done {
	uint32_t	seq;
	uint32_t	ok;		/* 1 registered (deregistered) */
	uint32_t	status;		/* iSNS error code, or 0 */
	uint32_t	pad;
};

struct msg_target_ready {
	uint32_t	target_id;
};

struct msg_launch {
	char		instance[TGT_NAME_MAX + 32];
	char		user[TGT_NAME_MAX];
	char		chroot[TGT_PATH_MAX];
	int32_t		verbose;
	uint32_t	io_uring;	/* as -b io_uring */
};

struct msg_launched {
	int32_t		pid;		/* > 0, or 0 if it failed */
	int32_t		error;		/* errno of the failure */
};

struct msg_lun_ua {
	uint8_t		asc;
	uint8_t		ascq;
	uint16_t	pad;
};

/* ctl_drive.op */
#define DRIVE_OP_LOAD		1
#define DRIVE_OP_UNLOAD		2

#define TGT_BARCODE_MAX		40	/* a barcode and its NUL, padded */

struct ctl_drive {
	uint64_t	lun;
	uint32_t	op;		/* DRIVE_OP_* */
	uint32_t	pad;
	char		target[TGT_NAME_MAX];
	char		barcode[TGT_BARCODE_MAX];	/* load */
};

struct msg_lun_medium {
	char		barcode[TGT_BARCODE_MAX];	/* with a fd */
};

struct msg_lun_medium_done {
	uint32_t	ok;		/* 1: done as asked */
	uint32_t	loaded;		/* 1: holds a cartridge now */
	char		barcode[TGT_BARCODE_MAX];
	char		text[256];	/* why not */
};

#define CHANGER_DRIVES_MAX	16
#define CHANGER_SLOTS_MAX	1024
#define CHANGER_MAIL_MAX	16
#define CHANGER_PLACED_MAX	64	/* cartridges placed by tgt.conf */

/* msg_changer.placed[].kind, ctl_mailslot */
#define CHANGER_SLOT		1
#define CHANGER_MAILSLOT	2

struct msg_changer {
	uint32_t	nslots;
	uint32_t	nmail;
	uint32_t	ndrives;
	uint32_t	nplaced;
	struct {
		char	serial[TGT_BARCODE_MAX];	/* DVCID */
		char	barcode[TGT_BARCODE_MAX];	/* held now, "" */
	} drive[CHANGER_DRIVES_MAX];
	struct {
		uint16_t kind;			/* CHANGER_SLOT, _MAILSLOT */
		uint16_t index;			/* from 1 */
		char	barcode[TGT_BARCODE_MAX];
	} placed[CHANGER_PLACED_MAX];	/* at first start (no inventory) */
};

/* msg_lun_move.op */
#define MOVE_TO_DRIVE		1
#define MOVE_FROM_DRIVE		2

struct msg_lun_move {
	uint32_t	id;		/* echoed in MOVE_DONE */
	uint32_t	drive;		/* index, from 0 */
	uint32_t	op;		/* MOVE_* */
	uint32_t	pad;
	char		barcode[TGT_BARCODE_MAX];
};

struct msg_lun_move_done {
	uint32_t	id;
	uint32_t	ok;
	uint16_t	ascq;		/* not ok: ASC << 8 | ASCQ */
	uint8_t		key;		/* and sense key */
	uint8_t		pad;
	uint32_t	pad2;
	char		text[256];
};

struct msg_changer_drive {
	uint32_t	drive;
	uint32_t	pad;
	char		barcode[TGT_BARCODE_MAX];	/* "" empty */
};

/* msg_inventory.e[].kind: CHANGER_SLOT, CHANGER_MAILSLOT or this */
#define CHANGER_DRIVE		3

struct msg_inventory {
	uint32_t	n;		/* entries used */
	uint32_t	pad;
	struct {
		uint16_t kind;
		uint16_t index;		/* from 1 (drives from 0) */
		char	barcode[TGT_BARCODE_MAX];
	} e[CHANGER_SLOTS_MAX + CHANGER_MAIL_MAX + CHANGER_DRIVES_MAX];
};

struct ctl_cartridge {
	uint64_t	lun;		/* of the drive or changer */
	uint32_t	kind;		/* CHANGER_SLOT, _MAILSLOT, _DRIVE */
	uint32_t	index;		/* slot or mail slot from 1; drive 0 */
	char		target[TGT_NAME_MAX];
	char		barcode[TGT_BARCODE_MAX];
};

/* ctl_mailslot.op */
#define MAILSLOT_INSERT		1
#define MAILSLOT_EJECT		2

struct ctl_mailslot {
	uint64_t	lun;
	uint32_t	op;		/* MAILSLOT_* */
	uint32_t	pad;
	char		target[TGT_NAME_MAX];
	char		barcode[TGT_BARCODE_MAX];
};

/*
 * Asymmetric access states (SPC-4 6.37, the codes of REPORT TARGET PORT
 * GROUPS) of a target port group.
 */
#define ALUA_ACTIVE_OPTIMIZED	0x0
#define ALUA_ACTIVE_NONOPT	0x1
#define ALUA_STANDBY		0x2
#define ALUA_UNAVAILABLE	0x3
#define ALUA_TRANSITIONING	0xf

#define ALUA_GROUPS_MAX		32	/* target port groups */
#define ALUA_PORTS_MAX		64	/* relative target ports per group */
#define ALUA_TRANSITION_MAX	255	/* seconds */

/* msg_lun_alua.flags */
#define ALUA_F_EXPLICIT		0x0001	/* SET TARGET PORT GROUPS allowed */

/* msg_lun_alua.group[].status: why the state is what it is */
#define ALUA_STATUS_NONE	0
#define ALUA_STATUS_EXPLICIT	1	/* a SET TARGET PORT GROUPS */
#define ALUA_STATUS_IMPLICIT	2	/* the target (tgtctl, reload) */

struct msg_alua_group {
	uint16_t	id;		/* target port group id */
	uint8_t		state;		/* ALUA_* */
	uint8_t		pref;		/* 1: preferred */
	uint8_t		status;		/* ALUA_STATUS_* */
	uint8_t		pad;
	uint16_t	nports;		/* <= ALUA_PORTS_MAX */
	uint16_t	ports[ALUA_PORTS_MAX];	/* relative target port ids */
};

struct msg_lun_alua {
	uint32_t	flags;		/* ALUA_F_* */
	uint32_t	ngroups;	/* <= ALUA_GROUPS_MAX; 0: no ALUA */
	uint32_t	transition;	/* implicit transition time, seconds */
	uint32_t	pad;
	struct msg_alua_group group[ALUA_GROUPS_MAX];
};

struct ctl_pgroup {
	uint16_t	id;
	uint8_t		state;		/* ALUA_* now */
	uint8_t		conf_state;	/* as tgt.conf says */
	uint8_t		pref;
	uint8_t		status;		/* ALUA_STATUS_* */
	uint16_t	nports;		/* listeners in the group */
	uint32_t	flags;		/* ALUA_F_* of the suite */
	uint32_t	pad;
	char		listeners[TGT_PATH_MAX];	/* "addr (rp N), ..." */
};

struct ctl_pgroup_state {
	uint32_t	id;
	uint32_t	state;		/* ALUA_* */
};

#endif /* TGT_PROTO_H */
