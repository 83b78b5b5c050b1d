#!/usr/bin/env bash
# The io_uring and null backends (issue 12): qemu-img round trips through
# io_uring (buffered and O_DIRECT), null reads zeroes whatever was written
# and has the configured size, only the io_uring LUN processes hold a
# ring (made before their seccomp filter, which then allows io_uring_enter
# and io_uring_register on it: regress/unit/sandbox_test checks the
# filters themselves), and a tgt-lun killed with
# SIGKILL under write load loses no acknowledged write.
. "$(dirname "$0")/../lib/common.sh"

need_bin tgt-master
mkdisk "$T/uring.img" 64M
mkdisk "$T/direct.img" 64M
mkdisk "$T/rdwr.img" 16M
mkdisk "$T/load.img" 64M
head -c 64M /dev/urandom > "$T/rand.img"
# O_DIRECT needs a file system that takes it (tmpfs does since 6.6)
direct=yes
if ! dd if=/dev/zero of="$T/direct.img" bs=4096 count=1 oflag=direct \
    conv=notrunc status=none 2>/dev/null; then
	direct=no
	note "no O_DIRECT on $T: LUN 3 runs buffered"
fi
tgt_conf <<EOF2
target "$IQN" {
	allow all
	lun 1 disk "$T/uring.img" { backend io_uring }
	lun 2 disk { backend null; size 1G }
	lun 3 disk "$T/direct.img" { backend io_uring; direct $direct; block-size 4096 }
	lun 4 disk "$T/rdwr.img" { backend rdwr }
	lun 5 disk "$T/load.img" { backend io_uring }
}
EOF2
# direct yes on a store whose sectors are larger than the block size:
# refused at start-up with the file and line (a loop device with 4 KiB
# sectors stands for such a disk).
truncate -s 16M "$T/loop.img"
if loopdev=$(losetup --find --show --sector-size 4096 "$T/loop.img" 2>/dev/null); then
	{
		conf_header
		echo "listen on $ADDR port $(free_port)"
		echo "target \"$IQN-direct\" {"
		echo "	lun 1 disk \"$loopdev\" { direct yes }"
		echo "}"
	} > "$T/direct.conf"
	check_out "direct: block size 512 on 4 KiB sectors is refused with file:line" \
	    'direct.conf:[0-9]+: direct yes: block-size 512 of LUN 1 is not a multiple of the O_DIRECT alignment .*4096 bytes' \
	    bash -c "! timeout 20 '$BIN/tgt-master' -d -f '$T/direct.conf' 2>&1"
	losetup -d "$loopdev"
else
	skip "direct: no loop device here (losetup --sector-size)"
fi

tgt_start || exit 1

for l in 1:uring 3:direct; do
	lun=${l%%:*} name=${l#*:}
	rm -f "$T/back.img"
	check "io_uring ($name): qemu-img convert rand.img -> LUN $lun" \
	    timeout 300 qemu-img convert -n -O raw -f raw "$T/rand.img" \
	    "$URL/$IQN/$lun"
	check "io_uring ($name): qemu-img convert LUN $lun -> back.img" \
	    timeout 300 qemu-img convert -O raw -f raw "$URL/$IQN/$lun" \
	    "$T/back.img"
	check "io_uring ($name): read back == written" cmp "$T/rand.img" \
	    "$T/back.img"
	check "io_uring ($name): backing file == written" cmp "$T/rand.img" \
	    "$T/$name.img"
done
qemu_io_patterns io_uring "$URL/$IQN/1"

# the rings' data areas became fixed buffers (the LUN logs when not)
if grep -qE 'data area not registered|no fixed buffer slot' "$LOG"; then
	fail "io_uring: the rings' data areas are registered as fixed buffers"
	grep -E 'not registered|fixed buffer' "$LOG" | indent
else
	ok "io_uring: the rings' data areas are registered as fixed buffers"
fi

# null: 1 GiB, writes accepted, zeroes read back
check_out "null: capacity is the configured 1 GiB" \
    'virtual size: 1 GiB' timeout 30 qemu-img info "$URL/$IQN/2"
check "null: writes complete, reads return zeroes" \
    timeout 60 qemu-io -f raw -c "write -P 0x77 0 4M" \
    -c "read -P 0 0 4M" -c "write -P 0x77 1020M 4M" \
    -c "read -P 0 1020M 4M" "$URL/$IQN/2"
if grep -qiE 'fail|mismatch|error' "$T/out"; then
	fail "null: qemu-io reported no error or pattern mismatch"
	indent "$T/out"
fi
rings() {	# PID: its io_uring descriptors
	ls -l "/proc/$1/fd" 2>/dev/null | grep -c 'anon_inode:\[io_uring\]'
}
procok=1
for n in 1 2 3 4 5; do
	p=$(lun_pid $n) || { fail "LUN $n has a tgt-lun process"; procok=0; continue; }
	r=$(rings "$p")
	case $n in
	1|3|5)	want=1 ;;
	*)	want=0 ;;
	esac
	if [ "$r" != "$want" ]; then
		fail "LUN $n (tgt-lun[$p]): $want io_uring ring(s) (found $r)"
		procok=0
	fi
	[ "$(awk '$1 == "Seccomp:" { print $2 }' "/proc/$p/status")" = 2 ] ||
	    { fail "LUN $n (tgt-lun[$p]) Seccomp: 2"; procok=0; }
done
[ $procok = 1 ] && ok "only the io_uring LUNs (1, 3, 5) hold a ring; all filtered"
# null: no store of its own (what it may have open read-only are the
# other LUNs' stores, for EXTENDED COPY)
p=$(lun_pid 2)
if [ -n "$p" ] && [ -z "$(ls -l "/proc/$p/fd" 2>/dev/null | grep -E '^l.w.* /' | grep -v -E '/memfd:|master.log')" ]; then
	ok "null: its tgt-lun has no file open for writing"
else
	fail "null: its tgt-lun has no file open for writing"
	ls -l "/proc/$p/fd" 2>&1 | indent
fi

# kill -9 under write load: every acknowledged write is in the file.
ack_kill 5 "$T/ack"
python3 "$top/regress/lib/ack_verify.py" "$T/load.img" "$T/ack/acked" \
    > "$T/verify" 2>&1
if [ $? -eq 0 ]; then
	ok "kill -9: no acknowledged write lost ($(tail -n 1 "$T/verify"))"
else
	fail "kill -9: no acknowledged write lost"
	indent "$T/verify"
fi
p=$(lun_pid 5)
[ -n "$p" ] && [ "$(rings "$p")" = 1 ] &&
    ok "kill -9: the restarted LUN 5 has its ring again" ||
    fail "kill -9: the restarted LUN 5 has its ring again"
grep -qE "tgt-lun.*(SIGKILL|signal 9|killed)" "$LOG" &&
    ok "kill -9: the master logged the tgt-lun's death" ||
    fail "kill -9: the master logged the tgt-lun's death"
master_alive && ok "master still running" || fail "master still running"
