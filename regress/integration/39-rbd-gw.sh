#!/usr/bin/env bash
# Two gateways over one rbd image (issue 16): two whole suites, each its
# own tgt-master, tgt.conf, port and control socket, export the image
# under the same target name and LUN on a one-node Ceph cluster this
# script starts once (regress/cluster/ceph.sh) and stops at the end
# (trap).  Gateway A: portal-group-tag 1, port group 1, relative port 1;
# gateway B: portal-group-tag 2, port group 2, relative port 2; both
# with "reservations cluster".  Checks:
#	- the same NAA and serial through both, distinct relative target
#	  ports and port groups (gw_probe.py ids)
#	- reservations shared through the cluster: registrations through
#	  A and B, a reservation through A that makes B's write a
#	  RESERVATION CONFLICT, a preemption through B that A's initiator
#	  learns from a unit attention (gw_probe.py pr)
#	- libiscsi's reservation suites with the multipath URL on the other
#	  gateway, so their second initiator goes through B
#	- APTPL: a reservation survives a restart of both gateways; without
#	  APTPL the registrations are gone when both restarted
#	- SPC-2 RESERVE(6) through A bars a write through B, until RELEASE
#	- port groups in the cluster: REPORT TARGET PORT GROUPS through
#	  either gateway lists both groups; after a kill -9 of gateway A,
#	  B reports A's group unavailable and its own active/optimized, and
#	  back once A runs again
# Environment: CEPH_WAIT (seconds the cluster may take to come up).
. "$(dirname "$0")/../lib/common.sh"
. "$top/regress/cluster/ceph.sh"

need_bin tgt-master
need_cmds ceph-mon ceph-osd rbd uuidgen iscsi-test-cu
. "$top/regress/lib/gateways.sh"
gw_cluster
timeout 60 rbd create rbd/ha --size 64M || { fail "rbd create"; exit 1; }

gw_confs ha
gw_start || exit 1

PROBE="timeout 120 python3 $top/regress/lib/gw_probe.py $ADDR $PORT_A $PORT_B $IQN 1"
probe() {
	$PROBE "$1" > "$T/probe.out" 2>&1
	while read -r l; do
		case $l in
		ok*)	ok "${l#ok gw_probe: }" ;;
		FAIL*)	fail "${l#FAIL gw_probe: }" ;;
		esac
	done < "$T/probe.out"
	grep -qE '^(ok|FAIL)' "$T/probe.out" ||
	    { fail "gw_probe $1 reported"; indent "$T/probe.out"; }
}
probe ids
check_out "tgtctl show port-groups on B: group 2, relative port 2" \
    "^2[[:space:]]+active-non-optimized.*$ADDR:$PORT_B \\(port 2\\)" \
    timeout 10 "$BIN/tgtctl" -s "$T/B.sock" show port-groups
n=$(grep -c 'tgt-pr.ha: reservations in the cluster' "$LOG")
[ "$n" = 2 ] && ok "both LUN processes keep their reservations in tgt-pr.ha" ||
    fail "both LUN processes keep their reservations in tgt-pr.ha ($n log lines)"
probe pr

# libiscsi's reservation suites, their second initiator through B
CU_SUITES=
for suite in PrinReadKeys PrinServiceactionRange PrinReportCapabilities \
    ProutRegister ProutReserve ProutPreempt ProutClear; do
	CU_SUITES="$CU_SUITES ALL.$suite"
done
start=$SECONDS
timeout 600 bash "$top/regress/cu-run.sh" -d -m "iscsi://$ADDR:$PORT_B/$IQN/1" \
    -o "$T/cu" "iscsi://$ADDR:$PORT_A/$IQN/1" $CU_SUITES > "$T/cu.out" 2>&1
note "reservation suites over two gateways: $(tail -n 1 "$T/cu.out") in $((SECONDS - start)) s"
cu_verdicts "conformance over two gateways" "$T/cu.out"

# SPC-2 RESERVE(6) is in the cluster too: held by X's I_T nexus through
# A, it bars Y through B until X releases it
out=$(timeout 60 python3 - "$top" "$ADDR" "$PORT_A" "$PORT_B" "$IQN" <<-'EOF2'
	import sys
	sys.path.insert(0, sys.argv[1] + '/regress/lib')
	import iscsi_raw as ir
	host, pa, pb, iqn = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), \
	    sys.argv[5]
	def conn(name, port):
	    c = ir.Conn(host, port, ir.Session(name, iqn))
	    c.login()
	    ir.clear_ua(c, 1)
	    return c
	x = conn('iqn.2026-12.org.example:gw-r6x', pa)
	y = conn('iqn.2026-12.org.example:gw-r6y', pb)
	rsv, rel = bytes([0x16, 0, 0, 0, 0, 0]), bytes([0x17, 0, 0, 0, 0, 0])
	res = [ir.command(x, rsv, 1)[0]]
	res.append(ir.scsi_write(y, 1, 0, b'\x6b' * 512)[0])
	res.append(ir.command(y, rsv, 1)[0])
	res.append(ir.command(y, rel, 1)[0])
	res.append(ir.scsi_write(y, 1, 0, b'\x6b' * 512)[0])
	res.append(ir.command(x, rel, 1)[0])
	res.append(ir.scsi_write(y, 1, 0, b'\x6b' * 512)[0])
	print(' '.join('%02x' % v for v in res))
	EOF2
	)
case $out in
"00 18 18 00 18 00 00") ok "RESERVE(6) through A: through B a write and a RESERVE conflict, B's RELEASE changes nothing, A's RELEASE frees the LU ($out)" ;;
*) fail "RESERVE(6) shared by the gateways (want 00 18 18 00 18 00 00, got $out)" ;;
esac

# APTPL: the reservation is in the cluster, not in a gateway
PR="timeout 60 python3 $top/regress/lib/pr_persist.py $ADDR"
check "APTPL registration and reservation through A" $PR "$PORT_A" "$IQN" 1 setup
gw_stop
gw_start || exit 1
check "they survive a restart of both gateways, seen through B" \
    wait_for 30 $PR "$PORT_B" "$IQN" 1 check
check "and can be cleared through A" $PR "$PORT_A" "$IQN" 1 clear
# without APTPL: both gateways down is the unit's power loss
probe volatile-setup
gw_stop
gw_start || exit 1
probe volatile-check

# port groups through the cluster (last: a gateway killed with -9 leaves
# its watch on the OSD for 30 s, which reservation changes would wait
# for)
rtpg() {	# PORT WANT: REPORT TARGET PORT GROUPS through PORT says WANT
	[ "$(timeout 30 python3 "$top/regress/lib/gw_probe.py" "$ADDR" "$1" - \
	    "$IQN" 1 rtpg 2>&1)" = "$2" ]
}
check "RTPG through A: both gateways' groups (1 active/optimized, 2 active/non-optimized)" \
    wait_for 30 rtpg "$PORT_A" "1:0 2:1"
check "RTPG through B: the same" wait_for 30 rtpg "$PORT_B" "1:0 2:1"
gw_kill A
check "A killed: through B, group 1 unavailable and group 2 active/optimized" \
    wait_for 40 rtpg "$PORT_B" "1:3 2:0"
tgt_start || exit 1
check "A back: through B, group 1 active/optimized, 2 active/non-optimized again" \
    wait_for 40 rtpg "$PORT_B" "1:0 2:1"
