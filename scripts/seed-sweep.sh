#!/bin/sh
# Runs a config over several seeds and prints float / dynamic-range / PTQ / QAT test
# accuracy per seed and their means, from each run's report.json.
#   scripts/seed-sweep.sh CONFIG "1 2 3" [extra qatrain options...]
set -eu
cfg=$1; seeds=$2; shift 2
q=${QATRAIN:-build/qatrain}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf '%-6s %8s %8s %8s %8s\n' seed float32 dynamic ptq qat
for s in $seeds; do
    "$q" "$cfg" --quiet --seed "$s" --out "$tmp/$s" "$@" 2>/dev/null
    acc() { sed -n "/\"$1\": {/,/}/s/.*\"test_accuracy\": \([0-9.e-]*\).*/\1/p" "$tmp/$s/report.json" | head -n 1; }
    printf '%-6s %8.4f %8.4f %8.4f %8.4f\n' "$s" "$(acc float32)" "$(acc dynamic_range)" "$(acc int8_ptq)" "$(acc int8_qat)"
done | tee "$tmp/rows"
awk 'NR > 0 { f += $2; d += $3; p += $4; q += $5; n++ }
     END { printf "%-6s %8.4f %8.4f %8.4f %8.4f\n", "mean", f/n, d/n, p/n, q/n }' "$tmp/rows"
