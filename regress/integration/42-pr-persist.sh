#!/usr/bin/env bash
# Persistent reservations registered with APTPL survive a restart of the
# LUN process (killed, restarted by the master) and of the whole suite:
# they live in the state file the master opens in its state directory and
# hands to tgt-lun (regress/lib/pr_persist.py is the initiator).
. "$(dirname "$0")/../lib/common.sh"

need_bin tgt-master
PR="timeout 60 python3 $top/regress/lib/pr_persist.py $ADDR $PORT $IQN 1"
mkdisk "$T/disk.img" 16M
mkdir -m 700 "$T/state"
conf_header > "$CONF"
cat >> "$CONF" <<EOF2
state directory "$T/state"
listen on $ADDR port $PORT
target "$IQN" {
	allow all
	lun 1 disk "$T/disk.img"
}
EOF2
tgt_start || exit 1

check "APTPL registration and Write Exclusive reservation" $PR setup
if ls "$T/state"/*-1.pr > /dev/null 2>&1; then
	ok "the master created the LUN's state file"
else
	fail "no state file in $T/state"
fi

lun=$(children tgt-lun)
kill -KILL $lun 2>/dev/null
wait_for 20 sh -c "[ -n \"\$(pgrep -P $MASTER -x tgt-lun)\" ] && \
    [ \"\$(pgrep -P $MASTER -x tgt-lun)\" != \"$lun\" ]"
sleep 2
check "the registration and reservation survive a tgt-lun restart" \
    wait_for 20 $PR check

tgt_stop
tgt_start || exit 1
check "they survive a restart of the whole suite" wait_for 20 $PR check
check "CLEAR" $PR clear
