/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Writable optical discs as files (disc.h, man/tgt-disc.5).
 *
 * A slot, big-endian:
 *	0	"TGTDISC1"
 *	8	sequence number (the newer valid slot wins)
 *	12	profile (2 bytes), status, formatted
 *	16	capacity in blocks
 *	20	closed sessions
 *	24	closed tracks n
 *	28	n times: start, size, session (4 bytes each)
 *	508	CRC32C of bytes 0-507
 * Slot seq & 1 is at file size - 1024 + (seq & 1) * 512.
 */

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <isa-l/crc.h>

#include "bytes.h"
#include "disc.h"

#define MAGIC		"TGTDISC1"
#define CRC_AT		(DISC_SLOT - 4)

static uint32_t
disc_crc(const void *p, size_t n)
{
	return (~crc32_iscsi((unsigned char *)(uintptr_t)p, (int)n,
	    0xffffffff));
}

uint16_t
disc_profile(const char *s)
{
	if (strcmp(s, "dvd+r") == 0)
		return (DISC_DVD_PLUS_R);
	if (strcmp(s, "dvd+rw") == 0)
		return (DISC_DVD_PLUS_RW);
	return (0);
}

const char *
disc_profile_name(uint16_t p)
{
	switch (p) {
	case DISC_DVD_PLUS_R:
		return ("dvd+r");
	case DISC_DVD_PLUS_RW:
		return ("dvd+rw");
	}
	return ("dvd-rom");
}

static void
slot_pack(const struct disc_state *st, uint8_t *s)
{
	uint32_t	i, o;

	memset(s, 0, DISC_SLOT);
	memcpy(s, MAGIC, 8);
	put_be32(&s[8], st->seq);
	put_be16(&s[12], st->profile);
	s[14] = st->status;
	s[15] = st->formatted;
	put_be32(&s[16], st->capacity);
	put_be32(&s[20], st->nsessions);
	put_be32(&s[24], st->ntracks);
	for (i = 0, o = 28; i < st->ntracks; i++, o += 12) {
		put_be32(&s[o], st->tracks[i].start);
		put_be32(&s[o + 4], st->tracks[i].size);
		put_be32(&s[o + 8], st->tracks[i].session);
	}
	put_be32(&s[CRC_AT], disc_crc(s, CRC_AT));
}

/* 0 if the slot is valid and consistent, -1 if not. */
static int
slot_unpack(struct disc_state *st, const uint8_t *s, uint64_t fsize)
{
	uint32_t	i, o, end = 0;

	if (memcmp(s, MAGIC, 8) != 0 ||
	    get_be32(&s[CRC_AT]) != disc_crc(s, CRC_AT))
		return (-1);
	memset(st, 0, sizeof(*st));
	st->seq = get_be32(&s[8]);
	st->profile = get_be16(&s[12]);
	st->status = s[14];
	st->formatted = s[15] != 0;
	st->capacity = get_be32(&s[16]);
	st->nsessions = get_be32(&s[20]);
	st->ntracks = get_be32(&s[24]);
	if ((st->profile != DISC_DVD_PLUS_R &&
	    st->profile != DISC_DVD_PLUS_RW) || st->status > DISC_COMPLETE ||
	    st->capacity < DISC_MIN_BLOCKS || st->capacity > DISC_MAX_BLOCKS ||
	    (uint64_t)st->capacity * DISC_BLOCK + DISC_TRAILER != fsize ||
	    st->ntracks > DISC_MAX_TRACKS || st->nsessions > st->ntracks)
		return (-1);
	for (i = 0, o = 28; i < st->ntracks; i++, o += 12) {
		st->tracks[i].start = get_be32(&s[o]);
		st->tracks[i].size = get_be32(&s[o + 4]);
		st->tracks[i].session = get_be32(&s[o + 8]);
		/* in order, inside the disc, sessions 1..nsessions */
		if (st->tracks[i].start < end || st->tracks[i].size == 0 ||
		    st->tracks[i].size > st->capacity ||
		    st->tracks[i].start > st->capacity -
		    st->tracks[i].size || st->tracks[i].session == 0 ||
		    st->tracks[i].session > st->nsessions ||
		    (i > 0 && st->tracks[i].session <
		    st->tracks[i - 1].session))
			return (-1);
		end = st->tracks[i].start + st->tracks[i].size;
	}
	if ((st->ntracks > 0) != (st->nsessions > 0) ||
	    (st->ntracks > 0 &&
	    st->tracks[st->ntracks - 1].session != st->nsessions))
		return (-1);
	if (st->profile == DISC_DVD_PLUS_R && (st->status == DISC_BLANK) !=
	    (st->nsessions == 0))
		return (-1);
	return (0);
}

static int
pread_all(int fd, void *b, size_t n, off_t off)
{
	ssize_t	r;
	size_t	done = 0;

	while (done < n) {
		r = pread(fd, (uint8_t *)b + done, n - done, off + done);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return (-1);
		done += r;
	}
	return (0);
}

static int
pwrite_all(int fd, const void *b, size_t n, off_t off)
{
	ssize_t	r;
	size_t	done = 0;

	while (done < n) {
		r = pwrite(fd, (const uint8_t *)b + done, n - done,
		    off + done);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return (-1);
		done += r;
	}
	return (0);
}

int
disc_load(int fd, struct disc_state *st)
{
	struct stat		sb;
	struct disc_state	a, b;
	uint8_t			s[DISC_TRAILER];
	int			va, vb;

	if (fstat(fd, &sb) == -1)
		return (-1);
	if (!S_ISREG(sb.st_mode) || sb.st_size < DISC_TRAILER +
	    DISC_MIN_BLOCKS * DISC_BLOCK)
		return (0);
	if (pread_all(fd, s, sizeof(s), sb.st_size - DISC_TRAILER) == -1)
		return (-1);
	va = slot_unpack(&a, s, sb.st_size) == 0 && (a.seq & 1) == 0;
	vb = slot_unpack(&b, s + DISC_SLOT, sb.st_size) == 0 &&
	    (b.seq & 1) == 1;
	if (va && vb && (a.profile != b.profile ||
	    a.capacity != b.capacity))
		vb = 0;
	if (!va && !vb)
		return (0);
	if (va && (!vb || a.seq > b.seq))
		*st = a;
	else
		*st = b;
	return (1);
}

int
disc_save(int fd, struct disc_state *st)
{
	uint8_t		s[DISC_SLOT];
	uint64_t	off;

	st->seq++;
	slot_pack(st, s);
	off = (uint64_t)st->capacity * DISC_BLOCK + (st->seq & 1) * DISC_SLOT;
	if (fdatasync(fd) == -1 || pwrite_all(fd, s, sizeof(s), off) == -1 ||
	    fdatasync(fd) == -1)
		return (-1);
	return (0);
}

int
disc_create(int fd, uint16_t profile, uint32_t capacity, char *err,
    size_t errlen)
{
	struct disc_state	st;
	uint8_t			z[DISC_TRAILER];
	uint64_t		size;

	if (profile != DISC_DVD_PLUS_R && profile != DISC_DVD_PLUS_RW) {
		snprintf(err, errlen, "not a writable disc type");
		return (-1);
	}
	if (capacity < DISC_MIN_BLOCKS || capacity > DISC_MAX_BLOCKS) {
		snprintf(err, errlen, "capacity of %u blocks out of range "
		    "(%u to %u)", capacity, DISC_MIN_BLOCKS, DISC_MAX_BLOCKS);
		return (-1);
	}
	size = (uint64_t)capacity * DISC_BLOCK + DISC_TRAILER;
	memset(z, 0, sizeof(z));
	if (ftruncate(fd, size) == -1 ||
	    pwrite_all(fd, z, sizeof(z), size - DISC_TRAILER) == -1) {
		snprintf(err, errlen, "%s", strerror(errno));
		return (-1);
	}
	memset(&st, 0, sizeof(st));
	st.profile = profile;
	st.capacity = capacity;
	st.status = DISC_BLANK;
	st.seq = 1;			/* the first save is slot 0 */
	if (disc_save(fd, &st) == -1) {
		snprintf(err, errlen, "%s", strerror(errno));
		return (-1);
	}
	return (0);
}
