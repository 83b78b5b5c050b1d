/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Virtual tape cartridges (tgt-cartridge(5)).  Layout of the file, all
 * integers big-endian:
 *
 *	0	header copy A (4 KiB)	the attributes; the copy with
 *	4096	header copy B (4 KiB)	the higher sequence with a good
 *					CRC counts, the other is written
 *					next
 *	65536	index: 32-byte entries, one per filemark and at most
 *		CART_STRIDE objects apart, in the order of the tape
 *	data_off records: a 32-byte header, the data, zeroes to 8 bytes
 *
 * Crash consistency rests on the record chain: a record is good when
 * its header and data CRCs check out, its object number follows the
 * previous one and its epoch is not older.  The epoch is the write
 * generation: writing anywhere but at the end of data starts a new one
 * (saved in the header first), so the records a rewrite left behind
 * its new end of data are older and end the chain.
 */

#include <sys/types.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <isa-l/crc.h>

#include "bytes.h"
#include "cartridge.h"

#define HDR_SIZE	4096
#define HDR_MAGIC	"TGTCART1"
#define HDR_VERSION	1
#define IDX_OFF		65536ULL
#define IDX_ENT		32
#define IDX_MAGIC	0x4958		/* "IX" */
#define REC_MAGIC	0x54475452u	/* "TGTR" */
#define HDR_CRC_AT	(HDR_SIZE - 4)

static uint32_t
crc32c(const void *p, size_t n)
{
	return (~crc32_iscsi((unsigned char *)(uintptr_t)p, (int)n,
	    0xffffffffu));
}

static uint64_t
pad8(uint64_t n)
{
	return ((n + 7) & ~7ULL);
}

static uint64_t
rec_size(uint32_t len)
{
	return (CART_REC_HDR + pad8(len));
}

static int
pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t	n;
	size_t	done = 0;

	while (done < len) {
		n = pread(fd, (uint8_t *)buf + done, len - done, off + done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (-1);
		if (n == 0) {		/* past the end of the file */
			memset((uint8_t *)buf + done, 0, len - done);
			return (1);
		}
		done += n;
	}
	return (0);
}

static int
pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	ssize_t	n;
	size_t	done = 0;

	while (done < len) {
		n = pwrite(fd, (const uint8_t *)buf + done, len - done,
		    off + done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-1);
		done += n;
	}
	return (0);
}

int
cart_barcode_ok(const char *b)
{
	size_t	i, n = strlen(b);

	if (n == 0 || n > CART_BARCODE_MAX || b[0] == '.' || b[0] == '-')
		return (-1);
	for (i = 0; i < n; i++)
		if (!((b[i] >= 'A' && b[i] <= 'Z') || (b[i] >= 'a' &&
		    b[i] <= 'z') || (b[i] >= '0' && b[i] <= '9') ||
		    b[i] == '-' || b[i] == '_' || b[i] == '.'))
			return (-1);
	return (0);
}

/* Header copy <-> struct cart. */
static void
hdr_pack(const struct cart *c, uint8_t *h)
{
	const struct cart_info	*in = &c->info;

	memset(h, 0, HDR_SIZE);
	memcpy(h, HDR_MAGIC, 8);
	put_be32(&h[8], HDR_VERSION);
	put_be32(&h[12], c->seq);
	put_be32(&h[16], in->wp ? 1 : 0);
	h[20] = in->type;
	h[21] = in->density;
	put_be64(&h[24], in->capacity);
	put_be64(&h[32], in->load_count);
	put_be32(&h[40], c->epoch);
	put_be64(&h[48], c->idx_off);
	put_be64(&h[56], c->idx_slots);
	put_be64(&h[64], c->data_off);
	put_be64(&h[72], in->created);
	memcpy(&h[80], in->barcode, strnlen(in->barcode, CART_BARCODE_MAX));
	put_be32(&h[120], in->mam_len);
	memcpy(&h[128], in->mam, in->mam_len);
	put_be32(&h[HDR_CRC_AT], crc32c(h, HDR_CRC_AT));
}

static int
hdr_unpack(struct cart *c, const uint8_t *h)
{
	struct cart_info	*in = &c->info;
	uint64_t		 cap, ioff, islots, doff;

	if (memcmp(h, HDR_MAGIC, 8) != 0 || get_be32(&h[8]) != HDR_VERSION ||
	    get_be32(&h[HDR_CRC_AT]) != crc32c(h, HDR_CRC_AT))
		return (-1);
	cap = get_be64(&h[24]);
	ioff = get_be64(&h[48]);
	islots = get_be64(&h[56]);
	doff = get_be64(&h[64]);
	if (cap < CART_MIN_CAPACITY || cap > CART_MAX_CAPACITY ||
	    ioff != IDX_OFF || islots > (1ULL << 40) ||
	    doff < ioff + islots * IDX_ENT || doff > (1ULL << 48) ||
	    h[20] > CART_CLEANING || get_be32(&h[120]) > CART_MAM_MAX ||
	    h[80 + CART_BARCODE_MAX] != '\0')
		return (-1);
	memset(in, 0, sizeof(*in));
	c->seq = get_be32(&h[12]);
	in->wp = get_be32(&h[16]) & 1;
	in->type = h[20];
	in->density = h[21];
	in->capacity = cap;
	in->load_count = get_be64(&h[32]);
	c->epoch = get_be32(&h[40]);
	c->idx_off = ioff;
	c->idx_slots = islots;
	c->data_off = doff;
	in->created = get_be64(&h[72]);
	memcpy(in->barcode, &h[80], CART_BARCODE_MAX);
	in->mam_len = get_be32(&h[120]);
	memcpy(in->mam, &h[128], in->mam_len);
	return (0);
}

int
cart_save_info(struct cart *c)
{
	uint8_t	h[HDR_SIZE];

	if (c->ro) {
		errno = EROFS;
		return (-1);
	}
	c->seq++;
	hdr_pack(c, h);
	if (pwrite_full(c->fd, h, HDR_SIZE, (c->seq & 1) * HDR_SIZE) == -1 ||
	    fdatasync(c->fd) == -1) {
		c->seq--;
		return (-1);
	}
	return (0);
}

int
cart_sync(struct cart *c)
{
	return (fdatasync(c->fd));
}

int
cart_create(int fd, const char *barcode, uint64_t capacity, int type,
    char *err, size_t errlen)
{
	struct cart	*c;
	uint8_t		 z[HDR_SIZE];
	int		 rc = -1;

	if (cart_barcode_ok(barcode) == -1) {
		snprintf(err, errlen, "invalid barcode \"%s\"", barcode);
		return (-1);
	}
	if (capacity < CART_MIN_CAPACITY || capacity > CART_MAX_CAPACITY) {
		snprintf(err, errlen, "capacity out of range (1 MiB-64 TiB)");
		return (-1);
	}
	if (type < CART_DATA || type > CART_CLEANING) {
		snprintf(err, errlen, "unknown cartridge type %d", type);
		return (-1);
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	c->fd = fd;
	strlcpy(c->info.barcode, barcode, sizeof(c->info.barcode));
	c->info.type = type;
	c->info.capacity = capacity;
	c->info.created = time(NULL);
	c->idx_off = IDX_OFF;
	c->idx_slots = capacity / 2048 < 1024 ? 1024 : capacity / 2048;
	c->data_off = (c->idx_off + c->idx_slots * IDX_ENT + 65535) &
	    ~65535ULL;
	c->epoch = 1;
	c->seq = 0;			/* cart_save_info() writes copy 1 */
	memset(z, 0, sizeof(z));
	if (ftruncate(fd, c->data_off) == -1 ||
	    pwrite_full(fd, z, HDR_SIZE, 0) == -1 || cart_save_info(c) == -1)
		snprintf(err, errlen, "cannot write: %s", strerror(errno));
	else
		rc = 0;
	free(c);
	return (rc);
}

/* A record header: 0 and its fields, or -1. */
static int
rec_parse(const struct cart *c, const uint8_t *h, uint64_t off,
    uint8_t *type, uint32_t *len, uint32_t *epoch, uint64_t *objno)
{
	if (get_be32(&h[0]) != REC_MAGIC ||
	    get_be32(&h[28]) != crc32c(h, 28))
		return (-1);
	*type = h[4];
	*len = get_be32(&h[8]);
	*epoch = get_be32(&h[12]);
	*objno = get_be64(&h[16]);
	if (*type < CART_REC_DATA || *type > CART_REC_EOD)
		return (-1);
	if (*type != CART_REC_DATA && *len != 0)
		return (-1);
	if (*len > CART_MAX_BLOCK || *epoch > c->epoch ||
	    off + rec_size(*len) > c->data_off + c->info.capacity)
		return (-1);
	return (0);
}

static int
rec_read_hdr(const struct cart *c, uint64_t off, uint8_t *type,
    uint32_t *len, uint32_t *epoch, uint64_t *objno)
{
	uint8_t	h[CART_REC_HDR];

	if (off + CART_REC_HDR > c->data_off + c->info.capacity)
		return (-1);
	if (pread_full(c->fd, h, sizeof(h), off) != 0)
		return (-1);
	return (rec_parse(c, h, off, type, len, epoch, objno));
}

static void
ent_pack(uint8_t *e, const struct cart_ent *x, uint32_t epoch)
{
	memset(e, 0, IDX_ENT);
	put_be16(&e[0], IDX_MAGIC);
	e[2] = x->type;
	put_be32(&e[4], epoch);
	put_be64(&e[8], x->objno);
	put_be64(&e[16], x->off);
	put_be32(&e[28], crc32c(e, 28));
}

/* Grow an array to hold one more. */
static int
grow(void **p, size_t *cap, size_t n, size_t size)
{
	void	*q;
	size_t	 nc;

	if (n < *cap)
		return (0);
	nc = *cap ? *cap * 2 : 256;
	if ((q = reallocarray(*p, nc, size)) == NULL)
		return (-1);
	*p = q;
	*cap = nc;
	return (0);
}

/* Append an entry to the index in memory. */
static int
ent_push(struct cart *c, uint8_t type, uint64_t objno, uint64_t off)
{
	struct cart_ent	*e;

	if (grow((void **)&c->ent, &c->entcap, c->nent, sizeof(*c->ent)) ==
	    -1)
		return (-1);
	if (type == CART_REC_FILEMARK) {
		if (grow((void **)&c->fm, &c->fmcap, c->nfm,
		    sizeof(*c->fm)) == -1)
			return (-1);
		c->fm[c->nfm++] = objno;
	}
	e = &c->ent[c->nent++];
	e->objno = objno;
	e->off = off;
	e->type = type;
	return (0);
}

/*
 * A record joins the index when it is a filemark or CART_STRIDE objects
 * after the last entry; the entry goes to the file while the entries
 * before it are there and there is room.
 */
static int
idx_add(struct cart *c, uint8_t type, uint64_t objno, uint64_t off,
    uint32_t epoch)
{
	uint8_t		 b[IDX_ENT];
	uint64_t	 last;

	if (type == CART_REC_EOD)
		return (0);
	last = c->nent > 0 ? c->ent[c->nent - 1].objno : 0;
	if (c->nent > 0 && objno <= last)
		return (0);
	if (type != CART_REC_FILEMARK && objno - last < CART_STRIDE)
		return (0);
	if (ent_push(c, type, objno, off) == -1)
		return (-1);
	if (!c->ro && c->ndisk == c->nent - 1 && c->ndisk < c->idx_slots) {
		ent_pack(b, &c->ent[c->nent - 1], epoch);
		if (pwrite_full(c->fd, b, IDX_ENT, c->idx_off + c->ndisk *
		    IDX_ENT) == 0)
			c->ndisk++;
	}
	return (0);
}

/* First index entry with objno >= n. */
static size_t
ent_lower(const struct cart *c, uint64_t n)
{
	size_t	lo = 0, hi = c->nent, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (c->ent[mid].objno < n)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo);
}

static size_t
fm_lower(const struct cart *c, uint64_t n)
{
	size_t	lo = 0, hi = c->nfm, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (c->fm[mid] < n)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo);
}

/* Zero the index slots [from, to) in the file. */
static int
idx_zero(struct cart *c, uint64_t from, uint64_t to)
{
	uint8_t		z[4096];
	uint64_t	n;

	if (c->ro)
		return (0);
	memset(z, 0, sizeof(z));
	while (from < to) {
		n = (to - from) * IDX_ENT;
		if (n > sizeof(z))
			n = sizeof(z);
		if (pwrite_full(c->fd, z, n, c->idx_off + from * IDX_ENT) ==
		    -1)
			return (-1);
		from += n / IDX_ENT;
	}
	return (0);
}

/* Forget the index from object n on, in memory and in the file. */
static int
idx_cut(struct cart *c, uint64_t n)
{
	size_t	k = ent_lower(c, n);

	c->nfm = fm_lower(c, n);
	c->nent = k;
	if (c->ndisk > k) {
		if (idx_zero(c, k, c->ndisk) == -1)
			return (-1);
		c->ndisk = k;
	}
	return (0);
}

/*
 * Writing before the end of data: a new epoch, durable before any record
 * of it, and no index entry of what goes away.
 */
static int
truncate_here(struct cart *c)
{
	c->epoch++;
	if (cart_save_info(c) == -1) {
		c->epoch--;
		return (-1);
	}
	if (idx_cut(c, c->pos) == -1 || fdatasync(c->fd) == -1)
		return (-1);
	c->eod = c->pos;
	c->eod_off = c->pos_off;
	return (0);
}

/* Read the index from the file; entries must point at their records. */
static void
idx_load(struct cart *c)
{
	uint8_t		 buf[IDX_ENT * 128], *e, type, rtype;
	uint64_t	 slot, objno, off, robjno, prev_objno = 0, prev_off = 0;
	uint32_t	 epoch, repoch, len;
	size_t		 i, n;
	int		 zero, r;

	for (slot = 0; slot < c->idx_slots; slot += n) {
		n = c->idx_slots - slot < 128 ? c->idx_slots - slot : 128;
		if ((r = pread_full(c->fd, buf, n * IDX_ENT, c->idx_off +
		    slot * IDX_ENT)) == -1)
			return;
		for (i = 0; i < n; i++) {
			e = &buf[i * IDX_ENT];
			type = e[2];
			epoch = get_be32(&e[4]);
			objno = get_be64(&e[8]);
			off = get_be64(&e[16]);
			if (get_be16(&e[0]) != IDX_MAGIC ||
			    get_be32(&e[28]) != crc32c(e, 28) ||
			    (type != CART_REC_DATA &&
			    type != CART_REC_FILEMARK) ||
			    (c->nent > 0 && (objno <= prev_objno ||
			    off <= prev_off)) || off < c->data_off ||
			    rec_read_hdr(c, off, &rtype, &len, &repoch,
			    &robjno) == -1 || rtype != type ||
			    robjno != objno || repoch != epoch)
				goto bad;
			if (ent_push(c, type, objno, off) == -1)
				goto bad;
			c->ndisk = c->nent;
			prev_objno = objno;
			prev_off = off;
		}
		if (r == 1)
			break;
	}
	return;
 bad:
	/*
	 * A torn or stale entry: clear it and whatever follows up to the
	 * first empty slot, so that no later entry is taken for the index.
	 */
	c->ndisk = c->nent;
	slot += i;
	for (; slot < c->idx_slots; slot++) {
		if (pread_full(c->fd, buf, IDX_ENT, c->idx_off + slot *
		    IDX_ENT) != 0)
			break;
		for (zero = 1, i = 0; i < IDX_ENT; i++)
			if (buf[i] != 0)
				zero = 0;
		if (zero)
			break;
		if (idx_zero(c, slot, slot + 1) == -1)
			break;
	}
}

/*
 * Walk the records after the last index entry to the end of data: the
 * first that does not check out (or an end-of-data mark) ends the tape.
 */
static int
walk_to_eod(struct cart *c)
{
	uint8_t		*data = NULL, type;
	uint64_t	 objno = 0, off = c->data_off, robjno;
	uint32_t	 epoch = 0, len, repoch;
	uint8_t		 h[CART_REC_HDR];
	void		*q;
	size_t		 dcap = 0;
	int		 rc = 0, r;

	if (c->nent > 0) {
		objno = c->ent[c->nent - 1].objno;
		off = c->ent[c->nent - 1].off;
	}
	for (;;) {
		if (off + CART_REC_HDR > c->data_off + c->info.capacity)
			break;
		if ((r = pread_full(c->fd, h, sizeof(h), off)) == -1) {
			rc = -1;
			break;
		}
		/*
		 * Not a record, or one a rewrite left behind (older), or
		 * not the next one: the end.  Garbage here is a torn
		 * header or the leftovers of longer records, alike.
		 */
		if (rec_parse(c, h, off, &type, &len, &repoch, &robjno) == -1 ||
		    robjno != objno || repoch < epoch)
			break;
		if (type == CART_REC_EOD)
			break;
		if (len > 0) {
			if (len > dcap) {
				if ((q = realloc(data, len)) == NULL) {
					rc = -1;
					break;
				}
				data = q;
				dcap = len;
			}
			if (pread_full(c->fd, data, len, off + CART_REC_HDR) !=
			    0 || get_be32(&h[24]) != crc32c(data, len)) {
				c->cut++;
				break;
			}
		}
		if (idx_add(c, type, objno, off, repoch) == -1) {
			rc = -1;
			break;
		}
		epoch = repoch;
		objno++;
		off += rec_size(len);
	}
	free(data);
	if (rc == -1)
		return (-1);
	/* an indexed record that did not check out leaves the index */
	if (idx_cut(c, objno) == -1)
		return (-1);
	c->eod = objno;
	c->eod_off = off;
	return (0);
}

int
cart_open(struct cart *c, int fd, char *err, size_t errlen)
{
	uint8_t		h[2][HDR_SIZE];
	struct cart	t[2];
	int		ok[2], i, r;

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	if ((r = fcntl(fd, F_GETFL)) != -1 && (r & O_ACCMODE) == O_RDONLY)
		c->ro = 1;
	for (i = 0; i < 2; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		r = pread_full(fd, h[i], HDR_SIZE, i * HDR_SIZE);
		if (r == -1) {
			snprintf(err, errlen, "read: %s", strerror(errno));
			return (-1);
		}
		ok[i] = r == 0 && hdr_unpack(&t[i], h[i]) == 0;
	}
	if (!ok[0] && !ok[1]) {
		snprintf(err, errlen, "not a tgt cartridge (no valid header)");
		return (-1);
	}
	i = !ok[0] || (ok[1] && t[1].seq > t[0].seq) ? 1 : 0;
	c->info = t[i].info;
	c->seq = t[i].seq;
	c->epoch = t[i].epoch;
	c->idx_off = t[i].idx_off;
	c->idx_slots = t[i].idx_slots;
	c->data_off = t[i].data_off;
	idx_load(c);
	if (walk_to_eod(c) == -1) {
		snprintf(err, errlen, "reading records: %s", strerror(errno));
		cart_close(c);
		return (-1);
	}
	c->pos = 0;
	c->pos_off = c->data_off;
	return (0);
}

void
cart_close(struct cart *c)
{
	free(c->ent);
	free(c->fm);
	c->ent = NULL;
	c->fm = NULL;
	c->nent = c->entcap = c->nfm = c->fmcap = 0;
}

int
cart_locate(struct cart *c, uint64_t n)
{
	uint64_t	objno = 0, off = c->data_off, robjno;
	uint32_t	len, epoch;
	uint8_t		type;
	size_t		k;

	if (n > c->eod) {
		errno = EINVAL;
		return (-1);
	}
	if (n == c->eod) {
		c->pos = c->eod;
		c->pos_off = c->eod_off;
		return (0);
	}
	k = ent_lower(c, n + 1);		/* first entry > n */
	if (k > 0) {
		objno = c->ent[k - 1].objno;
		off = c->ent[k - 1].off;
	}
	if (c->pos <= n && c->pos > objno) {
		objno = c->pos;
		off = c->pos_off;
	}
	while (objno < n) {
		if (rec_read_hdr(c, off, &type, &len, &epoch, &robjno) == -1 ||
		    robjno != objno) {
			errno = EIO;
			return (-1);
		}
		off += rec_size(len);
		objno++;
	}
	c->pos = n;
	c->pos_off = off;
	return (0);
}

int
cart_peek(struct cart *c, struct cart_rec *r)
{
	uint64_t	robjno;
	uint32_t	epoch;

	r->len = 0;
	if (c->pos >= c->eod) {
		r->type = CART_REC_EOD;
		return (0);
	}
	if (rec_read_hdr(c, c->pos_off, &r->type, &r->len, &epoch,
	    &robjno) == -1 || robjno != c->pos || r->type == CART_REC_EOD) {
		errno = EIO;
		return (-1);
	}
	return (0);
}

int
cart_read(struct cart *c, uint8_t *buf, uint32_t buflen, struct cart_rec *r)
{
	uint8_t		h[CART_REC_HDR], *tmp = NULL, *dst;
	uint64_t	robjno;
	uint32_t	epoch;
	int		rc = -1;

	if (cart_peek(c, r) == -1)
		return (-1);
	if (r->type == CART_REC_EOD)
		return (0);
	if (r->len > 0) {
		dst = buf;
		if (buflen < r->len) {
			if ((tmp = malloc(r->len)) == NULL)
				return (-1);
			dst = tmp;
		}
		if (pread_full(c->fd, h, sizeof(h), c->pos_off) != 0 ||
		    rec_parse(c, h, c->pos_off, &r->type, &r->len, &epoch,
		    &robjno) == -1 || pread_full(c->fd, dst, r->len,
		    c->pos_off + CART_REC_HDR) != 0 ||
		    get_be32(&h[24]) != crc32c(dst, r->len)) {
			errno = EIO;
			goto out;
		}
		if (tmp != NULL && buflen > 0)
			memcpy(buf, tmp, buflen);
	}
	c->pos++;
	c->pos_off += rec_size(r->len);
	rc = 0;
 out:
	free(tmp);
	return (rc);
}

static int
rec_put(struct cart *c, int type, const uint8_t *buf, uint32_t len)
{
	uint8_t		h[CART_REC_HDR], pad[8];
	struct iovec	iov[3];
	ssize_t		n;
	uint64_t	total = rec_size(len), done;
	int		i;

	memset(h, 0, sizeof(h));
	memset(pad, 0, sizeof(pad));
	put_be32(&h[0], REC_MAGIC);
	h[4] = type;
	put_be32(&h[8], len);
	put_be32(&h[12], c->epoch);
	put_be64(&h[16], c->pos);
	put_be32(&h[24], len > 0 ? crc32c(buf, len) : 0);
	put_be32(&h[28], crc32c(h, 28));
	iov[0].iov_base = h;
	iov[0].iov_len = sizeof(h);
	iov[1].iov_base = (void *)(uintptr_t)buf;
	iov[1].iov_len = len;
	iov[2].iov_base = pad;
	iov[2].iov_len = total - CART_REC_HDR - len;
	/* the whole record, resuming a short write where it stopped */
	for (done = 0, i = 0; done < total;) {
		n = pwritev(c->fd, &iov[i], 3 - i, c->pos_off + done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-1);
		done += n;
		while (i < 3 && (size_t)n >= iov[i].iov_len) {
			n -= iov[i].iov_len;
			i++;
		}
		if (i < 3) {
			iov[i].iov_base = (uint8_t *)iov[i].iov_base + n;
			iov[i].iov_len -= n;
		}
	}
	return (0);
}

int
cart_write(struct cart *c, int type, const uint8_t *buf, uint32_t len)
{
	uint64_t	off = c->pos_off;

	if (c->ro) {
		errno = EROFS;
		return (-1);
	}
	if ((type != CART_REC_DATA && type != CART_REC_FILEMARK) ||
	    (type == CART_REC_FILEMARK && len != 0) || len > CART_MAX_BLOCK) {
		errno = EINVAL;
		return (-1);
	}
	if (off + rec_size(len) > c->data_off + c->info.capacity) {
		errno = ENOSPC;
		return (-1);
	}
	if (c->pos != c->eod && truncate_here(c) == -1)
		return (-1);
	if (rec_put(c, type, buf, len) == -1)
		return (-1);
	c->pos++;
	c->pos_off += rec_size(len);
	c->eod = c->pos;
	c->eod_off = c->pos_off;
	return (idx_add(c, type, c->pos - 1, off, c->epoch));
}

int
cart_erase(struct cart *c)
{
	if (c->ro) {
		errno = EROFS;
		return (-1);
	}
	if (c->pos != c->eod && truncate_here(c) == -1)
		return (-1);
	if (c->pos_off + CART_REC_HDR <= c->data_off + c->info.capacity &&
	    rec_put(c, CART_REC_EOD, NULL, 0) == -1)
		return (-1);
	c->eod = c->pos;
	c->eod_off = c->pos_off;
	return (0);
}

uint64_t
cart_fm_before(const struct cart *c, uint64_t n)
{
	return (fm_lower(c, n));
}

uint64_t
cart_fm_objno(const struct cart *c, uint64_t k)
{
	return (k < c->nfm ? c->fm[k] : UINT64_MAX);
}

uint64_t
cart_fm_next(const struct cart *c, uint64_t n)
{
	size_t	k = fm_lower(c, n);

	return (k < c->nfm ? c->fm[k] : UINT64_MAX);
}

uint64_t
cart_fm_prev(const struct cart *c, uint64_t n)
{
	size_t	k = fm_lower(c, n);

	return (k > 0 ? c->fm[k - 1] : UINT64_MAX);
}

uint64_t
cart_used(const struct cart *c, uint64_t off)
{
	return (off - c->data_off);
}

uint64_t
cart_remaining(const struct cart *c)
{
	return (c->data_off + c->info.capacity - c->pos_off);
}
