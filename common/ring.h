/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * The data ring shared by one tgt-portal and one tgt-lun.
 *
 * One memfd, created and sized by tgt-master, mapped by both peers:
 *
 *	+---------------------------+ 0
 *	| struct ring_hdr           |  magic, version, geometry (informative)
 *	+---------------------------+ RING_CL
 *	| sq producer (portal)      |  sq_tail
 *	+---------------------------+ 2 * RING_CL
 *	| sq consumer (lun)         |  sq_head, sq_wakeup
 *	+---------------------------+ 3 * RING_CL
 *	| cq producer (lun)         |  cq_tail
 *	+---------------------------+ 4 * RING_CL
 *	| cq consumer (portal)      |  cq_head, cq_wakeup
 *	+---------------------------+ RING_SQ_OFF
 *	| sq_entries x ring_sqe     |
 *	+---------------------------+
 *	| cq_entries x ring_cqe     |
 *	+---------------------------+ data_off (page aligned)
 *	| data area: data_size      |  fixed-size blocks, allocated by the portal
 *	+---------------------------+ map_size
 *
 * The geometry each side trusts is the one tgt-master sent it in a
 * message (struct ring_geom), never the one in the shared header: the
 * peer may scribble over the header.  Indices are free-running uint32_t
 * and are masked with (entries - 1) on use.  Every entry is copied out of
 * shared memory before it is validated and used.
 */

#ifndef TGT_RING_H
#define TGT_RING_H

#include <stddef.h>
#include <stdint.h>

#define RING_MAGIC		0x52544754u	/* "TGTR" */
#define RING_VERSION		1
#define RING_CL			64
#define RING_SQ_OFF		(5 * RING_CL)

#define RING_SQE_SIZE		128
#define RING_CQE_SIZE		128
#define RING_CDB_MAX		64
#define RING_SENSE_MAX		96

/* Defaults chosen by tgt-master. */
#define RING_DEF_ENTRIES	256
#define RING_DEF_DATA_SIZE	(32u << 20)
#define RING_DEF_BLOCK_SIZE	(64u << 10)
#define RING_MAX_ENTRIES	4096
#define RING_MAX_DATA_SIZE	(1u << 30)

/* Geometry: computed by the master, sent to both peers. */
struct ring_geom {
	uint32_t	sq_entries;	/* power of two */
	uint32_t	cq_entries;	/* power of two, >= sq_entries */
	uint32_t	data_size;	/* bytes, multiple of block_size */
	uint32_t	block_size;	/* data allocation unit, power of two */
	uint64_t	data_off;	/* offset of the data area */
	uint64_t	map_size;	/* size of the memfd */
};

/* sqe.op */
#define RING_OP_CMD		1	/* SCSI command */
#define RING_OP_TMF		2	/* task management function */
#define RING_OP_NEXUS_ADD	3	/* data area holds struct ring_nexus */
#define RING_OP_NEXUS_DEL	4	/* I_T nexus loss */

/* sqe.dir */
#define RING_DIR_NONE		0
#define RING_DIR_READ		1	/* Data-In: lun writes data area */
#define RING_DIR_WRITE		2	/* Data-Out: lun reads data area */
#define RING_DIR_BIDI		3

/* sqe.attr: SAM task attributes */
#define RING_ATTR_SIMPLE	0
#define RING_ATTR_ORDERED	1
#define RING_ATTR_HEAD		2
#define RING_ATTR_ACA		3

/* sqe.tmf: SAM task management functions (iSCSI function codes) */
#define RING_TMF_ABORT_TASK		1
#define RING_TMF_ABORT_TASK_SET		2
#define RING_TMF_CLEAR_ACA		3
#define RING_TMF_CLEAR_TASK_SET		4
#define RING_TMF_LUN_RESET		5
#define RING_TMF_TARGET_WARM_RESET	6
#define RING_TMF_TARGET_COLD_RESET	7

/* cqe.status for RING_OP_TMF: iSCSI TMF response codes */
#define RING_TMF_COMPLETE	0
#define RING_TMF_NO_TASK	1
#define RING_TMF_NO_LUN		2
#define RING_TMF_NOT_SUPPORTED	5
#define RING_TMF_REJECTED	255

/* Submission entry: portal -> lun. */
struct ring_sqe {
	uint64_t	tag;		/*   0 opaque, echoed in the cqe */
	uint64_t	ref_tag;	/*   8 TMF ABORT TASK: tag to abort */
	uint64_t	lun;		/*  16 LUN field as the initiator sent it */
	uint32_t	nexus;		/*  24 I_T nexus id chosen by the portal */
	uint32_t	data_off;	/*  28 offset of the buffer in the data area */
	uint32_t	data_len;	/*  32 bytes of buffer (and of Data-Out) */
	uint32_t	xfer_len;	/*  36 expected data transfer length */
	uint8_t		op;		/*  40 RING_OP_* */
	uint8_t		dir;		/*  41 RING_DIR_* */
	uint8_t		attr;		/*  42 RING_ATTR_* */
	uint8_t		cdb_len;	/*  43 valid bytes of cdb */
	uint8_t		tmf;		/*  44 RING_TMF_* */
	uint8_t		pad0[3];	/*  45 */
	uint32_t	cmdsn;		/*  48 for logs */
	uint32_t	pad1[3];	/*  52 */
	uint8_t		cdb[RING_CDB_MAX]; /* 64 */
};

/* Completion entry: lun -> portal. */
struct ring_cqe {
	uint64_t	tag;		/*   0 from the sqe */
	uint32_t	len;		/*   8 bytes actually transferred */
	uint32_t	want;		/*  12 bytes the command would transfer
					 *     with an unlimited buffer (for
					 *     residual overflow) */
	uint8_t		status;		/*  16 SCSI status, or TMF response */
	uint8_t		sense_len;	/*  17 valid bytes of sense */
	uint8_t		pad0[14];	/*  18 */
	uint8_t		sense[RING_SENSE_MAX]; /* 32 */
};

/* Payload of RING_OP_NEXUS_ADD, in the data area at sqe.data_off. */
struct ring_nexus {
	char		initiator[224];	/* iSCSI initiator name, NUL ended */
	uint8_t		isid[6];
	uint16_t	tpgt;		/* target portal group tag */
	uint16_t	rel_port;	/* relative target port identifier */
	uint16_t	flags;		/* RING_NEXUS_F_* */
	uint32_t	pad1;
};
/*
 * The nexus was announced to an earlier process of this LUN (it was
 * restarted): establish the power on unit attention for it.  A nexus
 * announced without it is a new login and starts without one.
 */
#define RING_NEXUS_F_POWER_ON	0x0001

/* Shared header: informative only (see above). */
struct ring_hdr {
	uint32_t	magic;
	uint32_t	version;
	struct ring_geom geom;
};

/* A mapped ring as seen by one side. */
struct ring {
	struct ring_geom geom;		/* trusted copy from the master */
	uint8_t		*base;		/* mapping */
	uint8_t		*data;		/* base + geom.data_off */
	int		 memfd;
	int		 sq_efd;	/* doorbell portal -> lun */
	int		 cq_efd;	/* doorbell lun -> portal */
	/* private shadows of the indices this side owns */
	uint32_t	 sq_tail;	/* portal side */
	uint32_t	 sq_head;	/* lun side */
	uint32_t	 cq_tail;	/* lun side */
	uint32_t	 cq_head;	/* portal side */
};

/* Master: geometry for given sizes; 0 and the filled geom, -1 if invalid. */
int	 ring_geom_init(struct ring_geom *, uint32_t entries,
	    uint32_t data_size, uint32_t block_size);
/* Check a geometry received in a message; 0 if sane. */
int	 ring_geom_check(const struct ring_geom *);
/* Master: create memfd (sized, header written) and the two eventfds. */
int	 ring_create(const struct ring_geom *, int *memfd, int *sq_efd,
	    int *cq_efd);
/* Either side: map; takes ownership of the three fds. */
int	 ring_attach(struct ring *, const struct ring_geom *, int memfd,
	    int sq_efd, int cq_efd);
void	 ring_detach(struct ring *);

/* Portal (sq producer, cq consumer). */
uint32_t ring_sq_space(struct ring *);
int	 ring_sq_push(struct ring *, const struct ring_sqe *);
/* Publish pushed entries; rings the doorbell only if the lun may sleep. */
void	 ring_sq_commit(struct ring *);
/* Copy the next completion out; 1 got one, 0 empty, -1 corrupt index. */
int	 ring_cq_pop(struct ring *, struct ring_cqe *);
/*
 * Before sleeping: announce it, then re-check.  Returns 1 if entries
 * arrived meanwhile (do not sleep; call ring_cq_awake() and drain).
 */
int	 ring_cq_sleep(struct ring *);
void	 ring_cq_awake(struct ring *);

/* Lun (sq consumer, cq producer). */
int	 ring_sq_pop(struct ring *, struct ring_sqe *);
int	 ring_cq_push(struct ring *, const struct ring_cqe *);
void	 ring_cq_commit(struct ring *);
int	 ring_sq_sleep(struct ring *);
void	 ring_sq_awake(struct ring *);

/* Drain an eventfd doorbell (non-blocking). */
void	 ring_doorbell_clear(int efd);

/*
 * Data area bounds check used by both sides on every entry:
 * 0 if [off, off + len) lies inside the data area.
 */
int	 ring_data_check(const struct ring *, uint32_t off, uint32_t len);

/*
 * Data area allocator, portal side only (the lun never allocates).
 * First fit over a bitmap of blocks, lowest addresses first so that few
 * pages of the memfd are ever touched.
 */
struct ring_alloc {
	uint32_t	 nblocks;
	uint32_t	 block_shift;
	uint32_t	 nfree;
	uint64_t	*bits;		/* 1 = in use */
};
int	 ring_alloc_init(struct ring_alloc *, const struct ring_geom *);
void	 ring_alloc_free_all(struct ring_alloc *);
/* Returns 0 and the offset, or -1 if no contiguous run is free. */
int	 ring_alloc_get(struct ring_alloc *, uint32_t len, uint32_t *off);
void	 ring_alloc_put(struct ring_alloc *, uint32_t off, uint32_t len);

#endif /* TGT_RING_H */
