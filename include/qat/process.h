/* qatrain — running an external program (report.html's plots run gnuplot with it).
 *
 * qat_process_run starts argv[0] (a path: qat_process_find looks a name up on PATH) in the
 * folder `dir`, writes `in` to its standard input and closes it, collects its standard output
 * and standard error, and waits for it at most timeout_ms; past that it kills the program
 * and every process it started (they share a process group of their own). Whatever the
 * program does is an outcome in the result, not an error: the status is an error only when
 * memory ran out or no pipe or process could be made. Never prints; SIGPIPE is ignored while
 * it writes `in` (a program may exit without reading it). */
#ifndef QAT_PROCESS_H
#define QAT_PROCESS_H

#include <stddef.h>

#include "qat/error.h"

typedef enum qat_process_outcome {
    QAT_PROCESS_EXITED,      /* it ran and exited: exit_status */
    QAT_PROCESS_SIGNALED,    /* it was killed by a signal it did not get from us: signal */
    QAT_PROCESS_TIMED_OUT,   /* it outlived timeout_ms and was killed */
    QAT_PROCESS_NOT_STARTED, /* chdir or exec failed (a missing program): start_errno */
    QAT_PROCESS_OUTCOME_COUNT
} qat_process_outcome;

typedef struct qat_process_result {
    qat_process_outcome outcome;
    int exit_status; /* EXITED: 0..255 */
    int signal;      /* SIGNALED: the signal's number */
    int start_errno; /* NOT_STARTED: why (errno of chdir or execv) */
    char *out;       /* its standard output, NUL-terminated (owned: qat_process_result_free) */
    size_t out_len;
    char *err;       /* its standard error, NUL-terminated (owned) */
    size_t err_len;
} qat_process_result;

/* argv ends with NULL; dir NULL runs it in the current folder; in may be NULL when in_len
 * is 0. *r is filled on QAT_OK (free it with qat_process_result_free), zeroed otherwise. */
qat_status qat_process_run(const char *const argv[], const char *dir, const void *in, size_t in_len,
                           int timeout_ms, qat_process_result *r, qat_error *e);
void qat_process_result_free(qat_process_result *r);

/* The last line of text that is not blank nor only carets (a program's error message),
 * trimmed of leading blanks, into line (cap bytes); "" when there is none. */
void qat_process_last_line(const char *text, char *line, size_t cap);

/* name as an absolute path to an executable regular file (caller frees), or NULL: a name with
 * a '/' is taken as a path (relative to the current folder), another is looked up in $PATH
 * (/usr/bin:/bin when unset). *nomem is set when NULL is for want of memory. */
char *qat_process_find(const char *name, int *nomem);

#endif
