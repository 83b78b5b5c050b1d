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

/*
 * Build sense data; sks, when not NULL, is the 3-byte sense-key specific
 * field (SKSV set), e.g. the field pointer of INVALID FIELD IN CDB.
 */
size_t
sense_build_sks(uint8_t *s, size_t size, int desc, uint8_t key,
    uint16_t ascq, uint64_t info, int info_valid, const uint8_t *sks)
{
	uint8_t	b[48];
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
		if (sks != NULL) {
			/* sense key specific sense data descriptor */
			b[n] = 0x02;
			b[n + 1] = 0x06;
			memcpy(&b[n + 4], sks, 3);
			n += 8;
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
		if (sks != NULL)
			memcpy(&b[15], sks, 3);
		n = 18;
	}
	if (n > size)
		n = size;
	memcpy(s, b, n);
	return (n);
}

size_t
sense_build(uint8_t *s, size_t size, int desc, uint8_t key, uint16_t ascq,
    uint64_t info, int info_valid)
{
	return (sense_build_sks(s, size, desc, key, ascq, info, info_valid,
	    NULL));
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

static void
scsi_check_full(struct scsi_cmd *cmd, uint8_t key, uint16_t ascq,
    uint64_t info, int info_valid, const uint8_t *sks)
{
	int	desc = cmd->lun != NULL && cmd->lun->d_sense;

	cmd->status = SAM_STAT_CHECK_CONDITION;
	cmd->sense_len = sense_build_sks(cmd->sense, sizeof(cmd->sense), desc,
	    key, ascq, info, info_valid, sks);
}

void
scsi_check_info(struct scsi_cmd *cmd, uint8_t key, uint16_t ascq,
    uint64_t info, int info_valid)
{
	scsi_check_full(cmd, key, ascq, info, info_valid, NULL);
}

/*
 * ILLEGAL REQUEST with a field pointer (SPC-4 4.5.2.4.2): cd is 1 for a
 * CDB field, 0 for a parameter list field; bit < 0 when no bit pointer.
 */
static void
scsi_invalid_field(struct scsi_cmd *cmd, uint16_t ascq, int cd,
    uint16_t byte, int bit)
{
	uint8_t	sks[3];

	sks[0] = 0x80 | (cd ? 0x40 : 0);
	if (bit >= 0)
		sks[0] |= 0x08 | (bit & 7);
	put_be16(&sks[1], byte);
	scsi_check_full(cmd, SK_ILLEGAL_REQUEST, ascq, 0, 0, sks);
}

void
scsi_invalid_cdb(struct scsi_cmd *cmd, uint16_t byte, int bit)
{
	scsi_invalid_field(cmd, ASC_INVALID_FIELD_IN_CDB, 1, byte, bit);
}

void
scsi_invalid_param(struct scsi_cmd *cmd, uint16_t byte, int bit)
{
	scsi_invalid_field(cmd, ASC_INVALID_FIELD_IN_PARAM, 0, byte, bit);
}

/* CHECK CONDITION with sense key specific bytes (progress, pointers). */
void
scsi_check_sks(struct scsi_cmd *cmd, uint8_t key, uint16_t ascq,
    const uint8_t *sks)
{
	scsi_check_full(cmd, key, ascq, 0, 0, sks);
}

/* End the command with CHECK CONDITION and the given sense. */
void
scsi_check(struct scsi_cmd *cmd, uint8_t key, uint16_t ascq)
{
	scsi_check_info(cmd, key, ascq, 0, 0);
}

/*
 * Sense data of a sequential-access device (SSC-4 4.2.19): the
 * FILEMARK, EOM and ILI bits (byte 2 of fixed format, the stream
 * commands descriptor of descriptor format) and a signed INFORMATION
 * field, the residual of a READ, SPACE or WRITE.
 */
size_t
sense_build_stream(uint8_t *s, size_t size, int desc, uint8_t key,
    uint16_t ascq, uint8_t bits, int64_t info, int info_valid)
{
	uint8_t	b[48];
	size_t	n;

	memset(b, 0, sizeof(b));
	bits &= SENSE_FILEMARK | SENSE_EOM | SENSE_ILI;
	if (desc) {
		b[0] = 0x72;
		b[1] = key & 0x0f;
		b[2] = ascq >> 8;
		b[3] = ascq & 0xff;
		n = 8;
		if (info_valid) {
			b[n] = 0x00;
			b[n + 1] = 0x0a;
			b[n + 2] = 0x80;	/* VALID */
			put_be64(&b[n + 4], (uint64_t)info);
			n += 12;
		}
		if (bits != 0) {
			b[n] = 0x04;		/* stream commands */
			b[n + 1] = 0x02;
			b[n + 3] = bits;
			n += 4;
		}
		b[7] = n - 8;
	} else {
		b[0] = 0x70;
		if (info_valid && info >= INT32_MIN && info <= INT32_MAX) {
			b[0] |= 0x80;		/* VALID */
			put_be32(&b[3], (uint32_t)(int32_t)info);
		}
		b[2] = (key & 0x0f) | bits;
		b[7] = 10;
		b[12] = ascq >> 8;
		b[13] = ascq & 0xff;
		n = 18;
	}
	if (n > size)
		n = size;
	memcpy(s, b, n);
	return (n);
}

void
scsi_check_stream(struct scsi_cmd *cmd, uint8_t key, uint16_t ascq,
    uint8_t bits, int64_t info, int info_valid)
{
	int	desc = cmd->lun != NULL && cmd->lun->d_sense;

	cmd->status = SAM_STAT_CHECK_CONDITION;
	cmd->sense_len = sense_build_stream(cmd->sense, sizeof(cmd->sense),
	    desc, key, ascq, bits, info, info_valid);
}
