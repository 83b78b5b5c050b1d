#!/usr/bin/env bash
# tgtctl over the private control socket: show targets, luns, sessions
# (while an initiator is logged in), reload; refused for non-root users.
. "$(dirname "$0")/../lib/common.sh"
need_bin tgtctl

mkdisk "$T/d1.img" 64M
mkdisk "$T/d2.img" 16M
mkdisk "$T/d3.img" 16M
tgt_conf <<EOF2
target "$IQN" {
	allow all
	lun 1 disk "$T/d1.img"
	lun 2 disk "$T/d2.img" { backend aio }
}
target "$IQN-b" {
	allow all
	lun 5 disk "$T/d3.img" { read-only yes }
}
EOF2
tgt_start || exit 1
CTL=$BIN/tgtctl

check_out "show targets lists the first target" "$IQN( |\$)" \
    timeout 10 "$CTL" -s "$SOCK" show targets
grep -qE -- "$IQN-b( |\$)" "$T/out" && ok "show targets lists the second target" ||
    { fail "show targets lists the second target"; indent "$T/out"; }
check_out "show luns lists LUN 1's backing file" "$T/d1.img" \
    timeout 10 "$CTL" -s "$SOCK" show luns
grep -qF "$T/d2.img" "$T/out" && ok "show luns lists the aio LUN's backing file" ||
    { fail "show luns lists the aio LUN's backing file"; indent "$T/out"; }
grep -qF "$T/d3.img" "$T/out" && ok "show luns lists the second target's LUN" ||
    { fail "show luns lists the second target's LUN"; indent "$T/out"; }

# A session: a slow, long iscsi-perf (queue depth 1) in the background.
INI=iqn.2026-11.org.example:tgtctl-probe
iscsi-perf -i "$INI" -m 1 -b 8 -r -t 30 "$URL/$IQN/1" > "$T/perf.out" 2>&1 &
perf=$!
bg $perf
session_shown() {
	timeout 5 "$CTL" -s "$SOCK" show sessions > "$T/sess" 2>&1 &&
	    grep -qF "$INI" "$T/sess"
}
if wait_for 10 session_shown; then
	ok "show sessions shows the initiator while it is logged in"
	sed 's/^/# /' "$T/sess"
else
	fail "show sessions shows the initiator while it is logged in"
	indent "$T/sess"
	INDENT_MAX=5 indent "$T/perf.out"
fi
grep -qF "$IQN" "$T/sess" && ok "show sessions names the target" ||
    fail "show sessions names the target"
kill "$perf" 2>/dev/null
wait "$perf" 2>/dev/null
session_gone() {
	timeout 5 "$CTL" -s "$SOCK" show sessions > "$T/sess" 2>&1 &&
	    ! grep -qF "$INI" "$T/sess"
}
if wait_for 10 session_gone; then
	ok "the session is gone from show sessions after the initiator left"
else
	fail "the session is gone from show sessions after the initiator left"
	indent "$T/sess"
fi

check "tgtctl reload exits 0" timeout 20 "$CTL" -s "$SOCK" reload
wait_for 10 target_listed "$IQN-b" && ok "still serving after tgtctl reload" ||
    fail "still serving after tgtctl reload"
# A broken file: reload fails with file:line:, the old targets serve on.
cp "$CONF" "$T/good.conf"
echo "bogus keyword here" >> "$CONF"
timeout 20 "$CTL" -s "$SOCK" reload > "$T/out" 2>&1
rc=$?
if [ $rc -ne 0 ] && grep -qE "tgt.conf:[0-9]+:" "$T/out"; then
	ok "tgtctl reload of a broken file fails with file:line: ($(head -n 1 "$T/out"))"
else
	fail "tgtctl reload of a broken file fails with file:line: (exit $rc)"
	indent "$T/out"
fi
check_out "the targets still serve after the failed reload" "^Peripheral" \
    timeout 20 iscsi-inq "$URL/$IQN-b/5"
cp "$T/good.conf" "$CONF"

# Not root: refused.  Run a copy of tgtctl that the user can execute.
install -m 755 "$CTL" "$T/tgtctl"
refused() {
	local what=$1 rc
	timeout 10 setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$T/tgtctl" -s "$SOCK" show targets > "$T/out" 2>&1
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [ $rc -lt 126 ] &&
	    ! grep -qF "$IQN" "$T/out"; then
		ok "tgtctl refused for a non-root user ($what; exit $rc: $(head -n 1 "$T/out"))"
	else
		fail "tgtctl refused for a non-root user ($what; exit $rc)"
		indent "$T/out"
	fi
}
refused "socket as created"
# Even if the socket's mode lets anyone connect, the master checks who
# the peer is.
chmod 0777 "$SOCK"
refused "socket chmod 0777: the master checks the peer's credentials"
check_out "root still gets answers after the refusals" "$IQN" \
    timeout 10 "$CTL" -s "$SOCK" show targets
master_alive && ok "master still running" || fail "master still running"
