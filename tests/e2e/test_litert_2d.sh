# LiteRT (@litertjs/core) as the second oracle on 2-D layers, as test_litert.sh is on the
# lesson: tests/tools/export2d writes the exports of three hand-built 2-D models (the mixed
# stack with Conv2D SAME stride 2, DepthwiseConv2D x2 with BN folded, MaxPool2D,
# AveragePool2D SAME, a 1x1 Conv2D and global average pooling; the lab's CNN; the separable
# block with a pruned SeparableConv2D: DEPTHWISE_CONV_2D, its int8 output, CONV_2D) and
# LiteRT runs every one:
# - float32: probabilities within 1e-5 relative or 1e-6 absolute of qatrain's float model;
# - int8 (through its float interface), against the int8 engine: logits within three steps
#   (one in the 1-D lesson: here one-step differences of LiteRT's single-rounding
#   requantization in earlier layers reach small logit steps), probabilities within the
#   bound that implies, predictions the same but where two classes are within six logit
#   steps, and accuracy as the engine's (tests/litert/compare.mjs --logit-steps 3);
# - dynamic range and float16: accuracy within 5 points of float32's.
# Measured over LITERT_SEED=1..6 (labels are the random-weight float model's own
# predictions, so near-ties are common): logits at most 3 steps apart (mixed, seed 1; else
# 1), 2 (separable), 1 (lab); predictions differ on 0-3 of 200 samples (98.5-100 %
# agreement, the lab CNN's 10 random classes), every one a near-tie of at most 2 logit steps; dynamic range 0 to 4 points below float32 (lab), float16 0 to
# 0.5 — trained models (the pipeline's 2-D configs) have wider margins.
# The 2-D experiment configs trained through the pipeline (seeds 1-3, 360 test images
# each): logits at most 3 steps apart (2 for QAT, 3 once for the pruned conv2d model),
# predictions the same on 359-360 of 360 (>= 99.7 %; the issue's 99.5 % is asserted, so
# two differing predictions of 360 fail), dynamic range and float16 within 1 point of
# float32.
#     for s in 1 2 3 4 5 6; do LITERT_SEED=$s sh tests/e2e/test_litert_2d.sh; done
. tests/e2e/lib.inc
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null) || major=0
if [ "$major" -lt 20 ] 2>/dev/null; then
    echo "SKIP: the LiteRT oracle needs Node.js >= 20 and npm ($(node --version 2>/dev/null || echo 'no node') found)"
    exit 77
fi
sh tests/litert/ensure.sh || die "cannot install @litertjs/core (tests/litert/ensure.sh)"
T="$(dirname "$QATRAIN")/tests/tools"
[ -x "$T/export2d" ] && [ -x "$T/tflite_variant" ] || die "$T/export2d or tflite_variant is not built (make check builds them)"
R="node tests/litert/run.mjs"
C="node tests/litert/compare.mjs"
for m in mixed lab separable; do
    d="$TMP/$m"
    mkdir -p "$d"
    "$T/export2d" $m "$d" "${LITERT_SEED:-1}" >/dev/null || die "export2d $m"
    for f in float32 dynamic_range float16; do
        $R "$d/model_$f.tflite" "$d/test_inputs_float.npy" "$d/litert_$f.npy" || die "LiteRT failed on $m model_$f.tflite"
    done
    $C float "$d/test_outputs_float32.npy" "$d/litert_float32.npy" >/dev/null || die "$m float32: LiteRT and qatrain disagree"
    $R "$d/model_int8_float_io.tflite" "$d/test_inputs_float.npy" "$d/litert_probs.npy" || die "LiteRT failed on $m model_int8_float_io.tflite"
    q=$("$T/tflite_variant" "$d/model_int8.tflite" "$d/logits.tflite" logits) || die "tflite_variant logits $m"
    "$T/tflite_variant" "$d/logits.tflite" "$d/logits_float_io.tflite" float_io || die "tflite_variant float_io $m"
    "$QATRAIN" run "$d/logits.tflite" "$d/test_inputs_int8.npy" "$d/logits_engine.npy" >/dev/null || die "qatrain run $m"
    $R "$d/logits_float_io.tflite" "$d/test_inputs_float.npy" "$d/logits_litert.npy" || die "LiteRT failed on the $m logits"
    $C int8 --engine "$d/test_outputs_int8.npy" --litert "$d/litert_probs.npy" \
        --engine-logits "$d/logits_engine.npy" --litert-logits "$d/logits_litert.npy" \
        --logit-scale "${q% *}" --logit-zp "${q#* }" --labels "$d/test_labels.npy" --report "$d/report.json" \
        --logit-steps 3 >"$d/int8.txt" || die "$m model_int8: LiteRT and the int8 engine disagree"
    for f in dynamic_range float16; do
        $C accuracy $f "$d/litert_$f.npy" "$d/litert_float32.npy" "$d/test_labels.npy" 5 >/dev/null || die "$m $f accuracy"
    done
    echo "$m: $(cat "$d/int8.txt")"
done
# The 2-D experiments through the whole pipeline (trained on the shapes generator, PTQ, QAT,
# pruning): float32 and every int8 model (QAT, PTQ, pruned) as test_litert.sh checks the
# lesson's, with the logit bound above.
RUN="--quiet --seed ${LITERT_SEED:-1} --set quant.enabled=true --set quant.epochs=3 --set prune.enabled=true --set prune.epochs=2"
check_int8() { # DIR M KEY
    t="$1/chk_$2"
    fio="$1/model_$2_float_io.tflite"
    if [ ! -e "$fio" ]; then
        fio="$t.float_io.tflite"
        "$T/tflite_variant" "$1/model_$2.tflite" "$fio" float_io || die "tflite_variant float_io $2"
    fi
    $R "$fio" "$1/test_inputs_float.npy" "$t.probs.npy" || die "LiteRT failed on $fio"
    q=$("$T/tflite_variant" "$1/model_$2.tflite" "$t.logits.tflite" logits) || die "tflite_variant logits $2"
    "$T/tflite_variant" "$t.logits.tflite" "$t.logits_float_io.tflite" float_io || die "tflite_variant float_io $2 logits"
    "$QATRAIN" run "$t.logits.tflite" "$1/test_inputs_$2.npy" "$t.logits_engine.npy" >/dev/null
    $R "$t.logits_float_io.tflite" "$1/test_inputs_float.npy" "$t.logits_litert.npy" || die "LiteRT failed on the $2 logits"
    $C int8 --engine "$1/test_outputs_$2.npy" --litert "$t.probs.npy" \
        --engine-logits "$t.logits_engine.npy" --litert-logits "$t.logits_litert.npy" \
        --logit-scale "${q% *}" --logit-zp "${q#* }" --labels "$1/test_labels.npy" --report "$1/report.json" \
        --key "$3" --logit-steps 3 --min-agree 0.995 >"$t.txt" || die "$(basename "$1") model_$2: LiteRT and the int8 engine disagree"
    echo "$(basename "$1") $2: $(cat "$t.txt")"
}
for c in conv2d_shapes separable_shapes; do
    d="$TMP/$c"
    "$QATRAIN" configs/experiments/$c.ini $RUN --out "$d" || die "qatrain $c"
    for f in float32 dynamic_range float16; do
        $R "$d/model_$f.tflite" "$d/test_inputs_float.npy" "$d/litert_$f.npy" || die "LiteRT failed on $c model_$f.tflite"
    done
    $C float "$d/test_outputs_float32.npy" "$d/litert_float32.npy" >/dev/null || die "$c float32: LiteRT and qatrain disagree"
    check_int8 "$d" int8 int8_qat
    check_int8 "$d" ptq_int8 int8_ptq
    check_int8 "$d" pruned_int8 int8_qat_pruned
    for f in dynamic_range float16; do
        $C accuracy $f "$d/litert_$f.npy" "$d/litert_float32.npy" "$d/test_labels.npy" 1 >/dev/null || die "$c $f accuracy"
    done
done
echo "LiteRT: float32, int8, dynamic range and float16 exports of Conv2D, DepthwiseConv2D, SeparableConv2D, MaxPool2D, AveragePool2D and global average pooling agree"
exit 0
