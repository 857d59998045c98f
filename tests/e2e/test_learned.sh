# Learned ranges (LSQ, PACT) on a short lesson: the exported model agrees with its fake-quant
# graph, carries the learned scales (not the max-magnitude ones), and an interrupted run
# resumes to the same bytes; a bad quantizer name is one line and exit 2.
. tests/e2e/lib.inc
C=configs/gesture_cnn.ini
# 192 training samples, batch 16: 12 steps an epoch; float 3 epochs, QAT 4, pruning 2, QAT 4.
O="--quiet --set data.samples_per_class=80 --set train.epochs=3 --set quant.epochs=4
   --set prune.epochs=2 --set quant.weight_bits=4"
L="--set quant.act_quantizer=lsq --set quant.weight_quantizer=lsq"
"$QATRAIN" $C $O $L --out "$TMP/lsq" || die "the LSQ run failed"
"$QATRAIN" $C $O --out "$TMP/max" || die "the max-scale run failed"
"$QATRAIN" $C $O --set quant.act_quantizer=pact --out "$TMP/pact" || die "the PACT run failed"
for d in lsq pact; do
    r=$(tr -d ' \n' <"$TMP/$d/report.json")
    n=$(echo "$r" | sed -n 's/.*"prediction_disagreements":\([0-9]*\).*/\1/p')
    [ -n "$n" ] && [ "$n" -le 1 ] || die "$d: fake-quant and the int8 engine disagree on $n test samples"
    echo "$r" | grep -q "\"qat_quantizers\":{\"activations\":\"$d\"" || die "$d: report.json lacks qat_quantizers"
done
# The exported kernels carry the learned scales: conv1's differ from the max-magnitude run's
# (same float model, same seed), and the PTQ models (before learning) are the same file.
scales() { "$QATRAIN" inspect "$1" | sed -n 's/.* conv1\/kernel .* scale \([0-9.e-]*\.\.[0-9.e-]*\) .*/\1/p'; }
[ "$(scales "$TMP/lsq/model_int8.tflite")" != "$(scales "$TMP/max/model_int8.tflite")" ] ||
    die "LSQ exported conv1's max-magnitude scales ($(scales "$TMP/max/model_int8.tflite"))"
cmp -s "$TMP/lsq/model_ptq_int8.tflite" "$TMP/max/model_ptq_int8.tflite" ||
    die "the PTQ model changed with the QAT quantizer"
# Interrupted in QAT epoch 2 (step 36 + 17): resuming gives the same files.
set +e
QATRAIN_TEST_INTERRUPT_AT_STEP=53 "$QATRAIN" $C $O $L --out "$TMP/r" 2>"$TMP/err"
rc=$?
set -e
[ "$rc" -eq 130 ] || die "interrupted: exit $rc ($(cat "$TMP/err"))"
"$QATRAIN" $C $O $L --out "$TMP/r" --resume || die "resume failed"
for f in $(ls "$TMP/lsq"); do
    [ "$f" = timing.json ] && continue
    cmp -s "$TMP/lsq/$f" "$TMP/r/$f" || die "$f differs after resuming"
done
expect_error 2 "act_quantizer: 'lsqq' is not one of" -- "$QATRAIN" $C $O --out "$TMP/bad" --set quant.act_quantizer=lsqq
echo "learned ranges: LSQ and PACT export what they simulated; conv1 scales $(scales "$TMP/lsq/model_int8.tflite") (max: $(scales "$TMP/max/model_int8.tflite")); resumed to the same bytes"
