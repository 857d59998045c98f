/* Helpers shared by the fuzz targets: the input as a file, and the error-message check. */
#define _GNU_SOURCE /* memfd_create */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

static int fuzz_fd = -1;
static char fuzz_path[64];
static char fuzz_tmp[64]; /* the fallback temporary file, removed at exit */

static void remove_tmp(void) {
    if (fuzz_tmp[0]) unlink(fuzz_tmp);
}

static void open_file(void) {
    fuzz_fd = memfd_create("qat-fuzz", 0);
    if (fuzz_fd >= 0) {
        snprintf(fuzz_path, sizeof fuzz_path, "/proc/self/fd/%d", fuzz_fd);
        if (access(fuzz_path, R_OK) == 0) return;
        close(fuzz_fd);
    }
    const char *dir = getenv("TMPDIR");
    snprintf(fuzz_tmp, sizeof fuzz_tmp, "%s/qat-fuzz-XXXXXX", dir && *dir ? dir : "/tmp");
    fuzz_fd = mkstemp(fuzz_tmp);
    if (fuzz_fd < 0) {
        fprintf(stderr, "fuzz: cannot create a temporary file: %s\n", strerror(errno));
        abort();
    }
    atexit(remove_tmp);
    snprintf(fuzz_path, sizeof fuzz_path, "%s", fuzz_tmp);
}

const char *qat_fuzz_file(const uint8_t *data, size_t size) {
    if (fuzz_fd < 0) open_file();
    if (ftruncate(fuzz_fd, 0) != 0) abort();
    for (size_t done = 0; done < size;) {
        ssize_t n = pwrite(fuzz_fd, data + done, size - done, (off_t)done);
        if (n <= 0) abort();
        done += (size_t)n;
    }
    return fuzz_path;
}

void qat_fuzz_check_error(qat_status st, const qat_error *e, const char *prefix) {
    if (st == QAT_OK) return;
    const char *why = NULL;
    if (e->status != st) why = "e->status differs from the status returned";
    else if (!e->msg[0]) why = "empty message";
    else if (strchr(e->msg, '\n')) why = "message is not one line";
    else if (prefix && strncmp(e->msg, prefix, strlen(prefix)) != 0)
        why = "message does not start with the file name";
    if (!why) return;
    fprintf(stderr, "fuzz: bad error report (%s): status %d/%d, message '%s'\n", why, (int)st,
            (int)e->status, e->msg);
    abort();
}
