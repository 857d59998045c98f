#!/bin/sh
# Runs every lesson experiment (configs/experiments/*.ini) over seeds and prints one
# markdown row per experiment: mean test accuracies (float32, float16, dynamic range, int8
# PTQ, int8 QAT, pruned int8 QAT) and the int8 / pruned file sizes, from report.json.
#   scripts/experiments.sh ["1 2 3" [CONFIG ...]]   (default: every experiment)
set -eu
seeds=${1:-"1 2 3"}
[ $# -gt 1 ] && shift || set -- configs/experiments/*.ini
q=${QATRAIN:-build/qatrain}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
get() { # file section key; NA when absent (awk must see every column)
    v=$(sed -n "/\"$2\": {/,/}/s/.*\"$3\": \([0-9.e-]*\).*/\1/p" "$1" | head -n 1)
    echo "${v:-NA}"
}
echo "| experiment | float32 | float16 | dynamic range | int8 PTQ | int8 QAT | pruned int8 QAT | int8 .tflite / gzip | pruned .tflite / gzip |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for cfg in "$@"; do
    name=$(basename "$cfg" .ini)
    : >"$tmp/rows"
    for s in $seeds; do
        "$q" "$cfg" --quiet --seed "$s" --out "$tmp/$name-$s" 2>/dev/null
        r="$tmp/$name-$s/report.json"
        echo "$(get "$r" float32 test_accuracy) $(get "$r" float16 test_accuracy) $(get "$r" dynamic_range test_accuracy) $(get "$r" int8_ptq test_accuracy) $(get "$r" int8_qat test_accuracy) $(get "$r" int8_qat_pruned test_accuracy) $(get "$r" int8_qat tflite_bytes) $(get "$r" int8_qat gzip_bytes) $(get "$r" int8_qat_pruned tflite_bytes) $(get "$r" int8_qat_pruned gzip_bytes)" >>"$tmp/rows"
    done
    awk -v name="$name" '
        function pct(v) { return v == "" ? "—" : sprintf("%.2f", 100 * v) }
        { for (i = 1; i <= 10; i++) if ($i != "NA") { s[i] += $i; n[i]++ } }
        END {
            for (i = 1; i <= 10; i++) m[i] = n[i] ? s[i] / n[i] : ""
            printf "| %s | %s | %s | %s | %s | %s | %s | %s / %s | %s |\n", name, pct(m[1]), pct(m[2]),
                pct(m[3]), pct(m[4]), pct(m[5]), pct(m[6]), m[7] == "" ? "—" : int(m[7]),
                m[8] == "" ? "—" : int(m[8]), m[9] == "" ? "—" : int(m[9]) " / " int(m[10])
        }' "$tmp/rows"
done
