#!/usr/bin/env bash
# make test: run every unit test binary in build-san/unit/ and every
# integration test regress/integration/*.sh, count each "ok"/"FAIL"/"skip"
# line, and end with "N passed, N failed, N skipped".  Exits non-zero if
# anything failed.
#
#	regress/run-tests.sh [-u] [-i] [PATTERN...]
#	-u	unit tests only		-i	integration tests only
#	PATTERN	run only integration tests whose name contains it
#
# Environment: TGT_BUILD (build-san, or build) picks the daemons the
# integration tests run; TGT_UNIT_DIR the unit test directory (default
# build-san/unit); TGT_TEST_TIMEOUT the limit per integration script
# in seconds (default 900).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

export TGT_BUILD=${TGT_BUILD:-build-san}
unitdir=${TGT_UNIT_DIR:-build-san/unit}
limit=${TGT_TEST_TIMEOUT:-900}
do_unit=1 do_integ=1
while getopts ui opt; do
	case $opt in
	u) do_integ=0 ;;
	i) do_unit=0 ;;
	*) echo "usage: $0 [-u] [-i] [PATTERN...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

pass=0 failn=0 skipn=0
failed_names=()
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# count NAME FILE: add the ok/FAIL/skip lines of FILE to the totals.
count() {
	local p f s
	p=$(grep -c '^ok ' "$2")
	f=$(grep -c '^FAIL ' "$2")
	s=$(grep -c '^skip ' "$2")
	pass=$((pass + p)) failn=$((failn + f)) skipn=$((skipn + s))
	while IFS= read -r line; do
		line=${line#FAIL }
		case $line in
		"$1: "*) failed_names+=("$line") ;;
		*) failed_names+=("$1: $line") ;;
		esac
	done < <(grep '^FAIL ' "$2")
}

# An abnormal end that printed no FAIL of its own still counts as one.
count_crash() {
	failn=$((failn + 1))
	failed_names+=("$1: $2")
	echo "FAIL $1: $2"
}

start=$(date +%s)

if [ $do_unit = 1 ]; then
	echo "=== unit tests ($unitdir)"
	n=0
	for t in "$unitdir"/*_test; do
		[ -x "$t" ] || continue
		n=$((n + 1))
		name=$(basename "$t")
		timeout 120 "$t" > "$out" 2>&1
		rc=$?
		cat "$out"
		count "$name" "$out"
		if ! grep -q '^unit .*: [0-9]* passed, [0-9]* failed' "$out"; then
			count_crash "$name" "did not finish (exit $rc)"
		elif [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$out"; then
			count_crash "$name" "exit $rc without a FAIL line"
		fi
	done
	[ $n -eq 0 ] && echo "# no unit test binaries in $unitdir"
fi

if [ $do_integ = 1 ]; then
	echo "=== integration tests ($TGT_BUILD)"
	for t in regress/integration/*.sh; do
		[ -f "$t" ] || continue
		name=$(basename "$t" .sh)
		if [ $# -gt 0 ]; then
			want=0
			for p in "$@"; do
				case $name in *"$p"*) want=1 ;; esac
			done
			[ $want = 1 ] || continue
		fi
		echo "--- $name"
		t0=$(date +%s)
		timeout -k 10 "$limit" bash "$t" < /dev/null > "$out" 2>&1
		rc=$?
		cat "$out"
		count "$name" "$out"
		if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
			count_crash "$name" "timed out after ${limit}s"
		elif [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$out"; then
			count_crash "$name" "exit $rc without a FAIL line"
		fi
		echo "# $name: $(( $(date +%s) - t0 ))s"
	done
fi

echo "=== $(( $(date +%s) - start ))s"
if [ ${#failed_names[@]} -gt 0 ]; then
	echo "failed:"
	printf '  %s\n' "${failed_names[@]}"
fi
if [ $skipn -gt 0 ]; then
	echo "$pass passed, $failn failed, $skipn skipped"
else
	echo "$pass passed, $failn failed"
fi
[ $failn -eq 0 ] && [ $((pass + failn)) -gt 0 ]
