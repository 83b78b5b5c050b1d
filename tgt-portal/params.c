/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Text keys: parsing of key=value data segments and the negotiation of
 * the operational keys (RFC 7143 sections 6 and 13).  Nothing here
 * touches a socket, so the unit tests drive it directly.
 */

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "login.h"
#include "transport.h"

/* Defaults of RFC 7143 section 13, what holds when a key is not sent. */
void
params_defaults(struct iscsi_params *p)
{
	memset(p, 0, sizeof(*p));
	p->max_recv_dsl = 8192;
	p->max_xmit_dsl = 8192;
	p->header_digest = 0;
	p->data_digest = 0;
	p->max_burst = 262144;
	p->first_burst = 65536;
	p->max_outstanding_r2t = 1;
	p->max_connections = 1;
	p->default_time2wait = 2;
	p->default_time2retain = 20;
	p->initial_r2t = 1;
	p->immediate_data = 1;
	p->data_pdu_in_order = 1;
	p->data_seq_in_order = 1;
	p->erl = 0;
}

void
textbuf_init(struct textbuf *t)
{
	memset(t, 0, sizeof(*t));
}

void
textbuf_free(struct textbuf *t)
{
	free(t->buf);
	memset(t, 0, sizeof(*t));
}

void
textbuf_reset(struct textbuf *t)
{
	t->len = 0;
	t->error = 0;
}

int
textbuf_append(struct textbuf *t, const void *p, size_t n)
{
	size_t	 nsize;
	char	*nbuf;

	if (t->error)
		return (-1);
	if (n > PORTAL_TEXT_MAX || t->len + n > PORTAL_TEXT_MAX) {
		t->error = 1;
		return (-1);
	}
	if (t->len + n + 1 > t->size) {
		nsize = t->size ? t->size : 512;
		while (nsize < t->len + n + 1)
			nsize *= 2;
		if ((nbuf = realloc(t->buf, nsize)) == NULL) {
			t->error = 1;
			return (-1);
		}
		t->buf = nbuf;
		t->size = nsize;
	}
	memcpy(t->buf + t->len, p, n);
	t->len += n;
	t->buf[t->len] = '\0';
	return (0);
}

int
textbuf_add(struct textbuf *t, const char *key, const char *fmt, ...)
{
	char	 val[TEXT_VALUE_MAX + 1];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(val)) {
		t->error = 1;
		return (-1);
	}
	if (textbuf_append(t, key, strlen(key)) == -1 ||
	    textbuf_append(t, "=", 1) == -1 ||
	    textbuf_append(t, val, n + 1) == -1)
		return (-1);
	return (0);
}

static int
text_keychar(int ch)
{
	return (isascii(ch) && (isalnum(ch) || ch == '.' || ch == '-' ||
	    ch == '+' || ch == '@' || ch == '_'));
}

int
text_split(char *buf, size_t len, struct textkv *kv, int max)
{
	size_t	 pos, end, klen, i;
	char	*eq;
	int	 n = 0;

	buf[len] = '\0';
	for (pos = 0; pos < len; pos = end + 1) {
		end = pos + strlen(buf + pos);
		if (end == pos)
			continue;	/* stray NUL (padding): ignore */
		if ((eq = memchr(buf + pos, '=', end - pos)) == NULL)
			return (-1);
		klen = eq - (buf + pos);
		if (klen == 0 || klen > TEXT_KEY_MAX)
			return (-1);
		if (end - pos - klen - 1 > TEXT_VALUE_MAX)
			return (-1);
		for (i = 0; i < klen; i++)
			if (!text_keychar((unsigned char)buf[pos + i]))
				return (-1);
		if (n >= max)
			return (-1);
		*eq = '\0';
		kv[n].key = buf + pos;
		kv[n].val = eq + 1;
		n++;
	}
	return (n);
}

int
text_number(const char *s, uint64_t min, uint64_t max, uint64_t *res)
{
	uint64_t	 v = 0;
	int		 base = 10, d;
	const char	*p = s;

	if (strlen(s) > TEXT_STD_VALUE_MAX)
		return (-1);
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (*p == '\0')
		return (-1);
	for (; *p != '\0'; p++) {
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			return (-1);
		if (v > (UINT64_MAX - d) / base)
			return (-1);
		v = v * base + d;
	}
	if (v < min || v > max)
		return (-1);
	*res = v;
	return (0);
}

int
text_bool(const char *s, int *res)
{
	if (strcmp(s, "Yes") == 0)
		*res = 1;
	else if (strcmp(s, "No") == 0)
		*res = 0;
	else
		return (-1);
	return (0);
}

/* The operational keys we negotiate. */
enum pkey {
	PK_HEADER_DIGEST,
	PK_DATA_DIGEST,
	PK_MAX_RECV_DSL,
	PK_MAX_BURST,
	PK_FIRST_BURST,
	PK_INITIAL_R2T,
	PK_IMMEDIATE_DATA,
	PK_MAX_OUTSTANDING_R2T,
	PK_DATA_PDU_IN_ORDER,
	PK_DATA_SEQ_IN_ORDER,
	PK_ERL,
	PK_MAX_CONNECTIONS,
	PK_TIME2WAIT,
	PK_TIME2RETAIN,
	PK_IFMARKER,
	PK_OFMARKER,
	PK_IFMARKINT,
	PK_OFMARKINT,
	PK_TARGET_ALIAS,
	PK_TARGET_PGT,
	PK_TARGET_ADDRESS,
	PK_RDMA_EXT,
	PK_TARGET_RDSL,
	PK_INITIATOR_RDSL,
	PK_MAX_UNEXPECTED,
};

static const struct {
	const char	*name;
	enum pkey	 key;
	int		 discovery_irrelevant;
} pkeys[] = {
	{ "HeaderDigest",		PK_HEADER_DIGEST,	0 },
	{ "DataDigest",			PK_DATA_DIGEST,		0 },
	{ "MaxRecvDataSegmentLength",	PK_MAX_RECV_DSL,	0 },
	{ "MaxBurstLength",		PK_MAX_BURST,		1 },
	{ "FirstBurstLength",		PK_FIRST_BURST,		1 },
	{ "InitialR2T",			PK_INITIAL_R2T,		1 },
	{ "ImmediateData",		PK_IMMEDIATE_DATA,	1 },
	{ "MaxOutstandingR2T",		PK_MAX_OUTSTANDING_R2T,	1 },
	{ "DataPDUInOrder",		PK_DATA_PDU_IN_ORDER,	1 },
	{ "DataSequenceInOrder",	PK_DATA_SEQ_IN_ORDER,	1 },
	{ "ErrorRecoveryLevel",		PK_ERL,			0 },
	{ "MaxConnections",		PK_MAX_CONNECTIONS,	1 },
	{ "DefaultTime2Wait",		PK_TIME2WAIT,		0 },
	{ "DefaultTime2Retain",		PK_TIME2RETAIN,		0 },
	{ "IFMarker",			PK_IFMARKER,		0 },
	{ "OFMarker",			PK_OFMARKER,		0 },
	{ "IFMarkInt",			PK_IFMARKINT,		0 },
	{ "OFMarkInt",			PK_OFMARKINT,		0 },
	{ "TargetAlias",		PK_TARGET_ALIAS,	0 },
	{ "TargetPortalGroupTag",	PK_TARGET_PGT,		0 },
	{ "TargetAddress",		PK_TARGET_ADDRESS,	0 },
	/* iSER (RFC 7145 section 6) */
	{ "RDMAExtensions",		PK_RDMA_EXT,		0 },
	{ "TargetRecvDataSegmentLength", PK_TARGET_RDSL,	0 },
	{ "InitiatorRecvDataSegmentLength", PK_INITIATOR_RDSL,	0 },
	{ "MaxOutstandingUnexpectedPDUs", PK_MAX_UNEXPECTED,	0 },
};

/* The MaxRecvDataSegmentLength we declare. */
static uint32_t
params_our_mrdsl(const struct param_neg *n)
{
	return (n->iser ? ISER_RECV_DSL : PORTAL_MAX_RECV_DSL);
}

void
params_neg_init(struct param_neg *n, int discovery, uint32_t max_burst)
{
	memset(n, 0, sizeof(*n));
	params_defaults(&n->p);
	n->discovery = discovery;
	n->our_max_burst = max_burst ? max_burst : PORTAL_MAX_BURST;
	if (n->our_max_burst < 512)
		n->our_max_burst = 512;
}

static uint32_t
min32(uint32_t a, uint32_t b)
{
	return (a < b ? a : b);
}

/*
 * Digests: the first value of the initiator's list that we support, so
 * the initiator's order of preference decides.  We do both.
 */
static int
params_digest(const char *val, uint8_t *res)
{
	char	 list[TEXT_STD_VALUE_MAX + 1], *p, *v;

	if (strlcpy(list, val, sizeof(list)) >= sizeof(list))
		return (-1);
	for (p = list; (v = strsep(&p, ",")) != NULL; ) {
		if (*v == '\0')
			return (-1);
		if (strcmp(v, "None") == 0) {
			*res = 0;
			return (0);
		}
		if (strcmp(v, "CRC32C") == 0) {
			*res = 1;
			return (0);
		}
	}
	return (-1);
}

int
params_key(struct param_neg *n, const char *key, const char *val,
    struct textbuf *out)
{
	struct iscsi_params	*p = &n->p;
	uint64_t		 v;
	size_t			 i;
	int			 b;
	uint8_t			 d;

	for (i = 0; i < sizeof(pkeys) / sizeof(pkeys[0]); i++)
		if (strcmp(pkeys[i].name, key) == 0)
			break;
	if (i == sizeof(pkeys) / sizeof(pkeys[0]))
		return (PARAM_UNKNOWN);

	if (n->seen & (1u << pkeys[i].key))
		return (PARAM_ERROR);
	n->seen |= 1u << pkeys[i].key;

	if (strlen(val) > TEXT_STD_VALUE_MAX)
		goto reject;
	if (n->discovery && pkeys[i].discovery_irrelevant) {
		textbuf_add(out, key, "Irrelevant");
		return (PARAM_OK);
	}

	switch (pkeys[i].key) {
	case PK_HEADER_DIGEST:
	case PK_DATA_DIGEST:
		if (params_digest(val, &d) == -1)
			goto reject;
		if (n->iser && d) {
			/* RDMA has its own CRC: iSER has no digests */
			if (strstr(val, "None") == NULL)
				goto reject;
			d = 0;
		}
		if (pkeys[i].key == PK_HEADER_DIGEST)
			p->header_digest = d;
		else
			p->data_digest = d;
		textbuf_add(out, key, "%s", d ? "CRC32C" : "None");
		break;
	case PK_MAX_RECV_DSL:
		/* Declarative: the initiator's limit for what we send. */
		if (text_number(val, 512, 16777215, &v) == -1)
			goto reject;
		if (!n->iser)
			p->max_xmit_dsl = v;
		if (!n->declared_mrdsl) {
			textbuf_add(out, key, "%u", params_our_mrdsl(n));
			p->max_recv_dsl = params_our_mrdsl(n);
			n->declared_mrdsl = 1;
		}
		break;
	case PK_MAX_BURST:
		if (text_number(val, 512, 16777215, &v) == -1)
			goto reject;
		p->max_burst = min32(v, n->our_max_burst);
		textbuf_add(out, key, "%u", p->max_burst);
		break;
	case PK_FIRST_BURST:
		if (text_number(val, 512, 16777215, &v) == -1)
			goto reject;
		p->first_burst = min32(v, PORTAL_FIRST_BURST);
		if (n->iser)	/* immediate data must fit our receives */
			p->first_burst = min32(p->first_burst, ISER_RECV_DSL);
		textbuf_add(out, key, "%u", p->first_burst);
		break;
	case PK_INITIAL_R2T:
		/*
		 * OR: ours is No, so the initiator decides; over iSER ours
		 * is Yes: unsolicited Data-Out PDUs would need receives we
		 * cannot bound, RDMA READ fetches the data instead.
		 */
		if (text_bool(val, &b) == -1)
			goto reject;
		if (n->iser)
			b = 1;
		p->initial_r2t = b;
		textbuf_add(out, key, "%s", b ? "Yes" : "No");
		break;
	case PK_IMMEDIATE_DATA:
		/*
		 * AND: ours is Yes; over iSER No: every write's data comes
		 * by RDMA READ straight into the ring, and initiators that
		 * announce immediate data without sending it inline
		 * (libiscsi 1.19) work too.
		 */
		if (text_bool(val, &b) == -1)
			goto reject;
		if (n->iser)
			b = 0;
		p->immediate_data = b;
		textbuf_add(out, key, "%s", b ? "Yes" : "No");
		break;
	case PK_MAX_OUTSTANDING_R2T:
		if (text_number(val, 1, 65535, &v) == -1)
			goto reject;
		p->max_outstanding_r2t = min32(v, PORTAL_MAX_R2T);
		textbuf_add(out, key, "%u", p->max_outstanding_r2t);
		break;
	case PK_DATA_PDU_IN_ORDER:
	case PK_DATA_SEQ_IN_ORDER:
		/* OR with our Yes: always Yes. */
		if (text_bool(val, &b) == -1)
			goto reject;
		if (pkeys[i].key == PK_DATA_PDU_IN_ORDER)
			p->data_pdu_in_order = 1;
		else
			p->data_seq_in_order = 1;
		textbuf_add(out, key, "Yes");
		break;
	case PK_ERL:
		/*
		 * min; 0 over iSER: the tools of levels 1 and 2 do not
		 * carry over.  Data-In goes by RDMA WRITE and Data-Out by
		 * RDMA READ, so there is no DataSN-numbered PDU to ask
		 * again by SNACK, nor a digest error to recover from
		 * (digests are None, the reliable connection has its own
		 * CRC); a task reassigned to another connection would
		 * need the STags of a queue pair that is gone.
		 */
		if (text_number(val, 0, 2, &v) == -1)
			goto reject;
		p->erl = min32(v, n->iser ? 0 : PORTAL_MAX_ERL);
		textbuf_add(out, key, "%u", p->erl);
		break;
	case PK_MAX_CONNECTIONS:
		/*
		 * min; 1 over iSER: every connection of a session must be
		 * in iSER-assisted mode and is a queue pair of its own;
		 * with ERL 0 a second connection buys no recovery, and no
		 * iSER initiator we know of (Linux, libiscsi) asks for it.
		 * A second connection's login fails "too many connections".
		 */
		if (text_number(val, 1, 65535, &v) == -1)
			goto reject;
		p->max_connections = min32(v, n->iser ? 1 : PORTAL_MAX_CONNS);
		textbuf_add(out, key, "%u", p->max_connections);
		break;
	case PK_TIME2WAIT:
		/* max */
		if (text_number(val, 0, 3600, &v) == -1)
			goto reject;
		p->default_time2wait = v > PORTAL_TIME2WAIT ? v :
		    PORTAL_TIME2WAIT;
		textbuf_add(out, key, "%u", p->default_time2wait);
		break;
	case PK_TIME2RETAIN:
		/* min */
		if (text_number(val, 0, 3600, &v) == -1)
			goto reject;
		p->default_time2retain = min32(v, PORTAL_TIME2RETAIN);
		textbuf_add(out, key, "%u", p->default_time2retain);
		break;
	case PK_IFMARKER:
	case PK_OFMARKER:
		/* AND with our No. */
		if (text_bool(val, &b) == -1)
			goto reject;
		textbuf_add(out, key, "No");
		break;
	case PK_IFMARKINT:
	case PK_OFMARKINT:
		/* Markers are off, so their interval does not matter. */
		textbuf_add(out, key, "Irrelevant");
		break;
	case PK_TARGET_ALIAS:
	case PK_TARGET_PGT:
	case PK_TARGET_ADDRESS:
		/* Sent by targets only. */
		goto reject;
	case PK_RDMA_EXT:
		/* AND: Yes on an iSER connection, No over TCP. */
		if (text_bool(val, &b) == -1)
			goto reject;
		p->rdma_ext = b && n->iser;
		textbuf_add(out, key, "%s", p->rdma_ext ? "Yes" : "No");
		break;
	case PK_TARGET_RDSL:
	case PK_INITIATOR_RDSL:
		if (!n->iser) {
			textbuf_add(out, key, "Irrelevant");
			break;
		}
		/* min with ours */
		if (text_number(val, 512, 16777215, &v) == -1)
			goto reject;
		if (pkeys[i].key == PK_TARGET_RDSL) {
			p->max_recv_dsl = min32(v, ISER_RECV_DSL);
			textbuf_add(out, key, "%u", p->max_recv_dsl);
		} else {
			p->max_xmit_dsl = min32(v, ISER_SEND_DSL);
			textbuf_add(out, key, "%u", p->max_xmit_dsl);
		}
		break;
	case PK_MAX_UNEXPECTED:
		/* declarative: the initiator's; ours are the receives */
		if (!n->iser) {
			textbuf_add(out, key, "Irrelevant");
			break;
		}
		if (text_number(val, 0, UINT32_MAX, &v) == -1)
			goto reject;
		p->max_unexpected = v;
		textbuf_add(out, key, "%u", ISER_RX_N);
		break;
	}
	return (PARAM_OK);

 reject:
	textbuf_add(out, key, "Reject");
	return (PARAM_OK);
}

void
params_declare(struct param_neg *n, struct textbuf *out)
{
	if (!n->declared_mrdsl) {
		textbuf_add(out, "MaxRecvDataSegmentLength", "%u",
		    params_our_mrdsl(n));
		n->p.max_recv_dsl = params_our_mrdsl(n);
		n->declared_mrdsl = 1;
	}
}

void
params_finish(struct param_neg *n)
{
	if (n->p.max_burst > n->our_max_burst)
		n->p.max_burst = n->our_max_burst;
	if (n->p.first_burst > n->p.max_burst)
		n->p.first_burst = n->p.max_burst;
}
