#!/usr/bin/env python3
# Helpers of regress/bench-scale, with the raw initiator of iscsi_raw.py.
#
#	scale.py wait HOST PORT TARGET FIRST LAST T0
#		log in (retrying until the portal listens), then TEST UNIT
#		READY every LUN FIRST..LAST until each answers (GOOD or a
#		unit attention, not LOGICAL UNIT NOT SUPPORTED); prints
#		"answered N LUNs at S s" with S the seconds since the epoch
#		time T0
#	scale.py sessions HOST PORT TARGET N [USER SECRET]
#		log in N sessions (with CHAP MD5 when USER and SECRET are
#		given) and keep them; prints the login rate, checks that
#		the first and the last still answer, logs them all out
import hashlib
import os
import resource
import socket
import sys
import time

sys.path.insert(0, __file__.rsplit('/', 1)[0])
import iscsi_raw as ir  # noqa: E402


def answers(c, lun):
    """TEST UNIT READY: 1 if the LUN answered (GOOD or CHECK CONDITION
    other than 05/25/00)."""
    st, sense = ir.command(c, bytes(6), lun, skip_async=True)
    if st == 0:
        return 1
    if st == 2 and len(sense) >= 14 and sense[2] & 0x0f == 5 and \
            sense[12] == 0x25:
        return 0
    return 1


def connect_retry(host, port, sess, until):
    while True:
        try:
            c = ir.Conn(host, port, sess, timeout=30)
            c.login()
            return c
        except (OSError, ir.ProtocolError, EOFError):
            if time.time() > until:
                raise
            time.sleep(0.02)


def t_wait(host, port, target, first, last, t0):
    s = ir.Session('iqn.2026-11.org.example:scale', target)
    c = connect_retry(host, port, s, time.time() + 120)
    pending = list(range(first, last + 1))
    while pending:
        pending = [lun for lun in pending if not answers(c, lun)]
        if pending:
            if time.time() - t0 > 600:
                print('%d LUNs never answered' % len(pending))
                return 1
            time.sleep(0.05)
    print('answered %d LUNs at %.3f s' % (last - first + 1, time.time() - t0))
    c.logout()
    c.close()
    return 0


def chap_login(c, user, secret):
    s = c.sess
    kv = [('InitiatorName', s.initiator), ('SessionType', 'Normal'),
          ('TargetName', s.target), ('AuthMethod', 'CHAP')]
    rsp = c._login_pdu(0, 1, False, kv)
    if rsp.bhs[36] != 0:
        raise ir.ProtocolError('login: 0x%02x%02x' % (rsp.bhs[36],
                                                      rsp.bhs[37]))
    rsp = c._login_pdu(0, 1, False, [('CHAP_A', '5')])
    got = dict(x.split('=', 1) for x in
               rsp.data.decode().split('\0') if '=' in x)
    ident = int(got['CHAP_I'])
    chal = bytes.fromhex(got['CHAP_C'][2:])
    r = hashlib.md5(bytes([ident]) + secret.encode() + chal).digest()
    rsp = c._login_pdu(0, 1, True, [('CHAP_N', user),
                                    ('CHAP_R', '0x' + r.hex())])
    if rsp.bhs[36] != 0:
        raise ir.ProtocolError('CHAP: 0x%02x%02x' % (rsp.bhs[36],
                                                     rsp.bhs[37]))
    s.tsih = int.from_bytes(rsp.bhs[14:16], 'big')
    op = [('HeaderDigest', 'None'), ('DataDigest', 'None'),
          ('MaxRecvDataSegmentLength', '65536')]
    rsp = c._login_pdu(1, 3, True, op)
    if rsp.bhs[36] != 0 or not rsp.flags & 0x80:
        raise ir.ProtocolError('operational stage: 0x%02x%02x' %
                               (rsp.bhs[36], rsp.bhs[37]))
    s.tsih = int.from_bytes(rsp.bhs[14:16], 'big')


def t_sessions(host, port, target, n, user=None, secret=None):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 1024),
                                                     hard))
    conns = []
    t = time.time()
    for i in range(n):
        s = ir.Session('iqn.2026-11.org.example:scale-%d' % (i % 64),
                       target)
        c = ir.Conn(host, port, s, timeout=30)
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                          b'\1\0\0\0\0\0\0\0')
        if user:
            chap_login(c, user, secret)
        else:
            c.login()
        conns.append(c)
    dt = time.time() - t
    print('%d sessions%s in %.2f s: %.0f logins/s' %
          (n, ' with CHAP' if user else '', dt, n / dt))
    ok = answers(conns[0], 1) and answers(conns[-1], 1)
    print('the first and the last session %s' %
          ('still answer' if ok else 'DO NOT ANSWER'))
    for c in conns:
        c.close()
    return 0 if ok else 1


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    a = sys.argv[2:]
    if sys.argv[1] == 'wait' and len(a) == 6:
        return t_wait(a[0], int(a[1]), a[2], int(a[3]), int(a[4]),
                      float(a[5]))
    if sys.argv[1] == 'sessions' and len(a) in (4, 6):
        return t_sessions(a[0], int(a[1]), a[2], int(a[3]), *a[4:])
    print('usage: see the head of %s' % sys.argv[0], file=sys.stderr)
    return 2


if __name__ == '__main__':
    os.environ.setdefault('PYTHONUNBUFFERED', '1')
    sys.exit(main())
