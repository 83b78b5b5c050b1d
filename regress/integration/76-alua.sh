#!/usr/bin/env bash
# ALUA in one suite: port-group errors in tgt.conf (file:line), then two
# listeners in two target port groups and a raw initiator through each
# (regress/lib/alua_probe.py): INQUIRY TPGS, VPD 83h, REPORT and SET
# TARGET PORT GROUPS, the sense of each state, 06/2A/06 on every nexus,
# tgtctl show port-groups / port-group N state, and a reload.
. "$(dirname "$0")/../lib/common.sh"
need_bin tgtctl
CTL=$BIN/tgtctl
PORT2=$(free_port)
while [ "$PORT2" = "$PORT" ]; do PORT2=$(free_port); done

mkdisk "$T/d1.img" 16M
mkdisk "$T/d2.img" 16M

# bad NAME LINE WORDS < body: -n exits 1 with "file:LINE:" and WORDS.
bad() {
	local name=$1 line=$2 words=$3 f=$T/$1.conf rc
	{ conf_header; cat; } > "$f"
	"$BIN/tgt-master" -n -f "$f" > "$T/out" 2>&1
	rc=$?
	if [ $rc -eq 1 ] && grep -F "$(basename "$f"):$line:" "$T/out" |
	    grep -qF "$words"; then
		ok "bad config $name: exit 1, $(basename "$f"):$line: $words"
	else
		fail "bad config $name: want exit 1 and $(basename "$f"):$line: $words (exit $rc)"
		indent "$T/out"
	fi
}

# conf_header is 4 lines: bodies start at 5.
bad duplicate-group 6 "duplicate port-group 1 (line 5)" <<EOF2
port-group 1 { listen on $ADDR port $PORT }
port-group 1 { listen on $ADDR port $PORT2 }
EOF2
bad unknown-state 5 "unknown state \"sleepy\"" <<EOF2
port-group 1 { state sleepy; listen on $ADDR port $PORT }
EOF2
bad listener-in-two-groups 6 "is in two port-groups (line 5)" <<EOF2
port-group 1 { listen on $ADDR port $PORT }
port-group 2 { listen on $ADDR port $PORT }
EOF2
bad listener-without-group 5 "is in no port-group" <<EOF2
listen on $ADDR port $PORT2
port-group 1 { listen on $ADDR port $PORT }
EOF2
bad empty-group 5 "port-group 3 has no listener" <<EOF2
port-group 3 { state standby }
EOF2
bad group-range 5 "port-group 70000 out of range" <<EOF2
port-group 70000 { listen on $ADDR port $PORT }
EOF2
bad alua-without-group 5 "alua settings without a port-group" <<EOF2
alua explicit yes
EOF2
bad transition-range 6 "transition-time 300 out of range" <<EOF2
port-group 1 { listen on $ADDR port $PORT }
alua transition-time 300
EOF2

{
	conf_header
	cat <<EOF2
port-group 1 {
	state active-optimized
	preferred yes
	listen on $ADDR port $PORT
}
port-group 2 {
	state active-non-optimized
	listen on $ADDR port $PORT2
}
alua explicit yes
alua transition-time 7

target "$IQN" {
	allow all
	lun 1 disk "$T/d1.img"
	lun 2 disk "$T/d2.img"
}
EOF2
} > "$CONF"
check "port-groups: -n exits 0" "$BIN/tgt-master" -n -f "$CONF"
"$BIN/tgt-master" -n -v -f "$CONF" > "$T/dump" 2>&1
grep -q "^port-group 2 {" "$T/dump" && grep -q "alua transition-time 7" "$T/dump" &&
    ok "-nv prints the port-groups back" ||
    { fail "-nv prints the port-groups back"; indent "$T/dump"; }
tgt_start || exit 1

timeout -s KILL 120 python3 "$top/regress/lib/alua_probe.py" "$ADDR" \
    "$PORT" "$PORT2" "$IQN" "$CTL" "$SOCK" "$CONF" > "$T/probe.out" 2>&1
prc=$?
while read -r st rest; do
	case $st in
	ok)	ok "${rest#alua-probe: }" ;;
	FAIL)	fail "${rest#alua-probe: }" ;;
	*)	echo "    $st $rest" ;;
	esac
done < "$T/probe.out"
[ $prc -le 1 ] || fail "alua_probe.py exited $prc"

check_out "tgtctl show port-groups prints a table" '^GROUP ' \
    timeout 10 "$CTL" -s "$SOCK" show port-groups
indent "$T/out"
finish
