#!/usr/bin/env python3
# Copyright (c) 2026 The tgt suite authors
# SPDX-License-Identifier: GPL-2.0-only
#
# Check what regress/lib/ack_writer.py had acknowledged against the
# store itself (a backing file, or an exported rbd image):
#
#	ack_verify.py IMAGE ACKED
#
# Every block in ACKED ("LBA ROUND" lines) must hold the last round
# acknowledged for it, or a newer one (written but not yet acknowledged
# when the LUN process died): never an older one.  Prints "N blocks
# checked, M lost"; exits 1 if any was lost.
import struct, sys
img, acked = sys.argv[1], sys.argv[2]
last = {}
for line in open(acked):
    lba, rnd = map(int, line.split())
    last[lba] = max(rnd, last.get(lba, -1))
bad = 0
with open(img, 'rb') as f:
    for lba, rnd in sorted(last.items()):
        f.seek(lba * 512)
        d = f.read(4096)
        got_lba, got_rnd = struct.unpack('>II', d[:8])
        # a newer round may have landed unacknowledged: never an older one
        if got_lba != lba or got_rnd < rnd or d != d[:8] * 512:
            bad += 1
            if bad <= 5:
                print('LBA %d: acked round %d, file has lba %d round %d' %
                      (lba, rnd, got_lba, got_rnd))
print('%d blocks checked, %d lost' % (len(last), bad))
sys.exit(1 if bad else 0)
