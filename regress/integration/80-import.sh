#!/usr/bin/env bash
# tgtctl import: each sample targets.conf (tgt-admin syntax) under
# regress/import converts to its .expected tgt.conf, which tgt-master -n
# accepts; what cannot be mapped is a warning comment and a warning on
# stderr; a broken file converts nothing and exits 1 with file:line:.
. "$(dirname "$0")/../lib/common.sh"
need_bin tgtctl
need_bin tgt-master
CTL=$BIN/tgtctl
cd "$top/regress/import" || exit 1

for f in *.conf; do
	name=${f%.conf}
	[ "$name" = bad ] && continue
	if [ ! -f "$name.expected" ]; then
		fail "$f: $name.expected is missing"
		continue
	fi
	if ! "$CTL" import "$f" > "$T/$name.out" 2> "$T/$name.err"; then
		fail "$f: tgtctl import exits 0"
		indent "$T/$name.err"
		continue
	fi
	if diff -u "$name.expected" "$T/$name.out" > "$T/diff"; then
		ok "$f: converts to $name.expected"
	else
		fail "$f: converts to $name.expected"
		indent "$T/diff"
	fi
	nw=$(grep -c '# tgtctl import:' "$T/$name.out")
	ne=$(grep -c 'warning:' "$T/$name.err")
	if [ "$nw" -gt 0 ] && [ "$ne" -eq 0 ]; then
		fail "$f: the $nw warning comment(s) are also on stderr"
	else
		ok "$f: $nw warning comment(s), $ne warning(s) on stderr"
	fi
	check "$f: tgt-master -n accepts the result" \
	    "$BIN/tgt-master" -n -f "$T/$name.out"
done

# Every directive the issue names is recognised (no "unknown" warning).
cat > "$T/all.conf" <<EOF2
include $T/none-*.conf
<target iqn.2026-11.org.example:all>
    backing-store $T/b.img
    direct-store /dev/null
    <backing-store $T/c.img>
        lun 7
        bs-type aio
        device-type disk
        vendor_id V
        product_id P
        product_rev 1
        scsi_id I
        scsi_sn S
        write-cache off
        readonly 1
    </backing-store>
    incominguser u1 secret-number-1
    outgoinguser u2 secret-number-2
    initiator-address 127.0.0.1
    initiator-name iqn.2026-11.org.example:ini
    MaxRecvDataSegmentLength 65536
    MaxBurstLength 262144
</target>
EOF2
if "$CTL" import "$T/all.conf" > "$T/all.out" 2> "$T/all.err" &&
    ! grep -q 'unknown\|no tgt.conf equivalent' "$T/all.out"; then
	ok "every tgt-admin directive of the issue is recognised"
else
	fail "every tgt-admin directive of the issue is recognised"
	indent "$T/all.out" "$T/all.err"
fi
grep -qF 'lun 7 disk "'"$T"'/c.img" { backend aio; read-only yes; write-cache no; vendor "V"; product "P"; revision "1"; serial "S" }' \
    "$T/all.out" && ok "a <backing-store> block maps every per-LUN setting" ||
    { fail "a <backing-store> block maps every per-LUN setting"; indent "$T/all.out"; }
check "the result of every directive passes tgt-master -n" \
    "$BIN/tgt-master" -n -f "$T/all.out"

"$CTL" import bad.conf > "$T/bad.out" 2> "$T/bad.err"
rc=$?
if [ $rc -eq 1 ] && [ ! -s "$T/bad.out" ] && grep -q '^bad.conf:3: ' "$T/bad.err"; then
	ok "a broken file: exit 1, nothing printed, errors as file:line:"
else
	fail "a broken file: exit 1, nothing printed, errors as file:line: (exit $rc)"
	indent "$T/bad.out" "$T/bad.err"
fi
"$CTL" import "$T/missing.conf" > /dev/null 2>&1 &&
    fail "a missing file fails" || ok "a missing file fails"
