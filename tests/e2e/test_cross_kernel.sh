# The same config and seed write the same bytes whatever the processor and environment: a
# short lesson (float, PTQ, QAT, pruning, every export, report.html) run with each GEMM
# kernel this processor can execute (QATRAIN_GEMM = scalar | avx2 | avx512; the AVX2 kernel
# is what an AVX2-only Intel or AMD processor runs, and valgrind) and with every value a
# user's environment could give OPENBLAS_CORETYPE (qatrain does not use OpenBLAS: it must
# make no difference) writes byte-identical files, timing.json excepted.
. tests/e2e/lib.inc
ldd "$QATRAIN" | grep -qi openblas && die "qatrain links OpenBLAS: its kernels would decide the bits"
run() { # name, then env assignments
    name=$1; shift
    env "$@" "$QATRAIN" configs/gesture_cnn.ini $SMALL --set prune.sweep=0.5 --out "$TMP/$name" \
        || die "run $name ($*) failed"
}
same() { # reference name, other name
    n=0
    for f in $(ls "$TMP/$1"); do
        [ "$f" = timing.json ] && continue
        cmp -s "$TMP/$1/$f" "$TMP/$2/$f" || die "$f differs between $1 and $2"
        n=$((n + 1))
    done
    [ "$n" -ge 19 ] || die "only $n output files compared"
}
run ref -u OPENBLAS_CORETYPE -u QATRAIN_GEMM
kernels="scalar"
grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo && kernels="$kernels avx2"
grep -qw avx512f /proc/cpuinfo && kernels="$kernels avx512"
for k in $kernels; do
    run "gemm_$k" -u OPENBLAS_CORETYPE QATRAIN_GEMM=$k
    grep -q "\"gemm_kernel\": \"$k\"" "$TMP/gemm_$k/timing.json" || die "QATRAIN_GEMM=$k did not run the $k kernel"
    same ref "gemm_$k"
done
# The int8 engine's kernel families (QATRAIN_INT8) likewise: every int8 evaluation, exported
# test vector and report figure the same bytes as the portable kernels give; and QATRAIN_THREADS=2
# as 1 (a short lesson's test set may fit one thread's block: test_int8_vector checks
# qat_i8_run_batch on 1, 2, 3 and 8 threads).
fams="portable"
grep -qw avx2 /proc/cpuinfo && fams="$fams avx2"
grep -qw avx2 /proc/cpuinfo && grep -qw avx_vnni /proc/cpuinfo && fams="$fams avxvnni"
grep -qw avx512f /proc/cpuinfo && grep -qw avx512bw /proc/cpuinfo && grep -qw avx512vl /proc/cpuinfo &&
    grep -qw avx512_vnni /proc/cpuinfo && fams="$fams avx512"
for k in $fams; do
    run "int8_$k" -u QATRAIN_GEMM -u OPENBLAS_CORETYPE QATRAIN_INT8=$k QATRAIN_THREADS=1
    same ref "int8_$k"
done
run threads_2 -u QATRAIN_GEMM -u OPENBLAS_CORETYPE QATRAIN_THREADS=2
same ref threads_2
cores="Prescott Core2 Nehalem Sandybridge Haswell Zen SkylakeX Cooperlake SapphireRapids"
# The sanitizer build checks the kernels; OPENBLAS_CORETYPE is the plain suite's to vary.
[ "$SANITIZED" = 1 ] && cores="Haswell"
for c in $cores; do
    run "core_$c" -u QATRAIN_GEMM OPENBLAS_CORETYPE=$c
    same ref "core_$c"
done
echo "identical files with GEMM kernels: $kernels; int8 kernels: $fams (1 and 2 threads); and OPENBLAS_CORETYPE = $cores"
exit 0
