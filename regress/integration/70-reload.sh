#!/usr/bin/env bash
# SIGHUP reload: a target added to the file is served after kill -HUP; a
# broken file + HUP keeps the running configuration serving; a removed
# target goes away.
. "$(dirname "$0")/../lib/common.sh"

mkdisk "$T/d1.img" 16M
mkdisk "$T/d2.img" 16M
one() {
	cat <<-EOF2
	target "$IQN" {
		allow all
		lun 1 disk "$T/d1.img"
	}
	EOF2
}
two() {
	cat <<-EOF2
	target "$IQN-new" {
		allow all
		lun 1 disk "$T/d2.img" { backend aio }
	}
	EOF2
}
one | tgt_conf
tgt_start || exit 1
check_out "before reload: iscsi-inq on the first target" '^Peripheral' \
    timeout 20 iscsi-inq "$URL/$IQN/1"
if timeout 10 iscsi-ls "$URL" | grep -qF "$IQN-new"; then
	fail "before reload: the second target is not listed yet"
else
	ok "before reload: the second target is not listed yet"
fi

# What does not change keeps running: the first target's tgt-lun and
# portal keep their pids, and a session on it carries on through the
# reload without a reconnect.
lun_before=$(children tgt-lun | tr '\n' ' ')
portal_before=$(children tgt-portal | tr '\n' ' ')
iscsi-perf -i "$IQN-ini" -m 4 -b 8 -r -t 6 "$URL/$IQN/1" > "$T/perf" 2>&1 &
perf=$!
bg $perf
sleep 2
{ one; two; } | tgt_conf
kill -HUP "$MASTER"
if wait_for 15 target_listed "$IQN-new"; then
	ok "HUP: iscsi-ls shows the added target"
else
	fail "HUP: iscsi-ls shows the added target"
	timeout 10 iscsi-ls "$URL" 2>&1 | indent
fi
# Discovery lists the target as soon as the portal knows it; its LUN
# process may still be starting on a loaded machine: bounded wait.
new_lun() {
	timeout 10 iscsi-readcapacity16 "$URL/$IQN-new/1" > "$T/out" 2>&1 &&
	    grep -q '^Total size:16777216$' "$T/out"
}
if wait_for 15 new_lun; then
	ok "HUP: the added target's LUN serves (READ CAPACITY 16)"
else
	fail "HUP: the added target's LUN serves (READ CAPACITY 16)"
	indent "$T/out"
	grep -E "$IQN-new|ring|restart" "$LOG" | INDENT_MAX=20 indent
fi
check_out "HUP: the first target still serves" '^Peripheral' \
    timeout 20 iscsi-inq "$URL/$IQN/1"
master_alive && ok "HUP: master still running" || fail "HUP: master still running"
wait "$perf"
rc=$?
if [ $rc -eq 0 ] && ! tr '\r' '\n' < "$T/perf" | grep -qiE 'reconnect|error|fail'; then
	ok "HUP: a session on the unchanged target carries on"
else
	fail "HUP: a session on the unchanged target carries on (exit $rc)"
	tr '\r' '\n' < "$T/perf" | tail -n 5 | indent
fi
kept=1
for p in $lun_before $portal_before; do
	[ -e "/proc/$p" ] || kept=0
done
[ $kept = 1 ] && ok "HUP: the unchanged target's tgt-lun and the portal keep running (pids $lun_before$portal_before)" ||
    fail "HUP: the unchanged target's tgt-lun and the portal keep running (before: $lun_before$portal_before now: $(children | tr '\n' ' '))"

# A broken file: the old configuration keeps serving.
{ one; two; echo "this is not a keyword"; } | tgt_conf
kill -HUP "$MASTER"
sleep 2
if master_alive; then
	ok "bad config + HUP: master still running"
else
	fail "bad config + HUP: master still running"
	exit 1
fi
timeout 10 iscsi-ls "$URL" > "$T/out" 2>&1
grep -qF "Target:$IQN " "$T/out" && grep -qF "Target:$IQN-new " "$T/out" &&
    ok "bad config + HUP: both targets still listed" ||
    { fail "bad config + HUP: both targets still listed"; indent "$T/out"; }
check_out "bad config + HUP: the first target still serves" '^Peripheral' \
    timeout 20 iscsi-inq "$URL/$IQN/1"
check_out "bad config + HUP: the added target still serves" '^Peripheral' \
    timeout 20 iscsi-inq "$URL/$IQN-new/1"
grep -qE "tgt.conf:[0-9]+:" "$LOG" && ok "bad config + HUP: the error is logged as file:line:" ||
    fail "bad config + HUP: the error is logged as file:line:"

# Remove the first target.
two | tgt_conf
kill -HUP "$MASTER"
gone() { ! timeout 10 iscsi-ls "$URL" 2>/dev/null | grep -qF "Target:$IQN "; }
if wait_for 15 gone; then
	ok "HUP: a removed target is no longer listed"
else
	fail "HUP: a removed target is no longer listed"
fi
check_out "HUP: the remaining target still serves" '^Peripheral' \
    timeout 20 iscsi-inq "$URL/$IQN-new/1"
nluns() { [ "$(children tgt-lun | wc -l)" = "$1" ]; }
if wait_for 10 nluns 1; then
	ok "HUP: the removed target's tgt-lun is gone"
else
	fail "HUP: the removed target's tgt-lun is gone ($(children tgt-lun | wc -l) tgt-lun left)"
fi
