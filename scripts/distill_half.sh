#!/bin/sh
# The half-width student (configs/experiments/distill_half.ini) with and without its teacher
# over seeds: float32, int8 PTQ and int8 QAT test accuracy, mean ± sample sd (%).
#   scripts/distill_half.sh ["1 2 3 4 5"]
set -eu
seeds=${1:-"1 2 3 4 5"}
q=${QATRAIN:-build/qatrain}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
get() { sed -n "/\"$2\": {/,/}/s/.*\"$3\": \([0-9.e-]*\).*/\1/p" "$1" | head -n 1; }
echo "| student | float32 % | int8 PTQ % | int8 QAT % |"
echo "|---|---:|---:|---:|"
for mode in without with; do
    : >"$tmp/rows"
    for s in $seeds; do
        set -- configs/experiments/distill_half.ini --quiet --seed "$s" --out "$tmp/run"
        [ "$mode" = with ] || set -- "$@" --set distill.teacher=
        rm -rf "$tmp/run"; "$q" "$@"
        r="$tmp/run/report.json"
        echo "$(get "$r" float32 test_accuracy) $(get "$r" int8_ptq test_accuracy) $(get "$r" int8_qat test_accuracy)" >>"$tmp/rows"
    done
    awk -v name="half-width, $mode distillation" '
        { for (i = 1; i <= 3; i++) { s[i] += $i; ss[i] += $i * $i } n++ }
        function cell(i,   m, v) { m = s[i] / n; v = n > 1 ? (ss[i] - n * m * m) / (n - 1) : 0
                                   return sprintf("%.2f ± %.2f", 100 * m, 100 * sqrt(v > 0 ? v : 0)) }
        END { printf "| %s | %s | %s | %s |\n", name, cell(1), cell(2), cell(3) }' "$tmp/rows"
done
