#!/usr/bin/env bash
# The rbd backend (issue 13) on a real one-node Ceph cluster that this
# script starts once (regress/cluster/ceph.sh: one monitor, one OSD on a
# sparse file, cephx, pool size 1, 127.0.0.1 only, no manager) and stops
# at the end, whatever happens (trap).  Checks:
#	- config errors with file:line (no image, unreadable ceph-conf,
#	  no key for the user, rbd options without backend rbd)
#	- qemu-img round trips through iscsi://, and the image read back
#	  through librbd (rbd export), not through the target
#	- the LUN process: unprivileged, chrooted, seccomp, no file open
#	- libiscsi's conformance suites whose commands reach the store
#	  (thin provisioning on), with regress/cu-run.sh: no failure, noisy
#	  passes only those that regress/cu-noisy explains (the skipped
#	  tests need a 4 KiB-physical-block LUN: 40-conformance runs them)
#	- COMPARE AND WRITE raced from two sessions
#	- `rbd resize` seen as CAPACITY DATA HAS CHANGED
#	- persistent reservations (APTPL) across a restart of the suite
#	- kill -9 of the LUN process under write load: no acknowledged
#	  write lost, checked on `rbd export` of the image
#	- the cluster away (OSD stopped): writes end in a retryable NOT
#	  READY within the LUN's timeout, and work again once it is back
# Environment: CEPH_WAIT (seconds the cluster may take to come up),
# RBD_CU=0 to leave out the conformance run.
. "$(dirname "$0")/../lib/common.sh"
. "$top/regress/cluster/ceph.sh"

need_bin tgt-master
need_cmds ceph-mon ceph-osd rbd uuidgen qemu-img iscsi-test-cu

CD=$T/ceph
trap 'ceph_down "$CD"; finish' EXIT
ceph_test_up "$CD" || exit 1
RBD="timeout 60 rbd"
# layering only for the kill -9 image: with exclusive-lock, the new LUN
# process would wait for the dead one's watch to expire (30 s)
$RBD create rbd/rt --size 64M &&
    $RBD create rbd/cu --size 64M &&
    $RBD create rbd/caw --size 16M &&
    $RBD create rbd/ack --size 64M --image-feature layering &&
    $RBD create rbd/away --size 16M --image-feature layering ||
    { fail "rbd create"; exit 1; }

# configuration errors: file:line, the master refuses to start
bad() {
	local name=$1 re=$2 body=$3
	{
		conf_header
		echo "listen on $ADDR port $(free_port)"
		echo "target \"$IQN-bad\" {"
		echo "	$body"
		echo "}"
	} > "$T/bad.conf"
	check_out "config: $name" "$re" \
	    bash -c "! timeout 20 '$BIN/tgt-master' -d -f '$T/bad.conf' 2>&1"
}
bad "backend rbd needs an image" 'bad.conf:[0-9]+: LUN 1: backend rbd needs an image' \
    'lun 1 disk { backend rbd; pool "rbd" }'
bad "pool without backend rbd" 'bad.conf:[0-9]+: LUN 1: pool, namespace, image, user, ceph-conf and timeout need backend rbd' \
    "lun 1 disk \"$T/x.img\" { pool \"rbd\" }"
bad "a pool name with a slash" 'bad.conf:[0-9]+: pool "a/b": not a RADOS name' \
    'lun 1 disk { backend rbd; pool "a/b"; image "x" }'
bad "an unreadable ceph-conf" "bad.conf:[0-9]+: LUN 1 \\(backend rbd\\): $T/none.conf: No such file" \
    "lun 1 disk { backend rbd; image \"rt\"; ceph-conf \"$T/none.conf\" }"
bad "no key for the user" "bad.conf:[0-9]+: LUN 1 \\(backend rbd\\): .*no key for client.nobody" \
    "lun 1 disk { backend rbd; image \"rt\"; user \"nobody\"; ceph-conf \"$CEPH_CONF\" }"

mkdir -m 700 "$T/state"
lun() {	# N IMAGE [OPTIONS]
	echo "	lun $1 disk { backend rbd; pool \"rbd\"; image \"$2\"; ceph-conf \"$CEPH_CONF\"${3:+; $3} }"
}
{
	conf_header
	echo "state directory \"$T/state\""
	echo "listen on $ADDR port $PORT"
	echo "target \"$IQN\" {"
	echo "	allow all"
	lun 1 rt
	lun 2 cu
	lun 3 caw
	lun 4 ack
	lun 5 away "timeout 5"
	echo "}"
} > "$CONF"
tgt_start || exit 1

# round trips, and the image itself read through librbd
head -c 32M /dev/urandom > "$T/rand.img"
check "qemu-img convert rand.img -> LUN 1" \
    timeout 300 qemu-img convert -n -O raw -f raw "$T/rand.img" "$URL/$IQN/1"
check "qemu-img convert LUN 1 -> back.img" \
    timeout 300 qemu-img convert -O raw -f raw "$URL/$IQN/1" "$T/back.img"
check "read back == written" cmp -n 33554432 "$T/rand.img" "$T/back.img"
$RBD export rbd/rt "$T/export.img" > /dev/null 2>&1
check "rbd export of the image == written" cmp -n 33554432 "$T/rand.img" \
    "$T/export.img"
check "qemu-io patterns, odd sizes, FUA, flush, zeroes, discard" \
    timeout 120 qemu-io -f raw \
    -c "write -P 0xa5 0 1M" -c "write -P 0x5a 1536 7k" \
    -c "write -f -P 0x11 4M 64k" -c "aio_write -P 0x22 8M 128k" \
    -c "aio_flush" -c "flush" -c "write -z 12M 1M" -c "discard 16M 4M" \
    -c "read -P 0xa5 0 1536" -c "read -P 0x5a 1536 7k" \
    -c "read -P 0x11 4M 64k" -c "read -P 0x22 8M 128k" \
    -c "read -P 0 12M 1M" -c "read -P 0 16M 4M" \
    "$URL/$IQN/1"
if grep -qiE 'fail|mismatch|error' "$T/out"; then
	fail "qemu-io reported no error or pattern mismatch"
	indent "$T/out"
fi

check_out "tgtctl show luns: LUN 1, backend rbd, rbd:rbd/rt" \
    '[[:space:]]1[[:space:]]+rbd[[:space:]].*rbd:rbd/rt' \
    timeout 10 "$BIN/tgtctl" -s "$SOCK" show luns

# the LUN processes: sandboxed like the others, with no file open
p=$(lun_pid 1)
if [ -z "$p" ]; then
	fail "LUN 1 has a tgt-lun process"
else
	uid=$(awk '$1 == "Uid:" { print $2 }' "/proc/$p/status")
	sec=$(awk '$1 == "Seccomp:" { print $2 }' "/proc/$p/status")
	root=$(readlink "/proc/$p/root")
	thr=$(awk '$1 == "Threads:" { print $2 }' "/proc/$p/status")
	files=$(ls -l "/proc/$p/fd" 2>/dev/null | grep -E -- '-> /' |
	    grep -v -E "/memfd:|master.log|/dev/null|$T/state/.*\\.pr\$")
	if [ "$uid" = "$(id -u "$TGT_USER")" ] && [ "$sec" = 2 ] &&
	    [ "$root" = "$T/empty" ] && [ -z "$files" ]; then
		ok "tgt-lun[$p]: user $TGT_USER, chroot $root, seccomp filter, $thr threads, no file open but its PR state file"
	else
		fail "tgt-lun[$p]: user $TGT_USER (uid $uid), chroot (root $root), seccomp (Seccomp: $sec), no file open"
		echo "$files" | indent
	fi
	if ss -Htnp 2>/dev/null | grep "pid=$p," | grep -qv "127.0.0.1"; then
		fail "tgt-lun[$p] talks to 127.0.0.1 only"
	else
		ok "tgt-lun[$p]: its TCP connections ($(ss -Htnp 2>/dev/null | grep -c "pid=$p,")) go to 127.0.0.1 only"
	fi
fi

# COMPARE AND WRITE from two sessions
check_out "COMPARE AND WRITE raced from two sessions" '^ok rbd_probe' \
    timeout 120 python3 "$top/regress/lib/rbd_probe.py" caw "$ADDR" "$PORT" \
    "$IQN" 3 40
grep '^ok' "$T/out" | sed 's/^/# /'

# rbd resize from outside: a capacity unit attention
mkdir -p "$T/ua"
timeout 120 python3 "$top/regress/lib/rbd_probe.py" ua "$ADDR" "$PORT" \
    "$IQN" 1 "$T/ua" > "$T/ua.out" 2>&1 &
uapid=$!
bg $uapid
wait_for 30 grep -q '^# ready' "$T/ua.out"
$RBD resize rbd/rt --size 96M > /dev/null 2>&1 &&
    echo $((96 * 2048)) > "$T/ua/resized"
wait $uapid
while read -r l; do
	case $l in
	ok*)	ok "${l#ok rbd_probe: }" ;;
	FAIL*)	fail "${l#FAIL rbd_probe: }" ;;
	esac
done < "$T/ua.out"
grep -q '^ok' "$T/ua.out" || { fail "rbd resize: the probe reported"; indent "$T/ua.out"; }

# libiscsi's conformance suites, thin provisioning on: those whose
# commands reach the backing store (the others, protocol and emulation
# alone, are the same on every backend and run in 40-conformance)
CU_SUITES=
for suite in CompareAndWrite ExtendedCopy GetLBAStatus OrWrite Prefetch10 \
    Prefetch16 Read6 Read10 Read12 Read16 ReadCapacity10 ReadCapacity16 \
    Unmap Verify10 Verify12 Verify16 Write10 Write12 Write16 WriteAtomic16 \
    WriteSame10 WriteSame16 WriteVerify10 WriteVerify12 WriteVerify16 \
    ProutRegister ProutReserve iSCSIResiduals; do
	CU_SUITES="$CU_SUITES ALL.$suite"
done
if [ "${RBD_CU:-1}" = 1 ]; then
	start=$SECONDS
	timeout 1200 bash "$top/regress/cu-run.sh" -d \
	    -o "$T/cu" "$URL/$IQN/2" $CU_SUITES > "$T/cu.out" 2>&1
	note "conformance on rbd: $(tail -n 1 "$T/cu.out") in $((SECONDS - start)) s"
	# a noisy pass must be one regress/cu-noisy explains
	cu_verdicts "conformance on rbd" "$T/cu.out"
else
	skip "conformance on rbd (RBD_CU=0)"
fi

# kill -9 of the LUN process under write load: every acknowledged
# write is on the image, as librbd reads it
ack_kill 4 "$T/ack"
$RBD export rbd/ack "$T/ack.img" > /dev/null 2>&1
if python3 "$top/regress/lib/ack_verify.py" "$T/ack.img" "$T/ack/acked" \
    > "$T/verify" 2>&1; then
	ok "kill -9: no acknowledged write lost on the image ($(tail -n 1 "$T/verify"))"
else
	fail "kill -9: no acknowledged write lost on the image"
	indent "$T/verify"
fi

# the cluster away: a bounded, retryable failure, then recovery
ceph_stop_osd "$CD"
check_out "cluster away: a write ends in NOT READY within the timeout" \
    '^ok rbd_probe' timeout 120 python3 "$top/regress/lib/rbd_probe.py" \
    notready "$ADDR" "$PORT" "$IQN" 5 40
grep '^ok' "$T/out" | sed 's/^/# /'
# ... and meanwhile the LUN answers what needs no cluster: the VERIFY
# waits on the worker thread, not on the event loop
check_out "cluster away: the LUN's event loop is not blocked by a VERIFY" \
    '^ok rbd_probe.*INQUIRY' timeout 120 python3 \
    "$top/regress/lib/rbd_probe.py" loop "$ADDR" "$PORT" "$IQN" 5 40
grep '^ok' "$T/out" | sed 's/^/# /'
if ceph_start_osd "$CD"; then
	check "cluster back: writes and reads work again on LUN 5" \
	    wait_for 60 timeout 20 qemu-io -f raw -c "write -P 0x3c 0 64k" \
	    -c "read -P 0x3c 0 64k" "$URL/$IQN/5"
else
	fail "the OSD comes back"
fi

# persistent reservations across a restart of the whole suite
PR="timeout 60 python3 $top/regress/lib/pr_persist.py $ADDR $PORT $IQN 3"
check "APTPL registration and reservation on LUN 3" $PR setup
tgt_stop
tgt_start || exit 1
check "they survive a restart of the suite" wait_for 30 $PR check
check "and can be cleared" $PR clear
