/* qatrain — file helpers shared by every writer and reader.
 *
 * Every output file is written through qat_afile: the bytes go to "<path>.tmp.<pid>" and
 * are renamed over <path> only by qat_afile_commit, after every write and the close
 * succeeded, so an interrupted or failed run never leaves a half-written file. */
#ifndef QAT_IO_H
#define QAT_IO_H

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
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

/* Whole-file helper built on the above. */
qat_status qat_write_file(const char *path, const void *data, size_t n, qat_error *e);

/* ---- reading ----
 * Every input file is opened through qat_input_open, which never blocks and reads only
 * regular files: it opens with O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC (so a named
 * pipe without a writer, a terminal or a modem line cannot hang the open), then checks
 * what it opened on the open descriptor (fstat, so nothing can be swapped in between):
 * anything but a regular file is refused with "<path>: not a regular file (a named pipe)"
 * (a folder, a character device, a block device, a socket). O_NONBLOCK is then cleared.
 * max_bytes > 0 refuses a larger file ("<path>: N bytes, more than the M bytes expected at
 * most"), before reading any of it.
 * *f is the open file (the caller closes it); *size its size when opened (may be NULL). */
qat_status qat_input_open(const char *path, uint64_t max_bytes, FILE **f, uint64_t *size,
                          qat_error *e);
/* Opens a folder the same way (never blocking, O_DIRECTORY decides): anything else is
 * refused with "<path>: not a folder (a named pipe)". The caller closes *d (closedir). Each
 * file listed in it is then opened with qat_input_open, which applies the rules above. */
qat_status qat_input_opendir(const char *path, DIR **d, qat_error *e);
/* Reads a whole input file (opened as above) into a new buffer, NUL-terminated one byte
 * past its end for text readers (caller frees); *n gets its size. max_bytes as above. */
qat_status qat_read_file_max(const char *path, uint64_t max_bytes, void **data, size_t *n,
                             qat_error *e);
/* qat_read_file_max without a size limit (the file must still fit in memory). */
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
