/* qatrain — microcontroller targets: named device profiles or explicit limits, and how much
 * of each the exported int8 models leave free.
 *
 * A profile gives a device's flash and SRAM (datasheet figures, cited in target.c); explicit
 * limits ([target] flash_bytes, arena_bytes, macs, params) replace them or add the ones a
 * profile lacks. The device's totals are an upper bound for the model: the firmware, the
 * stack and (on an ESP32) Wi-Fi buffers need their share, so set explicit budgets for a real
 * product. A model is checked as TFLite Micro will hold it: flash = the .tflite's bytes,
 * arena = TFLite Micro's recommended tensor arena on a 32-bit MCU (int8.h's model of its
 * allocator, the figure the firmware header defines), MACs and parameters of the exported
 * graph. */
#ifndef QAT_TARGET_H
#define QAT_TARGET_H

#include "qat/error.h"

typedef struct qat_target_profile {
    const char *name;    /* as written in [target] profile */
    const char *device;  /* what it is, in words */
    long flash_bytes, sram_bytes;
} qat_target_profile;

#define QAT_TARGET_PROFILES 6 /* "none" and the five below */
/* Profiles 1..count-1 (0 is "none"); NULL past the end. */
const qat_target_profile *qat_target_profile_at(int i);
int qat_target_profile_count(void);

typedef struct qat_target_config {
    int profile;                                 /* 0: none */
    int flash_bytes, arena_bytes, macs, params; /* 0: the profile's (flash, SRAM) or none */
    int stop_when_met; /* the progressive pipeline: no pruning stage once the QAT model fits */
} qat_target_config;

/* The limits in force: explicit ones, else the profile's flash and SRAM; 0 = no limit. */
typedef struct qat_target_limits {
    long flash_bytes, arena_bytes, macs, params;
} qat_target_limits;
qat_target_limits qat_target_limits_of(const qat_target_config *t);
/* Whether a config names a target at all. */
int qat_target_set(const qat_target_config *t);

/* One model against the limits: what it takes, and whether it fits (every limit). */
typedef struct qat_target_check {
    long flash_bytes, arena_bytes, macs, params;
    int fits;
} qat_target_check;
void qat_target_check_model(const qat_target_limits *l, qat_target_check *c);

/* Measures a lowered int8 model (ir, of the model m) as the device will hold it — flash = its
 * .tflite serialised with `description`, arena = TFLite Micro's recommended arena on a 32-bit
 * MCU, m's MACs and parameters — and checks it against l (src/export/target_measure.c). */
struct qat_ir;
struct qat_model;
qat_status qat_target_measure(const struct qat_ir *ir, const struct qat_model *m,
                              const char *description, const qat_target_limits *l,
                              qat_target_check *c, qat_error *e);

#endif
