#!/usr/bin/env bash
# Kernel initiator (regress/vm): dm-multipath over two listeners of one
# target.  fio keeps writing and verifying through the multipath device
# while the second listener is removed by a reload (its path fails, I/O
# goes on over the first), comes back (the path returns), and then the
# first listener's tgt-portal is killed (the master restarts it, its path
# recovers).  multipath -ll shows both paths; no I/O error, no verify
# failure.
. "$(dirname "$0")/../lib/common.sh"
. "$top/regress/vm/lib.sh"
need_bin tgt-master

PORT2=$(free_port)
while [ "$PORT2" = "$PORT" ]; do PORT2=$(free_port); done
mkdisk "$T/d1.img" 256M
VM_IQN=$IQN
VM_PORT=$PORT
VM_PORT2=$PORT2

# write_conf N: the configuration with the first N listeners.
write_conf() {
	{
		conf_header
		echo "listen on $ADDR port $PORT advertise \"$VM_HOST:$PORT\""
		[ "$1" -ge 2 ] &&
		    echo "listen on $ADDR port $PORT2 advertise \"$VM_HOST:$PORT2\""
		cat <<EOF2
drain timeout 2
target "$IQN" {
	allow all
	lun 1 disk "$T/d1.img"
}
EOF2
	} > "$CONF"
}
write_conf 2
tgt_start || exit 1

vm_event() {
	case $1 in
	remove-listener)
		write_conf 1
		"$BIN/tgtctl" -s "$SOCK" reload
		;;
	restore-listener)
		write_conf 2
		"$BIN/tgtctl" -s "$SOCK" reload
		;;
	kill-portal)
		vm_kill_portal "$PORT"
		;;
	*)	return 1 ;;
	esac
}

vm_run multipath "$top/regress/vm/scenarios/multipath.sh"
sed 's/^/# /' "$T/vm-multipath.events"
tgt_stop
