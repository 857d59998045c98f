/* OpenBLAS kernel choice (see blas.h). */
#include "qat/blas.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

const char *qat_blas_core(void) {
    const char *c = openblas_get_corename();
    return c ? c : "unknown";
}

static int one_of(const char *s, const char *const *list) {
    for (; *list; list++)
        if (strcasecmp(s, *list) == 0) return 1;
    return 0;
}

/* The kernels this CPU deserves, or NULL when OpenBLAS already chose well. */
static const char *better_core(const char *core) {
    static const char *const avx512[] = {"SkylakeX", "Cooperlake", "SapphireRapids", NULL};
    static const char *const pre_avx2[] = {"Prescott", "Core2", "Penryn", "Dunnington",
                                           "Nehalem", "Atom", "Sandybridge", "Katmai",
                                           "Coppermine", "Northwood", "Banias", NULL};
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && !one_of(core, avx512)) return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && one_of(core, pre_avx2)) return "Haswell";
    return NULL;
}

void qat_blas_setup(char *const argv[]) {
    openblas_set_num_threads(1);
    if (getenv("OPENBLAS_CORETYPE") || getenv("QAT_BLAS_REEXEC")) return;
    const char *want = better_core(qat_blas_core());
    if (!want) return;
    setenv("OPENBLAS_CORETYPE", want, 1);
    setenv("OPENBLAS_NUM_THREADS", "1", 0);
    setenv("QAT_BLAS_REEXEC", "1", 1); /* never loop */
    execv("/proc/self/exe", argv);
}
