/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * SCSI primary commands (SPC-4), shared by every device type: INQUIRY
 * and its VPD pages, MODE SENSE and MODE SELECT, REQUEST SENSE, TEST
 * UNIT READY, REPORT LUNS, PREVENT ALLOW MEDIUM REMOVAL.  What differs
 * by type (peripheral device type, VPD pages, mode pages, the block
 * descriptor) comes from the LUN's struct devtype.
 */

#include <stdio.h>
#include <string.h>

#include "lun.h"
#include "scsi.h"

#define ASCQ_PROTO_ISCSI	0x5	/* SPC-4 protocol identifier */

/* Copy s into a space padded field of n bytes. */
static void
put_ascii(uint8_t *p, const char *s, size_t n)
{
	size_t	l = strlen(s);

	memset(p, ' ', n);
	memcpy(p, s, l < n ? l : n);
}

static const char *
or_default(const char *s, const char *def)
{
	return (s[0] != '\0' ? s : def);
}

/* Not ready without a medium (an ejected disk, a drive without a tape). */
int
spc_test_unit_ready(struct scsi_cmd *cmd)
{
	if (cmd->lun->ejected)
		scsi_check(cmd, SK_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
	return (SCSI_DONE);
}

/* Standard INQUIRY data (SPC-4 6.4.2). */
static uint32_t
inquiry_std(struct scsi_cmd *cmd, uint8_t *b)
{
	struct lun	*lun = cmd->lun;
	uint16_t	 vd[] = { VD_SAM5, VD_SPC4, lun->dt->version,
	    VD_ISCSI };
	size_t		 i;

	memset(b, 0, 96);
	b[0] = lun->dt->pdt;
	b[1] = lun->removable ? 0x80 : 0;	/* RMB */
	b[2] = 0x06;				/* SPC-4 */
	b[3] = 0x10 | 0x02;			/* HiSup, format 2 */
	b[4] = 96 - 5;
	b[5] = lun->dt->inq5 | alua_tpgs(lun);	/* 3PC for disks, TPGS */
	b[7] = 0x02;				/* CmdQue */
	put_ascii(&b[8], or_default(lun->cfg.vendor, "TGT"), 8);
	put_ascii(&b[16], or_default(lun->cfg.product, lun->dt->product), 16);
	put_ascii(&b[32], or_default(lun->cfg.revision, "0001"), 4);
	for (i = 0; i < sizeof(vd) / sizeof(vd[0]); i++)
		put_be16(&b[58 + 2 * i], vd[i]);
	return (96);
}

static void
unit_serial(const struct lun *lun, char *s, size_t n)
{
	if (lun->cfg.serial[0] != '\0')
		snprintf(s, n, "%s", lun->cfg.serial);
	else
		snprintf(s, n, "%02x%02x%02x%02x%02x%02x%02x%02x",
		    lun->cfg.naa[8], lun->cfg.naa[9], lun->cfg.naa[10],
		    lun->cfg.naa[11], lun->cfg.naa[12], lun->cfg.naa[13],
		    lun->cfg.naa[14], lun->cfg.naa[15]);
}

/* Append a designation descriptor; returns its size. */
static uint32_t
designator(uint8_t *p, uint8_t proto_codeset, uint8_t piv_assoc_type,
    const void *id, uint32_t len)
{
	p[0] = proto_codeset;
	p[1] = piv_assoc_type;
	p[2] = 0;
	p[3] = len;
	memcpy(&p[4], id, len);
	return (4 + len);
}

/* Device Identification VPD page (SPC-4 7.8.6). */
static uint32_t
vpd_device_id(struct scsi_cmd *cmd, uint8_t *b)
{
	struct lun	*lun = cmd->lun;
	uint8_t		 id[TGT_NAME_MAX + 32];
	char		 serial[40];
	uint32_t	 n = 4, l;
	uint16_t	 relport, tpgt;

	relport = alua_rel_port(cmd);
	tpgt = cmd->nexus != NULL && cmd->nexus->tpgt != 0 ?
	    cmd->nexus->tpgt : 1;

	/* logical unit: NAA, binary */
	l = (lun->cfg.naa[0] >> 4) == 6 ? 16 : 8;
	n += designator(&b[n], 0x01, 0x03, lun->cfg.naa, l);

	/* logical unit: T10 vendor identification, ASCII */
	unit_serial(lun, serial, sizeof(serial));
	put_ascii(id, or_default(lun->cfg.vendor, "TGT"), 8);
	l = strlen(serial);
	memcpy(&id[8], serial, l);
	n += designator(&b[n], 0x02, 0x01, id, 8 + l);

	/* target port: relative target port identifier */
	memset(id, 0, 4);
	put_be16(&id[2], relport);
	n += designator(&b[n], ASCQ_PROTO_ISCSI << 4 | 0x01, 0x80 | 0x10 |
	    0x04, id, 4);

	/* target port: target port group, the ALUA one if configured */
	memset(id, 0, 4);
	put_be16(&id[2], alua_group_id(cmd, tpgt));
	n += designator(&b[n], ASCQ_PROTO_ISCSI << 4 | 0x01, 0x80 | 0x10 |
	    0x05, id, 4);

	/* target port: SCSI name string "<iqn>,t,0x<tpgt>" */
	memset(id, 0, sizeof(id));
	l = snprintf((char *)id, sizeof(id) - 4, "%s,t,0x%04x",
	    lun->cfg.target, tpgt);
	if (l > sizeof(id) - 5)
		l = sizeof(id) - 5;
	l = (l + 1 + 3) & ~3u;			/* NUL, multiple of 4 */
	n += designator(&b[n], ASCQ_PROTO_ISCSI << 4 | 0x03, 0x80 | 0x10 |
	    0x08, id, l);

	/* target device: SCSI name string "<iqn>" */
	memset(id, 0, sizeof(id));
	l = strlen(lun->cfg.target);
	memcpy(id, lun->cfg.target, l);
	l = (l + 1 + 3) & ~3u;
	n += designator(&b[n], ASCQ_PROTO_ISCSI << 4 | 0x03, 0x80 | 0x20 |
	    0x08, id, l);

	b[1] = VPD_DEVICE_ID;
	put_be16(&b[2], n - 4);
	return (n);
}

static uint32_t
vpd_page(struct scsi_cmd *cmd, uint8_t page, uint8_t *b)
{
	struct lun		*lun = cmd->lun;
	const struct devtype	*dt = lun->dt;
	static const uint8_t	 pages[] = { VPD_SUPPORTED_PAGES,
	    VPD_UNIT_SERIAL, VPD_DEVICE_ID };
	char			 serial[40];
	uint32_t		 l;
	size_t			 i;

	b[0] = dt->pdt;
	switch (page) {
	case VPD_SUPPORTED_PAGES:
		b[1] = page;
		put_be16(&b[2], sizeof(pages) + dt->nvpd);
		memcpy(&b[4], pages, sizeof(pages));
		memcpy(&b[4 + sizeof(pages)], dt->vpd, dt->nvpd);
		return (4 + sizeof(pages) + dt->nvpd);
	case VPD_UNIT_SERIAL:
		unit_serial(lun, serial, sizeof(serial));
		l = strlen(serial);
		b[1] = page;
		put_be16(&b[2], l);
		memcpy(&b[4], serial, l);
		return (4 + l);
	case VPD_DEVICE_ID:
		return (vpd_device_id(cmd, b));
	}
	for (i = 0; i < dt->nvpd; i++)
		if (dt->vpd[i] == page)
			return (dt->vpd_page(cmd, page, b));
	return (0);
}

int
spc_inquiry(struct scsi_cmd *cmd)
{
	uint8_t		b[1024];
	uint32_t	n;
	uint16_t	alloc = get_be16(&cmd->cdb[3]);
	int		evpd = cmd->cdb[1] & 0x01;
	uint8_t		page = cmd->cdb[2];

	/* CMDDT is obsolete; a page code needs EVPD. */
	if (cmd->cdb[1] & 0x02) {
		scsi_invalid_cdb(cmd, 1, 1);
		return (SCSI_DONE);
	}
	if (!evpd && page != 0) {
		scsi_invalid_cdb(cmd, 2, -1);
		return (SCSI_DONE);
	}
	memset(b, 0, sizeof(b));
	if (!evpd)
		n = inquiry_std(cmd, b);
	else if ((n = vpd_page(cmd, page, b)) == 0) {
		scsi_invalid_cdb(cmd, 2, -1);
		return (SCSI_DONE);
	}
	scsi_data_in(cmd, b, n, alloc);
	return (SCSI_DONE);
}

/*
 * Mode pages: current, changeable or default values (pc 0, 1, 2).  The
 * control and informational exceptions pages are shared, the others are
 * the device type's.  Returns the page length, or 0 for a page we do
 * not have.
 */
uint32_t
spc_mode_page(struct lun *lun, uint8_t page, int pc, uint8_t *p)
{
	int	dsense, swp;

	dsense = pc == 0 ? lun->d_sense : pc == 1;
	swp = pc == 0 ? lun->swp : pc == 1;

	switch (page) {
	case MODE_PAGE_CONTROL:
		memset(p, 0, 12);
		p[0] = page;
		p[1] = 0x0a;
		if (dsense)
			p[2] |= 0x04;		/* D_SENSE */
		if (pc != 1)
			p[3] = 0x10;		/* unrestricted order */
		if (swp)
			p[4] |= 0x08;		/* SWP */
		return (12);
	case MODE_PAGE_INFO_EXCEPTIONS:
		memset(p, 0, 12);
		p[0] = page;
		p[1] = 0x0a;
		if (pc != 1)
			p[2] = 0x08;		/* DEXCPT: none reported */
		return (12);
	}
	if (lun->dt->mode_page == NULL)
		return (0);
	return (lun->dt->mode_page(lun, page, pc, p));
}

int
spc_mode_sense(struct scsi_cmd *cmd)
{
	struct lun	*lun = cmd->lun;
	uint8_t		 b[512];
	uint32_t	 n, alloc, hlen, bdlen, l;
	size_t		 i;
	int		 ten = cmd->cdb[0] == MODE_SENSE_10;
	int		 dbd = (cmd->cdb[1] & 0x08) != 0;
	int		 llbaa = ten && (cmd->cdb[1] & 0x10);
	int		 pc = cmd->cdb[2] >> 6;
	uint8_t		 page = cmd->cdb[2] & 0x3f;
	uint8_t		 subpage = cmd->cdb[3];

	alloc = ten ? get_be16(&cmd->cdb[7]) : cmd->cdb[4];
	if (pc == 3) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_SAVING_PARAMS_UNSUP);
		return (SCSI_DONE);
	}
	if (subpage != 0 && subpage != 0xff) {
		scsi_invalid_cdb(cmd, 3, -1);
		return (SCSI_DONE);
	}
	memset(b, 0, sizeof(b));
	hlen = ten ? 8 : 4;
	bdlen = dbd ? 0 : lun->dt->mode_bd(lun, llbaa, &b[hlen]);
	n = hlen + bdlen;
	if (page == MODE_PAGE_ALL) {
		for (i = 0; i < lun->dt->nmode_pages; i++)
			n += spc_mode_page(lun, lun->dt->mode_pages[i], pc,
			    &b[n]);
	} else if (page == 0 && subpage == 0 && lun->dt->mode_page0) {
		/* no page: the header and block descriptor (tape drives) */
	} else if ((l = spc_mode_page(lun, page, pc, &b[n])) == 0) {
		scsi_invalid_cdb(cmd, 2, 5);
		return (SCSI_DONE);
	} else
		n += l;

	/* device-specific parameter: the type's (a disk: WP, DPOFUA) */
	if (ten) {
		put_be16(&b[0], n - 2);
		b[3] = lun->dt->mode_devspec(lun);
		if (bdlen == 16)
			b[4] = 0x01;		/* LONGLBA */
		put_be16(&b[6], bdlen);
	} else {
		b[0] = n - 1;
		b[3] = bdlen;
		b[2] = lun->dt->mode_devspec(lun);
	}
	scsi_data_in(cmd, b, n, alloc);
	return (SCSI_DONE);
}

/*
 * MODE SELECT 6/10: the parameter list is copied out of shared memory
 * first; every page must match its current contents outside the
 * changeable bits.
 */
int
spc_mode_select(struct scsi_cmd *cmd)
{
	struct lun	*lun = cmd->lun;
	uint8_t		 pl[512], cur[64], chg[64];
	uint32_t	 len, hlen, bdlen, off, plen, i;
	int		 ten = cmd->cdb[0] == MODE_SELECT_10;
	int		 changed = 0, dsense, swp;

	len = ten ? get_be16(&cmd->cdb[7]) : cmd->cdb[4];
	if (cmd->cdb[1] & 0x01) {		/* SP: cannot save */
		scsi_invalid_cdb(cmd, 1, 0);
		return (SCSI_DONE);
	}
	if (len == 0)
		return (SCSI_DONE);
	cmd->want = len;
	if (cmd->out_len < len) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_IU);
		return (SCSI_DONE);
	}
	hlen = ten ? 8 : 4;
	if (len > sizeof(pl) || len < hlen) {
		scsi_check(cmd, SK_ILLEGAL_REQUEST,
		    ASC_PARAM_LIST_LENGTH_ERROR);
		return (SCSI_DONE);
	}
	memcpy(pl, cmd->buf, len);
	cmd->len = len;
	off = 0;
	bdlen = ten ? get_be16(&pl[6]) : pl[3];
	if (hlen + bdlen > len || (bdlen != 0 && bdlen != 8 && bdlen != 16))
		goto bad;
	if (bdlen != 0 && lun->dt->mode_bd_set(lun, &pl[hlen], bdlen, 0) == -1)
		goto bad;

	/* every page is checked before any is taken */
	for (off = hlen + bdlen; off < len; off += plen) {
		if (len - off < 2 || (pl[off] & 0x40))	/* SPF */
			goto bad;
		plen = pl[off + 1] + 2;
		if (plen > len - off || plen > sizeof(cur))
			goto bad;
		if (spc_mode_page(lun, pl[off] & 0x3f, 0, cur) != plen)
			goto bad;
		spc_mode_page(lun, pl[off] & 0x3f, 1, chg);
		for (i = 2; i < plen; i++)
			if ((pl[off + i] ^ cur[i]) & ~chg[i])
				goto bad;
	}
	if (bdlen != 0)
		changed |= lun->dt->mode_bd_set(lun, &pl[hlen], bdlen, 1);
	dsense = lun->d_sense;
	swp = lun->swp;
	for (off = hlen + bdlen; off < len; off += plen) {
		plen = pl[off + 1] + 2;
		switch (pl[off] & 0x3f) {
		case MODE_PAGE_CONTROL:
			dsense = (pl[off + 2] & 0x04) != 0;
			swp = (pl[off + 4] & 0x08) != 0;
			break;
		case MODE_PAGE_INFO_EXCEPTIONS:
			break;
		default:
			changed |= lun->dt->mode_page_set(lun, &pl[off]);
			break;
		}
	}
	changed |= dsense != lun->d_sense || swp != lun->swp;
	lun->d_sense = dsense;
	lun->swp = swp;
	if (changed)
		lun_ua_set(lun, UA_MODE_CHANGED, cmd->nexus);
	return (SCSI_DONE);
 bad:
	scsi_invalid_param(cmd, off < len ? off : 0, -1);
	return (SCSI_DONE);
}

/* REQUEST SENSE: a pending unit attention, else NO SENSE. */
int
spc_request_sense(struct scsi_cmd *cmd)
{
	uint8_t		b[RING_SENSE_MAX], sks[3];
	uint16_t	asc;
	size_t		n;
	int		desc = cmd->cdb[1] & 0x01;

	if (cmd->lun->san_active) {
		/* the progress indication of the sanitize (SBC-4 4.11) */
		sanitize_progress(cmd->lun, sks);
		n = sense_build_sks(b, sizeof(b), desc, SK_NOT_READY,
		    ASC_SANITIZE_IN_PROGRESS, 0, 0, sks);
	} else if (lun_ua_take(cmd->lun, cmd->nexus, &asc))
		n = sense_build(b, sizeof(b), desc, SK_UNIT_ATTENTION, asc,
		    0, 0);
	else if (cmd->lun->ejected)
		n = sense_build(b, sizeof(b), desc, SK_NOT_READY,
		    ASC_MEDIUM_NOT_PRESENT, 0, 0);
	else
		n = sense_build(b, sizeof(b), desc, SK_NO_SENSE,
		    ASC_NO_ADDITIONAL_SENSE, 0, 0);
	scsi_data_in(cmd, b, n, cmd->cdb[4]);
	return (SCSI_DONE);
}

/*
 * REPORT LUNS reaching a LUN process: the portal normally answers it
 * with the whole list, this lists the LUN itself.
 */
int
spc_report_luns(struct scsi_cmd *cmd)
{
	uint8_t		b[16];
	uint32_t	alloc = get_be32(&cmd->cdb[6]);
	uint64_t	lun = cmd->lun->cfg.lun;

	if (cmd->cdb[2] > 2 || alloc < 16) {
		scsi_invalid_cdb(cmd, cmd->cdb[2] > 2 ? 2 : 6, -1);
		return (SCSI_DONE);
	}
	memset(b, 0, sizeof(b));
	put_be32(&b[0], 8);
	if (lun < 256)
		b[9] = lun;
	else {
		b[8] = 0x40 | ((lun >> 8) & 0x3f);	/* flat space */
		b[9] = lun & 0xff;
	}
	scsi_data_in(cmd, b, sizeof(b), alloc);
	return (SCSI_DONE);
}

/* REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS (SPC-4 6.37). */
int
spc_report_tmf(struct scsi_cmd *cmd)
{
	uint8_t		b[16];
	uint32_t	alloc = get_be32(&cmd->cdb[6]);
	int		repd = (cmd->cdb[2] & 0x80) != 0;

	if (alloc < 4) {
		scsi_invalid_cdb(cmd, 6, -1);
		return (SCSI_DONE);
	}
	memset(b, 0, sizeof(b));
	/* ABORT TASK, ABORT TASK SET, CLEAR TASK SET, LU RESET, TARGET RESET */
	b[0] = 0x80 | 0x40 | 0x10 | 0x08 | 0x02;
	if (repd)
		b[3] = 0x0c;
	scsi_data_in(cmd, b, repd ? 16 : 4, alloc);
	return (SCSI_DONE);
}

/*
 * PREVENT ALLOW MEDIUM REMOVAL: the prevention belongs to the I_T nexus
 * (SPC-4 6.13), so it ends with the nexus, and with a reset.
 */
int
spc_prevent_allow(struct scsi_cmd *cmd)
{
	int	prevent = cmd->cdb[4] & 0x01;

	if (!cmd->lun->removable)
		return (SCSI_DONE);
	if (cmd->nexus != NULL)
		cmd->nexus->prevent = prevent;
	else
		cmd->lun->prevent = prevent;
	return (SCSI_DONE);
}
