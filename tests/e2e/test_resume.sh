# Ctrl-C / SIGTERM during training: the run finishes its step, saves resume.ckpt, exits 130;
# --resume continues and the final files equal an uninterrupted run's byte for byte, for
# interruptions in every phase (float training, QAT, pruning, the pruned model's QAT).
. tests/e2e/lib.inc
C=configs/gesture_cnn.ini
O="--quiet --set data.samples_per_class=80 --set train.epochs=6 --set quant.epochs=4 --set prune.epochs=3 --set prune.sweep=0.5"
"$QATRAIN" $C $O --out "$TMP/ref"
same() { # dir: every output but timing.json equals the reference
    for f in $(ls "$TMP/ref"); do
        [ "$f" = timing.json ] && continue
        cmp -s "$TMP/ref/$f" "$1/$f" || die "$f differs after resuming ($1)"
    done
    [ ! -e "$1/resume.ckpt" ] || die "resume.ckpt left behind in $1"
}
# 192 training samples, batch 16: 12 steps per epoch. Steps 40 (float), 80 (QAT), 100
# (pruning), 130 (pruned QAT), 170 (the sweep's pruning).
for at in 40 80 100 130 170; do
    set +e
    QATRAIN_TEST_INTERRUPT_AT_STEP=$at "$QATRAIN" $C $O --out "$TMP/r$at" 2>"$TMP/err"
    rc=$?
    set -e
    [ "$rc" -eq 130 ] || die "interrupted at step $at: exit $rc, want 130 ($(cat "$TMP/err"))"
    grep -q 'interrupted: training state saved to .*resume.ckpt' "$TMP/err" || die "no resume message"
    [ -s "$TMP/r$at/resume.ckpt" ] || die "no resume.ckpt"
    [ ! -e "$TMP/r$at/report.json" ] || die "an interrupted run wrote report.json"
    "$QATRAIN" $C $O --out "$TMP/r$at" --resume
    same "$TMP/r$at"
done
# A real SIGTERM at whatever step it lands on (or after training: then the run just ends).
"$QATRAIN" $C $O --set train.epochs=300 --out "$TMP/sig" 2>"$TMP/err" &
pid=$!
sleep 0.5
kill -TERM "$pid" 2>/dev/null || true
set +e; wait "$pid"; rc=$?; set -e
if [ "$rc" -eq 130 ]; then
    echo "SIGTERM stopped training: $(cat "$TMP/err")"
    "$QATRAIN" $C $O --set train.epochs=300 --out "$TMP/sig" --resume
else
    [ "$rc" -eq 0 ] || die "SIGTERM: exit $rc"
    echo "SIGTERM landed after training: the run finished normally"
fi
"$QATRAIN" $C $O --set train.epochs=300 --out "$TMP/sigref"
for f in report.json model_int8.tflite model_pruned_int8.tflite; do
    cmp "$TMP/sigref/$f" "$TMP/sig/$f" || die "$f differs after SIGTERM and --resume"
done
# Resuming what is not there, or with other options, fails cleanly.
expect_error 2 'resume.ckpt: no interrupted run to resume' -- "$QATRAIN" $C $O --out "$TMP/ref" --resume
QATRAIN_TEST_INTERRUPT_AT_STEP=40 "$QATRAIN" $C $O --out "$TMP/other" 2>/dev/null || true
expect_error 2 'resume.ckpt: saved by a run with another config file or other options' -- \
    "$QATRAIN" $C $O --set train.lr=0.002 --out "$TMP/other" --resume
head -c 1000 "$TMP/other/resume.ckpt" >"$TMP/cut.ckpt" && mv "$TMP/cut.ckpt" "$TMP/other/resume.ckpt"
expect_error 2 'resume.ckpt: truncated or corrupt' -- "$QATRAIN" $C $O --out "$TMP/other" --resume
exit 0
