/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * CRC32C digests (tgt-portal/digest.c) against the vectors of RFC 3720
 * appendix B.4, piecewise computation, and the wire byte order.
 */

#include <stdint.h>
#include <string.h>

#include "../../tgt-portal/portal.h"
#include "unit.h"

struct portal	*portal;

static void
test_vectors(void)
{
	uint8_t		 b[48];
	int		 i;

	memset(b, 0, 32);
	CHECK(digest_crc32c(b, 32) == 0x8a9136aa);
	memset(b, 0xff, 32);
	CHECK(digest_crc32c(b, 32) == 0x62a8ab43);
	for (i = 0; i < 32; i++)
		b[i] = i;
	CHECK(digest_crc32c(b, 32) == 0x46dd794e);
	for (i = 0; i < 32; i++)
		b[i] = 31 - i;
	CHECK(digest_crc32c(b, 32) == 0x113fdb5c);
	/* An iSCSI read command PDU (B.4) */
	memset(b, 0, sizeof(b));
	b[0] = 0x01; b[1] = 0xc0; b[16] = 0x14; b[22] = 0x04;
	b[27] = 0x14; b[31] = 0x18; b[32] = 0x28; b[40] = 0x02;
	CHECK(digest_crc32c(b, 48) == 0xd9963a56);
	/* Empty: the seed inverted back */
	CHECK(digest_crc32c(b, 0) == 0);
}

static void
test_piecewise(void)
{
	uint8_t		 b[1000];
	uint32_t	 crc;
	int		 i, cut;

	for (i = 0; i < (int)sizeof(b); i++)
		b[i] = i * 7 + 3;
	for (cut = 0; cut <= (int)sizeof(b); cut += 37) {
		crc = digest_update(DIGEST_INIT, b, cut);
		crc = digest_update(crc, b + cut, sizeof(b) - cut);
		CHECK(digest_final(crc) == digest_crc32c(b, sizeof(b)));
	}
}

static void
test_wire(void)
{
	uint8_t	 b[32], w[4];

	memset(b, 0, sizeof(b));
	digest_put(w, digest_crc32c(b, sizeof(b)));
	CHECK(w[0] == 0xaa && w[1] == 0x36 && w[2] == 0x91 && w[3] == 0x8a);
	CHECK(digest_get(w) == 0x8a9136aa);
}

int
main(void)
{
	UNIT_RUN(test_vectors);
	UNIT_RUN(test_piecewise);
	UNIT_RUN(test_wire);
	return (UNIT_END("digest"));
}
