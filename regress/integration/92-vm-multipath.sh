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

# portal_of PORT: the tgt-portal serving that port.
portal_of() {
	local pid
	for pid in $(children tgt-portal); do
		[ "$(ps -o args= -p "$pid")" = "tgt-portal: $ADDR:$1" ] &&
		    { echo "$pid"; return 0; }
	done
	return 1
}

vm_event() {
	local old new n=0
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
		old=$(portal_of "$PORT") || { echo "no portal on $PORT"; return 1; }
		kill -KILL "$old"
		while [ $n -lt 100 ]; do
			new=$(portal_of "$PORT") && [ "$new" != "$old" ] && break
			sleep 0.1
			n=$((n + 1))
		done
		echo "tgt-portal on $PORT: killed $old, now ${new:-none}"
		[ -n "$new" ] && [ "$new" != "$old" ]
		;;
	*)	return 1 ;;
	esac
}

vm_run multipath "$top/regress/vm/scenarios/multipath.sh"
sed 's/^/# /' "$T/vm-multipath.events"
tgt_stop
