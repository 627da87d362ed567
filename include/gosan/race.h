/* SPDX-License-Identifier: MIT */
/*
 * Race annotations: no-ops unless the detector is active.
 */
#ifndef GOSAN_RACE_H
#define GOSAN_RACE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void go_race_read(const void *addr, size_t size);
void go_race_write(const void *addr, size_t size);
void go_race_acquire(const void *sync_addr); /* edge from a release on the
                                                same address */
void go_race_release(const void *sync_addr);

#ifdef __cplusplus
}
#endif

#endif
