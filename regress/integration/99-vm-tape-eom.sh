#!/usr/bin/env bash
# Kernel initiator (regress/vm): a tape drive's end of medium and a crash.
# GNU tar writes a multi-volume archive (tar -M) over small cartridges,
# changing them with mtx at each end of medium, and reads it back; then
# the drive's tgt-lun is killed with SIGKILL in the middle of a tar
# write: after the master restarts it and the tape is rewound, every
# archive tar had finished reads back identical.
. "$(dirname "$0")/../lib/common.sh"
. "$top/regress/vm/lib.sh"
need_bin tgtctl

MEDIA=$T/media
mkdir -m 700 "$MEDIA" "$T/state"
for bc in SMALL01 SMALL02 SMALL03 SMALL04; do
	"$BIN/tgtctl" cartridge create $bc size 4M directory "$MEDIA" \
	    > /dev/null || fail "tgtctl cartridge create $bc"
done
"$BIN/tgtctl" cartridge create BIG01 size 256M directory "$MEDIA" \
    > /dev/null || fail "tgtctl cartridge create BIG01"
vm_conf <<EOF2
media directory "$MEDIA"
state directory "$T/state"
target "$IQN" {
	allow all
	lun 0 tape { serial "DRV0001" }
	lun 2 changer {
		slots 6
		drive 0
		slot 1 "SMALL01"
		slot 2 "SMALL02"
		slot 3 "SMALL03"
		slot 4 "SMALL04"
		slot 5 "BIG01"
	}
}
EOF2
tgt_start || exit 1

# kill_drive: SIGKILL the drive's tgt-lun, wait for its successor.
kill_drive() {
	local pid old= new= n=0
	for pid in $(children tgt-lun); do
		case $(ps -o args= -p "$pid") in
		*"$IQN/0") old=$pid ;;
		esac
	done
	[ -n "$old" ] || { echo "no drive process"; return 1; }
	kill -KILL "$old"
	while [ $n -lt 100 ]; do
		for pid in $(children tgt-lun); do
			case $(ps -o args= -p "$pid") in
			*"$IQN/0") new=$pid ;;
			esac
		done
		[ -n "$new" ] && [ "$new" != "$old" ] && break
		new=
		sleep 0.1
		n=$((n + 1))
	done
	echo "drive: killed $old, restarted as ${new:-none}"
	[ -n "$new" ]
}
vm_event() {
	case $1 in
	kill-drive)	kill_drive ;;
	*)		return 1 ;;
	esac
}

vm_run tape-eom "$top/regress/vm/scenarios/tape-eom.sh"
sed 's/^/# /' "$T/vm-tape-eom.events" 2>/dev/null
tgt_stop
