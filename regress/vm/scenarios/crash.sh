# Scenario of 91-vm-crash (guest side, busybox sh).
P=$VM_HOST:$VM_PORT
node() { iscsiadm -m node -T "$VM_IQN" -p "$P" "$@"; }

iscsiadm -m discovery -t st -p "$P" > /dev/null || { vm_fail "discovery"; exit 1; }
# Long enough for a restarted process, short enough to notice a failure.
node -o update -n node.session.timeo.replacement_timeout -v 60
vm_check "login" node --login || exit 1
vm_wait 30 vm_disk_of "$VM_IQN" 1 || { vm_fail "the LUN appears"; exit 1; }
dev=/dev/$(vm_disk_of "$VM_IQN" 1)
vm_wait 10 test -b "$dev"

fio --name=crash --filename="$dev" --ioengine=libaio --direct=1 \
    --rw=randwrite --bs=4k --iodepth=16 --size="$VM_FIO_SIZE" \
    --verify=crc32c --do_verify=1 --verify_fatal=0 --verify_dump=0 \
    --randrepeat=0 --norandommap=0 --group_reporting \
    > /tmp/fio.out 2>&1 &
fpid=$!
sleep 4
kill -0 $fpid 2>/dev/null || vm_fail "fio still writes when tgt-lun is killed"
vm_event kill-lun || vm_fail "host kills tgt-lun"
sleep 8
kill -0 $fpid 2>/dev/null || vm_note "fio ended before tgt-portal was killed"
vm_event kill-portal || vm_fail "host kills tgt-portal"
wait $fpid
rc=$?
cat /tmp/fio.out | grep -E 'err=|issued|IOPS|verify|error' | head -n 20
errs=$(grep -oE 'err= *[0-9]+' /tmp/fio.out | grep -oE '[0-9]+' | sort -n | tail -n 1)
vfail=$(grep -ciE 'verify.*(fail|bad|mismatch)|bad magic|crc32c.*wanted' /tmp/fio.out)
issued=$(grep -oE 'issued rwts: total=[0-9,]+' /tmp/fio.out | head -n 1)
vm_note "fio: exit $rc, err=${errs:-?}, verify failures $vfail, $issued"
[ $rc -eq 0 ] && [ "${errs:-1}" = 0 ] && [ "$vfail" = 0 ] &&
    vm_ok "fio: no I/O error and no verify failure across both kills" ||
    { vm_fail "fio: no I/O error and no verify failure (exit $rc, err=${errs:-?}, verify $vfail)"; tail -n 30 /tmp/fio.out; }
dmesg | grep -iE 'iscsi|sd ' | tail -n 12
vm_check "logout" node --logout
