#!/usr/bin/env python3
# Two gateways over one rbd image, for regress/integration/39-rbd-gw.sh:
# the raw initiator of iscsi_raw.py logs in to the same target and LUN
# through gateway A and gateway B.
#
#	gw_probe.py HOST PORT_A PORT_B TARGET LUN ids|pr|volatile-setup|volatile-check
#	gw_probe.py HOST PORT - TARGET LUN rtpg
#
# ids: the same NAA and serial through both, distinct relative target
#     ports and target port groups.
# pr: initiator X through A and Y through B register; both keys are seen
#     through either gateway, with the right relative ports; X reserves
#     Write Exclusive through A; a write of Y through B is a RESERVATION
#     CONFLICT, its read is not; Y preempts X through B, X learns it
#     (06/2A/05) through A and its writes conflict; CLEAR.
# volatile-setup: X registers without APTPL; volatile-check: no key left
#     (run after a restart of both gateways: the unit's power on).
# rtpg: print the target port groups REPORT TARGET PORT GROUPS gives
#     through PORT alone, "id:state" sorted by id (state as SPC-4 codes
#     it: 0 active/optimized, 1 active/non-optimized, 3 unavailable).
# Prints ok/FAIL lines; exits 0 if all passed.
import struct
import sys

sys.path.insert(0, __file__.rsplit('/', 1)[0])
import iscsi_raw as ir  # noqa: E402

CONFLICT = 0x18
CHECK = 0x02
WE = 1


def prout(c, lun, sa, typ, key, sakey, aptpl=False):
    pl = struct.pack('>QQ4xBxH', key, sakey, 1 if aptpl else 0, 0)
    cdb = struct.pack('>BBB2xIB', 0x5f, sa, typ, len(pl), 0)
    b, itt = c.cmd_bhs(cdb, lun, write=True, edtl=len(pl))
    c.send(b, pl)
    st, _, _ = ir.write_finish(c, itt, pl, len(pl), lun)
    return st


def prin(c, lun, sa, alloc=4096):
    st, d = ir.command(c, struct.pack('>BB5xHB', 0x5e, sa, alloc, 0), lun,
                       alloc)
    return st, d


def keys(c, lun):
    st, d = prin(c, lun, 0)
    if st:
        return None
    n = struct.unpack('>I', d[4:8])[0] // 8
    return sorted(struct.unpack('>Q', d[8 + 8 * i:16 + 8 * i])[0]
                  for i in range(n))


def full_status(c, lun):
    """{key: relative target port} of READ FULL STATUS."""
    st, d = prin(c, lun, 3)
    if st:
        return None
    end = 8 + struct.unpack('>I', d[4:8])[0]
    off, res = 8, {}
    while off + 24 <= end:
        key = struct.unpack('>Q', d[off:off + 8])[0]
        res[key] = struct.unpack('>H', d[off + 18:off + 20])[0]
        off += 24 + struct.unpack('>I', d[off + 20:off + 24])[0]
    return res


def vpd(c, lun, page):
    st, d = ir.command(c, struct.pack('>BBBHB', 0x12, 1, page, 255, 0),
                       lun, 255)
    return d if st == 0 else b''


def ids(c, lun):
    """(NAA, serial, relative port, port group) through this path."""
    d = vpd(c, lun, 0x83)
    naa = rp = tpg = None
    off = 4
    while off + 4 <= len(d):
        typ, assoc, ln = d[off + 1] & 0x0f, (d[off + 1] >> 4) & 3, d[off + 3]
        v = d[off + 4:off + 4 + ln]
        if typ == 3 and assoc == 0:
            naa = v.hex()
        elif typ == 4 and assoc == 1:
            rp = struct.unpack('>H', v[2:4])[0]
        elif typ == 5 and assoc == 1:
            tpg = struct.unpack('>H', v[2:4])[0]
        off += 4 + ln
    s = vpd(c, lun, 0x80)
    serial = s[4:4 + s[3]].decode() if len(s) > 4 else None
    return naa, serial, rp, tpg


def write(c, lun):
    st, _, _ = ir.scsi_write(c, lun, 8, b'\x5a' * 512)
    return st


def read(c, lun):
    _, st, _, _ = ir.scsi_read(c, lun, 8, 1)
    return st


def sense_of(c, lun):
    """The status and (key, asc, ascq) of a TEST UNIT READY."""
    st, s = ir.command(c, bytes(6), lun)
    if st != CHECK or len(s) < 14:
        return st, None
    return st, (s[2] & 0x0f, s[12], s[13])


def connect(host, port, target, name, isid_last):
    s = ir.Session('iqn.2026-12.org.example:gw-' + name, target,
                   isid=bytes([0x80, 0, 0, 0, 0x47, isid_last]))
    c = ir.Conn(host, port, s)
    c.login()
    return c


def rtpg(host, port, target, lun):
    c = connect(host, port, target, 'rtpg', 3)
    ir.clear_ua(c, lun)
    st, d = ir.command(c, struct.pack('>BB4xIxx', 0xa3, 0x0a, 1024), lun,
                       1024)
    groups = []
    off, end = 4, 4 + struct.unpack('>I', d[0:4])[0] if st == 0 else 0
    while off + 8 <= end:
        groups.append((struct.unpack('>H', d[off + 2:off + 4])[0],
                       d[off] & 0x0f))
        off += 8 + 4 * d[off + 7]
    print(' '.join('%d:%d' % g for g in sorted(groups)))
    c.logout()
    c.close()
    return 0 if st == 0 else 1


def main():
    host, pa, pb, target, lun, what = sys.argv[1:7]
    if what == 'rtpg':
        return rtpg(host, int(pa), target, int(lun))
    pa, pb, lun = int(pa), int(pb), int(lun)
    t = ir.Tests(host, pa, target)
    t.name = 'gw_probe'
    x = connect(host, pa, target, 'x', 1)
    y = connect(host, pb, target, 'y', 2)
    ir.clear_ua(x, lun)
    ir.clear_ua(y, lun)
    if what == 'ids':
        a, b = ids(x, lun), ids(y, lun)
        t.check(a[0] is not None and a[0] == b[0],
                'the same NAA through both gateways (%s)' % a[0])
        t.check(a[1] is not None and a[1] == b[1],
                'the same unit serial number through both (%s)' % a[1])
        t.check(None not in (a[2], b[2]) and a[2] != b[2],
                'distinct relative target ports (%s, %s)' % (a[2], b[2]))
        t.check(None not in (a[3], b[3]) and a[3] != b[3],
                'distinct target port groups (%s, %s)' % (a[3], b[3]))
    elif what == 'pr':
        t.check(prout(x, lun, 0, 0, 0, 0x1a) == 0, 'X registers through A')
        t.check(prout(y, lun, 0, 0, 0, 0x1b) == 0, 'Y registers through B')
        ka, kb = keys(x, lun), keys(y, lun)
        t.check(ka == [0x1a, 0x1b] and kb == ka,
                'both keys through either gateway (A %r, B %r)' % (ka, kb))
        fa, fb = ids(x, lun)[2], ids(y, lun)[2]
        fs = full_status(y, lun)
        t.check(fs == {0x1a: fa, 0x1b: fb},
                'READ FULL STATUS through B: each key on its gateway\'s '
                'relative port (%r)' % fs)
        t.check(prout(x, lun, 1, WE, 0x1a, 0) == 0,
                'X reserves Write Exclusive through A')
        st = write(y, lun)
        t.check(st == CONFLICT, 'a write of Y through B: RESERVATION '
                'CONFLICT (status 0x%02x)' % st)
        st = read(y, lun)
        t.check(st == 0, 'a read of Y through B: GOOD (status 0x%02x)' % st)
        st = write(x, lun)
        t.check(st == 0, 'a write of X through A: GOOD (status 0x%02x)' % st)
        t.check(prout(y, lun, 4, WE, 0x1b, 0x1a) == 0,
                'Y preempts X through B')
        st, sk = sense_of(x, lun)
        t.check(sk == (6, 0x2a, 0x05), 'X through A: REGISTRATIONS '
                'PREEMPTED unit attention (%r)' % (sk,))
        st = write(x, lun)
        t.check(st == CONFLICT, 'a write of X through A now: RESERVATION '
                'CONFLICT (status 0x%02x)' % st)
        st = write(y, lun)
        t.check(st == 0, 'a write of Y through B: GOOD (status 0x%02x)' % st)
        t.check(prout(y, lun, 3, 0, 0x1b, 0) == 0, 'Y clears through B')
        ka = keys(x, lun)
        t.check(ka == [], 'no key left, seen through A (%r)' % ka)
    elif what == 'volatile-setup':
        t.check(prout(x, lun, 0, 0, 0, 0x1c) == 0,
                'X registers without APTPL through A')
        kb = keys(y, lun)
        t.check(kb == [0x1c], 'its key seen through B (%r)' % kb)
    elif what == 'volatile-check':
        kb = keys(y, lun)
        t.check(kb == [], 'after both gateways restarted, no key without '
                'APTPL is left (%r)' % kb)
    for c in (x, y):
        c.logout()
        c.close()
    return 1 if t.nfail else 0


if __name__ == '__main__':
    sys.exit(main())
