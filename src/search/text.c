/* A genome's text form (search.h): "c16k5r c32k3r6b dk3rb | gap d32". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qat/search.h"

static const char OP_LETTER[QAT_SEARCH_OP_COUNT + 1] = "csd";

void qat_genome_format(const qat_genome *g, char *buf, size_t cap) {
    size_t n = 0;
    buf[0] = 0;
    for (int i = 0; i < g->n_blocks && n < cap; i++) {
        const qat_gene_block *b = &g->b[i];
        char f[16] = "";
        if (b->op != QAT_SEARCH_DEPTHWISE) snprintf(f, sizeof f, "%d", b->filters);
        n += (size_t)snprintf(buf + n, cap - n, "%s%c%sk%dr%s%s", i ? " " : "", OP_LETTER[b->op],
                              f, b->kernel, b->act == QAT_ACT_RELU6 ? "6" : "", b->bn ? "b" : "");
    }
    if (n < cap)
        snprintf(buf + n, cap - n, " | %s d%d", g->head == QAT_SEARCH_HEAD_GAP ? "gap" : "flat",
                 g->dense);
}

/* A decimal number in [1, 65536] at *s; advances *s. */
static int number(const char **s, int *v) {
    char *end;
    long x = strtol(*s, &end, 10);
    if (end == *s || x < 0 || x > 65536 || **s == '-' || **s == '+') return 0;
    *v = (int)x;
    *s = end;
    return 1;
}

static int parse_block(const char **s, qat_gene_block *b) {
    const char *p = strchr(OP_LETTER, **s);
    if (!**s || !p) return 0;
    b->op = (int)(p - OP_LETTER);
    (*s)++;
    b->filters = 0;
    if (b->op != QAT_SEARCH_DEPTHWISE && (!number(s, &b->filters) || b->filters < 1)) return 0;
    if (*(*s)++ != 'k' || !number(s, &b->kernel) || b->kernel < 1) return 0;
    if (*(*s)++ != 'r') return 0;
    b->act = **s == '6' ? QAT_ACT_RELU6 : QAT_ACT_RELU;
    if (**s == '6') (*s)++;
    b->bn = **s == 'b';
    if (b->bn) (*s)++;
    return **s == ' ';
}

qat_status qat_genome_parse(const char *text, qat_genome *g, qat_error *e) {
    const char *s = text;
    memset(g, 0, sizeof *g);
    while (*s && *s != '|') {
        if (g->n_blocks == QAT_SEARCH_MAX_BLOCKS || !parse_block(&s, &g->b[g->n_blocks]))
            return qat_error_set(e, QAT_ERR_FORMAT, "'%s': block %d is not a block (e.g. c16k5r, "
                                 "s32k3r6b, dk3r; at most %d)", text, g->n_blocks + 1,
                                 QAT_SEARCH_MAX_BLOCKS);
        g->n_blocks++;
        s++;
    }
    int gap = !strncmp(s, "| gap d", 7), flat = !strncmp(s, "| flat d", 8);
    if (gap || flat) s += gap ? 7 : 8;
    if (!g->n_blocks || (!gap && !flat) || !number(&s, &g->dense) || *s)
        return qat_error_set(e, QAT_ERR_FORMAT, "'%s': not a genome (blocks, then '| gap dN' "
                             "or '| flat dN')", text);
    g->head = gap ? QAT_SEARCH_HEAD_GAP : QAT_SEARCH_HEAD_FLATTEN;
    return QAT_OK;
}
