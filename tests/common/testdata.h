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

#endif
