#!/usr/bin/env python3
# Copyright (c) 2026 The tgt suite authors
# SPDX-License-Identifier: GPL-2.0-only
#
# A small raw iSCSI login client for the integration tests: it logs in
# (security stage with AuthMethod None or CHAP MD5/SHA-256, one-way or
# mutual, then the operational stage) and prints what the target
# answered, one item per line:
#
#	status 0xCCDD		status class and detail of the last response
#	key KEY=VALUE		keys of the last login response
#	mutual ok|bad		mutual CHAP: the target's response checked
#	target NAME		SendTargets=All answer (-S, discovery)
#	address VALUE
#
# It exits 0 when it could talk to the target at all (whatever the
# status), 2 on usage or connection errors.  Options allow the usual
# mistakes on purpose: a wrong secret, no AuthMethod, starting in the
# operational stage, reflecting the target's challenge.
import argparse
import hashlib
import os
import socket
import struct
import sys


def pad4(n):
    return (4 - n % 4) % 4


class Conn:
    def __init__(self, host, port, timeout):
        self.s = socket.create_connection((host, port), timeout=timeout)
        self.itt = 1
        self.cmdsn = 1
        self.statsn = 0
        self.isid = b'\x80' + os.urandom(3) + b'\x00\x01'

    def recv_exact(self, n):
        b = b''
        while len(b) < n:
            d = self.s.recv(n - len(b))
            if not d:
                raise EOFError('connection closed')
            b += d
        return b

    def recv_pdu(self):
        bhs = self.recv_exact(48)
        ahs = bhs[4] * 4
        dlen = int.from_bytes(bhs[5:8], 'big')
        if ahs:
            self.recv_exact(ahs)
        data = self.recv_exact(dlen + pad4(dlen))[:dlen]
        return bhs, data

    def send_pdu(self, bhs, data):
        self.s.sendall(bhs + data + b'\0' * pad4(len(data)))

    def login(self, flags, keys):
        data = b''.join(k.encode() + b'=' + v.encode() + b'\0'
                        for k, v in keys)
        bhs = bytearray(48)
        bhs[0] = 0x43
        bhs[1] = flags
        bhs[5:8] = len(data).to_bytes(3, 'big')
        bhs[8:14] = self.isid
        struct.pack_into('>I', bhs, 16, self.itt)
        struct.pack_into('>I', bhs, 24, self.cmdsn)
        struct.pack_into('>I', bhs, 28, self.statsn)
        self.send_pdu(bytes(bhs), data)
        rbhs, rdata = self.recv_pdu()
        if rbhs[0] & 0x3f != 0x23:
            raise ValueError('not a login response: 0x%02x' % rbhs[0])
        self.statsn = struct.unpack_from('>I', rbhs, 24)[0] + 1
        status = rbhs[36] << 8 | rbhs[37]
        rkeys = {}
        for kv in rdata.split(b'\0'):
            if b'=' in kv:
                k, v = kv.split(b'=', 1)
                rkeys[k.decode()] = v.decode()
        return status, rbhs[1], rkeys

    def sendtargets(self):
        data = b'SendTargets=All\0'
        bhs = bytearray(48)
        bhs[0] = 0x04
        bhs[1] = 0x80
        bhs[5:8] = len(data).to_bytes(3, 'big')
        struct.pack_into('>I', bhs, 16, self.itt + 1)
        struct.pack_into('>I', bhs, 20, 0xffffffff)
        struct.pack_into('>I', bhs, 24, self.cmdsn)
        struct.pack_into('>I', bhs, 28, self.statsn)
        self.send_pdu(bytes(bhs), data)
        rbhs, rdata = self.recv_pdu()
        out = []
        for kv in rdata.split(b'\0'):
            if b'=' in kv:
                k, v = kv.split(b'=', 1)
                out.append((k.decode(), v.decode()))
        return out


def chap_hash(alg, ident, secret, chal):
    h = hashlib.md5() if alg == 5 else hashlib.sha256()
    h.update(bytes([ident]) + secret + chal)
    return h.digest()


def flags(transit, csg, nsg):
    return (0x80 if transit else 0) | csg << 2 | (nsg if transit else 0)


def report(status, keys):
    print('status 0x%04x' % status)
    for k, v in keys.items():
        print('key %s=%s' % (k, v))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('-H', '--host', default='127.0.0.1')
    ap.add_argument('-p', '--port', type=int, required=True)
    ap.add_argument('-t', '--target', default='')
    ap.add_argument('-i', '--initiator',
                    default='iqn.2026-11.org.example:pyclient')
    ap.add_argument('-d', '--discovery', action='store_true')
    ap.add_argument('-m', '--authmethod', default='None',
                    help='AuthMethod list to offer, "-" for none')
    ap.add_argument('-a', '--alg', default='5', help='CHAP_A list')
    ap.add_argument('-u', '--user', default='')
    ap.add_argument('-s', '--secret', default='')
    ap.add_argument('-U', '--mutual-user', default='')
    ap.add_argument('-M', '--mutual-secret', default='')
    ap.add_argument('--reflect', action='store_true',
                    help='send the target its own challenge back')
    ap.add_argument('--operational', action='store_true',
                    help='start in the operational stage')
    ap.add_argument('-S', '--sendtargets', action='store_true')
    ap.add_argument('-T', '--timeout', type=float, default=10)
    a = ap.parse_args()

    try:
        c = Conn(a.host, a.port, a.timeout)
    except OSError as e:
        print('connect: %s' % e, file=sys.stderr)
        return 2
    first = [('InitiatorName', a.initiator),
             ('SessionType', 'Discovery' if a.discovery else 'Normal')]
    if not a.discovery and a.target:
        first.append(('TargetName', a.target))
    try:
        if not a.operational:
            keys = list(first)
            if a.authmethod != '-':
                keys.append(('AuthMethod', a.authmethod))
            chap = 'CHAP' in a.authmethod.split(',')
            st, fl, rk = c.login(flags(not chap, 0, 1), keys)
            if 'AuthMethod' in rk:
                print('authmethod %s' % rk['AuthMethod'])
            if st == 0 and chap and rk.get('AuthMethod') == 'None':
                # CHAP offered, None taken: go on
                st, fl, rk = c.login(flags(True, 0, 1), [])
            if st != 0 or not chap or rk.get('AuthMethod') != 'CHAP':
                if st != 0 or fl & 0x80 == 0:
                    report(st, rk)
                    return 0
            else:
                st, fl, rk = c.login(flags(False, 0, 1),
                                     [('CHAP_A', a.alg)])
                if st != 0 or 'CHAP_C' not in rk:
                    report(st, rk)
                    return 0
                alg = int(rk['CHAP_A'])
                ident = int(rk['CHAP_I'])
                chal = bytes.fromhex(rk['CHAP_C'][2:])
                print('challenge %d bytes alg %d' % (len(chal), alg))
                resp = chap_hash(alg, ident, a.secret.encode(), chal)
                keys = [('CHAP_N', a.user),
                        ('CHAP_R', '0x' + resp.hex())]
                mident = mchal = None
                if a.mutual_secret or a.reflect:
                    mident = ident if a.reflect else os.urandom(1)[0]
                    mchal = chal if a.reflect else os.urandom(16)
                    keys += [('CHAP_I', str(mident)),
                             ('CHAP_C', '0x' + mchal.hex())]
                st, fl, rk = c.login(flags(True, 0, 1), keys)
                if st != 0:
                    report(st, rk)
                    return 0
                if mchal is not None:
                    want = chap_hash(alg, mident, a.mutual_secret.encode(),
                                     mchal)
                    good = (rk.get('CHAP_N') == a.mutual_user and
                            rk.get('CHAP_R', '').lower() ==
                            '0x' + want.hex())
                    print('mutual %s' % ('ok' if good else 'bad'))
                if fl & 0x80 == 0:
                    # the target wants another round: ask to go on
                    st, fl, rk = c.login(flags(True, 0, 1), [])
                    if st != 0:
                        report(st, rk)
                        return 0
            op = []
        else:
            op = list(first)
        op += [('HeaderDigest', 'None'), ('DataDigest', 'None'),
               ('MaxRecvDataSegmentLength', '65536')]
        if not a.discovery:
            op += [('InitialR2T', 'Yes'), ('ImmediateData', 'No')]
        st, fl, rk = c.login(flags(True, 1, 3), op)
        report(st, rk)
        if st == 0 and a.sendtargets:
            for k, v in c.sendtargets():
                if k == 'TargetName':
                    print('target %s' % v)
                elif k == 'TargetAddress':
                    print('address %s' % v)
    except (OSError, EOFError, ValueError) as e:
        print('error: %s' % e)
    return 0


if __name__ == '__main__':
    sys.exit(main())
