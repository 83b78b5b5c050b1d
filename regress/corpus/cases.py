#!/usr/bin/env python3
# Copyright (c) 2026 The tgt suite authors
# SPDX-License-Identifier: GPL-2.0-only
"""Malformed iSCSI PDUs: the hostile corpus of the tgt suite.

Each case is what an initiator sends on one connection, either from the
very first byte (login='none') or after a good login (login='normal' or
'discovery', done by the replay client), and what the portal must answer.
regress/corpus/replay.py sends them to a running portal
(regress/integration/80-hostile.sh); with --seeds DIR this module writes
them as seeds for the fuzz_pdu libFuzzer harness (one control byte for
the login preset, then the bytes).

Expectations (a list per case, all must hold):
  ('reject', {reasons})        a Reject PDU with one of these reasons
  ('login', class, detail)     a Login Response with this status
  ('eof',)                     the portal closes the connection
  ('alive',)                   still up: an immediate NOP-Out is answered
  ('scsi', itt, status, key)   SCSI Response for itt (status, sense key:
                               None for any)
  ('none', itt)                no response at all for itt
  ('count', opcode, n)         at least n PDUs of this opcode
  ('nop', itt, dlen)           a NOP-In for itt with dlen bytes of data
  ('r2t', itt)                 an R2T for itt
  ('tmf', itt, response)       a Task Management Response
  ('any',)                     only that the portal survives (checked by
                               the caller for every case)
"""

import os
import random
import struct
import sys

TARGET = 'iqn.2026-11.org.example:fuzz'
INITIATOR = 'iqn.2026-11.org.example:fuzzer'

OP_NOP_OUT, OP_SCSI_CMD, OP_TMF, OP_LOGIN, OP_TEXT, OP_DATA_OUT, \
    OP_LOGOUT = range(7)
OP_SNACK = 0x10
OP_NOP_IN, OP_SCSI_RSP, OP_TMF_RSP, OP_LOGIN_RSP, OP_TEXT_RSP, \
    OP_DATA_IN, OP_LOGOUT_RSP = range(0x20, 0x27)
OP_R2T, OP_ASYNC, OP_REJECT = 0x31, 0x32, 0x3f
IMM = 0x40
F = 0x80

# Reject reasons (RFC 7143 11.17.1)
REJ_SNACK, REJ_PROTOCOL, REJ_NOT_SUPPORTED, REJ_IMM, REJ_TASK_IN_PROG, \
    REJ_DATA_ACK, REJ_FIELD, REJ_LONG_OP = 3, 4, 5, 6, 7, 8, 9, 10

PING_ITT = 0x7e7e7e7e


def pdu(op, flags=0, b2=0, b3=0, lun=b'\0' * 8, itt=0, w20=0, w24=0,
        w28=0, tail=b'', ahs=b'', data=b'', dlen=None, ahslen=None,
        pad=True):
    """One PDU.  dlen/ahslen override the lengths in the header (lies)."""
    if dlen is None:
        dlen = len(data)
    if ahslen is None:
        ahslen = (len(ahs) + 3) // 4
    tail = (tail + b'\0' * 16)[:16]
    h = struct.pack('>BBBBB', op, flags, b2, b3, ahslen)
    h += struct.pack('>I', dlen)[1:]
    h += lun + struct.pack('>IIII', itt, w20, w24, w28) + tail
    assert len(h) == 48
    body = ahs + data
    if pad and len(data) % 4:
        body += b'\0' * (4 - len(data) % 4)
    return h + body


def keys(*kv):
    return b''.join(k.encode() + b'\0' for k in kv)


def login_pdu(flags, kv, isid=b'\x80\0\0\0\0\x07', tsih=0, itt=1, cmdsn=1,
              cid=0, version=(0, 0), dlen=None, data=None):
    if data is None:
        data = kv if isinstance(kv, bytes) else keys(*kv)
    return pdu(OP_LOGIN | IMM, flags, version[0], version[1],
               lun=isid + struct.pack('>H', tsih), itt=itt,
               w20=cid << 16, w24=cmdsn, data=data, dlen=dlen)


# Login flags: T, CSG operational, NSG full feature.
OP_TO_FULL = 0x80 | 1 << 2 | 3
SEC_TO_OP = 0x80 | 0 << 2 | 1

NORMAL_KEYS = ('InitiatorName=' + INITIATOR, 'SessionType=Normal',
               'TargetName=' + TARGET, 'HeaderDigest=None',
               'DataDigest=None', 'ImmediateData=Yes', 'InitialR2T=No',
               'MaxRecvDataSegmentLength=4096', 'MaxBurstLength=16384',
               'FirstBurstLength=8192', 'MaxOutstandingR2T=2')
DISCOVERY_KEYS = ('InitiatorName=' + INITIATOR, 'SessionType=Discovery',
                  'MaxRecvDataSegmentLength=512')


def with_target(kv, target):
    """The keys kv, with TargetName naming target."""
    return ['TargetName=' + target if k.startswith('TargetName=') else k
            for k in kv]


def preset_login(kind, target=TARGET, n=1):
    """The login PDU fuzz_portal.c's presets send (same keys).  n: the
    last bytes of the ISID (several sessions at once need distinct ones,
    or each login reinstates the previous session)."""
    if kind == 'normal':
        kv = with_target(NORMAL_KEYS, target)
    else:
        kv = list(DISCOVERY_KEYS)
    return login_pdu(OP_TO_FULL, kv, isid=b'\x80\0\0' +
                     struct.pack('>I', n)[1:])


def cdb(*b):
    return bytes(b) + b'\0' * (16 - len(b))


def scsi(itt, cmdsn, c, flags=F, edtl=0, lun=0, data=b'', ahs=b'',
         dlen=None, ahslen=None, imm=False):
    return pdu(OP_SCSI_CMD | (IMM if imm else 0), flags,
               lun=bytes([0, lun]) + b'\0' * 6, itt=itt, w20=edtl,
               w24=cmdsn, tail=c, ahs=ahs, data=data, dlen=dlen,
               ahslen=ahslen)


def read10(itt, cmdsn, blocks=1, edtl=None, **kw):
    if edtl is None:
        edtl = blocks * 512
    return scsi(itt, cmdsn, cdb(0x28, 0, 0, 0, 0, 0, 0, blocks >> 8,
                                blocks & 0xff), flags=F | 0x40, edtl=edtl, **kw)


def write10(itt, cmdsn, blocks=1, edtl=None, flags=F | 0x20, **kw):
    if edtl is None:
        edtl = blocks * 512
    return scsi(itt, cmdsn, cdb(0x2a, 0, 0, 0, 0, 0, 0, blocks >> 8,
                                blocks & 0xff), flags=flags, edtl=edtl, **kw)


def tur(itt, cmdsn, **kw):
    return scsi(itt, cmdsn, cdb(0), **kw)


def dataout(itt, ttt, datasn, off, data, flags=F, dlen=None):
    return pdu(OP_DATA_OUT, flags, itt=itt, w20=ttt, tail=struct.pack(
        '>III', datasn, off, 0), data=data, dlen=dlen)


def nop(itt, cmdsn=1, data=b'', imm=True, ttt=0xffffffff, dlen=None):
    return pdu(OP_NOP_OUT | (IMM if imm else 0), F, itt=itt, w20=ttt,
               w24=cmdsn, data=data, dlen=dlen)


def text(itt, cmdsn, kv, flags=F, ttt=0xffffffff, imm=True):
    data = kv if isinstance(kv, bytes) else keys(*kv)
    return pdu(OP_TEXT | (IMM if imm else 0), flags, itt=itt, w20=ttt,
               w24=cmdsn, data=data)


class Case:
    def __init__(self, name, what, login, stream, expect, close='close',
                 fuzz_seed=True):
        self.name = name
        self.what = what
        self.login = login          # 'none', 'normal' or 'discovery'
        self.stream = stream        # bytes, or list of bytes sent apart
        self.expect = expect
        self.close = close          # 'close' or 'half' (shutdown write)
        self.fuzz_seed = fuzz_seed

    def chunks(self):
        if isinstance(self.stream, (bytes, bytearray)):
            return [bytes(self.stream)]
        return [bytes(s) for s in self.stream]


def cases(target=TARGET):
    """Every case.  target: the name of a target with LUN 0 (a disk)."""
    rnd = random.Random(7143)
    good = with_target(NORMAL_KEYS, target)
    c = []

    def add(*a, **kw):
        c.append(Case(*a, **kw))

    # --- before / during login -------------------------------------------
    for name, op in (('nop', OP_NOP_OUT), ('scsi-cmd', OP_SCSI_CMD),
                     ('text', OP_TEXT), ('logout', OP_LOGOUT),
                     ('data-out', OP_DATA_OUT), ('snack', OP_SNACK),
                     ('tmf', OP_TMF), ('target-op', OP_SCSI_RSP)):
        add('prelogin-' + name, 'opcode 0x%02x before login: dropped '
            '(RFC 7143 6.3)' % op, 'none',
            pdu(op | IMM, F, itt=5, data=b'x' * 8), [('eof',)])
    add('login-version', 'VersionMin 1: unsupported version', 'none',
        login_pdu(OP_TO_FULL, good, version=(1, 1)),
        [('login', 2, 5), ('eof',)])
    add('login-no-initiator', 'no InitiatorName: missing parameter', 'none',
        login_pdu(OP_TO_FULL, ['TargetName=' + target]),
        [('login', 2, 7), ('eof',)])
    add('login-no-target', 'unknown TargetName: not found', 'none',
        login_pdu(OP_TO_FULL, ['InitiatorName=' + INITIATOR,
                               'TargetName=iqn.2026-11.org.example:nx']),
        [('login', 2, 3), ('eof',)])
    add('login-no-equals', 'a key without "=": initiator error', 'none',
        login_pdu(OP_TO_FULL, b'InitiatorName\0garbage\0'),
        [('login', 2, 0), ('eof',)])
    add('login-bad-keychar', 'a key with a space: initiator error', 'none',
        login_pdu(OP_TO_FULL, ['Initiator Name=x']),
        [('login', 2, 0), ('eof',)])
    add('login-key-flood', '300 keys in one request (login key flood)',
        'none', login_pdu(OP_TO_FULL, good + ['X-org.example.k%d=%d' %
                                              (i, i) for i in range(300)]),
        [('login', 2, 0), ('eof',)])
    flood = [login_pdu(0x40 | 1 << 2, b'X-org.example.k=' +
                       b'v' * 8000 + b'\0', itt=1) for _ in range(9)]
    add('login-continue-flood', '9 C-bit requests of 8 KB: more login '
        'text than the portal takes', 'none', flood,
        [('login', 2, 0), ('eof',)])
    add('login-long-value', 'a 9000 byte value: initiator error', 'none',
        login_pdu(OP_TO_FULL, ['InitiatorName=' + 'i' * 9000]),
        [('login', 2, 0), ('eof',)])
    add('login-long-name', 'TargetName of 300 bytes: initiator error',
        'none', login_pdu(OP_TO_FULL, ['InitiatorName=' + INITIATOR,
                                       'TargetName=' + 't' * 300]),
        [('login', 2, 0), ('eof',)])
    add('login-dup-key', 'InitiatorName twice: initiator error', 'none',
        login_pdu(OP_TO_FULL, good + ['InitiatorName=' + INITIATOR]),
        [('login', 2, 0), ('eof',)])
    add('login-dup-op-key', 'MaxBurstLength twice: initiator error',
        'none', login_pdu(OP_TO_FULL, good + ['MaxBurstLength=512']),
        [('login', 2, 0), ('eof',)])
    add('login-nsg2', 'transit to stage 2 (reserved)', 'none',
        login_pdu(0x80 | 1 << 2 | 2, good), [('login', 2, 0), ('eof',)])
    add('login-transit-continue', 'T and C both set', 'none',
        login_pdu(0xc0 | 1 << 2 | 3, good), [('login', 2, 0), ('eof',)])
    add('login-csg-full', 'first request in stage 3', 'none',
        login_pdu(0x80 | 3 << 2 | 3, good), [('login', 2, 0), ('eof',)])
    add('login-unknown-tsih', 'TSIH of no session: session does not exist',
        'none', login_pdu(OP_TO_FULL, good, tsih=0x4321),
        [('login', 2, 0x0a), ('eof',)])
    add('login-huge-dsl', 'DataSegmentLength 0xffffff (near 2^24)', 'none',
        login_pdu(OP_TO_FULL, b'', dlen=0xffffff),
        [('login', 2, 0), ('eof',)])
    add('login-dsl-over', 'DataSegmentLength 65537, just over the login '
        'text limit', 'none', login_pdu(OP_TO_FULL, b'', dlen=65537),
        [('login', 2, 0), ('eof',)])
    add('login-ahs', 'a login request with 1020 bytes of AHS garbage',
        'none', pdu(OP_LOGIN | IMM, OP_TO_FULL, lun=b'\x80\0\0\0\0\x07\0\0',
                    itt=1, w24=1, ahs=b'\xff' * 1020, data=keys(*good)),
        [('any',)])
    add('login-isid-change', 'ISID changes between login requests',
        'none', [login_pdu(SEC_TO_OP, good + ['AuthMethod=None']),
                 login_pdu(OP_TO_FULL, [], isid=b'\x80\0\0\0\0\x08')],
        [('login', 2, 0), ('eof',)])
    add('login-trunc-bhs', '20 bytes of a BHS, then close', 'none',
        login_pdu(OP_TO_FULL, good)[:20], [('any',)], fuzz_seed=False)
    add('login-trunc-data', 'half a data segment, then close', 'none',
        login_pdu(OP_TO_FULL, good)[:48 + 30], [('any',)])
    add('login-half-close', 'a C-bit request, then shutdown(SHUT_WR)',
        'none', login_pdu(0x40 | 1 << 2, good), [('eof',)], close='half')

    # --- full feature phase, normal session ------------------------------
    add('unknown-opcode', 'reserved opcode 0x1f: not supported', 'normal',
        pdu(0x1f | IMM, F, itt=9), [('reject', {REJ_NOT_SUPPORTED}),
                                    ('alive',)])
    add('target-opcode', 'a target opcode (0x21) from the initiator',
        'normal', pdu(OP_SCSI_RSP | IMM, F, itt=9),
        [('reject', {REJ_NOT_SUPPORTED, REJ_PROTOCOL}), ('alive',)])
    add('snack-erl0', 'SNACK at ErrorRecoveryLevel 0', 'normal',
        pdu(OP_SNACK, F, itt=9), [('reject', {REJ_SNACK, REJ_PROTOCOL}),
                                  ('alive',)])
    add('login-in-ffp', 'a Login Request in full feature phase', 'normal',
        login_pdu(OP_TO_FULL, good), [('reject', {REJ_PROTOCOL}),
                                      ('alive',)])
    add('nop-huge-dsl', 'NOP-Out with DataSegmentLength 0xffffff', 'normal',
        nop(9, dlen=0xffffff), [('reject', {REJ_PROTOCOL}), ('eof',)])
    add('write-over-mrdsl', 'SCSI Write with 262145 bytes of immediate '
        'data announced (> MaxRecvDataSegmentLength)', 'normal',
        write10(9, 1, blocks=1024, dlen=262145),
        [('reject', {REJ_PROTOCOL}), ('eof',)])
    add('write-over-firstburst', 'immediate data beyond FirstBurstLength',
        'normal', write10(9, 1, blocks=32, data=b'\0' * 8704),
        [('reject', {REJ_PROTOCOL}), ('alive',)])
    add('immediate-on-read', 'immediate data on a READ', 'normal',
        read10(9, 1, data=b'\0' * 512),
        [('reject', {REJ_PROTOCOL}), ('alive',)])
    add('ahs-garbage', 'SCSI command with 1020 bytes of AHS garbage',
        'normal', tur(9, 1, ahs=b'\xff' * 1020),
        [('reject', {REJ_PROTOCOL}), ('alive',)])
    add('ahs-short', 'AHS length field larger than TotalAHSLength',
        'normal', tur(9, 1, ahs=struct.pack('>HBB', 5, 1, 0)),
        [('reject', {REJ_PROTOCOL}), ('alive',)])
    add('ahs-ext-cdb-long', 'extended CDB of 200 bytes: CHECK CONDITION, '
        'ILLEGAL REQUEST', 'normal',
        tur(9, 1, ahs=struct.pack('>HBB', 201, 1, 0) + b'\0' * 200),
        [('scsi', 9, 2, 5), ('alive',)])
    add('data-out-unknown-itt', 'Data-Out for an unknown ITT', 'normal',
        dataout(0xdead, 0xffffffff, 0, 0, b'\0' * 512),
        [('reject', {REJ_PROTOCOL, REJ_FIELD}), ('alive',)])
    add('data-out-beyond-edtl', 'unsolicited Data-Out past the EDTL',
        'normal', write10(9, 1, flags=0x20) +
        dataout(9, 0xffffffff, 0, 0, b'\0' * 1024),
        [('reject', {REJ_PROTOCOL, REJ_FIELD}), ('alive',)])
    add('data-out-bad-offset', 'Data-Out at offset 0xfffffff0', 'normal',
        write10(9, 1, blocks=8, flags=0x20) +
        dataout(9, 0xffffffff, 0, 0xfffffff0, b'\0' * 512),
        [('reject', {REJ_PROTOCOL, REJ_FIELD}), ('alive',)])
    add('data-out-bad-ttt', 'R2T answered with a wrong TTT', 'normal',
        write10(9, 1, blocks=64) +
        dataout(9, 0x1234567, 0, 0, b'\0' * 4096),
        [('r2t', 9), ('reject', {REJ_PROTOCOL, REJ_FIELD}), ('alive',)])
    add('read-edtl-huge', 'READ with EDTL 0xffffffff: CHECK CONDITION',
        'normal', read10(9, 1, edtl=0xffffffff), [('scsi', 9, 2, 5),
                                                  ('alive',)])
    add('write-edtl-huge', 'WRITE with EDTL 0x7fffffff: CHECK CONDITION, '
        'no R2T', 'normal', write10(9, 1, edtl=0x7fffffff),
        [('scsi', 9, 2, 5), ('alive',)])
    add('bidi', 'READ and WRITE bits both set', 'normal',
        scsi(9, 1, cdb(0x28, 0, 0, 0, 0, 0, 0, 0, 1), flags=F | 0x60,
             edtl=512), [('scsi', 9, 2, 5), ('alive',)])
    add('cmdsn-far', 'CmdSN 2^30 ahead: dropped silently', 'normal',
        tur(9, 1 + (1 << 30)) + tur(10, 1), [('none', 9),
                                             ('scsi', 10, None, None),
                                             ('alive',)])
    add('cmdsn-behind', 'CmdSN 1000 behind: dropped silently', 'normal',
        tur(9, (1 - 1000) & 0xffffffff) + tur(10, 1),
        [('none', 9), ('scsi', 10, None, None), ('alive',)])
    add('itt-reserved', 'SCSI command with ITT 0xffffffff: invalid field',
        'normal', tur(0xffffffff, 1), [('reject', {REJ_FIELD}), ('alive',)])
    add('logout-bad-reason', 'Logout with reason 5', 'normal',
        pdu(OP_LOGOUT | IMM, F | 5, itt=9, w24=1),
        [('reject', {REJ_FIELD, REJ_PROTOCOL}), ('alive',)])
    add('tmf-bad-function', 'task management function 0x7f', 'normal',
        pdu(OP_TMF | IMM, F | 0x7f, itt=9, w20=0xffffffff, w24=1),
        [('tmf', 9, 5), ('alive',)])
    add('nop-echo', 'NOP-Out with 4096 bytes: echoed', 'normal',
        nop(9, data=bytes(range(256)) * 16), [('nop', 9, 4096),
                                              ('alive',)])
    add('many-small-pdus', '5000 back-to-back NOP-Outs', 'normal',
        b''.join(nop(i + 1) for i in range(5000)),
        [('count', OP_NOP_IN, 5000), ('alive',)], fuzz_seed=False)
    add('many-small-pdus-seed', '100 back-to-back NOP-Outs', 'normal',
        b''.join(nop(i + 1) for i in range(100)),
        [('count', OP_NOP_IN, 100), ('alive',)])
    add('text-forever', 'Text requests with the C bit, 200 x 4 KB',
        'normal', b''.join(text(9, 1, b'X-org.example.k=' + b'v' * 4000 +
                                b'\0', flags=0x40) for _ in range(200)),
        [('reject', {REJ_LONG_OP, REJ_PROTOCOL}), ('alive',)],
        fuzz_seed=False)
    add('text-forever-seed', 'Text requests with the C bit, 20 x 4 KB',
        'normal', b''.join(text(9, 1, b'X-org.example.k=' + b'v' * 4000 +
                                b'\0', flags=0x40) for _ in range(20)),
        [('reject', {REJ_LONG_OP, REJ_PROTOCOL}), ('alive',)])
    add('text-fc', 'Text request with F and C both set', 'normal',
        text(9, 1, ['SendTargets=All'], flags=0xc0),
        [('reject', {REJ_PROTOCOL}), ('alive',)])
    add('text-malformed', 'Text request without "="', 'normal',
        text(9, 1, b'SendTargets\0'), [('reject', {REJ_PROTOCOL}),
                                       ('alive',)])
    add('trunc-write', 'half of a write\'s immediate data, then close',
        'normal', write10(9, 1, blocks=16, data=b'\0' * 8192)[:48 + 100],
        [('any',)])
    add('trunc-write-half', 'half a write, then shutdown(SHUT_WR)',
        'normal', write10(9, 1, blocks=16, data=b'\0' * 8192)[:48 + 100],
        [('eof',)], close='half')
    add('garbage', '64 KB of random bytes after login', 'normal',
        bytes(rnd.getrandbits(8) for _ in range(65536)), [('eof',)])
    add('zero-bhs-flood', '1000 all-zero BHSs (NOP-Out, ITT 0, CmdSN 0)',
        'normal', b'\0' * 48 * 1000, [('alive',)])

    # --- discovery session ----------------------------------------------
    add('discovery-scsi', 'SCSI command in a discovery session',
        'discovery', tur(9, 1), [('reject', {REJ_PROTOCOL}), ('alive',)])
    add('discovery-data-out', 'Data-Out in a discovery session',
        'discovery', dataout(9, 0xffffffff, 0, 0, b'\0' * 256),
        [('reject', {REJ_PROTOCOL, REJ_FIELD}), ('alive',)])
    add('discovery-sendtargets-twice', 'SendTargets twice in a request',
        'discovery', text(9, 1, ['SendTargets=All', 'SendTargets=All']),
        [('reject', {REJ_PROTOCOL}), ('alive',)])
    return c


def write_seeds(d):
    os.makedirs(d, exist_ok=True)
    ctl = {'none': 0, 'normal': 1, 'discovery': 2}
    n = 0
    for case in cases():
        if not case.fuzz_seed:
            continue
        with open(os.path.join(d, 'hostile-' + case.name), 'wb') as f:
            f.write(bytes([ctl[case.login]]) + b''.join(case.chunks()))
        n += 1
    return n


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == '--seeds':
        print('%d seeds in %s' % (write_seeds(sys.argv[2]), sys.argv[2]))
    elif len(sys.argv) == 2 and sys.argv[1] == '--list':
        for case in cases():
            print('%-28s %-9s %s' % (case.name, case.login, case.what))
    else:
        sys.exit('usage: cases.py --seeds DIR | --list')
