/* The architecture search in the report (report.h): search.csv (every candidate),
 * search_front.csv (the non-dominated set) and report.json's "search" section. */
#include "qat/json.h"
#include "qat/report.h"

static int on_front(const qat_search_result *r, int i) {
    for (int k = 0; k < r->n_front; k++)
        if (r->front[k] == i) return 1;
    return 0;
}

static double pct(int k, int n) {
    return n ? 100.0 * k / n : 0;
}

static void row(FILE *f, const qat_search_result *r, int i) {
    const qat_candidate *c = &r->all[i];
    fprintf(f, "%d,%s,%ld,%ld,%ld,%ld,%d,%.4f,%.4f,%.6f,%d,%d\n", c->generation + 1, c->text,
            c->cost.params, c->cost.macs, c->cost.flash_bytes, c->cost.arena_bytes, c->epochs_run,
            pct(c->val_float_correct, c->val_n), pct(c->val_int8_correct, c->val_n), c->fitness,
            on_front(r, i), i == r->best);
}

#define HEADER "generation,genome,params,macs,flash_bytes,arena_bytes,epochs,val_float_pct," \
               "val_int8_pct,fitness,on_front,winner\n"

qat_status qat_report_search_csv(const qat_pipeline *p, const char *path, int front_only,
                                 qat_error *e) {
    const qat_search_result *r = &p->search;
    qat_afile a;
    qat_status st = qat_afile_open(&a, path, e);
    if (st) return st;
    fputs(HEADER, a.f);
    int n = front_only ? r->n_front : r->n;
    for (int k = 0; k < n; k++) row(a.f, r, front_only ? r->front[k] : k);
    return qat_afile_commit(&a, e);
}

static void candidate(qat_json *j, const char *key, const qat_candidate *c) {
    qat_json_object(j, key);
    qat_json_str(j, "genome", c->text);
    qat_json_int(j, "generation", c->generation + 1);
    qat_json_int(j, "flash_bytes", c->cost.flash_bytes);
    qat_json_int(j, "arena_bytes", c->cost.arena_bytes);
    qat_json_int(j, "macs", c->cost.macs);
    qat_json_int(j, "params", c->cost.params);
    qat_json_int(j, "epochs", c->epochs_run);
    qat_json_num(j, "val_float_accuracy", c->val_n ? (double)c->val_float_correct / c->val_n : 0);
    qat_json_num(j, "val_int8_accuracy", c->val_n ? (double)c->val_int8_correct / c->val_n : 0);
    qat_json_num(j, "fitness", c->fitness);
    qat_json_close(j);
}

void qat_report_search_json(qat_json *j, const qat_pipeline *p) {
    const qat_search_config *s = &p->cfg.search;
    const qat_search_result *r = &p->search;
    qat_json_object(j, "search");
    qat_json_int(j, "population", s->population);
    qat_json_int(j, "generations", s->generations);
    qat_json_str(j, "fitness", qat_search_fitness_name(s->fitness));
    qat_json_str(j, "accuracy", qat_search_accuracy_name(s->accuracy));
    qat_json_num(j, "accuracy_weight", s->accuracy_weight);
    qat_json_int(j, "epochs", s->epochs);
    qat_json_int(j, "candidates_trained", r->n);
    qat_json_int(j, "rejected_by_target", r->rejected);
    qat_json_array(j, "generation_best_fitness");
    for (int g = 0; g < r->generations_done; g++) qat_json_num(j, NULL, r->gen_fitness[g]);
    qat_json_close(j);
    qat_json_array(j, "generation_best_accuracy");
    for (int g = 0; g < r->generations_done; g++) qat_json_num(j, NULL, r->gen_accuracy[g]);
    qat_json_close(j);
    candidate(j, "winner", &r->all[r->best]);
    qat_json_array(j, "front");
    for (int k = 0; k < r->n_front; k++) candidate(j, NULL, &r->all[r->front[k]]);
    qat_json_close(j);
    qat_json_close(j);
}
