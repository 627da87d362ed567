/* SPDX-License-Identifier: MIT */
/*
 * Goroutines: go_spawn ids, go_id, go_yield, go_num_goroutine, GOMAXPROCS
 * (set/read, resizing under load, shrinking without stranding work, from
 * the environment, from a fake cgroup tree fed to the white-box helpers of
 * procs.c), go_exit of a goroutine and of main, and the process exiting
 * with main while goroutines still run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gosan.h>

#include "harness.h"
#include "runtime_impl.h"

/* ---- go_spawn ids and go_id ------------------------------------------------ */

#define NIDS 1000

struct ids {
    uint64_t returned[NIDS];  /* what go_spawn returned */
    uint64_t seen[NIDS];      /* what go_id() said inside the goroutine */
    go_wg wg;
};

struct id_arg {
    struct ids *ids;
    int i;
};

static void record_id(void *p)
{
    struct id_arg *a = p;
    a->ids->seen[a->i] = go_id();
    go_wg_done(&a->ids->wg);
}

START_TEST(test_go_main_id_is_one)
{
    ck_assert_uint_eq(go_id(), 1);
    ck_assert_int_eq(go_num_goroutine(), 1);
}
END_TEST

START_TEST(test_go_spawn_ids_increase)
{
    /* Spawned in a row, without a park in between: the ids come from the
     * same P's batch (or later batches) and must increase. */
    static struct ids ids;
    static struct id_arg args[10];
    memset(&ids, 0, sizeof ids);
    go_wg_add(&ids.wg, 10);
    for (int i = 0; i < 10; i++) {
        args[i] = (struct id_arg){ &ids, i };
        ids.returned[i] = go(record_id, &args[i]);
    }
    go_wg_wait(&ids.wg);
    uint64_t prev = 1;
    for (int i = 0; i < 10; i++) {
        ck_assert_msg(ids.returned[i] > prev,
                      "id %d is %llu, not above the previous %llu", i,
                      (unsigned long long)ids.returned[i],
                      (unsigned long long)prev);
        ck_assert_uint_eq(ids.seen[i], ids.returned[i]);
        prev = ids.returned[i];
    }
}
END_TEST

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

START_TEST(test_go_id_distinct_per_goroutine)
{
    static struct ids ids;
    static struct id_arg args[NIDS];
    memset(&ids, 0, sizeof ids);
    go_wg_add(&ids.wg, NIDS);
    for (int i = 0; i < NIDS; i++) {
        args[i] = (struct id_arg){ &ids, i };
        ids.returned[i] = go(record_id, &args[i]);
        ck_assert_uint_gt(ids.returned[i], 1);
    }
    go_wg_wait(&ids.wg);
    ck_assert_uint_eq(go_id(), 1);
    for (int i = 0; i < NIDS; i++)
        ck_assert_uint_eq(ids.seen[i], ids.returned[i]);
    qsort(ids.seen, NIDS, sizeof ids.seen[0], cmp_u64);
    for (int i = 1; i < NIDS; i++)
        ck_assert_msg(ids.seen[i] != ids.seen[i - 1],
                      "two goroutines have id %llu",
                      (unsigned long long)ids.seen[i]);
}
END_TEST

/* ---- go_yield ---------------------------------------------------------------- */

static void set_flag(void *p)
{
    __atomic_store_n((int *)p, 1, __ATOMIC_RELEASE);
}

START_TEST(test_go_yield_lets_others_run)
{
    /* One P: the spawned goroutine can only run if main gives the P up. */
    go_maxprocs(1);
    static int flag;
    go(set_flag, &flag);
    long spins = 0;
    while (!__atomic_load_n(&flag, __ATOMIC_ACQUIRE) && spins < 1000000) {
        go_yield();
        spins++;
    }
    ck_assert_msg(flag, "the goroutine never ran after %ld yields", spins);
}
END_TEST

struct pingpong {
    int turn;   /* whose turn: 0 or 1 */
    int rounds;
    go_wg wg;
};

static void yielder(void *p)
{
    struct pingpong *pp = p;
    for (int i = 0; i < pp->rounds; i++) {
        while (__atomic_load_n(&pp->turn, __ATOMIC_ACQUIRE) != 1)
            go_yield();
        __atomic_store_n(&pp->turn, 0, __ATOMIC_RELEASE);
    }
    go_wg_done(&pp->wg);
}

START_TEST(test_go_yield_pingpong_one_proc)
{
    go_maxprocs(1);
    static struct pingpong pp;
    memset(&pp, 0, sizeof pp);
    pp.rounds = 10000;
    go_wg_add(&pp.wg, 1);
    go(yielder, &pp);
    for (int i = 0; i < pp.rounds; i++) {
        __atomic_store_n(&pp.turn, 1, __ATOMIC_RELEASE);
        while (__atomic_load_n(&pp.turn, __ATOMIC_ACQUIRE) != 0)
            go_yield();
    }
    go_wg_wait(&pp.wg);
}
END_TEST

/* ---- go_num_goroutine -------------------------------------------------------- */

struct parked {
    go_chan *release;
    go_wg started, done;
};

static void park_on_channel(void *p)
{
    struct parked *pk = p;
    go_wg_done(&pk->started);
    go_chan_recv(pk->release, NULL);
    go_wg_done(&pk->done);
}

/* wait_goroutines waits (up to 5 s) until go_num_goroutine() == n. */
static int wait_goroutines(int n)
{
    int64_t deadline = test_now() + 5000000000;
    while (go_num_goroutine() != n && test_now() < deadline)
        go_sleep(100000);
    return go_num_goroutine();
}

START_TEST(test_go_num_goroutine_counts)
{
    ck_assert_int_eq(go_num_goroutine(), 1);
    static struct parked pk;
    memset(&pk, 0, sizeof pk);
    pk.release = go_chan_make(0, 0);
    go_wg_add(&pk.started, 10);
    go_wg_add(&pk.done, 10);
    for (int i = 0; i < 10; i++)
        go(park_on_channel, &pk);
    go_wg_wait(&pk.started);
    /* All ten exist until released. */
    ck_assert_int_eq(go_num_goroutine(), 11);
    go_chan_close(pk.release);
    go_wg_wait(&pk.done);
    ck_assert_int_eq(wait_goroutines(1), 1);
    go_chan_free(pk.release);
}
END_TEST

/* ---- go_maxprocs ---------------------------------------------------------------- */

static void add_one(void *p)
{
    struct { int count; go_wg wg; } *s = p;
    __atomic_add_fetch(&s->count, 1, __ATOMIC_RELAXED);
    go_wg_done(&s->wg);
}

/* spawn_and_join runs n goroutines and returns how many ran. */
static int spawn_and_join(int n)
{
    static struct { int count; go_wg wg; } s;
    memset(&s, 0, sizeof s);
    go_wg_add(&s.wg, n);
    for (int i = 0; i < n; i++)
        go(add_one, &s);
    go_wg_wait(&s.wg);
    return s.count;
}

START_TEST(test_go_maxprocs_set_read_restore)
{
    int initial = go_maxprocs(0);
    ck_assert_int_ge(initial, 1);
    ck_assert_int_eq(go_maxprocs(-1), initial); /* n <= 0 only reads */
    ck_assert_int_eq(go_maxprocs(3), initial);  /* returns the previous */
    ck_assert_int_eq(go_maxprocs(0), 3);
    ck_assert_int_eq(spawn_and_join(1000), 1000);
    ck_assert_int_eq(go_maxprocs(1), 3);
    ck_assert_int_eq(spawn_and_join(1000), 1000);
    ck_assert_int_eq(go_maxprocs(8), 1);
    ck_assert_int_eq(spawn_and_join(1000), 1000);
    ck_assert_int_eq(go_maxprocs(8), 8); /* same value: no change */
    /* Go's limit: _MaxGomaxprocs is 1024. */
    ck_assert_int_eq(go_maxprocs(5000), 8);
    ck_assert_int_eq(go_maxprocs(0), 1024);
    ck_assert_int_eq(spawn_and_join(1000), 1000);
    ck_assert_int_eq(go_maxprocs(8), 1024);
    ck_assert_int_eq(go_maxprocs(initial), 8);
    ck_assert_int_eq(go_maxprocs(0), initial);
    ck_assert_int_eq(spawn_and_join(1000), 1000);
}
END_TEST

/* A watchdog on an OS thread of its own: if the test has not cancelled it
 * within ns, it records that it fired, spawns a goroutine (which wakes a
 * thread: a goroutine stranded in a run queue while every M sleeps gets
 * run again) and sends -1 on c (a foreign thread may use channels). The
 * test can then wait with no timer pending (its own timer would be the
 * wakeup that hides a stranded goroutine) and still fail fast. */
struct watchdog {
    go_chan *c;
    int64_t ns;
    int cancelled, fired;
    pthread_t thread;
};

static void nothing(void *p)
{
    (void)p;
}

static void *watchdog_main(void *p)
{
    struct watchdog *w = p;
    int64_t deadline = test_now() + w->ns;
    while (!__atomic_load_n(&w->cancelled, __ATOMIC_ACQUIRE)) {
        if (test_now() > deadline) {
            __atomic_store_n(&w->fired, 1, __ATOMIC_RELEASE);
            go(nothing, NULL);
            int v = -1;
            go_chan_send(w->c, &v);
            break;
        }
        usleep(10000);
    }
    return NULL;
}

static void watchdog_start(struct watchdog *w, go_chan *c, int64_t ns)
{
    w->c = c;
    w->ns = ns;
    w->cancelled = 0;
    w->fired = 0;
    ck_assert_int_eq(pthread_create(&w->thread, NULL, watchdog_main, w), 0);
}

static void watchdog_stop(struct watchdog *w)
{
    __atomic_store_n(&w->cancelled, 1, __ATOMIC_RELEASE);
    pthread_join(w->thread, NULL);
}

struct resize_load {
    go_chan *ping, *pong, *done;
    int stop;
    long rounds, yields;
};

static void report_done(go_chan *done)
{
    int v = 1;
    go_chan_send(done, &v);
}

static void pinger(void *p)
{
    struct resize_load *r = p;
    int v = 0;
    while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
        go_chan_send(r->ping, &v);
        go_chan_recv(r->pong, &v);
        __atomic_add_fetch(&r->rounds, 1, __ATOMIC_RELAXED);
    }
    go_chan_close(r->ping);
    report_done(r->done);
}

static void ponger(void *p)
{
    struct resize_load *r = p;
    int v;
    while (go_chan_recv(r->ping, &v)) {
        v++;
        go_chan_send(r->pong, &v);
    }
    report_done(r->done);
}

static void busy_yielder(void *p)
{
    struct resize_load *r = p;
    while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
        __atomic_add_fetch(&r->yields, 1, __ATOMIC_RELAXED);
        go_yield();
    }
    report_done(r->done);
}

START_TEST(test_go_maxprocs_resize_under_load)
{
    /* GOMAXPROCS changes while goroutines yield and hand values over. */
    static struct resize_load r;
    memset(&r, 0, sizeof r);
    r.ping = go_chan_make(sizeof(int), 0);
    r.pong = go_chan_make(sizeof(int), 0);
    r.done = go_chan_make(sizeof(int), 16);
    go(pinger, &r);
    go(ponger, &r);
    for (int i = 0; i < 4; i++)
        go(busy_yielder, &r);
    static const int sizes[] = { 1, 4, 2, 8, 1, 3, 2 };
    for (int i = 0; i < 140; i++) {
        go_maxprocs(sizes[i % 7]);
        go_sleep(200000);
    }
    long rounds = __atomic_load_n(&r.rounds, __ATOMIC_RELAXED);
    __atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
    /* All six finish; no timer of ours is pending while we wait. */
    struct watchdog w;
    watchdog_start(&w, r.done, 10000000000);
    int finished = 0, v;
    while (finished < 6 && go_chan_recv(r.done, &v) && v == 1)
        finished++;
    watchdog_stop(&w);
    ck_assert_msg(finished == 6 && !w.fired, "%d of 6 goroutines finished "
                  "within 10 s of being told to%s (GOMAXPROCS now %d)",
                  finished, w.fired ? ", the others only once the watchdog "
                  "woke a thread" : "", go_maxprocs(0));
    ck_assert_int_gt(rounds, 0);
    ck_assert_int_gt(r.yields, 0);
    go_chan_free(r.ping);
    go_chan_free(r.pong);
    go_chan_free(r.done);
}
END_TEST

static void yield_until_stop(void *p)
{
    struct resize_load *r = p;
    while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
        go_yield();
    report_done(r->done);
}

START_TEST(test_go_maxprocs_shrink_strands_no_goroutine)
{
    /* A goroutine yields on P1 while GOMAXPROCS drops to 1 and main
     * parks (P0 idle, no timer): P1's M retires it at its next pass
     * through the scheduler, and the goroutine it was running must still
     * find a thread. */
    static struct resize_load r;
    memset(&r, 0, sizeof r);
    r.done = go_chan_make(sizeof(int), 4);
    struct watchdog w;
    watchdog_start(&w, r.done, 10000000000);
    int round, v = 1;
    for (round = 0; round < 2000 && v == 1; round++) {
        go_maxprocs(2);
        __atomic_store_n(&r.stop, 0, __ATOMIC_RELEASE);
        go(yield_until_stop, &r);
        go_sleep(200000); /* main's P goes idle, the goroutine runs */
        go_maxprocs(1);
        __atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
        go_chan_recv(r.done, &v);
    }
    watchdog_stop(&w);
    ck_assert_msg(v == 1 && !w.fired, "round %d: the yielding goroutine never finished "
                  "after GOMAXPROCS went from 2 to 1 (stranded in a run "
                  "queue with every thread asleep)", round - 1);
    go_chan_free(r.done);
}
END_TEST

SCENARIO(go_print_maxprocs)
{
    printf("maxprocs=%d\n", go_maxprocs(0));
}

/* expected_default_procs computes what the runtime should pick with
 * GOMAXPROCS unset, from this machine's affinity and cgroup. */
static int expected_default_procs(void)
{
    cpu_set_t set;
    ck_assert_int_eq(sched_getaffinity(0, sizeof set, &set), 0);
    double limit = rt__cgroup_cpu_limit("/proc/self/cgroup",
                                        "/proc/self/mountinfo", "");
    return rt__procs_compute(NULL, CPU_COUNT(&set), limit);
}

START_TEST(test_go_maxprocs_from_env)
{
    /* run_scenario appends its entries after the inherited environment,
     * and getenv finds the first: drop an inherited GOMAXPROCS. */
    unsetenv("GOMAXPROCS");
    struct child c;
    const char *env[] = { "GOMAXPROCS=3", NULL };
    run_scenario("go_print_maxprocs", env, 30, &c);
    ck_assert_exited(&c, 0);
    ck_assert_output_has(&c, "maxprocs=3\n");
    child_free(&c);

    /* Invalid values are ignored: the default applies. */
    char want[64];
    snprintf(want, sizeof want, "maxprocs=%d\n", expected_default_procs());
    static const char *const bad[] = { "GOMAXPROCS=abc", "GOMAXPROCS=0",
                                       "GOMAXPROCS=-4", "GOMAXPROCS=3x",
                                       "GOMAXPROCS=" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *e[] = { bad[i], NULL };
        run_scenario("go_print_maxprocs", e, 30, &c);
        ck_assert_exited(&c, 0);
        ck_assert_msg(strstr(c.output, want) != NULL,
                      "with %s expected \"%s\", got:\n%s", bad[i], want,
                      c.output);
        child_free(&c);
    }
}
END_TEST

/* ---- GOMAXPROCS from a fake cgroup tree (white-box) ---------------------------- */

static char fake_root[64]; /* mkdtemp'd: /tmp/gosan-cgroup-XXXXXX */

/* fake_write writes text to fake_root/rel, creating the directories. */
static void fake_write(const char *rel, const char *text)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", fake_root, rel);
    for (char *s = path + strlen(fake_root) + 1; (s = strchr(s, '/')); s++) {
        *s = '\0';
        ck_assert_msg(mkdir(path, 0755) == 0 || errno == EEXIST,
                      "mkdir %s: %s", path, strerror(errno));
        *s = '/';
    }
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "fopen %s: %s", path, strerror(errno));
    fputs(text, f);
    fclose(f);
}

static double fake_limit(void)
{
    char cg[PATH_MAX], mi[PATH_MAX];
    snprintf(cg, sizeof cg, "%s/proc_self_cgroup", fake_root);
    snprintf(mi, sizeof mi, "%s/proc_self_mountinfo", fake_root);
    return rt__cgroup_cpu_limit(cg, mi, fake_root);
}

static void fake_setup(void)
{
    snprintf(fake_root, sizeof fake_root, "/tmp/gosan-cgroup-XXXXXX");
    ck_assert(mkdtemp(fake_root) != NULL);
}

static void fake_teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fake_root);
    if (fake_root[0] && system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", fake_root);
}

#define V2_MOUNTINFO                                                       \
    "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"              \
    "30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime "         \
    "shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n"

#define CG2 "sys/fs/cgroup/"

#define ck_assert_limit(got, want)                                          \
    ck_assert_msg((got) > (want) - 1e-9 && (got) < (want) + 1e-9,           \
                  "cgroup limit %g, expected %g", (double)(got),            \
                  (double)(want))

START_TEST(test_procs_cgroup_v2_fractional_quota)
{
    fake_setup();
    fake_write("proc_self_cgroup", "0::/user.slice/app.scope\n");
    fake_write("proc_self_mountinfo", V2_MOUNTINFO);
    fake_write(CG2 "user.slice/app.scope/cpu.max", "150000 100000\n");
    double l = fake_limit();
    ck_assert_limit(l, 1.5);
    ck_assert_int_eq(rt__procs_compute(NULL, 8, l), 2); /* rounded up */
    ck_assert_int_eq(rt__procs_compute(NULL, 1, l), 1); /* CPUs are fewer */
    fake_teardown();
}
END_TEST

START_TEST(test_procs_cgroup_v2_max_is_no_limit)
{
    fake_setup();
    fake_write("proc_self_cgroup", "0::/user.slice/app.scope\n");
    fake_write("proc_self_mountinfo", V2_MOUNTINFO);
    fake_write(CG2 "user.slice/app.scope/cpu.max", "max 100000\n");
    fake_write(CG2 "user.slice/cpu.max", "max 100000\n");
    double l = fake_limit();
    ck_assert(l < 0);
    ck_assert_int_eq(rt__procs_compute(NULL, 8, l), 8);
    fake_teardown();
}
END_TEST

START_TEST(test_procs_cgroup_v2_parent_stricter)
{
    fake_setup();
    fake_write("proc_self_cgroup", "0::/kubepods/pod1/ctr\n");
    fake_write("proc_self_mountinfo", V2_MOUNTINFO);
    fake_write(CG2 "kubepods/pod1/ctr/cpu.max", "400000 100000\n");
    fake_write(CG2 "kubepods/pod1/cpu.max", "250000 100000\n");
    fake_write(CG2 "kubepods/cpu.max", "max 100000\n");
    double l = fake_limit();
    ck_assert_limit(l, 2.5);
    ck_assert_int_eq(rt__procs_compute(NULL, 16, l), 3);
    /* And the other way round: the leaf is the strictest. */
    fake_write(CG2 "kubepods/pod1/ctr/cpu.max", "300000 200000\n");
    l = fake_limit();
    ck_assert_limit(l, 1.5);
    ck_assert_int_eq(rt__procs_compute(NULL, 16, l), 2);
    fake_teardown();
}
END_TEST

START_TEST(test_procs_cgroup_v2_namespace_root)
{
    /* A container with a private cgroup namespace: the process is at "/"
     * and the limit sits at the mount point itself. */
    fake_setup();
    fake_write("proc_self_cgroup", "0::/\n");
    fake_write("proc_self_mountinfo", V2_MOUNTINFO);
    fake_write(CG2 "cpu.max", "300000 100000\n");
    double l = fake_limit();
    ck_assert_limit(l, 3.0);
    ck_assert_int_eq(rt__procs_compute(NULL, 8, l), 3);
    fake_teardown();
}
END_TEST

START_TEST(test_procs_cgroup_v2_missing_files)
{
    fake_setup();
    fake_write("proc_self_cgroup", "0::/a/b\n");
    fake_write("proc_self_mountinfo", V2_MOUNTINFO);
    /* No cpu.max anywhere. */
    ck_assert(fake_limit() < 0);
    /* Garbage in cpu.max. */
    fake_write(CG2 "a/b/cpu.max", "garbage\n");
    ck_assert(fake_limit() < 0);
    /* No such /proc/self/cgroup or mountinfo. */
    ck_assert(rt__cgroup_cpu_limit("/nonexistent/cgroup",
                                   "/nonexistent/mountinfo", fake_root) < 0);
    fake_teardown();
}
END_TEST

#define V1_MOUNTINFO                                                       \
    "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"              \
    "30 22 0:27 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n"    \
    "31 30 0:28 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup "        \
    "rw,memory\n"                                                          \
    "32 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup "   \
    "rw,cpu,cpuacct\n"

#define V1_CGROUP                                                          \
    "12:memory:/docker/abc\n"                                              \
    "11:cpu,cpuacct:/docker/abc\n"                                         \
    "1:name=systemd:/docker/abc\n"

#define CG1 "sys/fs/cgroup/cpu,cpuacct/"

START_TEST(test_procs_cgroup_v1_quota)
{
    fake_setup();
    fake_write("proc_self_cgroup", V1_CGROUP);
    fake_write("proc_self_mountinfo", V1_MOUNTINFO);
    fake_write(CG1 "docker/abc/cpu.cfs_quota_us", "350000\n");
    fake_write(CG1 "docker/abc/cpu.cfs_period_us", "100000\n");
    double l = fake_limit();
    ck_assert_limit(l, 3.5);
    ck_assert_int_eq(rt__procs_compute(NULL, 8, l), 4);
    /* A stricter parent wins. */
    fake_write(CG1 "docker/cpu.cfs_quota_us", "200000\n");
    fake_write(CG1 "docker/cpu.cfs_period_us", "100000\n");
    l = fake_limit();
    ck_assert_limit(l, 2.0);
    ck_assert_int_eq(rt__procs_compute(NULL, 8, l), 2);
    fake_teardown();
}
END_TEST

START_TEST(test_procs_cgroup_v1_unlimited)
{
    fake_setup();
    fake_write("proc_self_cgroup", V1_CGROUP);
    fake_write("proc_self_mountinfo", V1_MOUNTINFO);
    fake_write(CG1 "docker/abc/cpu.cfs_quota_us", "-1\n");
    fake_write(CG1 "docker/abc/cpu.cfs_period_us", "100000\n");
    fake_write(CG1 "docker/cpu.cfs_quota_us", "-1\n");
    fake_write(CG1 "docker/cpu.cfs_period_us", "100000\n");
    double l = fake_limit();
    ck_assert(l < 0);
    ck_assert_int_eq(rt__procs_compute(NULL, 6, l), 6);
    fake_teardown();
}
END_TEST

START_TEST(test_procs_cgroup_v1_mount_root_is_the_cgroup)
{
    /* Inside a container the v1 mount's root is the container's cgroup:
     * the limit files are at the mount point itself. */
    fake_setup();
    fake_write("proc_self_cgroup", "4:cpu,cpuacct:/docker/abc\n");
    fake_write("proc_self_mountinfo",
               "40 30 0:35 /docker/abc /sys/fs/cgroup/cpu rw,nosuid - "
               "cgroup cgroup rw,cpu,cpuacct\n");
    fake_write("sys/fs/cgroup/cpu/cpu.cfs_quota_us", "50000\n");
    fake_write("sys/fs/cgroup/cpu/cpu.cfs_period_us", "20000\n");
    double l = fake_limit();
    ck_assert_limit(l, 2.5);
    ck_assert_int_eq(rt__procs_compute(NULL, 8, l), 3);
    fake_teardown();
}
END_TEST

START_TEST(test_procs_cgroup_limit_below_two_rounds_to_two)
{
    /* Go 1.25 (runtime.adjustCgroupGOMAXPROCS): limit = max(ceil(limit),
     * 2), then the minimum with the CPU count. API.md promises Go 1.25's
     * behaviour. */
    ck_assert_int_eq(rt__procs_compute(NULL, 8, 0.5), 2);
    ck_assert_int_eq(rt__procs_compute(NULL, 8, 1.0), 2);
    ck_assert_int_eq(rt__procs_compute(NULL, 1, 0.5), 1);
}
END_TEST

START_TEST(test_procs_env_overrides)
{
    /* A valid GOMAXPROCS wins over both the CPUs and the cgroup. */
    ck_assert_int_eq(rt__procs_compute("3", 8, 1.5), 3);
    ck_assert_int_eq(rt__procs_compute("16", 2, -1), 16);
    ck_assert_int_eq(rt__procs_compute("1", 8, -1), 1);
    /* Invalid values are ignored. */
    ck_assert_int_eq(rt__procs_compute("abc", 8, 1.5), 2);
    ck_assert_int_eq(rt__procs_compute("0", 8, -1), 8);
    ck_assert_int_eq(rt__procs_compute("-3", 8, -1), 8);
    ck_assert_int_eq(rt__procs_compute("4x", 8, -1), 8);
    ck_assert_int_eq(rt__procs_compute("", 8, -1), 8);
    ck_assert_int_eq(rt__procs_compute("99999999999999999999", 8, -1), 8);
    /* No CPU count: at least one P. */
    ck_assert_int_eq(rt__procs_compute(NULL, 0, -1), 1);
    /* A limit above the CPU count does not raise it. */
    ck_assert_int_eq(rt__procs_compute(NULL, 2, 6.0), 2);
}
END_TEST

/* ---- go_exit ------------------------------------------------------------------------ */

struct exiter {
    go_wg wg;
    int before, after;
};

static RT_NOINLINE void exit_deep(struct exiter *e, int depth)
{
    if (depth > 0) {
        exit_deep(e, depth - 1);
        __atomic_add_fetch(&e->after, 1, __ATOMIC_RELAXED);
        return;
    }
    go_exit();
}

static void exiting_goroutine(void *p)
{
    struct exiter *e = p;
    __atomic_add_fetch(&e->before, 1, __ATOMIC_RELAXED);
    go_wg_done(&e->wg); /* done before the exit: the only way to count */
    exit_deep(e, 5);
    __atomic_add_fetch(&e->after, 1, __ATOMIC_RELAXED);
}

START_TEST(test_go_exit_in_goroutine)
{
    static struct exiter e;
    memset(&e, 0, sizeof e);
    go_wg_add(&e.wg, 1000);
    for (int i = 0; i < 1000; i++)
        go(exiting_goroutine, &e);
    go_wg_wait(&e.wg);
    ck_assert_int_eq(wait_goroutines(1), 1);
    ck_assert_int_eq(e.before, 1000);
    ck_assert_int_eq(e.after, 0);
    /* The slots of exited goroutines are reused cleanly. */
    ck_assert_int_eq(spawn_and_join(2000), 2000);
}
END_TEST

static void late_worker(void *p)
{
    (void)p;
    go_sleep(50000000);
    printf("worker done\n");
    fflush(stdout);
}

SCENARIO(go_exit_main)
{
    go(late_worker, NULL);
    go(late_worker, NULL);
    go_exit();
    printf("main resumed after go_exit\n");
}

START_TEST(test_go_exit_main_others_run_then_fatal)
{
    struct child c;
    run_scenario("go_exit_main", NULL, 30, &c);
    ck_assert_exited(&c, 2);
    ck_assert_int_eq(child_count(&c, "worker done"), 2);
    ck_assert_output_has(&c, "fatal error: no goroutines (main called "
                             "runtime.Goexit) - deadlock!");
    ck_assert_output_lacks(&c, "main resumed");
    /* The workers ran before the fatal error. */
    ck_assert_msg(strstr(c.output, "worker done") <
                      strstr(c.output, "fatal error"),
                  "the fatal error came before the workers finished:\n%s",
                  c.output);
    child_free(&c);
}
END_TEST

static void recv_forever(void *c)
{
    go_chan_recv(c, NULL);
}

SCENARIO(go_exit_main_others_blocked)
{
    go_chan *c = go_chan_make(0, 0);
    go(recv_forever, c);
    go_exit();
}

START_TEST(test_go_exit_main_others_blocked_deadlock)
{
    /* Go: with main gone and the rest blocked forever, it is the ordinary
     * deadlock. */
    struct child c;
    run_scenario("go_exit_main_others_blocked", NULL, 30, &c);
    ck_assert_exited(&c, 2);
    ck_assert_output_has(&c, "fatal error: all goroutines are asleep - "
                             "deadlock!");
    ck_assert_output_has(&c, "[chan receive]");
    child_free(&c);
}
END_TEST

/* ---- main returning exits the process ------------------------------------------------- */

/* spin_forever burns CPU, yielding now and then: without asynchronous
 * preemption a goroutine that never calls the runtime would keep its P
 * (and main, once it sleeps, would never get one back). */
static void spin_forever(void *p)
{
    volatile long *n = p;
    for (;;) {
        for (int i = 0; i < 100000; i++)
            (*n)++;
        go_yield();
    }
}

static void yield_forever(void *p)
{
    (void)p;
    for (;;)
        go_yield();
}

static void block_forever(void *p)
{
    go_chan_recv(p, NULL);
}

static void start_busy_goroutines(void)
{
    static volatile long counters[4];
    for (int i = 0; i < 4; i++)
        go(spin_forever, (void *)&counters[i]);
    for (int i = 0; i < 4; i++)
        go(yield_forever, NULL);
    go_chan *c = go_chan_make(0, 0);
    for (int i = 0; i < 100; i++)
        go(block_forever, c);
    go(late_worker, NULL);
    /* Let them all get going. */
    go_sleep(20000000);
    printf("main returning with %d goroutines\n", go_num_goroutine());
    fflush(stdout);
}

SCENARIO(go_main_returns)
{
    start_busy_goroutines();
}

SCENARIO(go_main_exits_7)
{
    start_busy_goroutines();
    exit(7);
}

START_TEST(test_go_main_return_exits_process)
{
    struct child c;
    run_scenario("go_main_returns", NULL, 30, &c);
    ck_assert_exited(&c, 0);
    ck_assert_output_has(&c, "main returning with 110 goroutines");
    ck_assert_output_lacks(&c, "worker done");
    child_free(&c);

    run_scenario("go_main_exits_7", NULL, 30, &c);
    ck_assert_exited(&c, 7);
    ck_assert_output_has(&c, "main returning with 110 goroutines");
    ck_assert_output_lacks(&c, "worker done");
    child_free(&c);
}
END_TEST

TCase *tcase_runtime_go(void)
{
    TCase *tc = tcase_create("go");
    tcase_add_checked_fixture(tc, rt_test_setup, rt_test_verify);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_go_main_id_is_one);
    tcase_add_test(tc, test_go_spawn_ids_increase);
    tcase_add_test(tc, test_go_id_distinct_per_goroutine);
    tcase_add_test(tc, test_go_yield_lets_others_run);
    tcase_add_test(tc, test_go_yield_pingpong_one_proc);
    tcase_add_test(tc, test_go_num_goroutine_counts);
    tcase_add_test(tc, test_go_maxprocs_set_read_restore);
    tcase_add_test(tc, test_go_maxprocs_resize_under_load);
    tcase_add_test(tc, test_go_maxprocs_shrink_strands_no_goroutine);
    tcase_add_test(tc, test_go_maxprocs_from_env);
    tcase_add_test(tc, test_procs_cgroup_v2_fractional_quota);
    tcase_add_test(tc, test_procs_cgroup_v2_max_is_no_limit);
    tcase_add_test(tc, test_procs_cgroup_v2_parent_stricter);
    tcase_add_test(tc, test_procs_cgroup_v2_namespace_root);
    tcase_add_test(tc, test_procs_cgroup_v2_missing_files);
    tcase_add_test(tc, test_procs_cgroup_v1_quota);
    tcase_add_test(tc, test_procs_cgroup_v1_unlimited);
    tcase_add_test(tc, test_procs_cgroup_v1_mount_root_is_the_cgroup);
    tcase_add_test(tc, test_procs_cgroup_limit_below_two_rounds_to_two);
    tcase_add_test(tc, test_procs_env_overrides);
    tcase_add_test(tc, test_go_exit_in_goroutine);
    tcase_add_test(tc, test_go_exit_main_others_run_then_fatal);
    tcase_add_test(tc, test_go_exit_main_others_blocked_deadlock);
    tcase_add_test(tc, test_go_main_return_exits_process);
    return tc;
}
