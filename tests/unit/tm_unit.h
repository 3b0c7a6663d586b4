/*
 * tm_unit.h - helpers shared by the Check unit suites: a deterministic
 * random generator (the same numbers on every machine and every run, so a
 * failure can be reproduced) and the runner that prints how to rerun a
 * failed suite or case.
 */
#ifndef TM_UNIT_H
#define TM_UNIT_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* SplitMix64: small, fast and good enough for test data. */
typedef struct tm_rng {
    uint64_t s;
} tm_rng_t;

static inline tm_rng_t tm_rng_make(uint64_t seed)
{
    tm_rng_t r = {seed * 0x9E3779B97F4A7C15ull + 1};
    return r;
}

static inline uint64_t tm_rng_next(tm_rng_t *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1), with 53 random bits. */
static inline double tm_rng_unit(tm_rng_t *r)
{
    return (double)(tm_rng_next(r) >> 11) * 0x1p-53;
}

/* Uniform float in [-1, 1). */
static inline float tm_rng_sym(tm_rng_t *r)
{
    return (float)(2.0 * tm_rng_unit(r) - 1.0);
}

/* Uniform integer in [0, n), n >= 1. */
static inline int64_t tm_rng_below(tm_rng_t *r, int64_t n)
{
    return (int64_t)(tm_rng_next(r) % (uint64_t)n);
}

/* Shuffle idx[0 .. n) in place (Fisher-Yates). */
static inline void tm_rng_shuffle(tm_rng_t *r, int64_t *idx, int64_t n)
{
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = tm_rng_below(r, i + 1);
        int64_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}

/* Memory that a test cannot do without: fail the test if it is missing. */
static inline void *tm_unit_alloc(size_t bytes)
{
    void *p = calloc(1, bytes > 0 ? bytes : 1);
    ck_assert_msg(p != NULL, "out of memory allocating %zu bytes", bytes);
    return p;
}

/*
 * Run every case of suite s, in fork mode (serial suites, with Check's
 * timeouts) or without forking (MPI suites). ctest_name is the CTest name
 * of this program. On failure, say how to rerun the suite and one case.
 * Returns the process exit status.
 */
static inline int tm_unit_run(Suite *s, const char *ctest_name, const char *argv0, int nofork)
{
    SRunner *sr = srunner_create(s);
    if (nofork)
        srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    if (failed != 0) {
        fprintf(stderr,
                "\n%d test(s) failed. Rerun the suite from the build directory with\n"
                "  ctest -R '^%s$' --output-on-failure\n"
                "or only the test case named in a failure line (file:line:F:CASE:test) with\n"
                "  CK_RUN_CASE='CASE' %s\n",
                failed, ctest_name, argv0);
    }
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
