#!/bin/sh
# Runs the test suite and ends with one line "tests: N passed, M failed, K skipped".
#   run-tests.sh QATRAIN UNIT_TEST_BIN...
# Each cmocka binary counts its own tests (passed, failed, skipped); each tests/e2e/test_*.sh
# counts as one test and gets QATRAIN in its environment: exit 0 passes, exit 77 is a skip
# (tests/e2e/lib.inc need_data), anything else fails.
# A skipped test must say why: a cmocka test prints "SKIP: <test>: <reason>" before skip()
# (tests/common/testdata.h), an e2e test "SKIP: <reason>"; a skip without its reason is a
# failure. Every skip is listed with its reason above the closing line.
# QATRAIN_NO_SKIP=1 (CI, where the external test data is present) makes every skip a failure.
# Tests run QATRAIN_TEST_JOBS at a time (default: the processor count); each writes its own log
# and the results are read back in the order the tests are listed, so the report is the same
# whatever the number of jobs. Each line ends with the test's wall time in seconds.
set -u
# run-tests.sh --one DIR I CMD...: runs one test (a helper mode for xargs -P).
if [ "${1:-}" = --one ]; then
    d=$2; i=$3; shift 3
    s0=$(date +%s)
    if "$@" >"$d/$i.log" 2>&1; then st=0; else st=$?; fi
    echo "$st $(( $(date +%s) - s0 ))" >"$d/$i.st"
    exit 0
fi
export QATRAIN="$1"; shift
export CMOCKA_MESSAGE_OUTPUT=stdout # the format parsed below, whatever the caller's setting
no_skip=${QATRAIN_NO_SKIP:-0}
pass=0; fail=0; skipped=0; failed=""; skips=""
why=$(mktemp); runs=$(mktemp -d)
trap 'rm -rf "$why" "$runs"' EXIT
jobs=${QATRAIN_TEST_JOBS:-$(nproc 2>/dev/null || echo 1)}
# Every test as "INDEX COMMAND...": unit binaries are 1..N, then tests/e2e/*.sh; the longer
# e2e tests start first so that the jobs end together.
i=0
for t in "$@"; do i=$((i + 1)); printf '%s %s\n' "$i" "$t"; done >"$runs/unit"
for t in tests/e2e/test_*.sh; do i=$((i + 1)); printf '%s sh %s\n' "$i" "$t"; done >"$runs/e2e"
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cat "$runs/e2e" "$runs/unit" | xargs -P "$jobs" -L 1 sh "$self" --one "$runs"
nl='
'

# skip_or_fail NAME REASON: one skipped test, or (QATRAIN_NO_SKIP=1) one failed test.
skip_or_fail() {
    if [ "$no_skip" = 1 ]; then
        fail=$((fail + 1)); failed="$failed $1"
        echo "$1: FAILED: skipped, and QATRAIN_NO_SKIP=1 forbids skips: $2"
    else
        skipped=$((skipped + 1)); skips="$skips$nl  $1: $2"
        echo "$1: skipped: $2"
    fi
}

i=0
for t in "$@"; do
    i=$((i + 1)); log="$runs/$i.log"
    read -r st secs 2>/dev/null <"$runs/$i.st" || { st=1; secs=?; }; [ "$st" -eq 0 ] || st=1
    n=$(basename "$t")
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    p=${p:-0}; f=${f:-0}; s=${s:-0}
    if [ "$st" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed before reporting
    if [ $((p + f + s)) -eq 0 ]; then f=1; st=1; fi      # reported no test at all
    pass=$((pass + p)); fail=$((fail + f))
    if [ "$st" -ne 0 ]; then failed="$failed $n"; cat "$log"; fi
    echo "$n: $p passed, $f failed, $s skipped (${secs} s)"
    # Each skipped test ("[  SKIPPED ] name" before the summary) with its "SKIP: name: ..." line.
    sed -n '/^\[  SKIPPED \] [0-9]* test/q; s/^\[  SKIPPED \] \([A-Za-z0-9_]*\)$/\1/p' "$log" >"$why"
    if [ "$(wc -l <"$why")" -ne "$s" ]; then
        fail=$((fail + 1)); failed="$failed $n"; cat "$log"
        echo "$n: FAILED: cmocka counts $s skipped tests but names $(wc -l <"$why")"
        continue
    fi
    while read -r tc; do
        reason=$(sed -n "s/^SKIP: $tc: //p" "$log" | head -n 1)
        if [ -z "$reason" ]; then
            fail=$((fail + 1)); failed="$failed $n/$tc"
            echo "$n/$tc: FAILED: skipped without a reason (print 'SKIP: $tc: why' first)"
        else
            skip_or_fail "$n/$tc" "$reason"
        fi
    done <"$why"
done

# The e2e tests as listed at the start (a test file added meanwhile did not run).
while read -r i _sh t; do
    log="$runs/$i.log"
    read -r st secs 2>/dev/null <"$runs/$i.st" || { st=1; secs=?; }
    n=$(basename "$t")
    if [ "$st" -eq 0 ]; then
        pass=$((pass + 1)); echo "$n: ok (${secs} s)"
    elif [ "$st" -eq 77 ]; then
        reason=$(sed -n 's/^SKIP: //p' "$log" | tail -n 1)
        if [ -z "$reason" ]; then
            fail=$((fail + 1)); failed="$failed $n"; cat "$log"
            echo "$n: FAILED: exit 77 (skip) without a 'SKIP: reason' line"
        else
            skip_or_fail "$n" "$reason"
        fi
    else
        fail=$((fail + 1)); failed="$failed $n"; echo "$n: FAILED (exit $st)"; cat "$log"
    fi
done <"$runs/e2e"

[ -n "$skips" ] && echo "skipped:$skips"
[ -n "$failed" ] && echo "failed:$failed"
echo "tests: $pass passed, $fail failed, $skipped skipped"
[ "$fail" -eq 0 ]
