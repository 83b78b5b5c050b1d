/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Who may log in, and CHAP: acl.c keeps the access settings the master
 * sent (allow rules, redirect, whether CHAP is required) per target and
 * for discovery sessions; chap.c runs the portal's half of a CHAP
 * exchange and asks the master, which holds the secrets, for the verdict.
 */

#ifndef TGT_PORTAL_AUTH_H
#define TGT_PORTAL_AUTH_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#include "login.h"

/* acl.c */
void	 acl_access_msg(struct msg *);		/* MSG_PORTAL_ACCESS */
void	 acl_rule_msg(struct msg *);		/* MSG_PORTAL_ACL */
void	 acl_forget(uint32_t target_id);	/* the target was deleted */
/*
 * May this initiator, from this address, log in to t?  A target without
 * settings from the master is open only with TARGET_F_ALLOW_ALL.
 */
int	 acl_allowed(const struct ptarget *t, const char *initiator,
	    const struct sockaddr_storage *);
/* Is CHAP required?  t NULL: discovery sessions. */
int	 acl_chap_required(const struct ptarget *t);
/*
 * Is t redirected?  0 no; else the login status detail
 * (ISCSI_LD_REDIR_TEMP or _PERM) and the TargetAddress value in addr.
 */
int	 acl_redirect(const struct ptarget *t, char *addr, size_t len);
/* Matching, for the unit tests too. */
int	 acl_match_initiator(const char *pattern, const char *name);
int	 acl_match_address(const struct msg_acl *,
	    const struct sockaddr_storage *);

/* chap.c */
struct chap;

#define CHAP_STEP_OK	0	/* answer keys appended (or none needed) */
#define CHAP_STEP_WAIT	1	/* asked the master: wait for its answer */
#define CHAP_STEP_FAIL	-1	/* authentication failure */

/* Is key one of CHAP_A/N/R/I/C?  Then store it: 0, -1 if sent twice. */
int	 chap_is_key(const char *key);
int	 chap_key(struct chap **, const char *key, const char *val);
/*
 * After all the keys of a request: send our challenge, or forward the
 * initiator's response to the master.  target_id is ACCESS_DISCOVERY
 * for discovery sessions.
 */
int	 chap_step(struct chap **, struct conn *, uint32_t target_id,
	    const char *target, const char *initiator, struct textbuf *out);
int	 chap_done(const struct chap *);	/* authenticated */
void	 chap_free(struct chap *);
void	 chap_resp_msg(struct msg *);		/* MSG_PORTAL_AUTH_RESP */
/* "0x..." hex or "0b..." base64 (RFC 7143 5.1): length, or -1. */
int	 chap_decode(const char *, uint8_t *, size_t);

/* login.c: the master's answer came, resume the login. */
void	 login_chap_done(struct conn *, int ok, const char *user,
	    const char *response);

#endif /* TGT_PORTAL_AUTH_H */
