/* Microcontroller targets (target.h): a profile's limits, explicit ones replacing them, and
 * the check on each limit's edge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "qat/target.h"

static void test_limits(void **s) {
    (void)s;
    qat_target_config t = {0};
    assert_false(qat_target_set(&t));
    qat_target_limits l = qat_target_limits_of(&t);
    assert_true(l.flash_bytes == 0 && l.arena_bytes == 0 && l.macs == 0 && l.params == 0);
    int esp32 = -1;
    for (int i = 0; i < qat_target_profile_count(); i++)
        if (!strcmp(qat_target_profile_at(i)->name, "esp32")) esp32 = i;
    assert_true(esp32 > 0);
    t.profile = esp32;
    assert_true(qat_target_set(&t));
    l = qat_target_limits_of(&t);
    assert_true(l.flash_bytes == 4L << 20 && l.arena_bytes == 520L << 10 && l.macs == 0);
    t.arena_bytes = 4096; /* the chapter's "4 KB of arena on an ESP32" */
    t.flash_bytes = 8192;
    t.macs = 100000;
    l = qat_target_limits_of(&t);
    assert_true(l.flash_bytes == 8192 && l.arena_bytes == 4096 && l.macs == 100000 && l.params == 0);
    assert_null(qat_target_profile_at(qat_target_profile_count()));
}

static void test_check(void **s) {
    (void)s;
    qat_target_limits l = {8192, 4096, 100000, 0};
    qat_target_check c = {8192, 4096, 100000, 1 << 30, 0};
    qat_target_check_model(&l, &c);
    assert_true(c.fits); /* every edge inclusive; no parameter limit */
    const long over[4][4] = {{8193, 4096, 100000, 0}, {8192, 4097, 100000, 0},
                             {8192, 4096, 100001, 0}, {1, 1, 1, 11}};
    for (int k = 0; k < 4; k++) {
        qat_target_limits m = l;
        if (k == 3) m.params = 10;
        c = (qat_target_check){over[k][0], over[k][1], over[k][2], over[k][3], 1};
        qat_target_check_model(&m, &c);
        assert_false(c.fits);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_limits), cmocka_unit_test(test_check)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
