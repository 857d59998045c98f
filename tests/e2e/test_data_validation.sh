# Degenerate data and bad settings are refused before anything trains: exit 2, one stderr
# line naming the data source (file and line, folder, or the built-in generator) and the
# setting to change, nothing on stdout, and no --out folder made. Cases the warning (not
# error) policy lets through are pinned too: they train, and say what they noticed.
. tests/e2e/lib.inc
cd "$TMP"
Q="$QATRAIN"
L="$OLDPWD/configs/gesture_cnn.ini"
TINY="--set data.samples_per_class=6 --set train.epochs=1 --set quant.epochs=1 --set prune.enabled=false"
cases=0
# refused PATTERN [args...]: a training run into out/ that must fail as described, making no out/.
refused() {
    pattern=$1; shift
    expect_error 2 "$pattern" -- "$Q" "$@" --quiet --out out
    [ ! -e out ] || die "case $cases ($*) made the output folder"
    cases=$((cases + 1))
}

# ---- splits of the built-in generator ------------------------------------------------
refused "^qatrain: built-in generator: class 'wave' has 1 sample; \[data\] test_split = 0\.2 puts 0 in the test split.*raise \[data\] samples_per_class" "$L" $TINY --set data.samples_per_class=1
refused "^qatrain: built-in generator: class 'wave' has 2 samples; .*at least 3 per class" "$L" $TINY --set data.samples_per_class=2
# test_split 0.99 of 6 samples leaves no training sample; 0.01 of 6 no test sample
refused "class 'wave' has 6 samples; \[data\] test_split = 0\.99 puts 6 in the test split.*leaving 0 for training.*change \[data\] test_split" "$L" $TINY --set data.test_split=0.99
refused "class 'wave' has 6 samples; \[data\] test_split = 0\.01 puts 0 in the test split" "$L" $TINY --set data.test_split=0.01
refused "\[train\] val_split = 0\.05 puts 0 of the other 5 in the validation split.*\[data\] test_split / \[train\] val_split" "$L" $TINY --set train.val_split=0.05
refused "\[train\] val_split = 0\.9 puts 5 of the other 5 in the validation split, leaving 0 for training" "$L" $TINY --set train.val_split=0.9
# test_split = 0 is no split at all: the parser refuses it, with the range
refused "^qatrain: --set data\.test_split: '0' is out of range \(must be in \(0, 1\)\)" "$L" $TINY --set data.test_split=0

# ---- .npy folders --------------------------------------------------------------------
"$Q" "$L" --set data.samples_per_class=6 --write-data good --quiet
payload=$((50 * 3 * 4))
# broken NAME: a copy of good/ in NAME/ with $f, a file about to be broken, and NAME.ini.
broken() {
    rm -rf "$1" && cp -r good "$1" && f="$1/punch/punch_0002.npy"
    printf '[data]\nsource = npy\ndir = %s\n' "$1" >"$1.ini"
}
# zero FILE: its float32 payload all 0, the header kept
zero() { dd if=/dev/zero of="$1" bs=1 seek=$(($(wc -c <"$1") - payload)) count=$payload conv=notrunc 2>/dev/null; }
broken dead && zero "$f"
refused "^qatrain: dead/punch/punch_0002\.npy: this punch recording is all 0 \(50 steps x 3 axes: a dead sensor or an empty capture\); remove it from the data$" dead.ini $TINY
broken alldead && for g in alldead/*/*.npy; do zero "$g"; done
refused "^qatrain: alldead/[a-z]+/[a-z]+_0000\.npy: this [a-z]+ recording is all 0" alldead.ini $TINY
broken nan && printf '\000\000\300\177' | dd of="$f" bs=1 seek=300 conv=notrunc 2>/dev/null
refused "^qatrain: nan/punch/punch_0002\.npy: element [0-9]+ \[[0-9]+, [0-9]\] is NaN" nan.ini $TINY
broken few && rm few/flex/flex_0001.npy few/flex/flex_0002.npy few/flex/flex_0003.npy few/flex/flex_0004.npy
refused "^qatrain: few/flex: class 'flex' has 2 samples; .*at least 3 per class here \(add recordings of the class, or change \[data\] test_split\)$" few.ini $TINY

# ---- recorded CSV (window 2, two rows a gesture, five gestures a class) -------------------
# gestures FILE AZ: five gestures with varying aX, aY and aZ = AZ (or varying when AZ is -)
gestures() {
    awk -v z="$2" 'BEGIN { print "aX,aY,aZ"; for (i = 1; i <= 10; i++) print i "," 2 * i "," (z == "-" ? 3 * i : z) }' >"$1"
}
gestures vary.csv -
csvcfg() { # NAME WAVE_FILE [PUNCH_FILE [FLEX_FILE]]: a 3-class CSV config
    printf '[data]\nsource = csv\ncsv_rate_hz = 50\ncsv_gesture_rows = 2\nwindow = 2\n[files]\nwave = %s\npunch = %s\nflex = %s\n[layer.flat]\ntype = flatten\n[layer.out]\ntype = dense\nunits = 3\nactivation = softmax\n' "$2" "${3:-vary.csv}" "${4:-vary.csv}" >"$1.ini"
}
gestures zflat.csv 0 && gestures zflat2.csv 0 && gestures zflat3.csv 0
csvcfg zflat zflat.csv zflat2.csv zflat3.csv
refused "^qatrain: zflat\.csv and 2 more CSV files: constant over the [0-9]+ training samples: axis 2 \(aZ\) = 0; \[data\] normalize = minmax_axis divides by each axis' range" zflat.ini --set data.normalize=minmax_axis
printf 'aX,aY,aZ\n1,2,3\n4,5,6\n0,0,0\n0,0,0\n7,8,9\n1,1,1\n2,2,2\n3,3,3\n4,4,4\n5,5,5\n' >deadcsv.csv
csvcfg deadcsv deadcsv.csv
refused "^qatrain: deadcsv\.csv:4: this wave recording is all 0 \(2 steps x 3 axes" deadcsv.ini
printf 'aX,aY,aZ\n' >same.csv && for i in 1 2 3 4 5 6 7 8 9 10; do echo 7,7,7 >>same.csv; done
printf '[data]\nsource = csv\ncsv_rate_hz = 50\ncsv_gesture_rows = 2\nwindow = 2\nclasses = a, b\n[files]\na = same.csv\nb = same.csv\n[layer.flat]\ntype = flatten\n[layer.out]\ntype = dense\nunits = 2\nactivation = softmax\n' >same.ini
refused "^qatrain: same\.csv and 1 more CSV file: every value of the [0-9]+ training samples is 7; \[data\] normalize = minmax divides by their range: use normalize = none$" same.ini --set data.normalize=minmax
# Not errors: one constant axis where nothing divides by its own range trains, with a warning.
for norm in none minmax; do
    rm -rf out
    "$Q" zflat.ini --set train.epochs=1 --set quant.epochs=1 --set prune.enabled=false \
        --set data.normalize=$norm --out out 2>warn.txt >/dev/null || die "normalize = $norm with a constant axis failed: $(cat warn.txt)"
    grep -q "^qatrain: warning: zflat\.csv and 2 more CSV files: constant over the [0-9]* training samples, so carrying no information: axis 2 (aZ) = 0$" warn.txt ||
        die "normalize = $norm with a constant axis: no warning: $(cat warn.txt)"
    cases=$((cases + 1))
done
rm -rf out

# ---- numbers: range-checked where parsed, limits in the message -------------------------
refused "^qatrain: --seed: '18446744073709551616' is out of range \(must be in \[0, 18446744073709551615\]\)$" "$L" --seed 18446744073709551616
refused "^qatrain: --seed: '-3' is out of range" "$L" --seed -3
refused "^qatrain: --seed: '0+' is not a seed" "$L" --seed 000000000000000000000000000000000000000000000000000000000000000000012x
refused "^qatrain: --seed: '9+' is out of range" "$L" --seed 99999999999999999999999999999999999999999999999999999999999999999999999
for kv in "train.lr=1e300:(0, 100]" "train.lr=-1:(0, 100]" "train.epsilon=1e-320:[1e-30, 1000]" \
          "data.rate_hz=1e308:[0.001, 1000000]" "data.samples_per_class=99999999999999999999:[1, 100000]" \
          "train.epochs=-2:[1, 100000]" "train.batch=12abc:" "quant.lr=inf:" "prune.lr=1e9:(0, 100]" \
          "train.min_lr=1000:[0, 100]" "layer.conv1.filters=4294967297:[1, 65536]" "data.window=0x10:"; do
    set=${kv%%:*}; lim=${kv#*:}
    key=${set%%=*}; val=${set#*=}
    if [ -n "$lim" ]; then why="out of range \\(must be in $(printf '%s' "$lim" | sed 's/[][().+]/\\&/g')\\)"; else why="not a (whole )?number"; fi
    refused "^qatrain: --set $(echo "$key" | sed 's/\./\\./g'): '$val' is $why" "$L" --set "$set"
done

# ---- layer stacks with no int8 form: the layer's line and key, before any training ------
stack() { # NAME LAYERS...: a config of the given [layer.*] kinds (flatten + dense 3 appended)
    n=$1; shift; : >"$n.ini"; i=0
    for k in "$@"; do
        i=$((i + 1))
        case $k in
        conv) printf '[layer.c%d]\ntype = conv1d\nfilters = 4\nkernel = 3\n' $i ;;
        convrelu) printf '[layer.c%d]\ntype = conv1d\nfilters = 4\nkernel = 3\nactivation = relu\n' $i ;;
        pool) printf '[layer.p%d]\ntype = maxpool1d\npool = 2\n' $i ;;
        drop) printf '[layer.d%d]\ntype = dropout\nrate = 0.1\n' $i ;;
        *) printf '[layer.%s%d]\ntype = %s\n' "$k" $i "$k" ;;
        esac >>"$n.ini"
    done
    printf '[layer.f]\ntype = flatten\n[layer.o]\ntype = dense\nunits = 3\nactivation = softmax\n' >>"$n.ini"
}
stack bnfirst batchnorm conv
refused "^qatrain: bnfirst\.ini:1: \[layer\.batchnorm1\] type: batchnorm as the first layer has no int8 form" bnfirst.ini
stack bnbn conv batchnorm batchnorm
refused "^qatrain: bnbn\.ini:7: \[layer\.batchnorm3\] type: batchnorm after batchnorm 'batchnorm2' has no int8 form.*remove one of the two" bnbn.ini
stack bnpool conv pool batchnorm
refused "^qatrain: bnpool\.ini:8: \[layer\.batchnorm3\] type: batchnorm after maxpool1d 'p2' has no int8 form" bnpool.ini
stack bndrop conv drop batchnorm
refused "^qatrain: bndrop\.ini:8: \[layer\.batchnorm3\] type: batchnorm after dropout 'd2' has no int8 form" bndrop.ini
stack bnact convrelu batchnorm
refused "^qatrain: bnact\.ini:1: \[layer\.c1\] activation: activation = relu comes before batchnorm 'batchnorm2'" bnact.ini
stack relurelu convrelu relu
refused "^qatrain: relurelu\.ini:6: \[layer\.relu2\] type: relu after conv1d 'c1' has no int8 form: 'c1' already applies activation = relu" relurelu.ini
stack relupool conv pool relu6
refused "^qatrain: relupool\.ini:8: \[layer\.relu63\] type: relu6 after maxpool1d 'p2' has no int8 form" relupool.ini

# ---- --init with a checkpoint of another kind --------------------------------------------
"$Q" "$L" $TINY --quiet --out ck
refused "^qatrain: ck/qat\.ckpt: holds a QAT model \(the fake-quant graph, as qat\.ckpt\); this needs a float model \(as float\.ckpt\)$" "$L" $TINY --init ck/qat.ckpt
refused "^qatrain: ck/float\.ckpt: checkpoint is from another model: it has [0-9]+ parameters, this config's [0-9]+$" "$L" $TINY --init ck/float.ckpt --set layer.conv1.filters=9
refused "^qatrain: ck/float\.ckpt: checkpoint is from another model: its class count is 3, this config's 2$" "$L" $TINY --init ck/float.ckpt --set data.classes=wave,punch --set layer.dense2.units=2
refused "^qatrain: ck/float\.ckpt: checkpoint is from another model: the same sizes, but other layers" "$L" $TINY --init ck/float.ckpt --set layer.conv2.activation=relu6

echo "data validation: $cases cases passed"
