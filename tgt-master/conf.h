/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * The parsed form of tgt.conf(5).  Produced by parse.y, consumed by
 * tgt-master (and by the config unit tests).
 */

#ifndef TGT_CONF_H
#define TGT_CONF_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdint.h>

#include "proto.h"

#define CONF_DEF_USER		"_tgt"
#define CONF_DEF_CHROOT		"/var/empty"
#define CONF_DEF_CONTROL	"/run/tgt.sock"
#define CONF_DEF_STATEDIR	"/var/lib/tgt/state"
#define CONF_DEF_MEDIADIR	"/var/lib/tgt/media"
#define CONF_DEF_PORT		3260
#define CONF_DEF_FILE		"/etc/tgt.conf"

/* A media changer's elements: lun N changer { ... } */
struct conf_changer {
	uint32_t		 nslots;
	uint32_t		 nmail;
	uint32_t		 ndrives;
	uint32_t		 nplaced;
	struct {
		char		 target[TGT_NAME_MAX];	/* "": its own */
		uint64_t	 lun;
	} drive[CHANGER_DRIVES_MAX];
	struct {
		uint16_t	 kind;		/* CHANGER_SLOT, _MAILSLOT */
		uint16_t	 index;
		char		 barcode[TGT_BARCODE_MAX];
		int		 lineno;
	} placed[CHANGER_PLACED_MAX];
};

/* backend rbd: where the image is and how to reach its cluster */
struct conf_rbd {
	char			 pool[RBD_NAME_MAX];	/* default "rbd" */
	char			 ns[RBD_NAME_MAX];	/* "": default */
	char			 image[RBD_NAME_MAX];
	char			 user[RBD_NAME_MAX];	/* default "admin" */
	char			 conf[TGT_PATH_MAX];	/* cluster config */
	uint32_t		 timeout;	/* seconds, mon and OSD ops */
};
#define CONF_DEF_RBD_TIMEOUT	30

struct conf_lun {
	TAILQ_ENTRY(conf_lun)	 entry;
	uint64_t		 lun;		/* LUN number, < 16384 */
	uint32_t		 type;		/* LUN_TYPE_* */
	uint32_t		 backend;	/* LUN_BACKEND_* */
	uint32_t		 flags;		/* LUN_F_* */
	uint32_t		 block_size;	/* default 512 */
	uint64_t		 size;		/* 0: size of the backing store */
	char			 path[TGT_PATH_MAX];	/* a tape: its
						 * cartridge, or "" */
	char			 cartridge[33];	/* a tape's barcode */
	struct conf_changer	 changer;	/* LUN_TYPE_CHANGER */
	struct conf_rbd		 rbd;		/* LUN_BACKEND_RBD */
	struct msg_lun_glfs	 glfs;		/* LUN_BACKEND_GLFS */
	char			 vendor[9];	/* default "TGT" */
	char			 product[17];	/* default "DISK" */
	char			 revision[5];
	char			 serial[33];	/* default derived from name */
	int			 lineno;	/* for messages */
	char			 file[TGT_PATH_MAX];	/* defined in */
};
TAILQ_HEAD(conf_luns, conf_lun);

/* CHAP credentials: auth chap / auth mutual (tgt-master/auth.c). */
#define CONF_SECRET_MIN		12	/* bytes, RFC 7143 section 12.1.3 */
#define CONF_SECRET_MAX		255

struct conf_chap {
	TAILQ_ENTRY(conf_chap)	 entry;
	char			 user[CHAP_NAME_MAX];
	char			 secret[CONF_SECRET_MAX + 1];
	int			 lineno;
};
TAILQ_HEAD(conf_chaps, conf_chap);

/* Who may log in: allow initiator / allow address. */
struct conf_acl {
	TAILQ_ENTRY(conf_acl)	 entry;
	struct msg_acl		 rule;
};
TAILQ_HEAD(conf_acls, conf_acl);

struct conf_auth {
	struct conf_chaps	 chap;		/* initiators we accept */
	struct conf_chap	*mutual;	/* how we answer, or NULL */
};

struct conf_target {
	TAILQ_ENTRY(conf_target) entry;
	char			 name[TGT_NAME_MAX];
	char			 alias[TGT_NAME_MAX];
	uint32_t		 flags;		/* TARGET_F_* */
	struct conf_luns	 luns;
	int			 lineno;
	struct conf_auth	 auth;
	struct conf_acls	 acls;
	uint32_t		 access;	/* ACCESS_F_REDIRECT... */
	char			 redirect[TGT_ADDR_MAX];
};
TAILQ_HEAD(conf_targets, conf_target);

struct conf_listen {
	TAILQ_ENTRY(conf_listen) entry;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 name[TGT_ADDR_MAX];	/* "127.0.0.1:3260" */
	char			 advertise[TGT_ADDR_MAX]; /* SendTargets, "": name */
	int			 iser;		/* iSCSI over RDMA (RFC 7145) */
	int			 pgroup;	/* its port-group id, -1: none */
	uint16_t		 rel_port;	/* relative target port id,
						 * 0: its portal id + 1 */
	int			 lineno;		/* 0: the default */
	char			 file[TGT_PATH_MAX];
};
TAILQ_HEAD(conf_listens, conf_listen);

/* port-group N { state ...; listen on ... }: an ALUA target port group */
struct conf_pgroup {
	TAILQ_ENTRY(conf_pgroup) entry;
	uint16_t		 id;
	uint8_t			 state;		/* ALUA_* */
	int			 pref;		/* preferred */
	int			 state_set;
	int			 pref_set;
	int			 nlistens;
	int			 lineno;
	char			 file[TGT_PATH_MAX];
};
TAILQ_HEAD(conf_pgroups, conf_pgroup);

struct tgt_conf {
	char			 file[TGT_PATH_MAX];
	char			 user[64];
	char			 chroot[TGT_PATH_MAX];
	char			 control[108];	/* sun_path */
	struct conf_listens	 listens;
	struct conf_pgroups	 pgroups;	/* empty: no ALUA */
	int			 alua_explicit;	/* SET TARGET PORT GROUPS */
	int			 alua_transition; /* seconds, RTPG reports */
	uint16_t		 tpgt;		/* portal-group-tag, all listeners */
	struct conf_targets	 targets;
	struct conf_auth	 discovery;	/* discovery sessions */
	/* isns server: tgt-master/isns.c */
	struct sockaddr_storage	 isns_ss;
	socklen_t		 isns_sslen;	/* 0: no iSNS */
	char			 isns_name[TGT_ADDR_MAX];
	/* LUN state files (persistent reservations): apply.c */
	char			 state_dir[TGT_PATH_MAX];
	/* cartridges of tape drives: "<media_dir>/<barcode>" */
	char			 media_dir[TGT_PATH_MAX];
	/* reload: seconds removed targets, listeners, LUNs drain */
	int			 drain_timeout;
	/* idle seconds before a NOP-In ping (0: none), and for its answer */
	int			 nop_interval;
	int			 nop_timeout;
};
#define CONF_DEF_DRAIN		5
#define CONF_DEF_TPGT		1
#define CONF_DRAIN_MAX		3600
#define CONF_DEF_NOP_INTERVAL	30
#define CONF_DEF_NOP_TIMEOUT	30
#define CONF_NOP_MAX		3600
#define CONF_ISNS_PORT		3205

/* opts for parse_config() */
#define CONF_OPT_NOACTION	0x01	/* -n: only check */
#define CONF_OPT_VERBOSE	0x02
#define CONF_OPT_LOG		0x04	/* errors to the log, not stderr */

/*
 * Parse a file.  Returns NULL after printing every error as
 * "file:line: message" (to the log, or stderr before daemonizing).
 */
struct tgt_conf	*parse_config(const char *file, int opts);
void		 conf_free(struct tgt_conf *);
/* Print the configuration back in tgt.conf syntax (for -nv). */
void		 conf_dump(const struct tgt_conf *, FILE *);
/*
 * The error lines of the last parse_config(), newline separated and
 * truncated to fit TGT_ERR_MAX (for tgtctl reload); "" if none.
 */
const char	*conf_errors(void);

/* conf.c helpers, shared by the parser and the master. */
/* 0 if name is a valid iSCSI name, else -1 and a reason. */
int		 conf_iscsi_name_check(const char *name, const char **why);
/* Default unit serial number: hash of target name and LUN, 16 hex. */
const char	*conf_backend_name(uint32_t);
void		 conf_lun_serial(const char *target, uint64_t lun,
		    char *buf, size_t len);
/* NAA type 6 identifier, stable for a target name and LUN number. */
void		 conf_lun_naa(const char *target, uint64_t lun,
		    uint8_t naa[16]);
/* 1 if two LUNs have the same settings (reload keeps it running). */
int		 conf_lun_equal(const struct conf_lun *,
		    const struct conf_lun *);
int		 conf_listen_equal(const struct conf_listen *,
		    const struct conf_listen *);

#define CONF_NAA_OUI		0x2a5447	/* locally administered */

/* auth.c: credentials and access rules. */
void		 conf_auth_init(struct conf_auth *);
void		 conf_auth_free(struct conf_auth *);
void		 conf_acls_free(struct conf_acls *);
/* Parse "10.0.0.0/8", "2001:db8::/32" or one address: 0 or -1. */
int		 conf_acl_address(const char *, struct msg_acl *);
void		 conf_access_dump(const struct conf_auth *,
		    const struct conf_acls *, uint32_t access,
		    const char *redirect, const char *indent, FILE *);

#endif /* TGT_CONF_H */
