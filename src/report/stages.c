/* The progressive pipeline's stage table in report.json (report.h qat_report_stages_json). */
#include "qat/json.h"
#include "qat/report.h"

void qat_report_stages_json(struct qat_json *j, const qat_pipeline *p) {
    qat_json_array(j, "stages");
    for (int i = 0; i < p->n_stages; i++) {
        const qat_stage_row *r = &p->stages[i];
        qat_json_object(j, NULL);
        qat_json_str(j, "stage", qat_stage_kind_name(r->kind));
        qat_json_str(j, "file", r->file);
        qat_json_num(j, "float_accuracy", r->float_accuracy);
        qat_json_num(j, "int8_accuracy", r->int8_accuracy);
        qat_json_int(j, "flash_bytes", r->c.flash_bytes);
        qat_json_int(j, "arena_bytes", r->c.arena_bytes);
        qat_json_int(j, "macs", r->c.macs);
        qat_json_int(j, "params", r->c.params);
        qat_json_bool(j, "fits", r->c.fits);
        qat_json_close(j);
    }
    qat_json_close(j);
    qat_json_bool(j, "stopped_early", p->stopped_early);
}
