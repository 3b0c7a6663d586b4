/*
 * progress.h - what rank 0 shows while mining, and the time breakdown.
 *
 * At a terminal (stderr is a tty) one line is rewritten in place: rounds
 * done of all, percent, effective GFLOP/s (2 N^2 D per pass, as the
 * benchmark counts), elapsed time and ETA. In a batch log (stderr not a
 * terminal) a plain line is written at every tenth of the work and at
 * least every 60 seconds. -q silences both. Under mpirun, rank 0 looks at
 * mpirun's stderr to tell; TRIPMINER_PROGRESS=tty or =log overrides.
 */
#ifndef TRIPMINER_PROGRESS_H
#define TRIPMINER_PROGRESS_H

#include <mpi.h>
#include <stdint.h>

typedef struct tm_progress {
    int on;             /* rank 0 and not quiet */
    int tty;            /* stderr is a terminal */
    int64_t total;      /* rounds of all passes */
    int64_t done;
    double flops;       /* per pass: 2 anchors candidates D */
    int64_t per_pass;   /* rounds of one pass */
    double t0;          /* when the rounds began */
    double last;        /* when the last line was printed */
    int tenth;          /* tenths of the work already reported */
} tm_progress_t;

/*
 * Start showing progress over total rounds (per_pass per pass) of 2 N^2 D
 * operations each pass, on rank 0 at the given log level. Local.
 */
void tm_progress_start(tm_progress_t *p, int rank, int level, int64_t per_pass, int passes,
                       int64_t anchors, int64_t candidates, int64_t dim);

/* Count the rounds already done (a resumed run). Local. */
void tm_progress_skip(tm_progress_t *p, int64_t rounds);

/* One more round done. Local. */
void tm_progress_round(tm_progress_t *p);

/* The rounds are over: end the terminal line. Local. */
void tm_progress_end(tm_progress_t *p);

/* Seconds of one rank's run, by phase. */
typedef struct tm_phase_times {
    double read, wait, compute, write;
    double partitions; /* partitioned mining's k-means and probes (0: not shown) */
} tm_phase_times_t;

/*
 * Print on rank 0 the min / median / max over ranks of each phase.
 * Collective over comm.
 */
void tm_phase_times_report(const tm_phase_times_t *t, MPI_Comm comm);

#endif
