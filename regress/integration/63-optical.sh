#!/usr/bin/env bash
# DVD drives (tgt-lun/mmc.c) with a raw initiator, byte by byte
# (regress/lib/mmc_probe.py): identification, reads of the image, the
# sense of a write to a DVD-ROM, of the empty drive and of an eject while
# another I_T nexus prevents removal, the tray's unit attention and
# media events; then tgtctl drive load|unload of an image of the media
# directory into the empty drive while a session uses it (a refused
# unload is an eject request); a blank DVD+R refuses a write away from
# its next writable address.
. "$(dirname "$0")/../lib/common.sh"
need_bin tgtctl
CTL=$BIN/tgtctl
PROBE=$top/regress/lib/mmc_probe.py
MEDIA=$T/media
mkdir -m 755 "$MEDIA"

# block n of the image is filled with n & 0xff
python3 -c '
import sys
with open(sys.argv[1], "wb") as f:
    for n in range(int(sys.argv[2])):
        f.write(bytes([n & 0xff]) * 2048)
' "$MEDIA/disc.iso" 256
python3 -c '
import sys
with open(sys.argv[1], "wb") as f:
    f.write(bytes(2048 * int(sys.argv[2]) + 100))
' "$MEDIA/spare.iso" 300

tgt_conf <<EOF
media directory "$MEDIA"
target "$IQN" {
	allow all
	lun 0 optical "disc.iso" { serial "DVD0001" }
	lun 1 optical { serial "DVD0002" }
	lun 2 optical "blank.dvd" { serial "DVD0003" }
}
EOF
check "tgtctl disc create: a blank DVD+R" \
    "$CTL" disc create blank.dvd type dvd+r size 1M directory "$MEDIA"
check "tgt-master -n accepts optical drives" "$BIN/tgt-master" -n -f "$CONF"
tgt_start || exit 1
check_out "tgtctl show luns: LUN 0 holds disc.iso" "$MEDIA/disc.iso" \
    "$CTL" -s "$SOCK" show luns

probe_res() {
	sed -e "s/^ok mmc-probe: /ok $TEST: /" \
	    -e "s/^FAIL mmc-probe: /FAIL $TEST: /" "$1" |
	    grep -E '^(ok|FAIL) ' > "$1.res"
	npass=$((npass + $(grep -c '^ok ' "$1.res")))
	nfail=$((nfail + $(grep -c '^FAIL ' "$1.res")))
	cat "$1.res"
	grep -vE '^(ok|FAIL|# (ready|prevented|allowed))' "$1" | indent
	[ -s "$1.res" ] || fail "the probe printed nothing ($1)"
}

timeout -s KILL 120 python3 "$PROBE" basic "$ADDR" "$PORT" "$IQN" \
    > "$T/basic.out" 2>&1
probe_res "$T/basic.out"

timeout -s KILL 120 python3 "$PROBE" plus-r "$ADDR" "$PORT" "$IQN" \
    > "$T/plus-r.out" 2>&1
probe_res "$T/plus-r.out"

timeout -s KILL 120 python3 "$PROBE" medium "$ADDR" "$PORT" "$IQN" "$T" 300 \
    > "$T/medium.out" 2>&1 &
mprobe=$!
bg $mprobe
in_out() { grep -q "^# $1" "$T/medium.out"; }
wait_for 20 in_out ready || note "the medium probe is not ready"
check "tgtctl drive load puts spare.iso in the empty drive" \
    "$CTL" -s "$SOCK" drive load "$IQN" 1 spare.iso
check "tgtctl drive unload takes disc.iso out of LUN 0" \
    "$CTL" -s "$SOCK" drive unload "$IQN" 0
check "tgtctl drive load puts it back (an image may be in two drives)" \
    "$CTL" -s "$SOCK" drive load "$IQN" 0 disc.iso
if "$CTL" -s "$SOCK" drive load "$IQN" 1 disc.iso > "$T/out" 2>&1; then
	fail "tgtctl drive load refuses a drive that holds a disc"
else
	ok "tgtctl drive load refuses a drive that holds a disc"
fi
check "tgtctl drive unload takes disc.iso out of LUN 0 again" \
    "$CTL" -s "$SOCK" drive unload "$IQN" 0
if "$CTL" -s "$SOCK" drive load "$IQN" 0 blank.dvd > "$T/out" 2>&1; then
	fail "tgtctl drive load refuses a writable disc another drive holds"
else
	grep -q "writable disc" "$T/out" &&
	    ok "tgtctl drive load refuses a writable disc another drive holds" ||
	    { fail "tgtctl drive load refuses it: says why"; indent "$T/out"; }
fi
check "tgtctl drive load puts disc.iso back" \
    "$CTL" -s "$SOCK" drive load "$IQN" 0 disc.iso
if "$CTL" -s "$SOCK" drive load "$IQN" 0 ../x > "$T/out" 2>&1; then
	fail "tgtctl drive load refuses a name that is a path"
else
	ok "tgtctl drive load refuses a name that is a path"
fi
check_out "tgtctl show luns: LUN 1 holds spare.iso" "$MEDIA/spare.iso" \
    "$CTL" -s "$SOCK" show luns
lun1_size() {
	[ "$("$CTL" -s "$SOCK" -j show luns |
	    jq '.[] | select(.lun == 1) | .size')" = "$1" ]
}
wait_for 10 lun1_size 614400 &&
    ok "tgtctl show luns: LUN 1's size is the loaded disc's" ||
    fail "tgtctl show luns: LUN 1's size is the loaded disc's"
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
check "tgtctl drive unload takes spare.iso out" \
    "$CTL" -s "$SOCK" drive unload "$IQN" 1
touch "$T/unloaded"
wait "$mprobe"
probe_res "$T/medium.out"
check_out "tgtctl -j show luns: LUN 1 holds nothing" '^""$' \
    sh -c "\"$CTL\" -s '$SOCK' -j show luns | jq '.[] | select(.lun == 1) | .path'"

# The DVD+R of LUN 2 with an open session when the whole suite is
# killed: after a start it is as its closed session left it.
timeout -s KILL 120 python3 "$PROBE" plus-r-open "$ADDR" "$PORT" "$IQN" \
    > "$T/plus-r-open.out" 2>&1
probe_res "$T/plus-r-open.out"
kids=$(children)
kill -KILL "$MASTER" $kids 2>/dev/null
wait "$MASTER" 2>/dev/null
MASTER=
rm -f "$SOCK"
ok "SIGKILL of the whole suite"
tgt_start || exit 1
timeout -s KILL 120 python3 "$PROBE" plus-r-after "$ADDR" "$PORT" "$IQN" \
    > "$T/plus-r-after.out" 2>&1
probe_res "$T/plus-r-after.out"
tgt_stop
