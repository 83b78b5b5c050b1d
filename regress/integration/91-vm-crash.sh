#!/usr/bin/env bash
# Kernel initiator (regress/vm): nothing acknowledged is lost.  fio writes
# at random with crc32c verification (queue depth 16) through /dev/sdX
# while the LUN's tgt-lun and then the tgt-portal are killed with SIGKILL;
# the master restarts them, the kernel's session recovers by itself, and
# fio ends with no I/O error and no verify failure.
. "$(dirname "$0")/../lib/common.sh"
. "$top/regress/vm/lib.sh"
need_bin tgt-master

mkdisk "$T/d1.img" 512M
VM_IQN=$IQN
VM_PORT=$PORT
VM_FIO_SIZE=${VM_FIO_SIZE:-96M}
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

# kill_child NAME: SIGKILL the master's child NAME, wait for its successor.
kill_child() {
	local old new n=0
	old=$(children "$1" | head -n 1)
	[ -n "$old" ] || { echo "no $1"; return 1; }
	kill -KILL "$old"
	while [ $n -lt 100 ]; do
		new=$(children "$1" | head -n 1)
		[ -n "$new" ] && [ "$new" != "$old" ] && break
		sleep 0.1
		n=$((n + 1))
	done
	[ -n "$new" ] && [ "$new" != "$old" ] ||
	    { echo "$1 not restarted"; return 1; }
	echo "$1: killed $old, restarted as $new after $((n / 10)).$((n % 10)) s"
}

vm_event() {
	case $1 in
	kill-lun)	kill_child tgt-lun ;;
	kill-portal)	kill_child tgt-portal ;;
	*)		return 1 ;;
	esac
}

vm_run crash "$top/regress/vm/scenarios/crash.sh"
grep -q 'tgt-lun: killed' "$T/vm-crash.events" &&
    ok "the master restarted the killed tgt-lun" ||
    fail "the master restarted the killed tgt-lun"
grep -q 'tgt-portal: killed' "$T/vm-crash.events" &&
    ok "the master restarted the killed tgt-portal" ||
    fail "the master restarted the killed tgt-portal"
sed 's/^/# /' "$T/vm-crash.events"
tgt_stop
