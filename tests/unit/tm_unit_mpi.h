/*
 * tm_unit_mpi.h - helpers of the unit suites that need MPI. They run
 * without forking (CK_NOFORK), MPI_Init is called once in main, and ranks
 * agree on every verdict before asserting, so that a failure on one rank
 * never leaves the others waiting in a collective.
 */
#ifndef TM_UNIT_MPI_H
#define TM_UNIT_MPI_H

#include <mpi.h>

#include "tm_unit.h"

/*
 * Assert that cond holds on every rank of MPI_COMM_WORLD. Collective: all
 * ranks must reach it. The message (printf-style) is the local one.
 */
#define TM_ALL_ASSERT(cond, ...)                                                   \
    do {                                                                           \
        int tm_ok_ = (cond) ? 1 : 0, tm_all_ = 0;                                  \
        MPI_Allreduce(&tm_ok_, &tm_all_, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);    \
        ck_assert_msg(tm_all_, __VA_ARGS__);                                       \
    } while (0)

static inline int tm_unit_rank(void)
{
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank;
}

static inline int tm_unit_size(void)
{
    int size = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    return size;
}

/*
 * main of an MPI suite: initialise MPI once, run the suite without
 * forking, and return the same status on every rank.
 */
static inline int tm_unit_mpi_main(Suite *(*make)(void), const char *ctest_name, int argc,
                                   char **argv)
{
    if (MPI_Init(&argc, &argv) != MPI_SUCCESS) {
        fprintf(stderr, "%s: MPI_Init failed\n", ctest_name);
        return EXIT_FAILURE;
    }
    int rc = tm_unit_run(make(), ctest_name, argv[0], 1);
    int mine = rc != EXIT_SUCCESS, any = 0;
    MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Finalize();
    return any ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
