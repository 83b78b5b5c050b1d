#!/bin/sh
# Build the libiscsi of the VM tests' guest: Debian 12 ships libiscsi
# 1.19, whose iSER initiator cannot run several of the conformance suites
# (regress/integration/97-vm-cu-iser.sh says which and why); 1.20 can.
# This takes the upstream source archive of Debian 13 (trixie) with apt
# (a private apt configuration under a temporary directory: this
# machine's sources, lists and caches stay as they are; the archive is
# checked against trixie's signed Sources index), builds it, and installs
# it under PREFIX, apart from the system's libiscsi (which the tests on
# this machine keep using).  regress/vm/mkinitramfs.sh puts PREFIX's
# iscsi-test-cu into the guest when it is there.
#
#	regress/vm/build-libiscsi.sh [PREFIX]
#
# Run by regress/install-deps.sh as root, at install time (the network is
# needed here only).  Does nothing when PREFIX holds a libiscsi >= 1.20.
set -eu

prefix=${1:-/opt/tgt-suite/libiscsi}
suite=trixie

have() {
	[ -x "$prefix/bin/iscsi-test-cu" ] && [ -r "$prefix/VERSION" ] &&
	    dpkg --compare-versions "$(cat "$prefix/VERSION")" ge 1.20
}
have && exit 0

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/src"
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
    "http://deb.debian.org/debian $suite main" > "$tmp/sources.list"
chmod -R a+rwX "$tmp"
apt() {
	apt-get -q -o Dir::Etc::SourceList="$tmp/sources.list" \
	    -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists="$tmp/lists" \
	    -o Dir::Cache="$tmp/cache" -o Debug::NoLocking=1 "$@"
}
echo "build-libiscsi: fetching libiscsi's source from Debian $suite"
apt update > "$tmp/apt.log" 2>&1 || { cat "$tmp/apt.log" >&2; exit 1; }
# The upstream archive only: the build below is upstream's own.
(cd "$tmp/src" && apt source --download-only --tar-only libiscsi) \
    > "$tmp/apt.log" 2>&1 || { cat "$tmp/apt.log" >&2; exit 1; }
orig=$(ls "$tmp"/src/libiscsi_*.orig.tar.* 2>/dev/null | head -n 1)
[ -n "$orig" ] || { echo "build-libiscsi: no source archive" >&2; exit 1; }
version=$(basename "$orig" | sed 's/^libiscsi_\(.*\)\.orig\.tar\..*$/\1/')
dpkg --compare-versions "$version" ge 1.20 || {
	echo "build-libiscsi: Debian $suite has libiscsi $version, not >= 1.20" >&2
	exit 1
}

echo "build-libiscsi: building libiscsi $version into $prefix"
cd "$tmp/src"
tar xf "$orig"
cd libiscsi-"$version"
# iSER needs librdmacm/libibverbs, iscsi-test-cu needs CUnit (all in
# install-deps.sh's packages); the run path makes the programs load this
# libiscsi, not the system's.
{
	./autogen.sh &&
	./configure --prefix="$prefix" --disable-static --disable-werror \
	    --disable-manpages LDFLAGS="-Wl,-rpath,$prefix/lib" &&
	make -j"$(nproc)" &&
	rm -rf "$prefix" &&
	make install
} > "$tmp/build.log" 2>&1 || { tail -n 40 "$tmp/build.log" >&2; exit 1; }
grep -q '^#define HAVE_LINUX_ISER 1' config.h || {
	echo "build-libiscsi: built without iSER (librdmacm-dev, libibverbs-dev)" >&2
	exit 1
}
echo "$version" > "$prefix/VERSION"
have
