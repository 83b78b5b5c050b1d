/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Per-LUN statistics since the process started: commands, bytes read
 * and written, errors and a latency histogram with power-of-two
 * microsecond buckets.  lunctl_start() stamps a command as it enters
 * scsi_exec(), lunstats_done() counts it as its completion is pushed.
 * The clock is the vDSO's CLOCK_MONOTONIC: no system call per command.
 */

#include <string.h>
#include <time.h>

#include "lun.h"
#include "ring.h"
#include "scsi.h"

static struct ctl_lun_stats	 stats;
static struct timespec		 started;

static void __attribute__((constructor))
lunstats_init(void)
{
	clock_gettime(CLOCK_MONOTONIC, &started);
}

void
lunstats_stamp(struct scsi_cmd *cmd)
{
	clock_gettime(CLOCK_MONOTONIC, &cmd->stats_start);
}

void
lunstats_done(const struct scsi_cmd *cmd)
{
	struct timespec	 now;
	int64_t		 us;
	int		 b;

	if (cmd->stats_start.tv_sec == 0 && cmd->stats_start.tv_nsec == 0)
		return;		/* not stamped: not a command */
	clock_gettime(CLOCK_MONOTONIC, &now);
	us = (now.tv_sec - cmd->stats_start.tv_sec) * 1000000LL +
	    (now.tv_nsec - cmd->stats_start.tv_nsec) / 1000;
	if (us < 0)
		us = 0;
	for (b = 0; b < CTL_LAT_BUCKETS - 1 && us >= (1LL << b); b++)
		;
	stats.lat[b]++;
	stats.lat_sum_us += us;
	stats.cmds++;
	if (cmd->status != SAM_STAT_GOOD)
		stats.errors++;
	if (cmd->dir == RING_DIR_READ) {
		stats.reads++;
		stats.read_bytes += cmd->len;
	} else if (cmd->dir == RING_DIR_WRITE) {
		stats.writes++;
		stats.write_bytes += cmd->len;
	}
}

void
lunstats_get(const struct lun *lun, struct ctl_lun_stats *out)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	*out = stats;
	out->lun_id = lun->cfg.lun_id;
	out->lun = lun->cfg.lun;
	out->uptime_s = now.tv_sec - started.tv_sec;
}
