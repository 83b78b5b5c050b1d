/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Unit tests for the cartridge format (common/cartridge.c): create and
 * reopen, data and filemarks read back, the index (entries, positioning
 * through it, a torn or stale entry), rewriting in the middle of a tape
 * (nothing behind the new end of data comes back, even with records of
 * the same size), ERASE, the end of the medium, the two header copies,
 * and torn writes of the last record (header or data) cut at reopen.
 */

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytes.h"
#include "cartridge.h"
#include "unit.h"

#define CAP	(8ULL << 20)

static char	tpath[64];

static int
tmpcart(uint64_t cap, int type)
{
	char	err[256];
	int	fd;

	strlcpy(tpath, "/tmp/cart_test.XXXXXX", sizeof(tpath));
	if ((fd = mkstemp(tpath)) == -1)
		return (-1);
	unlink(tpath);
	if (cart_create(fd, "TAPE01L5", cap, type, err, sizeof(err)) == -1) {
		printf("  cart_create: %s\n", err);
		close(fd);
		return (-1);
	}
	return (fd);
}

static int
reopen(struct cart *c, int fd)
{
	char	err[256];

	cart_close(c);
	if (cart_open(c, fd, err, sizeof(err)) == -1) {
		printf("  cart_open: %s\n", err);
		return (-1);
	}
	return (0);
}

static void
fill(uint8_t *b, uint32_t len, uint64_t seed)
{
	uint32_t	i;

	for (i = 0; i < len; i++)
		b[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
}

/* Write block number seed of len bytes (content from the seed). */
static int
wblock(struct cart *c, uint64_t seed, uint32_t len)
{
	uint8_t	*b = malloc(len ? len : 1);
	int	 rc;

	fill(b, len, seed);
	rc = cart_write(c, CART_REC_DATA, b, len);
	free(b);
	return (rc);
}

/* Read the block at the position and check it is block seed. */
static int
rblock(struct cart *c, uint64_t seed, uint32_t len)
{
	struct cart_rec	 r;
	uint8_t		*b = malloc(len + 1), *x = malloc(len + 1);
	int		 ok;

	fill(x, len, seed);
	ok = cart_read(c, b, len, &r) == 0 && r.type == CART_REC_DATA &&
	    r.len == len && memcmp(b, x, len) == 0;
	free(b);
	free(x);
	return (ok);
}

static void
test_create_empty(void)
{
	struct cart	c;
	struct cart_rec	r;
	int		fd;
	char		err[128];

	REQUIRE((fd = tmpcart(CAP, CART_WORM)) != -1);
	memset(&c, 0, sizeof(c));
	REQUIRE(reopen(&c, fd) == 0);
	CHECK(c.eod == 0 && c.pos == 0 && c.cut == 0);
	CHECK(strcmp(c.info.barcode, "TAPE01L5") == 0);
	CHECK(c.info.type == CART_WORM && c.info.capacity == CAP);
	CHECK(cart_peek(&c, &r) == 0 && r.type == CART_REC_EOD);
	CHECK(cart_remaining(&c) == CAP);
	cart_close(&c);
	/* not a cartridge, bad barcodes and sizes */
	CHECK(ftruncate(fd, 0) == 0);
	CHECK(cart_open(&c, fd, err, sizeof(err)) == -1);
	CHECK(cart_create(fd, "", CAP, 0, err, sizeof(err)) == -1);
	CHECK(cart_create(fd, "../x", CAP, 0, err, sizeof(err)) == -1);
	CHECK(cart_create(fd, "A", 1000, 0, err, sizeof(err)) == -1);
	CHECK(cart_barcode_ok("ABC123L5") == 0);
	CHECK(cart_barcode_ok("a/b") == -1);
	close(fd);
}

static void
test_write_read(void)
{
	struct cart	c;
	struct cart_rec	r;
	int		fd;
	uint8_t		small[10];

	REQUIRE((fd = tmpcart(CAP, CART_DATA)) != -1);
	memset(&c, 0, sizeof(c));
	REQUIRE(reopen(&c, fd) == 0);
	/* file 0: 3 blocks, FM, file 1: 2 blocks, FM FM, 1 block */
	CHECK(wblock(&c, 0, 1000) == 0);
	CHECK(wblock(&c, 1, 0) == 0);		/* an empty block */
	CHECK(wblock(&c, 2, 65536) == 0);
	CHECK(cart_write(&c, CART_REC_FILEMARK, NULL, 0) == 0);
	CHECK(wblock(&c, 4, 3) == 0);
	CHECK(wblock(&c, 5, 513) == 0);
	CHECK(cart_write(&c, CART_REC_FILEMARK, NULL, 0) == 0);
	CHECK(cart_write(&c, CART_REC_FILEMARK, NULL, 0) == 0);
	CHECK(wblock(&c, 8, 100) == 0);
	CHECK(c.eod == 9 && c.pos == 9);
	CHECK(cart_write(&c, CART_REC_FILEMARK, small, 4) == -1);

	REQUIRE(reopen(&c, fd) == 0);
	CHECK(c.eod == 9 && c.cut == 0 && c.nfm == 3);
	CHECK(cart_fm_before(&c, 4) == 1 && cart_fm_before(&c, 3) == 0);
	CHECK(cart_fm_next(&c, 0) == 3 && cart_fm_next(&c, 4) == 6);
	CHECK(cart_fm_prev(&c, 6) == 3 && cart_fm_prev(&c, 3) == UINT64_MAX);
	CHECK(cart_fm_objno(&c, 2) == 7 && cart_fm_objno(&c, 3) ==
	    UINT64_MAX);
	CHECK(rblock(&c, 0, 1000));
	CHECK(rblock(&c, 1, 0));
	CHECK(rblock(&c, 2, 65536));
	CHECK(cart_read(&c, small, sizeof(small), &r) == 0 &&
	    r.type == CART_REC_FILEMARK && c.pos == 4);
	/* a short buffer gets the start of the block */
	CHECK(cart_read(&c, small, 2, &r) == 0 && r.len == 3 && c.pos == 5);
	CHECK(rblock(&c, 5, 513));
	CHECK(cart_locate(&c, 8) == 0 && rblock(&c, 8, 100));
	CHECK(cart_read(&c, small, 10, &r) == 0 && r.type == CART_REC_EOD &&
	    c.pos == 9);
	CHECK(cart_locate(&c, 10) == -1 && errno == EINVAL);
	CHECK(cart_locate(&c, 2) == 0 && rblock(&c, 2, 65536));
	cart_close(&c);
	close(fd);
}

static void
test_index(void)
{
	struct cart	c;
	int		fd, ok;
	uint64_t	i, n;

	REQUIRE((fd = tmpcart(CAP, CART_DATA)) != -1);
	memset(&c, 0, sizeof(c));
	REQUIRE(reopen(&c, fd) == 0);
	for (i = 0; i < 1000; i++) {
		if (i % 100 == 99)
			ok = cart_write(&c, CART_REC_FILEMARK, NULL, 0) == 0;
		else
			ok = wblock(&c, i, 16 + i % 50) == 0;
		if (!ok)
			break;
	}
	CHECK(i == 1000);
	CHECK(c.nfm == 10 && c.ndisk == c.nent && c.nent >= 1000 / 64);
	REQUIRE(reopen(&c, fd) == 0);
	CHECK(c.eod == 1000 && c.nfm == 10 && c.ndisk == c.nent);
	/* every position, out of order, through the index */
	for (i = 0, ok = 1; i < 1000 && ok; i++) {
		n = (i * 617) % 1000;
		if (n % 100 == 99)
			continue;
		ok = cart_locate(&c, n) == 0 && rblock(&c, n, 16 + n % 50);
	}
	CHECK(ok);
	CHECK(cart_fm_objno(&c, 4) == 499);

	/* a torn index entry: the walk rebuilds the rest */
	{
		uint8_t	z[16];

		memset(z, 0x5a, sizeof(z));
		CHECK(pwrite(fd, z, sizeof(z), c.idx_off + 3 * 32 + 8) == 16);
	}
	REQUIRE(reopen(&c, fd) == 0);
	CHECK(c.eod == 1000 && c.nfm == 10 && c.ndisk == c.nent);
	CHECK(cart_locate(&c, 777) == 0 && rblock(&c, 777, 16 + 777 % 50));
	cart_close(&c);
	close(fd);
}

static void
test_rewrite(void)
{
	struct cart	c;
	int		fd;
	uint64_t	i;

	REQUIRE((fd = tmpcart(CAP, CART_DATA)) != -1);
	memset(&c, 0, sizeof(c));
	REQUIRE(reopen(&c, fd) == 0);
	/* same size records: old ones line up after the new end */
	for (i = 0; i < 300; i++)
		if (wblock(&c, i, 512) == -1)
			break;
	CHECK(i == 300);
	CHECK(cart_locate(&c, 10) == 0);
	CHECK(wblock(&c, 1000, 512) == 0);
	CHECK(c.eod == 11 && c.nent == 0);
	REQUIRE(reopen(&c, fd) == 0);
	CHECK(c.eod == 11 && c.cut == 0);
	CHECK(cart_locate(&c, 9) == 0 && rblock(&c, 9, 512) &&
	    rblock(&c, 1000, 512));
	/* append after a rewrite and reopen again */
	CHECK(cart_locate(&c, 11) == 0);
	for (i = 11; i < 200; i++)
		if (wblock(&c, i, 512) == -1)
			break;
	REQUIRE(reopen(&c, fd) == 0);
	CHECK(c.eod == 200);
	CHECK(cart_locate(&c, 150) == 0 && rblock(&c, 150, 512));
	/* ERASE from 50 */
	CHECK(cart_locate(&c, 50) == 0 && cart_erase(&c) == 0 &&
	    c.eod == 50);
	REQUIRE(reopen(&c, fd) == 0);
	CHECK(c.eod == 50);
	/* write over the end-of-data mark */
	CHECK(cart_locate(&c, 50) == 0 && wblock(&c, 50, 512) == 0);
	REQUIRE(reopen(&c, fd) == 0);
	CHECK(c.eod == 51);
	cart_close(&c);
	close(fd);
}

static void
test_torn(void)
{
	struct cart	c;
	int		fd;
	uint64_t	i, off;
	uint8_t		junk[40];

	REQUIRE((fd = tmpcart(CAP, CART_DATA)) != -1);
	memset(&c, 0, sizeof(c));
	REQUIRE(reopen(&c, fd) == 0);
	for (i = 0; i < 70; i++)
		CHECK(wblock(&c, i, 4096) == 0);
	off = c.eod_off;
	/* the last block's data torn halfway: cut */
	CHECK(wblock(&c, 70, 4096) == 0);
	CHECK(ftruncate(fd, off + 32 + 2048) == 0);
	REQUIRE(reopen(&c, fd) == 0);
	CHECK(c.eod == 70 && c.cut == 1);
	CHECK(cart_locate(&c, 69) == 0 && rblock(&c, 69, 4096));
	/* then writing goes on where the tape was cut */
	CHECK(wblock(&c, 70, 100) == 0);
	REQUIRE(reopen(&c, fd) == 0);
	CHECK(c.eod == 71 && c.cut == 0);
	CHECK(cart_locate(&c, 70) == 0 && rblock(&c, 70, 100));

	/* a torn header (half of it) */
	off = c.eod_off;
	CHECK(wblock(&c, 71, 100) == 0);
	memset(junk, 0, sizeof(junk));
	CHECK(pwrite(fd, junk, 16, off + 16) == 16);
	REQUIRE(reopen(&c, fd) == 0);
	CHECK(c.eod == 71 && c.cut == 0);

	/* a flipped data byte in the last block */
	CHECK(cart_locate(&c, 71) == 0 && wblock(&c, 71, 100) == 0);
	CHECK(pread(fd, junk, 1, off + 32 + 50) == 1);
	junk[0] ^= 0x01;
	CHECK(pwrite(fd, junk, 1, off + 32 + 50) == 1);
	REQUIRE(reopen(&c, fd) == 0);
	CHECK(c.eod == 71 && c.cut == 1);

	/* an indexed record torn: the entry goes too */
	CHECK(cart_locate(&c, 64) == 0);
	off = c.pos_off;
	CHECK(c.nent == 1 && c.ent[0].objno == 64);
	CHECK(pwrite(fd, junk, 8, off + 32 + 8) == 8);
	REQUIRE(reopen(&c, fd) == 0);
	CHECK(c.eod == 64 && c.nent == 0 && c.ndisk == 0);
	cart_close(&c);
	close(fd);
}

static void
test_capacity(void)
{
	struct cart	c;
	int		fd, n = 0;

	REQUIRE((fd = tmpcart(CART_MIN_CAPACITY, CART_DATA)) != -1);
	memset(&c, 0, sizeof(c));
	REQUIRE(reopen(&c, fd) == 0);
	while (wblock(&c, n, 65536 - 32) == 0)
		n++;
	CHECK(errno == ENOSPC && n == 16 && cart_remaining(&c) == 0);
	CHECK(cart_write(&c, CART_REC_FILEMARK, NULL, 0) == -1);
	REQUIRE(reopen(&c, fd) == 0);
	CHECK(c.eod == 16);
	cart_close(&c);
	close(fd);
}

static void
test_header_copies(void)
{
	struct cart	c;
	int		fd;
	uint8_t		z[64];

	REQUIRE((fd = tmpcart(CAP, CART_DATA)) != -1);
	memset(&c, 0, sizeof(c));
	REQUIRE(reopen(&c, fd) == 0);
	c.info.load_count = 5;
	c.info.wp = 1;
	c.info.mam_len = 3;
	memcpy(c.info.mam, "abc", 3);
	CHECK(cart_save_info(&c) == 0);
	c.info.load_count = 6;
	CHECK(cart_save_info(&c) == 0);
	REQUIRE(reopen(&c, fd) == 0);
	CHECK(c.info.load_count == 6 && c.info.wp == 1 && c.info.mam_len == 3);
	/* the newest copy torn: the other one counts */
	memset(z, 0xff, sizeof(z));
	CHECK(pwrite(fd, z, sizeof(z), (c.seq & 1) * 4096 + 100) == 64);
	REQUIRE(reopen(&c, fd) == 0);
	CHECK(c.info.load_count == 5 && memcmp(c.info.mam, "abc", 3) == 0);
	cart_close(&c);
	close(fd);
}

/*
 * Hostile files: bytes flipped at random in the headers, the index and
 * the records.  Opening either fails or gives a tape whose every object
 * can be located and read (or reports EIO) without a crash.
 */
static void
test_garbage(void)
{
	struct cart	 c;
	struct cart_rec	 r;
	uint8_t		*img, *b, x;
	uint64_t	 seed = 42, i, n, size, off;
	char		 err[256];
	int		 fd, round, opened = 0, k;

	REQUIRE((fd = tmpcart(2 << 20, CART_DATA)) != -1);
	memset(&c, 0, sizeof(c));
	REQUIRE(reopen(&c, fd) == 0);
	for (i = 0; i < 300; i++)
		if ((i % 17 == 16 ? cart_write(&c, CART_REC_FILEMARK, NULL,
		    0) : wblock(&c, i, 40 + i % 300)) == -1)
			break;
	CHECK(i == 300);
	cart_close(&c);
	size = lseek(fd, 0, SEEK_END);
	REQUIRE((img = malloc(size)) != NULL && (b = malloc(65536)) != NULL);
	REQUIRE(pread(fd, img, size, 0) == (ssize_t)size);
	for (round = 0; round < 200; round++) {
		REQUIRE(pwrite(fd, img, size, 0) == (ssize_t)size);
		for (k = 0; k < 8; k++) {
			seed = seed * 6364136223846793005ULL +
			    1442695040888963407ULL;
			switch ((seed >> 33) % 3) {
			case 0:		/* a header copy */
				off = (seed >> 8) % 8192;
				break;
			case 1:		/* the index */
				off = 65536 + (seed >> 8) % 4096;
				break;
			default:	/* the records */
				off = c.data_off + (seed >> 8) %
				    (size - c.data_off);
				break;
			}
			x = (uint8_t)(seed >> 40) | 1;
			if (pread(fd, b, 1, off) == 1) {
				b[0] ^= x;
				(void)pwrite(fd, b, 1, off);
			}
		}
		if (cart_open(&c, fd, err, sizeof(err)) == -1)
			continue;
		opened++;
		n = c.eod;
		CHECK(n <= 300);
		for (i = 0; i <= n; i++) {
			if (cart_locate(&c, (i * 7919) % (n + 1)) == -1)
				continue;
			(void)cart_read(&c, b, 65536, &r);
			(void)cart_read(&c, b, 10, &r);
		}
		(void)cart_fm_objno(&c, c.nfm);
		(void)cart_fm_prev(&c, n);
		(void)cart_fm_next(&c, 0);
		cart_close(&c);
	}
	CHECK(opened > 0);
	free(img);
	free(b);
	close(fd);
}

int
main(void)
{
	UNIT_RUN(test_create_empty);
	UNIT_RUN(test_write_read);
	UNIT_RUN(test_index);
	UNIT_RUN(test_rewrite);
	UNIT_RUN(test_torn);
	UNIT_RUN(test_capacity);
	UNIT_RUN(test_header_copies);
	UNIT_RUN(test_garbage);
	return (UNIT_END("cart"));
}
