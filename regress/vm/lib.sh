# Host side of the VM tests (regress/integration/9x-vm-*.sh), sourced after
# regress/lib/common.sh.  A scenario is a bash script run inside a
# qemu guest booted from the initramfs of regress/vm/mkinitramfs.sh, with
# the Linux kernel's iSCSI initiator; what it prints on the serial console
# becomes this test's ok/FAIL lines (protocol in regress/vm/guest.sh).
#
# Two placements:
#   - the target on the host (the default): the guest reaches the host's
#     127.0.0.1 as 10.0.2.2 through qemu's user networking; listeners are
#     configured with "advertise 10.0.2.2:PORT" so that SendTargets gives
#     the guest an address it can reach;
#   - the target in the guest (VM_TARGET_IN_GUEST=1): the built daemons
#     and their libraries go into a second archive, under /tgt in the
#     guest, for what needs a kernel facility the host lacks.
#
# Environment:
#	VM_TIMEOUT	watchdog of one boot, seconds (default 600)
#	VM_MEM		guest memory, MiB (default 1024)
#	VM_SMP		guest CPUs (default 2)
#	VM_ACCEL	kvm or tcg (default: kvm when /dev/kvm is usable)
#	VM_QEMU_ARGS	more qemu arguments: extra devices for the guest, as
#			a virtio-scsi controller with scsi-hd and scsi-cd
#			(96-vm-passthrough)
#	VM_GUEST_BINS	with VM_TARGET_IN_GUEST=1: programs (host paths)
#			copied to /tgt/bin in the guest with their libraries
#	TGT_KEEP=1	keep the temporary directory (console logs) also
#			when nothing failed; a failed scenario always keeps it

VM_HOST=10.0.2.2
VM_IQN=$IQN
VM_PORT=$PORT
VM_TIMEOUT=${VM_TIMEOUT:-600}
VM_MEM=${VM_MEM:-1024}
VM_SMP=${VM_SMP:-2}
VM_CACHE=${VM_CACHE:-$top/build/vm}
VM_KERNEL= VM_INITRD=
VM_N=0
TGT_KEEP_FAILED=1

. "$top/regress/vm/qemu.sh"

# vm_prepare: the kernel and initramfs (built once per set of inputs).
# Fails the test if they cannot be had.
vm_prepare() {
	local out
	if ! command -v qemu-system-x86_64 > /dev/null; then
		fail "vm: qemu-system-x86_64 is installed (regress/install-deps.sh)"
		exit 1
	fi
	mkdir -p "$VM_CACHE"
	# One build at a time when tests run in parallel.
	if ! out=$(flock "$VM_CACHE/.lock" \
	    bash "$top/regress/vm/mkinitramfs.sh" "$VM_CACHE" 2>&1); then
		fail "vm: the guest's initramfs builds"
		echo "$out" | indent
		exit 1
	fi
	VM_KERNEL=$(echo "$out" | tail -n 2 | head -n 1)
	VM_INITRD=$(echo "$out" | tail -n 1)
	note "vm: $(basename "$VM_KERNEL"), $(basename "$VM_INITRD")" \
	    "($(( $(stat -c %s "$VM_INITRD") / 1048576 )) MiB), $(vm_accel)"
}

# vm_conf < BODY: the test's configuration file: one listener on
# 127.0.0.1:$PORT that discovery advertises to the guest as
# 10.0.2.2:$PORT, then BODY (targets).
vm_conf() {
	{
		conf_header
		echo "listen on $ADDR port $PORT advertise \"$VM_HOST:$PORT\""
		cat
	} > "$CONF"
}

# Default event hook: a test defines its own vm_event to act on the
# guest's "VMT event NAME ARG..." lines.
if ! declare -F vm_event > /dev/null; then
	vm_event() { note "vm: event $* has no hook"; return 1; }
fi

# vm_run NAME SCRIPT [SECONDS]: boot a guest that runs SCRIPT (a file,
# bash) and turn its console into ok/FAIL lines prefixed "vm NAME: ".
# Variables VM_* of this shell are passed to the guest in /vm/env.  The
# guest's console is $T/vm-NAME.console.
vm_run() {
	local name=$1 script=$2 limit=${3:-$VM_TIMEOUT}
	local dir=$T/vm-$name.d con=$T/vm-$name.console
	local fifo=$T/vm-$name.ttyS1 accel line rc=none t0 qpid
	local extra=$T/vm-$name.cpio initrd=$T/vm-$name.initrd
	local f0=$nfail

	[ -n "$VM_KERNEL" ] || vm_prepare
	VM_N=$((VM_N + 1))
	rm -rf "$dir"
	mkdir -p "$dir/vm"
	cp "$script" "$dir/vm/scenario.sh"
	# Every VM_* variable of the test, for the scenario.
	( set -o posix; set ) | grep -E '^VM_[A-Z0-9_]+=' |
	    grep -vE '^VM_(KERNEL|INITRD|CACHE|N)=' > "$dir/vm/env"
	if [ "${VM_TARGET_IN_GUEST:-0}" = 1 ]; then
		vm_guest_tgt "$dir" "$BIN"
		# Helpers the test built on the host, in /tgt/bin too.
		for b in ${VM_GUEST_BINS:-}; do
			cp "$b" "$dir/tgt/bin/"
			vm_guest_copy "$dir" "$b" noself
		done
	fi
	(cd "$dir" && find . -print0 | LC_ALL=C sort -z |
	    cpio --null -o -H newc --quiet) > "$extra"
	cat "$VM_INITRD" "$extra" > "$initrd"

	rm -f "$fifo.in" "$fifo.out"
	mkfifo "$fifo.in" "$fifo.out"
	accel=$(vm_accel)
	t0=$(date +%s)
	vm_qemu "$VM_KERNEL" "$initrd" "${VM_APPEND:-}" \
	    -serial stdio -serial pipe:"$fifo" ${VM_QEMU_ARGS:-} \
	    < /dev/null > "$con" 2>&1 &
	qpid=$!
	# Keep the host-to-guest pipe open for the guest's whole life.
	exec 8<> "$fifo.in" 9<> "$fifo.out"

	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		"VMT ok "*)	ok "vm $name: ${line#VMT ok }" ;;
		"VMT FAIL "*)	fail "vm $name: ${line#VMT FAIL }" ;;
		"VMT skip "*)	skip "vm $name: ${line#VMT skip }" ;;
		"VMT note "*)	note "vm $name: ${line#VMT note }" ;;
		"VMT event "*)
			set -- ${line#VMT event }
			note "vm $name: event $*"
			vm_event "$@" >> "$T/vm-$name.events" 2>&1
			echo "done $1 $?" >&8
			;;
		"VMT end "*)	rc=${line#VMT end }; break ;;
		*)		echo "    $line" ;;
		esac
	done < <(timeout "$limit" tail -n +1 -F --pid="$qpid" "$con" 2>/dev/null)

	if [ "$rc" = none ]; then
		if kill -0 "$qpid" 2>/dev/null; then
			fail "vm $name: the guest ends within $limit s (watchdog)"
		else
			fail "vm $name: the guest ends its scenario (it stopped)"
		fi
		tail -n 40 "$con" | indent
	elif [ "$rc" != 0 ] && [ $nfail -eq $f0 ]; then
		fail "vm $name: the scenario exits 0 (exit $rc)"
	fi
	# The guest powers itself off; give it a moment, then stop it.
	local n=20
	while kill -0 "$qpid" 2>/dev/null && [ $n -gt 0 ]; do
		sleep 0.5
		n=$((n - 1))
	done
	kill -KILL "$qpid" 2>/dev/null
	wait "$qpid" 2>/dev/null
	exec 8>&- 9>&-
	note "vm $name: $(( $(date +%s) - t0 )) s ($accel)"
	if [ $nfail -gt $f0 ]; then
		note "vm $name: console kept in $con"
	fi
	rm -f "$initrd" "$extra" "$fifo.in" "$fifo.out"
	[ $nfail -eq $f0 ]
}

# vm_portal_of PORT: the tgt-portal serving that port of $ADDR.
vm_portal_of() {
	local pid
	for pid in $(children tgt-portal); do
		[ "$(ps -o args= -p "$pid")" = "tgt-portal: $ADDR:$1" ] &&
		    { echo "$pid"; return 0; }
	done
	return 1
}

# vm_kill_portal PORT: kill -9 the portal of PORT and wait (10 s at most)
# until the master started another one.
vm_kill_portal() {
	local old new n=0
	old=$(vm_portal_of "$1") || { echo "no portal on $1"; return 1; }
	kill -KILL "$old"
	while [ $n -lt 100 ]; do
		new=$(vm_portal_of "$1") && [ "$new" != "$old" ] && break
		sleep 0.1
		n=$((n + 1))
	done
	echo "tgt-portal on $1: killed $old, now ${new:-none}"
	[ -n "$new" ] && [ "$new" != "$old" ]
}
