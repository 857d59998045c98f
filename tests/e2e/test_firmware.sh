# The firmware files of an export — the lesson's, and a 2-D model's (its inspect and run
# output checked too) — used as firmware would: model_int8.{h,c} and
# model_int8_info.h compile with tests/firmware/check_firmware.c as C99, C11, C++11 (older
# Arduino cores) and C++17 (what TFLite Micro itself needs), each with -Wall -Wextra
# -Werror -pedantic, and the program finds the array equal to model_int8.tflite (length
# too) and 16-byte aligned, and qat_prepare_input on the raw, un-normalised test samples
# (test_inputs_raw.npy) equal to the exported int8 inputs (test_inputs_int8.npy), value for
# value. The array's standard C11 / C++11 alignment spellings are checked with the
# compiler's GNU macros hidden, and a C99 compiler without them must stop at #error rather
# than leave the array unaligned. The uint8-I/O export ([quant] uint8_io) of the per-axis run
# is checked the same way (check_firmware.c built with -DQAT_UINT8_IO): model_uint8_io.{h,c},
# g_model_uint8_io, and a qat_prepare_input making uint8_t values equal to the exported
# uint8 inputs (test_inputs_uint8_io.npy, the engine's quantizer).
. tests/e2e/lib.inc
command -v cc >/dev/null && command -v c++ >/dev/null || die "the firmware test needs cc and c++"
RUN="--set train.epochs=2 --set quant.epochs=1 --set prune.enabled=false --quiet"
"$QATRAIN" configs/gesture_cnn.ini $RUN --out "$TMP/r"
# The lesson's min/max is one range for all axes; per-axis ranges too (fewer samples, so
# that not every axis reaches the generator's +-4 g saturation and the ranges differ).
"$QATRAIN" configs/gesture_cnn.ini $RUN --set data.normalize=minmax_axis --set data.samples_per_class=60 \
    --set quant.uint8_io=true --out "$TMP/axis"
grep -q '^                                     uint8_t out\[QAT_WINDOW \* QAT_AXES\]) {$' "$TMP/axis/model_uint8_io_info.h" \
    || die "uint8-I/O export: qat_prepare_input does not write uint8_t"
grep -q '(uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);$' "$TMP/axis/model_uint8_io_info.h" \
    || die "uint8-I/O export: qat_prepare_input does not clamp to [0, 255]"
sed -n 's/^static const float qat_norm_min\[QAT_AXES\] = {\(.*\)};/\1/p' "$TMP/axis/model_int8_info.h" \
    | awk -F', ' '{ exit !(NF == 3 && ($1 != $2 || $2 != $3)) }' || die "per-axis export: the axes' minima are all equal"
# A 2-D model's export (tests/tools/export2d: Conv2D, DepthwiseConv2D, pools, global average
# pooling on 9x10x2 images): its info header gives the image's shape and QAT_INPUT_SIZE.
mkdir -p "$TMP/img"
"$(dirname "$QATRAIN")/tests/tools/export2d" mixed "$TMP/img" >/dev/null || die "export2d mixed"
grep -q '^#define QAT_HEIGHT 9$' "$TMP/img/model_int8_info.h" && grep -q '^#define QAT_WIDTH 10$' "$TMP/img/model_int8_info.h" \
    && grep -q '^#define QAT_AXES 2$' "$TMP/img/model_int8_info.h" || die "2-D export: the info header does not give the 9x10x2 input"
for op in AddConv2D AddDepthwiseConv2D AddMaxPool2D AddAveragePool2D AddReshape; do
    grep -q "(r)\.$op()" "$TMP/img/model_int8_info.h" || die "2-D export: the op list lacks $op"
done
# inspect names the 2-D operators with their geometry; run reproduces the engine's outputs
"$QATRAIN" inspect "$TMP/img/model_int8.tflite" >"$TMP/inspect.txt" || die "inspect on the 2-D export"
grep -q 'DEPTHWISE_CONV_2D .* SAME stride 1x1 .* depth_multiplier 2' "$TMP/inspect.txt" &&
    grep -q 'd1/kernel .* per-channel x8 (axis 3)' "$TMP/inspect.txt" &&
    grep -q 'AVERAGE_POOL_2D .* VALID filter 3x3' "$TMP/inspect.txt" || die "inspect: the 2-D operators are not as exported"
"$QATRAIN" run "$TMP/img/model_int8.tflite" "$TMP/img/test_inputs_int8.npy" "$TMP/img/run.npy" >/dev/null || die "run on the 2-D export"
cmp -s "$TMP/img/run.npy" "$TMP/img/test_outputs_int8.npy" || die "run: outputs differ from the engine's at export"
W="-Wall -Wextra -Werror -pedantic"
for c in "cc -std=c99" "cc -std=c11" "c++ -std=c++11 -x c++" "c++ -std=c++17 -x c++"; do
    for d in "$TMP/r" "$TMP/axis" "$TMP/img"; do
        $c $W -I"$d" tests/firmware/check_firmware.c -lm -o "$TMP/check" 2>"$TMP/cc.txt" \
            || die "$c: the firmware files do not compile: $(head -n 5 "$TMP/cc.txt")"
        "$TMP/check" "$d/model_int8.tflite" "$d/test_inputs_raw.npy" "$d/test_inputs_int8.npy" >"$TMP/out.txt" \
            || die "$c, $(basename "$d"): $(cat "$TMP/out.txt")"
    done
    echo "$c: $(cat "$TMP/out.txt")"
    d="$TMP/axis"
    $c $W -DQAT_UINT8_IO -I"$d" tests/firmware/check_firmware.c -lm -o "$TMP/check" 2>"$TMP/cc.txt" \
        || die "$c: the uint8-I/O firmware files do not compile: $(head -n 5 "$TMP/cc.txt")"
    "$TMP/check" "$d/model_uint8_io.tflite" "$d/test_inputs_raw.npy" "$d/test_inputs_uint8_io.npy" >"$TMP/out.txt" \
        || die "$c, uint8 I/O: $(cat "$TMP/out.txt")"
    echo "$c, uint8 I/O: $(cat "$TMP/out.txt")"
done
d="$TMP/r"
NOGNU="-U__GNUC__ -U__clang__"
for c in "cc -std=c11" "c++ -std=c++11 -x c++"; do
    $c $NOGNU $W -I"$d" -c tests/firmware/align_probe.c -o "$TMP/probe.o" 2>"$TMP/cc.txt" \
        || die "$c without GNU extensions: $(head -n 5 "$TMP/cc.txt")"
done
cc -std=c99 $NOGNU $W -I"$d" -c "$d/model_int8.c" -o "$TMP/probe.o" 2>"$TMP/cc.txt" \
    && die "C99 without GNU extensions compiled the array with no alignment"
grep -q 'error: #error "define QAT_MODEL_ALIGN' "$TMP/cc.txt" || die "C99 without GNU extensions: $(head -n 3 "$TMP/cc.txt")"
echo "C11 _Alignas and C++11 alignas spellings declare 16-byte alignment; C99 without them stops at #error"
exit 0
