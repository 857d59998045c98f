# The full lesson, quantized: the int8 engine's QAT predictions agree with the fake-quant
# graph's on all but at most one test sample; PTQ and QAT int8 stay within 2 points of
# float (the README's 3-seed averages are tighter); at 4-bit weights QAT clearly beats PTQ.
. tests/e2e/lib.inc
json() { # file, section, key
    sed -n "/\"$2\": {/,/}/s/.*\"$3\": \([0-9.e-]*\).*/\1/p" "$1" | head -n 1
}
"$QATRAIN" configs/gesture_cnn.ini --quiet --out "$TMP/q8"
r="$TMP/q8/report.json"
f=$(json "$r" float32 test_accuracy); p=$(json "$r" int8_ptq test_accuracy)
q=$(json "$r" int8_qat test_accuracy); d=$(json "$r" int8_qat prediction_disagreements)
echo "8-bit: float $f ptq $p qat $q disagreements $d"
[ -n "$d" ] && [ "$d" -le 1 ] || die "fake-quant and int8 engine disagree on $d test samples"
awk -v f="$f" -v p="$p" -v q="$q" 'BEGIN { exit !(p >= f - 0.02 && q >= f - 0.02) }' \
    || die "int8 accuracy fell more than 2 points below float"
"$QATRAIN" configs/gesture_cnn.ini --quiet --set quant.weight_bits=4 --out "$TMP/q4"
r="$TMP/q4/report.json"
p=$(json "$r" int8_ptq test_accuracy); q=$(json "$r" int8_qat test_accuracy)
echo "4-bit weights: ptq $p qat $q"
awk -v p="$p" -v q="$q" 'BEGIN { exit !(q >= p + 0.02) }' || die "QAT does not beat PTQ at 4 bits"
exit 0
