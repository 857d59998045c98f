# A small lesson run writes every output, and report.json carries the documented fields.
. tests/e2e/lib.inc
"$QATRAIN" configs/gesture_cnn.ini $SMALL --out "$TMP/run"
for f in history.csv report.json float.ckpt timing.json; do
    [ -s "$TMP/run/$f" ] || die "missing $f"
done
[ "$(wc -l <"$TMP/run/history.csv")" -eq 4 ] || die "history.csv should have a header and 3 rows"
head -n 1 "$TMP/run/history.csv" | grep -q '^epoch,loss,accuracy,val_loss,val_accuracy,lr$' || die "history header"
for key in '"parameters": 12195' '"macs": 53632' '"test_accuracy"' '"source": "builtin"' '"train_samples": 144' '"test_samples": 36'; do
    grep -q "$key" "$TMP/run/report.json" || die "report.json lacks $key"
done
ls "$TMP/run" | grep -q tmp && die "temporary files left behind"
# Progress lines appear when not quiet (not a terminal: one plain line per epoch).
"$QATRAIN" configs/gesture_cnn.ini --set data.samples_per_class=30 --set train.epochs=2 --out "$TMP/run2" >"$TMP/log"
[ "$(grep -c '^epoch ' "$TMP/log")" -eq 2 ] || die "expected 2 epoch lines: $(cat "$TMP/log")"
grep -q 'float32 *test accuracy' "$TMP/log" || die "no summary"
exit 0
