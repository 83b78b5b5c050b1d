#!/usr/bin/env bash
# libiscsi's conformance suite (iscsi-test-cu, family ALL) over the
# configuration set of regress/cu-configs: thick, thin (with SANITIZE),
# thin with 4 KiB physical blocks, removable, read-only, and the thick LUN
# through a second listener as the multipath URL.  One tgt-master serves
# every configuration, each as a target of its own; regress/cu-run.sh
# runs the items of each configuration, two configurations at a time.
#
# Reported: the pass/fail/skip counts of each configuration (as "# "
# notes), then one line per test with its merged verdict:
#	ok	passed on at least one configuration, failed on none
#	FAIL	failed on a configuration it ran on, or skipped on all of
#		them (a skip is a failure of this test: every test must pass
#		somewhere)
#
# Known failures, listed with their reason in regress/cu-xfail, are
# reported as "skip" lines that say so.
#
# iSCSI.iSCSIdatasn.iSCSIDataSnInvalid: the test passes when the target
# rejects the bad DataSN, and it always prints "[FAILED] WRITE10 command
# failed with status ..." when it does (libiscsi's check_result logs
# every unexpected non-GOOD status so, and the test expects GOOD while
# asserting failure).  The scorer counts that line as a failure.  When
# CUnit says the test passed and every "[FAILED]" line of it is that one
# message, the verdict is PASS and the line says "scorer override".
#
# Environment: CU_CONFIGS=name,name to run only some configurations,
# CU_JOBS (default 2) configurations at a time.
. "$(dirname "$0")/../lib/common.sh"

need_bin tgt-master
if ! command -v iscsi-test-cu > /dev/null; then
	fail "iscsi-test-cu not installed (libiscsi-bin)"
	exit 1
fi

PORT2=$(free_port)
while [ "$PORT2" = "$PORT" ]; do
	PORT2=$(free_port)
done
URL2=iscsi://$ADDR:$PORT2
jobs=${CU_JOBS:-2}
configs=$T/configs
grep -v '^#' "$top/regress/cu-configs" | grep -v '^[[:space:]]*$' > "$configs"
if [ -n "${CU_CONFIGS:-}" ]; then
	grep -E "^(${CU_CONFIGS//,/|})	" "$configs" > "$configs.sel"
	mv "$configs.sel" "$configs"
fi

mkdir -m 700 "$T/state"
{
	conf_header
	echo "state directory \"$T/state\""
	echo "listen on $ADDR port $PORT"
	echo "listen on $ADDR port $PORT2"
	while IFS='	' read -r name opts flags items; do
		# backend null: no file, the size says how big
		case $opts in
		*"backend null"*)
			disk="{ $opts; size 64M }" ;;
		*)
			mkdisk "$T/$name.img" 64M
			disk="\"$T/$name.img\" { $opts }" ;;
		esac
		cat <<-EOF
		target "$IQN-cu-$name" {
			allow all
			lun 1 disk $disk
		}
		EOF
	done < "$configs"
} > "$CONF"
tgt_start || exit 1

# run_config NAME FLAGS ITEMS: one configuration, into $T/cu-NAME.out
run_config() {
	local name=$1 flags=$2 items=$3 opt= start
	case $flags in
	*mp*)	opt="$opt -m $URL2/$IQN-cu-$name/1" ;;
	esac
	case $flags in
	*sanitize*) opt="$opt -S" ;;
	*)	opt="$opt -d" ;;
	esac
	start=$(date +%s)
	# The backing files are scratch: destructive tests are allowed.
	# A process group of its own, so that cu_kill can end all of it.
	CU_TIMEOUT=${CU_TIMEOUT:-600} setsid "$top/regress/cu-run.sh" $opt \
	    -o "$T/cu-$name" "$URL/$IQN-cu-$name/1" ${items//,/ } \
	    > "$T/cu-$name.out" 2>&1 &
	echo $! > "$T/cu-$name.pid"
	wait $!
	rm -f "$T/cu-$name.pid"
	echo "$(( $(date +%s) - start ))" > "$T/cu-$name.time"
}

# Interrupted (the runner's time limit): end the suites still running,
# iscsi-test-cu included, before the daemons go.
cu_kill() {
	local f
	for f in "$T"/cu-*.pid; do
		[ -f "$f" ] && kill -TERM -- -"$(cat "$f")" 2>/dev/null
	done
	return 0
}
trap 'cu_kill; finish' EXIT

# At most $jobs configurations at a time; wait for those jobs only (the
# master is a child of this shell too).
start=$(date +%s)
pids=
while IFS='	' read -r name opts flags items; do
	while [ "$(jobs -pr | grep -c -v -x "$MASTER")" -ge "$jobs" ]; do
		sleep 1
	done
	run_config "$name" "$flags" "$items" < /dev/null &
	bg $!
	pids="$pids $!"
done < "$configs"
for pid in $pids; do
	wait "$pid"
done
note "conformance: all configurations in $(( $(date +%s) - start )) s"
master_alive || fail "tgt-master still running after the suites"

# The DataSN override, on the log the scorer kept.
datasn_ok() {
	local log=$1/ALL.iSCSIdatasn.log
	[ -f "$log" ] || return 1
	awk '
	/^  Test: iSCSIDataSnInvalid/	{ t = 1 }
	t && /\[FAILED\]/ && !/\[FAILED\] WRITE10 command failed with status/ { bad = 1 }
	t && /(\.\.\.|[^a-z])passed$|^passed$|passed    / { ok = 1; t = 0 }
	t && /\.\.\.FAILED$|^FAILED$/	{ bad = 1; t = 0 }
	END { exit !(ok && !bad) }' "$log"
}

: > "$T/all"
while IFS='	' read -r name opts flags items; do
	out=$T/cu-$name.out
	if datasn_ok "$T/cu-$name" &&
	    grep -q '^FAIL ALL.iSCSIdatasn.iSCSIDataSnInvalid$' "$out"; then
		sed -i 's/^FAIL \(ALL.iSCSIdatasn.iSCSIDataSnInvalid\)$/OVERRIDE \1/' \
		    "$out"
	fi
	p=$(grep -c '^PASS ' "$out")
	f=$(grep -c '^FAIL ' "$out")
	s=$(grep -c '^SKIP ' "$out")
	o=$(grep -c '^OVERRIDE ' "$out")
	note "configuration $name ($opts; $flags):" \
	    "$((p + o)) passed, $f failed, $s skipped" \
	    "$( [ "$o" -gt 0 ] && echo "($o by the DataSN scorer override)")" \
	    "in $(cat "$T/cu-$name.time" 2>/dev/null || echo '?') s"
	grep -E '^(PASS|FAIL|SKIP|OVERRIDE) ' "$out" | sed "s/\$/ $name/" \
	    >> "$T/all"
	# why something failed, indented
	if [ "$f" -gt 0 ]; then
		grep -v -E '^(PASS|SKIP|OVERRIDE) |^conformance: ' "$out" |
		    INDENT_MAX=60 indent
	fi
done < "$configs"

# Merged verdict per test: "VERDICT TEST where" lines.
awk '
{
	st = $1; t = $2; cfg = $NF
	if (!(t in seen)) { seen[t] = 1; order[n++] = t }
	if (st == "FAIL") fails[t] = fails[t] " " cfg
	else if (st == "PASS") passes[t] = passes[t] " " cfg
	else if (st == "OVERRIDE") { passes[t] = passes[t] " " cfg; ovr[t] = 1 }
	else if (st == "SKIP") skips[t] = skips[t] " " cfg
}
END {
	for (i = 0; i < n; i++) {
		t = order[i]
		if (fails[t] != "")
			print "FAIL", t, "failed on" fails[t] \
			    (passes[t] != "" ? ", passed on" passes[t] : "")
		else if (passes[t] != "")
			print "PASS", t, "passed on" passes[t] \
			    (ovr[t] ? " (scorer override)" : "") \
			    (skips[t] != "" ? ", skipped on" skips[t] : "")
		else
			print "SKIP", t, "skipped on" skips[t]
	}
}' "$T/all" > "$T/merged"

# Known failures (regress/cu-xfail): reported as such, with the reason.
xfail_reason() {
	grep -v '^#' "$top/regress/cu-xfail" 2>/dev/null |
	    awk -F '\t' -v t="$1" '$1 == t { print $2; exit }'
}
nx=0
while read -r st t rest; do
	why=$(xfail_reason "$t")
	case $st in
	PASS)	if [ -n "$why" ]; then
			ok "$t: $rest (XPASS: remove it from regress/cu-xfail)"
		else
			ok "$t: $rest"
		fi ;;
	FAIL|SKIP)
		if [ -n "$why" ]; then
			nx=$((nx + 1))
			skip "$t: known failure ($rest): $why"
		elif [ "$st" = FAIL ]; then
			fail "$t: $rest"
		else
			fail "$t: $rest, passed nowhere"
		fi ;;
	esac
done < "$T/merged"
mp=$(grep -c '^PASS ' "$T/merged")
mf=$(grep -c '^FAIL ' "$T/merged")
ms=$(grep -c '^SKIP ' "$T/merged")
note "conformance merged: $(wc -l < "$T/merged") tests: $mp passed," \
    "$mf failed ($nx of them known, regress/cu-xfail), $ms skipped" \
    "everywhere"
