/* Streaming JSON with two-space indentation. */
#include "qat/json.h"

#include <math.h>

#include "qat/error.h"

static void escaped(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void item(qat_json *j, const char *key) {
    if (j->count[j->depth]++) fputc(',', j->f);
    fprintf(j->f, "\n%*s", 2 * (j->depth + 1), "");
    if (key) {
        escaped(j->f, key);
        fputs(": ", j->f);
    }
}

static void open_container(qat_json *j, const char *key, char open, char close) {
    item(j, key);
    fputc(open, j->f);
    QAT_ASSERT(j->depth + 1 < QAT_JSON_DEPTH);
    j->depth++;
    j->count[j->depth] = 0;
    j->close[j->depth] = close;
}

void qat_json_begin(qat_json *j, FILE *f) {
    j->f = f;
    j->depth = 0;
    j->count[0] = 0;
    j->close[0] = '}';
    fputc('{', f);
}

void qat_json_close(qat_json *j) {
    QAT_ASSERT(j->depth > 0);
    int empty = j->count[j->depth] == 0;
    j->depth--;
    if (!empty) fprintf(j->f, "\n%*s", 2 * (j->depth + 1), "");
    fputc(j->close[j->depth + 1], j->f);
}

void qat_json_end(qat_json *j) {
    QAT_ASSERT(j->depth == 0);
    fputs("\n}\n", j->f);
}

void qat_json_object(qat_json *j, const char *key) {
    open_container(j, key, '{', '}');
}

void qat_json_array(qat_json *j, const char *key) {
    open_container(j, key, '[', ']');
}

void qat_json_str(qat_json *j, const char *key, const char *v) {
    item(j, key);
    escaped(j->f, v);
}

void qat_json_num(qat_json *j, const char *key, double v) {
    item(j, key);
    if (isfinite(v))
        fprintf(j->f, "%.6g", v);
    else
        fputs("null", j->f);
}

void qat_json_int(qat_json *j, const char *key, long v) {
    item(j, key);
    fprintf(j->f, "%ld", v);
}

void qat_json_u64(qat_json *j, const char *key, uint64_t v) {
    item(j, key);
    fprintf(j->f, "%llu", (unsigned long long)v);
}

void qat_json_bool(qat_json *j, const char *key, int v) {
    item(j, key);
    fputs(v ? "true" : "false", j->f);
}
