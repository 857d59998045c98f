/* qatrain — an output folder that is safe as a set (the training run's --out and the
 * dataset writer's --write-data DIR).
 *
 * A run writes its files into a staging folder inside DIR (".qatrain-partial-<pid>") and
 * commits them together: the earlier run's files (those DIR/.qatrain-manifest lists) are
 * moved into a backup folder (".qatrain-old-<pid>"), this run's are moved in, and its
 * manifest is moved in last. A failure at any step moves everything back, so DIR holds
 * either the earlier run's set or this run's set, never a mix; a reader that finds the
 * manifest finds exactly the entries it lists. Files of the earlier run that this run no
 * longer writes are removed with the backup.
 *
 * Only DIR itself is opened by path (following it once if it is a symbolic link: the
 * user's choice of folder); everything inside it is reached relative to that folder, and
 * no symbolic link inside it is ever followed, written through or removed. Entries that
 * qatrain does not own (not in the manifest, a user's notes, a planted link) are left as
 * they are. An existing entry at a name this run writes is replaced only when it is a
 * regular file, or a folder the manifest lists; anything else (a link, a foreign folder)
 * fails the commit before anything moves. Staging and backup folders of runs that died
 * (their process is gone) are removed, or rolled back when the run died mid-commit. */
#ifndef QAT_OUTDIR_H
#define QAT_OUTDIR_H

#include "qat/error.h"
#include "qat/io.h"

#define QAT_OUTDIR_MANIFEST ".qatrain-manifest"
#define QAT_OUTDIR_STAGING_PREFIX ".qatrain-partial-"
#define QAT_OUTDIR_BACKUP_PREFIX ".qatrain-old-"

typedef struct qat_outdir {
    char dir[QAT_PATH_MAX];     /* the folder as given */
    char staging[QAT_PATH_MAX]; /* write this run's files here (a path inside dir) */
    int fd;                     /* dir, opened once; -1 when closed */
    int staging_fd;             /* staging; -1 when closed */
    int fail_at;                /* tests: make the Nth move of the commit fail (0: never) */
} qat_outdir;

/* Creates dir (and its parents) when missing, removes dead runs' staging and backup
 * folders in it and creates this process's staging folder. */
qat_status qat_outdir_open(qat_outdir *o, const char *dir, qat_error *e);
/* Swaps the staged set in for the earlier one (see above) and closes `o`. On failure dir
 * is as it was and `o` is still open (discard it). */
qat_status qat_outdir_commit(qat_outdir *o, qat_error *e);
/* Removes the staging folder and closes `o`; safe after any qat_outdir_open (whatever it
 * returned) and after a commit. When e is given and its message names a file in the staging folder, the
 * message is rewritten to name it in dir, where the user will look. */
void qat_outdir_discard(qat_outdir *o, qat_error *e);
/* Removes dir/name when it is a regular file (a finished run's resume.ckpt). */
void qat_outdir_remove_file(const char *dir, const char *name);

#endif
