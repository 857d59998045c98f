/* Atomic output files and small path helpers. */
#include "qat/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

qat_status qat_afile_open(qat_afile *a, const char *path, qat_error *e) {
    memset(a, 0, sizeof *a);
    if (strlen(path) >= sizeof a->path)
        return qat_error_set(e, QAT_ERR_IO, "%s: path too long", path);
    strcpy(a->path, path);
    snprintf(a->tmp, sizeof a->tmp, "%s.tmp.%ld", path, (long)getpid());
    /* never through a link planted at the temporary name: it would write where it points */
    int fd = open(a->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
    a->f = fd < 0 ? NULL : fdopen(fd, "wb");
    if (!a->f && fd >= 0) close(fd);
    if (!a->f)
        return qat_error_set(e, QAT_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    return QAT_OK;
}

qat_status qat_afile_commit(qat_afile *a, qat_error *e) {
    int bad = ferror(a->f) != 0;
    int err = errno;
    if (fclose(a->f) != 0 && !bad) {
        bad = 1;
        err = errno;
    }
    a->f = NULL;
    if (!bad && rename(a->tmp, a->path) != 0) {
        bad = 1;
        err = errno;
    }
    if (bad) {
        unlink(a->tmp);
        return qat_error_set(e, QAT_ERR_IO, "%s: write failed: %s", a->path, strerror(err));
    }
    return QAT_OK;
}

void qat_afile_abort(qat_afile *a) {
    if (a->f) {
        fclose(a->f);
        a->f = NULL;
        unlink(a->tmp);
    }
}

qat_status qat_write_file(const char *path, const void *data, size_t n, qat_error *e) {
    qat_afile a;
    qat_status s = qat_afile_open(&a, path, e);
    if (s) return s;
    if (n && fwrite(data, 1, n, a.f) != n) {
        int err = errno;
        qat_afile_abort(&a);
        return qat_error_set(e, QAT_ERR_IO, "%s: write failed: %s", path, strerror(err));
    }
    return qat_afile_commit(&a, e);
}

qat_status qat_read_file(const char *path, void **data, size_t *n, qat_error *e) {
    *data = NULL;
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return qat_error_set(e, QAT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return qat_error_set(e, QAT_ERR_IO, "%s: not a regular file", path);
    }
    size_t size = (size_t)st.st_size;
    unsigned char *buf = malloc(size + 1); /* +1: room for a terminator for text readers */
    if (!buf) {
        fclose(f);
        return qat_error_set(e, QAT_ERR_NOMEM, "%s: out of memory reading %zu bytes", path, size);
    }
    size_t got = fread(buf, 1, size, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || got != size) {
        free(buf);
        return qat_error_set(e, QAT_ERR_IO, "%s: read failed", path);
    }
    buf[size] = 0;
    *data = buf;
    *n = size;
    return QAT_OK;
}

qat_status qat_mkdir_p(const char *path, qat_error *e) {
    char buf[QAT_PATH_MAX];
    if (!*path) return qat_error_set(e, QAT_ERR_IO, "output folder: empty path");
    if (strlen(path) >= sizeof buf) return qat_error_set(e, QAT_ERR_IO, "%s: path too long", path);
    strcpy(buf, path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == 0) {
            char c = *p;
            *p = 0;
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return qat_error_set(e, QAT_ERR_IO, "%s: cannot create folder: %s", buf,
                                     strerror(errno));
            *p = c;
            if (!c) break;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return qat_error_set(e, QAT_ERR_IO, "%s: not a folder", path);
    if (access(path, W_OK) != 0)
        return qat_error_set(e, QAT_ERR_IO, "%s: folder is not writable: %s", path, strerror(errno));
    return QAT_OK;
}

qat_status qat_path_join(char *dst, size_t cap, const char *dir, const char *name, qat_error *e) {
    int n = (name[0] == '/' || !dir[0] || !strcmp(dir, ".")) ? snprintf(dst, cap, "%s", name)
                                        : snprintf(dst, cap, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= cap)
        return qat_error_set(e, QAT_ERR_IO, "%s/%s: path too long", dir, name);
    return QAT_OK;
}

void qat_path_dir(char *dst, size_t cap, const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(dst, cap, ".");
        return;
    }
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    snprintf(dst, cap, "%.*s", (int)n, path);
}
