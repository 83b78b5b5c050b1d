/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * The glfs backend: an image file in a GlusterFS volume, through
 * glusterfs-api (gfapi).  The process cannot open files or resolve names
 * once sandboxed, and gfapi loads its translators with dlopen(3), so the
 * connection is made before the sandbox (glfs_prepare(), from the
 * MSG_LUN_GLFS the master sends first); init() only takes it over.
 *
 * Reads and writes are glfs_pread_async/glfs_pwrite_async straight from
 * and into the command's buffer (the ring's data area).  gfapi calls
 * back on its own threads: the callback only links the command on a
 * locked list and raises an eventfd, and the event loop completes the
 * commands.  A FUA write is followed by glfs_fdatasync_async before it
 * completes, and SYNCHRONIZE CACHE is glfs_fdatasync_async completed the
 * same way.  The client's write-behind translator is put in
 * pass-through: a write is acknowledged only once the brick has it, so
 * a killed tgt-lun loses no acknowledged write.  So is open-behind: the
 * image is opened on the brick at once, and a refusal (permissions) is
 * the LUN's start-up error, not every later command's.
 *
 * glfs_fini() waits about ten seconds for gfapi's threads; tgt-lun exits
 * right after fini() anyway, so fini() waits for the transfers in
 * flight, closes the image and leaves the rest to exit(2).
 *
 * gfapi says nothing when another client resizes the image, so a thread
 * of the backend's own asks (glfs_fstat) every GLFS_WATCH_S seconds: the
 * call waits on the network, possibly for gfapi's whole timeout in an
 * outage, which the event loop must not.  A new size raises the eventfd,
 * and the loop hands it to lun->resized() like rbd's resizes, which is
 * the unit attention CAPACITY DATA HAS CHANGED for every I_T nexus.
 *
 * libgfapi is loaded with dlopen(3) by glfs_prepare(), in glfs LUN
 * processes alone and before their chroot, like librbd (ceph_client.h):
 * linked into tgt-lun, it and the libraries it needs would be mapped by
 * every LUN process.  gfapi versions its symbols; each one is looked up
 * with the version glfs.h declares it with (dlvsym(3)).
 */

#include <sys/eventfd.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glusterfs/api/glfs.h>

#include "backend.h"
#include "log.h"
#include "lun.h"
#include "proto.h"

#define GLFS_LIB		"libgfapi.so.0"
#define GLFS_PORT_DEFAULT	24007
#define GLFS_DRAIN_MS		30000	/* fini: at most this for I/O */
#define GLFS_WATCH_S		2	/* the image's size is asked this often */

/* One asynchronous transfer, in the command's be_space. */
struct glfs_io {
	struct glfs_io	*next;		/* on the done list */
	struct scsi_cmd	*cmd;
	long		 res;		/* bytes, or a negative errno */
	uint32_t	 len;
	int		 fua;		/* a sync follows the write */
	int		 syncing;	/* the sync is the one in flight */
};

_Static_assert(sizeof(struct glfs_io) <=
    sizeof(((struct scsi_cmd *)0)->be_space),
    "glfs_io does not fit in scsi_cmd.be_space");

struct glfs_priv {
	glfs_t		*fs;
	glfs_fd_t	*fd;
	uint64_t	 size;		/* of the image */
	int		 readonly;
	int		 efd;
	struct event	*ev;
	unsigned int	 busy;		/* submitted, not completed */
	pthread_mutex_t	 lock;		/* done list, size, resized */
	struct glfs_io	*done;
	struct glfs_io	**done_tail;
	int		 resized;	/* the watcher saw a new size */
	/* the size watcher: its thread holds watch_lock in glfs_fstat */
	pthread_t	 watcher;
	int		 watching;
	pthread_mutex_t	 watch_lock;
	int		 watch_stop;	/* under watch_lock */
};

/* The gfapi functions used, and the symbol version of each. */
#define GLFS_FUNCS(X) \
	X(glfs_close, "3.4.0") \
	X(glfs_creat, "3.4.0") \
	X(glfs_discard, "3.5.0") \
	X(glfs_fdatasync, "6.0") \
	X(glfs_fdatasync_async, "6.0") \
	X(glfs_fstat, "3.4.0") \
	X(glfs_ftruncate, "6.0") \
	X(glfs_init, "3.4.0") \
	X(glfs_lseek, "3.4.0") \
	X(glfs_new, "3.4.0") \
	X(glfs_open, "3.4.0") \
	X(glfs_pread, "6.0") \
	X(glfs_pread_async, "6.0") \
	X(glfs_pwrite, "6.0") \
	X(glfs_pwrite_async, "6.0") \
	X(glfs_set_logging, "3.4.0") \
	X(glfs_set_volfile_server, "3.4.0") \
	X(glfs_set_xlator_option, "3.4.0") \
	X(glfs_zerofill, "3.5.0")

static struct {
#define GLFS_PTR(f, v)	__typeof__(f) *f;
	GLFS_FUNCS(GLFS_PTR)
#undef GLFS_PTR
} gfapi;
#define GF(f)		(gfapi.f)

/* What glfs_prepare() made before the sandbox, for init(). */
static struct glfs_priv	*glfs_ready;
static char		 glfs_error[TGT_ERR_MAX] = "backend glfs needs "
			    "tgt-lun started with -b glfs (it connects before "
			    "the sandbox)";

static int	glfs_poll(struct lun *, int);

static void __attribute__((format(printf, 1, 2)))
glfs_seterr(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(glfs_error, sizeof(glfs_error), fmt, ap);
	va_end(ap);
}

/* Load libgfapi and resolve GLFS_FUNCS: 0, or -1 (glfs_error says why). */
static int
glfs_load(void)
{
	void	*h;

	if ((h = dlopen(GLFS_LIB, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		glfs_seterr("cannot load %s (glusterfs-api): %s", GLFS_LIB,
		    dlerror());
		return (-1);
	}
#define GLFS_SYM(f, v)							\
	if ((gfapi.f = (__typeof__(f) *)dlvsym(h, #f, "GFAPI_" v)) ==	\
	    NULL) {							\
		glfs_seterr("%s: no %s version GFAPI_%s", GLFS_LIB, #f,	\
		    v);							\
		return (-1);						\
	}
	GLFS_FUNCS(GLFS_SYM)
#undef GLFS_SYM
	return (0);
}

int
glfs_prepare(const struct msg_lun_glfs *g, int readonly)
{
	struct glfs_priv	*gp;
	struct stat		 st;
	glfs_fd_t		*fd;
	uint32_t		 i;
	int			 flags = readonly ? O_RDONLY : O_RDWR;

	if (glfs_load() == -1)
		return (-1);
	if ((gp = calloc(1, sizeof(*gp))) == NULL) {
		glfs_seterr("%s", strerror(errno));
		return (-1);
	}
	gp->efd = -1;
	if ((gp->fs = GF(glfs_new)(g->volume)) == NULL) {
		glfs_seterr("glfs_new %s: %s", g->volume, strerror(errno));
		goto fail;
	}
	for (i = 0; i < g->nservers; i++)
		if (GF(glfs_set_volfile_server)(gp->fs, "tcp", g->server[i].host,
		    g->server[i].port != 0 ? (int)g->server[i].port :
		    GLFS_PORT_DEFAULT) != 0) {
			glfs_seterr("volfile server %s: %s",
			    g->server[i].host, strerror(errno));
			goto fail;
		}
	/* gfapi's log goes to tgt-lun's stderr, errors only */
	if (GF(glfs_set_logging)(gp->fs, "-", 4) != 0 ||
	    GF(glfs_set_xlator_option)(gp->fs, "*-write-behind", "pass-through",
	    "on") != 0 ||
	    GF(glfs_set_xlator_option)(gp->fs, "*-open-behind", "pass-through",
	    "on") != 0) {
		glfs_seterr("gfapi options: %s", strerror(errno));
		goto fail;
	}
	if (GF(glfs_init)(gp->fs) != 0) {
		glfs_seterr("cannot reach volume %s at %s: %s", g->volume,
		    g->server[0].host, strerror(errno));
		goto fail;
	}
	fd = GF(glfs_open)(gp->fs, g->path, flags);
	if (fd == NULL && errno == ENOENT && g->create != 0 && !readonly) {
		/* O_EXCL: of two LUNs creating one image, one sizes it */
		if ((fd = GF(glfs_creat)(gp->fs, g->path, O_RDWR | O_EXCL,
		    0600)) != NULL && GF(glfs_ftruncate)(fd, g->create, NULL,
		    NULL) != 0) {
			glfs_seterr("%s: size %llu: %s", g->path,
			    (unsigned long long)g->create, strerror(errno));
			GF(glfs_close)(fd);
			goto fail;
		}
		if (fd != NULL)
			log_info("glfs: created %s:%s, %llu bytes", g->volume,
			    g->path, (unsigned long long)g->create);
	}
	if (fd == NULL) {
		glfs_seterr("%s:%s: %s", g->volume, g->path,
		    strerror(errno));
		goto fail;
	}
	gp->fd = fd;
	if (GF(glfs_fstat)(fd, &st) != 0) {
		glfs_seterr("%s: fstat: %s", g->path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		glfs_seterr("%s: not a regular file", g->path);
		goto fail;
	}
	gp->size = st.st_size;
	gp->readonly = readonly;
	glfs_ready = gp;
	return (0);
 fail:
	/* no glfs_fini(): it waits seconds, and tgt-lun runs on without */
	if (gp->fd != NULL)
		GF(glfs_close)(gp->fd);
	free(gp);
	return (-1);
}

int
glfs_store(uint64_t *size, int *readonly, char *err, size_t errlen)
{
	if (glfs_ready == NULL) {
		snprintf(err, errlen, "%s", glfs_error);
		return (-1);
	}
	*size = glfs_ready->size;
	*readonly = glfs_ready->readonly;
	return (0);
}

/* gfapi's thread: hand the transfer to the event loop, nothing more. */
static void
glfs_cb(glfs_fd_t *fd, ssize_t ret, struct glfs_stat *pre,
    struct glfs_stat *post, void *data)
{
	struct glfs_io		*io = data;
	struct glfs_priv	*gp = io->cmd->lun->be_priv;
	uint64_t		 one = 1;

	io->res = ret < 0 ? -errno : (long)ret;
	if (io->res == 0 && ret < 0)
		io->res = -EIO;
	io->next = NULL;
	pthread_mutex_lock(&gp->lock);
	*gp->done_tail = io;
	gp->done_tail = &io->next;
	pthread_mutex_unlock(&gp->lock);
	/* cannot fail short of an overflow: the loop reads it to zero */
	(void)write(gp->efd, &one, sizeof(one));
}

/* The watcher's thread: the image's size, every GLFS_WATCH_S s. */
static void *
glfs_watch(void *arg)
{
	struct glfs_priv	*gp = arg;
	struct timespec		 ts = { GLFS_WATCH_S, 0 };
	struct stat		 st;
	uint64_t		 one = 1;
	int			 r, kick;

	for (;;) {
		(void)nanosleep(&ts, NULL);
		pthread_mutex_lock(&gp->watch_lock);
		if (gp->watch_stop) {
			pthread_mutex_unlock(&gp->watch_lock);
			return (NULL);
		}
		r = GF(glfs_fstat)(gp->fd, &st);
		pthread_mutex_unlock(&gp->watch_lock);
		if (r != 0 || !S_ISREG(st.st_mode))
			continue;	/* the volume away: asked again later */
		kick = 0;
		pthread_mutex_lock(&gp->lock);
		if ((uint64_t)st.st_size != gp->size) {
			gp->size = st.st_size;
			gp->resized = kick = 1;
		}
		pthread_mutex_unlock(&gp->lock);
		if (kick)
			(void)write(gp->efd, &one, sizeof(one));
	}
}

static void
glfs_event(int fd, short ev, void *arg)
{
	struct lun		*lun = arg;
	struct glfs_priv	*gp = lun->be_priv;
	uint64_t		 cnt;
	int			 resized;

	/* before glfs_poll() takes the list: a later raise stays raised */
	if (read(gp->efd, &cnt, sizeof(cnt)) == -1 && errno != EAGAIN)
		log_warn("glfs eventfd read");
	glfs_poll(lun, 0);
	pthread_mutex_lock(&gp->lock);
	resized = gp->resized;
	gp->resized = 0;
	pthread_mutex_unlock(&gp->lock);
	if (resized && lun->resized != NULL)
		lun->resized(lun);
	if (lun->batch_done != NULL)
		lun->batch_done(lun, lun->batch_arg);
}

/* The image's size as last seen (backend.h); the watcher keeps it. */
static int
glfs_size_be(struct lun *lun, uint64_t *size)
{
	struct glfs_priv	*gp = lun->be_priv;

	pthread_mutex_lock(&gp->lock);
	*size = gp->size;
	pthread_mutex_unlock(&gp->lock);
	return (0);
}

static int
glfs_init_be(struct lun *lun, char *err, size_t errlen)
{
	struct glfs_priv	*gp = glfs_ready;

	if (gp == NULL) {
		snprintf(err, errlen, "%s", glfs_error);
		return (-1);
	}
	if ((errno = pthread_mutex_init(&gp->lock, NULL)) != 0) {
		snprintf(err, errlen, "mutex: %s", strerror(errno));
		return (-1);
	}
	gp->done_tail = &gp->done;
	if ((gp->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		pthread_mutex_destroy(&gp->lock);
		return (-1);
	}
	if (lun->evb != NULL) {
		gp->ev = event_new(lun->evb, gp->efd, EV_READ | EV_PERSIST,
		    glfs_event, lun);
		if (gp->ev == NULL || event_add(gp->ev, NULL) == -1) {
			snprintf(err, errlen, "cannot watch the glfs eventfd");
			if (gp->ev != NULL)
				event_free(gp->ev);
			gp->ev = NULL;
			close(gp->efd);
			gp->efd = -1;
			pthread_mutex_destroy(&gp->lock);
			return (-1);
		}
	}
	lun->be_priv = gp;
	glfs_ready = NULL;
	/* after the sandbox: the thread has the filter from its start */
	if ((errno = pthread_mutex_init(&gp->watch_lock, NULL)) != 0 ||
	    (errno = lun_thread_start(&gp->watcher, glfs_watch, gp)) != 0)
		log_warn("glfs: no size watcher, resizes go unseen");
	else
		gp->watching = 1;
	return (0);
}

static void
glfs_fini_be(struct lun *lun)
{
	struct glfs_priv	*gp = lun->be_priv;
	int			 waited = 0;

	if (gp == NULL)
		return;
	/* a transfer in flight still writes into its buffer: wait */
	while (gp->busy > 0 && waited < GLFS_DRAIN_MS) {
		if (glfs_poll(lun, 1) <= 0)
			waited += 100;
	}
	if (gp->busy > 0)
		log_warnx("glfs: %u transfers still in flight at exit",
		    gp->busy);
	else if (gp->watching &&
	    pthread_mutex_trylock(&gp->watch_lock) != 0)
		;	/* the watcher waits in glfs_fstat: exit(2) closes */
	else {
		gp->watch_stop = 1;
		GF(glfs_close)(gp->fd);
		if (gp->watching)
			pthread_mutex_unlock(&gp->watch_lock);
	}
	if (gp->ev != NULL)
		event_free(gp->ev);
	close(gp->efd);
	/* not glfs_fini(): see the top of this file */
	lun->be_priv = NULL;
}

/* Submit io's transfer (or its sync); -1 with errno if gfapi refused. */
static int
glfs_submit(struct glfs_priv *gp, struct glfs_io *io, int write,
    uint8_t *buf, uint64_t off)
{
	if (io->syncing)
		return (GF(glfs_fdatasync_async)(gp->fd, glfs_cb, io));
	if (write)
		return (GF(glfs_pwrite_async)(gp->fd, buf, io->len, off, 0,
		    glfs_cb, io));
	return (GF(glfs_pread_async)(gp->fd, buf, io->len, off, 0, glfs_cb, io));
}

static int
glfs_rw(struct lun *lun, struct scsi_cmd *cmd, int write, uint8_t *buf,
    uint32_t len, uint64_t off, int fua)
{
	struct glfs_priv	*gp = lun->be_priv;
	struct glfs_io		*io = (struct glfs_io *)cmd->be_space;

	memset(io, 0, sizeof(*io));
	io->cmd = cmd;
	io->len = len;
	io->fua = write && fua;
	if (glfs_submit(gp, io, write, buf, off) != 0) {
		sbc_io_done(cmd, errno != 0 ? -errno : -EIO);
		return (SCSI_DONE);
	}
	gp->busy++;
	return (SCSI_PENDING);
}

/* SYNCHRONIZE CACHE: glfs_fdatasync_async, completed like a transfer. */
static int
glfs_sync_cmd(struct lun *lun, struct scsi_cmd *cmd)
{
	struct glfs_priv	*gp = lun->be_priv;
	struct glfs_io		*io = (struct glfs_io *)cmd->be_space;

	memset(io, 0, sizeof(*io));
	io->cmd = cmd;
	io->syncing = 1;
	if (glfs_submit(gp, io, 1, NULL, 0) != 0) {
		sbc_io_done(cmd, errno != 0 ? -errno : -EIO);
		return (SCSI_DONE);
	}
	gp->busy++;
	return (SCSI_PENDING);
}

static int
glfs_sync(struct lun *lun)
{
	struct glfs_priv	*gp = lun->be_priv;

	return (GF(glfs_fdatasync)(gp->fd, NULL, NULL) == 0 ? 0 : -1);
}

/* Complete what gfapi handed back; wait up to 100 ms for one if asked. */
static int
glfs_poll(struct lun *lun, int wait)
{
	struct glfs_priv	*gp = lun->be_priv;
	struct glfs_io		*list, *io;
	struct pollfd		 pfd;
	uint64_t		 cnt;
	int			 n = 0;

	if (gp == NULL || gp->busy == 0)
		return (0);
	if (wait) {
		pfd.fd = gp->efd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 100) == -1 && errno != EINTR)
			return (-1);
	}
	if (read(gp->efd, &cnt, sizeof(cnt)) == -1 && errno != EAGAIN)
		log_warn("glfs eventfd read");
	pthread_mutex_lock(&gp->lock);
	list = gp->done;
	gp->done = NULL;
	gp->done_tail = &gp->done;
	pthread_mutex_unlock(&gp->lock);
	while ((io = list) != NULL) {
		list = io->next;
		/* a FUA write is durable before it completes */
		if (io->fua && !io->syncing && io->res == (long)io->len) {
			io->syncing = 1;
			if (glfs_submit(gp, io, 1, NULL, 0) == 0)
				continue;
			io->res = errno != 0 ? -errno : -EIO;
		} else if (io->syncing && io->res >= 0)
			io->res = io->len;
		gp->busy--;
		n++;
		/* a short transfer is an error: gfapi retries none */
		if (io->res >= 0 && io->res != (long)io->len)
			io->res = -EIO;
		sbc_io_done(io->cmd, io->res);
	}
	return (n);
}

/* Synchronous transfer, nothing in flight (backend.h). */
static long
glfs_pio(struct lun *lun, int write, uint8_t *buf, uint32_t len,
    uint64_t off, int fua)
{
	struct glfs_priv	*gp = lun->be_priv;
	ssize_t			 n;
	uint32_t		 done = 0;

	while (done < len) {
		n = write ? GF(glfs_pwrite)(gp->fd, buf + done, len - done,
		    off + done, 0, NULL, NULL) : GF(glfs_pread)(gp->fd,
		    buf + done, len - done, off + done, 0, NULL);
		if (n < 0)
			return (errno != 0 ? -errno : -EIO);
		if (n == 0) {
			/* past the end of the image: zeroes */
			if (write)
				return (-EIO);
			memset(buf + done, 0, len - done);
			break;
		}
		done += n;
	}
	if (write && fua && GF(glfs_fdatasync)(gp->fd, NULL, NULL) != 0)
		return (errno != 0 ? -errno : -EIO);
	return (len);
}

/* rw() submitted each transfer at once: no batch to start. */
static void
glfs_flush(struct lun *lun)
{
}

/*
 * UNMAP and WRITE SAME: a punched hole is glfs_discard (the brick
 * punches it in its file), a zeroed range glfs_zerofill.
 */
static int
glfs_fallocate_be(struct lun *lun, int mode, uint64_t off, uint64_t len)
{
	struct glfs_priv	*gp = lun->be_priv;

	if (mode & FALLOC_FL_PUNCH_HOLE)
		return (GF(glfs_discard)(gp->fd, off, len));
	if (mode & FALLOC_FL_ZERO_RANGE)
		return (GF(glfs_zerofill)(gp->fd, off, len));
	errno = EOPNOTSUPP;
	return (-1);
}

static off_t
glfs_seek(void *fd, off_t pos, int whence)
{
	return (GF(glfs_lseek)(fd, pos, whence));
}

/* GET LBA STATUS: the brick's holes, through the seek operation. */
static int
glfs_extent_be(struct lun *lun, uint64_t off, uint64_t end, int *mapped,
    uint64_t *next)
{
	struct glfs_priv	*gp = lun->be_priv;

	return (seek_extent(glfs_seek, gp->fd, off, end, mapped, next));
}

const struct backend backend_glfs = {
	.name = "glfs",
	.flags = BE_F_WORKER,
	.init = glfs_init_be,
	.fini = glfs_fini_be,
	.rw = glfs_rw,
	.sync = glfs_sync,
	.poll = glfs_poll,
	.flush = glfs_flush,
	.pio = glfs_pio,
	.fallocate = glfs_fallocate_be,
	.sync_cmd = glfs_sync_cmd,
	.extent = glfs_extent_be,
	.size = glfs_size_be,
};
