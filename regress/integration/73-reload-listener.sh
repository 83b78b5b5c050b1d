#!/usr/bin/env bash
# A reload that removes a listener drains it: its portal stops accepting,
# asks its sessions to log out (async message), shows as draining, and is
# gone after the grace period; the other listener's portal and sessions
# are untouched.  A reload that adds it back starts a new portal.
. "$(dirname "$0")/../lib/common.sh"
need_bin tgtctl
CTL=$BIN/tgtctl
PORT2=$(free_port)
while [ "$PORT2" = "$PORT" ]; do PORT2=$(free_port); done
URL2=iscsi://$ADDR:$PORT2

mkdisk "$T/d1.img" 16M
body() {
	cat <<-EOF2
	target "$IQN" {
		allow all
		lun 1 disk "$T/d1.img"
	}
	EOF2
}
{ echo "listen on $ADDR port $PORT2"; body; } | tgt_conf
tgt_start || exit 1
check_out "the second listener serves" '^Peripheral' \
    timeout 20 iscsi-inq "$URL2/$IQN/1"

timeout -s KILL 60 iscsi-perf -i "$IQN-one" -m 2 -b 8 -r -t 20 "$URL/$IQN/1" > "$T/one.out" 2>&1 &
one=$!
bg $one
timeout -s KILL 60 iscsi-perf -i "$IQN-two" -m 2 -b 8 -r -t 20 "$URL2/$IQN/1" > "$T/two.out" 2>&1 &
two=$!
bg $two
both() { [ "$(timeout 5 "$CTL" -s "$SOCK" show sessions | grep -c "$IQN-")" = 2 ]; }
wait_for 10 both && ok "a session on each listener" || fail "a session on each listener"
portal1=$(timeout 5 "$CTL" -s "$SOCK" -j show portals |
    jq -r ".[] | select(.address == \"$ADDR:$PORT\") | .pid")

body | tgt_conf
check "reload without the second listener" timeout 20 "$CTL" -s "$SOCK" reload
timeout 5 "$CTL" -s "$SOCK" -j show portals > "$T/portals.json"
[ "$(jq -r ".[] | select(.address == \"$ADDR:$PORT2\") | .state" "$T/portals.json")" = draining ] &&
    ok "show portals: the removed listener is draining" ||
    { fail "show portals: the removed listener is draining"; indent "$T/portals.json"; }
asked() { grep -qF "tgt-portal[$ADDR:$PORT2]: draining: 1 connection(s) asked to log out" "$LOG"; }
wait_for 5 asked && ok "its session got the async logout request" ||
    fail "its session got the async logout request"
closed() { [ -z "$(ss -Hltn "sport = :$PORT2" 2>/dev/null)" ]; }
wait_for 5 closed && ok "the removed listener's port is closed" ||
    fail "the removed listener's port is closed"
gone() { ! timeout 5 "$CTL" -s "$SOCK" show portals | grep -qF ":$PORT2"; }
wait_for 15 gone && ok "the drained portal is gone after the grace period" ||
    fail "the drained portal is gone after the grace period"
wait "$one"
rc=$?
if [ $rc -eq 0 ] && ! tr '\r' '\n' < "$T/one.out" | grep -qiE 'reconnect|error|fail'; then
	ok "the session on the kept listener carried on"
else
	fail "the session on the kept listener carried on (exit $rc)"
	tr '\r' '\n' < "$T/one.out" | tail -n 5 | indent
fi
[ "$(timeout 5 "$CTL" -s "$SOCK" -j show portals | jq -r '.[0].pid')" = "$portal1" ] &&
    ok "the kept listener's portal kept its process ($portal1)" ||
    fail "the kept listener's portal kept its process ($portal1)"
# iscsi-perf ignores SIGTERM while it reconnects
pkill -KILL -P "$two" 2>/dev/null

{ echo "listen on $ADDR port $PORT2"; body; } | tgt_conf
check "reload with the listener back" timeout 20 "$CTL" -s "$SOCK" reload
back() { timeout 10 iscsi-inq "$URL2/$IQN/1" | grep -q '^Peripheral'; }
wait_for 10 back && ok "the listener serves again" || fail "the listener serves again"
master_alive && ok "master still running" || fail "master still running"
