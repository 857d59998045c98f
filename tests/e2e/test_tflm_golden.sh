# Bit-exactness with TensorFlow Lite Micro on models nobody here wrote: every case of
# $QATRAIN_TEST_DATA/reference/tflm-golden (external test data, default ../shared; skipped
# when absent) runs through `qatrain run`, and the raw int8 outputs must equal TFLM's byte
# for byte. Also prints our arena estimate beside TFLM's arena_used_bytes.
. tests/e2e/lib.inc
need_data reference/tflm-golden "TFLM golden vectors"
GOLDEN=$TEST_DATA/reference/tflm-golden
npy_data() { # the payload of a version-1 .npy: skip 10 + header_len bytes
    hl=$(od -An -tu2 -j8 -N2 "$1" | tr -d ' ')
    tail -c +$((10 + hl + 1)) "$1"
}
n=0
for dir in "$GOLDEN"/*/; do
    case=$(basename "$dir")
    "$QATRAIN" run "$dir/model.tflite" "$dir/inputs.npy" "$TMP/$case.npy" >/dev/null \
        || die "$case: qatrain run failed"
    npy_data "$TMP/$case.npy" >"$TMP/ours"
    npy_data "$dir/outputs.npy" >"$TMP/tflm"
    cmp -s "$TMP/ours" "$TMP/tflm" || die "$case: outputs differ from TFLite Micro's ($(cmp "$TMP/ours" "$TMP/tflm" | head -n 1))"
    ours=$("$QATRAIN" inspect "$dir/model.tflite" | sed -n 's/^tensor arena estimate: \([0-9]*\).*/\1/p')
    tflm=$(sed -n 's/.*"arena_used_bytes": \([0-9]*\).*/\1/p' "$dir/meta.json")
    echo "$case: $(wc -c <"$TMP/tflm") output bytes identical; arena estimate $ours, TFLM used $tflm"
    n=$((n + 1))
done
[ "$n" -eq 15 ] || die "expected 15 golden cases, ran $n"
exit 0
