#!/usr/bin/env python3
# Copyright (c) 2026 The tgt suite authors
# SPDX-License-Identifier: GPL-2.0-only
#
# ALUA seen by an initiator, byte by byte (regress/integration/
# 76-alua.sh):
#
#	alua_probe.py HOST PORT1 PORT2 TARGET TGTCTL SOCKET CONF
#
# TARGET has LUNs 1 and 2 and two listeners, PORT1 in port-group 1
# (active/optimized, preferred) and PORT2 in port-group 2 (active/non-
# optimized), explicit ALUA allowed and an implicit transition time of
# 7 s.  One session through each listener (nexus A, nexus B): INQUIRY
# TPGS, VPD 83h relative port and group designators, REPORT TARGET PORT
# GROUPS in both formats; tgtctl puts group 2 in standby, unavailable
# and transitioning: 06/2A/06 once on every nexus and LUN, then the
# commands the state allows pass and the others get its NOT READY
# sense; SET TARGET PORT GROUPS through A (not on A's LUN 1, but on the
# others), its errors; a reload keeps what tgtctl or SET TARGET PORT
# GROUPS did to a group whose configured state stays, and applies a
# new configured state.  Output: ok/FAIL lines.

import json
import os
import re
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import iscsi_raw as raw  # noqa: E402

nfail = 0


def check(cond, what, detail=None):
    global nfail
    if cond:
        print('ok alua-probe: %s' % what, flush=True)
    else:
        nfail += 1
        print('FAIL alua-probe: %s' % what, flush=True)
        if detail is not None:
            print('    %r' % (detail,), flush=True)


def command(c, cdb, lun, alloc=0):
    return raw.command(c, cdb, lun, alloc, skip_async=True)


def write(c, cdb, lun, data):
    """A command with immediate Data-Out (all of it fits)."""
    b, itt = c.cmd_bhs(cdb, lun, write=True, edtl=len(data))
    c.send(b, data)
    while True:
        p = c.recv_skip_nop()
        if p.op == raw.OP_SCSI_RSP:
            sense = p.data[2:] if len(p.data) >= 2 else b''
            return p.bhs[3], sense
        if p.op == raw.OP_R2T:
            c.data_out(itt, p.ttt, 0, data, 0, True, lun=lun)
            continue
        if p.op == raw.OP_ASYNC:
            continue
        raise raw.ProtocolError('unexpected PDU %r' % p)


def sense_of(st, sense):
    if st != 2 or len(sense) < 14:
        return (st,)
    return (sense[2] & 0x0f, sense[12], sense[13])


TUR = bytes(6)
INQ = bytes([0x12, 0, 0, 0, 96, 0])
VPD83 = bytes([0x12, 1, 0x83, 1, 0, 0])
REPORT_LUNS = bytes([0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0])
MODE_SENSE = bytes([0x1a, 0x08, 0x3f, 0, 255, 0])
READ = raw.cdb_rw(0x28, 0, 1)
UA_ALUA = (6, 0x2a, 0x06)
STANDBY = (2, 0x04, 0x0b)
UNAVAILABLE = (2, 0x04, 0x0c)
TRANSITIONING = (2, 0x04, 0x0a)
BAD_PARAM = (5, 0x26, 0x00)


def rtpg(c, ext, lun=1):
    cdb = bytes([0xa3, 0x0a | (0x20 if ext else 0), 0, 0, 0, 0]) + \
        struct.pack('>I', 1024) + bytes(2)
    st, d = command(c, cdb, lun, 1024)
    if st != 0 or len(d) < 4:
        return st, None
    hl = 8 if ext else 4
    groups = {}
    off = hl
    while off + 8 <= len(d):
        n = d[off + 7]
        gid = struct.unpack_from('>H', d, off + 2)[0]
        ports = [struct.unpack_from('>H', d, off + 8 + 4 * i + 2)[0]
                 for i in range(n)]
        groups[gid] = {'state': d[off] & 0x0f, 'pref': d[off] >> 7,
                       'sup': d[off + 1], 'status': d[off + 5],
                       'ports': ports}
        off += 8 + 4 * n
    return st, {'len': struct.unpack_from('>I', d, 0)[0], 'raw': d,
                'groups': groups}


def designators(c, lun=1):
    st, d = command(c, VPD83, lun, 256)
    out = {}
    if st != 0 or len(d) < 4:
        return out
    off = 4
    while off + 4 <= len(d):
        typ = d[off + 1] & 0x0f
        assoc = (d[off + 1] >> 4) & 3
        ln = d[off + 3]
        if assoc == 1 and typ in (4, 5):
            out[typ] = struct.unpack_from('>H', d, off + 6)[0]
        off += 4 + ln
    return out


def settle(c, lun, want, secs=5):
    """TEST UNIT READY until it reports want (the LUN got the new state
    from the master); the answers seen on the way."""
    seen = []
    deadline = time.time() + secs
    while time.time() < deadline:
        got = sense_of(*command(c, TUR, lun))
        seen.append(got)
        if got == want:
            return seen
        time.sleep(0.05)
    return seen


def ua_once_then(c, lun, want, what):
    seen = settle(c, lun, want)
    check(len(seen) >= 2 and seen[-2] == UA_ALUA and
          seen.count(UA_ALUA) == 1 and seen[-1] == want,
          '%s: 06/2A/06 once, then %s' % (what, want), seen)


def tgtctl(args, tctl, sock):
    r = subprocess.run([tctl, '-s', sock] + args, capture_output=True,
                       text=True, timeout=20)
    return r.returncode, r.stdout + r.stderr


def stpg(c, descs, lun=1):
    data = bytes(4) + b''.join(bytes([st, 0]) + struct.pack('>H', g)
                               for g, st in descs)
    cdb = bytes([0xa4, 0x0a, 0, 0, 0, 0]) + struct.pack('>I', len(data)) + \
        bytes(2)
    return sense_of(*write(c, cdb, lun, data))


def main():
    host, p1, p2, target, tctl, sock, conf = sys.argv[1:8]
    a = raw.Conn(host, int(p1), raw.Session(
        'iqn.2026-11.org.example:alua-a', target))
    a.login()
    b = raw.Conn(host, int(p2), raw.Session(
        'iqn.2026-11.org.example:alua-b', target))
    b.login()
    for c in (a, b):
        raw.clear_ua(c, 1, 2)

    # what the initiator sees of the groups
    st, inq = command(a, INQ, 1, 96)
    check(st == 0 and len(inq) > 5 and (inq[5] & 0x30) == 0x30,
          'INQUIRY: TPGS 11b (implicit and explicit)', inq[:8])
    da, db = designators(a), designators(b)
    check(da.get(5) == 1 and db.get(5) == 2,
          'VPD 83h: target port group 1 through A, 2 through B', (da, db))
    check(4 in da and 4 in db and da[4] != db[4] and da[4] > 0,
          'VPD 83h: a relative target port of its own per listener',
          (da, db))
    st, r = rtpg(a, False)
    check(st == 0 and r is not None and sorted(r['groups']) == [1, 2],
          'REPORT TARGET PORT GROUPS: two groups', (st, r))
    if r is None:
        return
    g = r['groups']
    check(g[1]['state'] == 0 and g[1]['pref'] == 1 and
          g[2]['state'] == 1 and g[2]['pref'] == 0,
          'RTPG: group 1 active/optimized preferred, group 2 '
          'active/non-optimized', g)
    check(g[1]['ports'] == [da.get(4)] and g[2]['ports'] == [db.get(4)],
          'RTPG: each group lists the relative port of its listener', g)
    check(g[1]['sup'] == 0x8f and r['len'] == len(r['raw']) - 4,
          'RTPG: supported states T/U/S/AN/AO and the data length', r)
    st, rx = rtpg(b, True)
    check(st == 0 and rx is not None and rx['raw'][4] == 0x10 and
          rx['raw'][5] == 7 and rx['groups'] == g,
          'RTPG extended header: format 1, transition time 7 s, same '
          'groups', rx)
    st, _ = command(a, bytes([0xa3, 0x4a, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0]),
                    1, 1024)
    check(st == 2, 'RTPG: an unknown parameter data format is refused')
    check(command(b, READ, 1, 512)[0] == 0,
          'active/non-optimized: READ through B is GOOD')

    # standby: every nexus learns it, then B may only do a few things
    rc, out = tgtctl(['port-group', '2', 'state', 'standby'], tctl, sock)
    check(rc == 0, 'tgtctl port-group 2 state standby', out)
    ua_once_then(b, 1, STANDBY, 'standby, B LUN 1')
    ua_once_then(b, 2, STANDBY, 'standby, B LUN 2')
    ua_once_then(a, 1, (0,), 'standby, A LUN 1')
    ua_once_then(a, 2, (0,), 'standby, A LUN 2')
    check(sense_of(*command(b, READ, 1, 512)) == STANDBY,
          'standby: READ through B gets 02/04/0B')
    for name, cdb, alloc in (('INQUIRY', INQ, 96),
                             ('REPORT LUNS', REPORT_LUNS, 256),
                             ('MODE SENSE', MODE_SENSE, 255),
                             ('REQUEST SENSE',
                              bytes([3, 0, 0, 0, 252, 0]), 252)):
        check(command(b, cdb, 1, alloc)[0] == 0,
              'standby: %s through B is GOOD' % name)
    st, r = rtpg(b, False)
    check(st == 0 and r['groups'][2]['state'] == 2 and
          r['groups'][2]['status'] == 2,
          'standby: RTPG through B, group 2 standby, changed implicitly',
          r and r['groups'])
    check(command(a, READ, 1, 512)[0] == 0,
          'standby of group 2: READ through A is GOOD')
    rc, out = tgtctl(['-j', 'show', 'port-groups'], tctl, sock)
    try:
        pg = {x['id']: x for x in json.loads(out)}
    except ValueError:
        pg = {}
    check(rc == 0 and pg.get(2, {}).get('state') == 'standby' and
          pg[2].get('configured') == 'active-non-optimized' and
          ':%s' % p2 in pg[2].get('listeners', ''),
          'tgtctl show port-groups: group 2 standby, configured '
          'active-non-optimized, its listener', out)

    rc, out = tgtctl(['port-group', '2', 'state', 'unavailable'], tctl,
                     sock)
    check(rc == 0, 'tgtctl port-group 2 state unavailable', out)
    ua_once_then(b, 1, UNAVAILABLE, 'unavailable, B LUN 1')
    check(sense_of(*command(b, MODE_SENSE, 1, 255)) == UNAVAILABLE,
          'unavailable: MODE SENSE through B gets 02/04/0C')
    check(command(b, INQ, 1, 96)[0] == 0 and rtpg(b, True)[0] == 0,
          'unavailable: INQUIRY and RTPG through B are GOOD')
    rc, out = tgtctl(['port-group', '2', 'state', 'transitioning'], tctl,
                     sock)
    check(rc == 0, 'tgtctl port-group 2 state transitioning', out)
    ua_once_then(b, 1, TRANSITIONING, 'transitioning, B LUN 1')
    check(stpg(b, [(2, 0)]) == TRANSITIONING,
          'transitioning: SET TARGET PORT GROUPS through B gets 02/04/0A')
    rc, out = tgtctl(['port-group', '9', 'state', 'standby'], tctl, sock)
    check(rc != 0 and 'no port-group 9' in out,
          'tgtctl: an unknown group is refused', out)
    rc, out = tgtctl(['port-group', '1', 'state', 'asleep'], tctl, sock)
    check(rc != 0 and 'unknown state' in out,
          'tgtctl: an unknown state is refused', out)

    # explicit: SET TARGET PORT GROUPS through A swaps the roles
    settle(a, 1, (0,))
    settle(a, 2, (0,))
    settle(b, 2, TRANSITIONING)
    check(stpg(a, [(2, 0), (1, 1)]) == (0,),
          'SET TARGET PORT GROUPS through A: group 2 optimized, 1 not')
    check(sense_of(*command(a, TUR, 1)) == (0,),
          'STPG: no unit attention for the nexus that sent it')
    ua_once_then(b, 1, (0,), 'STPG, B LUN 1')
    ua_once_then(a, 2, (0,), 'STPG, A LUN 2 (through the master)')
    ua_once_then(b, 2, (0,), 'STPG, B LUN 2 (through the master)')
    st, r = rtpg(a, False, 2)
    check(st == 0 and r['groups'][1]['state'] == 1 and
          r['groups'][2]['state'] == 0 and
          r['groups'][2]['status'] == 1,
          'STPG: LUN 2 reports the new states, changed explicitly',
          r and r['groups'])
    check(stpg(a, [(7, 0)]) == BAD_PARAM,
          'STPG: an unknown group gets 05/26/00')
    check(stpg(a, [(1, 0x0f)]) == BAD_PARAM,
          'STPG: transitioning cannot be asked for (05/26/00)')

    # reload: group 1's configured state stays (its state too), group
    # 2's configured state becomes standby
    with open(conf) as f:
        text = f.read()
    with open(conf, 'w') as f:
        f.write(text.replace('state active-non-optimized',
                             'state standby'))
    rc, out = tgtctl(['reload'], tctl, sock)
    check(rc == 0, 'reload with group 2 configured standby', out)
    ua_once_then(b, 1, STANDBY, 'reload, B LUN 1')
    ua_once_then(a, 1, (0,), 'reload, A LUN 1')
    st, r = rtpg(a, True)
    check(st == 0 and r['groups'][1]['state'] == 1 and
          r['groups'][2]['state'] == 2,
          'reload: group 1 keeps active/non-optimized (from STPG), '
          'group 2 standby as configured', r and r['groups'])
    check(command(a, READ, 1, 512)[0] == 0,
          'reload: READ through A (active/non-optimized) is GOOD')

    # maintenance: group 2 is in standby, now its listener goes
    with open(conf, 'w') as f:
        f.write(re.sub(r'port-group 2 \{[^}]*\}\n', '', text))
    rc, out = tgtctl(['reload'], tctl, sock)
    check(rc == 0, 'reload without group 2 and its listener', out)
    st, r = rtpg(a, False)
    check(st == 0 and sorted(r['groups']) == [1] and
          r['groups'][1]['ports'] == [da.get(4)],
          'RTPG: group 1 alone, with its port', r and r['groups'])
    check(sense_of(*command(a, TUR, 1)) == (0,),
          'removing a group gives the other ports no unit attention')
    a.logout()
    for c in (a, b):
        c.close()


if __name__ == '__main__':
    try:
        main()
    except (raw.ProtocolError, OSError) as e:
        check(False, 'the probe ran to its end', str(e))
    sys.exit(1 if nfail else 0)
