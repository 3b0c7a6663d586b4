/*
 * placement.h - how many threads a rank runs, from the CPUs it may use.
 *
 * Open MPI binds a rank to one core by default; threads beyond the CPUs
 * of a rank's affinity mask only take turns on them. --threads auto uses
 * exactly those CPUs; more threads than CPUs is said in one warning that
 * names the launch options that give a rank more CPUs.
 */
#ifndef TM_RUN_PLACEMENT_H
#define TM_RUN_PLACEMENT_H

#include <mpi.h>

/* The CPUs this process may run on (its affinity mask), at least 1. Local. */
int tm_placement_cpus(void);

/*
 * The threads this rank runs for --threads requested (0: auto, the CPUs
 * of its mask). When some rank has more threads than CPUs, rank 0 prints
 * one warning for all. Collective over comm.
 */
int tm_placement_threads(int requested, MPI_Comm comm);

#endif
