/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * iSCSI header and data digests: CRC32C (Castagnoli, RFC 7143 section
 * 13.1 and RFC 3720 appendix B.4).  ISA-L's crc32_iscsi() picks the
 * CPU's CRC32 or carry-less multiply instructions at run time and has a
 * table-driven fallback.  It neither inverts its seed nor its result, so
 * a digest starts from DIGEST_INIT and ends with digest_final().  The
 * four digest bytes go on the wire least significant byte first (32
 * bytes of zeros give aa 36 91 8a).
 */

#include <stddef.h>
#include <stdint.h>

#include <isa-l/crc.h>

#include "portal.h"

uint32_t
digest_update(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	size_t			 n;

	while (len > 0) {
		n = len > INT32_MAX ? INT32_MAX : len;
		crc = crc32_iscsi((unsigned char *)p, (int)n, crc);
		p += n;
		len -= n;
	}
	return (crc);
}

uint32_t
digest_final(uint32_t crc)
{
	return (~crc);
}

uint32_t
digest_crc32c(const void *buf, size_t len)
{
	return (digest_final(digest_update(DIGEST_INIT, buf, len)));
}

void
digest_put(uint8_t *p, uint32_t crc)
{
	p[0] = crc;
	p[1] = crc >> 8;
	p[2] = crc >> 16;
	p[3] = crc >> 24;
}

uint32_t
digest_get(const uint8_t *p)
{
	return ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
	    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}
