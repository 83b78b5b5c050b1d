#!/usr/bin/env bash
# EXTENDED COPY between two LUNs of a target: the copy manager of LUN 2
# reads LUN 1 through the read-only descriptor the master handed it
# (MSG_LUN_XCOPY_PEER), both LUNs named by their NAA designators
# (regress/lib/xcopy_luns.py is the initiator).
. "$(dirname "$0")/../lib/common.sh"

need_bin tgt-master
mkdisk "$T/a.img" 16M
mkdisk "$T/b.img" 16M
tgt_conf <<EOF2
target "$IQN" {
	allow all
	lun 1 disk "$T/a.img" { backend rdwr }
	lun 2 disk "$T/b.img" { backend aio }
}
EOF2
tgt_start || exit 1
check "EXTENDED COPY from LUN 1 to LUN 2 reads back" \
    timeout 60 python3 "$top/regress/lib/xcopy_luns.py" "$ADDR" "$PORT" \
    "$IQN" 1 2
