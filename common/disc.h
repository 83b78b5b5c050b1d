/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Writable optical discs (DVD+R, DVD+RW) as files: the disc's user data
 * area from offset 0, 2048 bytes a block (what is written is where a
 * DVD-ROM image would have it, so a finalised disc's file is an ISO
 * image), then a trailer of two 512-byte state slots at the end of the
 * file.  A slot holds the medium's type and capacity, the disc status,
 * the closed sessions and their tracks, with a sequence number and a
 * CRC32C; a save writes the other slot and syncs, so a torn save
 * leaves the previous state.  Format in man/tgt-disc.5.  A file without
 * a valid trailer is a plain image, read as a DVD-ROM.
 */

#ifndef TGT_DISC_H
#define TGT_DISC_H

#include <stddef.h>
#include <stdint.h>

#define DISC_BLOCK		2048
#define DISC_SLOT		512
#define DISC_TRAILER		(2 * DISC_SLOT)
#define DISC_MAX_TRACKS		32	/* closed tracks on a disc */
#define DISC_MIN_BLOCKS		256	/* 512 KiB */
#define DISC_MAX_BLOCKS		(4u << 20)	/* 8 GiB */

#define DISC_DVD_PLUS_RW	0x1a	/* MMC profiles */
#define DISC_DVD_PLUS_R		0x1b

#define DISC_BLANK		0	/* disc status (READ DISC INFO) */
#define DISC_APPENDABLE		1
#define DISC_COMPLETE		2

struct disc_track {
	uint32_t	start;		/* first block */
	uint32_t	size;		/* blocks */
	uint32_t	session;	/* from 1 */
};

struct disc_state {
	uint16_t		profile;	/* DISC_DVD_PLUS_* */
	uint8_t			status;		/* DISC_BLANK... */
	uint8_t			formatted;	/* DVD+RW: FORMAT UNIT done */
	uint32_t		capacity;	/* blocks */
	uint32_t		seq;		/* of the last save */
	uint32_t		nsessions;	/* closed */
	uint32_t		ntracks;	/* closed, in closed sessions */
	struct disc_track	tracks[DISC_MAX_TRACKS];
};

/* "dvd+r" or "dvd+rw": the profile, or 0. */
uint16_t	 disc_profile(const char *);
const char	*disc_profile_name(uint16_t);
/*
 * Make a blank disc of capacity blocks in the empty file fd (sparse).
 * 0, or -1 and why not.
 */
int		 disc_create(int fd, uint16_t profile, uint32_t capacity,
		    char *err, size_t errlen);
/*
 * The state of the disc in fd: 1 and *st, 0 for a plain image (no
 * valid trailer), -1 for an I/O error (errno).  Every field is
 * checked: a hostile trailer is a plain image, never a crash.
 */
int		 disc_load(int fd, struct disc_state *st);
/* Save st in its next slot and sync the file; 0 or -1 (errno). */
int		 disc_save(int fd, struct disc_state *st);

#endif /* TGT_DISC_H */
