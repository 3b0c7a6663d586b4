/*
 * tm_ftz.c - a library to preload (LD_PRELOAD) that gives the process the
 * floating-point state of a host built with -ffast-math: flush-to-zero and
 * denormals-are-zero set in MXCSR before main, so every thread started
 * later inherits them. At exit it checks that the main thread has them
 * still: a library that changes the environment must give its caller's
 * back. It exits with status 86 when they are gone.
 */
#include <immintrin.h>
#include <stdio.h>
#include <unistd.h>

#define FTZ_DAZ 0x8040u

__attribute__((constructor)) static void set_ftz_daz(void)
{
    _mm_setcsr(_mm_getcsr() | FTZ_DAZ);
}

__attribute__((destructor)) static void check_ftz_daz(void)
{
    if ((_mm_getcsr() & FTZ_DAZ) != FTZ_DAZ) {
        fprintf(stderr, "tm_ftz: the caller's FTZ/DAZ were not restored\n");
        fflush(stderr);
        _exit(86);
    }
}
