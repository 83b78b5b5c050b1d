# Scenario of 96-vm-local (guest side, bash): target in the guest.
C=/tmp/tgt
mkdir -p $C
chmod 755 /tgt/empty
vm_check "scsi_debug makes a 96 MiB disk" modprobe scsi_debug dev_size_mb=96 \
    sector_size=512 || exit 1
vm_wait 10 sh -c 'ls /sys/bus/pseudo/drivers/scsi_debug/adapter*/host*/target*/*/block/ 2>/dev/null | grep -q sd'
sdbg=/dev/$(ls /sys/bus/pseudo/drivers/scsi_debug/adapter*/host*/target*/*/block/ | head -n 1)
vm_wait 10 test -b "$sdbg" && vm_ok "scsi_debug disk is $sdbg" ||
    { vm_fail "scsi_debug disk appears"; exit 1; }
truncate -s 64M $C/file.img
cat > $C/tgt.conf <<EOF2
user "_tgt"
chroot "/tgt/empty"
control socket "/run/tgt.sock"
listen on 127.0.0.1 port 3260
target "$VM_IQN" {
	allow all
	lun 1 disk "$sdbg" { serial "SDEBUG1" }
	lun 2 disk "$C/file.img" { serial "FILE2" }
}
EOF2
vm_check "tgt-master -n accepts the file" /tgt/bin/tgt-master -n -f $C/tgt.conf
/tgt/bin/tgt-master -d -f $C/tgt.conf > $C/log 2>&1 &
mpid=$!
vm_wait 20 sh -c 'netstat -ltn | grep -q "127.0.0.1:3260 "' &&
    vm_ok "tgt-master listens on 127.0.0.1:3260 in the guest" ||
    { vm_fail "tgt-master listens in the guest"; cat $C/log; exit 1; }
vm_wait 20 sh -c "iscsiadm -m discovery -t st -p 127.0.0.1 | grep -q '$VM_IQN'" &&
    vm_ok "discovery in the guest" ||
    { vm_fail "discovery in the guest"; cat $C/log; exit 1; }
vm_check "login in the guest" iscsiadm -m node -T "$VM_IQN" -p 127.0.0.1 --login ||
    { cat $C/log; exit 1; }
vm_check_out "tgtctl in the guest shows both LUNs" 'FILE2|file.img' \
    /tgt/bin/tgtctl -s /run/tgt.sock show luns
mkdir -p /mnt/t
for lun in 1 2; do
	vm_wait 30 vm_disk_of "$VM_IQN" $lun || { vm_fail "LUN $lun appears"; continue; }
	dev=/dev/$(vm_disk_of "$VM_IQN" $lun)
	vm_wait 10 test -b "$dev"
	[ $lun = 1 ] && sn=SDEBUG1 || sn=FILE2
	vm_check_out "LUN $lun ($dev): serial $sn" "Unit serial number: $sn" \
	    sg_vpd -p sn "$dev"
	vm_md5_trip "$dev" 24 "LUN $lun ($dev)"
done
# The file system written through LUN 1 is on the scsi_debug disk itself.
mount -t ext4 -o ro "$sdbg" /mnt/t 2>/dev/null &&
    [ -s /mnt/t/f ] && vm_ok "what LUN 1 wrote is on $sdbg" ||
    vm_fail "what LUN 1 wrote is on $sdbg"
umount /mnt/t 2>/dev/null
iscsiadm -m node --logoutall=all > /dev/null
vm_tgt_stop $mpid $C/log
