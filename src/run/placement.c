/*
 * placement.c - threads from the affinity mask (placement.h).
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */

#include "run/placement.h"

#include <sched.h>
#include <unistd.h>

#include "base/log.h"

int tm_placement_cpus(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int tm_placement_threads(int requested, MPI_Comm comm)
{
    const int cpus = tm_placement_cpus();
    const int threads = requested > 0 ? requested : cpus;
    /* The rank with the fewest CPUs for its threads speaks for all. */
    struct {
        int spare;
        int rank;
    } mine = {cpus - threads, 0}, worst;
    MPI_Comm_rank(comm, &mine.rank);
    MPI_Allreduce(&mine, &worst, 1, MPI_2INT, MPI_MINLOC, comm);
    int facts[2] = {threads, cpus};
    MPI_Bcast(facts, 2, MPI_INT, worst.rank, comm);
    if (worst.spare < 0 && mine.rank == 0)
        tm_log_warning("--threads %d, but rank %d may run on %d CPU%s (its affinity mask): the "
                       "threads take turns; give each rank %d CPUs with mpirun --bind-to none "
                       "or --map-by slot:PE=%d, or srun --cpus-per-task=%d",
                       facts[0], worst.rank, facts[1], facts[1] == 1 ? "" : "s", facts[0],
                       facts[0], facts[0]);
    return threads;
}
