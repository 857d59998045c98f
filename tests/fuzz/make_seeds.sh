#!/bin/sh
# Regenerates the seed corpora in tests/fuzz/corpus/<target>/ (run from the repo root after
# `make`). Seeds are small valid (or nearly valid) inputs that reach deep into each parser:
# the fuzzer mutates from there. Total well under 1 MB.
set -eu
Q=${QATRAIN:-build/qatrain}
C=tests/fuzz/corpus
# Some tflite seeds are TFLM golden models from the external test data
# ($QATRAIN_TEST_DATA, default ../shared): without them the corpus would silently shrink.
G=${QATRAIN_TEST_DATA:-../shared}/reference/tflm-golden
[ -d "$G" ] || { echo "make_seeds: $G not found (set QATRAIN_TEST_DATA); corpus left as it is" >&2; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
rm -rf "$C"
mkdir -p "$C/ini" "$C/npy" "$C/csv" "$C/checkpoint" "$C/tflite" "$C/masks" "$C/resume" "$C/idx"

# A tiny model (window 20, 4 filters): small checkpoints and .tflite files of every kind.
TINY='[data]
window = 20
samples_per_class = 8
[layer.conv1]
type = conv1d
filters = 4
kernel = 3
activation = relu
[layer.pool1]
type = maxpool1d
pool = 2
[layer.flat]
type = flatten
[layer.out]
type = dense
units = 3
activation = softmax
[train]
epochs = 1
[quant]
epochs = 1'
printf '%s\n' "$TINY" >"$T/tiny.ini"
"$Q" "$T/tiny.ini" --out "$T/tiny" --quiet 2>/dev/null
"$Q" configs/gesture_cnn.ini --out "$T/lesson" --quiet --set data.samples_per_class=6 \
    --set train.epochs=1 --set quant.epochs=1 2>/dev/null

# ini: the shipped configs, the tiny one, and the other data sources.
cp configs/*.ini "$C/ini/"
cp "$T/tiny.ini" "$C/ini/tiny.ini"
printf '[data]\nsource = npy\ndir = data\nnormalize = minmax_axis\n[train]\noptimizer = sgd\nmomentum = 0.9\nnesterov = yes\nepochs = 2\n' >"$C/ini/npy.ini"
printf '[data]\nsource = csv\nclasses = wave, punch\ncsv_rate_hz = 119\ncsv_gesture_rows = 0\ncsv_columns = aX, aY, aZ\nwindow = 8\n[files]\nwave = a.csv, b.csv\npunch = "c d.csv"\n[layer.c]\ntype = conv1d\nfilters = 2\nkernel = 3\npadding = same\nweight_bits = 4\n[layer.bn]\ntype = batchnorm\n[layer.r]\ntype = relu6\n[layer.f]\ntype = flatten\n[layer.d]\ntype = dropout\nrate = 0.25\n[layer.out]\ntype = dense\nunits = 2\nactivation = none\n' >"$C/ini/csv.ini"
printf 'train.epochs=3\nlayer.conv1.filters=8\nquant.weight_bits = 4\ndata.source=npy\ndata.dir=x\n' >"$C/ini/set_lines.ini"

# npy: what qatrain writes, and hand-made headers for every dtype, version and shape form.
cp "$T/tiny/test_inputs_int8.npy" "$T/tiny/test_labels.npy" "$C/npy/"
cp "$T/tiny/test_outputs_float32.npy" "$C/npy/"
npy() { # file major header payload(printf escapes)
    h=$3; n=${#h}
    if [ "$2" = 1 ]; then
        lo=$((n % 256)); hi=$((n / 256))
        printf "\\223NUMPY\\001\\000\\$(printf %03o $lo)\\$(printf %03o $hi)" >"$C/npy/$1"
    else
        printf "\\223NUMPY\\$(printf %03o "$2")\\000\\$(printf %03o $n)\\000\\000\\000" >"$C/npy/$1"
    fi
    printf '%s' "$h" >>"$C/npy/$1"
    printf "$4" >>"$C/npy/$1"
}
npy f4_2x3.npy 1 "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" \
    '\0\0\200?\0\0\0@\0\0@@\0\0\200\277\0\0\0\0\0\0\300\177'
npy f8_2.npy 1 "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }" \
    '\0\0\0\0\0\0\360?\0\0\0\0\0\0\360\177'
npy i1_4.npy 1 "{'descr': '|i1', 'fortran_order': False, 'shape': (4,), }" '\200\377\0\177'
npy i4_1x2.npy 2 "{'descr': '<i4', 'fortran_order': False, 'shape': (1L, 2L)}" \
    '\1\0\0\0\377\377\377\177'
npy i8_2.npy 3 '{"descr": "<i8", "shape": (2,), "fortran_order": False}' \
    '\1\0\0\0\0\0\0\0\2\0\0\0\0\0\0\0'
npy f4_scalar.npy 1 "{'descr': '=f4', 'fortran_order': False, 'shape': ()}" '\0\0\200?'
npy f4_empty.npy 1 "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }" ''

# csv: the loader's test files and the Arduino workshop layout (CRLF, BOM, quoted fields).
cp tests/data/csv/*.csv "$C/csv/"
printf 'aX,aY,aZ,gX,gY,gZ\n0.1,0.2,0.98,1,2,3\n0.2,0.1,0.97,1,2,3\n0.3,0.0,0.96,1,2,3\n\n-0.1,0.5,1.2,0,0,0\n-0.2,0.6,1.1,0,0,0\n-0.3,0.7,1.0,0,0,0\n' >"$C/csv/arduino.csv"
printf '\357\273\277"aX","aY","aZ"\r\n"1.5","-2e-1","3"\r\n"","",""\r\n"4",".5","6E0"\r\n"7","8","9"\r\n"1","1","1"\r\n' >"$C/csv/bom_crlf_quoted.csv"
printf 'time,aZ,x,aY,aX\n0,1,,2,3\n1,4,,5,6\n2,7,,8,9\n' >"$C/csv/reordered.csv"

# idx: pairs of files as fuzz_idx.c reads them (the images file's length, two bytes
# little-endian, then the images file, then the labels file): 3 images of 4×5 and their 3
# labels plain, gzip-compressed and mixed; one 28×28 image with the labels file truncated.
idx_pair() { # seed images-file labels-file
    n=$(wc -c <"$2")
    printf "\\$(printf %03o $((n % 256)))\\$(printf %03o $((n / 256)))" >"$C/idx/$1"
    cat "$2" "$3" >>"$C/idx/$1"
}
printf '\000\000\010\003\000\000\000\003\000\000\000\004\000\000\000\005' >"$T/img"
printf '%s' 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz01234567' >>"$T/img"
printf '\000\000\010\001\000\000\000\003\007\000\011' >"$T/lab"
gzip -9nc "$T/img" >"$T/img.gz"
gzip -9nc "$T/lab" >"$T/lab.gz"
idx_pair plain "$T/img" "$T/lab"
idx_pair gzip "$T/img.gz" "$T/lab.gz"
idx_pair mixed "$T/img.gz" "$T/lab"
printf '\000\000\010\003\000\000\000\001\000\000\000\034\000\000\000\034' >"$T/img28"
head -c 784 /dev/zero | tr '\0' '\200' >>"$T/img28"
printf '\000\000\010\001\000\000\000\001' >"$T/lab1"
gzip -9nc "$T/img28" >"$T/img28.gz"
idx_pair gzip_28x28_labels_cut "$T/img28.gz" "$T/lab1"

# checkpoints: the lesson model's and the tiny model's (both load in the fuzz target).
cp "$T/lesson/float.ckpt" "$C/checkpoint/lesson_float.ckpt"
cp "$T/tiny/float.ckpt" "$C/checkpoint/tiny_float.ckpt"
cp "$T/tiny/qat.ckpt" "$C/checkpoint/tiny_qat.ckpt"

# masks: the pruning masks of both models.
cp "$T/lesson/masks.bin" "$C/masks/lesson.masks"
cp "$T/tiny/masks.bin" "$C/masks/tiny.masks"

# tflite: TFLM golden models (three with other operators) and qatrain's own exports.
for m in gesture_base gesture_pool_same_relu_clamp tflm_hello_world_int8 tflm_micro_speech; do
    cp "$G/$m/model.tflite" "$C/tflite/$m.tflite"
done
for m in int8 int8_float_io float32 float16 dynamic_range; do
    cp "$T/tiny/model_$m.tflite" "$C/tflite/tiny_$m.tflite"
done
chmod 644 "$C"/*/*
du -sh "$C"

# resume: a tiny run interrupted in its float phase and in its QAT phase, and one started
# from a checkpoint (--init: an input file recorded in the resume file).
printf '[data]\nwindow = 20\nsamples_per_class = 4\n[layer.conv1]\ntype = conv1d\nfilters = 4\nkernel = 3\nactivation = relu\n[layer.pool1]\ntype = maxpool1d\npool = 2\n[layer.flat]\ntype = flatten\n[layer.out]\ntype = dense\nunits = 3\nactivation = softmax\n[train]\nepochs = 3\nbatch = 4\n[quant]\nepochs = 2\n[prune]\nepochs = 1\n' >"$T/resume.ini"
for at in 2 11; do
    QATRAIN_TEST_INTERRUPT_AT_STEP=$at "$Q" "$T/resume.ini" --quiet --out "$T/resume$at" 2>/dev/null || true
done
"$Q" "$T/resume.ini" --quiet --out "$T/resume_base" 2>/dev/null
QATRAIN_TEST_INTERRUPT_AT_STEP=2 "$Q" "$T/resume.ini" --quiet --init "$T/resume_base/float.ckpt" \
    --out "$T/resume_init" 2>/dev/null || true
cp "$T/resume2/resume.ckpt" "$C/resume/tiny_float_phase.ckpt"
cp "$T/resume11/resume.ckpt" "$C/resume/tiny_qat_phase.ckpt"
cp "$T/resume_init/resume.ckpt" "$C/resume/tiny_init_qat_phase.ckpt"
