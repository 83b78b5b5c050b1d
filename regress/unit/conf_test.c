/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * tgt.conf parser tests.  Good files in regress/conf/good/ must parse, be
 * what the checks below say, and survive conf_dump() and a re-parse
 * unchanged.  Each bad file in regress/conf/bad/ lists the errors it must
 * produce as "# expect: file:line: text" comments: every expected text must
 * appear on stderr and no other error may be printed.
 *
 * Run from the top of the tree (make test does), or set TGT_CONF_DIR.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../tgt-master/conf.h"
#include "unit.h"

static const char	*confdir = "regress/conf";
static char		 errout[16384];

/* Parse with stderr captured into errout. */
static struct tgt_conf *
parse_capture(const char *path)
{
	struct tgt_conf	*conf;
	FILE		*tmp;
	size_t		 n;
	int		 saved;

	fflush(stderr);
	if ((tmp = tmpfile()) == NULL || (saved = dup(2)) == -1) {
		perror("tmpfile");
		exit(2);
	}
	dup2(fileno(tmp), 2);
	conf = parse_config(path, CONF_OPT_NOACTION);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(errout, 1, sizeof(errout) - 1, tmp);
	errout[n] = '\0';
	fclose(tmp);
	return (conf);
}

static struct tgt_conf *
parse_good(const char *name)
{
	char		 path[1024];
	struct tgt_conf	*conf;

	snprintf(path, sizeof(path), "%s/good/%s", confdir, name);
	conf = parse_capture(path);
	if (conf == NULL || errout[0] != '\0')
		printf("  %s: unexpected errors:\n%s", path, errout);
	return (conf);
}

static struct conf_target *
target(struct tgt_conf *conf, const char *name)
{
	struct conf_target	*t;

	TAILQ_FOREACH(t, &conf->targets, entry)
		if (strcmp(t->name, name) == 0)
			return (t);
	return (NULL);
}

static struct conf_lun *
lun(struct conf_target *t, uint64_t nr)
{
	struct conf_lun	*l;

	if (t == NULL)
		return (NULL);
	TAILQ_FOREACH(l, &t->luns, entry)
		if (l->lun == nr)
			return (l);
	return (NULL);
}

static int
nlisten(struct tgt_conf *conf)
{
	struct conf_listen	*l;
	int			 n = 0;

	TAILQ_FOREACH(l, &conf->listens, entry)
		n++;
	return (n);
}

static struct conf_listen *
listen_nth(struct tgt_conf *conf, int i)
{
	struct conf_listen	*l;

	TAILQ_FOREACH(l, &conf->listens, entry)
		if (i-- == 0)
			return (l);
	return (NULL);
}

static const char *
lname(struct tgt_conf *conf, int i)
{
	struct conf_listen	*l;

	if ((l = listen_nth(conf, i)) == NULL)
		return ("(none)");
	return (l->name);
}

static void
test_basic(void)
{
	struct tgt_conf		*c;
	struct conf_target	*t;
	struct conf_lun		*l;
	struct sockaddr_in	*sin;
	char			 serial[33];

	REQUIRE((c = parse_good("basic.conf")) != NULL);
	CHECK(strcmp(c->user, "_tgt") == 0);
	CHECK(strcmp(c->chroot, "/var/empty") == 0);
	CHECK(strcmp(c->control, "/run/tgt.sock") == 0);
	CHECK(c->drain_timeout == 30);
	CHECK(nlisten(c) == 1);
	sin = (struct sockaddr_in *)&listen_nth(c, 0)->ss;
	CHECK(sin->sin_family == AF_INET);
	CHECK(ntohs(sin->sin_port) == 3260);
	CHECK(ntohl(sin->sin_addr.s_addr) == 0x7f000001);
	CHECK(strcmp(lname(c, 0), "127.0.0.1:3260") == 0);
	CHECK(listen_nth(c, 0)->lineno == 5);

	t = target(c, "iqn.2026-11.org.example:disk");
	REQUIRE(t != NULL);
	CHECK(t->lineno == 6);
	CHECK(strcmp(t->alias, "some alias") == 0);
	CHECK(t->flags == TARGET_F_ALLOW_ALL);

	REQUIRE((l = lun(t, 1)) != NULL);
	CHECK(strcmp(l->path, "/var/lib/tgt/disk1.img") == 0);
	CHECK(l->backend == LUN_BACKEND_RDWR);
	CHECK(l->block_size == 512);
	CHECK(l->flags == LUN_F_WRITE_CACHE);
	CHECK(l->size == 0);
	CHECK(strcmp(l->vendor, "TGT") == 0);
	CHECK(strcmp(l->product, "DISK") == 0);
	CHECK(strcmp(l->revision, "0001") == 0);
	conf_lun_serial(t->name, 1, serial, sizeof(serial));
	CHECK(strcmp(l->serial, serial) == 0);
	CHECK(strlen(l->serial) == 16);
	CHECK(l->lineno == 9);

	REQUIRE((l = lun(t, 2)) != NULL);
	CHECK(l->backend == LUN_BACKEND_AIO);
	CHECK(l->flags == (LUN_F_THIN | LUN_F_WRITE_CACHE));
	CHECK(l->block_size == 512);
	CHECK(strcmp(l->serial, serial) != 0);

	REQUIRE((l = lun(t, 3)) != NULL);
	CHECK(l->backend == LUN_BACKEND_RDWR);
	CHECK(l->size == 1ULL << 30);
	CHECK(strcmp(l->serial, "abc") == 0);
	CHECK(l->flags == LUN_F_WRITE_CACHE);
	CHECK(l->lineno == 11);
	conf_free(c);
}

/* backend io_uring and null, direct, a LUN without a path. */
static void
test_backends(void)
{
	struct tgt_conf		*c;
	struct conf_target	*t;
	struct conf_lun		*l;

	REQUIRE((c = parse_good("backends.conf")) != NULL);
	t = target(c, "iqn.2026-11.org.example:backends");
	REQUIRE(t != NULL);
	REQUIRE((l = lun(t, 0)) != NULL);
	CHECK(l->backend == LUN_BACKEND_IO_URING);
	CHECK(l->flags == (LUN_F_DIRECT | LUN_F_WRITE_CACHE));
	CHECK(l->block_size == 4096);
	REQUIRE((l = lun(t, 1)) != NULL);
	CHECK(l->backend == LUN_BACKEND_NULL);
	CHECK(l->path[0] == '\0');
	CHECK(l->size == 1ULL << 30);
	REQUIRE((l = lun(t, 2)) != NULL);
	CHECK(l->backend == LUN_BACKEND_NULL);
	CHECK(l->size == 16ULL << 20);
	CHECK(l->flags == (LUN_F_THIN | LUN_F_WRITE_CACHE));
	REQUIRE((l = lun(t, 3)) != NULL);
	CHECK(l->backend == LUN_BACKEND_AIO);
	CHECK(l->flags == LUN_F_WRITE_CACHE);
	conf_free(c);
}

static void
test_defaults(void)
{
	struct tgt_conf		*c;
	struct conf_target	*t;
	struct conf_lun		*l;
	struct sockaddr_in	*sin;

	REQUIRE((c = parse_good("defaults.conf")) != NULL);
	CHECK(strcmp(c->user, CONF_DEF_USER) == 0);
	CHECK(strcmp(c->chroot, CONF_DEF_CHROOT) == 0);
	CHECK(strcmp(c->control, CONF_DEF_CONTROL) == 0);
	CHECK(c->drain_timeout == CONF_DEF_DRAIN);
	/* no listen: 0.0.0.0:3260 only, no IPv6 */
	CHECK(nlisten(c) == 1);
	sin = (struct sockaddr_in *)&listen_nth(c, 0)->ss;
	CHECK(sin->sin_family == AF_INET);
	CHECK(sin->sin_addr.s_addr == htonl(INADDR_ANY));
	CHECK(ntohs(sin->sin_port) == CONF_DEF_PORT);
	t = target(c, "iqn.2026-11.org.example:min");
	REQUIRE(t != NULL);
	CHECK(t->flags == 0);
	CHECK(t->alias[0] == '\0');
	REQUIRE((l = lun(t, 0)) != NULL);
	CHECK(strcmp(l->path, "/var/lib/tgt/zero.img") == 0);
	/* the write cache is reported unless "write-cache no" */
	CHECK(l->flags == LUN_F_WRITE_CACHE);
	CHECK(l->backend == LUN_BACKEND_RDWR && l->block_size == 512);
	conf_free(c);
}

static void
test_macros(void)
{
	struct tgt_conf		*c;
	struct conf_target	*t;
	struct conf_lun		*l;

	REQUIRE((c = parse_good("macros.conf")) != NULL);
	CHECK(nlisten(c) == 1);
	CHECK(strcmp(lname(c, 0), "127.0.0.2:3262") == 0);
	/* no expansion inside quotes */
	t = target(c, "iqn.2026-11.org.example:quoted");
	REQUIRE(t != NULL);
	CHECK(strcmp(t->alias, "$iqn is not expanded in quotes") == 0);
	t = target(c, "iqn.2026-11.org.example:macro");
	REQUIRE(t != NULL);
	REQUIRE((l = lun(t, 7)) != NULL);
	CHECK(strcmp(l->path, "/srv/tgt/disk7.img") == 0);
	CHECK(l->block_size == 4096);
	CHECK(strcmp(l->vendor, "ACME") == 0);
	CHECK(l->size == 8ULL << 20);
	REQUIRE((l = lun(t, 8)) != NULL);
	CHECK(strcmp(l->path, "/srv/tgt/ACME4096.img") == 0);
	conf_free(c);
}

static void
test_include(void)
{
	struct tgt_conf		*c;
	struct conf_target	*t;
	struct conf_lun		*l;

	REQUIRE((c = parse_good("include.conf")) != NULL);
	CHECK(nlisten(c) == 2);
	CHECK(strcmp(lname(c, 0), "127.0.0.3:3263") == 0);
	CHECK(strcmp(lname(c, 1), "127.0.0.4:3260") == 0);
	CHECK(listen_nth(c, 1)->lineno == 2);
	CHECK(strcmp(c->chroot, "/var/empty/inc") == 0);
	CHECK(strcmp(c->user, "_tgtinc") == 0);
	t = target(c, "iqn.2026-11.org.example:main");
	REQUIRE(t != NULL);
	CHECK(t->lineno == 4);
	t = target(c, "iqn.2026-11.org.example:inc-target");
	REQUIRE(t != NULL);
	CHECK(t->lineno == 3);
	REQUIRE((l = lun(t, 2)) != NULL);
	CHECK(l->flags == (LUN_F_READONLY | LUN_F_WRITE_CACHE));
	conf_free(c);
}

/* listen ... iser: a TCP and an iSER listener may share address and port. */
static void
test_iser(void)
{
	struct tgt_conf		*c;

	REQUIRE((c = parse_good("iser.conf")) != NULL);
	REQUIRE(nlisten(c) == 3);
	CHECK(strcmp(lname(c, 0), "192.0.2.1:3260") == 0);
	CHECK(listen_nth(c, 0)->iser == 0);
	CHECK(strcmp(lname(c, 1), "192.0.2.1:3260") == 0);
	CHECK(listen_nth(c, 1)->iser == 1);
	CHECK(!conf_listen_equal(listen_nth(c, 0), listen_nth(c, 1)));
	CHECK(strcmp(lname(c, 2), "[2001:db8::1]:3260") == 0);
	CHECK(listen_nth(c, 2)->iser == 1);
	CHECK(strcmp(listen_nth(c, 2)->advertise, "[2001:db8::1]:3260") == 0);
	conf_free(c);
}

/* A second gateway: its portal group tag and relative target ports. */
static void
test_gateway(void)
{
	struct tgt_conf		*c;

	REQUIRE((c = parse_good("gateway.conf")) != NULL);
	CHECK(c->tpgt == 2);
	REQUIRE(nlisten(c) == 2);
	CHECK(listen_nth(c, 0)->rel_port == 3);
	CHECK(listen_nth(c, 1)->rel_port == 4);
	CHECK(listen_nth(c, 1)->pgroup == 2);
	REQUIRE(TAILQ_FIRST(&c->targets) != NULL);
	REQUIRE(lun(TAILQ_FIRST(&c->targets), 0) != NULL);
	CHECK(lun(TAILQ_FIRST(&c->targets), 0)->flags & LUN_F_PR_CLUSTER);
	conf_free(c);
	REQUIRE((c = parse_good("iser.conf")) != NULL);
	CHECK(c->tpgt == CONF_DEF_TPGT);
	CHECK(listen_nth(c, 0)->rel_port == 0);
	conf_free(c);
}

static void
test_ipv6(void)
{
	struct tgt_conf		*c;
	struct sockaddr_in6	*sin6;
	struct conf_target	*t;

	REQUIRE((c = parse_good("ipv6.conf")) != NULL);
	REQUIRE(nlisten(c) == 7);
	sin6 = (struct sockaddr_in6 *)&listen_nth(c, 0)->ss;
	CHECK(sin6->sin6_family == AF_INET6);
	CHECK(IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr));
	CHECK(ntohs(sin6->sin6_port) == 3261);
	CHECK(listen_nth(c, 0)->sslen == sizeof(*sin6));
	CHECK(strcmp(lname(c, 0), "[::1]:3261") == 0);
	CHECK(strcmp(lname(c, 1), "[::1]:3260") == 0);
	CHECK(strcmp(lname(c, 2), "0.0.0.0:3260") == 0);
	CHECK(strcmp(lname(c, 3), "[fe80::1:2]:4000") == 0);
	CHECK(listen_nth(c, 3)->advertise[0] == '\0');
	/* advertise: the listener's port unless one is given */
	CHECK(strcmp(listen_nth(c, 4)->advertise, "10.0.2.2:3262") == 0);
	CHECK(strcmp(listen_nth(c, 5)->advertise, "[2001:db8::1]:3260") == 0);
	CHECK(strcmp(listen_nth(c, 6)->advertise,
	    "iscsi.example.org:13260") == 0);
	CHECK(strcmp(c->control, "/tmp/tgt-test.sock") == 0);
	t = target(c, "naa.60014055f7a3a1e1");
	REQUIRE(t != NULL);
	CHECK(TAILQ_EMPTY(&t->luns));
	t = target(c, "eui.02004567A425678D");
	REQUIRE(t != NULL);
	CHECK(lun(t, 16383) != NULL);
	conf_free(c);
}

static void
test_separators(void)
{
	struct tgt_conf		*c;
	struct conf_target	*t;
	struct conf_lun		*l;

	REQUIRE((c = parse_good("separators.conf")) != NULL);
	t = target(c, "iqn.2026-11.org.example:sep");
	REQUIRE(t != NULL);
	CHECK(strcmp(t->alias, "a") == 0);
	CHECK(t->flags == TARGET_F_ALLOW_ALL);
	CHECK(lun(t, 1) != NULL);
	t = target(c, "iqn.2026-11.org.example:sep2");
	REQUIRE(t != NULL);
	CHECK(strcmp(t->alias, "line continued") == 0);
	CHECK(t->flags == TARGET_F_ALLOW_ALL);
	REQUIRE((l = lun(t, 1)) != NULL);
	CHECK(l->backend == LUN_BACKEND_AIO);
	CHECK(l->flags == (LUN_F_READONLY | LUN_F_REMOVABLE | LUN_F_THIN |
	    LUN_F_WRITE_CACHE));
	CHECK(lun(t, 2) != NULL);
	CHECK(lun(t, 3) != NULL);
	REQUIRE((l = lun(t, 4)) != NULL);
	CHECK(l->size == 2048);
	CHECK(l->block_size == 1024);
	CHECK(strcmp(l->revision, "R2") == 0);
	CHECK(strcmp(l->product, "P") == 0);
	CHECK(l->lineno == 16);
	REQUIRE((l = lun(t, 5)) != NULL);
	CHECK(l->flags == 0);
	conf_free(c);
}

/* Every good file: dump, parse the dump, dump again: same text. */
static void
test_dump_roundtrip(void)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[1024], tmpl[] = "/tmp/conf_test.XXXXXX";
	char		*a, *b;
	size_t		 alen, blen;
	struct tgt_conf	*c, *c2;
	FILE		*fa, *fb;
	int		 fd, n = 0;

	snprintf(path, sizeof(path), "%s/good", confdir);
	REQUIRE((d = opendir(path)) != NULL);
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		n++;
		c = parse_good(de->d_name);
		CHECK(c != NULL);
		if (c == NULL)
			continue;
		REQUIRE((fd = mkstemp(tmpl)) != -1);
		REQUIRE((fa = fdopen(fd, "w")) != NULL);
		conf_dump(c, fa);
		fclose(fa);
		c2 = parse_capture(tmpl);
		if (c2 == NULL)
			printf("  dump of %s does not parse:\n%s", de->d_name,
			    errout);
		CHECK(c2 != NULL);
		if (c2 != NULL) {
			fa = open_memstream(&a, &alen);
			fb = open_memstream(&b, &blen);
			conf_dump(c, fa);
			conf_dump(c2, fb);
			fclose(fa);
			fclose(fb);
			if (alen != blen || memcmp(a, b, alen) != 0)
				printf("  dump of %s changed on re-parse\n",
				    de->d_name);
			CHECK(alen == blen && memcmp(a, b, alen) == 0);
			free(a);
			free(b);
		}
		unlink(tmpl);
		strlcpy(tmpl, "/tmp/conf_test.XXXXXX", sizeof(tmpl));
		conf_free(c);
		conf_free(c2);
	}
	closedir(d);
	CHECK(n >= 6);
}

/* One bad file: parse fails, exactly the expected errors are printed. */
static int
check_bad(const char *name)
{
	char		 path[1024], line[1024], *want, *nl;
	struct tgt_conf	*c;
	FILE		*fp;
	int		 nexpect = 0, nerr = 0, ok = 1;
	const char	*p;

	snprintf(path, sizeof(path), "%s/bad/%s", confdir, name);
	c = parse_capture(path);
	if (c != NULL) {
		printf("  %s: parsed without errors\n", path);
		conf_free(c);
		return (0);
	}
	for (p = errout; *p != '\0'; p++)
		if (*p == '\n')
			nerr++;
	if ((fp = fopen(path, "r")) == NULL)
		return (0);
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "# expect: ", 10) != 0)
			continue;
		want = line + 10;
		if ((nl = strchr(want, '\n')) != NULL)
			*nl = '\0';
		nexpect++;
		/* "file:line: text" must follow a '/' or start a line */
		p = errout;
		while ((p = strstr(p, want)) != NULL) {
			if (p == errout || p[-1] == '/' || p[-1] == '\n')
				break;
			p++;
		}
		if (p == NULL) {
			printf("  %s: expected \"%s\"\n", name, want);
			ok = 0;
		}
	}
	fclose(fp);
	if (nexpect == 0) {
		printf("  %s: no # expect: lines\n", name);
		ok = 0;
	}
	if (nerr != nexpect) {
		printf("  %s: %d errors printed, %d expected\n", name, nerr,
		    nexpect);
		ok = 0;
	}
	if (!ok)
		printf("  %s: output was:\n%s", name, errout);
	/* the reload path gets the same text */
	if (strncmp(conf_errors(), errout, strlen(conf_errors())) != 0) {
		printf("  %s: conf_errors() differs from stderr\n", name);
		ok = 0;
	}
	return (ok);
}

static void
test_bad_files(void)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[1024];
	int		 n = 0;

	snprintf(path, sizeof(path), "%s/bad", confdir);
	REQUIRE((d = opendir(path)) != NULL);
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		n++;
		CHECK(check_bad(de->d_name));
	}
	closedir(d);
	CHECK(n >= 14);
}

static void
test_missing_file(void)
{
	CHECK(parse_capture("/nonexistent/tgt.conf") == NULL);
	CHECK(strstr(errout, "/nonexistent/tgt.conf") != NULL);
}

static void
test_iscsi_names(void)
{
	const char	*why;
	char		 name[300];

	CHECK(conf_iscsi_name_check("iqn.2026-11.org.example:disk", &why) == 0);
	CHECK(conf_iscsi_name_check("iqn.2026-11.org.example", &why) == 0);
	CHECK(conf_iscsi_name_check("eui.02004567A425678D", &why) == 0);
	CHECK(conf_iscsi_name_check("naa.52004567BA64678D", &why) == 0);
	CHECK(conf_iscsi_name_check(
	    "naa.62004567BA64678D0123456789ABCDEF", &why) == 0);
	CHECK(conf_iscsi_name_check("", &why) == -1);
	CHECK(conf_iscsi_name_check("iqn.", &why) == -1);
	CHECK(conf_iscsi_name_check("iqn.2026-11.", &why) == -1);
	CHECK(conf_iscsi_name_check("iqn.2026-11.a b", &why) == -1);
	CHECK(conf_iscsi_name_check("eui.02004567A425678", &why) == -1);
	CHECK(conf_iscsi_name_check("naa.0200", &why) == -1);
	CHECK(conf_iscsi_name_check("IQN.2026-11.org.example", &why) == -1);
	memset(name, 'a', sizeof(name));
	memcpy(name, "iqn.2026-11.org.example:", 24);
	name[223] = '\0';
	CHECK(conf_iscsi_name_check(name, &why) == 0);
	name[223] = 'a';
	name[224] = '\0';
	CHECK(conf_iscsi_name_check(name, &why) == -1);
}

static void
test_naa(void)
{
	uint8_t	 a[16], b[16], c[16];

	conf_lun_naa("iqn.2026-11.org.example:disk", 1, a);
	conf_lun_naa("iqn.2026-11.org.example:disk", 1, b);
	conf_lun_naa("iqn.2026-11.org.example:disk", 2, c);
	CHECK(memcmp(a, b, 16) == 0);		/* stable */
	CHECK(memcmp(a, c, 16) != 0);
	CHECK((a[0] >> 4) == 6);		/* NAA IEEE registered ext. */
	/* company id 0x2a5447 spans nibbles 1-6 */
	CHECK((((uint32_t)(a[0] & 0x0f) << 20) | (a[1] << 12) |
	    (a[2] << 4) | (a[3] >> 4)) == CONF_NAA_OUI);
	/* locally administered: X bit set in the first octet of the CID */
	CHECK((CONF_NAA_OUI >> 16) & 0x02);
}

int
main(void)
{
	const char	*dir;

	if ((dir = getenv("TGT_CONF_DIR")) != NULL)
		confdir = dir;
	UNIT_RUN(test_basic);
	UNIT_RUN(test_defaults);
	UNIT_RUN(test_backends);
	UNIT_RUN(test_macros);
	UNIT_RUN(test_include);
	UNIT_RUN(test_ipv6);
	UNIT_RUN(test_iser);
	UNIT_RUN(test_gateway);
	UNIT_RUN(test_separators);
	UNIT_RUN(test_dump_roundtrip);
	UNIT_RUN(test_bad_files);
	UNIT_RUN(test_missing_file);
	UNIT_RUN(test_iscsi_names);
	UNIT_RUN(test_naa);
	return (UNIT_END("conf"));
}
