#!/bin/sh
# make run: serve /var/lib/tgt/disk1.img (1 GiB, sparse, created if absent)
# as iqn.2026-11.org.example:disk LUN 1 on 127.0.0.1:3260, in the
# foreground, with the example configuration etc/tgt.conf.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
img=/var/lib/tgt/disk1.img

if [ ! -e "$img" ]; then
	mkdir -p "$(dirname "$img")"
	truncate -s 1G "$img"
	echo "run: created sparse 1 GiB $img"
fi
[ -d /var/empty ] || install -d -m 755 /var/empty
echo "run: iscsi://127.0.0.1:3260/iqn.2026-11.org.example:disk/1" \
    "(stop with ^C)"
exec "$top/build/tgt-master" -d -f "$top/etc/tgt.conf"
