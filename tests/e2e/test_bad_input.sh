# Bad input: one line naming the file (and line/key) and the problem, exit status 2,
# nothing half-written, and earlier outputs untouched.
. tests/e2e/lib.inc
cd "$TMP"
Q="$QATRAIN"
L="$OLDPWD/configs/gesture_cnn.ini"
run() { expect_error 2 "$1" -- "$Q" "$2" --quiet --out "$TMP/out"; }

# Config files.
run 'nope\.ini: cannot open' nope.ini
printf '[train]\nepochs = 5\n[train\n' >syntax.ini
run 'syntax\.ini:3:' syntax.ini
printf '[train]\nbogus = 1\n' >key.ini
run 'key\.ini:2: \[train\] bogus' key.ini
printf '[run]\nseed = 1\n[train]\nlr = 0,01\n' >num.ini
run "num\.ini:4: \[train\] lr: .*0,01" num.ini
printf '[mystery]\nx = 1\n' >section.ini
run 'section\.ini:1: .*mystery' section.ini
printf '[train]\nepochs = 0\n' >range.ini
run 'range\.ini:2: \[train\] epochs' range.ini

# The lesson's .npy layout, made by qatrain itself, then broken one way at a time.
"$Q" "$L" --set data.samples_per_class=6 --write-data good --quiet
npy_run() { # pattern, data folder
    printf '[data]\nsource = npy\ndir = %s\n[train]\nepochs = 1\n' "$2" >npy.ini
    run "$1" npy.ini
}
cp -r good trunc && f=trunc/wave/wave_0003.npy && head -c 300 "$f" >x && mv x "$f"
npy_run 'trunc/wave/wave_0003\.npy: .*truncated' trunc
cp -r good dtype && f=dtype/punch/punch_0001.npy && sed -i 's/<f4/<i2/' "$f"
npy_run 'dtype/punch/punch_0001\.npy: .*(dtype|i2)' dtype
cp -r good nan && f=nan/flex/flex_0002.npy && printf '\000\000\300\177' | dd of="$f" bs=1 seek=200 conv=notrunc 2>/dev/null
npy_run 'nan/flex/flex_0002\.npy: .*(NaN|not finite|non-finite)' nan
cp -r good empty && rm empty/flex/*.npy
npy_run 'empty/flex.*(empty|no \.npy)' empty
cp -r good magic && printf 'NOTNUMPY' | dd of=magic/wave/wave_0000.npy bs=1 conv=notrunc 2>/dev/null
npy_run 'magic/wave/wave_0000\.npy: ' magic
npy_run 'missing.*(cannot open|No such|missing)' missing

# Recorded CSV: a ragged row and a non-numeric field are named by file and line.
printf 'aX,aY,aZ,gX,gY,gZ\n1,2,3,4,5,6\n1,2,3,4,5\n' >ragged.csv
printf 'aX,aY,aZ,gX,gY,gZ\n1,2,3,4,5,6\n1,two,3,4,5,6\n' >word.csv
printf 'aX,aY,aZ,gX,gY,gZ\n1,2,3,4,5,6\n1,2,3,4,5,6\n' >ok.csv
csv_run() { # pattern, the wave file
    printf '[data]\nsource = csv\ncsv_rate_hz = 50\ncsv_gesture_rows = 2\nwindow = 2\n[files]\nwave = %s\npunch = ok.csv\nflex = ok.csv\n[layer.flat]\ntype = flatten\n[layer.out]\ntype = dense\nunits = 3\nactivation = softmax\n' "$1" >csv.ini
    run "$2" csv.ini
}
csv_run ragged.csv 'ragged\.csv:3: '
csv_run word.csv 'word\.csv:3: '

# An output folder that cannot be created (a file stands in its way).
echo x >blocker
expect_error 2 'blocker' -- "$Q" "$L" --quiet --set data.samples_per_class=6 --set train.epochs=1 --out blocker/run

# A failed run leaves an earlier run's outputs byte for byte as they were.
"$Q" "$L" --quiet --set data.samples_per_class=12 --set train.epochs=1 --out keep
cp -r keep keep.orig
expect_error 2 'syntax\.ini:3:' -- "$Q" syntax.ini --quiet --out keep
npy_run 'trunc/wave/wave_0003\.npy' trunc
expect_error 2 'trunc' -- "$Q" npy.ini --quiet --out keep
diff -r keep keep.orig >/dev/null || die "a failed run changed earlier outputs"
[ ! -e "$TMP/out" ] || [ -z "$(ls -A "$TMP/out")" ] || die "failed runs left files in out/: $(ls "$TMP/out")"
exit 0
