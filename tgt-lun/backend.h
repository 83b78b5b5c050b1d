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

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

struct lun;
struct scsi_cmd;

struct backend {
	const char	*name;
	unsigned int	 flags;
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
	/*
	 * Synchronous transfer for the commands that work on the medium
	 * themselves (VERIFY, COMPARE AND WRITE, WRITE SAME, SANITIZE...),
	 * with nothing in flight: len, or a negative errno.  buf may be
	 * private memory of any alignment.
	 */
	long		 (*pio)(struct lun *, int write, uint8_t *buf,
			    uint32_t len, uint64_t off, int fua);
	/* fallocate(2) mode on [off, off + len): 0, or -1 and errno. */
	int		 (*fallocate)(struct lun *, int mode, uint64_t off,
			    uint64_t len);
	/*
	 * A ring's data area was mapped (the buffers rw() will see come
	 * from it) or is about to be unmapped.  May be NULL.
	 */
	void		 (*mem_add)(struct lun *, void *base, size_t len);
	void		 (*mem_del)(struct lun *, void *base, size_t len);
	/*
	 * A store without a descriptor (rbd): init() opens it, then this
	 * gives its size in bytes (also on a resize); 0, or -1 and errno.
	 * NULL: the size is the descriptor's.
	 */
	int		 (*size)(struct lun *, uint64_t *);
	/*
	 * Allocation (GET LBA STATUS) of a store without a descriptor:
	 * whether byte off is mapped, and in *next where that state ends
	 * (at most end).  0, or -1 and errno.  NULL: SEEK_DATA/SEEK_HOLE
	 * on the descriptor (seek_extent()).
	 */
	int		 (*extent)(struct lun *, uint64_t off, uint64_t end,
			    int *mapped, uint64_t *next);
	/*
	 * SYNCHRONIZE CACHE without waiting on the event loop: as rw()
	 * with no data (sbc_io_done(cmd, 0 or a negative errno), now or
	 * later).  May be NULL: sync() is called.
	 */
	int		 (*sync_cmd)(struct lun *, struct scsi_cmd *);
	/*
	 * COMPARE AND WRITE done by the store, atomically for every client
	 * of it (rbd, shared by several gateways): compare len bytes at off
	 * with cmp and, if equal, write buf there.  As rw(): sbc_io_done()
	 * now or later with cmd->io_len, a negative errno, or -EILSEQ with
	 * the offset of the first differing byte (from off) in
	 * cmd->io_info.  -1 without calling it: not for this range, sbc.c
	 * compares and writes itself (on the worker).  May be NULL.
	 */
	int		 (*caw)(struct lun *, struct scsi_cmd *, uint8_t *cmp,
			    uint8_t *buf, uint32_t len, uint64_t off, int fua);
};

/*
 * The store is across a network (pio, fallocate, extent and sync
 * may wait on it): the commands that call them run on the LUN's worker
 * thread (worker.c), not on the event loop.
 */
#define BE_F_WORKER	0x01

/* Synchronous transfer: len, or a negative errno (backend_rdwr.c). */
long	rdwr_io(int fd, int write, uint8_t *buf, uint32_t len, uint64_t off,
	    int fua);
/* pio() and fallocate() of the backends that have a file (backend_rdwr.c). */
long	file_pio(struct lun *, int write, uint8_t *buf, uint32_t len,
	    uint64_t off, int fua);
int	file_fallocate(struct lun *, int mode, uint64_t off, uint64_t len);
/*
 * An extent() from SEEK_DATA and SEEK_HOLE through seek (lseek(2) on a
 * descriptor, or a library's own): what cannot be told counts as mapped
 * to end.  Always 0.
 */
int	seek_extent(off_t (*seek)(void *, off_t, int), void *arg,
	    uint64_t off, uint64_t end, int *mapped, uint64_t *next);
/* Finish a short asynchronous transfer synchronously: the new result. */
long	file_finish(struct lun *, struct scsi_cmd *, long res);
/* The sense for a failed transfer, from the errno (sbc.c). */
void	sbc_io_error(struct scsi_cmd *, int write, int error, uint64_t lba);

/*
 * io_uring: tgt-lun creates its ring before its seccomp filter (which
 * then only allows io_uring_enter and io_uring_register on that ring);
 * returns its descriptor, or -1 with the reason in err, which init()
 * reports later.  Without a prepared ring, init() creates one (tests).
 */
int	io_uring_prepare(char *err, size_t errlen);
/* No ring may be made from now on (sandboxed without one): init() fails. */
void	io_uring_unavailable(const char *why);

/*
 * glfs: tgt-lun connects to the volume and opens the image before its
 * sandbox, from the master's MSG_LUN_GLFS (creating it if asked); a
 * failure is kept and reported by init().  glfs_store() tells lun_init()
 * the image's size, and whether it was opened read-only.
 */
struct msg_lun_glfs;
int	glfs_prepare(const struct msg_lun_glfs *, int readonly);
int	glfs_store(uint64_t *size, int *readonly, char *err, size_t errlen);

extern const struct backend backend_rdwr;
extern const struct backend backend_aio;
extern const struct backend backend_null;
extern const struct backend backend_io_uring;
/* a passthrough LUN's: commands go whole through sg_submit() (lun.h) */
extern const struct backend backend_sg;
extern const struct backend backend_rbd;

struct msg_lun_rbd;
/* The cluster settings backend rbd's init() connects with (MSG_LUN_RBD). */
void	rbd_configure(const struct msg_lun_rbd *);
extern const struct backend backend_glfs;

#endif /* TGT_BACKEND_H */
