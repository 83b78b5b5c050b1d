# Scenario of 93-vm-grow (guest side, busybox sh).
P=$VM_HOST:$VM_PORT
node() { iscsiadm -m node -T "$VM_IQN" -p "$P" "$@"; }
iscsiadm -m discovery -t st -p "$P" > /dev/null || { vm_fail "discovery"; exit 1; }
vm_check "login" node --login || exit 1
vm_wait 30 vm_disk_of "$VM_IQN" 1 || { vm_fail "the LUN appears"; exit 1; }
d=$(vm_disk_of "$VM_IQN" 1)
dev=/dev/$d
vm_wait 10 test -b "$dev"
old=$(blockdev --getsize64 "$dev")
vm_check "mkfs.ext4 on the $old-byte LUN" mkfs.ext4 -q -F "$dev" || exit 1
mkdir -p /mnt/t
mount -t ext4 "$dev" /mnt/t || { vm_fail "mount"; exit 1; }
dd if=/dev/urandom of=/mnt/t/before bs=1M count=16 2>/dev/null
sum1=$(md5sum < /mnt/t/before)
sync
kb1=$(df -k /mnt/t | awk 'NR == 2 { print $2 }')

vm_event grow || { vm_fail "host grows the backing file and reloads"; exit 1; }
# The next command gets the unit attention.
dd if="$dev" of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null
dd if="$dev" of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null
if vm_wait 20 sh -c "dmesg | grep -qi 'capacity data has changed'"; then
	vm_ok "the kernel got CAPACITY DATA HAS CHANGED"
else
	vm_fail "the kernel got CAPACITY DATA HAS CHANGED"; dmesg | tail -n 10
fi
dmesg | grep -i capacity | tail -n 2
# The Linux sd driver reports the unit attention but reads the capacity
# again only on a rescan.
vm_check "iscsiadm session rescan" iscsiadm -m session --rescan
new=$(blockdev --getsize64 "$dev")
[ "$new" = "$VM_NEWSIZE" ] &&
    vm_ok "blockdev --getsize64: $old -> $new bytes" ||
    vm_fail "blockdev --getsize64 is $VM_NEWSIZE after the rescan (got $new)"
vm_check "resize2fs grows the mounted file system" resize2fs "$dev"
kb2=$(df -k /mnt/t | awk 'NR == 2 { print $2 }')
[ "$kb2" -gt $((kb1 * 2)) ] &&
    vm_ok "df: $kb1 -> $kb2 KiB" || vm_fail "df grows beyond twice $kb1 KiB (got $kb2)"
dd if=/dev/urandom of=/mnt/t/after bs=1M count=120 2>/dev/null &&
    vm_ok "120 MiB (more than the old file system held) written" ||
    vm_fail "120 MiB (more than the old file system held) written"
umount /mnt/t
echo 3 > /proc/sys/vm/drop_caches
vm_check "e2fsck -fn finds no error" e2fsck -fn "$dev"
mount -t ext4 -o ro "$dev" /mnt/t
[ "$(md5sum < /mnt/t/before)" = "$sum1" ] &&
    vm_ok "the file written before the growth reads back identical" ||
    vm_fail "the file written before the growth reads back identical"
umount /mnt/t
node --logout > /dev/null
