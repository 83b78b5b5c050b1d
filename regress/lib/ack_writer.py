#!/usr/bin/env python3
# Copyright (c) 2026 The tgt suite authors
# SPDX-License-Identifier: GPL-2.0-only
#
# Write load whose acknowledged writes can be checked afterwards
# (regress/integration/38-backends.sh):
#
#	ack_writer.py HOST PORT TARGET LUN BLOCKS DIR SECONDS
#
# Keeps 16 WRITE(10)s of 4 KiB (immediate data) in flight to LUN, block
# after block over the first BLOCKS 512-byte blocks, round after round,
# for SECONDS.  Every write that ends GOOD is appended to DIR/acked as
# "LBA ROUND" (flushed at once) before the next one is sent; anything
# else (CHECK CONDITION while the LUN process restarts, a dropped
# connection) is retried after a new login.  The data of a write is
# pattern(LBA, ROUND), so the backing file can be checked afterwards:
# the last acknowledged round of every block must be what it holds.
# Prints "# ready" after the first acknowledged write, then "# acked N
# failed M" at the end.
#
#	ack_writer.py verify IMAGE DIR
#
# checks a copy of the LUN's store (IMAGE) against DIR/acked: every
# block holds the last acknowledged round of its LBA or a newer one, never
# an older one.  Prints up to 5 losses and "N blocks checked, M lost";
# exits 1 if any was lost.

import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import iscsi_raw as raw  # noqa: E402

XFER = 8		# blocks per write (4 KiB)
DEPTH = 16


def pattern(lba, rnd):
    head = struct.pack('>II', lba, rnd)
    return (head * (XFER * 512 // len(head)))


def connect(host, port, target):
    s = raw.Session('iqn.2026-11.org.example:ack-writer', target)
    c = raw.Conn(host, port, s, timeout=10)
    c.login()
    return c


def verify(img, d):
    last = {}
    for line in open(os.path.join(d, 'acked')):
        lba, rnd = map(int, line.split())
        last[lba] = max(rnd, last.get(lba, -1))
    bad = 0
    with open(img, 'rb') as f:
        for lba, rnd in sorted(last.items()):
            f.seek(lba * 512)
            data = f.read(XFER * 512)
            got_lba, got_rnd = struct.unpack('>II', data[:8])
            # a newer round may have landed unacknowledged: never an
            # older one
            if got_lba != lba or got_rnd < rnd or \
                    data != pattern(got_lba, got_rnd):
                bad += 1
                if bad <= 5:
                    print('LBA %d: acked round %d, file has lba %d round %d'
                          % (lba, rnd, got_lba, got_rnd))
    print('%d blocks checked, %d lost' % (len(last), bad))
    return 1 if bad else 0


def main():
    if sys.argv[1] == 'verify':
        return verify(sys.argv[2], sys.argv[3])
    host, port, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    lun, blocks, d = int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    end = time.time() + float(sys.argv[7])
    acked = open(os.path.join(d, 'acked'), 'a')
    nack = nfail = 0
    lba = rnd = 0
    ready = False
    while time.time() < end:
        try:
            c = connect(host, port, target)
        except (OSError, EOFError, raw.ProtocolError):
            nfail += 1
            time.sleep(0.2)
            continue
        inflight = {}
        try:
            while time.time() < end or inflight:
                while len(inflight) < DEPTH and time.time() < end:
                    b, itt = c.cmd_bhs(raw.cdb_rw(0x2a, lba, XFER), lun,
                                       write=True, edtl=XFER * 512)
                    c.send(b, pattern(lba, rnd))
                    inflight[itt] = (lba, rnd)
                    lba += XFER
                    if lba + XFER > blocks:
                        lba = 0
                        rnd += 1
                p = c.recv_skip_nop()
                if p.op != raw.OP_SCSI_RSP or p.itt not in inflight:
                    continue
                wl, wr = inflight.pop(p.itt)
                if p.bhs[3] == 0 and p.bhs[2] == 0:
                    acked.write('%d %d\n' % (wl, wr))
                    acked.flush()
                    nack += 1
                    if not ready:
                        print('# ready', flush=True)
                        ready = True
                else:
                    nfail += 1
        except (OSError, EOFError, raw.ProtocolError):
            nfail += 1
        c.close()
    acked.close()
    print('# acked %d failed %d' % (nack, nfail), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
