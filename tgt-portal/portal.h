/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * tgt-portal: the unprivileged process that owns iSCSI sessions on one
 * listener set.  Its parts:
 *
 *	tgt-portal.c	main, sandbox, master dispatch (config, rings)
 *	conn.c		connections over any transport: PDU checks, dispatch
 *	tcp.c		TCP transport: accept, receive state machine, send queue
 *	iser.c		iSER transport (RFC 7145): RDMA CM, verbs, RDMA
 *			READ/WRITE to and from the rings' data areas
 *	login.c		login phases, session create/reinstate
 *	params.c	text key=value parsing and negotiation
 *	text.c		Text requests, SendTargets discovery
 *	session.c	sessions, CmdSN window, NOP, Logout, Reject
 *	scsi.c		SCSI Command, Data-Out, R2T, Data-In, SCSI Response
 *	lunring.c	per-LUN rings: submit, complete, data area allocation
 *	nolun.c		REPORT LUNS and commands to LUNs that do not exist
 *	tmf.c		task management requests
 *
 * Data flow for a command: conn.c reads the BHS and asks scsi.c where the
 * data segment goes (scsi_rx_hdr); for a write that is straight into the
 * command's buffer in the ring's data area.  When all Data-Out is in,
 * lunring.c pushes an sqe; on completion scsi.c sends Data-In PDUs whose
 * data points into the data area (conn_send with a done callback that
 * releases the buffer), then the status.
 */

#ifndef TGT_PORTAL_H
#define TGT_PORTAL_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <stdint.h>

#include <event2/event.h>

#include "iscsi.h"
#include "msg.h"
#include "proto.h"
#include "ring.h"

/* Our limits, offered at login. */
#define PORTAL_MAX_RECV_DSL	(256 * 1024)	/* our MaxRecvDataSegmentLength */
#define PORTAL_DEF_QUEUE	128		/* CmdSN window */
#define PORTAL_TEXT_MAX		(64 * 1024)	/* login/text data we accept */

struct conn;
struct session;
struct task;
struct plun;
struct held_pdu;
struct ibv_mr;
struct rdma_cm_id;

#define PORTAL_RDMA_DEVS	4		/* iSER: devices we use */

/* Negotiated session and connection parameters (RFC 7143 section 13). */
struct iscsi_params {
	/* connection */
	uint32_t	max_recv_dsl;	/* what we accept from the initiator */
	uint32_t	max_xmit_dsl;	/* initiator's MaxRecvDataSegmentLength */
	uint8_t		header_digest;	/* 0 None, 1 CRC32C */
	uint8_t		data_digest;
	/* session */
	uint32_t	max_burst;
	uint32_t	first_burst;
	uint32_t	max_outstanding_r2t;
	uint32_t	max_connections;
	uint32_t	default_time2wait;
	uint32_t	default_time2retain;
	uint8_t		initial_r2t;
	uint8_t		immediate_data;
	uint8_t		data_pdu_in_order;
	uint8_t		data_seq_in_order;
	uint8_t		erl;
	/* iSER (RFC 7145) */
	uint8_t		rdma_ext;	/* RDMAExtensions=Yes */
	uint32_t	max_unexpected;	/* initiator's
					 * MaxOutstandingUnexpectedPDUs */
};

struct ptarget {
	TAILQ_ENTRY(ptarget)	 entry;
	uint32_t		 target_id;
	uint32_t		 flags;		/* TARGET_F_* */
	char			 name[TGT_NAME_MAX];
	char			 alias[TGT_NAME_MAX];
	TAILQ_HEAD(, plun)	 luns;		/* sorted by LUN number */
	int			 dying;		/* deleted by the master */
	TAILQ_HEAD(, plun)	 drain_luns;	/* removed, commands complete */
	int			 unready;	/* added after START, no
						 * TARGET_READY yet */
};

/* One ring to one tgt-lun: lunring.c */
struct plun {
	TAILQ_ENTRY(plun)	 entry;
	struct ptarget		*target;
	uint64_t		 lun;
	uint32_t		 lun_id;
	struct ring		 ring;
	struct ring_alloc	 alloc;
	struct event		*ev_cq;		/* cq doorbell */
	struct task		**slots;	/* in flight, by tag index */
	uint32_t		*slot_gen;
	uint32_t		 nslots;
	uint32_t		 ninflight;
	TAILQ_HEAD(, task)	 waitq;		/* waiting for slot or data */
	uint32_t		 next_nexus;
	/* lunring.c private */
	uint32_t		*slot_free;	/* stack of free tag indices */
	uint32_t		 nslot_free;
	uint32_t		 nrefs;		/* tasks pointing here */
	int			 dying;		/* PLUN_REPLACED or _REMOVED */
	int			 draining;	/* on target->drain_luns */
	int			 kicking;	/* waitq being run */
	int			 commit_pending;
	struct event		*ev_commit;	/* batched ring_sq_commit */
	int			 down;		/* PLUN_DOWN_* */
	/* ring TMFs of TMF requests: sent, answered, sent by the last check */
	uint32_t		 tmf_sent;
	uint32_t		 tmf_done;
	uint32_t		 tmf_mark;
	struct event		*ev_tmf;	/* TGT_TMF_WAIT check */
	/* iser.c: the data area registered on each RDMA device */
	struct ibv_mr		*iser_mr[PORTAL_RDMA_DEVS];
};
#define PLUN_REPLACED		1	/* lun process restarted */
#define PLUN_REMOVED		2	/* LUN deleted */
#define PLUN_DOWN_ENDED		1	/* its process ended, restarting */
#define PLUN_DOWN_FAILED	2	/* its process cannot serve */

struct portal_listener {
	TAILQ_ENTRY(portal_listener) entry;
	int			 fd;
	struct event		*ev;
	char			 addr[TGT_ADDR_MAX];
	struct rdma_cm_id	*rdma_id;	/* iSER: fd is -1 */
};

struct portal {
	struct event_base	*evb;
	struct msgchan		 master;
	uint32_t		 portal_id;
	uint16_t		 tpgt;
	uint16_t		 rel_port;	/* relative target port id */
	uint32_t		 max_cmds;
	uint32_t		 max_xfer;
	uint32_t		 nop_interval;	/* 0: no NOP-In pings */
	char			 advertise[TGT_ADDR_MAX]; /* "": listener's */
	uint32_t		 nop_timeout;
	int			 started;
	TAILQ_HEAD(, portal_listener) listeners;
	TAILQ_HEAD(, ptarget)	 targets;
	TAILQ_HEAD(, session)	 sessions;
	uint16_t		 next_tsih;
	uint32_t		 next_nexus;
};

extern struct portal	*portal;

/* Task (one SCSI command): scsi.c */
#define TASK_NEW		0	/* waiting for ring slot/data buffer */
#define TASK_DATA_OUT		1	/* receiving Data-Out */
#define TASK_QUEUED		2	/* on plun waitq */
#define TASK_SUBMITTED		3	/* sqe pushed */
#define TASK_DATA_IN		4	/* sending Data-In/response */
#define TASK_ABORTED		5

struct task {
	TAILQ_ENTRY(task)	 sess_entry;	/* session's tasks */
	TAILQ_ENTRY(task)	 wait_entry;	/* plun waitq */
	struct session		*sess;
	struct conn		*conn;		/* connection allegiance */
	struct plun		*lun;		/* NULL: LUN does not exist */
	uint64_t		 lun_nr;
	int			 state;
	uint32_t		 itt;
	uint32_t		 cmdsn;
	uint32_t		 edtl;		/* expected data transfer length */
	uint8_t			 rw;		/* ISCSI_CMD_READ|WRITE bits */
	uint8_t			 attr;
	uint8_t			 cdb_len;
	uint8_t			 cdb[RING_CDB_MAX];
	/* data buffer: data area of lun->ring, or heap when none was free */
	uint8_t			*buf;
	uint32_t		 buf_off;	/* in the data area, if not heap */
	uint32_t		 buf_len;
	int			 buf_heap;
	/* Data-Out progress */
	uint32_t		 data_rcvd;	/* bytes received */
	uint32_t		 r2t_next;	/* next offset to solicit */
	uint32_t		 r2t_sn;
	uint32_t		 r2t_outstanding;
	uint32_t		 ttt;
	uint32_t		 exp_datasn;
	/* ring */
	uint64_t		 tag;
	/* completion */
	uint8_t			 status;
	uint8_t			 sense_len;
	uint32_t		 xfer;		/* bytes transferred */
	uint32_t		 want;
	uint8_t			 sense[RING_SENSE_MAX];
	int			 refs;		/* pending sends using buf */
	/* scsi.c, lunring.c, nolun.c, tmf.c private */
	uint8_t			 kind;		/* TASK_K_* */
	uint8_t			 flags;		/* TASK_F_* */
	uint8_t			 tmf_func;	/* TMF function (RING_TMF_*) */
	uint8_t			 tmf_rsp;	/* TASK_K_TMF: response code */
	uint8_t			 reject;	/* Reject reason, 0 if none */
	uint8_t			 lun_raw[8];	/* LUN field as received */
	uint32_t		 unsol_end;	/* end of unsolicited data */
	uint32_t		 datasn;	/* Data-In PDUs sent */
	uint32_t		 nexus;		/* ring ops: I_T nexus id */
	uint64_t		 ref_tag;	/* ring TMF: ABORT TASK tag */
	uint32_t		 tmf_pending;	/* TMF: waits for so many */
	struct task		*tmf;		/* TMF waiting for this task */
	/* ERL >= 1: kept after the response until ExpStatSN passes it */
	uint32_t		 statsn;	/* StatSN of the response */
	uint8_t			 retained;	/* on conn->retained */
	uint8_t			 collapsed;	/* status in the last Data-In */
	uint8_t			 recovering;	/* recovery R2T sent (ERL 1) */
	uint32_t		 r2t_shift;	/* R2TSN - burst index */
	/* ERL 2: its connection failed, waiting for TASK REASSIGN */
	uint8_t			 orphan;
	uint8_t			 orphan_done;	/* completed meanwhile */
	uint8_t			 orphan_ref;	/* holds its retained ref */
	uint8_t			 early;		/* held, taking its unsol. data */
	/* iSER: the initiator's buffers, from the command's iSER header */
	uint8_t			 rdma_flags;	/* write/read STag valid */
	uint32_t		 rdma_wstag;
	uint32_t		 rdma_rstag;
	uint64_t		 rdma_wva;
	uint64_t		 rdma_rva;
};

#define TASK_K_CMD		0	/* SCSI command */
#define TASK_K_TMF		1	/* TMF request, on the session */
#define TASK_K_RING_TMF		2	/* RING_OP_TMF to one LUN */
#define TASK_K_NEXUS_ADD	3	/* RING_OP_NEXUS_ADD */
#define TASK_K_NEXUS_DEL	4	/* RING_OP_NEXUS_DEL */

#define TASK_F_UNSOL		0x01	/* unsolicited Data-Out expected */
#define TASK_F_STATUS		0x02	/* status/sense preset: no LUN I/O */
#define TASK_F_DETACHED		0x04	/* off the session: conn gone or
					 * response queued */
#define TASK_F_ONSESS		0x08	/* on sess->tasks */
#define TASK_F_WAITQ		0x10	/* on lun->waitq */
#define TASK_F_R2T_BUF		0x20	/* waitq: needs a buffer for R2T */
#define TASK_F_INSLOT		0x40	/* holds a ring slot */
#define TASK_F_HELD		0x80	/* behind a CmdSN gap: session.c */

struct session {
	TAILQ_ENTRY(session)	 entry;
	struct ptarget		*target;	/* NULL for discovery */
	int			 discovery;
	uint8_t			 isid[6];
	uint16_t		 tsih;
	char			 initiator[TGT_NAME_MAX];
	char			 initiator_alias[TGT_NAME_MAX];
	uint32_t		 nexus;		/* id on the rings */
	uint64_t		*nexus_sent;	/* 2 bits by lun_id: lunring.c */
	uint32_t		 nexus_sent_len;
	uint32_t		 exp_cmdsn;
	uint32_t		 max_cmdsn;	/* last announced: session.c */
	int			 max_cmdsn_valid;
	uint32_t		 queue_depth;
	uint32_t		 ntasks;	/* in flight: scsi.c counts up,
						 * session_task_done() down */
	struct iscsi_params	 params;
	TAILQ_HEAD(, conn)	 conns;
	TAILQ_HEAD(, task)	 tasks;
	uint32_t		 next_ttt;
	/* session.c: PDUs that came ahead of a CmdSN gap, by CmdSN */
	TAILQ_HEAD(, held_pdu)	 held;
	uint32_t		 nheld;
	/* ERL 2: orphaned tasks (and the session) kept DefaultTime2Retain */
	struct event		*ev_retain;
};

/* Receive states of a connection. */
#define RX_BHS			0
#define RX_AHS			1
#define RX_HDIGEST		2
#define RX_DATA			3
#define RX_PAD			4
#define RX_DDIGEST		5

/* Connection phases. */
#define CONN_LOGIN		0
#define CONN_FULL		1
#define CONN_LOGOUT		2	/* logout response queued, then close */
#define CONN_CLOSING		3

struct txbuf;
struct transport;

struct conn {
	TAILQ_ENTRY(conn)	 entry;		/* session's connections */
	const struct transport	*tp;		/* transport.h */
	int			 fd;
	struct event		*ev_read;
	struct event		*ev_write;
	struct session		*sess;
	int			 phase;
	uint16_t		 cid;
	uint32_t		 stat_sn;	/* next StatSN to send */
	uint32_t		 exp_stat_sn;
	struct iscsi_params	 params;	/* while logging in: proposed */
	struct sockaddr_storage	 peer;
	struct sockaddr_storage	 local;
	char			 peer_name[TGT_ADDR_MAX];
	char			 local_name[TGT_ADDR_MAX];
	/* receive */
	int			 rx_state;
	uint8_t			 rx_bhs[ISCSI_BHS_SIZE];
	uint8_t			 rx_ahs[1024];
	uint32_t		 rx_ahslen;
	uint32_t		 rx_dlen;	/* data segment length */
	uint8_t			*rx_data;	/* where the data segment goes */
	uint8_t			*rx_scratch;	/* own buffer for other PDUs */
	uint32_t		 rx_scratch_len;
	uint32_t		 rx_pos;	/* bytes of current part read */
	struct task		*rx_task;	/* SCSI Cmd / Data-Out target */
	/* send */
	struct txbuf		*txq;
	struct txbuf		**txq_tail;
	uint32_t		 txq_len;
	/* login */
	void			*login;		/* login.c state */
	struct event		*ev_timer;	/* login timeout, NOP-In */
	int			 rx_digest_err;	/* its data digest is bad */
	int			 rx_stale;	/* sent before recovery R2T */
	/* scsi.c: answered tasks kept for SNACK (ERL >= 1), by StatSN */
	TAILQ_HEAD(, task)	 retained;
	/* iSER: the iSER header of the PDU being received */
	uint8_t			 rx_rflags;
	uint32_t		 rx_wstag;
	uint32_t		 rx_rstag;
	uint64_t		 rx_wva;
	uint64_t		 rx_rva;
};

/* digest.c: CRC32C header and data digests */
#define DIGEST_INIT	0xffffffffu
uint32_t digest_update(uint32_t crc, const void *, size_t);
uint32_t digest_final(uint32_t crc);
uint32_t digest_crc32c(const void *, size_t);
void	 digest_put(uint8_t *, uint32_t);	/* wire order */
uint32_t digest_get(const uint8_t *);

/* tcp.c: a TCP listener's accept event */
void	 conn_accept(int fd, short, void *);
/* conn.c */
/*
 * Queue a PDU.  The BHS is copied; data (dlen bytes) is referenced until
 * sent, then done(arg) is called (done may be NULL for static data).  Data
 * digests and padding are added here.  Returns 0 or -1 (connection dead).
 */
int	 conn_send(struct conn *, const uint8_t *bhs, const void *data,
	    uint32_t dlen, void (*done)(void *), void *arg);
/* Same, copying data into the send queue. */
int	 conn_send_copy(struct conn *, const uint8_t *bhs, const void *data,
	    uint32_t dlen);
void	 conn_close(struct conn *);	/* tears down, fails its tasks */

/* session.c */
/* Fill StatSN (and advance it if advance), ExpCmdSN and MaxCmdSN. */
void	 session_fill_sn(struct conn *, uint8_t *bhs, int advance);
/*
 * Check a CmdSN against the window; for non-immediate commands advance
 * ExpCmdSN.  0: accept; -1: outside the window, drop silently.
 */
int	 session_cmdsn(struct session *, uint32_t cmdsn, int immediate);
void	 session_reject(struct conn *, uint8_t reason, const uint8_t *bhs);
void	 session_task_done(struct session *);	/* window grows again */
/* A task with TASK_F_HELD is going away: its CmdSN still counts. */
void	 session_held_task_gone(struct task *);
/*
 * Async Message "target requests logout" (AsyncEvent 1, Parameter3
 * wait_s) to every connection of the session; returns how many.
 */
int	 session_async_logout(struct session *, uint16_t wait_s);
/* SIGTERM, master gone: ask everyone to log out, exit after wait_s. */
#define PORTAL_STOP_WAIT	2
void	 session_shutdown(uint16_t wait_s);

/* Dispatch of a complete PDU in full feature phase: session.c */
void	 session_rx_pdu(struct conn *);

/* scsi.c: receive path hooks called by conn.c */
/* After the BHS (+AHS) of a SCSI Command or Data-Out: where data goes.
 * Returns a buffer of at least rx_dlen bytes, or NULL to use scratch. */
uint8_t	*scsi_rx_hdr(struct conn *);
/* After the whole SCSI Command / Data-Out PDU has been read. */
void	 scsi_rx_cmd(struct conn *);
void	 scsi_rx_dataout(struct conn *);
/* A SCSI Command PDU discarded (data digest error): forget its task. */
void	 scsi_rx_discard(struct conn *);
/* A write held behind a CmdSN gap: accept its unsolicited data now. */
void	 scsi_rx_cmd_early(struct conn *, struct task *);
/* ERL >= 1: SNACK; ExpStatSN moved (release what it acknowledges). */
void	 scsi_snack(struct conn *);
void	 scsi_ack(struct conn *);
void	 scsi_retained_free(struct conn *);
/*
 * ERL 2: the connection failed; its tasks wait for TASK REASSIGN.
 * Returns how many were kept.
 */
int	 scsi_orphan(struct conn *);
/* DefaultTime2Retain is over: the orphans go. */
void	 scsi_orphans_free(struct session *);
/* TASK REASSIGN: the task continues on c from DataSN expdatasn. */
void	 scsi_task_reassign(struct task *, struct conn *, uint32_t expdatasn);
/* Called by lunring.c when a task's completion arrived. */
void	 scsi_task_complete(struct task *);
/* A transport's data transfer that held a reference on t is over. */
void	 scsi_task_put(struct task *);
/* RDMA transports: Data-Out of len bytes arrived (ok), or was lost. */
void	 scsi_rdma_read_done(struct task *, uint32_t len, int ok);
/* Free a task (connection/session teardown). */
void	 scsi_task_free(struct task *);

/* lunring.c */
struct plun *plun_find(struct ptarget *, uint64_t lun);
/* Takes the three descriptors (memfd, sq efd, cq efd), also on failure. */
int	 plun_attach(struct ptarget *, const struct msg_ring *, int fds[3]);
void	 plun_detach(struct plun *);
void	 plun_drain(struct plun *);
/*
 * The LUN's process ended (PLUN_DOWN_ENDED) or cannot serve
 * (PLUN_DOWN_FAILED): until its next ring replaces p, commands get NOT
 * READY and TMFs do not wait for it.
 */
void	 plun_down(struct plun *, int why);
struct plun *plun_find_id(struct ptarget *, uint32_t, uint64_t);
/* Get a data buffer for the task (data area or heap), 0 or -1. */
int	 plun_buf_get(struct task *, uint32_t len);
void	 plun_buf_put(struct task *);
/* Submit the task's sqe (or queue it when the ring is full). */
void	 plun_submit(struct task *);
/* Abort / TMF travel on the ring too. */
int	 plun_submit_tmf(struct plun *, struct session *, uint8_t tmf,
	    uint64_t ref_tag, uint64_t tag);
/*
 * Session teardown (session.c, after its tasks were scsi_task_free()d):
 * tells every LUN that saw the session that the I_T nexus is gone
 * (RING_OP_NEXUS_DEL).  Frees sess->nexus_sent and sets it to NULL.
 */
void	 plun_session_end(struct session *);

/* nolun.c: commands the portal answers itself (REPORT LUNS, no LUN). */
int	 nolun_handles(const struct task *);
void	 nolun_exec(struct task *);

/* tmf.c */
void	 tmf_rx(struct conn *);
/* Close every session to the target (a cold reset on some portal). */
void	 tmf_cold_reset_close(struct ptarget *);

/* login.c, text.c */
void	 login_rx(struct conn *);
void	 text_rx(struct conn *);

/* params.c */
void	 params_defaults(struct iscsi_params *);

/* ctl.c: connections, session drop, drain (tgtctl, reload) */
void	 portalctl_dispatch(struct msg *);
int	 portalctl_async_logout(struct conn *, uint16_t wait);

#endif /* TGT_PORTAL_H */
