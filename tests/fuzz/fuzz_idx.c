/* Fuzz target: the IDX reader (qat_idx_read), plain and gzip-compressed. The input is a pair
 * of files: its first two bytes (little-endian) are the images file's length, the bytes after
 * that the images file, the rest the labels file (a length past the end gives the labels
 * file nothing). Each pair is read whole and with a limit of 2 (the early stop that leaves a
 * compressed file's tail unread). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "qat/data.h"

static void read_pair(const char *img, const char *lab, int limit) {
    qat_image_set s;
    qat_error e = {0};
    qat_status st = qat_idx_read(img, lab, limit, &s, &e);
    qat_fuzz_check_error(st, &e, NULL);
    if (st) { /* the message names one of the two files; the set is empty */
        if (strncmp(e.msg, img, strlen(img)) != 0 && strncmp(e.msg, lab, strlen(lab)) != 0) abort();
        if (s.u8 || s.f32 || s.labels || s.n) abort();
        return;
    }
    if (s.n < 1 || (limit > 0 && s.n > limit) || s.channels != 1 || !s.u8 || s.f32 ||
        !s.labels || s.height < 1 || s.height > QAT_IMAGE_MAX_SIDE || s.width < 1 ||
        s.width > QAT_IMAGE_MAX_SIDE)
        abort();
    unsigned sum = 0; /* every pixel and label is there to be read (ASan watches) */
    for (size_t i = 0; i < (size_t)s.n * (size_t)s.height * (size_t)s.width; i++) sum += s.u8[i];
    for (int i = 0; i < s.n; i++)
        if (s.labels[i] < 0 || s.labels[i] > 255) abort();
    volatile unsigned sink = sum;
    (void)sink;
    qat_image_set_free(&s);
}

int qat_fuzz_idx(const uint8_t *data, size_t size) {
    size_t split = size >= 2 ? (size_t)(data[0] | data[1] << 8) : 0;
    const uint8_t *body = size >= 2 ? data + 2 : data;
    size_t left = size >= 2 ? size - 2 : size;
    if (split > left) split = left;
    const char *img = qat_fuzz_file_at(0, body, split);
    const char *lab = qat_fuzz_file_at(1, body + split, left - split);
    read_pair(img, lab, 0);
    read_pair(img, lab, 2);
    return 0;
}

QAT_FUZZ_MAIN(idx)
