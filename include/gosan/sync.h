/* SPDX-License-Identifier: MIT */
/*
 * Package sync and x/sync/semaphore: Mutex, RWMutex, WaitGroup, Once, Cond
 * and the weighted semaphore. Every zero-initialised value is ready to use
 * (go_cond needs go_cond_init for its L, go_sem needs go_sem_init for its
 * size). None of them may be copied while in use.
 *
 * The types are complete so that they can live in structs and on the stack,
 * but their fields are private to the runtime.
 */
#ifndef GOSAN_SYNC_H
#define GOSAN_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include <gosan/context.h>
#include <gosan/go.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct go_mutex {
    int32_t state; /* private */
    uint32_t sema; /* private */
} go_mutex;

typedef struct go_rwmutex {
    go_mutex w;            /* private */
    uint32_t writer_sema;  /* private */
    uint32_t reader_sema;  /* private */
    int32_t reader_count;  /* private */
    int32_t reader_wait;   /* private */
} go_rwmutex;

typedef struct go_wg {
    uint64_t state; /* private */
    uint32_t sema;  /* private */
} go_wg;

typedef struct go_once {
    uint32_t done; /* private */
    go_mutex m;    /* private */
} go_once;

typedef struct go_cond {
    go_mutex *l;          /* the Locker given to go_cond_init */
    uint32_t wait;        /* private */
    uint32_t notify;      /* private */
    uint32_t lock;        /* private */
    void *head;           /* private */
    void *tail;           /* private */
    uintptr_t checker;    /* private */
} go_cond;

typedef struct go_sem {
    int64_t size;  /* private */
    int64_t cur;   /* private */
    go_mutex mu;   /* private */
    void *head;    /* private */
    void *tail;    /* private */
} go_sem;

/* Zero initializers. GO_RWMUTEX_INIT spells out the braces of its first
 * member so that it can also sit inside another initializer without
 * -Wmissing-braces; it is the same zero value as {0}. */
#define GO_MUTEX_INIT {0}
#define GO_RWMUTEX_INIT {{0}}
#define GO_WG_INIT {0}
#define GO_ONCE_INIT {0}

void go_mutex_lock(go_mutex *m);
void go_mutex_unlock(go_mutex *m);
bool go_mutex_trylock(go_mutex *m);

void go_rwmutex_rlock(go_rwmutex *m);
void go_rwmutex_runlock(go_rwmutex *m);
void go_rwmutex_lock(go_rwmutex *m);
void go_rwmutex_unlock(go_rwmutex *m);

void go_wg_add(go_wg *wg, int delta);
void go_wg_done(go_wg *wg);
void go_wg_wait(go_wg *wg);

void go_once_do(go_once *o, go_fn fn, void *arg);

void go_cond_init(go_cond *c, go_mutex *l);
void go_cond_wait(go_cond *c);
void go_cond_signal(go_cond *c);
void go_cond_broadcast(go_cond *c);

void go_sem_init(go_sem *s, int64_t n);
int go_sem_acquire(go_sem *s, go_ctx *ctx, int64_t n); /* 0, or ctx error */
bool go_sem_try_acquire(go_sem *s, int64_t n);
void go_sem_release(go_sem *s, int64_t n);

#ifdef __cplusplus
}
#endif

#endif
