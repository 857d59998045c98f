#!/bin/sh
# Peak memory of a run on a large CSV recording of which little is used.
# usage: bench/bench_csv.sh [MEGABYTES] (default 1200), from the repo root after `make`.
# Classes punch and flex: 20 gestures of 50 rows each. Class wave: 19 such gestures, then one
# gesture of MEGABYTES of rows (no blank line), of which the window (50 samples at 50 Hz from
# 50 Hz) uses 50 rows. The streamed reader keeps only the rows the resampler reaches, so the
# peak RSS should not grow with MEGABYTES. The recording is written to a temporary folder
# (under $TMPDIR, default /tmp) and removed afterwards.
set -eu
MB=${1:-1200}
QATRAIN=${QATRAIN:-build/qatrain}
D=$(mktemp -d "${TMPDIR:-/tmp}/bench_csv.XXXXXX")
trap 'rm -rf "$D"' EXIT INT TERM
gestures() { awk -v n="$2" -v s="$3" 'BEGIN { print "aX,aY,aZ"
    for (g = 0; g < n; g++) { for (i = 0; i < 50; i++) printf "%d,%d,%d\n", i, g, s * i * g; print "" } }' >"$1"; }
gestures "$D/punch.csv" 20 1
gestures "$D/flex.csv" 20 -1
gestures "$D/wave.csv" 19 2
# Lines of 20 bytes: MB * 2^20 / 20 lines.
awk -v n=$((MB * 1048576 / 20)) 'BEGIN { for (i = 0; i < n; i++) printf "%03d.125,%02d.5,-%03d.2\n", i % 1000, i % 77, i % 999 }' >>"$D/wave.csv"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "recording: $(du -m "$D/wave.csv" | cut -f1) MB (wave.csv), 50 of its last gesture's rows used"
set -- "$QATRAIN" configs/gesture_cnn.ini --quiet --out "$D/out" --set data.source=csv \
    --set data.csv_rate_hz=50 --set data.csv_gesture_rows=0 --set files.wave="$D/wave.csv" \
    --set files.punch="$D/punch.csv" --set files.flex="$D/flex.csv" \
    --set train.epochs=1 --set quant.epochs=1 --set prune.epochs=1
echo "command: $*"
/usr/bin/time -f "peak RSS: %M KiB, wall time: %e s" "$@"
