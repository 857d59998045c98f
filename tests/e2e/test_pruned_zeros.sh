# The pruned model's zeros are in the file it wrote: for every layer of masks.bin, each
# weight the mask prunes is 0 in model_pruned_int8.tflite's int8 kernel, read back from
# disk (tests/tools/pruned_zeros.c: the library's .tflite reader and its own masks.bin
# parser, not the pipeline's in-memory check). Runs the lesson's stack (fused ReLU), a
# stack with batch norm after every pruned layer but the classifier (folded into the
# kernels: w·γ/σ must stay 0), the lesson with dense1 pruned in blocks of 8, and the three
# 2-D configs (Conv2D, DepthwiseConv2D with batch norm folded, both halves of a
# SeparableConv2D).
. tests/e2e/lib.inc
Z="$(dirname "$QATRAIN")/tests/tools/pruned_zeros"
[ -x "$Z" ] || die "$Z is not built (make check builds it)"
RUN="--set data.samples_per_class=60 --set train.epochs=3 --set quant.epochs=2 --set prune.epochs=2
     --set prune.schedule=constant --quiet"
# No standalone relu/relu6 layers: conv / dense -> batchnorm, activation none.
cat >"$TMP/bn.ini" <<'EOF'
[layer.conv1]
type = conv1d
filters = 16
kernel = 5
activation = none
[layer.bn1]
type = batchnorm
[layer.pool1]
type = maxpool1d
pool = 2
[layer.conv2]
type = conv1d
filters = 32
kernel = 3
activation = none
[layer.bn2]
type = batchnorm
[layer.pool2]
type = maxpool1d
pool = 2
[layer.flatten]
type = flatten
[layer.dense1]
type = dense
units = 32
activation = none
[layer.bn3]
type = batchnorm
[layer.dense2]
type = dense
units = 3
activation = softmax
[prune]
enabled = true
EOF
for cfg in configs/gesture_cnn.ini "$TMP/bn.ini" configs/experiments/prune_block.ini; do
    out="$TMP/$(basename "$cfg" .ini)"
    "$QATRAIN" "$cfg" $RUN --out "$out"
    "$Z" "$out/model_pruned_int8.tflite" "$out/masks.bin" >"$TMP/zeros.txt" \
        || die "$cfg: $(cat "$TMP/zeros.txt")"
    # Four pruned layers, each about 70 % pruned (constant schedule): the check had zeros to check.
    awk '{ n++; if ($2 / $4 < 0.69 || $2 / $4 > 0.71) bad = 1 } END { exit bad || n != 4 }' "$TMP/zeros.txt" \
        || die "$cfg: expected four layers pruned 70 %: $(cat "$TMP/zeros.txt")"
    echo "$cfg: $(awk '{ p += $2; w += $4 } END { print p " of " w " kernel weights pruned, all 0 in the file" }' "$TMP/zeros.txt")"
done
# 2-D: CONFIG and its pruned kernels (the classifier included), each pruned about 70 %
# (small kernels: 50 of 72 is 69.4 %).
while read -r cfg layers; do
    out="$TMP/$(basename "$cfg" .ini)"
    "$QATRAIN" "$cfg" $RUN --set data.samples_per_class=30 --out "$out"
    "$Z" "$out/model_pruned_int8.tflite" "$out/masks.bin" >"$TMP/zeros.txt" \
        || die "$cfg: $(cat "$TMP/zeros.txt")"
    [ "$(cut -d: -f1 "$TMP/zeros.txt" | tr '\n' ' ')" = "$layers " ] ||
        die "$cfg: expected the pruned kernels $layers: $(cat "$TMP/zeros.txt")"
    awk '{ if ($2 / $4 < 0.65 || $2 / $4 > 0.75) bad = 1 } END { exit bad }' "$TMP/zeros.txt" \
        || die "$cfg: expected each kernel pruned about 70 %: $(cat "$TMP/zeros.txt")"
    echo "$cfg: $(awk '{ p += $2; w += $4 } END { print p " of " w " kernel weights pruned, all 0 in the file" }' "$TMP/zeros.txt")"
done <<'EOF'
configs/experiments/conv2d_shapes.ini conv1 conv2 out
configs/experiments/separable_shapes.ini conv1 sep1/depthwise sep1 out
configs/experiments/depthwise_shapes.ini conv1 dw1 mix out
EOF
exit 0
