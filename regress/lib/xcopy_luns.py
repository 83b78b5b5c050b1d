#!/usr/bin/env python3
# EXTENDED COPY between two LUNs of a target, for
# regress/integration/43-xcopy.sh, with the raw initiator of iscsi_raw.py.
#
#	xcopy_luns.py HOST PORT TARGET SRCLUN DSTLUN [OTHERTARGET]
#
# Writes a pattern to 64 blocks of SRCLUN, has DSTLUN's copy manager copy
# them (both named by their NAA designators, as VPD page 83h gives them)
# to DSTLUN block 128, reads them back there.  Exits 0 if they match.
# With OTHERTARGET, a copy from its LUN 1 to DSTLUN must end in COPY
# ABORTED, COPY TARGET DEVICE NOT REACHABLE (0A/0D/02): a copy manager
# reaches the LUNs of its own target only.
import os
import struct
import sys

sys.path.insert(0, __file__.rsplit('/', 1)[0])
import iscsi_raw as ir  # noqa: E402

NB = 64


def naa_designator(c, lun):
    cdb = struct.pack('>BBBHB', 0x12, 1, 0x83, 255, 0)
    b, itt = c.cmd_bhs(cdb, lun, read=True, edtl=255)
    c.send(b)
    d, st, _, _ = ir.read_collect(c, itt)
    off = 4
    while off + 4 <= len(d):
        l = d[off + 3]
        if d[off + 1] & 0x3f == 0x03:          # LU, NAA
            return d[off:off + 4 + l]
        off += 4 + l
    raise SystemExit('no NAA designator for LUN %d' % lun)


def tgt_desc(desig):
    t = bytearray(32)
    t[0] = 0xe4
    t[4:4 + len(desig)] = desig
    t[29:32] = (512).to_bytes(3, 'big')
    return bytes(t)


def main():
    host, port, target, src, dst = sys.argv[1:6]
    port, src, dst = int(port), int(src), int(dst)
    s = ir.Session('iqn.2026-11.org.example:xcopy', target)
    c = ir.Conn(host, port, s)
    c.login()
    ir.clear_ua(c, src, dst)
    pat = os.urandom(NB * 512)
    cdb = struct.pack('>BBIBHB', 0x2a, 0, 0, 0, NB, 0)
    b, itt = c.cmd_bhs(cdb, src, write=True, edtl=len(pat))
    c.send(b, pat[:65536])
    st, _, _ = ir.write_finish(c, itt, pat, 65536, src)
    if st != 0:
        print('WRITE to the source failed: %d' % st)
        return 1
    tds = tgt_desc(naa_designator(c, src)) + tgt_desc(naa_designator(c, dst))
    seg = struct.pack('>BBHHH2xHQQ', 0x02, 0, 24, 0, 1, NB, 0, 128)
    hdr = struct.pack('>BBH4xII', 1, 0x10, len(tds), len(seg), 0)
    pl = hdr + tds + seg
    cdb = struct.pack('>BB8xIBB', 0x83, 0, len(pl), 0, 0)
    b, itt = c.cmd_bhs(cdb, dst, write=True, edtl=len(pl))
    c.send(b, pl)
    st, rsp, _ = ir.write_finish(c, itt, pl, len(pl), dst)
    if st != 0:
        print('EXTENDED COPY failed: status %d sense %s' %
              (st, rsp.data.hex()))
        return 1
    data, st, _, _ = ir.scsi_read(c, dst, 128, NB)
    if st != 0 or data != pat:
        print('the copy does not read back (status %d)' % st)
        return 1
    if len(sys.argv) > 6:
        o = ir.Conn(host, port, ir.Session('iqn.2026-11.org.example:xcopy',
                                           sys.argv[6]))
        o.login()
        ir.clear_ua(o, 1)
        tds = tgt_desc(naa_designator(o, 1)) + \
            tgt_desc(naa_designator(c, dst))
        o.logout()
        o.close()
        pl = struct.pack('>BBH4xII', 2, 0x10, len(tds), len(seg), 0) + \
            tds + seg
        cdb = struct.pack('>BB8xIBB', 0x83, 0, len(pl), 0, 0)
        b, itt = c.cmd_bhs(cdb, dst, write=True, edtl=len(pl))
        c.send(b, pl)
        st, rsp, _ = ir.write_finish(c, itt, pl, len(pl), dst)
        sense = rsp.data[2:]
        if st != 2 or len(sense) < 14 or sense[2] & 0x0f != 0x0a or \
                sense[12:14] != b'\x0d\x02':
            print('a copy from another target\'s LUN: status %d sense %s, '
                  'not 0A/0D/02' % (st, rsp.data.hex()))
            return 1
    c.logout()
    c.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
