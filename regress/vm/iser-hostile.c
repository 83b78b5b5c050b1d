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
 *	hello	an iSER Hello (versions 1 to 1, iSER-IRD 1), then the
 *		"keys" login; prints the HelloReply, then the Login
 *		Response's status
 *	hello-ver an iSER Hello of versions 2 to 3 only; prints the
 *		HelloReply, then "closed" when the target ends the
 *		connection (within 15 s), "open" when it does not
 *	hello-late the "keys" login, then an iSER Hello
 *	dlen	a Login request whose data segment length is past the message
 *	text	a Login request whose data is not key=value text
 *	scsi	a SCSI Command before any login
 *	nordma	a well-formed Login to full feature phase of TARGET
 *		without RDMAExtensions=Yes
 *	keys	a well-formed iSER Login of TARGET that offers
 *		ErrorRecoveryLevel=2, MaxConnections=4 and CRC32C digests
 *		alone; prints the Login Response's status, then its keys
 *	mcs	the "keys" login, then a second connection that asks to
 *		join that session (its TSIH, another CID); prints the
 *		second Login Response's status
 *
 * Prints "closed" when the target ends the connection without answering,
 * "login-rsp STATUS" when it answers with a Login Response (class and
 * detail in hex), "hello-reply R MAXVER CURVER ORD" for a HelloReply
 * (R: its reject bit), "pdu OPCODE" for anything else; exits 0, or 1 when
 * the connection could not be made, 2 when nothing happened in 15 s.
 *
 *	iser-hostile ADDR PORT CASE [TARGET]
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

/* One RDMA connection as an iSER initiator: a message buffer, a receive. */
struct ep {
	struct rdma_cm_id	*id;
	struct ibv_mr		*mr;
	uint8_t			*buf;	/* [0, 16K) send, [16K, 32K) receive */
	int			 ended;	/* the CM said the connection ended */
};

static int
ep_open(struct ep *e, const char *addr, const char *port)
{
	struct rdma_addrinfo	 hints, *res;
	struct ibv_qp_init_attr	 qa;
	struct rdma_conn_param	 cp;
	uint8_t			 priv[4] = { 0xc0, 0, 0, 0 };

	e->ended = 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_port_space = RDMA_PS_TCP;
	if (rdma_getaddrinfo(addr, port, &hints, &res) != 0) {
		perror("rdma_getaddrinfo");
		return (-1);
	}
	memset(&qa, 0, sizeof(qa));
	qa.cap.max_send_wr = qa.cap.max_recv_wr = 4;
	qa.cap.max_send_sge = qa.cap.max_recv_sge = 1;
	qa.sq_sig_all = 1;
	if (rdma_create_ep(&e->id, res, NULL, &qa) != 0) {
		perror("rdma_create_ep");
		return (-1);
	}
	if ((e->buf = calloc(1, 32768)) == NULL ||
	    (e->mr = rdma_reg_msgs(e->id, e->buf, 32768)) == NULL) {
		perror("rdma_reg_msgs");
		return (-1);
	}
	if (rdma_post_recv(e->id, NULL, e->buf + 16384, 16384, e->mr) != 0) {
		perror("rdma_post_recv");
		return (-1);
	}
	memset(&cp, 0, sizeof(cp));
	cp.private_data = priv;
	cp.private_data_len = sizeof(priv);
	cp.responder_resources = cp.initiator_depth = 1;
	cp.retry_count = cp.rnr_retry_count = 7;
	if (rdma_connect(e->id, &cp) != 0) {
		perror("rdma_connect");
		return (-1);
	}
	return (0);
}

/*
 * Whether the CM has said, or says within 100 ms, that the connection
 * has ended (remembered: the event may come with an answer still to read)
 */
static int
ep_ended(struct ep *e)
{
	struct rdma_cm_event	*ev;
	enum rdma_cm_event_type	 type;
	struct pollfd		 pfd;

	if (e->ended)
		return (1);
	pfd.fd = e->id->channel->fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 100) != 1 ||
	    rdma_get_cm_event(e->id->channel, &ev) != 0)
		return (0);
	type = ev->event;
	rdma_ack_cm_event(ev);
	e->ended = type == RDMA_CM_EVENT_DISCONNECTED ||
	    type == RDMA_CM_EVENT_TIMEWAIT_EXIT;
	return (e->ended);
}

/*
 * Send LEN bytes of the send buffer; wait for the answer.  Returns the
 * length of what came back (at buf + 16K), 0 when the target closed the
 * connection, -1 on a timeout.
 */
static int
ep_xchg(struct ep *e, size_t len)
{
	struct ibv_wc		 wc;
	int			 i;

	if (rdma_post_send(e->id, NULL, e->buf, len, e->mr, 0) != 0)
		return (0);
	/* a reply on the receive CQ, or the connection's end from the CM */
	for (i = 0; i < 150; i++) {
		if (ibv_poll_cq(e->id->recv_cq, 1, &wc) == 1)
			break;
		if (ep_ended(e)) {
			/* an answer may have come just before */
			if (ibv_poll_cq(e->id->recv_cq, 1, &wc) == 1)
				break;
			return (0);
		}
	}
	if (i == 150)
		return (-1);
	if (wc.status != IBV_WC_SUCCESS)
		return (0);
	return (wc.byte_len);
}

/* "closed" when the target ends the connection within 15 s, or "open" */
static void
ep_wait_closed(struct ep *e)
{
	int	i;

	for (i = 0; i < 150; i++)
		if (ep_ended(e)) {
			printf("closed\n");
			return;
		}
	printf("open\n");
}

/* An iSER Hello of versions MIN to MAX, iSER-IRD 1; its length */
static size_t
hello(uint8_t *m, int min, int max)
{
	memset(m, 0, 12);
	m[0] = 0x20;
	m[1] = max << 4 | min;
	m[3] = 1;
	return (12);
}

/* What came back, on one line; 0 or 2 (the exit status) */
static int
ep_print(struct ep *e, int n)
{
	uint8_t	*m = e->buf + 16384;

	if (n == -1) {
		printf("timeout\n");
		return (2);
	}
	if (n == 0)
		printf("closed\n");
	else if (n >= 12 && (m[0] & 0xf0) == 0x30)
		printf("hello-reply %d %d %d %d\n", m[0] & 0x01, m[1] >> 4,
		    m[1] & 0x0f, m[2] << 8 | m[3]);
	else if (n >= HDR + BHS && (m[HDR] & 0x3f) == 0x23)
		printf("login-rsp %02x%02x\n", m[HDR + 36], m[HDR + 37]);
	else if (n >= HDR + BHS)
		printf("pdu %02x\n", m[HDR] & 0x3f);
	else
		printf("short reply of %d bytes\n", n);
	return (0);
}

/* A whole Login request of TARGET, KEYS after the names; its length */
static size_t
login_full(uint8_t *m, const char *target, const char *keys,
    const uint8_t *tsih, uint16_t cid)
{
	char	 text[2048];
	size_t	 tl, i;

	tl = (size_t)snprintf(text, sizeof(text),
	    "InitiatorName=iqn.2026-11.org.example:iser-hostile%c"
	    "TargetName=%s%cSessionType=Normal%c%s", 0, target, 0, 0, keys);
	for (i = 0; i < tl; i++)	/* keys come '\n'-separated */
		if (text[i] == '\n')
			text[i] = '\0';
	memset(m, 0, HDR + BHS);
	m[0] = 0x10;
	login_bhs(m + HDR, tl + 1);
	if (tsih != NULL)
		memcpy(m + HDR + 14, tsih, 2);
	m[HDR + 20] = cid >> 8;
	m[HDR + 21] = cid & 0xff;
	memcpy(m + HDR + BHS, text, tl + 1);
	return (HDR + BHS + ((tl + 1 + 3) & ~(size_t)3));
}

#define ISER_KEYS	"RDMAExtensions=Yes\nErrorRecoveryLevel=2\n" \
			"MaxConnections=4\nHeaderDigest=CRC32C\n" \
			"DataDigest=CRC32C\nTargetRecvDataSegmentLength=8192\n" \
			"InitiatorRecvDataSegmentLength=8192\n" \
			"MaxOutstandingUnexpectedPDUs=8\n"

int
main(int argc, char *argv[])
{
	struct ep		 e, e2;
	uint8_t			*m, *r, tsih[2];
	const char		*kase, *target;
	const char		*text = "garbage without an equals sign";
	size_t			 len, i, dl;
	int			 n;

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: iser-hostile addr port case [target]\n");
		return (1);
	}
	kase = argv[3];
	target = argc == 5 ? argv[4] : "iqn.2026-11.org.example:none";
	if (ep_open(&e, argv[1], argv[2]) == -1)
		return (1);
	alarm(30);

	m = e.buf;
	r = e.buf + 16384;
	m[0] = 0x10;		/* iSCSI control-type PDU */
	if (strcmp(kase, "short") == 0)
		len = 20;
	else if (strcmp(kase, "hello") == 0)
		len = hello(m, 1, 1);
	else if (strcmp(kase, "hello-ver") == 0)
		len = hello(m, 2, 3);
	else if (strcmp(kase, "dlen") == 0) {
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
	} else if (strcmp(kase, "nordma") == 0) {
		len = login_full(m, target, "MaxRecvDataSegmentLength=8192\n",
		    NULL, 0);
	} else if (strcmp(kase, "keys") == 0 || strcmp(kase, "mcs") == 0 ||
	    strcmp(kase, "hello-late") == 0) {
		len = login_full(m, target, ISER_KEYS, NULL, 0);
	} else {
		fprintf(stderr, "iser-hostile: unknown case %s\n", kase);
		return (1);
	}
	n = ep_xchg(&e, len);
	if (strncmp(kase, "hello", 5) == 0) {
		/* a second message: the login, the Hello, or the end */
		if (ep_print(&e, n) != 0 || n == 0)
			return (0);
		if (strcmp(kase, "hello-ver") == 0) {
			ep_wait_closed(&e);
			return (0);
		}
		if (rdma_post_recv(e.id, NULL, r, 16384, e.mr) != 0) {
			perror("rdma_post_recv");
			return (1);
		}
		len = strcmp(kase, "hello") == 0 ?
		    login_full(m, target, ISER_KEYS, NULL, 0) : hello(m, 1, 1);
		return (ep_print(&e, ep_xchg(&e, len)));
	}
	if (strcmp(kase, "keys") != 0 && strcmp(kase, "mcs") != 0)
		return (ep_print(&e, n));
	if (n < HDR + BHS || (r[HDR] & 0x3f) != 0x23)
		return (ep_print(&e, n));
	if (strcmp(kase, "keys") == 0) {
		ep_print(&e, n);
		/* the keys, one a line */
		dl = (size_t)r[HDR + 5] << 16 | r[HDR + 6] << 8 | r[HDR + 7];
		if (dl > (size_t)n - HDR - BHS)
			dl = n - HDR - BHS;
		for (i = 0; i < dl; i++)
			putchar(r[HDR + BHS + i] == '\0' ? '\n' :
			    r[HDR + BHS + i]);
		return (0);
	}
	/* mcs: the same ISID, the session's TSIH, CID 1, another QP */
	memcpy(tsih, r + HDR + 14, 2);
	if (ep_open(&e2, argv[1], argv[2]) == -1)
		return (1);
	len = login_full(e2.buf, target, ISER_KEYS, tsih, 1);
	return (ep_print(&e2, ep_xchg(&e2, len)));
}
