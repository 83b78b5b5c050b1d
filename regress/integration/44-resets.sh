#!/usr/bin/env bash
# Resets across portals (issue 15): two listeners, one session on each
# to the same LUN.  LOGICAL UNIT RESET and TARGET WARM RESET establish
# the unit attention for every I_T nexus, the sender's included (SAM-5);
# TARGET COLD RESET received by one portal ends the target's sessions on
# every portal (RFC 7143 11.5.1, through the master), and what follows it
# is the power on unit attention.  Then LUN 2's process is stopped and
# killed under task management (issue 13): resets are answered in
# bounded time, LUN 1 serves on and LUN 2 comes back.
. "$(dirname "$0")/../lib/common.sh"

command -v python3 > /dev/null || { skip "python3 not installed"; finish; exit; }
PORT2=$(free_port)
while [ "$PORT2" = "$PORT" ]; do
	PORT2=$(free_port)
done
mkdisk "$T/d1.img" 16M
mkdisk "$T/d2.img" 16M
{
	conf_header
	echo "listen on $ADDR port $PORT"
	echo "listen on $ADDR port $PORT2"
	cat <<EOF2
target "$IQN" {
	allow all
	lun 1 disk "$T/d1.img" { backend rdwr }
	lun 2 disk "$T/d2.img" { backend rdwr }
}
EOF2
} > "$CONF"
tgt_start || { finish; exit; }

# raw TEST: regress/lib/iscsi_raw.py's TEST on this target, its lines counted
raw() {
	local rc
	timeout 120 python3 "$top/regress/lib/iscsi_raw.py" "$ADDR" "$PORT" \
	    "$IQN" "$1" > "$T/raw" 2>&1
	rc=$?
	cat "$T/raw"
	npass=$((npass + $(grep -c '^ok ' "$T/raw")))
	nfail=$((nfail + $(grep -c '^FAIL ' "$T/raw")))
	[ $rc -le 1 ] || fail "iscsi_raw.py $1 ended with status $rc"
}

RAW_PORT2=$PORT2 raw resets
grep -q "cold reset, ending its sessions on every portal" "$LOG" &&
    ok "the master passed the cold reset on to the other portal" ||
    fail "the master passed the cold reset on to the other portal"
grep -q "cold reset on another portal" "$LOG" &&
    ok "the other portal closed its sessions" ||
    fail "the other portal closed its sessions"

RAW_MASTER=$MASTER raw stuck
grep -q "left a task management function unanswered for 5 s, pinging it" "$LOG" &&
    grep -q "did not answer a ping for 2 s, killing it" "$LOG" &&
    ok "the master pinged the stopped LUN process, then killed it" ||
    fail "the master pinged the stopped LUN process, then killed it"
master_alive || fail "tgt-master still running"
finish
