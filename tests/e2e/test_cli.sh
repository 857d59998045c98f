# Command-line basics: help, version, overrides, the dataset writer, usage errors.
. tests/e2e/lib.inc
"$QATRAIN" --help | grep -q '^usage: qatrain CONFIG' || die "--help"
"$QATRAIN" --version | grep -Eq '^qatrain [0-9]+\.[0-9]+\.[0-9]+$' || die "--version"
expect_error 2 "unknown option '--bogus'" -- "$QATRAIN" configs/gesture_cnn.ini --bogus
expect_error 2 '--out needs a value' -- "$QATRAIN" configs/gesture_cnn.ini --out
expect_error 2 "train.epochs|\[train\] epochs" -- "$QATRAIN" configs/gesture_cnn.ini --set train.epochs=zero
expect_error 2 'seed' -- "$QATRAIN" configs/gesture_cnn.ini --seed -3x
# --set reaches layer keys: 8 filters in conv1 changes the parameter count.
"$QATRAIN" configs/gesture_cnn.ini $SMALL --set layer.conv1.filters=8 --out "$TMP/s"
p=$(grep -A1 '"model": {' "$TMP/s/report.json" | sed -n 's/.*"parameters": \([0-9]*\).*/\1/p')
[ -n "$p" ] && [ "$p" -lt 12195 ] || die "--set layer.conv1.filters=8 did not shrink the model ($p)"
# The built-in data written in the lesson layout trains again through source=npy.
"$QATRAIN" configs/gesture_cnn.ini --set data.samples_per_class=20 --write-data "$TMP/data" --quiet
[ "$(ls "$TMP/data/wave" | wc -l)" -eq 20 ] || die "write-data: expected 20 wave files"
# images are not written as npy folders yet: refused, nothing written
expect_error 2 '2-D images .height, width. are not written yet' -- \
    "$QATRAIN" configs/experiments/conv2d_shapes.ini --write-data "$TMP/data2d"
[ ! -e "$TMP/data2d" ] || die "write-data on images wrote $TMP/data2d"
"$QATRAIN" configs/gesture_cnn.ini $SMALL --set data.source=npy --set "data.dir=$TMP/data" --out "$TMP/n"
grep -q '"source": "npy"' "$TMP/n/report.json" || die "npy run"
# --init starts from an earlier run's float checkpoint; bad checkpoints fail cleanly.
"$QATRAIN" configs/gesture_cnn.ini $SMALL --init "$TMP/s/float.ckpt" --set layer.conv1.filters=8 --out "$TMP/i"
grep -q '"epochs_run": 0' "$TMP/i/report.json" || die "--init still trained the float model"
a=$(sed -n '/"float32": {/,/}/s/.*"test_accuracy": \(.*\),/\1/p' "$TMP/i/report.json")
b=$(sed -n '/"float32": {/,/}/s/.*"test_accuracy": \(.*\),/\1/p' "$TMP/s/report.json")
[ -n "$a" ] && [ "$a" = "$b" ] || die "--init: float accuracy $a, the checkpoint's run had $b"
expect_error 2 'float\.ckpt: checkpoint is from another model' -- "$QATRAIN" configs/gesture_cnn.ini $SMALL --init "$TMP/s/float.ckpt" --out "$TMP/j"
head -c 300 "$TMP/s/float.ckpt" >"$TMP/cut.ckpt"
expect_error 2 'cut\.ckpt: truncated checkpoint' -- "$QATRAIN" configs/gesture_cnn.ini $SMALL --set layer.conv1.filters=8 --init "$TMP/cut.ckpt" --out "$TMP/j"
expect_error 2 'nope\.ckpt: cannot open' -- "$QATRAIN" configs/gesture_cnn.ini $SMALL --init "$TMP/nope.ckpt" --out "$TMP/j"
# A staging folder left by a killed run is removed by the next run into the same folder; a
# live run's (this shell's PID) is not.
dead=$(sh -c 'echo $$')
while kill -0 "$dead" 2>/dev/null; do dead=$((dead + 1)); done
mkdir "$TMP/s/.qatrain-partial-$dead" "$TMP/s/.qatrain-partial-$$"
: >"$TMP/s/.qatrain-partial-$dead/report.json"
"$QATRAIN" configs/gesture_cnn.ini $SMALL --out "$TMP/s"
[ ! -e "$TMP/s/.qatrain-partial-$dead" ] || die "a dead run's staging folder was left"
[ -d "$TMP/s/.qatrain-partial-$$" ] || die "a live run's staging folder was removed"
exit 0
