#!/usr/bin/env bash
# Service files: etc/tgt-master.service passes systemd-analyze verify
# (with its paths pointed at this build) and reloads with a check of the
# file then SIGHUP; etc/tgt-master.init starts, reports, reloads (a
# broken file is refused and changes nothing) and stops a private
# instance.  The man pages are mandoc -Tlint clean.
. "$(dirname "$0")/../lib/common.sh"

unit=$top/etc/tgt-master.service
init=$top/etc/tgt-master.init
mkdisk "$T/d1.img" 16M
body() {
	cat <<-EOF2
	target "$IQN" {
		allow all
		lun 1 disk "$T/d1.img"
	}
	EOF2
}
body | tgt_conf

# systemd unit
grep -qx 'ExecReload=/usr/sbin/tgt-master -n -f /etc/tgt.conf' "$unit" &&
    grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$unit" &&
    ok "unit: reload checks the file, then sends SIGHUP" ||
    fail "unit: reload checks the file, then sends SIGHUP"
if grep -qE '^(User|NoNewPrivileges|SystemCallFilter|PrivateUsers)=' \
    "$unit"; then
	fail "unit: no hardening option that fights the daemon's own sandbox"
else
	ok "unit: no hardening option that fights the daemon's own sandbox"
fi
if command -v systemd-analyze > /dev/null; then
	sed -e "s#/usr/sbin/tgt-master#$BIN/tgt-master#g" \
	    -e "s#/etc/tgt.conf#$CONF#g" "$unit" > "$T/tgt-master.service"
	check "unit: systemd-analyze verify" \
	    systemd-analyze verify --man=no "$T/tgt-master.service"
else
	skip "unit: systemd-analyze not installed"
fi

# LSB init script on a private instance
export TGT_DAEMON=$BIN/tgt-master TGT_CONF=$CONF TGT_PIDFILE=$T/tgt.pid \
    TGT_LOGFILE=$LOG TGT_INIT_NODEFAULT=1
check "init: sh -n" sh -n "$init"
check_out "init: configtest" 'OK' sh "$init" configtest
check "init: start" sh "$init" start
MASTER=$(cat "$T/tgt.pid" 2>/dev/null)
check_out "init: status says running" 'is running' sh "$init" status
if wait_for 15 timeout 5 iscsi-inq "$URL/$IQN/1"; then
	ok "init: the target serves"
else
	fail "init: the target serves"
fi
check_out "init: start again: already running" 'already running' \
    sh "$init" start
{ body; echo 'target "iqn.2026-11.org.example:added" {'; echo '	allow all'
  echo "	lun 1 disk \"$T/d1.img\" { read-only yes }"; echo '}'; } | tgt_conf
check "init: reload" sh "$init" reload
if wait_for 10 target_listed iqn.2026-11.org.example:added; then
	ok "init: the reload added the target"
else
	fail "init: the reload added the target"
fi
echo "bogus line" >> "$CONF"
if sh "$init" reload > "$T/out" 2>&1; then
	fail "init: reload of a broken file fails"
else
	grep -qE "$CONF:[0-9]+: " "$T/out" &&
	    ok "init: reload of a broken file fails with file:line" ||
	    { fail "init: reload of a broken file fails with file:line"; indent "$T/out"; }
fi
[ "$(cat "$T/tgt.pid" 2>/dev/null)" = "$MASTER" ] && master_alive &&
    ok "init: the daemon runs on after the refused reload" ||
    fail "init: the daemon runs on after the refused reload"
check "init: stop" sh "$init" stop
if master_alive; then
	fail "init: stop ends the daemon"
else
	ok "init: stop ends the daemon"
	MASTER=
	sanitizer_check
fi
check_out "init: status says stopped (exit 3)" 'is not running' \
    bash -c "sh '$init' status; [ \$? = 3 ]"

# man pages
if command -v mandoc > /dev/null; then
	for m in "$top"/man/*.[58]; do
		check "man: mandoc -Tlint -Wwarning $(basename "$m")" \
		    mandoc -Tlint -Wwarning "$m"
	done
else
	skip "man: mandoc not installed"
fi
finish
