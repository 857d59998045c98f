# `qatrain inspect` shows each exported file's ops and quantization; every int8 model's
# re-check files are its own (test_inputs_<m>.npy is the float test split quantized with
# that model's input scale and zero point, checked by tests/tools/input_quantized against
# the file's parameters), and `qatrain run` on the written file reproduces
# test_outputs_<m>.npy: a consistency check (both are our engine: the file holds the model
# that was evaluated), not a reference; the references are TFLM's golden outputs
# (test_tflm_golden.sh) and LiteRT (test_litert.sh). Bad files fail cleanly.
. tests/e2e/lib.inc
IQ="$(dirname "$QATRAIN")/tests/tools/input_quantized"
[ -x "$IQ" ] || die "$IQ is not built (make check builds it)"
"$QATRAIN" configs/gesture_cnn.ini $SMALL --out "$TMP/r"
i8="$TMP/r/model_int8.tflite"
"$QATRAIN" inspect "$i8" >"$TMP/i8.txt"
for want in 'conv1/kernel  *INT8  *\[16, 1, 5, 3\].*per-channel x16' 'CONV_2D  *v3.*VALID.*RELU' \
            'MAX_POOL_2D  *v2.*filter 1x2 stride 1x2' 'FULLY_CONNECTED  *v4' 'SOFTMAX  *v2' \
            'probs  *INT8  *\[1, 3\]  scale 0.00390625 zero_point -128' \
            'op resolver: RESHAPE CONV_2D MAX_POOL_2D FULLY_CONNECTED SOFTMAX' \
            'tensor arena estimate: [0-9]+ bytes on a 64-bit host, [0-9]+ on a 32-bit MCU'; do
    grep -Eq "$want" "$TMP/i8.txt" || die "inspect model_int8: no '$want'"
done
# The firmware header carries the arena inspect reports (one model of TFLite Micro's
# allocator), and QAT_TENSOR_ARENA_BYTES is the recommendation for the pointer size it is
# compiled with: 64-bit here, 32-bit in the #else branch.
row() { sed -n "s/^  $1  *\([0-9]*\)  *\([0-9]*\)\$/\1 \2/p" "$TMP/i8.txt"; }
define() { sed -n "s/^#define $1 \([0-9]*\)\$/\1/p" "$TMP/r/model_int8_info.h"; }
set -- $(row 'smallest arena AllocateTensors accepts'); min64=$1 min32=$2
set -- $(row 'recommended (+256 bytes +1\/16)'); rec64=$1 rec32=$2
set -- $(row 'activations (greedy memory plan)'); act=$1
[ -n "$min64" ] && [ -n "$rec32" ] && [ -n "$act" ] || die "inspect: no arena table"
[ "$min32" -le "$min64" ] && [ "$min64" -lt "$rec64" ] && [ "$min32" -lt "$rec32" ] \
    || die "arena: 32-bit min $min32, 64-bit min $min64, recommended $rec32 / $rec64"
[ "$(define QAT_TENSOR_ARENA_MIN_64)" = "$min64" ] || die "header: QAT_TENSOR_ARENA_MIN_64 is not $min64"
[ "$(define QAT_TENSOR_ARENA_MIN_32)" = "$min32" ] || die "header: QAT_TENSOR_ARENA_MIN_32 is not $min32"
[ "$(define QAT_ACTIVATION_BYTES)" = "$act" ] || die "header: QAT_ACTIVATION_BYTES is not $act"
[ "$(sed -n '/^#else$/{n;s/^#define QAT_TENSOR_ARENA_BYTES //p;}' "$TMP/r/model_int8_info.h")" = "$rec32" ] \
    || die "header: the 32-bit QAT_TENSOR_ARENA_BYTES is not $rec32"
host=$(printf '#include "model_int8_info.h"\nQAT_TENSOR_ARENA_BYTES\n' | ${CC:-cc} -E -P -I "$TMP/r" -x c - | tail -n 1)
[ "$host" = "$rec64" ] || die "header: QAT_TENSOR_ARENA_BYTES on this 64-bit host is '$host', not $rec64"
grep -q EXPAND_DIMS "$TMP/i8.txt" && die "EXPAND_DIMS in the int8 model"
"$QATRAIN" inspect "$TMP/r/model_int8_float_io.tflite" | grep -Eq 'QUANTIZE .*v1' || die "float-io: no QUANTIZE"
"$QATRAIN" inspect "$TMP/r/model_int8_float_io.tflite" | grep -Eq 'DEQUANTIZE .*v2' || die "float-io: no DEQUANTIZE"
"$QATRAIN" inspect "$TMP/r/model_float32.tflite" | grep -Eq 'conv1/kernel  *FLOAT32' || die "float32 kernel"
"$QATRAIN" inspect "$TMP/r/model_float32.tflite" | grep -Eq 'CONV_2D  *v1' || die "float32 conv version"
"$QATRAIN" inspect "$TMP/r/model_dynamic_range.tflite" | grep -Eq 'dense1/kernel  *INT8' || die "dynamic range: dense1 not int8"
"$QATRAIN" inspect "$TMP/r/model_dynamic_range.tflite" | grep -Eq 'conv1/kernel  *FLOAT32' || die "dynamic range: conv1 (240 weights) should stay float"
"$QATRAIN" inspect "$TMP/r/model_float16.tflite" | grep -Eq 'conv1/kernel/fp16  *FLOAT16' || die "float16 kernel"
# Each int8 model (QAT, PTQ, pruned): its own inputs, and run reproduces its outputs byte for byte.
for m in int8 ptq_int8 pruned_int8; do
    "$IQ" "$TMP/r/model_$m.tflite" "$TMP/r/test_inputs_float.npy" "$TMP/r/test_inputs_$m.npy" >"$TMP/iq.txt" \
        || die "test_inputs_$m.npy is not the test split quantized for model_$m.tflite: $(cat "$TMP/iq.txt")"
    "$QATRAIN" run "$TMP/r/model_$m.tflite" "$TMP/r/test_inputs_$m.npy" "$TMP/out.npy" >/dev/null
    cmp "$TMP/out.npy" "$TMP/r/test_outputs_$m.npy" || die "qatrain run on model_$m.tflite differs from test_outputs_$m.npy"
done
# Bad files: one line, exit 2.
head -c 100 "$i8" >"$TMP/trunc.tflite"
expect_error 2 'trunc\.tflite: ' -- "$QATRAIN" inspect "$TMP/trunc.tflite"
expect_error 2 'nope\.tflite: cannot open' -- "$QATRAIN" inspect "$TMP/nope.tflite"
expect_error 2 'test_inputs_float\.npy: .*int8' -- "$QATRAIN" run "$i8" "$TMP/r/test_inputs_float.npy" "$TMP/x.npy"
expect_error 2 'float32 kernels|FLOAT32|not supported' -- "$QATRAIN" run "$TMP/r/model_float32.tflite" "$TMP/r/test_inputs_float.npy" "$TMP/x.npy"
exit 0
