# Bit-exactness with TensorFlow Lite Micro on models nobody here wrote: every case of
# $QATRAIN_TEST_DATA/reference/tflm-golden (external test data, default ../shared; skipped
# when absent) runs through `qatrain run` with each int8 kernel family this processor has
# (QATRAIN_INT8), and the raw int8 outputs must equal TFLM's byte for byte. Also prints our arena estimate beside TFLM's arena_used_bytes.
# Each model's uint8-I/O form too (tests/tools/tflite_variant uint8_io: the library's
# qat_ir_uint8_io, as model_uint8_io.tflite is made), on the inputs + 128: its outputs must be
# TFLM's + 128 byte for byte. The golden outputs hold no uint8 model (no TFLM build runs
# here to make one); TFLM's QUANTIZE uint8 <-> int8 between tensors of one scale and zero
# points 128 apart is that exact shift (Requantize's fast path flips the top bit), which
# test_int8_kernels checks case by case against the general formula.
. tests/e2e/lib.inc
need_data reference/tflm-golden "TFLM golden vectors"
GOLDEN=$TEST_DATA/reference/tflm-golden
V="$(dirname "$QATRAIN")/tests/tools/tflite_variant"
[ -x "$V" ] || die "$V is not built (make check builds it)"
# shift128 IN.npy OUT.npy: an int8 .npy (version 1.0) as uint8, each byte + 128 (mod 256).
shift128() {
    hl=$(od -An -tu2 -j8 -N2 "$1" | tr -d ' ')
    head -c $((10 + hl)) "$1" | sed "s/'|i1'/'|u1'/" >"$2"
    od -An -v -tu1 -j $((10 + hl)) "$1" |
        LC_ALL=C awk '{ for (i = 1; i <= NF; i++) printf "%c", ($i + 128) % 256 }' >>"$2"
}
npy_data() { # the payload of a version-1 .npy: skip 10 + header_len bytes
    hl=$(od -An -tu2 -j8 -N2 "$1" | tr -d ' ')
    tail -c +$((10 + hl + 1)) "$1"
}
# Every int8 kernel family this processor runs (QATRAIN_INT8; portable is the reference).
families=portable
grep -qw avx2 /proc/cpuinfo && families="$families avx2"
grep -qw avx2 /proc/cpuinfo && grep -qw avx_vnni /proc/cpuinfo && families="$families avxvnni"
grep -qw avx512f /proc/cpuinfo && grep -qw avx512bw /proc/cpuinfo && grep -qw avx512vl /proc/cpuinfo &&
    grep -qw avx512_vnni /proc/cpuinfo && families="$families avx512"
# Under ASan + UBSan (memory errors, not arithmetic: the plain suite compares every family)
# the reference and the widest family only: all four took 106 of CI's seconds there.
if [ "$SANITIZED" = 1 ]; then
    set -- $families
    eval "widest=\${$#}"
    families="portable"
    [ "$widest" = portable ] || families="portable $widest"
    echo "sanitizer build: the golden cases on $families only"
fi
n=0
for QATRAIN_INT8 in $families; do
export QATRAIN_INT8
for dir in "$GOLDEN"/*/; do
    case=$QATRAIN_INT8/$(basename "$dir")
    mkdir -p "$TMP/$QATRAIN_INT8"
    "$QATRAIN" run "$dir/model.tflite" "$dir/inputs.npy" "$TMP/$case.npy" >/dev/null \
        || die "$case: qatrain run failed"
    npy_data "$TMP/$case.npy" >"$TMP/ours"
    npy_data "$dir/outputs.npy" >"$TMP/tflm"
    cmp -s "$TMP/ours" "$TMP/tflm" || die "$case: outputs differ from TFLite Micro's ($(cmp "$TMP/ours" "$TMP/tflm" | head -n 1))"
    "$V" "$dir/model.tflite" "$TMP/u8.tflite" uint8_io || die "$case: tflite_variant uint8_io"
    shift128 "$dir/inputs.npy" "$TMP/u8_in.npy"
    shift128 "$dir/outputs.npy" "$TMP/u8_want.npy"
    "$QATRAIN" run "$TMP/u8.tflite" "$TMP/u8_in.npy" "$TMP/u8_out.npy" >/dev/null \
        || die "$case: qatrain run failed on the uint8-I/O form"
    npy_data "$TMP/u8_out.npy" >"$TMP/ours"
    npy_data "$TMP/u8_want.npy" >"$TMP/tflm"
    cmp -s "$TMP/ours" "$TMP/tflm" || die "$case: the uint8-I/O form's outputs are not TFLite Micro's + 128"
    grep -q "'descr': '|u1'" "$TMP/u8_out.npy" || die "$case: the uint8-I/O form's outputs are not uint8"
    ours=$("$QATRAIN" inspect "$dir/model.tflite" | sed -n 's/^tensor arena estimate: \([0-9]*\).*/\1/p')
    tflm=$(sed -n 's/.*"arena_used_bytes": \([0-9]*\).*/\1/p' "$dir/meta.json")
    echo "$case: $(wc -c <"$TMP/tflm") output bytes identical (and + 128 through uint8 I/O); arena estimate $ours, TFLM used $tflm"
    n=$((n + 1))
done
done
n_fam=$(echo $families | wc -w)
[ "$n" -eq $((15 * n_fam)) ] || die "expected 15 golden cases for each of $families, ran $n"
echo "every golden case identical with the int8 kernel families: $families"
exit 0
