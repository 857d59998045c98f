/* Running an external program with a time limit (process.h). */
#include "qat/process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qat/io.h"

/* A growing NUL-terminated byte buffer. */
typedef struct sink {
    char *data;
    size_t len, cap;
} sink;

static int sink_add(sink *s, const char *b, size_t n) {
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n + 1) cap *= 2;
        char *d = realloc(s->data, cap);
        if (!d) return -1;
        s->data = d, s->cap = cap;
    }
    memcpy(s->data + s->len, b, n);
    s->len += n;
    s->data[s->len] = 0;
    return 0;
}

/* The three pipes and the exec-status pipe: [0] read end, [1] write end. */
typedef struct pipes {
    int in[2], out[2], err[2], status[2];
} pipes;

static void close_fd(int *fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

static void close_pipes(pipes *p) {
    int *all[] = {&p->in[0], &p->in[1], &p->out[0], &p->out[1], &p->err[0], &p->err[1],
                  &p->status[0], &p->status[1]};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) close_fd(all[i]);
}

static int open_pipes(pipes *p) {
    *p = (pipes){{-1, -1}, {-1, -1}, {-1, -1}, {-1, -1}};
    if (pipe(p->in) || pipe(p->out) || pipe(p->err) || pipe(p->status)) return -1;
    int *keep[] = {&p->in[1], &p->out[0], &p->err[0], &p->status[0], &p->status[1]};
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        if (fcntl(*keep[i], F_SETFD, FD_CLOEXEC)) return -1;
    return fcntl(p->in[1], F_SETFL, O_NONBLOCK);
}

/* In the child, before exec: only async-signal-safe calls. A failure sends errno through
 * the status pipe (closed on a successful exec) and exits 127. */
static void child(const pipes *p, const char *dir, const char *const argv[]) {
    setpgid(0, 0);
    int err = 0;
    if (dir && chdir(dir)) err = errno;
    if (!err && (dup2(p->in[0], 0) < 0 || dup2(p->out[1], 1) < 0 || dup2(p->err[1], 2) < 0))
        err = errno;
    if (!err) {
        for (int i = 0; i < 3; i++) { /* the ends now copied to 0, 1 and 2 */
            int fd = i == 0 ? p->in[0] : i == 1 ? p->out[1] : p->err[1];
            if (fd > 2) close(fd);
        }
        execv(argv[0], (char *const *)argv);
        err = errno;
    }
    ssize_t w = write(p->status[1], &err, sizeof err);
    (void)w;
    _exit(127);
}

static long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Reads what is there from *fd into s; closes *fd at end of file. -1 when out of memory. */
static int drain(int *fd, sink *s) {
    char buf[4096];
    ssize_t n = read(*fd, buf, sizeof buf);
    if (n > 0) return sink_add(s, buf, (size_t)n);
    if (n == 0 || (errno != EINTR && errno != EAGAIN)) close_fd(fd);
    return 0;
}

/* Feeds stdin and collects stdout and stderr until both close or the deadline passes.
 * Returns -1 when out of memory, 1 at the deadline, 0 otherwise. */
static int exchange(pipes *p, const char *in, size_t in_len, sink *out, sink *err, long deadline) {
    size_t sent = 0;
    if (!in_len) close_fd(&p->in[1]);
    while (p->out[0] >= 0 || p->err[0] >= 0) {
        struct pollfd fds[3] = {{p->out[0], POLLIN, 0}, {p->err[0], POLLIN, 0}, {p->in[1], POLLOUT, 0}};
        long left = deadline - now_ms();
        if (left <= 0) return 1;
        if (poll(fds, 3, (int)left) < 0 && errno != EINTR) return 1;
        if (fds[0].revents && drain(&p->out[0], out)) return -1;
        if (fds[1].revents && drain(&p->err[0], err)) return -1;
        if (fds[2].revents) {
            ssize_t w = write(p->in[1], in + sent, in_len - sent);
            if (w > 0) sent += (size_t)w;
            if ((w < 0 && errno != EAGAIN && errno != EINTR) || sent == in_len) close_fd(&p->in[1]);
        }
    }
    return 0;
}

/* Waits for the child until the deadline (1 ms steps: a quick program is not kept
 * waiting); 1 when it had to be killed. */
static int reap(pid_t pid, int *status, long deadline, int timed_out) {
    const struct timespec tick = {0, 1000 * 1000};
    while (!timed_out) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid) return 0;
        if (r < 0 && errno != EINTR) break;
        if (now_ms() >= deadline) timed_out = 1;
        else nanosleep(&tick, NULL);
    }
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    while (waitpid(pid, status, 0) < 0 && errno == EINTR) {}
    return 1;
}

static void set_outcome(qat_process_result *r, const pipes *p, int status, int killed) {
    int err = 0;
    ssize_t n;
    while ((n = read(p->status[0], &err, sizeof err)) < 0 && errno == EINTR) {}
    if (n == (ssize_t)sizeof err) {
        r->outcome = QAT_PROCESS_NOT_STARTED, r->start_errno = err;
    } else if (killed) {
        r->outcome = QAT_PROCESS_TIMED_OUT;
    } else if (WIFEXITED(status)) {
        r->outcome = QAT_PROCESS_EXITED, r->exit_status = WEXITSTATUS(status);
    } else {
        r->outcome = QAT_PROCESS_SIGNALED, r->signal = WTERMSIG(status);
    }
}

/* The parent's side once the child runs. */
static int supervise(pid_t pid, pipes *p, const void *in, size_t in_len, int timeout_ms,
                     qat_process_result *r, sink *out, sink *err) {
    setpgid(pid, pid); /* either side may get there first */
    close_fd(&p->in[0]), close_fd(&p->out[1]), close_fd(&p->err[1]), close_fd(&p->status[1]);
    long deadline = now_ms() + timeout_ms;
    struct sigaction ign = {.sa_handler = SIG_IGN}, old;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &old);
    int x = exchange(p, in, in_len, out, err, deadline);
    sigaction(SIGPIPE, &old, NULL);
    int status = 0, killed = reap(pid, &status, deadline, x != 0);
    set_outcome(r, p, status, killed && x >= 0);
    return x < 0 || sink_add(out, "", 0) || sink_add(err, "", 0) ? -1 : 0;
}

qat_status qat_process_run(const char *const argv[], const char *dir, const void *in, size_t in_len,
                           int timeout_ms, qat_process_result *r, qat_error *e) {
    *r = (qat_process_result){0};
    pipes p;
    if (open_pipes(&p)) {
        close_pipes(&p);
        return qat_error_set(e, QAT_ERR_IO, "%s: cannot make a pipe: %s", argv[0], strerror(errno));
    }
    pid_t pid = fork();
    if (pid < 0) {
        close_pipes(&p);
        return qat_error_set(e, QAT_ERR_IO, "%s: cannot start it: %s", argv[0], strerror(errno));
    }
    if (pid == 0) child(&p, dir, argv);
    sink out = {0}, err = {0};
    int nomem = supervise(pid, &p, in, in_len, timeout_ms, r, &out, &err);
    close_pipes(&p);
    r->out = out.data, r->out_len = out.len, r->err = err.data, r->err_len = err.len;
    if (!nomem) return QAT_OK;
    qat_process_result_free(r);
    return qat_error_set(e, QAT_ERR_NOMEM, "%s: out of memory collecting its output", argv[0]);
}

void qat_process_result_free(qat_process_result *r) {
    free(r->out);
    free(r->err);
    *r = (qat_process_result){0};
}

void qat_process_last_line(const char *text, char *line, size_t cap) {
    line[0] = 0;
    for (const char *s = text; s && *s;) {
        size_t n = strcspn(s, "\n");
        size_t lead = strspn(s, " \t");
        const char *t = s + (lead < n ? lead : n);
        size_t len = (size_t)(s + n - t);
        while (len && t[len - 1] == '\r') len--;
        size_t body = strspn(t, " \t^");
        if (body < len) snprintf(line, cap, "%.*s", (int)len, t); /* not a blank or caret line */
        s += n + (s[n] == '\n');
    }
}

/* path made absolute against the working directory; caller frees. NULL when the directory
 * is unknown, or out of memory (then *nomem is set). */
static char *absolute(const char *path, int *nomem) {
    char cwd[QAT_PATH_MAX];
    if (path[0] != '/' && !getcwd(cwd, sizeof cwd)) return NULL;
    size_t n = (path[0] == '/' ? 0 : strlen(cwd) + 1) + strlen(path) + 1;
    char *out = malloc(n);
    if (!out) *nomem = 1;
    else if (path[0] == '/') memcpy(out, path, n);
    else snprintf(out, n, "%s/%s", cwd, path);
    return out;
}

static int is_program(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

char *qat_process_find(const char *name, int *nomem) {
    if (strchr(name, '/')) return is_program(name) ? absolute(name, nomem) : NULL;
    const char *path = getenv("PATH");
    for (const char *s = path ? path : "/usr/bin:/bin"; s;) {
        const char *colon = strchr(s, ':');
        int len = colon ? (int)(colon - s) : (int)strlen(s);
        char cand[QAT_PATH_MAX];
        if (snprintf(cand, sizeof cand, "%.*s/%s", len, len ? s : ".", name) < (int)sizeof cand &&
            is_program(cand))
            return absolute(cand, nomem);
        s = colon ? colon + 1 : NULL;
    }
    return NULL;
}
