#!/usr/bin/env bash
# Kernel initiator (regress/vm): thin provisioning.  On a thin LUN, fstrim
# of a mounted ext4 after a file is removed, and blkdiscard of a range,
# give the space back: the backing file's allocation (du) shrinks.
. "$(dirname "$0")/../lib/common.sh"
. "$top/regress/vm/lib.sh"
need_bin tgt-master

mkdisk "$T/d1.img" 512M
VM_IQN=$IQN
VM_PORT=$PORT
{
	conf_header
	echo "listen on $ADDR port $PORT advertise \"$VM_HOST:$PORT\""
	cat <<EOF2
target "$IQN" {
	allow all
	lun 1 disk "$T/d1.img" {
		thin-provisioning yes
	}
}
EOF2
} > "$CONF"
tgt_start || exit 1

alloc() { du -k "$T/d1.img" | cut -f1; }
vm_event() {
	local now
	case $1 in
	mark)
		alloc > "$T/mark"
		echo "allocated: $(cat "$T/mark") KiB"
		;;
	shrunk)
		# shrunk KIB: the allocation fell by at least KIB since the mark
		now=$(alloc)
		echo "allocated: $(cat "$T/mark") -> $now KiB (want -$2)"
		[ $(( $(cat "$T/mark") - now )) -ge "$2" ]
		;;
	*)	return 1 ;;
	esac
}

vm_run thin "$top/regress/vm/scenarios/thin.sh"
sed 's/^/# /' "$T/vm-thin.events"
tgt_stop
