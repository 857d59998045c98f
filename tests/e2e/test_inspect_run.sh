# `qatrain inspect` shows each exported file's ops and quantization; every int8 model's
# re-check files are its own (test_inputs_<m>.npy is the float test split quantized with
# that model's input scale and zero point, checked by tests/tools/input_quantized against
# the file's parameters), and `qatrain run` on the written file reproduces
# test_outputs_<m>.npy: a consistency check (both are our engine: the file holds the model
# that was evaluated), not a reference; the references are TFLM's golden outputs
# (test_tflm_golden.sh) and LiteRT (test_litert.sh). Bad files fail cleanly.
# With [quant] uint8_io, the QAT and PTQ models with uint8 input and output are the int8
# graphs between QUANTIZE uint8 -> int8 and int8 -> uint8 (v1), on the int8 tensors' scales
# with zero points + 128; their inputs and the engine's outputs are the int8 models' + 128
# byte for byte, and report.json gives them the int8 models' accuracy.
. tests/e2e/lib.inc
IQ="$(dirname "$QATRAIN")/tests/tools/input_quantized"
[ -x "$IQ" ] || die "$IQ is not built (make check builds it)"
"$QATRAIN" configs/gesture_cnn.ini $SMALL --set quant.uint8_io=true --out "$TMP/r"
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
u8="$TMP/r/model_uint8_io.tflite"
"$QATRAIN" inspect "$u8" >"$TMP/u8.txt"
zp_in=$(sed -n 's/^ *[0-9]* input  *INT8 .* zero_point \(-*[0-9]*\)$/\1/p' "$TMP/i8.txt")
[ -n "$zp_in" ] || die "inspect model_int8: no input zero point"
for want in "input  *UINT8  *\[1, 50, 3\]  scale [0-9.e-]* zero_point $((zp_in + 128))\$" \
            "input_int8  *INT8  *\[1, 50, 3\]  scale [0-9.e-]* zero_point $zp_in\$" \
            'probs  *UINT8  *\[1, 3\]  scale 0.00390625 zero_point 0$' \
            'probs_int8  *INT8  *\[1, 3\]  scale 0.00390625 zero_point -128$' \
            '^   0 QUANTIZE  *v1 ' '^  10 QUANTIZE  *v1 .* -> 21$' \
            'op resolver: RESHAPE CONV_2D MAX_POOL_2D FULLY_CONNECTED SOFTMAX QUANTIZE$'; do
    grep -Eq "$want" "$TMP/u8.txt" || die "inspect model_uint8_io: no '$want'"
done
# npy_bytes FILE: the payload of a version-1.0 .npy, one unsigned byte per line.
npy_bytes() {
    h=$(od -An -tu2 -j8 -N2 "$1" | tr -d ' ')
    od -An -v -tu1 -j $((10 + h)) "$1" | tr -s ' ' '\n' | grep .
}
# shifted U8.npy I8.npy: every byte of U8 is that of I8 + 128, as many of them.
shifted() {
    npy_bytes "$1" >"$TMP/u.txt"
    npy_bytes "$2" >"$TMP/i.txt"
    [ "$(wc -l <"$TMP/u.txt")" -eq "$(wc -l <"$TMP/i.txt")" ] || die "$1 and $2 differ in size"
    paste "$TMP/u.txt" "$TMP/i.txt" | awk '$1 != ($2 + 128) % 256 { bad++ } END { exit bad > 0 }' ||
        die "$1 is not $2 + 128 byte for byte"
}
key_accuracy() { tr -d ' \n' <"$TMP/r/report.json" | sed -n "s/.*\"$1\":{[^}]*\"test_accuracy\":\([0-9.]*\).*/\1/p"; }
for pair in uint8_io:int8:int8_qat ptq_uint8_io:ptq_int8:int8_ptq; do
    u=${pair%%:*} rest=${pair#*:}; i=${rest%%:*} k=${rest#*:}
    shifted "$TMP/r/test_inputs_$u.npy" "$TMP/r/test_inputs_$i.npy"
    shifted "$TMP/r/test_outputs_$u.npy" "$TMP/r/test_outputs_$i.npy"
    a=$(key_accuracy "${k}_uint8_io") b=$(key_accuracy "$k")
    [ -n "$a" ] && [ "$a" = "$b" ] || die "report.json: ${k}_uint8_io accuracy '$a', $k '$b'"
    grep -q "\"file\": \"model_$u.tflite\"" "$TMP/r/report.json" || die "report.json: no model_$u.tflite"
done
# Each int8 model (QAT, PTQ, pruned, and the uint8-I/O ones): its own inputs, and run
# reproduces its outputs byte for byte.
for m in int8 ptq_int8 pruned_int8 uint8_io ptq_uint8_io; do
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
expect_error 2 'test_inputs_int8\.npy: holds int8 data; the input of .* is uint8' -- \
    "$QATRAIN" run "$u8" "$TMP/r/test_inputs_int8.npy" "$TMP/x.npy"
expect_error 2 'float32 kernels|FLOAT32|not supported' -- "$QATRAIN" run "$TMP/r/model_float32.tflite" "$TMP/r/test_inputs_float.npy" "$TMP/x.npy"
exit 0
