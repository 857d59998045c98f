#!/bin/sh
# The image lessons on real images (Debian's dataset-fashion-mnist), cut to a few hundred
# images so that the suite stays fast: the lab's CNN and the advanced chapter's model run
# end to end from the IDX files; the splits are the lab's (the t10k file is the test split,
# the last 10 % of the training images validate, the first 200 calibrate); the advanced
# model takes its three classes by label and pads 28x28 to 32x32; and every malformed input
# is one line on stderr and exit 2, with nothing written.
. tests/e2e/lib.inc
FM=/usr/share/datasets/fashion-mnist
for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do
    [ -r "$FM/$f" ] || { echo "SKIP: needs Debian's dataset-fashion-mnist ($FM/$f not found; scripts/setup.sh installs it)"; exit 77; }
done
num() { sed -n "s/.*\"$2\": *\([-0-9.e+]*\).*/\1/p" "$1" | head -n 1; }
str() { sed -n "s/.*\"$2\": *\"\([^\"]*\)\".*/\1/p" "$1" | head -n 1; }
# The first N test labels of the t10k file, as numbers one per line.
t10k_labels() { gzip -dc "$FM/t10k-labels-idx1-ubyte.gz" | tail -c +9 | head -c "$1" | od -An -tu1 -v | tr -s ' ' '\n' | sed '/^$/d'; }

# ---- the lab: 1,000 training images (900 train, the last 100 validate), 300 test images; under
# the sanitizers (memory errors, not statistics) 400 (360 / 40) and 120
NT=1000; NV=100; NE=300
[ "$SANITIZED" = 1 ] && { NT=400; NV=40; NE=120; }
SHORT="--set data.train_limit=$NT --set data.test_limit=$NE --set train.epochs=2 --set quant.epochs=1 --set prune.epochs=1 --quiet"
"$QATRAIN" configs/fashion_mnist_cnn.ini $SHORT --out "$TMP/lab" || die "the lab config failed"
R="$TMP/lab/report.json"
[ "$(num "$R" train_samples)" = $((NT - NV)) ] && [ "$(num "$R" validation_samples)" = $NV ] \
    && [ "$(num "$R" test_samples)" = $NE ] || die "lab: splits are not $((NT - NV)) / $NV / $NE"
[ "$(str "$R" test_from)" = "test file" ] && [ "$(str "$R" validation_from)" = last ] \
    || die "lab: the test split is not the t10k file, or validation not Keras's last part"
[ "$(str "$R" kind)" = scale ] || die "lab: normalisation is not x / 255"
grep -q '"calibration_samples": 200' "$R" || die "lab: the representative set is not 200 images"
# Accuracy on 300 test images after 2 epochs on 900 images: 60.3-69.3 % over seeds 1-8 (mean
# 65.5 %, sd 2.8 points; chance is 10 %); 45 % is 7 standard deviations below the mean.
[ "$SANITIZED" = 1 ] || awk -v a="$(num "$R" test_accuracy)" 'BEGIN { exit !(a > 0.45) }' || die "lab: float accuracy $(num "$R" test_accuracy) is not above 45 %"
for f in model_float32.tflite model_float16.tflite model_dynamic_range.tflite model_int8.tflite \
         model_ptq_int8.tflite model_pruned_int8.tflite model_int8.h report.html; do
    [ -s "$TMP/lab/$f" ] || die "lab: $f was not written"
done
grep -q '^#define QAT_HEIGHT 28$' "$TMP/lab/model_int8_info.h" || die "lab: the firmware header is not for 28x28 images"
# The lab's comparison in report.html: each row's size is its file's, and the plot is there.
H="$TMP/lab/report.html"
for row in "Float32 (baseline):model_float32" "Float16:model_float16" "Dynamic range:model_dynamic_range" \
           "Full int8 (uint8 I/O):model_ptq_uint8_io" "QAT int8:model_int8" "QAT int8, pruned:model_pruned_int8"; do
    label=${row%%:*}; file=${row#*:}.tflite
    kb=$(awk -v b="$(wc -c <"$TMP/lab/$file")" 'BEGIN { printf "%.2f", b / 1024 }')
    grep -qF "<tr><td>$label</td><td><code>$file</code></td><td>$kb</td>" "$H" \
        || die "lab: report.html's comparison lacks '$label' with $file at $kb KB"
done
grep -q 'Test accuracy against file size for every model' "$H" || die "lab: no accuracy-against-size plot"

# ---- the advanced model: its three classes by label, 28x28 padded to 32x32
NA=400; NAT=1500; [ "$SANITIZED" = 1 ] && { NA=160; NAT=600; }
"$QATRAIN" configs/advanced_qat_cnn.ini --set data.train_limit=$NAT --set data.test_limit=$NA \
    --set train.epochs=2 --set quant.epochs=1 --set prune.epochs=1 --quiet --out "$TMP/adv" || die "the advanced config failed"
R="$TMP/adv/report.json"
want=$(t10k_labels $NA | grep -c -E '^(0|2|6)$')
[ "$(num "$R" test_samples)" = "$want" ] || die "advanced: $(num "$R" test_samples) test images, the first $NA of t10k hold $want of labels 0, 2, 6"
[ "$(num "$R" height)" = 32 ] && [ "$(num "$R" width)" = 32 ] || die "advanced: the input is not 32x32"
grep -q '^#define QAT_HEIGHT 32$' "$TMP/adv/model_int8_info.h" || die "advanced: the firmware header is not for 32x32"

# ---- --resume from IDX files: the resumed run's files are the uninterrupted run's; a label
# changed since the interruption (same size, same time) is refused naming the file
mkdir -p "$TMP/idx"
# Small plain IDX files cut from the package's (a whole file would be hashed on every run).
be32() { printf "\\$(printf '%03o' $(($1 >> 24 & 255)))\\$(printf '%03o' $(($1 >> 16 & 255)))\\$(printf '%03o' $(($1 >> 8 & 255)))\\$(printf '%03o' $(($1 & 255)))"; }
idx() { # NAME N: the first N items of the package's NAME.gz as a plain IDX file
    case $1 in *images*) hdr=16 item=784 ;; *) hdr=8 item=1 ;; esac
    { if [ $hdr = 16 ]; then printf '\000\000\010\003'; be32 "$2"; be32 28; be32 28;
      else printf '\000\000\010\001'; be32 "$2"; fi
      gzip -dc "$FM/$1.gz" | tail -c +$((hdr + 1)) | head -c $(($2 * item)); } >"$TMP/idx/$1"
}
idx train-images-idx3-ubyte 320; idx train-labels-idx1-ubyte 320
idx t10k-images-idx3-ubyte 100; idx t10k-labels-idx1-ubyte 100
I="--set data.train_images=$TMP/idx/train-images-idx3-ubyte --set data.train_labels=$TMP/idx/train-labels-idx1-ubyte
   --set data.test_images=$TMP/idx/t10k-images-idx3-ubyte --set data.test_labels=$TMP/idx/t10k-labels-idx1-ubyte
   --set train.epochs=2 --set quant.epochs=1 --set prune.enabled=false --quiet"
"$QATRAIN" configs/fashion_mnist_cnn.ini $I --out "$TMP/ref" || die "images: the reference run failed"
QATRAIN_TEST_INTERRUPT_AT_STEP=4 "$QATRAIN" configs/fashion_mnist_cnn.ini $I --out "$TMP/stop" 2>/dev/null && die "images: not interrupted"
cp "$TMP/idx/t10k-labels-idx1-ubyte" "$TMP/labels.saved"
touch -r "$TMP/idx/t10k-labels-idx1-ubyte" "$TMP/stamp"
printf '\011' | dd of="$TMP/idx/t10k-labels-idx1-ubyte" bs=1 seek=20 conv=notrunc 2>/dev/null
cmp -s "$TMP/labels.saved" "$TMP/idx/t10k-labels-idx1-ubyte" && printf '\001' | dd of="$TMP/idx/t10k-labels-idx1-ubyte" bs=1 seek=20 conv=notrunc 2>/dev/null
touch -r "$TMP/stamp" "$TMP/idx/t10k-labels-idx1-ubyte"
expect_error 2 "t10k-labels-idx1-ubyte: changed since the interrupted run" -- \
    "$QATRAIN" configs/fashion_mnist_cnn.ini $I --out "$TMP/stop" --resume
cp "$TMP/labels.saved" "$TMP/idx/t10k-labels-idx1-ubyte"
"$QATRAIN" configs/fashion_mnist_cnn.ini $I --out "$TMP/stop" --resume || die "images: --resume failed"
for f in model_int8.tflite model_float32.tflite report.json float.ckpt qat.ckpt; do
    cmp -s "$TMP/ref/$f" "$TMP/stop/$f" || die "images: the resumed $f differs from the uninterrupted run's"
done

# ---- the same images as NumPy arrays (source = npy_images): the same model, byte for byte.
# npy FILE SHAPE: a version-1.0 .npy header of uint8 data, padded to 64 bytes as NumPy does.
npy() {
    dict="{'descr': '|u1', 'fortran_order': False, 'shape': $2, }"
    pad=$(( 64 - (10 + ${#dict} + 1) % 64 )); [ "$pad" -eq 64 ] && pad=0
    len=$(( ${#dict} + pad + 1 ))
    { printf '\223NUMPY\001\000'; printf "\\$(printf '%03o' $((len % 256)))\\$(printf '%03o' $((len / 256)))"
      printf '%s%*s\n' "$dict" "$pad" ''; } >"$1"
}
npy "$TMP/X.npy" "(320, 28, 28)"; tail -c +17 "$TMP/idx/train-images-idx3-ubyte" | head -c $((320 * 784)) >>"$TMP/X.npy"
npy "$TMP/y.npy" "(320,)"; tail -c +9 "$TMP/idx/train-labels-idx1-ubyte" | head -c 320 >>"$TMP/y.npy"
npy "$TMP/Xt.npy" "(100, 28, 28, 1)"; tail -c +17 "$TMP/idx/t10k-images-idx3-ubyte" | head -c $((100 * 784)) >>"$TMP/Xt.npy"
npy "$TMP/yt.npy" "(100,)"; tail -c +9 "$TMP/idx/t10k-labels-idx1-ubyte" | head -c 100 >>"$TMP/yt.npy"
"$QATRAIN" configs/fashion_mnist_cnn.ini $I --set data.source=npy_images --set data.train_images="$TMP/X.npy" \
    --set data.train_labels="$TMP/y.npy" --set data.test_images="$TMP/Xt.npy" --set data.test_labels="$TMP/yt.npy" \
    --out "$TMP/npyimg" || die "npy_images: the run failed"
for f in model_int8.tflite model_float32.tflite float.ckpt; do
    cmp -s "$TMP/ref/$f" "$TMP/npyimg/$f" || die "npy_images: $f differs from the IDX run's on the same images"
done

# ---- bad input: one line, exit 2, nothing written
bad() { # PATTERN ARGS...: the lab config with ARGS fails so
    pattern=$1; shift
    expect_error 2 "$pattern" -- "$QATRAIN" configs/fashion_mnist_cnn.ini $SHORT --out "$TMP/bad" "$@"
    [ ! -e "$TMP/bad" ] || die "$*: wrote $TMP/bad"
}
mkdir -p "$TMP/empty"
bad "empty/train-images-idx3-ubyte.gz: no such file \(Debian's dataset-fashion-mnist package" --set data.dir="$TMP/empty"
bad "train-images-idx3-ubyte.gz: image 0 has label 9, but \[data\] classes names 3 classes" --set data.classes=a,b,c --set layer.out.units=3
bad "images are 28 × 28, the model takes 32 × 32 \(set \[data\] pad = true" --set data.height=32 --set data.width=32
bad "images are 28 × 28, larger than the model's 20 × 20 input" --set data.height=20 --set data.width=20
bad "\[data\] labels: 2 labels for 10 classes" --set data.labels=0,1
gzip -dc "$FM/t10k-images-idx3-ubyte.gz" | head -c 100000 >"$TMP/cut-idx3"
bad "cut-idx3: truncated: the header declares 10000 images of 28×28 pixels \(7840016 bytes with the header\), the file holds 100000 bytes \(127 complete images\)" --set data.test_images="$TMP/cut-idx3" --set data.test_labels="$FM/t10k-labels-idx1-ubyte.gz"
gzip -dc "$FM/t10k-images-idx3-ubyte.gz" | head -c 100000 | gzip -c >"$TMP/cut-idx3.gz"
bad "cut-idx3.gz: truncated: the header declares 10000 images of 28×28 pixels, the decompressed data ends after 99984 bytes \(127 complete images" --set data.test_images="$TMP/cut-idx3.gz" --set data.test_labels="$FM/t10k-labels-idx1-ubyte.gz" --set data.test_limit=0
printf 'not gzip at all' >"$TMP/fake.gz"
bad "fake.gz: not an IDX image file \(magic 0x6e6f7420" --set data.test_images="$TMP/fake.gz" --set data.test_labels="$FM/t10k-labels-idx1-ubyte.gz"
bad "t10k-labels-idx1-ubyte.gz: an IDX label file \(magic 0x00000801\) given as the images" --set data.test_images="$FM/t10k-labels-idx1-ubyte.gz" --set data.test_labels="$FM/t10k-labels-idx1-ubyte.gz"
bad "t10k-labels-idx1-ubyte.gz: 10000 labels, but .*train-images-idx3-ubyte.gz holds 60000 images" --set data.train_images="$FM/train-images-idx3-ubyte.gz" --set data.train_labels="$FM/t10k-labels-idx1-ubyte.gz"
bad "\[data\] test_labels: missing \(test_images and test_labels go together\)" --set data.test_images="$FM/t10k-images-idx3-ubyte.gz"
echo "vision: lab and advanced configs on Fashion-MNIST, splits, padding, subsets and bad input checked"
