# Scenario of 98-vm-burn (guest side, bash).
P=$VM_HOST:$VM_PORT
node() { iscsiadm -m node -T "$VM_IQN" -p "$P" "$@"; }
modprobe sr_mod
modprobe isofs
ev_check() {
	local name=$1
	shift
	if vm_event "$@"; then vm_ok "$name"; else vm_fail "$name"; fi
}
# The kernel learns what a burn changed when the disc comes in again.
reload() {
	if command -v eject > /dev/null; then
		eject "$dev" && eject -t "$dev"
	else
		sg_start --eject "$dev" && sg_start --load "$dev"
	fi
	blockdev --getsize64 "$dev" > /dev/null 2>&1
}
same() {	# same FILE MD5
	local sum
	sum=$(md5sum < "$1" 2>/dev/null)
	[ "${sum%% *}" = "$2" ]
}

if ! command -v xorriso > /dev/null; then
	vm_skip "xorriso is not in the guest"
	exit 0
fi
vm_check_out "iscsiadm discovery lists the target" "$VM_IQN" \
    iscsiadm -m discovery -t st -p "$P" || exit 1
vm_check "login" node --login || exit 1
vm_wait 30 vm_disk_of "$VM_IQN" 1 ||
    { vm_fail "the LUN appears as a block device"; lsscsi; exit 1; }
dev=/dev/$(vm_disk_of "$VM_IQN" 1)
vm_wait 10 test -b "$dev"
vm_ok "the drive is $dev"
vm_check_out "sg_get_config: a blank DVD+R" "Current profile: DVD\+R\$" \
    sg_get_config "$dev"
if command -v dvd+rw-mediainfo > /dev/null; then
	vm_check_out "dvd+rw-mediainfo: blank DVD+R" "Disc status: *blank" \
	    dvd+rw-mediainfo "$dev"
fi

mkdir -p /tmp/s1 /tmp/s2 /tmp/s3 /tmp/s4 /mnt/cd
dd if=/dev/urandom of=/tmp/s1/one.bin bs=1k count=3000 2>/dev/null
dd if=/dev/urandom of=/tmp/s2/two.bin bs=1k count=5000 2>/dev/null
dd if=/dev/urandom of=/tmp/s3/three.bin bs=1M count=64 2>/dev/null
echo last > /tmp/s4/last.txt
m1=$(md5sum < /tmp/s1/one.bin); m1=${m1%% *}
m2=$(md5sum < /tmp/s2/two.bin); m2=${m2%% *}

vm_check "xorriso burns the first session" xorriso -abort_on FAILURE \
    -outdev "$dev" -map /tmp/s1 /s1 -commit || { cat /tmp/vm.out; exit 1; }
vm_check "xorriso appends a second session" xorriso -abort_on FAILURE \
    -dev "$dev" -map /tmp/s2 /s2 -commit || { cat /tmp/vm.out; exit 1; }
reload
vm_check_out "READ TOC: two sessions" "Number of Sessions: *3|Sessions: *3" \
    dvd+rw-mediainfo "$dev"
vm_check "mount the disc" mount -t iso9660 -o ro "$dev" /mnt/cd ||
    { dmesg | tail -20; exit 1; }
same /mnt/cd/s1/one.bin "$m1" && vm_ok "session 1's file reads back" ||
    vm_fail "session 1's file reads back"
same /mnt/cd/s2/two.bin "$m2" && vm_ok "session 2's file reads back" ||
    vm_fail "session 2's file reads back"
umount /mnt/cd

# The LUN process dies in the middle of a third session: the two closed
# sessions are still on the disc when the master has restarted it.
xorriso -abort_on FAILURE -dev "$dev" -map /tmp/s3 /s3 -commit \
    > /tmp/x3.out 2>&1 &
x3=$!
sleep 3
ev_check "the LUN process is killed in the middle of a burn" kill_lun
if wait $x3; then
	vm_fail "xorriso is cut off by the kill (it finished first)"
else
	vm_ok "xorriso is cut off by the kill"
fi
vm_wait 30 sg_turs "$dev" > /dev/null 2>&1
reload
vm_check "mount the disc after the restart" mount -t iso9660 -o ro "$dev" \
    /mnt/cd || { dmesg | tail -20; exit 1; }
same /mnt/cd/s1/one.bin "$m1" && same /mnt/cd/s2/two.bin "$m2" &&
    vm_ok "after kill -9: the closed sessions read back" ||
    vm_fail "after kill -9: the closed sessions read back"
umount /mnt/cd

vm_check "xorriso writes a last session and finalises the disc" \
    xorriso -abort_on FAILURE -dev "$dev" -map /tmp/s4 /s4 -close on \
    -commit || cat /tmp/vm.out
reload
vm_check_out "dvd+rw-mediainfo: the disc is complete" \
    "Disc status: *complete" dvd+rw-mediainfo "$dev"
vm_check "mount the finalised disc" mount -t iso9660 -o ro "$dev" /mnt/cd
same /mnt/cd/s1/one.bin "$m1" && same /mnt/cd/s2/two.bin "$m2" &&
    vm_check_out "the finalised disc has every session's files" "last" \
    cat /mnt/cd/s4/last.txt
umount /mnt/cd
if xorriso -abort_on FAILURE -dev "$dev" -map /tmp/s1 /again -commit \
    > /tmp/x5.out 2>&1; then
	vm_fail "a finalised disc takes no more sessions"
else
	vm_ok "a finalised disc takes no more sessions"
fi
# A DVD+RW with growisofs: FORMAT UNIT, an image written at 0, then
# grown in place (-M).
if ! command -v growisofs > /dev/null; then
	vm_skip "growisofs is not in the guest"
else
	vm_wait 30 vm_disk_of "$VM_IQN" 2 ||
	    { vm_fail "LUN 2 appears"; lsscsi; exit 1; }
	rw=/dev/$(vm_disk_of "$VM_IQN" 2)
	vm_wait 10 test -b "$rw"
	vm_check_out "sg_get_config: a DVD+RW" "Current profile: DVD\+RW" \
	    sg_get_config "$rw"
	# growisofs hands genisoimage the disc as /dev/fd/3
	[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
	# growisofs runs genisoimage; xorriso stands in for it if need be
	if ! command -v genisoimage > /dev/null; then
		printf '#!/bin/sh\nexec xorriso -as mkisofs "$@"\n' \
		    > /bin/genisoimage
		chmod +x /bin/genisoimage
	fi
	vm_check "an ISO image of session 1's files" xorriso -abort_on \
	    FAILURE -outdev stdio:/tmp/rw.iso -map /tmp/s1 /s1 -commit
	vm_check "growisofs -Z formats the DVD+RW and writes the image" \
	    growisofs -Z "$rw=/tmp/rw.iso" || cat /tmp/vm.out
	vm_check "growisofs -M grows it with session 2's files" \
	    growisofs -M "$rw" -R /tmp/s2 || cat /tmp/vm.out
	dev=$rw reload
	vm_check "mount the DVD+RW" mount -t iso9660 -o ro "$rw" /mnt/cd
	same /mnt/cd/s1/one.bin "$m1" && same /mnt/cd/two.bin "$m2" &&
	    vm_ok "the DVD+RW has both images' files" ||
	    { vm_fail "the DVD+RW has both images' files"; ls -lR /mnt/cd; }
	umount /mnt/cd
fi
vm_check "logout" node --logout
