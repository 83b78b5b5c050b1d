/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * tgtctl cartridge create | list | import: virtual tape cartridges in
 * the media directory (tgt-cartridge(5)).  Local operations on the
 * files, as root, like tgtctl import: a cartridge is a file the master
 * opens when a drive holds it, named after its barcode.  import converts
 * a tape file of Linux tgt.
 *
 *	tgtctl cartridge create barcode [size size] [type data|worm|cleaning]
 *	    [write-protect] [directory dir]
 *	tgtctl [-j] cartridge list [directory dir]
 *	tgtctl cartridge import file [barcode barcode] [size size]
 *	    [directory dir]
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

#include "bytes.h"
#include "cartridge.h"
#include "tgtctl.h"

#define DEF_SIZE	(1ULL << 30)

/* "800M", "2G", "1T", or bytes; 0 or -1. */
int
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

/*
 * Linux tgt's tape files (tgtimg --device-type tape), read for their
 * facts only: a chain of 48-byte block headers, big-endian (checksum,
 * on-disk size, block size, type, block number, previous, this and next
 * header's offsets), the first a BOT header at 0 followed by its media
 * auxiliary memory, each data block's bytes after its header.
 */
#define TGT_HDR		48
#define TGT_MAM		1104		/* struct MAM */
#define TGT_BLK_DATA	0x02		/* uncompressed data */
#define TGT_BLK_BOT	0x10
#define TGT_BLK_EOD	0x20
#define TGT_BLK_FILEMARK 0x40
#define TGT_MAM_MAXCAP	16		/* offsets in the MAM */
#define TGT_MAM_TYPE	336
#define TGT_MAM_BARCODE	568
#define TGT_CART_CLEAN	2
#define TGT_CART_WORM	4

static int
cart_import_cmd(int argc, char *argv[])
{
	struct cart	 c;
	struct stat	 sst;
	const char	*dir = CART_DEF_DIR, *src;
	char		 path[4096], err[256];
	char		 barcode[CART_BARCODE_MAX + 1];
	uint8_t		 h[TGT_HDR], mam[TGT_MAM], *data = NULL;
	uint64_t	 size = 0, off, next, curr, nblk = 0, nfm = 0, steps;
	uint32_t	 type, len;
	int		 sfd, fd, i, ctype = CART_DATA, rc = 1;
	size_t		 n;

	if (argc < 1)
		return (-1);
	src = argv[0];
	barcode[0] = '\0';
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "barcode") == 0 && i + 1 < argc)
			strlcpy(barcode, argv[++i], sizeof(barcode));
		else if (strcmp(argv[i], "size") == 0 && i + 1 < argc) {
			if (parse_size(argv[++i], &size) == -1) {
				fprintf(stderr, "tgtctl: bad size %s\n",
				    argv[i]);
				return (1);
			}
		} else if (strcmp(argv[i], "directory") == 0 && i + 1 < argc)
			dir = argv[++i];
		else
			return (-1);
	}
	if ((sfd = open(src, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(sfd, &sst) == -1) {
		fprintf(stderr, "tgtctl: %s: %s\n", src, strerror(errno));
		return (1);
	}
	if (pread(sfd, h, TGT_HDR, 0) != TGT_HDR ||
	    get_be32(&h[12]) != TGT_BLK_BOT ||
	    pread(sfd, mam, TGT_MAM, TGT_HDR) != TGT_MAM) {
		fprintf(stderr, "tgtctl: %s: not a Linux tgt tape file\n", src);
		close(sfd);
		return (1);
	}
	if (barcode[0] == '\0') {
		memcpy(barcode, &mam[TGT_MAM_BARCODE], CART_BARCODE_MAX);
		barcode[CART_BARCODE_MAX] = '\0';
		for (n = 0; n < CART_BARCODE_MAX && barcode[n] != '\0' &&
		    barcode[n] != ' '; n++)
			;
		barcode[n] = '\0';
	}
	if (cart_barcode_ok(barcode) == -1) {
		fprintf(stderr, "tgtctl: %s: invalid barcode \"%s\", give "
		    "one with barcode\n", src, barcode);
		close(sfd);
		return (1);
	}
	if (size == 0)
		size = get_be64(&mam[TGT_MAM_MAXCAP]);
	if (size < (uint64_t)sst.st_size)
		size = sst.st_size;
	if (size < CART_MIN_CAPACITY)
		size = CART_MIN_CAPACITY;
	if (mam[TGT_MAM_TYPE] == TGT_CART_CLEAN)
		ctype = CART_CLEANING;
	else if (mam[TGT_MAM_TYPE] == TGT_CART_WORM)
		ctype = CART_WORM;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, barcode) >=
	    sizeof(path) || (fd = open(path, O_RDWR | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1) {
		fprintf(stderr, "tgtctl: %s/%s: %s\n", dir, barcode,
		    strerror(errno));
		close(sfd);
		return (1);
	}
	/* written as a data cartridge, then given its type */
	if (cart_create(fd, barcode, size, CART_DATA, err, sizeof(err)) ==
	    -1 || cart_open(&c, fd, err, sizeof(err)) == -1)
		goto fail;
	if ((data = malloc(CART_MAX_BLOCK)) == NULL) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail_open;
	}
	/* follow the chain; each header lies further on, or it loops */
	next = get_be64(&h[40]);
	for (steps = 0, off = 0; steps <= (uint64_t)sst.st_size; steps++) {
		if (next <= off || next > (uint64_t)sst.st_size - TGT_HDR) {
			snprintf(err, sizeof(err), "%s: broken block chain at "
			    "%llu", src, (unsigned long long)off);
			goto fail_open;
		}
		off = next;
		if (pread(sfd, h, TGT_HDR, off) != TGT_HDR) {
			snprintf(err, sizeof(err), "%s: short read", src);
			goto fail_open;
		}
		type = get_be32(&h[12]);
		len = get_be32(&h[8]);
		curr = get_be64(&h[32]);
		next = get_be64(&h[40]);
		if (curr != off) {
			snprintf(err, sizeof(err), "%s: block header at %llu "
			    "says %llu", src, (unsigned long long)off,
			    (unsigned long long)curr);
			goto fail_open;
		}
		if (type == TGT_BLK_EOD)
			break;
		if (type == TGT_BLK_FILEMARK) {
			if (cart_write(&c, CART_REC_FILEMARK, NULL, 0) == -1)
				goto fail_write;
			nfm++;
			continue;
		}
		if (type != TGT_BLK_DATA || len > CART_MAX_BLOCK ||
		    get_be32(&h[4]) != len) {
			snprintf(err, sizeof(err), "%s: block at %llu: type "
			    "%#x, %u bytes: not supported", src,
			    (unsigned long long)off, type, len);
			goto fail_open;
		}
		if (pread(sfd, data, len, off + TGT_HDR) != (ssize_t)len) {
			snprintf(err, sizeof(err), "%s: short read", src);
			goto fail_open;
		}
		if (cart_write(&c, CART_REC_DATA, data, len) == -1)
			goto fail_write;
		nblk++;
	}
	c.info.type = ctype;
	if (cart_save_info(&c) == -1 || cart_sync(&c) == -1)
		goto fail_write;
	printf("%s: %llu blocks, %llu filemarks\n", path,
	    (unsigned long long)nblk, (unsigned long long)nfm);
	rc = 0;
	goto out;
 fail_write:
	snprintf(err, sizeof(err), "writing: %s", strerror(errno));
 fail_open:
	cart_close(&c);
 fail:
	fprintf(stderr, "tgtctl: %s: %s\n", path, err);
	unlink(path);
	close(fd);
	close(sfd);
	free(data);
	return (1);
 out:
	cart_close(&c);
	close(fd);
	close(sfd);
	free(data);
	return (rc);
}

/* tgtctl cartridge ...: 0 or 1, -1 for usage. */
int
cartridge_cmd(int argc, char *argv[], int json)
{
	if (argc >= 1 && strcmp(argv[0], "create") == 0)
		return (cart_create_cmd(argc - 1, argv + 1));
	if (argc >= 1 && strcmp(argv[0], "import") == 0)
		return (cart_import_cmd(argc - 1, argv + 1));
	if (argc >= 1 && strcmp(argv[0], "list") == 0)
		return (cart_list_cmd(argc - 1, argv + 1, json));
	return (-1);
}
