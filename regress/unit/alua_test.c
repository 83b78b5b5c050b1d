/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Unit tests for tgt-lun's asymmetric access (alua.c): the checks on the
 * master's table, the commands each state lets through and the sense of
 * the others, REPORT TARGET PORT GROUPS in both formats, SET TARGET PORT
 * GROUPS, the unit attention of a change, and INQUIRY and VPD 83h with
 * and without target port groups.
 */

#include <sys/types.h>

#include <stdint.h>
#include <string.h>

#include "alua.h"
#include "log.h"
#include "../../tgt-lun/lun.h"
#include "../../tgt-lun/scsi.h"
#include "unit.h"

static struct lun	 L;

/* Two rings: relative port 3 in group 10, relative port 5 in group 20. */
static const struct lun_port	 P1 = { 2, 1 << 20, 3 };
static const struct lun_port	 P2 = { 4, 1 << 20, 5 };

struct res {
	uint8_t		 status;
	uint8_t		 key;
	uint16_t	 asc;
	uint32_t	 len;
	uint32_t	 want;
};

static int
lun_open(void)
{
	struct msg_lun_config	cfg;
	char			err[256];

	memset(&cfg, 0, sizeof(cfg));
	cfg.lun_id = 1;
	cfg.type = LUN_TYPE_DISK;
	cfg.backend = LUN_BACKEND_NULL;
	cfg.block_size = 512;
	cfg.lun = 1;
	cfg.size = 1 << 20;
	strlcpy(cfg.target, "iqn.2026-11.org.example:alua", sizeof(cfg.target));
	strlcpy(cfg.path, "null", sizeof(cfg.path));
	cfg.naa[0] = 0x60;
	if (lun_init(&L, &cfg, -1, NULL, err, sizeof(err)) == -1) {
		printf("  lun_init: %s\n", err);
		return (-1);
	}
	return (0);
}

static void
table(struct msg_lun_alua *a, uint8_t s1, uint8_t s2, uint32_t flags)
{
	memset(a, 0, sizeof(*a));
	a->flags = flags;
	a->ngroups = 2;
	a->transition = 9;
	a->group[0].id = 10;
	a->group[0].state = s1;
	a->group[0].pref = 1;
	a->group[0].nports = 1;
	a->group[0].ports[0] = 3;
	a->group[1].id = 20;
	a->group[1].state = s2;
	a->group[1].nports = 2;
	a->group[1].ports[0] = 5;
	a->group[1].ports[1] = 77;	/* another suite's port */
}

static struct res
run(struct nexus *nx, const struct lun_port *port, const uint8_t *cdb,
    uint8_t dir, void *buf, uint32_t buflen)
{
	struct scsi_cmd	 cmd;
	struct res	 r;

	memset(&r, 0, sizeof(r));
	scsi_cmd_init(&cmd, &L, nx, port, cdb, 16, dir, buf, buflen);
	scsi_exec(&cmd);
	r.status = cmd.status;
	r.len = cmd.len;
	r.want = cmd.want;
	if (cmd.sense_len > 0)
		sense_parse(cmd.sense, cmd.sense_len, &r.key, &r.asc);
	return (r);
}

#define IS_CHECK(r, k, a)	((r).status == SAM_STAT_CHECK_CONDITION && \
				    (r).key == (k) && (r).asc == (a))

static void
cdb_rtpg(uint8_t *c, int fmt, uint32_t alloc)
{
	memset(c, 0, 16);
	c[0] = MAINTENANCE_IN;
	c[1] = fmt << 5 | MI_REPORT_TARGET_PGS;
	put_be32(&c[6], alloc);
}

static void
cdb_stpg(uint8_t *c, uint32_t len)
{
	memset(c, 0, 16);
	c[0] = MAINTENANCE_OUT;
	c[1] = MO_SET_TARGET_PGS;
	put_be32(&c[6], len);
}

static void
test_table_checks(void)
{
	struct msg_lun_alua	a;
	char			err[128];

	table(&a, ALUA_ACTIVE_OPTIMIZED, ALUA_STANDBY, 0);
	CHECK(alua_check_table(&a, err, sizeof(err)) == 0);
	a.ngroups = ALUA_GROUPS_MAX + 1;
	CHECK(alua_check_table(&a, err, sizeof(err)) == -1);
	table(&a, 4, ALUA_STANDBY, 0);		/* no such state */
	CHECK(alua_check_table(&a, err, sizeof(err)) == -1);
	table(&a, ALUA_ACTIVE_OPTIMIZED, ALUA_STANDBY, 0);
	a.group[1].id = 10;			/* the same group twice */
	CHECK(alua_check_table(&a, err, sizeof(err)) == -1);
	table(&a, ALUA_ACTIVE_OPTIMIZED, ALUA_STANDBY, 0);
	a.group[1].ports[1] = 3;		/* a port in two groups */
	CHECK(alua_check_table(&a, err, sizeof(err)) == -1);
	table(&a, ALUA_ACTIVE_OPTIMIZED, ALUA_STANDBY, 0);
	a.group[1].ports[1] = 5;		/* twice in one group */
	CHECK(alua_check_table(&a, err, sizeof(err)) == -1);
	table(&a, ALUA_ACTIVE_OPTIMIZED, ALUA_STANDBY, 0);
	a.group[0].ports[0] = 0;		/* no port 0 */
	CHECK(alua_check_table(&a, err, sizeof(err)) == -1);
	table(&a, ALUA_ACTIVE_OPTIMIZED, ALUA_STANDBY, 0);
	a.group[0].nports = ALUA_PORTS_MAX + 1;
	CHECK(alua_check_table(&a, err, sizeof(err)) == -1);
	table(&a, ALUA_ACTIVE_OPTIMIZED, ALUA_STANDBY, 0x80);
	CHECK(alua_check_table(&a, err, sizeof(err)) == -1);
	table(&a, ALUA_ACTIVE_OPTIMIZED, ALUA_STANDBY, 0);
	a.transition = ALUA_TRANSITION_MAX + 1;
	CHECK(alua_check_table(&a, err, sizeof(err)) == -1);
	/* a refused table leaves the one in place */
	REQUIRE(lun_open() == 0);
	table(&a, ALUA_ACTIVE_OPTIMIZED, ALUA_STANDBY, 0);
	CHECK(alua_configure(&L, &a, err, sizeof(err)) == 0);
	a.group[0].state = 7;
	CHECK(alua_configure(&L, &a, err, sizeof(err)) == -1);
	CHECK(L.alua.ngroups == 2 && L.alua.group[0].state == 0);
	lun_fini(&L);
}

/* Without port groups nothing of ALUA shows. */
static void
test_no_alua(void)
{
	uint8_t		c[16], b[256];
	struct res	r;

	REQUIRE(lun_open() == 0);
	memset(c, 0, sizeof(c));
	c[0] = INQUIRY;
	c[4] = 96;
	r = run(NULL, &P1, c, RING_DIR_READ, b, sizeof(b));
	CHECK(r.status == 0 && (b[5] & 0x30) == 0);
	cdb_rtpg(c, 0, 256);
	r = run(NULL, &P1, c, RING_DIR_READ, b, sizeof(b));
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB));
	cdb_stpg(c, 0);
	r = run(NULL, &P1, c, RING_DIR_WRITE, b, 0);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB));
	/* REPORT SUPPORTED OPERATION CODES does not list them */
	memset(c, 0, sizeof(c));
	c[0] = MAINTENANCE_IN;
	c[1] = MI_REPORT_SUPPORTED_OPCODES;
	c[2] = 2;
	c[3] = MAINTENANCE_IN;
	put_be16(&c[4], MI_REPORT_TARGET_PGS);
	put_be32(&c[6], sizeof(b));
	r = run(NULL, &P1, c, RING_DIR_READ, b, sizeof(b));
	CHECK(r.status == 0 && (b[1] & 0x07) == 1);
	lun_fini(&L);
}

static void
test_rtpg_formats(void)
{
	struct msg_lun_alua	a;
	uint8_t			c[16], b[512];
	char			err[128];
	struct res		r;

	REQUIRE(lun_open() == 0);
	table(&a, ALUA_ACTIVE_OPTIMIZED, ALUA_ACTIVE_NONOPT, 0);
	a.group[1].status = ALUA_STATUS_IMPLICIT;
	REQUIRE(alua_configure(&L, &a, err, sizeof(err)) == 0);

	/* length only: 4 + (8 + 4) + (8 + 8) bytes */
	cdb_rtpg(c, 0, sizeof(b));
	memset(b, 0xee, sizeof(b));
	r = run(NULL, &P2, c, RING_DIR_READ, b, sizeof(b));
	CHECK(r.status == 0 && r.len == 32 && r.want == 32);
	CHECK(get_be32(&b[0]) == 28);
	CHECK(b[4] == 0x80 && b[5] == 0x8f && get_be16(&b[6]) == 10);
	CHECK(b[9] == 0 && b[11] == 1 && get_be16(&b[14]) == 3);
	CHECK(b[16] == ALUA_ACTIVE_NONOPT && get_be16(&b[18]) == 20);
	CHECK(b[21] == ALUA_STATUS_IMPLICIT && b[23] == 2);
	CHECK(get_be16(&b[26]) == 5 && get_be16(&b[30]) == 77);

	/* extended header: format type 1 and the transition time */
	cdb_rtpg(c, 1, sizeof(b));
	r = run(NULL, &P1, c, RING_DIR_READ, b, sizeof(b));
	CHECK(r.status == 0 && r.len == 36);
	CHECK(get_be32(&b[0]) == 32 && b[4] == 0x10 && b[5] == 9);
	CHECK(b[8] == 0x80 && get_be16(&b[10]) == 10);
	CHECK(get_be16(&b[22]) == 20 && b[27] == 2);

	/* a short allocation length: what fits, want says the rest */
	cdb_rtpg(c, 0, 10);
	r = run(NULL, &P1, c, RING_DIR_READ, b, sizeof(b));
	CHECK(r.status == 0 && r.len == 10 && r.want == 10);
	CHECK(get_be32(&b[0]) == 28);

	/* formats 2 and up are reserved */
	cdb_rtpg(c, 2, sizeof(b));
	r = run(NULL, &P1, c, RING_DIR_READ, b, sizeof(b));
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB));
	lun_fini(&L);
}

/* One command against one state: the ASC it ends with, 0 if it ran. */
static uint16_t
gate(const uint8_t *cdb, uint8_t dir)
{
	uint8_t		b[512];
	struct res	r;

	memset(b, 0, sizeof(b));
	r = run(NULL, &P2, cdb, dir, b, dir == RING_DIR_NONE ? 0 :
	    sizeof(b));
	if (r.status == SAM_STAT_CHECK_CONDITION && r.key == SK_NOT_READY)
		return (r.asc);
	return (0);
}

static void
test_gating(void)
{
	static const struct {
		uint8_t		 state;
		uint16_t	 asc;	/* of the commands it refuses */
	} states[] = {
		{ ALUA_ACTIVE_OPTIMIZED, 0 },
		{ ALUA_ACTIVE_NONOPT, 0 },
		{ ALUA_STANDBY, 0x040b },
		{ ALUA_UNAVAILABLE, 0x040c },
		{ ALUA_TRANSITIONING, 0x040a },
	};
	struct msg_lun_alua	 a;
	uint8_t			 tur[16], rd[16], wr[16], inq[16], rl[16];
	uint8_t			 rs[16], ms[16], pri[16], rtpg[16], stpg[16];
	uint8_t			 msel[16], sync[16], unk[16];
	char			 err[128];
	size_t			 i;
	uint16_t		 asc;
	int			 sb, un;

	REQUIRE(lun_open() == 0);
	memset(tur, 0, 16);
	memset(rd, 0, 16);
	rd[0] = READ_10;
	rd[8] = 1;
	memset(wr, 0, 16);
	wr[0] = WRITE_10;
	wr[8] = 1;
	memset(inq, 0, 16);
	inq[0] = INQUIRY;
	inq[4] = 96;
	memset(rl, 0, 16);
	rl[0] = REPORT_LUNS;
	put_be32(&rl[6], 64);
	memset(rs, 0, 16);
	rs[0] = REQUEST_SENSE;
	rs[4] = 18;
	memset(ms, 0, 16);
	ms[0] = MODE_SENSE_6;
	ms[2] = 0x3f;
	ms[4] = 255;
	memset(pri, 0, 16);
	pri[0] = PERSISTENT_RESERVE_IN;
	put_be16(&pri[7], 64);
	cdb_rtpg(rtpg, 0, 256);
	cdb_stpg(stpg, 0);
	memset(msel, 0, 16);
	msel[0] = MODE_SELECT_6;		/* an empty list */
	memset(sync, 0, 16);
	sync[0] = SYNCHRONIZE_CACHE_10;
	memset(unk, 0, 16);
	unk[0] = 0x4d;		/* LOG SENSE: not supported in any state */

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		table(&a, ALUA_ACTIVE_OPTIMIZED, states[i].state,
		    ALUA_F_EXPLICIT);
		REQUIRE(alua_configure(&L, &a, err, sizeof(err)) == 0);
		asc = states[i].asc;
		sb = states[i].state == ALUA_STANDBY;
		un = states[i].state == ALUA_UNAVAILABLE;
		printf("  state %s\n", alua_state_name(states[i].state));
		/* media access: only the active states */
		CHECK(gate(tur, RING_DIR_NONE) == asc);
		CHECK(gate(rd, RING_DIR_READ) == asc);
		CHECK(gate(wr, RING_DIR_WRITE) == asc);
		/* always */
		CHECK(gate(inq, RING_DIR_READ) == 0);
		CHECK(gate(rl, RING_DIR_READ) == 0);
		CHECK(gate(rs, RING_DIR_READ) == 0);
		CHECK(gate(rtpg, RING_DIR_READ) == 0);
		CHECK(gate(unk, RING_DIR_READ) == 0);
		CHECK(gate(sync, RING_DIR_NONE) == asc);
		/* standby also lets these through */
		CHECK(gate(ms, RING_DIR_READ) == (sb ? 0 : asc));
		CHECK(gate(pri, RING_DIR_READ) == (sb ? 0 : asc));
		CHECK(gate(msel, RING_DIR_NONE) == (sb ? 0 : asc));
		/* SET TARGET PORT GROUPS: standby and unavailable too */
		CHECK(gate(stpg, RING_DIR_NONE) == (sb || un ? 0 : asc));
		/* the other group's port (active/optimized) is not gated */
		CHECK(run(NULL, &P1, tur, RING_DIR_NONE, NULL, 0).status ==
		    SAM_STAT_GOOD);
	}
	lun_fini(&L);
}

static struct msg_lun_alua	told;
static int			ntold;

static int
tell(struct lun *lun, const struct msg_lun_alua *a)
{
	told = *a;
	ntold++;
	return (0);
}

static void
test_changes(void)
{
	struct msg_lun_alua	 a;
	struct nexus		*n1, *n2;
	uint8_t			 c[16], pl[16];
	uint16_t		 asc;
	char			 err[128];
	struct res		 r;

	REQUIRE(lun_open() == 0);
	L.alua_tell = tell;
	table(&a, ALUA_ACTIVE_OPTIMIZED, ALUA_ACTIVE_NONOPT, 0);
	REQUIRE(alua_configure(&L, &a, err, sizeof(err)) == 0);
	n1 = nexus_get(&L, P1.portal_id, 1);
	n2 = nexus_get(&L, P2.portal_id, 1);
	REQUIRE(n1 != NULL && n2 != NULL);
	n1->ua = n2->ua = 0;

	/* the same table again: no unit attention */
	CHECK(alua_configure(&L, &a, err, sizeof(err)) == 0);
	CHECK(n1->ua == 0 && n2->ua == 0);
	/* a changed state: every nexus */
	a.group[1].state = ALUA_STANDBY;
	CHECK(alua_configure(&L, &a, err, sizeof(err)) == 0);
	/* REPORT TARGET PORT GROUPS is not exempt (SAM-5 5.14) */
	cdb_rtpg(c, 0, sizeof(pl));
	r = run(n1, &P1, c, RING_DIR_READ, pl, sizeof(pl));
	CHECK(IS_CHECK(r, SK_UNIT_ATTENTION, 0x2a06));
	r = run(n1, &P1, c, RING_DIR_READ, pl, sizeof(pl));
	CHECK(r.status == SAM_STAT_GOOD);
	CHECK(lun_ua_take(&L, n2, &asc) && asc == 0x2a06);
	CHECK(!lun_ua_take(&L, n1, &asc));
	/* a port that moves to a group of another state (a reload) */
	a.group[0].nports = 2;
	a.group[0].ports[1] = 77;
	a.group[1].nports = 1;
	CHECK(alua_configure(&L, &a, err, sizeof(err)) == 0);
	CHECK(lun_ua_take(&L, n1, &asc) && asc == 0x2a06);
	CHECK(lun_ua_take(&L, n2, &asc) && asc == 0x2a06);
	/* a port that appears gives none */
	a.group[0].nports = 3;
	a.group[0].ports[2] = 78;
	CHECK(alua_configure(&L, &a, err, sizeof(err)) == 0);
	CHECK(n1->ua == 0 && n2->ua == 0);

	/* SET TARGET PORT GROUPS without explicit ALUA: refused */
	memset(pl, 0, sizeof(pl));
	pl[4] = ALUA_ACTIVE_OPTIMIZED;
	put_be16(&pl[6], 20);
	cdb_stpg(c, 8);
	r = run(n1, &P1, c, RING_DIR_WRITE, pl, 8);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB));

	a.flags = ALUA_F_EXPLICIT;
	REQUIRE(alua_configure(&L, &a, err, sizeof(err)) == 0);
	ntold = 0;
	r = run(n1, &P1, c, RING_DIR_WRITE, pl, 8);
	CHECK(r.status == SAM_STAT_GOOD && r.len == 8);
	CHECK(L.alua.group[1].state == ALUA_ACTIVE_OPTIMIZED);
	CHECK(L.alua.group[1].status == ALUA_STATUS_EXPLICIT);
	CHECK(ntold == 1 && told.ngroups == 1 && told.group[0].id == 20 &&
	    told.group[0].state == ALUA_ACTIVE_OPTIMIZED);
	/* the other nexus gets the unit attention, the sender does not */
	CHECK(n1->ua == 0);
	CHECK(lun_ua_take(&L, n2, &asc) && asc == 0x2a06);

	/* errors: every descriptor is checked before any is applied */
	pl[4] = ALUA_STANDBY;
	pl[8] = ALUA_TRANSITIONING;
	put_be16(&pl[10], 10);
	cdb_stpg(c, 12);
	r = run(n1, &P1, c, RING_DIR_WRITE, pl, 12);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM));
	CHECK(L.alua.group[1].state == ALUA_ACTIVE_OPTIMIZED);
	pl[8] = ALUA_STANDBY;
	put_be16(&pl[10], 99);			/* no such group */
	r = run(n1, &P1, c, RING_DIR_WRITE, pl, 12);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM));
	cdb_stpg(c, 6);				/* not whole descriptors */
	r = run(n1, &P1, c, RING_DIR_WRITE, pl, 6);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR));
	cdb_stpg(c, 12);			/* less data than said */
	r = run(n1, &P1, c, RING_DIR_WRITE, pl, 8);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_IU));
	CHECK(n2->ua == 0 && ntold == 1);
	L.alua_tell = NULL;
	lun_fini(&L);
}

/* INQUIRY TPGS and the designators of VPD 83h follow the port. */
static void
test_identifiers(void)
{
	struct msg_lun_alua	 a;
	uint8_t			 c[16], b[512];
	char			 err[128];
	uint32_t		 off, len;
	int			 rp = -1, tpg = -1;
	struct res		 r;

	REQUIRE(lun_open() == 0);
	table(&a, ALUA_ACTIVE_OPTIMIZED, ALUA_STANDBY, ALUA_F_EXPLICIT);
	REQUIRE(alua_configure(&L, &a, err, sizeof(err)) == 0);
	memset(c, 0, sizeof(c));
	c[0] = INQUIRY;
	c[4] = 96;
	r = run(NULL, &P2, c, RING_DIR_READ, b, sizeof(b));
	CHECK(r.status == 0 && (b[5] & 0x30) == 0x30);
	a.flags = 0;
	REQUIRE(alua_configure(&L, &a, err, sizeof(err)) == 0);
	r = run(NULL, &P2, c, RING_DIR_READ, b, sizeof(b));
	CHECK(r.status == 0 && (b[5] & 0x30) == 0x10);

	c[1] = 1;
	c[2] = VPD_DEVICE_ID;
	put_be16(&c[3], sizeof(b));
	r = run(NULL, &P2, c, RING_DIR_READ, b, sizeof(b));
	REQUIRE(r.status == 0);
	len = 4 + get_be16(&b[2]);
	for (off = 4; off + 4 <= len; off += 4 + b[off + 3]) {
		if (((b[off + 1] >> 4) & 3) != 1)	/* target port */
			continue;
		if ((b[off + 1] & 0x0f) == 4)
			rp = get_be16(&b[off + 6]);
		if ((b[off + 1] & 0x0f) == 5)
			tpg = get_be16(&b[off + 6]);
	}
	CHECK(rp == 5 && tpg == 20);
	lun_fini(&L);
}

int
main(void)
{
	log_init(1, 0, "alua_test");
	UNIT_RUN(test_table_checks);
	UNIT_RUN(test_no_alua);
	UNIT_RUN(test_rtpg_formats);
	UNIT_RUN(test_gating);
	UNIT_RUN(test_changes);
	UNIT_RUN(test_identifiers);
	return (UNIT_END("alua"));
}
