/*
 * smallest.c - the K smallest (key, index) pairs over all ranks
 * (smallest.h): each rank sorts its own and offers its K smallest; the
 * union's K smallest hold the whole run's.
 */
#include "comm/smallest.h"

#include <stdlib.h>
#include <string.h>

#include "tripminer/err.h"

int tm_pair_cmp(const void *x, const void *y)
{
    const uint64_t *a = x, *b = y;
    if (a[0] != b[0])
        return a[0] < b[0] ? -1 : 1;
    return (a[1] > b[1]) - (a[1] < b[1]);
}

int tm_smallest_pairs(const uint64_t *pairs, int64_t n, int64_t k, MPI_Comm comm, uint64_t *out)
{
    int nranks = 1;
    MPI_Comm_size(comm, &nranks);
    uint64_t *sorted = malloc((size_t)(n > 0 ? n : 1) * 2 * sizeof *sorted);
    uint64_t *first = malloc((size_t)(k > 0 ? k : 1) * 2 * sizeof *first);
    uint64_t *all = malloc((size_t)(k > 0 ? k : 1) * 2 * (size_t)nranks * sizeof *all);
    int ok = sorted != NULL && first != NULL && all != NULL;
    MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_LAND, comm);
    if (ok) {
        memcpy(sorted, pairs, (size_t)n * 2 * sizeof *sorted);
        qsort(sorted, (size_t)n, 2 * sizeof *sorted, tm_pair_cmp);
        for (int64_t i = 0; i < k; i++) {
            first[2 * i] = i < n ? sorted[2 * i] : UINT64_MAX;
            first[2 * i + 1] = i < n ? sorted[2 * i + 1] : UINT64_MAX;
        }
        MPI_Allgather(first, (int)(2 * k), MPI_UINT64_T, all, (int)(2 * k), MPI_UINT64_T, comm);
        qsort(all, (size_t)(k * nranks), 2 * sizeof *all, tm_pair_cmp);
        memcpy(out, all, (size_t)k * 2 * sizeof *out);
    }
    free(sorted);
    free(first);
    free(all);
    return ok ? 0 : TM_ENOMEM;
}
