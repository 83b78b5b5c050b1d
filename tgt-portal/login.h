/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Internals of the login side of tgt-portal, shared by conn.c, login.c,
 * params.c, text.c, session.c, tgt-portal.c and the unit tests.  The
 * contract with scsi.c and friends is portal.h; this header is not part
 * of it.
 */

#ifndef TGT_LOGIN_H
#define TGT_LOGIN_H

#include <stddef.h>
#include <stdint.h>

#include "portal.h"

#define LOGIN_TIMEOUT		15		/* seconds */
#define LOGIN_PDU_MAX		8192		/* data segment during login */

/* Text keys (RFC 7143 section 6.1). */
#define TEXT_KEY_MAX		63		/* bytes of a key name */
#define TEXT_VALUE_MAX		8192		/* bytes of any value */
#define TEXT_STD_VALUE_MAX	255		/* values of standard keys */
#define TEXT_MAX_PAIRS		256

/* Our side of the negotiation. */
#define PORTAL_MAX_BURST	(1024 * 1024)
#define PORTAL_FIRST_BURST	(64 * 1024)
#define PORTAL_MAX_R2T		4
#define PORTAL_TIME2WAIT	2
#define PORTAL_TIME2RETAIN	20
#define PORTAL_MAX_ERL		2		/* ErrorRecoveryLevel */
#define PORTAL_MAX_CONNS	8		/* MaxConnections */

/* A growing text buffer of key=value\0 pairs. */
struct textbuf {
	char		*buf;
	size_t		 len;
	size_t		 size;
	int		 error;		/* allocation failed or too long */
};

struct textkv {
	char		*key;
	char		*val;
};

/* params.c: text */
void	 textbuf_init(struct textbuf *);
void	 textbuf_free(struct textbuf *);
void	 textbuf_reset(struct textbuf *);
int	 textbuf_append(struct textbuf *, const void *, size_t);
int	 textbuf_add(struct textbuf *, const char *key, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/*
 * Split a data segment of key=value pairs in place (buf must have room
 * for one more byte at buf[len]).  Returns the number of pairs, or -1 if
 * the text is malformed: no '=', empty or too long key, bad key
 * character, value longer than TEXT_VALUE_MAX, more than max pairs.
 */
int	 text_split(char *buf, size_t len, struct textkv *, int max);
/* Value parsers: 0 ok, -1 malformed or out of range. */
int	 text_number(const char *, uint64_t min, uint64_t max, uint64_t *);
int	 text_bool(const char *, int *);

/* params.c: negotiation of the operational keys */
#define PARAM_OK	0	/* handled, response (if any) appended */
#define PARAM_UNKNOWN	1	/* not an operational key */
#define PARAM_ERROR	-1	/* protocol error: key negotiated twice */

struct param_neg {
	struct iscsi_params	 p;		/* result so far */
	int			 discovery;
	uint32_t		 seen;		/* keys received */
	int			 declared_mrdsl;	/* we sent ours */
	int			 iser;		/* the connection is iSER */
	uint32_t		 our_max_burst;
};

void	 params_neg_init(struct param_neg *, int discovery,
	    uint32_t max_burst);
int	 params_key(struct param_neg *, const char *key, const char *val,
	    struct textbuf *out);
/* End of the operational stage: our declarations not yet made. */
void	 params_declare(struct param_neg *, struct textbuf *out);
/* Enforce cross-key rules (FirstBurstLength <= MaxBurstLength). */
void	 params_finish(struct param_neg *);

/* session.c */
struct session	*session_new(struct ptarget *, int discovery);
struct session	*session_find_tsih(uint16_t);
struct session	*session_find(const char *initiator, const uint8_t *isid,
		    struct ptarget *, int discovery);
void		 session_add_conn(struct session *, struct conn *);
void		 session_del_conn(struct session *, struct conn *);
void		 session_close(struct session *);
void		 session_ping(struct conn *);	/* NOP-In wanting an answer */
uint32_t	 session_max_cmdsn(struct session *);
/* CmdSN order across connections: 1 handle now, 0 held. */
int		 session_order(struct conn *);
void		 session_order_drain(struct session *);
void		 session_held_conn_gone(struct conn *);
int		 session_cmdsn_abort(struct session *, uint32_t cmdsn);
/* ERL 2: orphaned tasks wait; the session outlives its connections. */
void		 session_retain(struct session *);

/* login.c */
void		 login_start(struct conn *);
void		 login_free(struct conn *);
void		 login_error(struct conn *);	/* fail, then close */
struct ptarget	*ptarget_find(const char *name);

/*
 * conn.c allocates a struct connx for every struct conn: the fields the
 * other side of portal.h has no business with.
 */
#define CONN_STAGE	4096		/* receive staging buffer */

struct connx {
	struct conn	 c;		/* first */
	/* tcp.c: staging, send queue state, digests */
	uint8_t		 stage[CONN_STAGE];
	uint32_t	 st_off;	/* consumed */
	uint32_t	 st_len;	/* filled */
	int		 flush_sched;	/* ev_write activated */
	int		 write_wait;	/* ev_write added: socket full */
	int		 close_after_send;
	int		 rx_exact;	/* writes: read no data into stage */
	int		 rx_seen;	/* a PDU came in since the last tick */
	int		 ping_out;	/* our NOP-In is unanswered */
	uint8_t		 rx_dig[4];	/* header or data digest read */
	uint8_t		 rx_padb[4];	/* padding read: in the digest */
	int		 clean_close;	/* logged out: no ERL 2 recovery */
	struct txbuf	*txfree;	/* recycled send buffers */
	uint32_t	 ntxfree;
	/* text.c: a request or a response spanning several PDUs */
	struct textbuf	 text_in;
	struct textbuf	 text_out;
	size_t		 text_off;
	uint32_t	 text_itt;
	uint32_t	 text_ttt;
	int		 text_in_more;	/* collecting a C-bit request */
};
#define CONNX(c)	((struct connx *)(c))

/* Close the connection once everything queued has been written. */
void		 conn_close_after_send(struct conn *);
/* Full feature phase begins: the login timer becomes the idle timer. */
void		 conn_full(struct conn *);
void		 conn_nop_reset(void);
/* Hand the PDU in c->rx_* to its handler (no CmdSN ordering). */
void		 conn_rx_deliver(struct conn *);
/*
 * The receive path every transport shares, in this order for each PDU
 * (c->rx_bhs, c->rx_ahs filled by the transport):
 * conn_rx_sizes	sizes from the BHS (rx_ahslen, rx_dlen)
 * conn_rx_bhs		limits: 0 go on, -1 stop (the connection is closing
 *			or answered)
 * conn_rx_hdr		where the data segment goes (c->rx_data): 0 or -1
 * conn_rx_dispatch	the whole PDU is in: handle it
 * conn_rx_stop		nonzero: read no more from this connection
 */
void		 conn_rx_sizes(struct conn *);
int		 conn_rx_bhs(struct conn *);
int		 conn_rx_hdr(struct conn *);
void		 conn_rx_dispatch(struct conn *);
int		 conn_rx_stop(struct conn *);

#endif /* TGT_LOGIN_H */
