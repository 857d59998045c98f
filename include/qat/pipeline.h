/* qatrain — the whole job a config describes, as stages the CLI calls in order:
 *   qat_pipeline_data   load or generate, split (stratified, seeded), fit normalisation on
 *                       the training split, apply it to every split
 *   qat_pipeline_build  build and initialise the model
 *   qat_pipeline_train  train the float model, evaluate it on the test split
 *   qat_pipeline_quantize  PTQ (calibrate on a stratified subset of the training split),
 *                       QAT fine-tuning, both lowered to the int8 IR and evaluated with
 *                       the integer engine; the dynamic-range model simulated in float
 *   qat_pipeline_write  history.csv, report.json, float.ckpt, timing.json in cfg->out_dir
 * Every output file but timing.json is a deterministic function of config and seed. */
#ifndef QAT_PIPELINE_H
#define QAT_PIPELINE_H

#include "qat/config.h"
#include "qat/diagnose.h"
#include "qat/model.h"
#include "qat/prune.h"
#include "qat/quant.h"
#include "qat/train.h"

/* The comparison table's columns, in the lesson's order. */
typedef enum qat_variant {
    QAT_VARIANT_FLOAT32,
    QAT_VARIANT_DYNAMIC_RANGE,
    QAT_VARIANT_INT8_PTQ,
    QAT_VARIANT_INT8_QAT,
    QAT_VARIANT_INT8_PRUNED, /* QAT of the pruned model */
    QAT_VARIANT_COUNT
} qat_variant;

/* The stages whose wall time timing.json reports (phase_seconds), in run order. */
typedef enum qat_stage {
    QAT_STAGE_DATA,     /* load, split, validate, normalise; build and initialise the model */
    QAT_STAGE_FLOAT,    /* float training and its evaluation */
    QAT_STAGE_QUANTIZE, /* calibration, PTQ, QAT, lowering, int8 evaluation, SQNR */
    QAT_STAGE_PRUNE,    /* pruning, the pruned model's QAT, the sparsity sweep */
    QAT_STAGE_MEASURE,  /* latency measurements */
    QAT_STAGE_EXPORT,   /* every .tflite, the C arrays and the test files */
    QAT_STAGE_COUNT
} qat_stage;

const char *qat_stage_name(qat_stage s);

/* A model exported with uint8 input and output ([quant] uint8_io): the int8 graph of the QAT
 * or the PTQ model between QUANTIZE uint8 → int8 and QUANTIZE int8 → uint8. */
typedef enum qat_uint8_model {
    QAT_UINT8_QAT, /* model_uint8_io.tflite */
    QAT_UINT8_PTQ, /* model_ptq_uint8_io.tflite */
    QAT_UINT8_COUNT
} qat_uint8_model;

typedef struct qat_uint8_export {
    double accuracy;        /* int8 engine, test split (the int8-I/O model's: the shift is exact) */
    long tflite_bytes;      /* the file */
    long gzip_bytes;        /* ... compressed with gzip -9 */
} qat_uint8_export;

/* Its files' stem: "uint8_io", "ptq_uint8_io" (model_<stem>.tflite, test_inputs_<stem>.npy,
 * test_outputs_<stem>.npy). */
const char *qat_uint8_model_stem(qat_uint8_model m);

/* One pruned-and-QAT-trained model: what the sparsity sweep reports. */
typedef struct qat_prune_result {
    double target;          /* final sparsity asked for */
    double sparsity;        /* measured over the pruned kernels' masks */
    double float_accuracy;  /* after pruning, before QAT */
    double accuracy;        /* int8 QAT of the pruned model, integer engine, test split */
    long tflite_bytes;      /* its int8 .tflite */
    long gzip_bytes;        /* ... compressed with gzip -9 */
    long extra_zeros;       /* kept weights that round to int8 0 (reported, not an error) */
    long lost_zeros;        /* pruned weights that are not 0 in the int8 file: must be 0 */
} qat_prune_result;

#define QAT_MAX_PHASES (4 + 2 * QAT_MAX_SWEEP)

/* A finished training phase (float, QAT, pruning, pruned QAT, sweep points), kept so an
 * interrupted run can be resumed without training it again. */
typedef struct qat_phase_record {
    size_t n_params, n_state;
    float *params, *state;     /* the model after the phase */
    int epochs;
    qat_epoch_stats *history;  /* epochs entries */
    qat_train_log log;         /* counters (history pointer unused) */
} qat_phase_record;

/* The progressive pipeline's stages (the advanced chapter's ProgressiveOptimizationPipeline):
 * the architecture (the search's winner or the config's layers; float and int8 PTQ), QAT,
 * pruning with its QAT (distilled when [distill] teaches the QAT stage). */
typedef enum qat_stage_kind {
    QAT_PSTAGE_ARCHITECTURE,
    QAT_PSTAGE_QAT,
    QAT_PSTAGE_PRUNING,
    QAT_STAGE_ROWS
} qat_stage_kind;

typedef struct qat_stage_row {
    qat_stage_kind kind;
    const char *file;       /* its int8 model's file */
    double float_accuracy;  /* test split: the float model of the stage */
    double int8_accuracy;   /* test split, the integer engine */
    qat_target_check c;     /* flash, arena, MACs, parameters; fits the target (or no target) */
} qat_stage_row;

const char *qat_stage_kind_name(qat_stage_kind k);

/* The files a run reads besides its config text — every data file (each .npy of the class
 * folders, each CSV), the [prune] masks file, the --init checkpoint — each with its size and
 * content hash (hash.h), so that --resume can tell an input changed since the interruption. */
typedef enum qat_input_role {
    QAT_INPUT_DATA_NPY, /* name relative to [data] dir: <class>/<file>.npy */
    QAT_INPUT_DATA_CSV, /* relative to the config's folder (when inside it) */
    QAT_INPUT_MASKS,    /* likewise */
    QAT_INPUT_INIT,     /* the --init path as given */
    QAT_INPUT_DATA_IMAGES, /* source = idx / npy_images: each image or label file, as resolved */
    QAT_INPUT_INDEX,    /* [data] train_index / val_index / test_index, as resolved */
    QAT_INPUT_TEACHER,  /* [distill] teacher config and teacher_checkpoint, as resolved */
    QAT_INPUT_ROLE_COUNT
} qat_input_role;

typedef struct qat_input_file {
    qat_input_role role;
    char *name;    /* owned */
    uint64_t size; /* bytes */
    uint64_t hash; /* qat_hash64 of the contents (chained over 16 KiB blocks) */
} qat_input_file;

typedef struct qat_inputs {
    int n, cap;
    qat_input_file *files; /* in the order the run reads them */
} qat_inputs;

/* Digests every input of the run cfg describes (init: the --init checkpoint, or NULL). A file
 * that cannot be opened (io.h: qat_input_open) is an error here, naming it, so that a bad
 * masks file or --init fails the run before training, not after. A class folder that cannot
 * be listed adds nothing: loading the data, next, reports it. */
qat_status qat_inputs_digest(const qat_config *cfg, const char *init, qat_inputs *out,
                             qat_error *e);
/* QAT_OK when the inputs are those `saved` recorded; else QAT_ERR_FORMAT naming the first
 * file that changed, was added or was removed (paths resolved against cfg). */
qat_status qat_inputs_compare(const qat_inputs *saved, const qat_inputs *now,
                              const qat_config *cfg, qat_error *e);
void qat_inputs_free(qat_inputs *in);

/* What resume.ckpt holds: the finished phases and the state of the interrupted one. */
typedef struct qat_resume {
    uint64_t run_id;           /* the run it belongs to */
    qat_inputs inputs;         /* what its input files were */
    int n_done;
    qat_phase_record done[QAT_MAX_PHASES];
    qat_train_snapshot current;
} qat_resume;

typedef struct qat_pipeline {
    qat_config cfg;
    qat_dataset train, val, test; /* normalised; each owns its samples. val is empty when
                                     cfg val_split = 0: training then validates on test, as
                                     the lesson does (qat_pipeline_val) */
    int val_is_test;              /* cfg val_split = 0 */
    float *test_raw;              /* the test split's samples before normalisation (as test.x) */
    int *rows[3];                 /* per qat_part (train, val, test): row numbers in the loaded
                                     data (NULL: not from it — val when it is the test split,
                                     test from the data set's own test file) */
    int n_rows[3];
    double stage_seconds[QAT_STAGE_COUNT]; /* wall time of each stage (the CLI times them) */
    int source_counts[QAT_MAX_SOURCES][3]; /* samples of each source in each part */
    qat_model model;
    int model_built;
    qat_epoch_stats *history;     /* cfg.train.epochs entries */
    qat_train_log log;
    double test_loss, test_accuracy;
    const char *gemm_kernel;      /* the GEMM kernel in use (gemm.h), for timing.json */

    /* quantization (when cfg.quant.enabled) */
    int quantized;
    qat_dataset calib;            /* representative subset of the training split */
    qat_qmodel qm;                /* the fake-quant model (PTQ-calibrated, then QAT-trained) */
    int qm_built;
    qat_ir ir_ptq, ir_qat;        /* int8 I/O */
    qat_epoch_stats *qat_history; /* cfg.quant.epochs entries */
    qat_train_log qat_log;
    double dr_accuracy, ptq_accuracy, qat_accuracy; /* test accuracy */
    double fp16_accuracy;         /* the float16 model (weights rounded to half), in float */
    long fp16_tflite_bytes, fp16_gzip_bytes;
    double qat_sim_accuracy;      /* the fake-quant graph's own test accuracy */
    int sim_disagreements;        /* test samples where fake-quant and int8 engine differ */
    qat_diagnosis diag_qat;       /* QAT diagnostics of the trained fake-quant model */
    size_t arena_ptq, arena_qat;  /* int8 engine memory plans */
    int bias_corrected;           /* operators whose bias PTQ corrected ([quant] bias_correction) */
    qat_sensitivity *sensitivity; /* [quant] sensitivity: per layer (owned), or NULL */
    const char *sensitivity_on;   /* "validation split" or "calibration set" */
    int auto_bits[QAT_MAX_LAYERS]; /* [quant] auto_bits: per sensitivity-table layer */
    double auto_accuracy, auto_base; /* the chosen bits' and all-8-bit's PTQ accuracy there */
    int n_sqnr;                   /* per-tensor quantization error on the calibration set */
    qat_tensor_sqnr sqnr_ptq[QAT_MAX_LAYERS + 1], sqnr_qat[QAT_MAX_LAYERS + 1];
    double latency_us[QAT_VARIANT_COUNT];   /* per inference (filled by _measure) */
    long tflite_bytes[QAT_VARIANT_COUNT];   /* exported file sizes (filled by _export) */
    long gzip_bytes[QAT_VARIANT_COUNT];     /* gzip -9 of those files */
    qat_uint8_export uint8_io[QAT_UINT8_COUNT]; /* filled by _export when cfg.quant.uint8_io */

    /* pruning (when cfg.prune.enabled): the lesson's last step */
    int pruned;
    qat_prune_result prune_main;  /* the configured final sparsity */
    int n_sweep;
    qat_prune_result sweep[QAT_MAX_SWEEP];
    qat_model pmodel;             /* the pruned float model, with its masks */
    qat_qmodel pqm;               /* its QAT, masks preserved */
    int pmodel_built, pqm_built;

    /* knowledge distillation ([distill] teacher = a config): its float model */
    qat_model teacher;
    int teacher_built;
    qat_ir ir_pruned;             /* int8 I/O */
    size_t arena_pruned;          /* its engine memory plan */
    qat_diagnosis diag_pqat;      /* QAT diagnostics of its fake-quant model */
    qat_epoch_stats *prune_history, *pqat_history;
    qat_train_log prune_log, pqat_log;

    /* the progressive pipeline's stage table: each optimisation stage's int8 model against
     * [target] (qat_pipeline_stage) */
    int n_stages;
    qat_stage_row stages[QAT_STAGE_ROWS];
    int stopped_early;            /* [target] stop_when_met: pruning skipped, the QAT model fit */

    /* architecture search ([search]) */
    qat_search_result search;
    int searched;                 /* the search ran to its end: cfg.layers are its winner's */
    double search_seconds;

    int n_warnings;
    char warnings[4][512];        /* one line each, for the CLI to print */

    /* interruption and resume */
    const volatile sig_atomic_t *stop; /* the caller's flag: stop after the current step */
    uint64_t run_id;                   /* the caller's identity of the run (config and options) */
    qat_inputs inputs;                 /* the caller's digest of its input files (owned) */
    const qat_resume *resume_from;     /* a loaded resume.ckpt to continue, or NULL */
    int phase;                         /* training phases started so far */
    qat_resume state;                  /* finished phases and, once interrupted, the current */
    int interrupted;
} qat_pipeline;

/* The description written into every exported .tflite ("qatrain VERSION: CONFIG"). */
void qat_pipeline_describe(const qat_pipeline *p, char *buf, size_t cap);

/* Takes a validated config (copied). */
void qat_pipeline_init(qat_pipeline *p, const qat_config *cfg);
void qat_pipeline_free(qat_pipeline *p);

qat_status qat_pipeline_data(qat_pipeline *p, qat_error *e);
/* The split training validates on: &p->val, or &p->test when val_is_test (borrowed). */
const qat_dataset *qat_pipeline_val(const qat_pipeline *p);
/* [quant] auto_bits: the run's config file as written, with the chosen weight_bits in its
 * [layer.*] sections and the auto_* keys dropped, to `path` (src/pipeline/mixed_config.c). */
qat_status qat_write_mixed_config(const qat_pipeline *p, const char *path, qat_error *e);
/* The representative set (p->calib): a seeded, stratified subset of the training split —
 * never the test split — with the lessons' warnings; once per run (the search and PTQ share
 * it). */
qat_status qat_pipeline_calibration(qat_pipeline *p, qat_error *e);
/* [search]: the architecture search on the loaded data (search.h), candidates trained on
 * [search] workers threads, or — jobs_dir not NULL — as job folders there (src/search/jobs.c;
 * job_command: the command line that evaluates one, the folder appended). The winner's
 * layers replace p->cfg's; p->search.pending > 0 when job folders still have to run. */
qat_status qat_pipeline_search(qat_pipeline *p, const char *jobs_dir, const char *job_command,
                               qat_error *e);
/* Evaluates the one candidate of job folder `dir` (its genome.txt) and writes its
 * result.txt there (the job path's worker side). */
qat_status qat_pipeline_search_job(qat_pipeline *p, const char *dir, qat_error *e);
/* [search]: the run's config file as written, without [search] and with the winner's
 * [layer.*] sections instead of its own (src/pipeline/search_config.c). */
qat_status qat_write_search_config(const qat_pipeline *p, const char *path, qat_error *e);
qat_status qat_pipeline_build(qat_pipeline *p, qat_error *e);
/* Appends the stage table's row of a finished stage (src/pipeline/stages.c). */
qat_status qat_pipeline_stage(qat_pipeline *p, qat_stage_kind k, qat_error *e);
/* [target] stop_when_met and the last stage's int8 model fits: no further stage runs. */
int qat_pipeline_target_met(const qat_pipeline *p);
qat_status qat_pipeline_train(qat_pipeline *p, qat_progress_fn progress, void *ctx, qat_error *e);
/* Instead of training: the float model from a checkpoint (float.ckpt of an earlier run with
 * the same layers and data), evaluated on the test split. Another model's checkpoint, or
 * one trained on other data, is a QAT_ERR_FORMAT naming the file. */
qat_status qat_pipeline_load_float(qat_pipeline *p, const char *path, qat_error *e);
qat_status qat_pipeline_quantize(qat_pipeline *p, qat_progress_fn progress, void *ctx,
                                 qat_error *e);
/* Prunes a copy of the float model on the configured schedule, QAT-trains it with its
 * masks and lowers it (the main pruned model), then runs the sweep's other sparsities the
 * same way (sizes and accuracy only). */
qat_status qat_pipeline_prune(qat_pipeline *p, qat_progress_fn progress, void *ctx,
                              qat_error *e);
/* After QAT_ERR_INTERRUPTED: writes p->state (tagged with p->run_id and p->inputs) to path,
 * atomically. */
qat_status qat_resume_write(const qat_pipeline *p, const char *path, qat_error *e);
/* Reads a resume file written by the run `run_id` (else QAT_ERR_FORMAT). */
qat_status qat_resume_read(qat_resume *r, const char *path, uint64_t run_id, qat_error *e);
void qat_resume_free(qat_resume *r);

/* Host latency per single-sample inference of each variant (median of repeats). */
qat_status qat_pipeline_measure(qat_pipeline *p, qat_error *e);
/* model_float32 / _dynamic_range / _float16 .tflite; when quantized also model_int8.tflite
 * (QAT, int8 I/O: the file for TFLite Micro), model_int8_float_io.tflite, model_ptq_int8.tflite,
 * the firmware files model_int8.{h,c} and model_int8_info.h, and the verification .npy files
 * (test_inputs_float, test_inputs_int8, test_labels, test_outputs_int8, test_outputs_float32);
 * with [quant] uint8_io also model_uint8_io.tflite and model_ptq_uint8_io.tflite (uint8 input
 * and output), their test_inputs_ / test_outputs_<stem>.npy (uint8) and the firmware files
 * model_uint8_io.{h,c} and model_uint8_io_info.h. */
qat_status qat_pipeline_export(qat_pipeline *p, qat_error *e);
qat_status qat_pipeline_write(const qat_pipeline *p, qat_error *e);

#endif
