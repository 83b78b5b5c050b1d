/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * The null backend: no backing store at all.  Writes complete at once
 * and are dropped, reads return zeroes, a flush has nothing to do.  The
 * capacity is the configured size.  Every command still goes through
 * the whole SBC path (ranges, reservations, protection, write protect),
 * so what a benchmark measures on it is the target's own cost: the
 * protocol, the ring and the command emulation.
 */

#include <errno.h>
#include <string.h>

#include "backend.h"
#include "lun.h"

static int
null_init(struct lun *lun, char *err, size_t errlen)
{
	return (0);
}

static void
null_fini(struct lun *lun)
{
}

static long
null_pio(struct lun *lun, int write, uint8_t *buf, uint32_t len,
    uint64_t off, int fua)
{
	if (!write)
		memset(buf, 0, len);
	return (len);
}

static int
null_rw(struct lun *lun, struct scsi_cmd *cmd, int write, uint8_t *buf,
    uint32_t len, uint64_t off, int fua)
{
	sbc_io_done(cmd, null_pio(lun, write, buf, len, off, fua));
	return (SCSI_DONE);
}

static int
null_sync(struct lun *lun)
{
	return (0);
}

static int
null_poll(struct lun *lun, int wait)
{
	return (0);
}

static void
null_flush(struct lun *lun)
{
}

/* Punching or zeroing what reads as zeroes anyway always works. */
static int
null_fallocate(struct lun *lun, int mode, uint64_t off, uint64_t len)
{
	return (0);
}

const struct backend backend_null = {
	.name = "null",
	.init = null_init,
	.fini = null_fini,
	.rw = null_rw,
	.sync = null_sync,
	.poll = null_poll,
	.flush = null_flush,
	.pio = null_pio,
	.fallocate = null_fallocate,
};
