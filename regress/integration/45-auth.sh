#!/usr/bin/env bash
# CHAP (one-way and mutual, MD5 and SHA-256, targets and discovery), allow
# rules (initiator patterns, addresses), redirects, and the login status
# of every failure: with libiscsi (iscsi-inq, iscsi-ls with CHAP URLs) and
# with the raw login client regress/lib/iscsi_login.py.  Reload changes
# the rules for the next login.  Config errors for bad secrets.
. "$(dirname "$0")/../lib/common.sh"

need_bin tgt-master
LOGIN="python3 $top/regress/lib/iscsi_login.py -p $PORT -T 10"
GOOD=iqn.2026-11.org.example:good-host
BAD=iqn.2026-11.org.example:other-host
S1=chapsecret-one1
S2=chapsecret-two22
MS=mutualsecret-3
DS=discoverysecret4

mkdisk "$T/d.img" 16M
tgt_conf <<EOF2
target "$IQN:chap" {
	auth chap user "alice" secret "$S1"
	auth chap user "bob" secret "$S2"
	auth mutual user "target-name" secret "$MS"
	allow all
	lun 1 disk "$T/d.img"
}
target "$IQN:oneway" {
	auth chap user "alice" secret "$S1"
	allow all
	lun 1 disk "$T/d.img"
}
target "$IQN:byname" {
	allow initiator "iqn.2026-11.org.example:good-*"
	allow initiator "iqn.2026-11.org.example:extra?"
	lun 1 disk "$T/d.img"
}
target "$IQN:byaddr" {
	allow address 127.0.0.0/8
	allow address ::1
	lun 1 disk "$T/d.img"
}
target "$IQN:both" {
	allow initiator "$GOOD"
	allow address 10.0.0.0/8
	lun 1 disk "$T/d.img"
}
target "$IQN:closed" {
	lun 1 disk "$T/d.img"
}
target "$IQN:moved" {
	redirect to 127.0.0.2 port 3261 permanent
}
target "$IQN:away" {
	redirect to ::1 port 3262
}
EOF2
tgt_start || exit 1

# status NAME WANT ARGS...: the raw client's last login status is WANT.
status() {
	local name=$1 want=$2
	shift 2
	$LOGIN "$@" > "$T/out" 2>&1
	if grep -qx "status $want" "$T/out"; then
		ok "$name: status $want"
	else
		fail "$name: status $want"
		indent "$T/out"
	fi
}

# --- CHAP with libiscsi
check_out "libiscsi CHAP (MD5) login, first user" '^Peripheral Device' \
    timeout 20 iscsi-inq "iscsi://alice%$S1@$ADDR:$PORT/$IQN:chap/1"
check_out "libiscsi CHAP login, second user" '^Peripheral Device' \
    timeout 20 iscsi-inq "iscsi://bob%$S2@$ADDR:$PORT/$IQN:chap/1"
check_out "libiscsi: wrong secret is an authentication failure" \
    'Authentication failure' \
    sh -c "timeout 20 iscsi-inq 'iscsi://alice%$S2@$ADDR:$PORT/$IQN:chap/1'; true"
check_out "libiscsi: unknown user is an authentication failure" \
    'Authentication failure' \
    sh -c "timeout 20 iscsi-inq 'iscsi://carol%$S1@$ADDR:$PORT/$IQN:chap/1'; true"
check_out "libiscsi: no credentials for a CHAP target fails" \
    'Authentication failure|Login Failed' \
    sh -c "timeout 20 iscsi-inq '$URL/$IQN:chap/1'; true"
check_out "libiscsi mutual CHAP: the target proves itself" \
    '^Peripheral Device' env LIBISCSI_CHAP_TARGET_USERNAME=target-name \
    LIBISCSI_CHAP_TARGET_PASSWORD="$MS" \
    timeout 20 iscsi-inq "iscsi://alice%$S1@$ADDR:$PORT/$IQN:chap/1"
check_out "libiscsi mutual CHAP: a wrong target secret is noticed" \
    'Invalid CHAP_R|Login Failed' env LIBISCSI_CHAP_TARGET_USERNAME=target-name \
    LIBISCSI_CHAP_TARGET_PASSWORD=not-the-secret \
    sh -c "timeout 20 iscsi-inq 'iscsi://alice%$S1@$ADDR:$PORT/$IQN:chap/1'; true"

# --- CHAP with the raw client: algorithms and every failure
status "CHAP MD5" 0x0000 -t "$IQN:chap" -m CHAP,None -a 5 -u alice -s "$S1"
grep -q '^challenge 16 bytes alg 5$' "$T/out" &&
    ok "CHAP MD5: 16-byte challenge" ||
    { fail "CHAP MD5: 16-byte challenge"; indent "$T/out"; }
status "CHAP SHA-256" 0x0000 -t "$IQN:chap" -m CHAP -a 7 -u bob -s "$S2"
grep -q '^challenge 32 bytes alg 7$' "$T/out" &&
    ok "CHAP SHA-256: 32-byte challenge" ||
    { fail "CHAP SHA-256: 32-byte challenge"; indent "$T/out"; }
status "CHAP_A=7,5 takes the initiator's first" 0x0000 -t "$IQN:chap" \
    -m CHAP -a 7,5 -u alice -s "$S1"
grep -q 'alg 7$' "$T/out" && ok "CHAP_A=7,5: SHA-256 chosen" ||
    { fail "CHAP_A=7,5: SHA-256 chosen"; indent "$T/out"; }
status "CHAP_A=6,5" 0x0000 -t "$IQN:chap" -m CHAP -a 6,5 -u alice -s "$S1"
grep -q 'alg 5$' "$T/out" && ok "CHAP_A=6,5: MD5 chosen" ||
    { fail "CHAP_A=6,5: MD5 chosen"; indent "$T/out"; }
status "CHAP_A with no known algorithm" 0x0201 -t "$IQN:chap" -m CHAP -a 6 \
    -u alice -s "$S1"
status "mutual CHAP SHA-256" 0x0000 -t "$IQN:chap" -m CHAP -a 7 -u alice \
    -s "$S1" -U target-name -M "$MS"
grep -qx 'mutual ok' "$T/out" && ok "mutual CHAP: target's CHAP_N/CHAP_R right" ||
    { fail "mutual CHAP: target's CHAP_N/CHAP_R right"; indent "$T/out"; }
status "wrong secret" 0x0201 -t "$IQN:chap" -m CHAP -u alice -s "$S2"
status "unknown CHAP user" 0x0201 -t "$IQN:chap" -m CHAP -u mallory -s "$S1"
status "AuthMethod=None on a CHAP target" 0x0201 -t "$IQN:chap" -m None
status "no AuthMethod on a CHAP target" 0x0201 -t "$IQN:chap" -m -
status "operational stage first on a CHAP target" 0x0201 -t "$IQN:chap" \
    --operational
status "mutual CHAP reflecting our challenge" 0x0201 -t "$IQN:chap" -m CHAP \
    -u alice -s "$S1" --reflect
status "mutual CHAP on a target without auth mutual" 0x0201 \
    -t "$IQN:oneway" -m CHAP -u alice -s "$S1" -U x -M "$MS"
status "None,CHAP offered to a CHAP target" 0x0000 -t "$IQN:chap" \
    -m None,CHAP -u alice -s "$S1"
grep -qx 'authmethod CHAP' "$T/out" && ok "None,CHAP: the target takes CHAP" ||
    { fail "None,CHAP: the target takes CHAP"; indent "$T/out"; }
status "CHAP,None offered to a target without CHAP" 0x0000 \
    -t "$IQN:byaddr" -m CHAP,None
grep -qx 'authmethod None' "$T/out" && ok "CHAP,None: the target takes None" ||
    { fail "CHAP,None: the target takes None"; indent "$T/out"; }

# Many exchanges waiting for the master at once: each gets its verdict.
pids=
for i in $(seq 1 20); do
	$LOGIN -t "$IQN:chap" -m CHAP -a 7 -u alice -s "$S1" -U target-name \
	    -M "$MS" -i "iqn.2026-11.org.example:par$i" > "$T/par$i" 2>&1 &
	pids="$pids $!"
	$LOGIN -t "$IQN:chap" -m CHAP -u bob -s "$S1" \
	    -i "iqn.2026-11.org.example:bad$i" > "$T/parbad$i" 2>&1 &
	pids="$pids $!"
done
wait $pids
n=$(cat "$T"/par[0-9]* | grep -c -x 'status 0x0000')
m=$(cat "$T"/par[0-9]* | grep -c -x 'mutual ok')
b=$(cat "$T"/parbad* | grep -c -x 'status 0x0201')
[ "$n" = 20 ] && [ "$m" = 20 ] && [ "$b" = 20 ] &&
    ok "20 parallel mutual CHAP logins succeed, 20 wrong ones fail" ||
    fail "20 parallel mutual CHAP logins succeed, 20 wrong ones fail (ok $n, mutual $m, 0x0201 $b)"

# The master logs the failure with the user, never the secret.
sleep 0.5
if grep -q 'CHAP: user "mallory" initiator .* target .*:chap from 127.0.0.1.*authentication failed' "$LOG"; then
	ok "failed CHAP logged by the master with user, initiator, target, address"
else
	fail "failed CHAP logged by the master with user, initiator, target, address"
	grep CHAP "$LOG" | indent
fi
if grep -qF -e "$S1" -e "$S2" -e "$MS" "$LOG"; then
	fail "no secret in the log"
else
	ok "no secret in the log"
fi

# --- access control
status "allow initiator pattern matches" 0x0000 -t "$IQN:byname" -i "$GOOD"
status "allow initiator ? pattern matches" 0x0000 -t "$IQN:byname" \
    -i iqn.2026-11.org.example:extra1
status "allow initiator: other name" 0x0202 -t "$IQN:byname" -i "$BAD"
status "allow address 127.0.0.0/8" 0x0000 -t "$IQN:byaddr" -i "$BAD"
status "name matches, address does not" 0x0202 -t "$IQN:both" -i "$GOOD"
status "target without allow rules is closed" 0x0202 -t "$IQN:closed" \
    -i "$GOOD"
status "unknown target" 0x0203 -t "$IQN:nosuch"
status "no TargetName" 0x0207 -t ""
check_out "libiscsi: a closed target refuses (authorization)" \
    'Authorization failure|Login Failed' \
    sh -c "timeout 20 iscsi-inq '$URL/$IQN:closed/1'; true"

# SendTargets lists what the initiator may log in to.
$LOGIN -d -S -i "$GOOD" > "$T/st" 2>&1
for t in chap oneway byname byaddr moved away; do
	grep -qx "target $IQN:$t" "$T/st" ||
	    { fail "SendTargets for $GOOD lists $t"; indent "$T/st"; }
done
for t in both closed; do
	grep -qx "target $IQN:$t" "$T/st" &&
	    { fail "SendTargets for $GOOD hides $t"; indent "$T/st"; }
done
ok "SendTargets lists only the allowed targets"
$LOGIN -d -S -i "$BAD" > "$T/st" 2>&1
grep -qx "target $IQN:byname" "$T/st" &&
    { fail "SendTargets for another name hides byname"; indent "$T/st"; } ||
    ok "SendTargets for another name hides the target by name"

# --- redirect
status "redirect permanent" 0x0102 -t "$IQN:moved"
grep -qx 'key TargetAddress=127.0.0.2:3261' "$T/out" &&
    ok "redirect: TargetAddress 127.0.0.2:3261" ||
    { fail "redirect: TargetAddress 127.0.0.2:3261"; indent "$T/out"; }
status "redirect temporary (default)" 0x0101 -t "$IQN:away"
grep -qx 'key TargetAddress=\[::1\]:3262' "$T/out" &&
    ok "redirect: TargetAddress [::1]:3262" ||
    { fail "redirect: TargetAddress [::1]:3262"; indent "$T/out"; }

# --- reload: discovery CHAP, changed rules apply to the next login
sed -i -e "s/allow initiator \"$GOOD\"/allow initiator \"$BAD\"/" \
    -e 's|allow address 10.0.0.0/8|allow address 127.0.0.1|' "$CONF"
cat >> "$CONF" <<EOF2
discovery {
	auth chap user "disco" secret "$DS"
}
EOF2
kill -HUP "$MASTER"
sleep 1
master_alive && ok "HUP: master still running" || fail "HUP: master still running"
check_out "HUP: discovery with CHAP credentials" "^Target:$IQN:chap " \
    timeout 20 iscsi-ls "iscsi://disco%$DS@$ADDR:$PORT"
check_out "HUP: discovery without credentials fails" \
    'Authentication failure|failed' \
    sh -c "timeout 20 iscsi-ls '$URL'; true"
status "HUP: discovery, wrong secret" 0x0201 -d -m CHAP -u disco -s "$S1"
status "HUP: changed allow initiator" 0x0000 -t "$IQN:both" -i "$BAD"
status "HUP: old name no longer allowed" 0x0202 -t "$IQN:both" -i "$GOOD"
check_out "HUP: CHAP target still serves" '^Peripheral Device' \
    timeout 20 iscsi-inq "iscsi://alice%$S1@$ADDR:$PORT/$IQN:chap/1"

# --- configuration errors
bad_secret() {
	local name=$1 re=$2
	shift 2
	{
		printf 'target "%s" {\n' "$IQN:x"
		printf '\t%s\n' "$@"
		printf '}\n'
	} > "$T/bad.conf"
	"$BIN/tgt-master" -n -f "$T/bad.conf" > "$T/out" 2>&1
	if [ $? -ne 0 ] && grep -qE "^$T/bad.conf:[0-9]+: $re" "$T/out"; then
		ok "config: $name"
	else
		fail "config: $name"
		indent "$T/out"
	fi
}
bad_secret "secret shorter than 12 bytes" "secret must be at least 12" \
    'auth chap user "u" secret "short-secr"'
bad_secret "mutual secret equal to a CHAP secret" "the mutual secret must differ" \
    "auth chap user \"u\" secret \"$S1\"" \
    "auth mutual user \"t\" secret \"$S1\""
bad_secret "duplicate CHAP user" "duplicate CHAP user" \
    "auth chap user \"u\" secret \"$S1\"" "auth chap user \"u\" secret \"$S2\""
bad_secret "bad CIDR" "bad address" 'allow address 10.0.0.1/8'
bad_secret "allow all with rules" "allow all with other" \
    'allow address 10.0.0.0/8' 'allow all'
printf 'discovery auth chap user "d" secret "tooshort"\n' > "$T/bad.conf"
"$BIN/tgt-master" -n -f "$T/bad.conf" > "$T/out" 2>&1
grep -q "bad.conf:1: secret must be at least 12 bytes" "$T/out" &&
    ok "config: short discovery secret" ||
    { fail "config: short discovery secret"; indent "$T/out"; }
