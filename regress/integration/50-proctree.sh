#!/usr/bin/env bash
# Privilege separation: one tgt-master as root; one tgt-portal per
# listener and one tgt-lun per LUN, all as the unprivileged user, in the
# configured chroot, under a seccomp filter; one tgt-launcher (tgt-lun -L,
# root) that forks the tgt-lun processes and holds nothing of them.  A
# tgt-lun killed with SIGKILL is restarted by the master and the LUN
# serves again; so is a killed tgt-launcher, and LUNs started after it
# come from the new one; a launcher that stops answering is killed.
. "$(dirname "$0")/../lib/common.sh"

mkdisk "$T/d1.img" 16M
mkdisk "$T/d2.img" 16M
# Two listeners (IPv6 loopback permitting): two portals.
nlisten=1 extra=
if ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/'; then
	nlisten=2 extra="listen on ::1 port $PORT"
fi
tgt_conf <<EOF2
$extra
target "$IQN" {
	allow all
	lun 1 disk "$T/d1.img"
	lun 2 disk "$T/d2.img" { backend aio }
}
EOF2
tgt_start || exit 1
# Make sure the LUN processes are up (a login goes to the LUN).
timeout 20 iscsi-inq "$URL/$IQN/1" > /dev/null 2>&1

uid=$(id -u "$TGT_USER") gid=$(id -g "$TGT_USER")
root=$(readlink -f "$T/empty")

# status PID FIELD: a field of /proc/PID/status.
status() { awk -v f="$2:" '$1 == f { $1 = ""; sub(/^ /, ""); print }' "/proc/$1/status"; }

# All processes descended from the master.
tree() {
	local p
	echo "$1"
	for p in $(pgrep -P "$1"); do
		tree "$p"
	done
}
all=$(tree "$MASTER")
masters=0 portals=0 luns=0 launchers=0 others=
for p in $all; do
	case $(cat "/proc/$p/comm" 2>/dev/null) in
	tgt-master)	masters=$((masters + 1)) ;;
	tgt-portal)	portals=$((portals + 1)) ;;
	tgt-lun)	luns=$((luns + 1)) ;;
	tgt-launcher)	launchers=$((launchers + 1)) ;;
	*)		others="$others $p:$(cat "/proc/$p/comm" 2>/dev/null)" ;;
	esac
done
ps -o pid,ppid,user,group,comm -p "$(echo $all | tr ' ' ,)" 2>/dev/null |
    sed 's/^/# /' | head -n 20

[ $masters = 1 ] && ok "exactly one tgt-master in the instance" ||
    fail "exactly one tgt-master in the instance (found $masters)"
[ "$(status "$MASTER" Uid | awk '{print $1}')" = 0 ] &&
    ok "tgt-master runs as root" || fail "tgt-master runs as root"
[ $portals = $nlisten ] && ok "one tgt-portal per listener ($nlisten)" ||
    fail "one tgt-portal per listener ($nlisten; found $portals)"
[ $luns = 2 ] && ok "one tgt-lun per LUN (2)" ||
    fail "one tgt-lun per LUN (found $luns)"
[ $launchers = 1 ] && ok "one tgt-launcher" ||
    fail "one tgt-launcher (found $launchers)"
[ -z "$others" ] && ok "no other processes in the tree" ||
    fail "no other processes in the tree:$others"
# every process is the master's own child: it reaps and restarts them
nd=$(for p in $all; do [ "$p" = "$MASTER" ] || awk '{ print $4 }' "/proc/$p/stat"; done |
    grep -vxc "$MASTER")
[ "$nd" = 0 ] && ok "every child's parent is the master" ||
    fail "every child's parent is the master ($nd are not)"

# The launcher (root, like the master) holds no backing store, ring or
# socket but its channel to the master (and syslog's).
launcher_clean() {	# PID
	local n
	if ls -l "/proc/$1/fd" 2>/dev/null | grep -qE "$T/d[12].img|memfd:tgt-ring"; then
		echo "a backing file or ring open"
		return 1
	fi
	grep -q 'memfd:tgt-ring' "/proc/$1/maps" && { echo "a ring mapped"; return 1; }
	n=$(ls -l "/proc/$1/fd" | grep -c 'socket:')
	[ "$n" -le 2 ] || { echo "$n sockets"; return 1; }
}
for p in $(children tgt-launcher); do
	why=$(launcher_clean "$p") && ok "tgt-launcher[$p] holds no store, ring or socket of a LUN" ||
	    fail "tgt-launcher[$p] holds no store, ring or socket of a LUN: $why"
done

# Each child: all four uids and gids are the user's, no supplementary
# groups but the user's own, seccomp filter mode, root is the chroot, no
# capabilities.
for p in $(children tgt-portal) $(children tgt-lun); do
	c=$(cat "/proc/$p/comm")
	u=$(status "$p" Uid) g=$(status "$p" Gid)
	if [ "$(echo $u)" = "$uid $uid $uid $uid" ] &&
	    [ "$(echo $g)" = "$gid $gid $gid $gid" ]; then
		ok "$c[$p] runs as $TGT_USER (uid/gid $uid/$gid)"
	else
		fail "$c[$p] runs as $TGT_USER: Uid $u, Gid $g"
	fi
	grp=$(status "$p" Groups)
	if [ -z "$(echo $grp | tr ' ' '\n' | grep -vx "$gid")" ]; then
		ok "$c[$p] has no supplementary groups"
	else
		fail "$c[$p] has no supplementary groups (Groups: $grp)"
	fi
	s=$(status "$p" Seccomp)
	[ "$s" = 2 ] && ok "$c[$p] Seccomp: 2" ||
	    fail "$c[$p] Seccomp: 2 (found '$s')"
	eff=$(status "$p" CapEff) prm=$(status "$p" CapPrm)
	[ "$eff" = 0000000000000000 ] && [ "$prm" = 0000000000000000 ] &&
	    ok "$c[$p] has no capabilities" ||
	    fail "$c[$p] has no capabilities (CapEff $eff CapPrm $prm)"
	r=$(readlink "/proc/$p/root")
	[ "$r" = "$root" ] && ok "$c[$p] root is the chroot $root" ||
	    fail "$c[$p] root is the chroot $root (found '$r')"
	nn=$(status "$p" NoNewPrivs)
	[ "$nn" = 1 ] && ok "$c[$p] NoNewPrivs: 1" ||
	    fail "$c[$p] NoNewPrivs: 1 (found '$nn')"
done

# A child holds no file of the backing store or config open except what
# it was passed: the portal must not have the disk images open.
for p in $(children tgt-portal); do
	if ls -l "/proc/$p/fd" 2>/dev/null | grep -q "$T/d[12].img"; then
		fail "tgt-portal[$p] has no backing file open"
	else
		ok "tgt-portal[$p] has no backing file open"
	fi
done

# The data rings: every (portal, LUN) pair shares exactly one memfd
# mapping (shared, read-write) that no other process maps.
memfds() {	# PID: inode numbers of its shared memfd mappings
	awk '$2 ~ /^rw.s$/ && $6 ~ /^\/memfd:/ { print $5 }' "/proc/$1/maps" |
	    sort -u
}
ringok=1
for pp in $(children tgt-portal); do
	for lp in $(children tgt-lun); do
		n=$(comm -12 <(memfds "$pp") <(memfds "$lp") | wc -l)
		if [ "$n" != 1 ]; then
			ringok=0
			fail "ring: tgt-portal[$pp] and tgt-lun[$lp] share one memfd (found $n)"
		fi
	done
done
pl=$(for pp in $(children tgt-portal) $(children tgt-lun); do memfds "$pp"; done |
    sort | uniq -c | awk '$1 != 2' | wc -l)
[ "$pl" = 0 ] || { ringok=0; fail "ring: each memfd is mapped by exactly one portal and one LUN"; }
[ $ringok = 1 ] && ok "ring: one shared memfd per (portal, LUN) pair ($nlisten x 2)"

# Restart: kill the launcher; the master starts another, the LUNs go on.
oldl=$(children tgt-launcher)
kill -KILL $oldl
lrestarted() {
	local now
	now=$(children tgt-launcher)
	[ -n "$now" ] && [ "$now" != "$oldl" ]
}
if wait_for 10 lrestarted; then
	ok "restart: killed tgt-launcher[$oldl] replaced within 10 s"
else
	fail "restart: killed tgt-launcher[$oldl] replaced within 10 s"
fi
[ "$(children tgt-lun | sort | tr '\n' ' ')" = "$(for p in $all; do
	[ "$(cat /proc/$p/comm 2>/dev/null)" = tgt-lun ] && echo $p; done | sort | tr '\n' ' ')" ] &&
    ok "restart: the LUN processes did not notice the launcher's death" ||
    fail "restart: the LUN processes did not notice the launcher's death"

# Restart: kill one tgt-lun with SIGKILL, while a raw session is logged
# in (regress/lib/lun_probe.py poweron: the restarted LUN reports POWER
# ON to it once; new logins get no unit attention).
timeout -s KILL 120 python3 "$top/regress/lib/lun_probe.py" poweron "$ADDR" \
    "$PORT" "$IQN" "$T" > "$T/probe.out" 2>&1 &
probe=$!
bg $probe
probe_ready() { grep -q '^# ready' "$T/probe.out"; }
wait_for 15 probe_ready || { note "the raw probe is not ready"; indent "$T/probe.out"; }
old=$(children tgt-lun | head -n 1)
if [ -z "$old" ]; then
	fail "restart: no tgt-lun to kill"
	exit 1
fi
# its LUN number, from the process title "tgt-lun: IQN/LUN"
oldlun=$(tr '\0' ' ' < /proc/"$old"/cmdline | sed -n 's|.*/\([0-9]*\) *$|\1|p')
before=$(children tgt-lun | sort | tr '\n' ' ')
kill -KILL "$old"
restarted() {
	local now
	now=$(children tgt-lun | sort | tr '\n' ' ')
	[ "$(echo $now | wc -w)" = 2 ] && ! echo " $now " | grep -q " $old "
}
if wait_for 10 restarted; then
	ok "restart: killed tgt-lun[$old] replaced within 10 s ($(children tgt-lun | tr '\n' ' '))"
else
	fail "restart: killed tgt-lun[$old] replaced within 10 s (before: $before now: $(children tgt-lun | tr '\n' ' '))"
fi
new=$(children tgt-lun | grep -vx "$old" | tr '\n' ' ')
for p in $new; do
	[ "$(status "$p" Seccomp)" = 2 ] && [ "$(status "$p" Uid | awk '{print $1}')" = "$uid" ] &&
	    [ "$(readlink "/proc/$p/root")" = "$root" ] &&
	    [ "$(status "$p" CapEff)" = 0000000000000000 ] ||
	    fail "restart: tgt-lun[$p] sandboxed like the first"
done
inq_both() {
	timeout 10 iscsi-inq "$URL/$IQN/1" && timeout 10 iscsi-inq "$URL/$IQN/2"
}
if wait_for 15 inq_both; then
	ok "restart: both LUNs answer iscsi-inq again"
else
	fail "restart: both LUNs answer iscsi-inq again"
	inq_both 2>&1 | indent
fi
echo "$oldlun" > "$T/restarted.tmp" && mv "$T/restarted.tmp" "$T/restarted"
wait "$probe"
cat "$T/probe.out"
npass=$((npass + $(grep -c '^ok ' "$T/probe.out")))
nfail=$((nfail + $(grep -c '^FAIL ' "$T/probe.out")))
check "restart: write and read back 1 MiB on LUN 1" bash -c "
    qemu-io -f raw -c 'write -P 0x6b 0 1M' -c 'read -P 0x6b 0 1M' '$URL/$IQN/1'"
grep -q 'verification failed' "$T/out" && fail "restart: pattern verified"
grep -qE "tgt-lun.*(SIGKILL|signal 9|killed)" "$LOG" &&
    ok "restart: the master logged the tgt-lun's death" ||
    fail "restart: the master logged the tgt-lun's death"

# Restart: kill a tgt-portal with SIGKILL.
oldp=$(children tgt-portal | head -n 1)
kill -KILL "$oldp"
prestarted() {
	local now
	now=$(children tgt-portal | tr '\n' ' ')
	[ "$(echo $now | wc -w)" = "$nlisten" ] && ! echo " $now " | grep -q " $oldp "
}
if wait_for 10 prestarted; then
	ok "restart: killed tgt-portal[$oldp] replaced within 10 s"
else
	fail "restart: killed tgt-portal[$oldp] replaced within 10 s (now: $(children tgt-portal | tr '\n' ' '))"
fi
for p in $(children tgt-portal | grep -vx "$oldp"); do
	[ "$(status "$p" Seccomp)" = 2 ] && [ "$(status "$p" Uid | awk '{print $1}')" = "$uid" ] ||
	    fail "restart: tgt-portal[$p] sandboxed like the first"
done
both_addrs() {
	timeout 10 iscsi-inq "$URL/$IQN/1" || return 1
	[ $nlisten = 1 ] || timeout 10 iscsi-inq "iscsi://[::1]:$PORT/$IQN/2"
}
if wait_for 15 both_addrs; then
	ok "restart: every listener serves again"
else
	fail "restart: every listener serves again"
	both_addrs 2>&1 | indent
fi
# A launcher that hangs: the master kills it after 10 s without an
# answer, starts another, and the LUN it asked for starts all the same.
hl=$(children tgt-launcher)
kill -STOP $hl
oldh=$(children tgt-lun | head -n 1)
kill -KILL "$oldh"
hrestarted() {
	local now
	now=$(children tgt-lun | tr '\n' ' ')
	[ "$(echo $now | wc -w)" = 2 ] && ! echo " $now " | grep -q " $oldh "
}
if wait_for 40 hrestarted; then
	ok "hung launcher: killed tgt-lun[$oldh] replaced all the same"
else
	fail "hung launcher: killed tgt-lun[$oldh] replaced all the same (now: $(children tgt-lun | tr '\n' ' '))"
	kill -CONT $hl 2>/dev/null
fi
grep -q "tgt-launcher: no answer in 10 s, killing it" "$LOG" &&
    ok "hung launcher: the master killed it" ||
    fail "hung launcher: the master killed it"
nl=$(children tgt-launcher)
[ -n "$nl" ] && [ "$nl" != "$hl" ] && ok "hung launcher: replaced" ||
    fail "hung launcher: replaced (now '$nl')"
if wait_for 15 inq_both; then
	ok "hung launcher: both LUNs answer iscsi-inq again"
else
	fail "hung launcher: both LUNs answer iscsi-inq again"
fi
master_alive && ok "master still running" || fail "master still running"
