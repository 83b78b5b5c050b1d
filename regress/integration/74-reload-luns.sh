#!/usr/bin/env bash
# Reload that changes the LUNs of a target that stays: LUN 2 is removed
# and LUN 3 added while a session writes and reads LUN 1.  The session
# sees no error; every I_T nexus gets REPORTED LUNS DATA HAS CHANGED
# (3F/0E) once on LUN 1 (checked byte by byte by lun_probe.py); the
# removed LUN answers new commands with LOGICAL UNIT NOT SUPPORTED at
# once, but a READ in flight on it (its process held with SIGSTOP over
# the reload) completes GOOD, and its process goes after the drain
# timeout.  Then the target-ready race: a
# reload adds a target and an initiator logs in at once, again and again:
# its LUN is there from the first command on.
. "$(dirname "$0")/../lib/common.sh"
need_bin tgtctl
CTL=$BIN/tgtctl
DRAIN=5

mkdisk "$T/d1.img" 16M
mkdisk "$T/d2.img" 16M
mkdisk "$T/d3.img" 16M
mkdisk "$T/r.img" 16M
body() {	# $1 $2: the LUNs besides LUN 1; then extra targets
	echo "drain timeout $DRAIN"
	cat <<-EOF2
	target "$IQN" {
		allow all
		lun 1 disk "$T/d1.img"
		$1
	}
	EOF2
	shift
	for t in "$@"; do
		cat <<-EOF2
		target "$IQN-$t" {
			allow all
			lun 1 disk "$T/r.img"
		}
		EOF2
	done
}
body "lun 2 disk \"$T/d2.img\"" | tgt_conf
tgt_start || exit 1

lun2_pid=$(timeout 10 "$CTL" -s "$SOCK" -j show luns |
    jq -r ".[] | select(.target == \"$IQN\" and .lun == 2) | .pid")
[ -n "$lun2_pid" ] && [ "$lun2_pid" != 0 ] &&
    ok "LUN 2's tgt-lun runs (pid $lun2_pid)" ||
    fail "LUN 2's tgt-lun runs (pid '$lun2_pid')"
# The reader/writer on LUN 1: 40 rounds of write pattern, pause, read
# and verify over one session (about 4 s).  qemu's iSCSI driver retries
# a command that gets a unit attention, as every initiator must.
{
	for i in $(seq 0 39); do
		p=$(( (i * 37 + 1) % 255 + 1 ))
		printf '%s\n' -c "write -P $p $((i * 262144)) 256k" \
		    -c "sleep 100" -c "read -P $p $((i * 262144)) 256k"
	done
} > "$T/cmds"
writer=
if command -v qemu-io > /dev/null; then
	mapfile -t args < "$T/cmds"
	timeout 120 qemu-io --image-opts \
	    "driver=iscsi,transport=tcp,portal=$ADDR:$PORT,target=$IQN,lun=1,initiator-name=$IQN-writer" \
	    "${args[@]}" > "$T/qemu.out" 2>&1 &
	writer=$!
	bg $writer
else
	skip "qemu-io is not installed: no I/O session through the reload"
fi
timeout -s KILL 90 python3 "$top/regress/lib/lun_probe.py" luns "$ADDR" \
    "$PORT" "$IQN" "$T" > "$T/probe.out" 2>&1 &
probe=$!
bg $probe
probe_ready() { grep -q '^# ready' "$T/probe.out"; }
wait_for 15 probe_ready || { note "the raw probe is not ready"; indent "$T/probe.out"; }
sleep 1
# LUN 2's process holds the probe's READ over the reload.
kill -STOP "$lun2_pid"
touch "$T/stopped"
probe_sent() { grep -q '^# sent' "$T/probe.out"; }
wait_for 15 probe_sent || note "the probe did not send its READ"

body "lun 3 disk \"$T/d3.img\"" | tgt_conf
check "tgtctl reload: LUN 2 removed, LUN 3 added" \
    timeout 20 "$CTL" -s "$SOCK" reload
kill -0 "$lun2_pid" 2>/dev/null &&
    ok "the removed LUN's tgt-lun drains (still running after the reload)" ||
    fail "the removed LUN's tgt-lun drains (still running after the reload)"
# (logged once the added LUN is ready: the 3F/0E waits for it)
wait_for 10 grep -qF "target $IQN: LUNs changed" "$LOG" &&
    ok "the master logged the changed LUN inventory" ||
    fail "the master logged the changed LUN inventory"
touch "$T/reloaded"
probe_checked() { grep -q '^# checked' "$T/probe.out"; }
wait_for 15 probe_checked || note "the probe did not check LUN 2"
kill -CONT "$lun2_pid"
touch "$T/continued"
wait "$probe"
prc=$?
while read -r st rest; do
	case $st in
	ok)	ok "raw initiator: ${rest#lun-probe: }" ;;
	FAIL)	fail "raw initiator: ${rest#lun-probe: }" ;;
	esac
done < <(grep -E '^(ok|FAIL) ' "$T/probe.out")
[ $prc -eq 0 ] && ok "raw initiator: exits 0" ||
    { fail "raw initiator: exits 0 (exit $prc)"; grep -vE '^(ok|#) ' "$T/probe.out" | INDENT_MAX=15 indent; }
lun2_gone() { ! kill -0 "$lun2_pid" 2>/dev/null; }
if wait_for $((DRAIN + 10)) lun2_gone; then
	ok "the removed LUN's tgt-lun exits after the drain timeout"
else
	fail "the removed LUN's tgt-lun exits after the drain timeout"
fi
grep -qE "tgt-lun\[$IQN/2\]: removed, draining for $DRAIN s" "$LOG" &&
    ok "the master logged the LUN's drain" ||
    fail "the master logged the LUN's drain"
if [ -n "$writer" ]; then
	wait "$writer"
	rc=$?
	if [ $rc -eq 0 ] && ! grep -qiE 'fail|error|mismatch|abort' "$T/qemu.out"; then
		ok "a session writing and reading LUN 1 through the reload sees no error"
	else
		fail "a session writing and reading LUN 1 through the reload sees no error (exit $rc)"
		grep -iE 'fail|error|mismatch|abort' "$T/qemu.out" | INDENT_MAX=10 indent
	fi
	n=$(grep -c '^read 262144/262144 bytes' "$T/qemu.out")
	[ "$n" = 40 ] && ok "every read came back verified ($n)" ||
	    fail "every read came back verified ($n of 40)"
	logins=$(grep -cE "normal session tsih [0-9]+: $IQN-writer -> " "$LOG")
	[ "$logins" = 1 ] && ok "the writer logged in once" ||
	    fail "the writer logged in once ($logins logins)"
fi
timeout 20 iscsi-ls -s "$URL" > "$T/out" 2>&1
grep -q '^Lun:3 ' "$T/out" && ! grep -q '^Lun:2 ' "$T/out" &&
    ok "iscsi-ls -s lists LUN 3 and not LUN 2" ||
    { fail "iscsi-ls -s lists LUN 3 and not LUN 2"; indent "$T/out"; }

# The target-ready race: an initiator tries to log in to a target
# again and again while a reload adds it.
added=
for i in 1 2 3 4 5 6; do
	added="$added r$i"
	# shellcheck disable=SC2086
	body "lun 3 disk \"$T/d3.img\"" $added | tgt_conf
	timeout -s KILL 40 python3 "$top/regress/lib/lun_probe.py" race \
	    "$ADDR" "$PORT" "$IQN-r$i" > "$T/race.out" 2>&1 &
	racer=$!
	sleep 0.$((i * 5))
	timeout 20 "$CTL" -s "$SOCK" reload > "$T/out" 2>&1 ||
	    { fail "race $i: reload"; indent "$T/out"; }
	wait "$racer"
	prc=$?
	if [ $prc -eq 0 ]; then
		ok "race $i: a login right after the reload finds the LUN"
	else
		fail "race $i: a login right after the reload finds the LUN"
		indent "$T/race.out"
	fi
done
master_alive && ok "master still running" || fail "master still running"
