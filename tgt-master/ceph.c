/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * The cluster side of a backend rbd LUN, read by the master: the
 * monitors' addresses from the Ceph configuration file and the cephx key
 * of the LUN's user from its keyring.  The LUN process is chrooted and
 * opens no file, so it gets them in MSG_LUN_RBD and hands them to
 * librados with rados_conf_set().
 *
 * The files are INI: "[section]" lines, "name = value" lines, comments
 * after '#' or ';'.  A name's spaces, '_' and '-' are one and the same
 * ("mon host", "mon_host").  The sections read are, from the weakest,
 * [global], [client] and [client.<user>].  In the keyring's path,
 * $cluster is "ceph", $name "client.<user>", $id "<user>" and $type
 * "client"; several paths may be given, separated by commas, the first
 * readable one is used.  A key given in the configuration file ("key")
 * needs no keyring.
 */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "master.h"
#include "str.h"

#define CEPH_LINE_MAX	4096
#define CEPH_KEYRINGS	"/etc/ceph/$cluster.$name.keyring," \
			"/etc/ceph/$cluster.keyring,/etc/ceph/keyring"

/* What is read from one file: the values of the sections that apply. */
struct ceph_vals {
	char	 mon_host[RBD_MON_MAX];
	char	 keyring[TGT_PATH_MAX];
	char	 key[RBD_KEY_MAX];
	int	 rank_mon, rank_keyring, rank_key;
};

/* A name with spaces and dashes as underscores, lower case. */
static void
ceph_norm(char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '-' || *s == '\t')
			*s = '_';
		else
			*s = tolower((unsigned char)*s);
	}
}

/*
 * How much a section counts for user: 3 [client.<user>], 2 [client],
 * 1 [global], 0 none of them.
 */
static int
ceph_rank(const char *section, const char *user)
{
	if (strcmp(section, "global") == 0)
		return (1);
	if (strcmp(section, "client") == 0)
		return (2);
	if (strncmp(section, "client.", 7) == 0 &&
	    strcmp(section + 7, user) == 0)
		return (3);
	return (0);
}

static void
ceph_set(char *dst, size_t dlen, int *rank, int r, const char *v)
{
	if (r < *rank)
		return;
	*rank = r;
	strlcpy(dst, v, dlen);
}

/* Read one INI file: 0, or -1 with errno (and the reason in err). */
static int
ceph_read(const char *path, const char *user, struct ceph_vals *cv,
    char *err, size_t errlen)
{
	FILE	*fp;
	char	 line[CEPH_LINE_MAX], section[RBD_NAME_MAX + 8];
	char	*p, *name, *val;
	int	 r = 0, lineno = 0;

	if ((fp = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	section[0] = '\0';
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if ((p = strpbrk(line, "#;")) != NULL)
			*p = '\0';
		p = str_trim(line);
		if (*p == '[') {
			if ((val = strchr(p, ']')) == NULL) {
				snprintf(err, errlen, "%s:%d: no ']'", path,
				    lineno);
				fclose(fp);
				errno = EINVAL;
				return (-1);
			}
			*val = '\0';
			strlcpy(section, str_trim(p + 1), sizeof(section));
			r = ceph_rank(section, user);
			continue;
		}
		if (*p == '\0' || r == 0 || (val = strchr(p, '=')) == NULL)
			continue;
		*val++ = '\0';
		name = str_trim(p);
		val = str_trim(val);
		ceph_norm(name);
		if (strcmp(name, "mon_host") == 0)
			ceph_set(cv->mon_host, sizeof(cv->mon_host),
			    &cv->rank_mon, r, val);
		else if (strcmp(name, "keyring") == 0)
			ceph_set(cv->keyring, sizeof(cv->keyring),
			    &cv->rank_keyring, r, val);
		else if (strcmp(name, "key") == 0)
			ceph_set(cv->key, sizeof(cv->key), &cv->rank_key, r,
			    val);
	}
	fclose(fp);
	return (0);
}

/* A keyring path with its metavariables replaced: 0, or -1 too long. */
static int
ceph_expand(const char *in, const char *user, char *out, size_t outlen)
{
	static const char *const vars[] = {
		"$cluster", "$name", "$id", "$type"
	};
	const char	*vals[4];
	size_t		 n = 0, i, l;

	vals[0] = "ceph";
	vals[2] = user;
	vals[3] = "client";
	vals[1] = NULL;
	while (*in != '\0') {
		for (i = 0; i < 4; i++) {
			l = strlen(vars[i]);
			if (strncmp(in, vars[i], l) == 0)
				break;
		}
		if (i == 1) {
			if (n + 7 + strlen(user) >= outlen)
				return (-1);
			n += snprintf(out + n, outlen - n, "client.%s", user);
			in += l;
			continue;
		}
		if (i < 4) {
			if (strlcpy(out + n, vals[i], outlen - n) >= outlen - n)
				return (-1);
			n += strlen(vals[i]);
			in += l;
			continue;
		}
		if (n + 1 >= outlen)
			return (-1);
		out[n++] = *in++;
	}
	out[n] = '\0';
	return (0);
}

/* A cephx secret is base64: anything else is no key. */
static int
ceph_key_ok(const char *k)
{
	size_t	 n = strlen(k);

	if (n < 16)
		return (0);
	for (; *k != '\0'; k++)
		if (!isalnum((unsigned char)*k) && *k != '+' && *k != '/' &&
		    *k != '=')
			return (0);
	return (1);
}

/*
 * Fill r with what the LUN process of cl needs to reach its image: 0, or
 * -1 with the reason (cl's file:line first) appended to err.
 */
int
ceph_lun_settings(const struct conf_lun *cl, struct msg_lun_rbd *r,
    char *err, size_t errlen)
{
	const struct conf_rbd	*cr = &cl->rbd;
	struct ceph_vals	 cv, kv;
	char			 why[2 * TGT_PATH_MAX], list[TGT_PATH_MAX];
	char			 path[TGT_PATH_MAX], *p, *next;

	memset(r, 0, sizeof(*r));
	memset(&cv, 0, sizeof(cv));
	why[0] = '\0';
	if (ceph_read(cr->conf, cr->user, &cv, why, sizeof(why)) == -1)
		goto fail;
	if (cv.mon_host[0] == '\0') {
		snprintf(why, sizeof(why), "%s: no mon host", cr->conf);
		goto fail;
	}
	if (strlcpy(r->mon_host, cv.mon_host, sizeof(r->mon_host)) >=
	    sizeof(r->mon_host)) {
		snprintf(why, sizeof(why), "%s: mon host too long", cr->conf);
		goto fail;
	}
	if (cv.key[0] == '\0') {
		/* the first keyring that can be read */
		strlcpy(list, cv.keyring[0] != '\0' ? cv.keyring :
		    CEPH_KEYRINGS, sizeof(list));
		for (p = list; p != NULL && cv.key[0] == '\0'; p = next) {
			if ((next = strchr(p, ',')) != NULL)
				*next++ = '\0';
			p = str_trim(p);
			if (*p == '\0')
				continue;
			if (ceph_expand(p, cr->user, path,
			    sizeof(path)) == -1) {
				snprintf(why, sizeof(why), "keyring %s: path "
				    "too long", p);
				goto fail;
			}
			memset(&kv, 0, sizeof(kv));
			if (ceph_read(path, cr->user, &kv, why,
			    sizeof(why)) == -1)
				continue;
			if (kv.rank_key == 3)
				strlcpy(cv.key, kv.key, sizeof(cv.key));
			else
				snprintf(why, sizeof(why), "%s: no key for "
				    "client.%s", path, cr->user);
		}
		if (cv.key[0] == '\0')
			goto fail;
	}
	if (!ceph_key_ok(cv.key) || strlcpy(r->key, cv.key, sizeof(r->key)) >=
	    sizeof(r->key)) {
		snprintf(why, sizeof(why), "the key of client.%s is not a "
		    "cephx secret", cr->user);
		goto fail;
	}
	strlcpy(r->user, cr->user, sizeof(r->user));
	strlcpy(r->pool, cr->pool, sizeof(r->pool));
	strlcpy(r->ns, cr->ns, sizeof(r->ns));
	strlcpy(r->image, cr->image, sizeof(r->image));
	r->timeout = cr->timeout;
	explicit_bzero(&cv, sizeof(cv));
	return (0);
 fail:
	explicit_bzero(&cv, sizeof(cv));
	explicit_bzero(r, sizeof(*r));
	errappend(err, errlen, "%s:%d: LUN %llu (backend rbd): %s", cl->file,
	    cl->lineno, (unsigned long long)cl->lun, why);
	return (-1);
}
