#!/usr/bin/env bash
# SCSI passthrough (lun N passthrough "/dev/sgN" or "/dev/bsg/H:C:T:L"),
# with the target inside the guest (VM_TARGET_IN_GUEST=1): a scsi_debug
# disk of the guest's kernel, and a disk and a DVD drive qemu emulates on
# a virtio-scsi controller (VM_QEMU_ARGS), passed through.  libiscsi's
# conformance suites (VM_CU_SUITES, a selection: TCG is slow) give the
# same verdicts through the target as straight on the disk's sg node;
# each device keeps its identity; the guest's kernel initiator does mkfs
# and an md5 round trip through both disks; the scsi_debug disk is
# deleted under I/O.  regress/vm/scenarios/passthrough.sh has the steps.
VM_TIMEOUT=${VM_TIMEOUT:-840}
. "$(dirname "$0")/../lib/common.sh"
. "$top/regress/vm/lib.sh"
need_bin tgt-master

VM_TARGET_IN_GUEST=1
VM_IQN=$IQN
VM_CU_SUITES=${VM_CU_SUITES:-"ALL.Inquiry ALL.TestUnitReady ALL.ReadCapacity16 ALL.Read10 ALL.Write10 ALL.ModeSense6 ALL.ReportSupportedOpcodes"}
truncate -s 32M "$T/qemu-hd.img"
VM_QEMU_ARGS="-device virtio-scsi-pci,id=vs0"
VM_QEMU_ARGS+=" -drive if=none,id=qhd,file=$T/qemu-hd.img,format=raw,cache=unsafe"
VM_QEMU_ARGS+=" -device scsi-hd,bus=vs0.0,drive=qhd,serial=PTQEMUHD"
VM_QEMU_ARGS+=" -drive if=none,id=qcd,media=cdrom"
VM_QEMU_ARGS+=" -device scsi-cd,bus=vs0.0,drive=qcd"
vm_run passthrough "$top/regress/vm/scenarios/passthrough.sh"
