/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Unit tests for the tape drive (tgt-lun/ssc.c) driven through
 * scsi_exec() on a cartridge in a temporary file: identification, the
 * position and SPACE logic (residuals, FILEMARK and EOM bits, BLANK
 * CHECK at end of data, beginning of tape), READ in variable and fixed
 * mode with ILI and SILI, LOCATE and READ POSITION, writing in the
 * middle, write protection and WORM, early warning and VOLUME OVERFLOW,
 * LOAD UNLOAD and its unit attention, mode, log and MAM pages, and a
 * restart of the drive on the same cartridge.
 */

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cartridge.h"
#include "log.h"
#include "../../tgt-lun/lun.h"
#include "ring.h"
#include "../../tgt-lun/scsi.h"
#include "unit.h"

static struct lun	 L;
static int		 cfd = -1;
static uint8_t		 buf[1 << 20];

struct res {
	uint8_t		 status;
	uint8_t		 key;
	uint16_t	 asc;
	uint8_t		 bits;		/* FILEMARK, EOM, ILI */
	int		 valid;
	int32_t		 info;
	uint32_t	 len;
	uint32_t	 want;
};

static int
drive_start(int fd)
{
	struct msg_lun_config	cfg;
	char			err[256];
	int			i;

	memset(&cfg, 0, sizeof(cfg));
	cfg.lun_id = 3;
	cfg.type = LUN_TYPE_TAPE;
	cfg.lun = 0;
	strlcpy(cfg.target, "iqn.2026-11.org.example:vtl", sizeof(cfg.target));
	strlcpy(cfg.path, "TAPE01L5", sizeof(cfg.path));
	strlcpy(cfg.serial, "DRV0001", sizeof(cfg.serial));
	cfg.naa[0] = 0x60;
	for (i = 1; i < 16; i++)
		cfg.naa[i] = i;
	if (lun_init(&L, &cfg, fd, NULL, err, sizeof(err)) == -1) {
		printf("  lun_init: %s\n", err);
		return (-1);
	}
	return (0);
}

/* A fresh cartridge of cap bytes and type in the drive. */
static int
drive_open(uint64_t cap, int type, int wp)
{
	struct cart	c;
	char		path[64], err[256];

	strlcpy(path, "/tmp/tape_test.XXXXXX", sizeof(path));
	if ((cfd = mkstemp(path)) == -1)
		return (-1);
	unlink(path);
	if (cart_create(cfd, "TAPE01L5", cap, type, err, sizeof(err)) == -1) {
		printf("  cart_create: %s\n", err);
		return (-1);
	}
	if (wp) {
		if (cart_open(&c, cfd, err, sizeof(err)) == -1)
			return (-1);
		c.info.wp = 1;
		cart_save_info(&c);
		cart_close(&c);
	}
	return (drive_start(cfd));
}

static void
drive_close(void)
{
	lun_fini(&L);
	close(cfd);
	cfd = -1;
}

static struct res
run_nx(struct nexus *nx, const uint8_t *cdb, uint8_t dir, uint32_t len)
{
	struct scsi_cmd	 cmd;
	struct res	 r;
	const uint8_t	*s;

	memset(&r, 0, sizeof(r));
	scsi_cmd_init(&cmd, &L, nx, NULL, cdb, 16, dir, len ? buf : NULL, len);
	scsi_exec(&cmd);
	r.status = cmd.status;
	r.len = cmd.len;
	r.want = cmd.want;
	if (cmd.sense_len > 0) {
		s = cmd.sense;
		sense_parse(s, cmd.sense_len, &r.key, &r.asc);
		if ((s[0] & 0x7f) == 0x70) {
			r.bits = s[2] & 0xe0;
			r.valid = (s[0] & 0x80) != 0;
			r.info = (int32_t)get_be32(&s[3]);
		}
	}
	return (r);
}

static struct res
run(const uint8_t *cdb, uint8_t dir, uint32_t len)
{
	return (run_nx(NULL, cdb, dir, len));
}

static int
good(struct res r)
{
	return (r.status == SAM_STAT_GOOD);
}

static int
chk(struct res r, uint8_t key, uint16_t asc)
{
	return (r.status == SAM_STAT_CHECK_CONDITION && r.key == key &&
	    r.asc == asc);
}

static struct res
c6(uint8_t op, uint8_t b1, uint32_t n, uint8_t dir, uint32_t len)
{
	uint8_t	c[16];

	memset(c, 0, sizeof(c));
	c[0] = op;
	c[1] = b1;
	put_be24(&c[2], n);
	return (run(c, dir, len));
}

static struct res
wvar(uint32_t n, uint8_t fill)
{
	memset(buf, fill, n);
	return (c6(0x0a, 0, n, RING_DIR_WRITE, n));
}

static struct res
rvar(uint32_t n, int sili)
{
	return (c6(0x08, sili ? 0x02 : 0, n, RING_DIR_READ, n));
}

static struct res
wfm(uint32_t n)
{
	return (c6(0x10, 0, n, RING_DIR_NONE, 0));
}

static struct res
space6(int code, int32_t n)
{
	return (c6(0x11, code, (uint32_t)n & 0xffffff, RING_DIR_NONE, 0));
}

static struct res
rewind_(void)
{
	return (c6(0x01, 0, 0, RING_DIR_NONE, 0));
}

/* Position (long form): object and file number. */
static int
pos(uint64_t *obj, uint64_t *file)
{
	uint8_t		c[16];
	struct res	r;

	memset(c, 0, sizeof(c));
	c[0] = 0x34;
	c[1] = 0x06;
	r = run(c, RING_DIR_READ, 32);
	if (!good(r) || r.len != 32)
		return (-1);
	*obj = get_be64(&buf[8]);
	*file = get_be64(&buf[16]);
	return (0);
}

static uint64_t
at(void)
{
	uint64_t	o = UINT64_MAX, f;

	pos(&o, &f);
	return (o);
}

static struct res
locate16(int dest, uint64_t id)
{
	uint8_t	c[16];

	memset(c, 0, sizeof(c));
	c[0] = 0x92;
	c[1] = dest << 3;
	put_be64(&c[4], id);
	return (run(c, RING_DIR_NONE, 0));
}

/*
 * The tape of most tests: 0:100 1:200 2:FM 3:300 4:FM 5:FM 6:50, EOD 7
 * (files 0, 1, 2 and 3).
 */
static int
std_tape(void)
{
	return (good(wvar(100, 'a')) && good(wvar(200, 'b')) &&
	    good(wfm(1)) && good(wvar(300, 'c')) && good(wfm(2)) &&
	    good(wvar(50, 'd')) && at() == 7 && good(rewind_()));
}

static void
test_identify(void)
{
	uint8_t		c[16];
	struct res	r;

	REQUIRE(drive_open(8 << 20, CART_DATA, 0) == 0);
	memset(c, 0, sizeof(c));
	c[0] = INQUIRY;
	put_be16(&c[3], 96);
	r = run(c, RING_DIR_READ, 96);
	CHECK(good(r) && buf[0] == TYPE_TAPE && (buf[1] & 0x80));
	CHECK(get_be16(&buf[62]) == VD_SSC4);
	CHECK(memcmp(&buf[16], "TAPE", 4) == 0);
	c[1] = 0x01;				/* supported VPD pages */
	r = run(c, RING_DIR_READ, 96);
	CHECK(good(r) && buf[0] == TYPE_TAPE && buf[3] == 4 &&
	    buf[7] == 0xb0);
	c[2] = 0x83;
	r = run(c, RING_DIR_READ, 96);
	CHECK(good(r) && (buf[4] & 0x0f) == 0x01 && (buf[5] & 0x0f) == 0x03 &&
	    buf[8] == 0x60);			/* NAA */
	c[2] = 0x80;
	r = run(c, RING_DIR_READ, 96);
	CHECK(good(r) && memcmp(&buf[4], "DRV0001", 7) == 0);
	c[2] = 0xb0;
	r = run(c, RING_DIR_READ, 96);
	CHECK(good(r) && (buf[4] & 0x01));	/* WORM capable */
	/* READ BLOCK LIMITS */
	r = c6(0x05, 0, 0, RING_DIR_READ, 6);
	CHECK(good(r) && r.len == 6 && get_be24(&buf[1]) == LUN_MAX_XFER &&
	    get_be16(&buf[4]) == 1);
	/* READ POSITION at BOP */
	memset(c, 0, sizeof(c));
	c[0] = 0x34;
	r = run(c, RING_DIR_READ, 20);
	CHECK(good(r) && r.len == 20 && buf[0] == 0x80 &&
	    get_be32(&buf[4]) == 0);
	c[1] = 0x08;
	put_be16(&c[7], 32);
	r = run(c, RING_DIR_READ, 32);
	CHECK(good(r) && r.len == 32 && buf[0] == 0x80 &&
	    get_be16(&buf[2]) == 0x1c);
	c[1] = 0x01;				/* Linux st's */
	r = run(c, RING_DIR_READ, 20);
	CHECK(good(r) && r.len == 20 && buf[0] == 0x80);
	c[1] = 0x07;
	r = run(c, RING_DIR_NONE, 0);
	CHECK(chk(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB));
	/* disk opcodes mean nothing here, tape ones do */
	memset(c, 0, sizeof(c));
	c[0] = READ_10;
	CHECK(chk(run(c, RING_DIR_NONE, 0), SK_ILLEGAL_REQUEST,
	    ASC_INVALID_OPCODE));
	drive_close();
}

static void
test_read_variable(void)
{
	struct res	r;
	uint64_t	o, f;

	REQUIRE(drive_open(8 << 20, CART_DATA, 0) == 0);
	REQUIRE(std_tape());
	r = rvar(100, 0);
	CHECK(good(r) && r.len == 100 && buf[0] == 'a' && buf[99] == 'a');
	/* a longer block than asked: ILI, negative residual */
	r = rvar(150, 0);
	CHECK(chk(r, SK_NO_SENSE, 0) && r.bits == SENSE_ILI && r.valid &&
	    r.info == -50 && r.len == 150 && at() == 2);
	/* the filemark: FILEMARK, residual the whole length, past it */
	r = rvar(500, 0);
	CHECK(chk(r, SK_NO_SENSE, ASC_FILEMARK_DETECTED) &&
	    r.bits == SENSE_FILEMARK && r.info == 500 && r.len == 0);
	CHECK(pos(&o, &f) == 0 && o == 3 && f == 1);
	/* a shorter block: ILI, positive residual; with SILI nothing */
	r = rvar(500, 0);
	CHECK(chk(r, SK_NO_SENSE, 0) && r.bits == SENSE_ILI &&
	    r.info == 200 && r.len == 300 && buf[299] == 'c');
	CHECK(good(c6(0x11, 0, 0xffffff, RING_DIR_NONE, 0)) && at() == 3);
	r = rvar(500, 1);
	CHECK(good(r) && r.len == 300);
	/* two filemarks, a block, then end of data: BLANK CHECK */
	CHECK(chk(rvar(10, 0), SK_NO_SENSE, ASC_FILEMARK_DETECTED));
	CHECK(chk(rvar(10, 0), SK_NO_SENSE, ASC_FILEMARK_DETECTED));
	CHECK(good(rvar(50, 0)));
	r = rvar(64, 0);
	CHECK(chk(r, SK_BLANK_CHECK, ASC_EOD_DETECTED) && r.info == 64 &&
	    at() == 7);
	/* a READ without a Data-In buffer: read, nothing sent */
	CHECK(good(locate16(0, 6)));
	r = c6(0x08, 0, 50, RING_DIR_NONE, 0);
	CHECK(good(r) && r.len == 0 && r.want == 50 && at() == 7);
	CHECK(good(locate16(0, 0)));
	r = c6(0x08, 1, 0, RING_DIR_NONE, 0);	/* fixed, 0 blocks */
	CHECK(good(r));
	/* READ(16) at a logical object identifier */
	{
		uint8_t	c[16];

		memset(c, 0, sizeof(c));
		c[0] = 0x88;
		put_be64(&c[4], 1);
		put_be24(&c[12], 200);
		r = run(c, RING_DIR_READ, 200);
		CHECK(good(r) && r.len == 200 && buf[0] == 'b' && at() == 2);
	}
	drive_close();
}

static void
test_space(void)
{
	struct res	r;
	uint64_t	o, f;

	REQUIRE(drive_open(8 << 20, CART_DATA, 0) == 0);
	REQUIRE(std_tape());
	/* blocks forward into a filemark: past it, residual 5 - 2 */
	r = space6(0, 5);
	CHECK(chk(r, SK_NO_SENSE, ASC_FILEMARK_DETECTED) &&
	    r.bits == SENSE_FILEMARK && r.info == 3 && at() == 3);
	/* blocks backward into it: before it, residual 1 */
	r = space6(0, -1);
	CHECK(chk(r, SK_NO_SENSE, ASC_FILEMARK_DETECTED) &&
	    r.bits == SENSE_FILEMARK && r.info == 1 && at() == 2);
	CHECK(good(space6(0, -2)) && at() == 0);
	/* blocks backward past the beginning: EOM, 00/04 */
	CHECK(good(space6(0, 1)) && at() == 1);
	r = space6(0, -10);
	CHECK(chk(r, SK_NO_SENSE, ASC_BOP_BOM_DETECTED) &&
	    r.bits == SENSE_EOM && r.info == 9 && at() == 0);
	/* filemarks forward */
	CHECK(good(space6(1, 2)) && pos(&o, &f) == 0 && o == 5 && f == 2);
	CHECK(good(space6(1, 1)) && at() == 6);
	/* filemarks forward past the last: end of data, residual */
	CHECK(good(rewind_()));
	r = space6(1, 5);
	CHECK(chk(r, SK_BLANK_CHECK, ASC_EOD_DETECTED) && r.info == 2 &&
	    at() == 7);
	/* filemarks backward: before the filemark */
	r = space6(1, -1);
	CHECK(good(r) && at() == 5);
	CHECK(good(space6(1, -1)) && at() == 4);
	r = space6(1, -4);
	CHECK(chk(r, SK_NO_SENSE, ASC_BOP_BOM_DETECTED) &&
	    r.bits == SENSE_EOM && r.info == 3 && at() == 0);
	/* blocks forward to end of data */
	CHECK(good(locate16(0, 6)));
	r = space6(0, 4);
	CHECK(chk(r, SK_BLANK_CHECK, ASC_EOD_DETECTED) && r.info == 3 &&
	    at() == 7);
	/* end of data, and SPACE(16) backwards */
	CHECK(good(rewind_()) && good(space6(3, 0)) && at() == 7);
	{
		uint8_t	c[16];

		memset(c, 0, sizeof(c));
		c[0] = 0x91;
		c[1] = 1;
		put_be64(&c[4], (uint64_t)-2);
		r = run(c, RING_DIR_NONE, 0);
		CHECK(good(r) && at() == 4);
	}
	/* setmarks and sequential filemarks are not supported */
	CHECK(chk(space6(4, 1), SK_ILLEGAL_REQUEST,
	    ASC_INVALID_FIELD_IN_CDB));
	CHECK(chk(space6(2, 1), SK_ILLEGAL_REQUEST,
	    ASC_INVALID_FIELD_IN_CDB));
	drive_close();
}

static void
test_locate_position(void)
{
	struct res	r;
	uint8_t		c[16];
	uint64_t	o, f;

	REQUIRE(drive_open(8 << 20, CART_DATA, 0) == 0);
	REQUIRE(std_tape());
	memset(c, 0, sizeof(c));
	c[0] = 0x2b;				/* LOCATE(10) */
	put_be32(&c[3], 3);
	CHECK(good(run(c, RING_DIR_NONE, 0)));
	r = rvar(300, 0);
	CHECK(good(r) && buf[0] == 'c');
	c[1] = 0x02;				/* CP, partition 1 */
	c[8] = 1;
	CHECK(chk(run(c, RING_DIR_NONE, 0), SK_ILLEGAL_REQUEST,
	    ASC_INVALID_FIELD_IN_CDB));
	/* LOCATE(16) to a file, to end of data, beyond it */
	CHECK(good(locate16(1, 2)) && pos(&o, &f) == 0 && o == 5 && f == 2);
	CHECK(good(locate16(1, 0)) && at() == 0);
	CHECK(good(locate16(3, 0)) && at() == 7);
	r = locate16(1, 9);
	CHECK(chk(r, SK_BLANK_CHECK, ASC_EOD_DETECTED) && at() == 7);
	r = locate16(0, 100);
	CHECK(chk(r, SK_BLANK_CHECK, ASC_EOD_DETECTED) && at() == 7);
	/* short form: first and last object */
	memset(c, 0, sizeof(c));
	c[0] = 0x34;
	CHECK(good(locate16(0, 4)));
	r = run(c, RING_DIR_READ, 20);
	CHECK(good(r) && buf[0] == 0 && get_be32(&buf[4]) == 4 &&
	    get_be32(&buf[8]) == 4);
	/* writing in the middle: the rest is gone */
	CHECK(good(locate16(0, 3)) && good(wvar(10, 'x')) && at() == 4);
	r = rvar(10, 0);
	CHECK(chk(r, SK_BLANK_CHECK, ASC_EOD_DETECTED) && at() == 4);
	CHECK(good(space6(0, -1)) && good(rvar(10, 0)) && buf[0] == 'x');
	r = locate16(0, 5);
	CHECK(chk(r, SK_BLANK_CHECK, ASC_EOD_DETECTED));
	/* ERASE from object 1 */
	CHECK(good(locate16(0, 1)) && good(c6(0x19, 1, 0, RING_DIR_NONE, 0)));
	CHECK(good(locate16(3, 0)) && at() == 1);
	drive_close();
}

static void
test_fixed(void)
{
	struct res	r;
	uint8_t		c[16];
	int		i;

	REQUIRE(drive_open(8 << 20, CART_DATA, 0) == 0);
	/* fixed mode without a block length: refused */
	CHECK(chk(c6(0x0a, 1, 1, RING_DIR_WRITE, 512), SK_ILLEGAL_REQUEST,
	    ASC_INVALID_FIELD_IN_CDB));
	/* MODE SELECT(6): block descriptor with 512 */
	memset(c, 0, sizeof(c));
	c[0] = MODE_SELECT_6;
	c[1] = 0x10;
	c[4] = 12;
	memset(buf, 0, 12);
	buf[3] = 8;
	put_be24(&buf[4 + 5], 512);
	r = run(c, RING_DIR_WRITE, 12);
	CHECK(good(r));
	for (i = 0; i < 3 * 512; i++)
		buf[i] = i / 512 + '0';
	CHECK(good(c6(0x0a, 1, 3, RING_DIR_WRITE, 3 * 512)));
	CHECK(good(wvar(100, 'v')));		/* a variable block */
	CHECK(good(c6(0x0a, 1, 1, RING_DIR_WRITE, 512)));
	CHECK(good(rewind_()));
	r = c6(0x08, 1, 2, RING_DIR_READ, 2 * 512);
	CHECK(good(r) && r.len == 1024 && buf[0] == '0' && buf[512] == '1');
	/* the 100-byte block in the way: ILI, blocks not read after it */
	r = c6(0x08, 1, 3, RING_DIR_READ, 3 * 512);
	CHECK(chk(r, SK_NO_SENSE, 0) && r.bits == SENSE_ILI && r.info == 1 &&
	    r.len == 512 && at() == 4);
	/* end of data after one block: BLANK CHECK, residual 2 */
	r = c6(0x08, 1, 3, RING_DIR_READ, 3 * 512);
	CHECK(chk(r, SK_BLANK_CHECK, ASC_EOD_DETECTED) && r.info == 2 &&
	    r.len == 512);
	/* FIXED and SILI together: refused */
	CHECK(chk(c6(0x08, 3, 1, RING_DIR_READ, 512), SK_ILLEGAL_REQUEST,
	    ASC_INVALID_FIELD_IN_CDB));
	/* MODE SENSE: density and block length in the descriptor */
	memset(c, 0, sizeof(c));
	c[0] = MODE_SENSE_6;
	c[2] = 0x3f;
	c[4] = 255;
	r = run(c, RING_DIR_READ, 255);
	CHECK(good(r) && buf[3] == 8 && buf[4] == 0x58 &&
	    get_be24(&buf[9]) == 512 && (buf[2] & 0x70) == 0x10);
	CHECK(r.len == 4 + 8 + 12 + 16 + 16 + 10 + 12);
	CHECK(buf[12 + 12] == 0x0f && buf[12 + 28] == 0x10 &&
	    buf[12 + 44] == 0x11);
	/* page 0: header and block descriptor alone (Linux st) */
	c[2] = 0x00;
	c[4] = 12;
	r = run(c, RING_DIR_READ, 12);
	CHECK(good(r) && r.len == 12 && buf[0] == 11 && buf[3] == 8 &&
	    get_be24(&buf[9]) == 512);
	c[2] = 0x3f;
	c[4] = 255;
	/* a LUN reset: back to variable mode */
	lun_tmf(&L, RING_TMF_LUN_RESET, 0, 0, 0);
	r = run(c, RING_DIR_READ, 255);
	CHECK(good(r) && get_be24(&buf[9]) == 0);
	drive_close();
}

static void
test_protect(void)
{
	struct res	r;
	uint8_t		c[16];

	/* write protected */
	REQUIRE(drive_open(8 << 20, CART_DATA, 1) == 0);
	CHECK(chk(wvar(10, 'a'), SK_DATA_PROTECT, ASC_WRITE_PROTECTED));
	CHECK(chk(wfm(1), SK_DATA_PROTECT, ASC_WRITE_PROTECTED));
	CHECK(good(wfm(0)));			/* a flush writes nothing */
	memset(c, 0, sizeof(c));
	c[0] = MODE_SENSE_6;
	c[2] = 0x0f;
	c[4] = 64;
	r = run(c, RING_DIR_READ, 64);
	CHECK(good(r) && (buf[2] & 0x80));
	CHECK(chk(rvar(10, 0), SK_BLANK_CHECK, ASC_EOD_DETECTED));
	drive_close();

	/* WORM: appends only */
	REQUIRE(drive_open(8 << 20, CART_WORM, 0) == 0);
	CHECK(good(wvar(10, 'a')) && good(wvar(10, 'b')));
	CHECK(good(rewind_()));
	CHECK(chk(wvar(10, 'c'), SK_DATA_PROTECT, ASC_WORM_OVERWRITE));
	CHECK(chk(c6(0x19, 1, 0, RING_DIR_NONE, 0), SK_DATA_PROTECT,
	    ASC_WORM_OVERWRITE));
	CHECK(good(space6(3, 0)) && good(wvar(10, 'd')) && at() == 3);
	drive_close();

	/* a cleaning cartridge reads nothing */
	REQUIRE(drive_open(8 << 20, CART_CLEANING, 0) == 0);
	CHECK(chk(rvar(10, 0), SK_NOT_READY, ASC_CLEANING_CARTRIDGE));
	drive_close();
}

static void
test_end_of_medium(void)
{
	struct res	r;
	int		i, ew = -1, over = -1;

	REQUIRE(drive_open(1 << 20, CART_DATA, 0) == 0);
	for (i = 0; i < 40; i++) {
		r = wvar(60000, 'e');
		if (ew == -1 && chk(r, SK_NO_SENSE, ASC_EOP_EOM_DETECTED) &&
		    r.bits == SENSE_EOM && r.len == 60000)
			ew = i;
		if (chk(r, SK_VOLUME_OVERFLOW, ASC_EOP_EOM_DETECTED)) {
			over = i;
			CHECK(r.bits == SENSE_EOM && r.info == 60000 &&
			    r.len == 0);
			break;
		}
	}
	CHECK(ew > 0 && over > ew);
	/* a filemark still fits in the early warning zone... */
	r = wfm(1);
	CHECK(chk(r, SK_NO_SENSE, ASC_EOP_EOM_DETECTED) &&
	    r.bits == SENSE_EOM);
	/* and everything written reads back */
	CHECK(good(rewind_()) && good(space6(1, 1)) && at() == (uint64_t)over
	    + 1);
	drive_close();
}

static void
test_load_unload(void)
{
	struct nexus	*a, *b;
	uint16_t	 asc;
	struct res	 r;

	REQUIRE(drive_open(8 << 20, CART_DATA, 0) == 0);
	REQUIRE((a = nexus_get(&L, 0, 1)) != NULL);
	REQUIRE((b = nexus_get(&L, 0, 2)) != NULL);
	while (lun_ua_take(&L, a, &asc) || lun_ua_take(&L, b, &asc))
		;
	CHECK(good(wvar(10, 'a')));
	/* load with EOT: refused */
	CHECK(chk(c6(0x1b, 0, 0x05, RING_DIR_NONE, 0), SK_ILLEGAL_REQUEST,
	    ASC_INVALID_FIELD_IN_CDB));
	/* unload: NOT READY, MEDIUM NOT PRESENT */
	CHECK(good(c6(0x1b, 0, 0, RING_DIR_NONE, 0)));
	CHECK(chk(c6(0x00, 0, 0, RING_DIR_NONE, 0), SK_NOT_READY,
	    ASC_MEDIUM_NOT_PRESENT));
	CHECK(chk(rvar(10, 0), SK_NOT_READY, ASC_MEDIUM_NOT_PRESENT));
	/* load by nexus a: b gets 28/00 once, a none */
	{
		uint8_t	c[16];

		memset(c, 0, sizeof(c));
		c[0] = 0x1b;
		c[4] = 0x01;
		r = run_nx(a, c, RING_DIR_NONE, 0);
		CHECK(good(r));
		memset(c, 0, sizeof(c));
		r = run_nx(b, c, RING_DIR_NONE, 0);
		CHECK(chk(r, SK_UNIT_ATTENTION, ASC_MEDIUM_CHANGED));
		r = run_nx(b, c, RING_DIR_NONE, 0);
		CHECK(good(r));
		r = run_nx(a, c, RING_DIR_NONE, 0);
		CHECK(good(r));
		/* a prevented removal refuses the unload */
		c[0] = PREVENT_ALLOW_MEDIUM_REMOVAL;
		c[4] = 1;
		CHECK(good(run_nx(a, c, RING_DIR_NONE, 0)));
		memset(c, 0, sizeof(c));
		c[0] = 0x1b;
		CHECK(chk(run_nx(b, c, RING_DIR_NONE, 0), SK_ILLEGAL_REQUEST,
		    ASC_MEDIUM_REMOVAL_PREVENTED));
	}
	CHECK(at() == 0 && good(rvar(10, 0)) && buf[0] == 'a');
	CHECK(L.dev != NULL);
	drive_close();

	/* an empty drive */
	REQUIRE(drive_start(-1) == 0);
	CHECK(chk(c6(0x00, 0, 0, RING_DIR_NONE, 0), SK_NOT_READY,
	    ASC_MEDIUM_NOT_PRESENT));
	CHECK(chk(c6(0x1b, 0, 1, RING_DIR_NONE, 0), SK_NOT_READY,
	    ASC_MEDIUM_NOT_PRESENT));
	lun_fini(&L);
}

/* The master puts a cartridge in an empty drive and takes it out. */
static void
test_medium(void)
{
	struct msg_lun_medium_done	 d;
	struct nexus			*a;
	struct cart			 c;
	char				 path[64], err[128];
	int				 fd, fd2, fd3;
	uint16_t			 asc;

	strlcpy(path, "/tmp/tape_test.XXXXXX", sizeof(path));
	REQUIRE((fd = mkstemp(path)) != -1);
	unlink(path);
	REQUIRE(cart_create(fd, "SPARE01", 8 << 20, CART_DATA, err,
	    sizeof(err)) == 0);
	REQUIRE((fd2 = dup(fd)) != -1 && (fd3 = dup(fd)) != -1);
	REQUIRE(drive_start(-1) == 0);
	REQUIRE((a = nexus_get(&L, 0, 1)) != NULL);
	while (lun_ua_take(&L, a, &asc))
		;
	/* out of an empty drive: nothing to do */
	CHECK(ssc_medium(&L, -1, &d) == 0 && d.ok && !d.loaded);
	/* in: loaded, 28/00 for every I_T nexus */
	CHECK(ssc_medium(&L, fd, &d) == 0 && d.ok && d.loaded &&
	    strcmp(d.barcode, "SPARE01") == 0);
	CHECK(lun_ua_take(&L, a, &asc) && asc == ASC_MEDIUM_CHANGED);
	CHECK(good(wvar(100, 'm')));
	/* a second cartridge: refused, its descriptor closed */
	CHECK(ssc_medium(&L, fd2, &d) == -1 && !d.ok && d.loaded);
	CHECK(fcntl(fd2, F_GETFD) == -1 && errno == EBADF);
	/* out while removal is prevented: refused */
	L.prevent = 1;
	CHECK(ssc_medium(&L, -1, &d) == -1 && d.loaded &&
	    strstr(d.text, "prevented") != NULL);
	L.prevent = 0;
	CHECK(ssc_medium(&L, -1, &d) == 0 && !d.loaded && L.fd == -1);
	CHECK(chk(c6(0x00, 0, 0, RING_DIR_NONE, 0), SK_NOT_READY,
	    ASC_MEDIUM_NOT_PRESENT));
	lun_fini(&L);
	/* what was written is on the cartridge, loaded once */
	REQUIRE(cart_open(&c, fd3, err, sizeof(err)) == 0);
	CHECK(c.eod == 1 && c.info.load_count == 1);
	cart_close(&c);
	close(fd3);
}

static void
test_restart(void)
{
	REQUIRE(drive_open(8 << 20, CART_DATA, 0) == 0);
	REQUIRE(std_tape());
	CHECK(good(space6(3, 0)) && good(wvar(77, 'z')));
	/* the drive's process goes away (no unload) and comes back */
	lun_fini(&L);
	REQUIRE(drive_start(cfd) == 0);
	CHECK(good(space6(3, 0)) && at() == 8);
	CHECK(good(space6(0, -1)) && good(rvar(77, 0)) && buf[76] == 'z');
	CHECK(good(locate16(1, 1)) && good(rvar(300, 0)) && buf[0] == 'c');
	drive_close();
}

static void
test_pages(void)
{
	struct res	r;
	uint8_t		c[16];
	uint32_t	n, off;
	int		found;

	REQUIRE(drive_open(8 << 20, CART_DATA, 0) == 0);
	CHECK(good(wvar(1000, 'l')) && good(rewind_()) &&
	    good(rvar(1000, 0)));
	/* LOG SENSE: supported pages, sequential access, TapeAlert */
	memset(c, 0, sizeof(c));
	c[0] = 0x4d;
	put_be16(&c[7], 1024);
	r = run(c, RING_DIR_READ, 1024);
	CHECK(good(r) && buf[0] == 0 && get_be16(&buf[2]) == 5 &&
	    buf[7] == 0x0c && buf[8] == 0x2e);
	c[2] = 0x40 | 0x0c;
	r = run(c, RING_DIR_READ, 1024);
	CHECK(good(r) && buf[0] == 0x0c && get_be64(&buf[8]) == 1000 &&
	    get_be64(&buf[4 + 24 + 4]) == 1000);
	c[2] = 0x40 | 0x2e;
	r = run(c, RING_DIR_READ, 1024);
	CHECK(good(r) && get_be16(&buf[2]) == 64 * 5);
	c[2] = 0x40 | 0x02;
	r = run(c, RING_DIR_READ, 1024);
	CHECK(good(r) && get_be16(&buf[2]) == 7 * 12 &&
	    get_be64(&buf[4 + 5 * 12 + 4]) == 1000);
	c[2] = 0x40 | 0x33;
	CHECK(chk(run(c, RING_DIR_READ, 1024), SK_ILLEGAL_REQUEST,
	    ASC_INVALID_FIELD_IN_CDB));
	/* REPORT DENSITY SUPPORT */
	memset(c, 0, sizeof(c));
	c[0] = 0x44;
	put_be16(&c[7], 1024);
	r = run(c, RING_DIR_READ, 1024);
	CHECK(good(r) && r.len == 56 && buf[4] == 0x58);
	/* WRITE ATTRIBUTE of a host attribute, READ ATTRIBUTE back */
	memset(c, 0, sizeof(c));
	c[0] = 0x8d;
	put_be32(&c[10], 4 + 5 + 8);
	memset(buf, 0, 64);
	put_be32(&buf[0], 5 + 8);
	put_be16(&buf[4], 0x0800);		/* APPLICATION VENDOR */
	buf[6] = 0x01;
	put_be16(&buf[7], 8);
	memcpy(&buf[9], "TGTSUITE", 8);
	CHECK(good(run(c, RING_DIR_WRITE, 17)));
	put_be16(&buf[4], 0x0001);		/* read-only */
	CHECK(chk(run(c, RING_DIR_WRITE, 17), SK_ILLEGAL_REQUEST,
	    ASC_INVALID_FIELD_IN_PARAM));
	memset(c, 0, sizeof(c));
	c[0] = 0x8c;
	put_be32(&c[10], 4096);
	r = run(c, RING_DIR_READ, 4096);
	CHECK(good(r));
	n = get_be32(&buf[0]) + 4;
	found = 0;
	for (off = 4; off + 5 <= n; off += 5 + get_be16(&buf[off + 3])) {
		if (get_be16(&buf[off]) == 0x0800)
			found |= memcmp(&buf[off + 5], "TGTSUITE", 8) == 0;
		if (get_be16(&buf[off]) == 0x0003)
			found |= (get_be64(&buf[off + 5]) == 1) << 1;
		if (get_be16(&buf[off]) == 0x0401)
			found |= (memcmp(&buf[off + 5], "TAPE01L5", 8) ==
			    0) << 2;
	}
	CHECK(found == 7);
	/* it survives the drive's restart */
	lun_fini(&L);
	REQUIRE(drive_start(cfd) == 0);
	put_be16(&c[8], 0x0800);		/* first attribute */
	r = run(c, RING_DIR_READ, 4096);
	CHECK(good(r) && get_be16(&buf[4]) == 0x0800 &&
	    memcmp(&buf[9], "TGTSUITE", 8) == 0);
	/* REPORT SUPPORTED OPERATION CODES lists READ POSITION */
	memset(c, 0, sizeof(c));
	c[0] = MAINTENANCE_IN;
	c[1] = MI_REPORT_SUPPORTED_OPCODES;
	c[2] = 0x01;
	c[3] = 0x34;
	put_be32(&c[6], 64);
	r = run(c, RING_DIR_READ, 64);
	CHECK(good(r) && (buf[1] & 0x07) == 0x03 && buf[4] == 0x34);
	drive_close();
}

static void
test_sixteen(void)
{
	struct res	r;
	uint8_t		c[16];

	REQUIRE(drive_open(8 << 20, CART_DATA, 0) == 0);
	REQUIRE(std_tape());
	/* WRITE(16) at object 3: what followed goes */
	memset(c, 0, sizeof(c));
	c[0] = 0x8a;
	put_be64(&c[4], 3);
	put_be24(&c[12], 64);
	memset(buf, 'w', 64);
	r = run(c, RING_DIR_WRITE, 64);
	CHECK(good(r) && r.len == 64 && at() == 4);
	/* WRITE FILEMARKS(16) at object 4, two of them */
	memset(c, 0, sizeof(c));
	c[0] = 0x80;
	put_be64(&c[4], 4);
	put_be24(&c[12], 2);
	CHECK(good(run(c, RING_DIR_NONE, 0)) && at() == 6);
	CHECK(good(locate16(3, 0)) && at() == 6);
	/* SPACE(16) blocks backwards into a filemark */
	memset(c, 0, sizeof(c));
	c[0] = 0x91;
	put_be64(&c[4], (uint64_t)-3);
	r = run(c, RING_DIR_NONE, 0);
	CHECK(chk(r, SK_NO_SENSE, ASC_FILEMARK_DETECTED) &&
	    r.bits == SENSE_FILEMARK && r.info == 3 && at() == 5);
	put_be16(&c[12], 4);			/* parameter length */
	CHECK(chk(run(c, RING_DIR_NONE, 0), SK_ILLEGAL_REQUEST,
	    ASC_INVALID_FIELD_IN_CDB));
	/* READ(16) beyond end of data */
	memset(c, 0, sizeof(c));
	c[0] = 0x88;
	put_be64(&c[4], 9);
	put_be24(&c[12], 10);
	r = run(c, RING_DIR_READ, 10);
	CHECK(chk(r, SK_BLANK_CHECK, ASC_EOD_DETECTED) && at() == 6);
	/* READ BLOCK LIMITS with MLOI */
	r = c6(0x05, 1, 0, RING_DIR_READ, 20);
	CHECK(good(r) && r.len == 20 && get_be64(&buf[12]) ==
	    (8 << 20) / 32);
	/* LOG SELECT PCR clears the counters */
	memset(c, 0, sizeof(c));
	c[0] = 0x4c;
	c[1] = 0x02;
	CHECK(good(run(c, RING_DIR_NONE, 0)));
	memset(c, 0, sizeof(c));
	c[0] = 0x4d;
	c[2] = 0x40 | 0x0c;
	put_be16(&c[7], 1024);
	r = run(c, RING_DIR_READ, 1024);
	CHECK(good(r) && get_be64(&buf[8]) == 0);
	/* REPORT DENSITY SUPPORT, medium types */
	memset(c, 0, sizeof(c));
	c[0] = 0x44;
	c[1] = 0x02;
	put_be16(&c[7], 1024);
	r = run(c, RING_DIR_READ, 1024);
	CHECK(good(r) && r.len == 60 && buf[9] == 0x58);
	/* ERASE at the beginning: an empty tape */
	CHECK(good(rewind_()) && good(c6(0x19, 1, 0, RING_DIR_NONE, 0)));
	CHECK(chk(rvar(10, 0), SK_BLANK_CHECK, ASC_EOD_DETECTED));
	lun_fini(&L);
	REQUIRE(drive_start(cfd) == 0);
	CHECK(good(space6(3, 0)) && at() == 0);
	drive_close();
}

int
main(void)
{
	log_init(1, 0, "tape_test");
	UNIT_RUN(test_identify);
	UNIT_RUN(test_read_variable);
	UNIT_RUN(test_space);
	UNIT_RUN(test_locate_position);
	UNIT_RUN(test_fixed);
	UNIT_RUN(test_protect);
	UNIT_RUN(test_end_of_medium);
	UNIT_RUN(test_load_unload);
	UNIT_RUN(test_medium);
	UNIT_RUN(test_restart);
	UNIT_RUN(test_pages);
	UNIT_RUN(test_sixteen);
	return (UNIT_END("tape"));
}
