#!/usr/bin/env python3
# Copyright (c) 2026 The tgt suite authors
# SPDX-License-Identifier: GPL-2.0-only
#
# A tape drive seen from a raw iSCSI initiator, byte by byte
# (regress/integration/62-tape.sh):
#
#	tape_probe.py basic HOST PORT TARGET
#
# LUN 0 holds an empty data cartridge, LUN 1 is an empty drive, LUN 2
# holds a write-protected cartridge.  Identification (INQUIRY, VPD 80h,
# 83h with an NAA designator, B0h), NOT READY 3A/00 of the empty drive,
# READ BLOCK LIMITS, then a tape of blocks and filemarks: READ with ILI
# (sense and the iSCSI residual), at a filemark, at end of data, SPACE
# over blocks and filemarks with residuals, LOCATE, READ POSITION in its
# three forms, MODE SENSE, LOG SENSE, READ ATTRIBUTE, DATA PROTECT, and
# LOAD UNLOAD with the 28/00 unit attention on another I_T nexus.
#
#	tape_probe.py medium HOST PORT TARGET DIR
#
# LUN 1 is empty: NOT READY; "# ready", then after DIR/loaded (the shell
# ran tgtctl drive load) 06/28/00 once, at the beginning, a WRITE, and
# PREVENT MEDIUM REMOVAL; "# prevented", after DIR/refused (the shell's
# unload was refused) ALLOW; "# allowed", after DIR/unloaded NOT READY.
#
#	tape_probe.py mktgt FILE BARCODE
#	tape_probe.py imported HOST PORT TARGET LUN
#
# A tape file in Linux tgt's format holding three blocks and a filemark;
# then LUN holds it, imported with tgtctl: the same objects read back.
#
#	tape_probe.py write HOST PORT TARGET FILE
#
# Rewind LUN 0, then write numbered variable-length blocks one at a time
# (as st does) and a filemark after every 10th; after each GOOD append
# the number of blocks acknowledged to FILE.  It ends at the first error
# (the shell kills the drive's process meanwhile).
#
#	tape_probe.py verify HOST PORT TARGET ACKED
#
# After the drive's restart: rewind, and every one of the ACKED blocks
# (and filemarks) reads back with its contents; what follows is at most
# one more block (written, never acknowledged), then end of data.

import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import iscsi_raw as raw  # noqa: E402

nfail = 0


def check(cond, what, detail=None):
    global nfail
    if cond:
        print('ok tape-probe: %s' % what, flush=True)
    else:
        nfail += 1
        print('FAIL tape-probe: %s' % what, flush=True)
        if detail is not None:
            print('    %r' % (detail,), flush=True)


class Result:
    def __init__(self):
        self.status = None
        self.data = b''
        self.sense = b''
        self.resid_flags = 0
        self.resid = 0

    @property
    def key(self):
        return self.sense[2] & 0x0f if len(self.sense) >= 14 else None

    @property
    def asc(self):
        if len(self.sense) < 14:
            return None
        return (self.sense[12], self.sense[13])

    @property
    def bits(self):
        return self.sense[2] & 0xe0 if len(self.sense) >= 3 else 0

    @property
    def info(self):
        if len(self.sense) < 7 or not self.sense[0] & 0x80:
            return None
        return struct.unpack('>i', self.sense[3:7])[0]

    def __repr__(self):
        return 'status %r sense %s data %d bytes resid %#x/%d' % (
            self.status, self.sense[:18].hex(), len(self.data),
            self.resid_flags, self.resid)


def cmd(c, cdb, lun, alloc=0, out=None):
    """A command: Data-In up to alloc, or Data-Out out."""
    r = Result()
    cdb = bytes(cdb) + bytes(16 - len(cdb)) if len(cdb) < 16 else cdb
    if out is not None:
        b, itt = c.cmd_bhs(cdb, lun, write=True, edtl=len(out))
        first = 0
        if c.sess.params.get('ImmediateData') == 'Yes':
            first = min(len(out), int(c.sess.params.get(
                'FirstBurstLength', 65536)), int(c.params.get(
                    'MaxRecvDataSegmentLength', 8192)))
        c.send(b, out[:first])
        if first == len(out):
            p = c.recv_skip_nop()
        else:
            st, p, pdus = raw.write_finish(c, itt, out, first, lun)
    else:
        b, itt = c.cmd_bhs(cdb, lun, read=alloc > 0, edtl=alloc)
        c.send(b)
        while True:
            p = c.recv_skip_nop()
            if p.op == raw.OP_DATA_IN and p.itt == itt:
                r.data += p.data
                if p.flags & 0x01:
                    break
                continue
            if p.op == raw.OP_SCSI_RSP and p.itt == itt:
                break
            if p.op == raw.OP_ASYNC:
                continue
            raise raw.ProtocolError('unexpected %r' % p)
    r.status = p.bhs[3]
    r.resid_flags = p.bhs[1] & 0x06
    r.resid = p.u32(44)
    if p.op == raw.OP_SCSI_RSP and len(p.data) >= 2:
        n = struct.unpack('>H', p.data[:2])[0]
        r.sense = p.data[2:2 + n]
    return r


def c6(op, b1=0, n=0):
    return bytes([op, b1]) + n.to_bytes(3, 'big') + b'\0'


def read_pos(c, lun=0):
    """Long form: (object, file)."""
    r = cmd(c, bytes([0x34, 0x06]) + bytes(8), lun, 32)
    if r.status != 0 or len(r.data) != 32:
        return (None, None)
    return struct.unpack('>QQ', r.data[8:24])


def session(host, port, target, name='iqn.2026-11.org.example:tape'):
    s = raw.Session(name, target)
    c = raw.Conn(host, port, s)
    c.login()
    return c


def clear_ua(c, lun):
    """TEST UNIT READY until no unit attention is left, waiting (15 s at
    most) while the drive's process is coming back after a restart:
    NOT READY, BECOMING READY (02/04/01), which initiators retry."""
    deadline = time.time() + 15
    n = 0
    while True:
        r = cmd(c, bytes(6), lun)
        if r.status == 2 and r.key == 2 and r.sense[12:14] == b'\x04\x01' \
                and time.time() < deadline:
            time.sleep(0.2)
            continue
        if r.status != 2 or r.key != 6 or n >= 4:
            return r
        n += 1


def block(n):
    """Block n of the write test: its size and contents vary with n."""
    size = 512 + (n * 977) % 30000
    head = struct.pack('>I', n)
    return (head * (size // 4 + 1))[:size]


def basic(host, port, target):
    c = session(host, port, target)
    for lun in (0, 1, 2):
        clear_ua(c, lun)
    # identification
    r = cmd(c, bytes([0x12, 0, 0, 0, 96, 0]), 0, 96)
    check(r.status == 0 and r.data[0] == 0x01 and r.data[1] & 0x80,
          'INQUIRY: sequential-access device, removable', r)
    r = cmd(c, bytes([0x12, 1, 0x83, 0, 255, 0]), 0, 255)
    naa = r.status == 0 and r.data[1] == 0x83 and \
        (r.data[5] & 0x0f) == 0x03 and (r.data[8] >> 4) in (5, 6)
    check(naa, 'VPD 83h: an NAA designator for the logical unit', r)
    r = cmd(c, bytes([0x12, 1, 0x80, 0, 255, 0]), 0, 255)
    check(r.status == 0 and r.data[4:10] == b'DRV000',
          'VPD 80h: the drive serial number', r)
    r = cmd(c, bytes([0x12, 1, 0xb0, 0, 255, 0]), 0, 255)
    check(r.status == 0 and r.data[1] == 0xb0 and r.data[4] & 1,
          'VPD B0h: WORM capable', r)
    # the empty drive
    r = cmd(c, bytes(6), 1)
    check(r.status == 2 and r.key == 2 and r.asc == (0x3a, 0),
          'empty drive: TEST UNIT READY gets 02/3A/00', r)
    r = cmd(c, c6(0x08, 0, 512), 1, 512)
    check(r.status == 2 and r.key == 2 and r.asc == (0x3a, 0),
          'empty drive: READ gets 02/3A/00', r)
    r = cmd(c, bytes(6), 0)
    check(r.status == 0, 'loaded drive: TEST UNIT READY is GOOD', r)
    r = cmd(c, c6(0x05), 0, 6)
    check(r.status == 0 and len(r.data) == 6 and
          int.from_bytes(r.data[1:4], 'big') >= 65536 and
          r.data[4:6] == b'\0\x01', 'READ BLOCK LIMITS', r)

    # the tape: 0:1000 1:2000 2:FM 3:3000 4:FM 5:FM 6:500, EOD at 7
    ok = True
    for what in (1000, 2000, 'fm', 3000, 'fm2', 500):
        if what == 'fm':
            r = cmd(c, c6(0x10, 0, 1), 0)
        elif what == 'fm2':
            r = cmd(c, c6(0x10, 0, 2), 0)
        else:
            r = cmd(c, c6(0x0a, 0, what), 0, out=bytes([what % 251]) *
                    what)
        ok = ok and r.status == 0
    check(ok, 'WRITE(6) variable blocks and WRITE FILEMARKS(6)', r)
    obj, f = read_pos(c)
    check((obj, f) == (7, 3), 'READ POSITION long: object 7, file 3',
          (obj, f))
    r = cmd(c, bytes([0x34, 0x00]) + bytes(8), 0, 20)
    check(r.status == 0 and len(r.data) == 20 and r.data[0] & 0x80 == 0 and
          struct.unpack('>II', r.data[4:12]) == (7, 7),
          'READ POSITION short: first and last object 7', r)
    r = cmd(c, bytes([0x34, 0x08, 0, 0, 0, 0, 0, 0, 32, 0]), 0, 32)
    check(r.status == 0 and len(r.data) == 32 and
          struct.unpack('>QQ', r.data[8:24]) == (7, 7) and
          r.data[2:4] == b'\0\x1c', 'READ POSITION extended', r)

    r = cmd(c, c6(0x01), 0)
    r2 = cmd(c, bytes([0x34, 0x00]) + bytes(8), 0, 20)
    check(r.status == 0 and r2.data[0] & 0x80,
          'REWIND: at the beginning of the partition (BOP)', r2)
    # ILI: a 1000-byte block read with 4096 asked
    r = cmd(c, c6(0x08, 0, 4096), 0, 4096)
    check(r.status == 2 and r.key == 0 and r.bits == 0x20 and
          r.info == 3096 and r.resid_flags == 0x02 and r.resid == 3096 and
          len(r.data) == 1000,
          'READ shorter block: ILI, INFORMATION 3096, underflow 3096', r)
    # a 2000-byte block read with 1500 asked: negative residual
    r = cmd(c, c6(0x08, 0, 1500), 0, 1500)
    check(r.status == 2 and r.key == 0 and r.bits == 0x20 and
          r.info == -500 and len(r.data) == 1500,
          'READ longer block: ILI, INFORMATION -500', r)
    r = cmd(c, c6(0x08, 0, 4096), 0, 4096)
    check(r.status == 2 and r.key == 0 and r.bits == 0x80 and
          r.asc == (0, 1) and r.info == 4096 and r.resid == 4096,
          'READ at a filemark: FILEMARK, 00/01, INFORMATION 4096', r)
    check(read_pos(c) == (3, 1), 'past the filemark: object 3, file 1',
          read_pos(c))
    # SILI: a shorter block without ILI
    r = cmd(c, c6(0x08, 0x02, 4096), 0, 4096)
    check(r.status == 0 and len(r.data) == 3000 and r.resid == 1096,
          'READ with SILI: GOOD, underflow 1096', r)
    # SPACE blocks forward into the filemarks
    r = cmd(c, c6(0x11, 0, 5), 0)
    check(r.status == 2 and r.key == 0 and r.bits == 0x80 and
          r.asc == (0, 1) and r.info == 5 and read_pos(c) == (5, 2),
          'SPACE 5 blocks at a filemark: FILEMARK, residual 5', r)
    # SPACE filemarks backwards
    r = cmd(c, c6(0x11, 1, 0xffffff), 0)
    check(r.status == 0 and read_pos(c) == (4, 1),
          'SPACE -1 filemark: before it (object 4)', read_pos(c))
    # SPACE filemarks past the last one: BLANK CHECK
    r = cmd(c, c6(0x11, 1, 4), 0)
    check(r.status == 2 and r.key == 8 and r.asc == (0, 5) and
          r.info == 2 and read_pos(c) == (7, 3),
          'SPACE 4 filemarks: BLANK CHECK 00/05, residual 2, at EOD', r)
    # READ at end of data
    r = cmd(c, c6(0x08, 0, 512), 0, 512)
    check(r.status == 2 and r.key == 8 and r.asc == (0, 5) and
          r.info == 512, 'READ at end of data: BLANK CHECK 00/05', r)
    # SPACE blocks backwards past the beginning
    r = cmd(c, bytes([0x2b, 0, 0, 0, 0, 0, 1, 0, 0, 0]), 0)
    check(r.status == 0 and read_pos(c) == (1, 0), 'LOCATE(10) object 1',
          r)
    r = cmd(c, c6(0x11, 0, 0xfffffd), 0)
    check(r.status == 2 and r.key == 0 and r.bits == 0x40 and
          r.asc == (0, 4) and r.info == 2 and read_pos(c) == (0, 0),
          'SPACE -3 blocks: EOM, 00/04 at the beginning, residual 2', r)
    # LOCATE(16) to file 2, READ(16) at object 3
    r = cmd(c, bytes([0x92, 1 << 3, 0, 0]) + struct.pack('>Q', 2) +
            bytes(4), 0)
    check(r.status == 0 and read_pos(c) == (5, 2), 'LOCATE(16) file 2', r)
    r = cmd(c, bytes([0x88, 0, 0, 0]) + struct.pack('>Q', 3) +
            (3000).to_bytes(3, 'big') + b'\0', 0, 3000)
    check(r.status == 0 and r.data == bytes([3000 % 251]) * 3000 and
          read_pos(c) == (4, 1), 'READ(16) at object 3', r)
    # MODE SENSE: density 58h, variable, buffered mode 1
    r = cmd(c, bytes([0x1a, 0, 0x3f, 0, 255, 0]), 0, 255)
    check(r.status == 0 and r.data[3] == 8 and r.data[4] == 0x58 and
          r.data[9:12] == b'\0\0\0' and r.data[2] == 0x10,
          'MODE SENSE: density 58h, variable blocks, buffered', r)
    # LOG SENSE supported pages
    r = cmd(c, bytes([0x4d, 0, 0, 0, 0, 0, 0, 1, 0, 0]), 0, 256)
    check(r.status == 0 and r.data[4:9] == bytes([0, 2, 3, 0x0c, 0x2e]),
          'LOG SENSE: pages 00h 02h 03h 0Ch 2Eh', r)
    # READ ATTRIBUTE: the barcode
    r = cmd(c, bytes([0x8c, 0, 0, 0, 0, 0, 0, 0, 0x04, 0x01]) +
            struct.pack('>I', 512) + b'\0\0', 0, 512)
    check(r.status == 0 and r.data[4:6] == b'\x04\x01' and
          r.data[9:17] == b'TAPE01L5', 'READ ATTRIBUTE: barcode', r)
    # write protected
    r = cmd(c, c6(0x0a, 0, 512), 2, out=bytes(512))
    check(r.status == 2 and r.key == 7 and r.asc == (0x27, 0),
          'write-protected cartridge: DATA PROTECT 27/00', r)
    # unload, load: 28/00 on the other nexus
    c2 = session(host, port, target, 'iqn.2026-11.org.example:tape2')
    clear_ua(c2, 0)
    r = cmd(c, c6(0x1b, 0, 0), 0)
    r2 = cmd(c, bytes(6), 0)
    check(r.status == 0 and r2.status == 2 and r2.key == 2 and
          r2.asc == (0x3a, 0), 'LOAD UNLOAD unload: then 02/3A/00', r2)
    r = cmd(c, c6(0x1b, 0, 1), 0)
    r2 = cmd(c2, bytes(6), 0)
    r3 = cmd(c2, bytes(6), 0)
    check(r.status == 0 and r2.status == 2 and r2.key == 6 and
          r2.asc == (0x28, 0) and r3.status == 0,
          'LOAD: 06/28/00 once on the other I_T nexus', r2)
    check(read_pos(c) == (0, 0), 'LOAD: at the beginning', read_pos(c))


def wait_file(path, secs=30):
    import time
    end = time.time() + secs
    while not os.path.exists(path):
        if time.time() > end:
            return False
        time.sleep(0.1)
    return True


def medium(host, port, target, d):
    """tgtctl drive load/unload seen from an I_T nexus of LUN 1."""
    c = session(host, port, target, 'iqn.2026-11.org.example:medium')
    clear_ua(c, 1)
    r = cmd(c, bytes(6), 1)
    check(r.status == 2 and r.key == 2 and r.asc == (0x3a, 0),
          'empty drive before tgtctl drive load: 02/3A/00', r)
    print('# ready', flush=True)
    if not wait_file(os.path.join(d, 'loaded')):
        check(False, 'the shell loaded a cartridge')
        return
    r = cmd(c, bytes(6), 1)
    r2 = cmd(c, bytes(6), 1)
    check(r.status == 2 and r.key == 6 and r.asc == (0x28, 0) and
          r2.status == 0, 'tgtctl drive load: 06/28/00, then ready', r)
    check(read_pos(c, 1) == (0, 0), 'loaded at the beginning',
          read_pos(c, 1))
    r = cmd(c, c6(0x0a, 0, 4096), 1, out=b'S' * 4096)
    check(r.status == 0, 'WRITE to the loaded cartridge', r)
    r = cmd(c, bytes([0x1e, 0, 0, 0, 1, 0]), 1)
    check(r.status == 0, 'PREVENT MEDIUM REMOVAL', r)
    print('# prevented', flush=True)
    if not wait_file(os.path.join(d, 'refused')):
        check(False, 'the shell tried an unload')
        return
    r = cmd(c, bytes([0x1e, 0, 0, 0, 0, 0]), 1)
    check(r.status == 0, 'ALLOW MEDIUM REMOVAL', r)
    print('# allowed', flush=True)
    if not wait_file(os.path.join(d, 'unloaded')):
        check(False, 'the shell unloaded the cartridge')
        return
    r = cmd(c, bytes(6), 1)
    check(r.status == 2 and r.key == 2 and r.asc == (0x3a, 0),
          'tgtctl drive unload: 02/3A/00 again', r)


TGT_OBJECTS = [('data', 1000, b'a'), ('data', 2000, b'b'), ('fm', 0, b''),
               ('data', 3000, b'c')]


def mktgt(path, barcode):
    """A tape file in Linux tgt's format (tgtimg) with TGT_OBJECTS."""
    def hdr(typ, n, num, prev, curr, nxt):
        return struct.pack('>4sIIIQQQQ', b'\0' * 4, n, n, typ, num, prev,
                           curr, nxt)
    mam = bytearray(1104)
    struct.pack_into('>I', mam, 0, 2)
    struct.pack_into('>QQ', mam, 8, 64 << 20, 64 << 20)
    mam[336] = 1
    mam[568:600] = ('%-31s' % barcode).encode() + b'\0'
    out = bytearray(hdr(0x10, 0, 0, 0, 0, 48 + 1104) + bytes(mam))
    prev = 0
    for i, (kind, n, fill) in enumerate(TGT_OBJECTS):
        off = len(out)
        out += hdr(0x02 if kind == 'data' else 0x40, n, i, prev, off,
                   off + 48 + n) + fill * n
        prev = off
    off = len(out)
    out += hdr(0x20, 0, len(TGT_OBJECTS), prev, off, off)
    with open(path, 'wb') as f:
        f.write(out)


def imported(host, port, target, lun):
    """The drive holds the cartridge mktgt wrote, imported."""
    c = session(host, port, target, 'iqn.2026-11.org.example:import')
    clear_ua(c, lun)
    r = cmd(c, c6(0x01), lun)
    got = []
    for _ in range(len(TGT_OBJECTS) + 2):
        r = cmd(c, c6(0x08, 0x02, 65536), lun, 65536)
        if r.status == 0:
            got.append(('data', len(r.data), r.data[:1] if r.data else b''))
            if r.data != r.data[:1] * len(r.data):
                got.append('bad contents')
        elif r.status == 2 and r.bits == 0x80:
            got.append(('fm', 0, b''))
        elif r.status == 2 and r.key == 8:
            break
        else:
            got.append(r)
            break
    check(got == TGT_OBJECTS, 'a Linux tgt tape imported reads back: '
          '3 blocks and a filemark', got)


def write(host, port, target, path):
    c = session(host, port, target, 'iqn.2026-11.org.example:writer')
    clear_ua(c, 0)
    cmd(c, c6(0x01), 0)
    n = 0
    f = open(path, 'a')
    try:
        while n < 100000:
            b = block(n)
            r = cmd(c, c6(0x0a, 0, len(b)), 0, out=b)
            if r.status != 0:
                print('# write %d: %r' % (n, r), flush=True)
                break
            n += 1
            if n % 10 == 0:
                r = cmd(c, c6(0x10, 0x01, 1), 0)	# IMMED
                if r.status != 0:
                    print('# filemark after %d: %r' % (n, r), flush=True)
                    break
            f.write('%d\n' % n)
            f.flush()
    except (EOFError, OSError, raw.ProtocolError) as e:
        print('# writer stopped after %d: %s' % (n, e), flush=True)
    f.close()


def verify(host, port, target, acked):
    c = session(host, port, target, 'iqn.2026-11.org.example:reader')
    r = clear_ua(c, 0)
    r = cmd(c, c6(0x01), 0)
    check(r.status == 0, 'after the restart: REWIND', r)
    bad = None
    for n in range(acked):
        b = block(n)
        r = cmd(c, c6(0x08, 0x02, 65536), 0, 65536)
        if r.status != 0 or r.data != b:
            bad = (n, r)
            break
        if (n + 1) % 10 == 0:
            r = cmd(c, c6(0x08, 0x02, 65536), 0, 65536)
            if r.status != 2 or r.bits != 0x80:
                bad = ('filemark after', n, r)
                break
    check(bad is None, 'every acknowledged block (%d) reads back' % acked,
          bad)
    extra = 0
    while True:
        r = cmd(c, c6(0x08, 0x02, 65536), 0, 65536)
        if r.status == 2 and r.key == 8 and r.asc == (0, 5):
            break
        if r.status == 0 and r.data == block(acked + extra):
            extra += 1
            if extra > 1:
                break
            continue
        if r.status == 2 and r.bits == 0x80:
            continue
        extra = 99
        break
    check(extra <= 1, 'then at most one unacknowledged block and end of '
          'data (%d more)' % extra, r)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == 'mktgt':
        mktgt(sys.argv[2], sys.argv[3])
        return 0
    if len(sys.argv) < 5:
        print('usage: tape_probe.py basic|write|verify HOST PORT TARGET '
              '[ARG]', file=sys.stderr)
        return 2
    what, host, port, target = sys.argv[1], sys.argv[2], \
        int(sys.argv[3]), sys.argv[4]
    if what == 'basic':
        basic(host, port, target)
    elif what == 'imported':
        imported(host, port, target, int(sys.argv[5]))
    elif what == 'medium':
        medium(host, port, target, sys.argv[5])
    elif what == 'write':
        write(host, port, target, sys.argv[5])
    elif what == 'verify':
        verify(host, port, target, int(sys.argv[5]))
    return 1 if nfail else 0


if __name__ == '__main__':
    sys.exit(main())
