#!/usr/bin/env python3
# Copyright (c) 2026 The tgt suite authors
# SPDX-License-Identifier: GPL-2.0-only
#
# A DVD drive (tgt-lun/mmc.c) seen from a raw iSCSI initiator, sense
# bytes and all (regress/integration/63-optical.sh):
#
#	mmc_probe.py basic HOST PORT TARGET
#
# LUN 0 holds a disc image whose block n is filled with n & 0xff, LUN 1
# is an empty drive.  INQUIRY (type 5, removable), READ CAPACITY and
# READ(10/12) of the image, WRITE(10) refused with 05/30/05 (a DVD-ROM),
# the empty drive's 02/3A/01, GET CONFIGURATION's current profile, and
# the tray between two I_T nexuses: START STOP UNIT refused with 05/53/02
# while the other one prevents removal, then open (02/3A/02 and a media
# removal event) and closed again (06/28/00 on the other nexus, a new
# media event).  An opcode of a disk (READ CAPACITY(16)) is 05/20/00.
#
#	mmc_probe.py plus-r HOST PORT TARGET
#
# LUN 2 holds a blank DVD+R: a write away from the next writable address
# is 05/21/02, one at it is GOOD and moves it; closing the session makes
# the disc appendable, the next session starting on an ECC block.
#
#	mmc_probe.py plus-r-open HOST PORT TARGET
#	mmc_probe.py plus-r-after HOST PORT TARGET
#
# After plus-r: a second session written and synced but not closed;
# then, after a SIGKILL of the whole suite and a start, the disc is as
# its first session left it.
#
#	mmc_probe.py medium HOST PORT TARGET DIR BLOCKS
#
# LUN 1 is empty; "# ready", then after DIR/loaded (the shell ran tgtctl
# drive load) 06/28/00, new media in GET EVENT STATUS NOTIFICATION and
# a capacity of BLOCKS; PREVENT, "# prevented", after DIR/refused (the
# shell's unload was refused) an eject request event, ALLOW, "#
# allowed", after DIR/unloaded 02/3A/01 and a media removal event.

import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import iscsi_raw as raw  # noqa: E402
from tape_probe import cmd  # noqa: E402

nfail = 0


def check(cond, what, detail=None):
    global nfail
    if cond:
        print('ok mmc-probe: %s' % what, flush=True)
    else:
        nfail += 1
        print('FAIL mmc-probe: %s' % what, flush=True)
        if detail is not None:
            print('    %r' % (detail,), flush=True)


def session(host, port, target, name):
    s = raw.Session(name, target)
    c = raw.Conn(host, port, s)
    c.login()
    return c


def clear_ua(c, lun):
    for _ in range(4):
        r = cmd(c, bytes(6), lun)
        if r.status != 2 or r.key != 6:
            return r
    return r


def sense_is(r, key, asc, ascq):
    return r.status == 2 and r.key == key and r.asc == (asc, ascq)


def gesn(c, lun):
    """The media event code and status, or (None, None)."""
    r = cmd(c, bytes([0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8, 0]), lun, 8)
    if r.status != 0 or len(r.data) != 8 or r.data[2] != 4:
        return (None, None)
    return (r.data[4], r.data[5])


def capacity(c, lun):
    r = cmd(c, bytes([0x25]) + bytes(9), lun, 8)
    if r.status != 0 or len(r.data) != 8:
        return None
    return struct.unpack('>I', r.data[:4])[0] + 1


def start_stop(c, lun, b4):
    return cmd(c, bytes([0x1b, 0, 0, 0, b4, 0]), lun)


def prevent(c, lun, p):
    return cmd(c, bytes([0x1e, 0, 0, 0, p, 0]), lun)


def basic(host, port, target):
    a = session(host, port, target, 'iqn.2026-11.org.example:mmc-a')
    b = session(host, port, target, 'iqn.2026-11.org.example:mmc-b')
    for c in (a, b):
        clear_ua(c, 0)
        clear_ua(c, 1)
    r = cmd(a, bytes([0x12, 0, 0, 0, 96, 0]), 0, 96)
    check(r.status == 0 and r.data[0] == 0x05 and r.data[1] & 0x80,
          'INQUIRY: peripheral device type 5, removable', r)
    r = cmd(a, bytes([0x46, 0, 0, 0, 0, 0, 0, 0, 8, 0]), 0, 8)
    check(r.status == 0 and r.data[6:8] == b'\x00\x10',
          'GET CONFIGURATION: current profile DVD-ROM (0010h)', r)
    n = capacity(a, 0)
    check(n == 256, 'READ CAPACITY: 256 blocks of 2048 bytes', n)
    r = cmd(a, bytes([0x28, 0]) + struct.pack('>I', 5) + b'\0' +
            struct.pack('>H', 2) + b'\0', 0, 4096)
    check(r.status == 0 and r.data == bytes([5]) * 2048 + bytes([6]) * 2048,
          'READ(10) of blocks 5 and 6', r)
    r = cmd(a, bytes([0xa8, 0]) + struct.pack('>II', 255, 1) + bytes(2), 0,
            2048)
    check(r.status == 0 and r.data == bytes([255]) * 2048,
          'READ(12) of the last block', r)
    r = cmd(a, bytes([0x28, 0]) + struct.pack('>I', 256) + b'\0' +
            struct.pack('>H', 1) + b'\0', 0, 2048)
    check(sense_is(r, 5, 0x21, 0), 'READ(10) past the end: 05/21/00', r)
    r = cmd(a, bytes([0x2a, 0]) + struct.pack('>I', 0) + b'\0' +
            struct.pack('>H', 1) + b'\0', 0, out=bytes(2048))
    check(sense_is(r, 5, 0x30, 5),
          'WRITE(10) to a DVD-ROM: 05/30/05 cannot write medium, '
          'incompatible format', r)
    r = cmd(a, bytes([0x9e, 0x10]) + bytes(8) + struct.pack('>I', 32) +
            bytes(2), 0, 32)
    check(sense_is(r, 5, 0x20, 0),
          'READ CAPACITY(16), a disk\'s: 05/20/00 invalid opcode', r)
    r = cmd(a, bytes(6), 1)
    check(sense_is(r, 2, 0x3a, 1), 'empty drive: 02/3A/01 tray closed', r)
    r = cmd(a, bytes([0x28, 0]) + bytes(5) + b'\0\x01\0', 1, 2048)
    check(sense_is(r, 2, 0x3a, 1), 'empty drive: READ(10) gets 02/3A/01', r)

    # the tray between two I_T nexuses
    check(gesn(a, 0) == (0, 2), 'GESN: no media event, medium present',
          gesn(a, 0))
    check(prevent(a, 0, 1).status == 0, 'A: PREVENT MEDIUM REMOVAL')
    r = start_stop(b, 0, 0x02)
    check(sense_is(r, 5, 0x53, 2),
          'B: eject while A prevents: 05/53/02 medium removal prevented',
          r)
    check(cmd(b, bytes(6), 0).status == 0, 'the tray stayed closed')
    check(prevent(a, 0, 0).status == 0, 'A: ALLOW MEDIUM REMOVAL')
    check(start_stop(b, 0, 0x02).status == 0, 'B: eject (tray open)')
    r = cmd(a, bytes(6), 0)
    check(sense_is(r, 2, 0x3a, 2), 'A: 02/3A/02 tray open', r)
    check(gesn(a, 0) == (3, 1), 'GESN: media removal, tray open',
          gesn(a, 0))
    check(start_stop(b, 0, 0x03).status == 0, 'B: load (tray closed)')
    r = cmd(a, bytes(6), 0)
    check(sense_is(r, 6, 0x28, 0), 'A: 06/28/00 not ready to ready', r)
    check(cmd(b, bytes(6), 0).status == 0,
          'B, who closed the tray: no unit attention')
    check(gesn(a, 0) == (2, 2), 'GESN: new media, medium present',
          gesn(a, 0))
    r = cmd(a, bytes([0x28, 0]) + struct.pack('>I', 9) + b'\0\0\x01\0', 0,
            2048)
    check(r.status == 0 and r.data == bytes([9]) * 2048,
          'the disc reads after the load', r)


def plus_r(host, port, target):
    """LUN 2 holds a blank DVD+R."""
    c = session(host, port, target, 'iqn.2026-11.org.example:mmc-r')
    clear_ua(c, 2)
    r = cmd(c, bytes([0x46, 0, 0, 0, 0, 0, 0, 0, 8, 0]), 2, 8)
    check(r.status == 0 and r.data[6:8] == b'\x00\x1b',
          'GET CONFIGURATION: current profile DVD+R (001Bh)', r)

    def write(lba, n, fill):
        return cmd(c, bytes([0x2a, 0]) + struct.pack('>I', lba) + b'\0' +
                   struct.pack('>H', n) + b'\0', 2,
                   out=bytes([fill]) * (2048 * n))

    def nwa(track):
        r = cmd(c, bytes([0x52, 1]) + struct.pack('>I', track) + b'\0' +
                struct.pack('>H', 48) + b'\0', 2, 48)
        if r.status != 0 or len(r.data) < 16 or not r.data[7] & 1:
            return None
        return struct.unpack('>I', r.data[12:16])[0]

    check(nwa(0xff) == 0, 'blank DVD+R: the next writable address is 0',
          nwa(0xff))
    r = write(16, 1, 1)
    check(sense_is(r, 5, 0x21, 2),
          'a write away from the next writable address: 05/21/02', r)
    check(write(0, 8, 1).status == 0, 'a write at the next writable address')
    check(nwa(1) == 8, 'the next writable address follows it', nwa(1))
    r = write(4, 1, 1)
    check(sense_is(r, 5, 0x21, 2), 'a write over written blocks: 05/21/02',
          r)
    r = cmd(c, bytes([0x5b, 0, 2, 0, 0, 0, 0, 0, 0, 0]), 2)
    check(r.status == 0, 'CLOSE TRACK SESSION: close the session', r)
    r = cmd(c, bytes([0x51, 0, 0, 0, 0, 0, 0, 0, 34, 0]), 2, 34)
    check(r.status == 0 and r.data[2] & 3 == 1 and r.data[4] == 2,
          'READ DISC INFORMATION: appendable, one closed session', r)
    check(nwa(0xff) == 16, 'the next session starts on an ECC block',
          nwa(0xff))


def plus_r_nwa(c, track):
    r = cmd(c, bytes([0x52, 1]) + struct.pack('>I', track) + b'\0' +
            struct.pack('>H', 48) + b'\0', 2, 48)
    if r.status != 0 or len(r.data) < 16 or not r.data[7] & 1:
        return None
    return struct.unpack('>I', r.data[12:16])[0]


def plus_r_open(host, port, target):
    """Write a second session on LUN 2 and leave it open."""
    c = session(host, port, target, 'iqn.2026-11.org.example:mmc-r')
    clear_ua(c, 2)
    r = cmd(c, bytes([0x2a, 0]) + struct.pack('>I', 16) + b'\0' +
            struct.pack('>H', 8) + b'\0', 2, out=bytes([2]) * (2048 * 8))
    check(r.status == 0, 'a second session written, not closed', r)
    r = cmd(c, bytes([0x35]) + bytes(9), 2)
    check(r.status == 0, 'SYNCHRONIZE CACHE', r)
    check(plus_r_nwa(c, 2) == 24, 'its track\'s next writable address',
          plus_r_nwa(c, 2))


def plus_r_after(host, port, target):
    """After the suite's SIGKILL: the first session only."""
    c = session(host, port, target, 'iqn.2026-11.org.example:mmc-r')
    clear_ua(c, 2)
    r = cmd(c, bytes([0x51, 0, 0, 0, 0, 0, 0, 0, 34, 0]), 2, 34)
    check(r.status == 0 and r.data[2] & 3 == 1 and r.data[4] == 2 and
          (r.data[2] >> 2) & 3 == 0,
          'after kill -9: appendable, one closed session, none open', r)
    check(plus_r_nwa(c, 0xff) == 16,
          'after kill -9: the open session is gone, the next writable '
          'address is back at 16', plus_r_nwa(c, 0xff))
    r = cmd(c, bytes([0x28, 0]) + struct.pack('>I', 0) + b'\0' +
            struct.pack('>H', 8) + b'\0', 2, 2048 * 8)
    check(r.status == 0 and r.data == bytes([1]) * (2048 * 8),
          'after kill -9: the closed session reads back', r)
    r = cmd(c, bytes([0x28, 0]) + struct.pack('>I', 16) + b'\0' +
            struct.pack('>H', 1) + b'\0', 2, 2048)
    check(sense_is(r, 5, 0x21, 0),
          'after kill -9: the lost session is not readable (05/21/00)', r)


def wait_file(path, secs=30):
    for _ in range(secs * 10):
        if os.path.exists(path):
            return True
        time.sleep(0.1)
    return False


def medium(host, port, target, d, blocks):
    c = session(host, port, target, 'iqn.2026-11.org.example:mmc-medium')
    clear_ua(c, 1)
    r = cmd(c, bytes(6), 1)
    check(sense_is(r, 2, 0x3a, 1),
          'empty drive before tgtctl drive load: 02/3A/01', r)
    print('# ready', flush=True)
    if not wait_file(os.path.join(d, 'loaded')):
        check(False, 'the shell loaded a disc')
        return
    check(gesn(c, 1) == (2, 2), 'tgtctl drive load: GESN new media',
          gesn(c, 1))
    r = cmd(c, bytes(6), 1)
    r2 = cmd(c, bytes(6), 1)
    check(sense_is(r, 6, 0x28, 0) and r2.status == 0,
          'tgtctl drive load: 06/28/00, then ready', (r, r2))
    n = capacity(c, 1)
    check(n == blocks, 'the capacity of the loaded image', n)
    check(prevent(c, 1, 1).status == 0, 'PREVENT MEDIUM REMOVAL')
    print('# prevented', flush=True)
    if not wait_file(os.path.join(d, 'refused')):
        check(False, 'the shell tried an unload')
        return
    check(gesn(c, 1) == (1, 2), 'a refused unload: GESN eject request',
          gesn(c, 1))
    check(prevent(c, 1, 0).status == 0, 'ALLOW MEDIUM REMOVAL')
    print('# allowed', flush=True)
    if not wait_file(os.path.join(d, 'unloaded')):
        check(False, 'the shell unloaded the disc')
        return
    r = cmd(c, bytes(6), 1)
    check(sense_is(r, 2, 0x3a, 1), 'tgtctl drive unload: 02/3A/01 again',
          r)
    check(gesn(c, 1) == (3, 0), 'tgtctl drive unload: GESN media removal',
          gesn(c, 1))


def main():
    if len(sys.argv) == 5 and sys.argv[1] == 'basic':
        basic(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif len(sys.argv) == 5 and sys.argv[1] == 'plus-r':
        plus_r(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif len(sys.argv) == 5 and sys.argv[1] == 'plus-r-open':
        plus_r_open(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif len(sys.argv) == 5 and sys.argv[1] == 'plus-r-after':
        plus_r_after(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif len(sys.argv) == 7 and sys.argv[1] == 'medium':
        medium(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5],
               int(sys.argv[6]))
    else:
        sys.exit('usage: mmc_probe.py basic HOST PORT TARGET | '
                 'medium HOST PORT TARGET DIR BLOCKS')
    sys.exit(1 if nfail else 0)


if __name__ == '__main__':
    main()
