#!/bin/sh
# Compares quantization techniques on one float model per seed: trains CONFIG's float model
# once for each seed, then runs every variant from that float.ckpt (--init) and prints one
# markdown row per variant — int8 PTQ and int8 QAT test accuracy, mean and sample standard
# deviation over the seeds (in %), the QAT .tflite's weight bytes, and the worst fake-quant /
# int8 engine disagreement count.
#   scripts/techniques.sh CONFIG "SEEDS" VARIANTS_FILE
# VARIANTS_FILE: one variant a line, "name: options" (options as qatrain takes them, e.g.
# "progressive 8-6-4: --set quant.weight_bits=4 --set quant.weight_bits_schedule=1:8,11:6,21:4");
# blank lines and lines starting with # are skipped.
set -eu
[ $# -eq 3 ] || { echo "usage: scripts/techniques.sh CONFIG \"SEEDS\" VARIANTS_FILE" >&2; exit 2; }
cfg=$1 seeds=$2 variants=$3
q=${QATRAIN:-build/qatrain}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
get() { # file section key; NA when absent
    v=$(sed -n "/\"$2\": {/,/}/s/.*\"$3\": \([0-9.e-]*\).*/\1/p" "$1" | head -n 1)
    echo "${v:-NA}"
}
for s in $seeds; do
    "$q" "$cfg" --quiet --seed "$s" --set quant.enabled=false --set prune.enabled=false \
        --out "$tmp/float-$s"
done
echo "| variant | int8 PTQ % (mean ± sd) | int8 QAT % (mean ± sd) | weight bytes | max disagreements |"
echo "|---|---:|---:|---:|---:|"
grep -v '^[[:space:]]*\(#\|$\)' "$variants" | while IFS= read -r line; do
    name=${line%%:*} opts=${line#*:}
    : >"$tmp/rows"
    for s in $seeds; do
        o="$tmp/run-$s"
        rm -rf "$o"
        # shellcheck disable=SC2086 # the options are words
        "$q" "$cfg" --quiet --seed "$s" --set prune.enabled=false $opts \
            --init "$tmp/float-$s/float.ckpt" --out "$o" </dev/null
        r="$o/report.json"
        echo "$(get "$r" int8_ptq test_accuracy) $(get "$r" int8_qat test_accuracy) $(get "$r" int8_qat weight_bytes) $(get "$r" int8_qat prediction_disagreements)" >>"$tmp/rows"
    done
    awk -v name="$name" '
        { for (i = 1; i <= 2; i++) { s[i] += $i; ss[i] += $i * $i } w = $3; d = $4 > d ? $4 : d; n++ }
        function cell(i,   m, v) {
            m = s[i] / n; v = n > 1 ? (ss[i] - n * m * m) / (n - 1) : 0
            return sprintf("%.2f ± %.2f", 100 * m, 100 * sqrt(v > 0 ? v : 0))
        }
        END { printf "| %s | %s | %s | %s | %d |\n", name, cell(1), cell(2), w, d }' "$tmp/rows"
done
