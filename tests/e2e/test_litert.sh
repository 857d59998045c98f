# The official LiteRT runtime (@litertjs/core, WebAssembly, CPU/XNNPACK) as a second oracle
# (DESIGN.md "Verification strategy"): it loads the exported models and answers as qatrain
# says they do. float32: same probabilities (rel 1e-5 / abs 1e-6); int8 through its float
# interface: the same class on >= 99 % of the test samples and an accuracy within one sample
# of report.json's (LiteRT requantizes in float32 with one rounding, TFLite Micro and our
# engine in fixed point with two, so outputs may differ by a few int8 steps); dynamic range
# and float16 within 2 points of float32. LiteRT 2.5.3 refuses int8 I/O tensors: checked too.
. tests/e2e/lib.inc
if ! command -v node >/dev/null 2>&1; then
    die "node not found: the LiteRT oracle needs Node >= 20 and npm (scripts/setup.sh installs them)"
fi
sh tests/litert/ensure.sh || die "cannot install @litertjs/core (tests/litert/ensure.sh)"
R="node tests/litert/run.mjs"
C="node tests/litert/compare.mjs"
"$QATRAIN" configs/gesture_cnn.ini --quiet --set train.epochs=20 --set quant.epochs=5 --set prune.epochs=5 --out "$TMP/run"
d="$TMP/run"
for m in float32 int8_float_io dynamic_range float16 pruned_int8_float_io; do
    $R "$d/model_$m.tflite" "$d/test_inputs_float.npy" "$TMP/$m.npy" || die "LiteRT failed on model_$m.tflite"
done
$C float "$d/test_outputs_float32.npy" "$TMP/float32.npy" || die "float32: LiteRT and qatrain disagree"
$C int8 "$d/test_outputs_int8.npy" "$TMP/int8_float_io.npy" "$d/test_labels.npy" "$d/report.json" \
    || die "int8: LiteRT and the int8 engine disagree"
$C int8 "$d/test_outputs_pruned_int8.npy" "$TMP/pruned_int8_float_io.npy" "$d/test_labels.npy" \
    "$d/report.json" 0.00390625 -128 int8_qat_pruned || die "pruned int8: LiteRT and the int8 engine disagree"
# The block-pruned model (configs/experiments/prune_block.ini) too.
b="$TMP/block"
"$QATRAIN" configs/experiments/prune_block.ini --quiet --set train.epochs=20 --set quant.epochs=5 --set prune.epochs=5 --out "$b"
$R "$b/model_pruned_int8_float_io.tflite" "$b/test_inputs_float.npy" "$TMP/block.npy" || die "LiteRT failed on the block-pruned model"
$C int8 "$b/test_outputs_pruned_int8.npy" "$TMP/block.npy" "$b/test_labels.npy" \
    "$b/report.json" 0.00390625 -128 int8_qat_pruned || die "block-pruned int8: LiteRT and the int8 engine disagree"
for m in dynamic_range float16; do
    $C accuracy "$m" "$TMP/$m.npy" "$TMP/float32.npy" "$d/test_labels.npy" || die "$m accuracy"
done
# Failures are one clear line: int8 I/O (not supported by 2.5.3), shape, missing files, junk.
expect_error 1 'refused .*model_int8\.tflite: .*INT8 is not supported' -- \
    $R "$d/model_int8.tflite" "$d/test_inputs_float.npy" "$TMP/x.npy"
expect_error 1 'shape mismatch: .* has samples of shape \(3\), .* takes \(50,3\)' -- \
    $R "$d/model_float32.tflite" "$d/test_outputs_float32.npy" "$TMP/x.npy"
expect_error 1 "dtype '<i4', want float32" -- \
    $R "$d/model_float32.tflite" "$d/test_labels.npy" "$TMP/x.npy"
expect_error 1 'cannot read model .*missing\.tflite: ENOENT' -- \
    $R "$d/missing.tflite" "$d/test_inputs_float.npy" "$TMP/x.npy"
head -c 1000 "$d/model_float32.tflite" >"$TMP/cut.tflite"
expect_error 1 'refused .*cut\.tflite' -- $R "$TMP/cut.tflite" "$d/test_inputs_float.npy" "$TMP/x.npy"
[ ! -e "$TMP/x.npy" ] || die "a failed run left an output file"
echo "LiteRT $(sed -n 's/.*"version": "\(.*\)".*/\1/p' tests/litert/node_modules/@litertjs/core/package.json): float32, int8 (float I/O), pruned and block-pruned int8, dynamic range and float16 models agree; int8 I/O refused as expected"
exit 0
