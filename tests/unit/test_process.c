/* Running an external program (process.h): stdin in, stdout and stderr out, the exit status,
 * a program that is missing, one that fails, one that hangs past the limit (with a child of
 * its own), and looking a name up on PATH. The programs are /bin/sh -c scripts. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <signal.h>
#include <unistd.h>

#include <cmocka.h>

#include "qat/process.h"

static qat_status sh(const char *script, const char *in, int timeout_ms, qat_process_result *r) {
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    qat_error e = {0};
    return qat_process_run(argv, NULL, in, in ? strlen(in) : 0, timeout_ms, r, &e);
}

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* What goes in comes out, stdout and stderr apart; more than a pipe holds (256 KiB) each way. */
static void test_stdin_to_stdout(void **s) {
    (void)s;
    enum { N = 256 * 1024 };
    char *in = malloc(N + 1);
    assert_non_null(in);
    for (int i = 0; i < N; i++) in[i] = (char)('a' + i % 26);
    in[N] = 0;
    qat_process_result r;
    assert_int_equal(sh("cat; echo oops >&2", in, 10000, &r), QAT_OK);
    assert_int_equal(r.outcome, QAT_PROCESS_EXITED);
    assert_int_equal(r.exit_status, 0);
    assert_int_equal(r.out_len, N);
    assert_memory_equal(r.out, in, N);
    assert_int_equal(r.out[N], 0);
    assert_string_equal(r.err, "oops\n");
    qat_process_result_free(&r);
    free(in);
}

/* A program that exits before reading its input is not an error (no SIGPIPE kills us). */
static void test_unread_stdin(void **s) {
    (void)s;
    enum { N = 1024 * 1024 };
    char *in = malloc(N + 1);
    assert_non_null(in);
    memset(in, 'x', N);
    in[N] = 0;
    qat_process_result r;
    assert_int_equal(sh("exit 0", in, 10000, &r), QAT_OK);
    assert_int_equal(r.outcome, QAT_PROCESS_EXITED);
    assert_int_equal(r.exit_status, 0);
    qat_process_result_free(&r);
    free(in);
}

static void test_failing_program(void **s) {
    (void)s;
    qat_process_result r;
    assert_int_equal(sh("echo partial; echo 'line 3: no such thing' >&2; echo '   ^' >&2; exit 3",
                        NULL, 10000, &r), QAT_OK);
    assert_int_equal(r.outcome, QAT_PROCESS_EXITED);
    assert_int_equal(r.exit_status, 3);
    assert_string_equal(r.out, "partial\n");
    char line[64];
    qat_process_last_line(r.err, line, sizeof line);
    assert_string_equal(line, "line 3: no such thing");
    qat_process_result_free(&r);
}

static void test_killed_by_a_signal(void **s) {
    (void)s;
    qat_process_result r;
    assert_int_equal(sh("kill -TERM $$", NULL, 10000, &r), QAT_OK);
    assert_int_equal(r.outcome, QAT_PROCESS_SIGNALED);
    assert_int_equal(r.signal, 15);
    qat_process_result_free(&r);
}

static void test_missing_program(void **s) {
    (void)s;
    const char *argv[] = {"/nonexistent/program", NULL};
    qat_process_result r;
    qat_error e = {0};
    assert_int_equal(qat_process_run(argv, NULL, NULL, 0, 10000, &r, &e), QAT_OK);
    assert_int_equal(r.outcome, QAT_PROCESS_NOT_STARTED);
    assert_int_equal(r.start_errno, ENOENT);
    qat_process_result_free(&r);
    /* exit 127 from a program that did start is its own exit status, not "not started" */
    assert_int_equal(sh("exit 127", NULL, 10000, &r), QAT_OK);
    assert_int_equal(r.outcome, QAT_PROCESS_EXITED);
    assert_int_equal(r.exit_status, 127);
    qat_process_result_free(&r);
}

/* The folder it runs in; a missing folder means it did not start. */
static void test_working_folder(void **s) {
    (void)s;
    const char *argv[] = {"/bin/sh", "-c", "pwd", NULL};
    qat_process_result r;
    qat_error e = {0};
    assert_int_equal(qat_process_run(argv, "/", NULL, 0, 10000, &r, &e), QAT_OK);
    assert_int_equal(r.outcome, QAT_PROCESS_EXITED);
    assert_string_equal(r.out, "/\n");
    qat_process_result_free(&r);
    assert_int_equal(qat_process_run(argv, "/nonexistent", NULL, 0, 10000, &r, &e), QAT_OK);
    assert_int_equal(r.outcome, QAT_PROCESS_NOT_STARTED);
    assert_int_equal(r.start_errno, ENOENT);
    qat_process_result_free(&r);
}

/* A program that hangs, holding its output open through a child of its own, is killed at
 * the limit, with its child, and what it wrote before is kept. */
static void test_hang_past_the_limit(void **s) {
    (void)s;
    qat_process_result r;
    double t0 = seconds();
    assert_int_equal(sh("sleep 30 & echo $!; wait", NULL, 300, &r), QAT_OK);
    double took = seconds() - t0;
    assert_int_equal(r.outcome, QAT_PROCESS_TIMED_OUT);
    pid_t sleeper = (pid_t)atol(r.out); /* what it wrote before is kept */
    assert_true(sleeper > 1);
    assert_true(took >= 0.3 && took < 5);
    qat_process_result_free(&r);
    /* its sleep was killed with it (once reaped by whoever adopted it, it is gone) */
    int gone = 0;
    for (int i = 0; i < 2000 && !gone; i++) {
        gone = kill(sleeper, 0) != 0 && errno == ESRCH;
        nanosleep(&(struct timespec){0, 1000 * 1000}, NULL);
    }
    assert_true(gone);
    /* a hang with its output closed is killed too */
    assert_int_equal(sh("exec >&- 2>&-; sleep 30", NULL, 300, &r), QAT_OK);
    assert_int_equal(r.outcome, QAT_PROCESS_TIMED_OUT);
    qat_process_result_free(&r);
}

static void test_find_on_path(void **s) {
    (void)s;
    int nomem = 0;
    char *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
    setenv("PATH", "/nonexistent:/bin", 1);
    char *p = qat_process_find("sh", &nomem);
    assert_non_null(p);
    assert_string_equal(p, "/bin/sh");
    free(p);
    assert_null(qat_process_find("no-such-program-qat", &nomem));
    assert_null(qat_process_find("/nonexistent/sh", &nomem));
    assert_null(qat_process_find("/bin", &nomem)); /* a folder is not a program */
    assert_int_equal(nomem, 0);
    if (old) setenv("PATH", old, 1);
    free(old);
}

static void test_last_line(void **s) {
    (void)s;
    char line[16];
    qat_process_last_line("first\r\n  second\n  ^\n\t \n", line, sizeof line);
    assert_string_equal(line, "second");
    qat_process_last_line("", line, sizeof line);
    assert_string_equal(line, "");
    qat_process_last_line("a much longer line than sixteen", line, sizeof line);
    assert_string_equal(line, "a much longer l");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stdin_to_stdout),    cmocka_unit_test(test_unread_stdin),
        cmocka_unit_test(test_failing_program),    cmocka_unit_test(test_killed_by_a_signal),
        cmocka_unit_test(test_missing_program),    cmocka_unit_test(test_working_folder),
        cmocka_unit_test(test_hang_past_the_limit), cmocka_unit_test(test_find_on_path),
        cmocka_unit_test(test_last_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
