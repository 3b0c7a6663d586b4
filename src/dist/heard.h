/*
 * heard.h - which peers have reached a point of the run: each rank sends
 * every other rank a token when it gets there, so that a wait that stalls
 * can name the ranks it has not heard from (base/watchdog.h). Tokens are
 * point-to-point messages of 8 bytes, 2 (P - 1) per rank and point; with
 * more than TM_HEARD_MAX_RANKS ranks they are not sent and no rank is named.
 */
#ifndef TM_DIST_HEARD_H
#define TM_DIST_HEARD_H

#include <mpi.h>
#include <stdint.h>

#define TM_HEARD_MAX_RANKS 256

typedef struct tm_heard {
    MPI_Comm comm;
    int tag;
    int on;               /* 2 <= ranks <= TM_HEARD_MAX_RANKS */
    int rank, nranks;
    int64_t out;          /* the point announced */
    int64_t *in;          /* per rank */
    MPI_Request *req;     /* per rank: receive, send */
} tm_heard_t;

/* Set up over comm, tokens with tag tag: 0 or TM_ENOMEM. Local. */
int tm_heard_init(tm_heard_t *h, MPI_Comm comm, int tag);
void tm_heard_free(tm_heard_t *h);

/*
 * Announce point and listen for the peers' (the previous point must be
 * complete). Returns MPI's code. Collective in spirit: every rank posts the
 * same points in the same order.
 */
int tm_heard_post(tm_heard_t *h, int64_t point);

/* Whether every token of the point has arrived (MPI_Testall). Local. */
int tm_heard_test(tm_heard_t *h, int *done);

/* The ranks not heard from, into missing (nranks entries): their count. Local. */
int tm_heard_missing(tm_heard_t *h, int *missing);

/*
 * A watched wait for req together with the tokens of the current point:
 * past the stall timeout, the job ends naming the ranks not heard from.
 * Returns MPI's code. Local.
 */
int tm_heard_wait(tm_heard_t *h, int nreq, MPI_Request *req);

#endif
