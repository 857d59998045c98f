/* Progressive and delayed quantization: which bits and which fake-quant nodes each QAT
 * epoch simulates (quant.h qat_quant_stage), and switching a fake-quant model to a stage. */
#include "qat/quant.h"

/* The schedule's bits at `epoch` (0: no step has started, or no schedule). */
static int scheduled_bits(const qat_bits_schedule *s, int epoch) {
    int bits = 0;
    for (int k = 0; k < s->n && s->epoch[k] <= epoch; k++) bits = s->bits[k];
    return bits;
}

/* Whether the schedule's last step has begun by `epoch` (from it every layer is at its own
 * bits: validation makes the last step's bits at most every layer's). */
static int schedule_done(const qat_bits_schedule *s, int epoch) {
    return s->n == 0 || s->epoch[s->n - 1] <= epoch;
}

int qat_quant_staged(const qat_quant_config *qc) {
    return qc->weight_schedule.n > 0 || qc->act_schedule.n > 0 || qc->weight_start_epoch > 1 ||
           qc->act_start_epoch > 1;
}

int qat_quant_stage_at(const qat_quant_config *qc, int epoch, qat_quant_stage *s) {
    if (epoch <= 0) { /* after training: the exported model */
        *s = (qat_quant_stage){0, 0, 1, 1};
        return 1;
    }
    const qat_bits_schedule *ws = &qc->weight_schedule, *as = &qc->act_schedule;
    int wdone = schedule_done(ws, epoch), adone = schedule_done(as, epoch);
    *s = (qat_quant_stage){wdone ? 0 : scheduled_bits(ws, epoch),
                           adone ? 0 : scheduled_bits(as, epoch), epoch >= qc->weight_start_epoch,
                           epoch >= qc->act_start_epoch};
    return wdone && adone && s->weights_on && s->acts_on;
}

/* A layer's bits in stage bits `b` (0: its own). */
static int stage_bits(int b, int own) {
    return b > own ? b : own;
}

static void set_act(qat_graph *g, int node, int bits, int on) {
    qat_fake_quant_params *q = QAT_NODE_PARAMS(qat_fake_quant_params, &g->nodes[node], QAT_OP_FAKE_QUANT);
    qat_act_range(bits, &q->qmin, &q->qmax);
    q->off = !on;
}

void qat_qmodel_set_stage(qat_qmodel *qm, const qat_quant_stage *s) {
    qat_graph *g = &qm->m.g;
    set_act(g, qm->input_fq, stage_bits(s->act_bits, qm->input_bits), s->acts_on);
    for (int i = 0; i < qm->n_q; i++) {
        const qat_qlayer *q = &qm->q[i];
        if (q->w_fq < 0) continue; /* pools and flattens share their input's node */
        int qmin;
        qat_fq_weight_params *w = QAT_NODE_PARAMS(qat_fq_weight_params, &g->nodes[q->w_fq], QAT_OP_FQ_WEIGHT);
        qat_weight_range(stage_bits(s->weight_bits, q->weight_bits), &qmin, &w->qmax);
        w->off = !s->weights_on;
        set_act(g, q->out_fq, stage_bits(s->act_bits, q->act_bits), s->acts_on);
    }
}

int qat_qmodel_stage_epoch(void *ctx, qat_model *m, int epoch) {
    const qat_qmodel_schedule *sch = ctx;
    QAT_ASSERT(m == &sch->qm->m);
    qat_quant_stage s;
    int final = qat_quant_stage_at(sch->qc, epoch, &s);
    qat_qmodel_set_stage(sch->qm, &s);
    return final;
}

void qat_quant_stage_bits(const qat_quant_config *qc, int epoch, int *weight_bits, int *act_bits) {
    qat_quant_stage s;
    qat_quant_stage_at(qc, epoch, &s);
    *weight_bits = !s.weights_on ? 32 : s.weight_bits ? s.weight_bits : qc->weight_bits;
    *act_bits = !s.acts_on ? 32 : s.act_bits ? s.act_bits : qc->act_bits;
}
