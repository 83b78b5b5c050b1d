#!/usr/bin/env python3
# Persistent reservations with APTPL across restarts, for
# regress/integration/42-pr-persist.sh, with the raw initiator of
# iscsi_raw.py (a fixed ISID: the same initiator port every time).
#
#	pr_persist.py HOST PORT TARGET LUN setup|check|clear
#
# setup: register key 0xa1 with APTPL and reserve Write Exclusive;
# check: the key is registered and the reservation is Write Exclusive,
# held by 0xa1; clear: CLEAR.  Exits 0 when it did what it says.
import struct
import sys

sys.path.insert(0, __file__.rsplit('/', 1)[0])
import iscsi_raw as ir  # noqa: E402

KEY = 0xa1
WE = 1


def prout(c, lun, sa, typ, key, sakey, aptpl):
    pl = struct.pack('>QQ4xBxH', key, sakey, 1 if aptpl else 0, 0)
    cdb = struct.pack('>BBB2xIB', 0x5f, sa, typ, len(pl), 0)
    b, itt = c.cmd_bhs(cdb, lun, write=True, edtl=len(pl))
    c.send(b, pl)              # immediate data
    st, _, _ = ir.write_finish(c, itt, pl, len(pl), lun)
    return st


def prin(c, lun, sa):
    cdb = struct.pack('>BB5xHB', 0x5e, sa, 512, 0)
    b, itt = c.cmd_bhs(cdb, lun, read=True, edtl=512)
    c.send(b)
    data, st, _, _ = ir.read_collect(c, itt)
    return st, data


def main():
    host, port, target, lun, what = sys.argv[1:6]
    port, lun = int(port), int(lun)
    s = ir.Session('iqn.2026-11.org.example:pr-persist', target,
                   isid=bytes([0x80, 0, 0, 0, 0x42, 0x01]))
    c = ir.Conn(host, port, s)
    c.login()
    ir.clear_ua(c, lun)
    if what == 'setup':
        if prout(c, lun, 0, 0, 0, KEY, True) != 0:
            print('REGISTER with APTPL failed')
            return 1
        if prout(c, lun, 1, WE, KEY, 0, False) != 0:
            print('RESERVE failed')
            return 1
    elif what == 'check':
        st, d = prin(c, lun, 0)
        n = struct.unpack('>I', d[4:8])[0] // 8
        keys = [struct.unpack('>Q', d[8 + 8 * i:16 + 8 * i])[0]
                for i in range(n)]
        st2, r = prin(c, lun, 1)
        if st or st2 or KEY not in keys:
            print('keys after the restart: %r (status %d)' % (keys, st))
            return 1
        if (struct.unpack('>I', r[4:8])[0] != 16 or
                struct.unpack('>Q', r[8:16])[0] != KEY or
                r[21] & 0x0f != WE):
            print('reservation after the restart: %s' % r[:24].hex())
            return 1
    elif what == 'clear':
        if prout(c, lun, 3, 0, KEY, 0, False) != 0:
            print('CLEAR failed')
            return 1
    c.logout()
    c.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
