/* SPDX-License-Identifier: MIT */
/*
 * This file interposes thread creation and termination:
 *
 *  - pthread_create: the child starts knowing what the parent knew (the
 *    parent's clock), through a trampoline that registers the child with
 *    the detector before calling its start routine; the creation stack is
 *    kept for reports;
 *  - a thread's end (return from its routine, or pthread_exit) releases
 *    on the thread; pthread_join (and tryjoin, timedjoin) acquires it when
 *    it succeeds: everything the thread did happens before the join;
 *  - thread leaks: a thread that finished and was neither joined nor
 *    detached when the process exits is reported (TSan's "thread leak"),
 *    with where it was created.
 *
 * Each thread has a record shared by its creator (join, detach) and
 * itself (exit); it is consumed exactly once: by the join, or by whichever
 * of detach and exit comes second.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "interpose_impl.h"

enum {
    TH_FINISHED = 1,
    TH_JOINED = 2,
    TH_DETACHED = 4,
};

struct ip_thread {
    pthread_t th;
    struct det_thread *t;
    void *(*fn)(void *);
    void *arg;
    uint32_t creation_stack;
    uint32_t thread_id;
    _Atomic int state;
    struct ip_thread *next;  /* the table; table_lock */
};

static struct det_spin table_lock;
static struct ip_thread *table;
static __thread struct ip_thread *self_record
    __attribute__((tls_model("initial-exec")));

static void table_add(struct ip_thread *r)
{
    det_spin_lock(&table_lock);
    r->next = table;
    table = r;
    det_spin_unlock(&table_lock);
}

static struct ip_thread *table_find(pthread_t th)
{
    det_spin_lock(&table_lock);
    struct ip_thread *r = table;
    while (r && !pthread_equal(r->th, th))
        r = r->next;
    det_spin_unlock(&table_lock);
    return r;
}

static void table_remove(struct ip_thread *r)
{
    det_spin_lock(&table_lock);
    struct ip_thread **p = &table;
    while (*p && *p != r)
        p = &(*p)->next;
    if (*p)
        *p = r->next;
    det_spin_unlock(&table_lock);
    det_sync_free((uintptr_t)r, IP_KEY_THREAD_EXIT);
    det_tls_internal++;
    free(r);
    det_tls_internal--;
}

/* thread_end: the thread's last event. */
static void thread_end(void)
{
    struct ip_thread *r = self_record;
    struct det_thread *t = det_tls_cur;
    if (!r || !t)
        return;
    self_record = NULL;
    det_thread_exiting(t);
    det_release(t, det_sync_get((uintptr_t)r, IP_KEY_THREAD_EXIT, true));
    int old = atomic_fetch_or(&r->state, TH_FINISHED);
    det_thread_finish(t);
    det_tls_cur = NULL;
    if (old & TH_DETACHED)
        table_remove(r);
}

static void *trampoline(void *arg)
{
    struct ip_thread *r = arg;
    struct det_thread *t = r->t;
    t->os_tid = (pid_t)syscall(SYS_gettid);
    /* The whole stack block, which also holds the thread's TLS: roots of
     * the leak detector's reachability scan. */
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        void *lo;
        size_t size;
        if (pthread_attr_getstack(&attr, &lo, &size) == 0) {
            t->stack_lo = (uintptr_t)lo;
            t->stack_hi = (uintptr_t)lo + size;
        }
        pthread_attr_destroy(&attr);
    }
    det_tls_cur = t;
    self_record = r;
    det_thread_start(t);
    void *ret = r->fn(r->arg);
    thread_end();
    return ret;
}

IP_EXPORT int pthread_create(pthread_t *th, const pthread_attr_t *attr,
                   void *(*fn)(void *), void *arg)
{
    uintptr_t pc = IP_PC();
    struct det_thread *parent = ip_enter(pc);
    if (!parent)
        return REAL(pthread_create)(th, attr, fn, arg);
    int saved = errno;
    det_enter(parent);
    struct ip_thread *r = calloc(1, sizeof *r);
    struct det_thread *child = det_thread_new(false);
    det_leave(parent);
    if (!r)
        return EAGAIN;
    r->fn = fn;
    r->arg = arg;
    r->t = child;
    r->thread_id = child->thread_id;
    child->creation_stack = det_here(parent, pc);
    child->parent_goid = parent->goid;
    child->parent_thread_id = parent->thread_id;
    r->creation_stack = child->creation_stack;
    int detached = PTHREAD_CREATE_JOINABLE;
    if (attr)
        pthread_attr_getdetachstate(attr, &detached);
    if (detached == PTHREAD_CREATE_DETACHED)
        atomic_store(&r->state, TH_DETACHED);
    /* pthread_create -> the thread's start: the child starts with the
     * parent's clock. */
    det_clock_copy(&child->clock, &parent->clock);
    det_release_epoch(parent);
    errno = saved;
    int err = REAL(pthread_create)(th, attr, trampoline, r);
    if (err) {
        det_thread_finish(child);
        det_tls_internal++;
        free(r);
        det_tls_internal--;
        return err;
    }
    r->th = *th;
    table_add(r);
    return 0;
}

/* joined: the join succeeded; consume the record. */
static void joined(struct det_thread *t, pthread_t th)
{
    struct ip_thread *r = table_find(th);
    if (!r)
        return;
    struct det_sync *s = det_sync_get((uintptr_t)r, IP_KEY_THREAD_EXIT, false);
    if (s)
        det_acquire(t, s);
    atomic_fetch_or(&r->state, TH_JOINED);
    table_remove(r);
}

IP_EXPORT int pthread_join(pthread_t th, void **ret)
{
    struct det_thread *t = ip_enter(IP_PC());
    if (!t)
        return REAL(pthread_join)(th, ret);
    ip_block_call(t, "pthread_join", RT_WAIT_FOREVER, (void *)th);
    int err = REAL(pthread_join)(th, ret);
    int saved = errno;
    ip_unblock(t);
    if (err == 0)
        joined(t, th);
    errno = saved;
    return err;
}

IP_EXPORT int pthread_tryjoin_np(pthread_t th, void **ret)
{
    struct det_thread *t = ip_enter(IP_PC());
    int err = REAL(pthread_tryjoin_np)(th, ret);
    if (t && err == 0) {
        int saved = errno;
        joined(t, th);
        errno = saved;
    }
    return err;
}

IP_EXPORT int pthread_timedjoin_np(pthread_t th, void **ret,
                         const struct timespec *abstime)
{
    struct det_thread *t = ip_enter(IP_PC());
    if (!t)
        return REAL(pthread_timedjoin_np)(th, ret, abstime);
    int err = REAL(pthread_timedjoin_np)(th, ret, abstime);
    if (err == 0) {
        int saved = errno;
        joined(t, th);
        errno = saved;
    }
    return err;
}

IP_EXPORT int pthread_detach(pthread_t th)
{
    struct det_thread *t = ip_enter(IP_PC());
    int err = REAL(pthread_detach)(th);
    if (t && err == 0) {
        struct ip_thread *r = table_find(th);
        if (r) {
            int old = atomic_fetch_or(&r->state, TH_DETACHED);
            if (old & TH_FINISHED)
                table_remove(r);
        }
    }
    return err;
}

IP_EXPORT void pthread_exit(void *ret)
{
    if (ip_enter(IP_PC()))
        thread_end();
    REAL(pthread_exit)(ret);
}

/* ---- at exit ------------------------------------------------------------------ */

void ip_threads_at_exit(void)
{
    det_spin_lock(&table_lock);
    struct ip_thread *r = table;
    struct ip_thread *leaked[64];
    int n = 0;
    for (; r && n < 64; r = r->next) {
        int state = atomic_load(&r->state);
        if ((state & TH_FINISHED) && !(state & (TH_JOINED | TH_DETACHED)))
            leaked[n++] = r;
    }
    det_spin_unlock(&table_lock);
    for (int i = 0; i < n; i++) {
        struct rep_report rep;
        rep_report_init(&rep, REP_THREAD_LEAK, "WARNING: THREAD LEAK");
        rep.filter = &det_stack_filter;
        rep_report_message(&rep, "Thread T%u finished but was neither "
                           "joined nor detached\n", leaked[i]->thread_id - 1);
        const uintptr_t *pcs;
        int k = det_depot_get(leaked[i]->creation_stack, &pcs);
        struct rep_stack *s = rep_report_stack(&rep, pcs, k, "Thread T%u "
                                               "(finished) created at:",
                                               leaked[i]->thread_id - 1);
        if (s && !k)
            s->note = "[creation stack not known]";
        det_tls_internal++;
        rep_emit(&rep);
        rep_report_free(&rep);
        det_tls_internal--;
    }
}
