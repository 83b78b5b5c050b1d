#!/usr/bin/env bash
# iSCSI protocol depth with a raw initiator (regress/lib/iscsi_raw.py):
# CRC32C header and data digests and what a corrupted one does, several
# connections per session with CmdSN out of order across them,
# connection and session reinstatement, ERL 1 SNACK; and libiscsi with
# a header digest.
. "$(dirname "$0")/../lib/common.sh"

command -v python3 > /dev/null || { skip "python3 not installed"; finish; exit; }
mkdisk "$T/d1.img" 64M
mkdisk "$T/d2.img" 64M
tgt_conf <<EOF2
target "$IQN" {
	allow all
	lun 1 disk "$T/d1.img" { backend rdwr }
	lun 2 disk "$T/d2.img" { backend aio }
}
EOF2
TGT_VERBOSE=1	# the negotiated digests are logged at debug level
tgt_start || { finish; exit; }

timeout 120 python3 "$top/regress/lib/iscsi_raw.py" "$ADDR" "$PORT" "$IQN" \
    digest mcs mcs_unsol badjoin reinstate snack erl0 tmf erl2 > "$T/raw" 2>&1
rc=$?
cat "$T/raw"
npass=$((npass + $(grep -c '^ok ' "$T/raw")))
nfail=$((nfail + $(grep -c '^FAIL ' "$T/raw")))
[ $rc -le 1 ] || fail "iscsi_raw.py ended with status $rc"

# libiscsi (here under qemu) with HeaderDigest=CRC32C (it has no data
# digest).
if timeout 60 qemu-io --image-opts -c "write -P 0x5a 0 1M" \
    -c "read -P 0x5a 0 1M" "driver=iscsi,transport=tcp,portal=$ADDR:$PORT,target=$IQN,lun=1,header-digest=crc32c" \
    > "$T/qio" 2>&1 && ! grep -qiE 'fail|error' "$T/qio" &&
    grep -q "digests CRC32C/None" "$LOG"; then
	ok "libiscsi with HeaderDigest=CRC32C: 1 MiB written and verified"
else
	fail "libiscsi with HeaderDigest=CRC32C"
	indent "$T/qio"
fi
grep -q "header digest error\|data digest error" "$LOG" &&
    ok "the corrupted digests were logged" ||
    fail "the corrupted digests were logged"

# SIGTERM to the portal: its sessions are asked to log out (Async
# Message, AsyncEvent 1), it exits once they did, the master restarts it.
python3 "$top/regress/lib/iscsi_raw.py" "$ADDR" "$PORT" "$IQN" \
    asynclogout > "$T/al" 2>&1 &
alpid=$!
bg $alpid
if wait_for 15 grep -q "logged in" "$T/al"; then
	portal=$(children tgt-portal)
	kill -TERM $portal
	wait $alpid
	cat "$T/al"
	npass=$((npass + $(grep -c '^ok ' "$T/al")))
	nfail=$((nfail + $(grep -c '^FAIL ' "$T/al")))
	grep -q "every session logged out, exiting" "$LOG" &&
	    ok "SIGTERM: the portal exits once its sessions logged out" ||
	    fail "SIGTERM: the portal exits once its sessions logged out"
	if wait_for 20 timeout 5 iscsi-inq "$URL/$IQN/1"; then
		ok "SIGTERM: the master restarted the portal"
	else
		fail "SIGTERM: the master restarted the portal"
	fi
else
	fail "async logout client logged in"
	indent "$T/al"
fi
finish
