#!/usr/bin/env python3
# Copyright (c) 2026 The tgt suite authors
# SPDX-License-Identifier: GPL-2.0-only
#
# Raw-iSCSI checks of an rbd LUN (regress/integration/39-rbd.sh), with
# the initiator of iscsi_raw.py.
#
#	rbd_probe.py caw HOST PORT TARGET LUN ROUNDS
#
# Two sessions race COMPARE AND WRITE on block 0, ROUNDS times.  Each
# round block 0 is first written with pattern OLD; both sessions then
# send, back to back, a COMPARE AND WRITE that expects OLD and writes
# their own pattern (which differs from OLD from byte 100 on).  Exactly
# one must end GOOD; the other must end in MISCOMPARE (0E/1D/00) with
# INFORMATION 100 (the offset of the first byte that differs from what
# the winner wrote), and block 0 must then hold the winner's data.
#
#	rbd_probe.py ua HOST PORT TARGET LUN DIR
#
# A session logs in, clears its unit attentions, prints "# ready" and
# waits (60 s at most) for DIR/resized (the shell resized the image with
# `rbd resize`); then TEST UNIT READY must report CAPACITY DATA HAS
# CHANGED (06/2A/09), at once or within 20 s, and READ CAPACITY (16) the
# number of blocks in DIR/resized.
#
#	rbd_probe.py notready HOST PORT TARGET LUN SECONDS
#
# A 4 KiB WRITE to a LUN whose cluster is away must end, within SECONDS,
# with a retryable CHECK CONDITION: NOT READY, LOGICAL UNIT NOT
# ACCESSIBLE, ASYMMETRIC ACCESS STATE TRANSITION (02/04/0A).
#
#	rbd_probe.py loop HOST PORT TARGET LUN SECONDS
#
# With the cluster away too: a VERIFY (16) with BYTCHK 1 (it reads the
# medium, on the LUN's worker thread) waits for the cluster; meanwhile
# an INQUIRY to the same LUN from another session must be answered at
# once (the LUN's event loop is not blocked), and the VERIFY must then
# end in NOT READY 02/04/0A within SECONDS.  Then an ABORT TASK of a
# second such VERIFY, sent while it runs, must complete (FUNCTION
# COMPLETE) within SECONDS: the running command is waited for.
#
# Prints ok/FAIL lines; exits 1 if any failed.
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import iscsi_raw as ir  # noqa: E402

BS = 512
FAILED = 0


def ok(what):
    print('ok rbd_probe: %s' % what, flush=True)


def fail(what):
    global FAILED
    FAILED += 1
    print('FAIL rbd_probe: %s' % what, flush=True)


def session(host, port, target, n):
    s = ir.Session('iqn.2026-11.org.example:rbd-probe-%d' % n, target)
    c = ir.Conn(host, port, s, timeout=60)
    c.login()
    return c


def sense_of(data):
    """(key, asc, ascq, information) of fixed or descriptor sense."""
    if len(data) < 14:
        return (None, None, None, None)
    if data[0] & 0x7f in (0x72, 0x73):
        info = None
        pos = 8
        while pos + 2 <= len(data):
            if data[pos] == 0 and pos + 12 <= len(data):
                info = struct.unpack('>Q', data[pos + 4:pos + 12])[0]
            pos += 2 + data[pos + 1]
        return (data[1] & 0xf, data[2], data[3], info)
    return (data[2] & 0xf, data[12], data[13],
            struct.unpack('>I', data[3:7])[0])


def caw_send(c, lun, lba, verify, data):
    cdb = struct.pack('>BBQ3xBBB', 0x89, 0, lba, len(data) // BS, 0, 0)
    buf = verify + data
    b, itt = c.cmd_bhs(cdb, lun, write=True, edtl=len(buf))
    c.send(b, buf)      # immediate data (1 KiB)
    return itt, buf


def caw(host, port, target, lun, rounds):
    a = session(host, port, target, 1)
    b = session(host, port, target, 2)
    ir.clear_ua(a, lun)
    ir.clear_ua(b, lun)
    wins = [0, 0]
    for r in range(rounds):
        # the block moves: MISCOMPARE's offset is from the LBA
        lba = (0, 777, 8191)[r % 3]
        old = bytes([r & 0xff]) * BS
        mine = [old[:100] + bytes([0xa0 | k]) * (BS - 100) for k in (0, 1)]
        st, _, _ = ir.scsi_write(a, lun, lba, old)
        if st != 0:
            fail('round %d: WRITE of the old data: status 0x%02x' % (r, st))
            return
        # who sends first alternates
        if r & 1:
            ib, bufb = caw_send(b, lun, lba, old, mine[1])
            ia, bufa = caw_send(a, lun, lba, old, mine[0])
        else:
            ia, bufa = caw_send(a, lun, lba, old, mine[0])
            ib, bufb = caw_send(b, lun, lba, old, mine[1])
        sta, pa, _ = ir.write_finish(a, ia, bufa, len(bufa), lun)
        stb, pb, _ = ir.write_finish(b, ib, bufb, len(bufb), lun)
        if sorted((sta, stb)) != [0, 2]:
            fail('round %d: one GOOD and one CHECK CONDITION (got 0x%02x '
                 'and 0x%02x)' % (r, sta, stb))
            return
        win = 0 if sta == 0 else 1
        loser = pb if win == 0 else pa
        key, asc, ascq, info = sense_of(loser.data[2:])
        if (key, asc, ascq) != (0xe, 0x1d, 0):
            fail('round %d: the loser gets MISCOMPARE 0E/1D/00 (got %s/%s/%s)'
                 % (r, key, asc, ascq))
            return
        if info != 100:
            fail('round %d: MISCOMPARE INFORMATION is 100 (got %s)' %
                 (r, info))
            return
        st, data = ir.command(a, struct.pack('>BBIBHB', 0x28, 0, lba, 0, 1,
                                             0), lun, BS)
        if st != 0 or data != mine[win]:
            fail('round %d: block 0 holds the winner\'s data' % r)
            return
        wins[win] += 1
    ok('COMPARE AND WRITE raced from two sessions %d times: one GOOD, one '
       'MISCOMPARE at offset 100 each time, the winner\'s data on the '
       'image (wins %d/%d)' % (rounds, wins[0], wins[1]))
    # two blocks, across the 4 MiB object boundary: more than librbd
    # compares (one 512-byte sector), the target compares and writes
    old = b'\x11' * (2 * BS)
    new = b'\x22' * (2 * BS)
    st, _, _ = ir.scsi_write(a, lun, 8191, old)
    ia, bufa = caw_send(a, lun, 8191, old, new)
    st1, _, _ = ir.write_finish(a, ia, bufa, len(bufa), lun)
    ia, bufa = caw_send(a, lun, 8191, old, new)
    st2, p2, _ = ir.write_finish(a, ia, bufa, len(bufa), lun)
    sense = sense_of(p2.data[2:]) if st2 == 2 else (None,) * 4
    if st == 0 and st1 == 0 and sense == (0xe, 0x1d, 0, 0):
        ok('COMPARE AND WRITE across an object boundary: GOOD, then '
           'MISCOMPARE at offset 0')
    else:
        fail('COMPARE AND WRITE across an object boundary (status 0x%02x, '
             '0x%02x, then 0x%02x %s)' % (st, st1, st2, sense))
    a.logout()
    b.logout()


def readcap16(c, lun):
    cdb = struct.pack('>BBQIBB', 0x9e, 0x10, 0, 32, 0, 0)
    st, data = ir.command(c, cdb, lun, 32)
    if st != 0 or len(data) < 12:
        return None
    return struct.unpack('>Q', data[:8])[0] + 1


def ua(host, port, target, lun, d):
    c = session(host, port, target, 3)
    ir.clear_ua(c, lun)
    before = readcap16(c, lun)
    print('# ready', flush=True)
    end = time.time() + 60
    path = os.path.join(d, 'resized')
    while not os.path.exists(path) and time.time() < end:
        time.sleep(0.1)
    if not os.path.exists(path):
        fail('the shell resized the image within 60 s')
        return
    want = int(open(path).read().split()[0])
    end = time.time() + 20
    seen = None
    while time.time() < end:
        st, sense = ir.command(c, bytes(6), lun)
        if st == 2:
            seen = sense_of(sense)
            break
        time.sleep(0.1)
    if seen is None or seen[:3] != (6, 0x2a, 9):
        fail('after rbd resize, TEST UNIT READY reports CAPACITY DATA HAS '
             'CHANGED 06/2A/09 (got %s)' % (seen,))
        return
    ok('rbd resize: CAPACITY DATA HAS CHANGED (06/2A/09) reported')
    after = readcap16(c, lun)
    if after == want:
        ok('READ CAPACITY (16): %s blocks before, %s after' % (before, after))
    else:
        fail('READ CAPACITY (16): %s blocks after the resize (want %d)' %
             (after, want))
    c.logout()


def check_notready(what, st, p, took, secs):
    """what ended, after took seconds, in NOT READY 02/04/0A within secs"""
    key, asc, ascq, _ = sense_of(p.data[2:]) if st == 2 else (None,) * 4
    if st == 2 and (key, asc, ascq) == (2, 4, 0xa) and took <= secs:
        ok('cluster away: %s ends in NOT READY 02/04/0A after %.1f s' %
           (what, took))
    else:
        fail('cluster away: %s ends in NOT READY 02/04/0A within %d s '
             '(status 0x%02x, sense %s/%s/%s after %.1f s)' %
             (what, secs, st, key, asc, ascq, took))


def notready(host, port, target, lun, secs):
    c = session(host, port, target, 4)
    ir.clear_ua(c, lun)
    print('# ready', flush=True)
    t0 = time.time()
    st, p, _ = ir.scsi_write(c, lun, 0, b'\x5a' * 4096)
    check_notready('WRITE', st, p, time.time() - t0, secs)


def loop(host, port, target, lun, secs):
    a = session(host, port, target, 5)
    b = session(host, port, target, 6)
    ir.clear_ua(a, lun)
    ir.clear_ua(b, lun)
    print('# ready', flush=True)
    data = b'\x5a' * 4096
    cdb = struct.pack('>BBQIBB', 0x8f, 0x02, 0, len(data) // BS, 0, 0)
    t0 = time.time()
    bhs, itt = a.cmd_bhs(cdb, lun, write=True, edtl=len(data))
    a.send(bhs, data)   # immediate data
    time.sleep(0.5)
    t1 = time.time()
    st, inq = ir.command(b, struct.pack('>BBBHB', 0x12, 0, 0, 96, 0), lun, 96)
    took = time.time() - t1
    if st == 0 and len(inq) >= 36 and took < 2:
        ok('cluster away: INQUIRY answered in %.2f s while a VERIFY waits '
           'on the cluster' % took)
    else:
        fail('cluster away: INQUIRY answered at once while a VERIFY waits '
             '(status 0x%02x after %.2f s)' % (st, took))
    st, p, _ = ir.write_finish(a, itt, data, len(data), lun)
    check_notready('VERIFY', st, p, time.time() - t0, secs)
    cmdsn = a.sess.cmdsn
    bhs, itt = a.cmd_bhs(cdb, lun, write=True, edtl=len(data))
    a.send(bhs, data)
    time.sleep(0.5)
    t0 = time.time()
    resp = ir.Tests.tmf(None, a, 1, lun, rtt=itt, refcmdsn=cmdsn)
    took = time.time() - t0
    if resp == 0 and took <= secs:
        ok('cluster away: ABORT TASK of a running VERIFY completes after '
           '%.1f s' % took)
    else:
        fail('cluster away: ABORT TASK of a running VERIFY completes within '
             '%d s (response %s after %.1f s)' % (secs, resp, took))


def main():
    what = sys.argv[1]
    host, port, target, lun = (sys.argv[2], int(sys.argv[3]), sys.argv[4],
                               int(sys.argv[5]))
    if what == 'caw':
        caw(host, port, target, lun, int(sys.argv[6]))
    elif what == 'ua':
        ua(host, port, target, lun, sys.argv[6])
    elif what == 'notready':
        notready(host, port, target, lun, int(sys.argv[6]))
    elif what == 'loop':
        loop(host, port, target, lun, int(sys.argv[6]))
    else:
        sys.exit('usage: rbd_probe.py caw|ua|notready HOST PORT TARGET LUN '
                 'ARG')
    sys.exit(1 if FAILED else 0)


main()
