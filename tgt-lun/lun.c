/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * The logical unit: backing store geometry, the I_T nexus table with the
 * unit attentions pending on each nexus, and task management.
 */

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <linux/fs.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "log.h"
#include "lun.h"
#include "ring.h"
#include "scsi.h"

static void	 lun_cold_clear(struct lun *);
static int	 nexus_match(struct scsi_cmd *, void *);

int
nexus_cmp(struct nexus *a, struct nexus *b)
{
	if (a->portal_id != b->portal_id)
		return (a->portal_id < b->portal_id ? -1 : 1);
	if (a->id != b->id)
		return (a->id < b->id ? -1 : 1);
	return (0);
}

RB_GENERATE(nexus_tree, nexus, entry, nexus_cmp)

/* The device type of a LUN_TYPE_*, or NULL. */
const struct devtype *
devtype_get(uint32_t type)
{
	switch (type) {
	case LUN_TYPE_DISK:
		return (&devtype_disk);
	case LUN_TYPE_TAPE:
		return (&devtype_tape);
	case LUN_TYPE_CHANGER:
		return (&devtype_changer);
	case LUN_TYPE_OPTICAL:
		return (&devtype_optical);
	case LUN_TYPE_PASSTHROUGH:
		return (&devtype_passthrough);
	}
	return (NULL);
}

int
lun_init(struct lun *lun, const struct msg_lun_config *cfg, int fd,
    struct event_base *evb, char *err, size_t errlen)
{
	struct stat	st;
	uint64_t	store;
	uint32_t	bs, pb;
	int		fl, ro = 0;

	memset(lun, 0, sizeof(*lun));
	lun->fd = -1;
	lun->pr_fd = -1;
	RB_INIT(&lun->nexuses);
	TAILQ_INIT(&lun->colds);
	TAILQ_INIT(&lun->inflight);
	TAILQ_INIT(&lun->pr_regs);
	lun->cfg = *cfg;
	lun->cfg.target[sizeof(lun->cfg.target) - 1] = '\0';
	lun->cfg.path[sizeof(lun->cfg.path) - 1] = '\0';
	lun->cfg.vendor[sizeof(lun->cfg.vendor) - 1] = '\0';
	lun->cfg.product[sizeof(lun->cfg.product) - 1] = '\0';
	lun->cfg.revision[sizeof(lun->cfg.revision) - 1] = '\0';
	lun->cfg.serial[sizeof(lun->cfg.serial) - 1] = '\0';
	lun->evb = evb;

	if ((lun->dt = devtype_get(cfg->type)) == NULL) {
		snprintf(err, errlen, "unsupported device type %u", cfg->type);
		return (-1);
	}
	/* a device type that sets itself up; below, the block devices' */
	if (lun->dt->init != NULL)
		return (lun->dt->init(lun, fd, err, errlen));
	bs = cfg->block_size ? cfg->block_size : 512;
	if (bs != 512 && bs != 1024 && bs != 2048 && bs != 4096) {
		snprintf(err, errlen, "invalid block size %u", bs);
		return (-1);
	}
	lun->block_size = bs;
	lun->block_shift = __builtin_ctz(bs);
	/* physical blocks of 2^(9 + n) bytes, never below a logical one */
	pb = 9 + ((cfg->flags & LUN_F_PBLOCK_MASK) >> LUN_F_PBLOCK_SHIFT);
	lun->pb_exp = pb > lun->block_shift ? pb - lun->block_shift : 0;

	if (cfg->backend == LUN_BACKEND_RBD) {
		/* no descriptor: the backend opens the store and sizes it */
		lun->be = &backend_rbd;
		if (lun->be->init(lun, err, errlen) == -1) {
			lun->be = NULL;
			return (-1);
		}
		if (lun->be->size(lun, &store) == -1) {
			snprintf(err, errlen, "size of the image: %s",
			    strerror(errno));
			goto fail;
		}
	} else if (cfg->backend == LUN_BACKEND_NULL) {
		/* no store: the configured size is the capacity */
		if (cfg->size == 0) {
			snprintf(err, errlen, "backend null needs a size");
			return (-1);
		}
		store = cfg->size;
	} else if (cfg->backend == LUN_BACKEND_GLFS) {
		/* the image was opened before the sandbox */
		if (glfs_store(&store, &ro, err, errlen) == -1)
			return (-1);
	} else if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "fstat: %s", strerror(errno));
		return (-1);
	} else if (S_ISREG(st.st_mode))
		store = st.st_size;
	else if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &store) == -1) {
			snprintf(err, errlen, "BLKGETSIZE64: %s",
			    strerror(errno));
			return (-1);
		}
	} else {
		snprintf(err, errlen, "backing store is neither a regular "
		    "file nor a block device");
		return (-1);
	}
	if (cfg->size == 0)
		lun->size = store;
	else if (cfg->size > store) {
		snprintf(err, errlen, "size %" PRIu64 " exceeds the backing "
		    "store (%" PRIu64 " bytes)", cfg->size, store);
		goto fail;
	} else
		lun->size = cfg->size;
	lun->nblocks = lun->size >> lun->block_shift;
	lun->size = lun->nblocks << lun->block_shift;
	if (lun->nblocks == 0) {
		snprintf(err, errlen, "backing store smaller than one block");
		goto fail;
	}

	lun->readonly = (cfg->flags & LUN_F_READONLY) != 0;
	if (fd != -1 && (fl = fcntl(fd, F_GETFL)) != -1 &&
	    (fl & O_ACCMODE) == O_RDONLY)
		lun->readonly = 1;
	if (ro)
		lun->readonly = 1;
	lun->thin = (cfg->flags & LUN_F_THIN) != 0;
	lun->removable = (cfg->flags & LUN_F_REMOVABLE) != 0;
	lun->wce = (cfg->flags & LUN_F_WRITE_CACHE) != 0;
	/* the master checked the block size against the O_DIRECT alignment */
	if (fd != -1 && (fl = fcntl(fd, F_GETFL)) != -1 && (fl & O_DIRECT)) {
		lun->direct = 1;
		lun->dio_align = bs;
	}

	switch (cfg->backend) {
	case LUN_BACKEND_RBD:
		return (0);		/* opened above */
	case LUN_BACKEND_RDWR:
		lun->be = &backend_rdwr;
		break;
	case LUN_BACKEND_AIO:
		lun->be = &backend_aio;
		break;
	case LUN_BACKEND_IO_URING:
		lun->be = &backend_io_uring;
		break;
	case LUN_BACKEND_NULL:
		lun->be = &backend_null;
		break;
	case LUN_BACKEND_GLFS:
		lun->be = &backend_glfs;
		break;
	default:
		snprintf(err, errlen, "unknown backend %u", cfg->backend);
		goto fail;
	}
	lun->fd = fd;
	if (lun->be->init(lun, err, errlen) == -1) {
		lun->fd = -1;
		return (-1);
	}
	return (0);
 fail:
	if (lun->be != NULL)
		lun->be->fini(lun);
	lun->be = NULL;
	return (-1);
}

void
lun_fini(struct lun *lun)
{
	struct nexus	*nx;

	lun_offload_fini(lun);
	if (lun->be != NULL)
		lun->be->fini(lun);
	if (lun->dt != NULL && lun->dt->fini != NULL)
		lun->dt->fini(lun);
	while ((nx = RB_MIN(nexus_tree, &lun->nexuses)) != NULL)
		nexus_del(lun, nx);
	lun_cold_clear(lun);
	pr_fini(lun);
	if (lun->pr_fd != -1)
		close(lun->pr_fd);
	lun->pr_fd = -1;
	sanitize_fini(lun);
	/* the fd belongs to the caller */
	lun->be = NULL;
}

struct nexus *
nexus_find(struct lun *lun, uint32_t portal_id, uint32_t id)
{
	struct nexus	key;

	key.portal_id = portal_id;
	key.id = id;
	return (RB_FIND(nexus_tree, &lun->nexuses, &key));
}

/*
 * The nexus, created when first seen with a power on UA pending; the
 * NEXUS_ADD of a new login clears it (lunring.c).  NULL when the table
 * is full.
 */
struct nexus *
nexus_get(struct lun *lun, uint32_t portal_id, uint32_t id)
{
	struct nexus	*nx;

	if ((nx = nexus_find(lun, portal_id, id)) != NULL)
		return (nx);
	if (lun->nnexus >= LUN_MAX_NEXUS)
		return (NULL);
	if ((nx = calloc(1, sizeof(*nx))) == NULL)
		return (NULL);
	nx->portal_id = portal_id;
	nx->id = id;
	nx->rel_port = portal_id + 1;
	nx->tpgt = 1;
	nx->ua = UA_POWER_ON;
	RB_INSERT(nexus_tree, &lun->nexuses, nx);
	lun->nnexus++;
	return (nx);
}

void
nexus_del(struct lun *lun, struct nexus *nx)
{
	struct scsi_cmd	*cmd;

	/* I_T nexus loss: its tasks are aborted. */
	TAILQ_FOREACH(cmd, &lun->inflight, entry) {
		if (cmd->nexus == nx) {
			cmd->nexus = NULL;
			cmd->aborted = 1;
		}
	}
	if (lun->san_cmd != NULL && lun->san_cmd->nexus == nx)
		sanitize_abort(lun);
	xcopy_abort(lun, nexus_match, nx);
	lun_offload_abort(lun, nexus_match, nx);
	pr_nexus_gone(lun, nx);
	RB_REMOVE(nexus_tree, &lun->nexuses, nx);
	lun->nnexus--;
	free(nx);
}

void
nexus_del_portal(struct lun *lun, uint32_t portal_id)
{
	struct nexus	*nx, *next;

	for (nx = RB_MIN(nexus_tree, &lun->nexuses); nx != NULL; nx = next) {
		next = RB_NEXT(nexus_tree, &lun->nexuses, nx);
		if (nx->portal_id == portal_id)
			nexus_del(lun, nx);
	}
}

/* Is medium removal prevented by any I_T nexus? */
int
lun_prevented(struct lun *lun)
{
	struct nexus	*nx;

	if (lun->prevent)
		return (1);
	RB_FOREACH(nx, nexus_tree, &lun->nexuses)
		if (nx->prevent)
			return (1);
	return (0);
}

/* Establish a unit attention on every nexus but one (may be NULL). */
void
lun_ua_set(struct lun *lun, uint16_t ua, const struct nexus *except)
{
	struct nexus	*nx;

	RB_FOREACH(nx, nexus_tree, &lun->nexuses) {
		if (nx != except)
			nx->ua |= ua;
	}
}

static void
lun_cold_clear(struct lun *lun)
{
	struct lun_cold	*lc;

	while ((lc = TAILQ_FIRST(&lun->colds)) != NULL) {
		TAILQ_REMOVE(&lun->colds, lc, entry);
		free(lc);
	}
}

static struct lun_cold *
lun_cold_find(struct lun *lun, const char *initiator, const uint8_t *isid)
{
	struct lun_cold	*lc;

	TAILQ_FOREACH(lc, &lun->colds, entry)
		if (strcmp(lc->initiator, initiator) == 0 &&
		    memcmp(lc->isid, isid, sizeof(lc->isid)) == 0)
			return (lc);
	return (NULL);
}

/*
 * TARGET COLD RESET: every nexus gets the power on unit attention, and
 * so does the next login of each initiator port that had one (the
 * portals end every session to the target once the reset is answered).
 * The list replaces that of an earlier cold reset; it holds at most one
 * entry per nexus, so at most LUN_MAX_NEXUS.
 */
static void
lun_cold_reset(struct lun *lun)
{
	struct nexus	*nx;
	struct lun_cold	*lc;

	lun_cold_clear(lun);
	RB_FOREACH(nx, nexus_tree, &lun->nexuses) {
		nx->ua |= UA_POWER_ON;
		if (!nx->announced ||
		    lun_cold_find(lun, nx->initiator, nx->isid) != NULL)
			continue;
		if ((lc = calloc(1, sizeof(*lc))) == NULL) {
			log_warn("cold reset");
			continue;
		}
		strlcpy(lc->initiator, nx->initiator, sizeof(lc->initiator));
		memcpy(lc->isid, nx->isid, sizeof(lc->isid));
		TAILQ_INSERT_TAIL(&lun->colds, lc, entry);
	}
}

int
lun_cold_take(struct lun *lun, const char *initiator, const uint8_t *isid)
{
	struct lun_cold	*lc;

	if ((lc = lun_cold_find(lun, initiator, isid)) == NULL)
		return (0);
	TAILQ_REMOVE(&lun->colds, lc, entry);
	free(lc);
	return (1);
}

/* Take the highest priority UA of a nexus; 1 and its ASC/ASCQ, or 0. */
int
lun_ua_take(struct lun *lun, struct nexus *nx, uint16_t *asc)
{
	uint16_t	bit;

	if (nx == NULL || nx->ua == 0)
		return (0);
	bit = nx->ua & -nx->ua;
	nx->ua &= ~bit;
	switch (bit) {
	case UA_POWER_ON:
		*asc = ASC_POWER_ON_RESET;
		break;
	case UA_BUS_DEVICE_RESET:
		*asc = ASC_BUS_DEVICE_RESET;
		break;
	case UA_MODE_CHANGED:
		*asc = ASC_MODE_PARAMETERS_CHANGED;
		break;
	case UA_CAPACITY_CHANGED:
		*asc = ASC_CAPACITY_CHANGED;
		break;
	case UA_RES_PREEMPTED:
		*asc = 0x2a03;
		break;
	case UA_RES_RELEASED:
		*asc = 0x2a04;
		break;
	case UA_REGS_PREEMPTED:
		*asc = 0x2a05;
		break;
	case UA_LUNS_CHANGED:
		*asc = 0x3f0e;
		break;
	case UA_MEDIUM_CHANGED:
		*asc = ASC_MEDIUM_CHANGED;
		break;
	case UA_IE_ACCESSED:
		*asc = ASC_IE_ACCESSED;
		break;
	case UA_ALUA_CHANGED:
		*asc = 0x2a06;
		break;
	default:
		*asc = ASC_POWER_ON_RESET;
		break;
	}
	return (1);
}

static int
tmf_match(struct scsi_cmd *cmd, uint8_t tmf, uint32_t portal_id,
    uint32_t nexus, uint64_t ref_tag)
{
	int	same = cmd->nexus != NULL && cmd->nexus->portal_id ==
	    portal_id && cmd->nexus->id == nexus;

	switch (tmf) {
	case RING_TMF_ABORT_TASK:
		return (same && cmd->tag == ref_tag);
	case RING_TMF_ABORT_TASK_SET:
		return (same);
	case RING_TMF_CLEAR_TASK_SET:
	case RING_TMF_LUN_RESET:
	case RING_TMF_TARGET_WARM_RESET:
	case RING_TMF_TARGET_COLD_RESET:
		return (1);
	}
	return (0);
}

struct tmf_arg {
	uint8_t		 tmf;
	uint32_t	 portal_id;
	uint32_t	 nexus;
	uint64_t	 ref_tag;
};

static int
tmf_match_arg(struct scsi_cmd *cmd, void *arg)
{
	struct tmf_arg	*a = arg;

	return (tmf_match(cmd, a->tmf, a->portal_id, a->nexus, a->ref_tag));
}

static int
nexus_match(struct scsi_cmd *cmd, void *arg)
{
	return (cmd->nexus == arg);
}

static int
lun_aborted_inflight(struct lun *lun)
{
	struct scsi_cmd	*cmd;

	TAILQ_FOREACH(cmd, &lun->inflight, entry)
		if (cmd->aborted)
			return (1);
	return (0);
}

/*
 * Task management.  Commands still in the backend are marked aborted
 * (they complete with TASK ABORTED) and waited for, so that the
 * function completes only once they can no longer touch the medium.
 * Returns the RING_TMF_* response.
 */
uint8_t
lun_tmf(struct lun *lun, uint8_t tmf, uint32_t portal_id, uint32_t nexus,
    uint64_t ref_tag)
{
	struct scsi_cmd	*cmd;
	struct nexus	*nx;
	struct tmf_arg	 ta;

	switch (tmf) {
	case RING_TMF_ABORT_TASK:
	case RING_TMF_ABORT_TASK_SET:
	case RING_TMF_CLEAR_TASK_SET:
	case RING_TMF_LUN_RESET:
	case RING_TMF_TARGET_WARM_RESET:
	case RING_TMF_TARGET_COLD_RESET:
		break;
	case RING_TMF_CLEAR_ACA:
		/* NACA is never accepted, so there is no ACA to clear. */
		return (RING_TMF_COMPLETE);
	default:
		return (RING_TMF_NOT_SUPPORTED);
	}
	TAILQ_FOREACH(cmd, &lun->inflight, entry)
		if (tmf_match(cmd, tmf, portal_id, nexus, ref_tag))
			cmd->aborted = 1;
	/* a SANITIZE command ends, its operation goes on (SBC-4 4.11) */
	if (lun->san_cmd != NULL && tmf_match(lun->san_cmd, tmf, portal_id,
	    nexus, ref_tag))
		sanitize_abort(lun);
	/* an EXTENDED COPY waiting for the master ends now */
	ta.tmf = tmf;
	ta.portal_id = portal_id;
	ta.nexus = nexus;
	ta.ref_tag = ref_tag;
	xcopy_abort(lun, tmf_match_arg, &ta);
	lun_offload_abort(lun, tmf_match_arg, &ta);
	while (lun->be != NULL && lun_aborted_inflight(lun))
		if (lun->be->poll(lun, 1) < 0)
			break;

	switch (tmf) {
	case RING_TMF_LUN_RESET:
	case RING_TMF_TARGET_WARM_RESET:
	case RING_TMF_TARGET_COLD_RESET:
		/*
		 * SAM-5 6.3.3: the unit attention is for every I_T nexus,
		 * the one that asked included.
		 */
		if (tmf == RING_TMF_TARGET_COLD_RESET)
			lun_cold_reset(lun);
		else
			lun_ua_set(lun, UA_BUS_DEVICE_RESET, NULL);
		/* SPC-2 reservations end; persistent ones stay */
		pr_reset(lun);
		/* a reset ends every medium removal prevention */
		RB_FOREACH(nx, nexus_tree, &lun->nexuses)
			nx->prevent = 0;
		lun->prevent = 0;
		/* mode parameters return to their defaults */
		lun->wce = (lun->cfg.flags & LUN_F_WRITE_CACHE) != 0;
		lun->d_sense = 0;
		lun->swp = 0;
		if (lun->dt != NULL && lun->dt->reset != NULL)
			lun->dt->reset(lun);
		break;
	}
	return (RING_TMF_COMPLETE);
}
