#!/usr/bin/env bash
# cu-run.sh: run libiscsi's conformance suites (iscsi-test-cu) against one
# LUN and classify every test as PASS, FAIL or SKIP.
#
#	regress/cu-run.sh [-dS] [-m URL2] [-o LOGDIR] URL ITEM...
#
#	-d	allow destructive tests (iscsi-test-cu --dataloss): only
#		against a scratch backing file
#	-S	allow the SANITIZE tests (--allow-sanitize; implies -d)
#	-m URL2	the same LUN through a second portal: the suite's
#		multipath URL (MultipathIO tests)
#	-o DIR	keep each item's full log as DIR/ITEM.log
#	ITEM	FAMILY.SUITE or FAMILY.SUITE.TEST as listed by
#		`iscsi-test-cu -l`, e.g. ALL.Read10; ALL alone means every
#		suite of the ALL family, one iscsi-test-cu run each
#
# Prints "PASS|FAIL|SKIP FAMILY.SUITE.TEST" per test, a FAIL line for an
# item that does not exist or does not finish, then
# "conformance: N passed, N failed, N skipped".  Exits 0 if nothing failed.
#
# With -d, and when the project's shared scorer (../shared/conformance/
# cu-score beside the repository) is there, that scorer runs each item;
# otherwise iscsi-test-cu runs here and its log is read the same way: a
# test starts at "  Test: NAME", is SKIP if it printed "[SKIPPED]", FAIL if
# it printed "[FAILED]" or ended in "FAILED", else PASS.
#
# Each item is its own iscsi-test-cu run: a crash or hang costs one suite,
# and what the suite prints while it starts (it clears registrations left
# by earlier runs) is not counted against the first test.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
scorer=$top/../shared/conformance/cu-score
dataloss= logdir= sanitize= url2=
while getopts dSm:o: opt; do
	case $opt in
	d) dataloss=--dataloss ;;
	S) dataloss=--dataloss sanitize=1 ;;
	m) url2=$OPTARG ;;
	o) logdir=$OPTARG ;;
	*) sed -n '2,30p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || { sed -n '2,30p' "$0" >&2; exit 2; }
url=$1
shift
command -v iscsi-test-cu > /dev/null ||
    { echo "cu-run: iscsi-test-cu not found (libiscsi-bin)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -n "$logdir" ] && mkdir -p "$logdir"
: > "$tmp/all"
known=$(iscsi-test-cu -l 2>/dev/null)
# ALL: every suite of the family, each run on its own
items=
for i in "$@"; do
	case $i in
	ALL)	items="$items $(printf '%s\n' "$known" |
		    grep -E '^ALL\.[^.]+$' | tr '\n' ' ')" ;;
	*)	items="$items $i" ;;
	esac
done
set -- $items

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
	sopt= topt=
	[ -n "$sanitize" ] && sopt=--sanitize topt=-S
	if ! printf '%s\n' "$known" | grep -qxF -- "$suite"; then
		echo "FAIL $suite (no such suite in iscsi-test-cu -l)"
		echo "FAIL $suite" >> "$tmp/all"
		continue
	fi
	if [ -n "$dataloss" ] && [ -x "$scorer" ]; then
		CU_TIMEOUT=${CU_TIMEOUT:-600} "$scorer" -o "$log" $sopt \
		    -t "$suite" "$url" $url2 > "$tmp/score" 2>&1
		rc=$?
		grep -E '^(PASS|FAIL|SKIP) ' "$tmp/score" > "$tmp/lines"
		finished=1
		[ $rc -eq 3 ] && finished=0
		[ -s "$log" ] || finished=0
	else
		timeout "${CU_TIMEOUT:-600}" iscsi-test-cu $dataloss $topt -v \
		    -t "$suite" "$url" $url2 > "$log" 2>&1
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
