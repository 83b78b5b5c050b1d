#!/usr/bin/env bash
# Kernel initiator (regress/vm): dm-multipath with "prio alua" and the
# scsi_dh_alua handler over two listeners in two target port groups
# (1 active/optimized and preferred, 2 active/non-optimized).  fio
# writes and verifies through the map while the I/O is seen on the
# optimized path only; tgtctl puts group 1 in standby (the I/O moves to
# group 2's path), back to active/optimized (it comes back), and then
# group 1's tgt-portal is killed (it moves, and comes back once the
# master restarted the portal).  No I/O error, no verify failure.
. "$(dirname "$0")/../lib/common.sh"
. "$top/regress/vm/lib.sh"
need_bin tgt-master
need_bin tgtctl

PORT2=$(free_port)
while [ "$PORT2" = "$PORT" ]; do PORT2=$(free_port); done
mkdisk "$T/d1.img" 256M
VM_IQN=$IQN
VM_PORT=$PORT
VM_PORT2=$PORT2

{
	conf_header
	cat <<EOF2
port-group 1 {
	state active-optimized
	preferred yes
	listen on $ADDR port $PORT advertise "$VM_HOST:$PORT"
}
port-group 2 {
	state active-non-optimized
	listen on $ADDR port $PORT2 advertise "$VM_HOST:$PORT2"
}
target "$IQN" {
	allow all
	lun 1 disk "$T/d1.img"
}
EOF2
} > "$CONF"
tgt_start || exit 1

vm_event() {
	case $1 in
	state)
		"$BIN/tgtctl" -s "$SOCK" port-group "$2" state "$3" &&
		    "$BIN/tgtctl" -s "$SOCK" show port-groups
		;;
	stop-portal)
		kill -STOP "$(vm_portal_of "$PORT")"
		;;
	kill-portal)
		vm_kill_portal "$PORT"
		;;
	*)	return 1 ;;
	esac
}

vm_run alua "$top/regress/vm/scenarios/alua.sh"
sed 's/^/# /' "$T/vm-alua.events"
tgt_stop
