/* The int8 kernel families (int8.h): which this processor runs, and the one chosen. */
#include "qat/int8.h"

#include <stdlib.h>
#include <string.h>
#include <threads.h>

int qat_i8_isa_supported(qat_i8_isa isa) {
    __builtin_cpu_init();
    switch (isa) {
    case QAT_I8_ISA_PORTABLE: return 1;
    case QAT_I8_ISA_AVX2: return __builtin_cpu_supports("avx2");
    case QAT_I8_ISA_AVXVNNI:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("avxvnni");
    case QAT_I8_ISA_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
    default: return 0;
    }
}

static const char *const ISA_NAME[] = {"portable", "avx2", "avxvnni", "avx512"};
_Static_assert(sizeof ISA_NAME / sizeof *ISA_NAME == QAT_I8_ISA_COUNT, "one name per family");

const char *qat_i8_isa_name(qat_i8_isa isa) {
    return (unsigned)isa < QAT_I8_ISA_COUNT ? ISA_NAME[isa] : "?";
}

/* Decided once per process, as the GEMM's kernel (src/gemm/gemm.c): the processor does not
 * change, nor does the environment variable matter after start-up. */
static qat_i8_isa chosen = QAT_I8_ISA_PORTABLE;
static once_flag chosen_once = ONCE_FLAG_INIT;

static void choose(void) {
    qat_i8_isa want = QAT_I8_ISA_AVX512;
    const char *env = getenv("QATRAIN_INT8");
    for (int i = 0; env && i < QAT_I8_ISA_COUNT; i++)
        if (!strcmp(env, ISA_NAME[i])) want = (qat_i8_isa)i;
    while (want > QAT_I8_ISA_PORTABLE && !qat_i8_isa_supported(want))
        want = (qat_i8_isa)(want - 1);
    chosen = want;
}

qat_i8_isa qat_i8_isa_used(void) {
    call_once(&chosen_once, choose);
    return chosen;
}
