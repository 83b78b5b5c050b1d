/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Media changers: SCSI media changer commands (SMC-3) for a library of
 * storage slots, import/export elements (mail slots) and tape drives
 * that are LUNs of their own, and the changer's command table, mode
 * pages and element map (devtype_changer).
 *
 * The changer process holds the inventory of its slots and mail slots
 * (saved in its inventory file, which the master opens in the state
 * directory) and knows what the drives hold from the master, which
 * owns the cartridges: a MOVE MEDIUM into or out of a drive is sent to
 * the master (smc->send), which opens the cartridge and hands it to the
 * drive's process or takes it back, and answers with smc_move_done();
 * the command waits meanwhile.  Moves between slots and mail slots are
 * the changer's own.
 *
 * Element addresses: the medium transport 0, mail slots from 10h,
 * drives from 100h, slots from 1000h (mode page 1Dh).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <isa-l/crc.h>

#include "cartridge.h"
#include "log.h"
#include "lun.h"
#include "scsi.h"

#define INITIALIZE_ELEMENT_STATUS	0x07
#define INIT_ELEMENT_STATUS_RANGE	0x37
#define POSITION_TO_ELEMENT		0x2b
#define MOVE_MEDIUM			0xa5
#define EXCHANGE_MEDIUM			0xa6
#define READ_ELEMENT_STATUS		0xb8

#define MODE_PAGE_ELEMENT_ADDRESS	0x1d
#define MODE_PAGE_TRANSPORT_GEOMETRY	0x1e
#define MODE_PAGE_DEVICE_CAPABILITIES	0x1f

/* element type codes */
#define ET_ALL				0
#define ET_TRANSPORT			1
#define ET_STORAGE			2
#define ET_IMPORT_EXPORT		3
#define ET_DATA_TRANSFER		4

#define ADDR_TRANSPORT			0x0000
#define ADDR_MAIL			0x0010
#define ADDR_DRIVE			0x0100
#define ADDR_SLOT			0x1000

#define ASC_INVALID_ELEMENT		0x2101
#define ASC_SOURCE_EMPTY		0x3b0e
#define ASC_DESTINATION_FULL		0x3b0d
#define ASC_BECOMING_READY		0x0401

/* the inventory file: two copies, the newer good one counts */
#define INV_MAGIC	"TGTSMC01"
#define INV_COPY	(64 * 1024)
#define INV_HDR		32
#define INV_ENT		48

struct smc_elem {
	uint8_t		 type;		/* ET_* */
	uint16_t	 addr;
	uint16_t	 src;		/* where a cartridge came from */
	uint8_t		 srcvalid;
	uint8_t		 imported;	/* mail slot: the operator's */
	char		 barcode[TGT_BARCODE_MAX];	/* "" empty */
};

struct changer {
	int		 configured;
	uint32_t	 nslots, nmail, ndrives;
	struct smc_elem	*elem;		/* MT, IE, DT, ST by address */
	size_t		 nelem;
	char		 serial[CHANGER_DRIVES_MAX][TGT_BARCODE_MAX];
	int		 inv_fd;
	uint32_t	 inv_seq;
	smc_send_fn	 send;
	void		*send_arg;
	/* the one move through the master at a time */
	struct scsi_cmd	*pending;
	uint32_t	 pending_id;
	uint16_t	 pend_src, pend_dst;
	int		 pend_two;	/* drive to drive: out first */
	int		 pend_half;	/* drive to drive: in, second */
	uint32_t	 next_id;
	/*
	 * What the inventory says the drives held: a drive the master
	 * starts empty gets it back (a restart of the suite), one at a
	 * time, before the robot takes commands.
	 */
	struct {
		char	 barcode[TGT_BARCODE_MAX];
		uint16_t src;
		uint8_t	 srcvalid;
	} restore[CHANGER_DRIVES_MAX];
	int		 restoring;	/* drive index + 1, 0 if none */
	uint32_t	 restore_id;
};

static void	 restore_next(struct changer *);
static void	 inv_report(struct changer *);

static struct changer *
changer_of(struct lun *lun)
{
	return (lun->dt == &devtype_changer ? lun->dev : NULL);
}

static struct smc_elem *
elem_find(struct changer *ch, uint16_t addr)
{
	size_t	i;

	for (i = 0; i < ch->nelem; i++)
		if (ch->elem[i].addr == addr)
			return (&ch->elem[i]);
	return (NULL);
}

static struct smc_elem *
elem_holding(struct changer *ch, const char *barcode)
{
	size_t	i;

	for (i = 0; i < ch->nelem; i++)
		if (ch->elem[i].barcode[0] != '\0' &&
		    strcmp(ch->elem[i].barcode, barcode) == 0)
			return (&ch->elem[i]);
	return (NULL);
}

static int
smc_init(struct lun *lun, int fd, char *err, size_t errlen)
{
	struct changer	*ch;

	if (fd != -1) {
		snprintf(err, errlen, "a media changer has no backing store");
		return (-1);
	}
	if ((ch = calloc(1, sizeof(*ch))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	ch->inv_fd = -1;
	lun->dev = ch;
	lun->fd = -1;
	lun->removable = 1;		/* PREVENT ALLOW locks mail slots */
	return (0);
}

static void
smc_fini(struct lun *lun)
{
	struct changer	*ch = lun->dev;

	if (ch == NULL)
		return;
	if (ch->inv_fd != -1)
		close(ch->inv_fd);
	free(ch->elem);
	free(ch);
	lun->dev = NULL;
}

void
smc_set_sender(struct lun *lun, smc_send_fn fn, void *arg)
{
	struct changer	*ch;

	if ((ch = changer_of(lun)) != NULL) {
		ch->send = fn;
		ch->send_arg = arg;
	}
}

static uint32_t
inv_crc(const uint8_t *p, size_t n)
{
	return (~crc32_iscsi((unsigned char *)(uintptr_t)p, (int)n,
	    0xffffffffu));
}

/* Save the slots and mail slots: the other copy, then it counts. */
static int
inv_save(struct changer *ch)
{
	uint8_t		*b, *e;
	uint32_t	 n = 0;
	size_t		 i;
	int		 rv = 0;

	if (ch->inv_fd == -1)
		return (0);
	if ((b = calloc(1, INV_COPY)) == NULL)
		return (-1);
	for (i = 0; i < ch->nelem; i++) {
		if (ch->elem[i].type == ET_TRANSPORT ||
		    ch->elem[i].barcode[0] == '\0')
			continue;
		if (INV_HDR + (n + 1) * INV_ENT > INV_COPY)
			break;
		e = &b[INV_HDR + n * INV_ENT];
		e[0] = ch->elem[i].type;
		e[1] = (ch->elem[i].srcvalid ? 1 : 0) |
		    (ch->elem[i].imported ? 2 : 0);
		put_be16(&e[2], ch->elem[i].addr);
		put_be16(&e[4], ch->elem[i].src);
		memcpy(&e[8], ch->elem[i].barcode,
		    strnlen(ch->elem[i].barcode, TGT_BARCODE_MAX - 1));
		n++;
	}
	memcpy(b, INV_MAGIC, 8);
	put_be32(&b[8], ch->inv_seq + 1);
	put_be32(&b[16], ch->nslots);
	put_be32(&b[20], ch->nmail);
	put_be32(&b[24], n);
	put_be32(&b[12], inv_crc(&b[16], INV_HDR - 16 + n * INV_ENT));
	if (pwrite(ch->inv_fd, b, INV_COPY, (off_t)((ch->inv_seq + 1) & 1) *
	    INV_COPY) != INV_COPY || fdatasync(ch->inv_fd) == -1)
		rv = -1;
	else
		ch->inv_seq++;
	free(b);
	return (rv);
}

/* The inventory changed: on disk, and to the master. */
static int
inv_changed(struct changer *ch)
{
	int	rv = inv_save(ch);

	inv_report(ch);
	return (rv);
}

/* Tell the master what every element holds (tgtctl show cartridges). */
static void
inv_report(struct changer *ch)
{
	struct msg_inventory	*mi;
	const struct smc_elem	*el;
	size_t			 i;

	if (ch->send == NULL || (mi = calloc(1, sizeof(*mi))) == NULL)
		return;
	for (i = 0; i < ch->nelem && mi->n < sizeof(mi->e) / sizeof(mi->e[0]); i++) {
		el = &ch->elem[i];
		if (el->type == ET_TRANSPORT || el->barcode[0] == '\0')
			continue;
		switch (el->type) {
		case ET_STORAGE:
			mi->e[mi->n].kind = CHANGER_SLOT;
			mi->e[mi->n].index = el->addr - ADDR_SLOT + 1;
			break;
		case ET_IMPORT_EXPORT:
			mi->e[mi->n].kind = CHANGER_MAILSLOT;
			mi->e[mi->n].index = el->addr - ADDR_MAIL + 1;
			break;
		default:
			mi->e[mi->n].kind = CHANGER_DRIVE;
			mi->e[mi->n].index = el->addr - ADDR_DRIVE;
			break;
		}
		strlcpy(mi->e[mi->n].barcode, el->barcode,
		    sizeof(mi->e[0].barcode));
		mi->n++;
	}
	if (ch->send(ch->send_arg, MSG_LUN_INVENTORY, mi, sizeof(*mi)) == -1)
		log_warnx("cannot send the inventory");
	free(mi);
}

/*
 * Load the inventory file (untrusted like any input): 1 if a copy for
 * these slots and mail slots was taken, 0 if none.
 */
static int
inv_load(struct changer *ch)
{
	uint8_t		*b, *e;
	uint32_t	 seq[2] = { 0, 0 }, n, i;
	int		 ok[2], c, best = -1;
	struct smc_elem	*el;
	char		 bc[TGT_BARCODE_MAX];

	if (ch->inv_fd == -1 || (b = malloc(2 * INV_COPY)) == NULL)
		return (0);
	for (c = 0; c < 2; c++) {
		ok[c] = pread(ch->inv_fd, b + c * INV_COPY, INV_COPY,
		    (off_t)c * INV_COPY) == INV_COPY;
		e = b + c * INV_COPY;
		if (!ok[c])
			continue;
		n = get_be32(&e[24]);
		ok[c] = memcmp(e, INV_MAGIC, 8) == 0 &&
		    n <= (INV_COPY - INV_HDR) / INV_ENT &&
		    get_be32(&e[12]) == inv_crc(&e[16], INV_HDR - 16 +
		    n * INV_ENT) && get_be32(&e[16]) == ch->nslots &&
		    get_be32(&e[20]) == ch->nmail;
		seq[c] = get_be32(&e[8]);
		if (ok[c] && (best == -1 || seq[c] > seq[best]))
			best = c;
	}
	if (best == -1) {
		free(b);
		return (0);
	}
	ch->inv_seq = seq[best];
	e = b + best * INV_COPY;
	n = get_be32(&e[24]);
	for (i = 0; i < n; i++) {
		e = b + best * INV_COPY + INV_HDR + i * INV_ENT;
		memcpy(bc, &e[8], sizeof(bc));
		bc[sizeof(bc) - 1] = '\0';
		if ((el = elem_find(ch, get_be16(&e[2]))) == NULL ||
		    el->type != e[0] || el->type == ET_TRANSPORT ||
		    cart_barcode_ok(bc) == -1)
			continue;
		if (el->type == ET_DATA_TRANSFER) {
			/* the master says what a drive holds: remember */
			strlcpy(ch->restore[el->addr - ADDR_DRIVE].barcode, bc,
			    sizeof(ch->restore[0].barcode));
			ch->restore[el->addr - ADDR_DRIVE].src =
			    get_be16(&e[4]);
			ch->restore[el->addr - ADDR_DRIVE].srcvalid = e[1] & 1;
			continue;
		}
		if (elem_holding(ch, bc) != NULL)
			continue;
		strlcpy(el->barcode, bc, sizeof(el->barcode));
		el->srcvalid = e[1] & 1;
		el->imported = (e[1] & 2) != 0;
		el->src = get_be16(&e[4]);
	}
	free(b);
	return (1);
}

/*
 * The master's MSG_LUN_CHANGER: the elements, the drives' serial
 * numbers and cartridges, the inventory file (inv_fd, or -1) and the
 * cartridges tgt.conf places when there is no inventory yet.
 */
int
smc_configure(struct lun *lun, const struct msg_changer *mc, int inv_fd,
    char *err, size_t errlen)
{
	struct changer	*ch;
	struct smc_elem	*el, *other;
	uint32_t	 i;
	size_t		 n = 0;
	char		 bc[TGT_BARCODE_MAX];

	if ((ch = changer_of(lun)) == NULL || ch->configured) {
		snprintf(err, errlen, "not an unconfigured media changer");
		goto bad;
	}
	if (mc->nslots < 1 || mc->nslots > CHANGER_SLOTS_MAX ||
	    mc->nmail > CHANGER_MAIL_MAX || mc->ndrives >
	    CHANGER_DRIVES_MAX || mc->nplaced > CHANGER_PLACED_MAX) {
		snprintf(err, errlen, "bad changer geometry");
		goto bad;
	}
	ch->nslots = mc->nslots;
	ch->nmail = mc->nmail;
	ch->ndrives = mc->ndrives;
	ch->nelem = 1 + mc->nmail + mc->ndrives + mc->nslots;
	if ((ch->elem = calloc(ch->nelem, sizeof(*ch->elem))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto bad;
	}
	ch->elem[n].type = ET_TRANSPORT;
	ch->elem[n++].addr = ADDR_TRANSPORT;
	for (i = 0; i < mc->nmail; i++) {
		ch->elem[n].type = ET_IMPORT_EXPORT;
		ch->elem[n++].addr = ADDR_MAIL + i;
	}
	for (i = 0; i < mc->ndrives; i++) {
		ch->elem[n].type = ET_DATA_TRANSFER;
		ch->elem[n].addr = ADDR_DRIVE + i;
		memcpy(ch->serial[i], mc->drive[i].serial,
		    sizeof(ch->serial[i]));
		ch->serial[i][sizeof(ch->serial[i]) - 1] = '\0';
		memcpy(bc, mc->drive[i].barcode, sizeof(bc));
		bc[sizeof(bc) - 1] = '\0';
		if (bc[0] != '\0' && cart_barcode_ok(bc) == 0)
			strlcpy(ch->elem[n].barcode, bc,
			    sizeof(ch->elem[n].barcode));
		n++;
	}
	for (i = 0; i < mc->nslots; i++) {
		ch->elem[n].type = ET_STORAGE;
		ch->elem[n++].addr = ADDR_SLOT + i;
	}
	ch->inv_fd = inv_fd;
	inv_fd = -1;
	if (!inv_load(ch)) {
		for (i = 0; i < mc->nplaced; i++) {
			memcpy(bc, mc->placed[i].barcode, sizeof(bc));
			bc[sizeof(bc) - 1] = '\0';
			el = elem_find(ch, (mc->placed[i].kind ==
			    CHANGER_SLOT ? ADDR_SLOT : ADDR_MAIL) +
			    mc->placed[i].index - 1);
			if (el == NULL || mc->placed[i].index < 1 ||
			    (el->type != ET_STORAGE &&
			    el->type != ET_IMPORT_EXPORT) ||
			    el->barcode[0] != '\0' ||
			    cart_barcode_ok(bc) == -1 ||
			    elem_holding(ch, bc) != NULL)
				continue;
			strlcpy(el->barcode, bc, sizeof(el->barcode));
		}
		if (inv_changed(ch) == -1)
			log_warn("inventory file");
	}
	/* a cartridge in a drive is nowhere else */
	for (i = 0; i < ch->nelem; i++) {
		el = &ch->elem[i];
		if (el->type != ET_DATA_TRANSFER || el->barcode[0] == '\0')
			continue;
		while ((other = elem_holding(ch, el->barcode)) != NULL &&
		    other != el)
			other->barcode[0] = '\0';
	}
	ch->configured = 1;
	lun->ejected = 0;
	restore_next(ch);
	return (0);
 bad:
	if (inv_fd != -1)
		close(inv_fd);
	return (-1);
}

/* Ready once the master told it its elements. */
static int
smc_ready(struct scsi_cmd *cmd)
{
	struct changer	*ch = changer_of(cmd->lun);

	if (ch == NULL || !ch->configured) {
		scsi_check(cmd, SK_NOT_READY, ASC_BECOMING_READY);
		return (-1);
	}
	return (0);
}

static void
put_padded(uint8_t *p, const char *s, size_t n)
{
	size_t	l = strlen(s);

	memset(p, ' ', n);
	memcpy(p, s, l < n ? l : n);
}

/* An element descriptor of READ ELEMENT STATUS (SMC-3 6.10). */
static void
res_desc(struct changer *ch, const struct smc_elem *el, int voltag,
    int dvcid, uint8_t *d)
{
	uint32_t	o = 12;

	put_be16(&d[0], el->addr);
	switch (el->type) {
	case ET_IMPORT_EXPORT:
		d[2] = 0x20 | 0x10 | 0x08 |	/* InEnab ExEnab Access */
		    (el->imported ? 0x02 : 0);	/* ImpExp */
		break;
	case ET_STORAGE:
	case ET_DATA_TRANSFER:
		d[2] = 0x08;			/* Access */
		break;
	}
	if (el->barcode[0] != '\0') {
		d[2] |= 0x01;			/* Full */
		d[9] = 0x01;			/* medium type: data */
		if (el->srcvalid) {
			d[9] |= 0x80;		/* SValid */
			put_be16(&d[10], el->src);
		}
	}
	if (voltag) {
		if (el->barcode[0] != '\0')
			put_padded(&d[o], el->barcode, 32);
		o += 36;
	}
	if (dvcid && el->type == ET_DATA_TRANSFER) {
		d[o] = 0x02;			/* ASCII */
		d[o + 1] = 0x00;		/* vendor specific */
		d[o + 3] = 32;
		put_padded(&d[o + 4], ch->serial[el->addr - ADDR_DRIVE], 32);
	}
}

static uint32_t
res_desc_len(uint8_t type, int voltag, int dvcid)
{
	return (12 + (voltag ? 36 : 0) +
	    (dvcid && type == ET_DATA_TRANSFER ? 36 : 0));
}

/*
 * READ ELEMENT STATUS: the elements of a type (or all) from the
 * starting address on, at most the number asked, one element status
 * page per type in address order; byte counts are of what is
 * available, whatever the allocation length cuts.
 */
static int
smc_read_element_status(struct scsi_cmd *cmd)
{
	struct changer	*ch = changer_of(cmd->lun);
	const uint8_t	*c = cmd->cdb;
	uint8_t		*b, *page = NULL;
	uint8_t		 type = c[1] & 0x0f;
	int		 voltag = (c[1] & 0x10) != 0, dvcid = c[6] & 0x01;
	uint16_t	 start = get_be16(&c[2]), max = get_be16(&c[4]);
	uint32_t	 alloc = get_be24(&c[7]), n = 8, dl, count = 0;
	uint16_t	 first = 0;
	size_t		 i;
	uint8_t		 cur = 0xff;

	if (smc_ready(cmd) == -1)
		return (SCSI_DONE);
	if (type > ET_DATA_TRANSFER) {
		scsi_invalid_cdb(cmd, 1, 3);
		return (SCSI_DONE);
	}
	if ((b = calloc(1, 8 + 4 * 8 + ch->nelem * (12 + 36 + 36))) ==
	    NULL) {
		scsi_check(cmd, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
		return (SCSI_DONE);
	}
	for (i = 0; i < ch->nelem && count < max; i++) {
		if ((type != ET_ALL && ch->elem[i].type != type) ||
		    ch->elem[i].addr < start)
			continue;
		dl = res_desc_len(ch->elem[i].type, voltag, dvcid);
		if (ch->elem[i].type != cur) {
			/* a new element status page */
			cur = ch->elem[i].type;
			page = &b[n];
			page[0] = cur;
			page[1] = voltag ? 0x80 : 0;	/* PVolTag */
			put_be16(&page[2], dl);
			n += 8;
		}
		res_desc(ch, &ch->elem[i], voltag, dvcid, &b[n]);
		n += dl;
		put_be24(&page[5], get_be24(&page[5]) + dl);
		if (count++ == 0)
			first = ch->elem[i].addr;
	}
	if (count == 0 && start > ch->elem[ch->nelem - 1].addr) {
		free(b);
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_ELEMENT);
		return (SCSI_DONE);
	}
	put_be16(&b[0], first);
	put_be16(&b[2], count);
	put_be24(&b[5], n - 8);
	scsi_data_in(cmd, b, n, alloc);
	free(b);
	return (SCSI_DONE);
}

static void	 elem_put(struct smc_elem *, const char *,
		    const struct smc_elem *);

/* Move between elements (the drive's part done by the master). */
static void
move_local(struct changer *ch, struct smc_elem *s, struct smc_elem *d)
{
	struct smc_elem	so = *s;

	s->barcode[0] = '\0';
	s->srcvalid = s->imported = 0;
	elem_put(d, so.barcode, &so);
}

/* Source and destination of a move: 0, or -1 with the sense set. */
static int
move_check(struct scsi_cmd *cmd, struct changer *ch, uint16_t taddr,
    uint16_t saddr, uint16_t daddr, struct smc_elem **s,
    struct smc_elem **d)
{
	struct smc_elem	*t = elem_find(ch, taddr);

	*s = elem_find(ch, saddr);
	*d = elem_find(ch, daddr);
	if (t == NULL || t->type != ET_TRANSPORT || *s == NULL ||
	    *d == NULL || (*s)->type == ET_TRANSPORT ||
	    (*d)->type == ET_TRANSPORT) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_ELEMENT);
		return (-1);
	}
	if ((*s)->barcode[0] == '\0') {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_SOURCE_EMPTY);
		return (-1);
	}
	if (*s != *d && (*d)->barcode[0] != '\0') {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_DESTINATION_FULL);
		return (-1);
	}
	return (0);
}

/* MOVE MEDIUM (SMC-3 6.6) */
static int
smc_move_medium(struct scsi_cmd *cmd)
{
	struct changer		*ch = changer_of(cmd->lun);
	const uint8_t		*c = cmd->cdb;
	struct smc_elem		*s, *d;
	struct msg_lun_move	 mv;

	if (smc_ready(cmd) == -1)
		return (SCSI_DONE);
	if (c[10] & 0x01) {			/* INVERT */
		scsi_invalid_cdb(cmd, 10, 0);
		return (SCSI_DONE);
	}
	/* the robot is busy with a move through the master */
	if (ch->pending != NULL || ch->restoring) {
		cmd->status = SAM_STAT_BUSY;
		return (SCSI_DONE);
	}
	if (move_check(cmd, ch, get_be16(&c[2]), get_be16(&c[4]),
	    get_be16(&c[6]), &s, &d) == -1)
		return (SCSI_DONE);
	if (s == d)
		return (SCSI_DONE);
	if (s->type != ET_DATA_TRANSFER && d->type != ET_DATA_TRANSFER) {
		move_local(ch, s, d);
		if (inv_changed(ch) == -1)
			log_warn("inventory file");
		return (SCSI_DONE);
	}
	if (ch->send == NULL) {
		scsi_check(cmd, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
		return (SCSI_DONE);
	}
	memset(&mv, 0, sizeof(mv));
	mv.id = ++ch->next_id;
	/* from drive to drive: out of the first, then into the second */
	ch->pend_two = s->type == ET_DATA_TRANSFER &&
	    d->type == ET_DATA_TRANSFER;
	if (d->type == ET_DATA_TRANSFER && !ch->pend_two) {
		mv.op = MOVE_TO_DRIVE;
		mv.drive = d->addr - ADDR_DRIVE;
	} else {
		mv.op = MOVE_FROM_DRIVE;
		mv.drive = s->addr - ADDR_DRIVE;
	}
	strlcpy(mv.barcode, s->barcode, sizeof(mv.barcode));
	if (ch->send(ch->send_arg, MSG_LUN_MOVE, &mv, sizeof(mv)) == -1) {
		scsi_check(cmd, SK_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE);
		return (SCSI_DONE);
	}
	ch->pending = cmd;
	ch->pending_id = mv.id;
	ch->pend_src = s->addr;
	ch->pend_dst = d->addr;
	return (SCSI_PENDING);
}

/* An empty slot for a cartridge: where it came from, or the first. */
static struct smc_elem *
shelf_for(struct changer *ch, uint16_t src, int srcvalid)
{
	struct smc_elem	*el;
	size_t		 i;

	if (srcvalid && (el = elem_find(ch, src)) != NULL &&
	    el->type == ET_STORAGE && el->barcode[0] == '\0')
		return (el);
	for (i = 0; i < ch->nelem; i++)
		if (ch->elem[i].type == ET_STORAGE &&
		    ch->elem[i].barcode[0] == '\0')
			return (&ch->elem[i]);
	return (NULL);
}

/* Cartridge restore[i] cannot go back in its drive: to a slot. */
static void
restore_shelve(struct changer *ch, uint32_t i)
{
	struct smc_elem	*el;

	if (ch->restore[i].barcode[0] == '\0' ||
	    elem_holding(ch, ch->restore[i].barcode) != NULL)
		return;
	if ((el = shelf_for(ch, ch->restore[i].src,
	    ch->restore[i].srcvalid)) == NULL) {
		log_warnx("cartridge %s: no empty slot, it leaves the "
		    "library", ch->restore[i].barcode);
		return;
	}
	strlcpy(el->barcode, ch->restore[i].barcode, sizeof(el->barcode));
	el->srcvalid = 0;
	log_info("cartridge %s of drive %u back in slot %u",
	    el->barcode, i, el->addr - ADDR_SLOT + 1);
}

/*
 * After a restart: the next drive the inventory says held a cartridge
 * and the master started empty is given it back (a move through the
 * master, like MOVE MEDIUM's); one the master started with another
 * cartridge keeps it, and the inventory's goes to a slot.
 */
static void
restore_next(struct changer *ch)
{
	struct msg_lun_move	 mv;
	struct smc_elem		*el;
	uint32_t		 i;

	ch->restoring = 0;
	for (i = 0; i < ch->ndrives; i++) {
		if (ch->restore[i].barcode[0] == '\0')
			continue;
		el = elem_find(ch, ADDR_DRIVE + i);
		if (strcmp(el->barcode, ch->restore[i].barcode) == 0) {
			el->src = ch->restore[i].src;
			el->srcvalid = ch->restore[i].srcvalid;
		} else if (el->barcode[0] != '\0' || ch->send == NULL ||
		    elem_holding(ch, ch->restore[i].barcode) != NULL)
			restore_shelve(ch, i);
		else {
			memset(&mv, 0, sizeof(mv));
			mv.id = ch->restore_id = ++ch->next_id;
			mv.op = MOVE_TO_DRIVE;
			mv.drive = i;
			strlcpy(mv.barcode, ch->restore[i].barcode,
			    sizeof(mv.barcode));
			if (ch->send(ch->send_arg, MSG_LUN_MOVE, &mv,
			    sizeof(mv)) == 0) {
				ch->restoring = i + 1;
				return;
			}
			restore_shelve(ch, i);
		}
		ch->restore[i].barcode[0] = '\0';
	}
	if (inv_changed(ch) == -1)
		log_warn("inventory file");
}

/* The master's answer to a restore. */
static void
restore_done(struct changer *ch, const struct msg_lun_move_done *md)
{
	uint32_t	 i = ch->restoring - 1;
	struct smc_elem	*el = elem_find(ch, ADDR_DRIVE + i);

	if (md->ok) {
		strlcpy(el->barcode, ch->restore[i].barcode,
		    sizeof(el->barcode));
		el->src = ch->restore[i].src;
		el->srcvalid = ch->restore[i].srcvalid;
		log_info("cartridge %s back in drive %u", el->barcode, i);
	} else {
		log_warnx("cartridge %s not back in drive %u: %s",
		    ch->restore[i].barcode, i, md->text);
		restore_shelve(ch, i);
	}
	ch->restore[i].barcode[0] = '\0';
	restore_next(ch);
}

/* The master did the move into or out of a drive, or says why not. */
void
smc_move_done(struct lun *lun, const struct msg_lun_move_done *md)
{
	struct changer			*ch = changer_of(lun);
	struct scsi_cmd			*cmd;
	struct smc_elem			*s, *d, *other;
	struct msg_lun_move		 mv;
	struct msg_lun_move_done	 fail;

	if (ch != NULL && ch->restoring && md->id == ch->restore_id) {
		restore_done(ch, md);
		return;
	}
	if (ch == NULL || ch->pending == NULL || md->id != ch->pending_id) {
		log_warnx("MOVE_DONE for no move in flight, ignored");
		return;
	}
	memset(&fail, 0, sizeof(fail));
	fail.key = SK_HARDWARE_ERROR;
	fail.ascq = ASC_INTERNAL_TARGET_FAILURE;
	cmd = ch->pending;
	s = elem_find(ch, ch->pend_src);
	d = elem_find(ch, ch->pend_dst);
	if (ch->pend_two && md->ok && s != NULL && d != NULL) {
		/* out of the first drive: now into the second */
		ch->pend_two = 0;
		memset(&mv, 0, sizeof(mv));
		mv.id = ch->pending_id = ++ch->next_id;
		mv.op = MOVE_TO_DRIVE;
		mv.drive = d->addr - ADDR_DRIVE;
		strlcpy(mv.barcode, s->barcode, sizeof(mv.barcode));
		if (ch->send(ch->send_arg, MSG_LUN_MOVE, &mv,
		    sizeof(mv)) == 0) {
			ch->pend_half = 1;
			return;
		}
		md = &fail;
	}
	ch->pending = NULL;
	ch->pend_two = 0;
	if (ch->pend_half) {
		/*
		 * The second half of a drive to drive move: the cartridge
		 * left the first drive.  Refused by the second, it goes to
		 * a slot, where it came from if that one is empty.
		 */
		ch->pend_half = 0;
		if (!md->ok && s != NULL && s->barcode[0] != '\0') {
			other = shelf_for(ch, s->src, s->srcvalid);
			if (other != NULL)
				move_local(ch, s, other);
			else
				s->barcode[0] = '\0';
			if (inv_changed(ch) == -1)
				log_warn("inventory file");
		}
	}
	if (md->ok && s != NULL && d != NULL) {
		move_local(ch, s, d);
		if (inv_changed(ch) == -1)
			log_warn("inventory file");
		cmd->status = SAM_STAT_GOOD;
	} else
		scsi_check(cmd, md->ok ? SK_HARDWARE_ERROR : md->key,
		    md->ok ? ASC_INTERNAL_TARGET_FAILURE : md->ascq);
	scsi_complete(cmd);
}

/*
 * A ring goes away: a move of its in flight completes into the void
 * (the master still does it, and the inventory follows).
 */
void
smc_detach(struct lun *lun, const void *owner)
{
	struct changer	*ch = changer_of(lun);

	if (ch != NULL && ch->pending != NULL && ch->pending->owner == owner)
		ch->pending->owner = NULL;
}

/* What a drive holds changed by other means (tgtctl drive). */
void
smc_drive_changed(struct lun *lun, const struct msg_changer_drive *cd)
{
	struct changer	*ch = changer_of(lun);
	struct smc_elem	*el, *other;
	char		 bc[TGT_BARCODE_MAX];

	if (ch == NULL || !ch->configured || cd->drive >= ch->ndrives)
		return;
	el = elem_find(ch, ADDR_DRIVE + cd->drive);
	memcpy(bc, cd->barcode, sizeof(bc));
	bc[sizeof(bc) - 1] = '\0';
	if (bc[0] != '\0' && cart_barcode_ok(bc) == -1)
		return;
	if (bc[0] != '\0')
		while ((other = elem_holding(ch, bc)) != NULL && other != el)
			other->barcode[0] = '\0';
	strlcpy(el->barcode, bc, sizeof(el->barcode));
	el->srcvalid = 0;
	if (inv_changed(ch) == -1)
		log_warn("inventory file");
}

/*
 * The operator puts a cartridge in a mail slot or takes it out
 * (tgtctl library), unless an I_T nexus prevents medium removal; every
 * I_T nexus hears of it (28/01).  0, or -1 and why not in err.
 */
int
smc_mailslot(struct lun *lun, const struct ctl_mailslot *cm, char *err,
    size_t errlen)
{
	struct changer	*ch = changer_of(lun);
	struct smc_elem	*el = NULL;
	char		 bc[TGT_BARCODE_MAX];
	size_t		 i;

	if (ch == NULL || !ch->configured) {
		snprintf(err, errlen, "not a media changer");
		return (-1);
	}
	memcpy(bc, cm->barcode, sizeof(bc));
	bc[sizeof(bc) - 1] = '\0';
	if (cart_barcode_ok(bc) == -1) {
		snprintf(err, errlen, "invalid barcode");
		return (-1);
	}
	if (lun_prevented(lun)) {
		snprintf(err, errlen, "the mail slots are locked (medium "
		    "removal prevented)");
		return (-1);
	}
	if (cm->op == MAILSLOT_INSERT) {
		if (elem_holding(ch, bc) != NULL) {
			snprintf(err, errlen, "%s is in the library", bc);
			return (-1);
		}
		for (i = 0; i < ch->nelem; i++)
			if (ch->elem[i].type == ET_IMPORT_EXPORT &&
			    ch->elem[i].barcode[0] == '\0') {
				el = &ch->elem[i];
				break;
			}
		if (el == NULL) {
			snprintf(err, errlen, "no empty mail slot");
			return (-1);
		}
		strlcpy(el->barcode, bc, sizeof(el->barcode));
		el->imported = 1;
		el->srcvalid = 0;
	} else if (cm->op == MAILSLOT_EJECT) {
		if ((el = elem_holding(ch, bc)) == NULL ||
		    el->type != ET_IMPORT_EXPORT) {
			snprintf(err, errlen, "%s is in no mail slot", bc);
			return (-1);
		}
		el->barcode[0] = '\0';
		el->imported = 0;
		el->srcvalid = 0;
	} else {
		snprintf(err, errlen, "unknown operation");
		return (-1);
	}
	if (inv_changed(ch) == -1)
		log_warn("inventory file");
	lun_ua_set(lun, UA_IE_ACCESSED, NULL);
	return (0);
}

/* Put cartridge bc (coming from element from) into element el. */
static void
elem_put(struct smc_elem *el, const char *bc, const struct smc_elem *from)
{
	strlcpy(el->barcode, bc, sizeof(el->barcode));
	el->imported = 0;
	el->src = from->type == ET_STORAGE ? from->addr : from->src;
	el->srcvalid = from->type == ET_STORAGE || from->srcvalid;
}

/*
 * EXCHANGE MEDIUM, between slots and mail slots: the source's cartridge
 * to the first destination, whose cartridge goes to the second (which
 * may be the source: a swap).
 */
static int
smc_exchange_medium(struct scsi_cmd *cmd)
{
	struct changer	*ch = changer_of(cmd->lun);
	const uint8_t	*c = cmd->cdb;
	struct smc_elem	*s, *d1, *d2, so, d1o;

	if (smc_ready(cmd) == -1)
		return (SCSI_DONE);
	if (c[10] & 0x03) {			/* INV1, INV2 */
		scsi_invalid_cdb(cmd, 10, 0);
		return (SCSI_DONE);
	}
	if (ch->pending != NULL || ch->restoring) {
		cmd->status = SAM_STAT_BUSY;
		return (SCSI_DONE);
	}
	s = elem_find(ch, get_be16(&c[4]));
	d1 = elem_find(ch, get_be16(&c[6]));
	d2 = elem_find(ch, get_be16(&c[8]));
	if (elem_find(ch, get_be16(&c[2])) == NULL || s == NULL ||
	    d1 == NULL || d2 == NULL || s == d1 || d1 == d2 ||
	    s->type == ET_TRANSPORT || d1->type == ET_TRANSPORT ||
	    d2->type == ET_TRANSPORT || s->type == ET_DATA_TRANSFER ||
	    d1->type == ET_DATA_TRANSFER || d2->type == ET_DATA_TRANSFER) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_ELEMENT);
		return (SCSI_DONE);
	}
	if (s->barcode[0] == '\0' || d1->barcode[0] == '\0') {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_SOURCE_EMPTY);
		return (SCSI_DONE);
	}
	if (d2 != s && d2->barcode[0] != '\0') {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_DESTINATION_FULL);
		return (SCSI_DONE);
	}
	so = *s;
	d1o = *d1;
	s->barcode[0] = '\0';
	s->srcvalid = s->imported = 0;
	elem_put(d1, so.barcode, &so);
	elem_put(d2, d1o.barcode, &d1o);
	if (inv_changed(ch) == -1)
		log_warn("inventory file");
	return (SCSI_DONE);
}

static int
smc_initialize(struct scsi_cmd *cmd)
{
	if (smc_ready(cmd) == -1)
		return (SCSI_DONE);
	return (SCSI_DONE);
}

static int
smc_position(struct scsi_cmd *cmd)
{
	struct changer	*ch = changer_of(cmd->lun);

	if (smc_ready(cmd) == -1)
		return (SCSI_DONE);
	if (elem_find(ch, get_be16(&cmd->cdb[4])) == NULL)
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_ELEMENT);
	return (SCSI_DONE);
}

/* Mode pages 1Dh, 1Eh, 1Fh; none is changeable. */
static uint32_t
smc_mode_page(struct lun *lun, uint8_t page, int pc, uint8_t *p)
{
	struct changer	*ch = lun->dev;

	switch (page) {
	case MODE_PAGE_ELEMENT_ADDRESS:
		memset(p, 0, 20);
		p[0] = page;
		p[1] = 0x12;
		if (pc == 1)
			return (20);
		put_be16(&p[2], ADDR_TRANSPORT);
		put_be16(&p[4], 1);
		put_be16(&p[6], ADDR_SLOT);
		put_be16(&p[8], ch->nslots);
		put_be16(&p[10], ADDR_MAIL);
		put_be16(&p[12], ch->nmail);
		put_be16(&p[14], ADDR_DRIVE);
		put_be16(&p[16], ch->ndrives);
		return (20);
	case MODE_PAGE_TRANSPORT_GEOMETRY:
		memset(p, 0, 4);
		p[0] = page;
		p[1] = 0x02;
		return (4);
	case MODE_PAGE_DEVICE_CAPABILITIES:
		memset(p, 0, 20);
		p[0] = page;
		p[1] = 0x12;
		if (pc == 1)
			return (20);
		p[2] = 0x0e;		/* StorDT, StorI/E, StorST */
		p[4] = 0x0e;		/* moves from MT */
		p[5] = 0x0e;		/* from ST: to DT, I/E, ST */
		p[6] = 0x0e;		/* from I/E */
		p[7] = 0x06;		/* from DT: to I/E, ST */
		p[13] = 0x06;		/* exchanges from ST: I/E, ST */
		p[14] = 0x06;		/* from I/E */
		return (20);
	}
	return (0);
}

static int
smc_mode_page_set(struct lun *lun, const uint8_t *p)
{
	return (0);
}

/* No block descriptor. */
static uint32_t
smc_mode_bd(struct lun *lun, int llbaa, uint8_t *bd)
{
	return (0);
}

static int
smc_mode_bd_set(struct lun *lun, const uint8_t *bd, uint32_t len, int apply)
{
	return (-1);
}

static uint8_t
smc_mode_devspec(struct lun *lun)
{
	return (0);
}

#define LBA4	0xff, 0xff, 0xff, 0xff

/* The changer's commands; cdb.c has those every device type shares. */
static const struct scsi_op smc_ops[] = {
	{ INITIALIZE_ELEMENT_STATUS, 0, 6, 0, smc_initialize,
	    "INITIALIZE ELEMENT STATUS",
	    { 0x07, 0, 0, 0, 0, 0x07 } },
	{ POSITION_TO_ELEMENT, 0, 10, 0, smc_position, "POSITION TO ELEMENT",
	    { 0x2b, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0x01, 0x07 } },
	{ INIT_ELEMENT_STATUS_RANGE, 0, 10, 0, smc_initialize,
	    "INITIALIZE ELEMENT STATUS WITH RANGE",
	    { 0x37, 0x01, 0xff, 0xff, 0, 0, 0xff, 0xff, 0, 0x07 } },
	{ MOVE_MEDIUM, 0, 12, OPF_WRITE, smc_move_medium, "MOVE MEDIUM",
	    { 0xa5, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0x01,
	    0x07 } },
	{ EXCHANGE_MEDIUM, 0, 12, OPF_WRITE, smc_exchange_medium,
	    "EXCHANGE MEDIUM",
	    { 0xa6, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x03,
	    0x07 } },
	{ READ_ELEMENT_STATUS, 0, 12, OPF_READ, smc_read_element_status,
	    "READ ELEMENT STATUS",
	    { 0xb8, 0x1f, 0xff, 0xff, 0xff, 0xff, 0x03, 0xff, 0xff, 0xff, 0,
	    0x07 } },
};

static const uint8_t smc_vpd[1];
static const uint8_t smc_mode_pages[] = { MODE_PAGE_CONTROL,
    MODE_PAGE_INFO_EXCEPTIONS, MODE_PAGE_ELEMENT_ADDRESS,
    MODE_PAGE_TRANSPORT_GEOMETRY, MODE_PAGE_DEVICE_CAPABILITIES };

const struct devtype devtype_changer = {
	.name = "changer",
	.pdt = TYPE_MEDIUM_CHANGER,
	.inq5 = 0,
	.version = VD_SMC3,
	.product = "CHANGER",
	.ops = smc_ops,
	.nops = sizeof(smc_ops) / sizeof(smc_ops[0]),
	.init = smc_init,
	.fini = smc_fini,
	.vpd = smc_vpd,
	.nvpd = 0,
	.mode_pages = smc_mode_pages,
	.nmode_pages = sizeof(smc_mode_pages),
	.mode_page = smc_mode_page,
	.mode_page_set = smc_mode_page_set,
	.mode_bd = smc_mode_bd,
	.mode_bd_set = smc_mode_bd_set,
	.mode_devspec = smc_mode_devspec,
};
