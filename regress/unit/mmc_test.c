/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Unit tests for the optical drive (tgt-lun/mmc.c) driven through
 * scsi_exec() on a disc image in a temporary file: identification and
 * GET CONFIGURATION, READ TOC (both places of the format, MSF), disc
 * and track information, DVD structures, READ(10/12) and the write
 * refusal of a DVD-ROM, the tray (START STOP UNIT, refused while
 * prevented, persistent prevent), GET EVENT STATUS NOTIFICATION media
 * events and the 28/00 unit attention when the master loads or takes
 * out a disc, the empty drive, mode pages, and opcodes that are not
 * the drive's.
 */

#include <sys/types.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disc.h"
#include "log.h"
#include "../../tgt-lun/lun.h"
#include "ring.h"
#include "../../tgt-lun/scsi.h"
#include "unit.h"

#define NBLK	100		/* blocks of the test image */

static struct lun	 L;
static uint8_t		 buf[1 << 20];

struct res {
	uint8_t		 status;
	uint8_t		 key;
	uint16_t	 asc;
	uint32_t	 len;
};

/* An image of n 2048-byte blocks, block i filled with (i & 0xff). */
static int
image(uint32_t n)
{
	char		path[64];
	uint8_t		b[2048];
	uint32_t	i;
	int		fd;

	strlcpy(path, "/tmp/mmc_test.XXXXXX", sizeof(path));
	if ((fd = mkstemp(path)) == -1)
		return (-1);
	unlink(path);
	for (i = 0; i < n; i++) {
		memset(b, i & 0xff, sizeof(b));
		if (write(fd, b, sizeof(b)) != (ssize_t)sizeof(b))
			return (-1);
	}
	return (fd);
}

static int
drive_start(int fd)
{
	struct msg_lun_config	cfg;
	char			err[256];
	int			i;

	memset(&cfg, 0, sizeof(cfg));
	cfg.lun_id = 4;
	cfg.type = LUN_TYPE_OPTICAL;
	cfg.flags = LUN_F_REMOVABLE;
	strlcpy(cfg.target, "iqn.2026-12.org.example:dvd", sizeof(cfg.target));
	strlcpy(cfg.path, "/srv/iso/test.iso", sizeof(cfg.path));
	cfg.naa[0] = 0x60;
	for (i = 1; i < 16; i++)
		cfg.naa[i] = i;
	if (lun_init(&L, &cfg, fd, NULL, err, sizeof(err)) == -1) {
		printf("  lun_init: %s\n", err);
		return (-1);
	}
	return (0);
}

static struct res
run_nx(struct nexus *nx, const uint8_t *cdb, uint8_t dir, uint32_t len)
{
	struct scsi_cmd	 cmd;
	struct res	 r;

	memset(&r, 0, sizeof(r));
	scsi_cmd_init(&cmd, &L, nx, NULL, cdb, 16, dir, len ? buf : NULL, len);
	scsi_exec(&cmd);
	r.status = cmd.status;
	r.len = cmd.len;
	if (cmd.sense_len > 0)
		sense_parse(cmd.sense, cmd.sense_len, &r.key, &r.asc);
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

/* A 10- or 12-byte CDB with an allocation length at byte al. */
static struct res
in(uint8_t op, uint8_t b1, uint8_t b2, int al, uint16_t alloc)
{
	uint8_t	c[16];

	memset(c, 0, sizeof(c));
	c[0] = op;
	c[1] = b1;
	c[2] = b2;
	put_be16(&c[al], alloc);
	memset(buf, 0xee, 4096);
	return (run(c, RING_DIR_READ, alloc));
}

static struct res
gesn(struct nexus *nx, uint8_t classes)
{
	uint8_t	c[16];

	memset(c, 0, sizeof(c));
	c[0] = 0x4a;
	c[1] = 0x01;
	c[4] = classes;
	put_be16(&c[7], 8);
	return (run_nx(nx, c, RING_DIR_READ, 8));
}

static struct res
start_stop(struct nexus *nx, uint8_t b4)
{
	uint8_t	c[16];

	memset(c, 0, sizeof(c));
	c[0] = 0x1b;
	c[4] = b4;
	return (run_nx(nx, c, RING_DIR_NONE, 0));
}

static struct res
prevent(struct nexus *nx, uint8_t b4)
{
	uint8_t	c[16];

	memset(c, 0, sizeof(c));
	c[0] = 0x1e;
	c[4] = b4;
	return (run_nx(nx, c, RING_DIR_NONE, 0));
}

static struct res
tur(struct nexus *nx)
{
	uint8_t	c[16];

	memset(c, 0, sizeof(c));
	return (run_nx(nx, c, RING_DIR_NONE, 0));
}

/* The feature descriptor code of GET CONFIGURATION's data, or NULL. */
static const uint8_t *
feature(uint16_t code, uint32_t len)
{
	uint32_t	off;

	for (off = 8; off + 4 <= len; off += 4 + buf[off + 3])
		if (get_be16(&buf[off]) == code)
			return (&buf[off]);
	return (NULL);
}

static void
test_identify(void)
{
	const uint8_t	*f;
	struct res	 r;
	int		 fd;
	uint8_t		 c[16];

	REQUIRE((fd = image(NBLK)) != -1);
	REQUIRE(drive_start(fd) == 0);
	memset(c, 0, sizeof(c));
	c[0] = 0x12;
	c[4] = 96;
	r = run(c, RING_DIR_READ, 96);
	CHECK(good(r) && buf[0] == 0x05 && buf[1] == 0x80);
	CHECK(memcmp(&buf[16], "DVD ", 4) == 0);
	CHECK(good(tur(NULL)));
	/* READ CAPACITY: the last block, 2048 bytes */
	r = in(0x25, 0, 0, 10, 8);
	CHECK(good(r) && r.len == 8 && get_be32(buf) == NBLK - 1 &&
	    get_be32(&buf[4]) == 2048);

	/* GET CONFIGURATION: all features, DVD-ROM current */
	r = in(0x46, 0, 0, 7, 1024);
	CHECK(good(r) && get_be16(&buf[6]) == 0x0010);
	CHECK(get_be32(buf) + 4 == r.len);
	CHECK((f = feature(0x0000, r.len)) != NULL && f[3] == 12 &&
	    get_be16(&f[4]) == 0x001b && !(f[6] & 1) &&
	    get_be16(&f[8]) == 0x001a && !(f[10] & 1) &&
	    get_be16(&f[12]) == 0x0010 && (f[14] & 1));
	CHECK((f = feature(0x002b, r.len)) != NULL && !(f[2] & 1));
	CHECK((f = feature(0x0001, r.len)) != NULL && (f[2] & 0x03) == 0x03);
	CHECK((f = feature(0x0003, r.len)) != NULL && (f[4] & 0x08));
	CHECK((f = feature(0x0010, r.len)) != NULL &&
	    get_be32(&f[4]) == 2048 && (f[2] & 1));
	CHECK(feature(0x0002, r.len) != NULL);
	CHECK(feature(0x001f, r.len) != NULL);
	CHECK(feature(0x0100, r.len) != NULL);
	CHECK(feature(0x0105, r.len) != NULL);
	CHECK(feature(0x0107, r.len) != NULL);
	/* RT 2: the one feature asked for */
	memset(c, 0, sizeof(c));
	c[0] = 0x46;
	c[1] = 0x02;
	put_be16(&c[2], 0x001f);
	put_be16(&c[7], 256);
	r = run(c, RING_DIR_READ, 256);
	CHECK(good(r) && r.len == 8 + 8 && get_be16(&buf[8]) == 0x001f);
	/* the header alone, as sr asks for the current profile */
	r = in(0x46, 0, 0, 7, 8);
	CHECK(good(r) && r.len == 8 && get_be16(&buf[6]) == 0x0010);

	/* opcodes that are not the drive's (disk and tape ones) */
	memset(c, 0, sizeof(c));
	c[0] = 0x9e;
	c[1] = 0x10;
	CHECK(chk(run(c, RING_DIR_READ, 32), SK_ILLEGAL_REQUEST,
	    ASC_INVALID_OPCODE));
	c[0] = 0x01;			/* REWIND */
	c[1] = 0;
	CHECK(chk(run(c, RING_DIR_NONE, 0), SK_ILLEGAL_REQUEST,
	    ASC_INVALID_OPCODE));
	c[0] = 0xa1;			/* BLANK */
	CHECK(chk(run(c, RING_DIR_NONE, 0), SK_ILLEGAL_REQUEST,
	    ASC_INVALID_OPCODE));
	lun_fini(&L);
	close(fd);
}

static void
test_toc_info(void)
{
	struct res	r;
	int		fd;
	uint8_t		c[16];

	REQUIRE((fd = image(NBLK)) != -1);
	REQUIRE(drive_start(fd) == 0);
	/* format 0, LBA: track 1 at 0, lead-out at NBLK */
	r = in(0x43, 0, 0, 7, 100);
	CHECK(good(r) && r.len == 20 && get_be16(buf) == 18 &&
	    buf[2] == 1 && buf[3] == 1);
	CHECK(buf[5] == 0x14 && buf[6] == 1 && get_be32(&buf[8]) == 0);
	CHECK(buf[14] == 0xaa && get_be32(&buf[16]) == NBLK);
	/* MSF: 00:02:00 for LBA 0 */
	r = in(0x43, 0x02, 0, 7, 100);
	CHECK(good(r) && buf[9] == 0 && buf[10] == 2 && buf[11] == 0);
	/* format 1 from byte 9 (the old place, Linux sr) */
	memset(c, 0, sizeof(c));
	c[0] = 0x43;
	c[8] = 12;
	c[9] = 0x40;
	r = run(c, RING_DIR_READ, 12);
	CHECK(good(r) && r.len == 12 && buf[2] == 1 && buf[3] == 1 &&
	    buf[6] == 1 && get_be32(&buf[8]) == 0);
	/* format 2: A0, A1, A2, track 1 */
	r = in(0x43, 0, 2, 7, 100);
	CHECK(good(r) && r.len == 4 + 44 && buf[7] == 0xa0 &&
	    buf[18] == 0xa1 && buf[29] == 0xa2 && buf[40] == 1);
	/* format 5 (CD-Text): no */
	CHECK(chk(in(0x43, 0, 5, 7, 100), SK_ILLEGAL_REQUEST,
	    ASC_INVALID_FIELD_IN_CDB));

	/* disc information: complete, finalised, one session */
	r = in(0x51, 0, 0, 7, 34);
	CHECK(good(r) && r.len == 34 && (buf[2] & 0x03) == 0x02 &&
	    (buf[2] & 0x0c) == 0x0c && buf[4] == 1);
	/* track information of track 1 and of an LBA in it */
	memset(c, 0, sizeof(c));
	c[0] = 0x52;
	c[1] = 0x01;
	put_be32(&c[2], 1);
	put_be16(&c[7], 48);
	r = run(c, RING_DIR_READ, 48);
	CHECK(good(r) && r.len == 48 && buf[2] == 1 &&
	    get_be32(&buf[24]) == NBLK && !(buf[7] & 0x01));
	c[1] = 0;
	put_be32(&c[2], NBLK - 1);
	CHECK(good(run(c, RING_DIR_READ, 48)));
	put_be32(&c[2], NBLK);
	CHECK(chk(run(c, RING_DIR_READ, 48), SK_ILLEGAL_REQUEST,
	    ASC_INVALID_FIELD_IN_CDB));
	c[1] = 1;
	put_be32(&c[2], 2);
	CHECK(chk(run(c, RING_DIR_READ, 48), SK_ILLEGAL_REQUEST,
	    ASC_INVALID_FIELD_IN_CDB));

	/* DVD structure 00h: DVD-ROM, one layer, the data area */
	memset(c, 0, sizeof(c));
	c[0] = 0xad;
	put_be16(&c[8], 2052);
	r = run(c, RING_DIR_READ, 2052);
	CHECK(good(r) && r.len == 2052 && get_be16(buf) == 2050 &&
	    (buf[4] >> 4) == 0 && get_be32(&buf[8]) == 0x30000 &&
	    get_be32(&buf[12]) == 0x30000 + NBLK - 1);
	c[7] = 0x01;			/* copyright: no protection */
	r = run(c, RING_DIR_READ, 2052);
	CHECK(good(r) && r.len == 8 && buf[4] == 0);
	c[7] = 0xff;
	r = run(c, RING_DIR_READ, 2052);
	CHECK(good(r) && r.len == 4 + 16 && buf[4] == 0x00);
	c[7] = 0x30;
	CHECK(chk(run(c, RING_DIR_READ, 2052), SK_ILLEGAL_REQUEST,
	    ASC_INVALID_FIELD_IN_CDB));
	c[7] = 0;
	c[6] = 1;			/* layer 1 of a one-layer disc */
	CHECK(chk(run(c, RING_DIR_READ, 2052), SK_ILLEGAL_REQUEST,
	    ASC_INVALID_FIELD_IN_CDB));

	/* format capacities: formatted, NBLK blocks of 2048 */
	r = in(0x23, 0, 0, 7, 12);
	CHECK(good(r) && buf[3] == 8 && get_be32(&buf[4]) == NBLK &&
	    (buf[8] & 3) == 2 && get_be24(&buf[9]) == 2048);
	/* performance: read at the top speed, no write speeds */
	memset(c, 0, sizeof(c));
	c[0] = 0xac;
	put_be16(&c[8], 4);
	r = run(c, RING_DIR_READ, 100);
	CHECK(good(r) && r.len == 24 && get_be32(buf) == 20 &&
	    get_be32(&buf[16]) == NBLK - 1);
	c[10] = 3;
	r = run(c, RING_DIR_READ, 100);
	CHECK(good(r) && r.len == 8);
	/* buffer capacity, mechanism status, REPORT KEY, OPC, speeds */
	r = in(0x5c, 0, 0, 7, 12);
	CHECK(good(r) && r.len == 12 && get_be32(&buf[4]) != 0);
	memset(c, 0, sizeof(c));
	c[0] = 0xbd;
	put_be16(&c[8], 8);
	r = run(c, RING_DIR_READ, 8);
	CHECK(good(r) && r.len == 8 && !(buf[1] & 0x10));
	memset(c, 0, sizeof(c));
	c[0] = 0xa4;
	put_be16(&c[8], 8);
	c[10] = 0x08;			/* RPC state */
	r = run(c, RING_DIR_READ, 8);
	CHECK(good(r) && r.len == 8 && get_be16(buf) == 6);
	c[10] = 0x05;			/* ASF */
	r = run(c, RING_DIR_READ, 8);
	CHECK(good(r) && !(buf[7] & 1));
	c[10] = 0x04;			/* title key: none */
	CHECK(chk(run(c, RING_DIR_READ, 8), SK_ILLEGAL_REQUEST, 0x6f01));
	memset(c, 0, sizeof(c));
	c[0] = 0x54;
	c[1] = 0x01;
	CHECK(good(run(c, RING_DIR_NONE, 0)));
	memset(c, 0, sizeof(c));
	c[0] = 0xbb;
	put_be16(&c[2], 0xffff);
	put_be16(&c[4], 0xffff);
	CHECK(good(run(c, RING_DIR_NONE, 0)));
	/* SET STREAMING: one performance descriptor */
	memset(c, 0, sizeof(c));
	c[0] = 0xb6;
	put_be16(&c[9], 28);
	memset(buf, 0, 28);
	put_be32(&buf[8], NBLK - 1);
	put_be32(&buf[12], 5540);
	put_be32(&buf[16], 1000);
	put_be32(&buf[20], 5540);
	put_be32(&buf[24], 1000);
	CHECK(good(run(c, RING_DIR_WRITE, 28)));
	lun_fini(&L);
	close(fd);
}

static void
test_read_write(void)
{
	struct res	r;
	int		fd;
	uint8_t		c[16];

	REQUIRE((fd = image(NBLK)) != -1);
	REQUIRE(drive_start(fd) == 0);
	memset(c, 0, sizeof(c));
	c[0] = 0x28;
	put_be32(&c[2], 7);
	put_be16(&c[7], 2);
	r = run(c, RING_DIR_READ, 4096);
	CHECK(good(r) && r.len == 4096 && buf[0] == 7 && buf[2047] == 7 &&
	    buf[2048] == 8);
	memset(c, 0, sizeof(c));
	c[0] = 0xa8;
	put_be32(&c[2], NBLK - 1);
	put_be32(&c[6], 1);
	r = run(c, RING_DIR_READ, 2048);
	CHECK(good(r) && buf[0] == NBLK - 1);
	put_be32(&c[6], 2);
	CHECK(chk(run(c, RING_DIR_READ, 4096), SK_ILLEGAL_REQUEST,
	    ASC_LBA_OUT_OF_RANGE));
	/* a DVD-ROM is not written: 05/30/05 */
	memset(c, 0, sizeof(c));
	c[0] = 0x2a;
	put_be16(&c[7], 1);
	CHECK(chk(run(c, RING_DIR_WRITE, 2048), SK_ILLEGAL_REQUEST, 0x3005));
	c[0] = 0xaa;
	put_be32(&c[6], 1);
	c[7] = 0;
	c[8] = 0;
	CHECK(chk(run(c, RING_DIR_WRITE, 2048), SK_ILLEGAL_REQUEST, 0x3005));
	lun_fini(&L);
	close(fd);
}

static void
test_tray(void)
{
	struct nexus	*a, *b;
	struct res	 r;
	int		 fd;

	REQUIRE((fd = image(NBLK)) != -1);
	REQUIRE(drive_start(fd) == 0);
	a = nexus_get(&L, 0, 1);
	b = nexus_get(&L, 0, 2);
	REQUIRE(a != NULL && b != NULL);
	a->ua = b->ua = 0;
	/* no news at start */
	r = gesn(a, 0x10);
	CHECK(good(r) && r.len == 8 && buf[2] == 4 && buf[4] == 0 &&
	    buf[5] == 0x02 && buf[3] == 0x16);
	/* no class of ours: NEA */
	r = gesn(a, 0x01);
	CHECK(good(r) && r.len == 4 && (buf[2] & 0x80));
	/* power management: active */
	r = gesn(a, 0x04);
	CHECK(good(r) && buf[2] == 2 && buf[5] == 1);
	/* asynchronous: no */
	{
		uint8_t	c[16];

		memset(c, 0, sizeof(c));
		c[0] = 0x4a;
		c[4] = 0x10;
		put_be16(&c[7], 8);
		CHECK(chk(run_nx(a, c, RING_DIR_READ, 8), SK_ILLEGAL_REQUEST,
		    ASC_INVALID_FIELD_IN_CDB));
	}

	/* prevented: the tray stays closed */
	CHECK(good(prevent(a, 1)));
	CHECK(chk(start_stop(b, 0x02), SK_ILLEGAL_REQUEST,
	    ASC_MEDIUM_REMOVAL_PREVENTED));
	CHECK(good(tur(b)));
	CHECK(good(prevent(a, 0)));
	/* persistent prevent is the drive's */
	CHECK(good(prevent(a, 3)));
	CHECK(chk(start_stop(b, 0x02), SK_ILLEGAL_REQUEST,
	    ASC_MEDIUM_REMOVAL_PREVENTED));
	CHECK(good(prevent(a, 2)));

	/* eject: tray open, media removal event, NOT READY 3A/02 */
	CHECK(good(start_stop(b, 0x02)));
	CHECK(chk(tur(a), SK_NOT_READY, 0x3a02));
	r = gesn(a, 0x10);
	CHECK(good(r) && buf[4] == 3 && buf[5] == 0x01);
	r = gesn(a, 0x10);
	CHECK(good(r) && buf[4] == 0);
	r = in(0x46, 0, 0, 7, 8);
	CHECK(good(r) && get_be16(&buf[6]) == 0);
	{
		uint8_t	c[16];

		memset(c, 0, sizeof(c));
		c[0] = 0xbd;
		put_be16(&c[8], 8);
		r = run(c, RING_DIR_READ, 8);
		CHECK(good(r) && (buf[1] & 0x10));
	}
	/* load: new media, and 28/00 on the other nexus only */
	CHECK(good(start_stop(b, 0x03)));
	r = gesn(a, 0x10);
	CHECK(good(r) && buf[4] == 2 && buf[5] == 0x02);
	CHECK(chk(tur(a), SK_UNIT_ATTENTION, ASC_MEDIUM_CHANGED));
	CHECK(good(tur(a)));
	CHECK(good(tur(b)));
	lun_fini(&L);
	close(fd);
}

static void
test_medium(void)
{
	struct msg_lun_medium_done	 d;
	struct nexus			*a;
	struct res			 r;
	int				 fd, fd2;

	/* an empty drive */
	REQUIRE(drive_start(-1) == 0);
	a = nexus_get(&L, 0, 1);
	REQUIRE(a != NULL);
	a->ua = 0;
	CHECK(chk(tur(a), SK_NOT_READY, 0x3a01));
	CHECK(chk(in(0x25, 0, 0, 10, 8), SK_NOT_READY, 0x3a01));
	CHECK(chk(in(0x43, 0, 0, 7, 12), SK_NOT_READY, 0x3a01));
	r = in(0x46, 0, 0, 7, 1024);
	CHECK(good(r) && get_be16(&buf[6]) == 0 && r.len > 8);
	r = gesn(a, 0x10);
	CHECK(good(r) && buf[4] == 0 && buf[5] == 0);
	r = in(0x23, 0, 0, 7, 12);
	CHECK(good(r) && (buf[8] & 3) == 3);

	/* the master loads a disc */
	REQUIRE((fd = image(NBLK)) != -1);
	CHECK(mmc_medium(&L, fd, "one.iso", &d) == 0 && d.ok && d.loaded &&
	    strcmp(d.barcode, "one.iso") == 0);
	r = gesn(a, 0x10);
	CHECK(good(r) && buf[4] == 2 && buf[5] == 0x02);
	CHECK(chk(tur(a), SK_UNIT_ATTENTION, ASC_MEDIUM_CHANGED));
	CHECK(good(tur(a)));
	r = in(0x25, 0, 0, 10, 8);
	CHECK(good(r) && get_be32(buf) == NBLK - 1);
	/* a second one does not fit */
	REQUIRE((fd2 = image(2 * NBLK)) != -1);
	CHECK(mmc_medium(&L, fd2, "two.iso", &d) == -1 && !d.ok && d.loaded);
	/* out, refused while prevented: an eject request */
	CHECK(good(prevent(a, 1)));
	CHECK(mmc_medium(&L, -1, "", &d) == -1 && d.loaded);
	r = gesn(a, 0x10);
	CHECK(good(r) && buf[4] == 1);
	CHECK(good(prevent(a, 0)));
	CHECK(mmc_medium(&L, -1, "", &d) == 0 && d.ok && !d.loaded &&
	    L.fd == -1);
	r = gesn(a, 0x10);
	CHECK(good(r) && buf[4] == 3 && buf[5] == 0);
	CHECK(chk(tur(a), SK_NOT_READY, 0x3a01));
	/* another disc, of another size */
	REQUIRE((fd2 = image(2 * NBLK)) != -1);
	CHECK(mmc_medium(&L, fd2, "two.iso", &d) == 0 && d.loaded);
	CHECK(chk(tur(a), SK_UNIT_ATTENTION, ASC_MEDIUM_CHANGED));
	r = in(0x25, 0, 0, 10, 8);
	CHECK(good(r) && get_be32(buf) == 2 * NBLK - 1);
	/* a file too small to be a disc */
	CHECK(mmc_medium(&L, -1, "", &d) == 0);
	close(fd2);
	REQUIRE((fd2 = open("/dev/null", O_RDONLY)) != -1);
	CHECK(mmc_medium(&L, fd2, "null", &d) == -1 && !d.loaded);
	lun_fini(&L);
}

static void
test_mode(void)
{
	struct res	r;
	int		fd;
	uint8_t		c[16], p[64];
	uint32_t	off;

	REQUIRE((fd = image(NBLK)) != -1);
	REQUIRE(drive_start(fd) == 0);
	/* capabilities: DVD-ROM read, tray, eject, lock; no descriptor */
	memset(c, 0, sizeof(c));
	c[0] = 0x5a;
	c[2] = 0x2a;
	put_be16(&c[7], 128);
	r = run(c, RING_DIR_READ, 128);
	CHECK(good(r) && get_be16(&buf[6]) == 0 && buf[8] == 0x2a &&
	    (buf[10] & 0x08) && (buf[14] & 0x29) == 0x29);
	CHECK(get_be16(buf) + 2u == r.len);
	/* every page */
	c[2] = 0x3f;
	put_be16(&c[7], 512);
	r = run(c, RING_DIR_READ, 512);
	CHECK(good(r) && buf[8] == 0x05);
	/* write parameters: change the write type and select it back */
	c[2] = 0x05;
	r = run(c, RING_DIR_READ, 512);
	REQUIRE(good(r) && r.len == 8 + 52);
	memcpy(p, buf, r.len);
	p[0] = p[1] = 0;
	p[8 + 2] = (p[8 + 2] & ~0x0f) | 0x01;	/* TAO */
	memset(c, 0, sizeof(c));
	c[0] = 0x55;
	c[1] = 0x10;
	put_be16(&c[7], 60);
	memcpy(buf, p, 60);
	CHECK(good(run(c, RING_DIR_WRITE, 60)));
	memset(c, 0, sizeof(c));
	c[0] = 0x5a;
	c[2] = 0x05;
	put_be16(&c[7], 512);
	r = run(c, RING_DIR_READ, 512);
	CHECK(good(r) && (buf[10] & 0x0f) == 0x01);
	/* power condition: a timer */
	c[2] = 0x1a;
	r = run(c, RING_DIR_READ, 512);
	REQUIRE(good(r) && r.len == 8 + 40);
	memcpy(p, buf, r.len);
	p[0] = p[1] = 0;
	off = 8;
	p[off + 3] = 0x02;
	put_be32(&p[off + 4], 600);
	memset(c, 0, sizeof(c));
	c[0] = 0x55;
	c[1] = 0x10;
	put_be16(&c[7], 48);
	memcpy(buf, p, 48);
	CHECK(good(run(c, RING_DIR_WRITE, 48)));
	/* the capabilities page cannot be changed */
	memset(c, 0, sizeof(c));
	c[0] = 0x5a;
	c[2] = 0x2a;
	put_be16(&c[7], 128);
	r = run(c, RING_DIR_READ, 128);
	REQUIRE(good(r));
	memcpy(p, buf, r.len);
	p[0] = p[1] = 0;
	p[8 + 2] = 0xff;
	memset(c, 0, sizeof(c));
	c[0] = 0x55;
	c[1] = 0x10;
	put_be16(&c[7], r.len);
	memcpy(buf, p, r.len);
	CHECK(chk(run(c, RING_DIR_WRITE, r.len), SK_ILLEGAL_REQUEST,
	    ASC_INVALID_FIELD_IN_PARAM));
	lun_fini(&L);
	close(fd);
}

/* A blank writable disc of cap blocks in a new file. */
static int
blank(uint16_t profile, uint32_t cap)
{
	char	path[64], err[256];
	int	fd;

	strlcpy(path, "/tmp/mmc_test.XXXXXX", sizeof(path));
	if ((fd = mkstemp(path)) == -1)
		return (-1);
	unlink(path);
	if (disc_create(fd, profile, cap, err, sizeof(err)) == -1) {
		printf("  disc_create: %s\n", err);
		close(fd);
		return (-1);
	}
	return (fd);
}

static struct res
wr(uint32_t lba, uint32_t n, uint8_t fill)
{
	uint8_t	c[16];

	memset(c, 0, sizeof(c));
	c[0] = 0x2a;
	put_be32(&c[2], lba);
	put_be16(&c[7], n);
	memset(buf, fill, n * 2048);
	return (run(c, RING_DIR_WRITE, n * 2048));
}

static struct res
rd(uint32_t lba, uint32_t n)
{
	uint8_t	c[16];

	memset(c, 0, sizeof(c));
	c[0] = 0x28;
	put_be32(&c[2], lba);
	put_be16(&c[7], n);
	memset(buf, 0xee, n * 2048);
	return (run(c, RING_DIR_READ, n * 2048));
}

static struct res
close_ts(uint8_t func, uint16_t track)
{
	uint8_t	c[16];

	memset(c, 0, sizeof(c));
	c[0] = 0x5b;
	c[2] = func;
	put_be16(&c[4], track);
	return (run(c, RING_DIR_NONE, 0));
}

/* READ TRACK INFORMATION of a track number: NWA, or -1 if not valid. */
static int64_t
nwa_of(uint32_t track)
{
	uint8_t		c[16];
	struct res	r;

	memset(c, 0, sizeof(c));
	c[0] = 0x52;
	c[1] = 0x01;
	put_be32(&c[2], track);
	put_be16(&c[7], 48);
	r = run(c, RING_DIR_READ, 48);
	if (!good(r) || !(buf[7] & 0x01))
		return (-1);
	return (get_be32(&buf[12]));
}

/* READ DISC INFORMATION: status | last session state << 2, sessions. */
static int
disc_info(uint8_t *status, uint8_t *nsess)
{
	struct res	r;

	r = in(0x51, 0, 0, 7, 34);
	if (!good(r))
		return (-1);
	*status = buf[2] & 0x1f;
	*nsess = buf[4];
	return (0);
}

static void
test_plus_r(void)
{
	struct res	r;
	uint8_t		st, ns, c[16];
	int		fd;

	REQUIRE((fd = blank(DISC_DVD_PLUS_R, 1024)) != -1);
	REQUIRE(drive_start(fd) == 0);
	/* blank: profile 001Bh, empty disc, the invisible track at 0 */
	r = in(0x46, 0, 0, 7, 8);
	CHECK(good(r) && get_be16(&buf[6]) == 0x001b);
	CHECK(disc_info(&st, &ns) == 0 && st == 0 && ns == 1);
	CHECK(nwa_of(1) == 0 && nwa_of(0xff) == 0);
	CHECK(chk(in(0x43, 0, 0, 7, 100), SK_ILLEGAL_REQUEST,
	    ASC_INVALID_FIELD_IN_CDB));
	r = in(0x25, 0, 0, 10, 8);
	CHECK(good(r) && get_be32(buf) == 0);
	/* only at the next writable address */
	CHECK(chk(wr(32, 1, 1), SK_ILLEGAL_REQUEST, 0x2102));
	CHECK(good(wr(0, 20, 1)));
	CHECK(nwa_of(1) == 20);
	CHECK(chk(wr(0, 1, 1), SK_ILLEGAL_REQUEST, 0x2102));
	CHECK(chk(wr(21, 1, 1), SK_ILLEGAL_REQUEST, 0x2102));
	CHECK(good(wr(20, 10, 2)));
	CHECK(disc_info(&st, &ns) == 0 && st == (1 | 1 << 2) && ns == 1);
	CHECK(good(rd(25, 1)) && buf[0] == 2);
	CHECK(chk(rd(30, 1), SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE));
	/* close the track, then the session: on the disc, durable */
	CHECK(good(close_ts(1, 1)));
	CHECK(nwa_of(1) == -1 && nwa_of(2) == 32);
	CHECK(good(close_ts(2, 0)));
	CHECK(disc_info(&st, &ns) == 0 && st == (1 | 0 << 2) && ns == 2);
	r = in(0x43, 0, 0, 7, 100);
	CHECK(good(r) && buf[3] == 1 && get_be32(&buf[16]) == 30);
	CHECK(nwa_of(0xff) == 32);
	/* RESERVE TRACK: a track of 40 blocks (48, in ECC blocks) */
	memset(c, 0, sizeof(c));
	c[0] = 0x53;
	put_be32(&c[5], 40);
	CHECK(good(run(c, RING_DIR_NONE, 0)));
	CHECK(nwa_of(2) == 32 && nwa_of(3) == 80);
	CHECK(good(wr(80, 5, 4)));	/* the invisible track after it */
	CHECK(good(wr(32, 4, 3)));
	CHECK(nwa_of(2) == 36 && nwa_of(3) == 85);
	CHECK(chk(wr(36, 45, 3), SK_ILLEGAL_REQUEST, 0x2102));
	/* the drive dies in the middle of session 2: session 1 stays */
	lun_fini(&L);
	REQUIRE(drive_start(fd) == 0);
	CHECK(disc_info(&st, &ns) == 0 && st == 1 && ns == 2);
	CHECK(nwa_of(0xff) == 32 && nwa_of(2) == 32);
	CHECK(good(rd(0, 1)) && buf[0] == 1);
	CHECK(chk(rd(32, 1), SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE));
	/* session 2 again, closed this time, then finalised */
	CHECK(good(wr(32, 16, 5)));
	CHECK(good(close_ts(2, 0)));
	r = in(0x43, 0, 1, 7, 12);		/* session information */
	CHECK(good(r) && buf[3] == 2 && buf[6] == 2 &&
	    get_be32(&buf[8]) == 32);
	CHECK(good(close_ts(6, 0)));
	CHECK(disc_info(&st, &ns) == 0 && st == (2 | 3 << 2) && ns == 2);
	CHECK(chk(wr(48, 1, 1), SK_ILLEGAL_REQUEST, 0x3005));
	lun_fini(&L);
	REQUIRE(drive_start(fd) == 0);
	CHECK(disc_info(&st, &ns) == 0 && st == (2 | 3 << 2) && ns == 2);
	r = in(0x25, 0, 0, 10, 8);
	CHECK(good(r) && get_be32(buf) == 47);
	CHECK(good(rd(32, 1)) && buf[0] == 5 && good(rd(10, 1)) &&
	    buf[0] == 1);
	lun_fini(&L);
	close(fd);
}

static void
test_plus_rw(void)
{
	struct res	r;
	uint8_t		c[16], st, ns;
	int		fd;

	REQUIRE((fd = blank(DISC_DVD_PLUS_RW, 512)) != -1);
	REQUIRE(drive_start(fd) == 0);
	r = in(0x46, 0, 0, 7, 8);
	CHECK(good(r) && get_be16(&buf[6]) == 0x001a);
	CHECK(chk(wr(100, 1, 1), SK_MEDIUM_ERROR, 0x3100));
	r = in(0x23, 0, 0, 7, 20);
	CHECK(good(r) && buf[3] == 16 && (buf[8] & 3) == 1 &&
	    (buf[16] >> 2) == 0x26);
	/* FORMAT UNIT, format 26h */
	memset(c, 0, sizeof(c));
	c[0] = 0x04;
	c[1] = 0x11;
	memset(buf, 0, 12);
	put_be16(&buf[2], 8);
	put_be32(&buf[4], 512);
	buf[8] = 0x26 << 2;
	CHECK(good(run(c, RING_DIR_WRITE, 12)));
	CHECK(good(wr(100, 2, 7)) && good(wr(3, 1, 8)) && good(wr(100, 1, 9)));
	CHECK(good(rd(100, 2)) && buf[0] == 9 && buf[2048] == 7);
	CHECK(disc_info(&st, &ns) == 0 && (st & 0x13) == 0x12);
	lun_fini(&L);
	REQUIRE(drive_start(fd) == 0);
	r = in(0x25, 0, 0, 10, 8);
	CHECK(good(r) && get_be32(buf) == 511);
	CHECK(good(rd(3, 1)) && buf[0] == 8);
	lun_fini(&L);
	close(fd);
}

/* Hostile trailers: a plain image, or a refusal, never a crash. */
static void
test_hostile(void)
{
	struct disc_state	ds;
	uint8_t			b[DISC_SLOT];
	int			fd, i, j;
	off_t			end;

	REQUIRE((fd = blank(DISC_DVD_PLUS_R, 512)) != -1);
	end = 512 * 2048;
	srandom(11);
	for (i = 0; i < 200; i++) {
		REQUIRE(pread(fd, b, sizeof(b), end) == (ssize_t)sizeof(b));
		for (j = 0; j < 4; j++)
			b[random() % sizeof(b)] = random();
		REQUIRE(pwrite(fd, b, sizeof(b), end + DISC_SLOT) ==
		    (ssize_t)sizeof(b));
		CHECK(disc_load(fd, &ds) >= 0);
		if (drive_start(fd) == 0)
			lun_fini(&L);
	}
	/* the slot written last wins, a torn newer one does not */
	REQUIRE(disc_load(fd, &ds) == 1);
	CHECK(ds.profile == DISC_DVD_PLUS_R && ds.capacity == 512);
	close(fd);
}

/*
 * Random CDBs of the drive's opcodes, with random Data-Out, on every
 * kind of medium: GOOD or CHECK CONDITION, never a crash (ASan build).
 */
static void
test_fuzz(void)
{
	static const uint8_t	ops[] = { 0x00, 0x03, 0x04, 0x12, 0x1b, 0x1e,
	    0x23, 0x25, 0x28, 0x2a, 0x35, 0x43, 0x46, 0x4a, 0x51, 0x52, 0x53,
	    0x54, 0x55, 0x5a, 0x5b, 0x5c, 0xa4, 0xa8, 0xaa, 0xac, 0xad, 0xb6,
	    0xbb, 0xbd };
	struct scsi_cmd		 cmd;
	uint8_t			 c[16];
	uint32_t		 len;
	int			 fd, kind, i, j;

	srandom(1207);
	for (kind = 0; kind < 4; kind++) {
		fd = kind == 0 ? -1 : kind == 1 ? image(64) :
		    blank(kind == 2 ? DISC_DVD_PLUS_R : DISC_DVD_PLUS_RW, 512);
		REQUIRE(kind == 0 || fd != -1);
		REQUIRE(drive_start(fd) == 0);
		for (i = 0; i < 5000; i++) {
			for (j = 0; j < 16; j++)
				c[j] = random();
			c[0] = ops[random() % sizeof(ops)];
			/* small numbers in the fields, often */
			if (random() & 1)
				for (j = 2; j < 12; j++)
					c[j] &= random() & 1 ? 0x00 : 0x0f;
			c[cdb_length(c) - 1] = 0;	/* CONTROL */
			len = random() % 8192;
			for (j = 0; j < (int)len; j++)
				buf[j] = random();
			scsi_cmd_init(&cmd, &L, NULL, NULL, c, 16,
			    random() & 1 ? RING_DIR_WRITE : RING_DIR_READ,
			    buf, len);
			scsi_exec(&cmd);
			CHECK(cmd.status == SAM_STAT_GOOD ||
			    cmd.status == SAM_STAT_CHECK_CONDITION);
			CHECK(cmd.len <= len);
		}
		lun_fini(&L);
		if (fd != -1)
			close(fd);
	}
}

int
main(void)
{
	log_init(1, 0, "mmc_test");
	UNIT_RUN(test_identify);
	UNIT_RUN(test_toc_info);
	UNIT_RUN(test_read_write);
	UNIT_RUN(test_tray);
	UNIT_RUN(test_medium);
	UNIT_RUN(test_mode);
	UNIT_RUN(test_plus_r);
	UNIT_RUN(test_plus_rw);
	UNIT_RUN(test_hostile);
	UNIT_RUN(test_fuzz);
	return (UNIT_END("mmc"));
}
