/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Unit tests for the passthrough device type and its sg backend.  The
 * test plays the sg driver on the other end of a SOCK_SEQPACKET pair:
 * tgt-lun's write(2) of a struct sg_io_hdr arrives whole as one packet,
 * the test does what the device would (fills the data buffer and the
 * sense buffer the header points to, in this same process) and writes
 * the header back with the status, residual and host status, as sg's
 * read(2) returns it.  Checked: the CDB and the buffer go as they are,
 * status, sense and residual come back as they are, REPORT LUNS stays
 * the target's, the target's NAA designator is appended to a Device
 * Identification page without a unique designator and not to one that
 * has one, an aborted command reports TASK ABORTED, a LOGICAL UNIT
 * RESET waits for the command in the device (a child process answers
 * it) and asks for the device's reset, more commands than
 * sg's queue wait and go in order, a transport error and a vanished
 * device end cleanly.
 */

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <scsi/sg.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../tgt-lun/backend.h"
#include "../../tgt-lun/lun.h"
#include "ring.h"
#include "../../tgt-lun/scsi.h"
#include "unit.h"

static struct lun	 L;
static int		 dev = -1;	/* the "driver" end */
static int		 ndone;

static void
done(struct scsi_cmd *cmd)
{
	ndone++;
}

static int
pt_open_flags(uint32_t flags)
{
	struct msg_lun_config	cfg;
	char			err[256];
	int			sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1)
		return (-1);
	memset(&cfg, 0, sizeof(cfg));
	cfg.type = LUN_TYPE_PASSTHROUGH;
	cfg.flags = flags;
	cfg.lun = 1;
	strlcpy(cfg.path, "/dev/sg-test", sizeof(cfg.path));
	memset(cfg.naa, 0x6a, sizeof(cfg.naa));
	if (lun_init(&L, &cfg, sv[0], NULL, err, sizeof(err)) == -1) {
		printf("  lun_init: %s\n", err);
		close(sv[0]);
		close(sv[1]);
		return (-1);
	}
	dev = sv[1];
	ndone = 0;
	return (0);
}

static int
pt_open(void)
{
	return (pt_open_flags(0));
}

static void
pt_close(void)
{
	lun_fini(&L);
	close(L.fd);
	if (dev != -1)
		close(dev);
	dev = -1;
}

static void
cmd_start(struct scsi_cmd *cmd, const uint8_t *cdb, uint8_t dir,
    uint8_t *buf, uint32_t len)
{
	uint8_t	c[16];

	memset(c, 0, sizeof(c));
	memcpy(c, cdb, cdb_length(cdb) > 0 ? cdb_length(cdb) : 16);
	/* the portal hands the whole 16 bytes of the BHS */
	scsi_cmd_init(cmd, &L, NULL, NULL, c, 16, dir, buf, len);
	cmd->done = done;
}

/* The driver's side: the next header tgt-lun wrote, or -1. */
static int
drv_get(struct sg_io_hdr *h)
{
	return (recv(dev, h, sizeof(*h), MSG_DONTWAIT) == sizeof(*h) ? 0 :
	    -1);
}

static void
drv_put(struct sg_io_hdr *h, uint8_t status, int resid, uint16_t host,
    const uint8_t *sense, uint8_t slen)
{
	h->status = status;
	h->masked_status = status >> 1;
	h->resid = resid;
	h->host_status = host;
	h->sb_len_wr = 0;
	if (slen > 0) {
		memcpy(h->sbp, sense, slen);
		h->sb_len_wr = slen;
	}
	if (write(dev, h, sizeof(*h)) != sizeof(*h))
		printf("  drv_put: %s\n", strerror(errno));
}

/* INQUIRY goes to the device: its data, its residual, its type. */
static void
test_forward_inquiry(void)
{
	static const uint8_t	 cdb[6] = { INQUIRY, 0, 0, 0, 96, 0 };
	struct scsi_cmd		 cmd;
	struct sg_io_hdr	 h;
	uint8_t			 buf[96];

	REQUIRE(pt_open() == 0);
	cmd_start(&cmd, cdb, RING_DIR_READ, buf, sizeof(buf));
	CHECK(scsi_exec(&cmd) == SCSI_PENDING);
	REQUIRE(drv_get(&h) == 0);
	CHECK(h.interface_id == 'S');
	CHECK(h.cmd_len == 6);
	CHECK(memcmp(h.cmdp, cdb, 6) == 0);
	CHECK(h.dxfer_direction == SG_DXFER_FROM_DEV);
	CHECK(h.dxfer_len == 96);
	CHECK(h.dxferp == buf);		/* the command's own buffer */
	CHECK(h.usr_ptr == &cmd);
	memset(h.dxferp, 0, 36);
	((uint8_t *)h.dxferp)[0] = 0x01;	/* a tape drive */
	memcpy((uint8_t *)h.dxferp + 8, "ACME    ", 8);
	drv_put(&h, SAM_STAT_GOOD, 96 - 36, 0, NULL, 0);
	CHECK(ndone == 0);
	CHECK(L.be->poll(&L, 0) == 1);
	CHECK(ndone == 1);
	CHECK(cmd.status == SAM_STAT_GOOD);
	CHECK(cmd.len == 36);
	CHECK(buf[0] == 0x01 && memcmp(&buf[8], "ACME", 4) == 0);
	CHECK(L.ninflight == 0);
	pt_close();
}

/* A CHECK CONDITION comes back with the device's own sense data. */
static void
test_forward_sense(void)
{
	static const uint8_t	 cdb[6] = { TEST_UNIT_READY };
	static const uint8_t	 sense[18] = { 0x70, 0, SK_NOT_READY, 0, 0,
	    0, 0, 10, 0, 0, 0, 0, 0x3a, 0x02 };
	struct scsi_cmd		 cmd;
	struct sg_io_hdr	 h;

	REQUIRE(pt_open() == 0);
	cmd_start(&cmd, cdb, RING_DIR_NONE, NULL, 0);
	CHECK(scsi_exec(&cmd) == SCSI_PENDING);
	REQUIRE(drv_get(&h) == 0);
	CHECK(h.dxfer_direction == SG_DXFER_NONE);
	CHECK(h.mx_sb_len >= sizeof(sense));
	drv_put(&h, SAM_STAT_CHECK_CONDITION, 0, 0, sense, sizeof(sense));
	CHECK(L.be->poll(&L, 1) == 1);
	CHECK(cmd.status == SAM_STAT_CHECK_CONDITION);
	CHECK(cmd.sense_len == sizeof(sense));
	CHECK(memcmp(cmd.sense, sense, sizeof(sense)) == 0);
	pt_close();
}

/* A write's buffer goes out as it is; a short one reports its residual. */
static void
test_forward_write(void)
{
	static const uint8_t	 cdb[10] = { WRITE_10, 0, 0, 0, 0, 8, 0, 0,
	    2, 0 };
	struct scsi_cmd		 cmd;
	struct sg_io_hdr	 h;
	uint8_t			 buf[1024];

	REQUIRE(pt_open() == 0);
	memset(buf, 0xa5, sizeof(buf));
	cmd_start(&cmd, cdb, RING_DIR_WRITE, buf, sizeof(buf));
	CHECK(scsi_exec(&cmd) == SCSI_PENDING);
	REQUIRE(drv_get(&h) == 0);
	CHECK(h.cmd_len == 10);
	CHECK(h.dxfer_direction == SG_DXFER_TO_DEV);
	CHECK(h.dxfer_len == sizeof(buf));
	CHECK(h.dxferp == buf);
	drv_put(&h, SAM_STAT_GOOD, 512, 0, NULL, 0);
	CHECK(L.be->poll(&L, 1) == 1);
	CHECK(cmd.status == SAM_STAT_GOOD);
	CHECK(cmd.len == 512);
	pt_close();
}

/* REPORT LUNS is the target's: answered at once, nothing to the device. */
static void
test_report_luns_local(void)
{
	static const uint8_t	 cdb[12] = { REPORT_LUNS, 0, 0, 0, 0, 0, 0,
	    0, 0, 64 };
	struct scsi_cmd		 cmd;
	struct sg_io_hdr	 h;
	uint8_t			 buf[64];
	int			 known;

	REQUIRE(pt_open() == 0);
	cmd_start(&cmd, cdb, RING_DIR_READ, buf, sizeof(buf));
	CHECK(scsi_exec(&cmd) == SCSI_DONE);
	CHECK(cmd.status == SAM_STAT_GOOD);
	CHECK(cmd.len >= 16);
	CHECK(drv_get(&h) == -1);
	/* and the emulated SPC commands are not looked up */
	CHECK(scsi_op_lookup(&devtype_passthrough, (const uint8_t[]){
	    INQUIRY, 0, 0, 0, 36, 0 }, &known) == NULL);
	CHECK(scsi_op_lookup(&devtype_passthrough, (const uint8_t[]){
	    MODE_SENSE_6, 0, 0x3f, 0, 36, 0 }, &known) == NULL);
	pt_close();
}

/* Device Identification page: the target's NAA only where none is. */
static void
vpd83(const uint8_t *page, uint32_t plen, uint8_t *buf, uint32_t alloc,
    struct scsi_cmd *cmd)
{
	uint8_t			 cdb[6] = { INQUIRY, 0x01, 0x83, 0, 0, 0 };
	struct sg_io_hdr	 h;

	cdb[4] = alloc;
	memset(buf, 0, 256);
	cmd_start(cmd, cdb, RING_DIR_READ, buf, alloc);
	CHECK(scsi_exec(cmd) == SCSI_PENDING);
	REQUIRE(drv_get(&h) == 0);
	memcpy(h.dxferp, page, plen < alloc ? plen : alloc);
	drv_put(&h, SAM_STAT_GOOD, plen < alloc ? alloc - plen : 0, 0, NULL,
	    0);
	CHECK(L.be->poll(&L, 1) == 1);
}

static void
test_vpd83(void)
{
	/* a T10 vendor ID designator only, as a qemu disk without a WWN */
	static const uint8_t	 t10[4 + 4 + 16] = { 0, 0x83, 0, 20,
	    0x02, 0x01, 0, 16, 'Q', 'E', 'M', 'U', ' ', ' ', ' ', ' ',
	    'Q', 'E', 'M', 'U', ' ', 'H', 'D', ' ' };
	/* an NAA designator of the logical unit */
	static const uint8_t	 naa[4 + 12] = { 0, 0x83, 0, 12,
	    0x01, 0x03, 0, 8, 0x53, 0x33, 0x33, 0x33, 1, 2, 3, 4 };
	struct scsi_cmd		 cmd;
	uint8_t			 buf[256];

	REQUIRE(pt_open() == 0);
	vpd83(t10, sizeof(t10), buf, 255, &cmd);
	CHECK(cmd.status == SAM_STAT_GOOD);
	CHECK(get_be16(&buf[2]) == 20 + 20);
	CHECK(cmd.len == sizeof(t10) + 20);
	CHECK(buf[24] == 0x01 && buf[25] == 0x03 && buf[27] == 16);
	CHECK(buf[28] == 0x6a && buf[43] == 0x6a);
	CHECK(memcmp(buf, t10 + 0, 2) == 0 && memcmp(&buf[4], &t10[4],
	    20) == 0);

	/* one that has its own is left alone */
	vpd83(naa, sizeof(naa), buf, 255, &cmd);
	CHECK(get_be16(&buf[2]) == 12);
	CHECK(cmd.len == sizeof(naa));

	/* allocation length cut: the page length says what there is */
	vpd83(t10, sizeof(t10), buf, 30, &cmd);
	CHECK(get_be16(&buf[2]) == 40);
	CHECK(cmd.len == 30);
	CHECK(cmd.want == 30);
	CHECK(buf[24] == 0x01 && buf[29] == 0x6a);
	pt_close();
}

/* Aborted while in the device: TASK ABORTED once it comes back. */
static void
test_aborted(void)
{
	static const uint8_t	 cdb[10] = { READ_10, 0, 0, 0, 0, 0, 0, 0,
	    1, 0 };
	struct scsi_cmd		 cmd;
	struct sg_io_hdr	 h;
	uint8_t			 buf[512];

	REQUIRE(pt_open() == 0);
	cmd_start(&cmd, cdb, RING_DIR_READ, buf, sizeof(buf));
	CHECK(scsi_exec(&cmd) == SCSI_PENDING);
	cmd.aborted = 1;
	REQUIRE(drv_get(&h) == 0);
	drv_put(&h, SAM_STAT_GOOD, 0, 0, NULL, 0);
	CHECK(L.be->poll(&L, 1) == 1);
	CHECK(cmd.status == SAM_STAT_TASK_ABORTED);
	CHECK(cmd.len == 0 && cmd.sense_len == 0);
	pt_close();
}

static int	nresets;

static int
dev_reset(struct lun *lun)
{
	nresets++;
	return (0);
}

/*
 * LOGICAL UNIT RESET with a command in the device: the task manager
 * waits until the device ends it (a child answers, as the device
 * would, whenever it likes), reports it aborted, then asks for the
 * device's reset.
 */
static void
test_lun_reset(void)
{
	static const uint8_t	 cdb[6] = { TEST_UNIT_READY };
	struct scsi_cmd		 cmd;
	struct sg_io_hdr	 h;
	pid_t			 pid;
	int			 st;

	REQUIRE(pt_open() == 0);
	L.dev_reset = dev_reset;
	nresets = 0;
	cmd_start(&cmd, cdb, RING_DIR_NONE, NULL, 0);
	CHECK(scsi_exec(&cmd) == SCSI_PENDING);
	if ((pid = fork()) == 0) {
		struct pollfd	pfd = { dev, POLLIN, 0 };

		poll(&pfd, 1, 10000);
		if (drv_get(&h) == 0)
			drv_put(&h, SAM_STAT_GOOD, 0, 0, NULL, 0);
		_exit(0);
	}
	REQUIRE(pid != -1);
	CHECK(lun_tmf(&L, RING_TMF_LUN_RESET, 0, 0, 0) == RING_TMF_COMPLETE);
	CHECK(ndone == 1);
	CHECK(cmd.status == SAM_STAT_TASK_ABORTED);
	CHECK(nresets == 1);
	CHECK(L.ninflight == 0);
	waitpid(pid, &st, 0);
	pt_close();
}

/* A command of nexus nx: SCSI_DONE here, or sent to the "device". */
static int
nx_run(struct nexus *nx, struct scsi_cmd *cmd, const uint8_t *cdb,
    uint8_t dir, uint8_t *buf, uint32_t len)
{
	cmd_start(cmd, cdb, dir, buf, len);
	cmd->nexus = nx;
	return (scsi_exec(cmd));
}

/* PERSISTENT RESERVE OUT: sa, type, key and service action key. */
static int
nx_prout(struct nexus *nx, struct scsi_cmd *cmd, uint8_t sa, uint8_t type,
    uint64_t key, uint64_t sakey)
{
	static uint8_t	pl[24];
	uint8_t		cdb[10] = { PERSISTENT_RESERVE_OUT, 0, 0, 0, 0, 0, 0,
	    0, 24, 0 };

	cdb[1] = sa;
	cdb[2] = type;
	memset(pl, 0, sizeof(pl));
	put_be64(&pl[0], key);
	put_be64(&pl[8], sakey);
	if (nx_run(nx, cmd, cdb, RING_DIR_WRITE, pl, sizeof(pl)) !=
	    SCSI_DONE)
		return (-1);
	return (cmd->status);
}

/*
 * reservations target: the reservation commands are the target's, per
 * I_T nexus; a WRITE of an initiator that is not the holder of a WRITE
 * EXCLUSIVE reservation ends in RESERVATION CONFLICT without reaching
 * the device, its READ goes, the holder's WRITE goes.  Without it,
 * PERSISTENT RESERVE OUT goes to the device.
 */
static void
test_reservations_target(void)
{
	static const uint8_t	 rd[10] = { READ_10, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t	 wr[10] = { WRITE_10, 0, 0, 0, 0, 0, 0, 0,
	    1 };
	struct scsi_cmd		 cmd;
	struct sg_io_hdr	 h;
	struct nexus		*a, *b;
	uint8_t			 buf[512];

	REQUIRE(pt_open_flags(LUN_F_PT_RESERVE) == 0);
	REQUIRE((a = nexus_get(&L, 0, 1)) != NULL);
	REQUIRE((b = nexus_get(&L, 0, 2)) != NULL);
	strlcpy(a->initiator, "iqn.2026-01.test:a", sizeof(a->initiator));
	strlcpy(b->initiator, "iqn.2026-01.test:b", sizeof(b->initiator));
	a->rel_port = b->rel_port = 1;
	a->ua = b->ua = 0;
	CHECK(nx_prout(a, &cmd, 0, 0, 0, 0xaa) == SAM_STAT_GOOD);	/* REGISTER */
	CHECK(nx_prout(a, &cmd, 1, 1, 0xaa, 0) == SAM_STAT_GOOD);	/* RESERVE WE */
	CHECK(drv_get(&h) == -1);		/* none of it to the device */
	CHECK(nx_run(b, &cmd, wr, RING_DIR_WRITE, buf, sizeof(buf)) ==
	    SCSI_DONE);
	CHECK(cmd.status == SAM_STAT_RESERVATION_CONFLICT);
	CHECK(drv_get(&h) == -1);
	CHECK(nx_run(b, &cmd, rd, RING_DIR_READ, buf, sizeof(buf)) ==
	    SCSI_PENDING);
	REQUIRE(drv_get(&h) == 0);
	drv_put(&h, SAM_STAT_GOOD, 0, 0, NULL, 0);
	CHECK(L.be->poll(&L, 1) == 1);
	CHECK(nx_run(a, &cmd, wr, RING_DIR_WRITE, buf, sizeof(buf)) ==
	    SCSI_PENDING);
	REQUIRE(drv_get(&h) == 0);
	drv_put(&h, SAM_STAT_GOOD, 0, 0, NULL, 0);
	CHECK(L.be->poll(&L, 1) == 1);
	CHECK(cmd.status == SAM_STAT_GOOD);
	pt_close();

	/* reservations device: PERSISTENT RESERVE OUT is the device's */
	REQUIRE(pt_open() == 0);
	REQUIRE((a = nexus_get(&L, 0, 1)) != NULL);
	a->ua = 0;
	CHECK(nx_prout(a, &cmd, 0, 0, 0, 0xaa) == -1);
	REQUIRE(drv_get(&h) == 0);
	CHECK(((uint8_t *)h.cmdp)[0] == PERSISTENT_RESERVE_OUT);
	drv_put(&h, SAM_STAT_GOOD, 0, 0, NULL, 0);
	CHECK(L.be->poll(&L, 1) == 1);
	pt_close();
}

/*
 * The driver's queue is full (a socket whose buffer is full stands for
 * it: EAGAIN): the next commands wait, and go in order once slots free.
 */
static void
test_queue_full(void)
{
	static const uint8_t	 cdb[6] = { TEST_UNIT_READY };
	struct scsi_cmd		 cmd[256];
	struct sg_io_hdr	 h;
	int			 i, n, sent, first = -1;

	REQUIRE(pt_open() == 0);
	n = 4096;
	CHECK(setsockopt(L.fd, SOL_SOCKET, SO_SNDBUF, &n, sizeof(n)) == 0);
	for (i = 0; i < 256; i++) {
		cmd_start(&cmd[i], cdb, RING_DIR_NONE, NULL, 0);
		cmd[i].tag = i;
		CHECK(scsi_exec(&cmd[i]) == SCSI_PENDING);
	}
	CHECK(L.ninflight == 256);
	/* the socket took a few: the others wait, unsent */
	CHECK(recv(dev, &h, sizeof(h), MSG_PEEK | MSG_DONTWAIT) ==
	    sizeof(h));
	/* answer everything, in order, until all are done */
	sent = 0;
	for (n = 0; n < 10000 && ndone < 256; n++) {
		while (drv_get(&h) == 0) {
			CHECK(((struct scsi_cmd *)h.usr_ptr)->tag ==
			    (uint64_t)sent);
			sent++;
			drv_put(&h, SAM_STAT_GOOD, 0, 0, NULL, 0);
		}
		if (first == -1)
			first = sent;
		L.be->poll(&L, 0);
	}
	CHECK(first > 0 && first < 256);
	CHECK(sent == 256);
	CHECK(ndone == 256);
	CHECK(L.ninflight == 0);
	pt_close();
}

/* The transport failed: ABORTED COMMAND; no such device: 05/25/00. */
static void
test_host_errors(void)
{
	static const uint8_t	 cdb[6] = { TEST_UNIT_READY };
	struct scsi_cmd		 cmd;
	struct sg_io_hdr	 h;
	uint8_t			 key;
	uint16_t		 asc;

	REQUIRE(pt_open() == 0);
	cmd_start(&cmd, cdb, RING_DIR_NONE, NULL, 0);
	CHECK(scsi_exec(&cmd) == SCSI_PENDING);
	REQUIRE(drv_get(&h) == 0);
	drv_put(&h, 0, 0, 0x03 /* DID_TIME_OUT */, NULL, 0);
	CHECK(L.be->poll(&L, 1) == 1);
	CHECK(cmd.status == SAM_STAT_CHECK_CONDITION);
	CHECK(sense_parse(cmd.sense, cmd.sense_len, &key, &asc) == 0);
	CHECK(key == SK_ABORTED_COMMAND);

	cmd_start(&cmd, cdb, RING_DIR_NONE, NULL, 0);
	CHECK(scsi_exec(&cmd) == SCSI_PENDING);
	REQUIRE(drv_get(&h) == 0);
	drv_put(&h, 0, 0, 0x01 /* DID_NO_CONNECT */, NULL, 0);
	CHECK(L.be->poll(&L, 1) == 1);
	CHECK(sense_parse(cmd.sense, cmd.sense_len, &key, &asc) == 0);
	CHECK(key == SK_ILLEGAL_REQUEST && asc == ASC_LUN_NOT_SUPPORTED);
	pt_close();
}

/* The device vanishes with a command in it: both end, no hang. */
static void
test_gone(void)
{
	static const uint8_t	 cdb[6] = { TEST_UNIT_READY };
	struct scsi_cmd		 cmd, cmd2;
	uint8_t			 key;
	uint16_t		 asc;

	REQUIRE(pt_open() == 0);
	cmd_start(&cmd, cdb, RING_DIR_NONE, NULL, 0);
	CHECK(scsi_exec(&cmd) == SCSI_PENDING);
	close(dev);
	dev = -1;
	CHECK(L.be->poll(&L, 1) == -1);
	CHECK(ndone == 1);
	CHECK(cmd.status == SAM_STAT_CHECK_CONDITION);
	CHECK(sense_parse(cmd.sense, cmd.sense_len, &key, &asc) == 0);
	CHECK(key == SK_ILLEGAL_REQUEST && asc == ASC_LUN_NOT_SUPPORTED);
	CHECK(L.ninflight == 0);
	/* and every later command at once */
	cmd_start(&cmd2, cdb, RING_DIR_NONE, NULL, 0);
	CHECK(scsi_exec(&cmd2) == SCSI_DONE);
	CHECK(sense_parse(cmd2.sense, cmd2.sense_len, &key, &asc) == 0);
	CHECK(asc == ASC_LUN_NOT_SUPPORTED);
	pt_close();
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	UNIT_RUN(test_forward_inquiry);
	UNIT_RUN(test_forward_sense);
	UNIT_RUN(test_forward_write);
	UNIT_RUN(test_report_luns_local);
	UNIT_RUN(test_vpd83);
	UNIT_RUN(test_aborted);
	UNIT_RUN(test_lun_reset);
	UNIT_RUN(test_reservations_target);
	UNIT_RUN(test_queue_full);
	UNIT_RUN(test_host_errors);
	UNIT_RUN(test_gone);
	return (UNIT_END("passthrough"));
}
