#!/usr/bin/env bash
# A shell in the VM tests' guest, for debugging a scenario by hand.
#
#	regress/vm/shell.sh [-t] [SCENARIO]
#
# Boots the guest of regress/vm/mkinitramfs.sh with its console on this
# terminal (Ctrl-A X quits qemu), network, udev and iscsid up, and a
# shell.  The host's 127.0.0.1 is 10.0.2.2 there: start a target on the
# host with "listen on 127.0.0.1 port N advertise \"10.0.2.2:N\"".
#	-t		put the built daemons (TGT_BUILD, default build)
#			under /tgt in the guest, as VM_TARGET_IN_GUEST=1
#			does for a test
#	SCENARIO	copied to /vm/scenario.sh, to run with
#			". /etc/guest.sh; . /vm/scenario.sh"; variables the
#			scenario needs can be set in the environment as VM_*
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/regress/vm/qemu.sh"

tgt=0
while getopts t opt; do
	case $opt in
	t) tgt=1 ;;
	*) echo "usage: $0 [-t] [SCENARIO]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

out=$(bash "$top/regress/vm/mkinitramfs.sh")
kernel=$(echo "$out" | head -n 1)
initrd=$(echo "$out" | tail -n 1)
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
mkdir -p "$d/root/vm"
[ $# -gt 0 ] && cp "$1" "$d/root/vm/scenario.sh"
( set -o posix; set ) | grep -E '^VM_[A-Z0-9_]+=' > "$d/root/vm/env" || :
if [ $tgt = 1 ]; then
	B=${TGT_BUILD:-build}
	case $B in /*) ;; *) B=$top/$B ;; esac
	vm_guest_tgt "$d/root" "$B"
fi
(cd "$d/root" && find . | cpio -o -H newc --quiet) > "$d/extra.cpio"
cat "$initrd" "$d/extra.cpio" > "$d/initrd"
vm_qemu "$kernel" "$d/initrd" "tgtvm.shell" -serial mon:stdio
