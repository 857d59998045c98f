#include "testdata.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

const char *qat_test_data(char *buf, size_t cap, const char *rel) {
    const char *root = getenv("QATRAIN_TEST_DATA");
    if (!root || !*root) root = "../shared";
    int n = snprintf(buf, cap, "%s/%s", root, rel);
    if (n < 0 || (size_t)n >= cap) return NULL;
    return access(buf, F_OK) == 0 ? buf : NULL;
}
