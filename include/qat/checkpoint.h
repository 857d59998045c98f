/* qatrain — model checkpoints: a small versioned binary file holding everything needed to
 * rebuild a trained model's numbers: parameters, batch-norm state and input normalisation.
 *
 * Layout (little-endian):
 *   "QATCKPT\0"  u32 version (1)  u32 flags: QAT_CHECKPOINT_FAKE_QUANT for the QAT model
 *                (fake-quant graph), else 0; other bits are refused
 *   u64 signature        FNV-1a of the layer stack, shapes and class count: a checkpoint
 *                        only loads into the model it was written from
 *   u32 window  u32 channels  u32 n_classes  u32 n_layers
 *   u64 n_params  u64 n_state
 *   u32 norm kind  u32 norm channels  f32 min[norm channels]  f32 max[norm channels]
 *   f32 params[n_params]  f32 state[n_state]
 *   u32 crc32 (zlib) of every byte before it */
#ifndef QAT_CHECKPOINT_H
#define QAT_CHECKPOINT_H

#include <stdint.h>

#include "qat/model.h"

#define QAT_CHECKPOINT_VERSION 1u
#define QAT_CHECKPOINT_FAKE_QUANT 1u /* flags: the model is a fake-quant (QAT) graph */

uint64_t qat_model_signature(const qat_model *m);
/* Writes atomically. */
qat_status qat_checkpoint_save(const qat_model *m, const char *path, qat_error *e);
/* Loads into a model built with the same layer stack and of the same kind (float or QAT);
 * the model is untouched on error, which names the file and says what it holds instead. */
qat_status qat_checkpoint_load(qat_model *m, const char *path, qat_error *e);

#endif
