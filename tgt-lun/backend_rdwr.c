/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * The rdwr backend: synchronous pread/pwrite on the backing store,
 * straight from and to the command's buffer.  FUA writes use RWF_DSYNC
 * (pwritev2), or pwrite and fdatasync where the kernel lacks it.
 */

#include <sys/uio.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "lun.h"

static int
rdwr_init(struct lun *lun, char *err, size_t errlen)
{
	return (0);
}

static void
rdwr_fini(struct lun *lun)
{
}

/* Full transfer or a negative errno; reads past EOF read zeroes. */
long
rdwr_io(int fd, int write, uint8_t *buf, uint32_t len, uint64_t off,
    int fua)
{
	struct iovec	iov;
	ssize_t		n;
	uint32_t	done = 0;
	int		flush = 0;

	while (done < len) {
		if (write && fua && !flush) {
			iov.iov_base = buf + done;
			iov.iov_len = len - done;
			n = pwritev2(fd, &iov, 1, off + done, RWF_DSYNC);
			if (n == -1 && (errno == EOPNOTSUPP ||
			    errno == ENOSYS || errno == EINVAL)) {
				flush = 1;
				continue;
			}
		} else if (write)
			n = pwrite(fd, buf + done, len - done, off + done);
		else
			n = pread(fd, buf + done, len - done, off + done);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return (-errno);
		}
		if (n == 0) {
			if (write)
				return (-ENOSPC);
			memset(buf + done, 0, len - done);
			break;
		}
		done += n;
	}
	if (flush && fdatasync(fd) == -1)
		return (-errno);
	return (len);
}

static int
rdwr_rw(struct lun *lun, struct scsi_cmd *cmd, int write, uint8_t *buf,
    uint32_t len, uint64_t off, int fua)
{
	sbc_io_done(cmd, rdwr_io(lun->fd, write, buf, len, off, fua));
	return (SCSI_DONE);
}

static int
rdwr_sync(struct lun *lun)
{
	return (fdatasync(lun->fd));
}

static int
rdwr_poll(struct lun *lun, int wait)
{
	return (0);
}

static void
rdwr_flush(struct lun *lun)
{
}

const struct backend backend_rdwr = {
	.name = "rdwr",
	.init = rdwr_init,
	.fini = rdwr_fini,
	.rw = rdwr_rw,
	.sync = rdwr_sync,
	.poll = rdwr_poll,
	.flush = rdwr_flush,
};
