# Scenario of 92-vm-multipath (guest side, bash).
P1=$VM_HOST:$VM_PORT
P2=$VM_HOST:$VM_PORT2

vm_login_paths "$P1" "$P2" || exit 1
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
vm_fio_start "$map" 24
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
vm_fio_report
vm_multipath_stop
dmesg | grep -iE 'multipath|iscsi|connection' | tail -n 15
