# Scenario of 98-vm-jukebox (guest side, bash).
modprobe sr_mod
modprobe isofs
modprobe ch
vm_login 0 > /dev/null 2>&1
vm_wait 30 vm_has_dev 1 scsi_generic 'sg[0-9]+'
vm_wait 30 vm_has_dev 0 block 'sr[0-9]+'
CH=$(vm_dev 1 scsi_generic 'sg[0-9]+')
SR=$(vm_dev 0 block 'sr[0-9]+')
vm_wait 10 test -b "$SR"
vm_note "changer $CH, DVD drive $SR"
vm_check_out "mtx status: the DVD drive and the two discs" \
    'Storage Element 2:Full :VolumeTag=two.iso' mtx -f "$CH" status
grep -q 'Data Transfer Element 0:Empty' /tmp/vm.out ||
    vm_fail "mtx status: the DVD drive is empty"
mkdir -p /mnt/cd
# load SLOT MD5: mtx load, the kernel sees the disc, mount, compare.
load() {
	vm_check "mtx load $1 0" mtx -f "$CH" load "$1" 0 || return 1
	# the drive reports NOT READY TO READY CHANGE and new media
	vm_wait 30 sh -c "mount -t iso9660 -o ro $SR /mnt/cd" ||
	    { vm_fail "the disc of slot $1 mounts from $SR"; dmesg | tail -n 5; return 1; }
	vm_ok "the disc of slot $1 mounts from $SR ($(blockdev --getsize64 $SR) bytes)"
	[ "$(md5sum < /mnt/cd/data.bin | cut -d' ' -f1)" = "$2" ] &&
	    vm_ok "slot $1's disc reads back identical" ||
	    vm_fail "slot $1's disc reads back identical"
	umount /mnt/cd
}
load 1 "$VM_MD5_ONE"
# The sr driver locks the tray while the disc is open; as with a real
# jukebox, the changer cannot take a locked disc, then can once the
# host allows its removal.
if mtx -f "$CH" unload 1 0 > /tmp/u.out 2>&1; then
	vm_note "the disc was not locked"
else
	grep -q 'Additional Sense Code = 53' /tmp/u.out &&
	    vm_ok "mtx unload of a locked disc: MEDIUM REMOVAL PREVENTED (53/02)" ||
	    { vm_fail "mtx unload of a locked disc: MEDIUM REMOVAL PREVENTED"; cat /tmp/u.out; }
fi
# The kernel locks the tray at every open (udev's probes open it too):
# a jukebox host turns that off, then allows the removal.
echo 0 > /proc/sys/dev/cdrom/lock
udevadm settle -t 10 > /dev/null 2>&1
vm_check "sg_prevent --allow on the DVD drive" sg_prevent --allow "$SR"
vm_wait 20 sh -c "sg_prevent --allow $SR; mtx -f $CH unload 1 0" > /dev/null 2>&1
vm_check_out "mtx unload 1 0: slot 1 holds one.iso again" \
    'Storage Element 1:Full :VolumeTag=one.iso' mtx -f "$CH" status
load 2 "$VM_MD5_TWO"
vm_check_out "mtx status: the drive holds two.iso from slot 2" \
    'Data Transfer Element 0:Full \(Storage Element 2 Loaded\):VolumeTag = two.iso' \
    mtx -f "$CH" status
iscsiadm -m node --logoutall=all > /dev/null
