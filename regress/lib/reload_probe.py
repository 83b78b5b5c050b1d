#!/usr/bin/env python3
# Copyright (c) 2026 The tgt suite authors
# SPDX-License-Identifier: GPL-2.0-only
#
# The initiator's view of a reload, byte by byte (regress/integration/
# 71-reload-live.sh):
#
#	reload_probe.py HOST PORT KEPT_TARGET LUN GONE_TARGET OLD NEW FLAG
#
# It logs in to KEPT_TARGET (LUN, which is OLD bytes) and GONE_TARGET,
# clears the unit attentions, prints "# ready" and waits until the file
# FLAG exists (the shell reloads in between).  Then: the next TEST UNIT
# READY on LUN gets CHECK CONDITION, UNIT ATTENTION, CAPACITY DATA HAS
# CHANGED (06/2A/09), READ CAPACITY(16) says NEW bytes, and the session
# on GONE_TARGET gets an Async Message "target requests logout"
# (AsyncEvent 1) with Parameter3 5, and logs out.  Output: ok/FAIL lines.

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
        print('ok reload-probe: %s' % what, flush=True)
    else:
        nfail += 1
        print('FAIL reload-probe: %s' % what, flush=True)
        if detail is not None:
            print('    %r' % (detail,), flush=True)


command = raw.command


def main():
    host, port, kept, lun, gone, old, new, flag = sys.argv[1:9]
    port, lun, old, new = int(port), int(lun), int(old), int(new)
    ini = 'iqn.2026-11.org.example:probe'

    s1 = raw.Session(ini, kept)
    c1 = raw.Conn(host, port, s1)
    c1.login()
    raw.clear_ua(c1, lun)
    s2 = raw.Session(ini, gone)
    c2 = raw.Conn(host, port, s2)
    c2.login()
    raw.clear_ua(c2, 1)
    rc16 = bytes([0x9e, 0x10]) + bytes(8) + struct.pack('>I', 32) + \
        bytes(2)
    st, d = command(c1, rc16, lun, 32)
    check(st == 0 and len(d) >= 12 and
          (struct.unpack_from('>Q', d, 0)[0] + 1) *
          struct.unpack_from('>I', d, 8)[0] == old,
          'before: READ CAPACITY(16) says %d bytes' % old, d[:12])
    print('# ready', flush=True)

    deadline = time.time() + 60
    while not os.path.exists(flag) and time.time() < deadline:
        # keep the connections alive: answer NOP-Ins
        for c in (c1, c2):
            c.sock.settimeout(0.1)
            try:
                p = c.recv()
                if p.op == raw.OP_NOP_IN and p.ttt != 0xffffffff:
                    c.nop_reply(p)
                elif p.op == raw.OP_ASYNC:
                    c.pending = p
            except (socket.timeout, BlockingIOError):
                pass
            c.sock.settimeout(20)
    check(os.path.exists(flag), 'the shell reloaded')

    st, sense = command(c1, bytes(6), lun)
    key = sense[2] & 0x0f if len(sense) > 13 else None
    asc = (sense[12], sense[13]) if len(sense) > 13 else None
    check(st == 2 and key == 6 and asc == (0x2a, 0x09),
          'after: TEST UNIT READY gets UNIT ATTENTION, CAPACITY DATA HAS '
          'CHANGED (06/2A/09)', (st, sense.hex()))
    st, d = command(c1, rc16, lun, 32)
    size = (struct.unpack_from('>Q', d, 0)[0] + 1) * \
        struct.unpack_from('>I', d, 8)[0] if st == 0 and len(d) >= 12 \
        else None
    check(size == new, 'after: READ CAPACITY(16) on the same session '
          'says %d bytes' % new, size)
    check(command(c1, bytes(6), lun)[0] == 0,
          'after: the session carries on (TEST UNIT READY GOOD)')

    p = getattr(c2, 'pending', None)
    if p is None:
        try:
            p = c2.recv_skip_nop()
        except (socket.timeout, EOFError, ConnectionError) as e:
            p = e
    ok = isinstance(p, raw.PDU) and p.op == raw.OP_ASYNC
    check(ok, 'the removed target\'s session got an Async Message', p)
    if ok:
        check(p.flags == 0x80 and p.itt == 0xffffffff,
              'async: F bit, ITT 0xffffffff', p)
        check(p.bhs[36] == 1, 'async: AsyncEvent 1, target requests '
              'logout', p.bhs[36])
        check(struct.unpack_from('>H', p.bhs, 42)[0] == 5,
              'async: Parameter3 gives 5 s to log out',
              struct.unpack_from('>H', p.bhs, 42)[0])
        check(p.expcmdsn == s2.cmdsn, 'async: ExpCmdSN is current',
              (p.expcmdsn, s2.cmdsn))
        r = c2.logout()
        check(r.op == raw.OP_LOGOUT_RSP and r.bhs[2] == 0,
              'async: the logout is answered', r)
    c2.close()
    c1.logout()
    c1.close()
    return 1 if nfail else 0


if __name__ == '__main__':
    sys.exit(main())
