/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Operations the master asks of a LUN on behalf of tgtctl and reload:
 * statistics, taking the LUN offline and back online, an online resize
 * after the backing store grew, and the target port groups (alua.c).
 *
 * Offline: every command but INQUIRY, REPORT LUNS and REQUEST SENSE ends
 * with CHECK CONDITION, NOT READY, LOGICAL UNIT NOT READY, MANUAL
 * INTERVENTION REQUIRED (02/04/03).  An administrator took the LUN away
 * on purpose: initiators (Linux sd among them) fail such commands at once
 * instead of retrying, and the LUN stays visible so that it can come back
 * with "online" without a rescan.
 */

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "backend.h"
#include "log.h"
#include "lun.h"
#include "msg.h"
#include "proto.h"
#include "scsi.h"

#define ASC_LUN_NOT_READY_MANUAL	0x0403

static int	 offline;

int
lunctl_start(struct scsi_cmd *cmd)
{
	lunstats_stamp(cmd);
	if (!offline)
		return (0);
	switch (cmd->cdb[0]) {
	case INQUIRY:
	case REPORT_LUNS:
	case REQUEST_SENSE:
		return (0);
	}
	scsi_check(cmd, SK_NOT_READY, ASC_LUN_NOT_READY_MANUAL);
	return (1);
}

/* The backing store changed size: new capacity, unit attention. */
void
lunctl_resize(struct lun *lun, struct msgchan *master)
{
	struct msg_lun_ready	 rdy;
	struct stat		 st;
	uint64_t		 store, nblocks;

	if (lun->be == NULL || lun->dt != &devtype_disk) {
		log_info("resize: not a block device, ignored");
		return;
	}
	if (lun->be->size != NULL) {	/* rbd: asked of the backend */
		if (lun->be->size(lun, &store) == -1) {
			log_warn("resize: %s", lun->be->name);
			return;
		}
	} else if (lun->fd == -1)	/* backend null: no store */
		store = lun->size;
	else if (fstat(lun->fd, &st) == -1) {
		log_warn("resize: fstat");
		return;
	} else if (S_ISREG(st.st_mode))
		store = st.st_size;
	else if (ioctl(lun->fd, BLKGETSIZE64, &store) == -1) {
		log_warn("resize: BLKGETSIZE64");
		return;
	}
	nblocks = store >> lun->block_shift;
	if (lun->cfg.size != 0)
		log_info("resize: size is configured, capacity stays");
	else if (nblocks == 0)
		log_warnx("resize: backing store smaller than a block, "
		    "capacity stays");
	else if (nblocks != lun->nblocks) {
		log_info("capacity changed from %" PRIu64 " to %" PRIu64
		    " blocks", lun->nblocks, nblocks);
		lun->nblocks = nblocks;
		lun->size = nblocks << lun->block_shift;
		lun_ua_set(lun, UA_CAPACITY_CHANGED, NULL);
	}
	memset(&rdy, 0, sizeof(rdy));
	rdy.lun_id = lun->cfg.lun_id;
	rdy.block_size = lun->block_size;
	rdy.size = lun->size;
	if (msgchan_send(master, MSG_LUN_READY, 0, NULL, 0, &rdy,
	    sizeof(rdy)) == -1)
		log_warn("cannot send LUN_READY");
}

void
lunctl_dispatch(struct lun *lun, struct msgchan *master, struct msg *m)
{
	struct ctl_lun_stats	 st;
	struct msg_lun_state	 ls;
	struct msg_lun_ua	 ua;
	struct msg_lun_alua	 alua;
	char			 err[128];

	if (lun == NULL) {
		log_warnx("message %u before LUN_CONFIG, ignored",
		    m->hdr.type);
		return;
	}
	switch (m->hdr.type) {
	case MSG_LUN_STATS:
		if (m->hdr.len != 0) {
			log_warnx("malformed LUN_STATS");
			return;
		}
		memset(&st, 0, sizeof(st));
		lunstats_get(lun, &st);
		st.offline = offline;
		if (msgchan_send(master, MSG_LUN_STATS_REPLY, m->hdr.peerid,
		    NULL, 0, &st, sizeof(st)) == -1)
			log_warn("cannot send statistics");
		break;
	case MSG_LUN_OFFLINE:
		if (MSG_GET(m, &ls) != 0 || ls.offline > 1) {
			log_warnx("malformed LUN_OFFLINE");
			return;
		}
		if (offline != (int)ls.offline)
			log_info("%s", ls.offline ? "offline: commands get "
			    "NOT READY" : "online");
		offline = ls.offline;
		break;
	case MSG_LUN_RESIZE:
		if (m->hdr.len != 0) {
			log_warnx("malformed LUN_RESIZE");
			return;
		}
		lunctl_resize(lun, master);
		break;
	case MSG_LUN_UA:
		/*
		 * The target's LUN inventory changed (reload): every nexus
		 * this LUN knows gets 3F/0E once, on its next command but
		 * INQUIRY, REPORT LUNS and REQUEST SENSE.  The portal
		 * answers REPORT LUNS itself, so a REPORT LUNS does not
		 * clear it; nexuses of later logins start without a UA.
		 */
		if (MSG_GET(m, &ua) != 0 || ua.asc != 0x3f ||
		    ua.ascq != 0x0e) {
			log_warnx("malformed LUN_UA");
			return;
		}
		/* the master logs it once for the target, not per LUN */
		log_debug("reported LUNs data has changed");
		lun_ua_set(lun, UA_LUNS_CHANGED, NULL);
		break;
	case MSG_LUN_ALUA:
		if (MSG_GET(m, &alua) != 0) {
			log_warnx("malformed LUN_ALUA");
			return;
		}
		if (alua_configure(lun, &alua, err, sizeof(err)) == -1)
			log_warnx("LUN_ALUA refused: %s", err);
		break;
	}
}
