/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * An in-process tgt-portal for the libFuzzer harnesses: the real
 * connection, login, session and SCSI code of tgt-portal (every object
 * but tgt-portal.c), one target with one LUN whose ring is served by a
 * fake tgt-lun in the same process, a second target that requires CHAP
 * (the fake tgt-master on the portal's master channel gives the
 * verdicts), and clients on AF_UNIX stream sockets accepted by
 * conn_accept().
 */

#ifndef FUZZ_PORTAL_H
#define FUZZ_PORTAL_H

#include <stddef.h>
#include <stdint.h>

#define FUZZ_TARGET	"iqn.2026-11.org.example:fuzz"
#define FUZZ_INITIATOR	"iqn.2026-11.org.example:fuzzer"

/* Login presets for fuzz_login_preset(). */
#define FUZZ_LOGIN_NONE		0	/* stay in the login phase */
#define FUZZ_LOGIN_NORMAL	1	/* ImmediateData=Yes, InitialR2T=No */
#define FUZZ_LOGIN_DISCOVERY	2
#define FUZZ_LOGIN_STRICT	3	/* InitialR2T=Yes, ImmediateData=No,
					 * small MaxBurstLength */
#define FUZZ_LOGIN_DIGEST	4	/* normal, asking for CRC32C digests */
#define FUZZ_LOGIN_RECOVERY	5	/* normal, ErrorRecoveryLevel=2,
					 * MaxConnections=4 */
#define FUZZ_LOGIN_CHAP		6	/* to a target that requires CHAP:
					 * SHA-256, mutual; tgt-master's
					 * verdict comes from the harness */
#define FUZZ_LOGIN_MCS		7	/* as RECOVERY; the caller then has
					 * a second connection join with
					 * fuzz_login_join() */

#define FUZZ_CLIENTS		2	/* connections at once */

/* Once per process: the portal, its target and LUN, the listener. */
void	fuzz_portal_init(void);
/* A new connection (at most FUZZ_CLIENTS); returns its descriptor. */
int	fuzz_connect(void);
/* Queue bytes from the client (written as the socket takes them). */
void	fuzz_send(int fd, const uint8_t *, size_t);
/* Log in with a preset: the PDU is queued like any other bytes. */
void	fuzz_login_preset(int fd, int preset);
/* Join the (only) session as a second connection, CID 1. */
void	fuzz_login_join(int fd);
/*
 * Write what is queued for every client in pieces of at most chunk bytes
 * (0: as much as the socket takes), turning the portal's event loop and
 * the fake LUN between pieces, and reading (and dropping) whatever the
 * portal sends.
 */
void	fuzz_run(size_t chunk);
/*
 * The clients hang up (write side first): the portal must close the
 * connection, end its session (at once, or at ErrorRecoveryLevel 2 when
 * the retention timer, which is made to fire, expires) and give every
 * ring slot and data block back.  abort()s, so that libFuzzer reports it,
 * when it does not.
 */
void	fuzz_hangup(void);

/* Build a BHS + data segment (padded) and queue it. */
void	fuzz_pdu(int fd, const uint8_t *bhs, const void *data, size_t dlen);

#endif /* FUZZ_PORTAL_H */
