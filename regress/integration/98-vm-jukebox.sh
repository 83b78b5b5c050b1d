#!/usr/bin/env bash
# Kernel initiator (regress/vm): a DVD jukebox.  A media changer whose
# drive is an optical LUN and whose slots hold two ISO images: mtx load
# puts a disc into the DVD drive through the master (the image's
# descriptor handed to the drive's tgt-lun), the kernel's sr driver sees
# the new medium and mounts it, mtx unload and a second load change the
# disc in the same session.
. "$(dirname "$0")/../lib/common.sh"
. "$top/regress/vm/lib.sh"
need_bin tgtctl
if ! command -v xorriso > /dev/null; then
	skip "xorriso is installed (regress/install-deps.sh)"
	exit 0
fi
MEDIA=$T/media
mkdir -m 755 "$MEDIA" "$T/one" "$T/two" "$T/state"
head -c 2000000 /dev/urandom > "$T/one/data.bin"
head -c 5000000 /dev/urandom > "$T/two/data.bin"
check "xorriso makes disc one" xorriso -as mkisofs -quiet -R -V ONE \
    -o "$MEDIA/one.iso" "$T/one"
check "xorriso makes disc two" xorriso -as mkisofs -quiet -R -V TWO \
    -o "$MEDIA/two.iso" "$T/two"
chmod 644 "$MEDIA"/*.iso
VM_MD5_ONE=$(md5sum < "$T/one/data.bin" | cut -d' ' -f1)
VM_MD5_TWO=$(md5sum < "$T/two/data.bin" | cut -d' ' -f1)
vm_conf <<EOF2
media directory "$MEDIA"
state directory "$T/state"
target "$IQN" {
	allow all
	lun 0 optical { serial "DVD0001" }
	lun 1 changer {
		slots 4
		drive 0
		slot 1 "one.iso"
		slot 2 "two.iso"
	}
}
EOF2
check "tgt-master -n accepts a changer with an optical drive" \
    "$BIN/tgt-master" -n -f "$CONF"
tgt_start || exit 1
vm_run jukebox "$top/regress/vm/scenarios/jukebox.sh"
check_out "tgtctl show luns: the drive holds two.iso" 'two.iso' \
    "$BIN/tgtctl" -s "$SOCK" show luns
tgt_stop
