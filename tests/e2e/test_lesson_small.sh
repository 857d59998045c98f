# A small lesson run writes every output, and report.json carries the documented fields.
. tests/e2e/lib.inc
"$QATRAIN" configs/gesture_cnn.ini $SMALL --out "$TMP/run"
for f in history.csv report.json float.ckpt timing.json qat_history.csv qat.ckpt \
         model_int8.tflite model_int8_float_io.tflite model_ptq_int8.tflite model_float32.tflite \
         model_dynamic_range.tflite model_float16.tflite model_int8.h model_int8.c model_int8_info.h \
         test_inputs_float.npy test_inputs_raw.npy test_labels.npy test_outputs_float32.npy \
         test_inputs_int8.npy test_outputs_int8.npy test_inputs_ptq_int8.npy test_outputs_ptq_int8.npy \
         test_inputs_pruned_int8.npy test_outputs_pruned_int8.npy \
         model_pruned_int8.tflite model_pruned_int8_float_io.tflite \
         masks.bin masks.json; do
    [ -s "$TMP/run/$f" ] || die "missing $f"
done
[ "$(wc -l <"$TMP/run/history.csv")" -eq 4 ] || die "history.csv should have a header and 3 rows"
head -n 1 "$TMP/run/history.csv" | grep -q '^epoch,loss,accuracy,val_loss,val_accuracy,lr$' || die "history header"
for key in '"parameters": 12195' '"macs": 53632' '"test_accuracy"' '"source": "builtin"' '"train_samples": 144' '"test_samples": 36'; do
    grep -q "$key" "$TMP/run/report.json" || die "report.json lacks $key"
done
ls "$TMP/run" | grep -q tmp && die "temporary files left behind"
# Progress lines appear when not quiet (not a terminal: one plain line per epoch of float
# training, QAT, pruning and the pruned model's QAT), and the small calibration set is
# warned about on stderr.
"$QATRAIN" configs/gesture_cnn.ini --set data.samples_per_class=30 --set train.epochs=2 \
    --set quant.epochs=3 --set prune.epochs=4 --out "$TMP/run2" >"$TMP/log" 2>"$TMP/warn"
[ "$(grep -c '^epoch  *[0-9]*/2 ' "$TMP/log")" -eq 2 ] || die "expected 2 float epoch lines: $(cat "$TMP/log")"
[ "$(grep -c '^epoch  *[0-9]*/3 ' "$TMP/log")" -eq 6 ] || die "expected 2 x 3 QAT epoch lines: $(cat "$TMP/log")"
[ "$(grep -c '^epoch  *[0-9]*/4 ' "$TMP/log")" -eq 4 ] || die "expected 4 pruning epoch lines: $(cat "$TMP/log")"
grep -q 'warning: calibration set has 72 samples' "$TMP/warn" || die "no calibration-size warning: $(cat "$TMP/warn")"
grep -q 'float32 *test accuracy' "$TMP/log" || die "no summary"
exit 0
