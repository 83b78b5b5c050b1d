#!/usr/bin/env bash
# Reload by difference under I/O: one qemu-io session writes and reads
# back a pattern on the kept target, over a single login, while one
# reload adds a target, removes another (whose initiator gets the async
# logout request), changes the kept target's access rules and grows a
# LUN.  The session sees no error, the data is intact, the grown LUN
# reports its new capacity, and the new rules apply to new logins only.
# A broken file changes nothing.
. "$(dirname "$0")/../lib/common.sh"
need_bin tgtctl
CTL=$BIN/tgtctl
if ! command -v qemu-io > /dev/null; then
	skip "qemu-io is not installed"
	exit 0
fi

mkdisk "$T/keep.img" 32M
mkdisk "$T/grow.img" 16M
mkdisk "$T/gone.img" 16M
mkdisk "$T/new.img" 16M
INI=iqn.2026-11.org.example:writer	# the qemu-io session
OTHER=iqn.2026-11.org.example:other
PROBE=iqn.2026-11.org.example:probe	# the test's own checks

keep() {	# $1: the access rule
	cat <<-EOF2
	target "$IQN" {
		$1
		lun 1 disk "$T/keep.img"
		lun 2 disk "$T/grow.img" { backend aio }
	}
	EOF2
}
gone() {
	cat <<-EOF2
	target "$IQN-gone" {
		allow all
		lun 1 disk "$T/gone.img"
	}
	EOF2
}
new() {
	cat <<-EOF2
	target "$IQN-new" {
		allow all
		lun 1 disk "$T/new.img" { backend aio }
	}
	EOF2
}
{ keep "allow all"; gone; } | tgt_conf
tgt_start || exit 1

check_out "before: READ CAPACITY of the LUN to grow is 16 MiB" \
    '^Total size:16777216$' \
    timeout 20 iscsi-readcapacity16 -i "$OTHER" "$URL/$IQN/2"
check_out "before: the other initiator may log in" '^Peripheral' \
    timeout 20 iscsi-inq -i "$OTHER" "$URL/$IQN/1"
lun_pid=$(timeout 10 "$CTL" -s "$SOCK" -j show luns |
    jq -r ".[] | select(.target == \"$IQN\" and .lun == 1) | .pid")
portal_pid=$(children tgt-portal)

# The writer: 80 rounds of write pattern, pause, read and verify, every
# round on its own 256 KiB with its own pattern, one session throughout
# (about 8 s).  Then everything is read back and verified once more.
{
	for i in $(seq 0 79); do
		p=$(( (i * 37 + 1) % 255 + 1 ))
		echo "-c"
		echo "write -P $p $((i * 262144)) 256k"
		echo "-c"
		echo "sleep 100"
		echo "-c"
		echo "read -P $p $((i * 262144)) 256k"
	done
	for i in $(seq 0 79); do
		p=$(( (i * 37 + 1) % 255 + 1 ))
		echo "-c"
		echo "read -P $p $((i * 262144)) 256k"
	done
} > "$T/cmds"
mapfile -t args < "$T/cmds"
timeout 120 qemu-io --image-opts \
    "driver=iscsi,transport=tcp,portal=$ADDR:$PORT,target=$IQN,lun=1,initiator-name=$INI" \
    "${args[@]}" > "$T/qemu.out" 2>&1 &
writer=$!
bg $writer

# A session on the target that goes away, to watch the async logout.
timeout -s KILL 60 iscsi-perf -i "$OTHER" -m 2 -b 8 -r -t 30 \
    "$URL/$IQN-gone/1" \
    > "$T/perf.out" 2>&1 &
perf=$!
bg $perf
writer_in() {
	timeout 5 "$CTL" -s "$SOCK" show sessions | grep -qF "$INI" &&
	timeout 5 "$CTL" -s "$SOCK" show sessions | grep -qF "$IQN-gone"
}
wait_for 10 writer_in || note "sessions not seen before the reload"
# The raw initiator's view: UA on the grown LUN, async logout bytes.
timeout -s KILL 90 python3 "$top/regress/lib/reload_probe.py" "$ADDR" "$PORT" \
    "$IQN" 2 "$IQN-gone" 16777216 50331648 "$T/reloaded" > "$T/probe.out" 2>&1 &
probe=$!
bg $probe
probe_ready() { grep -q '^# ready' "$T/probe.out"; }
wait_for 15 probe_ready || { note "the raw probe is not ready"; indent "$T/probe.out"; }
tsih_before=$(timeout 5 "$CTL" -s "$SOCK" -j show sessions |
    jq -r ".[] | select(.initiator == \"$INI\") | .tsih")

# One reload: + new target, - gone target, new access rule, grown LUN.
truncate -s 48M "$T/grow.img"
{ keep "allow initiator \"$INI\"; allow initiator \"$PROBE\""; new; } |
    tgt_conf
check "tgtctl reload with every kind of change exits 0" \
    timeout 20 "$CTL" -s "$SOCK" reload
kill -0 "$writer" 2>/dev/null &&
    ok "the reload happened while the writer was still writing" ||
    fail "the reload happened while the writer was still writing"
check_out "the added target serves" '^Total size:16777216$' \
    timeout 20 iscsi-readcapacity16 -i "$PROBE" "$URL/$IQN-new/1"
check_out "the grown LUN reports its new capacity (48 MiB) online" \
    '^Total size:50331648$' \
    timeout 20 iscsi-readcapacity16 -i "$PROBE" "$URL/$IQN/2"
grep -qE "tgt-lun\[$IQN/2\]: capacity changed from 32768 to 98304 blocks" \
    "$LOG" && ok "tgt-lun logged the capacity change" ||
    fail "tgt-lun logged the capacity change"
touch "$T/reloaded"
wait "$probe"
prc=$?
while read -r st rest; do
	case $st in
	ok)	ok "raw initiator: ${rest#reload-probe: }" ;;
	FAIL)	fail "raw initiator: ${rest#reload-probe: }" ;;
	esac
done < <(grep -E '^(ok|FAIL) ' "$T/probe.out")
[ $prc -eq 0 ] && ok "raw initiator: exits 0" ||
    { fail "raw initiator: exits 0 (exit $prc)"; grep -vE '^(ok|#) ' "$T/probe.out" | INDENT_MAX=15 indent; }
timeout 20 iscsi-inq -i "$OTHER" "$URL/$IQN/1" > "$T/out" 2>&1 &&
    { fail "the new access rule refuses a new login of another initiator"; indent "$T/out"; } ||
    ok "the new access rule refuses a new login of another initiator"
state=$(timeout 5 "$CTL" -s "$SOCK" -j show targets |
    jq -r ".[] | select(.name == \"$IQN-gone\") | .state")
[ "$state" = draining ] && ok "show targets: the removed target is draining" ||
    fail "show targets: the removed target is draining (state '$state')"
asked() { grep -qF "target $IQN-gone draining: 2 connection(s) asked to log out" "$LOG"; }
wait_for 5 asked && ok "the removed target's two connections got the async logout request" ||
    fail "the removed target's two connections got the async logout request"
logged_out() { grep -qE "logout tsih [0-9]+ reason 0" "$LOG"; }
wait_for 10 logged_out && ok "its initiator logged out in response" ||
    fail "its initiator logged out in response"
target_removed() {
	! timeout 5 "$CTL" -s "$SOCK" show targets | grep -qF "$IQN-gone"
}
wait_for 15 target_removed && ok "the drained target is removed after the grace period" ||
    fail "the drained target is removed after the grace period"
# it reconnects to the gone target and ignores SIGTERM
pkill -KILL -P "$perf" 2>/dev/null
wait "$perf" 2>/dev/null

wait "$writer"
rc=$?
if [ $rc -eq 0 ] && ! grep -qiE 'fail|error|mismatch|abort' "$T/qemu.out"; then
	ok "the writer saw no error through the reload (160 writes/reads verified)"
else
	fail "the writer saw no error through the reload (exit $rc)"
	grep -iE 'fail|error|mismatch|abort' "$T/qemu.out" | INDENT_MAX=10 indent
fi
n=$(grep -c '^read 262144/262144 bytes' "$T/qemu.out")
[ "$n" = 160 ] && ok "every read came back ($n)" ||
    fail "every read came back ($n of 160)"
tsih_after=$(timeout 5 "$CTL" -s "$SOCK" -j show sessions |
    jq -r ".[] | select(.initiator == \"$INI\") | .tsih")
note "writer session tsih before the reload: $tsih_before"
logins=$(grep -cE "normal session tsih [0-9]+: $INI -> " "$LOG")
[ "$logins" = 1 ] && ok "the writer logged in once: its session was never dropped" ||
    fail "the writer logged in once: its session was never dropped ($logins logins)"
# The data, once more, from a new session of the allowed initiator.
check_out "the data is intact when read by a new session" \
    '^read 262144/262144' timeout 60 qemu-io --image-opts \
    "driver=iscsi,transport=tcp,portal=$ADDR:$PORT,target=$IQN,lun=1,initiator-name=$INI" \
    -c "read -P $(( (79 * 37 + 1) % 255 + 1 )) $((79 * 262144)) 256k"
now=$(timeout 10 "$CTL" -s "$SOCK" -j show luns |
    jq -r ".[] | select(.target == \"$IQN\" and .lun == 1) | .pid")
[ -n "$lun_pid" ] && [ "$now" = "$lun_pid" ] &&
    [ "$(children tgt-portal)" = "$portal_pid" ] &&
    ok "the kept LUN's tgt-lun and the portal kept running (pids $lun_pid $portal_pid)" ||
    fail "the kept LUN's tgt-lun and the portal kept running ($lun_pid/$now, $portal_pid/$(children tgt-portal))"

# A broken file: nothing changes, tgtctl says where.
cp "$CONF" "$T/good.conf"
{ keep "allow all"; gone; new; echo "target {"; } | tgt_conf
timeout 20 "$CTL" -s "$SOCK" reload > "$T/out" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -qE "tgt.conf:[0-9]+: " "$T/out" &&
    ok "a broken file: reload fails with file:line: ($(head -n 1 "$T/out"))" ||
    { fail "a broken file: reload fails with file:line: (exit $rc)"; indent "$T/out"; }
timeout 10 "$CTL" -s "$SOCK" -j show targets > "$T/targets.json"
[ "$(jq -r '.[].name' "$T/targets.json" | sort | tr '\n' ' ')" = "$IQN $IQN-new " ] &&
    ok "a broken file: the targets are those of the last good file" ||
    { fail "a broken file: the targets are those of the last good file"; indent "$T/targets.json"; }
timeout 20 iscsi-inq -i "$OTHER" "$URL/$IQN/1" > "$T/out" 2>&1 &&
    { fail "a broken file: the access rule stays"; indent "$T/out"; } ||
    ok "a broken file: the access rule stays"
check_out "a broken file: the targets serve on" '^Peripheral' \
    timeout 20 iscsi-inq -i "$PROBE" "$URL/$IQN-new/1"
master_alive && ok "master still running" || fail "master still running"
