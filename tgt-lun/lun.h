/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * tgt-lun: one process per logical unit.  Its parts:
 *
 *	tgt-lun.c	main, sandbox, master dispatch (config, rings)
 *	lunring.c	ring consumer: validate sqes, run them, push cqes
 *	lun.c		the logical unit: backing store, I_T nexus table,
 *			unit attentions, task management
 *	cdb.c		the SPC command table shared by every device
 *			type, CDB decoding, command dispatch
 *	sense.c		fixed and descriptor format sense data
 *	spc.c		primary commands: INQUIRY, VPD, MODE SENSE...
 *	sbc.c		disks (SBC-3): their command table, READ, WRITE,
 *			READ CAPACITY...
 *	ssc.c		tape drives (SSC-4): their command table, READ,
 *			WRITE, SPACE, LOCATE, READ POSITION...
 *	smc.c		media changers (SMC-3): their command table, READ
 *			ELEMENT STATUS, MOVE MEDIUM...
 *	mmc.c		optical drives (MMC-6): their command table, GET
 *			CONFIGURATION, READ TOC, the tray and media events
 *	alua.c		asymmetric access: target port group states and
 *			the commands each allows, REPORT and SET TARGET
 *			PORT GROUPS
 *	backend_rdwr.c	pread/pwrite backing store
 *	backend_aio.c	libaio backing store, completions on an eventfd
 *	backend_io_uring.c io_uring backing store, completions on its fd
 *	backend_null.c	no store: writes dropped, reads zeroes
 *	passthrough.c	SCSI passthrough: the device's own commands,
 *			but for what stays the target's
 *	backend_sg.c	its transport: Linux sg, asynchronous
 *	backend_glfs.c	GlusterFS image through gfapi, completions on an
 *			eventfd
 *
 * Everything but tgt-lun.c works without a ring or an event loop, so
 * that regress/unit/scsi_test.c can drive commands directly: fill a
 * struct scsi_cmd with scsi_cmd_init(), call scsi_exec(), read status,
 * sense, len and want (with the aio backend, poll until done).
 */

#ifndef TGT_LUN_H
#define TGT_LUN_H

#include <sys/queue.h>
#include <sys/tree.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>

#include "bytes.h"
#include "msg.h"
#include "proto.h"
#include "ring.h"

#define LUN_MAX_NEXUS		4096	/* per LUN: a hostile peer */
#define LUN_MAX_XFER		(8u << 20) /* bytes, advertised in VPD B0 */

/* Pending unit attention conditions, by priority (lowest bit first). */
#define UA_POWER_ON		0x0001	/* 29/00 */
#define UA_BUS_DEVICE_RESET	0x0002	/* 29/03 */
#define UA_MODE_CHANGED		0x0004	/* 2A/01 */
#define UA_CAPACITY_CHANGED	0x0008	/* 2A/09 */
#define UA_RES_PREEMPTED	0x0010	/* 2A/03 */
#define UA_RES_RELEASED		0x0020	/* 2A/04 */
#define UA_REGS_PREEMPTED	0x0040	/* 2A/05 */
#define UA_LUNS_CHANGED		0x0080	/* 3F/0E REPORTED LUNS DATA CHANGED */
#define UA_MEDIUM_CHANGED	0x0100	/* 28/00 NOT READY TO READY CHANGE */
#define UA_IE_ACCESSED		0x0200	/* 28/01 IMPORT OR EXPORT ELEMENT
					 * ACCESSED */
#define UA_ALUA_CHANGED		0x0400	/* 2A/06 ASYMMETRIC ACCESS STATE
					 * CHANGED */

/* What a ring (a portal) looks like to the commands it carries. */
struct lun_port {
	uint32_t		 portal_id;
	uint32_t		 data_size;	/* of the ring's data area */
	uint16_t		 rel_port;	/* relative target port id, 0:
						 * portal_id + 1 */
};

/* An I_T nexus, keyed by (portal, nexus id chosen by the portal). */
struct nexus {
	RB_ENTRY(nexus)		 entry;
	uint32_t		 portal_id;
	uint32_t		 id;
	char			 initiator[TGT_NAME_MAX];
	uint8_t			 isid[6];
	uint16_t		 tpgt;
	uint16_t		 rel_port;
	uint16_t		 ua;		/* UA_* pending */
	int			 announced;	/* NEXUS_ADD seen */
	int			 prevent;	/* removal prevented */
	/* EXTENDED COPY status held for RECEIVE COPY RESULTS */
	int			 xc_held;
	uint8_t			 xc_list_id;
	uint8_t			 xc_status;
	uint16_t		 xc_segs;
	uint64_t		 xc_bytes;
};
RB_HEAD(nexus_tree, nexus);
int	 nexus_cmp(struct nexus *, struct nexus *);
RB_PROTOTYPE(nexus_tree, nexus, entry, nexus_cmp)

struct lun;
struct scsi_op;
struct scsi_cmd;
struct backend;

/*
 * One entry of a command table: operation code, service action when the
 * opcode has them, the CDB length, flags and the handler.  usage: the CDB
 * usage data of REPORT SUPPORTED OPERATION CODES (SPC-4 6.35.3): the
 * opcode, the service action in its place, and a mask of the bits the
 * device server looks at in every other byte.
 */
struct scsi_op {
	uint8_t		 opcode;
	uint8_t		 sa;
	uint8_t		 cdb_len;
	uint8_t		 flags;
	int		 (*fn)(struct scsi_cmd *);
	const char	*name;
	uint8_t		 usage[16];
};

#define OPF_NO_UA	0x01	/* neither reports nor clears a UA */
#define OPF_SA		0x02	/* service action: byte 1, bits 4-0 */
/* access class for reservation conflicts (SPC-4 5.13.1) */
#define OPF_READ	0x04	/* reads the medium */
#define OPF_WRITE	0x08	/* changes the medium or its state */
#define OPF_ALWAYS	0x10	/* never in conflict */
#define OPF_THIN	0x20	/* thin-provisioned LUNs only */
#define OPF_SANITIZE	0x40	/* allowed while a SANITIZE runs */
#define OPF_ALUA	0x80	/* LUNs with target port groups only */

/*
 * A device type: its own command table (looked up before the SPC table
 * of cdb.c, so an opcode that means something else on this type is
 * its own) and what it adds to the SPC commands that every type shares.
 * The LUN's configured type picks one at start (lun_init()).
 */
struct devtype {
	const char		*name;
	uint8_t			 pdt;		/* peripheral device type */
	uint8_t			 inq5;		/* standard INQUIRY byte 5 */
	uint16_t		 version;	/* version descriptor */
	const char		*product;	/* default product id */
	const struct scsi_op	*ops;
	size_t			 nops;
	/*
	 * Set up the device on its store, fd (-1: none, a drive without a
	 * cartridge).  NULL: a block device, set up by lun_init() itself.
	 */
	int	(*init)(struct lun *, int fd, char *err, size_t errlen);
	void	(*fini)(struct lun *);
	/* VPD pages beyond 00h, 80h and 83h, in ascending order */
	const uint8_t		*vpd;
	size_t			 nvpd;
	uint32_t (*vpd_page)(struct scsi_cmd *, uint8_t page, uint8_t *b);
	/* mode pages, ascending, the shared 0Ah and 1Ch among them */
	const uint8_t		*mode_pages;
	size_t			 nmode_pages;
	/* a page of the device (pc: current, changeable, default) */
	uint32_t (*mode_page)(struct lun *, uint8_t page, int pc, uint8_t *p);
	/* take a validated page of MODE SELECT; 1 if something changed */
	int	(*mode_page_set)(struct lun *, const uint8_t *p);
	/* block descriptor: fill it, return its length (8, or 16 LLBAA) */
	uint32_t (*mode_bd)(struct lun *, int llbaa, uint8_t *bd);
	/* MODE SELECT block descriptor: -1 if not acceptable; apply: take
	 * it, 1 if something changed */
	int	(*mode_bd_set)(struct lun *, const uint8_t *bd, uint32_t len,
		    int apply);
	/*
	 * MODE SENSE of page 0 returns the header and block descriptor
	 * alone (what Linux st asks a tape drive for), not an error.
	 */
	int			 mode_page0;
	/* DEVICE-SPECIFIC PARAMETER of the mode parameter header */
	uint8_t	(*mode_devspec)(struct lun *);
	/* a LUN reset: the device's state back to its defaults */
	void	(*reset)(struct lun *);
	/*
	 * Passthrough: the shared SPC table is not used, and every command
	 * not in ops goes here, to the device.  NULL: emulated.
	 */
	int	(*forward)(struct scsi_cmd *);
};

extern const struct devtype devtype_disk;
extern const struct devtype devtype_tape;
extern const struct devtype devtype_changer;
extern const struct devtype devtype_optical;
extern const struct devtype devtype_passthrough;
const struct devtype *devtype_get(uint32_t type);

/* A persistent reservation registration, kept by initiator port. */
struct pr_reg {
	TAILQ_ENTRY(pr_reg)	 entry;
	char			 initiator[TGT_NAME_MAX];
	uint8_t			 isid[6];
	uint16_t		 rel_port;
	uint64_t		 key;
	int			 all_tg_pt;	/* every target port */
	int			 any_isid;	/* TransportID without ISID */
};
TAILQ_HEAD(pr_regs, pr_reg);

/* A unit attention (and abort) for the nexuses of a registration. */
struct pr_ev {
	struct pr_reg		 reg;		/* its identity */
	uint16_t		 ua;		/* UA_* */
	int			 abort;		/* PREEMPT AND ABORT */
};
#define PR_EV_MAX		64

/*
 * Reservations kept outside this process, shared with other gateways
 * over the same store (pr_rados.c).  Each returns 0 or -errno.
 *	load:	read the shared state into the LUN, before a change;
 *	sync:	read it again if another gateway changed it since;
 *	commit:	publish the LUN's state and its pr_ev[] if the shared
 *		state is still the one load() read (else -ECANCELED),
 *		once every other gateway took note of it.
 */
struct pr_store {
	int	(*load)(struct lun *);
	int	(*sync)(struct lun *);
	int	(*commit)(struct lun *);
};

/*
 * An initiator port that had an I_T nexus when a TARGET COLD RESET came:
 * its next login gets the power on unit attention (the reset ended its
 * session, as a power cycle would).
 */
struct lun_cold {
	TAILQ_ENTRY(lun_cold)	 entry;
	char			 initiator[TGT_NAME_MAX];
	uint8_t			 isid[6];
};
TAILQ_HEAD(lun_colds, lun_cold);

struct lun {
	struct msg_lun_config	 cfg;
	const struct devtype	*dt;
	void			*dev;		/* the device type's state */
	int			 fd;
	uint64_t		 size;		/* bytes exported */
	uint64_t		 nblocks;
	uint32_t		 block_size;
	uint32_t		 block_shift;
	uint32_t		 pb_exp;	/* logical per physical, log2 */
	int			 readonly;
	int			 thin;
	int			 removable;
	int			 direct;	/* store opened O_DIRECT */
	uint32_t		 dio_align;	/* O_DIRECT alignment */

	/* mode parameters, current values */
	int			 wce;
	int			 d_sense;
	int			 swp;

	/* removable medium */
	int			 ejected;
	int			 prevent;	/* by no nexus (tests) */

	const struct backend	*be;
	void			*be_priv;
	struct event_base	*evb;		/* NULL in unit tests */

	struct nexus_tree	 nexuses;
	uint32_t		 nnexus;
	/* initiator ports ended by a cold reset, at most LUN_MAX_NEXUS */
	struct lun_colds	 colds;

	/* persistent reservations (pr.c) */
	struct pr_regs		 pr_regs;
	uint32_t		 pr_nregs;
	uint32_t		 pr_generation;
	struct pr_reg		*pr_holder;	/* NULL: not reserved */
	uint8_t			 pr_type;
	int			 pr_aptpl;	/* persist through power loss */
	int			 pr_fd;		/* state file, or -1 */
	uint32_t		 pr_seq;	/* of the last state written */
	const struct pr_store	*pr_store;	/* NULL: this process's */
	void			*pr_store_priv;
	struct pr_ev		 pr_ev[PR_EV_MAX];	/* of a PR OUT */
	uint32_t		 pr_nev;
	/* SPC-2 RESERVE(6) */
	struct nexus		*res6_holder;
	int			 res6_anon;	/* held without a nexus */
	/*
	 * With a cluster store: the holder by its I_T nexus identity
	 * (initiator port, relative target port), kept in the cluster.
	 */
	int			 res6_shared;
	struct pr_reg		 res6_id;

	/* SANITIZE (sanitize.c) */
	int			 san_active;	/* in progress */
	int			 san_failed;	/* failure mode */
	int			 san_pending;	/* san_cmd returned PENDING */
	struct scsi_cmd		*san_cmd;	/* completes at the end */
	struct event		*san_ev;
	uint8_t			*san_pat;	/* initialization pattern */
	uint8_t			*san_buf;
	uint32_t		 san_patlen;
	uint32_t		 san_passes;
	int			 san_invert;
	uint64_t		 san_done;	/* bytes */
	uint64_t		 san_total;

	/* commands waiting for backing store I/O */
	TAILQ_HEAD(, scsi_cmd)	 inflight;
	uint32_t		 ninflight;

	/*
	 * EXTENDED COPY: ask the master for the backing store of the LUN
	 * of this target with that NAA designator; xcopy_peer_reply()
	 * gets the answer.  NULL: no other LUN is reachable.
	 */
	int			(*xcopy_ask)(struct lun *, const uint8_t *naa,
				    uint32_t reqid);

	/* passthrough: ask the master to reset the device; 0 or -1 */
	int			(*dev_reset)(struct lun *);
	/*
	 * The backend saw its store change size (rbd: a resize from any
	 * client); may be NULL.
	 */
	void			(*resized)(struct lun *);
	/*
	 * Asymmetric access (alua.c): the target port groups, no ALUA
	 * while ngroups is 0.  alua_tell reports the states a SET TARGET
	 * PORT GROUPS gave to the master (NULL: nobody to tell).
	 */
	struct msg_lun_alua	 alua;
	/*
	 * The master's table (this gateway's groups), and the other
	 * gateways' groups from the cluster (alua_rados.c): alua is made
	 * of both by alua_apply().
	 */
	struct msg_lun_alua	 alua_local;
	struct msg_alua_group	 alua_peer[ALUA_GROUPS_MAX];
	uint32_t		 alua_npeer;
	int			(*alua_tell)(struct lun *,
				    const struct msg_lun_alua *);

	/* called after a batch of asynchronous completions */
	void			(*batch_done)(struct lun *, void *);
	void			*batch_arg;

	/* the worker thread of a backend with BE_F_WORKER (worker.c) */
	struct lun_worker	*worker;
	int			 worker_failed;
	/* no command is taken from the rings while this is not 0 */
	uint32_t		 held;
};

#define SCSI_DONE		0
#define SCSI_PENDING		1	/* cmd->done() will be called */

struct scsi_cmd {
	TAILQ_ENTRY(scsi_cmd)	 entry;		/* lists */
	struct lun		*lun;
	struct nexus		*nexus;		/* may be NULL */
	const struct lun_port	*port;		/* may be NULL */
	const struct scsi_op	*op;
	uint64_t		 tag;
	uint32_t		 sqe_nexus;
	uint8_t			 cdb[RING_CDB_MAX];
	uint8_t			 cdb_len;
	uint8_t			 dir;		/* RING_DIR_* */
	uint8_t			 attr;

	/*
	 * The data buffer (the ring's data area, or test memory): in_len
	 * bytes may be written for Data-In, out_len bytes of Data-Out may
	 * be read.  At most one of them is non-zero.
	 */
	uint8_t			*buf;
	uint32_t		 in_len;
	uint32_t		 out_len;

	/* decoded by cdb.c for media access commands */
	uint64_t		 lba;
	uint32_t		 nblocks;
	uint8_t			 fua;

	/* result */
	uint8_t			 status;
	uint8_t			 sense_len;
	uint8_t			 sense[RING_SENSE_MAX];
	uint32_t		 len;		/* bytes transferred */
	uint32_t		 want;		/* wanted, see ring.h */

	/* asynchronous completion */
	int			 aborted;
	void			(*done)(struct scsi_cmd *);
	void			*arg;
	void			*owner;		/* the ring */
	uint64_t		 be_space[16];	/* backend state */
	uint32_t		 io_len;	/* bytes asked of the backend */
	uint8_t			 io_write;
	uint8_t			 io_pending;
	uint8_t			 offload_excl;	/* worker.c */
	/* what the worker runs (NULL: op->fn), what drops it unrun */
	int			(*offload_fn)(struct scsi_cmd *);
	void			(*offload_drop)(struct scsi_cmd *);
	uint64_t		 io_info;	/* backend caw(): miscompare */
	struct timespec		 stats_start;	/* ctl.c, stats.c */
};

/* lun.c */
int	 lun_init(struct lun *, const struct msg_lun_config *, int fd,
	    struct event_base *, char *err, size_t errlen);
void	 lun_fini(struct lun *);
struct nexus *nexus_find(struct lun *, uint32_t portal_id, uint32_t id);
struct nexus *nexus_get(struct lun *, uint32_t portal_id, uint32_t id);
void	 nexus_del(struct lun *, struct nexus *);
void	 nexus_del_portal(struct lun *, uint32_t portal_id);
int	 lun_prevented(struct lun *);
void	 lun_ua_set(struct lun *, uint16_t ua, const struct nexus *except);
/* NEXUS_ADD: 1 if a cold reset ended this initiator port's nexus. */
int	 lun_cold_take(struct lun *, const char *initiator,
	    const uint8_t *isid);
int	 lun_ua_take(struct lun *, struct nexus *, uint16_t *asc);
uint8_t	 lun_tmf(struct lun *, uint8_t tmf, uint32_t portal_id,
	    uint32_t nexus, uint64_t ref_tag);

/* ctl.c, stats.c: operations asked by the master (tgtctl) */
int	 lunctl_start(struct scsi_cmd *);	/* 1: answered, offline */
void	 lunctl_dispatch(struct lun *, struct msgchan *, struct msg *);
/* The store's size may have changed: new capacity, unit attention. */
void	 lunctl_resize(struct lun *, struct msgchan *);
void	 lunstats_stamp(struct scsi_cmd *);
void	 lunstats_done(const struct scsi_cmd *);
void	 lunstats_get(const struct lun *, struct ctl_lun_stats *);

/* lunring.c */
struct lring;
struct lring *lring_add(struct lun *, struct event_base *,
	    const struct msg_ring *, int memfd, int sq_efd, int cq_efd,
	    char *err, size_t errlen);
struct lring *lring_find(uint32_t portal_id);
void	 lring_del(struct lring *);
void	 lring_del_all(void);
void	 lring_batch_done(struct lun *, void *);
/* lun->held went back to 0: take the commands waiting in the rings */
void	 lring_resume(struct lun *);

/* worker.c */
int	 lun_offload(struct scsi_cmd *, int exclusive);
int	 lun_offload_fn(struct scsi_cmd *, int exclusive,
	    int (*)(struct scsi_cmd *), void (*drop)(struct scsi_cmd *));
void	 lun_offload_idle(struct lun *);
void	 lun_offload_abort(struct lun *, int (*)(struct scsi_cmd *, void *),
	    void *);
void	 lun_offload_detach(struct lun *, void *owner);
void	 lun_offload_fini(struct lun *);
int	 lun_on_worker(void);
int	 lun_thread_start(pthread_t *, void *(*)(void *), void *);

/* cdb.c */
void	 scsi_cmd_init(struct scsi_cmd *, struct lun *, struct nexus *,
	    const struct lun_port *, const uint8_t *cdb, uint8_t cdb_len,
	    uint8_t dir, uint8_t *buf, uint32_t buflen);
int	 scsi_exec(struct scsi_cmd *);
void	 scsi_complete(struct scsi_cmd *);
const struct scsi_op *scsi_op_lookup(const struct devtype *,
	    const uint8_t *cdb, int *known);
const struct scsi_op *scsi_op_find(const uint8_t *cdb, int *known);
int	 cdb_length(const uint8_t *cdb);
int	 cdb_decode_rw(struct scsi_cmd *);
uint32_t scsi_data_in(struct scsi_cmd *, const void *, uint32_t len,
	    uint32_t alloc);

/* sense.c */
void	 scsi_check(struct scsi_cmd *, uint8_t key, uint16_t ascq);
void	 scsi_check_sks(struct scsi_cmd *, uint8_t key, uint16_t ascq,
	    const uint8_t *sks);
void	 scsi_check_info(struct scsi_cmd *, uint8_t key, uint16_t ascq,
	    uint64_t info, int info_valid);
void	 scsi_invalid_cdb(struct scsi_cmd *, uint16_t byte, int bit);
void	 scsi_invalid_param(struct scsi_cmd *, uint16_t byte, int bit);
size_t	 sense_build(uint8_t *, size_t, int desc, uint8_t key,
	    uint16_t ascq, uint64_t info, int info_valid);
size_t	 sense_build_sks(uint8_t *, size_t, int desc, uint8_t key,
	    uint16_t ascq, uint64_t info, int info_valid, const uint8_t *sks);
int	 sense_parse(const uint8_t *, size_t, uint8_t *key, uint16_t *ascq);
/* sequential-access sense: byte 2 bits (SENSE_FILEMARK...), INFORMATION */
#define SENSE_FILEMARK		0x80
#define SENSE_EOM		0x40
#define SENSE_ILI		0x20
size_t	 sense_build_stream(uint8_t *, size_t, int desc, uint8_t key,
	    uint16_t ascq, uint8_t bits, int64_t info, int info_valid);
void	 scsi_check_stream(struct scsi_cmd *, uint8_t key, uint16_t ascq,
	    uint8_t bits, int64_t info, int info_valid);

/* spc.c */
int	 spc_test_unit_ready(struct scsi_cmd *);
int	 spc_inquiry(struct scsi_cmd *);
int	 spc_request_sense(struct scsi_cmd *);
int	 spc_mode_sense(struct scsi_cmd *);
int	 spc_mode_select(struct scsi_cmd *);
int	 spc_report_luns(struct scsi_cmd *);
int	 spc_report_tmf(struct scsi_cmd *);
int	 spc_report_opcodes(struct scsi_cmd *);
int	 spc_prevent_allow(struct scsi_cmd *);
uint32_t spc_mode_page(struct lun *, uint8_t page, int pc, uint8_t *p);

/* pr.c */
#define PR_ACCESS_READ		0x01
#define PR_ACCESS_WRITE		0x02
#define PR_ACCESS_ALWAYS	0x04	/* never conflicts */
int	 pr_conflict(struct scsi_cmd *, int access);
int	 spc_pr_in(struct scsi_cmd *);
int	 spc_pr_out(struct scsi_cmd *);
int	 spc_reserve6(struct scsi_cmd *);
int	 spc_release6(struct scsi_cmd *);
void	 pr_nexus_gone(struct lun *, struct nexus *);
void	 pr_sync(struct lun *);
int	 pr_state_load(struct lun *, int fd, char *err, size_t errlen);
int	 pr_state_save(struct lun *);
uint8_t	*pr_state_encode(struct lun *, uint32_t *len);
size_t	 pr_state_max(void);
int	 pr_state_decode(struct lun *, const uint8_t *, size_t);
uint8_t	*pr_ev_encode(const struct pr_ev *, uint32_t n, uint32_t *len);
uint32_t pr_ev_decode(const uint8_t *, size_t, struct pr_ev *, uint32_t max);
void	 pr_events_apply(struct lun *, const struct pr_ev *, uint32_t n,
	    const struct nexus *except);
void	 pr_reset(struct lun *);
void	 pr_fini(struct lun *);

/* sbc.c */
int	 sbc_read_capacity10(struct scsi_cmd *);
int	 sbc_read_capacity16(struct scsi_cmd *);
int	 sbc_read(struct scsi_cmd *);
int	 sbc_write(struct scsi_cmd *);
int	 sbc_verify(struct scsi_cmd *);
int	 sbc_sync_cache(struct scsi_cmd *);
int	 sbc_start_stop(struct scsi_cmd *);
int	 sbc_prefetch(struct scsi_cmd *);
int	 sbc_unmap(struct scsi_cmd *);
int	 sbc_write_same(struct scsi_cmd *);
int	 sbc_get_lba_status(struct scsi_cmd *);
int	 sbc_compare_and_write(struct scsi_cmd *);
uint32_t sbc_max_ws_blocks(const struct scsi_cmd *);
uint32_t sbc_atomic_align(const struct scsi_cmd *);
int	 sbc_read_defect_data(struct scsi_cmd *);
int	 sbc_orwrite(struct scsi_cmd *);
int	 sbc_write_atomic(struct scsi_cmd *);
uint32_t sbc_max_caw_blocks(const struct scsi_cmd *);
void	 sbc_io_done(struct scsi_cmd *, long res);
void	 sbc_quiesce(struct lun *);
int	 sbc_punch(struct lun *, uint64_t off, uint64_t len);

/* ssc.c: the master puts a cartridge in (fd) or takes it out (-1) */
int	 ssc_medium(struct lun *, int fd, struct msg_lun_medium_done *);

/* smc.c: a changer's messages with the master */
typedef int (*smc_send_fn)(void *, uint32_t type, const void *, size_t);
void	 smc_set_sender(struct lun *, smc_send_fn, void *);
int	 smc_configure(struct lun *, const struct msg_changer *, int inv_fd,
	    char *err, size_t errlen);
void	 smc_move_done(struct lun *, const struct msg_lun_move_done *);
void	 smc_detach(struct lun *, const void *owner);
void	 smc_drive_changed(struct lun *, const struct msg_changer_drive *);
int	 smc_mailslot(struct lun *, const struct ctl_mailslot *, char *err,
	    size_t errlen);
/* mmc.c: the master puts a disc image in (fd, named) or takes it out */
int	 mmc_medium(struct lun *, int fd, const char *name,
	    struct msg_lun_medium_done *);

/* passthrough.c, backend_sg.c */
void	 pt_complete(struct scsi_cmd *);
int	 sg_submit(struct lun *, struct scsi_cmd *);
/* alua.c */
int	 alua_check_table(const struct msg_lun_alua *, char *err,
	    size_t errlen);
int	 alua_configure(struct lun *, const struct msg_lun_alua *, char *err,
	    size_t errlen);
void	 alua_apply(struct lun *, const struct nexus *except);
uint16_t alua_rel_port(const struct scsi_cmd *);
const struct msg_alua_group *alua_group(const struct scsi_cmd *);
int	 alua_gate(struct scsi_cmd *);
uint8_t	 alua_tpgs(const struct lun *);
uint16_t alua_group_id(const struct scsi_cmd *, uint16_t dflt);
int	 spc_report_tpgs(struct scsi_cmd *);
int	 spc_set_tpgs(struct scsi_cmd *);

/* xcopy.c */
void	 xcopy_peer_reply(struct lun *, uint32_t reqid, const uint8_t *naa,
	    int fd, uint32_t block_size, uint64_t nblocks);
void	 xcopy_abort(struct lun *, int (*)(struct scsi_cmd *, void *),
	    void *);
void	 xcopy_detach(struct lun *, const void *owner);
int	 spc_extended_copy(struct scsi_cmd *);
int	 spc_receive_copy_results(struct scsi_cmd *);
uint32_t vpd_third_party_copy(uint8_t *);

/* sanitize.c */
int	 sbc_sanitize(struct scsi_cmd *);
void	 sanitize_busy(struct scsi_cmd *);
void	 sanitize_progress(const struct lun *, uint8_t *sks);
int	 sanitize_failed(struct scsi_cmd *);
void	 sanitize_detach(struct lun *, const void *owner);
void	 sanitize_abort(struct lun *);
void	 sanitize_fini(struct lun *);
uint32_t sbc_max_xfer_blocks(const struct scsi_cmd *);

/*
 * launch.c: tgt-lun -L.  Returns only in a launched child, its options
 * those of its LAUNCH and its channel on TGT_CHILD_FD, with the LUN
 * filter compiled for sandbox_seccomp_prog(); the launcher itself exits
 * when the master goes away.
 */
struct child_opts;
struct sandbox_prog *launcher_run(struct child_opts *);

#endif /* TGT_LUN_H */
