#!/usr/bin/env bash
# Smoke test of the libFuzzer harnesses (regress/fuzz/README): build
# them with clang into build-fuzz/, run every seed once (the hostile PDU
# corpus, login and config samples, reproducers of past bugs), then
# mutate for FUZZ_SMOKE_TIME seconds each (default 15).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
TEST=85-fuzz

if ! command -v clang > /dev/null; then
	echo "skip $TEST: clang is not installed"
	exit 0
fi
blog=$(mktemp)
if ! make -s -j2 fuzz-build > "$blog" 2>&1; then
	echo "FAIL $TEST: make fuzz-build"
	tail -n 30 "$blog" | sed 's/^/    /'
	rm -f "$blog"
	exit 1
fi
rm -f "$blog"
echo "ok $TEST: make fuzz-build"
rc=0
for n in pdu login conf; do
	sh regress/fuzz/run-fuzz.sh "$n" "${FUZZ_SMOKE_TIME:-15}" || rc=1
done
exit $rc
