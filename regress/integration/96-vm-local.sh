#!/usr/bin/env bash
# The VM harness's second placement: the target runs inside the guest
# (VM_TARGET_IN_GUEST=1: the built daemons and their libraries under /tgt),
# for what needs a kernel facility the host lacks.  Here a scsi_debug disk
# of the guest's kernel is exported as a block-device LUN beside a file
# LUN, and the guest's own kernel initiator logs in over 127.0.0.1: mkfs
# and an md5 round trip through each, tgtctl inside the guest, a clean
# stop without a sanitizer report.
. "$(dirname "$0")/../lib/common.sh"
. "$top/regress/vm/lib.sh"
need_bin tgt-master

VM_TARGET_IN_GUEST=1
VM_IQN=$IQN
vm_run local "$top/regress/vm/scenarios/local.sh"
