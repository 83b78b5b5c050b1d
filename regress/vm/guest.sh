# Guest side of the VM tests, sourced by /init and by every scenario
# (bash).  What the host reads from the console (ttyS0):
#
#	VMT ok TEXT		a check passed
#	VMT FAIL TEXT		a check failed
#	VMT skip TEXT		a check could not run
#	VMT note TEXT		a comment, shown as "# TEXT"
#	VMT event NAME [ARG]	the host runs its vm_event hook, then answers
#				on ttyS1 ("done NAME RC"); vm_event waits
#	VMT end RC		the scenario ended with exit code RC
#
# Anything else on the console (a command's output) is shown indented.
# The host's variables for the scenario are in /vm/env (VM_HOST, VM_PORT,
# VM_IQN, ...).

vm_nfail=0

vm_ok()   { echo "VMT ok $*"; }
vm_fail() { vm_nfail=$((vm_nfail + 1)); echo "VMT FAIL $*"; }
vm_skip() { echo "VMT skip $*"; }
vm_note() { echo "VMT note $*"; }

# vm_check NAME CMD...: ok if CMD exits 0, else FAIL with its output.
vm_check() {
	local name=$1 rc
	shift
	"$@" > /tmp/vm.out 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		vm_ok "$name"
	else
		vm_fail "$name (exit $rc: $*)"
		head -n 30 /tmp/vm.out
	fi
	return $rc
}

# vm_check_out NAME REGEX CMD...: CMD exits 0 and prints REGEX (grep -E).
vm_check_out() {
	local name=$1 re=$2 rc
	shift 2
	"$@" > /tmp/vm.out 2>&1
	rc=$?
	if [ $rc -eq 0 ] && grep -qE -- "$re" /tmp/vm.out; then
		vm_ok "$name"
		return 0
	fi
	vm_fail "$name (exit $rc, want /$re/: $*)"
	head -n 30 /tmp/vm.out
	return 1
}

# vm_cu_score LOG: one "VERDICT SUITE.TEST" line per test of an
# iscsi-test-cu -v log (PASS, FAIL or SKIP), to compare two runs.  What
# follows "passed" on its line is the next test's set-up or this one's
# clean-up (over iSCSI, a PERSISTENT RESERVE IN that a device without
# reservations skips), not this test's verdict.
vm_cu_score() {
	awk '
	function close_test(st) {
		if (cur == "") return
		if (st == "") st = (failed ? "FAIL" : (skipped ? "SKIP" : "PASS"))
		print st, suite "." cur; cur = ""
	}
	/^Suite: /		{ close_test(""); suite = $2; next }
	/^  Test: /		{ close_test(""); cur = $2; failed = 0; skipped = 0 }
	cur != "" && /(\.\.\.|[^a-z]|^)passed/	{ sub(/passed.*/, "passed") }
	cur != "" && /\[SKIPPED\]/	{ skipped = 1 }
	cur != "" && /\[FAILED\]|FAILED$/	{ failed = 1 }
	cur != "" && /(\.\.\.|[^a-z])passed$|^passed$/	{ close_test("") }
	cur != "" && /\.\.\.FAILED$|^FAILED$/	{ failed = 1; close_test("") }
	END { close_test("") }
	' "$1"
}

# vm_rxe ADDR [MODULE...]: Soft-RoCE for the iSER scenarios: load
# rdma_rxe and what it needs (and MODULEs), put ADDR/24 on a dummy
# network device and make rxe0 on it.  Returns 1 if rxe0 was not made.
vm_rxe() {
	local a=$1 m
	shift
	for m in crc32_generic rdma_rxe ib_uverbs rdma_ucm "$@" dummy; do
		modprobe $m || vm_fail "modprobe $m"
	done
	ip link show dummy0 > /dev/null 2>&1 || ip link add dummy0 type dummy
	ip link set dummy0 up
	ip addr add $a/24 dev dummy0
	vm_check "Soft-RoCE: rdma link add rxe0 type rxe netdev dummy0" \
	    rdma link add rxe0 type rxe netdev dummy0
}

# vm_md5_trip DEV MIB NAME: mkfs.ext4 on DEV, write MIB MiB of random
# data, read them back after a remount with the page cache dropped: ok
# or FAIL "NAME: ..."; returns 1 if the file system could not be made.
vm_md5_trip() {
	local s1 s2
	mkdir -p /mnt/t
	mkfs.ext4 -q -F "$1" && mount -t ext4 "$1" /mnt/t ||
	    { vm_fail "$3: mkfs and mount"; return 1; }
	dd if=/dev/urandom of=/mnt/t/f bs=1M count="$2" 2>/dev/null
	s1=$(md5sum < /mnt/t/f)
	umount /mnt/t
	echo 3 > /proc/sys/vm/drop_caches
	mount -t ext4 -o ro "$1" /mnt/t
	s2=$(md5sum < /mnt/t/f)
	umount /mnt/t
	[ "$s1" = "$s2" ] && vm_ok "$3: $2 MiB md5 round trip" ||
	    vm_fail "$3: $2 MiB md5 round trip"
	return 0
}

# vm_tgt_stop PID LOG: stop a tgt-master run in the guest with SIGTERM
# (ok if it ends within 10 s), then look for sanitizer reports in LOG.
vm_tgt_stop() {
	local n=0
	kill -TERM "$1"
	while kill -0 "$1" 2>/dev/null && [ $n -lt 40 ]; do
		sleep 0.25
		n=$((n + 1))
	done
	kill -0 "$1" 2>/dev/null && vm_fail "tgt-master stops on SIGTERM" ||
	    vm_ok "tgt-master stops on SIGTERM"
	if grep -qE 'Sanitizer|runtime error:' "$2"; then
		vm_fail "no sanitizer report in the guest's daemons' log"
		grep -A 10 -E 'Sanitizer|runtime error:' "$2" | head -n 30
	else
		vm_ok "no sanitizer report in the guest's daemons' log"
	fi
}

# vm_wait SECONDS CMD...: poll CMD every half second until it succeeds.
vm_wait() {
	local n=$(($1 * 2))
	shift
	while [ $n -gt 0 ]; do
		"$@" > /dev/null 2>&1 && return 0
		sleep 0.5
		n=$((n - 1))
	done
	return 1
}

# vm_event NAME [ARG]: ask the host to act (kill a process, reload...)
# and wait until it has; returns the host's exit code.
vm_event() {
	local line rc
	echo "VMT event $*"
	while :; do
		if ! read -r -t 300 line < /dev/ttyS1; then
			vm_fail "host answers event $1 within 300 s"
			return 1
		fi
		case $line in
		"done $1 "*) rc=${line##* }; return "$rc" ;;
		esac
	done
}

# vm_disk_of IQN [LUN]: the sd device name of a LUN of a logged-in
# session, e.g. "sdb", or nothing.
vm_disk_of() {
	local iqn=$1 lun=${2:-1} s h d
	for s in /sys/class/iscsi_session/session*; do
		[ -e "$s/targetname" ] || continue
		[ "$(cat "$s/targetname")" = "$iqn" ] || continue
		h=$(readlink -f "$s/device")
		h=${h%/session*}
		for d in "$h"/session*/target*/*:*:*:"$lun"/block/*; do
			[ -e "$d" ] && { basename "$d"; return 0; }
		done
	done
	return 1
}

# vm_login [LUN]: discovery at $VM_HOST:$VM_PORT, login to $VM_IQN, wait
# for the LUN's disk (default LUN 1); sets VM_DEV to /dev/sdX.
vm_login() {
	local p=$VM_HOST:$VM_PORT
	iscsiadm -m discovery -t st -p "$p" > /dev/null ||
	    { vm_fail "discovery at $p"; return 1; }
	vm_check "login to $VM_IQN" \
	    iscsiadm -m node -T "$VM_IQN" -p "$p" --login || return 1
	vm_wait 30 vm_disk_of "$VM_IQN" "${1:-1}" ||
	    { vm_fail "LUN ${1:-1} appears as a disk"; lsscsi; return 1; }
	VM_DEV=/dev/$(vm_disk_of "$VM_IQN" "${1:-1}")
	vm_wait 10 test -b "$VM_DEV"
}

# vm_login_paths PORTAL...: discovery and login to $VM_IQN through each
# portal, with the timeouts of a multipath path (a failed path gives its
# I/O back to dm-multipath within seconds).
vm_login_paths() {
	local p kv
	for p in "$@"; do
		iscsiadm -m discovery -t st -p "$p" > /dev/null ||
		    { vm_fail "discovery on $p"; return 1; }
		for kv in node.session.timeo.replacement_timeout=5 \
		    node.conn[0].timeo.noop_out_interval=2 \
		    node.conn[0].timeo.noop_out_timeout=2; do
			iscsiadm -m node -T "$VM_IQN" -p "$p" -o update \
			    -n "${kv%%=*}" -v "${kv#*=}"
		done
		vm_check "login through $p" \
		    iscsiadm -m node -T "$VM_IQN" -p "$p" --login || return 1
	done
}

# vm_fio_start DEV MIB: fio runs of random 4k writes verified with
# crc32c over MIB MiB of DEV, one after the other (each at another
# offset, at most 60) until vm_fio_report; VM_FIO_PID is their loop.
vm_fio_start() {
	rm -f /tmp/stop /tmp/fio.*
	(
		i=0
		while [ ! -e /tmp/stop ] && [ $i -lt 60 ]; do
			i=$((i + 1))
			fio --name=run$i --filename="$1" --ioengine=libaio \
			    --direct=1 --rw=randwrite --bs=4k --iodepth=16 \
			    --size="$2"M --offset=$(( (i % 8) * $2 ))M \
			    --verify=crc32c --do_verify=1 --verify_fatal=0 \
			    --verify_dump=0 --randrepeat=0 > /tmp/fio.$i 2>&1
			echo "$i $?" >> /tmp/fio.rc
		done
	) &
	VM_FIO_PID=$!
}

# vm_fio_report: stop the runs, ok if none failed, had an I/O error or
# a verify failure.
vm_fio_report() {
	local runs bad errs vfail ios
	touch /tmp/stop
	wait "$VM_FIO_PID"
	runs=$(wc -l < /tmp/fio.rc)
	bad=$(awk '$2 != 0' /tmp/fio.rc | wc -l)
	errs=$(cat /tmp/fio.[0-9]* | grep -oE 'err= *[0-9]+' |
	    grep -vcE 'err= *0$')
	vfail=$(cat /tmp/fio.[0-9]* |
	    grep -ciE 'verify.*(fail|bad|mismatch)|bad magic')
	ios=$(cat /tmp/fio.[0-9]* |
	    grep -oE 'issued rwts: total=[0-9]+,[0-9]+' | awk -F'[=,]' '
	    { r += $2; w += $3 } END { print r " reads, " w " writes" }')
	vm_note "fio: $runs runs, $ios, $bad runs failed, $errs I/O errors, $vfail verify failures"
	if [ "$runs" -gt 0 ] && [ "$bad" = 0 ] && [ "$errs" = 0 ] &&
	    [ "$vfail" = 0 ]; then
		vm_ok "fio through the multipath device: no I/O error, no verify failure"
	else
		vm_fail "fio through the multipath device: no I/O error, no verify failure"
		grep -hE 'err=|verify|error' /tmp/fio.[0-9]* | head -n 20
	fi
}

# vm_multipath_stop: stop multipathd, flush its maps, log out of all.
vm_multipath_stop() {
	multipathd shutdown 2>/dev/null
	multipath -F > /dev/null 2>&1
	iscsiadm -m node --logoutall=all > /dev/null 2>&1
}

# vm_dev LUN CLASS REGEX: /dev/NAME of a LUN's device of a sysfs class
# (block, scsi_generic, scsi_tape...) whose name matches REGEX, in any
# logged-in session, e.g. vm_dev 0 scsi_tape 'nst[0-9]+'.
vm_dev() {
	local d
	for d in /sys/class/iscsi_session/session*/device/target*/*:*:*:$1/$2/*; do
		[ -e "$d" ] || continue
		basename "$d"
	done | grep -E "^$3\$" | head -n 1 | sed 's|^|/dev/|'
}
vm_has_dev() { [ -n "$(vm_dev "$@")" ]; }

vm_net() {
	modprobe virtio_pci
	modprobe virtio_net
	ip link set lo up
	vm_wait 10 ip link show eth0 || { echo "no eth0"; return 1; }
	ip link set eth0 up
	ip addr add 10.0.2.15/24 dev eth0
	ip route add default via 10.0.2.2
}

vm_udev() {
	/lib/systemd/systemd-udevd --daemon --resolve-names=never \
	    > /dev/null 2>&1
	udevadm trigger --action=add > /dev/null 2>&1
	udevadm settle -t 30 > /dev/null 2>&1
}

vm_iscsid() {
	modprobe iscsi_tcp
	modprobe sd_mod
	modprobe sg
	iscsid
	# iscsid's control socket is abstract: its pid says it is up.
	vm_wait 10 pidof iscsid
}

vm_main() {
	local rc=0 f
	stty -F /dev/ttyS1 raw -echo 2>/dev/null
	[ -r /vm/env ] && . /vm/env
	if grep -qw tgtvm.shell /proc/cmdline; then
		vm_net
		vm_udev
		vm_iscsid
		echo "tgtvm: debug shell; 'poweroff -f' to leave"
		setsid cttyhack bash -l
		poweroff -f
	fi
	for f in /vm/pre.d/*.sh; do
		[ -r "$f" ] && . "$f"
	done
	t_init=$(cut -d' ' -f1 /proc/uptime)
	vm_net || vm_fail "guest network (virtio-net, 10.0.2.15)"
	t_net=$(cut -d' ' -f1 /proc/uptime)
	vm_udev
	t_udev=$(cut -d' ' -f1 /proc/uptime)
	vm_iscsid || vm_fail "iscsid starts"
	echo "VMT note guest up after $(cut -d' ' -f1 /proc/uptime) s" \
	    "(init $t_init, network $t_net, udev $t_udev)"
	if [ -r /vm/scenario.sh ]; then
		( . /vm/scenario.sh ) 2>&1
		rc=$?
	else
		vm_fail "no scenario in /vm"
		rc=1
	fi
	sync
	echo "VMT end $rc"
	poweroff -f
}
