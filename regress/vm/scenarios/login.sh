# Scenario of 90-vm-login (guest side, busybox sh).
P=$VM_HOST:$VM_PORT
node() { iscsiadm -m node -T "$VM_IQN" -p "$P" "$@"; }
set_auth() {
	node -o update -n node.session.auth.authmethod -v CHAP &&
	node -o update -n node.session.auth.username -v "$VM_USER" &&
	node -o update -n node.session.auth.password -v "$1" &&
	node -o update -n node.session.auth.username_in -v "$VM_MUSER" &&
	node -o update -n node.session.auth.password_in -v "$VM_MSECRET"
}

vm_check_out "iscsiadm discovery lists the target at $P" \
    "^$P,1 $VM_IQN\$" iscsiadm -m discovery -t st -p "$P" || exit 1
set_auth wrong-secret-123
if node --login > /tmp/login.out 2>&1; then
	vm_fail "a wrong CHAP secret is refused"
	node --logout
else
	grep -qi 'auth' /tmp/login.out &&
	    vm_ok "a wrong CHAP secret is refused (authorization failure)" ||
	    { vm_fail "a wrong CHAP secret is refused with an auth error"; cat /tmp/login.out; }
fi
set_auth "$VM_SECRET"
vm_check "login with mutual CHAP" node --login || exit 1
vm_wait 30 vm_disk_of "$VM_IQN" 1 ||
    { vm_fail "the LUN appears as a disk"; lsscsi; exit 1; }
dev=/dev/$(vm_disk_of "$VM_IQN" 1)
vm_wait 10 test -b "$dev"
vm_ok "the LUN is $dev"

vm_check_out "lsscsi shows our vendor and product" \
    "disk[[:space:]]+TGT[[:space:]]+DISK" lsscsi
vm_check_out "sg_inq: vendor TGT, product DISK" \
    "Vendor identification: TGT" sg_inq "$dev"
grep -q "Product identification: DISK" /tmp/vm.out ||
    vm_fail "sg_inq: product DISK"
vm_check_out "sg_vpd unit serial number page: the configured serial" \
    "Unit serial number: $VM_SERIAL" sg_vpd -p sn "$dev"
vm_check_out "sg_vpd device identification page: an NAA designator" \
    "designator type: NAA" sg_vpd -p di "$dev"
vm_check_out "the session's mutual CHAP is recorded by iscsiadm" \
    "username_in: $VM_MUSER" iscsiadm -m session -P 2

vm_check "mkfs.ext4" mkfs.ext4 -q -F "$dev" || exit 1
mkdir -p /mnt/t
vm_check "mount" mount -t ext4 "$dev" /mnt/t || exit 1
dd if=/dev/urandom of=/mnt/t/data bs=1M count=64 2>/dev/null
sum1=$(md5sum < /mnt/t/data)
vm_check "umount" umount /mnt/t
blockdev --flushbufs "$dev"
echo 3 > /proc/sys/vm/drop_caches
vm_check "mount again" mount -t ext4 -o ro "$dev" /mnt/t
sum2=$(md5sum < /mnt/t/data)
[ "$sum1" = "$sum2" ] && vm_ok "64 MiB file reads back identical (md5 ${sum1%% *})" ||
    vm_fail "64 MiB file reads back identical ($sum1 / $sum2)"
umount /mnt/t
vm_check "logout" node --logout
if iscsiadm -m session > /tmp/s.out 2>&1; then
	vm_fail "no session left after logout"; cat /tmp/s.out
else
	vm_ok "no session left after logout"
fi
