# The qemu command line of the VM tests' guest, shared by regress/vm/lib.sh
# (tests) and regress/vm/shell.sh (a shell for debugging).
#
#	vm_qemu KERNEL INITRD APPEND [QEMU ARGS...]
#
# KVM when /dev/kvm is usable (or VM_ACCEL=kvm|tcg says), TCG otherwise.
# The guest's network is qemu's user networking: the guest is 10.0.2.15
# and reaches the host's 127.0.0.1 as 10.0.2.2; nothing else is set up
# for it, and the scenarios connect to 10.0.2.2 only.

vm_accel() {
	if [ -n "${VM_ACCEL:-}" ]; then
		echo "$VM_ACCEL"
	elif [ -w /dev/kvm ] && [ -r /dev/kvm ]; then
		echo kvm
	else
		echo tcg
	fi
}

vm_qemu() {
	local kernel=$1 initrd=$2 append=$3
	shift 3
	qemu-system-x86_64 -nodefaults -no-user-config -no-reboot \
	    -machine q35,accel="$(vm_accel)" -cpu max -smp "${VM_SMP:-2}" \
	    -m "${VM_MEM:-1024}" -display none -vga none \
	    -kernel "$kernel" -initrd "$initrd" \
	    -append "console=ttyS0 panic=-1 quiet loglevel=3 $append" \
	    -netdev user,id=n0,ipv6=off -device virtio-net-pci,netdev=n0 \
	    "$@"
}

# vm_guest_copy DIR FILE [NOSELF]: FILE (unless NOSELF) and the libraries
# ldd finds for it, at their places under DIR.
vm_guest_copy() {
	local dir=$1 f=$2 lib dst self
	self=$f
	[ -n "${3:-}" ] && self=
	for lib in $self $(ldd "$f" 2>/dev/null | grep -oE '/[^ ]+'); do
		# The guest's /lib is a symlink to usr/lib: an archive
		# entry "lib" would replace it.
		case $lib in
		/lib/*|/lib64/*|/bin/*|/sbin/*) dst=$dir/usr$lib ;;
		*) dst=$dir$lib ;;
		esac
		mkdir -p "$(dirname "$dst")"
		[ -e "$dst" ] || cp "$(readlink -f "$lib")" "$dst"
	done
}

# vm_guest_tgt DIR BINDIR: the daemons of BINDIR and their libraries
# under DIR (the root of an archive for the guest), in /tgt/bin.  With
# them what verbs need in the guest (iSER on Soft-RoCE): libibverbs'
# provider plug-ins, loaded with dlopen, and their driver files, and the
# rdma-core tools a scenario may use (ibv_devices, rping), when this
# machine has them.
vm_guest_tgt() {
	local dir=$1 bin=$2 b p
	mkdir -p "$dir/tgt/bin" "$dir/tgt/empty"
	for b in tgt-master tgt-portal tgt-lun tgtctl; do
		cp "$bin/$b" "$dir/tgt/bin/"
		vm_guest_copy "$dir" "$bin/$b" noself
	done
	for p in /usr/lib/x86_64-linux-gnu/libibverbs/librxe-rdmav*.so \
	    /usr/bin/ibv_devices /usr/bin/ibv_devinfo /usr/bin/rping \
	    /usr/bin/ibv_rc_pingpong; do
		[ -e "$p" ] && vm_guest_copy "$dir" "$p"
	done
	if [ -e /etc/libibverbs.d/rxe.driver ]; then
		mkdir -p "$dir/etc/libibverbs.d"
		cp /etc/libibverbs.d/rxe.driver "$dir/etc/libibverbs.d/"
	fi
}
