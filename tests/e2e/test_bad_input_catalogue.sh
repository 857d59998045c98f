# Bad-input catalogue, part 2 (part 1 is test_bad_input.sh; usage errors in test_cli.sh):
# one case per way a config, a data file, a .tflite or the command line can be wrong.
# Every case must exit with status 2, print exactly one stderr line naming the file (and
# line and key where there is one) and nothing on stdout, and leave the outputs of an
# earlier run byte for byte as they were. No command reads float.ckpt / qat.ckpt, so the
# checkpoint catalogue is a C unit test (tests/unit/test_bad_checkpoint.c). The disk-full
# cases are test_disk_full.sh (they need root, and are counted as skipped without it).
# Deliberately not errors (pinned elsewhere): an empty config file is the lesson
# (test_config.c); a config holding only comments is the same.
. tests/e2e/lib.inc
cd "$TMP"
Q="$QATRAIN"
L="$OLDPWD/configs/gesture_cnn.ini"
TINY="--set data.samples_per_class=6 --set train.epochs=1 --set quant.epochs=1"
cases=0

# An earlier run whose outputs every failing training run below must leave untouched.
"$Q" "$L" --quiet $TINY --out keep 2>/dev/null
cp -r keep keep.orig
untouched() {
    diff -r keep keep.orig >/dev/null || die "case $cases changed the earlier outputs in keep/: $(diff -rq keep keep.orig | head -3)"
}
# train PATTERN CONFIG [args...]: a training run into keep/ that must fail as described.
train() {
    pattern=$1; cfg=$2; shift 2
    expect_error 2 "$pattern" -- "$Q" "$cfg" --quiet --out keep "$@"
    untouched
    cases=$((cases + 1))
}
# fails PATTERN -- command...: any other command that must fail as described.
fails() {
    expect_error 2 "$@"
    cases=$((cases + 1))
}

# ---- config files --------------------------------------------------------------------
printf '[train]\nepochs = 2\n\000\377\376garbage\001\002\n' >binary.ini
train 'binary\.ini:3: .*NUL' binary.ini
printf '\377\376[\000t\000r\000a\000i\000n\000]\000\n\000' >utf16.ini
train 'utf16\.ini:1: ' utf16.ini
head -c 2048 /dev/zero | tr '\0' 'x' >long.ini
train 'long\.ini:1: .*longer' long.ini
printf '[train]\nepochs\n' >noeq.ini
train "noeq\.ini:2: syntax error: 'epochs'" noeq.ini
printf '[train]\nepochs = 3\nepochs = 4\n' >dupkey.ini
train 'dupkey\.ini:3: \[train\] epochs: duplicate key' dupkey.ini
printf '[train]\nlr = 1e999\n' >huge.ini
train "huge\.ini:2: \[train\] lr: '1e999' is out of range" huge.ini
printf '[layer.c]\ntype = conv1d\nfilters = -4\nkernel = 3\n' >negative.ini
train "negative\.ini:3: \[layer\.c\] filters: '-4' is out of range" negative.ini
printf '[data]\nwindow = 4097\n' >window.ini
train "window\.ini:2: \[data\] window: '4097' is out of range" window.ini
# window 8, a kernel-8 conv leaves one time step: a pool of 2 has nothing left to pool.
printf '[data]\nwindow = 8\n[layer.c]\ntype = conv1d\nfilters = 4\nkernel = 8\n[layer.p]\ntype = maxpool1d\npool = 2\n[layer.f]\ntype = flatten\n[layer.o]\ntype = dense\nunits = 3\n' >vanish.ini
train 'vanish\.ini:7: \[layer\.p\] pool: 2 is longer than the 1 time steps' vanish.ini
printf '[layer.c]\ntype = conv1d\nfilters = 4\nkernel = 3\n[layer.o]\ntype = dense\nunits = 3\n' >noflat.ini
train 'noflat\.ini:5: \[layer\.o\] type: dense needs a 1-D input' noflat.ini
printf '[layer.f]\ntype = flatten\n[layer.o]\ntype = dense\nunits = 4\n' >units.ini
train 'units\.ini:3: \[layer\.o\] units: 4 units for 3 classes' units.ini
printf '[layer.a]\ntype = flatten\n[layer.a]\ntype = dense\nunits = 3\n' >duplayer.ini
train 'duplayer\.ini:3: \[layer\.a\]: duplicate layer name' duplayer.ini
printf '[data]\nclasses = wave, punch, wave\n' >dupclass.ini
train "dupclass\.ini:2: \[data\] classes: class 'wave' is listed twice" dupclass.ini
printf '[data]\nsource = csv\ncsv_rate_hz = 50\n[files]\nwave = gone.csv\npunch = gone.csv\nflex = gone.csv\n' >csvmissing.ini
train 'gone\.csv: cannot open' csvmissing.ini

# A layer stack far too large for memory is refused up front, naming the heaviest layer (by
# the line of its section header).
dense1=$(grep -n '^\[layer\.dense1\]' "$L" | cut -d: -f1)
train "gesture_cnn\\.ini:$dense1: \\[layer\\.dense1\\] type: the model needs about [0-9]+ GiB" "$L" \
    --set data.window=4096 --set layer.conv1.filters=65536 --set layer.dense1.units=65536
fails 'no config given' -- "$Q"

# ---- .npy data (the lesson layout made by qatrain, then one file broken at a time) ----
"$Q" "$L" --set data.samples_per_class=4 --write-data good --quiet
# npy NAME HEADER PAYLOAD_BYTES: a version 1.0 file with that header dict and zero bytes.
npy() {
    n=${#2}
    printf "\\223NUMPY\\001\\000\\$(printf %03o $((n % 256)))\\$(printf %03o $((n / 256)))" >"$1"
    printf '%s' "$2" >>"$1"
    head -c "$3" /dev/zero >>"$1"
}
# broken NAME: a copy of good/ in NAME/ whose file $f is about to be broken.
broken() {
    rm -rf "$1" && cp -r good "$1" && f="$1/wave/wave_0001.npy"
    printf '[data]\nsource = npy\ndir = %s\n' "$1" >"$1.ini"
}
broken empty && : >"$f"
train 'empty/wave/wave_0001\.npy: not a \.npy file' empty.ini $TINY
broken v9 && printf '\011' | dd of="$f" bs=1 seek=6 conv=notrunc 2>/dev/null
train 'v9/wave/wave_0001\.npy: unsupported \.npy version 9' v9.ini $TINY
broken hlen && printf '\377\377' | dd of="$f" bs=1 seek=8 conv=notrunc 2>/dev/null
train 'hlen/wave/wave_0001\.npy: truncated \.npy header' hlen.ini $TINY
broken fortran && sed -i 's/False/True /' "$f"
train 'fortran/wave/wave_0001\.npy: fortran_order is True' fortran.ini $TINY
broken bigendian && sed -i 's/<f4/>f4/' "$f"
train "bigendian/wave/wave_0001\.npy: dtype '>f4' is big-endian" bigendian.ini $TINY
broken absurd && npy "$f" "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 3), }" 600
train 'absurd/wave/wave_0001\.npy: shape overflows' absurd.ini $TINY
broken negdim && npy "$f" "{'descr': '<f4', 'fortran_order': False, 'shape': (-50, 3), }" 600
train 'negdim/wave/wave_0001\.npy: npy header: expected a dimension' negdim.ini $TINY
broken scalar && npy "$f" "{'descr': '<f4', 'fortran_order': False, 'shape': (), }" 4
train 'scalar/wave/wave_0001\.npy: shape \(\), expected \(T, 3\)' scalar.ini $TINY
broken flat && npy "$f" "{'descr': '<f4', 'fortran_order': False, 'shape': (150,), }" 600
train 'flat/wave/wave_0001\.npy: shape \(150,\), expected \(T, 3\)' flat.ini $TINY
broken channels && npy "$f" "{'descr': '<f4', 'fortran_order': False, 'shape': (50, 4), }" 800
train 'channels/wave/wave_0001\.npy: shape \(50, 4\), expected \(T, 3\)' channels.ini $TINY
broken inf && printf '\000\000\200\177' | dd of="$f" bs=1 seek=200 conv=notrunc 2>/dev/null
train 'inf/wave/wave_0001\.npy: element [0-9]+ \[[0-9]+, [0-9]\] is Inf' inf.ini $TINY

# ---- recorded CSV ----------------------------------------------------------------------
# Five gestures of two rows: enough per class for the default split (the broken file is read
# first, so most cases never get this far).
printf 'aX,aY,aZ,gX,gY,gZ\n' >ok.csv
for i in 1 2 3 4 5; do printf '1,2,3,4,5,6\n1,2,3,4,5,6\n' >>ok.csv; done
csv() { # NAME CONTENT(printf format): the wave recordings of a 3-class CSV config
    printf "$2" >"$1.csv"
    printf '[data]\nsource = csv\ncsv_rate_hz = 50\ncsv_gesture_rows = 2\nwindow = 2\n[files]\nwave = %s.csv\npunch = ok.csv\nflex = ok.csv\n[layer.flat]\ntype = flatten\n[layer.out]\ntype = dense\nunits = 3\nactivation = softmax\n' "$1" >"$1.ini"
}
csv headeronly 'aX,aY,aZ,gX,gY,gZ\n'
train 'headeronly\.csv: no gestures' headeronly.ini
csv nocolumn 'aX,aY,gX,gY,gZ\n1,2,3,4,5\n1,2,3,4,5\n'
train "nocolumn\.csv:1: no column 'aZ'" nocolumn.ini
csv emptycsv ''
train 'emptycsv\.csv: empty file' emptycsv.ini
csv nantoken 'aX,aY,aZ,gX,gY,gZ\n1,2,3,4,5,6\n1,NaN,3,4,5,6\n'
train "nantoken\.csv:3: column aY: 'NaN' is not finite" nantoken.ini
csv overflow 'aX,aY,aZ\n1,2,3\n1,2,1e999\n'
train "overflow\.csv:3: column aZ: '1e999' is not finite" overflow.ini
csv leftover 'aX,aY,aZ\n1,2,3\n1,2,3\n1,2,3\n'
train 'leftover\.csv: 3 data rows is not a multiple of csv_gesture_rows 2' leftover.ini
# Every axis constant with a per-axis range (this once freed the training split twice).
csv constaxis 'aX,aY,aZ\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n'
train 'constaxis\.csv and 2 more CSV files: constant over the 12 training samples: axes 0 \(aX\) = 1, 1 \(aY\) = 2, 2 \(aZ\) = 3; \[data\] normalize = minmax_axis' constaxis.ini --set data.normalize=minmax_axis

# ---- .tflite (qatrain's own int8 export, broken) -------------------------------------------
m=keep.orig/model_int8.tflite
size=$(wc -c <"$m")
mkdir runout
# ran NAME: `qatrain run` must not have written runout/NAME.
ran() { [ ! -e "runout/$1" ] || die "a failed run wrote runout/$1"; }
: >empty.tflite
fails 'empty\.tflite: too short \(0 bytes\)' -- "$Q" inspect empty.tflite
for n in 8 16 1000 $((size - 16)); do
    head -c "$n" "$m" >"cut$n.tflite"
    fails "cut$n\\.tflite: malformed flatbuffer" -- "$Q" inspect "cut$n.tflite"
done
cp "$m" ident.tflite && printf 'TFL2' | dd of=ident.tflite bs=1 seek=4 conv=notrunc 2>/dev/null
fails "ident\\.tflite: not a TFLite file \\(identifier 'TFL2'" -- "$Q" inspect ident.tflite
# The schema version: the root table's field 0 (root offset, vtable, field offset).
u() { od -A n -t "$1" -j "$2" -N "$3" "$m" | tr -d ' '; }
root=$(u u4 0 4); vtable=$((root - $(u d4 "$root" 4))); at=$((root + $(u u2 $((vtable + 4)) 2)))
cp "$m" v2.tflite && printf '\002' | dd of=v2.tflite bs=1 seek="$at" conv=notrunc 2>/dev/null
fails 'v2\.tflite: schema version 2; qatrain reads version 3' -- "$Q" inspect v2.tflite
head -c 4096 /dev/urandom >random.tflite
fails 'random\.tflite: (not a TFLite file|malformed)' -- "$Q" inspect random.tflite
cp "$m" flip.tflite && printf '\377' | dd of=flip.tflite bs=1 seek=0 conv=notrunc 2>/dev/null
fails 'flip\.tflite: malformed flatbuffer in the model' -- "$Q" run flip.tflite keep.orig/test_inputs_int8.npy runout/flip.npy
ran flip.npy
cp keep.orig/test_inputs_int8.npy in9.npy && printf '\011' | dd of=in9.npy bs=1 seek=6 conv=notrunc 2>/dev/null
fails 'in9\.npy: unsupported \.npy version 9' -- "$Q" run "$m" in9.npy runout/in9.npy
ran in9.npy
fails '/proc/qat\.npy: cannot write' -- "$Q" run "$m" keep.orig/test_inputs_int8.npy /proc/qat.npy

# ---- the command line ------------------------------------------------------------------
train "^qatrain: --seed: 'abc' is not a seed \\(digits only, in \\[0, 18446744073709551615\\]\\)\$" "$L" --seed abc
train '--set needs a value' "$L" --set
train '--set train\.epochs: expected section\.key=value' "$L" --set train.epochs
train '--set bogus\.epochs: unknown section \[bogus\]' "$L" --set bogus.epochs=3
mkdir cfgdir.ini
train 'cfgdir\.ini: not a regular file' cfgdir.ini
echo x >outfile
fails 'outfile: not a folder' -- "$Q" "$L" --quiet $TINY --out outfile
[ "$(cat outfile)" = x ] || die "--out onto a file changed the file"
fails '/proc/qatrain-out: cannot create folder' -- "$Q" "$L" --quiet $TINY --out /proc/qatrain-out
fails 'outfile/data: cannot create folder' -- "$Q" "$L" --quiet $TINY --write-data outfile/data

echo "bad-input catalogue: $cases cases passed"
exit 0
