# Scenario of 97-vm-iser (guest side, busybox sh): the target in the guest
# with an iSER and a TCP listener on one target, Soft-RoCE (rdma_rxe) on a
# dummy network device, the kernel's iSER initiator (ib_iser).
C=/tmp/tgt
A=192.168.77.1
mkdir -p $C
chmod 755 /tgt/empty
vm_rxe $A ib_iser || exit 1
truncate -s 320M $C/disk.img
truncate -s 16M $C/chap.img
cat > $C/tgt.conf <<EOF2
user "_tgt"
chroot "/tgt/empty"
control socket "/run/tgt.sock"
nop interval 2
nop timeout 10
listen on $A port 3260
listen on $A port 3260 iser
target "$VM_IQN" {
	allow all
	lun 1 disk "$C/disk.img" { serial "ISER1" }
}
target "$VM_IQN-chap" {
	allow all
	auth chap user "iser-user" secret "iser-secret-123"
	auth mutual user "iser-target" secret "iser-mutual-456"
	lun 1 disk "$C/chap.img" { serial "ISERCHAP" }
}
EOF2
vm_check "tgt-master -n accepts an iser listener" \
    /tgt/bin/tgt-master -n -f $C/tgt.conf
/tgt/bin/tgt-master -d -v -f $C/tgt.conf > $C/log 2>&1 &
mpid=$!
fail_log() { grep -vE 'nop|NOP' $C/log | tail -n 40; }
vm_wait 20 sh -c "/tgt/bin/tgtctl -s /run/tgt.sock show portals | grep -q 'iser.*running'" &&
    vm_ok "the iSER portal runs (sandboxed, with the verbs)" ||
    { vm_fail "the iSER portal runs"; /tgt/bin/tgtctl -s /run/tgt.sock show portals; fail_log; exit 1; }
vm_wait 20 sh -c "timeout 20 iscsiadm -m discovery -t st -p $A | grep -q '$VM_IQN'" &&
    vm_ok "discovery over TCP" ||
    { vm_fail "discovery"; fail_log; exit 1; }
node() { timeout 90 iscsiadm -m node -T "$VM_IQN" -p $A:3260 "$@"; }
node -I iser -o new > /dev/null
node -I iser -o update -n node.session.timeo.replacement_timeout -v 60
vm_check "iSER login (iscsiadm -I iser)" node -I iser --login ||
    { fail_log; dmesg | tail -n 20; exit 1; }
vm_check_out "the session's transport is iser (sysfs)" 'Iface Transport: iser' \
    iscsiadm -m session -P 1
grep -E "iser: RDMAExtensions|iser login: " $C/log | head -n 30
vm_wait 30 vm_disk_of "$VM_IQN" 1 || { vm_fail "the LUN appears over iSER"; fail_log; exit 1; }
dev=/dev/$(vm_disk_of "$VM_IQN" 1)
vm_wait 10 test -b "$dev"
vm_check_out "tgtctl show connections says iser" 'iser' \
    /tgt/bin/tgtctl -s /run/tgt.sock show connections
vm_md5_trip "$dev" 48 "iSER: ext4" || fail_log
fiov() {
	fio --name=iser --filename="$dev" --ioengine=libaio --direct=1 \
	    --rw=randwrite --bsrange=4k-1m --iodepth=16 --size=${1} \
	    --verify=crc32c --do_verify=1 --verify_fatal=0 --verify_dump=0 \
	    --randrepeat=0 --group_reporting > /tmp/fio.out 2>&1
}
fio_ok() {
	local rc=$1 errs vfail
	errs=$(grep -oE 'err= *[0-9]+' /tmp/fio.out | grep -oE '[0-9]+' | sort -n | tail -n 1)
	vfail=$(grep -ciE 'verify.*(fail|bad|mismatch)|bad magic|crc32c.*wanted' /tmp/fio.out)
	vm_note "fio: exit $rc, err=${errs:-?}, verify failures $vfail"
	[ $rc -eq 0 ] && [ "${errs:-1}" = 0 ] && [ "$vfail" = 0 ]
}
fiov 64m
fio_ok $? && vm_ok "iSER: fio randwrite 4k-1m, iodepth 16, verify" ||
    { vm_fail "iSER: fio verify"; tail -n 20 /tmp/fio.out; fail_log; }

# A TCP session on the same LUN, and a reservation both see.
vm_check "TCP login to the same target" node -I default --login
vm_wait 30 sh -c "[ \$(ls -d /sys/class/iscsi_session/session*/device/target*/*:*:*:1/block/* 2>/dev/null | wc -l) -eq 2 ]" ||
    vm_fail "a second disk over TCP"
for s in /sys/class/iscsi_session/session*; do
	d=$(ls $(readlink -f $s/device)/target*/*:*:*:1/block/ 2>/dev/null)
	h=$(readlink -f $s/device); h=${h%/session*}; h=${h##*/host}
	case $(cat /sys/class/scsi_host/host$h/proc_name 2>/dev/null) in
	*iSER*|*iser*) I=/dev/$d ;;
	*) T=/dev/$d ;;
	esac
done
vm_note "iSER disk $I, TCP disk $T"
/tgt/bin/tgtctl -s /run/tgt.sock show connections
if [ -b "$I" ] && [ -b "$T" ]; then
	vm_check "iSER registers key 0xa1" sg_persist -n --out --register --param-sark=0xa1 "$I"
	vm_check "TCP registers key 0xb2" sg_persist -n --out --register --param-sark=0xb2 "$T"
	vm_check "iSER reserves Write Exclusive" sg_persist -n --out --reserve --param-rk=0xa1 --prout-type=1 "$I"
	vm_check_out "TCP sees the reservation of 0xa1" 'Key=0xa1' sg_persist -n --in -r "$T"
	vm_check "iSER releases" sg_persist -n --out --release --param-rk=0xa1 --prout-type=1 "$I"
	sg_persist -n --out --register --param-rk=0xa1 --param-sark=0 "$I" > /dev/null
	sg_persist -n --out --register --param-rk=0xb2 --param-sark=0 "$T" > /dev/null
else
	vm_fail "a disk over iSER and one over TCP"
fi
vm_check "TCP logout" node -I default --logout
# Hostile input over RDMA: the connection goes, nothing else does.
portal_pid() { ps | grep 'tgt-portal' | grep iser | grep -v grep | awk '{print $1}' | head -n 1; }
if [ -x /tgt/bin/iser-hostile ]; then
	pp0=$(portal_pid)
	for k in short dlen scsi; do
		r=$(/tgt/bin/iser-hostile $A 3260 $k 2>&1)
		[ "$r" = closed ] &&
		    vm_ok "hostile iSER input ($k): the connection is closed" ||
		    vm_fail "hostile iSER input ($k): the connection is closed (got '$r')"
	done
	r=$(/tgt/bin/iser-hostile $A 3260 text 2>&1)
	case $r in
	"login-rsp 02"*) vm_ok "hostile iSER login text: Login Response, initiator error ($r)" ;;
	*) vm_fail "hostile iSER login text: Login Response, initiator error (got '$r')" ;;
	esac
	# The iSER Hello (RFC 7145), which initiators on RDMA CM do not
	# send: a HelloReply of version 1 with an iSER-ORD within the
	# Hello's IRD (1), and the login goes on; no common version: the
	# reject bit and the connection ends; a Hello after a PDU ends it.
	r=$(/tgt/bin/iser-hostile $A 3260 hello "$VM_IQN" 2>&1)
	[ "$r" = "hello-reply 0 1 1 1
login-rsp 0000" ] &&
	    vm_ok "an iSER Hello: HelloReply version 1, ORD 1, then the login" ||
	    vm_fail "an iSER Hello: HelloReply version 1, ORD 1, then the login (got '$(echo $r)')"
	r=$(/tgt/bin/iser-hostile $A 3260 hello-ver 2>&1)
	[ "$r" = "hello-reply 1 1 0 0
closed" ] &&
	    vm_ok "an iSER Hello of versions 2-3: HelloReply with the reject bit, then closed" ||
	    vm_fail "an iSER Hello of versions 2-3: HelloReply with the reject bit, then closed (got '$(echo $r)')"
	r=$(/tgt/bin/iser-hostile $A 3260 hello-late "$VM_IQN" 2>&1)
	[ "$r" = "login-rsp 0000
closed" ] &&
	    vm_ok "an iSER Hello after the login: the connection is closed" ||
	    vm_fail "an iSER Hello after the login: the connection is closed (got '$(echo $r)')"
	# What iSER allows (RFC 7145): no ERL > 0, no MC/S, no digests,
	# and full feature phase only with RDMAExtensions=Yes.
	r=$(/tgt/bin/iser-hostile $A 3260 nordma "$VM_IQN" 2>&1)
	[ "$r" = "login-rsp 0207" ] &&
	    vm_ok "an iSER login without RDMAExtensions=Yes: Missing parameter (0207)" ||
	    vm_fail "an iSER login without RDMAExtensions=Yes: Missing parameter (0207) (got '$r')"
	r=$(/tgt/bin/iser-hostile $A 3260 keys "$VM_IQN" 2>&1)
	echo "$r" | tr '\n' ' ' | cut -c 1-400
	echo "$r" | head -n 1 | grep -qx 'login-rsp 0000' &&
	    echo "$r" | grep -qx 'ErrorRecoveryLevel=0' &&
	    echo "$r" | grep -qx 'MaxConnections=1' &&
	    echo "$r" | grep -qx 'HeaderDigest=Reject' &&
	    echo "$r" | grep -qx 'DataDigest=Reject' &&
	    vm_ok "iSER login offering ERL 2, 4 connections, CRC32C digests: ERL 0, MaxConnections 1, digests rejected" ||
	    vm_fail "iSER login offering ERL 2, 4 connections, CRC32C digests: ERL 0, MaxConnections 1, digests rejected"
	r=$(/tgt/bin/iser-hostile $A 3260 mcs "$VM_IQN" 2>&1)
	[ "$r" = "login-rsp 0206" ] &&
	    vm_ok "a second connection to an iSER session: Too many connections (0206)" ||
	    vm_fail "a second connection to an iSER session: Too many connections (0206) (got '$r')"
	[ "$(portal_pid)" = "$pp0" ] &&
	    vm_ok "the iSER portal survives the hostile input (pid $pp0)" ||
	    vm_fail "the iSER portal survives the hostile input (pid $pp0, now $(portal_pid))"
	vm_check "the kernel's iSER session still reads" \
	    dd if="$I" of=/dev/null bs=1M count=8 iflag=direct
else
	vm_skip "no iser-hostile in the guest"
fi
# Task management and NOP over iSER.
vm_check "LUN RESET (task management) over iSER" sg_reset -d "$I"
sg_turs "$I" > /dev/null 2>&1	# the unit attention of the reset
vm_check "the disk answers after the reset" sg_turs "$I"
sleep 5
grep -q 'no answer to NOP-In' $C/log &&
    vm_fail "the initiator answers our NOP-In pings over iSER" ||
    vm_ok "the initiator answers our NOP-In pings over iSER (nop interval 2)"

# Mutual CHAP over iSER (the master checks it, as over TCP).
cn() { timeout 90 iscsiadm -m node -T "$VM_IQN-chap" -p $A:3260 -I iser "$@"; }
cn -o new > /dev/null
cn -o update -n node.session.auth.authmethod -v CHAP
cn -o update -n node.session.auth.username -v iser-user
cn -o update -n node.session.auth.password -v wrong-secret-789
if cn --login > /tmp/login.out 2>&1; then
	vm_fail "a wrong CHAP secret is refused over iSER"
	cn --logout > /dev/null 2>&1
else
	vm_ok "a wrong CHAP secret is refused over iSER"
fi
cn -o update -n node.session.auth.password -v iser-secret-123
cn -o update -n node.session.auth.username_in -v iser-target
cn -o update -n node.session.auth.password_in -v iser-mutual-456
# An Async Message over iSER: a reload that removes the CHAP target asks
# its session to log out (AsyncEvent 1, "logout requested"); iscsid
# answers with a Logout over the iSER connection.
if vm_check "mutual CHAP login over iSER" cn --login; then
	n0=$(grep -c 'iser\].*logout tsih' $C/log)
	sed "/^target \"$VM_IQN-chap\"/,/^}/d" $C/tgt.conf > $C/tgt2.conf
	cp $C/tgt2.conf $C/tgt.conf
	vm_check "reload without the CHAP target" \
	    /tgt/bin/tgtctl -s /run/tgt.sock reload
	vm_wait 30 sh -c "[ \$(grep -c 'iser\].*logout tsih' $C/log) -gt $n0 ]" &&
	    vm_ok "the removed target's iSER session gets the Async Message and logs out" ||
	    { vm_fail "the removed target's iSER session gets the Async Message and logs out"; fail_log; }
	cn --logout > /dev/null 2>&1
	cn -o delete > /dev/null 2>&1
fi

# kill -9 of the iSER portal under fio verify.
# (fio of 96 MiB took under 6 s on a quiet machine: the kill comes as
# soon as fio has started writing)
fiov 96m &
fpid=$!
sleep 1
pp=$(ps | grep 'tgt-portal' | grep iser | grep -v grep | awk '{print $1}' | head -n 1)
if [ -n "$pp" ] && kill -0 $fpid 2>/dev/null; then
	kill -9 $pp && vm_note "killed the iSER portal (pid $pp) under fio"
else
	vm_fail "fio runs and the iSER portal is found (pid '$pp')"
fi
wait $fpid
fio_ok $? && vm_ok "iSER: fio verify across kill -9 of the iSER portal" ||
    { vm_fail "iSER: fio verify across kill -9 of the iSER portal"; tail -n 20 /tmp/fio.out; fail_log; }
grep -E 'portal.*(exited|killed|signal|restart)' $C/log | head -n 3
vm_check "iSER logout" node -I iser --logout
kill -TERM $mpid
n=0
while kill -0 $mpid 2>/dev/null && [ $n -lt 40 ]; do sleep 0.25; n=$((n + 1)); done
kill -0 $mpid 2>/dev/null && vm_fail "tgt-master stops on SIGTERM" ||
    vm_ok "tgt-master stops on SIGTERM"
if grep -qE 'Sanitizer|runtime error:' $C/log; then
	vm_fail "no sanitizer report in the guest's daemons' log"
	grep -A 10 -E 'Sanitizer|runtime error:' $C/log | head -n 30
else
	vm_ok "no sanitizer report in the guest's daemons' log"
fi
