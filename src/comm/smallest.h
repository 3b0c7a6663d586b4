/*
 * smallest.h - the K smallest (key, index) pairs over all ranks: the seeded
 * choices of partitioned mining (the k-means' first centres, the check's
 * anchors) pick rows by their smallest draws, whichever rank holds them.
 */
#ifndef TM_COMM_SMALLEST_H
#define TM_COMM_SMALLEST_H

#include <mpi.h>
#include <stdint.h>

/* Pairs compare by key, then index; pairs is n x 2 (key, index). Local. */
int tm_pair_cmp(const void *x, const void *y);

/*
 * The k smallest of every rank's n pairs into out (k x 2, ascending; padded
 * with (UINT64_MAX, UINT64_MAX) when there are fewer than k in all). 0, or
 * TM_ENOMEM on every rank when one failed to allocate. Collective over comm.
 */
int tm_smallest_pairs(const uint64_t *pairs, int64_t n, int64_t k, MPI_Comm comm, uint64_t *out);

#endif
