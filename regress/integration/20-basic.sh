#!/usr/bin/env bash
# Basic service: discovery, REPORT LUNS, INQUIRY (standard and VPD), READ
# CAPACITY 16 with the configured block sizes and sizes, LUN 0 and an
# unconfigured LUN, an IPv6 listener.
. "$(dirname "$0")/../lib/common.sh"

mkdisk "$T/d1.img" 64M
mkdisk "$T/d2.img" 64M
v6=0
ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/' && v6=1

tgt_conf <<EOF2
$( [ $v6 = 1 ] && echo "listen on ::1 port $PORT" )
target "$IQN" {
	alias "basic test"
	allow all
	lun 1 disk "$T/d1.img"
	lun 2 disk "$T/d2.img" {
		block-size 4096
		size 32M
		vendor "ACME"
		product "TESTDISK"
		serial "SER0123456789"
	}
}
EOF2
tgt_start || exit 1

check_out "iscsi-ls lists the target" \
    "^Target:$IQN Portal:" timeout 20 iscsi-ls "$URL"
# iscsi-ls -s sends REPORT LUNS to LUN 0 (not configured here), then
# TEST UNIT READY, INQUIRY and READ CAPACITY 10 to each LUN it reports.
# (iscsi-ls prints last LBA x block size, so sizes show one block short.)
check_out "REPORT LUNS on LUN 0 reports LUN 1" \
    "^Lun:1 +Type:DIRECT_ACCESS" timeout 20 iscsi-ls -s "$URL"
grep -qE "^Lun:2 +Type:DIRECT_ACCESS" "$T/out" &&
    ok "REPORT LUNS on LUN 0 reports LUN 2" ||
    { fail "REPORT LUNS on LUN 0 reports LUN 2"; indent "$T/out"; }
n=$(grep -c '^Lun:' "$T/out")
[ "$n" = 2 ] && ok "REPORT LUNS lists exactly the 2 configured LUNs" ||
    { fail "REPORT LUNS lists exactly the 2 configured LUNs (got $n)"; indent "$T/out"; }

check_out "iscsi-inq LUN 1: direct-access disk" \
    '^Peripheral Device Type:DIRECT_ACCESS' timeout 20 iscsi-inq "$URL/$IQN/1"
grep -qE '^Vendor:TGT *$' "$T/out" && grep -qE '^Product:DISK *$' "$T/out" &&
    ok "iscsi-inq LUN 1: default vendor TGT, product DISK" ||
    { fail "iscsi-inq LUN 1: default vendor TGT, product DISK"; indent "$T/out"; }
check_out "iscsi-inq LUN 2: configured vendor and product" \
    '^Product:TESTDISK *$' timeout 20 iscsi-inq "$URL/$IQN/2"
grep -qE '^Vendor:ACME *$' "$T/out" ||
    { fail "iscsi-inq LUN 2: vendor ACME"; indent "$T/out"; }

check_out "VPD 0x00 lists pages 80 83 b0 b1 b2" 'Page:0xb2' \
    timeout 20 iscsi-inq -e 1 -c 0 "$URL/$IQN/1"
for pg in 0x80 0x83 0xb0 0xb1; do
	grep -q "^Page:$pg" "$T/out" || fail "VPD 0x00 lists page $pg"
done
check_out "VPD 0x80 has the configured serial" 'SER0123456789' \
    timeout 20 iscsi-inq -e 1 -c 128 "$URL/$IQN/2"
check_out "VPD 0x83 has a logical-unit designator" \
    'Association:\(0\) LOGICAL_UNIT' \
    timeout 20 iscsi-inq -e 1 -c 131 "$URL/$IQN/1"

check_out "READ CAPACITY 16, LUN 1: 64 MiB in 512-byte blocks" \
    '^Total size:67108864$' timeout 20 iscsi-readcapacity16 "$URL/$IQN/1"
grep -q '^LOGICAL BLOCK LENGTH IN BYTES:512$' "$T/out" &&
grep -q '^RETURNED LOGICAL BLOCK ADDRESS:131071$' "$T/out" ||
    { fail "READ CAPACITY 16, LUN 1: block length 512, last LBA 131071"; indent "$T/out"; }
check_out "READ CAPACITY 16, LUN 2: size 32M in 4096-byte blocks" \
    '^Total size:33554432$' timeout 20 iscsi-readcapacity16 "$URL/$IQN/2"
grep -q '^LOGICAL BLOCK LENGTH IN BYTES:4096$' "$T/out" ||
    { fail "READ CAPACITY 16, LUN 2: block length 4096"; indent "$T/out"; }

# LUN 0 is not configured.  It must still answer: INQUIRY with a
# peripheral qualifier (libiscsi's iscsi-inq first sends TEST UNIT READY,
# which a target may fail with LOGICAL UNIT NOT SUPPORTED); either way a
# SCSI answer, not a dropped connection or a hang.
timeout 20 iscsi-inq "$URL/$IQN/0" > "$T/out" 2>&1
rc=$?
if { [ $rc -eq 0 ] && grep -q '^Peripheral Qualifier:' "$T/out"; } ||
    grep -q 'LOGICAL_UNIT_NOT_SUPPORTED' "$T/out"; then
	ok "LUN 0 (not configured) answers: $(head -n 1 "$T/out")"
else
	fail "LUN 0 (not configured) answers (exit $rc)"
	indent "$T/out"
fi
# An unconfigured LUN other than 0: LOGICAL UNIT NOT SUPPORTED.
timeout 20 iscsi-inq "$URL/$IQN/7" > "$T/out" 2>&1
rc=$?
if grep -q 'LOGICAL_UNIT_NOT_SUPPORTED' "$T/out"; then
	ok "LUN 7 (not configured): LOGICAL UNIT NOT SUPPORTED"
else
	fail "LUN 7 (not configured): LOGICAL UNIT NOT SUPPORTED (exit $rc)"
	indent "$T/out"
fi
# Login to a target that does not exist is refused.
timeout 20 iscsi-inq "$URL/$IQN-nosuch/1" > "$T/out" 2>&1
rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 124 ]; then
	ok "login to an unknown target is refused"
else
	fail "login to an unknown target is refused (exit $rc)"
	indent "$T/out"
fi

if [ $v6 = 1 ]; then
	check_out "IPv6 listener: iscsi-inq over [::1]" \
	    '^Product:DISK' timeout 20 iscsi-inq "iscsi://[::1]:$PORT/$IQN/1"
else
	skip "IPv6 listener: no ::1 on lo"
fi
master_alive && ok "master still running" || fail "master still running"
