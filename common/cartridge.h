/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Virtual tape cartridges: one file each, in the format of
 * tgt-cartridge(5).  The file is a log of records (data blocks,
 * filemarks, an end-of-data mark) behind a double-buffered header of
 * attributes and an index of every filemark and every 64th object, so
 * that positioning reads a handful of record headers, never the tape.
 *
 * The chain of records is the truth and the index only an accelerator:
 * cart_open() validates the index, walks the records after its last
 * entry, and cuts the tape at the first record that does not check out
 * (a torn last write).  Every write is a pwrite(2) of the whole record,
 * so what was acknowledged survives the death of the process; cart_sync()
 * makes it survive the machine's.
 *
 * Objects are numbered from 0 at the beginning of the tape: the current
 * position is the number of objects (blocks and filemarks) before it,
 * which is what SSC calls the logical object identifier.
 *
 * The functions return 0 or -1 with errno set (EIO: a record that does
 * not check out; ENOSPC: past the end of the medium).
 */

#ifndef TGT_CARTRIDGE_H
#define TGT_CARTRIDGE_H

#include <stddef.h>
#include <stdint.h>

#define CART_DEF_DIR		"/var/lib/tgt/media"	/* media directory */
#define CART_BARCODE_MAX	32
#define CART_MAM_MAX		3072	/* bytes of host MAM attributes */
#define CART_REC_HDR		32	/* a record's header */
#define CART_STRIDE		64	/* index: at most this many objects
					 * between two entries */
#define CART_MIN_CAPACITY	(1ULL << 20)
#define CART_MAX_CAPACITY	(1ULL << 46)
#define CART_MAX_BLOCK		(16u << 20)

/* cart_info.type */
#define CART_DATA		0
#define CART_WORM		1
#define CART_CLEANING		2

/* record types */
#define CART_REC_DATA		1
#define CART_REC_FILEMARK	2
#define CART_REC_EOD		3

struct cart_info {
	char		 barcode[CART_BARCODE_MAX + 1];
	uint8_t		 type;		/* CART_DATA, _WORM, _CLEANING */
	uint8_t		 wp;		/* write protected */
	uint8_t		 density;	/* density code it was written in */
	uint64_t	 capacity;	/* bytes of records the tape holds */
	uint64_t	 load_count;
	uint64_t	 created;	/* time(3) */
	uint32_t	 mam_len;
	uint8_t		 mam[CART_MAM_MAX];	/* host attributes, as
						 * WRITE ATTRIBUTE sent them */
};

struct cart_ent {
	uint64_t	 objno;
	uint64_t	 off;
	uint8_t		 type;		/* CART_REC_DATA or _FILEMARK */
};

struct cart {
	int		 fd;
	int		 ro;		/* fd read-only: look, never repair */
	struct cart_info info;
	uint32_t	 seq;		/* of the header copy in use */
	uint32_t	 epoch;		/* write generation, see format */
	uint64_t	 idx_off, idx_slots, data_off;

	/* the index: every filemark and an entry per CART_STRIDE objects */
	struct cart_ent	*ent;
	size_t		 nent, entcap;
	size_t		 ndisk;		/* entries that are in the file */
	/* the filemarks alone, by rank: fm[k] is the k + 1st filemark */
	uint64_t	*fm;
	size_t		 nfm, fmcap;

	uint64_t	 pos, pos_off;	/* current position */
	uint64_t	 eod, eod_off;	/* end of data */
	uint32_t	 cut;		/* cart_open(): 1 if the record at the
					 * end had a good header and torn
					 * data (cut) */
};

/* What is at the current position (cart_peek), or what was read. */
struct cart_rec {
	uint8_t		 type;		/* CART_REC_* */
	uint32_t	 len;		/* data bytes */
};

/* Make an empty cartridge in fd (a new, empty file). */
int	 cart_create(int fd, const char *barcode, uint64_t capacity,
	    int type, char *err, size_t errlen);
/* 0 if barcode is acceptable as a cartridge's barcode and file name. */
int	 cart_barcode_ok(const char *barcode);
/*
 * Open a cartridge: check it, find its end of data, rewind.  On a
 * read-only descriptor nothing is written (no repair of the index).
 */
int	 cart_open(struct cart *, int fd, char *err, size_t errlen);
/* Free what cart_open() allocated; the fd is the caller's. */
void	 cart_close(struct cart *);
/* Write the header (attributes) durably: the other copy, then swap. */
int	 cart_save_info(struct cart *);
/* Everything written so far on stable storage. */
int	 cart_sync(struct cart *);

/* Positioning. */
int	 cart_locate(struct cart *, uint64_t objno);	/* <= eod */
int	 cart_peek(struct cart *, struct cart_rec *);
/* Filemarks before object objno. */
uint64_t cart_fm_before(const struct cart *, uint64_t objno);
/* Object number of the k-th filemark (0-based), or UINT64_MAX. */
uint64_t cart_fm_objno(const struct cart *, uint64_t k);
/* First filemark at or after objno, UINT64_MAX if none. */
uint64_t cart_fm_next(const struct cart *, uint64_t objno);
/* Last filemark before objno, UINT64_MAX if none. */
uint64_t cart_fm_prev(const struct cart *, uint64_t objno);

/*
 * Read the object at the position and step past it.  A data block:
 * min(len, buflen) bytes to buf (all of it checked against its CRC).
 * A filemark steps past it too; at end of data nothing moves.
 */
int	 cart_read(struct cart *, uint8_t *buf, uint32_t buflen,
	    struct cart_rec *);
/*
 * Write a data block or a filemark at the position; what was after the
 * position is gone (ENOSPC: it would not fit, nothing written).
 */
int	 cart_write(struct cart *, int type, const uint8_t *buf,
	    uint32_t len);
/* The end of data at the position (ERASE). */
int	 cart_erase(struct cart *);
/* Bytes of the tape used up to the position, and in all. */
uint64_t cart_used(const struct cart *, uint64_t off);
uint64_t cart_remaining(const struct cart *);

#endif /* TGT_CARTRIDGE_H */
