# Scenario of 95-vm-pr (guest side, busybox sh).
P=$VM_HOST:$VM_PORT
for i in a b; do
	iscsiadm -m iface -I if$i -o new > /dev/null
	iscsiadm -m iface -I if$i -o update -n iface.initiatorname \
	    -v "iqn.2026-12.org.example.vm:init-$i" > /dev/null
	iscsiadm -m iface -I if$i -o update -n iface.transport_name \
	    -v tcp > /dev/null
done
iscsiadm -m discovery -t st -p "$P" -I ifa -I ifb > /dev/null ||
    { vm_fail "discovery with two ifaces"; exit 1; }
vm_check "login as two initiators" iscsiadm -m node -T "$VM_IQN" -p "$P" --login ||
    exit 1
vm_wait 30 sh -c "[ \$(ls -d /sys/class/iscsi_session/session*/device/target*/*:*:*:1/block/* 2>/dev/null | wc -l) -eq 2 ]" ||
    { vm_fail "two disks appear"; lsscsi; exit 1; }
# The disk of each initiator name.
for s in /sys/class/iscsi_session/session*; do
	n=$(cat $s/initiatorname)
	d=$(ls $(readlink -f $s/device)/target*/*:*:*:1/block/)
	case $n in
	*init-a) A=/dev/$d ;;
	*init-b) B=/dev/$d ;;
	esac
done
[ -b "$A" ] && [ -b "$B" ] && vm_ok "init-a is $A, init-b is $B" ||
    { vm_fail "a disk per initiator"; exit 1; }

blk=/tmp/blk
dd if=/dev/urandom of=$blk bs=512 count=1 2>/dev/null
# w DEV: WRITE(10) of LBA 0; r DEV: READ(10) of LBA 0; sg_raw's status.
w() { sg_raw -s 512 -i $blk "$1" 2a 00 00 00 00 00 00 00 01 00 2>&1; }
r() { sg_raw -r 512 "$1" 28 00 00 00 00 00 00 00 01 00 2>&1; }
good() { "$@" | grep -q 'SCSI Status: Good'; }
conflict() { "$@" | grep -qi 'SCSI Status: Reservation Conflict'; }

vm_check "init-a registers key 0xa1" sg_persist -n --out --register --param-sark=0xa1 "$A"
vm_check "init-b registers key 0xb2" sg_persist -n --out --register --param-sark=0xb2 "$B"
vm_check_out "READ KEYS lists both keys" '0xb2' sg_persist -n --in -k "$A"
grep -q '0xa1' /tmp/vm.out || vm_fail "READ KEYS lists 0xa1"
vm_check "init-a reserves Write Exclusive" \
    sg_persist -n --out --reserve --param-rk=0xa1 --prout-type=1 "$A"
vm_check_out "READ RESERVATION: 0xa1 holds Write Exclusive" \
    'Key=0xa1' sg_persist -n --in -r "$B"
grep -qi 'Write Exclusive' /tmp/vm.out || vm_fail "the type is Write Exclusive"
conflict w "$B" && vm_ok "init-b's WRITE gets RESERVATION CONFLICT" ||
    { vm_fail "init-b's WRITE gets RESERVATION CONFLICT"; w "$B"; }
good r "$B" && vm_ok "init-b's READ passes (Write Exclusive)" ||
    vm_fail "init-b's READ passes (Write Exclusive)"
good w "$A" && vm_ok "init-a's WRITE passes" || vm_fail "init-a's WRITE passes"
if dd if=/dev/zero of="$B" bs=4k count=1 oflag=direct 2>/tmp/dd.err; then
	vm_fail "the kernel's write through init-b fails"
else
	vm_ok "the kernel's write through init-b fails ($(grep -v records /tmp/dd.err | head -n 1))"
fi

vm_check "init-b preempts 0xa1" sg_persist -n --out --preempt \
    --param-rk=0xb2 --param-sark=0xa1 --prout-type=1 "$B"
# SPC-4: the preempted initiator's next command reports it.
sg_persist -n --in -r "$A" > /tmp/ua 2>&1
grep -qi 'Registrations preempted' /tmp/ua &&
    vm_ok "init-a gets UNIT ATTENTION, REGISTRATIONS PREEMPTED" ||
    { vm_fail "init-a gets UNIT ATTENTION, REGISTRATIONS PREEMPTED"; cat /tmp/ua; }
vm_check_out "READ RESERVATION: 0xb2 holds it now" 'Key=0xb2' \
    sg_persist -n --in -r "$A"
sg_persist -n --in -k "$A" > /tmp/keys 2>&1
grep -q '0xa1' /tmp/keys && vm_fail "0xa1 is no longer registered" ||
    vm_ok "0xa1 is no longer registered"
good w "$B" && vm_ok "init-b's WRITE passes" || vm_fail "init-b's WRITE passes"
conflict w "$A" && vm_ok "init-a's WRITE gets RESERVATION CONFLICT" ||
    vm_fail "init-a's WRITE gets RESERVATION CONFLICT"

vm_check "init-b releases" sg_persist -n --out --release --param-rk=0xb2 \
    --prout-type=1 "$B"
vm_check_out "READ RESERVATION: none" '[Nn][Oo] reservation' \
    sg_persist -n --in -r "$A"
good w "$A" && vm_ok "init-a's WRITE passes after the release" ||
    vm_fail "init-a's WRITE passes after the release"
sg_persist -n --out --register --param-rk=0xb2 --param-sark=0 "$B" > /dev/null
iscsiadm -m node --logoutall=all > /dev/null
