# Progressive and delayed quantization on a short lesson: the bits each QAT epoch simulated
# (qat_history.csv, report.json), the exported model still agreeing with its fake-quant graph,
# an interruption inside a transitional epoch resuming to the same bytes, and every malformed
# schedule refused with one line and exit 2.
. tests/e2e/lib.inc
C=configs/gesture_cnn.ini
# 192 training samples, batch 16: 12 steps an epoch; float 3 epochs, QAT 6, pruning 2, QAT 6.
O="--quiet --set data.samples_per_class=80 --set train.epochs=3 --set quant.epochs=6
   --set prune.epochs=2 --set quant.weight_bits=4 --set quant.act_quant_start_epoch=2"
S="quant.weight_bits_schedule=1:8, 3:6, 5:4"
"$QATRAIN" $C $O --set "$S" --out "$TMP/ref" || die "the scheduled run failed"
h="$TMP/ref/qat_history.csv"
[ "$(head -n 1 "$h")" = "epoch,loss,accuracy,val_loss,val_accuracy,lr,weight_bits,act_bits" ] ||
    die "qat_history.csv header: $(head -n 1 "$h")"
bits=$(sed 1d "$h" | awk -F, '{printf "%s:%s/%s ", $1, $7, $8}')
[ "$bits" = "1:8/32 2:8/8 3:6/8 4:6/8 5:4/8 6:4/8 " ] || die "qat_history.csv bits by epoch: $bits"
head -n 1 "$TMP/ref/history.csv" | grep -q 'lr$' || die "the float history got schedule columns"
tr -d ' \n' <"$TMP/ref/report.json" | grep -q '"qat_schedule":{"weight_bits_schedule":\[\[1,8\],\[3,6\],\[5,4\]\],"act_bits_schedule":\[\],"weight_quant_start_epoch":1,"act_quant_start_epoch":2}' ||
    die "report.json has no qat_schedule, or another one"
d=$(tr -d ' \n' <"$TMP/ref/report.json" | sed -n 's/.*"prediction_disagreements":\([0-9]*\).*/\1/p')
[ -n "$d" ] && [ "$d" -le 1 ] || die "fake-quant and the int8 engine disagree on $d test samples"
# QAT diagnostics ran on the training split (never the test split), for both QAT stages.
n=$(tr -d ' \n' <"$TMP/ref/report.json" | sed -n 's/.*"train_samples":\([0-9]*\).*/\1/p')
tr -d ' \n' <"$TMP/ref/report.json" |
    grep -q "\"qat_diagnostics\":{\"qat\":{\"samples\":$n,.*\"pruned_qat\":{\"samples\":$n," ||
    die "report.json's qat_diagnostics is missing or not on the $n training samples"
# Unstaged runs keep the old columns (and their bytes: test_determinism / the lesson).
"$QATRAIN" $C $O --set quant.act_quant_start_epoch=1 --out "$TMP/plain" || die "plain run failed"
[ "$(head -n 1 "$TMP/plain/qat_history.csv")" = "epoch,loss,accuracy,val_loss,val_accuracy,lr" ] ||
    die "an unstaged QAT history got schedule columns"
! grep -q qat_schedule "$TMP/plain/report.json" || die "an unstaged report has a qat_schedule"
# The exported model is the final stage, 4-bit: dense1's kernel scale is max|w|/7 as in the
# direct 4-bit run's (within 2x), where the 8-bit stage's max|w|/127 would be 18x smaller.
scale() { "$QATRAIN" inspect "$1" | sed -n 's/.* dense1\/kernel .* scale \([0-9.e-]*\) .*/\1/p'; }
a=$(scale "$TMP/ref/model_int8.tflite"); b=$(scale "$TMP/plain/model_int8.tflite")
awk -v a="$a" -v b="$b" 'BEGIN { exit !(a > 0 && b > 0 && a / b > 0.5 && a / b < 2) }' ||
    die "dense1 kernel scale $a (scheduled) vs $b (direct 4-bit): not the 4-bit grid"
# Interrupted in QAT epoch 3 (6-bit stage; step 36 + 26) and in the pruned model's QAT epoch 1
# (8-bit weights, float activations; step 36 + 72 + 24 + 4): resuming gives the same files.
for at in 62 136; do
    set +e
    QATRAIN_TEST_INTERRUPT_AT_STEP=$at "$QATRAIN" $C $O --set "$S" --out "$TMP/r$at" 2>"$TMP/err"
    rc=$?
    set -e
    [ "$rc" -eq 130 ] || die "interrupted at step $at: exit $rc ($(cat "$TMP/err"))"
    "$QATRAIN" $C $O --set "$S" --out "$TMP/r$at" --resume || die "resume at $at failed"
    for f in $(ls "$TMP/ref"); do
        [ "$f" = timing.json ] && continue
        cmp -s "$TMP/ref/$f" "$TMP/r$at/$f" || die "$f differs after resuming at step $at"
    done
done
# Per-layer sensitivity ([quant] sensitivity) never reads the test split: the calibration set
# when validation is the test split (the lesson), else the validation split; and it changes
# no model.
"$QATRAIN" $C $O --set quant.act_quant_start_epoch=1 --set quant.sensitivity=true --out "$TMP/sens" ||
    die "sensitivity run failed"
r=$(tr -d ' \n' <"$TMP/sens/report.json")
cal=$(echo "$r" | sed -n 's/.*"calibration_samples":\([0-9]*\).*/\1/p')
echo "$r" | grep -q "\"sensitivity\":{\"data\":\"calibrationset\",\"samples\":$cal," ||
    die "sensitivity not on the $cal calibration samples"
for f in model_int8.tflite model_ptq_int8.tflite model_pruned_int8.tflite; do
    cmp -s "$TMP/plain/$f" "$TMP/sens/$f" || die "the sensitivity analysis changed $f"
done
"$QATRAIN" $C $O --set quant.act_quant_start_epoch=1 --set quant.sensitivity=true --set train.val_split=0.25 \
    --out "$TMP/sensv" || die "sensitivity run with a validation split failed"
v=$(tr -d ' \n' <"$TMP/sensv/report.json" | sed -n 's/.*"validation_samples":\([0-9]*\).*/\1/p')
tr -d ' \n' <"$TMP/sensv/report.json" | grep -q "\"sensitivity\":{\"data\":\"validationsplit\",\"samples\":$v," ||
    die "sensitivity not on the $v validation samples"
# Automatic mixed precision: bits chosen under an accuracy budget, written into a copy of the
# config that, run alone, gives the same model (the files differ only in the description
# naming the config).
"$QATRAIN" $C $O --set quant.act_quant_start_epoch=1 --set quant.auto_bits=accuracy --out "$TMP/amp" ||
    die "auto_bits run failed"
[ -s "$TMP/amp/mixed_precision.ini" ] || die "no mixed_precision.ini"
tr -d ' \n' <"$TMP/amp/report.json" | grep -q '"auto_bits":{"goal":"accuracy","accuracy_budget":0.005,"layers":\[{"layer":"conv1","weight_bits":[248]}' ||
    die "report.json auto_bits missing"
! grep -q '^auto_bits' "$TMP/amp/mixed_precision.ini" || die "mixed_precision.ini still asks for auto_bits"
"$QATRAIN" "$TMP/amp/mixed_precision.ini" $O --set quant.act_quant_start_epoch=1 --out "$TMP/amp2" ||
    die "mixed_precision.ini does not run"
for f in qat.ckpt test_outputs_int8.npy test_outputs_ptq_int8.npy test_outputs_pruned_int8.npy; do
    cmp -s "$TMP/amp/$f" "$TMP/amp2/$f" || die "mixed_precision.ini does not reproduce $f"
done
expect_error 2 "auto_bits: size needs auto_weight_bytes" -- \
    "$QATRAIN" $C $O --out "$TMP/bad" --set quant.auto_bits=size
expect_error 2 "auto_bits: the chosen bits are written into a copy of the config's \[layer" -- \
    "$QATRAIN" configs/experiments/all_4bit.ini $O --out "$TMP/bad" --set quant.auto_bits=accuracy
# Malformed schedules: one line naming the key, exit 2.
bad() { # pattern, schedule, more options...
    p=$1; v=$2; shift 2
    expect_error 2 "$p" -- "$QATRAIN" $C $O --out "$TMP/bad" --set "quant.weight_bits_schedule=$v" "$@"
}
bad "weight_bits_schedule: '1-8' is not EPOCH:BITS" "1-8"
bad "weight_bits_schedule: the first step must start at epoch 1" "2:8, 4:4"
bad "weight_bits_schedule: step epochs must increase \(3 after 3\)" "1:8, 3:6, 3:4"
bad "weight_bits_schedule: bits must not increase \(8 after 6\)" "1:6, 3:8"
bad "weight_bits_schedule: '9' is out of range" "1:9"
bad "weight_bits_schedule: the last step starts at epoch 7, after the 6 QAT epochs" "1:8, 7:4"
bad "weight_bits_schedule: the last step's 6 bits are above \[quant\] weight_bits 4" "1:8, 3:6"
bad "weight_bits_schedule: the last step's 4 bits are above layer 'conv2' weight_bits 2" "1:8, 3:4" \
    --set layer.conv2.weight_bits=2
expect_error 2 "act_quant_start_epoch: 7 is after the 6 QAT epochs" -- \
    "$QATRAIN" $C $O --out "$TMP/bad" --set quant.act_quant_start_epoch=7
[ ! -e "$TMP/bad" ] || die "a refused config wrote $TMP/bad"
echo "progressive: bits by epoch $bits; $d disagreements; resumed at steps 62 and 136 to the same bytes; 9 bad schedules refused"
