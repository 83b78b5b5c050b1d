#!/usr/bin/env bash
# EXTENDED COPY between two LUNs of a target: the copy manager of LUN 2
# asks the master for LUN 1 when a copy names it (MSG_LUN_XCOPY_REQ) and
# reads it through the read-only descriptor the master hands over
# (MSG_LUN_XCOPY_PEER), both LUNs named by their NAA designators
# (regress/lib/xcopy_luns.py is the initiator).  No LUN process holds
# another LUN's backing store before or after the copy, and a LUN of
# another target is not reachable.
. "$(dirname "$0")/../lib/common.sh"

need_bin tgt-master
mkdisk "$T/a.img" 16M
mkdisk "$T/b.img" 16M
mkdisk "$T/c.img" 16M
tgt_conf <<EOF2
target "$IQN" {
	allow all
	lun 1 disk "$T/a.img" { backend rdwr }
	lun 2 disk "$T/b.img" { backend aio }
}
target "$IQN-other" {
	allow all
	lun 1 disk "$T/c.img" { backend rdwr }
}
EOF2
TGT_VERBOSE=1	# the master logs what it hands over at debug level
tgt_start || exit 1

# held_stores: the backing stores each LUN process holds, "PID FILE"
held_stores() {
	local pid f
	for pid in $(children tgt-lun); do
		for f in /proc/"$pid"/fd/*; do
			f=$(readlink "$f" 2>/dev/null) || continue
			case $f in
			"$T"/*.img) echo "$pid $f" ;;
			esac
		done
	done
}
wait_for 10 test "$(held_stores | wc -l)" -eq 3
n=$(held_stores | wc -l)
[ "$n" -eq 3 ] && ok "before any copy each LUN process holds its own store only" ||
    { fail "before any copy the LUN processes hold $n stores, not 3"; held_stores | indent; }
check "EXTENDED COPY from LUN 1 to LUN 2 reads back; from another target's LUN: 0A/0D/02" \
    timeout 60 python3 "$top/regress/lib/xcopy_luns.py" "$ADDR" "$PORT" \
    "$IQN" 1 2 "$IQN-other"
grep -q "extended copy from .*$IQN/1" "$LOG" &&
    ok "the master handed over LUN 1 when the copy named it" ||
    fail "the master handed over LUN 1 when the copy named it"
grep -q "extended copy names no LUN of its target" "$LOG" &&
    ok "the master refused the other target's LUN" ||
    fail "the master refused the other target's LUN"
n=$(held_stores | wc -l)
[ "$n" -eq 3 ] && ok "after the copy it was dropped: 3 stores held" ||
    { fail "after the copy the LUN processes hold $n stores, not 3"; held_stores | indent; }
