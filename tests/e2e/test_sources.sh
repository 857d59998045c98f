# Sources and splits end to end, on CSV recordings written here (no external data):
# leave-one-source-out runs a fold per source, none of which trains on its held-out source;
# split_*.npy read back through *_index give the same models byte for byte; augmentation is
# reproducible from the seed and survives an interruption; the shared-source warning; and
# bad sources, units and index files are refused in one line, exit 2, writing nothing.
. tests/e2e/lib.inc
D=$TMP/data
mkdir -p "$D"
# gestures NAME CLASS SOURCE SCALE: 12 gestures of 30 rows, blank-line separated; each source
# and class its own waveform and noise (awk's rand, seeded), values times SCALE (9.80665:
# the source records in m/s², the others in g).
gestures() {
    awk -v c="$2" -v s="$3" -v k="$4" 'BEGIN {
        srand(100 * c + s); print "aX,aY,aZ"
        for (g = 0; g < 12; g++) {
            for (t = 0; t < 30; t++) {
                x = sin(t * (0.2 + 0.15 * c)) * (1 + 0.2 * s) + 0.1 * rand()
                y = cos(t * 0.1 * (c + 1)) + 0.3 * s + 0.1 * rand()
                z = 1 + 0.5 * c * (t > 15) + 0.1 * rand()
                printf "%.6f,%.6f,%.6f\n", k * x, k * y, k * z
            }
            print ""
        }
    }' >"$D/$1"
}
for s in 0 1 2; do
    k=1; [ $s = 1 ] && k=9.80665
    for c in 0 1 2; do gestures "s${s}_c$c.csv" $c $s $k; done
done
CFG=$TMP/sources.ini
cat >"$CFG" <<INI
[data]
source = csv
classes = wave, punch, flex
window = 30
channels = 3
rate_hz = 50
csv_rate_hz = 50
csv_columns = aX, aY, aZ
units = g, g, g
cross_validate = leave_one_source_out
[train]
epochs = 3
[quant]
epochs = 1
[prune]
enabled = false
[source.alice]
wave = data/s0_c0.csv
punch = data/s0_c1.csv
flex = data/s0_c2.csv
[source.bob]
units = m/s2, m/s2, m/s2
wave = data/s1_c0.csv
punch = data/s1_c1.csv
flex = data/s1_c2.csv
[source.carol]
wave = data/s2_c0.csv
punch = data/s2_c1.csv
INI
"$QATRAIN" "$CFG" --quiet --out "$TMP/cv"
[ "$(wc -l <"$TMP/cv/cross_validation.csv")" -eq 5 ] || die "cross_validation.csv: $(cat "$TMP/cv/cross_validation.csv")"
grep -q '^mean,,,' "$TMP/cv/cross_validation.csv" || die "no mean row"
# json SOURCE KEY FILE: that source's count
json() { tr -d '\n ' <"$3" | grep -o "\"name\":\"$1\",\"use\":\"[a-z]*\",\"units\":\[[^]]*\],\"train_samples\":[0-9]*,\"validation_samples\":[0-9]*,\"test_samples\":[0-9]*" |
    sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"; }
for held in alice bob carol; do
    r=$TMP/cv/holdout-$held/report.json
    [ -s "$r" ] || die "no fold for $held"
    for s in alice bob carol; do
        tr=$(json $s train_samples "$r"); te=$(json $s test_samples "$r")
        [ -n "$tr" ] && [ -n "$te" ] || die "fold $held: no counts for source $s"
        if [ $s = $held ]; then
            [ "$tr" -eq 0 ] && [ "$te" -gt 0 ] || die "fold $held trains on its held-out source ($tr, $te)"
        else
            [ "$tr" -gt 0 ] && [ "$te" -eq 0 ] || die "fold $held: source $s is not training only ($tr, $te)"
        fi
    done
    grep -q '"test_from": "sources"' "$r" || die "fold $held: test_from"
    # the held-out line of the table is that fold's own report
    acc=$(sed -n '/"float32": {/,/}/s/.*"test_accuracy": \([0-9.]*\).*/\1/p' "$r" | head -n 1)
    row=$(grep "^$held," "$TMP/cv/cross_validation.csv" | cut -d, -f4)
    awk -v a="$acc" -v b="$row" 'BEGIN { exit !(a - b < 1e-6 && b - a < 1e-6) }' ||
        die "fold $held: table says $row, its report $acc"
done
grep -q 'the test split has no sample of flex' "$TMP/cv/holdout-carol/report.json" ||
    die "carol has no flex: no warning"

# One run, every source in both splits: the shared-source warning, on stderr and in the report.
ONE="--set data.cross_validate=none --set train.val_split=0.25"
"$QATRAIN" "$CFG" $ONE --out "$TMP/one" >/dev/null 2>"$TMP/err"
grep -q 'warning: the test split shares sources alice, bob, carol with training' "$TMP/err" ||
    die "no shared-source warning: $(cat "$TMP/err")"
grep -q 'shares sources alice, bob, carol' "$TMP/one/report.json" || die "warning not in report.json"
# Its split files, read back with another split seed, give the same models.
"$QATRAIN" "$CFG" $ONE --quiet --out "$TMP/back" --set data.split_seed=12345 \
    --set data.train_index="$TMP/one/split_train.npy" --set data.val_index="$TMP/one/split_val.npy" \
    --set data.test_index="$TMP/one/split_test.npy"
for f in split_train.npy split_val.npy split_test.npy float.ckpt qat.ckpt model_int8.tflite test_outputs_int8.npy; do
    cmp -s "$TMP/one/$f" "$TMP/back/$f" || die "index files read back: $f differs"
done
"$QATRAIN" "$CFG" $ONE --quiet --out "$TMP/moved" --set data.split_seed=12345
! cmp -s "$TMP/one/split_test.npy" "$TMP/moved/split_test.npy" || die "split_seed moved nothing"

# Augmentation: the same seed gives the same bytes; it changes training; an interrupted run
# resumes to the same bytes.
AUG="$ONE --quiet --set augment.rotate_deg=30 --set augment.time_warp=0.2 --set augment.shift=3 --set augment.noise=0.05 --set augment.bias=0.1 --set augment.scale=0.2"
"$QATRAIN" "$CFG" $AUG --out "$TMP/aug1"
"$QATRAIN" "$CFG" $AUG --out "$TMP/aug2"
for f in float.ckpt qat.ckpt model_int8.tflite report.json; do
    cmp -s "$TMP/aug1/$f" "$TMP/aug2/$f" || die "augmentation: $f differs between two runs"
done
! cmp -s "$TMP/aug1/float.ckpt" "$TMP/one/float.ckpt" || die "augmentation changed nothing"
grep -q '"rotate_deg": 30' "$TMP/aug1/report.json" || die "augment not in report.json"
set +e
QATRAIN_TEST_INTERRUPT_AT_STEP=5 "$QATRAIN" "$CFG" $AUG --out "$TMP/aug3" 2>/dev/null
rc=$?
set -e
[ "$rc" -eq 130 ] || die "interrupted augmented run: exit $rc"
"$QATRAIN" "$CFG" $AUG --out "$TMP/aug3" --resume
for f in float.ckpt qat.ckpt model_int8.tflite; do
    cmp -s "$TMP/aug1/$f" "$TMP/aug3/$f" || die "augmentation: $f differs after --resume"
done

# Bad input: exit 2, one line naming what is wrong, no output folder.
bad() { # pattern -- args
    pattern=$1; shift 2
    expect_error 2 "$pattern" -- "$QATRAIN" "$CFG" --out "$TMP/bad" "$@"
    [ ! -e "$TMP/bad" ] || die "$*: wrote $TMP/bad"
}
printf 'x\n' >"$TMP/notnpy.npy"
bad "notnpy.npy" -- $ONE --set data.test_index="$TMP/notnpy.npy"
bad "split_val.npy: \[data\] train_index: element 0: row [0-9]+ is already in the val" -- $ONE \
    --set data.val_index="$TMP/one/split_val.npy" --set data.train_index="$TMP/one/split_val.npy"
bad "test_inputs_float.npy: \[data\] test_index: expected a 1-D int32 or int64 array" -- $ONE \
    --set data.test_index="$TMP/one/test_inputs_float.npy"
bad "\-\-resume and \-\-init take one run" -- --resume
bad "no source named 'dave'" -- --set source.dave.use=test
bad "\[source.bob\] units: 2 units for 3 channels" -- --set source.bob.units=g,g
bad "channel 1 is in deg/s, the model's in g" -- --set source.bob.units=deg/s,g,g
bad "every source is 'test': nothing trains" -- $ONE --set source.alice.use=test \
    --set source.bob.use=test --set source.carol.use=test
bad "class 'flex' has no sample in the training split" -- $ONE --set source.alice.use=test \
    --set source.bob.use=test
bad "augment.rotate_deg: '-1' is out of range" -- --set augment.rotate_deg=-1
echo "ok: leave-one-source-out over 3 sources, index files, split seed, augmentation, 10 bad inputs"
