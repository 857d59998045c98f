# --resume is tied to the contents of every input the run reads, not only to the config text:
# a data file (.npy folder or CSV), the [prune] masks file or the --init checkpoint changed
# since the interruption — even to other bytes of the same size and modification time —
# gives exit 2 and one line naming that file, and leaves resume.ckpt and the earlier outputs
# as they were. Unchanged inputs resume to the uninterrupted run's bytes.
. tests/e2e/lib.inc
C=configs/gesture_cnn.ini
D="$TMP/data"
"$QATRAIN" $C --quiet --set data.samples_per_class=20 --write-data "$D"
# 60 recordings, 48 for training, batch 16: 3 steps per epoch.
O="--quiet --set data.source=npy --set data.dir=$D --set train.epochs=3 --set quant.epochs=3 --set prune.epochs=2 --set prune.sweep=0.5"
"$QATRAIN" $C $O --out "$TMP/base"
"$QATRAIN" $C $O --seed 7 --out "$TMP/other"
cp "$TMP/base/float.ckpt" "$TMP/init.ckpt"
cp "$TMP/base/masks.bin" "$TMP/masks.bin"
# The run under test starts from a checkpoint and a masks file: QAT is its first phase.
R="$O --init $TMP/init.ckpt --set prune.masks=$TMP/masks.bin"
"$QATRAIN" $C $R --out "$TMP/ref"
QATRAIN_TEST_INTERRUPT_AT_STEP=4 "$QATRAIN" $C $R --out "$TMP/stopped" 2>/dev/null && die "not interrupted"
[ -s "$TMP/stopped/resume.ckpt" ] || die "no resume.ckpt"
cp "$TMP/base/report.json" "$TMP/stopped/report.json" # an earlier output that must survive

# replace FILE WITH: other contents of the same size and the same modification time.
replace() {
    [ "$(wc -c <"$1")" -eq "$(wc -c <"$2")" ] || die "$2 is not the size of $1"
    ! cmp -s "$1" "$2" || die "$2 equals $1"
    cp "$1" "$TMP/saved"
    touch -r "$1" "$TMP/stamp"
    cp "$2" "$1"
    touch -r "$TMP/stamp" "$1"
}
# refused FILE PATTERN: --resume exits 2 naming FILE, touching nothing; then FILE is restored.
refused() {
    rm -rf "$TMP/try" && cp -a "$TMP/stopped" "$TMP/try"
    expect_error 2 "^qatrain: $1: $2 since the interrupted run: --resume cannot continue it" -- \
        "$QATRAIN" $C $R --out "$TMP/try" --resume
    diff -r "$TMP/stopped" "$TMP/try" >/dev/null || die "a refused --resume changed $TMP/try"
}
restore() { cp "$TMP/saved" "$1" && touch -r "$TMP/stamp" "$1"; }

f="$D/punch/punch_0003.npy"
replace "$f" "$D/punch/punch_0004.npy"
refused "$f" changed
restore "$f"
replace "$TMP/masks.bin" "$TMP/other/masks.bin"
refused "$TMP/masks.bin" changed
restore "$TMP/masks.bin"
replace "$TMP/init.ckpt" "$TMP/other/float.ckpt"
refused "$TMP/init.ckpt" changed
restore "$TMP/init.ckpt"
mv "$D/wave/wave_0005.npy" "$TMP/moved.npy"
refused "$D/wave/wave_0005.npy" removed
mv "$TMP/moved.npy" "$D/wave/wave_0005.npy"
cp "$D/flex/flex_0000.npy" "$D/flex/flex_extra.npy"
refused "$D/flex/flex_extra.npy" added
rm "$D/flex/flex_extra.npy"

# Everything as it was: the resumed run gives the uninterrupted run's files.
"$QATRAIN" $C $R --out "$TMP/stopped" --resume
for f in $(ls "$TMP/ref"); do
    [ "$f" = timing.json ] || cmp -s "$TMP/ref/$f" "$TMP/stopped/$f" || die "$f differs after resuming"
done
[ ! -e "$TMP/stopped/resume.ckpt" ] || die "resume.ckpt left behind"

# CSV recordings: one file's digits changed in place (same size, same time) is refused.
mkdir "$TMP/csv"
for c in wave punch flex; do
    awk -v c=$c 'BEGIN { srand(length(c)); print "aX,aY,aZ";
        for (i = 0; i < 1200; i++) printf "%.3f,%.3f,%.3f\n", rand(), rand() * length(c), rand() }' \
        >"$TMP/csv/$c.csv"
done
printf '[data]\nsource = csv\ncsv_rate_hz = 50\ncsv_gesture_rows = 50\n[files]\nwave = wave.csv\npunch = punch.csv\nflex = flex.csv\n[train]\nepochs = 2\n[quant]\nepochs = 2\n' >"$TMP/csv/csv.ini"
QATRAIN_TEST_INTERRUPT_AT_STEP=3 "$QATRAIN" "$TMP/csv/csv.ini" --quiet --out "$TMP/csvout" 2>/dev/null && die "CSV run not interrupted"
awk 'NR == 2 { $0 = substr($0, 1, 2) (substr($0, 3, 1) + 1) % 10 substr($0, 4) } { print }' \
    "$TMP/csv/punch.csv" >"$TMP/punch.csv"
replace "$TMP/csv/punch.csv" "$TMP/punch.csv"
expect_error 2 "^qatrain: $TMP/csv/punch.csv: changed since the interrupted run" -- \
    "$QATRAIN" "$TMP/csv/csv.ini" --quiet --out "$TMP/csvout" --resume
restore "$TMP/csv/punch.csv"
"$QATRAIN" "$TMP/csv/csv.ini" --quiet --out "$TMP/csvout" --resume

# A resume file of the previous format (version 1) is refused, never misread.
QATRAIN_TEST_INTERRUPT_AT_STEP=4 "$QATRAIN" $C $R --out "$TMP/old" 2>/dev/null && die "not interrupted"
printf '\001' | dd of="$TMP/old/resume.ckpt" bs=1 seek=8 conv=notrunc 2>/dev/null
expect_error 2 'resume.ckpt: resume file version 1 \(an older qatrain.s\); this one reads version 2 only' -- \
    "$QATRAIN" $C $R --out "$TMP/old" --resume
exit 0
