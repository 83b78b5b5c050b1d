/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Configuration helpers: freeing, printing back in tgt.conf syntax,
 * iSCSI name checks and the identifiers derived from names (default
 * serial numbers and NAA ids), and comparisons used by reload.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alua.h"
#include "conf.h"

void
conf_free(struct tgt_conf *conf)
{
	struct conf_target	*t;
	struct conf_lun		*l;
	struct conf_listen	*ls;
	struct conf_pgroup	*pg;

	if (conf == NULL)
		return;
	while ((pg = TAILQ_FIRST(&conf->pgroups)) != NULL) {
		TAILQ_REMOVE(&conf->pgroups, pg, entry);
		free(pg);
	}
	while ((ls = TAILQ_FIRST(&conf->listens)) != NULL) {
		TAILQ_REMOVE(&conf->listens, ls, entry);
		free(ls);
	}
	while ((t = TAILQ_FIRST(&conf->targets)) != NULL) {
		TAILQ_REMOVE(&conf->targets, t, entry);
		while ((l = TAILQ_FIRST(&t->luns)) != NULL) {
			TAILQ_REMOVE(&t->luns, l, entry);
			free(l);
		}
		conf_auth_free(&t->auth);
		conf_acls_free(&t->acls);
		free(t);
	}
	conf_auth_free(&conf->discovery);
	free(conf);
}

/* A quoted string, with the lexer's escapes. */
static void
dump_str(FILE *fp, const char *s)
{
	putc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			putc('\\', fp);
		putc(*s, fp);
	}
	putc('"', fp);
}

const char *
conf_backend_name(uint32_t backend)
{
	switch (backend) {
	case LUN_BACKEND_RDWR:
		return ("rdwr");
	case LUN_BACKEND_AIO:
		return ("aio");
	case LUN_BACKEND_IO_URING:
		return ("io_uring");
	case LUN_BACKEND_NULL:
		return ("null");
	case LUN_BACKEND_RBD:
		return ("rbd");
	case LUN_BACKEND_GLFS:
		return ("glfs");
	}
	return ("unknown");
}

static void
conf_dump_glfs(const struct msg_lun_glfs *g, FILE *fp)
{
	uint32_t	 i;

	fprintf(fp, "\t\tvolume ");
	dump_str(fp, g->volume);
	for (i = 0; i < g->nservers; i++) {
		fprintf(fp, "; server ");
		/* dump_str() quotes; the port goes inside the quotes */
		fprintf(fp, strchr(g->server[i].host, ':') != NULL ?
		    "\"[%s]" : "\"%s", g->server[i].host);
		if (g->server[i].port != 0)
			fprintf(fp, ":%u", g->server[i].port);
		putc('"', fp);
	}
	fprintf(fp, "; path ");
	dump_str(fp, g->path);
	fprintf(fp, "\n");
}

static const char *
yesno(int b)
{
	return (b ? "yes" : "no");
}

static int
has_tapes(const struct tgt_conf *conf)
{
	const struct conf_target	*t;
	const struct conf_lun		*l;

	TAILQ_FOREACH(t, &conf->targets, entry)
		TAILQ_FOREACH(l, &t->luns, entry)
			if (l->type == LUN_TYPE_TAPE ||
			    l->type == LUN_TYPE_OPTICAL)
				return (1);
	return (0);
}

static void
conf_dump_rbd(const struct conf_rbd *r, FILE *fp)
{
	fprintf(fp, "\t\tpool ");
	dump_str(fp, r->pool);
	if (r->ns[0] != '\0') {
		fprintf(fp, "; namespace ");
		dump_str(fp, r->ns);
	}
	fprintf(fp, "; image ");
	dump_str(fp, r->image);
	fprintf(fp, "\n\t\tuser ");
	dump_str(fp, r->user);
	fprintf(fp, "; ceph-conf ");
	dump_str(fp, r->conf);
	fprintf(fp, "; timeout %u\n", r->timeout);
}

static void
conf_dump_tape(const struct conf_lun *l, FILE *fp)
{
	if (l->type == LUN_TYPE_OPTICAL) {
		fprintf(fp, "\tlun %llu optical ", (unsigned long long)l->lun);
		if (l->cartridge[0] != '\0' || l->path[0] != '\0') {
			dump_str(fp, l->cartridge[0] != '\0' ? l->cartridge :
			    l->path);
			fprintf(fp, " ");
		}
		fprintf(fp, "{\n");
	} else
		fprintf(fp, "\tlun %llu tape {\n", (unsigned long long)l->lun);
	if (l->type == LUN_TYPE_TAPE && l->cartridge[0] != '\0') {
		fprintf(fp, "\t\tcartridge ");
		dump_str(fp, l->cartridge);
		fprintf(fp, "\n");
	}
	fprintf(fp, "\t\tread-only %s\n", yesno(l->flags & LUN_F_READONLY));
	fprintf(fp, "\t\tvendor ");
	dump_str(fp, l->vendor);
	fprintf(fp, "; product ");
	dump_str(fp, l->product);
	fprintf(fp, "; revision ");
	dump_str(fp, l->revision);
	fprintf(fp, "\n\t\tserial ");
	dump_str(fp, l->serial);
	fprintf(fp, "\n\t}\n");
}

static void
conf_dump_changer(const struct conf_lun *l, FILE *fp)
{
	const struct conf_changer	*c = &l->changer;
	uint32_t			 i;

	fprintf(fp, "\tlun %llu changer {\n", (unsigned long long)l->lun);
	fprintf(fp, "\t\tslots %u\n\t\tmailslots %u\n", c->nslots, c->nmail);
	for (i = 0; i < c->ndrives; i++) {
		fprintf(fp, "\t\tdrive ");
		dump_str(fp, c->drive[i].target);
		fprintf(fp, " %llu\n", (unsigned long long)c->drive[i].lun);
	}
	for (i = 0; i < c->nplaced; i++) {
		fprintf(fp, "\t\t%s %u ", c->placed[i].kind == CHANGER_SLOT ?
		    "slot" : "mailslot", c->placed[i].index);
		dump_str(fp, c->placed[i].barcode);
		fprintf(fp, "\n");
	}
	fprintf(fp, "\t\tvendor ");
	dump_str(fp, l->vendor);
	fprintf(fp, "; product ");
	dump_str(fp, l->product);
	fprintf(fp, "; revision ");
	dump_str(fp, l->revision);
	fprintf(fp, "\n\t\tserial ");
	dump_str(fp, l->serial);
	fprintf(fp, "\n\t}\n");
}

static void
dump_listen(const struct conf_listen *ls, const char *indent, FILE *fp)
{
	char		 host[INET6_ADDRSTRLEN];
	const void	*addr;
	int		 port;

	if (ls->ss.ss_family == AF_INET6) {
		addr = &((const struct sockaddr_in6 *)&ls->ss)->sin6_addr;
		port = ntohs(((const struct sockaddr_in6 *)&ls->ss)->
		    sin6_port);
	} else {
		addr = &((const struct sockaddr_in *)&ls->ss)->sin_addr;
		port = ntohs(((const struct sockaddr_in *)&ls->ss)->sin_port);
	}
	inet_ntop(ls->ss.ss_family, addr, host, sizeof(host));
	fprintf(fp, "%slisten on %s port %d%s", indent, host, port,
	    ls->iser ? " iser" : "");
	if (ls->advertise[0] != '\0') {
		fprintf(fp, " advertise ");
		dump_str(fp, ls->advertise);
	}
	if (ls->rel_port != 0)
		fprintf(fp, " relative-port %u", ls->rel_port);
	putc('\n', fp);
}

void
conf_dump(const struct tgt_conf *conf, FILE *fp)
{
	const struct conf_listen	*ls;
	const struct conf_pgroup	*pg;
	const struct conf_target	*t;
	const struct conf_lun		*l;
	const char			*colon;

	fprintf(fp, "user ");
	dump_str(fp, conf->user);
	fprintf(fp, "\nchroot ");
	dump_str(fp, conf->chroot);
	fprintf(fp, "\ncontrol socket ");
	dump_str(fp, conf->control);
	fprintf(fp, "\ndrain timeout %d\n", conf->drain_timeout);
	fprintf(fp, "nop interval %d\nnop timeout %d\n", conf->nop_interval,
	    conf->nop_timeout);
	if (conf->tpgt != CONF_DEF_TPGT)
		fprintf(fp, "portal-group-tag %u\n", conf->tpgt);
	if (has_tapes(conf)) {
		fprintf(fp, "media directory ");
		dump_str(fp, conf->media_dir);
		fprintf(fp, "\n");
	}
	TAILQ_FOREACH(ls, &conf->listens, entry)
		if (ls->pgroup == -1)
			dump_listen(ls, "", fp);
	TAILQ_FOREACH(pg, &conf->pgroups, entry) {
		fprintf(fp, "port-group %u {\n\tstate %s\n", pg->id,
		    alua_state_name(pg->state));
		if (pg->pref)
			fprintf(fp, "\tpreferred yes\n");
		TAILQ_FOREACH(ls, &conf->listens, entry)
			if (ls->pgroup == pg->id)
				dump_listen(ls, "\t", fp);
		fprintf(fp, "}\n");
	}
	if (!TAILQ_EMPTY(&conf->pgroups)) {
		if (conf->alua_explicit)
			fprintf(fp, "alua explicit yes\n");
		if (conf->alua_transition != 0)
			fprintf(fp, "alua transition-time %d\n",
			    conf->alua_transition);
	}
	if (conf->isns_sslen != 0 &&
	    (colon = strrchr(conf->isns_name, ':')) != NULL)
		fprintf(fp, "isns server %.*s port %s\n",
		    (int)(colon - conf->isns_name), conf->isns_name,
		    colon + 1);
	if (!TAILQ_EMPTY(&conf->discovery.chap) ||
	    conf->discovery.mutual != NULL) {
		fprintf(fp, "\ndiscovery {\n");
		conf_access_dump(&conf->discovery, NULL, 0, "", "\t", fp);
		fprintf(fp, "}\n");
	}
	TAILQ_FOREACH(t, &conf->targets, entry) {
		fprintf(fp, "\ntarget ");
		dump_str(fp, t->name);
		fprintf(fp, " {\n");
		if (t->alias[0] != '\0') {
			fprintf(fp, "\talias ");
			dump_str(fp, t->alias);
			fprintf(fp, "\n");
		}
		if (t->flags & TARGET_F_ALLOW_ALL)
			fprintf(fp, "\tallow all\n");
		conf_access_dump(&t->auth, &t->acls, t->access, t->redirect,
		    "\t", fp);
		TAILQ_FOREACH(l, &t->luns, entry) {
			if (l->type == LUN_TYPE_TAPE ||
			    l->type == LUN_TYPE_OPTICAL) {
				conf_dump_tape(l, fp);
				continue;
			}
			if (l->type == LUN_TYPE_CHANGER) {
				conf_dump_changer(l, fp);
				continue;
			}
			if (l->type == LUN_TYPE_PASSTHROUGH) {
				fprintf(fp, "\tlun %llu passthrough ",
				    (unsigned long long)l->lun);
				dump_str(fp, l->path);
				fprintf(fp, " { reservations %s }\n",
				    (l->flags & LUN_F_PT_RESERVE) ? "target" :
				    "device");
				continue;
			}
			fprintf(fp, "\tlun %llu disk ",
			    (unsigned long long)l->lun);
			/* an rbd LUN's path is its "rbd:pool/image" name */
			if (l->path[0] != '\0' &&
			    l->backend != LUN_BACKEND_RBD) {
				dump_str(fp, l->path);
				fprintf(fp, " ");
			}
			fprintf(fp, "{\n\t\tbackend %s\n",
			    conf_backend_name(l->backend));
			if (l->backend == LUN_BACKEND_GLFS)
				conf_dump_glfs(&l->glfs, fp);
			if (l->flags & LUN_F_DIRECT)
				fprintf(fp, "\t\tdirect yes\n");
			if (l->backend == LUN_BACKEND_RBD)
				conf_dump_rbd(&l->rbd, fp);
			if (l->flags & LUN_F_PR_CLUSTER)
				fprintf(fp, "\t\treservations cluster\n");
			fprintf(fp, "\t\tblock-size %u\n", l->block_size);
			if (l->size != 0)
				fprintf(fp, "\t\tsize %llu\n",
				    (unsigned long long)l->size);
			fprintf(fp, "\t\tread-only %s\n",
			    yesno(l->flags & LUN_F_READONLY));
			fprintf(fp, "\t\tthin-provisioning %s\n",
			    yesno(l->flags & LUN_F_THIN));
			fprintf(fp, "\t\tremovable %s\n",
			    yesno(l->flags & LUN_F_REMOVABLE));
			fprintf(fp, "\t\twrite-cache %s\n",
			    yesno(l->flags & LUN_F_WRITE_CACHE));
			fprintf(fp, "\t\tvendor ");
			dump_str(fp, l->vendor);
			fprintf(fp, "; product ");
			dump_str(fp, l->product);
			fprintf(fp, "; revision ");
			dump_str(fp, l->revision);
			fprintf(fp, "\n\t\tserial ");
			dump_str(fp, l->serial);
			fprintf(fp, "\n\t}\n");
		}
		fprintf(fp, "}\n");
	}
}

static int
ishex(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return (0);
	return (s[n] == '\0');
}

/*
 * RFC 7143 section 4.2.7: iqn.yyyy-mm.reversed.domain[:anything],
 * eui. + 16 hex digits, naa. + 16 or 32 hex digits.  Names are compared
 * after stringprep, which folds case: we only accept the folded form.
 */
int
conf_iscsi_name_check(const char *name, const char **why)
{
	const char	*p;
	size_t		 len = strlen(name);

	if (len == 0) {
		*why = "empty";
		return (-1);
	}
	if (len > TGT_NAME_MAX - 1) {
		*why = "longer than 223 bytes";
		return (-1);
	}
	if (strncmp(name, "eui.", 4) == 0) {
		if (!ishex(name + 4, 16)) {
			*why = "eui. must be followed by 16 hex digits";
			return (-1);
		}
		return (0);
	}
	if (strncmp(name, "naa.", 4) == 0) {
		if (!ishex(name + 4, 16) && !ishex(name + 4, 32)) {
			*why = "naa. must be followed by 16 or 32 hex digits";
			return (-1);
		}
		return (0);
	}
	if (strncmp(name, "iqn.", 4) != 0) {
		*why = "must start with iqn., eui. or naa.";
		return (-1);
	}
	p = name + 4;
	if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) ||
	    !isdigit((unsigned char)p[2]) || !isdigit((unsigned char)p[3]) ||
	    p[4] != '-' || !isdigit((unsigned char)p[5]) ||
	    !isdigit((unsigned char)p[6]) || p[7] != '.' || p[8] == '\0') {
		*why = "iqn. must be followed by a date yyyy-mm. and a "
		    "domain name";
		return (-1);
	}
	for (p = name; *p != '\0'; p++) {
		if (islower((unsigned char)*p) || isdigit((unsigned char)*p) ||
		    *p == '-' || *p == '.' || *p == ':')
			continue;
		if (isupper((unsigned char)*p))
			*why = "upper case letters are not allowed";
		else
			*why = "only a-z, 0-9, '-', '.' and ':' are allowed";
		return (-1);
	}
	return (0);
}

/* FNV-1a 64 over the target name, a NUL and the LUN number. */
static uint64_t
name_hash(uint64_t seed, const char *target, uint64_t lun)
{
	uint64_t	 h = 0xcbf29ce484222325ULL ^ seed;
	const char	*p;
	int		 i;

	for (p = target; *p != '\0'; p++) {
		h ^= (uint8_t)*p;
		h *= 0x100000001b3ULL;
	}
	h *= 0x100000001b3ULL;
	for (i = 0; i < 8; i++) {
		h ^= (uint8_t)(lun >> (i * 8));
		h *= 0x100000001b3ULL;
	}
	/* final mix so that close inputs differ in every bit */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (h);
}

void
conf_lun_serial(const char *target, uint64_t lun, char *buf, size_t len)
{
	snprintf(buf, len, "%016llx",
	    (unsigned long long)name_hash(0, target, lun));
}

/*
 * NAA 6 (IEEE registered extended): 4 bits NAA, 24 bits company id,
 * 36 bits vendor specific id, 64 bits extension.
 */
void
conf_lun_naa(const char *target, uint64_t lun, uint8_t naa[16])
{
	uint64_t	 vs, ext;
	uint32_t	 oui = CONF_NAA_OUI;
	int		 i;

	vs = name_hash(0x6e6161, target, lun) & 0xfffffffffULL;
	ext = name_hash(0x657874, target, lun);
	naa[0] = 0x60 | ((oui >> 20) & 0x0f);
	naa[1] = (oui >> 12) & 0xff;
	naa[2] = (oui >> 4) & 0xff;
	naa[3] = ((oui & 0x0f) << 4) | ((vs >> 32) & 0x0f);
	naa[4] = (vs >> 24) & 0xff;
	naa[5] = (vs >> 16) & 0xff;
	naa[6] = (vs >> 8) & 0xff;
	naa[7] = vs & 0xff;
	for (i = 0; i < 8; i++)
		naa[8 + i] = (ext >> (56 - 8 * i)) & 0xff;
}

/* Same elements, drives and placed cartridges (lines aside). */
static int
conf_changer_equal(const struct conf_changer *a,
    const struct conf_changer *b)
{
	uint32_t	i;

	if (a->nslots != b->nslots || a->nmail != b->nmail ||
	    a->ndrives != b->ndrives || a->nplaced != b->nplaced)
		return (0);
	for (i = 0; i < a->ndrives; i++)
		if (a->drive[i].lun != b->drive[i].lun ||
		    strcmp(a->drive[i].target, b->drive[i].target) != 0)
			return (0);
	for (i = 0; i < a->nplaced; i++)
		if (a->placed[i].kind != b->placed[i].kind ||
		    a->placed[i].index != b->placed[i].index ||
		    strcmp(a->placed[i].barcode, b->placed[i].barcode) != 0)
			return (0);
	return (1);
}

int
conf_lun_equal(const struct conf_lun *a, const struct conf_lun *b)
{
	return (a->lun == b->lun && a->type == b->type &&
	    a->backend == b->backend && a->flags == b->flags &&
	    a->block_size == b->block_size && a->size == b->size &&
	    strcmp(a->path, b->path) == 0 &&
	    strcmp(a->cartridge, b->cartridge) == 0 &&
	    conf_changer_equal(&a->changer, &b->changer) &&
	    strcmp(a->rbd.pool, b->rbd.pool) == 0 &&
	    strcmp(a->rbd.ns, b->rbd.ns) == 0 &&
	    strcmp(a->rbd.image, b->rbd.image) == 0 &&
	    strcmp(a->rbd.user, b->rbd.user) == 0 &&
	    strcmp(a->rbd.conf, b->rbd.conf) == 0 &&
	    a->rbd.timeout == b->rbd.timeout &&
	    memcmp(&a->glfs, &b->glfs, sizeof(a->glfs)) == 0 &&
	    strcmp(a->vendor, b->vendor) == 0 &&
	    strcmp(a->product, b->product) == 0 &&
	    strcmp(a->revision, b->revision) == 0 &&
	    strcmp(a->serial, b->serial) == 0);
}

int
conf_listen_equal(const struct conf_listen *a, const struct conf_listen *b)
{
	return (strcmp(a->name, b->name) == 0 && a->iser == b->iser);
}

void
conf_auth_init(struct conf_auth *a)
{
	TAILQ_INIT(&a->chap);
	a->mutual = NULL;
}

void
conf_auth_free(struct conf_auth *a)
{
	struct conf_chap	*c;

	/* a calloc'ed, never initialized list is empty too */
	while ((c = TAILQ_FIRST(&a->chap)) != NULL) {
		TAILQ_REMOVE(&a->chap, c, entry);
		explicit_bzero(c, sizeof(*c));
		free(c);
	}
	if (a->mutual != NULL) {
		explicit_bzero(a->mutual, sizeof(*a->mutual));
		free(a->mutual);
		a->mutual = NULL;
	}
}

void
conf_acls_free(struct conf_acls *l)
{
	struct conf_acl	*a;

	while ((a = TAILQ_FIRST(l)) != NULL) {
		TAILQ_REMOVE(l, a, entry);
		free(a);
	}
}

int
conf_acl_address(const char *s, struct msg_acl *r)
{
	char		 host[INET6_ADDRSTRLEN + 1], *slash, *ep;
	unsigned long	 bits;
	int		 max, i;

	if (strlcpy(host, s, sizeof(host)) >= sizeof(host))
		return (-1);
	if ((slash = strchr(host, '/')) != NULL)
		*slash++ = '\0';
	memset(r->addr, 0, sizeof(r->addr));
	if (inet_pton(AF_INET, host, r->addr) == 1) {
		r->family = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, host, r->addr) == 1) {
		r->family = 6;
		max = 128;
	} else
		return (-1);
	bits = max;
	if (slash != NULL) {
		if (!isdigit((unsigned char)*slash))
			return (-1);
		bits = strtoul(slash, &ep, 10);
		if (*ep != '\0' || bits > (unsigned long)max)
			return (-1);
	}
	r->type = ACL_ADDRESS;
	r->prefix = bits;
	/* host bits must be zero: 10.1.0.0/8 is a mistake */
	for (i = bits; i < max; i++)
		if (r->addr[i / 8] & (0x80 >> (i % 8)))
			return (-1);
	return (0);
}

/*
 * conf_dump() of the access settings.  The secrets are printed: the
 * output must parse again, and it is as secret as the file itself.
 */
void
conf_access_dump(const struct conf_auth *a, const struct conf_acls *acls,
    uint32_t access, const char *redirect, const char *indent, FILE *fp)
{
	const struct conf_chap	*c;
	const struct conf_acl	*r;
	const char		*port;
	char			 host[INET6_ADDRSTRLEN];

	TAILQ_FOREACH(c, &a->chap, entry) {
		fprintf(fp, "%sauth chap user ", indent);
		dump_str(fp, c->user);
		fprintf(fp, " secret ");
		dump_str(fp, c->secret);
		fprintf(fp, "\n");
	}
	if (a->mutual != NULL) {
		fprintf(fp, "%sauth mutual user ", indent);
		dump_str(fp, a->mutual->user);
		fprintf(fp, " secret ");
		dump_str(fp, a->mutual->secret);
		fprintf(fp, "\n");
	}
	if (acls != NULL)
		TAILQ_FOREACH(r, acls, entry) {
			if (r->rule.type == ACL_INITIATOR) {
				fprintf(fp, "%sallow initiator ", indent);
				dump_str(fp, r->rule.pattern);
				fprintf(fp, "\n");
				continue;
			}
			inet_ntop(r->rule.family == 4 ? AF_INET : AF_INET6,
			    r->rule.addr, host, sizeof(host));
			fprintf(fp, "%sallow address %s/%u\n", indent, host,
			    r->rule.prefix);
		}
	if ((access & ACCESS_F_REDIRECT) &&
	    (port = strrchr(redirect, ':')) != NULL)
		fprintf(fp, "%sredirect to %.*s port %s %s\n", indent,
		    (int)(port - redirect), redirect, port + 1,
		    (access & ACCESS_F_PERMANENT) ? "permanent" : "temporary");
}
