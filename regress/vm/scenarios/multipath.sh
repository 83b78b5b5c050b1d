# Scenario of 92-vm-multipath (guest side, busybox sh).
P1=$VM_HOST:$VM_PORT
P2=$VM_HOST:$VM_PORT2

for p in "$P1" "$P2"; do
	iscsiadm -m discovery -t st -p "$p" > /dev/null ||
	    { vm_fail "discovery on $p"; exit 1; }
	# A failed path must give its I/O back to dm-multipath quickly.
	for kv in node.session.timeo.replacement_timeout=5 \
	    node.conn[0].timeo.noop_out_interval=2 \
	    node.conn[0].timeo.noop_out_timeout=2; do
		iscsiadm -m node -T "$VM_IQN" -p "$p" -o update \
		    -n "${kv%%=*}" -v "${kv#*=}"
	done
	vm_check "login through $p" iscsiadm -m node -T "$VM_IQN" -p "$p" --login ||
	    exit 1
done
vm_wait 30 sh -c "[ \$(ls -d /sys/class/iscsi_session/session*/device/target*/*:*:*:1/block/* 2>/dev/null | wc -l) -eq 2 ]" ||
    { vm_fail "two disks appear"; lsscsi; exit 1; }

modprobe dm_multipath
modprobe dm_round_robin
modprobe dm_service_time
cat > /etc/multipath.conf <<EOF2
defaults {
	user_friendly_names yes
	find_multipaths off
	polling_interval 2
	path_grouping_policy multibus
	no_path_retry 30
}
EOF2
multipathd
paths() { multipath -ll 2>/dev/null | grep -cE 'active ready running'; }
failed() { multipath -ll 2>/dev/null | grep -qE 'failed|faulty'; }
vm_wait 60 sh -c '[ "$(multipath -ll 2>/dev/null | grep -cE "active ready running")" -eq 2 ]' ||
    { vm_fail "multipath -ll shows two active paths"; multipath -ll; multipathd show paths; exit 1; }
multipath -ll
vm_ok "multipath -ll shows one map with both paths active"
map=/dev/mapper/$(multipath -ll | head -n 1 | cut -d' ' -f1)
vm_wait 10 test -b "$map" || { vm_fail "$map exists"; exit 1; }

# fio with crc32c verification, run after run, until told to stop.
rm -f /tmp/stop /tmp/fio.*
(
	i=0
	while [ ! -e /tmp/stop ] && [ $i -lt 40 ]; do
		i=$((i + 1))
		fio --name=mp$i --filename="$map" --ioengine=libaio --direct=1 \
		    --rw=randwrite --bs=4k --iodepth=16 --size=24M \
		    --offset=$(( (i % 8) * 24 ))M \
		    --verify=crc32c --do_verify=1 --verify_fatal=0 \
		    --verify_dump=0 --randrepeat=0 > /tmp/fio.$i 2>&1
		echo "$i $?" >> /tmp/fio.rc
	done
) &
fpid=$!
sleep 3
vm_event remove-listener || vm_fail "host removes the second listener"
if vm_wait 60 failed; then
	vm_ok "the path through the removed listener fails"
else
	vm_fail "the path through the removed listener fails"; multipath -ll
fi
multipath -ll | grep -E 'running|faulty|failed'
sleep 4
vm_event restore-listener || vm_fail "host adds the listener again"
vm_wait 90 sh -c '[ "$(multipath -ll 2>/dev/null | grep -cE "active ready running")" -eq 2 ]' &&
    vm_ok "the path comes back with the listener" ||
    { vm_fail "the path comes back with the listener"; multipath -ll; }
vm_event kill-portal || vm_fail "host kills the first listener's tgt-portal"
sleep 6
vm_wait 90 sh -c '[ "$(multipath -ll 2>/dev/null | grep -cE "active ready running")" -eq 2 ]' &&
    vm_ok "both paths active after the portal's restart" ||
    { vm_fail "both paths active after the portal's restart"; multipath -ll; }
multipath -ll
touch /tmp/stop
wait $fpid
runs=$(wc -l < /tmp/fio.rc)
bad=$(awk '$2 != 0' /tmp/fio.rc | wc -l)
errs=$(cat /tmp/fio.[0-9]* | grep -oE 'err= *[0-9]+' | grep -vcE 'err= *0$')
vfail=$(cat /tmp/fio.[0-9]* | grep -ciE 'verify.*(fail|bad|mismatch)|bad magic')
ios=$(cat /tmp/fio.[0-9]* | grep -oE 'issued rwts: total=[0-9]+,[0-9]+' |
    awk -F'[=,]' '{ r += $2; w += $3 } END { print r " reads, " w " writes" }')
vm_note "fio: $runs runs, $ios, $bad runs failed, $errs I/O errors, $vfail verify failures"
[ "$runs" -gt 0 ] && [ "$bad" = 0 ] && [ "$errs" = 0 ] && [ "$vfail" = 0 ] &&
    vm_ok "fio through the multipath device: no I/O error, no verify failure" ||
    { vm_fail "fio through the multipath device: no I/O error, no verify failure"; grep -hE 'err=|verify|error' /tmp/fio.[0-9]* | head -n 20; }
multipathd shutdown 2>/dev/null
multipath -F > /dev/null 2>&1
iscsiadm -m node --logoutall=all > /dev/null 2>&1
dmesg | grep -iE 'multipath|iscsi|connection' | tail -n 15
