#!/usr/bin/env bash
# Kernel initiator and a DVD drive (tgt-lun/mmc.c, regress/vm): an ISO
# image made here with xorriso is LUN 1, a DVD-ROM in an optical drive.
# The guest sees /dev/sr0, sg_get_config and dvd+rw-mediainfo describe a
# DVD-ROM, the ISO mounts and its files compare equal; after umount the
# guest ejects it (START STOP UNIT), tgtctl takes it out and loads
# another image, and the kernel sees the new disc (its size, its files)
# without logging in again.  While that one is mounted tgtctl cannot
# take it out (the kernel prevents removal); the drive reports an eject
# request, and udev answers it by opening the tray.
. "$(dirname "$0")/../lib/common.sh"
. "$top/regress/vm/lib.sh"
need_bin tgt-master
if ! command -v xorriso > /dev/null; then
	skip "xorriso is installed (regress/install-deps.sh)"
	exit 0
fi
CTL=$BIN/tgtctl
MEDIA=$T/media
mkdir -m 755 "$MEDIA" "$T/one" "$T/two" "$T/two/sub"

head -c 3000000 /dev/urandom > "$T/one/data.bin"
echo "the first disc" > "$T/one/README.TXT"
head -c 7000000 /dev/urandom > "$T/two/sub/big.bin"
echo "the second disc" > "$T/two/README.TXT"
check "xorriso makes the first ISO image" xorriso -as mkisofs -quiet -R \
    -J -V ONE -o "$MEDIA/one.iso" "$T/one"
check "xorriso makes the second ISO image" xorriso -as mkisofs -quiet -R \
    -J -V TWO -o "$MEDIA/two.iso" "$T/two"
chmod 644 "$MEDIA"/*.iso

VM_IQN=$IQN
VM_PORT=$PORT
VM_MD5_ONE=$(md5sum < "$T/one/data.bin" | cut -d' ' -f1)
VM_MD5_TWO=$(md5sum < "$T/two/sub/big.bin" | cut -d' ' -f1)
VM_SIZE_ONE=$(stat -c %s "$MEDIA/one.iso")
VM_SIZE_TWO=$(stat -c %s "$MEDIA/two.iso")
{
	conf_header
	echo "media directory \"$MEDIA\""
	echo "listen on $ADDR port $PORT advertise \"$VM_HOST:$PORT\""
	cat <<EOF2
target "$IQN" {
	allow all
	lun 1 optical "one.iso" {
		serial "DVD0001"
	}
}
EOF2
} > "$CONF"
check "tgt-master -n accepts an optical drive" "$BIN/tgt-master" -n -f "$CONF"
tgt_start || exit 1
check_out "tgtctl show luns: the drive holds one.iso" "one.iso" \
    "$CTL" -s "$SOCK" show luns

# The guest's requests.
vm_event() {
	case $1 in
	unload_refused)
		! "$CTL" -s "$SOCK" drive unload "$IQN" 1 ;;
	unload)
		"$CTL" -s "$SOCK" drive unload "$IQN" 1 ;;
	load)
		"$CTL" -s "$SOCK" drive load "$IQN" 1 "$2" ;;
	*)
		return 1 ;;
	esac
}

vm_run dvd "$top/regress/vm/scenarios/dvd.sh"

check_out "tgtctl show luns: the drive holds two.iso" "two.iso" \
    "$CTL" -s "$SOCK" show luns
tgt_stop
