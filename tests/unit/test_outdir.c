/* The output folder as a set (src/pipeline/outdir.c): the staged set swapped in with its
 * manifest, an earlier set's files this one no longer writes removed, failures rolled back,
 * links and foreign entries never followed, replaced or removed. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tmpdir.h"
#include "qat/outdir.h"

static char tmpdir[256];
#define OUTSIDE_CAP 280 /* tmpdir/caseN */
#define OUT_CAP 290     /* tmpdir/caseN/out */
#define PATH_CAP 1024   /* anything inside them */
static int case_no;

static int make_tmpdir(void **state) {
    (void)state;
    return qat_test_mkdtemp(tmpdir, sizeof tmpdir, "outdir");
}

static int remove_tmpdir(void **state) {
    (void)state;
    return qat_test_rmtree(tmpdir);
}

/* A fresh folder tmpdir/caseN/out for each test; `outside` is tmpdir/caseN. */
static void fresh(char out[OUT_CAP], char outside[OUTSIDE_CAP]) {
    snprintf(outside, OUTSIDE_CAP, "%s/case%d", tmpdir, ++case_no);
    snprintf(out, OUT_CAP, "%s/out", outside);
    assert_int_equal(mkdir(outside, 0777), 0);
}

static void put(const char *dir, const char *name, const char *text) {
    char path[PATH_CAP];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* The file's text ("" when absent or not a regular file, never through a link). */
static const char *get(const char *dir, const char *name) {
    static char buf[4096];
    char path[PATH_CAP];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    buf[0] = 0;
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) return buf;
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    buf[fread(buf, 1, sizeof buf - 1, f)] = 0;
    fclose(f);
    return buf;
}

static int is_link(const char *dir, const char *name) {
    char path[PATH_CAP];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

static int entries(const char *dir) { /* entries of dir, hidden ones included */
    char cmd[2 * PATH_CAP];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
    FILE *p = popen(cmd, "r");
    int n = -1;
    assert_int_equal(fscanf(p, "%d", &n), 1);
    pclose(p);
    return n;
}

/* Stages files named by `names` (space-separated), each holding "<name> <tag>", and commits. */
static qat_status run_set(const char *out, const char *names, const char *tag, int fail_at,
                          qat_error *e) {
    qat_outdir o;
    qat_status s = qat_outdir_open(&o, out, e);
    o.fail_at = fail_at;
    char list[256], text[128];
    snprintf(list, sizeof list, "%s", names);
    for (char *n = strtok(list, " "); !s && n; n = strtok(NULL, " ")) {
        snprintf(text, sizeof text, "%s %s", n, tag);
        put(o.staging, n, text);
    }
    if (!s) s = qat_outdir_commit(&o, e);
    qat_outdir_discard(&o, s ? e : NULL);
    return s;
}

static void test_set_swapped_in_with_manifest(void **state) {
    (void)state;
    char out[OUT_CAP], outside[OUTSIDE_CAP];
    qat_error e = {0};
    fresh(out, outside);
    assert_int_equal(run_set(out, "b a", "1", 0, &e), QAT_OK);
    assert_string_equal(get(out, "a"), "a 1");
    assert_string_equal(get(out, "b"), "b 1");
    assert_non_null(strstr(get(out, QAT_OUTDIR_MANIFEST), "\na\nb\n")); /* sorted */
    assert_int_equal(entries(out), 3); /* no staging or backup folder left */
}

static void test_new_set_removes_stale_keeps_foreign(void **state) {
    (void)state;
    char out[OUT_CAP], outside[OUTSIDE_CAP], path[PATH_CAP];
    qat_error e = {0};
    fresh(out, outside);
    assert_int_equal(run_set(out, "a b", "1", 0, &e), QAT_OK);
    put(outside, "target", "outside");
    put(out, "notes", "mine");
    snprintf(path, sizeof path, "%s/target", outside);
    char link[PATH_CAP];
    snprintf(link, sizeof link, "%s/link", out);
    assert_int_equal(symlink(path, link), 0);
    assert_int_equal(run_set(out, "b c", "2", 0, &e), QAT_OK);
    assert_string_equal(get(out, "a"), ""); /* the earlier set's, no longer written */
    assert_string_equal(get(out, "b"), "b 2");
    assert_string_equal(get(out, "c"), "c 2");
    assert_string_equal(get(out, "notes"), "mine");
    assert_true(is_link(out, "link"));
    assert_string_equal(get(outside, "target"), "outside");
    assert_null(strstr(get(out, QAT_OUTDIR_MANIFEST), "\na\n"));
}

static void test_failed_move_rolls_back(void **state) {
    (void)state;
    char out[OUT_CAP], outside[OUTSIDE_CAP];
    qat_error e = {0};
    fresh(out, outside);
    assert_int_equal(run_set(out, "a b", "1", 0, &e), QAT_OK);
    char manifest[4096];
    snprintf(manifest, sizeof manifest, "%s", get(out, QAT_OUTDIR_MANIFEST));
    for (int at = 1; at <= 4; at++) { /* b, c, d, then the manifest */
        assert_int_equal(run_set(out, "b c d", "2", at, &e), QAT_ERR_IO);
        assert_non_null(strstr(e.msg, "cannot move into place"));
        assert_string_equal(get(out, "a"), "a 1");
        assert_string_equal(get(out, "b"), "b 1");
        assert_string_equal(get(out, "c"), "");
        assert_string_equal(get(out, QAT_OUTDIR_MANIFEST), manifest);
        assert_int_equal(entries(out), 3);
    }
    assert_int_equal(run_set(out, "b c d", "2", 5, &e), QAT_OK); /* past the last move */
    assert_string_equal(get(out, "d"), "d 2");
}

static void test_refuses_link_or_foreign_folder_at_an_output(void **state) {
    (void)state;
    char out[OUT_CAP], outside[OUTSIDE_CAP], path[PATH_CAP], link[PATH_CAP];
    qat_error e = {0};
    fresh(out, outside);
    assert_int_equal(run_set(out, "a", "1", 0, &e), QAT_OK);
    put(outside, "target", "outside");
    snprintf(path, sizeof path, "%s/target", outside);
    snprintf(link, sizeof link, "%s/b", out);
    assert_int_equal(symlink(path, link), 0);
    assert_int_equal(run_set(out, "a b", "2", 0, &e), QAT_ERR_IO);
    assert_non_null(strstr(e.msg, "/out/b: is a symbolic link"));
    assert_string_equal(get(outside, "target"), "outside");
    assert_string_equal(get(out, "a"), "a 1");
    unlink(link);
    assert_int_equal(mkdir(link, 0777), 0);
    assert_int_equal(run_set(out, "a b", "2", 0, &e), QAT_ERR_IO);
    assert_non_null(strstr(e.msg, "/out/b: is a folder qatrain did not write"));
    assert_string_equal(get(out, "a"), "a 1");
    assert_int_equal(entries(out), 3);
}

static void test_bad_manifest_refused(void **state) {
    (void)state;
    char out[OUT_CAP], outside[OUTSIDE_CAP];
    qat_error e = {0};
    fresh(out, outside);
    assert_int_equal(mkdir(out, 0777), 0);
    put(outside, "victim", "outside");
    put(out, QAT_OUTDIR_MANIFEST, "# header\na\n../victim\n");
    assert_int_equal(run_set(out, "a", "1", 0, &e), QAT_ERR_FORMAT);
    assert_non_null(strstr(e.msg, QAT_OUTDIR_MANIFEST ":3: not an entry"));
    put(out, QAT_OUTDIR_MANIFEST, "a/b\n");
    assert_int_equal(run_set(out, "a", "1", 0, &e), QAT_ERR_FORMAT);
    assert_string_equal(get(outside, "victim"), "outside");
    assert_int_equal(entries(out), 1);
}

/* A pid no process has: a child that has exited and been reaped. */
static long dead_pid(void) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) _exit(0);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    return (long)pid;
}

static void test_dead_runs_cleaned_links_not_followed(void **state) {
    (void)state;
    char out[OUT_CAP], outside[OUTSIDE_CAP], path[PATH_CAP], link[PATH_CAP];
    qat_error e = {0};
    fresh(out, outside);
    assert_int_equal(run_set(out, "a", "1", 0, &e), QAT_OK);
    long dead = dead_pid();
    snprintf(path, sizeof path, "%s/victim", outside);
    assert_int_equal(mkdir(path, 0777), 0);
    put(path, "keep", "outside");
    const char *prefix[2] = {QAT_OUTDIR_STAGING_PREFIX, QAT_OUTDIR_BACKUP_PREFIX};
    for (int i = 0; i < 2; i++) {
        snprintf(link, sizeof link, "%s/%s%ld", out, prefix[i], dead);
        assert_int_equal(symlink(path, link), 0);
    }
    snprintf(link, sizeof link, "%s/" QAT_OUTDIR_STAGING_PREFIX "%ld", out, dead + 1);
    int stale = kill((pid_t)(dead + 1), 0) != 0;
    if (stale) { /* a real dead run's staging folder: removed */
        assert_int_equal(mkdir(link, 0777), 0);
        put(link, "a", "stale");
    }
    assert_int_equal(run_set(out, "a", "2", 0, &e), QAT_OK);
    assert_string_equal(get(path, "keep"), "outside");
    for (int i = 0; i < 2; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s%ld", prefix[i], dead);
        assert_true(is_link(out, name));
    }
    /* a, the manifest, the two links; and the stale folder only if its pid came alive in
     * the meantime (another process got it: on a busy machine, e.g. make mutants' trees) */
    struct stat st;
    int kept = stale && lstat(link, &st) == 0 && kill((pid_t)(dead + 1), 0) == 0;
    assert_int_equal(entries(out), 4 + kept);
}

static void test_remove_file_only_removes_regular_files(void **state) {
    (void)state;
    char out[OUT_CAP], outside[OUTSIDE_CAP], path[PATH_CAP], link[PATH_CAP];
    fresh(out, outside);
    assert_int_equal(mkdir(out, 0777), 0);
    put(out, "resume.ckpt", "state");
    qat_outdir_remove_file(out, "resume.ckpt");
    assert_int_equal(entries(out), 0);
    put(outside, "target", "outside");
    snprintf(path, sizeof path, "%s/target", outside);
    snprintf(link, sizeof link, "%s/resume.ckpt", out);
    assert_int_equal(symlink(path, link), 0);
    qat_outdir_remove_file(out, "resume.ckpt");
    assert_true(is_link(out, "resume.ckpt"));
    assert_string_equal(get(outside, "target"), "outside");
}

/* qat_write_file's temporary file ("<path>.tmp.<pid>") is never opened through a link
 * planted at its name (in a child, which knows its own pid). */
static void test_atomic_write_never_through_a_link(void **state) {
    (void)state;
    char out[OUT_CAP], outside[OUTSIDE_CAP], path[PATH_CAP];
    fresh(out, outside);
    assert_int_equal(mkdir(out, 0777), 0);
    put(outside, "victim", "outside");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char tmp[2 * PATH_CAP];
        snprintf(path, sizeof path, "%s/victim", outside);
        snprintf(tmp, sizeof tmp, "%s/file.tmp.%ld", out, (long)getpid());
        qat_error e = {0};
        if (symlink(path, tmp) != 0) _exit(3);
        snprintf(tmp, sizeof tmp, "%s/file", out);
        _exit(qat_write_file(tmp, "new", 3, &e) == QAT_OK ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 3);
    assert_string_equal(get(outside, "victim"), "outside");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_swapped_in_with_manifest),
        cmocka_unit_test(test_new_set_removes_stale_keeps_foreign),
        cmocka_unit_test(test_failed_move_rolls_back),
        cmocka_unit_test(test_refuses_link_or_foreign_folder_at_an_output),
        cmocka_unit_test(test_bad_manifest_refused),
        cmocka_unit_test(test_dead_runs_cleaned_links_not_followed),
        cmocka_unit_test(test_remove_file_only_removes_regular_files),
        cmocka_unit_test(test_atomic_write_never_through_a_link),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
