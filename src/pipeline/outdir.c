/* The output folder as a set: staging, manifest, commit with rollback, safe cleanup
 * (see include/qat/outdir.h). Every path inside the folder is reached relative to its
 * descriptor, with O_NOFOLLOW / AT_SYMLINK_NOFOLLOW: no symbolic link is ever followed. */
#include "qat/outdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NAME_MAX_LEN 255
#define MANIFEST_MAX_BYTES (1L << 20)
#define TREE_DEPTH_MAX 8 /* a dataset is DIR/<class>/<file>; deeper is not ours */
#define MANIFEST_HEADER "# qatrain: the entries of the last run written to this folder\n"

typedef struct names {
    char (*v)[NAME_MAX_LEN + 1];
    int n, cap;
} names;

static void names_free(names *l) {
    free(l->v);
    *l = (names){0};
}

static int names_has(const names *l, const char *s) {
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->v[i], s)) return 1;
    return 0;
}

static qat_status names_add(names *l, const char *s, qat_error *e) {
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 32;
        void *v = realloc(l->v, (size_t)cap * sizeof *l->v);
        if (!v) return qat_error_set(e, QAT_ERR_NOMEM, "output folder: out of memory");
        l->v = v;
        l->cap = cap;
    }
    snprintf(l->v[l->n++], sizeof *l->v, "%s", s);
    return QAT_OK;
}

static int by_name(const void *a, const void *b) { return strcmp(a, b); }

/* A name qatrain may own: one path component, not hidden (its own hidden files are not
 * listed), short enough. */
static int plain_name(const char *s, size_t len) {
    return len && len <= NAME_MAX_LEN && s[0] != '.' && !memchr(s, '/', len) && !memchr(s, 0, len);
}

/* Type of dir/name without following a link: 0 when absent, else S_IFREG, S_IFDIR... */
static mode_t type_at(int dir, const char *name) {
    struct stat st;
    if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return 0;
    return st.st_mode & S_IFMT;
}

/* Removes dir/name: a file or a link (the link itself), or a folder and what it holds, to
 * TREE_DEPTH_MAX levels; a folder is entered only through O_NOFOLLOW. */
static void remove_tree_at(int dir, const char *name, int depth) {
    if (unlinkat(dir, name, 0) == 0 || errno == ENOENT) return;
    if (depth >= TREE_DEPTH_MAX) return;
    int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return;
    }
    struct dirent *ent;
    while ((ent = readdir(d)))
        if (strcmp(ent->d_name, ".") && strcmp(ent->d_name, ".."))
            remove_tree_at(fd, ent->d_name, depth + 1);
    closedir(d);
    unlinkat(dir, name, AT_REMOVEDIR);
}

/* The entries of the folder open at fd (hidden ones aside), sorted. */
static qat_status list_dir(int fd, const char *path, names *l, qat_error *e) {
    int dup_fd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = dup_fd < 0 ? NULL : fdopendir(dup_fd);
    if (!d) {
        if (dup_fd >= 0) close(dup_fd);
        return qat_error_set(e, QAT_ERR_IO, "%s: cannot list: %s", path, strerror(errno));
    }
    qat_status st = QAT_OK;
    struct dirent *ent;
    while (!st && (ent = readdir(d)))
        if (ent->d_name[0] != '.') st = names_add(l, ent->d_name, e);
    closedir(d);
    if (!st && l->n) qsort(l->v, (size_t)l->n, sizeof *l->v, by_name);
    return st;
}

/* The earlier run's manifest in the folder: absent is an empty list; a manifest that is
 * not a regular file or names anything but plain entries is refused. */
static qat_status read_manifest(const qat_outdir *o, names *l, qat_error *e) {
    int fd = openat(o->fd, QAT_OUTDIR_MANIFEST, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) return QAT_OK;
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MANIFEST_MAX_BYTES) {
        if (fd >= 0) close(fd);
        return qat_error_set(e, QAT_ERR_IO, "%s/" QAT_OUTDIR_MANIFEST ": not a qatrain manifest "
                             "(not a regular file of at most 1 MiB); remove it", o->dir);
    }
    char *text = malloc((size_t)st.st_size + 1);
    ssize_t got = text ? read(fd, text, (size_t)st.st_size) : -1;
    close(fd);
    if (got != (ssize_t)st.st_size) {
        free(text);
        return qat_error_set(e, text ? QAT_ERR_IO : QAT_ERR_NOMEM,
                             "%s/" QAT_OUTDIR_MANIFEST ": cannot read", o->dir);
    }
    text[got] = 0;
    qat_status s = QAT_OK;
    int line = 1;
    for (char *p = text; !s && *p; line++) {
        char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len && p[0] != '#') {
            if (!plain_name(p, len)) {
                s = qat_error_set(e, QAT_ERR_FORMAT, "%s/" QAT_OUTDIR_MANIFEST ":%d: not an entry "
                                  "qatrain writes (one plain name per line); remove the manifest",
                                  o->dir, line);
            } else {
                p[len] = 0;
                if (!names_has(l, p)) s = names_add(l, p, e);
            }
        }
        p += len + (end != NULL);
    }
    free(text);
    return s;
}

/* The staged set's manifest, written into the staging folder with the rest. */
static qat_status write_manifest(const qat_outdir *o, const names *l, qat_error *e) {
    size_t cap = sizeof MANIFEST_HEADER + (size_t)l->n * (NAME_MAX_LEN + 1);
    char *text = malloc(cap), path[QAT_PATH_MAX];
    if (!text) return qat_error_set(e, QAT_ERR_NOMEM, "output folder: out of memory");
    size_t n = (size_t)snprintf(text, cap, "%s", MANIFEST_HEADER);
    for (int i = 0; i < l->n; i++) n += (size_t)snprintf(text + n, cap - n, "%s\n", l->v[i]);
    qat_status s = qat_path_join(path, sizeof path, o->staging, QAT_OUTDIR_MANIFEST, e);
    if (!s) s = qat_write_file(path, text, n, e);
    free(text);
    return s;
}

/* Nothing moves unless every staged entry can take its place: an existing entry of that
 * name must be a regular file, or a folder of the earlier run (listed in its manifest). */
static qat_status check_targets(const qat_outdir *o, const names *now, const names *before,
                                 qat_error *e) {
    for (int i = 0; i < now->n; i++) {
        const char *n = now->v[i];
        mode_t t = type_at(o->fd, n);
        if (!t || t == S_IFREG || (t == S_IFDIR && names_has(before, n))) continue;
        const char *what = t == S_IFLNK  ? "is a symbolic link"
                           : t == S_IFDIR ? "is a folder qatrain did not write"
                                          : "is not a regular file";
        return qat_error_set(e, QAT_ERR_IO, "%s/%s: %s; this run writes a file of that name "
                             "(move it away or choose another folder)", o->dir, n, what);
    }
    return QAT_OK;
}

typedef struct move {
    int from, to;
    const char *name;
} move;

/* Undoes moves[0..n) in reverse order. */
static void undo_moves(const move *m, int n) {
    while (n--) renameat(m[n].to, m[n].name, m[n].from, m[n].name);
}

/* The earlier run's entries this run replaces or no longer writes, moved out of the way
 * into the backup folder; then the staged entries and the manifest moved in. */
static qat_status swap_in(qat_outdir *o, int backup, const names *now, const names *before,
                          move *m, int *nm, qat_error *e) {
    static const char manifest[] = QAT_OUTDIR_MANIFEST;
    if (type_at(o->fd, manifest) == S_IFREG) m[(*nm)++] = (move){o->fd, backup, manifest};
    for (int i = 0; i < before->n; i++) {
        mode_t t = type_at(o->fd, before->v[i]);
        if (t == S_IFREG || t == S_IFDIR) m[(*nm)++] = (move){o->fd, backup, before->v[i]};
    }
    for (int i = 0; i < now->n; i++)
        if (!names_has(before, now->v[i]) && type_at(o->fd, now->v[i]) == S_IFREG)
            m[(*nm)++] = (move){o->fd, backup, now->v[i]};
    int out = *nm;
    for (int i = 0; i < now->n; i++) m[(*nm)++] = (move){o->staging_fd, o->fd, now->v[i]};
    m[(*nm)++] = (move){o->staging_fd, o->fd, manifest};
    for (int i = 0; i < *nm; i++) {
        int hook = i >= out && o->fail_at == i - out + 1;
        if (hook || renameat(m[i].from, m[i].name, m[i].to, m[i].name) != 0) {
            int err = hook ? EIO : errno;
            *nm = i;
            return qat_error_set(e, QAT_ERR_IO, "%s/%s: cannot move into place: %s", o->dir,
                                 m[i].name, strerror(err));
        }
    }
    return QAT_OK;
}

static void close_fd(int *fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

static qat_status commit_sets(qat_outdir *o, const names *now, const names *before, qat_error *e) {
    char backup_name[64];
    snprintf(backup_name, sizeof backup_name, QAT_OUTDIR_BACKUP_PREFIX "%ld", (long)getpid());
    remove_tree_at(o->fd, backup_name, 0);
    if (mkdirat(o->fd, backup_name, 0700) != 0)
        return qat_error_set(e, QAT_ERR_IO, "%s/%s: cannot create folder: %s", o->dir, backup_name,
                             strerror(errno));
    int backup = openat(o->fd, backup_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    move *m = malloc((size_t)(2 * now->n + before->n + 2) * sizeof *m);
    qat_status s = QAT_OK;
    int nm = 0;
    if (backup < 0 || !m)
        s = qat_error_set(e, m ? QAT_ERR_IO : QAT_ERR_NOMEM, "%s/%s: cannot open: %s", o->dir,
                          backup_name, m ? strerror(errno) : "out of memory");
    if (!s) s = swap_in(o, backup, now, before, m, &nm, e);
    if (s) undo_moves(m, nm);
    free(m);
    close_fd(&backup);
    remove_tree_at(o->fd, backup_name, 0); /* the earlier set on success; empty on failure */
    return s;
}

qat_status qat_outdir_commit(qat_outdir *o, qat_error *e) {
    names now = {0}, before = {0};
    qat_status s = list_dir(o->staging_fd, o->staging, &now, e);
    if (!s) s = read_manifest(o, &before, e);
    if (!s) s = check_targets(o, &now, &before, e);
    if (!s) s = write_manifest(o, &now, e);
    if (!s) s = commit_sets(o, &now, &before, e);
    names_free(&now);
    names_free(&before);
    if (s) return s;
    qat_outdir_discard(o, NULL); /* the staging folder, empty now */
    return QAT_OK;
}

/* The process id in a staging or backup folder's name when that process is gone. */
static long dead_pid(const char *name, const char *prefix) {
    size_t n = strlen(prefix);
    if (strncmp(name, prefix, n)) return 0;
    char *end;
    long pid = strtol(name + n, &end, 10);
    if (*end || pid <= 0 || pid == (long)getpid()) return 0;
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH ? pid : 0; /* alive, or not ours to test */
}

/* A run killed mid-commit left a backup folder and no manifest: what it moved in goes back
 * to its staging folder (removed next), the backup's entries back into the folder. */
static void roll_back_dead(qat_outdir *o, const char *backup_name, long pid) {
    char staging_name[64];
    snprintf(staging_name, sizeof staging_name, QAT_OUTDIR_STAGING_PREFIX "%ld", pid);
    int backup = openat(o->fd, backup_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int staging = openat(o->fd, staging_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    names l = {0};
    if (staging >= 0 && type_at(o->fd, QAT_OUTDIR_MANIFEST) == 0 &&
        list_dir(staging, staging_name, &l, NULL) == QAT_OK) {
        /* the staging folder still holds the names not yet moved; the moved ones are
         * exactly the manifest's, which it also holds (written before the moves) */
        names want = {0};
        qat_outdir in_staging = *o;
        in_staging.fd = staging;
        if (read_manifest(&in_staging, &want, NULL) == QAT_OK)
            for (int i = 0; i < want.n; i++)
                if (!names_has(&l, want.v[i])) renameat(o->fd, want.v[i], staging, want.v[i]);
        names_free(&want);
    }
    names_free(&l);
    if (backup >= 0 && type_at(o->fd, QAT_OUTDIR_MANIFEST) == 0 && list_dir(backup, backup_name, &l, NULL) == QAT_OK) {
        if (names_add(&l, QAT_OUTDIR_MANIFEST, NULL) == QAT_OK)
            for (int i = 0; i < l.n; i++)
                if (type_at(o->fd, l.v[i]) == 0) renameat(backup, l.v[i], o->fd, l.v[i]);
    }
    names_free(&l);
    if (backup >= 0) close(backup);
    if (staging >= 0) close(staging);
}

/* Dead runs' leftovers: backup folders first (rolled back when the commit did not finish),
 * then staging folders. Only real folders are touched; a link of such a name is left. */
static void clean_dead_runs(qat_outdir *o) {
    names l = {0};
    int dup_fd = openat(o->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = dup_fd < 0 ? NULL : fdopendir(dup_fd);
    if (!d) {
        if (dup_fd >= 0) close(dup_fd);
        return;
    }
    struct dirent *ent;
    while ((ent = readdir(d)))
        if ((dead_pid(ent->d_name, QAT_OUTDIR_BACKUP_PREFIX) ||
             dead_pid(ent->d_name, QAT_OUTDIR_STAGING_PREFIX)) &&
            type_at(o->fd, ent->d_name) == S_IFDIR && names_add(&l, ent->d_name, NULL))
            break;
    closedir(d);
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < l.n; i++) {
            long pid = dead_pid(l.v[i], QAT_OUTDIR_BACKUP_PREFIX);
            if (pass == 0 && pid) roll_back_dead(o, l.v[i], pid);
            if (pass == 0 ? pid != 0 : !pid) remove_tree_at(o->fd, l.v[i], 0);
        }
    names_free(&l);
}

qat_status qat_outdir_open(qat_outdir *o, const char *dir, qat_error *e) {
    memset(o, 0, sizeof *o);
    o->fd = o->staging_fd = -1;
    if (strlen(dir) >= sizeof o->dir) return qat_error_set(e, QAT_ERR_IO, "%s: path too long", dir);
    strcpy(o->dir, dir);
    char name[64];
    snprintf(name, sizeof name, QAT_OUTDIR_STAGING_PREFIX "%ld", (long)getpid());
    qat_status s = qat_mkdir_p(dir, e);
    if (!s) s = qat_path_join(o->staging, sizeof o->staging, dir, name, e);
    if (s) return s;
    o->fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (o->fd < 0) return qat_error_set(e, QAT_ERR_IO, "%s: cannot open: %s", dir, strerror(errno));
    clean_dead_runs(o);
    remove_tree_at(o->fd, name, 0); /* this process's own, from an earlier call */
    if (mkdirat(o->fd, name, 0777) != 0)
        return qat_error_set(e, QAT_ERR_IO, "%s: cannot create folder: %s", o->staging,
                             strerror(errno));
    o->staging_fd = openat(o->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (o->staging_fd < 0)
        return qat_error_set(e, QAT_ERR_IO, "%s: cannot open: %s", o->staging, strerror(errno));
    return QAT_OK;
}

void qat_outdir_discard(qat_outdir *o, qat_error *e) {
    const char *name = strrchr(o->staging, '/');
    name = name ? name + 1 : o->staging;
    if (o->fd >= 0 && *name) remove_tree_at(o->fd, name, 0);
    close_fd(&o->staging_fd);
    close_fd(&o->fd);
    size_t n = strlen(o->staging);
    if (e && n && !strncmp(e->msg, o->staging, n)) {
        char msg[QAT_ERROR_MAX];
        snprintf(msg, sizeof msg, "%s%s", o->dir, e->msg + n);
        memcpy(e->msg, msg, sizeof msg);
    }
}

void qat_outdir_remove_file(const char *dir, const char *name) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    if (type_at(fd, name) == S_IFREG) unlinkat(fd, name, 0);
    close(fd);
}
