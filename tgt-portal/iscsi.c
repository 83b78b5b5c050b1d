/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * LUN field of the BHS (SAM-5 section 4.7): single level LUNs with the
 * peripheral device or the flat space addressing method.
 */

#include <stdint.h>

#include "iscsi.h"

#define LUN_ADDR_PERIPHERAL	0x00
#define LUN_ADDR_FLAT		0x40
#define LUN_ADDR_MASK		0xc0

/*
 * Returns the LUN number, or UINT64_MAX for a LUN we cannot address
 * (other methods, multi-level LUNs, a bus number): such a LUN matches no
 * configured LUN, so it is answered like a LUN that does not exist.
 */
uint64_t
iscsi_lun_decode(const uint8_t *p)
{
	int	 i;

	for (i = 2; i < 8; i++)
		if (p[i] != 0)
			return (UINT64_MAX);
	switch (p[0] & LUN_ADDR_MASK) {
	case LUN_ADDR_PERIPHERAL:
		if ((p[0] & ~LUN_ADDR_MASK) != 0)
			return (UINT64_MAX);	/* bus identifier */
		return (p[1]);
	case LUN_ADDR_FLAT:
		return ((uint64_t)(p[0] & ~LUN_ADDR_MASK) << 8 | p[1]);
	default:
		return (UINT64_MAX);
	}
}

/* LUNs 0-255 as peripheral, 256-16383 as flat space addressing. */
void
iscsi_lun_encode(uint8_t *p, uint64_t lun)
{
	int	 i;

	for (i = 0; i < 8; i++)
		p[i] = 0;
	if (lun < 256) {
		p[1] = lun;
	} else if (lun < 16384) {
		p[0] = LUN_ADDR_FLAT | (lun >> 8);
		p[1] = lun & 0xff;
	} else
		put_be64(p, lun);
}
