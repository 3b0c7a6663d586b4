/*
 * fault.h - failures on purpose, for the tests of failure paths.
 *
 * The environment variable TRIPMINER_FAULT holds comma-separated items:
 *
 *   fail=RANK:STEP   rank RANK fails at STEP (an error with a message that
 *                    says it was injected), as if an I/O call or an
 *                    allocation had failed there; STEP is one of read,
 *                    alloc, round, write, commit, save, load
 *   kill=RANK:ROUND  rank RANK kills itself (SIGKILL) after ROUND rounds
 *   stall=RANK:ROUND rank RANK stops making progress after ROUND rounds:
 *                    alive, but never again calling MPI (the watchdog's case)
 *   delay=SECONDS    every rank sleeps this long after each round, so that
 *                    a test can signal a small run in the middle
 *   nocpu=RANK       rank RANK takes its CPU to lack the fast tile kernels
 *                    (bf16, int8): --kernel auto falls back to f32 there
 *
 * Unset (the normal case), every query is a cheap "no".
 */
#ifndef TRIPMINER_FAULT_H
#define TRIPMINER_FAULT_H

#include <stdint.h>

#include "tripminer/err.h"

/*
 * If this rank must fail at step, record an injected TM_EIO error in err
 * and return it; else return 0. Local.
 */
int tm_fault_at(const char *step, int rank, tm_err_t *err);

/* After a round: the kill, stall and delay items (rounds counts all passes). Local. */
void tm_fault_after_round(int rank, int64_t rounds);

/* Whether this rank must take its CPU to lack the fast kernels. Local. */
int tm_fault_nocpu(int rank);

#endif
