#!/usr/bin/env bash
# iSNS: a private open-isns server (isnsd, foreground, its own database
# and control socket) on the loopback; "isns server" registers the
# entity, the portal and the targets (isnsadm shows them); a reload that
# removes one target and adds another is reflected; removing the isns
# statement deregisters the entity.  isnsd listens on the iSNS port 3205
# on every address: the test is skipped when that port is taken.
. "$(dirname "$0")/../lib/common.sh"

need_bin tgt-master
if ! command -v isnsd > /dev/null || ! command -v isnsadm > /dev/null; then
	skip "isnsd or isnsadm not installed (open-isns-server, open-isns-utils)"
	exit 0
fi
if [ -n "$(ss -Hltn 'sport = :3205' 2>/dev/null)" ]; then
	skip "port 3205 is taken: no private isnsd"
	exit 0
fi

mkdir -p "$T/isns-db"
cat > "$T/isnsd.conf" <<EOF2
SourceName = isns.$TEST
ServerAddress = 127.0.0.1
Database = $T/isns-db
PIDFile = $T/isnsd.pid
ControlSocket = $T/isns.ctl
Security = 0
SLPRegister = 0
DefaultDiscoveryDomain = 1
EOF2
cat > "$T/isnsadm.conf" <<EOF2
SourceName = iqn.2026-11.org.example:isnsadm
ServerAddress = 127.0.0.1
ControlSocket = $T/isns.ctl
Security = 0
EOF2
isnsd -c "$T/isnsd.conf" -f > "$T/isnsd.log" 2>&1 &
ISNSD=$!
bg $ISNSD
if wait_for 10 sh -c "[ -n \"\$(ss -Hltn 'sport = :3205')\" ] && [ -S '$T/isns.ctl' ]"; then
	ok "private isnsd listens on 3205"
else
	fail "private isnsd listens on 3205"
	indent "$T/isnsd.log"
	exit 1
fi
isnsadm_list() {
	isnsadm -c "$T/isnsadm.conf" --local --list "$@" 2>&1
}

mkdisk "$T/d.img" 16M
target() {
	cat <<-EOF2
	target "$IQN:$1" {
		alias "$1 alias"
		allow all
		lun 1 disk "$T/d.img"
	}
	EOF2
}
{
	echo "isns server 127.0.0.1"
	target one
	target two
	echo "target \"$IQN:moved\" { redirect to 127.0.0.2 }"
} | tgt_conf
tgt_start || exit 1

# registered(NAME...): every NAME is a storage node on the server.
registered() {
	local n out
	out=$(isnsadm_list nodes)
	for n in "$@"; do
		echo "$out" | grep -qF "iSCSI name = \"$IQN:$n\"" || return 1
	done
}

if wait_for 15 registered one two; then
	ok "both targets registered"
else
	fail "both targets registered"
	isnsadm_list nodes | indent
	grep -i isns "$LOG" | indent
fi
isnsadm_list nodes > "$T/out"
n=$(grep -c 'iSCSI node type = Target' "$T/out")
[ "$n" = 2 ] && ok "two storage nodes of type Target (not the redirected one)" ||
    { fail "two storage nodes of type Target (got $n)"; indent "$T/out"; }
grep -qF "iSCSI alias = \"one alias\"" "$T/out" && ok "alias registered" ||
    { fail "alias registered"; indent "$T/out"; }
isnsadm_list portals > "$T/out"
grep -q 'Portal IP address = 127.0.0.1' "$T/out" &&
grep -q "Portal TCP/UDP port = $PORT/tcp" "$T/out" &&
    ok "portal 127.0.0.1:$PORT registered" ||
    { fail "portal 127.0.0.1:$PORT registered"; indent "$T/out"; }
isnsadm_list portal-groups > "$T/out"
n=$(grep -c "Portal group tag = 1" "$T/out")
[ "$n" = 2 ] && ok "a portal group (tag 1) per target" ||
    { fail "a portal group (tag 1) per target (got $n)"; indent "$T/out"; }
isnsadm_list entities > "$T/out"
grep -q 'Entity identifier = "tgt:' "$T/out" &&
grep -q 'Entity protocol = iSCSI' "$T/out" &&
    ok "entity tgt:<host>, protocol iSCSI" ||
    { fail "entity tgt:<host>, protocol iSCSI"; indent "$T/out"; }

# Reload: two goes, three comes.
{
	echo "isns server 127.0.0.1 port 3205"
	target one
	target three
} | tgt_conf
kill -HUP "$MASTER"
gone_two() { registered one three && ! registered two; }
if wait_for 15 gone_two; then
	ok "reload: three registered, two deregistered, one kept"
else
	fail "reload: three registered, two deregistered, one kept"
	isnsadm_list nodes | indent
fi

# Reload without iSNS: the entity goes.
{
	target one
	target three
} | tgt_conf
kill -HUP "$MASTER"
empty() { [ -z "$(isnsadm_list entities | grep 'Entity identifier = "tgt:')" ]; }
if wait_for 15 empty; then
	ok "reload without isns server: entity deregistered"
else
	fail "reload without isns server: entity deregistered"
	isnsadm_list entities | indent
fi
master_alive && ok "master still running" || fail "master still running"

# A server that is not there: retried, the target serves regardless.
{
	echo "isns server 127.0.0.1 port $(free_port)"
	target one
} | tgt_conf
kill -HUP "$MASTER"
sleep 2
check_out "no iSNS server: the target still serves" '^Peripheral Device' \
    timeout 20 iscsi-inq "$URL/$IQN:one/1"
grep -q 'iSNS.*cannot connect\|iSNS: registration with .* failed' "$LOG" &&
    ok "no iSNS server: the failure is logged" ||
    { fail "no iSNS server: the failure is logged"; grep -i isns "$LOG" | indent; }
