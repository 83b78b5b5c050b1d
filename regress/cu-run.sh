#!/usr/bin/env bash
# cu-run.sh: run libiscsi's conformance suites (iscsi-test-cu) against one
# LUN and classify every test as PASS, FAIL or SKIP.
#
#	regress/cu-run.sh [-d] [-o LOGDIR] URL SUITE...
#
#	-d	allow destructive tests (iscsi-test-cu --dataloss): only
#		against a scratch backing file
#	-o DIR	keep each suite's full log as DIR/SUITE.log
#	SUITE	FAMILY.SUITE as listed by `iscsi-test-cu -l`, e.g. ALL.Read10
#
# Prints "PASS|FAIL|SKIP FAMILY.SUITE.TEST" per test, a FAIL line for a
# suite that does not exist or does not finish, then
# "conformance: N passed, N failed, N skipped".  Exits 0 if nothing failed.
#
# With -d, and when the project's shared scorer (../shared/conformance/
# cu-score beside the repository) is there, that scorer runs each suite;
# otherwise iscsi-test-cu runs here and its log is read the same way: a
# test starts at "  Test: NAME", is SKIP if it printed "[SKIPPED]", FAIL if
# it printed "[FAILED]" or ended in "FAILED", else PASS.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
scorer=$top/../shared/conformance/cu-score
dataloss= logdir=
while getopts do: opt; do
	case $opt in
	d) dataloss=--dataloss ;;
	o) logdir=$OPTARG ;;
	*) sed -n '2,20p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || { sed -n '2,20p' "$0" >&2; exit 2; }
url=$1
shift
command -v iscsi-test-cu > /dev/null ||
    { echo "cu-run: iscsi-test-cu not found (libiscsi-bin)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -n "$logdir" ] && mkdir -p "$logdir"
: > "$tmp/all"
known=$(iscsi-test-cu -l 2>/dev/null)

score() {	# FAMILY LOG: classify the tests of one iscsi-test-cu log
	awk -v fam="$1" '
	function close_test(st) {
		if (cur == "") return
		if (st == "") st = (failed ? "FAIL" : (skipped ? "SKIP" : "PASS"))
		print st, fam "." suite "." cur; cur = ""
	}
	/^Suite: /		{ close_test(""); suite = $2; next }
	/^  Test: /		{ close_test(""); cur = $2; failed = 0; skipped = 0 }
	cur != "" && /\[SKIPPED\]/	{ skipped = 1 }
	cur != "" && /\[FAILED\]|FAILED$/	{ failed = 1 }
	cur != "" && /(\.\.\.|[^a-z])passed$|^passed$/	{ close_test("") }
	cur != "" && /\.\.\.FAILED$|^FAILED$/	{ failed = 1; close_test("") }
	END { close_test("") }
	' "$2"
}

for suite in "$@"; do
	log=$tmp/$suite.log
	if ! printf '%s\n' "$known" | grep -qxF -- "$suite"; then
		echo "FAIL $suite (no such suite in iscsi-test-cu -l)"
		echo "FAIL $suite" >> "$tmp/all"
		continue
	fi
	if [ -n "$dataloss" ] && [ -x "$scorer" ]; then
		CU_TIMEOUT=${CU_TIMEOUT:-600} "$scorer" -o "$log" -t "$suite" \
		    "$url" > "$tmp/score" 2>&1
		rc=$?
		grep -E '^(PASS|FAIL|SKIP) ' "$tmp/score" > "$tmp/lines"
		finished=1
		[ $rc -eq 3 ] && finished=0
		[ -s "$log" ] || finished=0
	else
		timeout "${CU_TIMEOUT:-600}" iscsi-test-cu $dataloss -v \
		    -t "$suite" "$url" > "$log" 2>&1
		rc=$?
		score "${suite%%.*}" "$log" > "$tmp/lines"
		finished=1
		grep -q 'Run Summary' "$log" || finished=0
	fi
	cat "$tmp/lines"
	cat "$tmp/lines" >> "$tmp/all"
	if [ $finished = 0 ] || [ ! -s "$tmp/lines" ]; then
		echo "FAIL $suite (the suite did not finish: exit $rc)"
		echo "FAIL $suite" >> "$tmp/all"
		[ -f "$log" ] && tail -n 15 "$log" | sed 's/^/    /'
	elif grep -q '^FAIL ' "$tmp/lines"; then
		# Show why, indented: the failing tests' own lines.
		grep -E -B2 -A6 '\[FAILED\]|FAILED$' "$log" | head -n 60 |
		    sed 's/^/    /'
	fi
	[ -n "$logdir" ] && [ -f "$log" ] && cp "$log" "$logdir/$suite.log"
done

p=$(grep -c '^PASS ' "$tmp/all")
f=$(grep -c '^FAIL ' "$tmp/all")
s=$(grep -c '^SKIP ' "$tmp/all")
echo "conformance: $p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
