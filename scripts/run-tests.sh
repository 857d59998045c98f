#!/bin/sh
# Runs the test suite and ends with one line "tests: N passed, M failed".
#   run-tests.sh QATRAIN UNIT_TEST_BIN...
# Each cmocka binary counts its own tests; each tests/e2e/test_*.sh counts as one test and
# gets QATRAIN in its environment.
set -u
export QATRAIN="$1"; shift
pass=0; fail=0; failed=""
log=$(mktemp)
for t in "$@"; do
    if "$t" >"$log" 2>&1; then st=0; else st=1; fi
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    p=${p:-0}; f=${f:-0}
    if [ "$st" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed before reporting
    pass=$((pass + p)); fail=$((fail + f))
    if [ "$st" -ne 0 ]; then failed="$failed $t"; cat "$log"; fi
    echo "$(basename "$t"): $p passed, $f failed"
done
for t in tests/e2e/test_*.sh; do
    if sh "$t" >"$log" 2>&1; then
        pass=$((pass + 1)); echo "$(basename "$t"): ok"
    else
        fail=$((fail + 1)); failed="$failed $t"; echo "$(basename "$t"): FAILED"; cat "$log"
    fi
done
rm -f "$log"
[ -n "$failed" ] && echo "failed:$failed"
echo "tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
