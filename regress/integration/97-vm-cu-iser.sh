#!/usr/bin/env bash
# libiscsi's conformance suites over iSER (iser:// URLs) and over TCP, in
# the guest with the target there and Soft-RoCE: the same verdicts.  The
# suites are a selection (TCG is slow); VM_CU_SUITES="ALL" runs them all.
# TCG runs the suites slowly: the longest watchdog run-tests.sh allows.
VM_TIMEOUT=${VM_TIMEOUT:-840}
. "$(dirname "$0")/../lib/common.sh"
. "$top/regress/vm/lib.sh"
need_bin tgt-master

VM_TARGET_IN_GUEST=1
VM_IQN=$IQN
VM_CU_SUITES=${VM_CU_SUITES:-"ALL.Inquiry ALL.Read10 ALL.Write10 ALL.CompareAndWrite ALL.ProutReserve"}
vm_run iser-cu "$top/regress/vm/scenarios/iser-cu.sh"
