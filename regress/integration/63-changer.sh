#!/usr/bin/env bash
# A media changer (tgt-lun/smc.c) with two tape drives of its target:
# READ ELEMENT STATUS, MOVE MEDIUM into and out of the drives through
# the master (the drive's LUN then holds the cartridge), the sense of
# refused moves (full, empty, removal prevented), EXCHANGE MEDIUM,
# tgtctl library insert into a mail slot (06/28/01) and eject, and the
# inventory surviving a SIGKILL of the changer's process and a restart
# of the suite, with a cartridge left in a drive, which the suite's
# restart puts back (regress/lib/changer_probe.py checks the bytes).
. "$(dirname "$0")/../lib/common.sh"
need_bin tgtctl
CTL=$BIN/tgtctl
PROBE=$top/regress/lib/changer_probe.py
MEDIA=$T/media
mkdir -m 700 "$MEDIA" "$T/state"
for bc in TAPE01L5 TAPE02L5 SPARE01; do
	"$CTL" cartridge create $bc size 64M directory "$MEDIA" > /dev/null ||
	    fail "tgtctl cartridge create $bc"
done

tgt_conf <<EOF
media directory "$MEDIA"
state directory "$T/state"
target "$IQN" {
	allow all
	lun 0 tape { serial "DRV0001" }
	lun 1 tape { serial "DRV0002" }
	lun 2 changer {
		slots 8
		mailslots 2
		drive 0
		drive 1
		slot 1 "TAPE01L5"
		slot 2 "TAPE02L5"
	}
}
EOF
check "tgt-master -n accepts the library" "$BIN/tgt-master" -n -f "$CONF"
tgt_start || exit 1

# res_lines FILE PREFIX: count and print a probe's ok/FAIL lines
res_lines() {
	sed -e "s/^ok changer-probe: /ok $TEST: $2/" \
	    -e "s/^FAIL changer-probe: /FAIL $TEST: $2/" "$1" |
	    grep -E '^(ok|FAIL) ' > "$1.res"
	npass=$((npass + $(grep -c '^ok ' "$1.res")))
	nfail=$((nfail + $(grep -c '^FAIL ' "$1.res")))
	cat "$1.res"
	grep -vE '^(ok|FAIL|# (mail|done))' "$1" | indent
	[ -s "$1.res" ] || fail "${2}the probe printed nothing"
}

timeout -s KILL 120 python3 "$PROBE" library "$ADDR" "$PORT" "$IQN" "$T" \
    > "$T/lib.out" 2>&1 &
probe=$!
bg $probe
at_mail() { grep -q '^# mail' "$T/lib.out"; }
if wait_for 60 at_mail; then
	if "$CTL" -s "$SOCK" library insert "$IQN" 2 NOSUCH > "$T/out" 2>&1
	then
		fail "tgtctl library insert refuses a cartridge that is not there"
	else
		ok "tgtctl library insert refuses a cartridge that is not there"
	fi
	check "tgtctl library insert SPARE01 into a mail slot" \
	    "$CTL" -s "$SOCK" library insert "$IQN" 2 SPARE01
	if "$CTL" -s "$SOCK" library insert "$IQN" 2 SPARE01 > "$T/out" 2>&1
	then
		fail "tgtctl library insert refuses a cartridge in the library"
	else
		ok "tgtctl library insert refuses a cartridge in the library"
	fi
fi
touch "$T/inserted"
wait "$probe"
res_lines "$T/lib.out" ""
if "$CTL" -s "$SOCK" library eject "$IQN" 2 SPARE01 > "$T/out" 2>&1; then
	fail "tgtctl library eject refuses a cartridge in no mail slot"
else
	ok "tgtctl library eject refuses a cartridge in no mail slot"
fi

lun_pid() {
	timeout 10 "$CTL" -s "$SOCK" -j show luns |
	    jq -r ".[] | select(.target == \"$IQN\" and .lun == $1) | .pid"
}
check_out "tgtctl show cartridges: SPARE01 in slot 7" "SPARE01 +slot +7 " \
    "$CTL" -s "$SOCK" show cartridges
where=$(timeout 10 "$CTL" -s "$SOCK" -j show cartridges |
    jq -r '.[] | select(.barcode == "TAPE02L5") | "\(.where) \(.index)"')
[ "$where" = "slot 5" ] && ok "tgtctl -j show cartridges: TAPE02L5 in slot 5" ||
    fail "tgtctl -j show cartridges: TAPE02L5 in slot 5 (got '$where')"
timeout -s KILL 60 python3 "$PROBE" load "$ADDR" "$PORT" "$IQN" \
    > "$T/load.out" 2>&1
res_lines "$T/load.out" ""
check_out "tgtctl show cartridges: TAPE01L5 in a drive" "TAPE01L5 +drive" \
    "$CTL" -s "$SOCK" show cartridges
old=$(lun_pid 2)
[ -n "$old" ] && [ "$old" != 0 ] && kill -KILL "$old"
restarted() { p=$(lun_pid 2); [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$old" ]; }
if wait_for 15 restarted; then
	ok "SIGKILL of the changer's tgt-lun: restarted"
else
	fail "SIGKILL of the changer's tgt-lun: restarted"
fi
sleep 0.5
timeout -s KILL 60 python3 "$PROBE" after "$ADDR" "$PORT" "$IQN" \
    > "$T/after.out" 2>&1
res_lines "$T/after.out" "changer killed: "

tgt_stop
rm -f "$SOCK"
tgt_start || exit 1
timeout -s KILL 60 python3 "$PROBE" after "$ADDR" "$PORT" "$IQN" \
    > "$T/after2.out" 2>&1
res_lines "$T/after2.out" "suite restarted: "
"$CTL" cartridge create EXTRA01 size 16M directory "$MEDIA" > /dev/null
check "tgtctl library insert EXTRA01" \
    "$CTL" -s "$SOCK" library insert "$IQN" 2 EXTRA01
check "tgtctl library eject EXTRA01 takes it out of its mail slot" \
    "$CTL" -s "$SOCK" library eject "$IQN" 2 EXTRA01
finish
