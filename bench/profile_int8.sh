#!/bin/sh
# Instructions per lesson inference, per function (inlined code under the file it comes
# from), for the portable int8 kernels and the vector family valgrind runs (AVX2: valgrind
# has no AVX-512), counted by callgrind: repeatable where wall time is noisy.
#   sh bench/profile_int8.sh [N]       (after make; N inferences, default 10000)
# The counts are per inference: (run of N+1 − run of 1) / N, so start-up is left out.
set -eu
N=${1:-10000}
B=build/bench/bench_int8
[ -x "$B" ] || { echo "profile_int8: build $B first (make build/bench/bench_int8)" >&2; exit 2; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for k in portable avx2; do
    QATRAIN_INT8=$k valgrind --tool=callgrind --callgrind-out-file="$T/one" "$B" --invoke 1 >/dev/null 2>&1
    QATRAIN_INT8=$k valgrind --tool=callgrind --callgrind-out-file="$T/many" "$B" --invoke $((N + 1)) >/dev/null 2>&1
    one=$(callgrind_annotate "$T/one" | sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)
    many=$(callgrind_annotate "$T/many" | sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)
    echo "== QATRAIN_INT8=$k valgrind --tool=callgrind $B --invoke $((N + 1)) (minus --invoke 1)"
    echo "   $(( (many - one) / N )) instructions per inference"
    callgrind_annotate "$T/many" | awk -v n="$N" '
        /file:function/ { on = 1; next }
        on && /^-+$/ { if (seen) exit; next }
        on && NF >= 2 { seen = 1; l = $0; sub(/\([ 0-9.]+%\)/, "", l); split(l, f, " ")
                        c = f[1]; gsub(",", "", c); if (c / n >= 100) printf "   %8d  %s\n", c / n, f[2] }'
done
