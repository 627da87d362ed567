/* SPDX-License-Identifier: MIT */
/*
 * This file implements running the program: fork and exec with the
 * composed environment, its stdin and stdout passed through untouched,
 * its stderr passed through a pipe (copied to ours as it arrives, the
 * last LNC_STDERR_TAIL bytes kept for JUnit), and waiting until it and
 * every process it started are gone.
 *
 * One poll loop watches two descriptors: the stderr pipe and a signalfd
 * for SIGCHLD and the signals to forward (SIGINT, SIGTERM, SIGHUP,
 * SIGQUIT), which stay blocked in the launcher and are unblocked in the
 * child before exec.
 *
 * Descendants. The launcher makes itself a child subreaper
 * (PR_SET_CHILD_SUBREAPER), so a process the program forks and leaves
 * behind becomes the launcher's child when the program exits: the
 * launcher waits for it too, since its reports go to the same JSON Lines
 * file. After the program has exited, stragglers get LNC_LINGER_SECONDS
 * to finish; then they are killed, so that CI never hangs on a forgotten
 * background process.
 *
 * Killing ("the program and everything it started") walks /proc for the
 * launcher's descendants and SIGKILLs them, repeatedly until none is
 * left: being a subreaper, every descendant is in that tree, including
 * ones that changed their process group or session. Process groups were
 * rejected: putting the program in a group of its own takes it out of the
 * terminal's foreground group, so an interactive program would get
 * SIGTTIN on reading stdin and Ctrl-C/Ctrl-Z would need the launcher to
 * do a shell's job control; and a setsid'd descendant escapes killpg
 * anyway.
 *
 * Signals. The program stays in the launcher's process group, so signals
 * sent to the group (the terminal's Ctrl-C, a CI runner's cancellation)
 * reach it directly; such kernel-sent signals are not forwarded again. A
 * signal sent to the launcher alone (kill PID: SI_USER and friends) is
 * forwarded to the program. The launcher itself never dies of them: it
 * waits for the program and reports its status (128+N), and they stay
 * blocked until it exits. If the launcher is killed outright,
 * PR_SET_PDEATHSIG takes the program down with it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "launcher.h"

/* ---- the stderr tail --------------------------------------------------- */

/* struct tail is a ring of the last LNC_STDERR_TAIL bytes seen. */
struct tail {
    char *buf;      /* LNC_STDERR_TAIL bytes */
    size_t head;    /* where the next byte goes */
    size_t total;   /* bytes seen so far */
};

static void tail_add(struct tail *t, const char *p, size_t n)
{
    t->total += n;
    if (n >= LNC_STDERR_TAIL) {
        p += n - LNC_STDERR_TAIL;
        n = LNC_STDERR_TAIL;
    }
    size_t first = LNC_STDERR_TAIL - t->head;
    if (first > n)
        first = n;
    memcpy(t->buf + t->head, p, first);
    memcpy(t->buf, p + first, n - first);
    t->head = (t->head + n) % LNC_STDERR_TAIL;
}

/* tail_take moves the tail, oldest byte first, into res. */
static void tail_take(struct tail *t, struct lnc_result *res)
{
    size_t kept = t->total < LNC_STDERR_TAIL ? t->total : LNC_STDERR_TAIL;
    res->stderr_tail = t->buf ? malloc(kept + 1) : NULL;
    if (!res->stderr_tail) {
        free(t->buf);
        t->buf = NULL;
        return;
    }
    size_t start = (t->head + LNC_STDERR_TAIL - kept) % LNC_STDERR_TAIL;
    size_t first = LNC_STDERR_TAIL - start;
    if (first > kept)
        first = kept;
    memcpy(res->stderr_tail, t->buf + start, first);
    memcpy(res->stderr_tail + first, t->buf, kept - first);
    res->stderr_tail[kept] = '\0';
    res->stderr_len = kept;
    res->stderr_dropped = t->total - kept;
    free(t->buf);
    t->buf = NULL;
}

/* write_all copies to our stderr. Errors are ignored: the program must
 * not die because the launcher's stderr went away (SIGPIPE is ignored). */
static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

/* ---- descendants -------------------------------------------------------------- */

/* parent_of reads the parent pid of pid from /proc/pid/stat (0: gone). */
static pid_t parent_of(pid_t pid, bool *zombie)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* "pid (comm) S ppid ...": comm may hold spaces and parentheses. */
    char *rp = strrchr(buf, ')');
    char state;
    int ppid;
    if (!rp || sscanf(rp + 1, " %c %d", &state, &ppid) != 2)
        return 0;
    *zombie = state == 'Z';
    return (pid_t)ppid;
}

/* kill_descendants SIGKILLs every live descendant of the launcher and
 * returns how many it found. */
static int kill_descendants(void)
{
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    size_t n = 0, cap = 256;
    pid_t(*procs)[2] = malloc(cap * sizeof *procs);
    struct dirent *e;
    while (procs && (e = readdir(d))) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 0)
            continue;
        bool zombie = false;
        pid_t ppid = parent_of((pid_t)pid, &zombie);
        if (!ppid || zombie)
            continue;
        if (n == cap) {
            void *grown = realloc(procs, 2 * cap * sizeof *procs);
            if (!grown)
                break;
            procs = grown;
            cap *= 2;
        }
        procs[n][0] = (pid_t)pid;
        procs[n][1] = ppid;
        n++;
    }
    closedir(d);
    if (!procs)
        return 0;
    /* The tree below us: mark until nothing changes (n is small). */
    pid_t self = getpid();
    bool *in = calloc(n + 1, sizeof *in);
    int found = 0;
    for (bool changed = true; in && changed;) {
        changed = false;
        for (size_t i = 0; i < n; i++) {
            if (in[i])
                continue;
            bool below = procs[i][1] == self;
            for (size_t j = 0; j < n && !below; j++)
                below = in[j] && procs[j][0] == procs[i][1];
            if (below) {
                in[i] = changed = true;
                kill(procs[i][0], SIGKILL);
                found++;
            }
        }
    }
    free(in);
    free(procs);
    return found;
}

static void kill_all(void)
{
    /* Processes forked while we looked are found on the next pass. */
    for (int pass = 0; pass < 20 && kill_descendants() > 0; pass++)
        usleep(1000);
}

/* ---- the child ------------------------------------------------------------------ */

/* exec_child runs in the forked child: it never returns. A failure to
 * exec is sent to the parent as an errno through report_fd. */
static void exec_child(const struct lnc_config *cfg,
                       const struct lnc_env *env, const sigset_t *mask,
                       const struct sigaction *pipe_action, int err_fd,
                       int report_fd, pid_t parent)
{
    /* Die with the launcher; a launcher already gone is noticed here. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    sigaction(SIGPIPE, pipe_action, NULL);
    sigprocmask(SIG_SETMASK, mask, NULL);
    if (dup2(err_fd, 2) < 0)
        goto fail;
    if (setenv("GOSAN_OPTIONS", env->gosan_options, 1) ||
        setenv("LD_PRELOAD", env->ld_preload, 1))
        goto fail;
    execv(env->program, cfg->argv);
fail:;
    int err = errno;
    ssize_t w = write(report_fd, &err, sizeof err);
    (void)w;
    _exit(127);
}

/* ---- waiting -------------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* struct wait_state is the poll loop's state. */
struct wait_state {
    pid_t pid;            /* the program */
    bool exited;          /* the program was reaped */
    bool no_children;     /* waitpid says we have no children left */
    int err_fd;           /* read end of the stderr pipe, -1 at EOF */
    double kill_at;       /* --timeout backstop (0: none) */
    double linger_until;  /* after exit: when stragglers are killed */
    bool killed;          /* kill_all was called */
    double give_up;       /* after a kill: stop waiting at this time */
};

static void reap(struct wait_state *w, struct lnc_result *res)
{
    for (;;) {
        int st;
        pid_t p = waitpid(-1, &st, WNOHANG);
        if (p > 0) {
            if (p == w->pid) {
                res->status = st;
                w->exited = true;
                w->linger_until = now_s() + LNC_LINGER_SECONDS;
            }
            continue;
        }
        if (p < 0 && errno == EINTR)
            continue;
        w->no_children = p < 0 && errno == ECHILD;
        return;
    }
}

static void on_signal(struct wait_state *w, int sfd, struct lnc_result *res)
{
    struct signalfd_siginfo si;
    while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGCHLD)
            continue;
        /* Sent to us alone (kill, sigqueue, tgkill: code <= 0): pass it
         * on. The kernel's (terminal) signals reached the group. */
        if (si.ssi_code <= 0 && !w->exited)
            kill(w->pid, (int)si.ssi_signo);
    }
    reap(w, res);
}

static void on_stderr(struct wait_state *w, struct tail *t)
{
    char buf[65536];
    ssize_t n = read(w->err_fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        close(w->err_fd);
        w->err_fd = -1;
        return;
    }
    write_all(2, buf, (size_t)n);
    if (t->buf)
        tail_add(t, buf, (size_t)n);
}

/* on_deadlines kills what must be killed; returns the poll timeout (ms). */
static int on_deadlines(struct wait_state *w, struct lnc_result *res,
                        const struct lnc_config *cfg)
{
    double now = now_s();
    if (!w->exited && w->kill_at && now >= w->kill_at && !w->killed) {
        fprintf(stderr, "gosan run: %s did not finish within %d seconds; "
                "killing it\n", cfg->argv[0], cfg->timeout);
        res->timed_out = true;
        kill_all();
        w->killed = true;
        w->give_up = now + 2;
    }
    if (w->exited && now >= w->linger_until && !w->killed) {
        /* Without children left, only a stranger holds the pipe open. */
        w->killed = true;
        w->give_up = now;
        if (!w->no_children) {
            fprintf(stderr, "gosan run: %s exited, but processes it "
                    "started were still running %d seconds later; killing "
                    "them\n", cfg->argv[0], LNC_LINGER_SECONDS);
            res->lingered = true;
            kill_all();
            w->give_up = now + 2;
        }
    }
    double next = w->killed ? w->give_up
                  : w->exited ? w->linger_until : w->kill_at;
    if (next == 0)
        return -1;
    double ms = (next - now) * 1000 + 1;
    return ms < 0 ? 0 : ms > 60000 ? 60000 : (int)ms;
}

static void wait_loop(struct wait_state *w, int sfd, struct tail *t,
                      struct lnc_result *res, const struct lnc_config *cfg)
{
    reap(w, res);
    for (;;) {
        if (w->exited && w->no_children && w->err_fd < 0)
            return;
        int timeout = on_deadlines(w, res, cfg);
        if (w->killed && now_s() >= w->give_up)
            return;
        struct pollfd fds[2] = { { sfd, POLLIN, 0 },
                                 { w->err_fd, POLLIN, 0 } };
        int r = poll(fds, w->err_fd >= 0 ? 2 : 1, timeout);
        if (r < 0 && errno != EINTR)
            return;
        if (r <= 0)
            continue;
        if (fds[0].revents)
            on_signal(w, sfd, res);
        if (w->err_fd >= 0 && fds[1].revents)
            on_stderr(w, t);
    }
}

/* ---- the run ---------------------------------------------------------------------- */

/* start forks and execs the program. Returns its pid, or -1 (printed). */
static pid_t start(const struct lnc_config *cfg, const struct lnc_env *env,
                   const sigset_t *old_mask, int err_w)
{
    int rep[2];
    if (pipe2(rep, O_CLOEXEC)) {
        perror("gosan run: pipe");
        return -1;
    }
    struct sigaction pipe_action, ign = { .sa_handler = SIG_IGN };
    sigaction(SIGPIPE, &ign, &pipe_action);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        close(rep[0]);
        exec_child(cfg, env, old_mask, &pipe_action, err_w, rep[1], parent);
    }
    close(rep[1]);
    if (pid < 0) {
        perror("gosan run: fork");
        close(rep[0]);
        return -1;
    }
    int err = 0;
    ssize_t n;
    do
        n = read(rep[0], &err, sizeof err);
    while (n < 0 && errno == EINTR);
    close(rep[0]);
    if (n == (ssize_t)sizeof err) {
        fprintf(stderr, "gosan run: cannot execute '%s': %s\n", env->program,
                strerror(err));
        waitpid(pid, NULL, 0);
        return -1;
    }
    return pid;
}

int lnc_spawn_wait(const struct lnc_config *cfg, const struct lnc_env *env,
                   struct lnc_result *res)
{
    memset(res, 0, sizeof *res);
    int result = -1;
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    sigset_t mask, old;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGHUP);
    sigaddset(&mask, SIGQUIT);
    sigprocmask(SIG_BLOCK, &mask, &old);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    int errp[2] = { -1, -1 };
    struct tail t = { malloc(LNC_STDERR_TAIL), 0, 0 };
    if (sfd < 0 || pipe2(errp, O_CLOEXEC)) {
        perror("gosan run: signalfd/pipe");
        goto out;
    }
    res->start = (int64_t)time(NULL);
    double t0 = now_s();
    pid_t pid = start(cfg, env, &old, errp[1]);
    close(errp[1]);
    if (pid < 0) {
        close(errp[0]);
        goto out;
    }
    res->pid = pid;
    struct wait_state w = {
        .pid = pid,
        .err_fd = errp[0],
        .kill_at = cfg->timeout ? t0 + cfg->timeout + LNC_TIMEOUT_GRACE : 0,
    };
    wait_loop(&w, sfd, &t, res, cfg);
    if (w.err_fd >= 0)
        close(w.err_fd);
    res->seconds = now_s() - t0;
    result = 0;
out:
    tail_take(&t, res);
    if (sfd >= 0)
        close(sfd);
    /* The signals stay blocked: one arriving now (a cancelled CI job
     * whose program already exited) must not stop the launcher before it
     * has written the outputs. */
    return result;
}

void lnc_result_free(struct lnc_result *res)
{
    free(res->stderr_tail);
    res->stderr_tail = NULL;
}
