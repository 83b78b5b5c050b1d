#!/usr/bin/env bash
# Kernel initiator burning a DVD+R (tgt-lun/mmc.c, regress/vm): a blank
# disc made with tgtctl disc create is LUN 1 of an optical drive; in the
# guest xorriso burns a first session to /dev/sr0, then appends a second
# one; the disc mounts with the files of both sessions, identical;
# dvd+rw-mediainfo describes it.  The LUN process is then killed
# (SIGKILL) and restarted by the master: the two closed sessions are
# still there.  A last session finalises the disc, which then reads as
# a complete disc.  growisofs formats a blank DVD+RW (LUN 2), writes an
# ISO image to it and grows it with a second one (-M), which mounts
# with both.
. "$(dirname "$0")/../lib/common.sh"
. "$top/regress/vm/lib.sh"
need_bin tgt-master
CTL=$BIN/tgtctl
MEDIA=$T/media
mkdir -m 755 "$MEDIA"
check_out "tgtctl disc create: a blank DVD+R of 96 MiB" "$MEDIA/blank.dvd" \
    "$CTL" disc create blank.dvd type dvd+r size 96M directory "$MEDIA"
check_out "tgtctl disc create: a blank DVD+RW of 64 MiB" "$MEDIA/rw.dvd" \
    "$CTL" disc create rw.dvd type dvd+rw size 64M directory "$MEDIA"

VM_IQN=$IQN
VM_PORT=$PORT
{
	conf_header
	echo "media directory \"$MEDIA\""
	echo "listen on $ADDR port $PORT advertise \"$VM_HOST:$PORT\""
	cat <<EOF2
target "$IQN" {
	allow all
	lun 1 optical "blank.dvd" {
		serial "BURN0001"
	}
	lun 2 optical "rw.dvd" {
		serial "BURN0002"
	}
}
EOF2
} > "$CONF"
tgt_start || exit 1

# The process of LUN 1 (its title ends with the target and LUN).
lun1() {
	local p
	for p in $(children tgt-lun); do
		tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null |
		    grep -qE "$IQN/1( |\$)" && echo "$p"
	done
}
new_lun() { local p; p=$(lun1); [ -n "$p" ] && [ "$p" != "$1" ]; }
vm_event() {
	local pid
	case $1 in
	kill_lun)
		pid=$(lun1)
		[ -n "$pid" ] || return 1
		kill -KILL "$pid"
		wait_for 30 new_lun "$pid"
		;;
	*)
		return 1 ;;
	esac
}

vm_run burn "$top/regress/vm/scenarios/burn.sh"
tgt_stop
