#!/usr/bin/env bash
# NOP-In pings (tgt.conf "nop interval", "nop timeout"): an idle
# connection is pinged, one that answers stays, one that does not is
# closed after the timeout while the other sessions carry on; a reload
# to "nop interval 0" stops the pings on the connections already there;
# out-of-range values are config errors with file:line.
. "$(dirname "$0")/../lib/common.sh"

command -v python3 > /dev/null || { skip "python3 not installed"; finish; exit; }
CTL=$BIN/tgtctl
mkdisk "$T/d1.img" 16M
body() {	# body INTERVAL TIMEOUT
	cat <<-EOF2
	nop interval $1
	nop timeout $2
	target "$IQN" {
		allow all
		lun 1 disk "$T/d1.img"
	}
	EOF2
}

# Bad values: file:line errors from tgt-master -n.
for bad in "nop interval 3601" "nop interval -1" "nop timeout 0" \
    "nop timeout 4000"; do
	printf 'user "%s"\n\n%s\n' "$TGT_USER" "$bad" > "$T/bad.conf"
	if "$BIN/tgt-master" -n -f "$T/bad.conf" > "$T/out" 2>&1; then
		fail "config: '$bad' is refused"
	elif grep -qE "^$T/bad.conf:3: nop (interval|timeout) .* out of range" \
	    "$T/out"; then
		ok "config: '$bad' is refused with file:line"
	else
		fail "config: '$bad' error message"
		indent "$T/out"
	fi
done
body 1 2 | tgt_conf
check_out "config: tgt-master -nv prints the nop settings" \
    '^nop interval 1$' "$BIN/tgt-master" -nv -f "$CONF"

tgt_start || { finish; exit; }
raw() {
	timeout 60 python3 "$top/regress/lib/iscsi_raw.py" "$ADDR" "$PORT" \
	    "$IQN" "$@" > "$T/raw" 2>&1
	local rc=$?
	cat "$T/raw"
	npass=$((npass + $(grep -c '^ok ' "$T/raw")))
	nfail=$((nfail + $(grep -c '^FAIL ' "$T/raw")))
	[ $rc -le 1 ] || fail "iscsi_raw.py $* ended with status $rc"
}
raw nop_alive nop_dead
grep -q "no answer to NOP-In in 2 s, closing" "$LOG" &&
    ok "the dropped connection is logged" ||
    fail "the dropped connection is logged"

# Reload to interval 0: connections, new and old, are not pinged.
portal_before=$(children tgt-portal)
body 0 2 | tgt_conf
check "reload to nop interval 0" timeout 20 "$CTL" -s "$SOCK" reload
raw nop_off
[ "$(children tgt-portal)" = "$portal_before" ] &&
    ok "the reload kept the portal process" ||
    fail "the reload kept the portal process"
finish
