#!/usr/bin/env bash
# cu-run.sh: run libiscsi's conformance suites (iscsi-test-cu) against one
# LUN and classify every test as PASS, FAIL or SKIP by CUnit's verdict.
#
#	regress/cu-run.sh [-1dS] [-m URL2] [-o LOGDIR] URL ITEM...
#
#	-1	ALL is one iscsi-test-cu run of the whole family (as an
#		initiator that keeps its sessions would), not one per suite;
#		a suite holding a test of regress/cu-alone runs test by test
#		in it (each test a suite of its own, with fresh sessions),
#		see that file for why
#	-d	allow destructive tests (iscsi-test-cu --dataloss): only
#		against a scratch backing file
#	-S	allow the SANITIZE tests (--allow-sanitize; implies -d)
#	-m URL2	the same LUN through a second portal: the suite's
#		multipath URL (MultipathIO tests, and the second initiator
#		of every suite)
#	-o DIR	keep each run's full log as DIR/ITEM.log
#	ITEM	FAMILY.SUITE or FAMILY.SUITE.TEST as listed by
#		`iscsi-test-cu -l`, e.g. ALL.Read10; ALL alone means every
#		suite of the ALL family, one iscsi-test-cu run each (or one
#		run in all with -1)
#
# Prints "PASS|FAIL|SKIP FAMILY.SUITE.TEST" per test, a FAIL line for an
# item that does not exist or does not finish, "noisy TEST: LINE" for a
# test that passed although it printed a "[FAILED]" line (LINE is the
# first one), then "conformance: N passed, N failed, N skipped (N
# noisy)".  Exits 0 if nothing failed; whether a noisy test is expected
# is for the caller (regress/cu-noisy).
#
# The scorer is the project's shared one, $CU_SCORE or
# ../shared/conformance/cu-score beside the repository.  Without it the
# log is read here by the same rules: a test runs from CUnit's
# "  Test: NAME ..." to its "passed" or "FAILED"; FAIL when CUnit failed
# it or it never finished, SKIP when it passed and printed "[SKIPPED]",
# else PASS (noisy when it printed "[FAILED]").
#
# Without -1 each item is its own iscsi-test-cu run: a crash or hang
# costs one suite, and what the suite prints while it starts (it clears
# registrations left by earlier runs) is not counted against the first
# test.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
scorer=${CU_SCORE:-$top/../shared/conformance/cu-score}
dataloss= logdir= sanitize= url2= one=
while getopts 1dSm:o: opt; do
	case $opt in
	1) one=1 ;;
	d) dataloss=--dataloss ;;
	S) dataloss=--dataloss sanitize=1 ;;
	m) url2=$OPTARG ;;
	o) logdir=$OPTARG ;;
	*) sed -n '2,41p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || { sed -n '2,41p' "$0" >&2; exit 2; }
url=$1
shift
command -v iscsi-test-cu > /dev/null ||
    { echo "cu-run: iscsi-test-cu not found (libiscsi-bin)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -n "$logdir" ] && mkdir -p "$logdir"
: > "$tmp/all"
known=$(iscsi-test-cu -l 2>/dev/null)
# ALL: every suite of the family, each run on its own (or ALL at once)
items=
for i in "$@"; do
	case $i in
	ALL)	if [ -n "$one" ]; then
			items="$items ALL"
		else
			items="$items $(printf '%s\n' "$known" |
			    grep -E '^ALL\.[^.]+$' | tr '\n' ' ')"
		fi ;;
	*)	items="$items $i" ;;
	esac
done
set -- $items

# FAMILY LOG: the scorer's lines, from an iscsi-test-cu -v log
score() {
	awk -v fam="$1" '
	function own(text) {
		if (text ~ /\[SKIPPED\]/) skipped = 1
		if (text ~ /\[FAILED\]/ && noisy == "") {
			noisy = text; sub(/^ +/, "", noisy)
		}
	}
	function close_test(verdict,	st) {
		if (cur == "") return
		if (verdict != "passed") st = "FAIL"
		else st = skipped ? "SKIP" : "PASS"
		print st, fam "." suite "." cur; n[st]++
		if (st == "PASS" && noisy != "")
			nz[++nnz] = fam "." suite "." cur ": " \
			    substr(noisy, 1, 160)
		cur = ""
	}
	/^Suite: /	{ close_test(""); suite = $2; next }
	/^  Test: /	{
		close_test("")
		cur = $2; skipped = 0; noisy = ""
		rest = $0; sub(/^  Test: [^ ]+ \.\.\./, "", rest)
		if (match(rest, /^(passed|FAILED)/)) {
			close_test(substr(rest, 1, RLENGTH)); next
		}
		own(rest); next
	}
	cur != "" && /^(passed|FAILED)/ {
		close_test($0 ~ /^passed/ ? "passed" : "FAILED"); next
	}
	cur != ""	{ own($0) }
	END {
		close_test("")
		for (i = 1; i <= nnz; i++) print "noisy " nz[i]
		printf "conformance: %d passed, %d failed, %d skipped " \
		    "(%d noisy)\n", n["PASS"], n["FAIL"], n["SKIP"], nnz
	}' "$2"
}

# -1: the test list file of the one run, in the family's order.  Given
# as "-t ALL" from the directory that holds it (iscsi-test-cu reads a
# -t argument that names a file as a list, one pattern a line; a path
# with a dot would spoil the scorer's family name).
alone=$(grep -v '^#' "$top/regress/cu-alone" 2>/dev/null | cut -f1)
mkdir "$tmp/one"
printf '%s\n' "$known" | grep -E '^ALL\.[^.]+$' | while read -r st; do
	if printf '%s\n' "$alone" | grep -q "^$st\."; then
		printf '%s\n' "$known" | grep -E "^$st\.[^.]+\$"
	else
		echo "$st"
	fi
done > "$tmp/one/ALL"

for suite in "$@"; do
	log=$tmp/$suite.log
	sopt= topt=
	[ -n "$sanitize" ] && sopt=--sanitize topt=-S
	if ! printf '%s\n' "$known" | grep -qxF -- "$suite"; then
		echo "FAIL $suite (no such suite in iscsi-test-cu -l)"
		echo "FAIL $suite" >> "$tmp/all"
		continue
	fi
	# the one run of the family: from the list file's directory
	dir=.
	[ -n "$one" ] && [ "$suite" = ALL ] && dir=$tmp/one
	if [ -n "$dataloss" ] && [ -x "$scorer" ]; then
		(cd "$dir" && CU_TIMEOUT=${CU_TIMEOUT:-600} "$scorer" \
		    -o "$log" $sopt -t "$suite" "$url" $url2) > "$tmp/score" 2>&1
		rc=$?
		finished=1
		[ $rc -eq 3 ] && finished=0
	else
		(cd "$dir" && timeout "${CU_TIMEOUT:-600}" iscsi-test-cu \
		    $dataloss $topt -v -t "$suite" "$url" $url2) > "$log" 2>&1
		rc=$?
		score "${suite%%.*}" "$log" > "$tmp/score"
		finished=1
		grep -q 'Run Summary' "$log" || finished=0
	fi
	[ -s "$log" ] || finished=0
	grep -E '^(PASS|FAIL|SKIP|noisy) ' "$tmp/score" > "$tmp/lines"
	cat "$tmp/lines"
	cat "$tmp/lines" >> "$tmp/all"
	if [ $finished = 0 ] || ! grep -qE '^(PASS|FAIL|SKIP) ' "$tmp/lines"
	then
		echo "FAIL $suite (the suite did not finish: exit $rc)"
		echo "FAIL $suite" >> "$tmp/all"
		[ -f "$log" ] && tail -n 15 "$log" | sed 's/^/    /'
	elif [ "$dir" != . ] && [ "$(grep -cE '^(PASS|FAIL|SKIP) ' \
	    "$tmp/lines")" -ne "$(printf '%s\n' "$known" |
	    grep -cE '^ALL\.[^.]+\.[^.]+$')" ]; then
		echo "FAIL ALL (the run did not score every test of the family)"
		echo "FAIL ALL" >> "$tmp/all"
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
n=$(grep -c '^noisy ' "$tmp/all")
echo "conformance: $p passed, $f failed, $s skipped ($n noisy)"
[ "$f" -eq 0 ]
