/* SPDX-License-Identifier: MIT */
/*
 * interpose_impl.h is shared by the pthread interposer's files (part of
 * libgosan-detect.so). Every wrapper has the same shape, and contains no
 * detector logic of its own:
 *
 *   1. enter: calls from gosan's own code, and calls made while the
 *      detector itself runs, go straight to the real function;
 *   2. the pre-hook (an unlock is announced before the real unlock);
 *   3. the real function, through REAL();
 *   4. the post-hook, only when the real function succeeded (a lock is
 *      recorded once taken).
 *
 * errno is saved around the hooks: detector work never changes it.
 *
 * What the interposer cannot see: glibc's internal locking (its own calls
 * go through internal aliases, not through these symbols), and calls made
 * before the detector's constructor ran that have already returned.
 */
#ifndef GOSAN_INTERPOSE_IMPL_H
#define GOSAN_INTERPOSE_IMPL_H

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <time.h>

#include "detector_impl.h"

#pragma GCC visibility push(hidden)

/* The real functions, resolved once (real.c). */
struct ip_real {
    int (*pthread_create)(pthread_t *, const pthread_attr_t *,
                          void *(*)(void *), void *);
    int (*pthread_join)(pthread_t, void **);
    int (*pthread_tryjoin_np)(pthread_t, void **);
    int (*pthread_timedjoin_np)(pthread_t, void **, const struct timespec *);
    int (*pthread_detach)(pthread_t);
    void (*pthread_exit)(void *) __attribute__((noreturn));
    int (*pthread_mutex_init)(pthread_mutex_t *, const pthread_mutexattr_t *);
    int (*pthread_mutex_destroy)(pthread_mutex_t *);
    int (*pthread_mutex_lock)(pthread_mutex_t *);
    int (*pthread_mutex_trylock)(pthread_mutex_t *);
    int (*pthread_mutex_timedlock)(pthread_mutex_t *, const struct timespec *);
    int (*pthread_mutex_unlock)(pthread_mutex_t *);
    int (*pthread_spin_lock)(pthread_spinlock_t *);
    int (*pthread_spin_trylock)(pthread_spinlock_t *);
    int (*pthread_spin_unlock)(pthread_spinlock_t *);
    int (*pthread_spin_destroy)(pthread_spinlock_t *);
    int (*pthread_rwlock_destroy)(pthread_rwlock_t *);
    int (*pthread_rwlock_rdlock)(pthread_rwlock_t *);
    int (*pthread_rwlock_tryrdlock)(pthread_rwlock_t *);
    int (*pthread_rwlock_timedrdlock)(pthread_rwlock_t *,
                                      const struct timespec *);
    int (*pthread_rwlock_wrlock)(pthread_rwlock_t *);
    int (*pthread_rwlock_trywrlock)(pthread_rwlock_t *);
    int (*pthread_rwlock_timedwrlock)(pthread_rwlock_t *,
                                      const struct timespec *);
    int (*pthread_rwlock_unlock)(pthread_rwlock_t *);
    int (*pthread_cond_wait)(pthread_cond_t *, pthread_mutex_t *);
    int (*pthread_cond_timedwait)(pthread_cond_t *, pthread_mutex_t *,
                                  const struct timespec *);
    int (*pthread_cond_signal)(pthread_cond_t *);
    int (*pthread_cond_broadcast)(pthread_cond_t *);
    int (*pthread_cond_destroy)(pthread_cond_t *);
    int (*pthread_once)(pthread_once_t *, void (*)(void));
    int (*pthread_barrier_wait)(pthread_barrier_t *);
    int (*sem_wait)(sem_t *);
    int (*sem_trywait)(sem_t *);
    int (*sem_timedwait)(sem_t *, const struct timespec *);
    int (*sem_post)(sem_t *);
    pid_t (*fork)(void);
};

extern struct ip_real ip_real;
void ip_real_init(void);

#define REAL(fn) (ip_real.fn ? ip_real.fn : (ip_real_init(), ip_real.fn))

#define IP_PC() ((uintptr_t)__builtin_return_address(0))

/* The wrappers are the library's exported definitions of these symbols. */
#define IP_EXPORT __attribute__((visibility("default")))

/* ip_enter decides whether a call is the program's: returns its thread, or
 * NULL when the call must go straight to the real function. */
static inline struct det_thread *ip_enter(uintptr_t pc)
{
    if (!det_global.enabled || det_tls_internal || det_internal_caller(pc))
        return NULL;
    struct det_thread *t = det_cur();
    return t->in_runtime ? NULL : t;
}

/* ip_block / ip_unblock bracket a call that may block: the thread counts
 * as parked (its slot may be taken; it cannot access memory meanwhile) and
 * records what it waits on, for wait-for cycles and the hang watchdog. */
void ip_block(struct det_thread *t, enum rt_wait_reason reason,
              const void *obj);
/* ip_block_call also names the call (for the hang report). */
void ip_block_call(struct det_thread *t, const char *call,
                   enum rt_wait_reason reason, const void *obj);
void ip_unblock(struct det_thread *t);

/* Keys (key2) of the sync objects the interposer adds. */
#define IP_KEY_THREAD_EXIT 0x7e11ull
#define IP_KEY_ONCE 0x0ce1ull

/* thread.c: what the thread table knows at exit. */
void ip_threads_at_exit(void);

#pragma GCC visibility pop

#endif
