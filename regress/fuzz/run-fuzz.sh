#!/bin/sh
# Run one libFuzzer harness for a bounded time.
#
#	regress/fuzz/run-fuzz.sh NAME SECONDS [CORPUS]
#
# First every seed in regress/fuzz/corpus/NAME (the malformed PDUs of
# regress/corpus and the reproducers of bugs found so far among them) is
# run once; then libFuzzer mutates for SECONDS seconds.  New inputs go to
# CORPUS (kept, for make fuzz), or to a temporary directory (removed, for
# the smoke test).  A crash leaves its input in build-fuzz/artifacts/.
# Prints "ok fuzz NAME: ..." or "FAIL fuzz NAME: ..." (the test runner
# counts those) and exits non-zero on a failure.
set -u
name=$1 secs=$2 corpus=${3:-}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
bin=build-fuzz/fuzz_$name
seeds=regress/fuzz/corpus/$name
arts=build-fuzz/artifacts

case $name in
pdu)	opts="-max_len=65536" ;;
login)	opts="-max_len=16384 -dict=regress/fuzz/login.dict" ;;
conf)	opts="-max_len=8192 -dict=regress/fuzz/conf.dict" ;;
*)	echo "FAIL fuzz $name: unknown harness"; exit 1 ;;
esac
if [ ! -x "$bin" ]; then
	echo "FAIL fuzz $name: $bin is not built (make fuzz-build)"
	exit 1
fi
mkdir -p "$arts"
# Several runs at once (make test by two people) must not share a log.
log=$(mktemp "build-fuzz/fuzz_$name.XXXXXX.log")
tmp=
if [ -z "$corpus" ]; then
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/tgt-fuzz-$name.XXXXXX")
	corpus=$tmp
fi
mkdir -p "$corpus"
trap '[ -n "$tmp" ] && rm -rf "$tmp"' EXIT

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# 1. The seeds, each exactly once.
if ! "$bin" -runs=1 $opts $(find "$seeds" -type f | sort) > "$log" 2>&1
then
	echo "FAIL fuzz $name: a seed of $seeds crashes it (log $log)"
	grep -E 'ERROR|SUMMARY|Running:|fuzz_' "$log" | tail -n 20 |
	    sed 's/^/    /'
	exit 1
fi
nseeds=$(find "$seeds" -type f | wc -l)

# 2. Mutation for a bounded time.
if ! "$bin" $opts -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$arts/$name-" \
    "$corpus" "$seeds" >> "$log" 2>&1; then
	echo "FAIL fuzz $name: crash within ${secs}s" \
	    "(input in $arts/, log $log)"
	grep -E 'ERROR|SUMMARY|Test unit written|fuzz_' "$log" | tail -n 20 |
	    sed 's/^/    /'
	exit 1
fi
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1)
echo "ok fuzz $name: $nseeds seeds, then ${runs:-?} runs in ${secs}s," \
    "no crash ($cov)"
# Keep the last good log of a make fuzz run, drop a smoke run's.
if [ -z "$tmp" ]; then
	mv "$log" "build-fuzz/fuzz_$name.log"
else
	rm -f "$log"
fi
