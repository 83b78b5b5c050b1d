#!/usr/bin/env bash
# Many commands in flight: several sessions at once, deep queues (past the
# CmdSN window), large requests split by the initiator, writes to distinct
# regions from parallel sessions verified afterwards.  Bounded: a few
# seconds per step.
. "$(dirname "$0")/../lib/common.sh"

mkdisk "$T/d1.img" 128M
mkdisk "$T/d2.img" 128M
tgt_conf <<EOF2
target "$IQN" {
	allow all
	lun 1 disk "$T/d1.img" { backend rdwr }
	lun 2 disk "$T/d2.img" { backend aio }
}
EOF2
tgt_start || exit 1

# perf NAME QD BLOCKS [-r] LUN: a 3 s iscsi-perf run that must end well
# with a non-zero rate.
perf_ok() {
	local f=$1 iops
	iops=$(tr '\r' '\n' < "$f" | awk '/^iops average/ { v = $3 } END { print v + 0 }')
	[ "$iops" -gt 0 ] && ! grep -qiE 'error|failed|reconnect' "$f"
}
for lun in 1 2; do
	timeout 30 iscsi-perf -m 32 -b 8 -r -t 3 "$URL/$IQN/$lun" > "$T/perf" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && perf_ok "$T/perf"; then
		ok "LUN $lun: iscsi-perf 4K random, 32 in flight ($(tr '\r' '\n' < "$T/perf" | grep '^iops average' | tail -n 1 | sed 's/ *$//'))"
	else
		fail "LUN $lun: iscsi-perf 4K random, 32 in flight (exit $rc)"
		tr '\r' '\n' < "$T/perf" | tail -n 5 | indent
	fi
done
# More requests than the CmdSN window allows: the initiator must wait.
timeout 30 iscsi-perf -m 512 -b 8 -r -t 3 "$URL/$IQN/1" > "$T/perf" 2>&1
rc=$?
if [ $rc -eq 0 ] && perf_ok "$T/perf"; then
	ok "512 requests queued past the CmdSN window"
else
	fail "512 requests queued past the CmdSN window (exit $rc)"
	tr '\r' '\n' < "$T/perf" | tail -n 5 | indent
fi
# Large sequential requests (1 MiB) and several sessions at once.
pids=
for i in 1 2 3 4; do
	lun=$(( (i % 2) + 1 ))
	timeout 30 iscsi-perf -i "$IQN-ini$i" -m 8 -b 2048 -t 3 \
	    "$URL/$IQN/$lun" > "$T/perf$i" 2>&1 &
	pids="$pids $!"
done
i=0
for p in $pids; do
	i=$((i + 1))
	wait "$p"
	rc=$?
	if [ $rc -eq 0 ] && perf_ok "$T/perf$i"; then
		ok "session $i of 4 at once: 1 MiB sequential reads"
	else
		fail "session $i of 4 at once: 1 MiB sequential reads (exit $rc)"
		tr '\r' '\n' < "$T/perf$i" | tail -n 5 | indent
	fi
done

# Parallel writers to distinct regions, larger than one burst (the
# initiator splits them), then every region read back in one pass.
pids=
for i in 1 2 3 4; do
	off=$(( (i - 1) * 24 ))
	timeout 120 qemu-io -f raw -c "write -P $((0x30 + i)) ${off}M 24M" \
	    -c "aio_write -P $((0x40 + i)) $((off + 1))M 4k" -c aio_flush \
	    "$URL/$IQN/2" > "$T/w$i" 2>&1 &
	pids="$pids $!"
done
i=0 wok=1
for p in $pids; do
	i=$((i + 1))
	wait "$p" && ! grep -qiE 'fail|error' "$T/w$i" || { wok=0; indent "$T/w$i"; }
done
[ $wok = 1 ] && ok "4 parallel sessions write 24 MiB each" ||
    fail "4 parallel sessions write 24 MiB each"
args=()
for i in 1 2 3 4; do
	off=$(( (i - 1) * 24 ))
	args+=(-c "read -P $((0x30 + i)) ${off}M 1M")
	args+=(-c "read -P $((0x40 + i)) $((off + 1))M 4k")
	args+=(-c "read -P $((0x30 + i)) $(( (off + 1) * 1048576 + 4096 )) $((23 * 1024 - 4))k")
done
check "every region reads back its own pattern" \
    timeout 120 qemu-io -f raw "${args[@]}" "$URL/$IQN/2"
grep -q 'verification failed' "$T/out" && { fail "patterns verified"; indent "$T/out"; }
master_alive && ok "master still running" || fail "master still running"
