#!/usr/bin/env bash
# Data integrity through qemu's iSCSI block driver (libiscsi): a random
# 64 MiB image written into the LUN and read back is identical, and the
# backing file holds the same bytes; once per backend (rdwr, aio).
. "$(dirname "$0")/../lib/common.sh"

mkdisk "$T/rdwr.img" 64M
mkdisk "$T/aio.img" 64M
head -c 64M /dev/urandom > "$T/rand.img"
cp "$T/rand.img" "$T/ro.img"
tgt_conf <<EOF2
target "$IQN" {
	allow all
	lun 1 disk "$T/rdwr.img" { backend rdwr }
	lun 2 disk "$T/aio.img" { backend aio }
	lun 3 disk "$T/ro.img" { read-only yes }
}
EOF2
tgt_start || exit 1

for l in 1:rdwr 2:aio; do
	lun=${l%%:*} be=${l#*:}
	rm -f "$T/back.img"
	check "$be: qemu-img convert rand.img -> LUN $lun" \
	    timeout 300 qemu-img convert -n -O raw -f raw "$T/rand.img" \
	    "$URL/$IQN/$lun"
	check "$be: qemu-img convert LUN $lun -> back.img" \
	    timeout 300 qemu-img convert -O raw -f raw "$URL/$IQN/$lun" \
	    "$T/back.img"
	check "$be: read back == written" cmp "$T/rand.img" "$T/back.img"
	check "$be: backing file == written" cmp "$T/rand.img" "$T/$be.img"
done
# A second pass with a different pattern and odd request sizes, through
# qemu-io (several requests in flight, not 512-aligned to 4 KiB).
if command -v qemu-io > /dev/null; then
	check "aio: qemu-io writes and verifies patterns" \
	    timeout 120 qemu-io -f raw \
	    -c "write -P 0xa5 0 1M" -c "write -P 0x5a 1536 7k" \
	    -c "aio_write -P 0x11 4M 64k" -c "aio_write -P 0x22 8M 128k" \
	    -c "aio_flush" \
	    -c "read -P 0xa5 0 1536" -c "read -P 0x5a 1536 7k" \
	    -c "read -P 0x11 4M 64k" -c "read -P 0x22 8M 128k" \
	    "$URL/$IQN/2"
	if grep -qiE 'fail|mismatch|error' "$T/out"; then
		fail "aio: qemu-io reported no error or pattern mismatch"
		indent "$T/out"
	fi
fi

# read-only yes: reads give the file's bytes, writes are refused and the
# file does not change.  (qemu already refuses to open the LUN for
# writing when MODE SENSE reports it write-protected; the WRITE commands
# themselves are checked by ALL.ReadOnly in 40-conformance.)
rm -f "$T/back.img"
check "read-only: qemu-img convert LUN 3 -> back.img" \
    timeout 300 qemu-img convert -O raw -f raw "$URL/$IQN/3" "$T/back.img"
check "read-only: read back == backing file" cmp "$T/rand.img" "$T/back.img"
timeout 60 qemu-io -f raw -c "write -P 0x77 0 64k" "$URL/$IQN/3" \
    > "$T/out" 2>&1
rc=$?
if [ $rc -ne 0 ] || grep -qiE 'failed|error|denied|protect' "$T/out"; then
	ok "read-only: a write is refused ($(grep -m1 -iE 'failed|error|denied|protect' "$T/out"))"
else
	fail "read-only: a write is refused (exit $rc)"
	indent "$T/out"
fi
check "read-only: the backing file is unchanged" cmp "$T/rand.img" "$T/ro.img"
