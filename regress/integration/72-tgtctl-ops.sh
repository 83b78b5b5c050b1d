#!/usr/bin/env bash
# tgtctl operations: every listing as a table and as JSON (validated by a
# parser), show target in full, per-LUN statistics that count what an
# initiator did, log verbose/brief reaching the children, lun offline
# (NOT READY, 04/03) and online, session drop, process titles.
. "$(dirname "$0")/../lib/common.sh"
need_bin tgtctl
CTL=$BIN/tgtctl

mkdisk "$T/d1.img" 16M
mkdisk "$T/d2.img" 16M
tgt_conf <<EOF2
target "$IQN" {
	alias "ops"
	allow initiator "iqn.2026-11.org.example:*"
	auth chap user "alice" secret "alice-secret-1"
	lun 1 disk "$T/d1.img"
	lun 2 disk "$T/d2.img" { backend aio }
}
EOF2
tgt_start || exit 1
INI=iqn.2026-11.org.example:ops-probe

# A session that stays while we look: CHAP is configured, so log in with
# it through a URL with credentials.
CURL="iscsi://alice%alice-secret-1@$ADDR:$PORT"
timeout -s KILL 60 iscsi-perf -i "$INI" -m 2 -b 8 -t 30 "$CURL/$IQN/1" \
    > "$T/perf.out" 2>&1 &
perf=$!
bg $perf
in_session() { timeout 5 "$CTL" -s "$SOCK" show sessions | grep -qF "$INI"; }
wait_for 10 in_session && ok "a session is up" ||
    { fail "a session is up"; INDENT_MAX=5 indent "$T/perf.out"; }

for what in targets sessions connections luns portals stats; do
	check_out "show $what prints a table" '^[A-Z]+ ' \
	    timeout 10 "$CTL" -s "$SOCK" show $what
	sed 's/^/# /' "$T/out" | head -n 4
	if timeout 10 "$CTL" -s "$SOCK" -j show $what > "$T/$what.json" &&
	    python3 -m json.tool "$T/$what.json" > /dev/null 2>&1; then
		ok "show $what -j is valid JSON"
	else
		fail "show $what -j is valid JSON"
		indent "$T/$what.json"
	fi
done
[ "$(jq -r ".[] | select(.initiator == \"$INI\") | .target" \
    "$T/sessions.json")" = "$IQN" ] &&
    ok "sessions JSON: the initiator and its target" ||
    fail "sessions JSON: the initiator and its target"
[ "$(jq -r ".[] | select(.initiator == \"$INI\") | .max_recv_data_segment_length" \
    "$T/connections.json")" -gt 0 ] 2>/dev/null &&
    ok "connections JSON: negotiated MaxRecvDataSegmentLength" ||
    { fail "connections JSON: negotiated MaxRecvDataSegmentLength"; indent "$T/connections.json"; }
[ "$(jq -r '.[0].sessions' "$T/portals.json")" = 1 ] &&
    ok "portals JSON: one session on the portal" ||
    { fail "portals JSON: one session on the portal"; indent "$T/portals.json"; }
reads=$(jq -r ".[] | select(.lun == 1) | .reads" "$T/stats.json")
[ "${reads:-0}" -gt 0 ] && ok "stats: LUN 1 counted $reads reads" ||
    { fail "stats: LUN 1 counted reads"; indent "$T/stats.json"; }
p50=$(jq -r ".[] | select(.lun == 1) | .latency_p50_us" "$T/stats.json")
p99=$(jq -r ".[] | select(.lun == 1) | .latency_p99_us" "$T/stats.json")
[ "${p50:-0}" -gt 0 ] && [ "${p99:-0}" -ge "${p50:-0}" ] &&
    ok "stats: latency p50 $p50 us <= p99 $p99 us" ||
    fail "stats: latency p50 ($p50) and p99 ($p99)"
# iscsi-perf ignores SIGTERM while it reconnects
pkill -KILL -P "$perf" 2>/dev/null
wait "$perf" 2>/dev/null

# Writes count as writes, with their bytes.
timeout 30 qemu-io --image-opts \
    "driver=iscsi,transport=tcp,portal=$ADDR:$PORT,target=$IQN,lun=2,initiator-name=$INI,user=alice,password=alice-secret-1" \
    -c "write -P 0x5a 0 1M" > "$T/out" 2>&1 || indent "$T/out"
timeout 10 "$CTL" -s "$SOCK" -j show stats > "$T/stats.json"
wb=$(jq -r ".[] | select(.lun == 2) | .written_bytes" "$T/stats.json")
[ "${wb:-0}" -ge 1048576 ] && ok "stats: LUN 2 counted $wb bytes written" ||
    { fail "stats: LUN 2 counted the 1 MiB written ($wb)"; indent "$T/stats.json"; }

# show target: settings, rules, CHAP user without its secret, LUNs.
check_out "show target lists its LUNs" "$T/d2.img" \
    timeout 10 "$CTL" -s "$SOCK" show target "$IQN"
sed 's/^/# /' "$T/out" | head -n 12
grep -qF 'alice' "$T/out" && ok "show target names the CHAP user" ||
    fail "show target names the CHAP user"
grep -qF 'alice-secret' "$T/out" && fail "show target never shows a secret" ||
    ok "show target never shows a secret"
grep -qF 'iqn.2026-11.org.example:*' "$T/out" &&
    ok "show target lists the access rule" || fail "show target lists the access rule"
if timeout 10 "$CTL" -s "$SOCK" -j show target "$IQN" > "$T/target.json" &&
    [ "$(jq -r '.settings.alias' "$T/target.json")" = ops ] &&
    [ "$(jq -r '.luns | length' "$T/target.json")" = 2 ]; then
	ok "show target -j: valid JSON with settings and LUNs"
else
	fail "show target -j: valid JSON with settings and LUNs"
	indent "$T/target.json"
fi
timeout 10 "$CTL" -s "$SOCK" show target "$IQN-nope" > "$T/out" 2>&1 &&
    fail "show target of an unknown target fails" ||
    ok "show target of an unknown target fails ($(head -n 1 "$T/out"))"

# JSON strings are escaped: a backing file name with a quote and a tab.
odd="$T/odd\"	name.img"
mkdisk "$odd" 1M
{ cat "$CONF"; printf 'target "%s-odd" {\n\tallow all\n\tlun 0 disk "%s"\n}\n' \
    "$IQN" "${odd//\"/\\\"}"; } > "$T/odd.conf"
cp "$T/odd.conf" "$CONF"
check "reload with an odd file name" timeout 20 "$CTL" -s "$SOCK" reload
timeout 10 "$CTL" -s "$SOCK" -j show luns > "$T/luns.json"
[ "$(jq -r ".[] | select(.target == \"$IQN-odd\") | .path" "$T/luns.json")" = "$odd" ] &&
    ok "JSON escapes quotes and tabs in paths" ||
    { fail "JSON escapes quotes and tabs in paths"; indent "$T/luns.json"; }

# log verbose: the children log debug lines; brief: they stop.
check "log verbose" timeout 10 "$CTL" -s "$SOCK" log verbose
before=$(wc -l < "$LOG")
timeout 20 iscsi-inq -i "$INI" "$URL/$IQN-odd/0" > /dev/null 2>&1
tail -n +"$before" "$LOG" | grep -qE '^tgt-(portal|lun)\[.*(debug|tag|nexus|tsih|PDU|opcode)' ||
    tail -n +"$before" "$LOG" | grep -qE '^tgt-portal\[' &&
    ok "log verbose reaches the children" || fail "log verbose reaches the children"
grep -qF 'tgt-master: log verbose' "$LOG" && ok "the master logs the change" ||
    fail "the master logs the change"
check "log brief" timeout 10 "$CTL" -s "$SOCK" log brief
timeout 10 "$CTL" -s "$SOCK" log chatty > "$T/out" 2>&1 &&
    fail "log with a bad level fails" || ok "log with a bad level fails"

# lun offline: NOT READY, MANUAL INTERVENTION REQUIRED; online again.
check "lun offline" timeout 10 "$CTL" -s "$SOCK" lun offline "$IQN-odd" 0
timeout 20 iscsi-readcapacity16 -i "$INI" "$URL/$IQN-odd/0" > "$T/out" 2>&1
grep -qE 'NOT READY.*0x0403' "$T/out" &&
    ok "an offline LUN answers NOT READY 04/03 ($(grep -m1 -oE 'SENSE KEY.*' "$T/out"))" ||
    { fail "an offline LUN answers NOT READY 04/03"; indent "$T/out"; }
timeout 10 "$CTL" -s "$SOCK" -j show luns |
    jq -e ".[] | select(.target == \"$IQN-odd\") | .state == \"offline\"" \
    > /dev/null && ok "show luns says offline" || fail "show luns says offline"
check "lun online" timeout 10 "$CTL" -s "$SOCK" lun online "$IQN-odd" 0
check_out "an online LUN serves again" '^Total size:1048576$' \
    timeout 20 iscsi-readcapacity16 -i "$INI" "$URL/$IQN-odd/0"
timeout 10 "$CTL" -s "$SOCK" lun offline "$IQN-odd" 9 > "$T/out" 2>&1 &&
    fail "lun offline of an unknown LUN fails" ||
    ok "lun offline of an unknown LUN fails ($(head -n 1 "$T/out"))"

# session drop: the session goes, a wrong id is an error.
timeout -s KILL 60 iscsi-perf -i "$INI" -m 1 -b 8 -t 30 "$URL/$IQN-odd/0" \
    > "$T/perf.out" 2>&1 &
perf=$!
bg $perf
wait_for 10 in_session
tsih=$(timeout 5 "$CTL" -s "$SOCK" -j show sessions |
    jq -r ".[] | select(.initiator == \"$INI\") | .tsih" | head -n 1)
check_out "session drop $tsih" "dropped session $tsih" \
    timeout 10 "$CTL" -s "$SOCK" session drop "$IQN-odd" "$tsih"
grep -qE "session tsih $tsih .*dropped by the administrator" "$LOG" &&
    ok "the portal logs the drop" || fail "the portal logs the drop"
# iscsi-perf ignores SIGTERM while it reconnects
pkill -KILL -P "$perf" 2>/dev/null
wait "$perf" 2>/dev/null
timeout 10 "$CTL" -s "$SOCK" session drop "$IQN-odd" 65000 > "$T/out" 2>&1 &&
    fail "session drop of an unknown session fails" ||
    ok "session drop of an unknown session fails ($(head -n 1 "$T/out"))"

# Process titles: role and instance.
pt=$(ps -o args= -p "$(children tgt-portal | head -n 1)")
[ "$pt" = "tgt-portal: $ADDR:$PORT" ] && ok "ps shows '$pt'" ||
    fail "ps shows the portal's address ('$pt')"
lt=$(for p in $(children tgt-lun); do ps -o args= -p "$p"; done |
    grep -F "tgt-lun: $IQN/2")
[ -n "$lt" ] && ok "ps shows '$lt'" || fail "ps shows a LUN's target/lun"
mt=$(ps -o args= -p "$MASTER")
case $mt in
"tgt-master: master "*) ok "ps shows '$mt'" ;;
*) fail "ps shows the master's title ('$mt')" ;;
esac
master_alive && ok "master still running" || fail "master still running"
