# Scenario of 94-vm-thin (guest side, bash).
P=$VM_HOST:$VM_PORT
node() { iscsiadm -m node -T "$VM_IQN" -p "$P" "$@"; }
vm_login || exit 1
dev=$VM_DEV
d=${dev#/dev/}
mode=$(cat /sys/block/$d/device/scsi_disk/*/provisioning_mode 2>/dev/null)
gran=$(cat /sys/block/$d/queue/discard_granularity)
[ "$mode" = unmap ] && vm_ok "the kernel sees a thin LUN (provisioning_mode $mode, discard granularity $gran)" ||
    vm_fail "the kernel sees a thin LUN (provisioning_mode '$mode')"

vm_check "mkfs.ext4" mkfs.ext4 -q -F -E nodiscard "$dev" || exit 1
mkdir -p /mnt/t
mount -t ext4 "$dev" /mnt/t || { vm_fail "mount"; exit 1; }
dd if=/dev/urandom of=/mnt/t/big bs=1M count=32 2>/dev/null
sync
vm_event mark
rm /mnt/t/big
sync
vm_check_out "fstrim of the mounted ext4" 'trimmed' fstrim -v /mnt/t
cat /tmp/vm.out
vm_event shrunk 28000 &&
    vm_ok "fstrim gave the removed 32 MiB file's space back (du)" ||
    vm_fail "fstrim gave the removed 32 MiB file's space back (du)"
umount /mnt/t

# blkdiscard of a range written below the file system's end.
dd if=/dev/urandom of="$dev" bs=1M seek=400 count=16 oflag=direct 2>/dev/null
sync
vm_event mark
vm_check "blkdiscard of 16 MiB at 400 MiB" blkdiscard -f -o $((400 * 1048576)) -l $((16 * 1048576)) "$dev"
vm_event shrunk 14000 &&
    vm_ok "blkdiscard gave the range's space back (du)" ||
    vm_fail "blkdiscard gave the range's space back (du)"
zeros=$(dd if="$dev" bs=1M skip=400 count=16 iflag=direct 2>/dev/null | tr -d '\0' | wc -c)
[ "$zeros" = 0 ] && vm_ok "the discarded range reads back as zeros" ||
    vm_fail "the discarded range reads back as zeros ($zeros bytes were not)"
node --logout > /dev/null
