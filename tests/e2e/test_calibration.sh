# Histogram calibration (MSE, KL), MSE weight scales and bias correction on a short lesson:
# each exports a model the fake-quant graph agrees with, says so in report.json, and KL / MSE
# as QAT's observer are refused with one line.
. tests/e2e/lib.inc
C=configs/gesture_cnn.ini
O="--quiet --set data.samples_per_class=80 --set train.epochs=3 --set quant.epochs=2
   --set prune.epochs=1 --set quant.weight_bits=4"
for v in "ptq_observer=mse" "ptq_observer=kl" "weight_calibration=mse" "bias_correction=true"; do
    d="$TMP/$(echo "$v" | tr '=' '_')"
    "$QATRAIN" $C $O --set "quant.$v" --out "$d" || die "$v: qatrain failed"
    r=$(tr -d ' \n' <"$d/report.json")
    n=$(echo "$r" | sed -n 's/.*"prediction_disagreements":\([0-9]*\).*/\1/p')
    [ -n "$n" ] && [ "$n" -le 1 ] || die "$v: fake-quant and the int8 engine disagree on $n test samples"
    case $v in
    ptq_observer=*) echo "$r" | grep -q "\"activation_calibration\":\"${v#*=}\"" || die "$v: not in report.json" ;;
    weight_calibration=*) echo "$r" | grep -q '"weight_calibration":"mse"' || die "$v: not in report.json" ;;
    bias_correction=*) echo "$r" | grep -q '"bias_corrected_layers":4' || die "$v: not 4 layers corrected" ;;
    esac
done
# MSE / KL choose narrower ranges than min/max: some activation scale in the PTQ file shrinks.
"$QATRAIN" $C $O --out "$TMP/minmax" || die "min/max run failed"
sc() { "$QATRAIN" inspect "$1" | sed -n 's/.* \(conv1\|conv2\|dense1\) .*INT8 .* scale \([0-9.e-]*\) zero_point.*/\2/p' | tr '\n' ' '; }
[ "$(sc "$TMP/minmax/model_ptq_int8.tflite")" != "$(sc "$TMP/ptq_observer_mse/model_ptq_int8.tflite")" ] ||
    die "MSE calibration kept every min/max scale"
expect_error 2 "qat_observer: kl calibrates once" -- "$QATRAIN" $C $O --out "$TMP/bad" --set quant.qat_observer=kl
echo "calibration: MSE, KL, MSE weights and bias correction export what they simulate; activation scales min/max $(sc "$TMP/minmax/model_ptq_int8.tflite")/ MSE $(sc "$TMP/ptq_observer_mse/model_ptq_int8.tflite")"
