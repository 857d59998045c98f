#!/bin/sh
# Runs test programs and prints one closing line "N passed, N failed".
#   run-tests.sh unit BIN...     each cmocka binary; counts its tests
#   run-tests.sh e2e QATRAIN     each tests/e2e/*.sh with QATRAIN in the environment
set -u
kind=$1; shift
pass=0; fail=0; failed=""
log=$(mktemp)
if [ "$kind" = unit ]; then
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
else
    export QATRAIN="$1"
    for t in tests/e2e/*.sh; do
        if sh "$t" >"$log" 2>&1; then
            pass=$((pass + 1)); echo "$(basename "$t"): ok"
        else
            fail=$((fail + 1)); failed="$failed $t"; echo "$(basename "$t"): FAILED"; cat "$log"
        fi
    done
fi
rm -f "$log"
[ -n "$failed" ] && echo "failed:$failed"
echo "$kind: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
