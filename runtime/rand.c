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

static uint64_t seed(void)
{
    uint64_t s = rep_options()->select_seed;
    uint64_t tid = (uint64_t)syscall(SYS_gettid);
    if (s)
        return s * 0x9e3779b97f4a7c15ull + tid;
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
