/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Backing store backends of tgt-lun.  The buffer handed to rw() is the
 * command's data buffer itself (the ring's data area): the backend does
 * its I/O straight from and to it, no copy.
 */

#ifndef TGT_BACKEND_H
#define TGT_BACKEND_H

#include <stddef.h>
#include <stdint.h>

struct lun;
struct scsi_cmd;

struct backend {
	const char	*name;
	int		 (*init)(struct lun *, char *err, size_t errlen);
	void		 (*fini)(struct lun *);
	/*
	 * Read or write len bytes at byte offset off.  Either completes
	 * at once (calls sbc_io_done() and returns SCSI_DONE) or returns
	 * SCSI_PENDING and calls sbc_io_done() later, from the event loop
	 * or from poll().  fua: durable before completion.
	 */
	int		 (*rw)(struct lun *, struct scsi_cmd *, int write,
			    uint8_t *buf, uint32_t len, uint64_t off, int fua);
	/* Make everything written so far durable; 0 or -1. */
	int		 (*sync)(struct lun *);
	/* Reap completions without an event loop; returns the count. */
	int		 (*poll)(struct lun *, int wait);
	/*
	 * Start what rw() queued (the aio backend batches a ring drain
	 * into one io_submit).  Called after a batch of commands.
	 */
	void		 (*flush)(struct lun *);
};

/* Synchronous transfer: len, or a negative errno (backend_rdwr.c). */
long	rdwr_io(int fd, int write, uint8_t *buf, uint32_t len, uint64_t off,
	    int fua);

extern const struct backend backend_rdwr;
extern const struct backend backend_aio;

#endif /* TGT_BACKEND_H */
