# Copyright (c) 2026 The tgt suite authors
# SPDX-License-Identifier: GPL-2.0-only
#
# kill -9 of a LUN process under write load, for the backend tests
# (38-backends, 39-glfs), sourced after common.sh:
#
#	lun_pid N		the pid of LUN N's tgt-lun (title "IQN/N")
#	ack_kill N [SECONDS]	regress/lib/ack_writer.py writes to LUN N of
#				$IQN for SECONDS (12); 2 s after its first
#				acknowledged write LUN N's process gets
#				SIGKILL: it must be restarted, and writes
#				acknowledged again.  The acknowledged writes
#				are in $T/ack/acked, for ack_writer.py verify
#				on a copy of the LUN's store.

lun_pid() {
	local p
	for p in $(children tgt-lun); do
		if tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null |
		    grep -qE "/$1 *\$"; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

ack_kill() {
	local lun=$1 secs=${2:-12} writer old acked acked_before
	mkdir -p "$T/ack"
	timeout -s KILL $((secs + 48)) python3 "$top/regress/lib/ack_writer.py" \
	    "$ADDR" "$PORT" "$IQN" "$lun" 131072 "$T/ack" "$secs" \
	    > "$T/ack.out" 2>&1 &
	writer=$!
	bg $writer
	wait_for 15 grep -q '^# ready' "$T/ack.out" ||
	    { note "the writer is not ready"; indent "$T/ack.out"; }
	sleep 2
	old=$(lun_pid "$lun") || fail "kill -9: LUN $lun has a process to kill"
	acked_before=$(wc -l < "$T/ack/acked")
	kill -KILL "$old" 2>/dev/null
	ACK_OLD=$old ACK_LUN=$lun
	if wait_for 15 ack_restarted; then
		ok "kill -9: tgt-lun[$old] of LUN $lun restarted under write load"
	else
		fail "kill -9: tgt-lun[$old] of LUN $lun restarted under write load"
	fi
	wait "$writer"
	cat "$T/ack.out"
	acked=$(wc -l < "$T/ack/acked")
	[ "$acked" -gt "$acked_before" ] &&
	    ok "kill -9: writes acknowledged again after the restart ($acked_before before the kill, $acked in all)" ||
	    fail "kill -9: writes acknowledged again after the restart ($acked_before before the kill, $acked in all)"
}

ack_restarted() {
	local p
	p=$(lun_pid "$ACK_LUN") && [ "$p" != "$ACK_OLD" ]
}
