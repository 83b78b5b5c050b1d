#!/usr/bin/env bash
# libiscsi's conformance suite (iscsi-test-cu, family ALL) over the
# configuration set of regress/cu-configs: thick, thin (with SANITIZE),
# thin with 4 KiB physical blocks, removable, read-only, and thick, thin
# and removable each in one iscsi-test-cu run of the whole family with
# SANITIZE and a second listener as the multipath URL.  One tgt-master
# serves every configuration, each as a target of its own;
# regress/cu-run.sh runs the items of each configuration, two
# configurations at a time.
#
# Reported: the pass/fail/skip counts of each configuration (as "# "
# notes), then one line per test with its merged verdict:
#	ok	passed on at least one configuration, failed on none
#	FAIL	failed on a configuration it ran on, or skipped on all of
#		them (a skip is a failure of this test: every test must pass
#		somewhere)
#
# Scored by CUnit's own verdict (../shared/conformance/cu-score, see
# regress/cu-run.sh).  A test that CUnit passed although it printed a
# "[FAILED]" line is "noisy": each one expected is listed with its reason
# in regress/cu-noisy, and any other fails the run.  Known failures,
# listed with their reason in regress/cu-xfail (empty now), are reported
# as "skip" lines that say so.
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
	case $flags in
	*one*)	opt="$opt -1" ;;
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

: > "$T/all"
: > "$T/noisy"
while IFS='	' read -r name opts flags items; do
	out=$T/cu-$name.out
	p=$(grep -c '^PASS ' "$out")
	f=$(grep -c '^FAIL ' "$out")
	s=$(grep -c '^SKIP ' "$out")
	n=$(grep -c '^noisy ' "$out")
	note "configuration $name ($opts; $flags):" \
	    "$p passed, $f failed, $s skipped ($n noisy)" \
	    "in $(cat "$T/cu-$name.time" 2>/dev/null || echo '?') s"
	grep -E '^(PASS|FAIL|SKIP) ' "$out" | sed "s/\$/ $name/" \
	    >> "$T/all"
	# "TEST CONFIG LINE" for each noisy test
	sed -n 's/^noisy \([^:]*\): \(.*\)$/\1 '"$name"' \2/p' "$out" \
	    >> "$T/noisy"
	# why something failed, indented
	if [ "$f" -gt 0 ]; then
		grep -v -E '^(PASS|SKIP|noisy) |^conformance: ' "$out" |
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

# Noisy tests (CUnit passed them, they printed "[FAILED]"): those listed
# in regress/cu-noisy are expected, with their reason; any other fails.
list_reason() {	# FILE TEST
	grep -v '^#' "$1" 2>/dev/null |
	    awk -F '\t' -v t="$2" '$1 == t { print $2; exit }'
}
for t in $(awk '{ print $1 }' "$T/noisy" | sort -u); do
	where=$(awk -v t="$t" '$1 == t { printf " %s", $2 }' "$T/noisy")
	line=$(awk -v t="$t" '$1 == t { $1 = ""; $2 = ""; sub(/^ +/, "");
	    print; exit }' "$T/noisy")
	why=$(list_reason "$top/regress/cu-noisy" "$t")
	if [ -n "$why" ]; then
		ok "$t: noisy as expected on$where: $why"
	else
		fail "$t: CUnit passed it on$where but it printed \"$line\"" \
		    "and regress/cu-noisy does not expect that"
	fi
done
for t in $(grep -v '^#' "$top/regress/cu-noisy" | cut -f1); do
	grep -q "^$t " "$T/noisy" ||
	    note "$t is listed in regress/cu-noisy but was not noisy"
done

