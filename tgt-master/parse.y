/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * tgt.conf(5) parser.  The lexer lives here too: comments, quoted strings,
 * numbers, keywords, macros (name = value, expanded with $name outside of
 * quotes), and include "file" with a stack of open files.  Every error is
 * printed as "file:line: message" and counted; parsing carries on to the
 * end so that all errors are reported in one run.
 */

%code requires {
#include <stdint.h>

struct file;

typedef struct yyltype {
	int		 first_line;
	int		 first_column;
	int		 last_line;
	int		 last_column;
	struct file	*file;
} YYLTYPE;
#define YYLTYPE_IS_DECLARED	1
#define YYLTYPE_IS_TRIVIAL	1
}

%code top {
/* bison initializes yylloc with the four position fields only */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
}

%define lr.default-reduction consistent
%code {
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alua.h"
#include "cartridge.h"
#include "conf.h"
#include "log.h"

#define INCLUDE_DEPTH_MAX	16
#define TOKEN_MAX		8192
#define PUSHBACK_MAX		8

/* Location of a nonterminal: that of its first symbol. */
#define YYLLOC_DEFAULT(cur, rhs, n) do {				\
	if (n)								\
		(cur) = YYRHSLOC(rhs, 1);				\
	else								\
		(cur) = YYRHSLOC(rhs, 0);				\
} while (0)

struct file {
	TAILQ_ENTRY(file)	 entry;		/* all files of this parse */
	struct file		*parent;	/* include stack */
	FILE			*fp;
	char			*name;
	int			 lineno;
	int			 depth;
	int			 nl_first;	/* include: '\n' ends it */
	int			 eof_nl;	/* synthetic '\n' at EOF sent */
	/* input: pushed back characters, then a macro expansion, then fp */
	int			 pushback[PUSHBACK_MAX];
	int			 npushback;
	char			*expand;
	size_t			 expand_pos;
	int			 expand_term;	/* last char is from fp */
};
static TAILQ_HEAD(, file)	 files = TAILQ_HEAD_INITIALIZER(files);
static struct file		*file;

struct sym {
	TAILQ_ENTRY(sym)	 entry;
	char			*name;
	char			*value;
};
static TAILQ_HEAD(, sym)	 syms = TAILQ_HEAD_INITIALIZER(syms);

static struct tgt_conf		*conf;
static struct conf_target	*cur_target;
static struct conf_lun		*cur_lun;
static struct conf_auth		*cur_auth;
static struct conf_pgroup	*cur_pgroup;
static int			 alua_line;	/* first alua statement */
static uint32_t			 lun_seen;
static int			 lun_nopath;	/* lun N disk { ... } */
static int			 errors;
static int			 parse_opts;
static int			 lex_failed;
static char			 errbuf[TGT_ERR_MAX];

#define SRC_FILE	0
#define SRC_OTHER	1
#define PB_FILE		0x10000
static int			 lgetc_src;

int		 yylex(void);
int		 yyparse(void);
void		 yyerror(const char *);
static void	 conf_err(const YYLTYPE *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	 conf_verr(struct file *, int, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));
static struct file *pushfile(const char *, const YYLTYPE *);
static void	 freefiles(void);
static int	 symset(const char *, const char *);
static const char *symget(const char *);
static void	 freesyms(void);

static void	 target_begin(const YYLTYPE *, const char *);
static void	 lun_begin(const YYLTYPE *, int64_t, const char *);
static void	 lun_begin_tape(const YYLTYPE *, int64_t);
static void	 lun_begin_changer(const YYLTYPE *, int64_t);
static void	 changer_drive(const YYLTYPE *, const char *, int64_t);
static void	 changer_place(const YYLTYPE *, int, int64_t, const char *);
static struct conf_changer *cur_changer(const YYLTYPE *);
static void	 lun_begin_optical(const YYLTYPE *, int64_t, const char *);
static void	 lun_begin_passthrough(const YYLTYPE *, int64_t, const char *);
static void	 media_paths(void);
static void	 changer_checks(void);
static void	 lun_end(const YYLTYPE *);
static int	 lun_once(const YYLTYPE *, uint32_t, const char *);
static void	 rbd_opt(const YYLTYPE *, const YYLTYPE *, uint32_t,
		    const char *, char *);
static void	 rbd_end(const YYLTYPE *);
static void	 lun_string(const YYLTYPE *, char *, size_t, const char *,
		    const char *);
static void	 listen_add(const YYLTYPE *, const char *, int64_t, int,
		    const char *, const YYLTYPE *, int64_t, const YYLTYPE *);
static int	 advertise_ok(const char *);
static int	 parse_size(const char *, uint64_t *);
static void	 auth_add(const YYLTYPE *, int, const char *,
		    const YYLTYPE *, const char *);
static void	 acl_add(const YYLTYPE *, int, const char *);
static void	 redirect_set(const YYLTYPE *, const char *, int64_t, int);
static void	 isns_set(const YYLTYPE *, const char *, int64_t);
static void	 glfs_server_add(const YYLTYPE *, const char *);
static void	 glfs_end(const YYLTYPE *);
static void	 pgroup_begin(const YYLTYPE *, int64_t);
static void	 pgroup_state(const YYLTYPE *, const char *);
static void	 pgroup_end(void);
static void	 pgroup_checks(void);

#define LOPT_BACKEND	0x0001
#define LOPT_THIN	0x0002
#define LOPT_RO		0x0004
#define LOPT_REMOVABLE	0x0008
#define LOPT_BLOCKSIZE	0x0010
#define LOPT_SIZE	0x0020
#define LOPT_VENDOR	0x0040
#define LOPT_PRODUCT	0x0080
#define LOPT_SERIAL	0x0100
#define LOPT_REVISION	0x0200
#define LOPT_WCACHE	0x0400
#define LOPT_PBLOCKSIZE	0x0800
#define LOPT_CARTRIDGE	0x1000
#define LOPT_SLOTS	0x2000
#define LOPT_MAILSLOTS	0x4000
/* options of a disk that a tape drive does not take */
#define LOPT_DIRECT	0x8000
/* of a passthrough LUN only */
#define LOPT_RESERVATIONS 0x10000
/* backend rbd: where the image is */
#define LOPT_POOL	0x20000
#define LOPT_NAMESPACE	0x40000
#define LOPT_IMAGE	0x80000
#define LOPT_CEPHUSER	0x100000
#define LOPT_CEPHCONF	0x200000
#define LOPT_RBDTIMEOUT	0x400000
#define LOPT_RBD	(LOPT_POOL | LOPT_NAMESPACE | LOPT_IMAGE | \
			    LOPT_CEPHUSER | LOPT_CEPHCONF | LOPT_RBDTIMEOUT)
#define LOPT_VOLUME	0x800000
#define LOPT_SERVER	0x1000000
#define LOPT_PATH	0x2000000
/* the image of backend glfs */
#define LOPT_GLFS	(LOPT_VOLUME | LOPT_SERVER | LOPT_PATH)
#define LOPT_DISK_ONLY	(LOPT_RBD | LOPT_BACKEND | LOPT_THIN | LOPT_REMOVABLE | \
			    LOPT_BLOCKSIZE | LOPT_SIZE | LOPT_WCACHE | \
			    LOPT_PBLOCKSIZE | LOPT_DIRECT | LOPT_GLFS)
}

%locations

%union {
	int64_t		 number;
	char		*string;
}

%token	INCLUDE USER CHROOT CONTROL SOCKET LISTEN ON PORT TARGET ALIAS
%token	ALLOW ALL LUN DISK BACKEND THIN READONLY REMOVABLE BLOCKSIZE SIZE
%token	VENDOR PRODUCT SERIAL REVISION WRITECACHE YES NO ERROR
%token	PBLOCKSIZE STATE DIRECTORY DRAIN TIMEOUT NOP INTERVAL
%token	AUTH CHAP MUTUAL SECRET DISCOVERY INITIATOR ADDRESS REDIRECT TO
%token	TEMPORARY PERMANENT ISNS SERVER ADVERTISE DIRECT ISER
%token	TAPE CARTRIDGE MEDIA OPTICAL PASSTHROUGH RESERVATIONS
%token	POOL IMAGE NAMESPACE CEPHCONF
%token	CHANGER SLOTS MAILSLOTS DRIVE SLOT MAILSLOT
%token	VOLUME PATH
%token	PORTGROUP PREFERRED ALUA EXPLICIT TRANSITIONTIME RELATIVEPORT PGTAG
%token	<string>	STRING
%token	<number>	NUMBER
%type	<number>	port yesno chapkind redirtype isnsport transport relport
%type	<string>	string advertise

%destructor { free($$); } <string>

%%

grammar		: /* empty */
		| grammar '\n'
		| grammar stmt '\n'
		| grammar error '\n'	{ yyerrok; }
		;

stmt		: include
		| varset
		| main
		| target
		| discovery
		| pgroup
		| unknown
		;

pgroup		: PORTGROUP NUMBER	{
			pgroup_begin(&@2, $2);
		} optnl '{' pgbody '}'	{
			pgroup_end();
		}
		;

pgbody		: optseps
		| optseps pgopts optseps
		;

pgopts		: pgopt
		| pgopts seps pgopt
		;

pgopt		: STATE STRING		{
			pgroup_state(&@2, $2);
			free($2);
		}
		| PREFERRED yesno	{
			if (cur_pgroup != NULL) {
				if (cur_pgroup->pref_set)
					conf_err(&@1, "preferred given twice");
				cur_pgroup->pref = $2;
				cur_pgroup->pref_set = 1;
			}
		}
		| LISTEN ON STRING port transport advertise relport {
			if ($4 != -1 && $7 != -1)
				listen_add(&@3, $3, $4, $5, $6, &@6, $7, &@7);
			free($3);
			free($6);
		}
		| unknown
		| error
		;

discovery	: DISCOVERY		{
			cur_auth = &conf->discovery;
		} discspec		{
			cur_auth = NULL;
		}
		;

discspec	: authopt
		| optnl '{' discbody '}'
		;

discbody	: optseps
		| optseps discopts optseps
		;

discopts	: discopt
		| discopts seps discopt
		;

discopt		: authopt
		| unknown
		| error
		;

authopt		: AUTH chapkind USER STRING SECRET STRING {
			auth_add(&@4, $2, $4, &@6, $6);
			explicit_bzero($6, strlen($6));
			free($4);
			free($6);
		}
		;

chapkind	: CHAP			{ $$ = 0; }
		| MUTUAL		{ $$ = 1; }
		;

redirtype	: /* empty */		{ $$ = 0; }
		| TEMPORARY		{ $$ = 0; }
		| PERMANENT		{ $$ = 1; }
		;

include		: INCLUDE STRING	{
			pushfile($2, &@2);
			free($2);
		}
		;

string		: STRING
		| NUMBER		{
			if (asprintf(&$$, "%lld", (long long)$1) == -1)
				fatal("asprintf");
		}
		;

varset		: STRING '=' string	{
			const char	*p;

			for (p = $1; *p != '\0'; p++)
				if (!isalnum((unsigned char)*p) && *p != '_')
					break;
			if (*p != '\0' || $1[0] == '\0' ||
			    isdigit((unsigned char)$1[0]))
				conf_err(&@1, "invalid macro name \"%s\"", $1);
			else if (symset($1, $3) == -1)
				fatal("symset");
			free($1);
			free($3);
		}
		;

main		: USER STRING		{
			if ($2[0] == '\0')
				conf_err(&@2, "user name is empty");
			else if (strlcpy(conf->user, $2, sizeof(conf->user)) >=
			    sizeof(conf->user))
				conf_err(&@2, "user name too long");
			free($2);
		}
		| CHROOT STRING		{
			if ($2[0] != '/')
				conf_err(&@2,
				    "chroot must be an absolute path");
			else if (strlcpy(conf->chroot, $2,
			    sizeof(conf->chroot)) >= sizeof(conf->chroot))
				conf_err(&@2, "chroot path too long");
			free($2);
		}
		| MEDIA DIRECTORY STRING {
			if ($3[0] != '/')
				conf_err(&@3,
				    "media directory must be an absolute path");
			else if (strlcpy(conf->media_dir, $3,
			    sizeof(conf->media_dir)) >= sizeof(conf->media_dir))
				conf_err(&@3, "media directory path too long");
			free($3);
		}
		| STATE DIRECTORY STRING {
			if ($3[0] != '/')
				conf_err(&@3,
				    "state directory must be an absolute path");
			else if (strlcpy(conf->state_dir, $3,
			    sizeof(conf->state_dir)) >= sizeof(conf->state_dir))
				conf_err(&@3, "state directory path too long");
			free($3);
		}
		| DRAIN TIMEOUT NUMBER	{
			if ($3 < 0 || $3 > CONF_DRAIN_MAX)
				conf_err(&@3, "drain timeout %lld out of "
				    "range 0..%d", (long long)$3,
				    CONF_DRAIN_MAX);
			else
				conf->drain_timeout = $3;
		}
		| NOP INTERVAL NUMBER	{
			if ($3 < 0 || $3 > CONF_NOP_MAX)
				conf_err(&@3, "nop interval %lld out of "
				    "range 0..%d", (long long)$3, CONF_NOP_MAX);
			else
				conf->nop_interval = $3;
		}
		| NOP TIMEOUT NUMBER	{
			if ($3 < 1 || $3 > CONF_NOP_MAX)
				conf_err(&@3, "nop timeout %lld out of "
				    "range 1..%d", (long long)$3, CONF_NOP_MAX);
			else
				conf->nop_timeout = $3;
		}
		| CONTROL SOCKET STRING	{
			if ($3[0] == '\0')
				conf_err(&@3, "control socket path is empty");
			else if (strlcpy(conf->control, $3,
			    sizeof(conf->control)) >= sizeof(conf->control))
				conf_err(&@3, "control socket path too long "
				    "(max %zu)", sizeof(conf->control) - 1);
			free($3);
		}
		| LISTEN ON STRING port transport advertise relport {
			if ($4 != -1 && $7 != -1)
				listen_add(&@3, $3, $4, $5, $6, &@6, $7, &@7);
			free($3);
			free($6);
		}
		| ISNS SERVER STRING isnsport {
			if ($4 != -1)
				isns_set(&@3, $3, $4);
			free($3);
		}
		| PGTAG NUMBER		{
			if ($2 < 1 || $2 > 65535)
				conf_err(&@2, "portal-group-tag %lld out of "
				    "range (1-65535)", (long long)$2);
			else
				conf->tpgt = $2;
		}
		| ALUA EXPLICIT yesno	{
			conf->alua_explicit = $3;
			if (alua_line == 0)
				alua_line = @1.first_line;
		}
		| ALUA TRANSITIONTIME NUMBER {
			if ($3 < 0 || $3 > ALUA_TRANSITION_MAX)
				conf_err(&@3, "transition-time %lld out of "
				    "range (0-%d seconds)", (long long)$3,
				    ALUA_TRANSITION_MAX);
			else
				conf->alua_transition = $3;
			if (alua_line == 0)
				alua_line = @1.first_line;
		}
		;

isnsport	: /* empty */		{ $$ = CONF_ISNS_PORT; }
		| PORT NUMBER		{
			if ($2 < 1 || $2 > 65535) {
				conf_err(&@2, "port %lld out of range",
				    (long long)$2);
				$$ = -1;
			} else
				$$ = $2;
		}
		;

transport	: /* empty */		{ $$ = 0; }
		| ISER			{ $$ = 1; }
		;

advertise	: /* empty */		{ $$ = NULL; }
		| ADVERTISE STRING	{ $$ = $2; }
		;

relport		: /* empty */		{ $$ = 0; }
		| RELATIVEPORT NUMBER	{
			if ($2 < 1 || $2 > 65535) {
				conf_err(&@2, "relative-port %lld out of range "
				    "(1-65535)", (long long)$2);
				$$ = -1;
			} else
				$$ = $2;
		}
		;

port		: /* empty */		{ $$ = CONF_DEF_PORT; }
		| PORT NUMBER		{
			if ($2 < 1 || $2 > 65535) {
				conf_err(&@2, "port %lld out of range",
				    (long long)$2);
				$$ = -1;
			} else
				$$ = $2;
		}
		;

target		: TARGET STRING		{
			target_begin(&@2, $2);
			free($2);
			$2 = NULL;	/* still on the stack for recovery */
		} optnl '{' tgtbody '}'	{
			cur_target = NULL;
		}
		;

optnl		: /* empty */
		| optnl '\n'
		;

sep		: '\n'
		| ';'
		;

seps		: sep
		| seps sep
		;

optseps		: /* empty */
		| seps
		;

tgtbody		: optseps
		| optseps tgtopts optseps
		;

tgtopts		: tgtopt
		| tgtopts seps tgtopt
		;

tgtopt		: ALIAS STRING		{
			if (strlcpy(cur_target->alias, $2,
			    sizeof(cur_target->alias)) >=
			    sizeof(cur_target->alias))
				conf_err(&@2, "alias too long (max %zu)",
				    sizeof(cur_target->alias) - 1);
			free($2);
		}
		| ALLOW ALL		{
			cur_target->flags |= TARGET_F_ALLOW_ALL;
			if (!TAILQ_EMPTY(&cur_target->acls))
				conf_err(&@1, "allow all with other allow "
				    "rules");
		}
		| ALLOW INITIATOR STRING {
			acl_add(&@3, ACL_INITIATOR, $3);
			free($3);
		}
		| ALLOW ADDRESS string	{
			acl_add(&@3, ACL_ADDRESS, $3);
			free($3);
		}
		| REDIRECT TO string port redirtype {
			redirect_set(&@3, $3, $4, $5);
			free($3);
		}
		| authopt
		| lun
		| unknown
		| error
		;

lun		: LUN NUMBER DISK STRING {
			lun_begin(&@2, $2, $4);
			free($4);
			$4 = NULL;
		} lunblock		{
			lun_end(&@1);
		}
		| LUN NUMBER DISK	{
			/* no path: backend null, checked by lun_end() */
			lun_begin(&@2, $2, NULL);
		} lunblock		{
			lun_end(&@1);
		}
		| LUN NUMBER TAPE	{
			lun_begin_tape(&@2, $2);
		} lunblock		{
			lun_end(&@1);
		}
		| LUN NUMBER CHANGER	{
			lun_begin_changer(&@2, $2);
		} lunblock		{
			lun_end(&@1);
		}
		| LUN NUMBER OPTICAL	{
			lun_begin_optical(&@2, $2, NULL);
		} lunblock		{
			lun_end(&@1);
		}
		| LUN NUMBER OPTICAL STRING {
			lun_begin_optical(&@2, $2, $4);
			free($4);
			$4 = NULL;
		} lunblock		{
			lun_end(&@1);
		}
		| LUN NUMBER PASSTHROUGH STRING {
			lun_begin_passthrough(&@2, $2, $4);
			free($4);
			$4 = NULL;
		} lunblock		{
			lun_end(&@1);
		}
		;

lunblock	: /* empty */
		| '{' lunbody '}'
		;

lunbody		: optseps
		| optseps lunopts optseps
		;

lunopts		: lunopt
		| lunopts seps lunopt
		;

lunopt		: BACKEND STRING	{
			if (lun_once(&@1, LOPT_BACKEND, "backend")) {
				if (strcmp($2, "rdwr") == 0)
					cur_lun->backend = LUN_BACKEND_RDWR;
				else if (strcmp($2, "aio") == 0)
					cur_lun->backend = LUN_BACKEND_AIO;
				else if (strcmp($2, "io_uring") == 0)
					cur_lun->backend = LUN_BACKEND_IO_URING;
				else if (strcmp($2, "null") == 0)
					cur_lun->backend = LUN_BACKEND_NULL;
				else if (strcmp($2, "rbd") == 0)
					cur_lun->backend = LUN_BACKEND_RBD;
				else if (strcmp($2, "glfs") == 0)
					cur_lun->backend = LUN_BACKEND_GLFS;
				else
					conf_err(&@2, "unknown backend "
					    "\"%s\" (rdwr, aio, io_uring, null, "
					    "rbd or glfs)", $2);
			}
			free($2);
		}
		| VOLUME STRING		{
			if (!lun_once(&@1, LOPT_VOLUME, "volume"))
				;
			else if ($2[0] == '\0' || strlcpy(cur_lun->glfs.volume,
			    $2, sizeof(cur_lun->glfs.volume)) >=
			    sizeof(cur_lun->glfs.volume))
				conf_err(&@2, "invalid volume \"%s\" (1 to %zu "
				    "bytes)", $2,
				    sizeof(cur_lun->glfs.volume) - 1);
			free($2);
		}
		| SERVER STRING		{
			glfs_server_add(&@2, $2);
			free($2);
		}
		| PATH STRING		{
			if (!lun_once(&@1, LOPT_PATH, "path"))
				;
			else if ($2[0] != '/' || strlcpy(cur_lun->glfs.path,
			    $2, sizeof(cur_lun->glfs.path)) >=
			    sizeof(cur_lun->glfs.path))
				conf_err(&@2, "invalid path \"%s\" (absolute, "
				    "in the volume)", $2);
			free($2);
		}
		| DIRECT yesno		{
			if (lun_once(&@1, LOPT_DIRECT, "direct") && $2)
				cur_lun->flags |= LUN_F_DIRECT;
		}
		| RESERVATIONS STRING	{
			if (!lun_once(&@1, LOPT_RESERVATIONS, "reservations"))
				;
			else if (strcmp($2, "cluster") == 0)
				cur_lun->flags |= LUN_F_PR_CLUSTER;
			else if (strcmp($2, "device") != 0)
				conf_err(&@2, "reservations \"%.*s\": device, "
				    "target or cluster", 64, $2);
			free($2);
		}
		| RESERVATIONS TARGET	{
			/* "target" is a keyword */
			if (lun_once(&@1, LOPT_RESERVATIONS, "reservations"))
				cur_lun->flags |= LUN_F_PT_RESERVE;
		}
		| BACKEND TAPE		{
			/* "tape" is a keyword now, still not a backend */
			if (lun_once(&@1, LOPT_BACKEND, "backend"))
				conf_err(&@2, "unknown backend \"tape\" "
				    "(rdwr, aio, io_uring, null, rbd or glfs)");
		}
		| POOL STRING		{
			rbd_opt(&@1, &@2, LOPT_POOL, "pool", $2);
		}
		| NAMESPACE STRING	{
			rbd_opt(&@1, &@2, LOPT_NAMESPACE, "namespace", $2);
		}
		| IMAGE STRING		{
			rbd_opt(&@1, &@2, LOPT_IMAGE, "image", $2);
		}
		| USER STRING		{
			rbd_opt(&@1, &@2, LOPT_CEPHUSER, "user", $2);
		}
		| CEPHCONF STRING	{
			rbd_opt(&@1, &@2, LOPT_CEPHCONF, "ceph-conf", $2);
		}
		| TIMEOUT NUMBER	{
			if (lun_once(&@1, LOPT_RBDTIMEOUT, "timeout")) {
				if ($2 < 1 || $2 > 3600)
					conf_err(&@2, "timeout %lld: 1 to 3600 "
					    "seconds", (long long)$2);
				else
					cur_lun->rbd.timeout = $2;
			}
		}
		| THIN yesno		{
			if (lun_once(&@1, LOPT_THIN, "thin-provisioning") &&
			    $2)
				cur_lun->flags |= LUN_F_THIN;
		}
		| READONLY yesno	{
			if (lun_once(&@1, LOPT_RO, "read-only") && $2)
				cur_lun->flags |= LUN_F_READONLY;
		}
		| REMOVABLE yesno	{
			if (lun_once(&@1, LOPT_REMOVABLE, "removable") && $2)
				cur_lun->flags |= LUN_F_REMOVABLE;
		}
		| WRITECACHE yesno	{
			if (lun_once(&@1, LOPT_WCACHE, "write-cache") && !$2)
				cur_lun->flags &= ~LUN_F_WRITE_CACHE;
		}
		| BLOCKSIZE NUMBER	{
			if (!lun_once(&@1, LOPT_BLOCKSIZE, "block-size"))
				;
			else if ($2 != 512 && $2 != 1024 && $2 != 2048 &&
			    $2 != 4096)
				conf_err(&@2, "invalid block-size %lld "
				    "(512, 1024, 2048 or 4096)", (long long)$2);
			else
				cur_lun->block_size = $2;
		}
		| PBLOCKSIZE NUMBER	{
			if (!lun_once(&@1, LOPT_PBLOCKSIZE,
			    "physical-block-size"))
				;
			else if ($2 < 512 || $2 > (1 << 24) ||
			    ($2 & ($2 - 1)) != 0)
				conf_err(&@2, "invalid physical-block-size "
				    "%lld (a power of two, 512 to 16M)",
				    (long long)$2);
			else
				cur_lun->flags |= (uint32_t)(__builtin_ctzll($2)
				    - 9) << LUN_F_PBLOCK_SHIFT;
		}
		| SIZE string		{
			uint64_t	 sz;

			if (!lun_once(&@1, LOPT_SIZE, "size"))
				;
			else if (parse_size($2, &sz) == -1)
				conf_err(&@2, "invalid size \"%s\"", $2);
			else
				cur_lun->size = sz;
			free($2);
		}
		| VENDOR STRING		{
			if (lun_once(&@1, LOPT_VENDOR, "vendor"))
				lun_string(&@2, cur_lun->vendor,
				    sizeof(cur_lun->vendor), "vendor", $2);
			free($2);
		}
		| PRODUCT STRING	{
			if (lun_once(&@1, LOPT_PRODUCT, "product"))
				lun_string(&@2, cur_lun->product,
				    sizeof(cur_lun->product), "product", $2);
			free($2);
		}
		| REVISION STRING	{
			if (lun_once(&@1, LOPT_REVISION, "revision"))
				lun_string(&@2, cur_lun->revision,
				    sizeof(cur_lun->revision), "revision", $2);
			free($2);
		}
		| SERIAL STRING		{
			if (lun_once(&@1, LOPT_SERIAL, "serial"))
				lun_string(&@2, cur_lun->serial,
				    sizeof(cur_lun->serial), "serial", $2);
			free($2);
		}
		| SLOTS NUMBER		{
			if (!lun_once(&@1, LOPT_SLOTS, "slots") ||
			    cur_changer(&@1) == NULL)
				;
			else if ($2 < 1 || $2 > CHANGER_SLOTS_MAX)
				conf_err(&@2, "slots %lld out of range 1..%d",
				    (long long)$2, CHANGER_SLOTS_MAX);
			else
				cur_lun->changer.nslots = $2;
		}
		| MAILSLOTS NUMBER	{
			if (!lun_once(&@1, LOPT_MAILSLOTS, "mailslots") ||
			    cur_changer(&@1) == NULL)
				;
			else if ($2 < 0 || $2 > CHANGER_MAIL_MAX)
				conf_err(&@2, "mailslots %lld out of range "
				    "0..%d", (long long)$2, CHANGER_MAIL_MAX);
			else
				cur_lun->changer.nmail = $2;
		}
		| DRIVE NUMBER		{
			changer_drive(&@1, "", $2);
		}
		| DRIVE STRING NUMBER	{
			changer_drive(&@1, $2, $3);
			free($2);
		}
		| SLOT NUMBER STRING	{
			changer_place(&@1, CHANGER_SLOT, $2, $3);
			free($3);
		}
		| MAILSLOT NUMBER STRING {
			changer_place(&@1, CHANGER_MAILSLOT, $2, $3);
			free($3);
		}
		| CARTRIDGE STRING	{
			if (!lun_once(&@1, LOPT_CARTRIDGE, "cartridge"))
				;
			else if (cur_lun->type != LUN_TYPE_TAPE)
				conf_err(&@1, "cartridge: not a tape drive");
			else if (cart_barcode_ok($2) == -1)
				conf_err(&@2, "invalid barcode \"%.*s\" (1-%d "
				    "of A-Z a-z 0-9 . _ -)", 64, $2,
				    CART_BARCODE_MAX);
			else
				strlcpy(cur_lun->cartridge, $2,
				    sizeof(cur_lun->cartridge));
			free($2);
		}
		| unknown
		| error
		;

yesno		: YES			{ $$ = 1; }
		| NO			{ $$ = 0; }
		;

unknown		: STRING anyargs	{
			conf_err(&@1, "unknown keyword \"%s\"", $1);
			free($1);
		}
		;

anyargs		: /* empty */
		| anyargs anyarg
		;

anyarg		: STRING		{ free($1); }
		| NUMBER | YES | NO | ON | PORT | ALL | DISK | SOCKET
		| INCLUDE | USER | CHROOT | CONTROL | LISTEN | TARGET | ALIAS
		| ALLOW | LUN | BACKEND | THIN | READONLY | REMOVABLE
		| BLOCKSIZE | SIZE | VENDOR | PRODUCT | SERIAL | REVISION
		| WRITECACHE | AUTH | CHAP | MUTUAL | SECRET | DISCOVERY
		| PBLOCKSIZE | STATE | DIRECTORY | DRAIN | TIMEOUT
		| INITIATOR | ADDRESS | REDIRECT | TO | TEMPORARY | PERMANENT
		| ISNS | SERVER | NOP | INTERVAL | DIRECT | TAPE | CARTRIDGE
		| MEDIA | CHANGER | SLOTS | MAILSLOTS | DRIVE | SLOT | MAILSLOT
		| ADVERTISE | OPTICAL | ISER | PASSTHROUGH | RESERVATIONS
		| POOL | IMAGE | NAMESPACE | CEPHCONF | VOLUME | PATH
		| PORTGROUP | PREFERRED | ALUA | EXPLICIT | TRANSITIONTIME
		| RELATIVEPORT | PGTAG
		;

%%

struct keyword {
	const char	*name;
	int		 token;
};

/* Sorted for bsearch(). */
static const struct keyword keywords[] = {
	{ "address",		ADDRESS },
	{ "advertise",		ADVERTISE },
	{ "alias",		ALIAS },
	{ "all",		ALL },
	{ "allow",		ALLOW },
	{ "alua",		ALUA },
	{ "auth",		AUTH },
	{ "backend",		BACKEND },
	{ "block-size",		BLOCKSIZE },
	{ "cartridge",		CARTRIDGE },
	{ "ceph-conf",		CEPHCONF },
	{ "changer",		CHANGER },
	{ "chap",		CHAP },
	{ "chroot",		CHROOT },
	{ "control",		CONTROL },
	{ "direct",		DIRECT },
	{ "directory",		DIRECTORY },
	{ "discovery",		DISCOVERY },
	{ "disk",		DISK },
	{ "drain",		DRAIN },
	{ "drive",		DRIVE },
	{ "explicit",		EXPLICIT },
	{ "image",		IMAGE },
	{ "include",		INCLUDE },
	{ "initiator",		INITIATOR },
	{ "interval",		INTERVAL },
	{ "iser",		ISER },
	{ "isns",		ISNS },
	{ "listen",		LISTEN },
	{ "lun",		LUN },
	{ "mailslot",		MAILSLOT },
	{ "mailslots",		MAILSLOTS },
	{ "media",		MEDIA },
	{ "mutual",		MUTUAL },
	{ "namespace",		NAMESPACE },
	{ "no",			NO },
	{ "nop",		NOP },
	{ "on",			ON },
	{ "optical",		OPTICAL },
	{ "passthrough",	PASSTHROUGH },
	{ "path",		PATH },
	{ "permanent",		PERMANENT },
	{ "physical-block-size", PBLOCKSIZE },
	{ "pool",		POOL },
	{ "port",		PORT },
	{ "port-group",		PORTGROUP },
	{ "portal-group-tag",	PGTAG },
	{ "preferred",		PREFERRED },
	{ "product",		PRODUCT },
	{ "read-only",		READONLY },
	{ "redirect",		REDIRECT },
	{ "relative-port",	RELATIVEPORT },
	{ "removable",		REMOVABLE },
	{ "reservations",	RESERVATIONS },
	{ "revision",		REVISION },
	{ "secret",		SECRET },
	{ "serial",		SERIAL },
	{ "server",		SERVER },
	{ "size",		SIZE },
	{ "slot",		SLOT },
	{ "slots",		SLOTS },
	{ "socket",		SOCKET },
	{ "state",		STATE },
	{ "tape",		TAPE },
	{ "target",		TARGET },
	{ "temporary",		TEMPORARY },
	{ "thin-provisioning",	THIN },
	{ "timeout",		TIMEOUT },
	{ "to",			TO },
	{ "transition-time",	TRANSITIONTIME },
	{ "user",		USER },
	{ "vendor",		VENDOR },
	{ "volume",		VOLUME },
	{ "write-cache",	WRITECACHE },
	{ "yes",		YES },
};

static int
kw_cmp(const void *k, const void *e)
{
	return (strcmp(k, ((const struct keyword *)e)->name));
}

static int
lookup(const char *s)
{
	const struct keyword	*kw;

	kw = bsearch(s, keywords, sizeof(keywords) / sizeof(keywords[0]),
	    sizeof(keywords[0]), kw_cmp);
	return (kw != NULL ? kw->token : STRING);
}

static void
conf_vmsg(const char *name, int line, const char *fmt, va_list ap)
{
	char	 msg[1024], line_buf[2200];
	size_t	 len;

	errors++;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	snprintf(line_buf, sizeof(line_buf), "%s:%d: %s", name, line, msg);
	if (parse_opts & CONF_OPT_LOG)
		log_warnx("%s", line_buf);
	else
		fprintf(stderr, "%s\n", line_buf);

	len = strlen(errbuf);
	if (len > 0 && len + 1 < sizeof(errbuf))
		strlcat(errbuf, "\n", sizeof(errbuf));
	strlcat(errbuf, line_buf, sizeof(errbuf));
}

static void
conf_verr(struct file *f, int line, const char *fmt, va_list ap)
{
	conf_vmsg(f != NULL ? f->name : conf->file, line, fmt, ap);
}

/* An error found after the files are closed: by file name and line. */
static void __attribute__((format(printf, 3, 4)))
conf_err_at(const char *name, int line, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	conf_vmsg(name, line, fmt, ap);
	va_end(ap);
}

static void
conf_err(const YYLTYPE *loc, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	conf_verr(loc->file, loc->first_line, fmt, ap);
	va_end(ap);
}

/* Error found by the lexer, at the current position. */
static void __attribute__((format(printf, 1, 2)))
lexerror(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	conf_verr(file, file != NULL ? file->lineno : 0, fmt, ap);
	va_end(ap);
	lex_failed = 1;
}

void
yyerror(const char *msg)
{
	/* The lexer already said what is wrong with this token. */
	if (lex_failed) {
		lex_failed = 0;
		return;
	}
	conf_err(&yylloc, "%s", msg);
}

static int
lgetc(void)
{
	int	 c;

	if (file == NULL)
		return (EOF);
	if (file->npushback > 0) {
		c = file->pushback[--file->npushback];
		lgetc_src = (c & PB_FILE) ? SRC_FILE : SRC_OTHER;
		return (c & ~PB_FILE);
	}
	if (file->expand != NULL) {
		if (file->expand[file->expand_pos] != '\0') {
			c = (unsigned char)file->expand[file->expand_pos++];
			/* the character that ended the name is the file's */
			lgetc_src = file->expand[file->expand_pos] == '\0' &&
			    file->expand_term ? SRC_FILE : SRC_OTHER;
			return (c);
		}
		free(file->expand);
		file->expand = NULL;
	}
	lgetc_src = SRC_FILE;
	if (file->fp == NULL)
		return (EOF);
	c = getc(file->fp);
	return (c);
}

static void
lungetc(int c)
{
	if (c == EOF || file == NULL)
		return;
	if (file->npushback >= PUSHBACK_MAX)
		fatalx("parser pushback overflow");
	/* remember where it came from: only '$' from the file expands */
	file->pushback[file->npushback++] = c |
	    (lgetc_src == SRC_FILE ? PB_FILE : 0);
}

static int
is_namechar(int c)
{
	return (c != EOF && (isalnum(c) || c == '_'));
}

static int
is_wordchar(int c)
{
	if (c == EOF || c == '\0')
		return (0);
	if (isalnum(c))
		return (1);
	return (strchr("-_.:/[]%@+*~,!?^&", c) != NULL);
}

/*
 * A '$' was read from the file: read the macro name and make its value
 * the next input.  0 done, -1 error (reported).
 */
static int
expand_macro(void)
{
	char		 name[128];
	const char	*val;
	size_t		 n = 0;
	int		 c;

	while (is_namechar(c = lgetc())) {
		if (n + 1 >= sizeof(name)) {
			lexerror("macro name too long");
			return (-1);
		}
		name[n++] = c;
	}
	name[n] = '\0';
	if (n == 0) {
		lungetc(c);
		lexerror("missing macro name after '$'");
		return (-1);
	}
	if ((val = symget(name)) == NULL) {
		lungetc(c);
		lexerror("undefined macro \"%s\"", name);
		return (-1);
	}
	/* The value comes first, then the character that ended the name. */
	if (asprintf(&file->expand, "%s%c", val, c == EOF ? ' ' : c) == -1)
		fatal("asprintf");
	file->expand_term = c != EOF;
	file->expand_pos = 0;
	return (0);
}

static void
setloc(void)
{
	yylloc.first_line = yylloc.last_line = file->lineno;
	yylloc.first_column = yylloc.last_column = 0;
	yylloc.file = file;
}

int
yylex(void)
{
	char		 buf[TOKEN_MAX];
	char		*p;
	const char	*errstr;
	int		 c, next, tok;
	long long	 ll;

	lex_failed = 0;
	if (file == NULL)
		return (0);
top:
	if (file->nl_first) {
		/* first token of an included file ends the include line */
		file->nl_first = 0;
		yylloc.file = file->parent;
		yylloc.first_line = yylloc.last_line =
		    file->parent->lineno;
		return ('\n');
	}
	p = buf;
	while ((c = lgetc()) == ' ' || c == '\t' || c == '\r' ||
	    c == '\\') {
		if (c == '\\') {
			if ((next = lgetc()) == '\n') {
				file->lineno++;
				continue;
			}
			lungetc(next);
			break;
		}
	}
	setloc();
	if (c == '#')
		while ((c = lgetc()) != '\n' && c != EOF)
			;
	if (c == '$' && lgetc_src == SRC_FILE) {
		if (expand_macro() == -1)
			return (ERROR);
		goto top;
	}

	switch (c) {
	case EOF:
		if (!file->eof_nl) {
			file->eof_nl = 1;
			return ('\n');
		}
		if (file->fp != NULL) {
			fclose(file->fp);
			file->fp = NULL;
		}
		if (file->parent == NULL)
			return (0);
		file = file->parent;
		goto top;
	case '\n':
		file->lineno++;
		return ('\n');
	case '{':
	case '}':
	case '=':
	case ';':
		return (c);
	case '"':
		for (;;) {
			c = lgetc();
			if (c == EOF || c == '\n') {
				lungetc(c);
				lexerror("unterminated quoted string");
				return (ERROR);
			}
			if (c == '"')
				break;
			if (c == '\\') {
				next = lgetc();
				if (next == '\n') {
					file->lineno++;
					continue;
				}
				if (next == EOF) {
					lexerror("unterminated quoted string");
					return (ERROR);
				}
				c = next;
			}
			if (c == '\0') {
				lexerror("NUL byte in quoted string");
				return (ERROR);
			}
			if (p + 1 >= buf + sizeof(buf)) {
				lexerror("string too long");
				/* skip to the closing quote or end of line */
				while ((c = lgetc()) != EOF && c != '\n' &&
				    c != '"')
					;
				if (c != '"')
					lungetc(c);
				return (ERROR);
			}
			*p++ = c;
		}
		*p = '\0';
		if ((yylval.string = strdup(buf)) == NULL)
			fatal("strdup");
		return (STRING);
	}

	if (!is_wordchar(c)) {
		if (isprint(c))
			lexerror("unexpected character '%c'", c);
		else
			lexerror("unexpected character 0x%02x", c);
		return (ERROR);
	}
	do {
		if (c == '$' && lgetc_src == SRC_FILE) {
			if (expand_macro() == -1)
				return (ERROR);
			continue;
		}
		if (p + 1 >= buf + sizeof(buf)) {
			lexerror("string too long");
			return (ERROR);
		}
		*p++ = c;
	} while (is_wordchar(c = lgetc()) || (c == '$' &&
	    lgetc_src == SRC_FILE));
	lungetc(c);
	*p = '\0';

	/* all digits (with an optional sign): a number */
	p = buf;
	if (*p == '-' || *p == '+')
		p++;
	if (isdigit((unsigned char)*p)) {
		while (isdigit((unsigned char)*p))
			p++;
		if (*p == '\0') {
			errno = 0;
			ll = strtoll(buf, NULL, 10);
			errstr = errno == ERANGE ? "too large" : NULL;
			if (errstr != NULL) {
				lexerror("number %s is %s", buf, errstr);
				return (ERROR);
			}
			yylval.number = ll;
			return (NUMBER);
		}
	}
	if ((tok = lookup(buf)) != STRING) {
		/* a keyword before '=' is a macro name: "port = 3260" */
		while ((c = lgetc()) == ' ' || c == '\t')
			;
		lungetc(c);
		if (c != '=')
			return (tok);
	}
	if ((yylval.string = strdup(buf)) == NULL)
		fatal("strdup");
	return (STRING);
}

static struct file *
pushfile(const char *name, const YYLTYPE *loc)
{
	struct file	*nf;
	char		*path, *slash;
	int		 depth = 0;

	if (file != NULL)
		depth = file->depth + 1;
	if (depth > INCLUDE_DEPTH_MAX) {
		conf_err(loc, "include nesting too deep");
		return (NULL);
	}
	/* relative includes are relative to the including file */
	if (file != NULL && name[0] != '/' &&
	    (slash = strrchr(file->name, '/')) != NULL) {
		if (asprintf(&path, "%.*s/%s", (int)(slash - file->name),
		    file->name, name) == -1)
			fatal("asprintf");
	} else if ((path = strdup(name)) == NULL)
		fatal("strdup");

	if ((nf = calloc(1, sizeof(*nf))) == NULL)
		fatal("calloc");
	nf->name = path;
	nf->lineno = 1;
	nf->depth = depth;
	nf->parent = file;
	TAILQ_INSERT_TAIL(&files, nf, entry);
	if ((nf->fp = fopen(path, "r")) == NULL) {
		if (loc != NULL)
			conf_err(loc, "cannot open include file %s: %s",
			    path, strerror(errno));
		else {
			errors++;
			snprintf(errbuf, sizeof(errbuf), "%s: %s", path,
			    strerror(errno));
			if (parse_opts & CONF_OPT_LOG)
				log_warnx("%s", errbuf);
			else
				fprintf(stderr, "%s\n", errbuf);
		}
		return (NULL);
	}
	if (file != NULL)
		nf->nl_first = 1;
	file = nf;
	return (nf);
}

static void
freefiles(void)
{
	struct file	*f;

	while ((f = TAILQ_FIRST(&files)) != NULL) {
		TAILQ_REMOVE(&files, f, entry);
		if (f->fp != NULL)
			fclose(f->fp);
		free(f->expand);
		free(f->name);
		free(f);
	}
	file = NULL;
}

static int
symset(const char *name, const char *value)
{
	struct sym	*s;
	char		*v;

	if ((v = strdup(value)) == NULL)
		return (-1);
	TAILQ_FOREACH(s, &syms, entry)
		if (strcmp(s->name, name) == 0) {
			free(s->value);
			s->value = v;
			return (0);
		}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->name = strdup(name)) == NULL) {
		free(s);
		free(v);
		return (-1);
	}
	s->value = v;
	TAILQ_INSERT_TAIL(&syms, s, entry);
	return (0);
}

static const char *
symget(const char *name)
{
	struct sym	*s;

	TAILQ_FOREACH(s, &syms, entry)
		if (strcmp(s->name, name) == 0)
			return (s->value);
	return (NULL);
}

static void
freesyms(void)
{
	struct sym	*s;

	while ((s = TAILQ_FIRST(&syms)) != NULL) {
		TAILQ_REMOVE(&syms, s, entry);
		free(s->name);
		free(s->value);
		free(s);
	}
}

static void
target_begin(const YYLTYPE *loc, const char *name)
{
	struct conf_target	*t;
	const char		*why;

	if (conf_iscsi_name_check(name, &why) == -1)
		conf_err(loc, "invalid iSCSI name \"%.*s\": %s", 64, name, why);
	else
		TAILQ_FOREACH(t, &conf->targets, entry)
			if (strcmp(t->name, name) == 0) {
				conf_err(loc, "duplicate target \"%s\" "
				    "(first defined on line %d)", name,
				    t->lineno);
				break;
			}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		fatal("calloc");
	strlcpy(t->name, name, sizeof(t->name));
	TAILQ_INIT(&t->luns);
	conf_auth_init(&t->auth);
	TAILQ_INIT(&t->acls);
	t->lineno = loc->first_line;
	TAILQ_INSERT_TAIL(&conf->targets, t, entry);
	cur_target = t;
	cur_auth = &t->auth;
}

static void
lun_begin(const YYLTYPE *loc, int64_t nr, const char *path)
{
	struct conf_lun	*l;

	if (nr < 0 || nr > 16383)
		conf_err(loc, "LUN %lld out of range (0-16383)",
		    (long long)nr);
	else
		TAILQ_FOREACH(l, &cur_target->luns, entry)
			if (l->lun == (uint64_t)nr) {
				conf_err(loc, "duplicate LUN %lld in target "
				    "\"%s\"", (long long)nr, cur_target->name);
				break;
			}
	if ((l = calloc(1, sizeof(*l))) == NULL)
		fatal("calloc");
	l->lun = nr < 0 ? 0 : (uint64_t)nr;
	l->type = LUN_TYPE_DISK;
	l->backend = LUN_BACKEND_RDWR;
	l->flags = LUN_F_WRITE_CACHE;
	l->block_size = 512;
	strlcpy(l->vendor, "TGT", sizeof(l->vendor));
	strlcpy(l->product, "DISK", sizeof(l->product));
	strlcpy(l->revision, "0001", sizeof(l->revision));
	l->lineno = loc->first_line;
	strlcpy(l->file, loc->file != NULL ? loc->file->name : conf->file,
	    sizeof(l->file));
	if (path == NULL)
		l->path[0] = '\0';
	else if (path[0] == '\0')
		conf_err(loc, "empty path for LUN %lld", (long long)nr);
	else if (strlcpy(l->path, path, sizeof(l->path)) >= sizeof(l->path))
		conf_err(loc, "path too long (max %zu)", sizeof(l->path) - 1);
	TAILQ_INSERT_TAIL(&cur_target->luns, l, entry);
	cur_lun = l;
	lun_seen = 0;
	lun_nopath = path == NULL;
}

/*
 * A tape drive: its path is its cartridge's file in the media directory,
 * known once the whole file is read (media_paths()); none: empty.
 */
static void
lun_begin_tape(const YYLTYPE *loc, int64_t nr)
{
	lun_begin(loc, nr, "-");
	cur_lun->path[0] = '\0';
	cur_lun->type = LUN_TYPE_TAPE;
	cur_lun->block_size = 0;
	cur_lun->flags = 0;
	strlcpy(cur_lun->product, "TAPE", sizeof(cur_lun->product));
}

/* A media changer: its elements come from its options. */
static void
lun_begin_changer(const YYLTYPE *loc, int64_t nr)
{
	lun_begin(loc, nr, "-");
	cur_lun->path[0] = '\0';
	cur_lun->type = LUN_TYPE_CHANGER;
	cur_lun->block_size = 0;
	cur_lun->flags = 0;
	cur_lun->changer.nslots = 10;
	strlcpy(cur_lun->product, "CHANGER", sizeof(cur_lun->product));
}

static struct conf_changer *
cur_changer(const YYLTYPE *loc)
{
	if (cur_lun == NULL)
		return (NULL);
	if (cur_lun->type != LUN_TYPE_CHANGER) {
		conf_err(loc, "not a media changer");
		return (NULL);
	}
	return (&cur_lun->changer);
}

/* drive [target] lun: a tape drive of the library */
static void
changer_drive(const YYLTYPE *loc, const char *target, int64_t lun)
{
	struct conf_changer	*c;

	if ((c = cur_changer(loc)) == NULL)
		return;
	if (c->ndrives >= CHANGER_DRIVES_MAX) {
		conf_err(loc, "more than %d drives", CHANGER_DRIVES_MAX);
		return;
	}
	if (lun < 0 || lun > 16383) {
		conf_err(loc, "LUN %lld out of range (0-16383)",
		    (long long)lun);
		return;
	}
	if (strlcpy(c->drive[c->ndrives].target, target,
	    sizeof(c->drive[0].target)) >= sizeof(c->drive[0].target)) {
		conf_err(loc, "target name too long");
		return;
	}
	c->drive[c->ndrives++].lun = lun;
}

/* slot N "barcode", mailslot N "barcode": where a cartridge starts */
static void
changer_place(const YYLTYPE *loc, int kind, int64_t idx, const char *bc)
{
	struct conf_changer	*c;
	uint32_t		 i;

	if ((c = cur_changer(loc)) == NULL)
		return;
	if (c->nplaced >= CHANGER_PLACED_MAX) {
		conf_err(loc, "more than %d cartridges placed",
		    CHANGER_PLACED_MAX);
		return;
	}
	if (idx < 1 || idx > (kind == CHANGER_SLOT ? CHANGER_SLOTS_MAX :
	    CHANGER_MAIL_MAX)) {
		conf_err(loc, "%s %lld out of range", kind == CHANGER_SLOT ?
		    "slot" : "mailslot", (long long)idx);
		return;
	}
	if (cart_barcode_ok(bc) == -1) {
		conf_err(loc, "invalid barcode \"%.*s\"", 64, bc);
		return;
	}
	for (i = 0; i < c->nplaced; i++) {
		if (c->placed[i].kind == kind && c->placed[i].index == idx)
			conf_err(loc, "%s %lld holds %s already",
			    kind == CHANGER_SLOT ? "slot" : "mailslot",
			    (long long)idx, c->placed[i].barcode);
		else if (strcmp(c->placed[i].barcode, bc) == 0)
			conf_err(loc, "cartridge %s is placed already", bc);
		else
			continue;
		return;
	}
	c->placed[c->nplaced].kind = kind;
	c->placed[c->nplaced].index = idx;
	c->placed[c->nplaced].lineno = loc->first_line;
	strlcpy(c->placed[c->nplaced].barcode, bc,
	    sizeof(c->placed[0].barcode));
	c->nplaced++;
}

/*
 * An optical drive (a DVD drive): its disc image is an absolute path,
 * or a name in the media directory (media_paths()); none: empty.
 */
static void
lun_begin_optical(const YYLTYPE *loc, int64_t nr, const char *image)
{
	lun_begin(loc, nr, "-");
	cur_lun->path[0] = '\0';
	cur_lun->type = LUN_TYPE_OPTICAL;
	cur_lun->block_size = 2048;
	cur_lun->flags = LUN_F_REMOVABLE;
	strlcpy(cur_lun->product, "DVD", sizeof(cur_lun->product));
	if (image == NULL)
		return;
	if (image[0] == '/') {
		if (strlcpy(cur_lun->path, image, sizeof(cur_lun->path)) >=
		    sizeof(cur_lun->path))
			conf_err(loc, "path too long (max %zu)",
			    sizeof(cur_lun->path) - 1);
	} else if (cart_barcode_ok(image) == -1)
		conf_err(loc, "invalid disc image \"%.*s\" (an absolute path, "
		    "or a name of 1-%d of A-Z a-z 0-9 . _ - in the media "
		    "directory)", 64, image, CART_BARCODE_MAX);
	else
		strlcpy(cur_lun->cartridge, image, sizeof(cur_lun->cartridge));
}

/*
 * A SCSI device passed through: an sg node, or a bsg one (the master
 * finds its sg node, lun.c).  Its identity, size and block size are the
 * device's: it takes no options.
 */
static void
lun_begin_passthrough(const YYLTYPE *loc, int64_t nr, const char *path)
{
	lun_begin(loc, nr, path);
	cur_lun->type = LUN_TYPE_PASSTHROUGH;
	cur_lun->block_size = 0;
	cur_lun->flags = 0;
	cur_lun->vendor[0] = cur_lun->product[0] = '\0';
	cur_lun->revision[0] = '\0';
	/* what the node is, tgt-master finds out when it opens it */
	if (path[0] != '\0' && path[0] != '/')
		conf_err(loc, "passthrough \"%.*s\": the path of an sg "
		    "(/dev/sgN) or bsg (/dev/bsg/H:C:T:L) device", 64, path);
}

static void
lun_end(const YYLTYPE *loc)
{
	struct conf_changer	*c;
	uint32_t		 i;

	if (cur_lun == NULL)
		return;
	if (cur_lun->type == LUN_TYPE_CHANGER) {
		c = &cur_lun->changer;
		if (lun_seen & (LOPT_DISK_ONLY | LOPT_CARTRIDGE))
			conf_err(loc, "LUN %llu: a media changer takes "
			    "slots, mailslots, drive, slot, mailslot, vendor, "
			    "product, revision and serial only",
			    (unsigned long long)cur_lun->lun);
		for (i = 0; i < c->nplaced; i++)
			if (c->placed[i].index > (c->placed[i].kind ==
			    CHANGER_SLOT ? c->nslots : c->nmail))
				conf_err_at(cur_lun->file, c->placed[i].lineno,
				    "%s %u: the changer has %u",
				    c->placed[i].kind == CHANGER_SLOT ? "slot" :
				    "mailslot", c->placed[i].index,
				    c->placed[i].kind == CHANGER_SLOT ?
				    c->nslots : c->nmail);
	}
	if (cur_lun->type == LUN_TYPE_TAPE && (lun_seen & LOPT_DISK_ONLY))
		conf_err(loc, "LUN %llu: a tape drive takes cartridge, "
		    "read-only, vendor, product, revision and serial only",
		    (unsigned long long)cur_lun->lun);
	if (cur_lun->type == LUN_TYPE_PASSTHROUGH &&
	    (lun_seen & ~LOPT_RESERVATIONS) != 0)
		conf_err(loc, "LUN %llu: a passthrough device takes "
		    "reservations only (its identity, size, block size and "
		    "cache are the device's)", (unsigned long long)cur_lun->lun);
	if (cur_lun->type == LUN_TYPE_PASSTHROUGH &&
	    (cur_lun->flags & LUN_F_PR_CLUSTER))
		conf_err(loc, "LUN %llu: reservations cluster is for backend "
		    "rbd; a passthrough LUN takes device or target",
		    (unsigned long long)cur_lun->lun);
	if (cur_lun->type != LUN_TYPE_PASSTHROUGH &&
	    (lun_seen & LOPT_RESERVATIONS) &&
	    !(cur_lun->backend == LUN_BACKEND_RBD &&
	    (cur_lun->flags & LUN_F_PR_CLUSTER)))
		conf_err(loc, "LUN %llu: reservations is an option of a "
		    "passthrough LUN (device, target) or of backend rbd "
		    "(cluster)", (unsigned long long)cur_lun->lun);
	if (cur_lun->type == LUN_TYPE_OPTICAL && (lun_seen & LOPT_DISK_ONLY))
		conf_err(loc, "LUN %llu: an optical drive takes read-only, "
		    "vendor, product, revision and serial only",
		    (unsigned long long)cur_lun->lun);
	if (cur_lun->size != 0 && cur_lun->block_size != 0 &&
	    cur_lun->size % cur_lun->block_size != 0)
		conf_err(loc, "size of LUN %llu is not a multiple of "
		    "block-size %u", (unsigned long long)cur_lun->lun,
		    cur_lun->block_size);
	/* backend null: no store, so no path, and a size */
	if (cur_lun->backend == LUN_BACKEND_NULL) {
		if (cur_lun->path[0] != '\0')
			conf_err(loc, "LUN %llu: backend null has no backing "
			    "store, drop the path \"%s\"",
			    (unsigned long long)cur_lun->lun, cur_lun->path);
		if (cur_lun->size == 0)
			conf_err(loc, "LUN %llu: backend null needs a size",
			    (unsigned long long)cur_lun->lun);
		if (cur_lun->flags & LUN_F_DIRECT)
			conf_err(loc, "LUN %llu: direct needs a backing store, "
			    "backend null has none",
			    (unsigned long long)cur_lun->lun);
	} else if (cur_lun->backend == LUN_BACKEND_RBD ||
	    (lun_seen & LOPT_RBD))
		rbd_end(loc);
	else if (cur_lun->backend == LUN_BACKEND_GLFS)
		glfs_end(loc);
	else if (lun_nopath)
		conf_err(loc, "LUN %llu has no path (only backends null, "
		    "rbd and glfs go without one)",
		    (unsigned long long)cur_lun->lun);
	if (cur_lun->backend != LUN_BACKEND_GLFS && (lun_seen & LOPT_GLFS))
		conf_err(loc, "LUN %llu: volume, server and path are for "
		    "backend glfs", (unsigned long long)cur_lun->lun);
	if (cur_lun->serial[0] == '\0')
		conf_lun_serial(cur_target->name, cur_lun->lun,
		    cur_lun->serial, sizeof(cur_lun->serial));
	cur_lun = NULL;
}

/*
 * pool, namespace, image, user, ceph-conf of a backend rbd LUN: names
 * RADOS takes (no '/', '@' or control characters, and what fits the
 * message to the LUN process).  Takes s.
 */
static void
rbd_opt(const YYLTYPE *loc, const YYLTYPE *vloc, uint32_t bit,
    const char *what, char *s)
{
	struct conf_rbd	*r;
	char		*dst;
	size_t		 dlen;
	const char	*p;

	if (!lun_once(loc, bit, what)) {
		free(s);
		return;
	}
	r = &cur_lun->rbd;
	switch (bit) {
	case LOPT_POOL:
		dst = r->pool, dlen = sizeof(r->pool);
		break;
	case LOPT_NAMESPACE:
		dst = r->ns, dlen = sizeof(r->ns);
		break;
	case LOPT_IMAGE:
		dst = r->image, dlen = sizeof(r->image);
		break;
	case LOPT_CEPHUSER:
		dst = r->user, dlen = sizeof(r->user);
		break;
	default:
		dst = r->conf, dlen = sizeof(r->conf);
		break;
	}
	if (bit != LOPT_CEPHCONF) {
		for (p = s; *p != '\0'; p++)
			if (*p == '/' || *p == '@' || (unsigned char)*p <= ' ' ||
			    *p == 0x7f)
				break;
		if (*p != '\0' || (s[0] == '\0' && bit != LOPT_NAMESPACE)) {
			conf_err(vloc, "%s \"%s\": not a RADOS name (no "
			    "'/', '@', blanks or control characters)", what, s);
			free(s);
			return;
		}
	} else if (s[0] != '/') {
		conf_err(vloc, "ceph-conf \"%s\": not an absolute path", s);
		free(s);
		return;
	}
	if (strlcpy(dst, s, dlen) >= dlen)
		conf_err(vloc, "%s \"%s\" is too long (at most %zu bytes)",
		    what, s, dlen - 1);
	free(s);
}

/*
 * The end of a LUN with rbd options: they need backend rbd and an image;
 * pool "rbd", user "admin", /etc/ceph/ceph.conf by default; thin
 * provisioning unless said otherwise.  The path shown in logs and
 * listings is "rbd:pool[/namespace]/image".
 */
static void
rbd_end(const YYLTYPE *loc)
{
	struct conf_rbd	*r = &cur_lun->rbd;

	if (cur_lun->backend != LUN_BACKEND_RBD) {
		conf_err(loc, "LUN %llu: pool, namespace, image, user, "
		    "ceph-conf and timeout need backend rbd",
		    (unsigned long long)cur_lun->lun);
		return;
	}
	if (!lun_nopath) {
		conf_err(loc, "LUN %llu: backend rbd has no path, drop \"%s\" "
		    "(name the image with pool and image)",
		    (unsigned long long)cur_lun->lun, cur_lun->path);
		return;
	}
	if (r->image[0] == '\0') {
		conf_err(loc, "LUN %llu: backend rbd needs an image",
		    (unsigned long long)cur_lun->lun);
		return;
	}
	if (cur_lun->flags & LUN_F_DIRECT)
		conf_err(loc, "LUN %llu: direct is for files and devices, "
		    "not backend rbd", (unsigned long long)cur_lun->lun);
	if (r->pool[0] == '\0')
		strlcpy(r->pool, "rbd", sizeof(r->pool));
	if (r->user[0] == '\0')
		strlcpy(r->user, "admin", sizeof(r->user));
	if (r->conf[0] == '\0')
		strlcpy(r->conf, "/etc/ceph/ceph.conf", sizeof(r->conf));
	if (r->timeout == 0)
		r->timeout = CONF_DEF_RBD_TIMEOUT;
	if (!(lun_seen & LOPT_THIN))
		cur_lun->flags |= LUN_F_THIN;
	snprintf(cur_lun->path, sizeof(cur_lun->path), "rbd:%s/%s%s%s",
	    r->pool, r->ns, r->ns[0] != '\0' ? "/" : "", r->image);
}

/* backend glfs: a volume, its server(s) and a path in it, no file. */
static void
glfs_end(const YYLTYPE *loc)
{
	unsigned long long	 nr = cur_lun->lun;

	if (!lun_nopath)
		conf_err(loc, "LUN %llu: backend glfs names its image with "
		    "volume, server and path, drop the path \"%s\"", nr,
		    cur_lun->path);
	if ((lun_seen & LOPT_GLFS) != LOPT_GLFS)
		conf_err(loc, "LUN %llu: backend glfs needs a volume, a server "
		    "and a path", nr);
	if (cur_lun->flags & LUN_F_DIRECT)
		conf_err(loc, "LUN %llu: direct is for a local backing store, "
		    "not backend glfs", nr);
	cur_lun->glfs.readonly = (cur_lun->flags & LUN_F_READONLY) != 0;
	/* a missing image is created with the size */
	cur_lun->glfs.create = cur_lun->size;
}

/*
 * A glfs volfile server, "host", "host:port" or "[v6 address]:port" (the
 * default port is glusterd's, 24007); up to GLFS_SERVERS_MAX of them.
 */
static void
glfs_server_add(const YYLTYPE *loc, const char *arg)
{
	struct msg_glfs_server	*sv;
	const char		*host = arg, *colon, *end;
	const char		*errstr;
	size_t			 hlen;
	long long		 port = 0;

	if (cur_lun == NULL)
		return;
	lun_seen |= LOPT_SERVER;
	if (cur_lun->glfs.nservers == GLFS_SERVERS_MAX) {
		conf_err(loc, "more than %d servers", GLFS_SERVERS_MAX);
		return;
	}
	sv = &cur_lun->glfs.server[cur_lun->glfs.nservers];
	if (arg[0] == '[') {
		host = arg + 1;
		if ((end = strchr(host, ']')) == NULL ||
		    (end[1] != '\0' && end[1] != ':')) {
			conf_err(loc, "invalid server \"%s\"", arg);
			return;
		}
		colon = end[1] == ':' ? end + 1 : NULL;
	} else {
		colon = strrchr(arg, ':');
		end = colon != NULL ? colon : arg + strlen(arg);
		if (colon != NULL && strchr(arg, ':') != colon) {
			conf_err(loc, "server \"%s\": write an IPv6 address "
			    "in brackets", arg);
			return;
		}
	}
	hlen = end - host;
	if (hlen == 0 || hlen >= sizeof(sv->host) ||
	    strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-_:%") < hlen) {
		conf_err(loc, "invalid server \"%s\"", arg);
		return;
	}
	if (colon != NULL) {
		port = strtonum(colon + 1, 1, 65535, &errstr);
		if (errstr != NULL) {
			conf_err(loc, "server \"%s\": port %s", arg, errstr);
			return;
		}
	}
	memcpy(sv->host, host, hlen);
	sv->host[hlen] = '\0';
	sv->port = port;
	cur_lun->glfs.nservers++;
}

/* 1 the first time an option is set for the current LUN. */
static int
lun_once(const YYLTYPE *loc, uint32_t bit, const char *what)
{
	if (cur_lun == NULL)
		return (0);
	if (lun_seen & bit) {
		conf_err(loc, "duplicate option \"%s\"", what);
		return (0);
	}
	lun_seen |= bit;
	return (1);
}

/* SCSI identification strings: printable ASCII of limited length. */
static void
lun_string(const YYLTYPE *loc, char *dst, size_t dlen, const char *what,
    const char *s)
{
	const char	*p;

	for (p = s; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e) {
			conf_err(loc, "%s must be printable ASCII", what);
			return;
		}
	if (strlen(s) >= dlen) {
		conf_err(loc, "%s \"%s\" too long (max %zu)", what, s,
		    dlen - 1);
		return;
	}
	strlcpy(dst, s, dlen);
}

/*
 * The address SendTargets gives for a listener: a numeric IPv4 address, a
 * bracketed IPv6 address or a host name, with an optional ":port".
 */
static int
advertise_ok(const char *a)
{
	const char	*p, *colon;
	size_t		 len = strlen(a);
	char		 host[INET6_ADDRSTRLEN];
	struct in6_addr	 in6;
	long		 port;
	char		*ep;

	if (len == 0 || len >= TGT_ADDR_MAX - 8)	/* room for ",tpgt" */
		return (0);
	if (a[0] == '[') {
		if ((p = strchr(a, ']')) == NULL ||
		    (size_t)(p - a - 1) >= sizeof(host))
			return (0);
		memcpy(host, a + 1, p - a - 1);
		host[p - a - 1] = '\0';
		if (inet_pton(AF_INET6, host, &in6) != 1)
			return (0);
		colon = p[1] == ':' ? p + 1 : NULL;
		if (colon == NULL && p[1] != '\0')
			return (0);
	} else {
		colon = strchr(a, ':');
		if (colon == a)
			return (0);
		for (p = a; p < (colon != NULL ? colon : a + len); p++)
			if (!isalnum((unsigned char)*p) && *p != '.' &&
			    *p != '-')
				return (0);
	}
	if (colon != NULL) {
		errno = 0;
		port = strtol(colon + 1, &ep, 10);
		if (colon[1] == '\0' || *ep != '\0' || errno != 0 ||
		    port < 1 || port > 65535)
			return (0);
	}
	return (1);
}

static void
listen_add(const YYLTYPE *loc, const char *addr, int64_t port, int iser,
    const char *adv, const YYLTYPE *advloc, int64_t rel_port,
    const YYLTYPE *relloc)
{
	struct conf_listen	*l, *o;
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;
	char			 host[INET6_ADDRSTRLEN + 2];
	size_t			 len = strlen(addr);

	if ((l = calloc(1, sizeof(*l))) == NULL)
		fatal("calloc");
	l->lineno = loc->first_line;
	l->iser = iser;
	strlcpy(l->file, loc->file != NULL ? loc->file->name : conf->file,
	    sizeof(l->file));
	if (len >= 2 && addr[0] == '[' && addr[len - 1] == ']') {
		if (len - 2 >= sizeof(host))
			goto bad;
		memcpy(host, addr + 1, len - 2);
		host[len - 2] = '\0';
	} else if (strlcpy(host, addr, sizeof(host)) >= sizeof(host))
		goto bad;

	sin = (struct sockaddr_in *)&l->ss;
	sin6 = (struct sockaddr_in6 *)&l->ss;
	if (addr[0] != '[' && inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		l->sslen = sizeof(*sin);
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(l->name, sizeof(l->name), "%s:%lld", host,
		    (long long)port);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		l->sslen = sizeof(*sin6);
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(l->name, sizeof(l->name), "[%s]:%lld", host,
		    (long long)port);
	} else
		goto bad;

	TAILQ_FOREACH(o, &conf->listens, entry)
		if (conf_listen_equal(o, l)) {
			if (o->pgroup != -1 || cur_pgroup != NULL)
				conf_err(loc, "listen on %s%s is in two "
				    "port-groups (line %d)", l->name,
				    iser ? " iser" : "", o->lineno);
			else
				conf_err(loc, "duplicate listen on %s%s "
				    "(line %d)", l->name, iser ? " iser" : "",
				    o->lineno);
			free(l);
			return;
		}
	TAILQ_FOREACH(o, &conf->listens, entry)
		if (rel_port != 0 && o->rel_port == rel_port) {
			conf_err(relloc, "relative-port %lld already used by "
			    "listen on %s (line %d)", (long long)rel_port,
			    o->name, o->lineno);
			free(l);
			return;
		}
	l->rel_port = rel_port;
	l->pgroup = -1;
	if (cur_pgroup != NULL) {
		if (cur_pgroup->nlistens >= ALUA_PORTS_MAX) {
			conf_err(loc, "port-group %u: more than %d listeners",
			    cur_pgroup->id, ALUA_PORTS_MAX);
			free(l);
			return;
		}
		cur_pgroup->nlistens++;
		l->pgroup = cur_pgroup->id;
	}
	if (adv != NULL) {
		if (!advertise_ok(adv)) {
			conf_err(advloc, "bad advertise address \"%.*s\": "
			    "host, IPv4 or [IPv6] address, optional :port "
			    "expected", 64, adv);
			free(l);
			return;
		}
		if (strchr(adv[0] == '[' ? strchr(adv, ']') : adv, ':') !=
		    NULL)
			strlcpy(l->advertise, adv, sizeof(l->advertise));
		else
			snprintf(l->advertise, sizeof(l->advertise),
			    "%s:%lld", adv, (long long)port);
	}
	TAILQ_INSERT_TAIL(&conf->listens, l, entry);
	return;
 bad:
	conf_err(loc, "bad address \"%.*s\": numeric IPv4 or IPv6 "
	    "address expected", 64, addr);
	free(l);
}

/* port-group N { ... }: target port groups of ALUA (SPC-4 5.15). */
static void
pgroup_begin(const YYLTYPE *loc, int64_t id)
{
	struct conf_pgroup	*g;
	int			 n = 0;

	cur_pgroup = NULL;
	if (id < 0 || id > 65535) {
		conf_err(loc, "port-group %lld out of range (0-65535)",
		    (long long)id);
		return;
	}
	TAILQ_FOREACH(g, &conf->pgroups, entry) {
		if (g->id == id) {
			conf_err(loc, "duplicate port-group %lld (line %d)",
			    (long long)id, g->lineno);
			return;
		}
		n++;
	}
	if (n >= ALUA_GROUPS_MAX) {
		conf_err(loc, "more than %d port-groups", ALUA_GROUPS_MAX);
		return;
	}
	if ((g = calloc(1, sizeof(*g))) == NULL)
		fatal("calloc");
	g->id = id;
	g->state = ALUA_ACTIVE_OPTIMIZED;
	g->lineno = loc->first_line;
	strlcpy(g->file, loc->file != NULL ? loc->file->name : conf->file,
	    sizeof(g->file));
	TAILQ_INSERT_TAIL(&conf->pgroups, g, entry);
	cur_pgroup = g;
}

static void
pgroup_state(const YYLTYPE *loc, const char *s)
{
	int	st;

	if (cur_pgroup == NULL)
		return;
	if ((st = alua_state_parse(s)) == -1) {
		conf_err(loc, "unknown state \"%.*s\": active-optimized, "
		    "active-non-optimized, standby, unavailable or "
		    "transitioning expected", 64, s);
		return;
	}
	if (cur_pgroup->state_set)
		conf_err(loc, "state given twice");
	cur_pgroup->state = st;
	cur_pgroup->state_set = 1;
}

static void
pgroup_end(void)
{
	if (cur_pgroup != NULL && cur_pgroup->nlistens == 0) {
		conf_err_at(cur_pgroup->file, cur_pgroup->lineno,
		    "port-group %u has no listener", cur_pgroup->id);
	}
	cur_pgroup = NULL;
}

/*
 * Once port-groups are used, every listener belongs to one: a port
 * outside all groups would have no state to report.
 */
static void
pgroup_checks(void)
{
	struct conf_listen	*l;

	/* relative ports: given for every listener or for none */
	TAILQ_FOREACH(l, &conf->listens, entry)
		if (l->rel_port != 0)
			break;
	if (l != NULL)
		TAILQ_FOREACH(l, &conf->listens, entry)
			if (l->rel_port == 0)
				conf_err_at(l->file, l->lineno, "listen on %s "
				    "has no relative-port (every listener "
				    "needs one once one has)", l->name);

	if (TAILQ_EMPTY(&conf->pgroups)) {
		if (alua_line != 0)
			conf_err_at(conf->file, alua_line, "alua settings "
			    "without a port-group");
		return;
	}
	TAILQ_FOREACH(l, &conf->listens, entry)
		if (l->pgroup == -1)
			conf_err_at(l->file, l->lineno, "listen on %s is in "
			    "no port-group (every listener must be once "
			    "port-groups are used)", l->name);
}

static int
parse_size(const char *s, uint64_t *res)
{
	unsigned long long	 v;
	char			*ep;
	int			 shift = 0;

	if (!isdigit((unsigned char)s[0]))
		return (-1);
	errno = 0;
	v = strtoull(s, &ep, 10);
	if (errno == ERANGE)
		return (-1);
	switch (*ep) {
	case '\0':
		break;
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	case 't':
	case 'T':
		shift = 40;
		break;
	default:
		return (-1);
	}
	if (*ep != '\0' && ep[1] != '\0')
		return (-1);
	if (v == 0 || v > (UINT64_MAX >> shift))
		return (-1);
	*res = (uint64_t)v << shift;
	return (0);
}

/* A CHAP (mutual 0) or mutual (1) secret equal to s, in any block. */
static struct conf_chap *
auth_secret_find_in(struct conf_auth *a, const char *s, int mutual)
{
	struct conf_chap	*c;

	if (mutual)
		return (a->mutual != NULL && strcmp(a->mutual->secret, s) ==
		    0 ? a->mutual : NULL);
	TAILQ_FOREACH(c, &a->chap, entry)
		if (strcmp(c->secret, s) == 0)
			return (c);
	return (NULL);
}

static struct conf_chap *
auth_secret_find(const char *s, int mutual)
{
	struct conf_target	*t;
	struct conf_chap	*c;

	if ((c = auth_secret_find_in(&conf->discovery, s, mutual)) != NULL)
		return (c);
	TAILQ_FOREACH(t, &conf->targets, entry)
		if ((c = auth_secret_find_in(&t->auth, s, mutual)) != NULL)
			return (c);
	return (NULL);
}

/* auth chap (mutual 0) or auth mutual (1) user "u" secret "s" */
static void
auth_add(const YYLTYPE *uloc, int mutual, const char *user,
    const YYLTYPE *sloc, const char *secret)
{
	struct conf_chap	*c, *o;
	const unsigned char	*p;
	size_t			 slen = strlen(secret);

	if (cur_auth == NULL)
		return;
	for (p = (const unsigned char *)user; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f) {
			conf_err(uloc, "CHAP user name must be printable");
			return;
		}
	if (user[0] == '\0' || strlen(user) >= CHAP_NAME_MAX) {
		conf_err(uloc, "CHAP user name must be 1 to %d bytes",
		    CHAP_NAME_MAX - 1);
		return;
	}
	if (slen < CONF_SECRET_MIN) {
		conf_err(sloc, "secret must be at least %d bytes",
		    CONF_SECRET_MIN);
		return;
	}
	if (slen > CONF_SECRET_MAX) {
		conf_err(sloc, "secret must be at most %d bytes",
		    CONF_SECRET_MAX);
		return;
	}
	if (mutual && cur_auth->mutual != NULL) {
		conf_err(uloc, "duplicate auth mutual (line %d)",
		    cur_auth->mutual->lineno);
		return;
	}
	TAILQ_FOREACH(o, &cur_auth->chap, entry)
		if (!mutual && strcmp(o->user, user) == 0) {
			conf_err(uloc, "duplicate CHAP user \"%s\" (line %d)",
			    user, o->lineno);
			return;
		}
	/*
	 * RFC 7143 12.1.3: a secret that authenticates initiators must not
	 * authenticate a target, anywhere in the configuration.
	 */
	if ((o = auth_secret_find(secret, !mutual)) != NULL) {
		if (mutual)
			conf_err(sloc, "the mutual secret must differ from "
			    "the secret of user \"%s\" (line %d)", o->user,
			    o->lineno);
		else
			conf_err(sloc, "the secret must differ from the "
			    "mutual secret (line %d)", o->lineno);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("calloc");
	strlcpy(c->user, user, sizeof(c->user));
	strlcpy(c->secret, secret, sizeof(c->secret));
	c->lineno = uloc->first_line;
	if (mutual)
		cur_auth->mutual = c;
	else
		TAILQ_INSERT_TAIL(&cur_auth->chap, c, entry);
}

static void
acl_add(const YYLTYPE *loc, int type, const char *s)
{
	struct conf_acl	*a;
	size_t		 n;

	if (cur_target == NULL)
		return;
	if (cur_target->flags & TARGET_F_ALLOW_ALL) {
		conf_err(loc, "allow all with other allow rules");
		return;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL)
		fatal("calloc");
	if (type == ACL_INITIATOR) {
		n = strlen(s);
		if (n == 0 || n >= sizeof(a->rule.pattern)) {
			conf_err(loc, "initiator pattern must be 1 to %zu "
			    "bytes", sizeof(a->rule.pattern) - 1);
			free(a);
			return;
		}
		a->rule.type = ACL_INITIATOR;
		strlcpy(a->rule.pattern, s, sizeof(a->rule.pattern));
	} else if (conf_acl_address(s, &a->rule) == -1) {
		conf_err(loc, "bad address \"%.*s\": IPv4 or IPv6 address "
		    "or network/prefix with zero host bits expected", 64, s);
		free(a);
		return;
	}
	TAILQ_INSERT_TAIL(&cur_target->acls, a, entry);
}

static void
redirect_set(const YYLTYPE *loc, const char *host, int64_t port, int perm)
{
	struct in6_addr	 in6;
	const char	*p;
	int		 n;

	if (cur_target == NULL || port == -1)
		return;
	if (cur_target->access & ACCESS_F_REDIRECT) {
		conf_err(loc, "duplicate redirect");
		return;
	}
	if (host[0] == '\0')
		goto bad;
	for (p = host; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr(".-:[]", *p) ==
		    NULL)
			goto bad;
	if (inet_pton(AF_INET6, host, &in6) == 1)
		n = snprintf(cur_target->redirect,
		    sizeof(cur_target->redirect), "[%s]:%lld", host,
		    (long long)port);
	else if (strchr(host, ':') != NULL && host[0] != '[')
		goto bad;
	else
		n = snprintf(cur_target->redirect,
		    sizeof(cur_target->redirect), "%s:%lld", host,
		    (long long)port);
	if (n < 0 || (size_t)n >= sizeof(cur_target->redirect))
		goto bad;
	cur_target->access |= ACCESS_F_REDIRECT;
	if (perm)
		cur_target->access |= ACCESS_F_PERMANENT;
	return;
 bad:
	cur_target->redirect[0] = '\0';
	conf_err(loc, "bad redirect address \"%.*s\"", 64, host);
}

/* isns server ADDRESS [port N]: numeric, the master does no DNS. */
static void
isns_set(const YYLTYPE *loc, const char *addr, int64_t port)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 sslen;
	char			 host[INET6_ADDRSTRLEN + 2];
	char			 name[TGT_ADDR_MAX];
	size_t			 len = strlen(addr);

	if (len >= 2 && addr[0] == '[' && addr[len - 1] == ']') {
		if (len - 2 >= sizeof(host))
			goto bad;
		memcpy(host, addr + 1, len - 2);
		host[len - 2] = '\0';
	} else if (strlcpy(host, addr, sizeof(host)) >= sizeof(host))
		goto bad;
	memset(&ss, 0, sizeof(ss));
	if (addr[0] != '[' && inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sslen = sizeof(*sin);
		snprintf(name, sizeof(name), "%s:%lld", host, (long long)port);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sslen = sizeof(*sin6);
		snprintf(name, sizeof(name), "[%s]:%lld", host,
		    (long long)port);
	} else
		goto bad;
	if (conf->isns_sslen != 0) {
		conf_err(loc, "duplicate isns server");
		return;
	}
	conf->isns_ss = ss;
	conf->isns_sslen = sslen;
	strlcpy(conf->isns_name, name, sizeof(conf->isns_name));
	return;
 bad:
	conf_err(loc, "bad isns server address \"%.*s\": numeric IPv4 or "
	    "IPv6 address expected", 64, addr);
}

/*
 * Tape drives hold "<media directory>/<barcode>"; a cartridge is in one
 * drive at most.  Optical drives given a disc image by name hold
 * "<media directory>/<name>".
 */
static void
media_paths(void)
{
	struct conf_target	*t, *t2;
	struct conf_lun		*l, *l2;

	TAILQ_FOREACH(t, &conf->targets, entry)
		TAILQ_FOREACH(l, &t->luns, entry) {
			/* a read-only disc image may be in several drives */
			if (l->type == LUN_TYPE_OPTICAL &&
			    l->cartridge[0] != '\0')
				goto first;
			if (l->type != LUN_TYPE_TAPE ||
			    l->cartridge[0] == '\0')
				continue;
			/* the first drive that holds it says so */
			TAILQ_FOREACH(t2, &conf->targets, entry)
				TAILQ_FOREACH(l2, &t2->luns, entry) {
					if (l2 == l)
						goto first;
					if (l2->type == LUN_TYPE_TAPE &&
					    strcmp(l2->cartridge,
					    l->cartridge) == 0) {
						conf_err_at(l->file, l->lineno,
						    "cartridge %s is in the "
						    "drive of line %d already",
						    l->cartridge, l2->lineno);
						goto first;
					}
				}
 first:
			if ((size_t)snprintf(l->path, sizeof(l->path), "%s/%s",
			    conf->media_dir, l->cartridge) >= sizeof(l->path))
				conf_err_at(l->file, l->lineno,
				    "cartridge path too long");
		}
}

static struct conf_lun *
conf_lun_find(const char *target, uint64_t nr)
{
	struct conf_target	*t;
	struct conf_lun		*l;

	TAILQ_FOREACH(t, &conf->targets, entry) {
		if (strcmp(t->name, target) != 0)
			continue;
		TAILQ_FOREACH(l, &t->luns, entry)
			if (l->lun == nr)
				return (l);
	}
	return (NULL);
}

/* A tape LUN of the file holding cartridge bc, or NULL. */
static struct conf_lun *
conf_tape_holding(const char *bc)
{
	struct conf_target	*t;
	struct conf_lun		*l;

	TAILQ_FOREACH(t, &conf->targets, entry)
		TAILQ_FOREACH(l, &t->luns, entry)
			if ((l->type == LUN_TYPE_TAPE ||
			    l->type == LUN_TYPE_OPTICAL) &&
			    strcmp(l->cartridge, bc) == 0)
				return (l);
	return (NULL);
}

/*
 * One changer: every drive is a tape or optical LUN (a tape library or a
 * DVD jukebox; of the changer's target when
 * no target is named), listed once; a cartridge placed in a slot is in
 * no drive.
 */
static void
changer_check(const struct conf_target *t, struct conf_lun *l)
{
	struct conf_changer	*c = &l->changer;
	struct conf_lun		*d;
	uint32_t		 i, j;

	for (i = 0; i < c->ndrives; i++) {
		if (c->drive[i].target[0] == '\0')
			strlcpy(c->drive[i].target, t->name,
			    sizeof(c->drive[i].target));
		d = conf_lun_find(c->drive[i].target, c->drive[i].lun);
		if (d == NULL || (d->type != LUN_TYPE_TAPE &&
		    d->type != LUN_TYPE_OPTICAL))
			conf_err_at(l->file, l->lineno, "drive %u: no tape "
			    "or optical LUN %llu in %s", i,
			    (unsigned long long)c->drive[i].lun,
			    c->drive[i].target);
		for (j = 0; j < i; j++)
			if (strcmp(c->drive[j].target, c->drive[i].target) ==
			    0 && c->drive[j].lun == c->drive[i].lun)
				conf_err_at(l->file, l->lineno, "drive %u is "
				    "drive %u", i, j);
	}
	for (i = 0; i < c->nplaced; i++)
		if (conf_tape_holding(c->placed[i].barcode) != NULL)
			conf_err_at(l->file, c->placed[i].lineno, "cartridge "
			    "%s is in a drive", c->placed[i].barcode);
}

/* Two changers share no drive and no cartridge. */
static void
changer_pair(const struct conf_lun *l, const struct conf_lun *o)
{
	const struct conf_changer	*c = &l->changer, *co = &o->changer;
	uint32_t			 i, j;

	for (i = 0; i < c->ndrives; i++)
		for (j = 0; j < co->ndrives; j++)
			if (strcmp(c->drive[i].target, co->drive[j].target) ==
			    0 && c->drive[i].lun == co->drive[j].lun)
				conf_err_at(o->file, o->lineno, "drive %u is "
				    "in the changer of line %d", j, l->lineno);
	for (i = 0; i < c->nplaced; i++)
		for (j = 0; j < co->nplaced; j++)
			if (strcmp(c->placed[i].barcode,
			    co->placed[j].barcode) == 0)
				conf_err_at(o->file, co->placed[j].lineno,
				    "cartridge %s is in the changer of line "
				    "%d", co->placed[j].barcode, l->lineno);
}

static void
changer_checks(void)
{
	struct conf_target	*t, *t2;
	struct conf_lun		*l, *l2;
	int			 after;

	TAILQ_FOREACH(t, &conf->targets, entry)
		TAILQ_FOREACH(l, &t->luns, entry)
			if (l->type == LUN_TYPE_CHANGER)
				changer_check(t, l);
	TAILQ_FOREACH(t, &conf->targets, entry)
		TAILQ_FOREACH(l, &t->luns, entry) {
			if (l->type != LUN_TYPE_CHANGER)
				continue;
			after = 0;
			TAILQ_FOREACH(t2, &conf->targets, entry)
				TAILQ_FOREACH(l2, &t2->luns, entry) {
					if (l2 == l)
						after = 1;
					else if (after &&
					    l2->type == LUN_TYPE_CHANGER)
						changer_pair(l, l2);
				}
		}
}

const char *
conf_errors(void)
{
	return (errbuf);
}

struct tgt_conf *
parse_config(const char *filename, int opts)
{
	struct conf_listen	*l;
	struct sockaddr_in	*sin;

	errors = 0;
	errbuf[0] = '\0';
	parse_opts = opts;
	cur_target = NULL;
	cur_lun = NULL;
	cur_pgroup = NULL;
	alua_line = 0;

	if ((conf = calloc(1, sizeof(*conf))) == NULL)
		fatal("calloc");
	TAILQ_INIT(&conf->listens);
	TAILQ_INIT(&conf->pgroups);
	TAILQ_INIT(&conf->targets);
	conf_auth_init(&conf->discovery);
	cur_auth = NULL;
	strlcpy(conf->file, filename, sizeof(conf->file));
	strlcpy(conf->user, CONF_DEF_USER, sizeof(conf->user));
	strlcpy(conf->chroot, CONF_DEF_CHROOT, sizeof(conf->chroot));
	strlcpy(conf->control, CONF_DEF_CONTROL, sizeof(conf->control));
	strlcpy(conf->state_dir, CONF_DEF_STATEDIR, sizeof(conf->state_dir));
	strlcpy(conf->media_dir, CONF_DEF_MEDIADIR, sizeof(conf->media_dir));
	conf->drain_timeout = CONF_DEF_DRAIN;
	conf->nop_interval = CONF_DEF_NOP_INTERVAL;
	conf->nop_timeout = CONF_DEF_NOP_TIMEOUT;
	conf->tpgt = CONF_DEF_TPGT;

	if (pushfile(filename, NULL) != NULL)
		yyparse();

	freefiles();
	freesyms();
	media_paths();
	changer_checks();
	pgroup_checks();

	if (errors == 0 && TAILQ_EMPTY(&conf->listens)) {
		/* default: every IPv4 address, the iSCSI port */
		if ((l = calloc(1, sizeof(*l))) == NULL)
			fatal("calloc");
		sin = (struct sockaddr_in *)&l->ss;
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		sin->sin_port = htons(CONF_DEF_PORT);
		l->sslen = sizeof(*sin);
		strlcpy(l->file, conf->file, sizeof(l->file));
		l->pgroup = -1;
		snprintf(l->name, sizeof(l->name), "0.0.0.0:%d",
		    CONF_DEF_PORT);
		TAILQ_INSERT_TAIL(&conf->listens, l, entry);
	}
	if (errors) {
		conf_free(conf);
		conf = NULL;
		return (NULL);
	}
	return (conf);
}
