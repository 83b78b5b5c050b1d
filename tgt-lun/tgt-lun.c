/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * tgt-lun: serves one logical unit to every portal through a ring per
 * portal.  Started by tgt-master as
 *	tgt-lun [-d] [-v...] -u user -c chroot -n instance
 * with the master channel on fd 3, or forked with the same arguments by
 * the launcher, tgt-lun -L (launch.c).  It sandboxes itself before it reads
 * a single message, then runs the event loop until the master goes away.
 */

#include <sys/ioctl.h>
#include <sys/stat.h>

#include <scsi/sg.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "backend.h"
#include "ceph_client.h"
#include "child.h"
#include "log.h"
#include "lun.h"
#include "msg.h"
#include "proto.h"
#include "sandbox.h"

static struct event_base	*evb;
static struct event		*ev_term;	/* rbd: SIGTERM ends the loop */
static struct msgchan		 master;
static struct lun		 the_lun;
static int			 configured;
/* a passthrough LUN's sg device, opened before the sandbox (-S) */
static const char		*sg_path;
static int			 sg_fd = -1;

static int	 lun_xcopy_ask(struct lun *, const uint8_t *, uint32_t);
static int	 glfs_connect(void);
static struct msg_lun_glfs	 glfs_conf;
static int	 lun_alua_tell(struct lun *, const struct msg_lun_alua *);
static int	 send_master(void *, uint32_t, const void *, size_t);
static int	 lun_dev_reset(struct lun *);

static void
send_error(const char *text)
{
	struct msg_error	e;

	memset(&e, 0, sizeof(e));
	strlcpy(e.text, text, sizeof(e.text));
	if (msgchan_send(&master, MSG_LUN_ERROR, 0, NULL, 0, &e,
	    sizeof(e)) == -1)
		log_warn("cannot send error to the master");
}

/* The backend saw its store resized (rbd): tell the LUN and the master. */
static void
lun_resized(struct lun *lun)
{
	lunctl_resize(lun, &master);
}

/* Backend rbd: the cluster settings, before LUN_CONFIG. */
static void
lun_rbd(struct msg *m)
{
	struct msg_lun_rbd	rs;

	if (MSG_GET(m, &rs) != 0 || m->nfds != 0 || configured) {
		log_warnx("malformed or late LUN_RBD");
		send_error("malformed LUN_RBD");
		return;
	}
	rbd_configure(&rs);
	explicit_bzero(&rs, sizeof(rs));
}

static void
lun_config(struct msg *m)
{
	struct msg_lun_config	cfg;
	struct msg_lun_ready	rdy;
	char			err[TGT_ERR_MAX];
	int			fd;

	/*
	 * A disk has its store's descriptor (none with backend null); a
	 * tape or optical drive may be empty: no medium, no descriptor; a
	 * passthrough LUN has its sg device, which it opened itself.
	 */
	if (MSG_GET(m, &cfg) != 0 || m->nfds > 1 ||
	    (cfg.type == LUN_TYPE_DISK && m->nfds !=
	    (cfg.backend == LUN_BACKEND_NULL ||
	    cfg.backend == LUN_BACKEND_RBD ||
	    cfg.backend == LUN_BACKEND_GLFS ? 0 : 1)) ||
	    (cfg.type == LUN_TYPE_PASSTHROUGH && m->nfds != 0)) {
		log_warnx("malformed LUN_CONFIG");
		send_error("malformed LUN_CONFIG");
		return;
	}
	if (configured) {
		log_warnx("LUN_CONFIG again, ignored");
		send_error("already configured");
		return;
	}
	fd = -1;
	if (m->nfds == 1) {
		fd = m->fds[0];
		m->fds[0] = -1;
	}
	if (cfg.type == LUN_TYPE_PASSTHROUGH) {
		if (sg_fd == -1) {
			send_error("passthrough: tgt-lun started without -S");
			return;
		}
		fd = sg_fd;
		sg_fd = -1;
	}
	if (lun_init(&the_lun, &cfg, fd, evb, err, sizeof(err)) == -1) {
		if (fd != -1)
			close(fd);
		log_warnx("lun %llu (%s): %s", (unsigned long long)cfg.lun,
		    the_lun.cfg.path, err);
		send_error(err);
		/*
		 * rbd: the cluster may be away for now.  Exit, so that the
		 * master starts the LUN again (with its backoff) until it
		 * is back.
		 */
		if (cfg.backend == LUN_BACKEND_RBD)
			event_base_loopbreak(evb);
		return;
	}
	the_lun.batch_done = lring_batch_done;
	the_lun.resized = lun_resized;
	the_lun.xcopy_ask = lun_xcopy_ask;
	the_lun.dev_reset = lun_dev_reset;
	the_lun.alua_tell = lun_alua_tell;
	smc_set_sender(&the_lun, send_master, NULL);
	configured = 1;
	if (the_lun.dt == &devtype_passthrough)
		log_info("lun %llu: passthrough to %s",
		    (unsigned long long)the_lun.cfg.lun, the_lun.cfg.path);
	else if (the_lun.be == NULL)
		log_info("lun %llu: %s drive, %s",
		    (unsigned long long)the_lun.cfg.lun, the_lun.dt->name,
		    the_lun.ejected ? "empty" : the_lun.cfg.path);
	else
		log_info("lun %llu: %s, %llu blocks of %u bytes, %s "
		    "backend%s%s", (unsigned long long)the_lun.cfg.lun,
		    the_lun.cfg.path, (unsigned long long)the_lun.nblocks,
		    the_lun.block_size, the_lun.be->name,
		    the_lun.readonly ? ", read-only" : "",
		    the_lun.thin ? ", thin" : "");

	memset(&rdy, 0, sizeof(rdy));
	rdy.lun_id = the_lun.cfg.lun_id;
	rdy.block_size = the_lun.block_size;
	rdy.size = the_lun.size;
	if (msgchan_send(&master, MSG_LUN_READY, 0, NULL, 0, &rdy,
	    sizeof(rdy)) == -1)
		log_warn("cannot send LUN_READY");
}

static void
ring_add(struct msg *m)
{
	struct msg_ring	 mr;
	struct lring	*lr;
	char		 err[TGT_ERR_MAX];
	int		 i, fds[3];

	if (MSG_GET(m, &mr) != 0 || m->nfds != 3) {
		log_warnx("malformed RING_ADD");
		return;
	}
	if (!configured) {
		log_warnx("RING_ADD before LUN_CONFIG, ignored");
		return;
	}
	if ((lr = lring_find(mr.portal_id)) != NULL) {
		log_info("portal %u: ring replaced", mr.portal_id);
		lring_del(lr);
	}
	for (i = 0; i < 3; i++) {
		fds[i] = m->fds[i];
		m->fds[i] = -1;
	}
	/* lring_add() owns the descriptors from here, even on failure */
	if (lring_add(&the_lun, evb, &mr, fds[0], fds[1], fds[2], err,
	    sizeof(err)) == NULL)
		log_warnx("portal %u: %s", mr.portal_id, err);
}

/* The state file (persistent reservations): restore what it holds. */
static void
lun_state(struct msg *m)
{
	char	err[TGT_ERR_MAX];
	int	fd;

	if (m->hdr.len != 0 || m->nfds != 1) {
		log_warnx("malformed LUN_STATE");
		return;
	}
	if (!configured) {
		log_warnx("LUN_STATE before LUN_CONFIG, ignored");
		return;
	}
	fd = m->fds[0];
	m->fds[0] = -1;
	/* pr_state_load() owns the descriptor from here */
	if (pr_state_load(&the_lun, fd, err, sizeof(err)) == -1)
		log_warnx("state file: %s", err);
	else
		log_debug("state file: %u registrations%s",
		    the_lun.pr_nregs, the_lun.pr_holder != NULL ?
		    ", reserved" : "");
}

/* EXTENDED COPY names another LUN: ask the master for its store. */
static int
lun_xcopy_ask(struct lun *lun, const uint8_t *naa, uint32_t reqid)
{
	struct msg_xcopy_req	r;

	memset(&r, 0, sizeof(r));
	memcpy(r.naa, naa, sizeof(r.naa));
	return (msgchan_send(&master, MSG_LUN_XCOPY_REQ, reqid, NULL, 0, &r,
	    sizeof(r)));
}

/* A SET TARGET PORT GROUPS changed states: the master tells the rest. */
static int
lun_alua_tell(struct lun *lun, const struct msg_lun_alua *a)
{
	return (msgchan_send(&master, MSG_LUN_ALUA_SET, lun->cfg.lun_id, NULL,
	    0, a, sizeof(*a)));
}

/* The master's answer to lun_xcopy_ask(): peerid is the request. */
static void
lun_xcopy_peer(struct msg *m)
{
	struct msg_xcopy_peer	p;
	uint32_t		bs;
	int			fd = -1;

	if (MSG_GET(m, &p) != 0 || m->nfds > 1) {
		log_warnx("malformed LUN_XCOPY_PEER");
		return;
	}
	if (m->nfds == 1) {
		fd = m->fds[0];
		m->fds[0] = -1;
	}
	bs = p.block_size;
	if (fd != -1 && (p.writable != 0 || (bs != 512 && bs != 1024 &&
	    bs != 2048 && bs != 4096) || p.size / bs == 0)) {
		log_warnx("LUN_XCOPY_PEER refused");
		close(fd);
		fd = -1;
	}
	if (!configured) {
		if (fd != -1)
			close(fd);
		return;
	}
	xcopy_peer_reply(&the_lun, m->hdr.peerid, p.naa, fd, bs,
	    fd == -1 ? 0 : p.size / bs);
}

/* A passthrough LUN's LUN RESET: the master resets the device. */
static int
lun_dev_reset(struct lun *lun)
{
	return (msgchan_send(&master, MSG_LUN_DEV_RESET, 0, NULL, 0, NULL,
	    0));
}

/*
 * Open the sg device of a passthrough LUN, as the final user, before
 * the chroot (sandbox_drop_sg()): an sg version 3 character device.
 */
static int
sg_open(void)
{
	struct stat	st;
	int		v;

	if ((sg_fd = open(sg_path, O_RDWR | O_NONBLOCK | O_CLOEXEC)) ==
	    -1) {
		log_warn("%s", sg_path);
		return (-1);
	}
	if (fstat(sg_fd, &st) == -1 || !S_ISCHR(st.st_mode) ||
	    ioctl(sg_fd, SG_GET_VERSION_NUM, &v) == -1 || v < 30000) {
		log_warnx("%s: not an sg device", sg_path);
		close(sg_fd);
		sg_fd = -1;
		return (-1);
	}
	return (0);
}

/* A changer's request to the master (a move into or out of a drive). */
static int
send_master(void *arg, uint32_t type, const void *data, size_t len)
{
	return (msgchan_send(&master, type, 0, NULL, 0, data, len));
}

/* A changer's elements, and its inventory file if there is one. */
static void
lun_changer(struct msg *m)
{
	struct msg_changer	*mc;
	char			 err[TGT_ERR_MAX];
	int			 fd = -1;

	if (m->hdr.len != sizeof(*mc) || m->nfds > 1 || !configured) {
		log_warnx("malformed LUN_CHANGER");
		return;
	}
	if ((mc = malloc(sizeof(*mc))) == NULL) {
		log_warn("LUN_CHANGER");
		return;
	}
	if (MSG_GET(m, mc) != 0) {
		free(mc);
		return;
	}
	if (m->nfds == 1) {
		fd = m->fds[0];
		m->fds[0] = -1;
	}
	/* smc_configure() owns the descriptor from here */
	if (smc_configure(&the_lun, mc, fd, err, sizeof(err)) == -1)
		log_warnx("changer: %s", err);
	else
		log_info("changer: %u slots, %u mail slots, %u drives%s",
		    mc->nslots, mc->nmail, mc->ndrives, fd != -1 ? "" :
		    ", no inventory file");
	free(mc);
}

/* The changer's move through the master, or its view of a drive. */
static void
lun_changer_msg(struct msg *m)
{
	struct msg_lun_move_done	 md;
	struct msg_changer_drive	 cd;
	struct ctl_mailslot		 cm;
	struct msg_error		 e;

	if (!configured) {
		log_warnx("changer message before LUN_CONFIG, ignored");
		return;
	}
	switch (m->hdr.type) {
	case MSG_LUN_MOVE_DONE:
		if (MSG_GET(m, &md) != 0) {
			log_warnx("malformed LUN_MOVE_DONE");
			return;
		}
		md.text[sizeof(md.text) - 1] = '\0';
		if (!md.ok)
			log_info("move refused: %s", md.text);
		smc_move_done(&the_lun, &md);
		if (the_lun.batch_done != NULL)
			the_lun.batch_done(&the_lun, the_lun.batch_arg);
		break;
	case MSG_LUN_CHANGER_DRIVE:
		if (MSG_GET(m, &cd) != 0) {
			log_warnx("malformed LUN_CHANGER_DRIVE");
			return;
		}
		smc_drive_changed(&the_lun, &cd);
		break;
	case MSG_LUN_MAILSLOT:
		if (MSG_GET(m, &cm) != 0) {
			log_warnx("malformed LUN_MAILSLOT");
			return;
		}
		memset(&e, 0, sizeof(e));
		if (smc_mailslot(&the_lun, &cm, e.text, sizeof(e.text)) == 0)
			e.text[0] = '\0';
		if (msgchan_send(&master, MSG_LUN_MAILSLOT_DONE,
		    m->hdr.peerid, NULL, 0, &e, sizeof(e)) == -1)
			log_warn("cannot send LUN_MAILSLOT_DONE");
		break;
	}
}

/* A cartridge in (with its descriptor) or out (without) of a drive. */
static void
lun_medium(struct msg *m)
{
	struct msg_lun_medium		 lm;
	struct msg_lun_medium_done	 d;
	struct msg_lun_ready		 rdy;
	int				 fd = -1;

	if (MSG_GET(m, &lm) != 0 || m->nfds > 1) {
		log_warnx("malformed LUN_MEDIUM");
		return;
	}
	if (m->nfds == 1) {
		fd = m->fds[0];
		m->fds[0] = -1;
	}
	if (!configured) {
		log_warnx("LUN_MEDIUM before LUN_CONFIG, ignored");
		if (fd != -1)
			close(fd);
		return;
	}
	lm.barcode[sizeof(lm.barcode) - 1] = '\0';
	/* ssc_medium() or mmc_medium() owns the descriptor from here */
	if ((the_lun.dt == &devtype_optical ? mmc_medium(&the_lun, fd,
	    lm.barcode, &d) : ssc_medium(&the_lun, fd, &d)) == -1)
		log_warnx("medium %s: %s", fd != -1 ? "not loaded" :
		    "not taken out", d.text);
	if (msgchan_send(&master, MSG_LUN_MEDIUM_DONE, m->hdr.peerid, NULL,
	    0, &d, sizeof(d)) == -1)
		log_warn("cannot send LUN_MEDIUM_DONE");
	/* a disc's size is the LUN's: the master shows the new one */
	if (the_lun.dt == &devtype_optical) {
		memset(&rdy, 0, sizeof(rdy));
		rdy.lun_id = the_lun.cfg.lun_id;
		rdy.block_size = the_lun.block_size;
		rdy.size = the_lun.size;
		if (msgchan_send(&master, MSG_LUN_READY, 0, NULL, 0, &rdy,
		    sizeof(rdy)) == -1)
			log_warn("cannot send LUN_READY");
	}
}

static void
ring_del(struct msg *m)
{
	struct msg_ring_del	 mrd;
	struct lring		*lr;

	if (MSG_GET(m, &mrd) != 0) {
		log_warnx("malformed RING_DEL");
		return;
	}
	if ((lr = lring_find(mrd.portal_id)) != NULL) {
		log_info("portal %u: ring removed", mrd.portal_id);
		lring_del(lr);
	}
}

static void
dispatch(struct msgchan *mc, struct msg *m, void *arg)
{
	int32_t	level;

	switch (m->hdr.type) {
	case MSG_LUN_CONFIG:
		lun_config(m);
		break;
	case MSG_LUN_RING_ADD:
		ring_add(m);
		break;
	case MSG_LUN_RBD:
		lun_rbd(m);
		break;
	case MSG_LUN_STATE:
		lun_state(m);
		break;
	case MSG_LUN_XCOPY_PEER:
		lun_xcopy_peer(m);
		break;
	case MSG_LUN_RING_DEL:
		ring_del(m);
		break;
	case MSG_LUN_MEDIUM:
		lun_medium(m);
		break;
	case MSG_LUN_CHANGER:
		lun_changer(m);
		break;
	case MSG_LUN_MOVE_DONE:
	case MSG_LUN_CHANGER_DRIVE:
	case MSG_LUN_MAILSLOT:
		lun_changer_msg(m);
		break;
	case MSG_LUN_STATS:
	case MSG_LUN_OFFLINE:
	case MSG_LUN_RESIZE:
	case MSG_LUN_UA:
	case MSG_LUN_ALUA:
		lunctl_dispatch(configured ? &the_lun : NULL, &master, m);
		break;
	case MSG_LUN_PING:
		/* a portal found a TMF unanswered: the loop still runs */
		if (msgchan_send(&master, MSG_LUN_PONG, 0, NULL, 0, NULL, 0) ==
		    -1)
			log_warn("cannot answer a ping");
		break;
	case MSG_LOG_VERBOSE:
		if (MSG_GET(m, &level) == 0)
			log_setverbose(level);
		else
			log_warnx("malformed LOG_VERBOSE");
		break;
	default:
		log_warnx("unexpected message type %u from the master",
		    m->hdr.type);
		break;
	}
	msg_free(m);
}

static void
on_term(evutil_socket_t sig, short ev, void *arg)
{
	log_debug("SIGTERM, exiting");
	event_base_loopbreak(evb);
}

static void
closed(struct msgchan *mc, void *arg)
{
	log_debug("master channel closed, exiting");
	event_base_loopbreak(evb);
}

/*
 * A glfs LUN: the master's first message names the volume and image.
 * Read before the sandbox, like the command line, and checked the same
 * way as any other message; 0, or -1 if the master sent something else.
 */
static int
glfs_conf_read(void)
{
	struct msg	 m;
	uint32_t	 i;
	int		 r;

	if (msg_recv_fd(TGT_CHILD_FD, &m) != 1)
		return (-1);
	r = -1;
	if (m.hdr.type == MSG_LUN_GLFS && m.nfds == 0 &&
	    MSG_GET(&m, &glfs_conf) == 0 && glfs_conf.nservers >= 1 &&
	    glfs_conf.nservers <= GLFS_SERVERS_MAX &&
	    memchr(glfs_conf.volume, '\0', sizeof(glfs_conf.volume)) != NULL &&
	    memchr(glfs_conf.path, '\0', sizeof(glfs_conf.path)) != NULL &&
	    glfs_conf.path[0] == '/') {
		r = 0;
		for (i = 0; i < glfs_conf.nservers; i++)
			if (memchr(glfs_conf.server[i].host, '\0',
			    sizeof(glfs_conf.server[i].host)) == NULL ||
			    glfs_conf.server[i].port > 65535)
				r = -1;
	}
	msg_free(&m);
	return (r);
}

/* Between the user change and the chroot (sandbox_drop_net()). */
static int
glfs_connect(void)
{
	if (glfs_prepare(&glfs_conf, glfs_conf.readonly != 0) == -1)
		log_warnx("glfs: not connected");
	/* reported by LUN_CONFIG, the process itself runs on */
	return (0);
}

int
main(int argc, char *argv[])
{
	struct child_opts	 o;
	struct sandbox_prog	*prog = NULL;
	struct stat		 st;
	char			 err[TGT_ERR_MAX];
	int			 ring_fd = -1, glfs;

	child_start(argc, argv, "tgt-lun", &o);
	signal(SIGHUP, SIG_IGN);
	/* the launcher: what follows runs in each LUN process it forks */
	if (o.launcher)
		prog = launcher_run(&o);

	if ((evb = event_base_new()) == NULL)
		fatalx("event_base_new");
	/*
	 * io_uring: the ring is made (and restricted) now, before the
	 * filter, which never allows io_uring_setup.  Made with
	 * CAP_IPC_LOCK, its fixed buffers are not charged to the user's
	 * RLIMIT_MEMLOCK; its operations still run with the credentials of
	 * this process once dropped.  A failure is reported to the master
	 * when LUN_CONFIG asks for the backend.
	 */
	if (o.backend != NULL && strcmp(o.backend, "io_uring") == 0 &&
	    (ring_fd = io_uring_prepare(err, sizeof(err))) == -1)
		log_warnx("%s", err);
	/* rbd: librbd and librados cannot be loaded inside the chroot */
	if (o.backend != NULL && strcmp(o.backend, "rbd") == 0) {
		if (ceph_load(err, sizeof(err)) == -1)
			log_warnx("%s", err);
		/*
		 * The master's SIGTERM ends the loop, so that the image's
		 * watches go now rather than when the OSD gives up on them
		 * (30 s, during which the other gateways' notifies wait).
		 */
		if ((ev_term = evsignal_new(evb, SIGTERM, on_term, NULL)) ==
		    NULL || event_add(ev_term, NULL) == -1)
			log_warnx("cannot catch SIGTERM");
	}
	glfs = o.backend != NULL && strcmp(o.backend, "glfs") == 0;
	if (o.device != NULL) {
		/* the node's group lets the unprivileged user open it */
		sg_path = o.device;
		if (stat(sg_path, &st) == -1)
			fatal("%s", sg_path);
		sandbox_drop_sg(o.user, o.chroot, sg_open, st.st_gid);
	} else if (glfs) {
		/*
		 * glfs: gfapi loads its translators and resolves the
		 * bricks' names as it connects, so it does before the
		 * chroot, as the unprivileged user; then the glfs filter
		 * (threads and TCP sockets, still no open or exec).
		 */
		if (glfs_conf_read() == -1)
			fatalx("malformed LUN_GLFS from the master");
		sandbox_drop_net(o.user, o.chroot, glfs_connect);
	} else
		sandbox_drop(o.user, o.chroot);
	if (glfs)
		sandbox_seccomp(SANDBOX_LUN_GLFS);
	else if (ring_fd != -1) {
		sandbox_seccomp_io_uring(SANDBOX_LUN, ring_fd);
	} else {
		io_uring_unavailable("backend io_uring needs tgt-lun started "
		    "with -b io_uring (its ring is made before the sandbox)");
		/*
		 * A process the launcher forked has its filter compiled
		 * already (the master sends it plain and io_uring LUNs only);
		 * rbd: librados' threads and sockets.
		 */
		if (prog != NULL)
			sandbox_seccomp_prog(prog);
		else
			sandbox_seccomp(o.backend != NULL &&
			    strcmp(o.backend, "rbd") == 0 ? SANDBOX_LUN_RBD :
			    SANDBOX_LUN);
	}

	if (msgchan_init(&master, evb, TGT_CHILD_FD, dispatch, closed,
	    NULL) == -1)
		fatal("msgchan_init");
	event_base_dispatch(evb);

	lring_del_all();
	if (sg_fd != -1)
		close(sg_fd);
	if (configured) {
		lun_fini(&the_lun);
		if (the_lun.fd != -1)
			close(the_lun.fd);
	}
	msgchan_clear(&master);
	if (ev_term != NULL)
		event_free(ev_term);
	event_base_free(evb);
	return (0);
}
