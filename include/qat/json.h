/* qatrain — a minimal streaming JSON writer (for report.json and other summaries).
 * Numbers are printed with a fixed format, so equal values give equal bytes. */
#ifndef QAT_JSON_H
#define QAT_JSON_H

#include <stdint.h>
#include <stdio.h>

#define QAT_JSON_DEPTH 16

typedef struct qat_json {
    FILE *f;
    int depth;
    int count[QAT_JSON_DEPTH];  /* values written at each depth, for commas */
    char close[QAT_JSON_DEPTH]; /* the closing bracket of each open container */
} qat_json;

void qat_json_begin(qat_json *j, FILE *f); /* opens the top-level object */
void qat_json_end(qat_json *j);            /* closes it, adds a newline */
/* key may be NULL inside arrays. */
void qat_json_object(qat_json *j, const char *key);
void qat_json_array(qat_json *j, const char *key);
void qat_json_close(qat_json *j); /* closes the innermost object or array */
void qat_json_str(qat_json *j, const char *key, const char *v);
void qat_json_num(qat_json *j, const char *key, double v); /* %.6g; non-finite → null */
void qat_json_int(qat_json *j, const char *key, long v);
void qat_json_u64(qat_json *j, const char *key, uint64_t v); /* seeds: all 64 bits */
void qat_json_bool(qat_json *j, const char *key, int v);

#endif
