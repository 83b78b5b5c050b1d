/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * tgtctl import: read a Linux tgt targets.conf (the tgt-admin format)
 * and print an equivalent tgt.conf(5).
 *
 * The input is line based: "key value" directives ("key = value" too),
 * '#' starts a comment, <target name> ... </target> blocks and, inside
 * them, <backing-store path> / <direct-store path> blocks with per-LUN
 * directives.  Directives at target level set defaults for every LUN of
 * the target; "include" takes a glob.  Plain backing-store lines become
 * LUNs 1, 2, ... in order, then direct-store lines, skipping numbers
 * given explicitly with "lun".
 *
 * What has no equivalent is kept as a "# tgtctl import: ..." comment at
 * the place it belongs, and the same warning goes to stderr with the
 * file and line it came from.
 */

#include <sys/types.h>

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "str.h"
#include "tgtctl.h"

#define IMPORT_DEPTH	8	/* nested includes */
#define IMPORT_LINE	4096

/* A string list. */
struct strs {
	char	**v;
	size_t	  n;
};

/* Per-LUN settings; -1 / NULL: not set (inherit). */
struct lopts {
	char	*vendor;
	char	*product;
	char	*revision;
	char	*serial;
	char	*bs_type;
	char	*bsopts;
	char	*device_type;
	int	 write_cache;
	int	 readonly;
	int	 removable;
	long	 block_size;
};

struct ilun {
	char		*path;
	int		 direct;
	long		 lun;		/* -1: automatic */
	struct lopts	 o;
	struct strs	 warn;
};

struct itarget {
	char		*name;
	struct ilun	*luns;
	size_t		 nluns;
	struct lopts	 o;		/* defaults for its LUNs */
	long		 lun;		/* target level "lun N" */
	struct strs	 allow_addr;
	struct strs	 allow_name;
	struct strs	 in_users;	/* "user" "secret" pairs */
	struct strs	 out_users;
	struct strs	 warn;
};

struct import {
	struct itarget	*targets;
	size_t		 ntargets;
	struct itarget	*cur;
	struct ilun	*curlun;
	struct strs	 warn;		/* global */
	const char	*file;
	int		 line;
	int		 errors;
	int		 nwarn;
};

static void	 import_read(struct import *, const char *, int depth);

static void
strs_add(struct strs *s, const char *v)
{
	char	**nv;

	if ((nv = reallocarray(s->v, s->n + 1, sizeof(*nv))) == NULL)
		err(1, NULL);
	s->v = nv;
	if ((s->v[s->n] = strdup(v)) == NULL)
		err(1, NULL);
	s->n++;
}

static void
strs_free(struct strs *s)
{
	size_t	 i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static void
lopts_init(struct lopts *o)
{
	memset(o, 0, sizeof(*o));
	o->write_cache = o->readonly = o->removable = -1;
	o->block_size = -1;
}

static void
lopts_free(struct lopts *o)
{
	free(o->vendor);
	free(o->product);
	free(o->revision);
	free(o->serial);
	free(o->bs_type);
	free(o->bsopts);
	free(o->device_type);
}

/* A warning: a comment where it belongs (list), and on stderr. */
static void __attribute__((format(printf, 3, 4)))
warnat(struct import *im, struct strs *list, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		err(1, NULL);
	va_end(ap);
	fprintf(stderr, "%s:%d: warning: %s\n", im->file, im->line, s);
	strs_add(list, s);
	free(s);
	im->nwarn++;
}

static void __attribute__((format(printf, 2, 3)))
error(struct import *im, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "%s:%d: ", im->file, im->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	im->errors++;
}

static struct strs *
warnlist(struct import *im)
{
	if (im->curlun != NULL)
		return (&im->curlun->warn);
	if (im->cur != NULL)
		return (&im->cur->warn);
	return (&im->warn);
}

/* on/off, yes/no, 1/0; -1 if none of them. */
static int
boolval(const char *v)
{
	if (strcasecmp(v, "on") == 0 || strcasecmp(v, "yes") == 0 ||
	    strcmp(v, "1") == 0)
		return (1);
	if (strcasecmp(v, "off") == 0 || strcasecmp(v, "no") == 0 ||
	    strcmp(v, "0") == 0)
		return (0);
	return (-1);
}

static void
setstr(char **dst, const char *v)
{
	free(*dst);
	if ((*dst = strdup(v)) == NULL)
		err(1, NULL);
}

static struct ilun *
lun_add(struct import *im, const char *path, int direct)
{
	struct itarget	*t = im->cur;
	struct ilun	*l;

	if ((l = reallocarray(t->luns, t->nluns + 1, sizeof(*l))) == NULL)
		err(1, NULL);
	t->luns = l;
	l = &t->luns[t->nluns++];
	memset(l, 0, sizeof(*l));
	if ((l->path = strdup(path)) == NULL)
		err(1, NULL);
	l->direct = direct;
	l->lun = -1;
	lopts_init(&l->o);
	if (direct)
		warnat(im, &l->warn, "direct-store %s: the device's own "
		    "vendor, product, revision and serial are not read "
		    "(sg_inq); set them here if initiators need them", path);
	return (l);
}

/* Directives that apply to a LUN, or as defaults to a target's LUNs. */
static int
lun_directive(struct import *im, struct lopts *o, const char *key,
    const char *val)
{
	long	 n;
	char	*end;
	int	 b;

	if (strcasecmp(key, "vendor_id") == 0)
		setstr(&o->vendor, val);
	else if (strcasecmp(key, "product_id") == 0)
		setstr(&o->product, val);
	else if (strcasecmp(key, "product_rev") == 0)
		setstr(&o->revision, val);
	else if (strcasecmp(key, "scsi_sn") == 0)
		setstr(&o->serial, val);
	else if (strcasecmp(key, "bs-type") == 0)
		setstr(&o->bs_type, val);
	else if (strcasecmp(key, "bsopts") == 0)
		setstr(&o->bsopts, val);
	else if (strcasecmp(key, "device-type") == 0)
		setstr(&o->device_type, val);
	else if (strcasecmp(key, "write-cache") == 0 ||
	    strcasecmp(key, "readonly") == 0 ||
	    strcasecmp(key, "removable") == 0) {
		if ((b = boolval(val)) == -1) {
			warnat(im, warnlist(im), "%s %s: not on/off, ignored",
			    key, val);
			return (1);
		}
		if (strcasecmp(key, "write-cache") == 0)
			o->write_cache = b;
		else if (strcasecmp(key, "readonly") == 0)
			o->readonly = b;
		else
			o->removable = b;
	} else if (strcasecmp(key, "block-size") == 0) {
		errno = 0;
		n = strtol(val, &end, 10);
		if (*end != '\0' || errno != 0 || (n != 512 && n != 1024 &&
		    n != 2048 && n != 4096))
			warnat(im, warnlist(im), "block-size %s: not 512, "
			    "1024, 2048 or 4096, ignored", val);
		else
			o->block_size = n;
	} else if (strcasecmp(key, "scsi_id") == 0)
		warnat(im, warnlist(im), "scsi_id %s: the device "
		    "identifier (VPD page 83) is derived from the target "
		    "name and LUN, not set", val);
	else
		return (0);
	return (1);
}

static const char *iscsi_params[] = {
	"MaxRecvDataSegmentLength", "MaxXmitDataSegmentLength",
	"HeaderDigest", "DataDigest", "InitialR2T", "MaxOutstandingR2T",
	"ImmediateData", "FirstBurstLength", "MaxBurstLength",
	"DataPDUInOrder", "DataSequenceInOrder", "ErrorRecoveryLevel",
	"IFMarker", "OFMarker", "DefaultTime2Wait", "DefaultTime2Retain",
	"OFMarkInt", "IFMarkInt", "MaxConnections", "MaxQueueCmd",
	NULL
};

static void
directive(struct import *im, const char *key, const char *val)
{
	struct itarget	*t = im->cur;
	char		*end, *sp;
	long		 n;
	int		 i;

	if (t == NULL) {
		/* global */
		if (strcasecmp(key, "default-driver") == 0 ||
		    strcasecmp(key, "driver") == 0) {
			if (strcasecmp(val, "iscsi") != 0)
				warnat(im, &im->warn, "%s %s: only iscsi is "
				    "served here", key, val);
		} else if (strcasecmp(key, "ignore-errors") == 0)
			;	/* tgt.conf is checked as a whole anyway */
		else if (strcasecmp(key, "control-port") == 0 ||
		    strncasecmp(key, "isns", 4) == 0)
			warnat(im, &im->warn, "%s %s: no tgt.conf equivalent",
			    key, val);
		else
			warnat(im, &im->warn, "%s %s: unknown directive, not "
			    "converted", key, val);
		return;
	}
	if (lun_directive(im, im->curlun != NULL ? &im->curlun->o : &t->o,
	    key, val))
		return;
	if (strcasecmp(key, "lun") == 0) {
		errno = 0;
		n = strtol(val, &end, 10);
		if (*end != '\0' || errno != 0 || n < 0 || n > 16383) {
			error(im, "lun %s: not a number from 0 to 16383", val);
			return;
		}
		if (im->curlun != NULL)
			im->curlun->lun = n;
		else
			t->lun = n;
		return;
	}
	if (im->curlun != NULL) {
		warnat(im, &im->curlun->warn, "%s %s: not a per-LUN setting "
		    "here, not converted", key, val);
		return;
	}
	if (strcasecmp(key, "backing-store") == 0)
		lun_add(im, val, 0);
	else if (strcasecmp(key, "direct-store") == 0)
		lun_add(im, val, 1);
	else if (strcasecmp(key, "initiator-address") == 0)
		strs_add(&t->allow_addr, val);
	else if (strcasecmp(key, "initiator-name") == 0)
		strs_add(&t->allow_name, val);
	else if (strcasecmp(key, "incominguser") == 0 ||
	    strcasecmp(key, "outgoinguser") == 0) {
		if ((sp = strpbrk(val, " \t")) == NULL) {
			error(im, "%s: user and password expected", key);
			return;
		}
		*sp++ = '\0';
		sp += strspn(sp, " \t");
		if (strcasecmp(key, "incominguser") == 0) {
			strs_add(&t->in_users, val);
			strs_add(&t->in_users, sp);
		} else {
			if (t->out_users.n > 0)
				warnat(im, &t->warn, "outgoinguser %s: only "
				    "one is used, the last one", val);
			strs_free(&t->out_users);
			strs_add(&t->out_users, val);
			strs_add(&t->out_users, sp);
		}
	} else if (strcasecmp(key, "driver") == 0) {
		if (strcasecmp(val, "iscsi") != 0)
			warnat(im, &t->warn, "driver %s: only iscsi is "
			    "served here", val);
	} else if (strcasecmp(key, "allow-in-use") == 0 ||
	    strcasecmp(key, "controller_tid") == 0)
		;	/* tgt-admin bookkeeping, nothing to say */
	else {
		for (i = 0; iscsi_params[i] != NULL; i++)
			if (strcasecmp(key, iscsi_params[i]) == 0)
				break;
		if (iscsi_params[i] != NULL)
			warnat(im, &t->warn, "%s %s: iSCSI parameters are "
			    "negotiated from the suite's own limits, not set "
			    "per target", iscsi_params[i], val);
		else
			warnat(im, &t->warn, "%s %s: no tgt.conf "
			    "equivalent, not converted", key, val);
	}
}

static void
tag(struct import *im, char *s)
{
	char		*name, *arg;
	struct itarget	*t;
	size_t		 len = strlen(s);
	int		 close = 0;

	if (len < 2 || s[len - 1] != '>') {
		error(im, "unterminated tag");
		return;
	}
	s[len - 1] = '\0';
	s++;
	if (*s == '/') {
		close = 1;
		s++;
	}
	name = str_trim(s);
	arg = name + strcspn(name, " \t");
	if (*arg != '\0')
		*arg++ = '\0';
	arg = str_trim(arg);
	/* names may be quoted */
	if (arg[0] == '"' && strlen(arg) >= 2 && arg[strlen(arg) - 1] ==
	    '"') {
		arg[strlen(arg) - 1] = '\0';
		arg++;
	}

	if (strcasecmp(name, "target") == 0) {
		if (close) {
			if (im->cur == NULL || im->curlun != NULL)
				error(im, "</target> out of place");
			im->cur = NULL;
			return;
		}
		if (im->cur != NULL) {
			error(im, "<target> inside a target");
			return;
		}
		if (arg[0] == '\0') {
			error(im, "<target> without a name");
			return;
		}
		if ((t = reallocarray(im->targets, im->ntargets + 1,
		    sizeof(*t))) == NULL)
			err(1, NULL);
		im->targets = t;
		t = &im->targets[im->ntargets++];
		memset(t, 0, sizeof(*t));
		if ((t->name = strdup(arg)) == NULL)
			err(1, NULL);
		lopts_init(&t->o);
		t->lun = -1;
		im->cur = t;
		return;
	}
	if (strcasecmp(name, "backing-store") == 0 ||
	    strcasecmp(name, "direct-store") == 0) {
		if (close) {
			if (im->curlun == NULL)
				error(im, "</%s> out of place", name);
			im->curlun = NULL;
			return;
		}
		if (im->cur == NULL || im->curlun != NULL) {
			error(im, "<%s> outside a target", name);
			return;
		}
		if (arg[0] == '\0') {
			error(im, "<%s> without a path", name);
			return;
		}
		/* no LUN is added while curlun is set: it stays valid */
		im->curlun = lun_add(im, arg,
		    strcasecmp(name, "direct-store") == 0);
		return;
	}
	error(im, "unknown block <%s%s>", close ? "/" : "", name);
}

static void
include(struct import *im, const char *pattern, int depth)
{
	glob_t		 g;
	const char	*file = im->file;
	size_t		 i;
	int		 line = im->line, r;

	if (depth >= IMPORT_DEPTH) {
		error(im, "include %s: nested too deep", pattern);
		return;
	}
	r = glob(pattern, 0, NULL, &g);
	if (r == GLOB_NOMATCH) {
		warnat(im, &im->warn, "include %s: no such file", pattern);
		return;
	}
	if (r != 0) {
		error(im, "include %s: cannot expand", pattern);
		return;
	}
	for (i = 0; i < g.gl_pathc; i++) {
		import_read(im, g.gl_pathv[i], depth + 1);
		im->file = file;
		im->line = line;
	}
	globfree(&g);
}

static void
import_read(struct import *im, const char *file, int depth)
{
	FILE		*fp;
	char		 buf[IMPORT_LINE], *s, *key, *val, *hash;

	if (strcmp(file, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(file, "r")) == NULL) {
		fprintf(stderr, "%s: %s\n", file, strerror(errno));
		im->errors++;
		return;
	}
	im->file = file;
	im->line = 0;
	while (fgets(buf, sizeof(buf), fp) != NULL) {
		im->line++;
		if (strchr(buf, '\n') == NULL && !feof(fp)) {
			error(im, "line too long");
			break;
		}
		if ((hash = strchr(buf, '#')) != NULL)
			*hash = '\0';
		s = str_trim(buf);
		if (*s == '\0')
			continue;
		if (*s == '<') {
			tag(im, s);
			continue;
		}
		key = s;
		val = s + strcspn(s, " \t=");
		if (*val != '\0') {
			*val++ = '\0';
			val = str_trim(val);
			if (*val == '=')
				val = str_trim(val + 1);
		}
		if (*val == '\0') {
			error(im, "%s: value expected", key);
			continue;
		}
		/* a value may be quoted as a whole */
		if (val[0] == '"' && strlen(val) >= 2 &&
		    val[strlen(val) - 1] == '"') {
			val[strlen(val) - 1] = '\0';
			val++;
		}
		if (strcasecmp(key, "include") == 0) {
			if (im->cur != NULL)
				error(im, "include inside a target");
			else
				include(im, val, depth);
			continue;
		}
		directive(im, key, val);
	}
	if (ferror(fp))
		error(im, "read error");
	if (fp != stdin)
		fclose(fp);
}

/* A quoted tgt.conf string. */
static void
quote(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void
comments(FILE *out, const char *indent, const struct strs *w)
{
	size_t	 i;

	for (i = 0; i < w->n; i++)
		fprintf(out, "%s# tgtctl import: %s\n", indent, w->v[i]);
}

/* Effective value: the LUN's own, else the target's. */
#define EFF(l, t, f)	((l)->o.f != NULL ? (l)->o.f : (t)->o.f)
#define EFFI(l, t, f)	((l)->o.f != -1 ? (l)->o.f : (t)->o.f)

static void
opt_str(FILE *out, int *n, const char *kw, const char *v, size_t max,
    struct strs *w)
{
	char	 buf[64];

	if (v == NULL)
		return;
	if (strlen(v) > max) {
		strlcpy(buf, v, max + 1 < sizeof(buf) ? max + 1 :
		    sizeof(buf));
		if (w != NULL) {
			char	*s;

			if (asprintf(&s, "%s \"%s\" cut to %zu characters",
			    kw, v, max) == -1)
				err(1, NULL);
			fprintf(stderr, "warning: %s\n", s);
			strs_add(w, s);
			free(s);
		}
		v = buf;
	}
	fprintf(out, "%s%s ", (*n)++ ? "; " : " { ", kw);
	quote(out, v);
}

/*
 * bs-type rbd: the backing store is [pool/]image[@snapshot], bsopts
 * "conf=PATH;id=USER" (tgt's bs_rbd).  Prints the LUN's opening and its
 * rbd options; 0, or -1 (with a warning in w) when it cannot be served.
 */
static int
print_rbd(FILE *out, struct itarget *t, struct ilun *l, int *n,
    struct strs *w)
{
	const char	*opts = EFF(l, t, bsopts);
	char		*img, *pool, *o, *p, *next, *s;

	if (strchr(l->path, '@') != NULL) {
		if (asprintf(&s, "bs-type rbd: %s is a snapshot, not served; "
		    "LUN %ld not converted", l->path, l->lun) == -1)
			err(1, NULL);
		fprintf(stderr, "%s: warning: %s\n", t->name, s);
		strs_add(w, s);
		free(s);
		return (-1);
	}
	if ((pool = strdup(l->path)) == NULL)
		err(1, NULL);
	if ((img = strchr(pool, '/')) != NULL)
		*img++ = '\0';
	else {
		img = pool;
		pool = NULL;
	}
	fprintf(out, "\tlun %ld disk { backend rbd", l->lun);
	(*n)++;
	if (pool != NULL && *pool != '\0') {
		fprintf(out, "; pool ");
		quote(out, pool);
	}
	fprintf(out, "; image ");
	quote(out, img);
	if (opts != NULL) {
		if ((o = strdup(opts)) == NULL)
			err(1, NULL);
		for (p = o; p != NULL; p = next) {
			if ((next = strchr(p, ';')) != NULL)
				*next++ = '\0';
			if (strncmp(p, "conf=", 5) == 0) {
				fprintf(out, "; ceph-conf ");
				quote(out, p + 5);
			} else if (strncmp(p, "id=", 3) == 0) {
				fprintf(out, "; user ");
				quote(out, p + 3);
			} else if (*p != '\0') {
				if (asprintf(&s, "bsopts %s: not converted",
				    p) == -1)
					err(1, NULL);
				fprintf(stderr, "%s: lun %ld: warning: %s\n",
				    t->name, l->lun, s);
				strs_add(w, s);
				free(s);
			}
		}
		free(o);
	}
	free(pool != NULL ? pool : img);
	return (0);
}

/*
 * tgt's bs-type glfs names the image "volume@server:file", the file
 * relative to the volume's root: backend glfs with volume, server and
 * path.  -1 if it is not of that form (nothing printed).
 */
static int
print_glfs(FILE *out, const char *image, int *n)
{
	const char	*at, *colon;
	char		*vol, *host, *path;

	if ((at = strchr(image, '@')) == NULL || at == image ||
	    (colon = strchr(at, ':')) == NULL || colon == at + 1 ||
	    colon[1] == '\0')
		return (-1);
	if ((vol = strndup(image, at - image)) == NULL ||
	    (host = strndup(at + 1, colon - at - 1)) == NULL ||
	    asprintf(&path, "%s%s", colon[1] == '/' ? "" : "/",
	    colon + 1) == -1)
		err(1, NULL);
	fprintf(out, "%sbackend glfs; volume ", (*n)++ ? "; " : " { ");
	quote(out, vol);
	fprintf(out, "; server ");
	quote(out, host);
	fprintf(out, "; path ");
	quote(out, path);
	free(vol);
	free(host);
	free(path);
	return (0);
}

/* A LUN that cannot be served: a warning, and the LUN as a comment. */
static void
skip_lun(FILE *out, struct itarget *t, struct ilun *l, char *why)
{
	struct strs	 w = { NULL, 0 };

	fprintf(stderr, "%s: warning: %s\n", t->name, why);
	strs_add(&w, why);
	free(why);
	comments(out, "\t", &l->warn);
	comments(out, "\t", &w);
	fprintf(out, "\t# lun %ld disk ", l->lun);
	quote(out, l->path);
	fprintf(out, "\n");
	strs_free(&w);
}

static void
print_lun(FILE *out, struct itarget *t, struct ilun *l)
{
	struct strs	 w = { NULL, 0 };
	const char	*bs, *dt;
	char		*s, *opts;
	size_t		 optlen;
	FILE		*f;
	int		 n = 0, b, glfs, r;
	long		 bsz;

	bs = EFF(l, t, bs_type);
	dt = EFF(l, t, device_type);
	/* bs-type sg or bsg (device-type pt): the device passed through */
	if (bs != NULL && (strcasecmp(bs, "sg") == 0 ||
	    strcasecmp(bs, "bsg") == 0)) {
		if (EFF(l, t, vendor) != NULL || EFF(l, t, product) != NULL ||
		    EFF(l, t, revision) != NULL || EFF(l, t, serial) != NULL ||
		    EFFI(l, t, block_size) != -1) {
			fprintf(stderr, "%s: lun %ld: warning: passthrough: "
			    "the identification and block size are the "
			    "device's, the options are dropped\n", t->name,
			    l->lun);
			strs_add(&w, "passthrough: the identification and "
			    "block size are the device's, the options are "
			    "dropped");
		}
		comments(out, "\t", &l->warn);
		comments(out, "\t", &w);
		fprintf(out, "\tlun %ld passthrough ", l->lun);
		quote(out, l->path);
		fprintf(out, "\n");
		strs_free(&w);
		return;
	}
	if (dt != NULL && strcasecmp(dt, "disk") != 0) {
		if (asprintf(&s, "device-type %s: only disks are served, "
		    "LUN %ld not converted", dt, l->lun) == -1)
			err(1, NULL);
		skip_lun(out, t, l, s);
		return;
	}
	glfs = bs != NULL && strcasecmp(bs, "glfs") == 0;
	/* the comments first, then the LUN: the list is printed below */
	if (bs != NULL && strcasecmp(bs, "rbd") == 0) {
		if (print_rbd(out, t, l, &n, &w) == -1) {
			comments(out, "\t", &l->warn);
			comments(out, "\t", &w);
			strs_free(&w);
			return;
		}
	} else if (glfs) {
		/* checked before anything of the LUN is printed */
		if ((f = open_memstream(&opts, &optlen)) == NULL)
			err(1, NULL);
		r = print_glfs(f, l->path, &n);
		fclose(f);
		if (r == -1) {
			free(opts);
			if (asprintf(&s, "bs-type glfs: \"%s\" is not "
			    "volume@server:file, LUN %ld not converted",
			    l->path, l->lun) == -1)
				err(1, NULL);
			skip_lun(out, t, l, s);
			return;
		}
		fprintf(out, "\tlun %ld disk%s", l->lun, opts);
		free(opts);
	} else {
		fprintf(out, "\tlun %ld disk ", l->lun);
		quote(out, l->path);
	}
	if (bs != NULL && strcasecmp(bs, "rbd") != 0 && !glfs) {
		if (strcasecmp(bs, "rdwr") == 0 || strcasecmp(bs, "aio") == 0)
			fprintf(out, "%sbackend %s", n++ ? "; " : " { ",
			    strcasecmp(bs, "aio") == 0 ? "aio" : "rdwr");
		else {
			if (asprintf(&s, "bs-type %s: not available, rdwr "
			    "used", bs) == -1)
				err(1, NULL);
			fprintf(stderr, "%s: lun %ld: warning: %s\n",
			    t->name, l->lun, s);
			strs_add(&w, s);
			free(s);
		}
	}
	if ((b = EFFI(l, t, readonly)) == 1)
		fprintf(out, "%sread-only yes", n++ ? "; " : " { ");
	if ((b = EFFI(l, t, removable)) == 1)
		fprintf(out, "%sremovable yes", n++ ? "; " : " { ");
	if ((b = EFFI(l, t, write_cache)) == 0)
		fprintf(out, "%swrite-cache no", n++ ? "; " : " { ");
	if ((bsz = EFFI(l, t, block_size)) != -1)
		fprintf(out, "%sblock-size %ld", n++ ? "; " : " { ", bsz);
	opt_str(out, &n, "vendor", EFF(l, t, vendor), 8, &w);
	opt_str(out, &n, "product", EFF(l, t, product), 16, &w);
	opt_str(out, &n, "revision", EFF(l, t, revision), 4, &w);
	opt_str(out, &n, "serial", EFF(l, t, serial), 32, &w);
	fprintf(out, "%s\n", n ? " }" : "");
	comments(out, "\t", &l->warn);
	comments(out, "\t", &w);
	strs_free(&w);
}

static int
lun_used(const struct itarget *t, long n)
{
	size_t	 i;

	for (i = 0; i < t->nluns; i++)
		if (t->luns[i].lun == n)
			return (1);
	return (0);
}

/* tgt-admin's numbering: backing-store first, then direct-store. */
static void
number_luns(struct itarget *t)
{
	size_t	 i;
	long	 next = 1;
	int	 pass, nauto = 0;

	for (i = 0; i < t->nluns; i++)
		if (t->luns[i].lun == -1)
			nauto++;
	if (t->lun != -1) {
		if (nauto == 1 && !lun_used(t, t->lun)) {
			for (i = 0; i < t->nluns; i++)
				if (t->luns[i].lun == -1)
					t->luns[i].lun = t->lun;
		} else {
			char	*s;

			if (asprintf(&s, "lun %ld: applies to a target "
			    "with a single unnumbered LUN only, ignored",
			    t->lun) == -1)
				err(1, NULL);
			fprintf(stderr, "%s: warning: %s\n", t->name, s);
			strs_add(&t->warn, s);
			free(s);
		}
	}
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < t->nluns; i++) {
			if (t->luns[i].lun != -1 || t->luns[i].direct != pass)
				continue;
			while (lun_used(t, next))
				next++;
			t->luns[i].lun = next++;
		}
}

static void
print_target(FILE *out, struct itarget *t)
{
	size_t	 i;

	number_luns(t);
	fprintf(out, "target ");
	quote(out, t->name);
	fprintf(out, " {\n");
	comments(out, "\t", &t->warn);
	if (t->allow_addr.n == 0 && t->allow_name.n == 0)
		fprintf(out, "\tallow all\n");
	for (i = 0; i < t->allow_name.n; i++) {
		fprintf(out, "\tallow initiator ");
		quote(out, t->allow_name.v[i]);
		fprintf(out, "\n");
	}
	for (i = 0; i < t->allow_addr.n; i++) {
		if (strcasecmp(t->allow_addr.v[i], "ALL") == 0) {
			fprintf(out, "\tallow all\n");
			continue;
		}
		fprintf(out, "\tallow address ");
		quote(out, t->allow_addr.v[i]);
		fprintf(out, "\n");
	}
	for (i = 0; i + 1 < t->in_users.n; i += 2) {
		fprintf(out, "\tauth chap user ");
		quote(out, t->in_users.v[i]);
		fprintf(out, " secret ");
		quote(out, t->in_users.v[i + 1]);
		fprintf(out, "\n");
	}
	if (t->out_users.n == 2) {
		fprintf(out, "\tauth mutual user ");
		quote(out, t->out_users.v[0]);
		fprintf(out, " secret ");
		quote(out, t->out_users.v[1]);
		fprintf(out, "\n");
	}
	for (i = 0; i < t->nluns; i++)
		print_lun(out, t, &t->luns[i]);
	if (t->nluns == 0)
		fprintf(out, "\t# tgtctl import: no LUNs\n");
	fprintf(out, "}\n");
}

int
import_file(const char *file, FILE *out)
{
	struct import	 im;
	size_t		 i, j;

	memset(&im, 0, sizeof(im));
	import_read(&im, file, 0);
	im.file = file;
	if (im.cur != NULL)
		error(&im, "<target %s> not closed", im.cur->name);
	if (im.errors == 0) {
		fprintf(out, "# tgt.conf converted by tgtctl import from "
		    "%s\n", file);
		comments(out, "", &im.warn);
		for (i = 0; i < im.ntargets; i++) {
			fprintf(out, "\n");
			print_target(out, &im.targets[i]);
		}
	}
	for (i = 0; i < im.ntargets; i++) {
		struct itarget	*t = &im.targets[i];

		for (j = 0; j < t->nluns; j++) {
			free(t->luns[j].path);
			lopts_free(&t->luns[j].o);
			strs_free(&t->luns[j].warn);
		}
		free(t->luns);
		free(t->name);
		lopts_free(&t->o);
		strs_free(&t->allow_addr);
		strs_free(&t->allow_name);
		strs_free(&t->in_users);
		strs_free(&t->out_users);
		strs_free(&t->warn);
	}
	free(im.targets);
	strs_free(&im.warn);
	if (im.errors > 0) {
		fprintf(stderr, "%s: %d error(s), nothing converted\n", file,
		    im.errors);
		return (1);
	}
	return (0);
}
