/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * The login phase (RFC 7143 section 6.3): the security stage, the
 * operational stage and the move to the full feature phase, the login
 * keys (InitiatorName, SessionType, TargetName, AuthMethod), session
 * creation and reinstatement.  Operational keys go to params.c.
 *
 * Text spanning PDUs: a request with the C bit is collected and answered
 * with empty responses until its last PDU; a response longer than a login
 * PDU is sent in pieces with the C bit, each answered by an empty request.
 *
 * Authentication: AuthMethod None, or CHAP when the target (or discovery)
 * requires it; chap.c runs the exchange and asks tgt-master, and the
 * login waits for its answer (login_chap_done()).  login_auth() is the
 * single place that decides whether the security stage may end.  Who
 * may log in at all (allow rules) and redirects are checked once the
 * target is known (login_identity(), acl.c).
 */

#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "auth.h"
#include "log.h"
#include "login.h"
#include "transport.h"

#define SESSTYPE_NONE		0
#define SESSTYPE_NORMAL		1
#define SESSTYPE_DISCOVERY	2

#define AUTH_PENDING		0	/* AuthMethod not negotiated */
#define AUTH_NONE		1	/* AuthMethod=None agreed */
#define AUTH_REJECTED		2	/* no method we can do */
#define AUTH_CHAP		3	/* AuthMethod=CHAP agreed */

/* Login keys handled here; bit numbers for repeat detection. */
#define LK_INITIATOR_NAME	0x01
#define LK_INITIATOR_ALIAS	0x02
#define LK_TARGET_NAME		0x04
#define LK_SESSION_TYPE		0x08
#define LK_AUTH_METHOD		0x10

struct login {
	int		 stage;		/* current stage, CSG we expect */
	int		 npdu;		/* login requests seen */
	int		 keys_done;	/* first full request processed */
	int		 failed;
	uint8_t		 isid[6];
	uint16_t	 tsih;
	uint32_t	 itt;
	uint32_t	 cmdsn;
	int		 session_type;
	char		 initiator[TGT_NAME_MAX];
	char		 alias[TGT_NAME_MAX];
	char		 target_name[TGT_NAME_MAX];
	struct ptarget	*target;
	uint32_t	 seen;
	int		 auth;
	int		 auth_offered;	/* authlist to be answered */
	char		 authlist[TEXT_STD_VALUE_MAX + 1];
	struct chap	*chap;
	int		 chap_wait;	/* the master has the response */
	struct param_neg neg;
	struct textbuf	 in;		/* request text spanning PDUs */
	struct textbuf	 out;		/* response text spanning PDUs */
	size_t		 out_off;
	int		 out_transit;	/* last piece carries T and NSG */
	int		 out_nsg;
};

static void	login_timeout(int, short, void *);
static void	login_fail(struct conn *, struct login *, uint8_t, uint8_t);
static void	login_send_out(struct conn *, struct login *);
static void	login_redirect(struct conn *, struct login *, uint8_t,
		    const char *);

struct ptarget *
ptarget_find(const char *name)
{
	struct ptarget	*t;

	TAILQ_FOREACH(t, &portal->targets, entry)
		if (!t->dying && strcasecmp(t->name, name) == 0)
			return (t);
	return (NULL);
}

void
login_start(struct conn *c)
{
	struct login	*l;
	struct timeval	 tv = { LOGIN_TIMEOUT, 0 };

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		log_warn("%s: login", c->peer_name);
		conn_close(c);
		return;
	}
	textbuf_init(&l->in);
	textbuf_init(&l->out);
	params_neg_init(&l->neg, 0, PORTAL_MAX_BURST);
	l->neg.iser = c->tp->type == CTL_TRANSPORT_ISER;
	c->login = l;
	c->phase = CONN_LOGIN;
	params_defaults(&c->params);
	if (c->ev_timer == NULL)
		c->ev_timer = evtimer_new(portal->evb, login_timeout, c);
	if (c->ev_timer != NULL)
		evtimer_add(c->ev_timer, &tv);
}

void
login_free(struct conn *c)
{
	struct login	*l = c->login;

	if (l == NULL)
		return;
	textbuf_free(&l->in);
	textbuf_free(&l->out);
	chap_free(l->chap);
	free(l);
	c->login = NULL;
}

void
login_error(struct conn *c)
{
	struct login	*l = c->login;

	if (l == NULL || l->failed) {
		conn_close(c);
		return;
	}
	login_fail(c, l, ISCSI_LS_INITIATOR_ERR, ISCSI_LD_INIT_ERR);
}

static void
login_timeout(int fd, short ev, void *arg)
{
	struct conn	*c = arg;

	if (c->phase != CONN_LOGIN)
		return;
	log_info("%s: login timed out", c->peer_name);
	conn_close(c);
}

static uint32_t
login_our_max_burst(void)
{
	uint32_t	 mb = PORTAL_MAX_BURST;

	if (portal->max_xfer != 0 && portal->max_xfer < mb)
		mb = portal->max_xfer;
	return (mb);
}

static int
login_name_ok(const char *v)
{
	size_t	 n = strlen(v);

	return (n > 0 && n < TGT_NAME_MAX);
}

static int
login_chap_required(struct login *l)
{
	if (l->session_type == SESSTYPE_DISCOVERY)
		return (acl_chap_required(NULL));
	return (l->target != NULL && acl_chap_required(l->target));
}

/*
 * AuthMethod: a list in the initiator's order of preference; we take
 * the first we may use (RFC 7143 6.2.1): CHAP when the target requires
 * it, else None.  Answered once the target is known.
 */
static void
login_authmethod(struct login *l, const char *val)
{
	char	 list[TEXT_STD_VALUE_MAX + 1], *p, *v;
	int	 chap = login_chap_required(l);

	l->auth = AUTH_REJECTED;
	if (strlcpy(list, val, sizeof(list)) < sizeof(list)) {
		for (p = list; (v = strsep(&p, ",")) != NULL; ) {
			if (!chap && strcmp(v, "None") == 0) {
				l->auth = AUTH_NONE;
				break;
			}
			if (chap && strcmp(v, "CHAP") == 0) {
				l->auth = AUTH_CHAP;
				break;
			}
		}
	}
	textbuf_add(&l->out, "AuthMethod", "%s",
	    l->auth == AUTH_NONE ? "None" : l->auth == AUTH_CHAP ? "CHAP" :
	    "Reject");
}

/*
 * May the security stage end?  0 yes, 1 not yet (exchange in progress),
 * -1 authentication failed.  Without CHAP required, an initiator that
 * does not negotiate AuthMethod may go on.
 */
static int
login_auth(struct login *l, int transit)
{
	switch (l->auth) {
	case AUTH_REJECTED:
		return (-1);
	case AUTH_CHAP:
		return (chap_done(l->chap) ? 0 : 1);
	case AUTH_PENDING:
		if (login_chap_required(l))
			return (transit ? -1 : 1);
		return (0);
	default:
		return (0);
	}
}

/* CHAP's answer from the master: go on with the login, or fail it. */
void
login_chap_done(struct conn *c, int ok, const char *user,
    const char *response)
{
	struct login	*l = c->login;

	if (l == NULL || l->failed || !l->chap_wait)
		return;
	l->chap_wait = 0;
	if (!ok) {
		log_info("%s: %s: CHAP authentication failed", c->peer_name,
		    l->initiator);
		login_fail(c, l, ISCSI_LS_INITIATOR_ERR, ISCSI_LD_AUTH_FAIL);
		return;
	}
	if (response[0] != '\0') {
		textbuf_add(&l->out, "CHAP_N", "%s", user);
		textbuf_add(&l->out, "CHAP_R", "%s", response);
	}
	if (l->out.error) {
		login_fail(c, l, ISCSI_LS_TARGET_ERR, ISCSI_LD_NO_RESOURCES);
		return;
	}
	login_send_out(c, l);
}

/* After the keys of a request in the security stage: 0 or -1 (failed). */
static int
login_security(struct conn *c, struct login *l, int transit, int nsg)
{
	int	 disc = l->session_type == SESSTYPE_DISCOVERY;

	if (l->auth_offered) {
		l->auth_offered = 0;
		login_authmethod(l, l->authlist);
	}
	if (l->auth != AUTH_CHAP) {
		if (l->chap == NULL)
			return (0);
		log_info("%s: %s: CHAP keys without AuthMethod=CHAP",
		    c->peer_name, l->initiator);
		login_fail(c, l, ISCSI_LS_INITIATOR_ERR, ISCSI_LD_AUTH_FAIL);
		return (-1);
	}
	switch (chap_step(&l->chap, c, disc ? ACCESS_DISCOVERY :
	    l->target->target_id, disc ? "" : l->target->name, l->initiator,
	    &l->out)) {
	case CHAP_STEP_FAIL:
		login_fail(c, l, ISCSI_LS_INITIATOR_ERR, ISCSI_LD_AUTH_FAIL);
		return (-1);
	case CHAP_STEP_WAIT:
		/* login_chap_done() sends the response */
		l->out_transit = transit;
		l->out_nsg = nsg;
		l->chap_wait = 1;
		return (1);
	}
	return (0);
}

/* One key of a login request: 0, or -1 when the login failed. */
static int
login_key(struct conn *c, struct login *l, const char *key, const char *val)
{
	uint32_t	 bit = 0;
	int		 r;

	if (strcmp(key, "InitiatorName") == 0)
		bit = LK_INITIATOR_NAME;
	else if (strcmp(key, "InitiatorAlias") == 0)
		bit = LK_INITIATOR_ALIAS;
	else if (strcmp(key, "TargetName") == 0)
		bit = LK_TARGET_NAME;
	else if (strcmp(key, "SessionType") == 0)
		bit = LK_SESSION_TYPE;
	else if (strcmp(key, "AuthMethod") == 0)
		bit = LK_AUTH_METHOD;

	if (bit != 0) {
		if (l->seen & bit) {
			log_info("%s: login: %s sent twice", c->peer_name, key);
			login_fail(c, l, ISCSI_LS_INITIATOR_ERR,
			    ISCSI_LD_INIT_ERR);
			return (-1);
		}
		l->seen |= bit;
	}

	switch (bit) {
	case LK_INITIATOR_NAME:
		if (!login_name_ok(val))
			goto bad;
		strlcpy(l->initiator, val, sizeof(l->initiator));
		return (0);
	case LK_INITIATOR_ALIAS:
		strlcpy(l->alias, val, sizeof(l->alias));
		return (0);
	case LK_TARGET_NAME:
		if (!login_name_ok(val))
			goto bad;
		strlcpy(l->target_name, val, sizeof(l->target_name));
		return (0);
	case LK_SESSION_TYPE:
		/* Taken in login_keys()'s first pass. */
		return (0);
	case LK_AUTH_METHOD:
		if (l->stage != ISCSI_STAGE_SECURITY)
			goto bad;
		/* answered by login_security(), the target known */
		if (strlcpy(l->authlist, val, sizeof(l->authlist)) >=
		    sizeof(l->authlist))
			goto bad;
		l->auth_offered = 1;
		return (0);
	}

	if (chap_is_key(key)) {
		if (l->stage != ISCSI_STAGE_SECURITY ||
		    chap_key(&l->chap, key, val) == -1) {
			log_info("%s: login: %s out of place or twice",
			    c->peer_name, key);
			login_fail(c, l, ISCSI_LS_INITIATOR_ERR,
			    ISCSI_LD_AUTH_FAIL);
			return (-1);
		}
		return (0);
	}

	if (l->neg.iser)
		log_debug("%s: iser login: %s=%.64s", c->peer_name, key, val);
	r = params_key(&l->neg, key, val, &l->out);
	if (r == PARAM_ERROR) {
		log_info("%s: login: %s negotiated twice", c->peer_name, key);
		login_fail(c, l, ISCSI_LS_INITIATOR_ERR, ISCSI_LD_INIT_ERR);
		return (-1);
	}
	if (r == PARAM_UNKNOWN)
		textbuf_add(&l->out, key, "NotUnderstood");
	return (0);

 bad:
	log_info("%s: login: bad %s", c->peer_name, key);
	login_fail(c, l, ISCSI_LS_INITIATOR_ERR, ISCSI_LD_INIT_ERR);
	return (-1);
}

/* The first complete request: who is this, and which target. */
static int
login_first(struct conn *c, struct login *l, struct textkv *kv, int n)
{
	int	 i;

	for (i = 0; i < n; i++) {
		if (strcmp(kv[i].key, "SessionType") != 0)
			continue;
		if (strcmp(kv[i].val, "Normal") == 0)
			l->session_type = SESSTYPE_NORMAL;
		else if (strcmp(kv[i].val, "Discovery") == 0)
			l->session_type = SESSTYPE_DISCOVERY;
		else {
			log_info("%s: login: bad SessionType", c->peer_name);
			login_fail(c, l, ISCSI_LS_INITIATOR_ERR,
			    ISCSI_LD_INIT_ERR);
			return (-1);
		}
		break;
	}
	if (l->session_type == SESSTYPE_NONE)
		l->session_type = SESSTYPE_NORMAL;
	params_neg_init(&l->neg, l->session_type == SESSTYPE_DISCOVERY,
	    login_our_max_burst());
	l->neg.iser = c->tp->type == CTL_TRANSPORT_ISER;
	return (0);
}

/* After the keys of the first request: check the identity. */
static int
login_identity(struct conn *c, struct login *l)
{
	char	 addr[TGT_ADDR_MAX];
	int	 redir;

	if (l->initiator[0] == '\0') {
		log_info("%s: login: no InitiatorName", c->peer_name);
		login_fail(c, l, ISCSI_LS_INITIATOR_ERR,
		    ISCSI_LD_MISSING_PARAM);
		return (-1);
	}
	if (l->session_type == SESSTYPE_DISCOVERY)
		return (0);
	if (l->target_name[0] == '\0') {
		log_info("%s: login: %s: no TargetName", c->peer_name,
		    l->initiator);
		login_fail(c, l, ISCSI_LS_INITIATOR_ERR,
		    ISCSI_LD_MISSING_PARAM);
		return (-1);
	}
	if ((l->target = ptarget_find(l->target_name)) == NULL) {
		log_info("%s: login: %s: no target %s", c->peer_name,
		    l->initiator, l->target_name);
		login_fail(c, l, ISCSI_LS_INITIATOR_ERR, ISCSI_LD_NOT_FOUND);
		return (-1);
	}
	if ((redir = acl_redirect(l->target, addr, sizeof(addr))) != 0) {
		log_info("%s: login: %s: target %s redirected to %s",
		    c->peer_name, l->initiator, l->target->name, addr);
		login_redirect(c, l, redir, addr);
		return (-1);
	}
	if (!acl_allowed(l->target, l->initiator, &c->peer)) {
		log_info("%s: login: %s: not allowed to target %s",
		    c->peer_name, l->initiator, l->target->name);
		login_fail(c, l, ISCSI_LS_INITIATOR_ERR, ISCSI_LD_AUTHZ_FAIL);
		return (-1);
	}
	if (l->target->unready) {
		/* added by a reload, its LUNs not there yet: try again */
		log_info("%s: login: %s: target %s not ready yet",
		    c->peer_name, l->initiator, l->target->name);
		login_fail(c, l, ISCSI_LS_TARGET_ERR, ISCSI_LD_SVC_UNAVAIL);
		return (-1);
	}
	textbuf_add(&l->out, "TargetPortalGroupTag", "%u", portal->tpgt);
	if (l->target->alias[0] != '\0')
		textbuf_add(&l->out, "TargetAlias", "%s", l->target->alias);
	return (0);
}

static void
login_fail(struct conn *c, struct login *l, uint8_t class, uint8_t detail)
{
	uint8_t	 rsp[ISCSI_BHS_SIZE];

	log_info("%s: login failed: status 0x%02x%02x", c->peer_name, class,
	    detail);
	l->failed = 1;
	memset(rsp, 0, sizeof(rsp));
	rsp[BHS_OPCODE] = ISCSI_OP_LOGIN_RSP;
	rsp[BHS_FLAGS] = l->stage << 2;
	memcpy(rsp + 8, l->isid, 6);
	put_be16(rsp + 14, l->tsih);
	put_be32(rsp + BHS_ITT, l->itt);
	put_be32(rsp + BHS_STATSN, c->stat_sn);
	put_be32(rsp + BHS_EXPCMDSN, l->cmdsn);
	put_be32(rsp + BHS_MAXCMDSN, l->cmdsn);
	rsp[36] = class;
	rsp[37] = detail;
	if (conn_send(c, rsp, NULL, 0, NULL, NULL) == 0)
		conn_close_after_send(c);
}

/* Status class 1: the target is at addr (TargetAddress), then close. */
static void
login_redirect(struct conn *c, struct login *l, uint8_t detail,
    const char *addr)
{
	uint8_t	 rsp[ISCSI_BHS_SIZE];

	textbuf_reset(&l->out);
	if (textbuf_add(&l->out, "TargetAddress", "%s", addr) == -1 ||
	    l->out.error) {
		login_fail(c, l, ISCSI_LS_TARGET_ERR, ISCSI_LD_NO_RESOURCES);
		return;
	}
	l->failed = 1;
	memset(rsp, 0, sizeof(rsp));
	rsp[BHS_OPCODE] = ISCSI_OP_LOGIN_RSP;
	rsp[BHS_FLAGS] = l->stage << 2;
	memcpy(rsp + 8, l->isid, 6);
	put_be16(rsp + 14, l->tsih);
	put_be32(rsp + BHS_ITT, l->itt);
	put_be32(rsp + BHS_STATSN, c->stat_sn);
	put_be32(rsp + BHS_EXPCMDSN, l->cmdsn);
	put_be32(rsp + BHS_MAXCMDSN, l->cmdsn);
	rsp[36] = ISCSI_LS_REDIRECT;
	rsp[37] = detail;
	bhs_set_dlen(rsp, l->out.len);
	if (conn_send_copy(c, rsp, l->out.buf, l->out.len) == 0)
		conn_close_after_send(c);
}

/*
 * A login with a TSIH adds a connection to that session (RFC 7143 6.3.2):
 * same initiator, ISID and target, within MaxConnections, unless it
 * reinstates a connection with the same CID.  0 ok, -1 failed.
 */
static int
login_join_check(struct conn *c, struct login *l)
{
	struct session	*s;
	struct conn	*oc;
	uint32_t	 n = 0;
	int		 disc = l->session_type == SESSTYPE_DISCOVERY;

	if ((s = session_find_tsih(l->tsih)) == NULL ||
	    s->discovery != disc || s->target != l->target ||
	    memcmp(s->isid, l->isid, sizeof(s->isid)) != 0 ||
	    strcmp(s->initiator, l->initiator) != 0) {
		log_info("%s: login: %s: no session tsih %u", c->peer_name,
		    l->initiator, l->tsih);
		login_fail(c, l, ISCSI_LS_INITIATOR_ERR, ISCSI_LD_NO_SESSION);
		return (-1);
	}
	TAILQ_FOREACH(oc, &s->conns, entry) {
		if (oc->cid == c->cid)
			return (0);	/* connection reinstatement */
		n++;
	}
	if (n >= s->params.max_connections) {
		log_info("%s: login: tsih %u has %u connections already",
		    c->peer_name, l->tsih, n);
		login_fail(c, l, ISCSI_LS_INITIATOR_ERR,
		    ISCSI_LD_TOO_MANY_CONN);
		return (-1);
	}
	return (0);
}

/* The new connection joins its session; one with its CID leaves. */
static int
login_join(struct conn *c, struct login *l)
{
	struct session	*s;
	struct conn	*oc;

	if (login_join_check(c, l) == -1)
		return (-1);
	s = session_find_tsih(l->tsih);
	params_finish(&l->neg);
	/* only the connection's own keys count here */
	c->params = s->params;
	c->params.max_recv_dsl = l->neg.p.max_recv_dsl;
	c->params.max_xmit_dsl = l->neg.p.max_xmit_dsl;
	c->params.header_digest = l->neg.p.header_digest;
	c->params.data_digest = l->neg.p.data_digest;
	TAILQ_FOREACH(oc, &s->conns, entry)
		if (oc->cid == c->cid)
			break;
	session_add_conn(s, c);
	if (oc != NULL) {
		log_info("%s: tsih %u: connection cid %u reinstated (was %s)",
		    c->peer_name, s->tsih, c->cid, oc->peer_name);
		conn_close(oc);
	} else
		log_info("%s: tsih %u: connection cid %u added",
		    c->peer_name, s->tsih, c->cid);
	return (0);
}

/* Enter the full feature phase: create (or reinstate) the session. */
static int
login_session(struct conn *c, struct login *l)
{
	struct session	*s, *old;
	int		 disc = l->session_type == SESSTYPE_DISCOVERY;

	if (l->neg.iser && !disc && !l->neg.p.rdma_ext) {
		/*
		 * Full feature phase over RDMA is iSER-assisted or nothing:
		 * RDMAExtensions=Yes must have been negotiated (RFC 7145).
		 */
		log_info("%s: iser: login without RDMAExtensions=Yes",
		    c->peer_name);
		login_fail(c, l, ISCSI_LS_INITIATOR_ERR,
		    ISCSI_LD_MISSING_PARAM);
		return (-1);
	}
	if (l->tsih != 0)
		return (login_join(c, l));
	if ((old = session_find(l->initiator, l->isid, l->target, disc))
	    != NULL) {
		log_info("%s: %s: reinstating session tsih %u", c->peer_name,
		    l->initiator, old->tsih);
		session_close(old);
	}
	if ((s = session_new(l->target, disc)) == NULL) {
		log_warnx("%s: no memory or TSIH for a session", c->peer_name);
		login_fail(c, l, ISCSI_LS_TARGET_ERR, ISCSI_LD_NO_RESOURCES);
		return (-1);
	}
	memcpy(s->isid, l->isid, sizeof(s->isid));
	strlcpy(s->initiator, l->initiator, sizeof(s->initiator));
	strlcpy(s->initiator_alias, l->alias, sizeof(s->initiator_alias));
	params_finish(&l->neg);
	s->params = l->neg.p;
	s->exp_cmdsn = l->cmdsn;
	c->params = l->neg.p;
	if (l->neg.iser && s->queue_depth > ISER_MAX_CMDS)
		s->queue_depth = ISER_MAX_CMDS;	/* our receives */
	session_add_conn(s, c);
	if (l->neg.iser)
		log_info("%s: iser: RDMAExtensions %s, TargetRecvDSL %u, "
		    "InitiatorRecvDSL %u, initiator's "
		    "MaxOutstandingUnexpectedPDUs %u, FirstBurst %u, "
		    "MaxBurst %u, ImmediateData %s, queue depth %u",
		    c->peer_name, c->params.rdma_ext ? "Yes" : "No",
		    c->params.max_recv_dsl, c->params.max_xmit_dsl,
		    c->params.max_unexpected, s->params.first_burst,
		    s->params.max_burst, s->params.immediate_data ? "Yes" :
		    "No", s->queue_depth);
	log_info("%s: %s session tsih %u: %s%s%s", c->peer_name,
	    disc ? "discovery" : "normal", s->tsih, s->initiator,
	    disc ? "" : " -> ", disc ? "" : s->target->name);
	log_debug("%s: MaxRecvDSL %u/%u MaxBurst %u FirstBurst %u "
	    "InitialR2T %u ImmediateData %u MaxOutstandingR2T %u "
	    "digests %s/%s ERL %u MaxConnections %u",
	    c->peer_name, c->params.max_recv_dsl, c->params.max_xmit_dsl,
	    s->params.max_burst, s->params.first_burst, s->params.initial_r2t,
	    s->params.immediate_data, s->params.max_outstanding_r2t,
	    c->params.header_digest ? "CRC32C" : "None",
	    c->params.data_digest ? "CRC32C" : "None", s->params.erl,
	    s->params.max_connections);
	return (0);
}

/* Send the next piece of the response text (or an empty response). */
static void
login_send_out(struct conn *c, struct login *l)
{
	uint8_t	 rsp[ISCSI_BHS_SIZE];
	size_t	 remain = l->out.len - l->out_off, n;
	int	 last, full = 0;

	n = remain > LOGIN_PDU_MAX ? LOGIN_PDU_MAX : remain;
	last = n == remain;
	memset(rsp, 0, sizeof(rsp));
	rsp[BHS_OPCODE] = ISCSI_OP_LOGIN_RSP;
	rsp[BHS_FLAGS] = l->stage << 2;
	if (!last)
		rsp[BHS_FLAGS] |= ISCSI_LOGIN_CONTINUE;
	else if (l->out_transit) {
		rsp[BHS_FLAGS] |= ISCSI_LOGIN_TRANSIT | l->out_nsg;
		if (l->out_nsg == ISCSI_STAGE_FULL) {
			if (login_session(c, l) == -1)
				return;
			full = 1;
		}
	}
	memcpy(rsp + 8, l->isid, 6);
	put_be16(rsp + 14, full ? c->sess->tsih : l->tsih);
	put_be32(rsp + BHS_ITT, l->itt);
	bhs_set_dlen(rsp, n);
	if (full)
		session_fill_sn(c, rsp, 1);
	else {
		put_be32(rsp + BHS_STATSN, c->stat_sn++);
		put_be32(rsp + BHS_EXPCMDSN, l->cmdsn);
		put_be32(rsp + BHS_MAXCMDSN, l->cmdsn +
		    (portal->max_cmds ? portal->max_cmds : PORTAL_DEF_QUEUE) -
		    1);
	}
	if (conn_send_copy(c, rsp, n ? l->out.buf + l->out_off : NULL, n) ==
	    -1)
		return;
	l->out_off += n;
	if (!last)
		return;
	textbuf_reset(&l->out);
	l->out_off = 0;
	if (!l->out_transit)
		return;
	l->stage = l->out_nsg;
	l->out_transit = 0;
	if (full) {
		login_free(c);
		conn_full(c);
	}
}

/* A complete request (all its C-bit pieces): negotiate, answer. */
static void
login_keys(struct conn *c, struct login *l, int transit, int nsg)
{
	struct textkv	 kv[TEXT_MAX_PAIRS];
	int		 i, n = 0, first = !l->keys_done;

	if (l->in.len > 0 &&
	    (n = text_split(l->in.buf, l->in.len, kv, TEXT_MAX_PAIRS)) == -1) {
		log_info("%s: login: malformed text", c->peer_name);
		login_fail(c, l, ISCSI_LS_INITIATOR_ERR, ISCSI_LD_INIT_ERR);
		return;
	}
	textbuf_reset(&l->out);
	l->out_off = 0;
	if (first && login_first(c, l, kv, n) == -1)
		return;
	for (i = 0; i < n; i++)
		if (login_key(c, l, kv[i].key, kv[i].val) == -1)
			return;
	textbuf_reset(&l->in);
	if (first) {
		l->keys_done = 1;
		if (login_identity(c, l) == -1)
			return;
		if (l->tsih != 0 && login_join_check(c, l) == -1)
			return;
	}
	if (l->stage == ISCSI_STAGE_SECURITY) {
		if ((i = login_security(c, l, transit, nsg)) != 0)
			return;		/* failed, or waiting */
	} else if (login_chap_required(l) && !chap_done(l->chap)) {
		log_info("%s: %s: CHAP required, login without it",
		    c->peer_name, l->initiator);
		login_fail(c, l, ISCSI_LS_INITIATOR_ERR, ISCSI_LD_AUTH_FAIL);
		return;
	}
	if (l->stage == ISCSI_STAGE_OPERATIONAL)
		params_declare(&l->neg, &l->out);
	if (l->out.error) {
		login_fail(c, l, ISCSI_LS_TARGET_ERR, ISCSI_LD_NO_RESOURCES);
		return;
	}

	if (l->stage == ISCSI_STAGE_SECURITY) {
		switch (login_auth(l, transit)) {
		case -1:
			log_info("%s: %s: no acceptable AuthMethod",
			    c->peer_name, l->initiator);
			login_fail(c, l, ISCSI_LS_INITIATOR_ERR,
			    ISCSI_LD_AUTH_FAIL);
			return;
		case 1:
			transit = 0;
			break;
		}
	}
	l->out_transit = transit;
	l->out_nsg = nsg;
	login_send_out(c, l);
}

void
login_rx(struct conn *c)
{
	struct login	*l = c->login;
	const uint8_t	*bhs = c->rx_bhs;
	uint8_t		 flags = bhs[BHS_FLAGS];
	int		 transit, cont, csg, nsg;

	if (l == NULL || l->failed)
		return;
	transit = (flags & ISCSI_LOGIN_TRANSIT) != 0;
	cont = (flags & ISCSI_LOGIN_CONTINUE) != 0;
	csg = ISCSI_LOGIN_CSG(flags);
	nsg = ISCSI_LOGIN_NSG(flags);
	l->itt = get_be32(bhs + BHS_ITT);

	if (l->npdu++ == 0) {
		memcpy(l->isid, bhs + 8, sizeof(l->isid));
		l->tsih = get_be16(bhs + 14);
		l->cmdsn = get_be32(bhs + BHS_CMDSN);
		c->cid = get_be16(bhs + 20);
		c->exp_stat_sn = get_be32(bhs + BHS_EXPSTATSN);
		/* We speak version 0 only. */
		if (bhs[3] != 0) {
			log_info("%s: login: version %u-%u", c->peer_name,
			    bhs[3], bhs[2]);
			login_fail(c, l, ISCSI_LS_INITIATOR_ERR,
			    ISCSI_LD_VERSION);
			return;
		}
		if (csg != ISCSI_STAGE_SECURITY &&
		    csg != ISCSI_STAGE_OPERATIONAL) {
			login_fail(c, l, ISCSI_LS_INITIATOR_ERR,
			    ISCSI_LD_INIT_ERR);
			return;
		}
		l->stage = csg;
		/* A login with a TSIH adds a connection: login_join(). */
	} else if (memcmp(l->isid, bhs + 8, sizeof(l->isid)) != 0 ||
	    l->tsih != get_be16(bhs + 14) || c->cid != get_be16(bhs + 20) ||
	    csg != l->stage) {
		log_info("%s: login: ISID, TSIH, CID or stage changed",
		    c->peer_name);
		login_fail(c, l, ISCSI_LS_INITIATOR_ERR, ISCSI_LD_INIT_ERR);
		return;
	}
	if ((transit && cont) || (transit && (nsg <= csg || nsg == 2))) {
		log_info("%s: login: bad stage transition %d -> %d",
		    c->peer_name, csg, nsg);
		login_fail(c, l, ISCSI_LS_INITIATOR_ERR, ISCSI_LD_INIT_ERR);
		return;
	}

	/* The initiator asks for the next piece of our response. */
	if (l->out_off != 0 && l->out_off < l->out.len) {
		if (c->rx_dlen != 0 || cont) {
			login_fail(c, l, ISCSI_LS_INITIATOR_ERR,
			    ISCSI_LD_INIT_ERR);
			return;
		}
		login_send_out(c, l);
		return;
	}

	if (c->rx_dlen > 0 &&
	    textbuf_append(&l->in, c->rx_data, c->rx_dlen) == -1) {
		log_info("%s: login text too long", c->peer_name);
		login_fail(c, l, ISCSI_LS_INITIATOR_ERR, ISCSI_LD_INIT_ERR);
		return;
	}
	if (cont) {
		/* More of this request follows: empty answer. */
		textbuf_reset(&l->out);
		l->out_off = 0;
		l->out_transit = 0;
		login_send_out(c, l);
		return;
	}
	login_keys(c, l, transit, nsg);
}
