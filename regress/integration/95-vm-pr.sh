#!/usr/bin/env bash
# Kernel initiator (regress/vm): persistent reservations between two
# initiators.  Two iface records with two initiator names log in to one
# LUN; sg_persist registers both, one reserves Write Exclusive, the
# other's write gets RESERVATION CONFLICT while its read passes, PREEMPT
# moves the reservation, RELEASE frees it.
. "$(dirname "$0")/../lib/common.sh"
. "$top/regress/vm/lib.sh"
need_bin tgt-master

mkdisk "$T/d1.img" 64M
VM_IQN=$IQN
VM_PORT=$PORT
{
	conf_header
	echo "listen on $ADDR port $PORT advertise \"$VM_HOST:$PORT\""
	cat <<EOF2
target "$IQN" {
	allow all
	lun 1 disk "$T/d1.img"
}
EOF2
} > "$CONF"
tgt_start || exit 1
vm_run pr "$top/regress/vm/scenarios/pr.sh"
tgt_stop
