/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * tgtctl cartridge create | list: virtual tape cartridges in the media
 * directory (tgt-cartridge(5)).  Local operations on the files, as root,
 * like import: a cartridge is a file the master opens when a drive
 * holds it, named after its barcode.
 *
 *	tgtctl cartridge create barcode [size size] [type data|worm|cleaning]
 *	    [write-protect] [directory dir]
 *	tgtctl [-j] cartridge list [directory dir]
 */

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cartridge.h"
#include "tgtctl.h"

#define DEF_SIZE	(1ULL << 30)

/* "800M", "2G", "1T", or bytes; 0 or -1. */
static int
parse_size(const char *s, uint64_t *out)
{
	char			*end;
	unsigned long long	 v;
	int			 shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		return (-1);
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	case 't': case 'T':
		shift = 40;
		break;
	default:
		return (-1);
	}
	if (*end != '\0' && end[1] != '\0')
		return (-1);
	if (v > (UINT64_MAX >> shift))
		return (-1);
	*out = (uint64_t)v << shift;
	return (0);
}

static int
cart_create_cmd(int argc, char *argv[])
{
	struct cart	 c;
	const char	*dir = CART_DEF_DIR, *barcode;
	char		 path[4096], err[256];
	uint64_t	 size = DEF_SIZE;
	int		 type = CART_DATA, wp = 0, fd, i;

	if (argc < 1)
		return (-1);
	barcode = argv[0];
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "size") == 0 && i + 1 < argc) {
			if (parse_size(argv[++i], &size) == -1) {
				fprintf(stderr, "tgtctl: bad size %s\n",
				    argv[i]);
				return (1);
			}
		} else if (strcmp(argv[i], "type") == 0 && i + 1 < argc) {
			i++;
			if (strcmp(argv[i], "data") == 0)
				type = CART_DATA;
			else if (strcmp(argv[i], "worm") == 0)
				type = CART_WORM;
			else if (strcmp(argv[i], "cleaning") == 0)
				type = CART_CLEANING;
			else {
				fprintf(stderr, "tgtctl: type data, worm or "
				    "cleaning\n");
				return (1);
			}
		} else if (strcmp(argv[i], "write-protect") == 0)
			wp = 1;
		else if (strcmp(argv[i], "directory") == 0 && i + 1 < argc)
			dir = argv[++i];
		else
			return (-1);
	}
	if (cart_barcode_ok(barcode) == -1) {
		fprintf(stderr, "tgtctl: invalid barcode \"%s\" (1-%d of "
		    "A-Z a-z 0-9 . _ -)\n", barcode, CART_BARCODE_MAX);
		return (1);
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, barcode) >=
	    sizeof(path)) {
		fprintf(stderr, "tgtctl: path too long\n");
		return (1);
	}
	if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		fprintf(stderr, "tgtctl: %s: %s\n", path, strerror(errno));
		return (1);
	}
	if (cart_create(fd, barcode, size, type, err, sizeof(err)) == -1)
		goto fail;
	if (wp) {
		if (cart_open(&c, fd, err, sizeof(err)) == -1)
			goto fail;
		c.info.wp = 1;
		if (cart_save_info(&c) == -1) {
			snprintf(err, sizeof(err), "%s", strerror(errno));
			cart_close(&c);
			goto fail;
		}
		cart_close(&c);
	}
	if (fsync(fd) == -1) {
		snprintf(err, sizeof(err), "fsync: %s", strerror(errno));
		goto fail;
	}
	close(fd);
	printf("%s\n", path);
	return (0);
 fail:
	fprintf(stderr, "tgtctl: %s: %s\n", path, err);
	close(fd);
	unlink(path);
	return (1);
}

static const char *
cart_type_name(int type)
{
	switch (type) {
	case CART_WORM:
		return ("worm");
	case CART_CLEANING:
		return ("cleaning");
	}
	return ("data");
}

static int
name_cmp(const void *a, const void *b)
{
	return (strcmp(*(char * const *)a, *(char * const *)b));
}

/* Every cartridge of the directory: what it is and how full. */
static int
cart_list_cmd(int argc, char *argv[], int json)
{
	struct cart	 c;
	struct dirent	*de;
	DIR		*d;
	const char	*dir = CART_DEF_DIR;
	char		 path[4096], err[256], **names = NULL, **nn;
	size_t		 n = 0, i;
	int		 fd, first = 1;

	if (argc == 2 && strcmp(argv[0], "directory") == 0)
		dir = argv[1];
	else if (argc != 0)
		return (-1);
	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "tgtctl: %s: %s\n", dir, strerror(errno));
		return (1);
	}
	while ((de = readdir(d)) != NULL) {
		if (cart_barcode_ok(de->d_name) == -1)
			continue;
		if ((nn = reallocarray(names, n + 1, sizeof(*names))) ==
		    NULL || (nn[n] = strdup(de->d_name)) == NULL) {
			fprintf(stderr, "tgtctl: out of memory\n");
			exit(1);
		}
		names = nn;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	if (json)
		printf("[");
	else
		printf("%-32s %-8s %-3s %14s %14s %10s %8s %6s\n", "BARCODE",
		    "TYPE", "WP", "CAPACITY", "USED", "OBJECTS", "FILEMARKS",
		    "LOADS");
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) ==
		    -1)
			continue;
		if (cart_open(&c, fd, err, sizeof(err)) == -1) {
			close(fd);
			continue;
		}
		if (json) {
			printf("%s{\"barcode\":", first ? "" : ",");
			json_string(stdout, c.info.barcode);
			printf(",\"file\":");
			json_string(stdout, path);
			printf(",\"type\":\"%s\",\"write_protect\":%s,"
			    "\"capacity\":%" PRIu64 ",\"used\":%" PRIu64
			    ",\"objects\":%" PRIu64 ",\"filemarks\":%zu,"
			    "\"loads\":%" PRIu64 ",\"torn\":%u}",
			    cart_type_name(c.info.type),
			    c.info.wp ? "true" : "false", c.info.capacity,
			    cart_used(&c, c.eod_off), c.eod, c.nfm,
			    c.info.load_count, c.cut);
		} else
			printf("%-32s %-8s %-3s %14" PRIu64 " %14" PRIu64
			    " %10" PRIu64 " %8zu %6" PRIu64 "\n",
			    c.info.barcode, cart_type_name(c.info.type),
			    c.info.wp ? "yes" : "no", c.info.capacity,
			    cart_used(&c, c.eod_off), c.eod, c.nfm,
			    c.info.load_count);
		first = 0;
		cart_close(&c);
		close(fd);
	}
	if (json)
		printf("]\n");
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return (0);
}

/* tgtctl cartridge ...: 0 or 1, -1 for usage. */
int
cartridge_cmd(int argc, char *argv[], int json)
{
	if (argc >= 1 && strcmp(argv[0], "create") == 0)
		return (cart_create_cmd(argc - 1, argv + 1));
	if (argc >= 1 && strcmp(argv[0], "list") == 0)
		return (cart_list_cmd(argc - 1, argv + 1, json));
	return (-1);
}
