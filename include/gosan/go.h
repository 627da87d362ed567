/* SPDX-License-Identifier: MIT */
/*
 * Goroutines: `go fn(arg)`, identity, yielding, GOMAXPROCS, Goexit, sleeping
 * and the monotonic clock. Times are int64_t nanoseconds.
 *
 * The first call into gosan from a program's main thread turns that thread's
 * flow into the main goroutine (id 1). When main() returns the process exits
 * and the other goroutines die with it, as in Go.
 */
#ifndef GOSAN_GO_H
#define GOSAN_GO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*go_fn)(void *arg);

/* go_spawn starts fn(arg) in a new goroutine (`go fn(arg)`) and returns the
 * new goroutine's id, which is > 0. */
uint64_t go_spawn(go_fn fn, void *arg);

#ifndef GOSAN_NO_SHORT_NAMES
#define go(fn, arg) go_spawn((go_fn)(fn), (arg))
#endif

uint64_t go_id(void);              /* current goroutine id; main is 1 */
void     go_yield(void);           /* runtime.Gosched */
int      go_num_goroutine(void);   /* runtime.NumGoroutine, main included */
int      go_maxprocs(int n);       /* runtime.GOMAXPROCS: n > 0 sets; returns
                                      the previous value (n <= 0 only reads) */
void     go_exit(void);            /* runtime.Goexit */
void     go_sleep(int64_t ns);     /* time.Sleep */
int64_t  go_now(void);             /* monotonic clock, ns */

/*
 * go_syscall_enter and go_syscall_exit bracket a call that may block the
 * OS thread (read(2) on a pipe, a blocking library call...). Between them
 * the goroutine's P may be handed to another thread by the runtime's monitor
 * so that the other goroutines keep running. Calls may not nest, and the
 * goroutine must not call other gosan functions in between.
 */
void go_syscall_enter(void);
void go_syscall_exit(void);

#ifdef __cplusplus
}
#endif

#endif
