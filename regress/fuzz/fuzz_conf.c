/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * libFuzzer target: the tgt.conf parser (tgt-master/parse.y).  The input
 * is a configuration file.  One that parses is printed back with
 * conf_dump() (what tgt-master -nv shows), and that text must parse
 * again.
 *
 * parse.c is compiled with -Dfopen=fuzz_conf_fopen (regress/fuzz/fuzz.mk):
 * include "file" may open only regular files in this harness's own
 * directory, never /dev/zero, a FIFO or a terminal that would hang it.
 */

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
FILE	*fuzz_conf_fopen(const char *, const char *);

static char	 dir[PATH_MAX];
static char	 in_path[PATH_MAX], dump_path[PATH_MAX];

static void __attribute__((noreturn))
bad(const char *why)
{
	fprintf(stderr, "fuzz_conf: %s\n", why);
	abort();
}

FILE *
fuzz_conf_fopen(const char *path, const char *mode)
{
	char		 real[PATH_MAX];
	size_t		 n = strlen(dir);
	struct stat	 st;

	if (realpath(path, real) == NULL)
		return (NULL);
	if (strncmp(real, dir, n) != 0 || real[n] != '/' ||
	    stat(real, &st) == -1 || !S_ISREG(st.st_mode)) {
		errno = ENOENT;
		return (NULL);
	}
	return (fopen(real, mode));
}

static void
put(const char *name, const char *text)
{
	char	 path[PATH_MAX];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL)
		bad("cannot write a file");
	fputs(text, fp);
	fclose(fp);
}

static void
cleanup(void)
{
	static const char *const names[] = { "in.conf", "dump.conf",
	    "inc.conf", "loop.conf", "bad.conf", NULL };
	const char *const	*n;
	char			 path[PATH_MAX];

	for (n = names; *n != NULL; n++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *n);
		unlink(path);
	}
	rmdir(dir);
}

static void
init(void)
{
	char	 tmpl[] = "/tmp/tgt-fuzz-conf.XXXXXX";

	if (dir[0] != '\0')
		return;
	if (mkdtemp(tmpl) == NULL || realpath(tmpl, dir) == NULL)
		bad("mkdtemp");
	atexit(cleanup);
	snprintf(in_path, sizeof(in_path), "%s/in.conf", dir);
	snprintf(dump_path, sizeof(dump_path), "%s/dump.conf", dir);
	/* What include "inc.conf" and friends find. */
	put("inc.conf", "disk = \"/var/lib/tgt/a.img\"\n"
	    "target \"iqn.2026-11.org.example:inc\" {\n"
	    "\tlun 1 path $disk\n}\n");
	put("loop.conf", "include \"loop.conf\"\n");
	put("bad.conf", "target {\n");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tgt_conf	*conf, *again;
	FILE		*fp;

	init();
	if ((fp = fopen(in_path, "w")) == NULL)
		bad("cannot write the input");
	if (size > 0 && fwrite(data, 1, size, fp) != size)
		bad("short write");
	fclose(fp);

	if ((conf = parse_config(in_path, CONF_OPT_NOACTION | CONF_OPT_LOG)) ==
	    NULL)
		return (0);
	(void)conf_errors();
	if ((fp = fopen(dump_path, "w")) == NULL)
		bad("cannot write the dump");
	conf_dump(conf, fp);
	fclose(fp);
	conf_free(conf);
	if ((again = parse_config(dump_path, CONF_OPT_NOACTION |
	    CONF_OPT_LOG)) == NULL) {
		if (getenv("TGT_FUZZ_LOG") != NULL) {
			fprintf(stderr, "%s\n", conf_errors());
			if ((fp = fopen(dump_path, "r")) != NULL) {
				int ch;

				while ((ch = fgetc(fp)) != EOF)
					fputc(ch, stderr);
				fclose(fp);
			}
		}
		bad("conf_dump() printed a configuration that does not parse");
	}
	conf_free(again);
	return (0);
}
