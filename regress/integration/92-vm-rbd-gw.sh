#!/usr/bin/env bash
# Kernel initiator (regress/vm) over two gateways exporting one rbd image
# (regress/lib/gateways.sh on a one-node Ceph this script starts and
# stops): dm-multipath with "prio alua" and scsi_dh_alua sees one disk
# behind gateway A's port group 1 (active/optimized) and gateway B's
# group 2 (active/non-optimized).  The guest runs 92-vm-alua's scenario
# (regress/vm/scenarios/alua.sh), with its events on the gateways:
# group 1 to standby and back through A's tgtctl, then A's portal hung
# (SIGSTOP), then all of gateway A killed with -9 and started again.
# fio writes and verifies through the map all along: no I/O error, no
# verify failure.
. "$(dirname "$0")/../lib/common.sh"
. "$top/regress/cluster/ceph.sh"
. "$top/regress/vm/lib.sh"
need_bin tgt-master
need_bin tgtctl
need_cmds ceph-mon ceph-osd rbd uuidgen
. "$top/regress/lib/gateways.sh"
gw_cluster
# no exclusive-lock: a write through B would wait for the killed A's
# lock to be broken (the OSD's 30 s watch timeout)
timeout 60 rbd create rbd/vm --size 256M --image-feature layering ||
    { fail "rbd create"; exit 1; }
gw_confs vm "$VM_HOST"
gw_start || exit 1
VM_PORT=$PORT_A
VM_PORT2=$PORT_B

vm_event() {
	case $1 in
	state)
		gw A
		"$BIN/tgtctl" -s "$SOCK" port-group "$2" state "$3" &&
		    "$BIN/tgtctl" -s "$SOCK" show port-groups
		;;
	stop-portal)
		gw A
		kill -STOP "$(vm_portal_of "$PORT_A")"
		;;
	kill-portal)
		# the whole gateway, as a machine that dies; then back
		gw_kill A
		echo "gateway A killed with -9"
		tgt_start && echo "gateway A started again"
		;;
	*)	return 1 ;;
	esac
}

vm_run rbd-gw "$top/regress/vm/scenarios/alua.sh"
sed 's/^/# /' "$T/vm-rbd-gw.events"
gw_stop
