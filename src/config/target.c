/* Microcontroller targets (target.h): the profiles and the check. */
#include "qat/target.h"

/* Datasheet figures:
 *   esp32      Espressif ESP32 Series Datasheet v4.x, §1 / §3.1: 520 KB SRAM; flash of the
 *              common ESP32-WROOM-32 module: 4 MB (ESP32-WROOM-32 Datasheet, §1.1)
 *   esp32s3    ESP32-S3 Series Datasheet v1.x, §1: 512 KB SRAM; ESP32-S3-WROOM-1-N8 module:
 *              8 MB flash (ESP32-S3-WROOM-1 Datasheet, ordering table)
 *   nrf52840   Nordic nRF52840 Product Specification v1.x, §1: 1 MB flash, 256 KB RAM (an
 *              Arm Cortex-M4F at 64 MHz); the Arduino Nano 33 BLE's MCU (Arduino ABX00030
 *              datasheet), hence the aliases nano33ble and cortex_m4 */
static const qat_target_profile profiles[] = {
    {"none", "no target", 0, 0},
    {"esp32", "ESP32 (ESP32-WROOM-32: 4 MB flash, 520 KB SRAM)", 4L << 20, 520L << 10},
    {"esp32s3", "ESP32-S3 (ESP32-S3-WROOM-1-N8: 8 MB flash, 512 KB SRAM)", 8L << 20, 512L << 10},
    {"nrf52840", "nRF52840 Cortex-M4F (1 MB flash, 256 KB RAM)", 1L << 20, 256L << 10},
    {"nano33ble", "Arduino Nano 33 BLE (nRF52840: 1 MB flash, 256 KB RAM)", 1L << 20, 256L << 10},
    {"cortex_m4", "a Cortex-M4 board as the nRF52840 (1 MB flash, 256 KB RAM)", 1L << 20, 256L << 10},
};

_Static_assert(sizeof profiles / sizeof profiles[0] == QAT_TARGET_PROFILES, "profile count");

int qat_target_profile_count(void) {
    return (int)(sizeof profiles / sizeof profiles[0]);
}

const qat_target_profile *qat_target_profile_at(int i) {
    return i >= 0 && i < qat_target_profile_count() ? &profiles[i] : NULL;
}

qat_target_limits qat_target_limits_of(const qat_target_config *t) {
    const qat_target_profile *p = qat_target_profile_at(t->profile);
    long flash = p ? p->flash_bytes : 0, sram = p ? p->sram_bytes : 0;
    return (qat_target_limits){t->flash_bytes ? t->flash_bytes : flash,
                               t->arena_bytes ? t->arena_bytes : sram, t->macs, t->params};
}

int qat_target_set(const qat_target_config *t) {
    return t->profile > 0 || t->flash_bytes || t->arena_bytes || t->macs || t->params;
}

static int within(long used, long limit) {
    return limit <= 0 || used <= limit;
}

void qat_target_check_model(const qat_target_limits *l, qat_target_check *c) {
    c->fits = within(c->flash_bytes, l->flash_bytes) && within(c->arena_bytes, l->arena_bytes) &&
              within(c->macs, l->macs) && within(c->params, l->params);
}
