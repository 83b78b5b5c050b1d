/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Unit tests for tgt-lun's persistent reservations (pr.c): the state
 * machine through PERSISTENT RESERVE IN/OUT (register, reserve, release,
 * preempt, preempt and abort, clear, SPEC_I_PT, ALL_TG_PT, REGISTER AND
 * MOVE), parameter data checks, and APTPL persistence through the state
 * file across a restart of the LUN (lun_fini, lun_init, pr_state_load),
 * a torn slot and a corrupt file included.
 */

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "../../tgt-lun/lun.h"
#include "../../tgt-lun/scsi.h"
#include "unit.h"

#define NBLOCKS		2048

#define PR_WE		0x1
#define PR_EA		0x3
#define PR_WE_RO	0x5

static struct lun	 L;
static int		 lfd = -1;	/* backing file */
static int		 sfd = -1;	/* state file */

struct res {
	uint8_t		 status;
	uint8_t		 key;
	uint16_t	 asc;
	uint32_t	 len;
};

static int	no_state;	/* lun_up() without a state file */

static int
lun_up(void)
{
	struct msg_lun_config	cfg;
	char			err[256];
	int			i, fd;

	memset(&cfg, 0, sizeof(cfg));
	cfg.type = LUN_TYPE_DISK;
	cfg.backend = LUN_BACKEND_RDWR;
	cfg.block_size = 512;
	cfg.lun = 1;
	strlcpy(cfg.target, "iqn.2026-11.org.example:pr", sizeof(cfg.target));
	cfg.naa[0] = 0x60;
	for (i = 1; i < 16; i++)
		cfg.naa[i] = i;
	if (lun_init(&L, &cfg, lfd, NULL, err, sizeof(err)) == -1) {
		printf("  lun_init: %s\n", err);
		return (-1);
	}
	if (no_state)
		return (0);
	/* the master hands over its own descriptor: the LUN owns this one */
	if ((fd = dup(sfd)) == -1 ||
	    pr_state_load(&L, fd, err, sizeof(err)) == -1) {
		printf("  pr_state_load: %s\n", err);
		return (-1);
	}
	return (0);
}

/* A restart of the LUN process: everything in memory is gone. */
static int
lun_restart(void)
{
	lun_fini(&L);
	return (lun_up());
}

static int
files_open(void)
{
	char	p[64];

	strlcpy(p, "/tmp/pr_test.XXXXXX", sizeof(p));
	if ((lfd = mkstemp(p)) == -1)
		return (-1);
	unlink(p);
	if (ftruncate(lfd, NBLOCKS * 512) == -1)
		return (-1);
	strlcpy(p, "/tmp/pr_test_state.XXXXXX", sizeof(p));
	if ((sfd = mkstemp(p)) == -1)
		return (-1);
	unlink(p);
	return (0);
}

static void
files_close(void)
{
	lun_fini(&L);
	close(lfd);
	close(sfd);
	lfd = sfd = -1;
}

static struct nexus *
nx_new(uint32_t id, const char *name, uint8_t isid_last, uint16_t relport)
{
	struct nexus	*nx;

	if ((nx = nexus_get(&L, relport - 1, id)) == NULL)
		return (NULL);
	strlcpy(nx->initiator, name, sizeof(nx->initiator));
	memset(nx->isid, 0, sizeof(nx->isid));
	nx->isid[5] = isid_last;
	nx->rel_port = relport;
	nx->ua = 0;
	return (nx);
}

static struct res
run(struct nexus *nx, const uint8_t *cdb, uint8_t dir, void *buf,
    uint32_t len)
{
	struct scsi_cmd	cmd;
	struct res	r;

	memset(&r, 0, sizeof(r));
	scsi_cmd_init(&cmd, &L, nx, NULL, cdb, 16, dir, buf, len);
	(void)scsi_exec(&cmd);
	r.status = cmd.status;
	r.len = cmd.len;
	if (cmd.sense_len > 0)
		sense_parse(cmd.sense, cmd.sense_len, &r.key, &r.asc);
	return (r);
}

/* PROUT with a parameter list of len bytes (24 + extra). */
static struct res
prout_pl(struct nexus *nx, uint8_t sa, uint8_t type, const uint8_t *pl,
    uint32_t len)
{
	uint8_t	c[16], b[512];

	memset(c, 0, sizeof(c));
	c[0] = PERSISTENT_RESERVE_OUT;
	c[1] = sa;
	c[2] = type;
	put_be32(&c[5], len);
	memcpy(b, pl, len);
	return (run(nx, c, RING_DIR_WRITE, b, len));
}

static struct res
prout(struct nexus *nx, uint8_t sa, uint8_t type, uint64_t key,
    uint64_t sakey, uint8_t flags)
{
	uint8_t	pl[24];

	memset(pl, 0, sizeof(pl));
	put_be64(&pl[0], key);
	put_be64(&pl[8], sakey);
	pl[20] = flags;
	return (prout_pl(nx, sa, type, pl, sizeof(pl)));
}

static struct res
prin(struct nexus *nx, uint8_t sa, uint8_t *buf, uint16_t len)
{
	uint8_t	c[16];

	memset(c, 0, sizeof(c));
	c[0] = PERSISTENT_RESERVE_IN;
	c[1] = sa;
	put_be16(&c[7], len);
	memset(buf, 0, len);
	return (run(nx, c, RING_DIR_READ, buf, len));
}

/* Number of registered keys, and whether key is one of them. */
static int
nkeys(struct nexus *nx, uint64_t key, int *found)
{
	uint8_t		b[512];
	uint32_t	i, n;

	prin(nx, 0, b, sizeof(b));
	n = get_be32(&b[4]) / 8;
	*found = 0;
	for (i = 0; i < n; i++)
		if (get_be64(&b[8 + 8 * i]) == key)
			*found = 1;
	return (n);
}

/* The reservation: its type, 0 if none; *key the holder's key. */
static int
resv(struct nexus *nx, uint64_t *key)
{
	uint8_t	b[64];

	prin(nx, 1, b, sizeof(b));
	if (get_be32(&b[4]) == 0)
		return (0);
	*key = get_be64(&b[8]);
	return (b[21] & 0x0f);
}

static int
write_conflicts(struct nexus *nx)
{
	uint8_t		c[16], blk[512];
	struct res	r;

	nx->ua = 0;			/* a UA would come first */
	memset(c, 0, sizeof(c));
	c[0] = WRITE_10;
	c[8] = 1;
	memset(blk, 0, sizeof(blk));
	r = run(nx, c, RING_DIR_WRITE, blk, sizeof(blk));
	return (r.status == SAM_STAT_RESERVATION_CONFLICT);
}

#define IS_CHECK(r, k, a)	((r).status == SAM_STAT_CHECK_CONDITION && \
				    (r).key == (k) && (r).asc == (a))

/* An iSCSI TransportID, format 01b (with ISID) or 00b; its length. */
static uint32_t
tid(uint8_t *p, const char *name, int isid_last)
{
	char		s[300];
	uint32_t	l;

	if (isid_last >= 0)
		snprintf(s, sizeof(s), "%s,i,0x%012x", name, isid_last);
	else
		snprintf(s, sizeof(s), "%s", name);
	l = (strlen(s) + 1 + 3) & ~3u;
	memset(p, 0, 4 + l);
	p[0] = (isid_last >= 0 ? 0x40 : 0) | 0x05;
	put_be16(&p[2], l);
	memcpy(&p[4], s, strlen(s));
	return (4 + l);
}

static void
test_basic(void)
{
	struct nexus	*a, *b;
	struct res	 r;
	uint64_t	 k;
	int		 found;

	REQUIRE(files_open() == 0 && lun_up() == 0);
	a = nx_new(1, "iqn.a", 1, 1);
	b = nx_new(2, "iqn.b", 1, 1);
	REQUIRE(a != NULL && b != NULL);

	/* register, a wrong key is a conflict, re-register changes it */
	CHECK(prout(a, 0, 0, 0, 0xa1, 0).status == SAM_STAT_GOOD);
	CHECK(prout(a, 0, 0, 0x99, 0xa2, 0).status ==
	    SAM_STAT_RESERVATION_CONFLICT);
	CHECK(prout(a, 0, 0, 0xa1, 0xa2, 0).status == SAM_STAT_GOOD);
	CHECK(prout(b, 6, 0, 0, 0xb1, 0).status == SAM_STAT_GOOD);
	CHECK(nkeys(a, 0xa2, &found) == 2 && found);

	/* write exclusive: b (registered) may not write, a may */
	CHECK(prout(a, 1, PR_WE, 0xa2, 0, 0).status == SAM_STAT_GOOD);
	CHECK(resv(a, &k) == PR_WE && k == 0xa2);
	CHECK(write_conflicts(b));
	CHECK(!write_conflicts(a));
	/* a second RESERVE of another type conflicts */
	CHECK(prout(b, 1, PR_EA, 0xb1, 0, 0).status ==
	    SAM_STAT_RESERVATION_CONFLICT);
	/* release with the wrong type: INVALID RELEASE OF PR */
	r = prout(a, 2, PR_EA, 0xa2, 0, 0);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, 0x2604));
	CHECK(prout(a, 2, PR_WE, 0xa2, 0, 0).status == SAM_STAT_GOOD);
	CHECK(resv(a, &k) == 0);

	/* preempt: b takes a's registration away, a gets a UA */
	CHECK(prout(a, 1, PR_WE_RO, 0xa2, 0, 0).status == SAM_STAT_GOOD);
	a->ua = 0;
	CHECK(prout(b, 4, PR_EA, 0xb1, 0xa2, 0).status == SAM_STAT_GOOD);
	CHECK(resv(b, &k) == PR_EA && k == 0xb1);
	CHECK(nkeys(b, 0xa2, &found) == 1 && !found);
	CHECK(a->ua & UA_REGS_PREEMPTED);

	/* clear: nothing left */
	CHECK(prout(b, 3, 0, 0xb1, 0, 0).status == SAM_STAT_GOOD);
	CHECK(nkeys(b, 0, &found) == 0);
	CHECK(resv(b, &k) == 0);

	/* parameter list length: 24 without SPEC_I_PT */
	{
		uint8_t	pl[32];

		memset(pl, 0, sizeof(pl));
		put_be64(&pl[8], 1);
		a->ua = 0;
		r = prout_pl(a, 0, 0, pl, sizeof(pl));
		CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST,
		    ASC_PARAM_LIST_LENGTH_ERROR));
	}
	files_close();
}

static void
test_spec_i_pt_all_tg_pt(void)
{
	struct nexus	*a, *c, *c2, *d;
	uint8_t		 pl[512];
	uint32_t	 l;
	struct res	 r;
	uint64_t	 k;
	int		 found;

	REQUIRE(files_open() == 0 && lun_up() == 0);
	a = nx_new(1, "iqn.a", 1, 1);
	c = nx_new(3, "iqn.c", 7, 1);
	c2 = nx_new(4, "iqn.c", 8, 1);	/* another ISID of iqn.c */
	d = nx_new(5, "iqn.d", 1, 1);
	REQUIRE(a != NULL && c != NULL && c2 != NULL && d != NULL);

	/* SPEC_I_PT: a registers itself, iqn.c ISID 7 and all of iqn.d */
	memset(pl, 0, sizeof(pl));
	put_be64(&pl[8], 0x77);
	pl[20] = 0x08;
	l = tid(&pl[28], "iqn.c", 7);
	l += tid(&pl[28 + l], "iqn.d", -1);
	put_be32(&pl[24], l);
	r = prout_pl(a, 0, 0, pl, 28 + l);
	CHECK(r.status == SAM_STAT_GOOD);
	CHECK(nkeys(a, 0x77, &found) == 3 && found);
	/* iqn.c ISID 7 is registered and may reserve; ISID 8 is not */
	CHECK(prout(c, 1, PR_WE, 0x77, 0, 0).status == SAM_STAT_GOOD);
	CHECK(resv(a, &k) == PR_WE && k == 0x77);
	CHECK(write_conflicts(c2));
	CHECK(prout(c, 2, PR_WE, 0x77, 0, 0).status == SAM_STAT_GOOD);
	/* iqn.d with any ISID */
	CHECK(prout(d, 0, 0, 0x77, 0x78, 0).status == SAM_STAT_GOOD);

	/* a TransportID that is not NUL-terminated: nothing registered */
	CHECK(prout(a, 3, 0, 0x77, 0, 0).status == SAM_STAT_GOOD);
	memset(pl, 0, sizeof(pl));
	put_be64(&pl[8], 0x55);
	pl[20] = 0x08;
	l = tid(&pl[28], "iqn.c", 7);
	memset(&pl[28 + 4], 'x', l - 4);
	put_be32(&pl[24], l);
	r = prout_pl(a, 0, 0, pl, 28 + l);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM));
	CHECK(nkeys(a, 0, &found) == 0);
	/* a TransportID length beyond the parameter data */
	l = tid(&pl[28], "iqn.c", 7);
	put_be32(&pl[24], l + 100);
	r = prout_pl(a, 0, 0, pl, 28 + l);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR));
	CHECK(nkeys(a, 0, &found) == 0);

	/* ALL_TG_PT: registered through port 1, holds on port 2 too */
	CHECK(prout(a, 0, 0, 0, 0xaa, 0x04).status == SAM_STAT_GOOD);
	{
		struct nexus	*a2 = nx_new(9, "iqn.a", 1, 2);

		REQUIRE(a2 != NULL);
		CHECK(prout(a2, 1, PR_EA, 0xaa, 0, 0).status ==
		    SAM_STAT_GOOD);
		CHECK(!write_conflicts(a2));
		CHECK(write_conflicts(d));
	}
	files_close();
}

static void
test_register_and_move(void)
{
	struct nexus	*a, *b;
	uint8_t		 pl[512];
	uint32_t	 l;
	uint64_t	 k;
	int		 found;

	REQUIRE(files_open() == 0 && lun_up() == 0);
	a = nx_new(1, "iqn.a", 1, 1);
	b = nx_new(2, "iqn.b", 2, 1);
	REQUIRE(a != NULL && b != NULL);
	CHECK(prout(a, 0, 0, 0, 0xa1, 0).status == SAM_STAT_GOOD);

	memset(pl, 0, sizeof(pl));
	put_be64(&pl[0], 0xa1);
	put_be64(&pl[8], 0xb7);
	put_be16(&pl[18], 1);			/* relative target port */
	l = tid(&pl[24], "iqn.b", 2);
	put_be32(&pl[20], l);
	/* not the holder: conflict */
	CHECK(prout_pl(a, 7, PR_WE, pl, 24 + l).status ==
	    SAM_STAT_RESERVATION_CONFLICT);
	CHECK(prout(a, 1, PR_WE, 0xa1, 0, 0).status == SAM_STAT_GOOD);
	/* move to b, and unregister a (UNREG) */
	pl[17] = 0x02;
	CHECK(prout_pl(a, 7, PR_WE, pl, 24 + l).status == SAM_STAT_GOOD);
	CHECK(resv(b, &k) == PR_WE && k == 0xb7);
	CHECK(nkeys(b, 0xa1, &found) == 1 && !found);
	CHECK(write_conflicts(a));
	CHECK(!write_conflicts(b));
	/* a move to itself is refused */
	put_be64(&pl[0], 0xb7);
	put_be64(&pl[8], 0xb8);
	CHECK(IS_CHECK(prout_pl(b, 7, PR_WE, pl, 24 + l),
	    SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM));
	files_close();
}

static void
test_preempt_and_abort(void)
{
	struct nexus	*a, *b;
	uint64_t	 k;
	int		 found;

	REQUIRE(files_open() == 0 && lun_up() == 0);
	a = nx_new(1, "iqn.a", 1, 1);
	b = nx_new(2, "iqn.b", 1, 1);
	REQUIRE(a != NULL && b != NULL);
	CHECK(prout(a, 0, 0, 0, 0xa1, 0).status == SAM_STAT_GOOD);
	CHECK(prout(b, 0, 0, 0, 0xb1, 0).status == SAM_STAT_GOOD);
	CHECK(prout(a, 1, PR_EA, 0xa1, 0, 0).status == SAM_STAT_GOOD);
	b->ua = 0;
	/* b preempts the holder a and takes an exclusive reservation */
	CHECK(prout(b, 5, PR_WE, 0xb1, 0xa1, 0).status == SAM_STAT_GOOD);
	CHECK(resv(b, &k) == PR_WE && k == 0xb1);
	CHECK(nkeys(b, 0xa1, &found) == 1 && !found);
	CHECK(a->ua & UA_REGS_PREEMPTED);
	CHECK(b->ua == 0);
	/* preempting a key nobody has: conflict */
	CHECK(prout(b, 5, PR_WE, 0xb1, 0x1234, 0).status ==
	    SAM_STAT_RESERVATION_CONFLICT);
	files_close();
}

static void
test_aptpl_restart(void)
{
	struct nexus	*a, *b;
	uint8_t		 buf[64];
	uint64_t	 k;
	int		 found;

	REQUIRE(files_open() == 0 && lun_up() == 0);
	a = nx_new(1, "iqn.a", 1, 1);
	b = nx_new(2, "iqn.b", 1, 1);
	REQUIRE(a != NULL && b != NULL);
	/* APTPL set: registrations and the reservation survive */
	CHECK(prout(a, 0, 0, 0, 0xa1, 0x01).status == SAM_STAT_GOOD);
	CHECK(prout(b, 0, 0, 0, 0xb1, 0x01).status == SAM_STAT_GOOD);
	CHECK(prout(a, 1, PR_WE_RO, 0xa1, 0, 0).status == SAM_STAT_GOOD);
	prin(a, 2, buf, 8);
	CHECK((buf[2] & 0x01) && (buf[3] & 0x01));	/* PTPL_C, PTPL_A */

	REQUIRE(lun_restart() == 0);
	a = nx_new(1, "iqn.a", 1, 1);
	b = nx_new(2, "iqn.b", 1, 1);
	CHECK(nkeys(a, 0xa1, &found) == 2 && found);
	CHECK(nkeys(a, 0xb1, &found) == 2 && found);
	CHECK(resv(a, &k) == PR_WE_RO && k == 0xa1);
	/* the holder is the same initiator port again */
	CHECK(prout(a, 2, PR_WE_RO, 0xa1, 0, 0).status == SAM_STAT_GOOD);
	CHECK(resv(a, &k) == 0);

	/* a torn write of the newest slot: the one before it is used */
	CHECK(prout(a, 1, PR_WE, 0xa1, 0, 0).status == SAM_STAT_GOOD);
	REQUIRE(L.pr_seq > 0);
	{
		off_t	slot = (off_t)(L.pr_seq & 1) *
		    (32 + 1024 * (TGT_NAME_MAX + 20));
		uint8_t	junk[16];

		memset(junk, 0x5a, sizeof(junk));
		REQUIRE(pwrite(sfd, junk, sizeof(junk), slot + 40) ==
		    (ssize_t)sizeof(junk));
	}
	REQUIRE(lun_restart() == 0);
	a = nx_new(1, "iqn.a", 1, 1);
	CHECK(nkeys(a, 0xa1, &found) == 2 && found);
	CHECK(resv(a, &k) == 0);	/* the state before the RESERVE */

	/* APTPL cleared by the last REGISTER: a restart forgets */
	CHECK(prout(a, 0, 0, 0xa1, 0xa2, 0).status == SAM_STAT_GOOD);
	REQUIRE(lun_restart() == 0);
	a = nx_new(1, "iqn.a", 1, 1);
	CHECK(nkeys(a, 0, &found) == 0);
	prin(a, 2, buf, 8);
	CHECK(!(buf[3] & 0x01));
	files_close();
}

static void
test_state_corrupt(void)
{
	uint8_t		junk[4096];
	struct nexus	*a;
	int		found;

	REQUIRE(files_open() == 0);
	/* garbage, and a slot header claiming a huge count */
	memset(junk, 0xff, sizeof(junk));
	memcpy(junk, "TGTPR\0\0\1", 8);
	REQUIRE(pwrite(sfd, junk, sizeof(junk), 0) == (ssize_t)sizeof(junk));
	REQUIRE(lun_up() == 0);
	a = nx_new(1, "iqn.a", 1, 1);
	REQUIRE(a != NULL);
	CHECK(nkeys(a, 0, &found) == 0);
	CHECK(L.pr_holder == NULL);
	/* and it works from there */
	CHECK(prout(a, 0, 0, 0, 0xa1, 0x01).status == SAM_STAT_GOOD);
	REQUIRE(lun_restart() == 0);
	a = nx_new(1, "iqn.a", 1, 1);
	CHECK(nkeys(a, 0xa1, &found) == 1 && found);
	files_close();
}

/* Without a state file APTPL cannot be honoured, and is refused. */
static void
test_no_state_file(void)
{
	struct nexus	*a;
	uint8_t		 buf[8];
	struct res	 r;
	int		 found;

	no_state = 1;
	REQUIRE(files_open() == 0 && lun_up() == 0);
	no_state = 0;
	a = nx_new(1, "iqn.a", 1, 1);
	REQUIRE(a != NULL);
	prin(a, 2, buf, sizeof(buf));
	CHECK(!(buf[2] & 0x01));			/* no PTPL_C */
	r = prout(a, 0, 0, 0, 0xa1, 0x01);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM));
	CHECK(nkeys(a, 0, &found) == 0);
	CHECK(prout(a, 0, 0, 0, 0xa1, 0).status == SAM_STAT_GOOD);
	files_close();
}

/*
 * A cluster store in memory (what pr_rados.c does with RADOS): the
 * state as encoded, and once, another gateway's change slipped in
 * between load and commit.
 */
static uint8_t	*fs_state, *fs_other, *fs_ev;
static uint32_t	 fs_len, fs_otherlen, fs_evlen;
static int	 fs_commits;

static int
fs_load(struct lun *lun)
{
	return (pr_state_decode(lun, fs_state, fs_len) == 0 ? 0 : -EIO);
}

static int
fs_sync(struct lun *lun)
{
	return (0);
}

static int
fs_commit(struct lun *lun)
{
	fs_commits++;
	if (fs_other != NULL) {		/* the other gateway was first */
		free(fs_state);
		fs_state = fs_other;
		fs_len = fs_otherlen;
		fs_other = NULL;
		return (-ECANCELED);
	}
	free(fs_state);
	if ((fs_state = pr_state_encode(lun, &fs_len)) == NULL)
		return (-ENOMEM);
	free(fs_ev);
	if ((fs_ev = pr_ev_encode(lun->pr_ev, lun->pr_nev, &fs_evlen)) == NULL)
		return (-ENOMEM);
	return (0);
}

static const struct pr_store fs_store = { fs_load, fs_sync, fs_commit };

static void
test_cluster_store(void)
{
	struct nexus	*a, *b, *c, *d;
	struct pr_ev	 ev[4];
	uint8_t		 buf[8], *rec, *snap;
	uint32_t	 n, snaplen;
	int		 found;

	no_state = 1;
	REQUIRE(files_open() == 0 && lun_up() == 0);
	no_state = 0;
	L.pr_store = &fs_store;
	a = nx_new(1, "iqn.a", 1, 1);
	b = nx_new(2, "iqn.b", 1, 2);
	c = nx_new(3, "iqn.c", 1, 1);
	REQUIRE(a != NULL && b != NULL && c != NULL);
	/* APTPL is possible without a state file: the cluster keeps it */
	prin(a, 2, buf, sizeof(buf));
	CHECK(buf[2] & 0x01);
	CHECK(prout(a, 0, 0, 0, 0xa1, 0).status == SAM_STAT_GOOD);
	CHECK(prout(c, 0, 0, 0, 0xc1, 0).status == SAM_STAT_GOOD);
	/* (a, c) is what another gateway will have written */
	REQUIRE((snap = malloc(fs_len)) != NULL);
	memcpy(snap, fs_state, fs_len);
	snaplen = fs_len;
	CHECK(prout(c, 0, 0, 0xc1, 0, 0).status == SAM_STAT_GOOD);
	fs_other = snap;
	fs_otherlen = snaplen;
	/* b's REGISTER loses the race once, then applies to (a, c) */
	fs_commits = 0;
	CHECK(prout(b, 0, 0, 0, 0xb1, 0).status == SAM_STAT_GOOD);
	CHECK(fs_commits == 2);
	CHECK(nkeys(a, 0xc1, &found) == 3 && found);
	CHECK(nkeys(a, 0xb1, &found) == 3 && found);
	/* b preempts c: the event the other gateways get names c's port */
	CHECK(prout(b, 4, PR_WE, 0xb1, 0xc1, 0).status == SAM_STAT_GOOD);
	CHECK(c->ua & UA_REGS_PREEMPTED);
	n = pr_ev_decode(fs_ev, fs_evlen, ev, 4);
	REQUIRE(n == 1);
	CHECK(strcmp(ev[0].reg.initiator, "iqn.c") == 0 &&
	    ev[0].ua == UA_REGS_PREEMPTED && !ev[0].abort);
	/* applied on a gateway where c has a nexus */
	c->ua = 0;
	pr_events_apply(&L, ev, n, NULL);
	CHECK(c->ua == UA_REGS_PREEMPTED && !(a->ua & UA_REGS_PREEMPTED));
	/* only reservation unit attentions come from another gateway */
	rec = fs_ev;
	rec[fs_evlen - 4] = 0xff;
	rec[fs_evlen - 3] = 0xff;
	CHECK(pr_ev_decode(fs_ev, fs_evlen, ev, 4) == 1 &&
	    ev[0].ua == (UA_RES_PREEMPTED | UA_RES_RELEASED |
	    UA_REGS_PREEMPTED));
	/* a damaged state is refused, the LUN's stays */
	fs_state[fs_len - 1] ^= 0x01;
	CHECK(pr_state_decode(&L, fs_state, fs_len) == -1);
	CHECK(nkeys(a, 0, &found) == 2);
	fs_state[fs_len - 1] ^= 0x01;
	/* SPC-2 RESERVE: held by a's I_T nexus in the cluster's state */
	{
		uint8_t	rsv[16] = { 0x16 }, rel[16] = { 0x17 };

		CHECK(prout(b, 3, 0, 0xb1, 0, 0).status == SAM_STAT_GOOD);
		a->ua = c->ua = 0;		/* RESERVATIONS PREEMPTED */
		CHECK(run(a, rsv, RING_DIR_NONE, NULL, 0).status ==
		    SAM_STAT_GOOD);
		CHECK(run(b, rsv, RING_DIR_NONE, NULL, 0).status ==
		    SAM_STAT_RESERVATION_CONFLICT);
		/* what another gateway reads: the holder by identity */
		L.res6_shared = 0;
		CHECK(pr_state_decode(&L, fs_state, fs_len) == 0);
		CHECK(L.res6_shared && strcmp(L.res6_id.initiator, "iqn.a") ==
		    0 && L.res6_id.rel_port == 1);
		/* the same initiator through another target port is not it */
		d = nx_new(4, "iqn.a", 1, 2);
		REQUIRE(d != NULL);
		CHECK(run(d, rsv, RING_DIR_NONE, NULL, 0).status ==
		    SAM_STAT_RESERVATION_CONFLICT);
		/* another's RELEASE is a no-op; the holder's ends it */
		CHECK(run(b, rel, RING_DIR_NONE, NULL, 0).status ==
		    SAM_STAT_GOOD && L.res6_shared);
		CHECK(run(a, rel, RING_DIR_NONE, NULL, 0).status ==
		    SAM_STAT_GOOD && !L.res6_shared);
		CHECK(run(b, rsv, RING_DIR_NONE, NULL, 0).status ==
		    SAM_STAT_GOOD);
		/* a reset on any gateway ends it in the cluster */
		pr_reset(&L);
		L.res6_shared = 1;
		CHECK(pr_state_decode(&L, fs_state, fs_len) == 0 &&
		    !L.res6_shared);
		CHECK(run(a, rsv, RING_DIR_NONE, NULL, 0).status ==
		    SAM_STAT_GOOD);
		/* a's nexus gone: released too */
		pr_nexus_gone(&L, a);
		L.res6_shared = 1;
		CHECK(pr_state_decode(&L, fs_state, fs_len) == 0 &&
		    !L.res6_shared);
	}
	L.pr_store = NULL;
	free(fs_state);
	free(fs_ev);
	fs_state = fs_ev = NULL;
	fs_len = fs_evlen = 0;
	files_close();
}

int
main(void)
{
	log_init(1, 0, "pr_test");
	UNIT_RUN(test_basic);
	UNIT_RUN(test_spec_i_pt_all_tg_pt);
	UNIT_RUN(test_register_and_move);
	UNIT_RUN(test_preempt_and_abort);
	UNIT_RUN(test_aptpl_restart);
	UNIT_RUN(test_state_corrupt);
	UNIT_RUN(test_no_state_file);
	UNIT_RUN(test_cluster_store);
	return (UNIT_END("pr"));
}
