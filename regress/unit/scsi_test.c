/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Unit tests for tgt-lun's SCSI emulation: the CDB decoder, command
 * execution against a temporary backing file (rdwr, aio and io_uring
 * backends; null without one),
 * sense data for every error class, INQUIRY and VPD contents, READ
 * CAPACITY, mode pages, unit attentions, task management, and the ring
 * consumer fed through a real ring, corrupt entries included.
 */

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../tgt-lun/backend.h"
#include "log.h"
#include "../../tgt-lun/lun.h"
#include "ring.h"
#include "../../tgt-lun/scsi.h"
#include "unit.h"

#define NBLOCKS		2048		/* 1 MiB, 512 byte blocks */

static struct lun	 L;
static struct event_base *levb;
static int		 lfd = -1;
static char		 lpath[64];

struct res {
	int		 rc;
	uint8_t		 status;
	uint8_t		 key;
	uint16_t	 asc;
	uint32_t	 len;
	uint32_t	 want;
	uint8_t		 sense[RING_SENSE_MAX];
	uint8_t		 sense_len;
};

static int
lun_open(uint32_t flags, uint32_t backend, uint32_t bs, uint64_t fsize,
    uint64_t size)
{
	struct msg_lun_config	cfg;
	char			err[256];
	int			i;

	strlcpy(lpath, "/tmp/scsi_test.XXXXXX", sizeof(lpath));
	if ((lfd = mkstemp(lpath)) == -1)
		return (-1);
	unlink(lpath);
	if (ftruncate(lfd, fsize) == -1)
		return (-1);
	memset(&cfg, 0, sizeof(cfg));
	cfg.lun_id = 7;
	cfg.type = LUN_TYPE_DISK;
	cfg.backend = backend;
	cfg.flags = flags;
	cfg.block_size = bs;
	cfg.lun = 1;
	cfg.size = size;
	strlcpy(cfg.target, "iqn.2026-11.org.example:disk", sizeof(cfg.target));
	strlcpy(cfg.path, "test.img", sizeof(cfg.path));
	strlcpy(cfg.vendor, "TGTSUITE", sizeof(cfg.vendor));
	strlcpy(cfg.product, "UNIT DISK", sizeof(cfg.product));
	strlcpy(cfg.revision, "0.1", sizeof(cfg.revision));
	strlcpy(cfg.serial, "SER0001", sizeof(cfg.serial));
	cfg.naa[0] = 0x60;
	for (i = 1; i < 16; i++)
		cfg.naa[i] = i;
	if (lun_init(&L, &cfg, lfd, levb, err, sizeof(err)) == -1) {
		printf("  lun_init: %s\n", err);
		close(lfd);
		return (-1);
	}
	return (0);
}

static void
lun_close(void)
{
	lun_fini(&L);
	close(lfd);
	lfd = -1;
}

static int	async_done;

static void
test_done(struct scsi_cmd *cmd)
{
	async_done = 1;
}

/* Run one command to completion. */
static struct res
run(struct nexus *nx, const struct lun_port *port, const uint8_t *cdb,
    uint8_t dir, void *buf, uint32_t buflen)
{
	struct scsi_cmd	 cmd;
	struct res	 r;

	memset(&r, 0, sizeof(r));
	scsi_cmd_init(&cmd, &L, nx, port, cdb, 16, dir, buf, buflen);
	cmd.done = test_done;
	async_done = 0;
	r.rc = scsi_exec(&cmd);
	if (r.rc == SCSI_PENDING)
		while (!async_done)
			if (L.be->poll(&L, 1) < 0)
				break;
	r.status = cmd.status;
	r.len = cmd.len;
	r.want = cmd.want;
	r.sense_len = cmd.sense_len;
	memcpy(r.sense, cmd.sense, sizeof(r.sense));
	if (cmd.sense_len > 0)
		sense_parse(cmd.sense, cmd.sense_len, &r.key, &r.asc);
	return (r);
}

#define RUN(cdb, dir, buf, len)	\
	run(NULL, NULL, (cdb), (dir), (buf), (len))
#define IS_CHECK(r, k, a)	((r).status == SAM_STAT_CHECK_CONDITION && \
				    (r).key == (k) && (r).asc == (a))

static void
cdb_rw(uint8_t *c, uint8_t op, uint64_t lba, uint32_t n)
{
	memset(c, 0, 16);
	c[0] = op;
	switch (cdb_length(c)) {
	case 6:
		put_be24(&c[1], lba & 0x1fffff);
		c[4] = n;
		break;
	case 10:
		put_be32(&c[2], lba);
		put_be16(&c[7], n);
		break;
	case 12:
		put_be32(&c[2], lba);
		put_be32(&c[6], n);
		break;
	case 16:
		put_be64(&c[2], lba);
		put_be32(&c[10], n);
		break;
	}
}

static void
cdb_simple(uint8_t *c, uint8_t op)
{
	memset(c, 0, 16);
	c[0] = op;
}

static void
test_cdb_decoder(void)
{
	uint8_t			 c[16];
	int			 known;
	struct scsi_cmd		 cmd;

	REQUIRE(lun_open(0, LUN_BACKEND_RDWR, 512, NBLOCKS * 512, 0) == 0);
	c[0] = READ_6;
	CHECK(cdb_length(c) == 6);
	c[0] = READ_10;
	CHECK(cdb_length(c) == 10);
	c[0] = MODE_SENSE_10;
	CHECK(cdb_length(c) == 10);
	c[0] = READ_16;
	CHECK(cdb_length(c) == 16);
	c[0] = READ_12;
	CHECK(cdb_length(c) == 12);
	c[0] = 0x60;
	CHECK(cdb_length(c) == -1);
	c[0] = VARIABLE_LENGTH;
	c[7] = 24;
	CHECK(cdb_length(c) == 32);
	c[0] = 0xc0;
	CHECK(cdb_length(c) == -1);

	cdb_simple(c, READ_10);
	CHECK(scsi_op_find(c, &known) != NULL);
	cdb_simple(c, 0xff);
	CHECK(scsi_op_find(c, &known) == NULL && known == 0);
	cdb_simple(c, SERVICE_ACTION_IN_16);
	c[1] = SAI_READ_CAPACITY_16;
	CHECK(scsi_op_find(c, &known) != NULL);
	c[1] = 0x1f;
	CHECK(scsi_op_find(c, &known) == NULL && known == 1);

	/* READ(6): 21 bit LBA, length 0 means 256 */
	cdb_rw(c, READ_6, 0x12345, 0);
	c[1] |= 0xe0;			/* above the LBA: ignored */
	scsi_cmd_init(&cmd, &L, NULL, NULL, c, 16, RING_DIR_NONE, NULL, 0);
	L.nblocks = 1ull << 40;
	CHECK(cdb_decode_rw(&cmd) == 0);
	CHECK(cmd.lba == 0x12345 && cmd.nblocks == 256);

	cdb_rw(c, WRITE_10, 0xfffffff0, 0xabcd);
	c[1] = 0x08;
	scsi_cmd_init(&cmd, &L, NULL, NULL, c, 16, RING_DIR_NONE, NULL, 0);
	CHECK(cdb_decode_rw(&cmd) == 0);
	CHECK(cmd.lba == 0xfffffff0 && cmd.nblocks == 0xabcd && cmd.fua);

	cdb_rw(c, READ_12, 0x01020304, 0x05060708);
	scsi_cmd_init(&cmd, &L, NULL, NULL, c, 16, RING_DIR_NONE, NULL, 0);
	CHECK(cdb_decode_rw(&cmd) == 0);
	CHECK(cmd.lba == 0x01020304 && cmd.nblocks == 0x05060708 &&
	    !cmd.fua);

	cdb_rw(c, READ_16, 0x0102030405ull, 0x11223344);
	scsi_cmd_init(&cmd, &L, NULL, NULL, c, 16, RING_DIR_NONE, NULL, 0);
	CHECK(cdb_decode_rw(&cmd) == 0);
	CHECK(cmd.lba == 0x0102030405ull && cmd.nblocks == 0x11223344);

	/* range: end of medium, beyond, and LBA + length wrapping */
	L.nblocks = NBLOCKS;
	cdb_rw(c, READ_16, NBLOCKS, 0);
	scsi_cmd_init(&cmd, &L, NULL, NULL, c, 16, RING_DIR_NONE, NULL, 0);
	CHECK(cdb_decode_rw(&cmd) == 0);
	cdb_rw(c, READ_16, NBLOCKS - 1, 2);
	scsi_cmd_init(&cmd, &L, NULL, NULL, c, 16, RING_DIR_NONE, NULL, 0);
	CHECK(cdb_decode_rw(&cmd) == -1);
	CHECK(cmd.status == SAM_STAT_CHECK_CONDITION);
	cdb_rw(c, READ_16, UINT64_MAX - 1, 4);
	scsi_cmd_init(&cmd, &L, NULL, NULL, c, 16, RING_DIR_NONE, NULL, 0);
	CHECK(cdb_decode_rw(&cmd) == -1);
	lun_close();
}

static void
test_opcode_errors(void)
{
	uint8_t		c[16];
	struct res	r;

	REQUIRE(lun_open(0, LUN_BACKEND_RDWR, 512, NBLOCKS * 512, 0) == 0);
	cdb_simple(c, 0xff);
	r = RUN(c, RING_DIR_NONE, NULL, 0);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE));
	cdb_simple(c, 0x60);
	r = RUN(c, RING_DIR_NONE, NULL, 0);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE));
	/* known opcode, unknown service action */
	cdb_simple(c, SERVICE_ACTION_IN_16);
	c[1] = 0x1e;
	r = RUN(c, RING_DIR_NONE, NULL, 0);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB));
	/* SKSV, C/D, BPV, bit 4 of byte 1 */
	CHECK(r.sense[15] == (0x80 | 0x40 | 0x08 | 4) &&
	    get_be16(&r.sense[16]) == 1);
	/* NACA in the CONTROL byte */
	cdb_simple(c, TEST_UNIT_READY);
	c[5] = 0x04;
	r = RUN(c, RING_DIR_NONE, NULL, 0);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB));
	cdb_simple(c, TEST_UNIT_READY);
	r = RUN(c, RING_DIR_NONE, NULL, 0);
	CHECK(r.status == SAM_STAT_GOOD && r.sense_len == 0);
	/* fixed format sense layout */
	cdb_simple(c, 0xff);
	r = RUN(c, RING_DIR_NONE, NULL, 0);
	CHECK(r.sense_len == 18 && r.sense[0] == 0x70 && r.sense[7] == 10 &&
	    r.sense[2] == SK_ILLEGAL_REQUEST && r.sense[12] == 0x20);
	lun_close();
}

static void
test_unit_attention(void)
{
	struct nexus	*a, *b;
	uint8_t		 c[16], buf[252];
	struct res	 r;

	REQUIRE(lun_open(0, LUN_BACKEND_RDWR, 512, NBLOCKS * 512, 0) == 0);
	a = nexus_get(&L, 0, 1);
	b = nexus_get(&L, 0, 2);
	REQUIRE(a != NULL && b != NULL);
	CHECK(nexus_get(&L, 0, 1) == a);

	/* INQUIRY and REPORT LUNS do not consume the UA */
	cdb_simple(c, INQUIRY);
	c[4] = 96;
	r = run(a, NULL, c, RING_DIR_READ, buf, sizeof(buf));
	CHECK(r.status == SAM_STAT_GOOD && r.len == 96);
	cdb_simple(c, REPORT_LUNS);
	put_be32(&c[6], 16);
	r = run(a, NULL, c, RING_DIR_READ, buf, sizeof(buf));
	CHECK(r.status == SAM_STAT_GOOD && r.len == 16);
	CHECK(get_be32(buf) == 8 && buf[9] == 1);

	cdb_simple(c, TEST_UNIT_READY);
	r = run(a, NULL, c, RING_DIR_NONE, NULL, 0);
	CHECK(IS_CHECK(r, SK_UNIT_ATTENTION, ASC_POWER_ON_RESET));
	r = run(a, NULL, c, RING_DIR_NONE, NULL, 0);
	CHECK(r.status == SAM_STAT_GOOD);

	/* REQUEST SENSE returns and clears it; then NO SENSE */
	cdb_simple(c, REQUEST_SENSE);
	c[4] = 252;
	r = run(b, NULL, c, RING_DIR_READ, buf, sizeof(buf));
	CHECK(r.status == SAM_STAT_GOOD && r.len == 18);
	CHECK(buf[0] == 0x70 && buf[2] == SK_UNIT_ATTENTION &&
	    buf[12] == 0x29 && buf[13] == 0x00);
	r = run(b, NULL, c, RING_DIR_READ, buf, sizeof(buf));
	CHECK(r.status == SAM_STAT_GOOD && buf[2] == SK_NO_SENSE &&
	    buf[12] == 0);
	/* descriptor format on request */
	c[1] = 0x01;
	r = run(b, NULL, c, RING_DIR_READ, buf, sizeof(buf));
	CHECK(r.status == SAM_STAT_GOOD && r.len == 8 && buf[0] == 0x72);

	/* LUN reset and target warm reset: UA on every nexus (SAM-5) */
	CHECK(lun_tmf(&L, RING_TMF_LUN_RESET, 0, 1, 0) == RING_TMF_COMPLETE);
	cdb_simple(c, TEST_UNIT_READY);
	r = run(a, NULL, c, RING_DIR_NONE, NULL, 0);
	CHECK(IS_CHECK(r, SK_UNIT_ATTENTION, ASC_BUS_DEVICE_RESET));
	r = run(a, NULL, c, RING_DIR_NONE, NULL, 0);
	CHECK(r.status == SAM_STAT_GOOD);
	r = run(b, NULL, c, RING_DIR_NONE, NULL, 0);
	CHECK(IS_CHECK(r, SK_UNIT_ATTENTION, ASC_BUS_DEVICE_RESET));
	r = run(b, NULL, c, RING_DIR_NONE, NULL, 0);
	CHECK(r.status == SAM_STAT_GOOD);
	CHECK(lun_tmf(&L, RING_TMF_TARGET_WARM_RESET, 0, 2, 0) ==
	    RING_TMF_COMPLETE);
	r = run(a, NULL, c, RING_DIR_NONE, NULL, 0);
	CHECK(IS_CHECK(r, SK_UNIT_ATTENTION, ASC_BUS_DEVICE_RESET));
	r = run(b, NULL, c, RING_DIR_NONE, NULL, 0);
	CHECK(IS_CHECK(r, SK_UNIT_ATTENTION, ASC_BUS_DEVICE_RESET));
	CHECK(lun_tmf(&L, 99, 0, 1, 0) == RING_TMF_NOT_SUPPORTED);

	/*
	 * Cold reset: the power on UA on every nexus, and for the next
	 * login of each initiator port that had one, once.
	 */
	a->announced = b->announced = 1;
	strlcpy(a->initiator, "iqn.a", sizeof(a->initiator));
	strlcpy(b->initiator, "iqn.b", sizeof(b->initiator));
	memset(a->isid, 1, sizeof(a->isid));
	memset(b->isid, 2, sizeof(b->isid));
	CHECK(lun_tmf(&L, RING_TMF_TARGET_COLD_RESET, 0, 1, 0) ==
	    RING_TMF_COMPLETE);
	r = run(b, NULL, c, RING_DIR_NONE, NULL, 0);
	CHECK(IS_CHECK(r, SK_UNIT_ATTENTION, ASC_POWER_ON_RESET));
	r = run(b, NULL, c, RING_DIR_NONE, NULL, 0);
	CHECK(r.status == SAM_STAT_GOOD);
	CHECK(!lun_cold_take(&L, "iqn.c", a->isid));
	CHECK(!lun_cold_take(&L, "iqn.a", b->isid));
	CHECK(lun_cold_take(&L, "iqn.a", a->isid));
	CHECK(!lun_cold_take(&L, "iqn.a", a->isid));
	CHECK(lun_cold_take(&L, "iqn.b", b->isid));
	a->announced = b->announced = 0;

	nexus_del(&L, a);
	CHECK(nexus_find(&L, 0, 1) == NULL);
	CHECK(nexus_find(&L, 0, 2) == b);
	lun_close();
}

static void
test_inquiry(void)
{
	uint8_t		c[16], buf[512];
	struct res	r;

	REQUIRE(lun_open(LUN_F_REMOVABLE, LUN_BACKEND_RDWR, 512,
	    NBLOCKS * 512, 0) == 0);
	cdb_simple(c, INQUIRY);
	put_be16(&c[3], 255);
	memset(buf, 0xee, sizeof(buf));
	r = RUN(c, RING_DIR_READ, buf, 255);
	CHECK(r.status == SAM_STAT_GOOD && r.len == 96 && r.want == 96);
	CHECK(buf[0] == TYPE_DISK);
	CHECK(buf[1] == 0x80);			/* RMB */
	CHECK(buf[2] == 0x06);			/* SPC-4 */
	CHECK((buf[3] & 0x0f) == 2 && (buf[3] & 0x10));	/* HiSup */
	CHECK(buf[4] == 91);
	CHECK(memcmp(&buf[8], "TGTSUITE", 8) == 0);
	CHECK(memcmp(&buf[16], "UNIT DISK       ", 16) == 0);
	CHECK(memcmp(&buf[32], "0.1 ", 4) == 0);
	CHECK(get_be16(&buf[58]) == VD_SAM5 && get_be16(&buf[60]) == VD_SPC4 &&
	    get_be16(&buf[62]) == VD_SBC3 && get_be16(&buf[64]) == VD_ISCSI);

	/* allocation length: truncated, and no overflow reported */
	memset(buf, 0xee, sizeof(buf));
	put_be16(&c[3], 5);
	r = RUN(c, RING_DIR_READ, buf, 5);
	CHECK(r.status == SAM_STAT_GOOD && r.len == 5 && r.want == 5);
	CHECK(buf[5] == 0xee);
	/* buffer smaller than the allocation length */
	put_be16(&c[3], 96);
	r = RUN(c, RING_DIR_READ, buf, 36);
	CHECK(r.len == 36 && r.want == 96);
	/* page code without EVPD, CMDDT, unknown VPD page */
	c[2] = 0x80;
	r = RUN(c, RING_DIR_READ, buf, 96);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB));
	c[1] = 0x02;
	c[2] = 0;
	r = RUN(c, RING_DIR_READ, buf, 96);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB));
	c[1] = 0x01;
	c[2] = 0x42;
	r = RUN(c, RING_DIR_READ, buf, 96);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB));
	lun_close();
}

/* Find a designator in a device identification page. */
static const uint8_t *
find_desig(const uint8_t *p, uint32_t len, uint8_t assoc, uint8_t type)
{
	uint32_t	off = 4;

	while (off + 4 <= len) {
		if (((p[off + 1] >> 4) & 3) == assoc &&
		    (p[off + 1] & 0x0f) == type)
			return (&p[off]);
		off += 4 + p[off + 3];
	}
	return (NULL);
}

static void
test_vpd(void)
{
	struct lun_port	 port = { 2, 1u << 20, 0 };
	struct nexus	*nx;
	const uint8_t	*d;
	uint8_t		 c[16], buf[1024];
	struct res	 r;

	REQUIRE(lun_open(LUN_F_THIN, LUN_BACKEND_RDWR, 512,
	    NBLOCKS * 512, 0) == 0);
	nx = nexus_get(&L, 2, 9);
	REQUIRE(nx != NULL);
	nx->tpgt = 1;
	cdb_simple(c, INQUIRY);
	c[1] = 0x01;
	put_be16(&c[3], sizeof(buf));

	c[2] = 0x00;
	r = run(nx, &port, c, RING_DIR_READ, buf, sizeof(buf));
	CHECK(r.status == SAM_STAT_GOOD && buf[1] == 0x00);
	CHECK(get_be16(&buf[2]) == 7 && buf[4] == 0x00 && buf[5] == 0x80 &&
	    buf[6] == 0x83 && buf[7] == 0x8f && buf[8] == 0xb0 &&
	    buf[9] == 0xb1 && buf[10] == 0xb2);

	c[2] = 0x80;
	r = run(nx, &port, c, RING_DIR_READ, buf, sizeof(buf));
	CHECK(r.status == SAM_STAT_GOOD && buf[1] == 0x80 &&
	    get_be16(&buf[2]) == 7 && memcmp(&buf[4], "SER0001", 7) == 0);

	c[2] = 0x83;
	r = run(nx, &port, c, RING_DIR_READ, buf, sizeof(buf));
	CHECK(r.status == SAM_STAT_GOOD && buf[1] == 0x83);
	CHECK(r.len == get_be16(&buf[2]) + 4u);
	d = find_desig(buf, r.len, 0, 3);	/* NAA */
	CHECK(d != NULL && d[3] == 16 && d[4] == 0x60 && d[5] == 1);
	d = find_desig(buf, r.len, 0, 1);	/* T10 vendor id */
	CHECK(d != NULL && memcmp(&d[4], "TGTSUITE", 8) == 0);
	d = find_desig(buf, r.len, 1, 4);	/* relative target port */
	CHECK(d != NULL && (d[1] & 0x80) && (d[0] >> 4) == 5 &&
	    get_be16(&d[6]) == 3);
	d = find_desig(buf, r.len, 1, 5);	/* target port group */
	CHECK(d != NULL && get_be16(&d[6]) == 1);
	d = find_desig(buf, r.len, 1, 8);	/* SCSI name, target port */
	CHECK(d != NULL && (d[3] % 4) == 0 && strcmp((const char *)&d[4],
	    "iqn.2026-11.org.example:disk,t,0x0001") == 0);
	d = find_desig(buf, r.len, 2, 8);	/* SCSI name, target */
	CHECK(d != NULL && strcmp((const char *)&d[4],
	    "iqn.2026-11.org.example:disk") == 0);

	c[2] = 0xb0;
	r = run(nx, &port, c, RING_DIR_READ, buf, sizeof(buf));
	CHECK(r.status == SAM_STAT_GOOD && buf[1] == 0xb0 &&
	    get_be16(&buf[2]) == 0x3c);
	CHECK(get_be32(&buf[8]) == (1u << 20) / 512);	/* ring limited */
	CHECK(get_be32(&buf[20]) != 0 && get_be32(&buf[24]) != 0);
	r = run(nx, NULL, c, RING_DIR_READ, buf, sizeof(buf));
	CHECK(get_be32(&buf[8]) == LUN_MAX_XFER / 512);

	c[2] = 0xb1;
	r = run(nx, &port, c, RING_DIR_READ, buf, sizeof(buf));
	CHECK(r.status == SAM_STAT_GOOD && get_be16(&buf[4]) == 1);

	c[2] = 0xb2;
	r = run(nx, &port, c, RING_DIR_READ, buf, sizeof(buf));
	CHECK(r.status == SAM_STAT_GOOD && (buf[5] & 0xe0) == 0xe0 &&
	    (buf[5] & 0x04) && (buf[6] & 0x07) == 2);
	lun_close();

	REQUIRE(lun_open(0, LUN_BACKEND_RDWR, 4096, NBLOCKS * 512, 0) == 0);
	c[2] = 0xb2;
	r = RUN(c, RING_DIR_READ, buf, sizeof(buf));
	CHECK(r.status == SAM_STAT_GOOD && buf[5] == 0 && buf[6] == 0);
	c[2] = 0xb0;
	r = RUN(c, RING_DIR_READ, buf, sizeof(buf));
	CHECK(get_be32(&buf[8]) == LUN_MAX_XFER / 4096 &&
	    get_be32(&buf[20]) == 0);
	lun_close();
}

static void
test_read_capacity(void)
{
	uint8_t		c[16], buf[512];
	struct res	r;

	/* size smaller than the file: 1000 blocks of 4096 */
	REQUIRE(lun_open(0, LUN_BACKEND_RDWR, 4096, 8 << 20,
	    1000 * 4096 + 100) == 0);
	cdb_simple(c, READ_CAPACITY_10);
	r = RUN(c, RING_DIR_READ, buf, 8);
	CHECK(r.status == SAM_STAT_GOOD && r.len == 8);
	CHECK(get_be32(buf) == 999 && get_be32(&buf[4]) == 4096);
	put_be32(&c[2], 5);		/* LBA without PMI */
	r = RUN(c, RING_DIR_READ, buf, 8);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB));

	cdb_simple(c, SERVICE_ACTION_IN_16);
	c[1] = SAI_READ_CAPACITY_16;
	put_be32(&c[10], 32);
	r = RUN(c, RING_DIR_READ, buf, 32);
	CHECK(r.status == SAM_STAT_GOOD && r.len == 32 && r.want == 32);
	CHECK(get_be64(buf) == 999 && get_be32(&buf[8]) == 4096);
	CHECK((buf[14] & 0xc0) == 0);
	put_be32(&c[10], 12);
	r = RUN(c, RING_DIR_READ, buf, 64);
	CHECK(r.len == 12 && r.want == 12);
	lun_close();

	/* larger than the store */
	CHECK(lun_open(0, LUN_BACKEND_RDWR, 512, 4096, 8192) == -1);

	/* thin: LBPME and LBPRZ */
	REQUIRE(lun_open(LUN_F_THIN, LUN_BACKEND_RDWR, 512, NBLOCKS * 512,
	    0) == 0);
	cdb_simple(c, SERVICE_ACTION_IN_16);
	c[1] = SAI_READ_CAPACITY_16;
	put_be32(&c[10], 32);
	r = RUN(c, RING_DIR_READ, buf, 32);
	CHECK(get_be64(buf) == NBLOCKS - 1 && (buf[14] & 0xc0) == 0xc0);
	lun_close();

	/* more than 2^32 blocks: READ CAPACITY(10) says 0xffffffff */
	if (lun_open(0, LUN_BACKEND_RDWR, 512, 3ull << 40, 0) == 0) {
		cdb_simple(c, READ_CAPACITY_10);
		r = RUN(c, RING_DIR_READ, buf, 8);
		CHECK(get_be32(buf) == 0xffffffff);
		cdb_simple(c, SERVICE_ACTION_IN_16);
		c[1] = SAI_READ_CAPACITY_16;
		put_be32(&c[10], 32);
		r = RUN(c, RING_DIR_READ, buf, 32);
		CHECK(get_be64(buf) == (3ull << 40) / 512 - 1);
		/* LBA beyond 32 bits works, beyond the end does not */
		cdb_rw(c, READ_16, (3ull << 40) / 512 - 1, 1);
		r = RUN(c, RING_DIR_READ, buf, 512);
		CHECK(r.status == SAM_STAT_GOOD && r.len == 512);
		cdb_rw(c, READ_16, (3ull << 40) / 512, 1);
		r = RUN(c, RING_DIR_READ, buf, 512);
		CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE));
		lun_close();
	} else
		printf("  (no 3 TiB sparse file here, skipped)\n");
}

static void
rw_roundtrip(uint32_t backend)
{
	static const uint8_t ops[][2] = { { WRITE_6, READ_6 },
	    { WRITE_10, READ_10 }, { WRITE_12, READ_12 },
	    { WRITE_16, READ_16 } };
	uint8_t		 c[16], *w, *rd;
	struct res	 r;
	size_t		 i;
	uint32_t	 n = 8, bs = 512;
	struct lun_port	 port = { 0, 64 << 10, 0 };

	w = malloc(256 * 512);
	rd = malloc(256 * 512);
	REQUIRE(w != NULL && rd != NULL);
	REQUIRE(lun_open(LUN_F_WRITE_CACHE, backend, bs, NBLOCKS * 512,
	    0) == 0);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		memset(w, 'a' + i, n * bs);
		cdb_rw(c, ops[i][0], 100 + i * 10, n);
		r = RUN(c, RING_DIR_WRITE, w, n * bs);
		CHECK(r.status == SAM_STAT_GOOD && r.len == n * bs &&
		    r.want == n * bs);
		memset(rd, 0, n * bs);
		cdb_rw(c, ops[i][1], 100 + i * 10, n);
		r = RUN(c, RING_DIR_READ, rd, n * bs);
		CHECK(r.status == SAM_STAT_GOOD && r.len == n * bs);
		CHECK(memcmp(w, rd, n * bs) == 0);
		CHECK(pread(lfd, rd, bs, (100 + i * 10) * bs) == (ssize_t)bs &&
		    rd[0] == 'a' + i);
	}
	/* FUA */
	memset(w, 'F', bs);
	cdb_rw(c, WRITE_10, 5, 1);
	c[1] = 0x08;
	r = RUN(c, RING_DIR_WRITE, w, bs);
	CHECK(r.status == SAM_STAT_GOOD && r.len == bs);
	CHECK(pread(lfd, rd, bs, 5 * bs) == (ssize_t)bs && rd[0] == 'F');
	/* READ(6) of 0 blocks transfers 256 */
	cdb_rw(c, READ_6, 0, 0);
	r = RUN(c, RING_DIR_READ, rd, 256 * 512);
	CHECK(r.status == SAM_STAT_GOOD && r.len == 256 * 512);
	/* READ(10) of 0 blocks: nothing, good, even at the end */
	cdb_rw(c, READ_10, NBLOCKS, 0);
	r = RUN(c, RING_DIR_READ, rd, 512);
	CHECK(r.status == SAM_STAT_GOOD && r.len == 0 && r.want == 0);
	cdb_rw(c, READ_10, NBLOCKS + 1, 0);
	r = RUN(c, RING_DIR_READ, rd, 512);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE));

	/* read with a short buffer: what fits, want = all */
	cdb_rw(c, READ_10, 100, 2);
	r = RUN(c, RING_DIR_READ, rd, 200);
	CHECK(r.status == SAM_STAT_GOOD && r.len == 200 && r.want == 1024);
	/* read with no buffer at all */
	r = RUN(c, RING_DIR_READ, NULL, 0);
	CHECK(r.status == SAM_STAT_GOOD && r.len == 0 && r.want == 1024);

	/* too little Data-Out, ending inside a block: nothing written */
	memset(w, 'z', 2 * bs);
	cdb_rw(c, WRITE_10, 100, 2);
	r = RUN(c, RING_DIR_WRITE, w, 200);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_IU));
	CHECK(r.want == 2 * bs);
	CHECK(pread(lfd, rd, bs, 100 * bs) == (ssize_t)bs && rd[0] == 'a');
	/* one whole block of two: that block is written */
	r = RUN(c, RING_DIR_WRITE, w, bs);
	CHECK(r.status == SAM_STAT_GOOD && r.len == bs && r.want == 2 * bs);
	CHECK(pread(lfd, rd, 2 * bs, 100 * bs) == 2 * (ssize_t)bs &&
	    rd[0] == 'z' && rd[bs] == 'a');
	/* no Data-Out at all (also a write CDB sent as a read) */
	r = RUN(c, RING_DIR_WRITE, NULL, 0);
	CHECK(r.status == SAM_STAT_GOOD && r.len == 0 && r.want == 2 * bs);
	r = RUN(c, RING_DIR_READ, w, 2 * bs);
	CHECK(r.status == SAM_STAT_GOOD && r.len == 0 && r.want == 2 * bs);
	/* more Data-Out than needed: the CDB wins */
	memset(w, 'y', 2 * bs);
	cdb_rw(c, WRITE_10, 100, 1);
	r = RUN(c, RING_DIR_WRITE, w, 2 * bs);
	CHECK(r.status == SAM_STAT_GOOD && r.len == bs && r.want == bs);
	CHECK(pread(lfd, rd, 2 * bs, 100 * bs) == 2 * (ssize_t)bs &&
	    rd[0] == 'y' && rd[bs] == 'a');

	/* out of range, in every size */
	cdb_rw(c, READ_10, NBLOCKS - 1, 2);
	r = RUN(c, RING_DIR_READ, rd, 1024);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE));
	cdb_rw(c, WRITE_16, UINT64_MAX, 1);
	r = RUN(c, RING_DIR_WRITE, w, 512);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE));
	cdb_rw(c, READ_16, 1, UINT32_MAX);
	r = RUN(c, RING_DIR_READ, rd, 512);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE));
	cdb_rw(c, READ_12, 0xffffffff, 2);
	r = RUN(c, RING_DIR_READ, rd, 1024);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE));
	cdb_rw(c, READ_6, NBLOCKS, 1);
	r = RUN(c, RING_DIR_READ, rd, 512);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE));
	/* information field holds the LBA */
	CHECK((r.sense[0] & 0x80) && get_be32(&r.sense[3]) == NBLOCKS);
	/* protection information fields */
	cdb_rw(c, READ_10, 0, 1);
	c[1] = 0x20;
	r = RUN(c, RING_DIR_READ, rd, 512);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB));
	/* longer than the maximum transfer length */
	cdb_rw(c, READ_16, 0, (64 << 10) / 512 + 1);
	r = run(NULL, &port, c, RING_DIR_READ, rd, 512);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB));

	/* SYNCHRONIZE CACHE */
	cdb_rw(c, SYNCHRONIZE_CACHE_10, 0, 0);
	r = RUN(c, RING_DIR_NONE, NULL, 0);
	CHECK(r.status == SAM_STAT_GOOD);
	cdb_rw(c, SYNCHRONIZE_CACHE_16, NBLOCKS - 10, 10);
	r = RUN(c, RING_DIR_NONE, NULL, 0);
	CHECK(r.status == SAM_STAT_GOOD);
	cdb_rw(c, SYNCHRONIZE_CACHE_16, NBLOCKS - 10, 11);
	r = RUN(c, RING_DIR_NONE, NULL, 0);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE));
	cdb_rw(c, SYNCHRONIZE_CACHE_10, NBLOCKS + 1, 0);
	r = RUN(c, RING_DIR_NONE, NULL, 0);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE));
	lun_close();
	free(w);
	free(rd);
}

static void
test_rw_rdwr(void)
{
	rw_roundtrip(LUN_BACKEND_RDWR);
}

static void
test_rw_aio(void)
{
	rw_roundtrip(LUN_BACKEND_AIO);
}

static void
test_rw_io_uring(void)
{
	rw_roundtrip(LUN_BACKEND_IO_URING);
}

static void
test_rw_null(void)
{
	uint8_t		 c[16], buf[4096];
	struct res	 r;

	/* null: no file at all; lun_open's file is not the LUN's store */
	REQUIRE(lun_open(LUN_F_WRITE_CACHE, LUN_BACKEND_NULL, 512, 512,
	    NBLOCKS * 512) == 0);
	CHECK(L.nblocks == NBLOCKS);
	memset(buf, 'x', sizeof(buf));
	cdb_rw(c, WRITE_10, 8, 8);
	r = RUN(c, RING_DIR_WRITE, buf, sizeof(buf));
	CHECK(r.status == SAM_STAT_GOOD && r.len == sizeof(buf));
	cdb_rw(c, READ_10, 8, 8);
	r = RUN(c, RING_DIR_READ, buf, sizeof(buf));
	CHECK(r.status == SAM_STAT_GOOD && r.len == sizeof(buf) &&
	    buf[0] == 0 && buf[4095] == 0);
	cdb_rw(c, READ_10, NBLOCKS - 1, 2);
	r = RUN(c, RING_DIR_READ, buf, 1024);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE));
	lun_close();
}

static int	ordered_saw_older_done;

static void
ordered_done(struct scsi_cmd *cmd)
{
	ordered_saw_older_done = async_done;
}

/* An ORDERED command waits for the older ones; the next wait for it. */
static void
test_task_attr(void)
{
	uint8_t		 c[16], buf[4096], blk[512];
	struct scsi_cmd	 older, ord;
	int		 rc, rc2;

	REQUIRE(lun_open(0, LUN_BACKEND_AIO, 512, NBLOCKS * 512, 0) == 0);
	cdb_rw(c, READ_10, 0, 8);
	scsi_cmd_init(&older, &L, NULL, NULL, c, 16, RING_DIR_READ, buf,
	    sizeof(buf));
	older.done = test_done;
	async_done = 0;
	rc = scsi_exec(&older);
	CHECK(rc == SCSI_PENDING);
	memset(blk, 'o', sizeof(blk));
	cdb_rw(c, WRITE_10, 100, 1);
	scsi_cmd_init(&ord, &L, NULL, NULL, c, 16, RING_DIR_WRITE, blk,
	    sizeof(blk));
	ord.attr = RING_ATTR_ORDERED;
	ord.done = ordered_done;
	ordered_saw_older_done = 0;
	rc2 = scsi_exec(&ord);
	/* the older READ had completed when the ORDERED one did */
	CHECK(rc2 == SCSI_DONE || ordered_saw_older_done);
	CHECK(async_done);
	/* and nothing is left in flight for the next command to pass */
	CHECK(L.ninflight == 0);
	CHECK(ord.status == SAM_STAT_GOOD && older.status == SAM_STAT_GOOD);
	lun_close();
}

static void
test_aio_pending(void)
{
	uint8_t		 c[16], buf[4096];
	struct scsi_cmd	 cmd;
	int		 rc;

	REQUIRE(lun_open(0, LUN_BACKEND_AIO, 512, NBLOCKS * 512, 0) == 0);
	memset(buf, 'q', sizeof(buf));
	cdb_rw(c, WRITE_10, 8, 8);
	scsi_cmd_init(&cmd, &L, NULL, NULL, c, 16, RING_DIR_WRITE, buf,
	    sizeof(buf));
	cmd.done = test_done;
	async_done = 0;
	rc = scsi_exec(&cmd);
	CHECK(rc == SCSI_PENDING);
	if (rc == SCSI_PENDING) {
		CHECK(L.ninflight == 1 && TAILQ_FIRST(&L.inflight) == &cmd);
		while (!async_done && L.be->poll(&L, 1) >= 0)
			;
		CHECK(L.ninflight == 0);
	}
	CHECK(cmd.status == SAM_STAT_GOOD && cmd.len == sizeof(buf));
	/* an aborted command completes with TASK ABORTED */
	cdb_rw(c, READ_10, 8, 8);
	scsi_cmd_init(&cmd, &L, NULL, NULL, c, 16, RING_DIR_READ, buf,
	    sizeof(buf));
	cmd.done = test_done;
	async_done = 0;
	rc = scsi_exec(&cmd);
	if (rc == SCSI_PENDING) {
		CHECK(lun_tmf(&L, RING_TMF_LUN_RESET, 0, 0, 0) ==
		    RING_TMF_COMPLETE);
		CHECK(async_done && cmd.status == SAM_STAT_TASK_ABORTED);
	}
	lun_close();
}

static void
test_read_only(void)
{
	uint8_t		c[16], buf[512];
	struct res	r;

	REQUIRE(lun_open(LUN_F_READONLY, LUN_BACKEND_RDWR, 512,
	    NBLOCKS * 512, 0) == 0);
	memset(buf, 1, sizeof(buf));
	cdb_rw(c, WRITE_10, 0, 1);
	r = RUN(c, RING_DIR_WRITE, buf, 512);
	CHECK(IS_CHECK(r, SK_DATA_PROTECT, ASC_WRITE_PROTECTED));
	cdb_rw(c, WRITE_16, 0, 1);
	r = RUN(c, RING_DIR_WRITE, buf, 512);
	CHECK(IS_CHECK(r, SK_DATA_PROTECT, ASC_WRITE_PROTECTED));
	cdb_rw(c, READ_10, 0, 1);
	r = RUN(c, RING_DIR_READ, buf, 512);
	CHECK(r.status == SAM_STAT_GOOD);
	/* WP in the device-specific parameter */
	cdb_simple(c, MODE_SENSE_6);
	c[2] = 0x3f;
	c[4] = 255;
	r = RUN(c, RING_DIR_READ, buf, 255);
	CHECK(r.status == SAM_STAT_GOOD && (buf[2] & 0x80));
	lun_close();
}

static void
test_mode_sense(void)
{
	struct nexus	*a, *b;
	uint8_t		 c[16], buf[512], pl[64];
	struct res	 r;
	uint32_t	 off;

	REQUIRE(lun_open(LUN_F_WRITE_CACHE, LUN_BACKEND_RDWR, 512,
	    NBLOCKS * 512, 0) == 0);
	/* all pages, with block descriptor */
	cdb_simple(c, MODE_SENSE_6);
	c[2] = 0x3f;
	c[4] = 255;
	r = RUN(c, RING_DIR_READ, buf, 255);
	CHECK(r.status == SAM_STAT_GOOD && r.len == buf[0] + 1u);
	CHECK((buf[2] & 0x80) == 0 && buf[3] == 8);
	CHECK(get_be32(&buf[4]) == NBLOCKS && get_be24(&buf[9]) == 512);
	off = 12;
	CHECK(buf[off] == 0x08 && buf[off + 1] == 0x12 &&
	    (buf[off + 2] & 0x04));
	off += 20;
	CHECK(buf[off] == 0x0a && buf[off + 1] == 0x0a);
	off += 12;
	CHECK(buf[off] == 0x1c && buf[off + 1] == 0x0a);
	CHECK(off + 12 == r.len);
	/* truncated: want = allocation length, no overflow */
	c[4] = 4;
	r = RUN(c, RING_DIR_READ, buf, 4);
	CHECK(r.status == SAM_STAT_GOOD && r.len == 4 && r.want == 4);
	/* DBD, one page */
	c[1] = 0x08;
	c[2] = 0x0a;
	c[4] = 255;
	r = RUN(c, RING_DIR_READ, buf, 255);
	CHECK(r.status == SAM_STAT_GOOD && buf[3] == 0 && buf[4] == 0x0a &&
	    r.len == 16);
	/* changeable values */
	c[2] = 0x40 | 0x08;
	r = RUN(c, RING_DIR_READ, buf, 255);
	CHECK(r.status == SAM_STAT_GOOD && buf[4] == 0x08 &&
	    buf[6] == 0x04);
	/* saved values, unknown page, unknown subpage */
	c[2] = 0xc0 | 0x08;
	r = RUN(c, RING_DIR_READ, buf, 255);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_SAVING_PARAMS_UNSUP));
	c[2] = 0x21;
	r = RUN(c, RING_DIR_READ, buf, 255);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB));
	c[2] = 0x08;
	c[3] = 0x01;
	r = RUN(c, RING_DIR_READ, buf, 255);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB));

	/* MODE SENSE(10) with a long LBA block descriptor */
	cdb_simple(c, MODE_SENSE_10);
	c[1] = 0x10;
	c[2] = 0x08;
	put_be16(&c[7], 512);
	r = RUN(c, RING_DIR_READ, buf, 512);
	CHECK(r.status == SAM_STAT_GOOD && get_be16(buf) + 2u == r.len);
	CHECK((buf[4] & 1) && get_be16(&buf[6]) == 16 &&
	    get_be64(&buf[8]) == NBLOCKS && get_be32(&buf[20]) == 512);
	CHECK(buf[24] == 0x08);

	/* MODE SELECT: clear WCE, set D_SENSE; others see the UA */
	a = nexus_get(&L, 0, 1);
	b = nexus_get(&L, 0, 2);
	REQUIRE(a != NULL && b != NULL);
	a->ua = b->ua = 0;
	cdb_simple(c, MODE_SELECT_6);
	c[1] = 0x10;
	c[4] = 4 + 20 + 12;
	/* page 0x08 starts at 4, page 0x0a at 24 */
	memset(pl, 0, sizeof(pl));
	pl[4] = 0x08;
	pl[5] = 0x12;
	pl[24] = 0x0a;
	pl[25] = 0x0a;
	pl[26] = 0x04;
	pl[27] = 0x10;
	r = run(a, NULL, c, RING_DIR_WRITE, pl, 36);
	CHECK(r.status == SAM_STAT_GOOD);
	CHECK(L.wce == 0 && L.d_sense == 1);
	cdb_simple(c, TEST_UNIT_READY);
	r = run(a, NULL, c, RING_DIR_NONE, NULL, 0);
	CHECK(r.status == SAM_STAT_GOOD);
	r = run(b, NULL, c, RING_DIR_NONE, NULL, 0);
	CHECK(IS_CHECK(r, SK_UNIT_ATTENTION, ASC_MODE_PARAMETERS_CHANGED));
	/* descriptor format sense now */
	CHECK(r.sense[0] == 0x72);
	cdb_simple(c, 0xff);
	r = run(a, NULL, c, RING_DIR_NONE, NULL, 0);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE) &&
	    r.sense[0] == 0x72 && r.sense_len == 8);
	/* a non-changeable bit: rejected */
	pl[27] = 0x00;
	cdb_simple(c, MODE_SELECT_6);
	c[1] = 0x10;
	c[4] = 36;
	r = run(a, NULL, c, RING_DIR_WRITE, pl, 36);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM));
	/* SP: cannot save */
	c[1] = 0x11;
	r = run(a, NULL, c, RING_DIR_WRITE, pl, 36);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB));
	lun_close();

	/* write cache off in the config: WCE clear */
	REQUIRE(lun_open(0, LUN_BACKEND_RDWR, 512, NBLOCKS * 512, 0) == 0);
	cdb_simple(c, MODE_SENSE_6);
	c[1] = 0x08;
	c[2] = 0x08;
	c[4] = 255;
	r = RUN(c, RING_DIR_READ, buf, 255);
	CHECK(r.status == SAM_STAT_GOOD && buf[4] == 0x08 &&
	    (buf[6] & 0x04) == 0);
	lun_close();
}

static void
test_verify(void)
{
	uint8_t		c[16], buf[1024];
	struct res	r;

	REQUIRE(lun_open(0, LUN_BACKEND_RDWR, 512, NBLOCKS * 512, 0) == 0);
	memset(buf, 'v', sizeof(buf));
	cdb_rw(c, WRITE_10, 10, 2);
	r = RUN(c, RING_DIR_WRITE, buf, 1024);
	CHECK(r.status == SAM_STAT_GOOD);
	cdb_rw(c, VERIFY_10, 10, 2);
	r = RUN(c, RING_DIR_NONE, NULL, 0);
	CHECK(r.status == SAM_STAT_GOOD);
	c[1] = 0x02;			/* BYTCHK 1 */
	r = RUN(c, RING_DIR_WRITE, buf, 1024);
	CHECK(r.status == SAM_STAT_GOOD);
	buf[700] = 'x';
	r = RUN(c, RING_DIR_WRITE, buf, 1024);
	CHECK(IS_CHECK(r, SK_MISCOMPARE, ASC_MISCOMPARE_VERIFY));
	CHECK(get_be32(&r.sense[3]) == 700);
	cdb_rw(c, VERIFY_16, NBLOCKS, 1);
	r = RUN(c, RING_DIR_NONE, NULL, 0);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE));
	lun_close();
}

static void
test_removable(void)
{
	struct nexus	*a;
	uint8_t		 c[16], buf[512];
	struct res	 r;

	REQUIRE(lun_open(LUN_F_REMOVABLE, LUN_BACKEND_RDWR, 512,
	    NBLOCKS * 512, 0) == 0);
	cdb_simple(c, PREVENT_ALLOW_MEDIUM_REMOVAL);
	c[4] = 1;
	r = RUN(c, RING_DIR_NONE, NULL, 0);
	CHECK(r.status == SAM_STAT_GOOD);
	cdb_simple(c, START_STOP_UNIT);
	c[4] = 0x02;			/* LOEJ, stop: eject */
	r = RUN(c, RING_DIR_NONE, NULL, 0);
	CHECK(r.status == SAM_STAT_CHECK_CONDITION);
	cdb_simple(c, PREVENT_ALLOW_MEDIUM_REMOVAL);
	r = RUN(c, RING_DIR_NONE, NULL, 0);
	cdb_simple(c, START_STOP_UNIT);
	c[4] = 0x02;
	r = RUN(c, RING_DIR_NONE, NULL, 0);
	CHECK(r.status == SAM_STAT_GOOD);
	cdb_simple(c, TEST_UNIT_READY);
	r = RUN(c, RING_DIR_NONE, NULL, 0);
	CHECK(IS_CHECK(r, SK_NOT_READY, ASC_MEDIUM_NOT_PRESENT));
	cdb_rw(c, READ_10, 0, 1);
	r = RUN(c, RING_DIR_READ, buf, 512);
	CHECK(IS_CHECK(r, SK_NOT_READY, ASC_MEDIUM_NOT_PRESENT));
	cdb_simple(c, START_STOP_UNIT);
	c[4] = 0x03;			/* load */
	r = RUN(c, RING_DIR_NONE, NULL, 0);
	cdb_simple(c, TEST_UNIT_READY);
	r = RUN(c, RING_DIR_NONE, NULL, 0);
	CHECK(r.status == SAM_STAT_GOOD);

	/* prevention is per I_T nexus: it ends with the nexus or a reset */
	a = nexus_get(&L, 0, 1);
	REQUIRE(a != NULL);
	a->ua = 0;
	cdb_simple(c, PREVENT_ALLOW_MEDIUM_REMOVAL);
	c[4] = 1;
	r = run(a, NULL, c, RING_DIR_NONE, NULL, 0);
	CHECK(r.status == SAM_STAT_GOOD && lun_prevented(&L));
	cdb_simple(c, START_STOP_UNIT);
	c[4] = 0x03;			/* load: prevented too */
	r = RUN(c, RING_DIR_NONE, NULL, 0);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, 0x5302));
	nexus_del(&L, a);
	CHECK(!lun_prevented(&L));
	a = nexus_get(&L, 0, 1);
	REQUIRE(a != NULL);
	a->prevent = 1;
	CHECK(lun_tmf(&L, RING_TMF_LUN_RESET, 0, 1, 0) == RING_TMF_COMPLETE);
	CHECK(!lun_prevented(&L));
	lun_close();
}


static struct res
sanitize_cmd(uint8_t sa, const uint8_t *pl, uint16_t plen, int reserved)
{
	uint8_t	c[16], b[1024];

	memset(c, 0, sizeof(c));
	c[0] = SANITIZE;
	c[1] = sa;
	c[reserved] |= reserved ? 0x01 : 0;
	put_be16(&c[7], plen);
	if (plen > 0)
		memcpy(b, pl, plen);
	return (RUN(c, plen ? RING_DIR_WRITE : RING_DIR_NONE,
	    plen ? b : NULL, plen));
}

/*
 * SANITIZE: parameter checks, OVERWRITE (run to its end without an
 * event loop), BLOCK ERASE on thin LUNs only, EXIT FAILURE MODE, and
 * what the LUN answers while one runs.
 */
static void
test_sanitize(void)
{
	uint8_t		c[16], buf[4096], pl[8];
	struct res	r;
	int		i, ok;

	REQUIRE(lun_open(0, LUN_BACKEND_RDWR, 512, NBLOCKS * 512, 0) == 0);
	memset(buf, 'd', sizeof(buf));
	cdb_rw(c, WRITE_10, 0, 8);
	CHECK(RUN(c, RING_DIR_WRITE, buf, 4096).status == SAM_STAT_GOOD);
	/* OVERWRITE: count 1, a 4 byte pattern */
	memset(pl, 0, sizeof(pl));
	pl[0] = 0x01;
	put_be16(&pl[2], 4);
	memcpy(&pl[4], "\x12\x34\x56\x78", 4);
	r = sanitize_cmd(SANITIZE_OVERWRITE, pl, 8, 0);
	CHECK(r.status == SAM_STAT_GOOD);
	cdb_rw(c, READ_10, 0, 8);
	CHECK(RUN(c, RING_DIR_READ, buf, 4096).status == SAM_STAT_GOOD);
	for (ok = 1, i = 0; i < 4096; i++)
		ok &= buf[i] == pl[4 + (i % 512) % 4];
	CHECK(ok);
	/* parameter list length 0..4, count 0, pattern length 0 */
	for (i = 0; i < 5; i++)
		CHECK(IS_CHECK(sanitize_cmd(SANITIZE_OVERWRITE, pl, i, 0),
		    SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB));
	pl[0] = 0;
	CHECK(IS_CHECK(sanitize_cmd(SANITIZE_OVERWRITE, pl, 8, 0),
	    SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM));
	pl[0] = 1;
	put_be16(&pl[2], 0);
	CHECK(IS_CHECK(sanitize_cmd(SANITIZE_OVERWRITE, pl, 8, 0),
	    SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_PARAM));
	put_be16(&pl[2], 4);
	/* reserved CDB bytes */
	for (i = 2; i < 7; i++)
		CHECK(IS_CHECK(sanitize_cmd(SANITIZE_OVERWRITE, pl, 8, i),
		    SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB));
	/* BLOCK ERASE needs a thin LUN; no parameter data elsewhere */
	CHECK(IS_CHECK(sanitize_cmd(SANITIZE_BLOCK_ERASE, NULL, 0, 0),
	    SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB));
	CHECK(IS_CHECK(sanitize_cmd(SANITIZE_EXIT_FAILURE_MODE, pl, 8, 0),
	    SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB));
	CHECK(sanitize_cmd(SANITIZE_EXIT_FAILURE_MODE, NULL, 0, 0).status ==
	    SAM_STAT_GOOD);
	/* so does CRYPTO ERASE (WABEREQ and WACEREQ 0 here) */
	CHECK(IS_CHECK(sanitize_cmd(SANITIZE_CRYPTO_ERASE, NULL, 0, 0),
	    SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB));
	cdb_simple(c, INQUIRY);
	c[1] = 0x01;
	c[2] = 0xb1;
	put_be16(&c[3], 64);
	r = RUN(c, RING_DIR_READ, buf, 64);
	CHECK(r.status == SAM_STAT_GOOD && buf[1] == 0xb1 && buf[7] == 0);
	/* while one runs: NOT READY, SANITIZE IN PROGRESS, but INQUIRY */
	L.san_active = 1;
	L.san_total = 100;
	L.san_done = 50;
	cdb_simple(c, TEST_UNIT_READY);
	r = RUN(c, RING_DIR_NONE, NULL, 0);
	CHECK(IS_CHECK(r, SK_NOT_READY, ASC_SANITIZE_IN_PROGRESS));
	CHECK(r.sense[15] == 0x80 && get_be16(&r.sense[16]) == 32768);
	cdb_simple(c, INQUIRY);
	put_be16(&c[3], 96);
	CHECK(RUN(c, RING_DIR_READ, buf, 96).status == SAM_STAT_GOOD);
	cdb_simple(c, REQUEST_SENSE);
	c[4] = 18;
	r = RUN(c, RING_DIR_READ, buf, 18);
	CHECK(r.status == SAM_STAT_GOOD && (buf[2] & 0x0f) == SK_NOT_READY &&
	    buf[12] == 0x04 && buf[13] == 0x1b);
	L.san_active = 0;
	lun_close();

	/* BLOCK ERASE on a thin LUN deallocates: reads are zeroes */
	REQUIRE(lun_open(LUN_F_THIN, LUN_BACKEND_RDWR, 512, NBLOCKS * 512,
	    0) == 0);
	memset(buf, 'd', sizeof(buf));
	cdb_rw(c, WRITE_10, 0, 8);
	CHECK(RUN(c, RING_DIR_WRITE, buf, 4096).status == SAM_STAT_GOOD);
	CHECK(sanitize_cmd(SANITIZE_BLOCK_ERASE, NULL, 0, 0).status ==
	    SAM_STAT_GOOD);
	cdb_rw(c, READ_10, 0, 8);
	CHECK(RUN(c, RING_DIR_READ, buf, 4096).status == SAM_STAT_GOOD);
	for (ok = 1, i = 0; i < 4096; i++)
		ok &= buf[i] == 0;
	CHECK(ok);
	lun_close();
}

static void
test_thin(void)
{
	uint8_t		c[16], buf[16384], pl[64];
	struct res	r;

	REQUIRE(lun_open(LUN_F_THIN | LUN_F_WRITE_CACHE, LUN_BACKEND_RDWR,
	    512, NBLOCKS * 512, 0) == 0);
	/* write 64 KiB at 128 KiB, everything else is a hole */
	memset(buf, 'm', sizeof(buf));
	for (int i = 0; i < 16; i++) {
		cdb_rw(c, WRITE_10, 256 + i * 8, 8);
		r = RUN(c, RING_DIR_WRITE, buf, 4096);
		CHECK(r.status == SAM_STAT_GOOD);
	}
	cdb_simple(c, SERVICE_ACTION_IN_16);
	c[1] = SAI_GET_LBA_STATUS;
	put_be32(&c[10], sizeof(buf));
	r = RUN(c, RING_DIR_READ, buf, sizeof(buf));
	CHECK(r.status == SAM_STAT_GOOD);
	CHECK(get_be32(buf) == 4 + 3 * 16);
	CHECK(get_be64(&buf[8]) == 0 && get_be32(&buf[16]) == 256 &&
	    buf[20] == 1);
	CHECK(get_be64(&buf[24]) == 256 && get_be32(&buf[32]) == 128 &&
	    buf[36] == 0);
	CHECK(get_be64(&buf[40]) == 384 && get_be32(&buf[48]) ==
	    NBLOCKS - 384 && buf[52] == 1);
	/* starting in the middle of the data */
	put_be64(&c[2], 300);
	r = RUN(c, RING_DIR_READ, buf, sizeof(buf));
	CHECK(get_be64(&buf[8]) == 300 && get_be32(&buf[16]) == 84 &&
	    buf[20] == 0);
	put_be64(&c[2], NBLOCKS);
	r = RUN(c, RING_DIR_READ, buf, sizeof(buf));
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE));

	/* UNMAP 16 blocks in the middle of the data */
	memset(pl, 0, sizeof(pl));
	put_be16(&pl[0], 22);
	put_be16(&pl[2], 16);
	put_be64(&pl[8], 256 + 64);
	put_be32(&pl[16], 16);
	cdb_simple(c, UNMAP);
	put_be16(&c[7], 24);
	r = RUN(c, RING_DIR_WRITE, pl, 24);
	CHECK(r.status == SAM_STAT_GOOD);
	cdb_rw(c, READ_10, 256 + 64, 1);
	r = RUN(c, RING_DIR_READ, buf, 512);
	CHECK(r.status == SAM_STAT_GOOD && buf[0] == 0 && buf[511] == 0);
	cdb_simple(c, SERVICE_ACTION_IN_16);
	c[1] = SAI_GET_LBA_STATUS;
	put_be64(&c[2], 256);
	put_be32(&c[10], 24);		/* room for one descriptor */
	r = RUN(c, RING_DIR_READ, buf, sizeof(buf));
	CHECK(r.len == 24 && get_be32(&buf[16]) == 64 && buf[20] == 0);
	put_be64(&c[2], 256 + 64);
	r = RUN(c, RING_DIR_READ, buf, sizeof(buf));
	CHECK(get_be32(&buf[16]) == 16 && buf[20] == 1);
	/* UNMAP out of range: nothing unmapped */
	put_be64(&pl[8], NBLOCKS - 1);
	put_be32(&pl[16], 2);
	cdb_simple(c, UNMAP);
	put_be16(&c[7], 24);
	r = RUN(c, RING_DIR_WRITE, pl, 24);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE));
	put_be16(&c[7], 4);
	r = RUN(c, RING_DIR_WRITE, pl, 4);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH_ERROR));

	/* WRITE SAME: pattern, then zeroes with UNMAP */
	memset(buf, 'S', 512);
	cdb_rw(c, WRITE_SAME_10, 10, 20);
	r = RUN(c, RING_DIR_WRITE, buf, 512);
	CHECK(r.status == SAM_STAT_GOOD);
	cdb_rw(c, READ_10, 10, 20);
	memset(buf, 0, sizeof(buf));
	r = RUN(c, RING_DIR_READ, buf, 20 * 512);
	CHECK(r.status == SAM_STAT_GOOD && buf[0] == 'S' &&
	    buf[20 * 512 - 1] == 'S');
	cdb_rw(c, WRITE_SAME_16, 256, 128);
	c[1] = 0x08 | 0x01;		/* UNMAP, NDOB */
	r = RUN(c, RING_DIR_NONE, NULL, 0);
	CHECK(r.status == SAM_STAT_GOOD);
	cdb_simple(c, SERVICE_ACTION_IN_16);
	c[1] = SAI_GET_LBA_STATUS;
	put_be64(&c[2], 256);
	put_be32(&c[10], 24);
	r = RUN(c, RING_DIR_READ, buf, sizeof(buf));
	CHECK(get_be64(&buf[8]) == 256 && buf[20] == 1);
	cdb_rw(c, WRITE_SAME_10, 10, 0);	/* WSNZ 0: to the end */
	r = RUN(c, RING_DIR_WRITE, buf, 512);
	CHECK(r.status == SAM_STAT_GOOD);
	cdb_rw(c, WRITE_SAME_10, NBLOCKS, 0);	/* nothing left to write */
	r = RUN(c, RING_DIR_WRITE, buf, 512);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE));
	cdb_rw(c, WRITE_SAME_10, NBLOCKS - 1, 2);
	r = RUN(c, RING_DIR_WRITE, buf, 512);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE));
	lun_close();

	/* thick: no UNMAP */
	REQUIRE(lun_open(0, LUN_BACKEND_RDWR, 512, NBLOCKS * 512, 0) == 0);
	cdb_simple(c, UNMAP);
	put_be16(&c[7], 24);
	r = RUN(c, RING_DIR_WRITE, pl, 24);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE));
	/* WRITE SAME with UNMAP on a thick LUN: unsupported */
	cdb_rw(c, WRITE_SAME_10, 10, 2);
	c[1] = 0x08;
	r = RUN(c, RING_DIR_WRITE, buf, 512);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE));
	lun_close();
}

static void
test_compare_and_write(void)
{
	uint8_t		c[16], buf[2048];
	struct res	r;

	REQUIRE(lun_open(0, LUN_BACKEND_AIO, 512, NBLOCKS * 512, 0) == 0);
	memset(buf, 'o', 1024);
	cdb_rw(c, WRITE_10, 40, 2);
	r = RUN(c, RING_DIR_WRITE, buf, 1024);
	CHECK(r.status == SAM_STAT_GOOD);
	memset(c, 0, 16);
	c[0] = COMPARE_AND_WRITE;
	put_be64(&c[2], 40);
	c[13] = 2;
	memset(buf, 'o', 1024);
	memset(buf + 1024, 'n', 1024);
	r = RUN(c, RING_DIR_WRITE, buf, 2048);
	CHECK(r.status == SAM_STAT_GOOD && r.want == 2048);
	CHECK(pread(lfd, buf, 1024, 40 * 512) == 1024 && buf[0] == 'n' &&
	    buf[1023] == 'n');
	/* now the medium holds 'n': comparing with 'o' fails at 0 */
	memset(buf, 'n', 1024);
	buf[600] = 'x';
	memset(buf + 1024, 'p', 1024);
	r = RUN(c, RING_DIR_WRITE, buf, 2048);
	CHECK(IS_CHECK(r, SK_MISCOMPARE, ASC_MISCOMPARE_VERIFY));
	CHECK(get_be32(&r.sense[3]) == 600);
	CHECK(pread(lfd, buf, 1024, 40 * 512) == 1024 && buf[0] == 'n');
	/* Data-Out that does not match the number of blocks */
	r = RUN(c, RING_DIR_WRITE, buf, 1024);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB));
	c[13] = 0;
	r = RUN(c, RING_DIR_WRITE, buf, 2048);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB));
	/* field pointer: byte 13 of the CDB */
	CHECK(r.sense[15] == 0xc0 && get_be16(&r.sense[16]) == 13);
	c[13] = 0;
	put_be64(&c[2], NBLOCKS + 1);
	r = RUN(c, RING_DIR_WRITE, buf, 2048);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE));
	lun_close();
}

static void
test_report_opcodes(void)
{
	uint8_t		c[16], buf[4096];
	struct res	r;
	uint32_t	off, len, found = 0;

	REQUIRE(lun_open(0, LUN_BACKEND_RDWR, 512, NBLOCKS * 512, 0) == 0);
	cdb_simple(c, MAINTENANCE_IN);
	c[1] = MI_REPORT_SUPPORTED_OPCODES;
	put_be32(&c[6], sizeof(buf));
	r = RUN(c, RING_DIR_READ, buf, sizeof(buf));
	CHECK(r.status == SAM_STAT_GOOD);
	len = get_be32(buf);
	CHECK(len % 8 == 0 && r.len == len + 4);
	for (off = 4; off < len + 4; off += 8) {
		if (buf[off] == READ_16)
			found |= get_be16(&buf[off + 6]) == 16 ? 1 : 0;
		if (buf[off] == SERVICE_ACTION_IN_16 &&
		    get_be16(&buf[off + 2]) == SAI_READ_CAPACITY_16)
			found |= (buf[off + 5] & 1) ? 2 : 0;
	}
	CHECK(found == 3);
	/* with timeouts descriptors */
	c[2] = 0x80;
	r = RUN(c, RING_DIR_READ, buf, sizeof(buf));
	CHECK(r.status == SAM_STAT_GOOD && get_be32(buf) % 20 == 0 &&
	    (buf[4 + 5] & 0x02) && get_be16(&buf[4 + 8]) == 0x0a);
	/* one command */
	c[2] = 0x01;
	c[3] = WRITE_10;
	r = RUN(c, RING_DIR_READ, buf, sizeof(buf));
	CHECK(r.status == SAM_STAT_GOOD && (buf[1] & 0x07) == 3 &&
	    get_be16(&buf[2]) == 10 && buf[4] == WRITE_10 && r.len == 14);
	c[3] = SERVICE_ACTION_IN_16;		/* has service actions */
	r = RUN(c, RING_DIR_READ, buf, sizeof(buf));
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB));
	c[2] = 0x02;
	put_be16(&c[4], SAI_READ_CAPACITY_16);
	r = RUN(c, RING_DIR_READ, buf, sizeof(buf));
	CHECK(r.status == SAM_STAT_GOOD && (buf[1] & 0x07) == 3 &&
	    buf[4] == SERVICE_ACTION_IN_16 && buf[5] == SAI_READ_CAPACITY_16);
	c[3] = READ_10;				/* no service actions */
	r = RUN(c, RING_DIR_READ, buf, sizeof(buf));
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB));
	c[2] = 0x01;
	c[3] = 0xe7;				/* not supported */
	r = RUN(c, RING_DIR_READ, buf, sizeof(buf));
	CHECK(r.status == SAM_STAT_GOOD && (buf[1] & 0x07) == 1);

	/* task management functions */
	cdb_simple(c, MAINTENANCE_IN);
	c[1] = MI_REPORT_SUPPORTED_TMF;
	put_be32(&c[6], 16);
	r = RUN(c, RING_DIR_READ, buf, sizeof(buf));
	CHECK(r.status == SAM_STAT_GOOD && r.len == 4 && (buf[0] & 0x80) &&
	    (buf[0] & 0x08));
	put_be32(&c[6], 3);
	r = RUN(c, RING_DIR_READ, buf, sizeof(buf));
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB));
	lun_close();
}

static struct res
prout(struct nexus *nx, uint8_t sa, uint8_t type, uint64_t key,
    uint64_t sakey)
{
	uint8_t	c[16], pl[24];

	memset(c, 0, 16);
	c[0] = PERSISTENT_RESERVE_OUT;
	c[1] = sa;
	c[2] = type;
	put_be32(&c[5], sizeof(pl));
	memset(pl, 0, sizeof(pl));
	put_be64(&pl[0], key);
	put_be64(&pl[8], sakey);
	return (run(nx, NULL, c, RING_DIR_WRITE, pl, sizeof(pl)));
}

static struct res
prin(struct nexus *nx, uint8_t sa, uint8_t *buf, uint16_t len)
{
	uint8_t	c[16];

	memset(c, 0, 16);
	c[0] = PERSISTENT_RESERVE_IN;
	c[1] = sa;
	put_be16(&c[7], len);
	return (run(nx, NULL, c, RING_DIR_READ, buf, len));
}

static void
test_reservations(void)
{
	struct nexus	*a, *b;
	uint8_t		 c[16], buf[1024];
	struct res	 r;

	REQUIRE(lun_open(0, LUN_BACKEND_RDWR, 512, NBLOCKS * 512, 0) == 0);
	a = nexus_get(&L, 0, 1);
	b = nexus_get(&L, 0, 2);
	REQUIRE(a != NULL && b != NULL);
	strlcpy(a->initiator, "iqn.a", sizeof(a->initiator));
	strlcpy(b->initiator, "iqn.b", sizeof(b->initiator));
	a->isid[5] = 1;
	b->isid[5] = 2;
	a->ua = b->ua = 0;

	/* no keys yet */
	r = prin(a, 0, buf, sizeof(buf));
	CHECK(r.status == SAM_STAT_GOOD && r.len == 8 &&
	    get_be32(&buf[4]) == 0);
	/* register both; a wrong key conflicts */
	CHECK(prout(a, 0, 0, 0, 0xaa).status == SAM_STAT_GOOD);
	CHECK(prout(b, 0, 0, 0, 0xbb).status == SAM_STAT_GOOD);
	CHECK(prout(b, 0, 0, 0x99, 0xbc).status ==
	    SAM_STAT_RESERVATION_CONFLICT);
	r = prin(a, 0, buf, sizeof(buf));
	CHECK(get_be32(&buf[4]) == 16 && get_be64(&buf[8]) == 0xaa &&
	    get_be64(&buf[16]) == 0xbb && get_be32(buf) == 2);
	/* a reserves write exclusive: b may read, not write */
	CHECK(prout(a, 1, 0x01, 0xaa, 0).status == SAM_STAT_GOOD);
	r = prin(b, 1, buf, sizeof(buf));
	CHECK(get_be32(&buf[4]) == 16 && get_be64(&buf[8]) == 0xaa &&
	    buf[21] == 0x01);
	cdb_rw(c, WRITE_10, 0, 1);
	r = run(b, NULL, c, RING_DIR_WRITE, buf, 512);
	CHECK(r.status == SAM_STAT_RESERVATION_CONFLICT);
	r = run(a, NULL, c, RING_DIR_WRITE, buf, 512);
	CHECK(r.status == SAM_STAT_GOOD);
	cdb_rw(c, READ_10, 0, 1);
	r = run(b, NULL, c, RING_DIR_READ, buf, 512);
	CHECK(r.status == SAM_STAT_GOOD);
	/* releasing with the wrong type is refused */
	r = prout(a, 2, 0x03, 0xaa, 0);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, 0x2604));
	/* b preempts a: a's registration is gone, b holds EA */
	CHECK(prout(b, 4, 0x03, 0xbb, 0xaa).status == SAM_STAT_GOOD);
	r = prin(b, 0, buf, sizeof(buf));
	CHECK(get_be32(&buf[4]) == 8 && get_be64(&buf[8]) == 0xbb);
	cdb_rw(c, READ_10, 0, 1);
	r = run(a, NULL, c, RING_DIR_READ, buf, 512);
	CHECK(IS_CHECK(r, SK_UNIT_ATTENTION, 0x2a05));
	r = run(a, NULL, c, RING_DIR_READ, buf, 512);
	CHECK(r.status == SAM_STAT_RESERVATION_CONFLICT);
	/* INQUIRY never conflicts */
	cdb_simple(c, INQUIRY);
	c[4] = 36;
	r = run(a, NULL, c, RING_DIR_READ, buf, 36);
	CHECK(r.status == SAM_STAT_GOOD);
	/* full status */
	r = prin(a, 3, buf, sizeof(buf));
	CHECK(r.status == SAM_STAT_GOOD && get_be64(&buf[8]) == 0xbb &&
	    (buf[8 + 12] & 1) && buf[8 + 13] == 0x03 &&
	    buf[8 + 24] == 0x45 && strncmp((char *)&buf[8 + 28],
	    "iqn.b,i,0x000000000002", 22) == 0);
	r = prin(a, 2, buf, sizeof(buf));
	CHECK(r.status == SAM_STAT_GOOD && get_be16(buf) == 8);
	/* RESERVE(6) is refused while a persistent reservation exists */
	cdb_simple(c, RESERVE_6);
	r = run(b, NULL, c, RING_DIR_NONE, NULL, 0);
	CHECK(r.status == SAM_STAT_RESERVATION_CONFLICT);
	/* clear */
	CHECK(prout(b, 3, 0, 0xbb, 0).status == SAM_STAT_GOOD);
	r = prin(a, 0, buf, sizeof(buf));
	CHECK(get_be32(&buf[4]) == 0);

	/* SPC-2 reservations */
	cdb_simple(c, RESERVE_6);
	r = run(a, NULL, c, RING_DIR_NONE, NULL, 0);
	CHECK(r.status == SAM_STAT_GOOD);
	cdb_simple(c, TEST_UNIT_READY);
	r = run(b, NULL, c, RING_DIR_NONE, NULL, 0);
	CHECK(r.status == SAM_STAT_RESERVATION_CONFLICT);
	r = run(a, NULL, c, RING_DIR_NONE, NULL, 0);
	CHECK(r.status == SAM_STAT_GOOD);
	cdb_simple(c, RELEASE_6);
	r = run(b, NULL, c, RING_DIR_NONE, NULL, 0);
	CHECK(r.status == SAM_STAT_GOOD && L.res6_holder == a);
	/* nexus loss ends it */
	nexus_del(&L, a);
	cdb_simple(c, TEST_UNIT_READY);
	r = run(b, NULL, c, RING_DIR_NONE, NULL, 0);
	CHECK(r.status == SAM_STAT_GOOD);
	lun_close();
}

static void
test_more_sbc(void)
{
	uint8_t		c[16], buf[8192], rd[8192];
	struct res	r;

	REQUIRE(lun_open(0, LUN_BACKEND_RDWR, 512, NBLOCKS * 512, 0) == 0);
	/* ORWRITE: OR into the medium */
	memset(buf, 0x0f, 1024);
	cdb_rw(c, WRITE_16, 20, 2);
	r = RUN(c, RING_DIR_WRITE, buf, 1024);
	CHECK(r.status == SAM_STAT_GOOD);
	memset(buf, 0xf0, 1024);
	buf[5] = 0x01;
	cdb_rw(c, ORWRITE_16, 20, 2);
	r = RUN(c, RING_DIR_WRITE, buf, 1024);
	CHECK(r.status == SAM_STAT_GOOD);
	CHECK(pread(lfd, rd, 1024, 20 * 512) == 1024 && rd[0] == 0xff &&
	    rd[5] == 0x0f && rd[1023] == 0xff);
	cdb_rw(c, ORWRITE_16, NBLOCKS - 1, 2);
	r = RUN(c, RING_DIR_WRITE, buf, 1024);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE));

	/* WRITE ATOMIC(16): alignment and granularity of 8 blocks */
	memset(c, 0, 16);
	c[0] = WRITE_ATOMIC_16;
	put_be64(&c[2], 8);
	put_be16(&c[12], 8);
	memset(buf, 'w', 4096);
	r = RUN(c, RING_DIR_WRITE, buf, 4096);
	CHECK(r.status == SAM_STAT_GOOD && r.len == 4096);
	CHECK(pread(lfd, rd, 4096, 8 * 512) == 4096 && rd[4095] == 'w');
	put_be64(&c[2], 9);		/* misaligned */
	r = RUN(c, RING_DIR_WRITE, buf, 4096);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB));
	put_be64(&c[2], 8);
	put_be16(&c[12], 4);		/* not a granularity multiple */
	r = RUN(c, RING_DIR_WRITE, buf, 2048);
	CHECK(IS_CHECK(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB));
	/* VPD B0 advertises it */
	cdb_simple(c, INQUIRY);
	c[1] = 1;
	c[2] = 0xb0;
	c[4] = 64;
	r = RUN(c, RING_DIR_READ, buf, 64);
	CHECK(get_be32(&buf[44]) != 0 && get_be32(&buf[48]) == 8 &&
	    get_be32(&buf[52]) == 8);

	/* READ DEFECT DATA: empty lists */
	cdb_simple(c, READ_DEFECT_DATA_10);
	c[2] = 0x18 | 0x05;
	put_be16(&c[7], 32);
	r = RUN(c, RING_DIR_READ, buf, 32);
	CHECK(r.status == SAM_STAT_GOOD && r.len == 4 && buf[1] == 0x1d &&
	    get_be16(&buf[2]) == 0);
	cdb_simple(c, READ_DEFECT_DATA_12);
	put_be32(&c[6], 32);
	r = RUN(c, RING_DIR_READ, buf, 32);
	CHECK(r.status == SAM_STAT_GOOD && r.len == 8);

	/* WRITE SAME needs exactly one block of Data-Out */
	cdb_rw(c, WRITE_SAME_10, 0, 4);
	r = RUN(c, RING_DIR_WRITE, buf, 1024);
	CHECK(r.status == SAM_STAT_CHECK_CONDITION);
	lun_close();
}

/*
 * The ring consumer: a real ring, the portal side played here.
 */
static struct ring	 P;		/* portal view */

static int
ring_setup(struct event_base *evb, struct lring **lrp)
{
	struct msg_ring	 mr;
	char		 err[128];
	int		 m, s, q;

	memset(&mr, 0, sizeof(mr));
	mr.portal_id = 4;
	mr.lun_id = 7;
	mr.lun = 1;
	if (ring_geom_init(&mr.geom, 16, 1u << 20, 64u << 10) == -1 ||
	    ring_create(&mr.geom, &m, &s, &q) == -1)
		return (-1);
	if (ring_attach(&P, &mr.geom, dup(m), dup(s), dup(q)) == -1)
		return (-1);
	*lrp = lring_add(&L, evb, &mr, m, s, q, err, sizeof(err));
	if (*lrp == NULL)
		printf("  lring_add: %s\n", err);
	return (*lrp == NULL ? -1 : 0);
}

static void
sqe_cmd(struct ring_sqe *e, uint64_t tag, uint8_t op, uint8_t dir,
    uint32_t off, uint32_t len)
{
	memset(e, 0, sizeof(*e));
	e->tag = tag;
	e->op = RING_OP_CMD;
	e->dir = dir;
	e->nexus = 3;
	e->data_off = off;
	e->data_len = len;
	e->xfer_len = len;
	e->cdb_len = 16;
	e->cdb[0] = op;
}

/* RING_OP_NEXUS_ADD of rn (copied to the data area at 4096). */
static int
push_nexus_add(uint64_t tag, uint32_t nexus, const struct ring_nexus *rn)
{
	struct ring_sqe	 e;

	memcpy(P.data + 4096, rn, sizeof(*rn));
	memset(&e, 0, sizeof(e));
	e.tag = tag;
	e.op = RING_OP_NEXUS_ADD;
	e.nexus = nexus;
	e.data_off = 4096;
	e.data_len = sizeof(*rn);
	return (ring_sq_push(&P, &e));
}

static int
collect(struct event_base *evb, struct ring_cqe *out, int max)
{
	int	n = 0, tries;

	for (tries = 0; tries < 100 && n < max; tries++) {
		event_base_loop(evb, EVLOOP_NONBLOCK);
		while (n < max && ring_cq_pop(&P, &out[n]) == 1)
			n++;
		if (n < max)
			usleep(1000);
	}
	return (n);
}

static void
test_ring(void)
{
	struct event_base	*evb;
	struct lring		*lr;
	struct ring_sqe		 e;
	struct ring_cqe		 cq[16];
	struct ring_nexus	 rn;
	struct nexus		*nx;
	uint8_t			 key;
	uint16_t		 asc;
	int			 n, i;

	REQUIRE((evb = event_base_new()) != NULL);
	levb = evb;
	n = lun_open(0, LUN_BACKEND_AIO, 512, NBLOCKS * 512, 0);
	levb = NULL;
	REQUIRE(n == 0);
	L.batch_done = lring_batch_done;
	REQUIRE(ring_setup(evb, &lr) == 0);
	CHECK(lring_find(4) == lr);

	/* nexus announcement */
	memset(&rn, 0, sizeof(rn));
	memset(rn.initiator, 'i', sizeof(rn.initiator));	/* no NUL */
	rn.tpgt = 1;
	rn.rel_port = 5;
	/* known to the LUN's previous process: it gets the power on UA */
	rn.flags = RING_NEXUS_F_POWER_ON;
	CHECK(push_nexus_add(1, 3, &rn) == 0);
	/* INQUIRY: UA is not reported */
	sqe_cmd(&e, 2, INQUIRY, RING_DIR_READ, 0, 96);
	e.cdb[4] = 96;
	CHECK(ring_sq_push(&P, &e) == 0);
	/* TEST UNIT READY: the power on UA */
	sqe_cmd(&e, 3, TEST_UNIT_READY, RING_DIR_NONE, 0, 0);
	CHECK(ring_sq_push(&P, &e) == 0);
	/* corrupt: data beyond the data area */
	sqe_cmd(&e, 4, READ_10, RING_DIR_READ, (1u << 20) - 512, 1024);
	e.cdb[8] = 2;
	CHECK(ring_sq_push(&P, &e) == 0);
	/* corrupt: CDB length, direction, op */
	sqe_cmd(&e, 5, TEST_UNIT_READY, RING_DIR_NONE, 0, 0);
	e.cdb_len = 200;
	CHECK(ring_sq_push(&P, &e) == 0);
	sqe_cmd(&e, 6, TEST_UNIT_READY, 9, 0, 0);
	CHECK(ring_sq_push(&P, &e) == 0);
	sqe_cmd(&e, 7, TEST_UNIT_READY, RING_DIR_NONE, 0, 0);
	e.op = 77;
	CHECK(ring_sq_push(&P, &e) == 0);
	/* a read through the backend, asynchronous */
	sqe_cmd(&e, 8, READ_10, RING_DIR_READ, 65536, 4096);
	e.cdb[8] = 8;
	CHECK(ring_sq_push(&P, &e) == 0);
	ring_sq_commit(&P);
	n = collect(evb, cq, 8);
	CHECK(n == 8);
	/* TMF */
	memset(&e, 0, sizeof(e));
	e.tag = 9;
	e.op = RING_OP_TMF;
	e.tmf = RING_TMF_ABORT_TASK_SET;
	e.nexus = 3;
	CHECK(ring_sq_push(&P, &e) == 0);
	ring_sq_commit(&P);
	n += collect(evb, &cq[n], 1);
	CHECK(n == 9);
	for (i = 0; i < n; i++) {
		switch (cq[i].tag) {
		case 1:
			CHECK(cq[i].status == 0);
			break;
		case 2:
			CHECK(cq[i].status == SAM_STAT_GOOD &&
			    cq[i].len == 96 && P.data[0] == TYPE_DISK);
			break;
		case 3:
			CHECK(cq[i].status == SAM_STAT_CHECK_CONDITION);
			CHECK(sense_parse(cq[i].sense, cq[i].sense_len, &key,
			    &asc) == 0 && key == SK_UNIT_ATTENTION);
			break;
		case 4:
		case 5:
		case 6:
		case 7:
			CHECK(cq[i].status == SAM_STAT_CHECK_CONDITION);
			CHECK(sense_parse(cq[i].sense, cq[i].sense_len, &key,
			    &asc) == 0 && key == SK_ILLEGAL_REQUEST);
			break;
		case 8:
			CHECK(cq[i].status == SAM_STAT_GOOD &&
			    cq[i].len == 4096 && cq[i].want == 4096);
			break;
		case 9:
			CHECK(cq[i].status == RING_TMF_COMPLETE);
			break;
		default:
			CHECK(!"unexpected tag");
		}
	}
	nx = nexus_find(&L, 4, 3);
	CHECK(nx != NULL && nx->announced && nx->rel_port == 5 &&
	    strlen(nx->initiator) == sizeof(rn.initiator) - 1);

	/* nexus loss */
	memset(&e, 0, sizeof(e));
	e.tag = 10;
	e.op = RING_OP_NEXUS_DEL;
	e.nexus = 3;
	CHECK(ring_sq_push(&P, &e) == 0);
	ring_sq_commit(&P);
	CHECK(collect(evb, cq, 1) == 1 && cq[0].tag == 10);
	CHECK(nexus_find(&L, 4, 3) == NULL);

	/* a new login: its nexus starts without a unit attention */
	rn.flags = 0;
	CHECK(push_nexus_add(11, 5, &rn) == 0);
	sqe_cmd(&e, 12, TEST_UNIT_READY, RING_DIR_NONE, 0, 0);
	e.nexus = 5;
	CHECK(ring_sq_push(&P, &e) == 0);
	ring_sq_commit(&P);
	CHECK(collect(evb, cq, 2) == 2 && cq[0].tag == 11 &&
	    cq[0].status == 0 && cq[1].tag == 12 &&
	    cq[1].status == SAM_STAT_GOOD);

	/* more completions than the ring holds: backlog, nothing lost */
	for (i = 0; i < 40; i++) {
		sqe_cmd(&e, 100 + i, TEST_UNIT_READY, RING_DIR_NONE, 0, 0);
		while (ring_sq_push(&P, &e) != 0) {
			ring_sq_commit(&P);
			event_base_loop(evb, EVLOOP_NONBLOCK);
		}
	}
	ring_sq_commit(&P);
	n = collect(evb, cq, 16);
	for (i = 0; i < 40; i += n) {
		if (i > 0)
			n = collect(evb, cq, 16);
		if (n == 0)
			break;
	}
	CHECK(i == 40);

	/* a hostile producer index: the ring is given up, nothing breaks */
	*(volatile uint32_t *)(P.base + RING_CL) = P.sq_tail + 100000;
	{
		uint64_t one = 1;

		CHECK(write(P.sq_efd, &one, sizeof(one)) == sizeof(one));
	}
	CHECK(collect(evb, cq, 1) == 0);

	lring_del(lr);
	CHECK(lring_find(4) == NULL);
	ring_detach(&P);
	lun_close();
	event_base_free(evb);
}

/* EXTENDED COPY from another LUN: the source asked for, granted, dropped */
static uint32_t	xc_asked_id;
static uint8_t	xc_asked_naa[16];
static int	xc_nasked;

static int
xc_ask(struct lun *lun, const uint8_t *naa, uint32_t reqid)
{
	xc_nasked++;
	xc_asked_id = reqid;
	memcpy(xc_asked_naa, naa, 16);
	return (0);
}

/* A copy of 8 blocks from LBA 0 of the LUN with naa to LBA 100 here. */
static void
xc_list(uint8_t *pl, const uint8_t *src_naa)
{
	uint8_t	*t, *g;
	int	 i;

	memset(pl, 0, 16 + 64 + 28);
	pl[0] = 1;			/* list id */
	pl[1] = 0x10;			/* LIST ID USAGE 10b */
	put_be16(&pl[2], 64);
	put_be32(&pl[8], 28);
	for (i = 0; i < 2; i++) {
		t = &pl[16 + i * 32];
		t[0] = 0xe4;
		t[4] = 0x01;		/* binary */
		t[5] = 0x03;		/* LU, NAA */
		t[7] = 16;
		memcpy(&t[8], i == 0 ? src_naa : L.cfg.naa, 16);
		put_be32(&t[28], 512);	/* block size, 3 bytes at 29 */
		t[28] = 0;
	}
	g = &pl[16 + 64];
	g[0] = 0x02;
	put_be16(&g[2], 24);
	put_be16(&g[4], 0);		/* source: target descriptor 0 */
	put_be16(&g[6], 1);
	put_be16(&g[10], 8);
	put_be64(&g[12], 0);
	put_be64(&g[20], 100);
}

static void
test_xcopy_peer(void)
{
	struct scsi_cmd	 cmd;
	struct nexus	*nx;
	uint8_t		 c[16], pl[16 + 64 + 28], naa[16], src[4096];
	uint8_t		 buf[4096];
	char		 path[] = "/tmp/scsi_test_src.XXXXXX";
	int		 sfd, fd, rc, i;

	REQUIRE(lun_open(0, LUN_BACKEND_RDWR, 512, NBLOCKS * 512, 0) == 0);
	REQUIRE((sfd = mkstemp(path)) != -1);
	unlink(path);
	for (i = 0; i < (int)sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + 3);
	REQUIRE(pwrite(sfd, src, sizeof(src), 0) == (ssize_t)sizeof(src));
	REQUIRE((nx = nexus_get(&L, 0, 1)) != NULL);
	nx->ua = 0;
	memset(naa, 0, sizeof(naa));
	naa[0] = 0x60;
	naa[15] = 0x42;
	memset(c, 0, sizeof(c));
	c[0] = EXTENDED_COPY;
	put_be32(&c[10], sizeof(pl));

	/* without a way to ask the master: not reachable */
	L.xcopy_ask = NULL;
	xc_list(pl, naa);
	scsi_cmd_init(&cmd, &L, nx, NULL, c, 16, RING_DIR_WRITE, pl,
	    sizeof(pl));
	cmd.done = test_done;
	CHECK(scsi_exec(&cmd) == SCSI_DONE &&
	    cmd.status == SAM_STAT_CHECK_CONDITION &&
	    (cmd.sense[2] & 0x0f) == SK_COPY_ABORTED &&
	    cmd.sense[12] == 0x0d && cmd.sense[13] == 0x02);

	/* asked for when named, granted, copied, and the fd closed */
	L.xcopy_ask = xc_ask;
	xc_nasked = 0;
	scsi_cmd_init(&cmd, &L, nx, NULL, c, 16, RING_DIR_WRITE, pl,
	    sizeof(pl));
	cmd.done = test_done;
	async_done = 0;
	rc = scsi_exec(&cmd);
	CHECK(rc == SCSI_PENDING && xc_nasked == 1 && !async_done &&
	    memcmp(xc_asked_naa, naa, 16) == 0);
	/* another copy meanwhile: BUSY */
	{
		struct scsi_cmd	c2;

		scsi_cmd_init(&c2, &L, nx, NULL, c, 16, RING_DIR_WRITE, pl,
		    sizeof(pl));
		c2.done = test_done;
		CHECK(scsi_exec(&c2) == SCSI_DONE &&
		    c2.status == SAM_STAT_BUSY);
	}
	/* a stale answer is closed and changes nothing */
	REQUIRE((fd = dup(sfd)) != -1);
	xcopy_peer_reply(&L, xc_asked_id + 1, naa, fd, 512, 8);
	CHECK(!async_done && fcntl(fd, F_GETFD) == -1);
	REQUIRE((fd = dup(sfd)) != -1);
	xcopy_peer_reply(&L, xc_asked_id, naa, fd, 512, 8);
	CHECK(async_done && cmd.status == SAM_STAT_GOOD);
	CHECK(fcntl(fd, F_GETFD) == -1);	/* dropped after the copy */
	CHECK(pread(lfd, buf, sizeof(buf), 100 * 512) == (ssize_t)sizeof(buf) &&
	    memcmp(buf, src, sizeof(buf)) == 0);

	/* the master knows no such LUN: COPY TARGET DEVICE NOT REACHABLE */
	scsi_cmd_init(&cmd, &L, nx, NULL, c, 16, RING_DIR_WRITE, pl,
	    sizeof(pl));
	cmd.done = test_done;
	async_done = 0;
	CHECK(scsi_exec(&cmd) == SCSI_PENDING);
	xcopy_peer_reply(&L, xc_asked_id, naa, -1, 0, 0);
	CHECK(async_done && cmd.status == SAM_STAT_CHECK_CONDITION &&
	    (cmd.sense[2] & 0x0f) == SK_COPY_ABORTED &&
	    cmd.sense[12] == 0x0d && cmd.sense[13] == 0x02);

	/* a LUN reset ends a waiting copy; its late answer is closed */
	scsi_cmd_init(&cmd, &L, nx, NULL, c, 16, RING_DIR_WRITE, pl,
	    sizeof(pl));
	cmd.done = test_done;
	async_done = 0;
	CHECK(scsi_exec(&cmd) == SCSI_PENDING);
	CHECK(lun_tmf(&L, RING_TMF_LUN_RESET, 0, 1, 0) == RING_TMF_COMPLETE);
	CHECK(async_done && cmd.status == SAM_STAT_TASK_ABORTED);
	REQUIRE((fd = dup(sfd)) != -1);
	xcopy_peer_reply(&L, xc_asked_id, naa, fd, 512, 8);
	CHECK(fcntl(fd, F_GETFD) == -1);

	/* and so does the loss of its nexus */
	nx->ua = 0;
	scsi_cmd_init(&cmd, &L, nx, NULL, c, 16, RING_DIR_WRITE, pl,
	    sizeof(pl));
	cmd.done = test_done;
	async_done = 0;
	CHECK(scsi_exec(&cmd) == SCSI_PENDING);
	nexus_del(&L, nx);
	CHECK(async_done && cmd.status == SAM_STAT_TASK_ABORTED);
	L.xcopy_ask = NULL;
	close(sfd);
	lun_close();
}

int
main(void)
{
	log_init(1, 0, "scsi_test");
	UNIT_RUN(test_cdb_decoder);
	UNIT_RUN(test_opcode_errors);
	UNIT_RUN(test_unit_attention);
	UNIT_RUN(test_inquiry);
	UNIT_RUN(test_vpd);
	UNIT_RUN(test_read_capacity);
	UNIT_RUN(test_rw_rdwr);
	UNIT_RUN(test_rw_aio);
	UNIT_RUN(test_rw_io_uring);
	UNIT_RUN(test_rw_null);
	UNIT_RUN(test_aio_pending);
	UNIT_RUN(test_task_attr);
	UNIT_RUN(test_sanitize);
	UNIT_RUN(test_read_only);
	UNIT_RUN(test_mode_sense);
	UNIT_RUN(test_verify);
	UNIT_RUN(test_removable);
	UNIT_RUN(test_thin);
	UNIT_RUN(test_compare_and_write);
	UNIT_RUN(test_report_opcodes);
	UNIT_RUN(test_more_sbc);
	UNIT_RUN(test_reservations);
	UNIT_RUN(test_xcopy_peer);
	UNIT_RUN(test_ring);
	return (UNIT_END("scsi"));
}
