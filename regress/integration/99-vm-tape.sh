#!/usr/bin/env bash
# Kernel initiator (regress/vm): a tape library of two drives, a changer
# and six cartridges, driven by the Linux st and ch drivers and the usual
# tools: mtx status/load/unload/transfer/inventory, mt status, tar of
# three archives separated by filemarks, mt fsf/bsf/eod/tell/seek, the
# archives read back identical, dd with a wrong block size refused, mt
# lock refusing mtx unload, a mail slot filled by tgtctl seen by mtx,
# tapeinfo, loaderinfo, sg_logs and sg_read_attr.
. "$(dirname "$0")/../lib/common.sh"
. "$top/regress/vm/lib.sh"
need_bin tgtctl

MEDIA=$T/media
mkdir -m 700 "$MEDIA" "$T/state"
for bc in TAPE01L5 TAPE02L5 TAPE03L5 TAPE04L5 TAPE05L5 EXTRA01; do
	"$BIN/tgtctl" cartridge create $bc size 64M directory "$MEDIA" \
	    > /dev/null || fail "tgtctl cartridge create $bc"
done
vm_conf <<EOF2
media directory "$MEDIA"
state directory "$T/state"
target "$IQN" {
	allow all
	lun 0 tape { serial "DRV0001" }
	lun 1 tape { serial "DRV0002" }
	lun 2 changer {
		slots 8
		mailslots 2
		drive 0
		drive 1
		slot 1 "TAPE01L5"
		slot 2 "TAPE02L5"
		slot 3 "TAPE03L5"
		slot 4 "TAPE04L5"
		slot 5 "TAPE05L5"
	}
}
EOF2
tgt_start || exit 1

vm_event() {
	case $1 in
	insert)	"$BIN/tgtctl" -s "$SOCK" library insert "$IQN" 2 "$2" ;;
	eject)	"$BIN/tgtctl" -s "$SOCK" library eject "$IQN" 2 "$2" ;;
	*)	return 1 ;;
	esac
}

vm_run tape "$top/regress/vm/scenarios/tape.sh"
sed 's/^/# /' "$T/vm-tape.events" 2>/dev/null
check_out "tgtctl show cartridges: TAPE02L5 is in a slot again" \
    'TAPE02L5' "$BIN/tgtctl" -s "$SOCK" show cartridges
tgt_stop
