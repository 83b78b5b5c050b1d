#!/usr/bin/env bash
# Hostile input against the real daemons: every malformed PDU of the
# corpus (regress/corpus/cases.py) is replayed over TCP by
# regress/corpus/replay.py, which checks the answers where RFC 7143 says
# what they must be (Reject reasons, login status class and detail, a
# dropped connection for header garbage).  Meanwhile a normal session
# (qemu-io writing and verifying patterns, in a loop) and discovery/INQUIRY
# loops run against the same portal and must see no error.  Afterwards the
# portal is the same process and the daemons' log has no sanitizer report.
. "$(dirname "$0")/../lib/common.sh"

need_bin tgt-master
if ! command -v python3 > /dev/null; then
	skip "python3 is not installed"
	exit 0
fi

mkdisk "$T/d0.img" 64M
mkdisk "$T/d1.img" 64M
tgt_conf <<EOF2
target "$IQN" {
	allow all
	lun 0 disk "$T/d0.img"
	lun 1 disk "$T/d1.img"
}
EOF2
tgt_start || exit 1

portal=$(children tgt-portal)
if [ "$(echo "$portal" | wc -w)" -ne 1 ]; then
	fail "one tgt-portal runs (got: ${portal:-none})"
	exit 1
fi

# The bystanders: each loop runs until $T/stop exists and appends one
# line per round, "ok" or "FAIL rc", to its log.
bystander() {
	local name=$1 rc
	shift
	while [ ! -e "$T/stop" ]; do
		timeout 60 "$@" >> "$T/$name.out" 2>&1
		rc=$?
		if [ $rc -eq 0 ]; then
			echo ok >> "$T/$name.log"
		else
			echo "FAIL $rc" >> "$T/$name.log"
		fi
	done
}
: > "$T/qemu.log"
: > "$T/inq.log"
: > "$T/ls.log"
if command -v qemu-io > /dev/null; then
	bystander qemu qemu-io -f raw \
	    -c "write -P 0x5a 0 1M" -c "aio_write -P 0x3c 2M 256k" \
	    -c "aio_flush" -c "read -P 0x5a 0 1M" -c "read -P 0x3c 2M 256k" \
	    "$URL/$IQN/1" &
	bg $!
fi
bystander inq iscsi-inq "$URL/$IQN/1" &
bg $!
bystander ls iscsi-ls "$URL" &
bg $!

timeout 600 python3 "$top/regress/corpus/replay.py" -t "$TEST" \
    "$ADDR" "$PORT" "$IQN" > "$T/replay.out" 2>&1
rc=$?
cat "$T/replay.out"
if [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$T/replay.out"; then
	fail "replay.py exits 0 (exit $rc)"
fi

touch "$T/stop"
for pid in $BGPIDS; do
	wait "$pid"
done
BGPIDS=

# qemu-io prints "Pattern verification failed" and still exits 0.
if grep -qiE 'fail|mismatch|error' "$T/qemu.out" 2>/dev/null; then
	echo "FAIL qemu" >> "$T/qemu.log"
fi
for b in qemu inq ls; do
	n=$(grep -c . "$T/$b.log")
	bad=$(grep -c '^FAIL' "$T/$b.log")
	if [ "$b" = qemu ] && ! command -v qemu-io > /dev/null; then
		skip "bystander qemu-io: not installed"
	elif [ "$n" -gt 0 ] && [ "$bad" -eq 0 ]; then
		ok "bystander $b: $n rounds during the replay, no error"
	else
		fail "bystander $b: $n rounds during the replay, $bad failed"
		indent "$T/$b.out"
	fi
done

if [ "$(children tgt-portal)" = "$portal" ]; then
	ok "the portal survived: same pid $portal"
else
	fail "the portal survived: pid $portal," \
	    "now $(children tgt-portal | xargs)"
	grep -iE 'exited|signal|restart' "$LOG" | indent
fi
check "a new session logs in after the replay" timeout 20 iscsi-inq \
    "$URL/$IQN/1"
