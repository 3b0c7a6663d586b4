/*
 * fpenv.h - the floating-point environment every computation of the library
 * runs in, whatever its caller's.
 *
 * The error bounds of the tiles, the float32 keys and the exact distances
 * all assume IEEE 754 arithmetic as C gives it by default: round to nearest
 * even, gradual underflow (subnormals are neither flushed on output nor
 * read as zero), no trap. A host process may run otherwise: anything linked
 * with -ffast-math sets flush-to-zero and denormals-are-zero at start-up,
 * torch.set_flush_denormal(True) does the same. So each public entry point
 * that computes saves its caller's environment, installs the default, and
 * restores the caller's on return; every thread of a parallel region does
 * the same for itself (the threads of a pool keep their state between
 * regions, and inherit their creator's when they start).
 */
#ifndef TM_BASE_FPENV_H
#define TM_BASE_FPENV_H

#include <fenv.h>

typedef struct tm_fpenv {
    fenv_t env;        /* the caller's environment (x87 and SSE on x86-64) */
    unsigned csr;      /* x86: the caller's MXCSR, restored bit for bit */
} tm_fpenv_t;

/* Save this thread's environment in *saved and install the default. */
void tm_fpenv_enter(tm_fpenv_t *saved);

/* Restore the environment saved by tm_fpenv_enter. */
void tm_fpenv_leave(const tm_fpenv_t *saved);

#endif
