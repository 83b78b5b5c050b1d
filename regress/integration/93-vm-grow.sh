#!/usr/bin/env bash
# Kernel initiator (regress/vm): grow online.  The backing file grows
# (truncate -s) and a reload tells the LUN; the kernel gets the CAPACITY
# DATA HAS CHANGED unit attention, sees the new size after a rescan, and
# resize2fs grows the mounted ext4.
. "$(dirname "$0")/../lib/common.sh"
. "$top/regress/vm/lib.sh"
need_bin tgt-master

mkdisk "$T/d1.img" 128M
VM_IQN=$IQN
VM_PORT=$PORT
VM_NEWSIZE=$((384 * 1048576))
{
	conf_header
	echo "listen on $ADDR port $PORT advertise \"$VM_HOST:$PORT\""
	cat <<EOF2
target "$IQN" {
	allow all
	lun 1 disk "$T/d1.img"
}
EOF2
} > "$CONF"
tgt_start || exit 1

vm_event() {
	case $1 in
	grow)
		truncate -s "$VM_NEWSIZE" "$T/d1.img" &&
		    "$BIN/tgtctl" -s "$SOCK" reload ;;
	*)	return 1 ;;
	esac
}

vm_run grow "$top/regress/vm/scenarios/grow.sh"
grep -q 'backing store resized' "$LOG" &&
    ok "the master told the LUN of its new size" ||
    fail "the master told the LUN of its new size"
tgt_stop
