# Scenario of 97-vm-cu-iser (guest side, busybox sh): libiscsi's
# conformance suites over iSER (iser:// URLs, libiscsi's own iSER
# initiator on Soft-RoCE) and over TCP against the target in the guest;
# the verdicts must be the same.  VM_CU_SUITES: the suites to run.
C=/tmp/tgt
A=192.168.77.1
mkdir -p $C
chmod 755 /tgt/empty
command -v iscsi-test-cu > /dev/null ||
    { vm_skip "iscsi-test-cu is not in the guest (libiscsi-bin)"; exit 0; }
for m in crc32_generic rdma_rxe ib_uverbs rdma_ucm dummy; do
	modprobe $m || vm_fail "modprobe $m"
done
ip link show dummy0 > /dev/null 2>&1 || ip link add dummy0 type dummy
ip link set dummy0 up
ip addr add $A/24 dev dummy0
vm_check "Soft-RoCE: rdma link add rxe0 type rxe netdev dummy0" \
    rdma link add rxe0 type rxe netdev dummy0 || exit 1
truncate -s 64M $C/cu.img
cat > $C/tgt.conf <<EOF2
user "_tgt"
chroot "/tgt/empty"
control socket "/run/tgt.sock"
listen on $A port 3260
listen on $A port 3260 iser
target "$VM_IQN" {
	allow all
	lun 1 disk "$C/cu.img" { backend rdwr; thin-provisioning yes }
}
EOF2
/tgt/bin/tgt-master -d -f $C/tgt.conf > $C/log 2>&1 &
mpid=$!
vm_wait 20 sh -c "/tgt/bin/tgtctl -s /run/tgt.sock show portals | grep -q 'iser.*running'" ||
    { vm_fail "the iSER portal runs"; tail -n 30 $C/log; exit 1; }
vm_wait 10 sh -c "/tgt/bin/tgtctl -s /run/tgt.sock show portals | grep -v iser | grep -q 'running'"
for proto in iscsi iser; do
	: > /tmp/cu-$proto
	for s in $VM_CU_SUITES; do
		timeout 150 iscsi-test-cu -d -v -t "$s" \
		    "$proto://$A:3260/$VM_IQN/1" > /tmp/cu-$proto-$s.log 2>&1
		rc=$?
		vm_cu_score /tmp/cu-$proto-$s.log > /tmp/cu-one
		cat /tmp/cu-one >> /tmp/cu-$proto
		vm_note "$proto $s: exit $rc, $(grep -c '^PASS' /tmp/cu-one) passed, $(grep -c '^FAIL' /tmp/cu-one) failed, $(grep -c '^SKIP' /tmp/cu-one) skipped"
		if [ $rc -ne 0 ]; then
			tail -n 12 /tmp/cu-$proto-$s.log
			tail -n 12 $C/log
		fi
	done
	p=$(grep -c '^PASS ' /tmp/cu-$proto)
	f=$(grep -c '^FAIL ' /tmp/cu-$proto)
	k=$(grep -c '^SKIP ' /tmp/cu-$proto)
	vm_note "conformance over $proto: $p passed, $f failed, $k skipped"
done
[ "$(grep -c '^PASS ' /tmp/cu-iser)" -gt 0 ] &&
    vm_ok "libiscsi over iser:// logs in and passes tests ($(grep -c '^PASS ' /tmp/cu-iser) of $(wc -l < /tmp/cu-iser))" ||
    { vm_fail "libiscsi over iser:// logs in and passes tests"; tail -n 20 /tmp/cu-iser-*.log | head -n 40; }
/tgt/bin/tgtctl -s /run/tgt.sock show portals | grep -q 'iser.*running' &&
    ! grep -q 'iser\].*\(killed\|exited\)' $C/log &&
    vm_ok "the iSER portal ran through all of it" ||
    vm_fail "the iSER portal ran through all of it"
# Known: libiscsi's own iSER initiator (1.19) differs from its TCP one in
# a few verdicts (Inquiry asserts the data-in size against the page
# length), and iscsi-test-cu itself segfaults in some tests over iSER
# (Read10.Async, Write10.Async, in ProutReserve); they are listed, not
# failed, until each is explained.
if cmp -s /tmp/cu-iscsi /tmp/cu-iser; then
	vm_ok "the same verdicts over iSER as over TCP"
else
	vm_note "verdicts that differ (-TCP +iSER; a test missing on one side did not run there):"
	diff -u /tmp/cu-iscsi /tmp/cu-iser | grep -E '^[-+](PASS|FAIL|SKIP) ' |
	    head -n 40 | while read -r l; do vm_note "  $l"; done
fi
vm_tgt_stop $mpid $C/log
