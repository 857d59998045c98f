/* Fuzz target: the INI config parser (libinih under qat_config_load, then validation), and
 * each input line as a --set override applied to the defaults (qat_config_set), then
 * validation. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "qat/config.h"

#define SET_MAX_LINES 64

/* Every line of the input (up to SET_MAX_LINES) as "--set LINE", then the cross-key checks. */
static void fuzz_set(const uint8_t *data, size_t size, qat_config *cfg) {
    char *text = malloc(size + 1);
    if (!text) return;
    memcpy(text, data, size);
    text[size] = 0;
    qat_config_defaults(cfg);
    qat_error e = {0};
    qat_status st = QAT_OK;
    char *line = text;
    for (int i = 0; line && i < SET_MAX_LINES && !st; i++) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = 0;
        st = qat_config_set(cfg, line, &e);
        qat_fuzz_check_error(st, &e, "--set ");
        line = nl ? nl + 1 : NULL;
    }
    if (!st) {
        st = qat_config_validate(cfg, &e);
        qat_fuzz_check_error(st, &e, "built-in config: ");
    }
    free(text);
}

int qat_fuzz_ini(const uint8_t *data, size_t size) {
    qat_config *cfg = malloc(sizeof *cfg);
    if (!cfg) return 0;
    const char *path = qat_fuzz_file(data, size);
    qat_error e = {0};
    qat_status st = qat_config_load(path, cfg, &e);
    qat_fuzz_check_error(st, &e, path);
    fuzz_set(data, size, cfg);
    free(cfg);
    return 0;
}

QAT_FUZZ_MAIN(ini)
