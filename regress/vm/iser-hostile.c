/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * iser-hostile: connect to an iSER target as an initiator would (RDMA CM,
 * the iSER CM header), send it one malformed message, and say what came
 * back.  For regress/vm/scenarios/iser.sh, in the guest.
 *
 *	iser-hostile ADDR PORT CASE
 *
 * CASE is one of
 *	short	a 20-byte message (less than the iSER header and a BHS)
 *	hello	the iSER Hello opcode instead of an iSCSI control PDU
 *	dlen	a Login request whose data segment length is past the message
 *	text	a Login request whose data is not key=value text
 *	scsi	a SCSI Command before any login
 *
 * Prints "closed" when the target ends the connection without answering,
 * "login-rsp STATUS" when it answers with a Login Response (class and
 * detail in hex), "pdu OPCODE" for anything else; exits 0, or 1 when
 * the connection could not be made, 2 when nothing happened in 15 s.
 */

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rdma/rdma_cma.h>
#include <rdma/rdma_verbs.h>

#define HDR	28
#define BHS	48

static void
put24(uint8_t *p, uint32_t v)
{
	p[0] = v >> 16;
	p[1] = v >> 8;
	p[2] = v;
}

/* A Login request BHS (CSG operational, NSG full, transit) after hdr. */
static void
login_bhs(uint8_t *b, uint32_t dlen)
{
	b[0] = 0x43;		/* immediate, Login request */
	b[1] = 0x87;		/* T, CSG 1, NSG 3 */
	put24(b + 5, dlen);
	b[8] = 0x80;		/* ISID: random type */
	b[9] = 0x01;
}

int
main(int argc, char *argv[])
{
	struct rdma_addrinfo	 hints, *res;
	struct ibv_qp_init_attr	 qa;
	struct rdma_conn_param	 cp;
	struct rdma_cm_id	*id;
	struct ibv_mr		*mr;
	struct ibv_wc		 wc;
	uint8_t			*buf, *m, priv[4] = { 0xc0, 0, 0, 0 };
	const char		*kase;
	const char		*text = "garbage without an equals sign";
	struct rdma_cm_event	*ev;
	enum rdma_cm_event_type	 type;
	struct pollfd		 pfd;
	size_t			 len;
	int			 i;

	if (argc != 4) {
		fprintf(stderr, "usage: iser-hostile addr port case\n");
		return (1);
	}
	kase = argv[3];
	memset(&hints, 0, sizeof(hints));
	hints.ai_port_space = RDMA_PS_TCP;
	if (rdma_getaddrinfo(argv[1], argv[2], &hints, &res) != 0) {
		perror("rdma_getaddrinfo");
		return (1);
	}
	memset(&qa, 0, sizeof(qa));
	qa.cap.max_send_wr = qa.cap.max_recv_wr = 4;
	qa.cap.max_send_sge = qa.cap.max_recv_sge = 1;
	qa.sq_sig_all = 1;
	if (rdma_create_ep(&id, res, NULL, &qa) != 0) {
		perror("rdma_create_ep");
		return (1);
	}
	if ((buf = calloc(1, 32768)) == NULL ||
	    (mr = rdma_reg_msgs(id, buf, 32768)) == NULL) {
		perror("rdma_reg_msgs");
		return (1);
	}
	if (rdma_post_recv(id, NULL, buf + 16384, 16384, mr) != 0) {
		perror("rdma_post_recv");
		return (1);
	}
	memset(&cp, 0, sizeof(cp));
	cp.private_data = priv;
	cp.private_data_len = sizeof(priv);
	cp.responder_resources = cp.initiator_depth = 1;
	cp.retry_count = cp.rnr_retry_count = 7;
	if (rdma_connect(id, &cp) != 0) {
		perror("rdma_connect");
		return (1);
	}
	alarm(30);

	m = buf;
	m[0] = 0x10;		/* iSCSI control-type PDU */
	if (strcmp(kase, "short") == 0)
		len = 20;
	else if (strcmp(kase, "hello") == 0) {
		m[0] = 0x20;
		login_bhs(m + HDR, 0);
		len = HDR + BHS;
	} else if (strcmp(kase, "dlen") == 0) {
		login_bhs(m + HDR, 60000);
		len = HDR + BHS + 8;
	} else if (strcmp(kase, "text") == 0) {
		login_bhs(m + HDR, strlen(text));
		memcpy(m + HDR + BHS, text, strlen(text));
		len = HDR + BHS + ((strlen(text) + 3) & ~3u);
	} else if (strcmp(kase, "scsi") == 0) {
		m[HDR] = 0x01;		/* SCSI Command */
		m[HDR + 1] = 0xc0;	/* F, R */
		m[HDR + 32] = 0x12;	/* INQUIRY */
		len = HDR + BHS;
	} else {
		fprintf(stderr, "iser-hostile: unknown case %s\n", kase);
		return (1);
	}
	if (rdma_post_send(id, NULL, m, len, mr, 0) != 0) {
		printf("closed\n");
		return (0);
	}
	/* a reply on the receive CQ, or the connection's end from the CM */
	for (i = 0; i < 150; i++) {
		if (ibv_poll_cq(id->recv_cq, 1, &wc) == 1)
			break;
		pfd.fd = id->channel->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 100) == 1 &&
		    rdma_get_cm_event(id->channel, &ev) == 0) {
			type = ev->event;
			rdma_ack_cm_event(ev);
			if (type == RDMA_CM_EVENT_DISCONNECTED ||
			    type == RDMA_CM_EVENT_TIMEWAIT_EXIT) {
				/* an answer may have come just before */
				if (ibv_poll_cq(id->recv_cq, 1, &wc) == 1)
					break;
				printf("closed\n");
				return (0);
			}
		}
	}
	if (i == 150) {
		printf("timeout\n");
		return (2);
	}
	if (wc.status != IBV_WC_SUCCESS) {
		printf("closed\n");
		return (0);
	}
	m = buf + 16384;
	if (wc.byte_len >= HDR + BHS && (m[HDR] & 0x3f) == 0x23)
		printf("login-rsp %02x%02x\n", m[HDR + 36], m[HDR + 37]);
	else if (wc.byte_len >= HDR + BHS)
		printf("pdu %02x\n", m[HDR] & 0x3f);
	else
		printf("short reply of %u bytes\n", wc.byte_len);
	return (0);
}
