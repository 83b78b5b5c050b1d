#!/usr/bin/env bash
# The glfs backend (issue 13) on a real one-node GlusterFS: a private
# glusterd on 127.0.0.1 and a one-brick volume, started once for every
# check here and stopped at the end (regress/lib/gluster.sh), bounded by
# a watchdog.  Checks: configuration errors with file:line; images
# created with their size; qemu-img round trips through iscsi://, and
# the same data read through qemu-img's own gluster:// driver; libiscsi's
# conformance suite on a thin glfs LUN; COMPARE AND WRITE raced from two
# sessions; persistent reservations kept in the state file across a
# restart of the LUN process; kill -9 of the LUN process under write load
# loses no acknowledged write (the image read through gfapi, not through
# the target); how long the volume took to start.
. "$(dirname "$0")/../lib/common.sh"
. "$top/regress/lib/gluster.sh"

need_bin tgt-master
VOL=tv
GLUSTER_PORT=24007
GLUSTER_BRICK_PORT=$(free_port)
for b in glusterd gluster; do
	if ! command -v $b > /dev/null; then
		skip "no $b here (glusterfs-server)"
		exit 0
	fi
done
# glusterd's port is fixed: the brick processes find it there
if [ -n "$(ss -Hltn "sport = :$GLUSTER_PORT" 2>/dev/null)" ]; then
	skip "port $GLUSTER_PORT is taken (another glusterd runs here)"
	exit 0
fi

glfs_exit() {
	[ -n "${WATCHDOG:-}" ] && kill "$WATCHDOG" 2>/dev/null
	[ -n "$MASTER" ] && tgt_stop
	gluster_down
	finish
}
trap glfs_exit EXIT
# the whole test, cluster included, within 15 minutes
(
	sleep 900 &
	s=$!
	trap 'kill $s; exit 0' TERM
	wait $s && kill -TERM $$
) 2> /dev/null &
WATCHDOG=$!

mkdir -p "$T/gluster"
# the volume's root belongs to the LUN processes' user: they create images
if gluster_up "$T/gluster" "$VOL" "$(id -u "$TGT_USER")" "$(id -g "$TGT_USER")"; then
	ok "gluster: volume $VOL started in $GLUSTER_UP_SECS s (glusterd, one brick)"
else
	fail "gluster: volume $VOL started"
	indent "$T/gluster/log/"*.out "$T/gluster/log/glusterd.log"
	exit 1
fi
GURL=gluster://127.0.0.1/$VOL

# configuration errors, with the file and line
bad() {
	local what=$1 re=$2 body=$3
	{ conf_header; echo "listen on $ADDR port $(free_port)"
	  echo "target \"$IQN-bad\" {"; printf '%s\n' "$body"; echo "}"
	} > "$T/bad.conf"
	check_out "config: $what" "$re" \
	    bash -c "! timeout 20 '$BIN/tgt-master' -d -f '$T/bad.conf' 2>&1"
}
bad "glfs without a volume" \
    'bad.conf:[0-9]+: LUN 1: backend glfs needs a volume, a server and a path' \
    '	lun 1 disk { backend glfs; server "127.0.0.1"; path "/x"
	}'
bad "glfs with a file path" \
    'bad.conf:[0-9]+: LUN 1: backend glfs names its image with volume' \
    '	lun 1 disk "/tmp/x" { backend glfs; volume "v"; server "h"; path "/x" }'
bad "glfs path not absolute" 'bad.conf:[0-9]+: invalid path "x"' \
    '	lun 1 disk { backend glfs; volume "v"; server "h"; path "x" }'
bad "glfs server port" 'bad.conf:[0-9]+: server "h:70000": port' \
    '	lun 1 disk { backend glfs; volume "v"; server "h:70000"; path "/x" }'
bad "volume without backend glfs" \
    'bad.conf:[0-9]+: LUN 1: volume, server and path are for backend glfs' \
    '	lun 1 disk "/tmp/x" { volume "v" }'

mkdir -m 700 "$T/state"
# a second listener: the conformance suite's multipath URL
PORT2=$(free_port)
while [ "$PORT2" = "$PORT" ]; do
	PORT2=$(free_port)
done
glfs() {
	echo "backend glfs; volume \"$VOL\"; server \"127.0.0.1:$GLUSTER_PORT\"; path \"$1\"; $2"
}
conf_header > "$CONF"
cat >> "$CONF" <<EOF2
state directory "$T/state"
listen on $ADDR port $PORT
listen on $ADDR port $PORT2
target "$IQN" {
	allow all
	lun 1 disk { $(glfs /rt.img "size 64M") }
	lun 2 disk { $(glfs /cu.img "size 64M; thin-provisioning yes") }
	lun 3 disk { $(glfs /load.img "size 64M") }
	lun 4 disk { $(glfs /pr.img "size 16M") }
	# LUNs that cannot serve, in the same target: NOT READY, and the
	# target-wide resets of the conformance suite do not wait for them
	lun 5 disk { $(glfs /missing.img "") }
	lun 6 disk { $(glfs /root.img "") }
	# no size: its capacity follows the image, resized from elsewhere
	lun 7 disk { $(glfs /grow.img "") }
}
EOF2
# an image the LUN processes' user may not write
check "qemu-img create $GURL/root.img (as root, mode 0644)" \
    timeout 60 qemu-img create -q -f raw "$GURL/root.img" 1M
check "qemu-img create $GURL/grow.img 16M" \
    timeout 60 qemu-img create -q -f raw "$GURL/grow.img" 16M
# qemu-img made it root's, mode 0600: the brick's file goes to the LUN's
# user (the brick is ours, a plain directory)
check "grow.img given to $TGT_USER on the brick" \
    chown "$TGT_USER" "$T/gluster/bricks/b1/grow.img"
tgt_start || exit 1

# that image does not exist and has no size: its process says why
if wait_for 20 grep -q "tv:/missing.img: No such file or directory" "$LOG"; then
	ok "a missing image without a size is refused with the reason"
else
	fail "a missing image without a size is refused with the reason"
	grep -i missing "$LOG" | indent
fi
if wait_for 20 grep -q "tv:/root.img: Permission denied" "$LOG"; then
	ok "an image the user may not write is refused at start with the reason"
else
	fail "an image the user may not write is refused at start with the reason"
	grep -i root.img "$LOG" | indent
fi
check_out "the images were created with their size" \
    'virtual size: 64 MiB' timeout 60 qemu-img info "$GURL/rt.img"

# qemu-img round trips
head -c 64M /dev/urandom > "$T/rand.img"
check "qemu-img convert rand.img -> LUN 1" \
    timeout 300 qemu-img convert -n -O raw -f raw "$T/rand.img" "$URL/$IQN/1"
check "qemu-img convert LUN 1 -> back.img" \
    timeout 300 qemu-img convert -O raw -f raw "$URL/$IQN/1" "$T/back.img"
check "read back through iSCSI == written" cmp "$T/rand.img" "$T/back.img"
rm -f "$T/back.img"
check "qemu-img convert $GURL/rt.img -> back.img (gfapi)" \
    timeout 300 qemu-img convert -O raw -f raw "$GURL/rt.img" "$T/back.img"
check "the image in the volume == written" cmp "$T/rand.img" "$T/back.img"
qemu_io_patterns glfs "$URL/$IQN/1"
check "qemu-io through gfapi sees the same patterns" \
    timeout 120 qemu-io -f raw \
    -c "read -P 0xa5 0 1536" -c "read -P 0x5a 1536 7k" \
    -c "read -P 0x11 4M 64k" -c "read -P 0x22 8M 128k" "$GURL/rt.img"
if grep -qiE 'fail|mismatch|error' "$T/out"; then
	fail "qemu-io through gfapi: no pattern mismatch"
	indent "$T/out"
fi

# COMPARE AND WRITE from two sessions at once
check "COMPARE AND WRITE raced from two sessions" \
    timeout 120 python3 "$top/regress/lib/caw_race.py" "$ADDR" "$PORT" \
    "$IQN" 2 200
indent "$T/out"

# thin provisioning: GET LBA STATUS reads the image's holes through gfapi
# (LUN 2's image was created sparse; one 4 KiB write maps its first 8)
cat > "$T/gls.py" <<'EOF2'
import os, struct, sys
sys.path.insert(0, os.path.join(sys.argv[1], 'regress/lib'))
import iscsi_raw as raw
s = raw.Session('iqn.2026-11.org.example:gls', sys.argv[4])
c = raw.Conn(sys.argv[2], int(sys.argv[3]), s, timeout=20)
c.login()
raw.clear_ua(c, 2)
st, _, _ = raw.scsi_write(c, 2, 0, b'\x5a' * 4096)
cdb = struct.pack('>BBQIBB', 0x9e, 0x12, 0, 8 + 16 * 4, 0, 0)
st2, d = raw.command(c, cdb, 2, alloc=8 + 16 * 4)
c.close()
desc = [struct.unpack('>QIB', d[8 + 16 * i:8 + 16 * i + 13])
        for i in range((len(d) - 8) // 16)]
print('write %d, GET LBA STATUS %d: %r' % (st, st2, desc))
ok = st == 0 and st2 == 0 and len(desc) >= 2 and desc[0][0] == 0 and \
    desc[0][2] == 0 and desc[1][0] <= 64 and desc[1][2] == 1
sys.exit(0 if ok else 1)
EOF2
check "thin: GET LBA STATUS: the written blocks mapped, the rest deallocated" \
    timeout 60 python3 "$T/gls.py" "$top" "$ADDR" "$PORT" "$IQN"
indent "$T/out"

# persistent reservations in the state file, across a LUN restart
PR="timeout 60 python3 $top/regress/lib/pr_persist.py $ADDR $PORT $IQN 4"
check "PR: APTPL registration and reservation on LUN 4" $PR setup
old=$(lun_pid 4) || fail "PR: LUN 4 has a process to kill"
kill -KILL "$old" 2>/dev/null
wait_for 20 lun_restarted 4 "$old"
check "PR: the registration and reservation survive a restart of the LUN process" \
    wait_for 20 $PR check
check "PR: CLEAR" $PR clear

# LUNs that cannot serve answer NOT READY, MANUAL INTERVENTION REQUIRED;
# the image of LUN 7 resized through another gfapi client (qemu-img's
# gluster:// driver): a session that knew the LUN gets CAPACITY DATA
# HAS CHANGED (the LUN asks the image's size every 2 s), then the new
# READ CAPACITY
cat > "$T/grow.py" <<'EOF2'
import os, struct, subprocess, sys, time
sys.path.insert(0, os.path.join(sys.argv[1], 'regress/lib'))
import iscsi_raw as raw
s = raw.Session('iqn.2026-11.org.example:grow', sys.argv[4])
c = raw.Conn(sys.argv[2], int(sys.argv[3]), s, timeout=20)
c.login()
rc = 0
def sense(lun):
    st, sn = raw.command(c, bytes(6), lun)
    return (st, sn[2] & 0x0f, sn[12:14].hex()) if st == 2 else (st,)
def capacity():
    st, d = raw.command(c, bytes([0x9e, 0x10]) + bytes(8) +
                        struct.pack('>I', 32) + bytes(2), 7, alloc=32)
    return (struct.unpack('>QI', d[:12]) if st == 0 else st)
for lun in (5, 6):
    r = [sense(lun) for _ in range(2)]
    print('LUN %d: %r' % (lun, r))
    if r[-1] != (2, 2, '0403'):
        rc = 1
raw.clear_ua(c, 7)
before = capacity()
print('LUN 7 before:', before)
subprocess.run(['qemu-img', 'resize', '-q', '-f', 'raw',
                sys.argv[5] + '/grow.img', '24M'], check=True, timeout=60)
t0 = time.monotonic()
seen = []
while time.monotonic() - t0 < 20:
    r = sense(7)
    seen.append(r)
    if r != (0,):
        break
    time.sleep(0.2)
after = capacity()
print('LUN 7 after %.1f s: %r, then %r' % (time.monotonic() - t0,
                                          seen[-1], after))
c.close()
if before != (16 * 2048 - 1, 512) or seen[-1] != (2, 6, '2a09') or \
        after != (24 * 2048 - 1, 512):
    rc = 1
sys.exit(rc)
EOF2
check "LUNs 5 and 6 (cannot serve) NOT READY 04/03; LUN 7 resized by qemu-img: 2A/09 then the new capacity" \
    timeout 120 python3 "$T/grow.py" "$top" "$ADDR" "$PORT" "$IQN" "$GURL"
indent "$T/out"
check_out "iscsi-readcapacity16 from a new session: 24 MiB" \
    'Total size:[[:space:]]*25165824' timeout 30 iscsi-readcapacity16 "$URL/$IQN/7"

# The glfs LUN processes in /proc (tgt-lun(8), "glfs and the sandbox"):
# gfapi's threads started before the filter, so every thread must have
# it; the user, the chroot, no capability but CAP_SYS_CHROOT.
uid=$(id -u "$TGT_USER")
root=$(readlink -f "$T/empty")
field() { awk -v f="$2:" '$1 == f { $1 = ""; sub(/^ /, ""); print }' "$1"; }
for p in $(children tgt-lun); do
	nt=0 bad=
	for t in /proc/$p/task/*; do
		nt=$((nt + 1))
		[ "$(field "$t/status" Seccomp)" = 2 ] &&
		    [ "$(field "$t/status" NoNewPrivs)" = 1 ] ||
		    bad="$bad ${t##*/}"
	done
	[ -z "$bad" ] && ok "glfs tgt-lun[$p]: all $nt threads under the seccomp filter, NoNewPrivs" ||
	    fail "glfs tgt-lun[$p]: threads without the filter:$bad"
	u=$(field "/proc/$p/status" Uid)
	[ "$(echo $u)" = "$uid $uid $uid $uid" ] &&
	    ok "glfs tgt-lun[$p] runs as $TGT_USER" ||
	    fail "glfs tgt-lun[$p] runs as $TGT_USER (Uid $u)"
	r=$(readlink "/proc/$p/root")
	[ "$r" = "$root" ] && ok "glfs tgt-lun[$p] root is the chroot" ||
	    fail "glfs tgt-lun[$p] root is the chroot $root (found '$r')"
	eff=$(field "/proc/$p/status" CapEff) prm=$(field "/proc/$p/status" CapPrm)
	[ $((0x$eff & ~0x40000)) = 0 ] && [ $((0x$prm & ~0x40000)) = 0 ] &&
	    ok "glfs tgt-lun[$p] has no capability but CAP_SYS_CHROOT" ||
	    fail "glfs tgt-lun[$p] has no capability but CAP_SYS_CHROOT (CapEff $eff CapPrm $prm)"
done
# and a glfs LUN cannot chroot again, open a file or start a program:
# the filter, checked by regress/unit/sandbox_test

# kill -9 under write load: every acknowledged write is in the image
# (20 s of writes: the new process connects to the volume before it
# serves, seconds on a loaded machine)
ack_kill 3 "$T/ack" 20
check "kill -9: the image read through gfapi (qemu-img gluster://)" \
    timeout 300 qemu-img convert -O raw -f raw "$GURL/load.img" "$T/load.img"
if timeout 120 python3 "$top/regress/lib/ack_verify.py" "$T/load.img" \
    "$T/ack/acked" > "$T/verify" 2>&1; then
	ok "kill -9: no acknowledged write lost ($(tail -n 1 "$T/verify"))"
else
	fail "kill -9: no acknowledged write lost"
	indent "$T/verify"
fi

# libiscsi's conformance suite on the thin glfs LUN (scored as in
# 40-conformance.sh: cu-xfail lists what is known to fail, with why)
start=$(date +%s)
CU_TIMEOUT=${CU_TIMEOUT:-600} timeout 900 "$top/regress/cu-run.sh" -d \
    -m "iscsi://$ADDR:$PORT2/$IQN/2" -o "$T/cu" "$URL/$IQN/2" ALL \
    > "$T/cu.out" 2>&1
p=$(grep -c '^PASS ' "$T/cu.out")
f=$(grep -c '^FAIL ' "$T/cu.out")
s=$(grep -c '^SKIP ' "$T/cu.out")
note "conformance on glfs (thin): $p passed, $f failed, $s skipped in $(( $(date +%s) - start )) s"
grep '^FAIL ' "$T/cu.out" | while read -r _ name; do
	fail "conformance: $name"
done
# what this one thin, writable, fixed LUN cannot run (PREVENT ALLOW on a
# removable medium, write protection, SANITIZE, not allowed here for the
# time it takes on the volume...): 40-conformance runs those on the
# configurations that have them
grep '^SKIP ' "$T/cu.out" | sed 's/^SKIP /# skipped: /'
# a test that passed while printing "[FAILED]" must be a known one
grep '^noisy ' "$T/cu.out" | while read -r _ name _; do
	name=${name%:}
	grep -q "^$name	" "$top/regress/cu-noisy" &&
	    note "noisy (known, regress/cu-noisy): $name" ||
	    fail "conformance: $name passed but printed [FAILED]"
done
[ "$p" -gt 0 ] && ok "conformance on glfs: $p passed"

# the LUN processes exit at once with the master: no glfs_fini wait
t0=$(date +%s.%N)
tgt_stop
note "tgt-master and its glfs LUNs stopped in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
