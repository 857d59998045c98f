/* Compressed sizes, the figure the lessons quote for pruned models. */
#include <stdlib.h>
#include <zlib.h>

#include "qat/io.h"

qat_status qat_gzip_size(const void *data, size_t n, long *size, qat_error *e) {
    z_stream z = {0};
    /* windowBits 15 + 16: a gzip header and trailer, as the gzip tool writes. */
    if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return qat_error_set(e, QAT_ERR_NOMEM, "gzip: out of memory");
    uLong cap = deflateBound(&z, (uLong)n);
    unsigned char *out = malloc(cap);
    int ok = 0;
    if (out) {
        z.next_in = (Bytef *)data;
        z.avail_in = (uInt)n;
        z.next_out = out;
        z.avail_out = (uInt)cap;
        ok = deflate(&z, Z_FINISH) == Z_STREAM_END;
        *size = (long)z.total_out;
    }
    deflateEnd(&z);
    free(out);
    return ok ? QAT_OK : qat_error_set(e, QAT_ERR_NOMEM, "gzip: out of memory");
}
