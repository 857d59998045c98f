# Models the .tflite reader accepts but no runtime could run (tests/tools/tflite_hostile makes
# them from an exported model): `qatrain run` and `qatrain inspect` refuse each with exit 2
# and one stderr line naming the file and, where one is at fault, the operator; nothing is
# written. A valid model the int8 engine does not run (a float export) is no error for
# inspect. `run`'s default output name and a failing stdout are checked here too.
. tests/e2e/lib.inc
HOSTILE="$(dirname "$QATRAIN")/tests/tools/tflite_hostile"
[ -x "$HOSTILE" ] || die "$HOSTILE is not built (make check builds it)"
"$QATRAIN" configs/gesture_cnn.ini $SMALL --out "$TMP/r"
M="$TMP/r/model_int8.tflite" X="$TMP/r/test_inputs_int8.npy"

# case  expected message after "qatrain: FILE: "
while read -r case msg; do
    h="$TMP/h_$case.tflite"
    "$HOSTILE" "$M" "$h" "$case" 2>"$TMP/why" || die "tflite_hostile $case: $(cat "$TMP/why")"
    expect_error 2 "^qatrain: $h: $msg" -- timeout 10 "$QATRAIN" run "$h" "$X" "$TMP/o.npy"
    [ ! -e "$TMP/o.npy" ] || die "run $case wrote an output"
    set +e
    timeout 10 "$QATRAIN" inspect "$h" >"$TMP/ins.out" 2>"$TMP/ins.err"
    rc=$?
    set -e
    [ "$rc" -eq 2 ] || die "inspect $case: exit $rc, want 2"
    [ "$(wc -l <"$TMP/ins.err")" -eq 1 ] && grep -Eq "^qatrain: $h: $msg" "$TMP/ins.err" ||
        die "inspect $case: stderr '$(cat "$TMP/ins.err")'"
    grep -q "^operators:" "$TMP/ins.out" || die "inspect $case: the listing is missing"
done <<'EOF'
self_input operator 1 \(CONV_2D\): input 0 'conv1' is its own output$
read_later operator 1 \(CONV_2D\): .*
written_twice operator 3 \(CONV_2D\): output 'conv1' is written twice
pool_window operator 2 \(MAX_POOL_2D\): window 1x47 does not fit
pool_window_max operator 2 \(MAX_POOL_2D\): .*
pool_stride_max operator 2 \(MAX_POOL_2D\): .*
conv_stride_max operator 1 \(CONV_2D\): .*
conv_dilation_max operator 1 \(CONV_2D\): .*
scale_zero operator 1 \(CONV_2D\): output 'conv1' has invalid scale 0
scale_tiny operator 1 \(CONV_2D\): .*
scale_huge operator [0-9]+ \([A-Z_0-9]+\): .*scale 3e\+38
filter_scale_zero operator 1 \(CONV_2D\): .*
filter_zp operator 1 \(CONV_2D\): .*
softmax_scale operator [0-9]+ \(SOFTMAX\): .*
bias_count operator 1 \(CONV_2D\): .*
no_operators the model has no operators
only_io .+
input_const the model's input 'input' is a constant tensor
EOF

# The reader itself refuses these: one line naming the file, for run and inspect alike.
for case in writes_const batch0; do
    h="$TMP/h_$case.tflite"
    "$HOSTILE" "$M" "$h" "$case" 2>"$TMP/why" || die "tflite_hostile $case: $(cat "$TMP/why")"
    expect_error 2 "^qatrain: $h: " -- "$QATRAIN" inspect "$h"
    expect_error 2 "^qatrain: $h: " -- "$QATRAIN" run "$h" "$X" "$TMP/o.npy"
done

# A float or hybrid export is a valid model the int8 engine does not run: inspect lists it,
# says why the engine does not run it, and exits 0; run refuses it, naming the file.
for m in model_float32 model_dynamic_range model_float16; do
    "$QATRAIN" inspect "$TMP/r/$m.tflite" >"$TMP/ins.out" ||
        die "inspect $m: exit $?"
    grep -q "^int8 engine: cannot run this model ($TMP/r/$m.tflite: operator" "$TMP/ins.out" ||
        die "inspect $m: no reason given"
    expect_error 2 "^qatrain: $TMP/r/$m.tflite: operator [0-9]+ \([A-Z_0-9]+\): .*not supported" -- \
        "$QATRAIN" run "$TMP/r/$m.tflite" "$X" "$TMP/o.npy"
done

# run's default output: INPUT without its extension + "_out.npy", beside the input, even
# when a folder name has a dot; a name without an extension keeps all of it.
mkdir -p "$TMP/v1.2"
cp "$X" "$TMP/v1.2/inputs"
cp "$X" "$TMP/v1.2/in.npy"
"$QATRAIN" run "$M" "$TMP/v1.2/inputs" >/dev/null
"$QATRAIN" run "$M" "$TMP/v1.2/in.npy" >/dev/null
[ -f "$TMP/v1.2/inputs_out.npy" ] || die "default output for 'inputs' is not inputs_out.npy"
[ -f "$TMP/v1.2/in_out.npy" ] || die "default output for 'in.npy' is not in_out.npy"
cmp -s "$TMP/v1.2/in_out.npy" "$TMP/v1.2/inputs_out.npy" || die "the two runs differ"
[ ! -e "$TMP/v1_out.npy" ] || die "the default name was cut at the folder's dot"

# A stdout that cannot be written (a full disk, a closed pipe's reader) is an error, not a
# silent success.
if [ -w /dev/full ]; then
    for cmd in "inspect $M" "run $M $X $TMP/o2.npy"; do
        set +e
        $QATRAIN $cmd >/dev/full 2>"$TMP/full.err"
        rc=$?
        set -e
        [ "$rc" -eq 2 ] || die "$cmd >/dev/full: exit $rc, want 2"
        [ "$(wc -l <"$TMP/full.err")" -eq 1 ] || die "$cmd >/dev/full: stderr '$(cat "$TMP/full.err")'"
    done
    # A training run's results table too (its warnings may come first).
    set +e
    "$QATRAIN" configs/gesture_cnn.ini --set data.samples_per_class=10 --set train.epochs=1 \
        --set quant.epochs=1 --set prune.epochs=1 --out "$TMP/full" >/dev/full 2>"$TMP/full.err"
    rc=$?
    set -e
    [ "$rc" -eq 2 ] || die "a run >/dev/full: exit $rc, want 2"
    tail -n 1 "$TMP/full.err" | grep -q "^qatrain: cannot write to standard output" ||
        die "a run >/dev/full: stderr '$(cat "$TMP/full.err")'"
fi
echo "hostile models: ok"
