#!/usr/bin/env bash
# Tape drives (tgt-lun/ssc.c) on cartridges of the media directory:
# tgtctl creates the cartridges, the master opens them and hands them to
# the drives' processes.  A raw initiator checks the SSC commands byte
# by byte (regress/lib/tape_probe.py basic: sense, residuals, READ
# POSITION forms, filemarks, the empty drive, DATA PROTECT, the 28/00 of
# a load), and tgtctl drive load/unload (tape_probe.py medium).  Then
# crash consistency: a writer streams blocks and
# filemarks to the drive, its tgt-lun is killed with SIGKILL in the
# middle, the master restarts it, and after a rewind every acknowledged
# block reads back, followed by end of data; the same after a SIGKILL of
# the whole suite and a fresh start.
. "$(dirname "$0")/../lib/common.sh"
need_bin tgtctl
CTL=$BIN/tgtctl
PROBE=$top/regress/lib/tape_probe.py
MEDIA=$T/media
mkdir -m 700 "$MEDIA"

check_out "tgtctl cartridge create: a data cartridge" "$MEDIA/TAPE01L5" \
    "$CTL" cartridge create TAPE01L5 size 256M directory "$MEDIA"
check "tgtctl cartridge create: a write-protected one" \
    "$CTL" cartridge create WP01 size 16M write-protect directory "$MEDIA"
if "$CTL" cartridge create ../evil directory "$MEDIA" > "$T/out" 2>&1; then
	fail "tgtctl cartridge create refuses a barcode that is a path"
else
	ok "tgtctl cartridge create refuses a barcode that is a path"
fi

tgt_conf <<EOF
media directory "$MEDIA"
target "$IQN" {
	allow all
	lun 0 tape {
		cartridge "TAPE01L5"
		serial "DRV0001"
	}
	lun 1 tape {
		serial "DRV0002"
	}
	lun 2 tape {
		cartridge "WP01"
		serial "DRV0003"
	}
}
EOF
check "tgt-master -n accepts tape drives" "$BIN/tgt-master" -n -f "$CONF"
tgt_start || exit 1

check_out "tgtctl show luns lists the three drives" \
    "TAPE01L5" "$CTL" -s "$SOCK" show luns
timeout -s KILL 120 python3 "$PROBE" basic "$ADDR" "$PORT" "$IQN" \
    > "$T/basic.out" 2>&1
grep -E '^(ok|FAIL) ' "$T/basic.out" | sed -e "s/^ok tape-probe: /ok $TEST: /" \
    -e "s/^FAIL tape-probe: /FAIL $TEST: /" > "$T/basic.res"
npass=$((npass + $(grep -c '^ok ' "$T/basic.res")))
nfail=$((nfail + $(grep -c '^FAIL ' "$T/basic.res")))
cat "$T/basic.res"
grep -vE '^(ok|FAIL) ' "$T/basic.out" | indent
[ -s "$T/basic.res" ] || fail "the basic probe printed nothing"

# tgtctl drive load/unload: a cartridge into the empty drive (LUN 1)
# while a session uses it, and out again once removal is allowed.
check "tgtctl cartridge create: a spare" \
    "$CTL" cartridge create SPARE01 size 32M directory "$MEDIA"
timeout -s KILL 120 python3 "$PROBE" medium "$ADDR" "$PORT" "$IQN" "$T" \
    > "$T/medium.out" 2>&1 &
mprobe=$!
bg $mprobe
in_out() { grep -q "^# $1" "$T/medium.out"; }
wait_for 20 in_out ready || note "the medium probe is not ready"
check "tgtctl drive load puts SPARE01 in the empty drive" \
    "$CTL" -s "$SOCK" drive load "$IQN" 1 SPARE01
if "$CTL" -s "$SOCK" drive load "$IQN" 2 TAPE01L5 > "$T/out" 2>&1; then
	fail "tgtctl drive load refuses a drive that holds a cartridge"
else
	ok "tgtctl drive load refuses a drive that holds a cartridge"
fi
check_out "tgtctl show luns: LUN 1 holds SPARE01" "$MEDIA/SPARE01" \
    "$CTL" -s "$SOCK" show luns
touch "$T/loaded"
wait_for 20 in_out prevented || note "the medium probe did not prevent removal"
if "$CTL" -s "$SOCK" drive unload "$IQN" 1 > "$T/out" 2>&1; then
	fail "tgtctl drive unload refused while removal is prevented"
else
	grep -q "prevented" "$T/out" &&
	    ok "tgtctl drive unload refused while removal is prevented" ||
	    { fail "tgtctl drive unload refused: says why"; indent "$T/out"; }
fi
touch "$T/refused"
wait_for 20 in_out allowed || note "the medium probe did not allow removal"
check "tgtctl drive unload takes SPARE01 out" \
    "$CTL" -s "$SOCK" drive unload "$IQN" 1
touch "$T/unloaded"
wait "$mprobe"
sed -e "s/^ok tape-probe: /ok $TEST: /" -e "s/^FAIL tape-probe: /FAIL $TEST: /" \
    "$T/medium.out" | grep -E '^(ok|FAIL) ' > "$T/medium.res"
npass=$((npass + $(grep -c '^ok ' "$T/medium.res")))
nfail=$((nfail + $(grep -c '^FAIL ' "$T/medium.res")))
cat "$T/medium.res"
grep -vE '^(ok|FAIL|# (ready|prevented|allowed))' "$T/medium.out" | indent
check_out "tgtctl cartridge list: SPARE01 holds the block" \
    "SPARE01 +data +no +33554432 +4128 +1 " \
    "$CTL" cartridge list directory "$MEDIA"

# tgtctl cartridge import of a Linux tgt tape file, then it serves.
python3 "$PROBE" mktgt "$T/tgt.img" TGTIMP01
check_out "tgtctl cartridge import: a Linux tgt tape file" \
    "TGTIMP01: 3 blocks, 1 filemarks" \
    "$CTL" cartridge import "$T/tgt.img" directory "$MEDIA"
printf 'not a tape' > "$T/junk.img"
if "$CTL" cartridge import "$T/junk.img" barcode JUNK directory "$MEDIA" \
    > "$T/out" 2>&1 || [ -e "$MEDIA/JUNK" ]; then
	fail "tgtctl cartridge import refuses what is not a tgt tape file"
else
	ok "tgtctl cartridge import refuses what is not a tgt tape file"
fi
check "tgtctl drive load: the imported cartridge" \
    "$CTL" -s "$SOCK" drive load "$IQN" 1 TGTIMP01
timeout -s KILL 60 python3 "$PROBE" imported "$ADDR" "$PORT" "$IQN" 1 \
    > "$T/imp.out" 2>&1
sed -e "s/^ok tape-probe: /ok $TEST: /" -e "s/^FAIL tape-probe: /FAIL $TEST: /" \
    "$T/imp.out" | grep -E '^(ok|FAIL) ' > "$T/imp.res"
npass=$((npass + $(grep -c '^ok ' "$T/imp.res")))
nfail=$((nfail + $(grep -c '^FAIL ' "$T/imp.res")))
cat "$T/imp.res"
grep -vE '^(ok|FAIL) ' "$T/imp.out" | indent
[ -s "$T/imp.res" ] || fail "the import probe printed nothing"
# a drive restarted after a crash holds what tgtctl put in it
lun_pid() {
	timeout 10 "$CTL" -s "$SOCK" -j show luns |
	    jq -r ".[] | select(.target == \"$IQN\" and .lun == $1) | .pid"
}
old1=$(lun_pid 1)
[ -n "$old1" ] && [ "$old1" != 0 ] && kill -KILL "$old1"
restarted1() { p=$(lun_pid 1); [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$old1" ]; }
if wait_for 15 restarted1; then
	ok "SIGKILL of LUN 1's tgt-lun: restarted"
else
	fail "SIGKILL of LUN 1's tgt-lun: restarted"
fi
timeout -s KILL 60 python3 "$PROBE" imported "$ADDR" "$PORT" "$IQN" 1 \
    > "$T/imp2.out" 2>&1
if grep -q '^ok ' "$T/imp2.out" && ! grep -q '^FAIL ' "$T/imp2.out"; then
	ok "the restarted drive still holds the cartridge tgtctl loaded"
else
	fail "the restarted drive still holds the cartridge tgtctl loaded"
	indent "$T/imp2.out"
fi
check "tgtctl drive unload: the imported cartridge" \
    "$CTL" -s "$SOCK" drive unload "$IQN" 1

lun0_pid() {
	timeout 10 "$CTL" -s "$SOCK" -j show luns |
	    jq -r ".[] | select(.target == \"$IQN\" and .lun == 0) | .pid"
}

# write_and_crash WHAT KILLCMD: stream blocks, kill, return the acked count
acked_after() {
	tail -n 1 "$T/acked" 2>/dev/null || echo 0
}
enough_acked() { [ "$(acked_after)" -ge "$1" ]; }

# 1. SIGKILL of the drive's process in the middle of writes.
: > "$T/acked"
timeout -s KILL 120 python3 "$PROBE" write "$ADDR" "$PORT" "$IQN" \
    "$T/acked" > "$T/write.out" 2>&1 &
writer=$!
bg $writer
old=$(lun0_pid)
if wait_for 30 enough_acked 200 && [ -n "$old" ] && [ "$old" != 0 ]; then
	kill -KILL "$old"
	ok "SIGKILL of the drive's tgt-lun (pid $old) after $(acked_after) blocks"
else
	fail "the writer got 200 blocks acknowledged (pid '$old')"
	indent "$T/write.out"
fi
wait_for 30 sh -c "! kill -0 $writer 2>/dev/null"
restarted() { p=$(lun0_pid); [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$old" ]; }
if wait_for 15 restarted; then
	ok "the master restarted the drive's tgt-lun"
else
	fail "the master restarted the drive's tgt-lun"
fi
acked=$(acked_after)
note "acknowledged before the kill: $acked blocks"
indent "$T/write.out"
timeout -s KILL 120 python3 "$PROBE" verify "$ADDR" "$PORT" "$IQN" \
    "$acked" > "$T/verify.out" 2>&1
sed -e "s/^ok tape-probe: /ok $TEST: drive killed: /" \
    -e "s/^FAIL tape-probe: /FAIL $TEST: drive killed: /" \
    "$T/verify.out" | grep -E '^(ok|FAIL) ' > "$T/verify.res"
npass=$((npass + $(grep -c '^ok ' "$T/verify.res")))
nfail=$((nfail + $(grep -c '^FAIL ' "$T/verify.res")))
cat "$T/verify.res"
grep -vE '^(ok|FAIL) ' "$T/verify.out" | indent
[ -s "$T/verify.res" ] || fail "the verify probe printed nothing"

# 2. SIGKILL of the whole suite in the middle of writes, then a start.
: > "$T/acked"
timeout -s KILL 120 python3 "$PROBE" write "$ADDR" "$PORT" "$IQN" \
    "$T/acked" > "$T/write2.out" 2>&1 &
writer=$!
bg $writer
if wait_for 30 enough_acked 150; then
	kids=$(children)
	kill -KILL "$MASTER" $kids 2>/dev/null
	wait "$MASTER" 2>/dev/null
	MASTER=
	ok "SIGKILL of the whole suite after $(acked_after) blocks"
else
	fail "the writer got 150 blocks acknowledged"
	indent "$T/write2.out"
fi
wait_for 30 sh -c "! kill -0 $writer 2>/dev/null"
acked=$(acked_after)
note "acknowledged before the kill: $acked blocks"
rm -f "$SOCK"
check_out "tgtctl cartridge list: the cartridge is whole" \
    "TAPE01L5 +data +no +268435456" "$CTL" cartridge list directory "$MEDIA"
tgt_start || exit 1
timeout -s KILL 120 python3 "$PROBE" verify "$ADDR" "$PORT" "$IQN" \
    "$acked" > "$T/verify2.out" 2>&1
sed -e "s/^ok tape-probe: /ok $TEST: suite killed: /" \
    -e "s/^FAIL tape-probe: /FAIL $TEST: suite killed: /" \
    "$T/verify2.out" | grep -E '^(ok|FAIL) ' > "$T/verify2.res"
npass=$((npass + $(grep -c '^ok ' "$T/verify2.res")))
nfail=$((nfail + $(grep -c '^FAIL ' "$T/verify2.res")))
cat "$T/verify2.res"
grep -vE '^(ok|FAIL) ' "$T/verify2.out" | indent
[ -s "$T/verify2.res" ] || fail "the verify probe printed nothing"

check_out "tgtctl -j cartridge list: loads counted" \
    '"barcode":"TAPE01L5".*"loads":[3-9]' \
    "$CTL" -j cartridge list directory "$MEDIA"

# A reload that changes a drive replaces it at once (no drain: the new
# process opens the same cartridge); the others keep running.
old2=$(lun_pid 2)
old0=$(lun_pid 0)
sed -i 's/serial "DRV0003"/serial "DRV0033"/' "$CONF"
check "tgtctl reload with a drive changed" "$CTL" -s "$SOCK" reload
replaced2() { p=$(lun_pid 2); [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$old2" ]; }
if wait_for 10 replaced2 && [ "$(lun_pid 0)" = "$old0" ]; then
	ok "reload: the changed drive was replaced, LUN 0 kept"
else
	fail "reload: the changed drive was replaced, LUN 0 kept"
fi
if wait_for 10 sh -c "! kill -0 $old2 2>/dev/null"; then
	ok "reload: the replaced drive's process is gone"
else
	fail "reload: the replaced drive's process is gone"
fi
check_out "reload: the new drive holds WP01" "$MEDIA/WP01" \
    "$CTL" -s "$SOCK" show luns
finish
