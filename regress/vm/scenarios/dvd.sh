# Scenario of 97-vm-dvd (guest side, bash).
P=$VM_HOST:$VM_PORT
node() { iscsiadm -m node -T "$VM_IQN" -p "$P" "$@"; }
modprobe sr_mod
modprobe isofs
modprobe udf
# ev_check NAME EVENT [ARG]: the host's answer to an event, ok or FAIL
# (vm_event talks on the console, so not inside vm_check).
ev_check() {
	local name=$1
	shift
	if vm_event "$@"; then vm_ok "$name"; else vm_fail "$name"; fi
}

vm_check_out "iscsiadm discovery lists the target" "$VM_IQN" \
    iscsiadm -m discovery -t st -p "$P" || exit 1
vm_check "login" node --login || exit 1
vm_wait 30 vm_disk_of "$VM_IQN" 1 ||
    { vm_fail "the LUN appears as a block device"; lsscsi; exit 1; }
name=$(vm_disk_of "$VM_IQN" 1)
case $name in
sr*)	vm_ok "the LUN is /dev/$name (sr)" ;;
*)	vm_fail "the LUN is an sr device ($name)"; exit 1 ;;
esac
dev=/dev/$name
vm_wait 10 test -b "$dev"
vm_check_out "lsscsi: a type 5 (cd/dvd) TGT DVD" \
    "(cd/dvd|\(5\))[[:space:]]+TGT[[:space:]]+DVD" lsscsi
vm_check_out "sg_get_config: the current profile is DVD-ROM" \
    "Current profile: DVD-ROM" sg_get_config "$dev"
grep -q "Random readable" /tmp/vm.out ||
    vm_fail "sg_get_config lists the Random readable feature"
grep -q "Removable media" /tmp/vm.out ||
    vm_fail "sg_get_config lists the Removable media feature"
if command -v dvd+rw-mediainfo > /dev/null; then
	vm_check_out "dvd+rw-mediainfo: a DVD-ROM" "Mounted Media: *10h, DVD-ROM" \
	    dvd+rw-mediainfo "$dev"
	cat /tmp/vm.out | head -40
else
	vm_skip "dvd+rw-mediainfo is not in the guest"
fi
vm_check_out "the kernel's size of the disc is the image's" \
    "^$VM_SIZE_ONE\$" blockdev --getsize64 "$dev"

mkdir -p /mnt/cd
vm_check "mount the DVD (iso9660)" mount -t iso9660 -o ro "$dev" /mnt/cd ||
    { dmesg | tail -20; exit 1; }
sum=$(md5sum < /mnt/cd/data.bin)
[ "${sum%% *}" = "$VM_MD5_ONE" ] && vm_ok "data.bin compares equal" ||
    vm_fail "data.bin compares equal (${sum%% *} / $VM_MD5_ONE)"
vm_check_out "README.TXT reads back" "the first disc" cat /mnt/cd/README.TXT
vm_check "umount" umount /mnt/cd

# The guest ejects the disc: the tray opens.
if command -v eject > /dev/null; then
	vm_check "eject $dev" eject "$dev"
else
	vm_check "sg_start --eject" sg_start --eject "$dev"
fi
if sg_turs "$dev" > /tmp/tur.out 2>&1; then
	vm_fail "TEST UNIT READY after eject: not ready"
else
	vm_ok "TEST UNIT READY after eject: not ready"
fi
ev_check "tgtctl drive unload takes the disc out" unload
ev_check "tgtctl drive load puts two.iso in" load two.iso
# The kernel notices the new disc when it is opened next (GET EVENT
# STATUS NOTIFICATION, the 28/00 unit attention) and reads its size.
vm_check "mount the second DVD" mount -t iso9660 -o ro "$dev" /mnt/cd ||
    { dmesg | tail -20; exit 1; }
vm_check_out "the kernel's size is the second image's" \
    "^$VM_SIZE_TWO\$" blockdev --getsize64 "$dev"
sum=$(md5sum < /mnt/cd/sub/big.bin)
[ "${sum%% *}" = "$VM_MD5_TWO" ] && vm_ok "sub/big.bin compares equal" ||
    { vm_fail "sub/big.bin compares equal (${sum%% *} / $VM_MD5_TWO)";
    ls -lR /mnt/cd; dmesg | tail -40; }
vm_check_out "README.TXT is the second disc's" "the second disc" \
    cat /mnt/cd/README.TXT

# While it is mounted the kernel prevents removal: tgtctl cannot take
# the disc out, and the drive reports an eject request instead, as when
# the button of a locked drive is pressed.  With the kernel polling the
# drive's events (as udev sets it up on desktops), udev's cdrom_id
# answers it: it unlocks the drive and opens the tray.
echo 1000 > /sys/block/$name/events_poll_msecs
# The kernel locks a mounted disc only if it found the drive lockable
# when it probed it (seen not to, once); prevent removal explicitly too.
vm_check "sg_prevent: removal prevented" sg_prevent --prevent=1 "$dev"
ev_check "tgtctl cannot take out a mounted disc (removal prevented)" \
    unload_refused
tray_open() {
	sg_raw -r 8 "$dev" bd 00 00 00 00 00 00 00 00 08 00 00 2>&1 |
	    grep -qE '^ *00 +00 1'
}
if vm_wait 30 tray_open; then
	vm_ok "the eject request reaches udev, which opens the tray"
else
	vm_fail "the eject request reaches udev, which opens the tray"
	sg_raw -r 8 "$dev" bd 00 00 00 00 00 00 00 00 08 00 00
fi
echo 0 > /sys/block/$name/events_poll_msecs
umount /mnt/cd
vm_check_out "the same session all along" "^1\$" \
    sh -c "iscsiadm -m session | wc -l"
vm_check "logout" node --logout
