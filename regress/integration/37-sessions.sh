#!/usr/bin/env bash
# Several sessions at once under load, bounded: 8 initiators (each its
# own session, half of them with HeaderDigest=CRC32C) on two LUNs run
# write/read-verify loops over their own ranges while iscsi-perf keeps
# 4 more sessions busy; then every range is verified once more from a
# fresh session, and the raw initiator runs reads and writes over a
# session with two connections at the same time.
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
tgt_start || { finish; exit; }

LOOPS=${LOAD_LOOPS:-4}

# worker I: LOOPS rounds of writing pattern (I, round) over its 8 MiB
# range (two requests in flight), reading it back with verification.
worker() {
	local i=$1 lun=$(( ($1 % 2) + 1 )) off=$(( ($1 / 2) * 8 )) r pat opts
	opts="driver=iscsi,transport=tcp,portal=$ADDR:$PORT,target=$IQN,lun=$lun,initiator-name=$IQN-w$i"
	[ $((i % 2)) -eq 0 ] && opts="$opts,header-digest=crc32c"
	for r in $(seq 1 "$LOOPS"); do
		pat=$(( (i * 16 + r) % 255 + 1 ))
		qemu-io --image-opts -c "write -P $pat ${off}M 4M" \
		    -c "aio_write -P $pat $((off + 4))M 2M" \
		    -c "aio_write -P $pat $((off + 6))M 2M" -c aio_flush \
		    -c "read -P $pat ${off}M 8M" \
		    -c "read -P $pat $((off + 2))M 64k" \
		    "$opts" || return 1
	done
}

pids=
for i in 1 2 3 4; do
	lun=$(( (i % 2) + 1 ))
	timeout 60 iscsi-perf -i "$IQN-perf$i" -m 16 -b 8 -r -t 6 \
	    "$URL/$IQN/$lun" > "$T/perf$i" 2>&1 &
	pids="$pids $!"
done
wpids=
for i in 0 1 2 3 4 5 6 7; do
	timeout 180 bash -c "$(declare -f worker); ADDR=$ADDR PORT=$PORT \
	    IQN=$IQN LOOPS=$LOOPS worker $i" > "$T/w$i" 2>&1 &
	wpids="$wpids $!"
done
i=0 wok=0
for p in $wpids; do
	if wait "$p" && ! grep -qiE 'fail|error|pattern' "$T/w$i"; then
		wok=$((wok + 1))
	else
		note "worker $i:"
		indent "$T/w$i"
	fi
	i=$((i + 1))
done
[ $wok -eq 8 ] && ok "8 sessions on 2 LUNs: $LOOPS write/read-verify rounds each, no error" ||
    fail "8 sessions on 2 LUNs: $wok of 8 workers ended well"
i=0 pok=0
for p in $pids; do
	i=$((i + 1))
	wait "$p"
	rc=$?
	iops=$(tr '\r' '\n' < "$T/perf$i" | awk '/^iops average/ { v = $3 } END { print v + 0 }')
	if [ $rc -eq 0 ] && [ "$iops" -gt 0 ] &&
	    ! grep -qiE 'error|failed|reconnect' "$T/perf$i"; then
		pok=$((pok + 1))
	else
		tr '\r' '\n' < "$T/perf$i" | tail -n 5 | indent
	fi
done
[ $pok -eq 4 ] && ok "4 iscsi-perf sessions alongside: no error" ||
    fail "4 iscsi-perf sessions alongside: $pok of 4 ended well"

# Everything once more, from one fresh session per LUN.
vok=1
for i in 0 1 2 3 4 5 6 7; do
	lun=$(( (i % 2) + 1 )) off=$(( (i / 2) * 8 ))
	pat=$(( (i * 16 + LOOPS) % 255 + 1 ))
	timeout 60 qemu-io -f raw -c "read -P $pat ${off}M 8M" \
	    "$URL/$IQN/$lun" > "$T/v$i" 2>&1 &&
	    ! grep -qiE 'fail|error|pattern' "$T/v$i" || { vok=0; indent "$T/v$i"; }
done
[ $vok -eq 1 ] && ok "every range holds its last pattern" ||
    fail "every range holds its last pattern"

# The raw initiator: two connections of one session, while loaded.
if command -v python3 > /dev/null; then
	timeout 120 python3 "$top/regress/lib/iscsi_raw.py" "$ADDR" "$PORT" \
	    "$IQN" mcs > "$T/raw" 2>&1 &
	rp=$!
	timeout 30 iscsi-perf -i "$IQN-perf9" -m 32 -b 8 -r -t 4 \
	    "$URL/$IQN/2" > /dev/null 2>&1
	wait $rp
	rc=$?
	cat "$T/raw"
	npass=$((npass + $(grep -c '^ok ' "$T/raw")))
	nfail=$((nfail + $(grep -c '^FAIL ' "$T/raw")))
	[ $rc -le 1 ] || fail "iscsi_raw.py ended with status $rc"
else
	skip "python3 not installed: no MC/S under load"
fi
grep -qi "bad completion\|corrupt\|out of memory" "$LOG" &&
    fail "the daemons' log is clean" || ok "the daemons' log is clean"
finish
