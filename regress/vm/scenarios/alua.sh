# Scenario of 92-vm-alua (guest side, bash).
P1=$VM_HOST:$VM_PORT
P2=$VM_HOST:$VM_PORT2

# the handler attaches when the disks are scanned
modprobe scsi_dh_alua
vm_login_paths "$P1" "$P2" || exit 1

# disk_of PORT: the sd device of LUN 1 through that portal
disk_of() {
	iscsiadm -m session -P 3 2>/dev/null | awk -v p=":$1," '
	    /Current Portal:/ { cur = index($3, p) > 0 }
	    /Attached scsi disk/ && cur { print $4; exit }'
}
vm_wait 30 sh -c "[ \$(iscsiadm -m session -P 3 | grep -c 'Attached scsi disk') -eq 2 ]" ||
    { vm_fail "two disks appear"; lsscsi; exit 1; }
D1=$(disk_of "$VM_PORT")
D2=$(disk_of "$VM_PORT2")
vm_note "group 1 path: $D1, group 2 path: $D2"
[ -n "$D1" ] && [ -n "$D2" ] || { vm_fail "a disk per portal"; exit 1; }
state_of() { cat "/sys/block/$1/device/access_state" 2>/dev/null; }
vm_wait 10 sh -c "[ \"\$(cat /sys/block/$D1/device/dh_state)\" = alua ]" &&
    vm_ok "scsi_dh_alua handles both paths ($(cat /sys/block/$D1/device/dh_state), $(cat /sys/block/$D2/device/dh_state))" ||
    vm_fail "scsi_dh_alua handles both paths ($(cat /sys/block/$D1/device/dh_state 2>&1))"
[ "$(state_of "$D1")" = active/optimized ] &&
    [ "$(state_of "$D2")" = active/non-optimized ] &&
    vm_ok "the kernel sees $D1 active/optimized, $D2 active/non-optimized" ||
    vm_fail "access_state: $D1 $(state_of "$D1"), $D2 $(state_of "$D2")"

modprobe dm_multipath
modprobe dm_service_time
cat > /etc/multipath.conf <<EOF2
defaults {
	user_friendly_names yes
	find_multipaths off
	polling_interval 2
	path_grouping_policy group_by_prio
	prio alua
	failback immediate
	no_path_retry 30
}
EOF2
multipathd
two_groups() { [ "$(multipath -ll 2>/dev/null | grep -c 'status=')" -eq 2 ]; }
vm_wait 60 two_groups ||
    { vm_fail "multipath -ll shows two path groups"; multipath -ll; multipathd show paths; exit 1; }
multipath -ll
# the active group's disk
active_disk() {
	multipath -ll 2>/dev/null | awk '
	    /status=active/ { a = 1; next }
	    /status=/ { a = 0 }
	    a && /[0-9]+:[0-9]+:[0-9]+:[0-9]+ sd/ {
		for (i = 1; i <= NF; i++) if ($i ~ /^sd/) { print $i; exit } }'
}
multipath -ll | grep -q "hwhandler='1 alua'" &&
    vm_ok "the map uses the alua hardware handler" ||
    vm_fail "the map uses the alua hardware handler"
[ "$(active_disk)" = "$D1" ] &&
    vm_ok "the active path group is group 1's ($D1, prio $(multipathd show paths format '%d %p' | awk -v d="$D1" '$1 == d { print $2 }'))" ||
    vm_fail "the active path group is group 1's (active: $(active_disk))"
map=/dev/mapper/$(multipath -ll | head -n 1 | cut -d' ' -f1)
vm_wait 10 test -b "$map" || { vm_fail "$map exists"; exit 1; }

vm_fio_start "$map" 16

writes() { awk '{ print $5 }' "/sys/block/$1/stat"; }
# busy ON OFF: over 3 s, ON completes writes and OFF none
busy() {
	local a0 b0 a1 b1
	a0=$(writes "$1"); b0=$(writes "$2")
	sleep 3
	a1=$(writes "$1"); b1=$(writes "$2")
	echo "$1 +$((a1 - a0)) $2 +$((b1 - b0))"
	[ $((a1 - a0)) -gt 20 ] && [ $((b1 - b0)) -eq 0 ]
}
# moves_to ON OFF: within 60 s the writes go through ON only
moves_to() {
	local n=0
	while [ $n -lt 20 ]; do
		busy "$1" "$2" > /tmp/busy && return 0
		n=$((n + 1))
	done
	return 1
}
moves_to "$D1" "$D2" && vm_ok "writes go through the optimized path ($(cat /tmp/busy))" ||
    vm_fail "writes go through the optimized path ($(cat /tmp/busy))"

vm_event state 1 standby || vm_fail "host: tgtctl port-group 1 state standby"
moves_to "$D2" "$D1" &&
    vm_ok "group 1 standby: writes move to group 2's path ($(cat /tmp/busy))" ||
    { vm_fail "group 1 standby: writes move to group 2's path ($(cat /tmp/busy))"; multipath -ll; }
vm_wait 20 sh -c "[ \"\$(cat /sys/block/$D1/device/access_state)\" = standby ]" &&
    vm_ok "the kernel sees $D1 standby" ||
    vm_fail "the kernel sees $D1 standby ($(state_of "$D1"))"
multipath -ll

vm_event state 1 active-optimized || vm_fail "host: tgtctl port-group 1 state active-optimized"
moves_to "$D1" "$D2" &&
    vm_ok "group 1 optimized again: writes come back to $D1 ($(cat /tmp/busy))" ||
    { vm_fail "group 1 optimized again: writes come back to $D1 ($(cat /tmp/busy))"; multipath -ll; }

# group 1's portal hangs (as a dead machine would: the connection's
# NOP-Outs go unanswered, the session fails after replacement_timeout):
# D2 had no writes while D1 was optimized, any write there now is I/O
# that failed over.  Then the portal is killed and restarted.
w2=$(writes "$D2")
vm_event stop-portal || vm_fail "host stops group 1's tgt-portal"
n=0
while [ "$(writes "$D2")" -eq "$w2" ] && [ $n -lt 120 ]; do
	sleep 0.5
	n=$((n + 1))
done
[ "$(writes "$D2")" -gt "$w2" ] &&
    vm_ok "group 1's portal hangs: writes fail over to $D2 after $((n / 2)) s" ||
    { vm_fail "group 1's portal hangs: writes fail over to $D2"; multipath -ll; }
vm_event kill-portal || vm_fail "host kills group 1's tgt-portal"
moves_to "$D1" "$D2" &&
    vm_ok "the portal restarted: writes come back to $D1 ($(cat /tmp/busy))" ||
    { vm_fail "the portal restarted: writes come back to $D1 ($(cat /tmp/busy))"; multipath -ll; }
multipath -ll

vm_fio_report
vm_multipath_stop
dmesg | grep -iE 'alua|multipath' | tail -n 15
