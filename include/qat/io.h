/* qatrain — file helpers shared by every writer and reader.
 *
 * Every output file is written through qat_afile: the bytes go to "<path>.tmp.<pid>" and
 * are renamed over <path> only by qat_afile_commit, after every write and the close
 * succeeded, so an interrupted or failed run never leaves a half-written file. */
#ifndef QAT_IO_H
#define QAT_IO_H

#include <stddef.h>
#include <stdio.h>

#include "qat/error.h"

#define QAT_PATH_MAX 512

typedef struct qat_afile {
    FILE *f;                      /* write here */
    char path[QAT_PATH_MAX];      /* final name */
    char tmp[QAT_PATH_MAX + 32];  /* temporary name, renamed on commit */
} qat_afile;

qat_status qat_afile_open(qat_afile *a, const char *path, qat_error *e);
/* Flushes, closes and renames; on any failure removes the temporary file. */
qat_status qat_afile_commit(qat_afile *a, qat_error *e);
/* Closes and removes the temporary file; safe on a never-opened (zeroed) qat_afile. */
void qat_afile_abort(qat_afile *a);

/* Whole-file helpers built on the above. */
qat_status qat_write_file(const char *path, const void *data, size_t n, qat_error *e);
/* Reads a whole file into a new buffer (caller frees); *n gets its size. */
qat_status qat_read_file(const char *path, void **data, size_t *n, qat_error *e);

/* Size of data compressed as `gzip -9` would (zlib deflate, gzip wrapper). */
qat_status qat_gzip_size(const void *data, size_t n, long *size, qat_error *e);

/* Creates a directory and its parents (like mkdir -p); checks it is writable. */
qat_status qat_mkdir_p(const char *path, qat_error *e);
/* dst = dir + "/" + name, or name alone when name is absolute or dir is empty. */
qat_status qat_path_join(char *dst, size_t cap, const char *dir, const char *name, qat_error *e);
/* Copies the directory part of path ("." when none) into dst. */
void qat_path_dir(char *dst, size_t cap, const char *path);

#endif
