# Knowledge distillation on a short lesson: the float model teaching its own QAT copy, the
# lesson's model (trained first, or from its checkpoint) teaching a half-width student; the
# exports agree with their fake-quant graphs; a teacher for other classes, a self-taught float
# stage and a teacher checkpoint changed under --resume are refused with one line.
. tests/e2e/lib.inc
C=configs/gesture_cnn.ini
S=configs/experiments/distill_half.ini
O="--quiet --set data.samples_per_class=80 --set train.epochs=3 --set quant.epochs=2 --set prune.epochs=1"
check() { # dir: ≤ 1 disagreement and a distillation section with this teacher
    r=$(tr -d ' \n' <"$1/report.json")
    n=$(echo "$r" | sed -n 's/.*"prediction_disagreements":\([0-9]*\).*/\1/p')
    [ -n "$n" ] && [ "$n" -le 1 ] || die "$1: fake-quant and the int8 engine disagree on $n test samples"
    echo "$r" | grep -q "\"distillation\":{\"teacher\":\"$2\"" || die "$1: report.json has no distillation by $2"
}
"$QATRAIN" $C $O --set distill.teacher=self --set quant.weight_bits=4 --out "$TMP/self" || die "self run failed"
check "$TMP/self" self
# the half-width student, its teacher trained first from configs/gesture_cnn.ini (with this
# run's short [train] the teacher config's own 80 epochs would be long: a copy with 3)
sed 's/^epochs = 80\b.*/epochs = 3/' $C >"$TMP/teacher.ini"
grep -q '^epochs = 3$' "$TMP/teacher.ini" || die "could not shorten the teacher's training"
"$QATRAIN" $S $O --set "distill.teacher=$TMP/teacher.ini" --out "$TMP/half" || die "half-width student failed"
check "$TMP/half" "$TMP/teacher.ini"
# ... and from a checkpoint of the lesson (its float.ckpt)
"$QATRAIN" $C $O --set quant.enabled=false --set prune.enabled=false --out "$TMP/lesson" || die "lesson run failed"
"$QATRAIN" $S $O --set "distill.teacher=$TMP/teacher.ini" --set "distill.teacher_checkpoint=$TMP/lesson/float.ckpt" \
    --out "$TMP/ckpt" || die "student from a checkpoint failed"
check "$TMP/ckpt" "$TMP/teacher.ini"
cmp -s "$TMP/half/model_int8.tflite" "$TMP/ckpt/model_int8.tflite" && die "the checkpoint's teacher taught nothing different"
# refusals
sed 's/^window = .*/window = 40/' "$TMP/teacher.ini" >"$TMP/two.ini"
expect_error 2 "distill\] teacher: its input .* or classes differ" -- \
    "$QATRAIN" $S $O --set "distill.teacher=$TMP/two.ini" --out "$TMP/bad"
expect_error 2 "\[distill\] stages: with teacher = self" -- \
    "$QATRAIN" $C $O --set distill.teacher=self --set "distill.stages=float, qat" --out "$TMP/bad"
set +e
QATRAIN_TEST_INTERRUPT_AT_STEP=20 "$QATRAIN" $S $O --set "distill.teacher=$TMP/teacher.ini" \
    --set "distill.teacher_checkpoint=$TMP/lesson/float.ckpt" --out "$TMP/r" 2>/dev/null
rc=$?
set -e
[ "$rc" -eq 130 ] || die "interrupt: exit $rc"
cp "$TMP/half/float.ckpt" "$TMP/lesson/float.ckpt" # another file: the student's
expect_error 2 "float.ckpt: changed since the interrupted run" -- "$QATRAIN" $S $O --set "distill.teacher=$TMP/teacher.ini" \
    --set "distill.teacher_checkpoint=$TMP/lesson/float.ckpt" --out "$TMP/r" --resume
echo "distillation: self-taught 4-bit QAT, a half-width student from a trained and from a loaded teacher, all exported as simulated; 3 refusals"
