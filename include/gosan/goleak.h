/* SPDX-License-Identifier: MIT */
/*
 * Goroutine leak checks in goleak's style. They work with or without the
 * detector preloaded.
 */
#ifndef GOSAN_GOLEAK_H
#define GOSAN_GOLEAK_H

#ifdef __cplusplus
extern "C" {
#endif

/* goleak_verify is goleak.VerifyNone: retries with backoff until only the
 * calling goroutine and ignored ones remain; returns the number of leaked
 * goroutines (0 = clean) and reports each one. */
int goleak_verify(void);
void goleak_ignore_top_function(const char *fn);
void goleak_ignore_any_function(const char *fn);
void goleak_ignore_current(void);
void goleak_reset_ignores(void);

#ifdef __cplusplus
}
#endif

#endif
