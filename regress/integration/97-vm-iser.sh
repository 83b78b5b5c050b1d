#!/usr/bin/env bash
# iSER (RFC 7145) on Soft-RoCE: the target runs inside the guest
# (VM_TARGET_IN_GUEST=1) with an iSER and a TCP listener on one target;
# the guest's kernel iSER initiator logs in over rdma_rxe on a dummy
# device: ext4 and md5, fio verify, a TCP session beside it sharing a
# persistent reservation, kill -9 of the iSER portal under fio.
. "$(dirname "$0")/../lib/common.sh"
. "$top/regress/vm/lib.sh"
need_bin tgt-master

VM_TARGET_IN_GUEST=1
VM_IQN=$IQN
vm_run iser "$top/regress/vm/scenarios/iser.sh"
