/*
 * fpenv.c - the default floating-point environment around the library's
 * arithmetic (fpenv.h).
 */
#include "base/fpenv.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
/* Round to nearest, every exception masked, no FTZ, no DAZ. */
#define DEFAULT_CSR 0x1f80u
#endif

void tm_fpenv_enter(tm_fpenv_t *saved)
{
#ifdef DEFAULT_CSR
    saved->csr = _mm_getcsr();
#else
    saved->csr = 0;
#endif
    fegetenv(&saved->env);
    fesetenv(FE_DFL_ENV);
#ifdef DEFAULT_CSR
    /* FE_DFL_ENV need not clear FTZ and DAZ, which C does not know of. */
    _mm_setcsr(DEFAULT_CSR);
#endif
}

void tm_fpenv_leave(const tm_fpenv_t *saved)
{
    fesetenv(&saved->env);
#ifdef DEFAULT_CSR
    _mm_setcsr(saved->csr);
#endif
}
