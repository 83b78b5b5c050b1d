#!/usr/bin/env bash
# iSER (RFC 7145) on Soft-RoCE: the target runs inside the guest
# (VM_TARGET_IN_GUEST=1) with an iSER and a TCP listener on one target;
# the guest's kernel iSER initiator logs in over rdma_rxe on a dummy
# device: ext4 and md5, fio verify, a TCP session beside it sharing a
# persistent reservation, task management and NOP, malformed iSER input,
# the iSER Hello and HelloReply (a version in common, none, a late Hello)
# and the logins iSER refuses or negotiates down (RDMAExtensions missing,
# ERL 2, MC/S, digests) from a hostile initiator
# (regress/vm/iser-hostile.c), an Async Message (logout requested by a
# reload) answered by the kernel, kill -9 of the iSER portal under fio.
. "$(dirname "$0")/../lib/common.sh"
. "$top/regress/vm/lib.sh"
need_bin tgt-master

VM_TARGET_IN_GUEST=1
VM_IQN=$IQN
# The hostile initiator of the scenario (libibverbs, librdmacm).
if cc -std=gnu11 -Wall -Wextra -Werror -O2 -o "$T/iser-hostile" \
    "$top/regress/vm/iser-hostile.c" -lrdmacm -libverbs; then
	VM_GUEST_BINS=$T/iser-hostile
else
	fail "regress/vm/iser-hostile.c builds"
fi
vm_run iser "$top/regress/vm/scenarios/iser.sh"
