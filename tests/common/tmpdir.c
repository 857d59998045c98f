#include "tmpdir.h"

#include <stdio.h>
#include <stdlib.h>

int qat_test_mkdtemp(char *buf, size_t cap, const char *tag) {
    snprintf(buf, cap, "/tmp/qat_test_%s_XXXXXX", tag);
    return mkdtemp(buf) ? 0 : -1;
}

int qat_test_rmtree(const char *dir) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}
