# The official LiteRT runtime (@litertjs/core, WebAssembly, CPU/XNNPACK) as a second oracle
# (DESIGN.md "Verification strategy"), an implementation qatrain did not write:
# - float32: LiteRT's probabilities equal qatrain's float model's within 1e-5 relative or
#   1e-6 absolute, element by element (largest relative difference 5.0e-6 to 1.1e-5 on
#   seeds 1-8, where the absolute one stayed below 1e-6);
# - every int8 model, QAT, PTQ, pruned and block-pruned (LiteRT 2.5.3 refuses int8 I/O, so
#   through its float interface: the exported model_*_float_io.tflite, or for PTQ the same
#   wrapping made by tests/tools/tflite_variant), against the int8 engine's outputs on that
#   model's own int8 inputs, and the same for the logits (the model without its softmax,
#   made by tflite_variant and run by both): logits within one step, probabilities within
#   one step where the logits agree and within the bound one logit step implies elsewhere,
#   predictions the same but for ties of the logits, accuracy as report.json's but for
#   those (tests/litert/compare.mjs gives each bound's reason; tests/litert/README.md the
#   figures over seeds 1-8);
# - dynamic range and float16: accuracy within 0.7 points of float32's (0 to 0.33 points,
#   seeds 1-8);
# - the QAT and PTQ models with uint8 input and output ([quant] uint8_io), which 2.5.3 runs
#   as they are: LiteRT's uint8 outputs are its int8 outputs of the same graph + 128 byte for
#   byte, as the engine's are (the QUANTIZEs are an exact shift), so the two runtimes agree
#   on them exactly as on the int8 models (compare.mjs uint8).
# LiteRT 2.5.3's refusal of int8 I/O tensors is checked too. The seed spreads are from
#     for s in 1 2 3 4 5 6 7 8; do LITERT_SEED=$s sh tests/e2e/test_litert.sh; done
. tests/e2e/lib.inc
# Node >= 20 is needed (Debian 12's own nodejs is 18): without it the test is skipped, with
# the reason, and counted; CI (QATRAIN_NO_SKIP=1) fails on that skip.
. tests/e2e/litert.inc
RUN="--quiet --seed ${LITERT_SEED:-42} --set train.epochs=20 --set quant.epochs=5 --set prune.epochs=5"
"$QATRAIN" configs/gesture_cnn.ini $RUN --set quant.uint8_io=true --out "$TMP/run"
d="$TMP/run"
b="$TMP/block"
"$QATRAIN" configs/experiments/prune_block.ini $RUN --out "$b"
for m in float32 dynamic_range float16; do queue "$d/model_$m.tflite" "$d/test_inputs_float.npy" "$TMP/$m.npy"; done
for m in int8 ptq_int8 pruned_int8; do prepare_int8 "$d" $m; done
prepare_uint8 "$d" uint8_io int8
prepare_uint8 "$d" ptq_uint8_io ptq_int8
prepare_int8 "$b" pruned_int8
run_queued
$C float "$d/test_outputs_float32.npy" "$TMP/float32.npy" || die "float32: LiteRT and qatrain disagree"
check_int8 "$d" int8 int8_qat
check_int8 "$d" ptq_int8 int8_ptq
check_int8 "$d" pruned_int8 int8_qat_pruned
check_uint8 "$d" uint8_io int8 int8_qat_uint8_io
check_uint8 "$d" ptq_uint8_io ptq_int8 int8_ptq_uint8_io
check_int8 "$b" pruned_int8 int8_qat_pruned
for m in dynamic_range float16; do
    $C accuracy "$m" "$TMP/$m.npy" "$TMP/float32.npy" "$d/test_labels.npy" 0.7 || die "$m accuracy"
done
expect_error 1 'refused .*model_int8\.tflite: .*INT8 is not supported' -- \
    $R "$d/model_int8.tflite" "$d/test_inputs_float.npy" "$TMP/x.npy"
expect_error 1 'shape mismatch: .* has samples of shape \(3\), .* takes \(50,3\)' -- \
    $R "$d/model_float32.tflite" "$d/test_outputs_float32.npy" "$TMP/x.npy"
expect_error 1 "test_inputs_float\.npy: dtype '<f4', but .*model_uint8_io\.tflite takes uint8" -- \
    $R "$d/model_uint8_io.tflite" "$d/test_inputs_float.npy" "$TMP/x.npy"
expect_error 1 "dtype '<i4', want float32" -- \
    $R "$d/model_float32.tflite" "$d/test_labels.npy" "$TMP/x.npy"
expect_error 1 'cannot read model .*missing\.tflite: ENOENT' -- \
    $R "$d/missing.tflite" "$d/test_inputs_float.npy" "$TMP/x.npy"
head -c 1000 "$d/model_float32.tflite" >"$TMP/cut.tflite"
expect_error 1 'refused .*cut\.tflite' -- $R "$TMP/cut.tflite" "$d/test_inputs_float.npy" "$TMP/x.npy"
[ ! -e "$TMP/x.npy" ] || die "a failed run left an output file"
echo "LiteRT $(sed -n 's/.*"version": "\(.*\)".*/\1/p' tests/litert/node_modules/@litertjs/core/package.json): float32, int8 QAT, PTQ, pruned and block-pruned (probabilities and logits), dynamic range and float16 models agree, and the uint8-I/O QAT and PTQ models; int8 I/O refused as expected"
exit 0
