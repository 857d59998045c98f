/* The external test data (TFLite Micro golden vectors, real recordings) lives outside the
 * repository: in $QATRAIN_TEST_DATA, by default ../shared (tests run from the repository
 * root). A test that needs it and does not find it is skipped, with cmocka's skip(), and
 * counted as skipped by scripts/run-tests.sh — never passed silently. */
#ifndef QAT_TEST_TESTDATA_H
#define QAT_TEST_TESTDATA_H

#include <stddef.h>

/* The path of `rel` inside the test data folder, written into buf; NULL when that path does
 * not exist (or does not fit). */
const char *qat_test_data(char *buf, size_t cap, const char *rel);

/* The same, but when the path does not exist the calling test prints one line
 *   SKIP: <test>: <why> (<path> not found; set QATRAIN_TEST_DATA)
 * and is skipped (cmocka's skip(): does not return). scripts/run-tests.sh shows that line
 * beside the skip it counts. Use QAT_TEST_NEED_DATA, which names the calling test. */
const char *qat_test_need_data(char *buf, size_t cap, const char *rel, const char *why,
                               const char *test);
#define QAT_TEST_NEED_DATA(buf, rel, why) \
    qat_test_need_data((buf), sizeof(buf), (rel), (why), __func__)

#endif
