# Scenario of 96-vm-passthrough (guest side, bash): SCSI passthrough with
# the target in the guest.  A scsi_debug disk, a qemu scsi-hd and a qemu
# scsi-cd (on virtio-scsi) are exported as passthrough LUNs (the disk by
# its bsg node); libiscsi's conformance suites give the same verdicts
# through the target as straight on the scsi_debug disk's sg node; the
# kernel initiator in the guest sees each device's own identity and does
# mkfs and an md5 round trip through both disks; then the scsi_debug
# disk is deleted under I/O: clean errors, no hang, the daemons live.
C=/tmp/tgt
mkdir -p $C
chmod 755 /tgt/empty
modprobe sg
vm_check "scsi_debug makes a 64 MiB disk" modprobe scsi_debug dev_size_mb=64 \
    sector_size=512 || exit 1
sdsys() {	# the scsi_debug disk's SCSI device directory
	ls -d /sys/bus/pseudo/drivers/scsi_debug/adapter*/host*/target*/*:*:*:* 2>/dev/null | head -n 1
}
vm_wait 10 sh -c "ls $(sdsys)/scsi_generic/ 2>/dev/null | grep -q sg"
sdev=$(sdsys)
sdhctl=$(basename "$sdev")
sdsg=/dev/$(ls "$sdev/scsi_generic" | head -n 1)
vm_wait 10 test -c /dev/bsg/$sdhctl
# qemu's disk and DVD drive on virtio-scsi, by model
qsg() {
	local d
	for d in /sys/class/scsi_generic/sg*; do
		grep -q "$1" "$d/device/model" 2>/dev/null &&
		    { echo /dev/$(basename "$d"); return 0; }
	done
	return 1
}
vm_wait 10 qsg "QEMU HARDDISK" && vm_wait 10 qsg "QEMU CD-ROM" ||
    { vm_fail "qemu's scsi-hd and scsi-cd appear"; lsscsi -g; exit 1; }
qhd=$(qsg "QEMU HARDDISK")
qcd=$(qsg "QEMU CD-ROM")
# tgt-lun opens an sg node as _tgt in the node's group.  Debian's udev
# rules give sg nodes group disk or cdrom, mode 0660, but the guest's
# udev runs with --resolve-names=never and applies no group: do what
# the rules would.
udevadm settle 2>/dev/null
for n in $sdsg $qhd; do chgrp disk $n; chmod 660 $n; done
chgrp cdrom $qcd; chmod 660 $qcd
vm_note "scsi_debug $sdhctl ($sdsg), qemu disk $qhd, qemu DVD $qcd"

# cu NAME TARGET: the suites against TARGET, verdicts in /tmp/cu-NAME
cu() {
	local s rc
	: > /tmp/cu-$1
	for s in $VM_CU_SUITES; do
		timeout 150 iscsi-test-cu -d -v -t "$s" "$2" \
		    > /tmp/cu-$1-$s.log 2>&1
		rc=$?
		vm_cu_score /tmp/cu-$1-$s.log > /tmp/cu-one
		cat /tmp/cu-one >> /tmp/cu-$1
		vm_note "$1 $s: exit $rc, $(grep -c '^PASS' /tmp/cu-one) passed, $(grep -c '^FAIL' /tmp/cu-one) failed, $(grep -c '^SKIP' /tmp/cu-one) skipped"
		if [ $rc -gt 1 ]; then
			tail -n 8 /tmp/cu-$1-$s.log
			[ -s $C/log ] && tail -n 12 $C/log
		fi
	done
}
have_cu=0
command -v iscsi-test-cu > /dev/null && have_cu=1
# The reference: libiscsi straight on the device's sg node (SG_IO).
t0=$(date +%s)
[ $have_cu = 1 ] && cu direct "$sdsg"
t1=$(date +%s)
# The device's own identification, for later.
sg_inq "$sdsg" > /tmp/inq-sd-direct 2>&1
sg_vpd -p di "$sdsg" > /tmp/di-sd-direct 2>&1
sg_inq "$qcd" > /tmp/inq-cd-direct 2>&1

cat > $C/tgt.conf <<EOF2
user "_tgt"
chroot "/tgt/empty"
control socket "/run/tgt.sock"
listen on 127.0.0.1 port 3260
target "$VM_IQN" {
	allow all
	lun 1 passthrough "/dev/bsg/$sdhctl"
	lun 2 passthrough "$qhd" { reservations target }
	lun 3 passthrough "$qcd"
}
EOF2
cat > $C/bad.conf <<EOF2
target "$VM_IQN" {
	allow all
	lun 1 passthrough "$sdsg" { block-size 4096 }
}
EOF2
vm_check "tgt-master -n accepts the passthrough LUNs" \
    /tgt/bin/tgt-master -n -f $C/tgt.conf
vm_check_out "tgt-master -n refuses an option of a disk, with file:line" \
    "bad.conf:3: .*passthrough device takes reservations only" \
    sh -c "/tgt/bin/tgt-master -n -f $C/bad.conf; true"
/tgt/bin/tgt-master -d -v -f $C/tgt.conf > $C/log 2>&1 &
mpid=$!
vm_wait 20 sh -c 'netstat -ltn | grep -q "127.0.0.1:3260 "' &&
    vm_ok "tgt-master listens with three passthrough LUNs" ||
    { vm_fail "tgt-master listens"; cat $C/log; exit 1; }
vm_wait 20 sh -c "/tgt/bin/tgtctl -s /run/tgt.sock show luns | grep -c ' sg ' | grep -q 3" &&
    vm_ok "tgtctl shows three sg LUNs" ||
    { vm_fail "tgtctl shows three sg LUNs"; /tgt/bin/tgtctl -s /run/tgt.sock show luns; tail -n 20 $C/log; }
# The sandbox of a passthrough LUN (tgt-lun(8)): the user, its chroot,
# its seccomp filter, the sg node's group, and CAP_SYS_CHROOT (bit 18,
# unusable under the filter) as its only capability.
np=0 bad= held=
tuid=$(id -u _tgt)
for p in $(pidof tgt-lun); do
	sgfd=$(ls -l /proc/$p/fd 2>/dev/null | grep -o '/dev/sg[0-9]*' | head -n 1)
	[ -n "$sgfd" ] || continue
	np=$((np + 1))
	held="$held $sgfd"
	st=/proc/$p/status
	[ "$(awk '/^Uid:/ {print $2 $3 $4 $5}' $st)" = "$tuid$tuid$tuid$tuid" ] || bad="$bad $p:uid"
	[ "$(awk '/^Seccomp:/ {print $2}' $st)" = 2 ] || bad="$bad $p:seccomp"
	[ "$(awk '/^NoNewPrivs:/ {print $2}' $st)" = 1 ] || bad="$bad $p:nonewprivs"
	[ "$(awk '/^CapEff:/ {print $2}' $st)" = 0000000000040000 ] || bad="$bad $p:capeff=$(awk '/^CapEff:/ {print $2}' $st)"
	[ "$(readlink /proc/$p/root)" = /tgt/empty ] || bad="$bad $p:root"
	awk '/^Groups:/' $st | grep -qw "$(stat -c %g $sgfd)" || bad="$bad $p:groups"
done
[ $np = 3 ] && [ -z "$bad" ] &&
    vm_ok "3 passthrough tgt-lun: _tgt, chroot, seccomp, the node's group, CapEff CHROOT only" ||
    vm_fail "passthrough tgt-lun sandbox ($np processes with an sg node;$bad)"
echo "$held " | grep -q "$sdsg " &&
    vm_ok "the bsg node /dev/bsg/$sdhctl is served through $sdsg" ||
    vm_fail "the bsg node is served through its sg node"

# The same conformance verdicts through the target as straight.
if [ $have_cu = 1 ]; then
	cu target "iscsi://127.0.0.1:3260/$VM_IQN/1"
	t2=$(date +%s)
	vm_note "conformance: direct $((t1 - t0)) s, through the target $((t2 - t1)) s"
	vm_note "direct: $(grep -c '^PASS ' /tmp/cu-direct) passed, $(grep -c '^FAIL ' /tmp/cu-direct) failed, $(grep -c '^SKIP ' /tmp/cu-direct) skipped"
	if [ "$(grep -c '^PASS ' /tmp/cu-target)" -gt 0 ] &&
	    cmp -s /tmp/cu-direct /tmp/cu-target; then
		vm_ok "libiscsi conformance: the same verdicts through the target as straight on $sdsg ($(wc -l < /tmp/cu-target) tests)"
	else
		vm_fail "libiscsi conformance: the same verdicts through the target as straight"
		diff -u /tmp/cu-direct /tmp/cu-target | grep -E '^[-+](PASS|FAIL|SKIP) ' |
		    head -n 40 | while read -r l; do vm_note "  $l"; done
		grep -h -B 3 -A 3 -E 'SKIPPED|FAILED' /tmp/cu-target-*.log | head -n 60
	fi
else
	vm_skip "iscsi-test-cu is not in the guest (libiscsi-bin)"
fi

vm_wait 20 sh -c "iscsiadm -m discovery -t st -p 127.0.0.1 | grep -q '$VM_IQN'" ||
    vm_fail "discovery in the guest"
vm_check "login in the guest" \
    iscsiadm -m node -T "$VM_IQN" -p 127.0.0.1 --login ||
    { tail -n 20 $C/log; exit 1; }
vm_wait 30 sh -c "ls /sys/class/iscsi_session/session*/device/target*/*:*:*:3/scsi_generic/ 2>/dev/null | grep -q sg"
# Each device answers with its own identity through the target.
isg3=$(vm_dev 3 scsi_generic 'sg[0-9]+')
if [ -n "$isg3" ]; then
	sg_inq "$isg3" > /tmp/inq-cd-target 2>&1
	grep -q "PDT=5" /tmp/inq-cd-target &&
	    grep -q "Vendor identification: QEMU" /tmp/inq-cd-target &&
	    vm_ok "LUN 3 ($isg3): the qemu DVD drive's own identity (PDT 5, QEMU)" ||
	    { vm_fail "LUN 3: the qemu DVD drive's own identity"; head -n 12 /tmp/inq-cd-target; }
	cmp -s /tmp/inq-cd-direct /tmp/inq-cd-target &&
	    vm_ok "LUN 3: sg_inq through the target matches sg_inq on $qcd" ||
	    { vm_fail "LUN 3: sg_inq matches"; diff /tmp/inq-cd-direct /tmp/inq-cd-target | head; }
else
	vm_fail "LUN 3 appears"
fi
isg1=$(vm_dev 1 scsi_generic 'sg[0-9]+')
sg_inq "$isg1" > /tmp/inq-sd-target 2>&1
sg_vpd -p di "$isg1" > /tmp/di-sd-target 2>&1
cmp -s /tmp/inq-sd-direct /tmp/inq-sd-target &&
    cmp -s /tmp/di-sd-direct /tmp/di-sd-target &&
    vm_ok "LUN 1 ($isg1): INQUIRY and its designators are the scsi_debug disk's" ||
    { vm_fail "LUN 1: the scsi_debug disk's identity"; diff /tmp/inq-sd-direct /tmp/inq-sd-target | head; diff /tmp/di-sd-direct /tmp/di-sd-target | head; }
isg2=$(vm_dev 2 scsi_generic 'sg[0-9]+')
sg_vpd -p di "$qhd" > /tmp/di-q-direct 2>&1
sg_vpd -p di "$isg2" > /tmp/di-q-target 2>&1
! grep -q "NAA" /tmp/di-q-direct && grep -q "NAA" /tmp/di-q-target &&
    vm_ok "LUN 2: the qemu disk (no NAA of its own) gets the target's NAA designator" ||
    { vm_fail "LUN 2: the target's NAA designator"; cat /tmp/di-q-direct /tmp/di-q-target | head -n 30; }

# LUN 2 keeps its reservations in the target (reservations target):
# a key registered through it is the target's, the qemu disk (which has
# no persistent reservations) never sees the command.
if sg_persist -n --out --register --param-sark=0x7a11 "$isg2" > /tmp/pr.out 2>&1 &&
    sg_persist -n --in -k "$isg2" 2>&1 | grep -q 0x7a11; then
	vm_ok "LUN 2 (reservations target): a registered key is kept by the target"
else
	vm_fail "LUN 2 (reservations target): a registered key is kept by the target"
	cat /tmp/pr.out
fi
sg_persist -n --in -k "$qhd" > /tmp/pr-direct.out 2>&1
! grep -q 0x7a11 /tmp/pr-direct.out &&
    vm_ok "the qemu disk itself has no such key" ||
    vm_fail "the qemu disk itself has no such key"
for lun in 1 2; do
	vm_wait 30 vm_disk_of "$VM_IQN" $lun || { vm_fail "LUN $lun appears"; continue; }
	dev=/dev/$(vm_disk_of "$VM_IQN" $lun)
	vm_wait 10 test -b "$dev"
	vm_md5_trip "$dev" 16 "LUN $lun ($dev)"
done
# What LUN 1 wrote is on the scsi_debug disk itself.
sdblk=/dev/$(ls "$sdev/block" | head -n 1)
blockdev --flushbufs "$sdblk" 2>/dev/null
mount -t ext4 -o ro "$sdblk" /mnt/t 2>/dev/null && [ -s /mnt/t/f ] &&
    vm_ok "what LUN 1 wrote is on $sdblk" || vm_fail "what LUN 1 wrote is on $sdblk"
umount /mnt/t 2>/dev/null

# A LUN RESET through the target (the kernel initiator's device reset,
# an iSCSI task management request) becomes a device reset of the
# scsi_debug disk, done by the master (SG_SCSI_RESET needs CAP_SYS_ADMIN).
if timeout 90 sg_reset -d "$isg1" > /tmp/reset.out 2>&1; then
	vm_ok "sg_reset -d on LUN 1 ($isg1): the LUN RESET completes"
else
	vm_fail "sg_reset -d on LUN 1 ($isg1): the LUN RESET completes"
	cat /tmp/reset.out
fi
vm_wait 20 grep -qE "tgt-master: .*/1: device /dev/sg[0-9]+ reset" $C/log &&
    vm_ok "the master reset the scsi_debug disk for it" ||
    { vm_fail "the master reset the scsi_debug disk for it"; grep -iE 'reset' $C/log | tail -n 5; }
# Two unit attentions 29/xx may come first: the target's own for this
# I_T nexus (SAM-5: a LUN RESET reaches every nexus) and the device's,
# which sg passes to the first command after its reset.
n=0
until timeout 30 sg_turs "$isg1" > /tmp/turs0.out 2>&1 || [ $n -ge 3 ]; do
	n=$((n + 1))
done
timeout 30 sg_turs "$isg1" > /tmp/turs0.out 2>&1 &&
    vm_ok "LUN 1 is ready after the reset ($n unit attentions first)" ||
    { vm_fail "LUN 1 is ready after the reset"; cat /tmp/turs0.out; }

# The device goes away under I/O: errors, no hang, no crash.
dev1=/dev/$(vm_disk_of "$VM_IQN" 1)
timeout 120 dd if="$dev1" of=/dev/null bs=64k iflag=direct > /tmp/dd.out 2>&1 &
ddpid=$!
sleep 1
echo 1 > "$sdev/delete"
n=0
while kill -0 $ddpid 2>/dev/null && [ $n -lt 240 ]; do sleep 0.5; n=$((n + 1)); done
if kill -0 $ddpid 2>/dev/null; then
	vm_fail "a read of LUN 1 ends once its device is deleted"
	kill $ddpid
else
	wait $ddpid
	rc=$?
	[ $rc -ne 0 ] && [ $rc -ne 124 ] &&
	    vm_ok "a read of LUN 1 fails once its device is deleted (dd exit $rc, $((n / 2)) s)" ||
	    { vm_fail "a read of LUN 1 fails once its device is deleted (dd exit $rc)"; cat /tmp/dd.out; }
fi
timeout 30 sg_turs "$isg1" > /tmp/turs.out 2>&1
rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] &&
    vm_ok "TEST UNIT READY on LUN 1 then fails at once (sg_turs exit $rc)" ||
    { vm_fail "TEST UNIT READY on LUN 1 fails at once (exit $rc)"; cat /tmp/turs.out; }
grep -q "is gone" $C/log && vm_ok "tgt-lun reports the device gone" ||
    vm_fail "tgt-lun reports the device gone"
! grep -qE 'tgt-lun.*(killed|exited|signal)' $C/log && kill -0 $mpid &&
    vm_ok "tgt-lun and tgt-master live on" ||
    { vm_fail "tgt-lun and tgt-master live on"; tail -n 20 $C/log; }
timeout 60 sg_inq "$isg2" > /dev/null 2>&1 &&
    vm_ok "LUN 2 still answers" || vm_fail "LUN 2 still answers"

iscsiadm -m node --logoutall=all > /dev/null
# seccomp would have killed a LUN process (the master logs its death,
# checked above); a sanitizer build reports a denied call in the log
vm_tgt_stop $mpid $C/log
