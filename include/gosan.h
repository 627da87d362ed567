/* SPDX-License-Identifier: MIT */
/*
 * gosan.h pulls in the whole public API: goroutines, channels, select,
 * timers, sync, context, errgroup, leak checks and race annotations.
 * docs/API.md documents the API these headers declare.
 */
#ifndef GOSAN_H
#define GOSAN_H

#include <gosan/go.h>
#include <gosan/chan.h>
#include <gosan/select.h>
#include <gosan/time.h>
#include <gosan/context.h>
#include <gosan/sync.h>
#include <gosan/errgroup.h>
#include <gosan/goleak.h>
#include <gosan/race.h>

#endif
