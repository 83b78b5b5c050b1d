#!/usr/bin/env bash
# Build the guest of the VM tests: an uncompressed initramfs made of files
# from this machine's Debian packages (regress/install-deps.sh installs
# them): the Debian kernel's modules, busybox, open-iscsi, sg3-utils,
# e2fsprogs, multipath-tools, fio, mt-st, mtx, udev and friends, with
# every shared library they load, and regress/vm/init as /init.
#
#	regress/vm/mkinitramfs.sh [CACHEDIR]
#
# Prints two lines: the kernel image and the initramfs.  The archive is
# named after a hash of its inputs (this script, the init script, the
# guest's library, the versions of the packages it takes files from, the
# kernel release), so it is built once and reused until one of them
# changes.  CACHEDIR defaults to build/vm.  Nothing of the project's own
# build goes in here: regress/vm/lib.sh appends the daemons in a second,
# small archive when a scenario runs the target inside the guest.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${1:-$top/build/vm}
mkdir -p "$cache"

# The packages files are taken from, for the cache key.
PKGS="linux-image-amd64 busybox-static open-iscsi sg3-utils lsscsi
    e2fsprogs multipath-tools fio mt-st mtx kmod udev util-linux coreutils
    tar iproute2 libc6 bash xorriso dvd+rw-tools eject genisoimage"

# Programs copied with their libraries: name or absolute path.  A missing
# one is an error, except those marked optional (?).
BINS="bash kmod iscsiadm iscsid mke2fs mkfs.ext4 e2fsck resize2fs tune2fs dumpe2fs fio
    mt mtx tapeinfo loaderinfo lsscsi multipath multipathd kpartx dmsetup
    blockdev blkdiscard fstrim lsblk losetup mount umount findmnt tar dd
    timeout stat sync md5sum sha256sum udevadm /lib/systemd/systemd-udevd
    ip rdma? xorriso? growisofs? dvd+rw-mediainfo? sg_persist sg_inq
    iscsi-test-cu? iscsi-inq? iscsi-ls? sg_get_config sg_turs sg_raw eject? genisoimage?
    cmp? diff?"

# The guest's libiscsi >= 1.20 for the iSER conformance runs
# (regress/vm/build-libiscsi.sh, at install time): its iscsi-test-cu at
# the same path in the guest, apart from the system's (1.19) that the
# other scenarios run.
LIBISCSI=/opt/tgt-suite/libiscsi

# Kernel modules, with what they depend on.
MODS="virtio_pci virtio_net virtio_scsi virtio_blk iscsi_tcp sd_mod sr_mod
    st ch sg dm_multipath dm_round_robin dm_service_time dm_queue_length
    scsi_dh_alua scsi_dh_emc scsi_dh_rdac ext4 crc32c_generic crc32c-intel
    isofs udf loop scsi_debug dummy rdma_rxe ib_iser ib_uverbs rdma_ucm
    crc32_generic"

# The newest Debian kernel that has both its image and its modules.
kver=
for k in $(ls /boot 2>/dev/null | sed -n 's/^vmlinuz-//p' | sort -V); do
	[ -d "/lib/modules/$k/kernel" ] && kver=$k
done
[ -n "$kver" ] || {
	echo "mkinitramfs: no /boot/vmlinuz-* with its modules" \
	    "(linux-image-amd64, regress/install-deps.sh)" >&2
	exit 1
}
kernel=/boot/vmlinuz-$kver

key=$( {
	cat "$0" "$here/init" "$here/guest.sh"
	echo "$kver"
	dpkg-query -W -f='${Package} ${Version}\n' $PKGS 2>/dev/null
	for b in $BINS; do command -v "${b%\?}" 2>/dev/null || :; done
	cat "$LIBISCSI/VERSION" 2>/dev/null || :
} | sha256sum | cut -c1-16)
out=$cache/initramfs-$key.cpio
if [ -s "$out" ]; then
	echo "$kernel"
	echo "$out"
	exit 0
fi

root=$(mktemp -d "$cache/root.XXXXXX")
trap 'rm -rf "$root"' EXIT
# A merged /usr, as on Debian 12.
mkdir -p "$root"/usr/{bin,sbin,lib,lib64} "$root"/{dev,proc,sys,run,tmp,etc,mnt,root,var}
for d in bin sbin lib lib64; do ln -s "usr/$d" "$root/$d"; done
chmod 1777 "$root/tmp"

# copy FILE: put FILE (its real path) at its place under $root, and the
# name it was reached by as a symlink to it.
copy() {
	local f=$1 real dst
	real=$(readlink -f "$f")
	dst=$root/${real#/}
	case $real in
	/bin/*|/sbin/*|/lib/*|/lib64/*) dst=$root/usr/${real#/} ;;
	esac
	if [ ! -e "$dst" ]; then
		mkdir -p "$(dirname "$dst")"
		cp -a "$real" "$dst"
	fi
	if [ "$real" != "$f" ]; then
		local link=$root/${f#/}
		case $f in
		/bin/*|/sbin/*|/lib/*|/lib64/*) link=$root/usr/${f#/} ;;
		esac
		[ -e "$link" ] || [ -L "$link" ] || {
			mkdir -p "$(dirname "$link")"
			ln -s "$real" "$link"
		}
	fi
}

# copy_elf FILE: FILE and every library ldd finds for it.
declare -A seen
copy_elf() {
	local f=$1 lib
	[ -n "${seen[$f]:-}" ] && return 0
	seen[$f]=1
	copy "$f"
	while read -r lib; do
		[ -n "$lib" ] && [ -z "${seen[$lib]:-}" ] && {
			seen[$lib]=1
			copy "$lib"
		}
	done < <(ldd "$f" 2>/dev/null | grep -oE '/[^ ]+' || :)
	return 0
}

for b in $BINS; do
	opt=0
	case $b in *\?) opt=1; b=${b%\?} ;; esac
	p=$(command -v "$b" 2>/dev/null || :)
	[ -z "$p" ] && [ -x "$b" ] && p=$b
	if [ -z "$p" ]; then
		[ $opt = 1 ] && continue
		echo "mkinitramfs: $b not found (regress/install-deps.sh)" >&2
		exit 1
	fi
	copy_elf "$p"
done
# Every sg3-utils tool (sg_logs, sg_read_attr, sg_vpd, sg_raw, ...).
for p in $(dpkg -L sg3-utils | grep -E '^/usr/bin/[^/]+$'); do
	copy_elf "$p"
done
[ -x "$LIBISCSI/bin/iscsi-test-cu" ] && [ -r "$LIBISCSI/VERSION" ] && {
	copy_elf "$LIBISCSI/bin/iscsi-test-cu"
	copy "$LIBISCSI/VERSION"
}
# Plug-ins loaded with dlopen: multipath's checkers and prioritizers.
for p in /lib/x86_64-linux-gnu/multipath/*.so /usr/lib/x86_64-linux-gnu/multipath/*.so \
    /lib/multipath/*.so; do
	[ -e "$p" ] && copy_elf "$p"
done
# busybox provides every other command.  Debian's busybox sh runs its own
# applets before the programs of PATH (mt, tar, lsscsi, dd would be
# busybox's), so sh is bash here: the scenarios get the real tools.
cp /bin/busybox "$root/usr/bin/busybox"
ln -s bash "$root/usr/bin/sh"
for a in $(/bin/busybox --list); do
	[ -e "$root/usr/bin/$a" ] || [ -e "$root/usr/sbin/$a" ] ||
	    ln -s busybox "$root/usr/bin/$a"
done
# kmod's tools, where the kernel looks for modprobe too (/sbin/modprobe).
for a in modprobe insmod rmmod lsmod depmod modinfo; do
	rm -f "$root/usr/bin/$a" "$root/usr/sbin/$a"
	ln -s ../bin/kmod "$root/usr/sbin/$a"
done

# udev: its rules and helpers (scsi_id names the disks, multipath's rules).
mkdir -p "$root/usr/lib/udev" "$root/etc/udev"
for p in /lib/udev/rules.d /lib/udev/hwdb.d; do
	[ -d "$p" ] && cp -a "$p" "$root/usr/lib/udev/"
done
for p in /lib/udev/*_id /lib/udev/kpartx_id /lib/udev/scsi_id; do
	[ -f "$p" ] && copy_elf "$p"
done
# Rules that need what the guest has not (systemd units, network naming).
rm -f "$root"/usr/lib/udev/rules.d/*{systemd,network,net-setup,persistent-net,hwdb,fido,joystick,input,sound,video,drm,graphics,mouse,keyboard,touchpad,iocost,dmi}*.rules

# Kernel modules and their dependencies, then depmod for the guest tree.
mdir=/lib/modules/$kver
for m in $MODS; do
	modprobe -S "$kver" --show-depends "$m" 2>/dev/null |
	    awk '$1 == "insmod" { print $2 }'
done | sort -u | while read -r ko; do
	mkdir -p "$root/usr$(dirname "$ko")"
	cp "$ko" "$root/usr$ko"
done
cp "$mdir"/modules.order "$mdir"/modules.builtin* "$root/usr$mdir/" 2>/dev/null || :
depmod -b "$root" "$kver"

# Configuration.
cp /etc/passwd /etc/group "$root/etc/"
grep -q '^_tgt:' "$root/etc/passwd" ||
    echo '_tgt:x:999:999::/var/empty:/usr/sbin/nologin' >> "$root/etc/passwd"
mkdir -p "$root/etc/iscsi" "$root/var/empty" "$root/var/lib/iscsi" \
    "$root/run/lock/iscsi" "$root/etc/multipath"
cp /etc/iscsi/iscsid.conf "$root/etc/iscsi/"
sed -i -e 's|^iscsid.startup.*|iscsid.startup = /bin/true|' \
    "$root/etc/iscsi/iscsid.conf"
echo "InitiatorName=iqn.2026-12.org.example.vm:guest" > \
    "$root/etc/iscsi/initiatorname.iscsi"
echo "tgtvm" > "$root/etc/hostname"
printf '127.0.0.1 localhost\n10.0.2.2 host\n' > "$root/etc/hosts"
: > "$root/etc/fstab"
ln -s /proc/mounts "$root/etc/mtab"

install -m 755 "$here/init" "$root/init"
install -m 644 "$here/guest.sh" "$root/etc/guest.sh"

tmp=$out.tmp.$$
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
    cpio --null -o -H newc --quiet) > "$tmp"
mv "$tmp" "$out"
# Older archives of this cache are stale now.
find "$cache" -maxdepth 1 -name 'initramfs-*.cpio' ! -name "$(basename "$out")" \
    -delete
echo "$kernel"
echo "$out"
