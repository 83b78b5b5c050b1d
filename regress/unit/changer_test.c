/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Unit tests for the media changer (tgt-lun/smc.c) through scsi_exec():
 * the element map (addresses, READ ELEMENT STATUS pages and byte counts
 * for every type and all at once, volume tags, device identifiers, a
 * start address and a count), moves between slots, a move into a drive
 * that waits for the master and completes, refused moves, EXCHANGE
 * MEDIUM, mail slots and their lock, and the inventory file (a restart
 * finds it, a torn copy leaves the other).
 */

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "../../tgt-lun/lun.h"
#include "ring.h"
#include "../../tgt-lun/scsi.h"
#include "unit.h"

static struct lun	 L;
static uint8_t		 buf[65536];
static int		 inv_fd = -1;
static struct msg_lun_move last_move;
static int		 nmoves, completed;

static int
stub_send(void *arg, uint32_t type, const void *data, size_t len)
{
	if (type == MSG_LUN_MOVE && len == sizeof(last_move)) {
		memcpy(&last_move, data, len);
		nmoves++;
	}
	return (0);
}

static int
changer_start(int placed)
{
	struct msg_lun_config	 cfg;
	struct msg_changer	*mc;
	char			 err[256];
	int			 rc, fd = -1;

	memset(&cfg, 0, sizeof(cfg));
	cfg.type = LUN_TYPE_CHANGER;
	cfg.lun = 2;
	strlcpy(cfg.target, "iqn.2026-11.org.example:vtl", sizeof(cfg.target));
	strlcpy(cfg.serial, "LIB01", sizeof(cfg.serial));
	cfg.naa[0] = 0x60;
	if (lun_init(&L, &cfg, -1, NULL, err, sizeof(err)) == -1) {
		printf("  lun_init: %s\n", err);
		return (-1);
	}
	smc_set_sender(&L, stub_send, NULL);
	if ((mc = calloc(1, sizeof(*mc))) == NULL)
		return (-1);
	mc->nslots = 6;
	mc->nmail = 2;
	mc->ndrives = 2;
	strlcpy(mc->drive[0].serial, "DRV0001", sizeof(mc->drive[0].serial));
	strlcpy(mc->drive[1].serial, "DRV0002", sizeof(mc->drive[1].serial));
	strlcpy(mc->drive[1].barcode, "INDRIVE", sizeof(mc->drive[1].barcode));
	if (placed) {
		mc->nplaced = 3;
		mc->placed[0].kind = CHANGER_SLOT;
		mc->placed[0].index = 1;
		strlcpy(mc->placed[0].barcode, "A00001", 40);
		mc->placed[1].kind = CHANGER_SLOT;
		mc->placed[1].index = 3;
		strlcpy(mc->placed[1].barcode, "A00003", 40);
		/* also in a drive: the drive wins */
		mc->placed[2].kind = CHANGER_SLOT;
		mc->placed[2].index = 6;
		strlcpy(mc->placed[2].barcode, "INDRIVE", 40);
	}
	if (inv_fd != -1 && (fd = dup(inv_fd)) == -1)
		return (-1);
	rc = smc_configure(&L, mc, fd, err, sizeof(err));
	if (rc == -1)
		printf("  smc_configure: %s\n", err);
	free(mc);
	return (rc);
}

struct res {
	int		 rc;
	uint8_t		 status;
	uint8_t		 key;
	uint16_t	 asc;
	uint32_t	 len, want;
};

static void
done_cb(struct scsi_cmd *cmd)
{
	completed++;
}

static struct scsi_cmd	 pcmd;		/* the last command run */

static struct res
run_cmd(struct scsi_cmd *cmd, const uint8_t *cdb, uint8_t dir, uint32_t len)
{
	struct res	r;

	memset(&r, 0, sizeof(r));
	scsi_cmd_init(cmd, &L, NULL, NULL, cdb, 16, dir, len ? buf : NULL,
	    len);
	cmd->done = done_cb;
	r.rc = scsi_exec(cmd);
	r.status = cmd->status;
	r.len = cmd->len;
	r.want = cmd->want;
	if (cmd->sense_len > 0)
		sense_parse(cmd->sense, cmd->sense_len, &r.key, &r.asc);
	return (r);
}

static struct res
run(const uint8_t *cdb, uint8_t dir, uint32_t len)
{
	return (run_cmd(&pcmd, cdb, dir, len));
}

static int
chk(struct res r, uint8_t key, uint16_t asc)
{
	return (r.status == SAM_STAT_CHECK_CONDITION && r.key == key &&
	    r.asc == asc);
}

static struct res
res(uint8_t type, int voltag, int dvcid, uint16_t start, uint16_t n,
    uint32_t alloc)
{
	uint8_t	c[16];

	memset(c, 0, sizeof(c));
	c[0] = 0xb8;
	c[1] = (voltag ? 0x10 : 0) | type;
	put_be16(&c[2], start);
	put_be16(&c[4], n);
	c[6] = dvcid ? 1 : 0;
	put_be24(&c[7], alloc);
	memset(buf, 0xee, sizeof(buf));
	return (run(c, RING_DIR_READ, alloc));
}

static struct res
move_cmd(struct scsi_cmd *cmd, uint16_t src, uint16_t dst)
{
	uint8_t	c[16];

	memset(c, 0, sizeof(c));
	c[0] = 0xa5;
	put_be16(&c[4], src);
	put_be16(&c[6], dst);
	return (run_cmd(cmd, c, RING_DIR_NONE, 0));
}

static struct res
move(uint16_t src, uint16_t dst)
{
	return (move_cmd(&pcmd, src, dst));
}

/* The descriptor of element addr in a READ ELEMENT STATUS answer. */
static const uint8_t *
find_desc(uint32_t n, uint16_t addr, uint8_t *type)
{
	uint32_t	off = 8, end, dl;

	while (off + 8 <= n) {
		dl = get_be16(&buf[off + 2]);
		end = off + 8 + get_be24(&buf[off + 5]);
		*type = buf[off];
		for (off += 8; dl > 0 && off + dl <= end; off += dl)
			if (get_be16(&buf[off]) == addr)
				return (&buf[off]);
		off = end;
	}
	return (NULL);
}

static void
test_element_map(void)
{
	struct res	 r;
	const uint8_t	*d;
	uint8_t		 type, c[16];
	uint32_t	 total;

	REQUIRE(changer_start(1) == 0);
	/* all, with volume tags and device identifiers */
	r = res(0, 1, 1, 0, 0xffff, sizeof(buf));
	total = 8 + (8 + 1 * 48) + (8 + 2 * 48) + (8 + 2 * 84) +
	    (8 + 6 * 48);
	CHECK(r.status == SAM_STAT_GOOD && r.len == total);
	CHECK(get_be16(&buf[0]) == 0 && get_be16(&buf[2]) == 11 &&
	    get_be24(&buf[5]) == total - 8);
	/* pages in address order: MT, I/E, DT, ST */
	CHECK(buf[8] == 1 && buf[8 + 56] == 3 && buf[8 + 56 + 104] == 4 &&
	    buf[8 + 56 + 104 + 176] == 2);
	CHECK(get_be16(&buf[8 + 56 + 104 + 2]) == 84 &&
	    get_be24(&buf[8 + 56 + 104 + 5]) == 168);
	d = find_desc(r.len, 0x1000, &type);
	CHECK(d != NULL && type == 2 && (d[2] & 0x01) &&
	    memcmp(&d[12], "A00001  ", 8) == 0);
	d = find_desc(r.len, 0x1005, &type);
	CHECK(d != NULL && !(d[2] & 0x01));	/* INDRIVE is not here */
	d = find_desc(r.len, 0x101, &type);
	CHECK(d != NULL && type == 4 && (d[2] & 0x01) &&
	    memcmp(&d[12], "INDRIVE ", 8) == 0 && d[48] == 2 &&
	    d[51] == 32 && memcmp(&d[52], "DRV0002 ", 8) == 0);
	d = find_desc(r.len, 0x10, &type);
	CHECK(d != NULL && type == 3 && (d[2] & 0x30) == 0x30);
	/* a cut allocation length keeps the byte counts */
	r = res(0, 1, 1, 0, 0xffff, 30);
	CHECK(r.status == SAM_STAT_GOOD && r.len == 30 && r.want == 30 &&
	    get_be24(&buf[5]) == total - 8 && buf[30] == 0xee);
	/* one type, from an address, a count */
	r = res(2, 0, 0, 0x1002, 2, sizeof(buf));
	CHECK(r.len == 8 + 8 + 2 * 12 && get_be16(&buf[0]) == 0x1002 &&
	    get_be16(&buf[2]) == 2 && get_be16(&buf[10]) == 12 &&
	    get_be16(&buf[16]) == 0x1002 && get_be16(&buf[28]) == 0x1003);
	r = res(5, 0, 0, 0, 1, 64);
	CHECK(chk(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB));
	r = res(0, 0, 0, 0x2000, 1, 64);
	CHECK(chk(r, SK_ILLEGAL_REQUEST, 0x2101));
	/* mode page 1Dh */
	memset(c, 0, sizeof(c));
	c[0] = MODE_SENSE_6;
	c[2] = 0x1d;
	c[4] = 255;
	r = run(c, RING_DIR_READ, 255);
	CHECK(r.status == SAM_STAT_GOOD && r.len == 24 && buf[3] == 0 &&
	    get_be16(&buf[4 + 6]) == 0x1000 && get_be16(&buf[4 + 8]) == 6 &&
	    get_be16(&buf[4 + 16]) == 2);
	/* INQUIRY */
	memset(c, 0, sizeof(c));
	c[0] = INQUIRY;
	c[4] = 96;
	r = run(c, RING_DIR_READ, 96);
	CHECK(r.status == SAM_STAT_GOOD && buf[0] == TYPE_MEDIUM_CHANGER &&
	    get_be16(&buf[62]) == VD_SMC3);
	lun_fini(&L);
}

static void
test_moves(void)
{
	struct msg_lun_move_done	 md;
	struct scsi_cmd			 pend;
	struct res			 r;
	const uint8_t			*d;
	uint8_t				 type, c[16];
	uint16_t			 asc;

	REQUIRE(changer_start(1) == 0);
	/* between slots: at once */
	CHECK(move(0x1000, 0x1001).status == SAM_STAT_GOOD);
	r = res(2, 1, 0, 0x1001, 1, sizeof(buf));
	d = find_desc(r.len, 0x1001, &type);
	CHECK(d != NULL && (d[2] & 1) && (d[9] & 0x80) &&
	    get_be16(&d[10]) == 0x1000);
	CHECK(chk(move(0x1000, 0x1002), SK_ILLEGAL_REQUEST, 0x3b0e));
	CHECK(chk(move(0x1001, 0x1002), SK_ILLEGAL_REQUEST, 0x3b0d));
	CHECK(chk(move(0x1001, 0x0000), SK_ILLEGAL_REQUEST, 0x2101));
	/* into a drive: the master is asked, the command waits */
	nmoves = completed = 0;
	r = move_cmd(&pend, 0x1001, 0x100);
	CHECK(r.rc == SCSI_PENDING && nmoves == 1 &&
	    last_move.op == MOVE_TO_DRIVE && last_move.drive == 0 &&
	    strcmp(last_move.barcode, "A00001") == 0);
	/* one at a time */
	CHECK(move(0x1002, 0x1004).status == SAM_STAT_BUSY);
	memset(&md, 0, sizeof(md));
	md.id = last_move.id + 1;		/* not ours: ignored */
	md.ok = 1;
	smc_move_done(&L, &md);
	CHECK(completed == 0);
	md.id = last_move.id;
	smc_move_done(&L, &md);
	CHECK(completed == 1 && pend.status == SAM_STAT_GOOD);
	r = res(4, 1, 0, 0x100, 1, sizeof(buf));
	d = find_desc(r.len, 0x100, &type);
	CHECK(d != NULL && (d[2] & 1) && memcmp(&d[12], "A00001", 6) == 0);
	/* out of the drive, refused by the master: the sense it says */
	r = move_cmd(&pend, 0x100, 0x1000);
	CHECK(r.rc == SCSI_PENDING && last_move.op == MOVE_FROM_DRIVE);
	memset(&md, 0, sizeof(md));
	md.id = last_move.id;
	md.key = SK_ILLEGAL_REQUEST;
	md.ascq = ASC_MEDIUM_REMOVAL_PREVENTED;
	smc_move_done(&L, &md);
	CHECK(completed == 2 && pend.status == SAM_STAT_CHECK_CONDITION &&
	    sense_parse(pend.sense, pend.sense_len, &type, &asc) == 0 &&
	    asc == ASC_MEDIUM_REMOVAL_PREVENTED);
	r = res(4, 1, 0, 0x100, 1, sizeof(buf));
	d = find_desc(r.len, 0x100, &type);
	CHECK(d != NULL && (d[2] & 1));
	/* a drive changed by tgtctl */
	{
		struct msg_changer_drive	cd;

		memset(&cd, 0, sizeof(cd));
		cd.drive = 0;
		smc_drive_changed(&L, &cd);
		r = res(4, 1, 0, 0x100, 1, sizeof(buf));
		d = find_desc(r.len, 0x100, &type);
		CHECK(d != NULL && !(d[2] & 1));
	}
	/* drive to drive: out of drive 0 (empty now), A00003 in first */
	{
		struct msg_changer_drive	cd;

		memset(&cd, 0, sizeof(cd));
		cd.drive = 1;			/* INDRIVE taken out */
		smc_drive_changed(&L, &cd);
	}
	r = move_cmd(&pend, 0x1002, 0x100);
	REQUIRE(r.rc == SCSI_PENDING);
	memset(&md, 0, sizeof(md));
	md.id = last_move.id;
	md.ok = 1;
	smc_move_done(&L, &md);
	nmoves = 0;
	completed = 0;
	r = move_cmd(&pend, 0x100, 0x101);
	CHECK(r.rc == SCSI_PENDING && nmoves == 1 &&
	    last_move.op == MOVE_FROM_DRIVE && last_move.drive == 0);
	md.id = last_move.id;
	smc_move_done(&L, &md);
	CHECK(completed == 0 && nmoves == 2 && last_move.op == MOVE_TO_DRIVE &&
	    last_move.drive == 1 && strcmp(last_move.barcode, "A00003") == 0);
	md.id = last_move.id;
	smc_move_done(&L, &md);
	CHECK(completed == 1 && pend.status == SAM_STAT_GOOD);
	r = res(4, 1, 0, 0, 0xffff, sizeof(buf));
	d = find_desc(r.len, 0x101, &type);
	CHECK(d != NULL && (d[2] & 1) && memcmp(&d[12], "A00003", 6) == 0);
	d = find_desc(r.len, 0x100, &type);
	CHECK(d != NULL && !(d[2] & 1));
	/* back, the second drive refuses: to the slot it came from */
	r = move_cmd(&pend, 0x101, 0x100);
	md.id = last_move.id;
	smc_move_done(&L, &md);
	md.id = last_move.id;
	md.ok = 0;
	md.key = SK_MEDIUM_ERROR;
	md.ascq = 0x3000;
	smc_move_done(&L, &md);
	CHECK(completed == 2 && pend.status == SAM_STAT_CHECK_CONDITION);
	r = res(0, 1, 0, 0, 0xffff, sizeof(buf));
	d = find_desc(r.len, 0x1002, &type);
	CHECK(d != NULL && (d[2] & 1) && memcmp(&d[12], "A00003", 6) == 0);
	d = find_desc(r.len, 0x101, &type);
	CHECK(d != NULL && !(d[2] & 1));
	/* EXCHANGE MEDIUM: slot 3 and mail slot... a swap of two slots */
	CHECK(move(0x1002, 0x1004).status == SAM_STAT_GOOD);	/* A00003 */
	CHECK(move(0x1004, 0x10).status == SAM_STAT_GOOD);
	CHECK(move(0x10, 0x1000).status == SAM_STAT_GOOD);
	memset(c, 0, sizeof(c));
	c[0] = 0xa6;
	put_be16(&c[4], 0x1000);
	put_be16(&c[6], 0x101);			/* a drive: refused */
	put_be16(&c[8], 0x1000);
	CHECK(chk(run(c, RING_DIR_NONE, 0), SK_ILLEGAL_REQUEST, 0x2101));
	lun_fini(&L);
}

static void
test_mail_and_inventory(void)
{
	struct ctl_mailslot	 cm;
	struct res		 r;
	const uint8_t		*d;
	uint8_t			 type, z[64];
	char			 path[64], err[128];
	uint16_t		 asc;
	struct nexus		*nx;

	strlcpy(path, "/tmp/changer_test.XXXXXX", sizeof(path));
	REQUIRE((inv_fd = mkstemp(path)) != -1);
	unlink(path);
	REQUIRE(changer_start(1) == 0);
	REQUIRE((nx = nexus_get(&L, 0, 1)) != NULL);
	while (lun_ua_take(&L, nx, &asc))
		;
	memset(&cm, 0, sizeof(cm));
	cm.op = MAILSLOT_INSERT;
	strlcpy(cm.barcode, "MAIL01", sizeof(cm.barcode));
	CHECK(smc_mailslot(&L, &cm, err, sizeof(err)) == 0);
	CHECK(lun_ua_take(&L, nx, &asc) && asc == ASC_IE_ACCESSED);
	CHECK(smc_mailslot(&L, &cm, err, sizeof(err)) == -1);	/* twice */
	strlcpy(cm.barcode, "A00001", sizeof(cm.barcode));
	/* in a slot already */
	CHECK(smc_mailslot(&L, &cm, err, sizeof(err)) == -1);
	strlcpy(cm.barcode, "MAIL02", sizeof(cm.barcode));
	CHECK(smc_mailslot(&L, &cm, err, sizeof(err)) == 0);
	strlcpy(cm.barcode, "MAIL03", sizeof(cm.barcode));
	CHECK(smc_mailslot(&L, &cm, err, sizeof(err)) == -1);	/* full */
	/* locked by PREVENT MEDIUM REMOVAL */
	nx->prevent = 1;
	cm.op = MAILSLOT_EJECT;
	strlcpy(cm.barcode, "MAIL02", sizeof(cm.barcode));
	CHECK(smc_mailslot(&L, &cm, err, sizeof(err)) == -1 &&
	    strstr(err, "locked") != NULL);
	nx->prevent = 0;
	CHECK(smc_mailslot(&L, &cm, err, sizeof(err)) == 0);
	r = res(3, 1, 0, 0, 0xffff, sizeof(buf));
	d = find_desc(r.len, 0x10, &type);
	CHECK(d != NULL && (d[2] & 0x03) == 0x03 &&
	    memcmp(&d[12], "MAIL01", 6) == 0);
	d = find_desc(r.len, 0x11, &type);
	CHECK(d != NULL && !(d[2] & 1));
	CHECK(move(0x10, 0x1005).status == SAM_STAT_GOOD);
	lun_fini(&L);

	/* the restart finds the inventory, not the placed cartridges */
	REQUIRE(changer_start(0) == 0);
	r = res(2, 1, 0, 0, 0xffff, sizeof(buf));
	d = find_desc(r.len, 0x1005, &type);
	CHECK(d != NULL && (d[2] & 1) && memcmp(&d[12], "MAIL01", 6) == 0);
	d = find_desc(r.len, 0x1000, &type);
	CHECK(d != NULL && (d[2] & 1) && memcmp(&d[12], "A00001", 6) == 0);
	/* move once more, then tear the newest copy: the older counts */
	CHECK(move(0x1005, 0x1004).status == SAM_STAT_GOOD);
	lun_fini(&L);
	{
		uint8_t	h0[12], h1[12];
		int	newer;

		REQUIRE(pread(inv_fd, h0, 12, 0) == 12 &&
		    pread(inv_fd, h1, 12, 65536) == 12);
		newer = get_be32(&h1[8]) > get_be32(&h0[8]) ? 1 : 0;
		memset(z, 0x77, sizeof(z));
		REQUIRE(pwrite(inv_fd, z, sizeof(z), newer * 65536 + 40) ==
		    (ssize_t)sizeof(z));
	}
	REQUIRE(changer_start(0) == 0);
	r = res(2, 1, 0, 0, 0xffff, sizeof(buf));
	d = find_desc(r.len, 0x1005, &type);
	CHECK(d != NULL && (d[2] & 1) && memcmp(&d[12], "MAIL01", 6) == 0);
	d = find_desc(r.len, 0x1004, &type);
	CHECK(d != NULL && !(d[2] & 1));
	lun_fini(&L);
	close(inv_fd);
	inv_fd = -1;
}

/* After a restart of the suite the drives come back empty: restored. */
static void
test_restore(void)
{
	struct msg_lun_move_done	 md;
	struct res			 r;
	const uint8_t			*d;
	uint8_t				 type;
	char				 path[64];

	strlcpy(path, "/tmp/changer_test.XXXXXX", sizeof(path));
	REQUIRE((inv_fd = mkstemp(path)) != -1);
	unlink(path);
	REQUIRE(changer_start(1) == 0);
	/* A00001 into drive 0, done by the master */
	nmoves = 0;
	r = move(0x1000, 0x100);
	REQUIRE(r.rc == SCSI_PENDING && nmoves == 1);
	memset(&md, 0, sizeof(md));
	md.id = last_move.id;
	md.ok = 1;
	smc_move_done(&L, &md);
	lun_fini(&L);
	/* the suite restarts: the master starts drive 0 empty */
	nmoves = 0;
	REQUIRE(changer_start(0) == 0);
	CHECK(nmoves == 1 && last_move.op == MOVE_TO_DRIVE &&
	    last_move.drive == 0 && strcmp(last_move.barcode, "A00001") == 0);
	CHECK(move(0x1002, 0x1003).status == SAM_STAT_BUSY);
	md.id = last_move.id;
	smc_move_done(&L, &md);
	r = res(4, 1, 0, 0x100, 1, sizeof(buf));
	d = find_desc(r.len, 0x100, &type);
	CHECK(d != NULL && (d[2] & 1) && memcmp(&d[12], "A00001", 6) == 0 &&
	    (d[9] & 0x80) && get_be16(&d[10]) == 0x1000);
	CHECK(move(0x1002, 0x1003).status == SAM_STAT_GOOD);
	lun_fini(&L);
	/* again, and the master cannot: back to the slot it came from */
	nmoves = 0;
	REQUIRE(changer_start(0) == 0);
	CHECK(nmoves == 1);
	md.id = last_move.id;
	md.ok = 0;
	strlcpy(md.text, "no such file", sizeof(md.text));
	smc_move_done(&L, &md);
	r = res(0, 1, 0, 0, 0xffff, sizeof(buf));
	d = find_desc(r.len, 0x100, &type);
	CHECK(d != NULL && !(d[2] & 1));
	d = find_desc(r.len, 0x1000, &type);
	CHECK(d != NULL && (d[2] & 1) && memcmp(&d[12], "A00001", 6) == 0);
	lun_fini(&L);
	close(inv_fd);
	inv_fd = -1;
}

int
main(void)
{
	log_init(1, 0, "changer_test");
	UNIT_RUN(test_element_map);
	UNIT_RUN(test_moves);
	UNIT_RUN(test_mail_and_inventory);
	UNIT_RUN(test_restore);
	return (UNIT_END("changer"));
}
