# Scenario of 99-vm-tape (guest side, bash).
modprobe st
modprobe ch
vm_login 0 > /dev/null 2>&1
vm_wait 30 sh -c "ls /sys/class/iscsi_session/session*/device/target*/*:*:*:2/scsi_generic/ > /dev/null 2>&1" ||
    { vm_fail "the changer appears"; lsscsi -g; exit 1; }
vm_wait 30 vm_has_dev 0 scsi_tape 'nst[0-9]+'
CH=$(vm_dev 2 scsi_generic 'sg[0-9]+')
D0SG=$(vm_dev 0 scsi_generic 'sg[0-9]+')
T0=$(vm_dev 0 scsi_tape 'nst[0-9]+')
vm_wait 10 test -c "$T0"
[ "$(cat /sys/class/iscsi_session/session*/device/target*/*:*:*:2/type)" = 8 ] &&
    vm_ok "LUN 2 is a medium changer (type 8), LUN 0 is $T0" ||
    vm_fail "LUN 2 is a medium changer (type 8)"
[ -n "$(vm_dev 1 scsi_tape 'nst[0-9]+')" ] && vm_ok "LUN 1 is a tape drive too" ||
    vm_fail "LUN 1 is a tape drive too"
vm_note "changer $CH, drive 0 $D0 ($T0, $D0SG)"

vm_check_out "mtx status: 2 drives, 8 slots, 2 mail slots, volume tags" \
    'Storage Element 1:Full :VolumeTag=TAPE01L5' mtx -f "$CH" status
grep -q 'Data Transfer Element 1:Empty' /tmp/vm.out ||
    vm_fail "mtx status shows drive 1 empty"
grep -q 'IMPORT/EXPORT' /tmp/vm.out || vm_fail "mtx status shows mail slots"
vm_check_out "loaderinfo describes the changer" 'Number of Medium Transport Elements' \
    loaderinfo -f "$CH"
vm_check "mtx load 1 0" mtx -f "$CH" load 1 0
vm_wait 20 sh -c "mt -f $T0 status 2>/dev/null | grep -q ONLINE" ||
    vm_note "mt status does not say ONLINE yet"
vm_check_out "mt status: online at BOT" 'BOT' mt -f "$T0" status
vm_check_out "tapeinfo: our drive" 'Product Type: Tape Drive' tapeinfo -f "$D0SG"
mt -f "$T0" setblk 0

# Three archives separated by filemarks.
mkdir -p /tmp/a /tmp/b /tmp/c /tmp/x
dd if=/dev/urandom of=/tmp/a/f bs=1k count=300 2>/dev/null
dd if=/dev/urandom of=/tmp/b/f bs=1k count=700 2>/dev/null
dd if=/dev/urandom of=/tmp/c/f bs=1k count=100 2>/dev/null
for d in a b c; do
	vm_check "tar archive $d to $T0" tar -cf "$T0" -C /tmp/$d .
done
vm_check_out "mt tell after three archives" 'At block' mt -f "$T0" tell
vm_check "mt rewind" mt -f "$T0" rewind
vm_check "mt fsf 1" mt -f "$T0" fsf 1
vm_check "tar reads archive b" tar -xf "$T0" -C /tmp/x
cmp -s /tmp/b/f /tmp/x/f && vm_ok "archive b reads back identical" ||
    vm_fail "archive b reads back identical"
vm_check "mt eod" mt -f "$T0" eod
mt -f "$T0" tell > /tmp/eod 2>&1
vm_note "at end of data: $(cat /tmp/eod)"
vm_check "mt bsf 2 then fsf 1 (start of archive c)" \
    sh -c "mt -f $T0 bsf 2 && mt -f $T0 fsf 1"
rm -rf /tmp/x/*
vm_check "tar reads archive c" tar -xf "$T0" -C /tmp/x
cmp -s /tmp/c/f /tmp/x/f && vm_ok "archive c reads back identical" ||
    vm_fail "archive c reads back identical"
vm_check "mt seek 0 (LOCATE)" mt -f "$T0" seek 0
rm -rf /tmp/x/*
vm_check "tar reads archive a after the seek" tar -xf "$T0" -C /tmp/x
cmp -s /tmp/a/f /tmp/x/f && vm_ok "archive a reads back identical" ||
    vm_fail "archive a reads back identical"
mt -f "$T0" rewind
if dd if="$T0" of=/dev/null bs=512 count=1 2> /tmp/dd.err; then
	vm_fail "dd with a 512-byte buffer on 10 KiB records is refused"
else
	vm_ok "dd with a 512-byte buffer on 10 KiB records is refused ($(head -n 1 /tmp/dd.err))"
fi
mt -f "$T0" rewind
vm_check_out "sg_logs: TapeAlert page" 'Tape alert' sg_logs -p 0x2e "$D0SG"
vm_check_out "sg_read_attr: the cartridge's barcode" 'TAPE01L5' \
    sg_read_attr -f 0x806 "$D0SG"

vm_check "mt lock" mt -f "$T0" lock
if mtx -f "$CH" unload 1 0 > /tmp/u.out 2>&1; then
	vm_fail "mtx unload is refused while the drive is locked"
else
	vm_ok "mtx unload is refused while the drive is locked"
fi
vm_check "mt unlock" mt -f "$T0" unlock
vm_check "mt offline" mt -f "$T0" offline
vm_check "mtx unload 1 0" mtx -f "$CH" unload 1 0
vm_check "mtx transfer 2 6" mtx -f "$CH" transfer 2 6
vm_check_out "mtx status: slot 6 holds TAPE02L5" \
    'Storage Element 6:Full :VolumeTag=TAPE02L5' mtx -f "$CH" status
vm_check "mtx transfer 6 2" mtx -f "$CH" transfer 6 2
vm_check "mtx inventory" mtx -f "$CH" inventory
vm_event insert EXTRA01 || vm_fail "tgtctl library insert EXTRA01"
vm_check_out "mtx status: the mail slot holds EXTRA01" \
    'IMPORT/EXPORT:Full :VolumeTag=EXTRA01' mtx -f "$CH" status
vm_check "mtx load of the mail slot's cartridge into drive 1" \
    sh -c "mtx -f $CH load \$(mtx -f $CH status | sed -n 's/.*Storage Element \([0-9]*\) IMPORT\/EXPORT:Full :VolumeTag=EXTRA01.*/\1/p') 1"
vm_check_out "mtx status: drive 1 holds EXTRA01" \
    'Data Transfer Element 1:Full \(Storage Element [0-9]+ Loaded\):VolumeTag = EXTRA01' \
    mtx -f "$CH" status
ms=$(mtx -f "$CH" status | sed -n 's/.*Storage Element \([0-9]*\) IMPORT\/EXPORT:Empty.*/\1/p' | head -n 1)
vm_check "mtx unload of drive 1 into the mail slot $ms" mtx -f "$CH" unload "$ms" 1
vm_event eject EXTRA01 || vm_fail "tgtctl library eject EXTRA01"
mtx -f "$CH" status > /tmp/st.out 2>&1
grep -q 'VolumeTag=EXTRA01' /tmp/st.out &&
    { vm_fail "mtx status: EXTRA01 left through the mail slot"; cat /tmp/st.out; } ||
    vm_ok "mtx status: EXTRA01 left through the mail slot"
iscsiadm -m node --logoutall=all > /dev/null
