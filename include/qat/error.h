/* qatrain — error reporting.
 *
 * Recoverable failures (I/O, config, data) are returned, never printed: a function that
 * can fail takes a `qat_error *` last and returns a qat_status. The message is one line,
 * starting with the file (and line or key where there is one), ready for the CLI to print
 * as is. Broken internal invariants are programming errors: QAT_ASSERT aborts loudly. */
#ifndef QAT_ERROR_H
#define QAT_ERROR_H

#include <stdio.h>
#include <stdlib.h>

typedef enum qat_status {
    QAT_OK = 0,
    QAT_ERR_IO,      /* a file could not be opened, read or written */
    QAT_ERR_FORMAT,  /* a file's content is malformed (npy, csv, checkpoint, ini syntax) */
    QAT_ERR_CONFIG,  /* a config key is unknown, missing or out of range */
    QAT_ERR_DATA,    /* data is unusable: NaN, empty class, wrong shape */
    QAT_ERR_NOMEM,   /* an allocation failed */
    QAT_ERR_NUMERIC, /* training diverged: loss NaN/Inf */
    QAT_ERR_INTERRUPTED, /* stopped on request (a signal) after saving its state */
    QAT_ERR_UNSUPPORTED, /* a valid input outside what this part handles (a float model given
                            to the int8 engine) */
    QAT_STATUS_COUNT
} qat_status;

#define QAT_ERROR_MAX 512

typedef struct qat_error {
    qat_status status;       /* QAT_OK when nothing failed */
    char msg[QAT_ERROR_MAX]; /* one line, no trailing newline */
} qat_error;

/* Records status and a printf-style message in `e` (which may be NULL); returns status,
 * so callers write `return qat_error_set(e, QAT_ERR_IO, "%s: ...", path);`. */
qat_status qat_error_set(qat_error *e, qat_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Short name of a status, e.g. "io error". */
const char *qat_status_name(qat_status s);

#define QAT_ASSERT(cond)                                                               \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "%s:%d: internal error: assertion '%s' failed\n", __FILE__,\
                    __LINE__, #cond);                                                  \
            abort();                                                                   \
        }                                                                              \
    } while (0)

#endif
