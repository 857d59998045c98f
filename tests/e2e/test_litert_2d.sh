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
. tests/e2e/litert.inc
T="$(dirname "$QATRAIN")/tests/tools"
[ -x "$T/export2d" ] || die "$T/export2d is not built (make check builds it)"
# The 2-D experiments go through the whole pipeline (trained on the shapes generator, PTQ,
# QAT, pruning): float32 and every int8 model (QAT, PTQ, pruned) as test_litert.sh checks the
# lesson's, with the logit bound above, and the uint8-I/O QAT and PTQ models (a [1, H, W, C]
# uint8 input) as test_litert.sh checks the lesson's. Every LiteRT run is queued and made at
# once (litert.inc), then compared.
RUN="--quiet --seed ${LITERT_SEED:-1} --set quant.enabled=true --set quant.epochs=3 --set prune.enabled=true --set prune.epochs=2 --set quant.uint8_io=true"
for m in mixed lab separable; do
    d="$TMP/$m"
    mkdir -p "$d"
    "$T/export2d" $m "$d" "${LITERT_SEED:-1}" >/dev/null || die "export2d $m"
    for f in float32 dynamic_range float16; do queue "$d/model_$f.tflite" "$d/test_inputs_float.npy" "$d/litert_$f.npy"; done
    prepare_int8 "$d" int8
done
for c in conv2d_shapes separable_shapes; do
    d="$TMP/$c"
    "$QATRAIN" configs/experiments/$c.ini $RUN --out "$d" || die "qatrain $c"
    for f in float32 dynamic_range float16; do queue "$d/model_$f.tflite" "$d/test_inputs_float.npy" "$d/litert_$f.npy"; done
    for m in int8 ptq_int8 pruned_int8; do prepare_int8 "$d" $m; done
    prepare_uint8 "$d" uint8_io int8
    prepare_uint8 "$d" ptq_uint8_io ptq_int8
done
run_queued
for m in mixed lab separable; do
    d="$TMP/$m"
    $C float "$d/test_outputs_float32.npy" "$d/litert_float32.npy" >/dev/null || die "$m float32: LiteRT and qatrain disagree"
    check_int8 "$d" int8 int8_qat --logit-steps 3
    for f in dynamic_range float16; do
        $C accuracy $f "$d/litert_$f.npy" "$d/litert_float32.npy" "$d/test_labels.npy" 5 >/dev/null || die "$m $f accuracy"
    done
done
for c in conv2d_shapes separable_shapes; do
    d="$TMP/$c"
    $C float "$d/test_outputs_float32.npy" "$d/litert_float32.npy" >/dev/null || die "$c float32: LiteRT and qatrain disagree"
    check_int8 "$d" int8 int8_qat --logit-steps 3 --min-agree 0.995
    check_int8 "$d" ptq_int8 int8_ptq --logit-steps 3 --min-agree 0.995
    check_int8 "$d" pruned_int8 int8_qat_pruned --logit-steps 3 --min-agree 0.995
    check_uint8 "$d" uint8_io int8 int8_qat_uint8_io
    check_uint8 "$d" ptq_uint8_io ptq_int8 int8_ptq_uint8_io
    for f in dynamic_range float16; do
        $C accuracy $f "$d/litert_$f.npy" "$d/litert_float32.npy" "$d/test_labels.npy" 1 >/dev/null || die "$c $f accuracy"
    done
done
echo "LiteRT: float32, int8, uint8-I/O, dynamic range and float16 exports of Conv2D, DepthwiseConv2D, SeparableConv2D, MaxPool2D, AveragePool2D and global average pooling agree"
exit 0
