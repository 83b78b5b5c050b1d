# Scenario of 99-vm-tape-eom (guest side, bash).
modprobe st
modprobe ch
vm_login 0 > /dev/null 2>&1
vm_wait 30 vm_has_dev 2 scsi_generic 'sg[0-9]+'
vm_wait 30 vm_has_dev 0 scsi_tape 'nst[0-9]+'
CH=$(vm_dev 2 scsi_generic 'sg[0-9]+')
T0=$(vm_dev 0 scsi_tape 'nst[0-9]+')
vm_wait 10 test -c "$T0"
vm_note "changer $CH, drive $T0"

# tar -M: the info script puts the next cartridge in at each volume end.
cat > /tmp/next.sh <<EOF2
#!/bin/bash
n=\$(cat /tmp/slot)
mtx -f $CH unload \$n 0 || exit 1
n=\$((n + 1))
echo \$n > /tmp/slot
mtx -f $CH load \$n 0 || exit 1
for i in \$(seq 1 40); do mt -f $T0 status > /dev/null 2>&1 && break; sleep 0.5; done
mt -f $T0 rewind
EOF2
chmod +x /tmp/next.sh
mkdir -p /tmp/big /tmp/x
dd if=/dev/urandom of=/tmp/big/f bs=1M count=9 2>/dev/null
sum=$(md5sum < /tmp/big/f)
echo 1 > /tmp/slot
vm_check "mtx load 1 0" mtx -f "$CH" load 1 0
vm_wait 20 mt -f "$T0" status
mt -f "$T0" setblk 0
vm_check "tar -M writes 9 MiB over 4 MiB cartridges, changing them at end of medium" \
    tar -c -M -F /tmp/next.sh -f "$T0" -C /tmp/big .
vols=$(cat /tmp/slot)
[ "$vols" -ge 3 ] && vm_ok "the archive took $vols cartridges" ||
    vm_fail "the archive took 3 or more cartridges (took $vols)"
dmesg | grep -iE 'st[0-9]|EOM|end of medium' | tail -n 3
mtx -f "$CH" unload "$vols" 0 > /dev/null
echo 1 > /tmp/slot
vm_check "mtx load 1 0 (first volume)" mtx -f "$CH" load 1 0
vm_wait 20 mt -f "$T0" status
vm_check "tar -M reads the archive back over the cartridges" \
    tar -x -M -F /tmp/next.sh -f "$T0" -C /tmp/x
[ "$(md5sum < /tmp/x/f 2>/dev/null)" = "$sum" ] &&
    vm_ok "the multi-volume archive reads back identical" ||
    vm_fail "the multi-volume archive reads back identical"
mtx -f "$CH" unload "$(cat /tmp/slot)" 0 > /dev/null

# kill -9 of the drive's process in the middle of a write.
vm_check "mtx load 5 0 (BIG01)" mtx -f "$CH" load 5 0
vm_wait 20 mt -f "$T0" status
mt -f "$T0" setblk 0
mt -f "$T0" rewind
mkdir -p /tmp/a /tmp/b /tmp/c
dd if=/dev/urandom of=/tmp/a/f bs=1M count=2 2>/dev/null
dd if=/dev/urandom of=/tmp/b/f bs=1M count=3 2>/dev/null
dd if=/dev/urandom of=/tmp/c/f bs=1M count=40 2>/dev/null
vm_check "tar archive a" tar -cf "$T0" -C /tmp/a .
vm_check "tar archive b" tar -cf "$T0" -C /tmp/b .
tar -cf "$T0" -C /tmp/c . > /tmp/c.out 2>&1 &
tpid=$!
sleep 3
kill -0 $tpid 2>/dev/null || vm_note "tar of archive c ended before the kill"
vm_event kill-drive || vm_fail "host kills the drive's tgt-lun"
wait $tpid
vm_note "tar of archive c exited $? ($(tail -n 1 /tmp/c.out))"
# The session recovers; the drive reports its power on first.
for i in $(seq 1 20); do
	mt -f "$T0" rewind 2> /dev/null && break
	sleep 1
done
vm_check "mt rewind after the restart" mt -f "$T0" rewind
# (st leaves a tape read by tar before the archive's filemark: position
# each archive from the start.)
n=0
for d in a b; do
	rm -rf /tmp/x/*
	mt -f "$T0" rewind
	[ $n -gt 0 ] && mt -f "$T0" fsf $n
	n=$((n + 1))
	vm_check "tar reads archive $d after the crash" tar -xf "$T0" -C /tmp/x
	cmp -s /tmp/$d/f /tmp/x/f && vm_ok "archive $d reads back identical" ||
	    vm_fail "archive $d reads back identical"
done
iscsiadm -m node --logoutall=all > /dev/null
