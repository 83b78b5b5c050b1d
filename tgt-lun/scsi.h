/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * SCSI constants used by the emulation in tgt-lun: operation codes,
 * status codes, sense keys and additional sense codes (SPC-4, SBC-3).
 */

#ifndef TGT_SCSI_H
#define TGT_SCSI_H

/* Status */
#define SAM_STAT_GOOD			0x00
#define SAM_STAT_CHECK_CONDITION	0x02
#define SAM_STAT_CONDITION_MET		0x04
#define SAM_STAT_BUSY			0x08
#define SAM_STAT_RESERVATION_CONFLICT	0x18
#define SAM_STAT_TASK_SET_FULL		0x28
#define SAM_STAT_ACA_ACTIVE		0x30
#define SAM_STAT_TASK_ABORTED		0x40

/* Sense keys */
#define SK_NO_SENSE			0x0
#define SK_RECOVERED_ERROR		0x1
#define SK_NOT_READY			0x2
#define SK_MEDIUM_ERROR			0x3
#define SK_HARDWARE_ERROR		0x4
#define SK_ILLEGAL_REQUEST		0x5
#define SK_UNIT_ATTENTION		0x6
#define SK_DATA_PROTECT			0x7
#define SK_BLANK_CHECK			0x8
#define SK_COPY_ABORTED			0xa
#define SK_ABORTED_COMMAND		0xb
#define SK_VOLUME_OVERFLOW		0xd
#define SK_MISCOMPARE			0xe

/* Additional sense code and qualifier, as (asc << 8 | ascq) */
#define ASC_NO_ADDITIONAL_SENSE		0x0000
#define ASC_WRITE_ERROR			0x0c00
#define ASC_INVALID_FIELD_IN_IU		0x0e03
#define ASC_UNRECOVERED_READ_ERROR	0x1100
#define ASC_MISCOMPARE_VERIFY		0x1d00
#define ASC_PARAM_LIST_LENGTH_ERROR	0x1a00
#define ASC_INVALID_OPCODE		0x2000
#define ASC_LBA_OUT_OF_RANGE		0x2100
#define ASC_INVALID_FIELD_IN_CDB	0x2400
#define ASC_LUN_NOT_SUPPORTED		0x2500
#define ASC_INVALID_FIELD_IN_PARAM	0x2600
#define ASC_WRITE_PROTECTED		0x2700
#define ASC_POWER_ON_RESET		0x2900
#define ASC_POWER_ON_OCCURRED		0x2901
#define ASC_BUS_RESET			0x2902
#define ASC_BUS_DEVICE_RESET		0x2903
#define ASC_I_T_NEXUS_LOSS		0x2907
#define ASC_MODE_PARAMETERS_CHANGED	0x2a01
#define ASC_CAPACITY_CHANGED		0x2a09
#define ASC_SAVING_PARAMS_UNSUP		0x3900
#define ASC_MEDIUM_NOT_PRESENT		0x3a00
#define ASC_INTERNAL_TARGET_FAILURE	0x4400
#define ASC_COMMANDS_CLEARED		0x2f00
#define ASC_SANITIZE_IN_PROGRESS	0x041b
#define ASC_LUN_TRANSITION		0x040a	/* not accessible, transition */
#define ASC_MEDIUM_CHANGED		0x2800	/* not ready to ready change */
#define ASC_IE_ACCESSED			0x2801	/* import/export accessed */
/* sequential-access devices (SSC-4) */
#define ASC_FILEMARK_DETECTED		0x0001
#define ASC_EOP_EOM_DETECTED		0x0002
#define ASC_BOP_BOM_DETECTED		0x0004
#define ASC_EOD_DETECTED		0x0005
#define ASC_LOCATE_FAILED		0x1409	/* sequential positioning */
#define ASC_EOD_NOT_FOUND		0x1403
#define ASC_CANNOT_READ_MEDIUM		0x3000	/* incompatible medium */
#define ASC_CLEANING_CARTRIDGE		0x3003
#define ASC_WORM_OVERWRITE		0x300c
#define ASC_MEDIUM_REMOVAL_PREVENTED	0x5302
#define ASC_SEQUENTIAL_POSITION_ERROR	0x3b00
#define ASC_PARAM_VALUE_INVALID		0x2602
#define ASC_WRITE_ERROR_EOM		0x0c00
#define ASC_LOG_COUNTER_AT_MAX		0x5b02

/* Operation codes */
#define TEST_UNIT_READY			0x00
#define REQUEST_SENSE			0x03
#define READ_6				0x08
#define WRITE_6				0x0a
#define INQUIRY				0x12
#define MODE_SELECT_6			0x15
#define RESERVE_6			0x16
#define RELEASE_6			0x17
#define MODE_SENSE_6			0x1a
#define START_STOP_UNIT			0x1b
#define SEND_DIAGNOSTIC			0x1d
#define PREVENT_ALLOW_MEDIUM_REMOVAL	0x1e
#define READ_CAPACITY_10		0x25
#define READ_10				0x28
#define WRITE_10			0x2a
#define WRITE_VERIFY_10			0x2e
#define VERIFY_10			0x2f
#define PRE_FETCH_10			0x34
#define SYNCHRONIZE_CACHE_10		0x35
#define WRITE_SAME_10			0x41
#define UNMAP				0x42
#define MODE_SELECT_10			0x55
#define MODE_SENSE_10			0x5a
#define PERSISTENT_RESERVE_IN		0x5e
#define PERSISTENT_RESERVE_OUT		0x5f
#define VARIABLE_LENGTH			0x7f
#define READ_16				0x88
#define COMPARE_AND_WRITE		0x89
#define WRITE_16			0x8a
#define WRITE_VERIFY_16			0x8e
#define VERIFY_16			0x8f
#define PRE_FETCH_16			0x90
#define SYNCHRONIZE_CACHE_16		0x91
#define WRITE_SAME_16			0x93
#define SERVICE_ACTION_IN_16		0x9e
#define REPORT_LUNS			0xa0
#define MAINTENANCE_IN			0xa3
#define MAINTENANCE_OUT			0xa4
#define READ_12				0xa8
#define WRITE_12			0xaa
#define WRITE_VERIFY_12			0xae
#define VERIFY_12			0xaf
#define READ_DEFECT_DATA_10		0x37
#define READ_DEFECT_DATA_12		0xb7
#define ORWRITE_16			0x8b
#define WRITE_ATOMIC_16			0x9c
#define SANITIZE			0x48
#define EXTENDED_COPY			0x83
#define RECEIVE_COPY_RESULTS		0x84

/* SANITIZE service actions */
#define SANITIZE_OVERWRITE		0x01
#define SANITIZE_BLOCK_ERASE		0x02
#define SANITIZE_CRYPTO_ERASE		0x03
#define SANITIZE_EXIT_FAILURE_MODE	0x1f

/* Service actions */
#define SAI_READ_CAPACITY_16		0x10
#define SAI_GET_LBA_STATUS		0x12
#define MI_REPORT_SUPPORTED_OPCODES	0x0c
#define MI_REPORT_SUPPORTED_TMF		0x0d
#define MI_REPORT_TARGET_PGS		0x0a
#define MO_SET_TARGET_PGS		0x0a

/* Peripheral device types */
#define TYPE_DISK			0x00
#define TYPE_TAPE			0x01
#define TYPE_MEDIUM_CHANGER		0x08
#define TYPE_ROM			0x05	/* CD/DVD */

/* VPD pages */
#define VPD_SUPPORTED_PAGES		0x00
#define VPD_UNIT_SERIAL			0x80
#define VPD_DEVICE_ID			0x83
#define VPD_BLOCK_LIMITS		0xb0
#define VPD_BLOCK_DEV_CHARS		0xb1
#define VPD_LB_PROVISIONING		0xb2
#define VPD_THIRD_PARTY_COPY		0x8f

/* Mode pages */
#define MODE_PAGE_RW_ERROR_RECOVERY	0x01
#define MODE_PAGE_DISCONNECT		0x02
#define MODE_PAGE_CACHING		0x08
#define MODE_PAGE_CONTROL		0x0a
#define MODE_PAGE_INFO_EXCEPTIONS	0x1c
#define MODE_PAGE_ALL			0x3f

/* Version descriptors (no version claimed) */
#define VD_SAM5				0x00a0
#define VD_SPC4				0x0460
#define VD_SBC3				0x04c0
#define VD_SSC4				0x0520
#define VD_SMC3				0x0480
#define VD_MMC6				0x04e0
#define VD_ISCSI			0x0960

#endif /* TGT_SCSI_H */
