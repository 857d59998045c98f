/* qatrain — the run configuration: an INI file parsed with libinih into validated structs.
 *
 *   [run]            seed, out
 *   [data]           source, classes, window, channels, rate_hz, test_split, normalize,
 *                    samples_per_class (builtin), dir (npy),
 *                    csv_rate_hz, csv_gesture_rows, csv_columns (csv)
 *                    units, cross_validate, split_seed, train_index, val_index, test_index
 *   [files]          csv only: <class> = path[, path ...], relative to the config's folder
 *   [source.NAME]    csv only: one source of recordings: use, csv_rate_hz, csv_gesture_rows,
 *                    csv_columns, units, and <class> = path[, path ...] ([files] is the
 *                    source named "files")
 *   [augment]        rotate_deg, scale, time_warp, shift, noise, bias (training only)
 *   [layer.NAME]     type = conv1d | dense | batchnorm | relu | relu6 | maxpool1d |
 *                    flatten | dropout, and that type's keys; in file order
 *   [train]          optimizer, lr, beta1, beta2, epsilon, momentum, nesterov, epochs, batch,
 *                    val_split, monitor, plateau_patience, plateau_factor, min_lr,
 *                    early_stop_patience, restore_best
 *   [quant]          enabled, calib_samples, ptq_observer (minmax | ema | percentile |
 *                    mse | kl), qat_observer (minmax | ema | percentile), ema_decay, ema_warmup, percentile, per_channel_conv,
 *                    per_channel_dense, weight_bits, act_bits, epochs, lr, batch,
 *                    observer_freeze_epoch, bn_freeze_epoch, uint8_io (also the models
 *                    with uint8 input and output), weight_bits_schedule / act_bits_schedule
 *                    (EPOCH:BITS, ... over QAT epochs), weight_quant_start_epoch,
 *                    act_quant_start_epoch (progressive / delayed quantization),
 *                    act_quantizer (observer | lsq | pact), weight_quantizer (max | lsq),
 *                    weight_calibration (max | mse), bias_correction, sensitivity,
 *                    auto_bits (none | accuracy | size), auto_budget, auto_weight_bytes
 *   [distill]        teacher (self | a config file), teacher_checkpoint, temperature, alpha,
 *                    stages (float, qat)
 *   [target]         profile (esp32 | esp32s3 | nrf52840 | nano33ble | cortex_m4), flash_bytes,
 *                    arena_bytes, macs, params (limits; 0 = the profile's or none),
 *                    stop_when_met (the progressive pipeline: no pruning once QAT fits)
 *   [search]         enabled, population, generations, min_blocks, max_blocks, ops (conv,
 *                    separable, depthwise), filters, kernels, activations, batchnorm
 *                    (optional | always | never), heads (gap, flatten), dense, dropout, epochs,
 *                    patience, batch, fitness (weighted | pareto), accuracy (float | int8),
 *                    accuracy_weight, tournament, elite, mutation_rate, workers
 *   [prune]          enabled, schedule (polynomial | constant), initial_sparsity,
 *                    final_sparsity, begin_step, end_step, frequency, power, epochs, lr,
 *                    structured, sweep (a list of final sparsities)
 *   conv1d / dense layers also take weight_bits and act_bits (2..8; default: [quant]) and
 *   prune (default true)
 *
 * A file with no [layer.*] section gets the lesson's CNN. Every error names the file, the
 * line and the key ("configs/x.ini:12: [train] lr: '0,01' is not a number"). */
#ifndef QAT_CONFIG_H
#define QAT_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "qat/data.h"
#include "qat/error.h"
#include "qat/io.h"
#include "qat/layer.h"
#include "qat/prune.h"
#include "qat/quant.h"
#include "qat/search.h"
#include "qat/target.h"
#include "qat/train_config.h"

typedef struct qat_config {
    char path[QAT_PATH_MAX];     /* the INI file (for messages); "" for built-in defaults */
    char base_dir[QAT_PATH_MAX]; /* its folder: relative paths resolve here */
    uint64_t seed;
    char out_dir[QAT_PATH_MAX];  /* resolved against the current directory, not the config */
    qat_data_config data;
    int n_layers;
    qat_layer_spec layers[QAT_MAX_LAYERS];
    qat_train_config train;
    qat_quant_config quant;
    qat_prune_config prune;
    qat_target_config target;
    qat_distill_config distill;
    qat_search_config search;
} qat_config;

/* The lesson: built-in data, the gesture CNN, Adam, batch 16, 80 epochs, seed 42. */
void qat_config_defaults(qat_config *cfg);
/* Defaults, then the file's keys, then validation. */
qat_status qat_config_load(const char *path, qat_config *cfg, qat_error *e);
/* One override "section.key=value" (section may contain dots: layer.conv1.filters=8),
 * applied with the same parser and checks as the file; call qat_config_validate after. */
qat_status qat_config_set(qat_config *cfg, const char *assignment, qat_error *e);
/* One key set by a command-line option (qat_config_set_option(cfg, "--seed", "run.seed",
 * "7", e)): the same parser and checks, messages starting with the option's name
 * ("--seed: '-1' is out of range (must be in [0, 18446744073709551615])"). The value is
 * taken whole, however long. Not for [layer.*] or [files] keys. */
qat_status qat_config_set_option(qat_config *cfg, const char *option, const char *key,
                                 const char *value, qat_error *e);
/* A layer as its [layer.NAME] section (a blank line first), keys that read back into the
 * same spec (search_best.ini's layers). */
void qat_layer_write_ini(FILE *f, const qat_layer_spec *l);
/* Cross-key checks: the layer stack fits the window, the last layer matches the classes... */
qat_status qat_config_validate(const qat_config *cfg, qat_error *e);

#endif
