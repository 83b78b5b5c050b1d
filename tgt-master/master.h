/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * tgt-master internals.
 *
 *	tgt-master.c	main, signals, start-up and shutdown
 *	parse.y		tgt.conf grammar and lexer
 *	conf.c		configuration helpers
 *	proc.c		fork+exec of children, the LUN launcher, reaping,
 *			restart back-off
 *	apply.c		runtime targets/LUNs/portals, rings, reload by
 *			difference
 *	portal.c	tgt-portal children: listener, start, dispatch
 *	lun.c		tgt-lun children: backing store, start, dispatch,
 *			EXTENDED COPY sources
 *	media.c		changers, drives and the media moved between them
 *	alua.c		target port groups: their states, the table the
 *			LUNs get
 *	control.c	control socket for tgtctl
 *
 * Everything here takes the master state as an argument: only
 * tgt-master.c has process globals, so the other objects link into the
 * unit tests on their own.
 */

#ifndef TGT_MASTER_H
#define TGT_MASTER_H

#include <sys/types.h>
#include <sys/queue.h>
#include <limits.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>

#include "conf.h"
#include "msg.h"
#include "proto.h"

#define MASTER_MAX_CMDS		128		/* CmdSN window per session */
#define MASTER_MAX_XFER		(8u << 20)	/* largest command, bytes */
#define MASTER_RING_MEM		(1ull << 30)	/* rings share this, see
						 * ring_data_size() */
#define MASTER_BACKOFF_MIN	1		/* seconds */
#define MASTER_BACKOFF_MAX	30
#define MASTER_BACKOFF_WINDOW	10	/* died sooner: back off more */
#define MASTER_PING_WAIT	2	/* s a stuck LUN has for LUN_PONG */
#define MASTER_STOP_WAIT	5	/* SIGTERM, then SIGKILL after */
#define MASTER_CTL_TIMEOUT	2	/* show sessions: wait for portals */
#define MASTER_UA_WAIT		2	/* reload: the 3F/0E waits for added
					 * LUNs at most this long */
#define MASTER_INSTANCE_MAX	(TGT_NAME_MAX + 32)

#define ROLE_PORTAL		1
#define ROLE_LUN		2
#define ROLE_LAUNCHER		3	/* tgt-lun -L, forks the LUN processes */
#define MASTER_EXITS_MAX	4096	/* see struct master.exits */
#define MASTER_LAUNCH_WAIT	10	/* seconds without an answer from
					 * the launcher: it is killed */

struct master;
struct proc;

/*
 * Something the master keeps running: a portal or a LUN.  It has at most
 * one process at a time; when that dies it is started again after the
 * back-off.
 */
struct svc {
	struct master		*m;
	void			*owner;		/* mportal or mlun */
	int			 role;
	char			 instance[MASTER_INSTANCE_MAX];
	struct proc		*proc;		/* NULL: not running */
	struct event		*ev_restart;
	int			 backoff;	/* seconds, next restart */
	uint32_t		 restarts;
	struct timespec		 started;
	void			(*start)(struct svc *);
	int			 rdma;		/* portal: -R, iSER */
};

/*
 * A child process.  svc is NULL once its owner let it go (stopping).  A
 * LUN process asked of the launcher has no pid until the launcher says
 * which (launch_id, pid -1); a signal for it waits in kill_sig.
 */
struct proc {
	TAILQ_ENTRY(proc)	 entry;
	struct master		*m;
	struct svc		*svc;
	int			 role;
	pid_t			 pid;
	uint32_t		 launch_id;
	int			 kill_sig;
	struct msgchan		 chan;
	int			 chan_up;
	char			 instance[MASTER_INSTANCE_MAX];
};
TAILQ_HEAD(procs, proc);

/* Small set of portal ids. */
struct idset {
	uint64_t		*bits;
	size_t			 nwords;
};

struct mportal {
	TAILQ_ENTRY(mportal)	 entry;
	struct svc		 svc;
	struct conf_listen	 listen;
	uint32_t		 portal_id;
	int			 sock;
	int			 keep;		/* reload: still configured */
	int			 draining;	/* removed: sessions log out */
	struct event		*ev_drain;
	int			 readvertise;	/* reload: advertise changed */
	char			 next_advertise[TGT_ADDR_MAX];
	int			 next_pgroup;	/* reload: its port-group */
};
TAILQ_HEAD(mportals, mportal);

struct mtarget;

#define REQ_NONE	0
#define REQ_CTL		1		/* tgtctl drive */
#define REQ_CHANGER	2		/* a changer's MOVE MEDIUM */

struct mlun {
	TAILQ_ENTRY(mlun)	 entry;
	struct svc		 svc;
	struct mtarget		*target;
	struct conf_lun		 conf;
	uint32_t		 lun_id;
	int			 fd;		/* backing store */
	struct msg_lun_rbd	*rbd;		/* backend rbd: its cluster */
	int			 ready;
	uint64_t		 size;		/* from MSG_LUN_READY */
	uint32_t		 block_size;
	struct idset		 rings;		/* portals its process has */
	int			 keep;
	int			 resize;	/* reload: store resized */
	int			 offline;	/* tgtctl lun offline */
	/*
	 * a tape drive: the cartridge it holds now (fd), "" if none; a
	 * passthrough LUN: medium is its sg node
	 */
	char			 cartridge[TGT_BARCODE_MAX];
	char			 medium[TGT_PATH_MAX];
	/* who waits for its MEDIUM_DONE: REQ_* and their id */
	uint32_t		 req_kind;
	uint32_t		 req_id;	/* ctl client, or move */
	uint32_t		 req_lun;	/* the changer's lun_id */
	int			 req_load;	/* a load, not an unload */
	struct msg_inventory	*inv;		/* a changer's, last reported */
	char			 file[TGT_PATH_MAX];	/* for messages */
	int			 draining;	/* reload removed it */
	int			 ua_new;	/* reload: added, the others'
						 * 3F/0E waits for it */
	struct event		*ev_drain;
	struct event		*ev_ping;	/* LUN_PING sent, no PONG yet */
	int			 failed;	/* LUN_ERROR before READY */
};
TAILQ_HEAD(mluns, mlun);

struct mtarget {
	TAILQ_ENTRY(mtarget)	 entry;
	struct master		*m;
	uint32_t		 target_id;
	uint32_t		 flags;
	char			 name[TGT_NAME_MAX];
	char			 alias[TGT_NAME_MAX];
	struct mluns		 luns;
	struct mluns		 drain_luns;	/* removed, draining */
	int			 keep;
	int			 draining;	/* removed: sessions log out */
	struct event		*ev_drain;
	/* reload: the others' 3F/0E waits for this many added LUNs */
	int			 ua_wait;
	struct event		*ev_ua;
};
TAILQ_HEAD(mtargets, mtarget);

/* A target port group (alua.c). */
struct mpgroup {
	uint16_t		 id;
	uint8_t			 state;		/* ALUA_* now */
	uint8_t			 conf_state;	/* as tgt.conf says */
	uint8_t			 pref;
	uint8_t			 status;	/* ALUA_STATUS_* */
};

struct ctl_conn;
TAILQ_HEAD(ctl_conns, ctl_conn);

struct master {
	struct event_base	*evb;
	struct tgt_conf		*conf;
	char			 conffile[TGT_PATH_MAX];
	char			 exedir[PATH_MAX];
	int			 debug;
	int			 verbose;
	struct mportals		 portals;
	struct mtargets		 targets;
	struct procs		 procs;
	struct svc		 launcher;	/* tgt-lun -L */
	uint32_t		 next_launch_id;
	struct event		*ev_launch;	/* MASTER_LAUNCH_WAIT */
	size_t			 nlaunching;	/* procs with a launch_id */
	/*
	 * Exits of children not known yet: a launched LUN process may
	 * end before the master reads its pid from the launcher.
	 */
	struct proc_exit {
		pid_t		 pid;
		int		 status;
	}			*exits;
	size_t			 nexits;
	uint32_t		 next_target_id;
	uint32_t		 next_lun_id;
	int			 stopping;
	/* control socket */
	int			 ctl_fd;
	struct event		*ev_ctl;
	char			 ctl_path[108];	/* sun_path */
	struct ctl_conns	 ctl_conns;
	uint32_t		 next_ctl_id;
	struct isns_state	*isns;		/* isns.c */
	struct mpgroup		 pgroups[ALUA_GROUPS_MAX];	/* alua.c */
	uint32_t		 npgroups;
};

/* proc.c */
void	 master_init(struct master *);
int	 proc_spawn(struct svc *);
void	 proc_release(struct proc *, int sig);
void	 proc_reap(struct master *);
void	 proc_kill_all(struct master *, int sig);
/* kill(2) the process, or once the launcher says which it is. */
void	 proc_signal(struct proc *, int sig);
/* Start the launcher; LUN processes are exec'd while it is not running. */
void	 launcher_init(struct master *);
void	 svc_init(struct svc *, struct master *, void *, int role,
	    const char *, void (*)(struct svc *));
void	 svc_start(struct svc *);
void	 svc_stop(struct svc *);
int	 svc_running(const struct svc *);
const char *role_name(int);

int	 idset_add(struct idset *, uint32_t);
void	 idset_del(struct idset *, uint32_t);
int	 idset_has(const struct idset *, uint32_t);
void	 idset_clear(struct idset *);
void	 idset_free(struct idset *);

/* apply.c */
/* What a new configuration adds, opened but not started yet. */
struct apply {
	struct tgt_conf		*conf;
	struct mportals		 portals;
	struct mtargets		 targets;
	struct mluns		 luns;		/* new LUNs of kept targets */
};
/*
 * Make the running state match a configuration, in two steps.  prepare
 * binds the new listeners and opens the new backing stores; on error
 * nothing has changed and err has the messages ("file:line: ...").
 * commit stops what went away and starts what came; it takes the conf.
 * At start-up, prepare runs before daemon(), commit after.
 */
int	 master_prepare(struct master *, struct tgt_conf *, struct apply *,
	    char *err, size_t errlen);
void	 master_commit(struct master *, struct apply *);
void	 master_abort(struct master *, struct apply *);
int	 master_reload(struct master *, char *err, size_t errlen);
/* tgtctl log verbose|brief: the master and every child. */
void	 master_log_verbose(struct master *, int level);
/*
 * tgtctl drive load|unload: 0 done, 1 the drive answers later (to
 * control client ctl_id, *mlp the drive), -1 and why not.
 */
int	 master_drive(struct master *, const struct ctl_drive *,
	    uint32_t ctl_id, struct mlun **mlp, char *err, size_t errlen);
/* tgtctl library insert|eject: 1 the changer answers later, -1. */
int	 master_mailslot(struct master *, const struct ctl_mailslot *,
	    uint32_t ctl_id, struct mlun **mlp, char *err, size_t errlen);
/* tgtctl lun offline|online; -1 if there is no such LUN. */
int	 master_lun_state(struct master *, const char *target, uint64_t lun,
	    int offline);
void	 master_stop_all(struct master *);
void	 master_free(struct master *);
/* Reset the LUN's view of the rings of its dead process. */
void	 apply_proc_gone(struct proc *);
/* A child sent something it should not: it is restarted. */
void	 proc_bad(struct proc *, const struct msg *);
/* Append a message to err ("; " between two). */
void	 errappend(char *, size_t, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/* A close-on-exec duplicate of fd to hand over, or -1. */
int	 dupfd(int);
struct mtarget	*target_find(struct master *, const char *);
struct mlun	*lun_find(struct mtarget *, uint64_t);
/* Share a ring between a running portal and a running LUN. */
void	 ring_pair(struct master *, struct mportal *, struct mlun *);
void	 ring_del_msg(struct msg_ring_del *, struct mportal *, struct mlun *);
void	 target_announce(struct master *, struct mportal *, struct mtarget *);
void	 target_ready(struct mportal *, struct mtarget *);
/*
 * A LUN's process ended, or (failed) cannot serve: the portals hear of
 * it (LUN_DOWN); lun_down_send tells one.
 */
void	 lun_down(struct master *, struct mlun *, int failed);
void	 lun_down_send(struct mportal *, struct mlun *);
/* A portal's LUN_STUCK: -1 if malformed. */
int	 lun_stuck(struct master *, struct mportal *, struct msg *);
/* An added LUN is ready: its target's 3F/0E may be due. */
void	 luns_added_ready(struct master *, struct mlun *);

/* portal.c */
struct mportal	*portal_new(struct master *, const struct conf_listen *,
		    char *err, size_t errlen);
void	 portal_config_send(struct master *, struct mportal *);
uint16_t portal_rel_port(const struct mportal *);
void	 portal_dispatch(struct msgchan *, struct msg *, void *);

/* lun.c */
struct mlun	*lun_new(struct master *, struct mtarget *,
		    const struct conf_lun *, char *err, size_t errlen);
int	 lun_state_file(struct master *, struct mlun *, const char *suffix);
/* ceph.c */
int	 ceph_lun_settings(const struct conf_lun *, struct msg_lun_rbd *,
	    char *, size_t);
int	 optical_open(const char *, int readonly, int nofollow);
struct mlun	*mlun_by_id(struct master *, uint32_t);
void	 lun_dispatch(struct msgchan *, struct msg *, void *);

/* media.c */
void	 changer_start(struct master *, struct mlun *);
void	 changer_move(struct master *, struct mlun *,
	    const struct msg_lun_move *);
void	 drive_done(struct master *, struct mlun *,
	    const struct msg_lun_medium_done *);

/* alua.c */
void	 alua_reload(struct master *);
void	 alua_send(struct master *, struct mlun *);
void	 alua_announce(struct master *);
int	 alua_set(struct master *, uint16_t id, int state, char *err,
	    size_t errlen);
int	 alua_lun_set(struct master *, struct mlun *, struct msg *);
void	 alua_show(struct master *,
	    void (*)(void *, const struct ctl_pgroup *), void *);

/* isns.c: register with the iSNS server after start-up and reloads. */
void	 isns_update(struct master *);
/* MSG_PORTAL_ISNS_DONE: -1 if malformed. */
int	 isns_done(struct master *, struct msg *);

/* auth.c */
struct msg_auth_req;
struct msg_auth_resp;
/* H(id || secret || challenge): digest length, or -1 (algorithm). */
int	 chap_digest(int alg, uint8_t id, const void *secret, size_t slen,
	    const uint8_t *chal, size_t clen, uint8_t *out);
int	 auth_check(const struct conf_auth *, const struct msg_auth_req *,
	    struct msg_auth_resp *, const char **why);
/* MSG_PORTAL_AUTH_REQ from a portal: answers on ch; -1 if malformed. */
int	 auth_request(struct master *, struct msgchan *ch, struct msg *);
void	 auth_announce(struct master *, struct mportal *, struct mtarget *);
void	 auth_announce_discovery(struct master *, struct mportal *);
void	 auth_reload(struct master *);

/* control.c */
int	 control_init(struct master *, const char *path);
int	 control_listen(struct master *);
void	 control_close(struct master *);
void	 control_move(struct master *, const char *path);
/* A portal's reply to a forwarded request; -1 if malformed. */
int	 control_portal_reply(struct master *, struct mportal *,
	    struct msg *);
void	 control_portal_gone(struct master *, struct mportal *);
/* A LUN's statistics for a client; -1 if malformed. */
int	 control_lun_reply(struct master *, struct mlun *, struct msg *);
void	 control_lun_gone(struct master *, struct mlun *);
void	 control_drive_reply(struct master *, struct mlun *, uint32_t ctl_id,
	    const struct msg_lun_medium_done *);
void	 control_mailslot_reply(struct master *, struct mlun *,
	    uint32_t ctl_id, const char *err);

#endif /* TGT_MASTER_H */
