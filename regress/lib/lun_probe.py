#!/usr/bin/env python3
# Copyright (c) 2026 The tgt suite authors
# SPDX-License-Identifier: GPL-2.0-only
#
# The initiator's view of a reload that changes a target's LUNs, byte by
# byte (regress/integration/74-reload-luns.sh):
#
#	lun_probe.py luns HOST PORT TARGET DIR
#
# Two sessions (two I_T nexuses) log in to TARGET, clear the unit
# attentions of LUNs 1 and 2, print "# ready" and wait for DIR/stopped
# (the shell stopped LUN 2's process with SIGSTOP).  Nexus A sends a
# READ to LUN 2, which stays in the ring, prints "# sent" and waits for
# DIR/reloaded (LUN 2 removed, LUN 3 added).  A new command to LUN 2
# gets LOGICAL UNIT NOT SUPPORTED (05/25/00) at once; "# checked", and
# after DIR/continued (SIGCONT) the READ in flight completes GOOD with
# its data.  Then each nexus gets REPORTED LUNS DATA HAS CHANGED
# (06/3F/0E) once on LUN 1 (INQUIRY does not take it) and REPORT LUNS
# lists 1 and 3.
#
#	lun_probe.py race HOST PORT TARGET
#
# TARGET was just added by a reload: log in as soon as the portal lets
# us (a login refused as "not found" or "service unavailable" is tried
# again), and its LUN 1 must be there at once (REPORT LUNS lists it, TEST
# UNIT READY does not get 05/25/00).
#
#	lun_probe.py poweron HOST PORT TARGET DIR
#
# A session logs in to TARGET (LUNs 1 and 2): a new login gets no unit
# attention.  "# ready", then it waits for DIR/restarted, which holds
# the number of the LUN whose process the shell killed and the master
# restarted: that LUN reports POWER ON (06/29/00) once to the session,
# the other LUN nothing, and a session that logs in afterwards nothing.
# Output: ok/FAIL lines.

import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import iscsi_raw as raw  # noqa: E402

nfail = 0


def check(cond, what, detail=None):
    global nfail
    if cond:
        print('ok lun-probe: %s' % what, flush=True)
    else:
        nfail += 1
        print('FAIL lun-probe: %s' % what, flush=True)
        if detail is not None:
            print('    %r' % (detail,), flush=True)


def command(c, cdb, lun, alloc=0):
    """raw.command, passing over the Async Messages a reload may send."""
    return raw.command(c, cdb, lun, alloc, skip_async=True)


def sense_of(st, sense):
    if st != 2 or len(sense) < 14:
        return (st, None, None, None)
    return (st, sense[2] & 0x0f, sense[12], sense[13])


TUR = bytes(6)
INQ = bytes([0x12, 0, 0, 0, 96, 0])


def report_luns(c):
    cdb = bytes([0xa0, 0, 0, 0, 0, 0]) + struct.pack('>I', 1024) + \
        bytes(2)
    st, d = command(c, cdb, 0, 1024)
    if st != 0 or len(d) < 8:
        return None
    n = struct.unpack_from('>I', d, 0)[0] // 8
    luns = []
    for i in range(min(n, (len(d) - 8) // 8)):
        f = struct.unpack_from('>H', d, 8 + 8 * i)[0]
        luns.append(f & 0x3fff)
    return sorted(luns)


def idle(conns, flag, limit):
    deadline = time.time() + limit
    while not os.path.exists(flag) and time.time() < deadline:
        for c in conns:
            c.sock.settimeout(0.1)
            try:
                p = c.recv()
                if p.op == raw.OP_NOP_IN and p.ttt != 0xffffffff:
                    c.nop_reply(p)
                elif p.op != raw.OP_NOP_IN:
                    c.held.append(p)
            except (socket.timeout, BlockingIOError):
                pass
            c.sock.settimeout(20)
    return os.path.exists(flag)


def collect(c, itt):
    """The Data-In and response of a command sent before: (status,
    data, sense), PDUs that came in while idle first."""
    data = b''
    while True:
        p = c.held.pop(0) if c.held else c.recv_skip_nop()
        if p.op == raw.OP_DATA_IN and p.itt == itt:
            data += p.data
            if p.flags & 0x01:
                return p.bhs[3], data, b''
        elif p.op == raw.OP_SCSI_RSP and p.itt == itt:
            return p.bhs[3], data, p.data[2:] if len(p.data) >= 2 \
                else b''
        elif p.op != raw.OP_ASYNC:
            raise raw.ProtocolError('unexpected PDU %r' % p)


def luns(host, port, target, d):
    conns = []
    for ini in ('iqn.2026-11.org.example:probe-a',
                'iqn.2026-11.org.example:probe-b'):
        c = raw.Conn(host, port, raw.Session(ini, target))
        c.login()
        c.held = []
        raw.clear_ua(c, 1, 2)
        conns.append(c)
    a, b = conns
    check(command(a, TUR, 2)[0] == 0, 'before: LUN 2 is GOOD')
    st, pattern = command(a, raw.cdb_rw(0x28, 0, 8), 2, 4096)
    check(st == 0 and len(pattern) == 4096, 'before: READ on LUN 2',
          (st, len(pattern)))
    print('# ready', flush=True)
    check(idle(conns, os.path.join(d, 'stopped'), 30),
          'the shell stopped LUN 2\'s process')
    bhs, itt = a.cmd_bhs(raw.cdb_rw(0x28, 0, 8), 2, read=True, edtl=4096)
    a.send(bhs)
    print('# sent', flush=True)
    check(idle(conns, os.path.join(d, 'reloaded'), 30),
          'the shell reloaded')
    r = sense_of(*command(b, TUR, 2))
    check(r == (2, 5, 0x25, 0x00), 'a new command to the removed LUN 2 '
          'gets LOGICAL UNIT NOT SUPPORTED (05/25/00) at once', r)
    print('# checked', flush=True)
    check(idle(conns, os.path.join(d, 'continued'), 30),
          'the shell let LUN 2\'s process go on')
    a.sock.settimeout(10)
    try:
        st, data, sense = collect(a, itt)
    except (socket.timeout, EOFError, ConnectionError,
            raw.ProtocolError) as e:
        st, data, sense = e, b'', b''
    a.sock.settimeout(20)
    check(st == 0 and data == pattern, 'the READ in flight on the '
          'removed LUN 2 completes GOOD with its data',
          (st, len(data), sense.hex() if sense else None))

    r = sense_of(*command(a, TUR, 1))
    check(r == (2, 6, 0x3f, 0x0e), 'nexus A: TEST UNIT READY on LUN 1 '
          'gets REPORTED LUNS DATA HAS CHANGED (06/3F/0E)', r)
    check(command(a, TUR, 1)[0] == 0,
          'nexus A: reported once, the next one is GOOD')
    st, d = command(b, INQ, 1, 96)
    check(st == 0, 'nexus B: INQUIRY on LUN 1 is GOOD (no UA)', st)
    r = sense_of(*command(b, TUR, 1))
    check(r == (2, 6, 0x3f, 0x0e), 'nexus B: TEST UNIT READY on LUN 1 '
          'gets 06/3F/0E too, after the INQUIRY', r)
    check(command(b, TUR, 1)[0] == 0, 'nexus B: then GOOD')

    deadline = time.time() + 15
    while True:
        ls = report_luns(a)
        if ls == [1, 3] or time.time() > deadline:
            break
        time.sleep(0.2)
    check(ls == [1, 3], 'REPORT LUNS lists LUNs 1 and 3', ls)
    r = sense_of(*command(a, TUR, 3))
    check(r[0] == 0 or r == (2, 6, 0x29, 0x00),
          'the added LUN 3 answers (GOOD or power on UA)', r)
    raw.clear_ua(a, 3)
    check(command(a, TUR, 3)[0] == 0, 'the added LUN 3 is GOOD')
    for c in conns:
        c.logout()
        c.close()


def race(host, port, target):
    deadline = time.time() + 20
    tries = 0
    refused = set()
    c = None
    while time.time() < deadline:
        tries += 1
        c = raw.Conn(host, port,
                     raw.Session('iqn.2026-11.org.example:race', target))
        st = c.login_status()
        if st == (0, 0):
            break
        refused.add(st)
        c.close()
        c = None
        if st not in ((2, 3), (3, 1)):
            break
        time.sleep(0.02)
    check(c is not None, 'login to the added target (after %d tries, '
          'refused with %r)' % (tries, sorted(refused)), sorted(refused))
    if c is None:
        return
    ls = report_luns(c)
    check(ls == [1], 'the first REPORT LUNS lists LUN 1', ls)
    r = sense_of(*command(c, TUR, 1))
    check(r[0] == 0 or r == (2, 6, 0x29, 0x00),
          'the first TEST UNIT READY on LUN 1 is not LOGICAL UNIT NOT '
          'SUPPORTED', r)
    c.logout()
    c.close()


def poweron(host, port, target, d):
    a = raw.Conn(host, port,
                 raw.Session('iqn.2026-11.org.example:poweron-a', target))
    a.login()
    a.held = []
    for lun in (1, 2):
        r = sense_of(*command(a, TUR, lun))
        check(r[0] == 0, 'a new login: the first TEST UNIT READY on LUN '
              '%d is GOOD (no unit attention)' % lun, r)
    print('# ready', flush=True)
    flag = os.path.join(d, 'restarted')
    check(idle([a], flag, 60), 'the shell restarted a LUN\'s process')
    try:
        with open(flag) as f:
            killed = int(f.read().strip())
    except (OSError, ValueError):
        killed = None
    check(killed in (1, 2), 'the shell names the LUN it restarted', killed)
    if killed not in (1, 2):
        return
    other = 3 - killed
    r = sense_of(*command(a, TUR, killed))
    check(r == (2, 6, 0x29, 0x00), 'the session from before: LUN %d, whose '
          'process restarted, reports POWER ON (06/29/00)' % killed, r)
    check(command(a, TUR, killed)[0] == 0, 'once: the next one is GOOD')
    check(command(a, TUR, other)[0] == 0, 'LUN %d, which did not restart, '
          'is GOOD' % other)
    b = raw.Conn(host, port,
                 raw.Session('iqn.2026-11.org.example:poweron-b', target))
    b.login()
    r = sense_of(*command(b, TUR, killed))
    check(r[0] == 0, 'a login after the restart: LUN %d is GOOD at once'
          % killed, r)
    for c in (a, b):
        c.logout()
        c.close()


def main():
    mode = sys.argv[1]
    host, port, target = sys.argv[2], int(sys.argv[3]), sys.argv[4]
    if mode == 'luns':
        luns(host, port, target, sys.argv[5])
    elif mode == 'poweron':
        poweron(host, port, target, sys.argv[5])
    else:
        race(host, port, target)
    return 1 if nfail else 0


if __name__ == '__main__':
    sys.exit(main())
