/*
 * watchdog.h - a job that stops making progress ends; it never hangs.
 *
 * The main thread brackets every wait on its peers inside the rounds with
 * tm_watchdog_enter and tm_watchdog_leave. A wait that polls (the exchange,
 * the round boundaries: comm/heard.h) asks tm_watchdog_expired and, once
 * the wait has lasted the stall timeout, calls tm_watchdog_fire with the
 * ranks it has not heard from: one line on stderr from this rank, then MPI_Abort. A
 * wait that cannot poll (a blocking collective) is covered by a thread
 * that fires a little later, without the list of ranks. Local; off (every
 * call a no-op) until tm_watchdog_start with a positive timeout.
 */
#ifndef TM_BASE_WATCHDOG_H
#define TM_BASE_WATCHDOG_H

#include <mpi.h>

/*
 * Arm the watchdog of this rank: waits of more than seconds end the job
 * (comm is what MPI_Abort ends). 0 or negative: off. Local.
 */
void tm_watchdog_start(double seconds, int rank, MPI_Comm comm);

/* Disarm it and stop its thread. Local. */
void tm_watchdog_stop(void);

/* The main thread starts waiting on its peers in what (printf-style). Local. */
void tm_watchdog_enter(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The wait is over. Local. */
void tm_watchdog_leave(void);

/* Whether the current wait has lasted the timeout (0 when off). Local. */
int tm_watchdog_expired(void);

/*
 * End the job: "tripminer: error: rank R (HOST): no progress for S s in
 * WHAT; waiting for ranks ... (--stall-timeout)" on stderr, then
 * MPI_Abort. missing lists the ranks not heard from (n < 0: unknown).
 * Never returns. Local.
 */
void tm_watchdog_fire(const int *missing, int n) __attribute__((noreturn));

#endif
