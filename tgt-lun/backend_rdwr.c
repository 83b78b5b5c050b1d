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
#include <fcntl.h>
#include <stdlib.h>
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

/*
 * Full transfer or a negative errno; reads past EOF read zeroes.  An
 * error after part of the transfer returns the short count, so that the
 * caller can name the block that failed; running out of space returns
 * the errno (SPACE ALLOCATION FAILED, whatever was written before).
 */
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
			if (done > 0 && errno != ENOSPC && errno != EDQUOT)
				return (done);
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

/*
 * Synchronous transfer on the LUN's file.  With O_DIRECT a buffer,
 * length or offset the store cannot take directly goes through an
 * aligned bounce buffer (reads of whole aligned blocks around it).
 */
long
file_pio(struct lun *lun, int write, uint8_t *buf, uint32_t len,
    uint64_t off, int fua)
{
	uint64_t	 a = lun->dio_align, start, end;
	uint8_t		*bb;
	long		 r;
	size_t		 blen;

	if (!lun->direct || a == 0 || ((off | len | (uintptr_t)buf) &
	    (a - 1)) == 0)
		return (rdwr_io(lun->fd, write, buf, len, off, fua));
	start = off & ~(a - 1);
	end = (off + len + a - 1) & ~(a - 1);
	blen = end - start;
	if (blen > UINT32_MAX || posix_memalign((void **)&bb, a, blen) != 0)
		return (-ENOMEM);
	if (!write || start != off || end != off + len) {
		r = rdwr_io(lun->fd, 0, bb, blen, start, 0);
		if (r != (long)blen) {
			free(bb);
			return (r < 0 ? r : -EIO);
		}
	}
	if (write) {
		memcpy(bb + (off - start), buf, len);
		r = rdwr_io(lun->fd, 1, bb, blen, start, fua);
	} else {
		memcpy(buf, bb + (off - start), len);
		r = blen;
	}
	free(bb);
	if (r < 0)
		return (r);
	return (r == (long)blen ? (long)len : -EIO);
}

/*
 * An asynchronous transfer of cmd came back short (res bytes: the end
 * of a file that shrank, a signal on a block device): the rest is done
 * synchronously, so that only an error of the kernel fails the command,
 * at the block it hit.  Returns the new result for sbc_io_done().
 */
long
file_finish(struct lun *lun, struct scsi_cmd *cmd, long res)
{
	long	r;

	if (res < 0 || (unsigned long)res >= cmd->io_len || cmd->aborted)
		return (res);
	r = file_pio(lun, cmd->io_write, cmd->buf + res, cmd->io_len - res,
	    (cmd->lba << lun->block_shift) + res, cmd->io_write &&
	    (cmd->fua || !lun->wce));
	if (r > 0)
		return (res + r);
	return (r < 0 && res == 0 ? r : res);
}

int
file_fallocate(struct lun *lun, int mode, uint64_t off, uint64_t len)
{
	return (fallocate(lun->fd, mode, off, len));
}

static int
rdwr_rw(struct lun *lun, struct scsi_cmd *cmd, int write, uint8_t *buf,
    uint32_t len, uint64_t off, int fua)
{
	sbc_io_done(cmd, file_pio(lun, write, buf, len, off, fua));
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
	.pio = file_pio,
	.fallocate = file_fallocate,
};

int
seek_extent(off_t (*seek)(void *, off_t, int), void *arg, uint64_t off,
    uint64_t end, int *mapped, uint64_t *next)
{
	off_t	 data, hole;

	data = seek(arg, off, SEEK_DATA);
	if (data == -1 && errno == ENXIO)
		data = end;		/* no data from off on */
	else if (data == -1)
		data = off;
	*mapped = (uint64_t)data <= off;
	if (*mapped) {
		hole = seek(arg, off, SEEK_HOLE);
		if (hole == -1 || (uint64_t)hole > end)
			hole = end;
		*next = hole;
	} else
		*next = (uint64_t)data > end ? end : (uint64_t)data;
	return (0);
}
