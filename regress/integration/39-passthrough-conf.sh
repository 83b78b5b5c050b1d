#!/usr/bin/env bash
# lun N passthrough: what tgt-master refuses, with the file and line,
# before any LUN process starts (this machine has no SCSI device to pass
# through; 96-vm-passthrough passes real ones through in the guest):
# options (reservations device or target only), a relative path, a path that does not exist, a regular file,
# a character device that is not sg or bsg.  tgtctl import's mapping of
# bs-type sg is in 80-import.
. "$(dirname "$0")/../lib/common.sh"
need_bin tgt-master

# refused NAME REGEX LUN-LINE...: a file with those LUNs is refused at
# start-up with a message that matches.
refused() {
	local name=$1 re=$2
	shift 2
	{
		conf_header
		echo "listen on $ADDR port $(free_port)"
		echo "target \"$IQN\" {"
		printf '%s\n' "$@"
		echo "}"
	} > "$T/$name.conf"
	check_out "$name: refused with file:line" "$name.conf:[0-9]+: $re" \
	    bash -c "! timeout 20 '$BIN/tgt-master' -d -f '$T/$name.conf' 2>&1"
}

refused options 'LUN 1: a passthrough device takes reservations only' \
    '	lun 1 passthrough "/dev/sg0" {' '		block-size 4096' '	}'
refused resvalue 'reservations "everyone": device, target or cluster' \
    '	lun 1 passthrough "/dev/sg0" { reservations everyone }'
refused resdisk 'LUN 1: reservations is an option of a passthrough LUN' \
    '	lun 1 disk "/dev/null" { reservations target }'
refused relative 'passthrough "sg0": the path of an sg' \
    '	lun 1 passthrough "sg0"'
refused missing "cannot open $T/nosuch: No such file" \
    "	lun 1 passthrough \"$T/nosuch\""
: > "$T/plain"
refused plain "passthrough $T/plain: not a character device" \
    "	lun 1 passthrough \"$T/plain\""
refused null 'passthrough /dev/null: not an sg or bsg device' \
    '	lun 1 passthrough "/dev/null"'
# -n prints it back as it was given
tgt_conf <<EOF2
target "$IQN" {
	lun 3 passthrough "/dev/bsg/0:0:0:0"
	lun 4 passthrough "/dev/sg7" { reservations target }
}
EOF2
check_out "tgt-master -n accepts and prints passthrough LUNs" \
    'lun 3 passthrough "/dev/bsg/0:0:0:0" \{ reservations device \}' \
    "$BIN/tgt-master" -n -v -f "$CONF"
check_out "tgt-master -n prints reservations target" \
    'lun 4 passthrough "/dev/sg7" \{ reservations target \}' \
    "$BIN/tgt-master" -n -v -f "$CONF"
