/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * tgtctl disc create: a blank writable disc (DVD+R, DVD+RW) in the media
 * directory, in the format of tgt-disc(5), for an optical drive to
 * hold.  Like tgtctl cartridge, this works on the files, as root, and
 * needs no running daemon.
 *
 *	tgtctl disc create name [type dvd+r|dvd+rw] [size size]
 *	    [directory dir]
 */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cartridge.h"
#include "disc.h"
#include "tgtctl.h"

/* a single-layer DVD+R or DVD+RW: 2295104 blocks of 2048 bytes */
#define DEF_BLOCKS	2295104u

static int
disc_create_cmd(int argc, char *argv[])
{
	const char	*dir = CART_DEF_DIR, *name;
	char		 path[4096], err[256];
	uint64_t	 size = (uint64_t)DEF_BLOCKS * DISC_BLOCK;
	uint16_t	 profile = DISC_DVD_PLUS_R;
	int		 fd, i;

	if (argc < 1)
		return (-1);
	name = argv[0];
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "size") == 0 && i + 1 < argc) {
			if (parse_size(argv[++i], &size) == -1) {
				fprintf(stderr, "tgtctl: bad size %s\n",
				    argv[i]);
				return (1);
			}
		} else if (strcmp(argv[i], "type") == 0 && i + 1 < argc) {
			if ((profile = disc_profile(argv[++i])) == 0) {
				fprintf(stderr, "tgtctl: type dvd+r or "
				    "dvd+rw\n");
				return (1);
			}
		} else if (strcmp(argv[i], "directory") == 0 && i + 1 < argc)
			dir = argv[++i];
		else
			return (-1);
	}
	if (cart_barcode_ok(name) == -1) {
		fprintf(stderr, "tgtctl: invalid disc name \"%s\" (1-%d of "
		    "A-Z a-z 0-9 . _ -)\n", name, CART_BARCODE_MAX);
		return (1);
	}
	if (size % DISC_BLOCK != 0 || size / DISC_BLOCK < DISC_MIN_BLOCKS ||
	    size / DISC_BLOCK > DISC_MAX_BLOCKS) {
		fprintf(stderr, "tgtctl: size: a multiple of 2048 bytes, "
		    "%u KiB to %u GiB\n", DISC_MIN_BLOCKS * 2,
		    DISC_MAX_BLOCKS >> 19);
		return (1);
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path)) {
		fprintf(stderr, "tgtctl: path too long\n");
		return (1);
	}
	if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		fprintf(stderr, "tgtctl: %s: %s\n", path, strerror(errno));
		return (1);
	}
	if (disc_create(fd, profile, size / DISC_BLOCK, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "tgtctl: %s: %s\n", path, err);
		close(fd);
		unlink(path);
		return (1);
	}
	close(fd);
	printf("%s\n", path);
	return (0);
}

/* tgtctl disc ...: 0 or 1, -1 for usage. */
int
disc_cmd(int argc, char *argv[])
{
	if (argc >= 1 && strcmp(argv[0], "create") == 0)
		return (disc_create_cmd(argc - 1, argv + 1));
	return (-1);
}
