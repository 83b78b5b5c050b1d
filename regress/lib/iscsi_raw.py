#!/usr/bin/env python3
# Copyright (c) 2026 The tgt suite authors
# SPDX-License-Identifier: GPL-2.0-only
#
# A small raw iSCSI initiator for the integration tests: it does what
# libiscsi cannot (several connections per session, CmdSN out of order
# across them, data digests, corrupted digests, SNACK, connection and
# session reinstatement) and checks the target's answers byte by byte.
#
#	iscsi_raw.py HOST PORT TARGET TEST...
#
# Each TEST prints "ok NAME: what" or "FAIL NAME: what" lines (the
# protocol of regress/lib/common.sh) and the exit status is non-zero if
# anything failed.  Only the standard library is used.

import os
import select
import signal
import socket
import struct
import sys
import time

BHS = 48

OP_NOP_OUT, OP_SCSI_CMD, OP_TMF, OP_LOGIN, OP_TEXT = 0x00, 0x01, 0x02, 0x03, 0x04
OP_DATA_OUT, OP_LOGOUT, OP_SNACK = 0x05, 0x06, 0x10
OP_NOP_IN, OP_SCSI_RSP, OP_TMF_RSP, OP_LOGIN_RSP = 0x20, 0x21, 0x22, 0x23
OP_DATA_IN, OP_LOGOUT_RSP, OP_R2T, OP_ASYNC, OP_REJECT = 0x25, 0x26, 0x31, 0x32, 0x3f


def _crc_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


_CRC = _crc_table()


def crc32c(data):
    c = 0xffffffff
    for b in data:
        c = _CRC[(c ^ b) & 0xff] ^ (c >> 8)
    return c ^ 0xffffffff


def digest(data):
    return struct.pack('<I', crc32c(data))


def pad4(n):
    return (n + 3) & ~3


class ProtocolError(Exception):
    pass


class PDU:
    def __init__(self, bhs, data=b''):
        self.bhs = bytearray(bhs)
        self.data = bytes(data)

    @property
    def op(self):
        return self.bhs[0] & 0x3f

    @property
    def flags(self):
        return self.bhs[1]

    def u32(self, off):
        return struct.unpack_from('>I', self.bhs, off)[0]

    @property
    def itt(self):
        return self.u32(16)

    @property
    def ttt(self):
        return self.u32(20)

    @property
    def statsn(self):
        return self.u32(24)

    @property
    def expcmdsn(self):
        return self.u32(28)

    @property
    def maxcmdsn(self):
        return self.u32(32)

    def __repr__(self):
        return 'PDU(op=0x%02x itt=0x%08x dlen=%d)' % (self.op, self.itt,
                                                     len(self.data))


def bhs_new(op, flags=0x80, imm=False):
    b = bytearray(BHS)
    b[0] = op | (0x40 if imm else 0)
    b[1] = flags
    return b


def put32(b, off, v):
    struct.pack_into('>I', b, off, v & 0xffffffff)


def lun_field(lun):
    return struct.pack('>Q', (lun & 0x3fff) << 48 if lun < 256 else
                       (0x4000 | (lun & 0x3fff)) << 48)


class Session:
    """What the connections of one session share."""

    def __init__(self, initiator, target, isid=None):
        self.initiator = initiator
        self.target = target
        self.isid = isid or os.urandom(6)
        self.isid = bytes([0x80 | (self.isid[0] & 0x3f)]) + self.isid[1:]
        self.tsih = 0
        self.cmdsn = 1
        self.itt = 0x1000
        self.params = {}
        self.conns = []

    def next_itt(self):
        self.itt += 1
        return self.itt

    def next_cmdsn(self):
        v = self.cmdsn
        self.cmdsn = (self.cmdsn + 1) & 0xffffffff
        return v


class Conn:
    def __init__(self, host, port, sess, cid=0, timeout=10):
        self.sess = sess
        self.cid = cid
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.hd = False
        self.dd = False
        self.expstatsn = 0
        self.params = {}

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    # raw I/O
    def send(self, bhs, data=b'', bad_hd=False, bad_dd=False):
        bhs = bytearray(bhs)
        n = len(data)
        bhs[5:8] = n.to_bytes(3, 'big')
        out = bytes(bhs)
        if self.hd:
            d = bytearray(digest(bhs))
            if bad_hd:
                d[0] ^= 0xff
            out += bytes(d)
        if n:
            padded = data + b'\0' * (pad4(n) - n)
            out += padded
            if self.dd:
                d = bytearray(digest(padded))
                if bad_dd:
                    d[0] ^= 0xff
                out += bytes(d)
        self.sock.sendall(out)

    def recvn(self, n):
        buf = b''
        while len(buf) < n:
            r = self.sock.recv(n - len(buf))
            if not r:
                raise EOFError('connection closed')
            buf += r
        return buf

    def recv(self):
        bhs = self.recvn(BHS)
        ahs = self.recvn(bhs[4] * 4)
        if self.hd:
            d = self.recvn(4)
            if d != digest(bhs + ahs):
                raise ProtocolError('bad header digest from target')
        n = int.from_bytes(bhs[5:8], 'big')
        data = b''
        if n:
            padded = self.recvn(pad4(n))
            if self.dd:
                d = self.recvn(4)
                if d != digest(padded):
                    raise ProtocolError('bad data digest from target')
            data = padded[:n]
        p = PDU(bhs, data)
        if p.op in (OP_SCSI_RSP, OP_NOP_IN, OP_TMF_RSP, OP_LOGOUT_RSP,
                    OP_ASYNC, OP_REJECT, OP_TEXT) or \
                (p.op == OP_DATA_IN and p.flags & 0x01):
            if not (p.op == OP_NOP_IN and p.itt == 0xffffffff):
                self.expstatsn = (p.statsn + 1) & 0xffffffff
        return p

    def recv_skip_nop(self):
        while True:
            p = self.recv()
            if p.op == OP_NOP_IN and p.itt == 0xffffffff:
                if p.ttt != 0xffffffff:
                    self.nop_reply(p)
                continue
            return p

    def nop_reply(self, p):
        b = bhs_new(OP_NOP_OUT, imm=True)
        put32(b, 16, 0xffffffff)
        put32(b, 20, p.ttt)
        put32(b, 24, self.sess.cmdsn)
        put32(b, 28, self.expstatsn)
        self.send(b)

    # login
    def login(self, keys=None, digests=None):
        s = self.sess
        kv = [('InitiatorName', s.initiator)]
        if s.tsih == 0:
            kv += [('SessionType', 'Normal'), ('TargetName', s.target)]
        else:
            kv += [('TargetName', s.target)]
        kv += [('AuthMethod', 'None')]
        # security stage, then operational
        self._login_pdu(0, 1, True, kv)
        op = [('HeaderDigest', 'None'), ('DataDigest', 'None'),
              ('MaxRecvDataSegmentLength', '65536')]
        if digests:
            op = [('HeaderDigest', digests[0]), ('DataDigest', digests[1]),
                  ('MaxRecvDataSegmentLength', '65536')]
        if s.tsih == 0:
            op += [('ErrorRecoveryLevel', '1'), ('MaxConnections', '4'),
                   ('InitialR2T', 'Yes'), ('ImmediateData', 'Yes'),
                   ('MaxBurstLength', '262144'),
                   ('FirstBurstLength', '65536'),
                   ('MaxOutstandingR2T', '1')]
        if keys:
            d = dict(op)
            d.update(keys)
            op = list(d.items())
        rsp = self._login_pdu(1, 3, True, op)
        if rsp.bhs[36] != 0:
            raise ProtocolError('login failed: 0x%02x%02x' %
                                (rsp.bhs[36], rsp.bhs[37]))
        got = dict(x.split('=', 1) for x in
                   rsp.data.decode().split('\0') if '=' in x)
        self.params.update(got)
        if s.tsih == 0:
            s.params.update(got)
        s.tsih = struct.unpack_from('>H', rsp.bhs, 14)[0]
        if not rsp.flags & 0x80 or (rsp.flags & 3) != 3:
            raise ProtocolError('no transit to full feature phase')
        self.hd = self.params.get('HeaderDigest') == 'CRC32C'
        self.dd = self.params.get('DataDigest') == 'CRC32C'
        s.conns.append(self)
        return rsp

    def login_status(self, keys=None):
        """Try a login; return (class, detail)."""
        try:
            self.login(keys)
            return (0, 0)
        except ProtocolError:
            return (self.last_login.bhs[36], self.last_login.bhs[37])

    def _login_pdu(self, csg, nsg, transit, kv):
        s = self.sess
        b = bhs_new(OP_LOGIN, (0x80 if transit else 0) | csg << 2 | nsg,
                    imm=True)
        b[8:14] = s.isid
        struct.pack_into('>H', b, 14, s.tsih)
        self.login_itt = s.next_itt()
        put32(b, 16, self.login_itt)
        struct.pack_into('>H', b, 20, self.cid)
        put32(b, 24, s.cmdsn)
        put32(b, 28, self.expstatsn)
        data = b''.join(('%s=%s' % x).encode() + b'\0' for x in kv)
        self.send(b, data)
        rsp = self.recv()
        self.last_login = rsp
        if rsp.op != OP_LOGIN_RSP:
            raise ProtocolError('expected a login response, got %r' % rsp)
        self.expstatsn = (rsp.statsn + 1) & 0xffffffff
        if rsp.bhs[36] != 0:
            raise ProtocolError('login failed: 0x%02x%02x' %
                                (rsp.bhs[36], rsp.bhs[37]))
        return rsp

    # full feature phase
    def cmd_bhs(self, cdb, lun=0, read=False, write=False, edtl=0,
                itt=None, cmdsn=None, final=True, imm=False):
        s = self.sess
        b = bhs_new(OP_SCSI_CMD, (0x80 if final else 0) |
                    (0x40 if read else 0) | (0x20 if write else 0) | 1,
                    imm=imm)
        b[8:16] = lun_field(lun)
        itt = s.next_itt() if itt is None else itt
        put32(b, 16, itt)
        put32(b, 20, edtl)
        put32(b, 24, s.next_cmdsn() if cmdsn is None else cmdsn)
        put32(b, 28, self.expstatsn)
        b[32:32 + len(cdb)] = cdb
        return b, itt

    def data_out(self, itt, ttt, off, data, datasn, final, lun=0,
                 bad_dd=False):
        b = bhs_new(OP_DATA_OUT, 0x80 if final else 0)
        b[8:16] = lun_field(lun)
        put32(b, 16, itt)
        put32(b, 20, ttt)
        put32(b, 28, self.expstatsn)
        put32(b, 36, datasn)
        put32(b, 40, off)
        self.send(b, data, bad_dd=bad_dd)

    def logout(self, reason=0):
        s = self.sess
        b = bhs_new(OP_LOGOUT, 0x80 | reason, imm=True)
        put32(b, 16, s.next_itt())
        struct.pack_into('>H', b, 20, self.cid)
        put32(b, 24, s.cmdsn)
        put32(b, 28, self.expstatsn)
        self.send(b)
        p = self.recv_skip_nop()
        return p


def tur(c, lun):
    """TEST UNIT READY: its status (the first one after a login reports
    the unit attention of the new I_T nexus)."""
    b, itt = c.cmd_bhs(bytes(6), lun)
    c.send(b)
    p = c.recv_skip_nop()
    return p.bhs[3]


def command(c, cdb, lun, alloc=0, skip_async=False):
    """A command with optional Data-In: (status, sense or data)."""
    b, itt = c.cmd_bhs(cdb, lun, read=alloc > 0, edtl=alloc)
    c.send(b)
    data = b''
    while True:
        p = c.recv_skip_nop()
        if p.op == OP_DATA_IN:
            data += p.data
            if p.flags & 0x01:
                return p.bhs[3], data
            continue
        if p.op == OP_SCSI_RSP:
            sense = p.data[2:] if len(p.data) >= 2 else b''
            return p.bhs[3], sense if p.bhs[3] else data
        if p.op == OP_ASYNC and skip_async:
            continue
        raise ProtocolError('unexpected PDU %r' % p)


def clear_ua(c, *luns):
    for lun in luns:
        for _ in range(3):
            if tur(c, lun) == 0:
                break


def cdb_rw(opcode, lba, blocks):
    return struct.pack('>BBIBHB', opcode, 0, lba, 0, blocks, 0)


def read_collect(c, itt):
    """Data-In and response of a read: (data, status, sense, pdus)."""
    data = {}
    pdus = []
    while True:
        p = c.recv_skip_nop()
        pdus.append(p)
        if p.op == OP_DATA_IN and p.itt == itt:
            data[p.u32(40)] = p.data
            if p.flags & 0x01:
                return (b''.join(data[k] for k in sorted(data)),
                        p.bhs[3], b'', pdus)
        elif p.op == OP_SCSI_RSP and p.itt == itt:
            return (b''.join(data[k] for k in sorted(data)), p.bhs[3],
                    p.data, pdus)
        elif p.op == OP_REJECT:
            raise ProtocolError('reject reason 0x%02x' % p.bhs[2])
        else:
            raise ProtocolError('unexpected %r' % p)


def scsi_read(c, lun, lba, blocks, bs=512):
    b, itt = c.cmd_bhs(cdb_rw(0x28, lba, blocks), lun, read=True,
                       edtl=blocks * bs)
    c.send(b)
    return read_collect(c, itt)


def write_finish(c, itt, buf, first, lun=0, bad_dd_at=None):
    """Answer R2Ts until the response comes: (status, pdus)."""
    pdus = []
    mrdsl = min(32768, int(c.params.get('MaxRecvDataSegmentLength', 8192)))
    while True:
        p = c.recv_skip_nop()
        pdus.append(p)
        if p.op == OP_R2T and p.itt == itt:
            off, length = p.u32(40), p.u32(44)
            sn = 0
            pos = off
            while pos < off + length:
                n = min(mrdsl, off + length - pos)
                c.data_out(itt, p.ttt, pos, buf[pos:pos + n], sn,
                           pos + n == off + length, lun,
                           bad_dd=(bad_dd_at == pos))
                if bad_dd_at == pos:
                    bad_dd_at = None
                sn += 1
                pos += n
        elif p.op == OP_SCSI_RSP and p.itt == itt:
            return (p.bhs[3], p, pdus)
        elif p.op == OP_REJECT:
            continue
        else:
            raise ProtocolError('unexpected %r' % p)


def scsi_write(c, lun, lba, buf, bs=512, immediate=True, bad_dd_at=None):
    blocks = len(buf) // bs
    return data_out_command(c, cdb_rw(0x2a, lba, blocks), lun, buf,
                            immediate, bad_dd_at)


def data_out_command(c, cdb, lun, buf, immediate=True, bad_dd_at=None):
    """A command with Data-Out (immediate, then R2Ts): (status, response,
    pdus)."""
    b, itt = c.cmd_bhs(cdb, lun, write=True, edtl=len(buf))
    first = 0
    if immediate and c.sess.params.get('ImmediateData') == 'Yes':
        first = min(len(buf), int(c.sess.params.get('FirstBurstLength',
                                                     65536)),
                    int(c.params.get('MaxRecvDataSegmentLength', 8192)))
    c.send(b, buf[:first])
    if first == len(buf):
        p = c.recv_skip_nop()
        return (p.bhs[3], p, [p])
    return write_finish(c, itt, buf, first, lun, bad_dd_at)


class Tests:
    def __init__(self, host, port, target):
        self.host = host
        self.port = port
        self.target = target
        self.nfail = 0
        self.name = 'raw'

    def ok(self, what):
        print('ok %s: %s' % (self.name, what), flush=True)

    def fail(self, what):
        self.nfail += 1
        print('FAIL %s: %s' % (self.name, what), flush=True)

    def check(self, cond, what, detail=None):
        if cond:
            self.ok(what)
        else:
            self.fail(what + ('' if detail is None else ' (%s)' % detail))
        return cond

    def session(self, ini='iqn.2026-11.org.example:raw', isid=None):
        return Session(ini, self.target, isid)

    def connect(self, sess, cid=0):
        return Conn(self.host, self.port, sess, cid)

    def pattern(self, seed, n):
        return bytes((seed * 31 + i * 7 + (i >> 9)) & 0xff for i in range(n))

    # tests
    def t_digest(self):
        """CRC32C both ways; a bad data digest gets Reject 0x02; a bad
        header digest closes the connection."""
        s = self.session()
        c = self.connect(s)
        c.login(digests=('CRC32C', 'CRC32C'))
        clear_ua(c, 1)
        self.check(c.hd and c.dd, 'digests: CRC32C header and data '
                   'negotiated', c.params)
        buf = self.pattern(1, 256 * 1024)
        st, _, _ = scsi_write(c, 1, 0, buf)
        data, rst, _, _ = scsi_read(c, 1, 0, len(buf) // 512)
        self.check(st == 0 and rst == 0 and data == buf,
                   'digests: 256 KiB written and read back with CRC32C')
        # immediate data with a bad digest: Reject 0x02, command not seen
        b, itt = c.cmd_bhs(cdb_rw(0x2a, 1000, 1), 1, write=True, edtl=512)
        cmdsn = struct.unpack_from('>I', b, 24)[0]
        c.send(b, self.pattern(2, 512), bad_dd=True)
        p = c.recv_skip_nop()
        self.check(p.op == OP_REJECT and p.bhs[2] == 0x02 and
                   p.data[:48] == bytes(b[:5]) + p.data[5:8] +
                   bytes(b[8:48]),
                   'digests: bad data digest on immediate data: Reject '
                   'reason 0x02 with the header', p)
        # the retry of that command (same CmdSN) works
        put32(b, 28, c.expstatsn)
        c.send(b, self.pattern(2, 512))
        p = c.recv_skip_nop()
        self.check(p.op == OP_SCSI_RSP and p.itt == itt and p.bhs[3] == 0,
                   'digests: the retried command (CmdSN %u) succeeds'
                   % cmdsn, p)
        # ERL 1: bad digest on a solicited Data-Out: Reject, then a
        # recovery R2T for the data from there on
        buf = self.pattern(3, 128 * 1024)
        b, itt = c.cmd_bhs(cdb_rw(0x2a, 2000, 256), 1, write=True,
                           edtl=len(buf))
        c.send(b)
        st, rsp, pdus = write_finish(c, itt, buf, 0, 1, bad_dd_at=65536)
        rej = [x for x in pdus if x.op == OP_REJECT]
        r2t = [(x.u32(40), x.u32(44), x.u32(36)) for x in pdus
               if x.op == OP_R2T]
        self.check(len(rej) == 1 and rej[0].bhs[2] == 0x02,
                   'digests: bad Data-Out digest: Reject reason 0x02',
                   pdus)
        self.check(r2t == [(0, 131072, 0), (65536, 65536, 1)],
                   'digests: ERL 1: a recovery R2T (R2TSN 1) asks for the '
                   'data from the lost PDU on', r2t)
        data, rst, _, _ = scsi_read(c, 1, 2000, 256)
        self.check(st == 0 and rst == 0 and data == buf,
                   'digests: ERL 1: the write succeeds with the data '
                   'resent')
        # ERL 0: the task ends with CHECK CONDITION (protocol service CRC
        # error) once all data is in
        s0 = self.session(ini='iqn.2026-11.org.example:digest0')
        c0 = self.connect(s0)
        c0.login(keys={'ErrorRecoveryLevel': '0'},
                 digests=('CRC32C', 'CRC32C'))
        clear_ua(c0, 1)
        b, itt = c0.cmd_bhs(cdb_rw(0x2a, 2000, 256), 1, write=True,
                            edtl=len(buf))
        c0.send(b)
        st, rsp, pdus = write_finish(c0, itt, buf, 0, 1, bad_dd_at=65536)
        self.check(st == 2 and len(rsp.data) >= 16 and
                   rsp.data[2 + 2] & 0x0f == 0x0b and
                   rsp.data[2 + 12] == 0x47 and rsp.data[2 + 13] == 0x05,
                   'digests: ERL 0: the write ends with ABORTED COMMAND, '
                   'protocol service CRC error', rsp.data.hex())
        c0.logout()
        c0.close()
        data, rst, _, _ = scsi_read(c, 1, 0, 8)
        self.check(rst == 0 and data == self.pattern(1, 256 * 1024)[:4096],
                   'digests: the connection goes on after a data digest '
                   'error')
        # bad header digest: the target hangs up
        b, itt = c.cmd_bhs(cdb_rw(0x28, 0, 1), 1, read=True, edtl=512)
        c.send(b, bad_hd=True)
        try:
            while True:
                p = c.recv()
                if p.op not in (OP_NOP_IN,):
                    break
            closed = False
        except (EOFError, ConnectionError):
            closed = True
        except socket.timeout:
            closed = False
        self.check(closed, 'digests: a bad header digest closes the '
                   'connection')
        c.close()

    def t_mcs(self):
        """Two connections, writes and reads alternating, CmdSN out of
        order across them."""
        s = self.session(ini='iqn.2026-11.org.example:mcs')
        a = self.connect(s, cid=1)
        a.login()
        clear_ua(a, 2)
        self.check(s.params.get('MaxConnections') == '4',
                   'mcs: MaxConnections=4 negotiated',
                   s.params.get('MaxConnections'))
        b = self.connect(s, cid=2)
        b.login()
        self.check(s.tsih != 0, 'mcs: a second connection joins tsih %u'
                   % s.tsih)
        good = True
        ref = {}
        for i in range(16):
            # command i+1 goes first on one connection, command i on the
            # other arrives later: the target must hold the first
            first, second = (a, b) if i % 2 else (b, a)
            buf1 = self.pattern(10 + i, 8192)
            lba = 4096 + i * 64
            c0 = s.next_cmdsn()
            c1 = s.next_cmdsn()
            w, witt = second.cmd_bhs(cdb_rw(0x2a, lba, 16), 2, write=True,
                                     edtl=8192, cmdsn=c0)
            r, ritt = first.cmd_bhs(cdb_rw(0x28, lba, 16), 2, read=True,
                                    edtl=8192, cmdsn=c1)
            # the read (later CmdSN) arrives first and must wait
            first.send(r)
            if select.select([first.sock], [], [], 0.05)[0]:
                p = first.recv()
                if p.op != OP_NOP_IN:
                    good = False
                    self.fail('mcs: read %d answered before the write '
                              'it follows in CmdSN order: %r' % (i, p))
                    break
            second.send(w, buf1[:8192])
            p = second.recv_skip_nop()
            if not (p.op == OP_SCSI_RSP and p.itt == witt and
                    p.bhs[3] == 0):
                good = False
                self.fail('mcs: write %d answered %r' % (i, p))
                break
            data, st, _, _ = read_collect(first, ritt)
            if st != 0 or len(data) != len(buf1):
                good = False
                self.fail('mcs: read %d after the write it follows in '
                          'CmdSN order' % i)
                break
            ref[lba] = buf1
        if good:
            self.ok('mcs: 16 write/read pairs, CmdSN out of order across '
                    '2 connections, data in CmdSN order')
        # reads of everything over the other connection
        good = all(scsi_read(b if i % 2 else a, 2, lba, 16)[0] == v
                   for i, (lba, v) in enumerate(sorted(ref.items())))
        self.check(good, 'mcs: all data read back over both connections')
        # logout of one connection, the other goes on
        p = b.logout(reason=1)
        self.check(p.op == OP_LOGOUT_RSP and p.bhs[2] == 0,
                   'mcs: connection 2 logs out', p)
        data, st, _, _ = scsi_read(a, 2, 4096, 16)
        self.check(st == 0 and data == ref[4096],
                   'mcs: connection 1 still works')
        # too many: a fifth connection is refused (MaxConnections=4)
        extra = []
        for cid in (2, 3, 4):
            x = self.connect(s, cid=cid)
            x.login()
            extra.append(x)
        x = self.connect(s, cid=9)
        try:
            x.login()
            st = (0, 0)
        except ProtocolError:
            st = (x.last_login.bhs[36], x.last_login.bhs[37])
        self.check(st == (2, 6), 'mcs: a fifth connection gets status '
                   '0x0206 (too many connections)', st)
        x.close()
        # connection reinstatement: same CID again
        y = self.connect(s, cid=3)
        y.login()
        old = extra[1]
        try:
            old.sock.settimeout(5)
            while True:
                old.recv()
        except (EOFError, ConnectionError):
            gone = True
        except (socket.timeout, ProtocolError):
            gone = False
        self.check(gone, 'mcs: a login with the CID of a connection '
                   'reinstates it (the old one is closed)')
        data, st, _, _ = scsi_read(y, 2, 4096, 16)
        self.check(st == 0 and data == ref[4096],
                   'mcs: the reinstated connection works')
        p = a.logout(reason=0)
        self.check(p.op == OP_LOGOUT_RSP and p.bhs[2] == 0,
                   'mcs: the session logs out')
        for x in [a, b, y] + extra:
            x.close()

    def t_badjoin(self):
        """A login with an unknown TSIH."""
        s = self.session(ini='iqn.2026-11.org.example:nojoin')
        s.tsih = 0x7777
        c = self.connect(s, cid=1)
        try:
            c.login()
            st = (0, 0)
        except ProtocolError:
            st = (c.last_login.bhs[36], c.last_login.bhs[37])
        self.check(st == (2, 0x0a), 'join: an unknown TSIH gets 0x020a '
                   '(session does not exist)', st)
        c.close()

    def t_reinstate(self):
        """Session reinstatement: same initiator and ISID, TSIH 0."""
        s = self.session(ini='iqn.2026-11.org.example:reinst')
        c = self.connect(s)
        c.login()
        old = s.tsih
        s2 = self.session(ini=s.initiator, isid=s.isid)
        d = self.connect(s2)
        d.login()
        clear_ua(d, 1)
        try:
            c.sock.settimeout(5)
            while True:
                c.recv()
        except (EOFError, ConnectionError):
            gone = True
        except (socket.timeout, ProtocolError):
            gone = False
        self.check(gone and s2.tsih != old, 'reinstate: a login with the '
                   'same ISID replaces session tsih %u by %u' %
                   (old, s2.tsih))
        data, st, _, _ = scsi_read(d, 1, 0, 1)
        self.check(st == 0, 'reinstate: the new session works')
        # another ISID: a second session of the same initiator
        s3 = self.session(ini=s.initiator)
        e = self.connect(s3)
        e.login()
        clear_ua(e, 1)
        data, st, _, _ = scsi_read(e, 1, 0, 1)
        data2, st2, _, _ = scsi_read(d, 1, 0, 1)
        self.check(st == 0 and st2 == 0 and s3.tsih != s2.tsih,
                   'reinstate: two sessions of one initiator at once')
        d.logout()
        e.logout()
        d.close()
        e.close()

    def t_snack(self):
        """ERL 1: Data-In SNACK resends from the data area; status SNACK
        resends the response."""
        s = self.session(ini='iqn.2026-11.org.example:snack')
        c = self.connect(s)
        c.login(keys={'MaxRecvDataSegmentLength': '8192'})
        clear_ua(c, 1)
        self.check(s.params.get('ErrorRecoveryLevel') == '1',
                   'snack: ErrorRecoveryLevel=1 negotiated',
                   s.params.get('ErrorRecoveryLevel'))
        buf = self.pattern(7, 64 * 1024)
        st, _, _ = scsi_write(c, 1, 8192, buf)
        # a read in 8 Data-In PDUs; keep the response unacknowledged
        b, itt = c.cmd_bhs(cdb_rw(0x28, 8192, 128), 1, read=True,
                           edtl=len(buf))
        c.send(b)
        data, rst, _, pdus = read_collect(c, itt)
        din = [p for p in pdus if p.op == OP_DATA_IN]
        self.check(rst == 0 and data == buf and len(din) == 8,
                   'snack: read of 64 KiB in 8 Data-In PDUs',
                   len(din))
        # ask again for DataSN 2..4
        sn = bhs_new(OP_SNACK, 0x80 | 0)
        sn[8:16] = lun_field(1)
        put32(sn, 16, itt)
        put32(sn, 20, 0xffffffff)
        put32(sn, 28, c.expstatsn - 1)   # the status is not acknowledged
        put32(sn, 40, 2)                 # BegRun
        put32(sn, 44, 3)                 # RunLength
        c.send(sn)
        got = []
        try:
            c.sock.settimeout(5)
            while len(got) < 3:
                p = c.recv_skip_nop()
                got.append(p)
        except socket.timeout:
            pass
        ok = (len(got) == 3 and all(p.op == OP_DATA_IN for p in got) and
              [p.u32(36) for p in got] == [2, 3, 4] and
              all(p.data == buf[p.u32(40):p.u32(40) + len(p.data)]
                  for p in got))
        self.check(ok, 'snack: Data-In SNACK resends DataSN 2-4 with the '
                   'same data', got)
        # status SNACK for the response of the read (its StatSN)
        last = din[-1]
        statsn = last.statsn
        sn = bhs_new(OP_SNACK, 0x80 | 1)
        put32(sn, 16, 0xffffffff)
        put32(sn, 20, 0xffffffff)
        put32(sn, 28, statsn)
        put32(sn, 40, statsn)
        put32(sn, 44, 1)
        c.send(sn)
        try:
            p = c.recv_skip_nop()
        except socket.timeout:
            p = None
        self.check(p is not None and p.itt == itt and
                   p.op in (OP_DATA_IN, OP_SCSI_RSP) and p.statsn == statsn,
                   'snack: status SNACK resends the status of StatSN %u'
                   % statsn, p)
        # R2T SNACK: the R2T again, same R2TSN and TTT
        wbuf = self.pattern(8, 64 * 1024)
        b, witt = c.cmd_bhs(cdb_rw(0x2a, 9000, 128), 1, write=True,
                            edtl=len(wbuf))
        c.send(b)
        r1 = c.recv_skip_nop()
        sn = bhs_new(OP_SNACK, 0x80 | 0)
        sn[8:16] = lun_field(1)
        put32(sn, 16, witt)
        put32(sn, 20, 0xffffffff)
        put32(sn, 28, c.expstatsn)
        put32(sn, 40, 0)
        put32(sn, 44, 1)
        c.send(sn)
        r2 = c.recv_skip_nop()
        self.check(r1.op == OP_R2T and r2.op == OP_R2T and
                   bytes(r1.bhs[16:24]) == bytes(r2.bhs[16:24]) and
                   bytes(r1.bhs[36:48]) == bytes(r2.bhs[36:48]),
                   'snack: R2T SNACK resends the R2T (same TTT, R2TSN, '
                   'offset, length)', (r1, r2))
        c.data_out(witt, r2.ttt, 0, wbuf, 0, True, 1)
        p = c.recv_skip_nop()
        self.check(p.op == OP_SCSI_RSP and p.itt == witt and p.bhs[3] == 0,
                   'snack: the write completes', p)
        # acknowledged: the data is released, a later SNACK is rejected
        b, itt2 = c.cmd_bhs(bytes([0, 0, 0, 0, 0, 0]), 1)  # TUR
        put32(b, 28, c.expstatsn)
        c.send(b)
        p = c.recv_skip_nop()
        sn = bhs_new(OP_SNACK, 0x80 | 0)
        put32(sn, 16, itt)
        put32(sn, 20, 0xffffffff)
        put32(sn, 28, c.expstatsn)
        put32(sn, 40, 0)
        put32(sn, 44, 0)
        c.send(sn)
        p = c.recv_skip_nop()
        self.check(p.op == OP_REJECT,
                   'snack: SNACK for an acknowledged task is rejected', p)
        c.logout()
        c.close()

    def t_erl0(self):
        """At ErrorRecoveryLevel 0 a SNACK is rejected."""
        s = self.session(ini='iqn.2026-11.org.example:erl0')
        c = self.connect(s)
        c.login(keys={'ErrorRecoveryLevel': '0'})
        self.check(s.params.get('ErrorRecoveryLevel') == '0',
                   'erl0: ErrorRecoveryLevel=0 negotiated')
        sn = bhs_new(OP_SNACK, 0x80 | 0)
        put32(sn, 16, 0x1234)
        put32(sn, 20, 0xffffffff)
        put32(sn, 28, c.expstatsn)
        c.send(sn)
        p = c.recv_skip_nop()
        self.check(p.op == OP_REJECT and p.bhs[2] == 0x03,
                   'erl0: SNACK rejected (reason 0x03 SNACK reject)', p)
        c.logout()
        c.close()

    def t_asynclogout(self):
        """Wait for the target to ask for a logout (the shell sends the
        portal SIGTERM), then log out."""
        s = self.session(ini='iqn.2026-11.org.example:asynclogout')
        c = self.connect(s)
        c.login()
        print('# logged in', flush=True)
        c.sock.settimeout(30)
        try:
            p = c.recv()
            while p.op == OP_NOP_IN:
                p = c.recv()
        except (socket.timeout, EOFError, ConnectionError) as e:
            p = e
        ok = isinstance(p, PDU) and p.op == OP_ASYNC and p.bhs[36] == 1
        self.check(ok, 'async: Async Message "target requests logout"', p)
        if not ok:
            return
        self.check(struct.unpack_from('>H', p.bhs, 42)[0] == 2,
                   'async: Parameter3 (time to log out) is 2 s')
        p = c.logout()
        self.check(p.op == OP_LOGOUT_RSP and p.bhs[2] == 0,
                   'async: logout answered', p)
        c.close()

    def tmf(self, c, func, lun=0, rtt=0xffffffff, refcmdsn=0):
        s = c.sess
        b = bhs_new(OP_TMF, 0x80 | func, imm=True)
        b[8:16] = lun_field(lun)
        itt = s.next_itt()
        put32(b, 16, itt)
        put32(b, 20, rtt)
        put32(b, 24, s.cmdsn)
        put32(b, 28, c.expstatsn)
        put32(b, 32, refcmdsn)
        c.send(b)
        while True:
            p = c.recv_skip_nop()
            if p.op == OP_TMF_RSP and p.itt == itt:
                return p.bhs[2]
            if p.op == OP_REJECT:
                return None

    def nop(self, c, cmdsn=None):
        s = c.sess
        b = bhs_new(OP_NOP_OUT)
        itt = s.next_itt()
        put32(b, 16, itt)
        put32(b, 20, 0xffffffff)
        put32(b, 24, s.next_cmdsn() if cmdsn is None else cmdsn)
        put32(b, 28, c.expstatsn)
        c.send(b)
        return itt

    def quiet(self, c, secs=0.3):
        """Nothing but NOP-In arrives for secs."""
        while select.select([c.sock], [], [], secs)[0]:
            p = c.recv()
            if p.op != OP_NOP_IN:
                return p
        return None

    def t_tmf(self):
        """Task management: CLEAR ACA, TASK REASSIGN, ABORT TASK of a
        command not received yet and of one held behind a CmdSN gap,
        LOGICAL UNIT RESET, TARGET COLD RESET."""
        s = self.session(ini='iqn.2026-11.org.example:tmf')
        a = self.connect(s, cid=1)
        a.login()
        clear_ua(a, 1)
        b = self.connect(s, cid=2)
        b.login()
        r = self.tmf(a, 3, lun=1)
        self.check(r == 0, 'tmf: CLEAR ACA: function complete', r)
        r = self.tmf(a, 3, lun=7)
        self.check(r == 2, 'tmf: CLEAR ACA on no LUN: LUN does not exist',
                   r)
        r = self.tmf(a, 8, lun=1, rtt=0x4242)
        self.check(r == 4, 'tmf: TASK REASSIGN at ERL 1: not supported', r)
        # ABORT TASK of a command whose CmdSN has not come yet
        c0 = s.next_cmdsn()
        r = self.tmf(a, 1, lun=1, rtt=0x777777, refcmdsn=c0)
        self.check(r == 0, 'tmf: ABORT TASK of a command not received yet: '
                   'function complete', r)
        itt = self.nop(a)
        p = a.recv_skip_nop()
        self.check(p.op == OP_NOP_IN and p.itt == itt and
                   p.expcmdsn == (c0 + 2) & 0xffffffff,
                   'tmf: its CmdSN counts as received (the next one is '
                   'answered)', p)
        w, witt = a.cmd_bhs(cdb_rw(0x28, 0, 1), 1, read=True, edtl=512,
                            itt=0x777777, cmdsn=c0)
        a.send(w)
        p = self.quiet(a)
        self.check(p is None, 'tmf: the aborted command arriving late is '
                   'dropped', p)
        # a read held behind a gap on b, aborted from a
        c1 = s.next_cmdsn()
        c2 = s.next_cmdsn()
        r2, ritt = b.cmd_bhs(cdb_rw(0x28, 0, 1), 1, read=True, edtl=512,
                             cmdsn=c2)
        b.send(r2)
        p = self.quiet(b, 0.2)
        self.check(p is None, 'tmf: a read ahead of a CmdSN gap is held', p)
        r = self.tmf(a, 1, lun=1, rtt=ritt, refcmdsn=c2)
        self.check(r == 0, 'tmf: ABORT TASK of the held read: function '
                   'complete', r)
        itt = self.nop(a, c1)
        p = a.recv_skip_nop()
        itt2 = self.nop(a)
        p2 = a.recv_skip_nop()
        self.check(p.op == OP_NOP_IN and p.itt == itt and
                   p2.op == OP_NOP_IN and p2.itt == itt2,
                   'tmf: filling the gap consumes the aborted CmdSN too',
                   (p, p2))
        p = self.quiet(b)
        self.check(p is None, 'tmf: the aborted read is never answered', p)
        # LUN reset: a unit attention follows
        r = self.tmf(a, 5, lun=1)
        self.check(r == 0, 'tmf: LOGICAL UNIT RESET: function complete', r)
        clear_ua(a, 1)
        st = tur(a, 1)
        self.check(st == 0, 'tmf: commands go on after the LUN reset', st)
        r = self.tmf(a, 6, lun=1)
        self.check(r == 0, 'tmf: TARGET WARM RESET: function complete', r)
        clear_ua(a, 1)
        # cold reset: answered, then every connection goes
        r = self.tmf(a, 7, lun=1)
        self.check(r == 0, 'tmf: TARGET COLD RESET: function complete', r)
        gone = 0
        for x in (a, b):
            try:
                x.sock.settimeout(5)
                while True:
                    x.recv()
            except (EOFError, ConnectionError):
                gone += 1
            except (socket.timeout, ProtocolError):
                pass
        self.check(gone == 2, 'tmf: after a cold reset both connections '
                   'are closed', gone)
        a.close()
        b.close()

    def t_resets(self):
        """Resets with two I_T nexuses, one per portal (the second port
        in $RAW_PORT2): LOGICAL UNIT RESET and TARGET WARM RESET give the
        unit attention to both, the sender included (SAM-5); TARGET COLD
        RESET ends both sessions, and the next login of each initiator
        port gets the power on unit attention, a new one none."""
        port2 = int(os.environ['RAW_PORT2'])
        ini = 'iqn.2026-11.org.example:reset'
        sa = self.session(ini=ini + 'a')
        sb = self.session(ini=ini + 'b')
        a = self.connect(sa)
        a.login()
        b = Conn(self.host, port2, sb)
        b.login()
        clear_ua(a, 1)
        clear_ua(b, 1)
        for func, what in ((5, 'LOGICAL UNIT RESET'),
                           (6, 'TARGET WARM RESET')):
            for sender, other in ((a, b), (b, a)):
                r = self.tmf(sender, func, lun=1)
                self.check(r == 0, 'resets: %s: function complete' % what,
                           r)
                for x, who in ((sender, 'the sender'), (other, 'the other '
                                                        'portal')):
                    st, sense = command(x, bytes(6), 1)
                    self.check(st == 2 and len(sense) >= 14 and
                               sense[2] & 0x0f == 6 and
                               sense[12:14] == b'\x29\x03',
                               'resets: %s: %s gets 29/03' % (what, who),
                               (st, sense[:14].hex()))
                    st = tur(x, 1)
                    self.check(st == 0, 'resets: %s: then GOOD' % what, st)
        # an initiator port never logged in before the cold reset
        sc = self.session(ini=ini + 'c')
        # cold reset from b: both sessions end
        r = self.tmf(b, 7, lun=1)
        self.check(r == 0, 'resets: TARGET COLD RESET: function complete',
                   r)
        gone = 0
        for x in (a, b):
            try:
                x.sock.settimeout(5)
                while True:
                    x.recv()
            except (EOFError, ConnectionError):
                gone += 1
            except (socket.timeout, ProtocolError):
                pass
        self.check(gone == 2, 'resets: after a cold reset on one portal the '
                   'sessions on both portals are closed', gone)
        a.close()
        b.close()
        # a's initiator port logs in again, through the other portal
        sa2 = self.session(ini=ini + 'a', isid=sa.isid)
        a2 = Conn(self.host, port2, sa2)
        a2.login()
        st, sense = command(a2, bytes(6), 1)
        self.check(st == 2 and len(sense) >= 14 and sense[2] & 0x0f == 6 and
                   sense[12] == 0x29 and sense[13] in (0, 1),
                   'resets: the next login of an initiator port that had a '
                   'session gets the power on unit attention',
                   (st, sense[:14].hex()))
        self.check(tur(a2, 1) == 0, 'resets: once')
        c = self.connect(sc)
        c.login()
        self.check(tur(c, 1) == 0, 'resets: a new initiator port gets none')
        for x in (a2, c):
            x.logout()
            x.close()

    def lun_pid(self, lun):
        """The tgt-lun of LUN lun: a child of $RAW_MASTER whose title
        ends in "/lun", or None."""
        master = os.environ['RAW_MASTER']
        for d in os.listdir('/proc'):
            if not d.isdigit():
                continue
            try:
                with open('/proc/%s/stat' % d) as f:
                    ppid = f.read().rsplit(')', 1)[1].split()[1]
                with open('/proc/%s/cmdline' % d, 'rb') as f:
                    cmd = f.read().replace(b'\0', b' ').strip()
            except (OSError, IndexError):
                continue
            if ppid == master and cmd.startswith(b'tgt-lun') and \
                    cmd.endswith(b'/%d' % lun):
                return int(d)
        return None

    def sense_of(self, c, lun):
        """TEST UNIT READY on lun: (status, sense key, asc/ascq bytes)."""
        st, sense = command(c, bytes(6), lun)
        if st == 2 and len(sense) >= 14:
            return st, sense[2] & 0x0f, sense[12:14]
        return st, None, None

    def back_within(self, c, lun, secs):
        """TEST UNIT READY on lun until GOOD, for at most secs: the
        (status, key, asc) seen before it, or None if never GOOD."""
        seen = []
        t0 = time.monotonic()
        while time.monotonic() - t0 < secs:
            r = self.sense_of(c, lun)
            if r[0] == 0:
                return seen
            if r not in seen:
                seen.append(r)
            time.sleep(0.1)
        return None

    def t_stuck(self):
        """Task management with a LUN that has no working process
        (issue 13).  LUN 2's tgt-lun stopped with SIGSTOP, a command in
        its ring: TARGET WARM RESET is answered once the master has
        found the process hung and killed it (5 s + 2 s), LUN 1 serves
        on, LUN 2 comes back with the power on unit attention.  LUN 2's
        process killed: NOT READY until it is back, and TARGET COLD
        RESET is answered at once."""
        s = self.session(ini='iqn.2026-11.org.example:stuck')
        a = self.connect(s)
        a.login()
        a.sock.settimeout(30)
        clear_ua(a, 1, 2)
        pid = self.lun_pid(2)
        self.check(pid is not None and tur(a, 2) == 0,
                   'stuck: LUN 2 serves, its process found', pid)
        if pid is None:
            return
        os.kill(pid, signal.SIGSTOP)
        try:
            rd, _ = a.cmd_bhs(cdb_rw(0x28, 0, 1), 2, read=True, edtl=512)
            a.send(rd)
            t0 = time.monotonic()
            r = self.tmf(a, 6, lun=1)
            el = time.monotonic() - t0
        finally:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        self.check(r == 0 and 5 <= el <= 15, 'stuck: TARGET WARM RESET with '
                   "LUN 2's process stopped is answered in %.1f s (5 s "
                   'TMF wait + 2 s ping)' % el, r)
        self.check(self.lun_pid(2) != pid, "stuck: the hung process was "
                   'killed')
        r = self.sense_of(a, 1)
        self.check(r == (2, 6, b'\x29\x03') and tur(a, 1) == 0,
                   'stuck: LUN 1 got the reset (29/03) and serves on', r)
        seen = self.back_within(a, 2, 30)
        self.check(seen is not None and any(k == 6 and q[0] == 0x29
                                            for _, k, q in seen),
                   'stuck: LUN 2 comes back from power on (29/0x), then '
                   'GOOD', seen)
        # no process at all: killed twice within 10 s, back in 2 s
        pid = self.lun_pid(2)
        self.check(pid is not None, "stuck: LUN 2's new process found")
        if pid is None:
            return
        os.kill(pid, signal.SIGKILL)
        seen = []
        t0 = time.monotonic()
        while time.monotonic() - t0 < 1.5:
            r = self.sense_of(a, 2)
            seen.append(r)
            if r == (2, 2, b'\x04\x01'):
                break
            time.sleep(0.05)
        self.check(seen[-1] == (2, 2, b'\x04\x01'),
                   'stuck: with no process LUN 2 is NOT READY, becoming '
                   'ready (02/04/01)', seen)
        t0 = time.monotonic()
        r = self.tmf(a, 7, lun=1)
        el = time.monotonic() - t0
        self.check(r == 0 and el < 1, 'stuck: TARGET COLD RESET with no '
                   'process for LUN 2 is answered at once (%.2f s)' % el, r)
        a.close()
        s2 = self.session(ini='iqn.2026-11.org.example:stuck',
                          isid=s.isid)
        b = self.connect(s2)
        b.login()
        seen = self.back_within(b, 1, 5)
        self.check(seen is not None, 'stuck: after the cold reset LUN 1 '
                   'serves', seen)
        seen = self.back_within(b, 2, 30)
        self.check(seen is not None, 'stuck: and LUN 2 is back', seen)
        b.logout()
        b.close()

    def t_erl2(self):
        """ERL 2: a connection fails with a read half delivered and a
        write waiting for data; a new connection of the session takes
        both over with TASK REASSIGN."""
        s = self.session(ini='iqn.2026-11.org.example:erl2')
        a = self.connect(s, cid=1)
        a.login(keys={'ErrorRecoveryLevel': '2',
                      'MaxRecvDataSegmentLength': '8192'})
        self.check(s.params.get('ErrorRecoveryLevel') == '2',
                   'erl2: ErrorRecoveryLevel=2 negotiated',
                   s.params.get('ErrorRecoveryLevel'))
        clear_ua(a, 1)
        rbuf = self.pattern(21, 64 * 1024)
        st, _, _ = scsi_write(a, 1, 20000, rbuf)
        wbuf = self.pattern(22, 64 * 1024)
        w, witt = a.cmd_bhs(cdb_rw(0x2a, 30000, 128), 1, write=True,
                            edtl=len(wbuf))
        a.send(w)
        p = a.recv_skip_nop()
        self.check(p.op == OP_R2T and p.itt == witt,
                   'erl2: the write got its R2T', p)
        r, ritt = a.cmd_bhs(cdb_rw(0x28, 20000, 128), 1, read=True,
                            edtl=len(rbuf))
        a.send(r)
        got = {}
        while len(got) < 2:
            p = a.recv_skip_nop()
            if p.op == OP_DATA_IN:
                got[p.u32(36)] = p.data
        # the connection dies without a word
        a.sock.shutdown(socket.SHUT_RDWR)
        a.close()
        time.sleep(0.3)
        b = self.connect(s, cid=2)
        b.login(keys={'MaxRecvDataSegmentLength': '8192'})
        r = self.tmf(b, 8, lun=1, rtt=0x5151)
        self.check(r == 1, 'erl2: TASK REASSIGN of an unknown task: task '
                   'does not exist', r)
        # the read: the Data-In from DataSN 2, then the status
        sb = bhs_new(OP_TMF, 0x80 | 8, imm=True)
        sb[8:16] = lun_field(1)
        titt = s.next_itt()
        put32(sb, 16, titt)
        put32(sb, 20, ritt)
        put32(sb, 24, s.cmdsn)
        put32(sb, 28, b.expstatsn)
        put32(sb, 36, 2)                    # ExpDataSN
        b.send(sb)
        p = b.recv_skip_nop()
        self.check(p.op == OP_TMF_RSP and p.itt == titt and p.bhs[2] == 0,
                   'erl2: TASK REASSIGN of the read: function complete', p)
        data, st, _, pdus = read_collect(b, ritt)
        sns = [x.u32(36) for x in pdus if x.op == OP_DATA_IN]
        whole = got[0] + got[1] + data
        self.check(st == 0 and sns == list(range(2, 8)) and
                   whole == rbuf, 'erl2: the read continues on the new '
                   'connection from DataSN 2 with the right data', sns)
        # the write: a new R2T for all of it
        r = self.tmf(b, 8, lun=1, rtt=witt)
        self.check(r == 0, 'erl2: TASK REASSIGN of the write: function '
                   'complete', r)
        st, rsp, pdus = write_finish(b, witt, wbuf, 0, 1)
        self.check(st == 0 and any(x.op == OP_R2T for x in pdus),
                   'erl2: the write gets R2T again and completes', pdus)
        data, st, _, _ = scsi_read(b, 1, 30000, 128)
        self.check(st == 0 and data == wbuf, 'erl2: the written data is '
                   'there')
        # logout for recovery of a connection that is not there
        lb = bhs_new(OP_LOGOUT, 0x80 | 2, imm=True)
        put32(lb, 16, s.next_itt())
        struct.pack_into('>H', lb, 20, 1)
        put32(lb, 24, s.cmdsn)
        put32(lb, 28, b.expstatsn)
        b.send(lb)
        p = b.recv_skip_nop()
        self.check(p.op == OP_LOGOUT_RSP and p.bhs[2] == 1,
                   'erl2: logout for recovery of a gone CID: CID not '
                   'found', p)
        b.logout()
        b.close()
        # after DefaultTime2Wait + DefaultTime2Retain the orphans and the
        # session are gone
        s = self.session(ini='iqn.2026-11.org.example:erl2t')
        a = self.connect(s, cid=1)
        a.login(keys={'ErrorRecoveryLevel': '2', 'DefaultTime2Retain': '1',
                      'DefaultTime2Wait': '0'})
        clear_ua(a, 1)
        w, witt = a.cmd_bhs(cdb_rw(0x2a, 30000, 128), 1, write=True,
                            edtl=len(wbuf))
        a.send(w)
        p = a.recv_skip_nop()
        a.sock.shutdown(socket.SHUT_RDWR)
        a.close()
        time.sleep(float(s.params.get('DefaultTime2Wait', 2)) +
                   float(s.params.get('DefaultTime2Retain', 1)) + 1.5)
        b = self.connect(s, cid=2)
        try:
            b.login()
            st = (0, 0)
        except ProtocolError:
            st = (b.last_login.bhs[36], b.last_login.bhs[37])
        self.check(st == (2, 0x0a), 'erl2: after DefaultTime2Retain the '
                   'session is gone (0x020a)', st)
        b.close()

    def t_mcs_unsol(self):
        """InitialR2T=No over two connections: a write held behind a
        CmdSN gap still takes its unsolicited Data-Out, and runs once
        the gap is filled."""
        s = self.session(ini='iqn.2026-11.org.example:mcsunsol')
        a = self.connect(s, cid=1)
        a.login(keys={'InitialR2T': 'No', 'ImmediateData': 'No',
                      'FirstBurstLength': '65536'})
        self.check(s.params.get('InitialR2T') == 'No',
                   'mcs-unsol: InitialR2T=No negotiated')
        clear_ua(a, 1)
        b = self.connect(s, cid=2)
        b.login()
        buf = self.pattern(31, 96 * 1024)
        c0 = s.next_cmdsn()
        w, witt = a.cmd_bhs(cdb_rw(0x2a, 40000, 192), 1, write=True,
                            edtl=len(buf), final=False)
        a.send(w)
        for i, off in enumerate(range(0, 65536, 16384)):
            a.data_out(witt, 0xffffffff, off, buf[off:off + 16384], i,
                       off + 16384 == 65536, 1)
        p = self.quiet(a)
        self.check(p is None, 'mcs-unsol: the write and its unsolicited '
                   'data wait behind the gap without a Reject', p)
        itt = self.nop(b, c0)
        p = b.recv_skip_nop()
        self.check(p.op == OP_NOP_IN and p.itt == itt,
                   'mcs-unsol: the gap is filled on the other connection',
                   p)
        st, rsp, pdus = write_finish(a, witt, buf, 65536, 1)
        r2t = [(x.u32(40), x.u32(44)) for x in pdus if x.op == OP_R2T]
        self.check(st == 0 and r2t == [(65536, 32768)],
                   'mcs-unsol: then it solicits the rest and completes',
                   (st, r2t))
        data, st, _, _ = scsi_read(b, 1, 40000, 192)
        self.check(st == 0 and data == buf, 'mcs-unsol: the data is right')
        a.logout()
        a.close()
        b.close()


    # NOP-In pings: the target runs with "nop interval 1" and "nop
    # timeout 2" (regress/integration/47-nop.sh).
    def serves(self, c, what):
        """A READ of LUN 1 on c completes GOOD (a unit attention first is
        cleared)."""
        clear_ua(c, 1)
        _, st, _, _ = scsi_read(c, 1, 0, 8)
        self.check(st == 0, what, st)

    def wait_ping(self, c, secs):
        """The next PDU, within secs: a NOP-In ping, or None (EOF or
        nothing)."""
        c.sock.settimeout(secs)
        try:
            p = c.recv()
        except (socket.timeout, EOFError, ConnectionError):
            return None
        finally:
            c.sock.settimeout(10)
        if p.op == OP_NOP_IN and p.itt == 0xffffffff and \
                p.ttt != 0xffffffff:
            return p
        return None

    def closed_within(self, c, secs):
        """The target closes c within secs (anything it sends first is
        read and dropped); the time it took, or None."""
        t0 = time.monotonic()
        c.sock.settimeout(0.2)
        try:
            while time.monotonic() - t0 < secs:
                try:
                    c.recv()
                except socket.timeout:
                    continue
                except (EOFError, ConnectionError):
                    return time.monotonic() - t0
        finally:
            c.sock.settimeout(10)
        return None

    def t_nop_alive(self):
        """An idle connection is pinged every interval; answering keeps
        it, and a SCSI command still works after three pings."""
        s = self.session(ini='iqn.2026-11.org.example:nop-alive')
        c = self.connect(s)
        c.login()
        ttts = []
        for _ in range(3):
            p = self.wait_ping(c, 5)
            if p is None:
                break
            ttts.append(p.ttt)
            c.nop_reply(p)
        self.check(len(ttts) == 3 and len(set(ttts)) == 3,
                   'nop: an idle connection gets a NOP-In ping (TTT set, '
                   'a new one each time) every interval', ttts)
        self.serves(c, 'nop: the answered connection still serves '
                    'commands')
        p = c.logout()
        self.check(p.op == OP_LOGOUT_RSP, 'nop: and logs out', p)
        c.close()

    def t_nop_dead(self):
        """An initiator that does not answer the ping is dropped after
        the timeout; another session on the same target is not."""
        s = self.session(ini='iqn.2026-11.org.example:nop-dead')
        c = self.connect(s)
        c.login()
        s2 = self.session(ini='iqn.2026-11.org.example:nop-other')
        c2 = self.connect(s2)
        c2.login()
        p = self.wait_ping(c, 5)
        self.check(p is not None, 'nop: the idle connection is pinged')
        if p is None:
            return
        # answer on the other session only, from a thread-free loop
        t0 = time.monotonic()
        gone = None
        while time.monotonic() - t0 < 8 and gone is None:
            r = select.select([c.sock, c2.sock], [], [], 0.2)[0]
            if c2.sock in r:
                q = c2.recv()
                if q.op == OP_NOP_IN and q.ttt != 0xffffffff:
                    c2.nop_reply(q)
            if c.sock in r:
                try:
                    c.recv()
                except (EOFError, ConnectionError):
                    gone = time.monotonic() - t0
        self.check(gone is not None and 1.5 <= gone <= 6,
                   'nop: the unanswered connection is closed after the '
                   'timeout (2 s)', gone)
        self.serves(c2, 'nop: the other session answered its pings '
                    'and still serves commands')
        c2.logout()
        c2.close()
        c.close()

    def t_nop_off(self):
        """With "nop interval 0" (after a reload) an idle connection gets
        no ping and is not closed."""
        s = self.session(ini='iqn.2026-11.org.example:nop-off')
        c = self.connect(s)
        c.login()
        self.check(self.closed_within(c, 4) is None,
                   'nop: interval 0, an idle connection that answers '
                   'nothing stays for 4 s')
        self.serves(c, 'nop: and serves commands')
        c.logout()
        c.close()


def main():
    if len(sys.argv) < 5:
        print('usage: iscsi_raw.py HOST PORT TARGET TEST...',
              file=sys.stderr)
        return 2
    t = Tests(sys.argv[1], int(sys.argv[2]), sys.argv[3])
    for name in sys.argv[4:]:
        fn = getattr(t, 't_' + name, None)
        if fn is None:
            print('usage: unknown test %s' % name, file=sys.stderr)
            return 2
        t.name = os.environ.get('TEST', 'raw') + '/' + name
        try:
            fn()
        except Exception as e:  # a crash of the test is a failure
            t.fail('%s: %s: %s' % (name, type(e).__name__, e))
    return 1 if t.nfail else 0


if __name__ == '__main__':
    sys.exit(main())
