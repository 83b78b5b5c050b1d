#!/usr/bin/env python3
# Copyright (c) 2026 The tgt suite authors
# SPDX-License-Identifier: GPL-2.0-only
#
# COMPARE AND WRITE raced from two sessions (regress/integration/39-glfs.sh):
#
#	caw_race.py HOST PORT TARGET LUN ROUNDS
#
# Block 0 of LUN holds a counter.  Two sessions (two threads, each its
# own connection) each read the counter and COMPARE AND WRITE it from the
# value read to that value plus one, ROUNDS times.  Atomic COMPARE AND
# WRITE lets exactly one of two racing increments of one value through;
# the other ends in MISCOMPARE and reads again.  At the end the counter
# must equal the number of increments that ended GOOD, and every
# non-GOOD one must be a MISCOMPARE (sense key 0Eh).  Prints
# "ok: ..." or "FAIL: ..." lines and exits 0 only if all held.

import os
import struct
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import iscsi_raw as raw  # noqa: E402

BS = 512


def block(value):
    return struct.pack('>Q', value) * (BS // 8)


def caw(c, lun, old, new):
    cdb = struct.pack('>BBQBBBBBB', 0x89, 0, 0, 0, 0, 0, 1, 0, 0)
    _, p, _ = raw.data_out_command(c, cdb, lun, block(old) + block(new))
    sense = p.data[2:] if len(p.data) >= 2 else b''
    return p.bhs[3], sense


def read_counter(c, lun):
    data, status, _, _ = raw.scsi_read(c, lun, 0, 1)
    if status != 0 or len(data) < 8:
        raise raw.ProtocolError('READ status %d' % status)
    return struct.unpack('>Q', data[:8])[0]


def session(host, port, target, lun, rounds, name, res):
    s = raw.Session('iqn.2026-11.org.example:caw-' + name, target)
    c = raw.Conn(host, port, s, timeout=20)
    c.login()
    raw.clear_ua(c, lun)
    good = mis = other = 0
    try:
        for _ in range(rounds):
            v = read_counter(c, lun)
            status, sense = caw(c, lun, v, v + 1)
            if status == 0:
                good += 1
            elif status == 2 and len(sense) > 2 and \
                    (sense[2] & 0x0f) == 0x0e:
                mis += 1
            else:
                other += 1
    finally:
        c.close()
    res[name] = (good, mis, other)


def main():
    host, port, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    lun, rounds = int(sys.argv[4]), int(sys.argv[5])
    s = raw.Session('iqn.2026-11.org.example:caw-init', target)
    c = raw.Conn(host, port, s, timeout=20)
    c.login()
    raw.clear_ua(c, lun)
    raw.scsi_write(c, lun, 0, block(0))
    res = {}
    th = [threading.Thread(target=session, args=(host, port, target, lun,
                                                 rounds, n, res))
          for n in ('a', 'b')]
    for t in th:
        t.start()
    for t in th:
        t.join()
    final = read_counter(c, lun)
    c.close()
    bad = 0
    if len(res) != 2:
        print('FAIL: a session ended early: %r' % res)
        return 1
    good = res['a'][0] + res['b'][0]
    mis = res['a'][1] + res['b'][1]
    other = res['a'][2] + res['b'][2]
    if final == good:
        print('ok: counter %d == increments acknowledged (%d + %d)'
              % (final, res['a'][0], res['b'][0]))
    else:
        print('FAIL: counter %d != increments acknowledged %d'
              % (final, good))
        bad += 1
    if other == 0:
        print('ok: every refused increment was a MISCOMPARE (%d)' % mis)
    else:
        print('FAIL: %d increments ended neither GOOD nor MISCOMPARE'
              % other)
        bad += 1
    if mis > 0:
        print('ok: the sessions raced (%d miscompares)' % mis)
    else:
        print('# no miscompare: the sessions never raced this time')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
