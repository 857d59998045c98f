#include "testdata.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

static const char *root(void) {
    const char *r = getenv("QATRAIN_TEST_DATA");
    return r && *r ? r : "../shared";
}

const char *qat_test_data(char *buf, size_t cap, const char *rel) {
    int n = snprintf(buf, cap, "%s/%s", root(), rel);
    if (n < 0 || (size_t)n >= cap) return NULL;
    return access(buf, F_OK) == 0 ? buf : NULL;
}

const char *qat_test_need_data(char *buf, size_t cap, const char *rel, const char *why,
                               const char *test) {
    int n = snprintf(buf, cap, "%s/%s", root(), rel);
    if (n < 0 || (size_t)n >= cap) fail_msg("%s: the path %s/%s is too long", test, root(), rel);
    if (access(buf, F_OK) == 0) return buf;
    printf("SKIP: %s: %s (%s/%s not found; set QATRAIN_TEST_DATA)\n", test, why, root(), rel);
    fflush(stdout);
    skip();
    return NULL; /* not reached */
}
