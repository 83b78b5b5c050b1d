#!/usr/bin/env python3
# Copyright (c) 2026 The tgt suite authors
# SPDX-License-Identifier: GPL-2.0-only
#
# A media changer seen from a raw iSCSI initiator, byte by byte
# (regress/integration/63-changer.sh).  The target has tape drives as
# LUNs 0 and 1 and a changer as LUN 2: 8 slots from 1000h (TAPE01L5 in
# the first, TAPE02L5 in the second), 2 mail slots from 10h, the drives
# at 100h and 101h (serials DRV0001, DRV0002).
#
#	changer_probe.py library HOST PORT TARGET DIR
#
# INQUIRY, the element address assignment page, READ ELEMENT STATUS of
# all types with volume tags and device identifiers (every page's byte
# counts, a cut allocation length, a start address and count), MOVE
# MEDIUM into a drive (then the drive's LUN reports 28/00 and takes
# data), the errors of a full destination and an empty source, a move
# out of a drive whose removal is prevented (05/53/02), then allowed;
# a move between slots and EXCHANGE MEDIUM.  "# mail" then waits for
# DIR/inserted (tgtctl library insert of SPARE01): the changer reports
# 06/28/01, the mail slot holds it with ImpExp set, and it moves to slot
# 7.  "# done".
#
#	changer_probe.py load HOST PORT TARGET
#	changer_probe.py after HOST PORT TARGET
#
# load leaves TAPE01L5 in drive 0.  after, following a restart of the
# changer's process or of the suite: the inventory is the one they
# left, drive 0 included (the suite's restart starts the drive empty
# and the changer has the master put the cartridge back).

import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import iscsi_raw as raw  # noqa: E402
from tape_probe import cmd, c6, session, clear_ua  # noqa: E402

nfail = 0
CH = 2


def check(cond, what, detail=None):
    global nfail
    if cond:
        print('ok changer-probe: %s' % what, flush=True)
    else:
        nfail += 1
        print('FAIL changer-probe: %s' % what, flush=True)
        if detail is not None:
            print('    %r' % (detail,), flush=True)


def res(c, etype=0, start=0, count=0xffff, voltag=True, dvcid=True,
        alloc=65536):
    cdb = struct.pack('>BBHHB', 0xb8, (0x10 if voltag else 0) | etype,
                      start, count, 1 if dvcid else 0) + \
        alloc.to_bytes(3, 'big') + b'\0\0'
    return cmd(c, cdb, CH, alloc)


def parse_res(data):
    """(first, count, byte count, [elements]) of READ ELEMENT STATUS;
    an element: dict(type, addr, full, impexp, barcode, serial, src)."""
    first, count = struct.unpack('>HH', data[:4])
    total = int.from_bytes(data[5:8], 'big')
    out = []
    off = 8
    while off + 8 <= len(data):
        etype = data[off]
        pvol = data[off + 1] & 0x80
        dl = struct.unpack('>H', data[off + 2:off + 4])[0]
        nbytes = int.from_bytes(data[off + 5:off + 8], 'big')
        off += 8
        end = off + nbytes
        while off + dl <= end and off + dl <= len(data):
            d = data[off:off + dl]
            e = {'type': etype, 'addr': struct.unpack('>H', d[0:2])[0],
                 'full': d[2] & 1, 'impexp': (d[2] >> 1) & 1,
                 'svalid': d[9] >> 7,
                 'src': struct.unpack('>H', d[10:12])[0],
                 'barcode': '', 'serial': ''}
            o = 12
            if pvol:
                e['barcode'] = d[o:o + 32].decode().strip()
                o += 36
            if dl > o + 4:
                n = d[o + 3]
                e['serial'] = d[o + 4:o + 4 + n].decode().strip()
            out.append(e)
            off += dl
        off = end
    return first, count, total, out


def inventory(c):
    r = res(c)
    if r.status != 0:
        return None
    return {e['addr']: e['barcode'] for e in parse_res(r.data)[3]
            if e['full']}


def move(c, src, dst):
    return cmd(c, struct.pack('>BBHHHHBB', 0xa5, 0, 0, src, dst, 0, 0, 0),
               CH)


def wait_file(path, secs=30):
    end = time.time() + secs
    while not os.path.exists(path):
        if time.time() > end:
            return False
        time.sleep(0.1)
    return True


def library(host, port, target, d):
    c = session(host, port, target, 'iqn.2026-11.org.example:changer')
    for lun in (0, 1, CH):
        clear_ua(c, lun)
    r = cmd(c, bytes([0x12, 0, 0, 0, 96, 0]), CH, 96)
    check(r.status == 0 and r.data[0] == 0x08,
          'INQUIRY: medium changer device', r)
    r = cmd(c, bytes([0x1a, 0x08, 0x1d, 0, 255, 0]), CH, 255)
    p = r.data[4:]
    check(r.status == 0 and r.data[3] == 0 and p[0] == 0x1d and
          struct.unpack('>8H', p[2:18]) ==
          (0, 1, 0x1000, 8, 0x10, 2, 0x100, 2),
          'MODE SENSE 1Dh: transport 0, slots 1000h x8, mail 10h x2, '
          'drives 100h x2', r)
    r = cmd(c, bytes([0x1a, 0x08, 0x3f, 0, 255, 0]), CH, 255)
    check(r.status == 0 and 0x1e in r.data and 0x1f in r.data,
          'MODE SENSE 3Fh: pages 1Eh and 1Fh too', r)

    r = res(c)
    first, count, total, el = parse_res(r.data)
    types = [e['type'] for e in el]
    check(r.status == 0 and first == 0 and count == 13 and
          total == len(r.data) - 8 and
          types == [1] + [3] * 2 + [4] * 2 + [2] * 8,
          'READ ELEMENT STATUS all: 13 elements, pages by address, '
          'byte counts add up', (first, count, total, len(r.data), types))
    inv = {e['addr']: e for e in el}
    check(inv[0x1000]['full'] and inv[0x1000]['barcode'] == 'TAPE01L5' and
          inv[0x1001]['barcode'] == 'TAPE02L5' and
          not inv[0x1002]['full'],
          'slots 1 and 2 hold TAPE01L5 and TAPE02L5 (volume tags)', inv)
    check(inv[0x100]['serial'] == 'DRV0001' and
          inv[0x101]['serial'] == 'DRV0002' and not inv[0x100]['full'],
          'drives: empty, DVCID is the drive serial number', inv)
    # the page byte counts with a cut allocation length
    r2 = res(c, alloc=40)
    check(r2.status == 0 and len(r2.data) == 40 and
          int.from_bytes(r2.data[5:8], 'big') == total,
          'a cut allocation length: the full byte count still reported',
          r2)
    r2 = res(c, etype=2, start=0x1001, count=3, voltag=False, dvcid=False)
    f2, n2, t2, el2 = parse_res(r2.data)
    check(r2.status == 0 and (f2, n2) == (0x1001, 3) and
          [e['addr'] for e in el2] == [0x1001, 0x1002, 0x1003] and
          t2 == 8 + 3 * 12,
          'slots from 1001h, 3 of them, no tags: 12-byte descriptors',
          (f2, n2, t2, el2))

    # into a drive
    r = move(c, 0x1000, 0x100)
    check(r.status == 0, 'MOVE MEDIUM slot 1 -> drive 0', r)
    r = cmd(c, bytes(6), 0)
    r2 = cmd(c, bytes(6), 0)
    check(r.status == 2 and r.key == 6 and r.asc == (0x28, 0) and
          r2.status == 0, 'the drive reports 28/00, then is ready', r)
    r = cmd(c, c6(0x0a, 0, 1024), 0, out=b'L' * 1024)
    check(r.status == 0, 'the drive writes the moved cartridge', r)
    inv = inventory(c)
    check(inv is not None and inv.get(0x100) == 'TAPE01L5' and
          0x1000 not in inv, 'READ ELEMENT STATUS: drive 0 full', inv)
    r = move(c, 0x1001, 0x100)
    check(r.status == 2 and r.key == 5 and r.asc == (0x3b, 0x0d),
          'into a full drive: 05/3B/0D', r)
    r = move(c, 0x1002, 0x1003)
    check(r.status == 2 and r.key == 5 and r.asc == (0x3b, 0x0e),
          'from an empty slot: 05/3B/0E', r)
    r = move(c, 0x1002, 0x4000)
    check(r.status == 2 and r.key == 5 and r.asc == (0x21, 0x01),
          'to no element: 05/21/01', r)
    # out of a drive whose medium removal is prevented
    r = cmd(c, bytes([0x1e, 0, 0, 0, 1, 0]), 0)
    r = move(c, 0x100, 0x1000)
    check(r.status == 2 and r.key == 5 and r.asc == (0x53, 0x02),
          'out of a drive with removal prevented: 05/53/02', r)
    cmd(c, bytes([0x1e, 0, 0, 0, 0, 0]), 0)
    r = move(c, 0x100, 0x1000)
    r2 = cmd(c, bytes(6), 0)
    check(r.status == 0 and r2.status == 2 and r2.asc == (0x3a, 0),
          'allowed: back to slot 1, the drive is empty', (r, r2))
    # between slots, and an exchange
    r = move(c, 0x1000, 0x1004)
    check(r.status == 0, 'MOVE MEDIUM slot 1 -> slot 5', r)
    r = cmd(c, struct.pack('>BBHHHHBB', 0xa6, 0, 0, 0x1004, 0x1001,
                           0x1004, 0, 0), CH)
    inv = inventory(c)
    check(r.status == 0 and inv.get(0x1004) == 'TAPE02L5' and
          inv.get(0x1001) == 'TAPE01L5',
          'EXCHANGE MEDIUM slots 5 and 2: swapped', (r, inv))
    print('# mail', flush=True)
    if not wait_file(os.path.join(d, 'inserted')):
        check(False, 'the shell inserted a cartridge')
        return
    r = cmd(c, bytes(6), CH)
    r2 = cmd(c, bytes(6), CH)
    check(r.status == 2 and r.key == 6 and r.asc == (0x28, 1) and
          r2.status == 0, 'tgtctl library insert: the changer reports '
          '06/28/01', r)
    r = res(c, etype=3)
    el = parse_res(r.data)[3]
    check(r.status == 0 and el[0]['barcode'] == 'SPARE01' and
          el[0]['impexp'] == 1, 'mail slot 1 holds SPARE01, ImpExp', el)
    r = move(c, 0x10, 0x1006)
    inv = inventory(c)
    check(r.status == 0 and inv.get(0x1006) == 'SPARE01',
          'MOVE MEDIUM mail slot 1 -> slot 7', inv)
    print('# done', flush=True)


def load(host, port, target):
    """Leave TAPE01L5 in drive 0 (slot 2 -> drive 0)."""
    c = session(host, port, target, 'iqn.2026-11.org.example:changer3')
    clear_ua(c, CH)
    r = move(c, 0x1001, 0x100)
    check(r.status == 0, 'MOVE MEDIUM slot 2 -> drive 0, left there', r)


def after(host, port, target):
    """The inventory load left, the drive holding its cartridge."""
    c = session(host, port, target, 'iqn.2026-11.org.example:changer2')
    clear_ua(c, CH)
    want = {0x100: 'TAPE01L5', 0x1004: 'TAPE02L5', 0x1006: 'SPARE01'}
    for _ in range(50):
        inv = inventory(c)
        if inv == want:
            break
        time.sleep(0.1)
    check(inv == want, 'the inventory survived, drive 0 included', inv)
    clear_ua(c, 0)
    r = cmd(c, bytes(6), 0)
    r2 = cmd(c, bytes([0x34, 0x06]) + bytes(8), 0, 32)
    check(r.status == 0 and r2.status == 0,
          'drive 0 holds its cartridge, ready', (r, r2))


def main():
    what, host, port, target = sys.argv[1], sys.argv[2], \
        int(sys.argv[3]), sys.argv[4]
    if what == 'library':
        library(host, port, target, sys.argv[5])
    elif what == 'after':
        after(host, port, target)
    elif what == 'load':
        load(host, port, target)
    return 1 if nfail else 0


if __name__ == '__main__':
    sys.exit(main())
