/* Error records: one formatted line per failure, returned to the caller. */
#include "qat/error.h"

#include <stdarg.h>

qat_status qat_error_set(qat_error *e, qat_status status, const char *fmt, ...) {
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
        /* Names and values quoted from input may hold control characters (a lone '\r' in
         * an INI value, a newline in a CSV header): shown as '?', the message stays one
         * line on any terminal. */
        for (char *c = e->msg; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
        e->status = status;
    }
    return status;
}

const char *qat_status_name(qat_status s) {
    static const char *const names[] = {
        [QAT_OK] = "ok",
        [QAT_ERR_IO] = "io error",
        [QAT_ERR_FORMAT] = "format error",
        [QAT_ERR_CONFIG] = "config error",
        [QAT_ERR_DATA] = "data error",
        [QAT_ERR_NOMEM] = "out of memory",
        [QAT_ERR_NUMERIC] = "numeric error",
        [QAT_ERR_INTERRUPTED] = "interrupted",
        [QAT_ERR_UNSUPPORTED] = "unsupported",
    };
    _Static_assert(sizeof names / sizeof names[0] == QAT_STATUS_COUNT, "status names");
    return (unsigned)s < QAT_STATUS_COUNT ? names[s] : "unknown";
}
