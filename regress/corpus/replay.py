#!/usr/bin/env python3
# Copyright (c) 2026 The tgt suite authors
# SPDX-License-Identifier: GPL-2.0-only
"""Replay the hostile corpus (cases.py) against a running portal.

    replay.py [-j JOBS] [-t TEST] [-k PATTERN] HOST PORT TARGET

TARGET must have LUN 0 (a disk).  Every case runs on its own TCP
connection, JOBS at a time.  Prints "ok TEST: CASE: ..." or
"FAIL TEST: CASE: ..." per case (regress/run-tests.sh counts those), with
what came back, and exits 1 if a case failed.  A few cases with more
than one connection (DYNAMIC: a stranger joining a session by its TSIH, a
second MC/S connection sending garbage, session reinstatement) run as
Python functions.  A half-open connection
(half a BHS, then silence) is opened first and must be closed by the
portal's login timeout before the end.
"""

import argparse
import concurrent.futures
import os
import socket
import struct
import sys
import threading
import time

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cases as C  # noqa: E402

SETTLE = 1.0            # quiet seconds that end a case's reading
PING_WAIT = 10.0
CASE_LIMIT = 60.0
LOGIN_TIMEOUT = 15      # tgt-portal's LOGIN_TIMEOUT


class Conn:
    def __init__(self, host, port):
        self.s = socket.create_connection((host, port), timeout=10)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b''
        self.pdus = []
        self.eof = False
        self.reset = False

    def fill(self, timeout):
        """Read what comes within timeout.  False when nothing did."""
        if self.eof:
            return False
        self.s.settimeout(timeout)
        try:
            d = self.s.recv(1 << 20)
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            self.eof = self.reset = True
            return True
        if not d:
            self.eof = True
            return True
        self.buf += d
        while len(self.buf) >= 48:
            ahs = self.buf[4] * 4
            dlen = int.from_bytes(self.buf[5:8], 'big')
            n = 48 + ahs + (dlen + 3) // 4 * 4
            if len(self.buf) < n:
                break
            self.pdus.append((self.buf[:48], self.buf[48 + ahs:48 + ahs +
                                                       dlen]))
            self.buf = self.buf[n:]
        return True

    def settle(self, quiet=SETTLE, limit=CASE_LIMIT):
        end = time.monotonic() + limit
        while not self.eof and time.monotonic() < end:
            if not self.fill(quiet):
                return

    def send(self, data):
        try:
            self.s.sendall(data)
            return True
        except (ConnectionResetError, BrokenPipeError, socket.timeout):
            return False

    def close(self):
        self.s.close()


ISID = [0]
ISID_LOCK = threading.Lock()


def new_isid():
    with ISID_LOCK:
        ISID[0] += 1
        return ISID[0]


def login(conn, kind, target, pdu=None):
    """Log in; the response's BHS is left in conn.login_rsp."""
    if pdu is None:
        pdu = C.preset_login(kind, target, new_isid())
    if not conn.send(pdu):
        return 'login: send failed'
    end = time.monotonic() + 10
    while time.monotonic() < end and not conn.pdus and not conn.eof:
        conn.fill(0.5)
    if not conn.pdus:
        return 'login: no response'
    bhs, _ = conn.pdus.pop(0)
    conn.login_rsp = bhs
    if bhs[0] & 0x3f != C.OP_LOGIN_RSP or bhs[36:38] != b'\0\0' or \
            not bhs[1] & 0x80 or bhs[1] & 3 != 3:
        return 'login: failed (opcode 0x%02x status 0x%02x%02x flags ' \
            '0x%02x)' % (bhs[0], bhs[36], bhs[37], bhs[1])
    return None


def describe(bhs, data):
    op = bhs[0] & 0x3f
    itt = struct.unpack('>I', bhs[16:20])[0]
    if op == C.OP_REJECT:
        return 'Reject 0x%02x' % bhs[2]
    if op == C.OP_LOGIN_RSP:
        return 'Login status 0x%02x%02x' % (bhs[36], bhs[37])
    if op == C.OP_SCSI_RSP:
        s = 'SCSI itt %u status 0x%02x' % (itt, bhs[3])
        if len(data) >= 5:
            s += ' key 0x%x' % (data[4] & 0x0f)
        return s
    if op == C.OP_TMF_RSP:
        return 'TMF itt %u response %u' % (itt, bhs[2])
    return 'op 0x%02x itt 0x%x' % (op, itt)


def summary(conn):
    seen = {}
    order = []
    for bhs, data in conn.pdus:
        d = describe(bhs, data)
        if d not in seen:
            order.append(d)
            seen[d] = 0
        seen[d] += 1
    parts = ['%s x%d' % (d, seen[d]) if seen[d] > 1 else d for d in order]
    if conn.eof:
        parts.append('RST' if conn.reset else 'EOF')
    s = ', '.join(parts[:8])
    if len(parts) > 8:
        s += ', ...'
    return s or 'nothing'


def check(conn, exp):
    """Expectations other than 'alive'.  None if met, else why not."""
    kind = exp[0]
    pdus = conn.pdus

    def op(b):
        return b[0] & 0x3f

    def itt(b):
        return struct.unpack('>I', b[16:20])[0]

    if kind == 'any':
        return None
    if kind == 'eof':
        return None if conn.eof else 'the connection stays open'
    if kind == 'reject':
        for b, _ in pdus:
            if op(b) == C.OP_REJECT and b[2] in exp[1]:
                return None
        return 'no Reject with reason %s' % '/'.join(
            '0x%02x' % r for r in sorted(exp[1]))
    if kind == 'login':
        for b, _ in pdus:
            if op(b) == C.OP_LOGIN_RSP and (b[36], b[37]) != (0, 0):
                if (b[36], b[37]) == exp[1:3]:
                    return None
                return 'login status 0x%02x%02x, want 0x%02x%02x' % (
                    b[36], b[37], exp[1], exp[2])
        return 'no failed Login Response (want 0x%02x%02x)' % exp[1:3]
    if kind == 'scsi':
        for b, d in pdus:
            if op(b) == C.OP_SCSI_RSP and itt(b) == exp[1]:
                if exp[2] is not None and b[3] != exp[2]:
                    return 'itt %u: status 0x%02x, want 0x%02x' % (
                        exp[1], b[3], exp[2])
                if exp[3] is not None and (len(d) < 5 or
                                           d[4] & 0x0f != exp[3]):
                    return 'itt %u: sense key is not 0x%x' % (exp[1],
                                                             exp[3])
                return None
        return 'no SCSI Response for itt %u' % exp[1]
    if kind == 'none':
        for b, _ in pdus:
            if op(b) != C.OP_REJECT and itt(b) == exp[1]:
                return 'itt %u was answered' % exp[1]
        return None
    if kind == 'count':
        n = sum(1 for b, _ in pdus if op(b) == exp[1])
        return None if n >= exp[2] else 'only %d PDUs of opcode 0x%02x, ' \
            'want %d' % (n, exp[1], exp[2])
    if kind == 'nop':
        for b, d in pdus:
            if op(b) == C.OP_NOP_IN and itt(b) == exp[1]:
                return None if len(d) == exp[2] else \
                    'NOP-In with %d bytes, want %d' % (len(d), exp[2])
        return 'no NOP-In for itt %u' % exp[1]
    if kind == 'r2t':
        for b, _ in pdus:
            if op(b) == C.OP_R2T and itt(b) == exp[1]:
                return None
        return 'no R2T for itt %u' % exp[1]
    if kind == 'tmf':
        for b, _ in pdus:
            if op(b) == C.OP_TMF_RSP and itt(b) == exp[1]:
                return None if b[2] == exp[2] else \
                    'TMF response %u, want %u' % (b[2], exp[2])
        return 'no TMF Response for itt %u' % exp[1]
    return 'unknown expectation %r' % (exp,)


def run_case(case, host, port, target):
    """Returns (ok, detail)."""
    try:
        conn = Conn(host, port)
    except OSError as e:
        return False, 'connect: %s' % e
    try:
        if case.login != 'none':
            why = login(conn, case.login, target)
            if why:
                return False, why
            conn.pdus = []
        # Send in a thread: the portal answers while we still write.
        sender_ok = [True]

        def sender():
            for ch in case.chunks():
                if not conn.send(ch):
                    sender_ok[0] = False
                    return
            if case.close == 'half':
                try:
                    conn.s.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

        th = threading.Thread(target=sender, daemon=True)
        th.start()
        end = time.monotonic() + CASE_LIMIT
        while th.is_alive() and time.monotonic() < end and not conn.eof:
            conn.fill(0.2)
        th.join(max(0, end - time.monotonic()))
        conn.settle()
        problems = []
        for exp in case.expect:
            if exp[0] == 'alive':
                continue
            why = check(conn, exp)
            if why:
                problems.append(why)
        if ('alive',) in case.expect:
            if conn.eof:
                problems.append('connection closed, want it alive')
            else:
                conn.send(C.nop(C.PING_ITT))
                end = time.monotonic() + PING_WAIT
                while time.monotonic() < end and not conn.eof:
                    if any(b[0] & 0x3f == C.OP_NOP_IN and
                           struct.unpack('>I', b[16:20])[0] == C.PING_ITT
                           for b, _ in conn.pdus):
                        break
                    conn.fill(0.2)
                else:
                    problems.append('no answer to a NOP-Out ping')
        detail = summary(conn)
        if problems:
            return False, '%s (got: %s)' % ('; '.join(problems), detail)
        return True, 'got: %s' % detail
    finally:
        conn.close()


# Cases that need more than one connection (sessions, MC/S).
MCS_KEYS = C.NORMAL_KEYS + ('MaxConnections=4', 'ErrorRecoveryLevel=2')


def mcs_login(host, port, target):
    """A normal session that allows more connections: (conn, isid, tsih)
    or (None, why, None)."""
    conn = Conn(host, port)
    isid = b'\x80\0\0' + struct.pack('>I', new_isid())[1:]
    kv = C.with_target(MCS_KEYS, target)
    why = login(conn, 'normal', target, C.login_pdu(C.OP_TO_FULL, kv,
                                                      isid=isid))
    if why:
        conn.close()
        return None, why, None
    conn.pdus = []
    return conn, isid, struct.unpack('>H', conn.login_rsp[14:16])[0]


def ping(conn, itt=C.PING_ITT):
    conn.pdus = []
    if conn.eof or not conn.send(C.nop(itt)):
        return False
    end = time.monotonic() + PING_WAIT
    while time.monotonic() < end and not conn.eof:
        if any(b[0] & 0x3f == C.OP_NOP_IN and
               struct.unpack('>I', b[16:20])[0] == itt for b, _ in conn.pdus):
            return True
        conn.fill(0.2)
    return False


def dyn_join_stranger(host, port, target):
    a, isid, tsih = mcs_login(host, port, target)
    if a is None:
        return False, isid
    b = Conn(host, port)
    try:
        b.send(C.login_pdu(C.OP_TO_FULL, ['InitiatorName=iqn.2026-11.org.'
                                          'example:stranger',
                                          'TargetName=' + target,
                                          'SessionType=Normal'],
                           isid=isid, tsih=tsih, cid=1))
        b.settle()
        st = [(h[36], h[37]) for h, _ in b.pdus
              if h[0] & 0x3f == C.OP_LOGIN_RSP]
        if not st or st[0][0] != 2:
            return False, 'a stranger joined tsih %u (got: %s)' % (
                tsih, summary(b))
        if not ping(a):
            return False, 'the session lost its connection (got: %s)' % \
                summary(a)
        return True, 'stranger got %s; the session is unaffected' % \
            summary(b)
    finally:
        a.close()
        b.close()


def dyn_join_garbage(host, port, target):
    a, isid, tsih = mcs_login(host, port, target)
    if a is None:
        return False, isid
    b = Conn(host, port)
    try:
        kv = ['InitiatorName=' + C.INITIATOR, 'TargetName=' + target,
              'SessionType=Normal']
        why = login(b, 'normal', target, C.login_pdu(
            C.OP_TO_FULL, kv, isid=isid, tsih=tsih, cid=1))
        if why:
            return False, 'second connection: ' + why
        b.pdus = []
        b.send(C.nop(9, dlen=0xffffff))
        b.settle()
        rej = [h[2] for h, _ in b.pdus if h[0] & 0x3f == C.OP_REJECT]
        if C.REJ_PROTOCOL not in rej or not b.eof:
            return False, 'second connection: want Reject 0x04 and a ' \
                'drop (got: %s)' % summary(b)
        if not ping(a):
            return False, 'the first connection died with the second ' \
                '(got: %s)' % summary(a)
        return True, 'second connection got %s; the first is alive' % \
            summary(b)
    finally:
        a.close()
        b.close()


def dyn_reinstate(host, port, target):
    a, isid, tsih = mcs_login(host, port, target)
    if a is None:
        return False, isid
    c = Conn(host, port)
    try:
        kv = C.with_target(C.NORMAL_KEYS, target)
        why = login(c, 'normal', target, C.login_pdu(C.OP_TO_FULL, kv,
                                                       isid=isid))
        if why:
            return False, 'reinstating login: ' + why
        a.settle(quiet=2.0, limit=10.0)
        if not a.eof:
            return False, 'the old session\'s connection stays open'
        if not ping(c):
            return False, 'the new session does not answer'
        return True, 'old connection closed, new session tsih %u ' \
            'answers' % struct.unpack('>H', c.login_rsp[14:16])[0]
    finally:
        a.close()
        c.close()


DYNAMIC = (
    ('mcs-join-stranger', 'another initiator joins a session by its TSIH: '
     'login fails, the session is unaffected', dyn_join_stranger),
    ('mcs-join-garbage', 'a second connection (MC/S) sends header garbage: '
     'it is dropped, the first carries on', dyn_join_garbage),
    ('reinstate', 'a login with the ISID of a live session reinstates it '
     '(RFC 7143 6.3.5): the old connection is closed', dyn_reinstate),
)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('-j', type=int, default=6)
    ap.add_argument('-t', default='80-hostile')
    ap.add_argument('-k', default='')
    ap.add_argument('host')
    ap.add_argument('port', type=int)
    ap.add_argument('target')
    a = ap.parse_args()

    t0 = time.monotonic()
    # Half-open: half a BHS, then nothing, for the whole replay.
    idle = Conn(a.host, a.port)
    idle.send(C.login_pdu(C.OP_TO_FULL, C.NORMAL_KEYS)[:30])

    todo = [c for c in C.cases(a.target) if a.k in c.name]
    for name, what, fn in DYNAMIC:
        if a.k in name:
            c = C.Case(name, what, 'dynamic', b'', [], fuzz_seed=False)
            c.run = fn
            todo.append(c)
    nfail = 0
    with concurrent.futures.ThreadPoolExecutor(a.j) as ex:
        futs = {}
        for c in todo:
            if c.login == 'dynamic':
                f = ex.submit(c.run, a.host, a.port, a.target)
            else:
                f = ex.submit(run_case, c, a.host, a.port, a.target)
            futs[f] = c
        results = {}
        for f in concurrent.futures.as_completed(futs):
            c = futs[f]
            try:
                results[c.name] = f.result()
            except Exception as e:   # a bug here is a failure too
                results[c.name] = (False, 'replay error: %r' % e)
    for c in todo:
        ok, detail = results[c.name]
        if ok:
            print('ok %s: %s: %s; %s' % (a.t, c.name, c.what, detail))
        else:
            nfail += 1
            print('FAIL %s: %s: %s: %s' % (a.t, c.name, c.what, detail))

    left = LOGIN_TIMEOUT + 3 - (time.monotonic() - t0)
    if left > 0:
        time.sleep(left)
    idle.settle(quiet=1.0, limit=5.0)
    if idle.eof:
        print('ok %s: half-open: half a BHS and silence: closed by the '
              'login timeout' % a.t)
    else:
        nfail += 1
        print('FAIL %s: half-open: half a BHS and silence: still open '
              'after %ds' % (a.t, LOGIN_TIMEOUT + 3))
    idle.close()
    sys.exit(1 if nfail else 0)


if __name__ == '__main__':
    main()
