/* SPDX-License-Identifier: MIT */
/*
 * This file implements fastrand: a per-thread wyrand generator for select's
 * random choice and the scheduler's random steal order. Seeded from the
 * clock and the thread id, or from GOSAN_OPTIONS=select_seed for runs that
 * must be reproducible (with GOMAXPROCS=1).
 */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <unistd.h>

#include "reports.h"
#include "runtime_impl.h"

static __thread uint64_t rand_state __attribute__((tls_model("initial-exec")));

/* seed: with select_seed, a function of the seed and the M's number only,
 * so that a run with GOMAXPROCS=1 (one M runs every goroutine) makes the
 * same choices every time; otherwise the clock and the thread. */
static uint64_t seed(void)
{
    uint64_t s = rep_options()->select_seed;
    if (s) {
        struct rt_m *m = rt__getm();
        uint64_t who = m ? (uint64_t)m->id + 1 : 0x5bd1e995u;
        return s * 0x9e3779b97f4a7c15ull + who;
    }
    uint64_t tid = (uint64_t)syscall(SYS_gettid);
    return (uint64_t)rt__nanotime() ^ (tid << 32) ^ (uintptr_t)&rand_state;
}

RT_NOINLINE uint32_t rt__fastrand(void)
{
    uint64_t s = rand_state;
    if (rt_unlikely(s == 0))
        s = seed() | 1;
    s += 0xa0761d6478bd642full;
    rand_state = s;
    __uint128_t m = (__uint128_t)s * (s ^ 0xe7037ed1a0b428dbull);
    return (uint32_t)((uint64_t)(m >> 64) ^ (uint64_t)m);
}
