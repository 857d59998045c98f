/* A private temporary folder for a test program's files (group setup / teardown). */
#ifndef QAT_TEST_TMPDIR_H
#define QAT_TEST_TMPDIR_H

#include <stddef.h>

/* Creates /tmp/qat_test_TAG_XXXXXX into buf; 0 on success. */
int qat_test_mkdtemp(char *buf, size_t cap, const char *tag);
/* Removes it with everything in it; 0 on success. */
int qat_test_rmtree(const char *dir);

#endif
