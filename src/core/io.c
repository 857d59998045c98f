/* Atomic output files, the one way input files are opened, and small path helpers. */
#include "qat/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
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

/* What a file that is not a regular file is, for the message. */
static const char *file_kind(mode_t m) {
    if (S_ISDIR(m)) return "a folder";
    if (S_ISFIFO(m)) return "a named pipe";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISSOCK(m)) return "a socket";
    return "an unusual kind of file";
}

qat_status qat_input_open(const char *path, uint64_t max_bytes, FILE **f, uint64_t *size,
                          qat_error *e) {
    *f = NULL;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return qat_error_set(e, QAT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    qat_status s = QAT_OK;
    if (fstat(fd, &st) != 0)
        s = qat_error_set(e, QAT_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        s = qat_error_set(e, QAT_ERR_IO, "%s: not a regular file (%s)", path,
                          file_kind(st.st_mode));
    else if (max_bytes && (uint64_t)st.st_size > max_bytes)
        s = qat_error_set(e, QAT_ERR_FORMAT, "%s: %llu bytes, more than the %llu bytes "
                          "expected at most for this input", path,
                          (unsigned long long)st.st_size, (unsigned long long)max_bytes);
    int flags = s ? 0 : fcntl(fd, F_GETFL);
    if (!s && (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0))
        s = qat_error_set(e, QAT_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
    if (!s && !(*f = fdopen(fd, "rb")))
        s = qat_error_set(e, errno == ENOMEM ? QAT_ERR_NOMEM : QAT_ERR_IO, "%s: cannot read: %s",
                          path, strerror(errno));
    if (s) {
        close(fd);
        return s;
    }
    if (size) *size = (uint64_t)st.st_size;
    return QAT_OK;
}

qat_status qat_input_opendir(const char *path, DIR **d, qat_error *e) {
    *d = NULL;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_DIRECTORY);
    if (fd < 0) {
        int err = errno;
        struct stat st; /* only to say what it is: open has refused it already */
        if (err == ENOTDIR && stat(path, &st) == 0)
            return qat_error_set(e, QAT_ERR_IO, "%s: not a folder (%s)", path,
                                 S_ISREG(st.st_mode) ? "a file" : file_kind(st.st_mode));
        return qat_error_set(e, QAT_ERR_IO, "%s: cannot open: %s", path, strerror(err));
    }
    if (!(*d = fdopendir(fd))) {
        int err = errno;
        close(fd);
        return qat_error_set(e, err == ENOMEM ? QAT_ERR_NOMEM : QAT_ERR_IO, "%s: cannot list: %s",
                             path, strerror(err));
    }
    return QAT_OK;
}

qat_status qat_read_file_max(const char *path, uint64_t max_bytes, void **data, size_t *n,
                             qat_error *e) {
    *data = NULL;
    *n = 0;
    FILE *f;
    uint64_t size64;
    qat_status s = qat_input_open(path, max_bytes, &f, &size64, e);
    if (s) return s;
    if (size64 >= SIZE_MAX) {
        fclose(f);
        return qat_error_set(e, QAT_ERR_NOMEM, "%s: too large to read (%llu bytes)", path,
                             (unsigned long long)size64);
    }
    size_t size = (size_t)size64;
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
        return qat_error_set(e, QAT_ERR_IO, "%s: read failed%s", path,
                             bad ? "" : " (the file shrank while being read)");
    }
    buf[size] = 0;
    *data = buf;
    *n = size;
    return QAT_OK;
}

qat_status qat_read_file(const char *path, void **data, size_t *n, qat_error *e) {
    return qat_read_file_max(path, 0, data, n, e);
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
