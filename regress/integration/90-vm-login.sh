#!/usr/bin/env bash
# Kernel initiator (regress/vm): iscsiadm discovery and login with mutual
# CHAP (a wrong secret refused first), mkfs.ext4 and a 64 MiB file that
# reads back with the same md5 after a remount with cold caches, our
# identity in lsscsi, sg_inq and sg_vpd, and a clean logout.
. "$(dirname "$0")/../lib/common.sh"
. "$top/regress/vm/lib.sh"
need_bin tgt-master

mkdisk "$T/d1.img" 512M
VM_IQN=$IQN
VM_PORT=$PORT
VM_USER=vmuser
VM_SECRET=vm-chap-secret-1
VM_MUSER=vmtarget
VM_MSECRET=vm-mutual-secret-2
VM_SERIAL=VMSER90LOGIN
{
	conf_header
	echo "listen on $ADDR port $PORT advertise \"$VM_HOST:$PORT\""
	cat <<EOF2
target "$IQN" {
	allow all
	auth chap user "$VM_USER" secret "$VM_SECRET"
	auth mutual user "$VM_MUSER" secret "$VM_MSECRET"
	lun 1 disk "$T/d1.img" {
		serial "$VM_SERIAL"
	}
}
EOF2
} > "$CONF"
tgt_start || exit 1
check_out "SendTargets gives the advertised address" \
    "Portal:$VM_HOST:$PORT,1" timeout 20 iscsi-ls "$URL"

vm_run login "$top/regress/vm/scenarios/login.sh"

check_out "no session is left after the guest's logout" '^0$' \
    sh -c "\"$BIN/tgtctl\" -s '$SOCK' -j show sessions | jq length"
# A reload that changes the advertised address: the next discovery gives
# it, and the listener's portal keeps running.
pid=$(children tgt-portal)
sed -i "s/advertise \"$VM_HOST:$PORT\"/advertise \"192.0.2.7\"/" "$CONF"
check "reload with a new advertised address" "$BIN/tgtctl" -s "$SOCK" reload
check_out "SendTargets gives the new address (listener's port)" \
    "Portal:192.0.2.7:$PORT,1" timeout 20 iscsi-ls "$URL"
[ "$(children tgt-portal)" = "$pid" ] &&
    ok "the portal was not restarted for it" ||
    fail "the portal was not restarted for it"
tgt_stop
