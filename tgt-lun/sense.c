/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Sense data (SPC-4 4.5): fixed format (response code 0x70) unless the
 * control mode page has D_SENSE set, then descriptor format (0x72) with an
 * information descriptor when there is an information field.
 */

#include <string.h>

#include "lun.h"
#include "scsi.h"

size_t
sense_build(uint8_t *s, size_t size, int desc, uint8_t key, uint16_t ascq,
    uint64_t info, int info_valid)
{
	uint8_t	b[32];
	size_t	n;

	memset(b, 0, sizeof(b));
	if (desc) {
		b[0] = 0x72;
		b[1] = key & 0x0f;
		b[2] = ascq >> 8;
		b[3] = ascq & 0xff;
		n = 8;
		if (info_valid) {
			/* information sense data descriptor */
			b[8] = 0x00;
			b[9] = 0x0a;
			b[10] = 0x80;		/* VALID */
			put_be64(&b[12], info);
			n += 12;
		}
		b[7] = n - 8;
	} else {
		b[0] = 0x70;
		if (info_valid && info <= UINT32_MAX) {
			b[0] |= 0x80;		/* VALID */
			put_be32(&b[3], (uint32_t)info);
		}
		b[2] = key & 0x0f;
		b[7] = 10;			/* additional sense length */
		b[12] = ascq >> 8;
		b[13] = ascq & 0xff;
		n = 18;
	}
	if (n > size)
		n = size;
	memcpy(s, b, n);
	return (n);
}

/* Key and ASC/ASCQ of sense data in either format; 0 or -1. */
int
sense_parse(const uint8_t *s, size_t len, uint8_t *key, uint16_t *ascq)
{
	if (len < 1)
		return (-1);
	switch (s[0] & 0x7f) {
	case 0x70:
	case 0x71:
		if (len < 14)
			return (-1);
		*key = s[2] & 0x0f;
		*ascq = (uint16_t)(s[12] << 8 | s[13]);
		return (0);
	case 0x72:
	case 0x73:
		if (len < 4)
			return (-1);
		*key = s[1] & 0x0f;
		*ascq = (uint16_t)(s[2] << 8 | s[3]);
		return (0);
	}
	return (-1);
}

void
scsi_check_info(struct scsi_cmd *cmd, uint8_t key, uint16_t ascq,
    uint64_t info, int info_valid)
{
	int	desc = cmd->lun != NULL && cmd->lun->d_sense;

	cmd->status = SAM_STAT_CHECK_CONDITION;
	cmd->sense_len = sense_build(cmd->sense, sizeof(cmd->sense), desc,
	    key, ascq, info, info_valid);
}

/* End the command with CHECK CONDITION and the given sense. */
void
scsi_check(struct scsi_cmd *cmd, uint8_t key, uint16_t ascq)
{
	scsi_check_info(cmd, key, ascq, 0, 0);
}
