#!/bin/sh
# The image lessons end to end: `qatrain CONFIG` (default configs/fashion_mnist_cnn.ini) RUNS
# times (default 5), each into a temporary folder, and the medians of what the issue asks
# for: the whole run's wall time and peak RSS, the float training's wall time and images/s
# (training images × epochs / training seconds, validation included), and the int8 engine's
# single-image latency from timing.json, `qatrain run` on the whole test split, and each
# stage's wall time (timing.json's stage_seconds: data, float, quantize, prune, measure, export).
# Needs Fashion-MNIST (Debian: dataset-fashion-mnist).
# usage: bench/bench_vision.sh [CONFIG] [RUNS], from the repo root after `make`.
set -eu
CONFIG=${1:-configs/fashion_mnist_cnn.ini}
RUNS=${2:-5}
QATRAIN=${QATRAIN:-build/qatrain}
D=$(mktemp -d "${TMPDIR:-/tmp}/bench_vision.XXXXXX")
trap 'rm -rf "$D"' EXIT INT TERM
echo "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"
echo "command: $QATRAIN $CONFIG --quiet --out DIR   ($RUNS runs)"
num() { sed -n "s/.*\"$2\": *\([-0-9.e+]*\).*/\1/p" "$1" | head -n 1; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for i in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %M" -o "$D/time$i" "$QATRAIN" "$CONFIG" --quiet --out "$D/out" >/dev/null
    t=$(num "$D/out/timing.json" train_seconds)
    n=$(sed -n 's/.*"train_samples": *\([0-9]*\).*/\1/p' "$D/out/report.json" | head -n 1)
    ep=$(sed -n 's/.*"epochs_run": *\([0-9]*\).*/\1/p' "$D/out/report.json" | head -n 1)
    lat=$(sed -n '/"latency_us"/,/}/p' "$D/out/timing.json" | num /dev/stdin int8_qat)
    # the whole test split through the int8 engine, as `qatrain run` does it
    /usr/bin/time -f "%e" -o "$D/run$i" "$QATRAIN" run "$D/out/model_int8.tflite" \
        "$D/out/test_inputs_int8.npy" "$D/y.npy" >/dev/null
    echo "$(cat "$D/time$i") $t $n $ep $lat $(cat "$D/run$i")" >>"$D/rows"
    sed -n '/"stage_seconds"/,/}/s/.*"\([a-z]*\)": *\([-0-9.e+]*\).*/\1 \2/p' "$D/out/timing.json" >>"$D/stages"
    echo "run $i: wall $(cut -d' ' -f1 "$D/time$i") s, peak RSS $(($(cut -d' ' -f2 "$D/time$i") / 1024)) MB, float training $t s ($ep epochs of $n images), int8 $lat us/image"
done
echo "GEMM kernel (qatrain's own; see README, Determinism): $(sed -n 's/.*"gemm_kernel": *"\([^"]*\)".*/\1/p' "$D/out/timing.json" | head -n 1)"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "median wall: $(cut -d' ' -f1 "$D/rows" | median) s"
echo "median peak RSS: $(cut -d' ' -f2 "$D/rows" | median | awk '{ printf "%.0f", $1 / 1024 }') MB"
echo "median float training: $(cut -d' ' -f3 "$D/rows" | median) s"
echo "median float training images/s: $(awk '{ print $4 * $5 / $3 }' "$D/rows" | median)"
echo "median int8 latency (QAT model, one image): $(cut -d' ' -f6 "$D/rows" | median) us"
echo "median int8 engine on the whole test split (qatrain run, one process): $(cut -d' ' -f7 "$D/rows" | median) s"
for stage in data float quantize prune measure export; do
    echo "median stage $stage: $(awk -v s="$stage" '$1 == s { print $2 }' "$D/stages" | median) s"
done
echo "(stages from timing.json's stage_seconds; the rest of the wall time is report.html and start-up)"
