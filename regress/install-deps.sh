#!/bin/sh
# Install the Debian packages the tgt suite needs to build, run, test and
# benchmark, and create the unprivileged user.  Idempotent: when everything
# is present it does nothing and prints nothing.  Must run as root to
# install; as another user it only reports what is missing.
set -eu

PKGS="build-essential pkg-config bison libevent-dev libaio-dev
    libseccomp-dev libbsd-dev libisal-dev liburing-dev libiscsi-bin qemu-utils
    qemu-block-extra tgt mandoc clang procps iproute2 util-linux
    nettle-dev python3 open-isns-server open-isns-utils jq
    qemu-system-x86 linux-image-amd64 kmod cpio busybox-static open-iscsi
    sg3-utils lsscsi e2fsprogs multipath-tools fio mt-st mtx udev
    xorriso genisoimage dvd+rw-tools eject
    librdmacm-dev libibverbs-dev rdma-core ibverbs-providers rdmacm-utils
    ibverbs-utils autoconf automake libtool libcunit1-dev
    ceph-mon ceph-osd ceph-common librbd-dev librados-dev tgt-rbd uuid-runtime
    glusterfs-server libglusterfs-dev tgt-glusterfs libtirpc3"
# The second group is the VM tests' guest (regress/vm): the kernel, its
# modules and the initiator-side tools are copied from these packages into
# an initramfs; none of them runs as a service on this machine.  The
# autotools and CUnit build the guest's libiscsi (regress/vm/build-libiscsi.sh).
TGT_USER=${TGT_USER:-_tgt}

missing=
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) || st=
	[ "$st" = installed ] || missing="$missing $p"
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-deps: missing packages:$missing (run as root)" >&2
		exit 1
	fi
	echo "install-deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	# Keep the tgt package from starting its tgtd while it installs.
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	apt-get install -y -q --no-install-recommends $missing
fi

[ "$(id -u)" -eq 0 ] || exit 0

# Linux tgt is only wanted as a benchmark reference: it must not hold
# port 3260 as a service.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
	if systemctl is-enabled --quiet tgt 2>/dev/null ||
	    systemctl is-active --quiet tgt 2>/dev/null; then
		systemctl disable --now tgt >/dev/null 2>&1 || :
	fi
fi
# A stray system tgtd (not one of ours started with -C by regress/bench).
for pid in $(pgrep -x tgtd 2>/dev/null || :); do
	if ! tr '\0' ' ' < /proc/$pid/cmdline 2>/dev/null |
	    grep -qE -- '(-C|--control-port)'; then
		echo "install-deps: stopping system tgtd (pid $pid)"
		kill "$pid" 2>/dev/null || :
	fi
done

# glusterfs-server is only wanted for regress/integration/39-glfs.sh,
# which runs a private glusterd on port 24007 (the brick processes look
# for it there): no system glusterd service.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
	if systemctl is-enabled --quiet glusterd 2>/dev/null ||
	    systemctl is-active --quiet glusterd 2>/dev/null; then
		systemctl disable --now glusterd >/dev/null 2>&1 || :
	fi
fi

# open-isns is only wanted for regress/integration/46-isns.sh, which runs
# a private isnsd on port 3205: no system isnsd service.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
	if systemctl is-enabled --quiet isnsd 2>/dev/null ||
	    systemctl is-active --quiet isnsd 2>/dev/null; then
		systemctl disable --now isnsd isnsd.socket >/dev/null 2>&1 || :
	fi
fi

# The guest's libiscsi >= 1.20 (Debian 12's 1.19 cannot run the iSER
# conformance suites): built once, under /opt/tgt-suite/libiscsi.
# Without it (no network to the archive, a failed build) everything else
# still runs: 97-vm-cu-iser says why it skips.
sh "$(dirname "$0")/vm/build-libiscsi.sh" ||
    echo "install-deps: the guest's libiscsi >= 1.20 could not be built;" \
	"97-vm-cu-iser will be skipped" >&2

if ! id "$TGT_USER" >/dev/null 2>&1; then
	useradd -r -M -d /var/empty -s /usr/sbin/nologin "$TGT_USER"
fi
if [ ! -d /var/empty ]; then
	mkdir -p /var/empty
	chmod 755 /var/empty
fi
exit 0
