/* The configs a run writes from its own file, line by line:
 *   mixed_precision.ini (pipeline.h qat_write_mixed_config): each chosen layer's weight_bits
 *     put after its section's `type` line (type must come first; its own weight_bits lines
 *     dropped), [quant]'s auto_* lines dropped;
 *   search_best.ini (qat_write_search_config): [search] and the [layer.*] sections dropped,
 *     the winner's layers written after the rest. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "qat/io.h"
#include "qat/pipeline.h"

/* "[name]" → name (in buf), else "" (not a section header). */
static void section_of(const char *line, char *buf, size_t cap) {
    while (isspace((unsigned char)*line)) line++;
    const char *end = line[0] == '[' ? strchr(line, ']') : NULL;
    snprintf(buf, cap, "%.*s", end ? (int)(end - line - 1) : 0, line + 1);
}

/* The line sets `key` ("key =" after blanks). */
static int sets(const char *line, const char *key) {
    while (isspace((unsigned char)*line)) line++;
    size_t n = strlen(key);
    if (strncmp(line, key, n)) return 0;
    line += n;
    while (*line == ' ' || *line == '\t') line++;
    return *line == '=';
}

/* The chosen bits of layer `name`, or 0 when it has none. */
static int chosen(const qat_pipeline *p, const char *name) {
    const qat_sensitivity *s = p->sensitivity;
    for (int i = 0; i < s->n; i++)
        if (!s->layer[i].depthwise_half && !strcmp(p->cfg.layers[s->layer[i].spec].name, name))
            return p->auto_bits[i];
    return 0;
}

static int dropped(const char *sec, const char *line, int layer_bits) {
    if (layer_bits && sets(line, "weight_bits")) return 1;
    return !strcmp(sec, "quant") && (sets(line, "auto_bits") || sets(line, "auto_budget") ||
                                     sets(line, "auto_weight_bytes"));
}

/* The run's config file open for reading and `path` for writing. */
static qat_status open_both(const qat_pipeline *p, const char *path, FILE **in, qat_afile *a,
                            qat_error *e) {
    qat_status st = qat_input_open(p->cfg.path, 0, in, NULL, e);
    if (st) return st;
    if ((st = qat_afile_open(a, path, e))) fclose(*in);
    return st;
}

/* Closes the config and commits the written file (or aborts it on a read error). */
static qat_status close_both(const qat_pipeline *p, FILE *in, qat_afile *a, qat_error *e) {
    int bad = ferror(in);
    fclose(in);
    if (bad) {
        qat_afile_abort(a);
        return qat_error_set(e, QAT_ERR_IO, "%s: read failed", p->cfg.path);
    }
    return qat_afile_commit(a, e);
}

qat_status qat_write_mixed_config(const qat_pipeline *p, const char *path, qat_error *e) {
    FILE *in;
    qat_afile a;
    qat_status st = open_both(p, path, &in, &a, e);
    if (st) return st;
    fprintf(a.f, "; %s with the weight bits qatrain's automatic mixed precision chose\n"
                 "; ([quant] auto_bits: PTQ accuracy %.2f %% against %.2f %% at 8 bits on the\n"
                 "; %s). Options given on the command line are not in here; relative paths\n"
                 "; resolve against this file's folder.\n",
            p->cfg.path, 100 * p->auto_accuracy, 100 * p->auto_base, p->sensitivity_on);
    char line[4096], sec[256] = "";
    int bits = 0;
    while (fgets(line, sizeof line, in)) {
        char s[256];
        section_of(line, s, sizeof s);
        if (s[0]) {
            snprintf(sec, sizeof sec, "%s", s);
            bits = !strncmp(sec, "layer.", 6) ? chosen(p, sec + 6) : 0;
            fputs(line, a.f);
            continue;
        }
        if (!dropped(sec, line, bits)) fputs(line, a.f);
        if (bits && sets(line, "type")) fprintf(a.f, "weight_bits = %d\n", bits);
    }
    return close_both(p, in, &a, e);
}

qat_status qat_write_search_config(const qat_pipeline *p, const char *path, qat_error *e) {
    FILE *in;
    qat_afile a;
    qat_status st = open_both(p, path, &in, &a, e);
    if (st) return st;
    const qat_candidate *w = &p->search.all[p->search.best];
    fprintf(a.f, "; %s with the architecture qatrain's search chose ([search]: %s;\n"
                 "; validation accuracy float %.2f %%, int8 %.2f %% after %d epochs). Options given on\n"
                 "; the command line are not in here; relative paths resolve against this file's folder.\n",
            p->cfg.path, w->text, 100.0 * w->val_float_correct / w->val_n,
            100.0 * w->val_int8_correct / w->val_n, w->epochs_run);
    char line[4096], sec[256] = "";
    while (fgets(line, sizeof line, in)) {
        char s[256];
        section_of(line, s, sizeof s);
        if (s[0]) snprintf(sec, sizeof sec, "%s", s);
        if (strcmp(sec, "search") && strncmp(sec, "layer.", 6)) fputs(line, a.f);
    }
    fprintf(a.f, "\n; The searched architecture: %s\n", w->text);
    for (int i = 0; i < p->cfg.n_layers; i++) qat_layer_write_ini(a.f, &p->cfg.layers[i]);
    return close_both(p, in, &a, e);
}
