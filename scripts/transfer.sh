#!/bin/sh
# Does the model work on a source it never trained on? Runs the leave-one-source-out
# cross-validation of CONFIG (default configs/real_gestures_transfer.ini) over seeds, without
# and with its [augment] settings, and the same data split within the sources (every source
# in training and test, a stratified 20 %), and prints markdown tables of the mean test
# accuracies (float32 / int8 PTQ / int8 QAT, per held-out source and the mean over sources).
#   scripts/transfer.sh [CONFIG] ["1 2 3"]
set -eu
cfg=${1:-configs/real_gestures_transfer.ini}
seeds=${2:-"1 2 3"}
q=${QATRAIN:-build/qatrain}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
off="--set augment.rotate_deg=0 --set augment.scale=0 --set augment.time_warp=0 \
--set augment.shift=0 --set augment.noise=0 --set augment.bias=0"
get() { sed -n "/\"$2\": {/,/}/s/.*\"$3\": \([0-9.e-]*\).*/\1/p" "$1" | head -n 1; }
for aug in off on; do
    set --
    [ $aug = off ] && set -- $off
    for s in $seeds; do
        "$q" "$cfg" --quiet --seed "$s" --out "$tmp/cv-$aug-$s" "$@"
        sed 1d "$tmp/cv-$aug-$s/cross_validation.csv" >>"$tmp/cv-$aug"
        "$q" "$cfg" --quiet --seed "$s" --out "$tmp/in-$aug-$s" --set data.cross_validate=none "$@"
        r="$tmp/in-$aug-$s/report.json"
        echo "within,0,$(sed -n 's/.*"test_samples": \([0-9]*\).*/\1/p' "$r" | head -n 1),$(get "$r" float32 test_accuracy),$(get "$r" int8_ptq test_accuracy),$(get "$r" int8_qat test_accuracy)" >>"$tmp/cv-$aug"
    done
done
echo "seeds: $seeds; command: $q $cfg --seed S [--set augment.*=0]"
echo "| test on | test samples | float32 | int8 PTQ | int8 QAT | float32 augmented | int8 PTQ augmented | int8 QAT augmented |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
awk -F, '
    FNR == 1 { f++ }
    { k = $1; if (!(k in seen)) { seen[k] = 1; order[++n] = k; t[k] = $3 }
      for (c = 4; c <= 6; c++) { s[f, k, c] += $c; m[f, k, c]++ } }
    END {
        for (i = 1; i <= n; i++) {
            k = order[i]
            name = k == "mean" ? "**mean over held-out sources**" : k == "within" ? \
                "within the sources (stratified 20 %)" : "held-out " k
            printf "| %s | %s |", name, t[k]
            for (g = 1; g <= 2; g++) for (c = 4; c <= 6; c++)
                printf " %.1f |", 100 * s[g, k, c] / m[g, k, c]
            printf "\n"
        }
    }' "$tmp/cv-off" "$tmp/cv-on"
