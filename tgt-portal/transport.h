/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Transports under the one iSCSI layer of tgt-portal: TCP (tcp.c) and
 * iSER, iSCSI over RDMA (iser.c, RFC 7145).  The iSCSI layer (conn.c,
 * login.c, session.c, scsi.c, ...) sees a struct conn; the transport
 * behind it is c->tp.  A transport receives whole PDUs and hands them up
 * through conn_rx_sizes(), conn_rx_bhs(), conn_rx_hdr() and
 * conn_rx_dispatch() (login.h); it sends what conn_send() gives it.
 */

#ifndef TGT_TRANSPORT_H
#define TGT_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "portal.h"

struct transport {
	const char	*name;		/* "tcp", "iser" */
	uint8_t		 type;		/* CTL_TRANSPORT_* */
	/*
	 * Queue a PDU: the BHS is copied, data (dlen bytes) is referenced
	 * until sent, then done(arg) runs; with copy, data is copied now.
	 * 0, or -1 when the connection is dead.
	 */
	int	(*send)(struct conn *, const uint8_t *bhs, const void *data,
		    uint32_t dlen, void (*done)(void *), void *arg, int copy);
	int	(*tx_idle)(struct conn *);	/* nothing left to send */
	void	(*rx_stop)(struct conn *);	/* read no more PDUs */
	/* Release descriptors and events; unsent PDUs' done callbacks run. */
	void	(*close)(struct conn *);
	void	(*free)(struct conn *);		/* memory, from the loop */
	/*
	 * RDMA transports move data themselves (NULL for TCP, which sends
	 * Data-In and R2T PDUs):
	 * data_in	put t->buf[0, len) into the initiator's read buffer;
	 *		holds a reference on t (t->refs) until done, then
	 *		scsi_task_put(); the SCSI Response follows it.
	 * data_out	fetch [off, off + len) of the initiator's write
	 *		buffer into t->buf + off; scsi_data_arrived() when in.
	 * Both 0, or -1 (connection dead).
	 */
	int	(*data_in)(struct conn *, struct task *, uint32_t len);
	int	(*data_out)(struct conn *, struct task *, uint32_t off,
		    uint32_t len);
};

extern const struct transport	tcp_transport;
extern const struct transport	iser_transport;

/*
 * iser.c.  Limits of one iSER connection: the CmdSN window, receives
 * posted (our MaxOutstandingUnexpectedPDUs), send queue work requests,
 * registered send buffers, the data segment we accept in a SEND
 * (TargetRecvDataSegmentLength) and the largest we send.
 */
#define ISER_MAX_CMDS		128
#define ISER_RX_N		(ISER_MAX_CMDS + 32)
#define ISER_SQ_N		(2 * ISER_RX_N + 32)
#define ISER_TX_N		(ISER_RX_N + 32)
#define ISER_RECV_DSL		8192
#define ISER_SEND_DSL		8192

/* Before the sandbox (tgt-portal -R): CM channel, devices, PDs. */
int	 iser_init(void);
int	 iser_listen(struct portal_listener *, const struct sockaddr *);
void	 iser_unlisten(struct portal_listener *);
/* lunring.c: a ring's data area becomes (stops being) a memory region. */
void	 iser_ring_attach(struct plun *);
void	 iser_ring_detach(struct plun *);

/* conn.c */
struct conn	*conn_new(const struct transport *, size_t size);
void		 conn_start(struct conn *);
void		 conn_addr_name(const struct sockaddr_storage *, char *,
		    size_t);

#endif /* TGT_TRANSPORT_H */
