/*
 * heard.h - which peers have arrived at a point of the run (a round's
 * exchange, a round boundary): each rank, on arriving, sends every other
 * rank a token of 8 bytes, so that a wait there that stalls can name the
 * ranks that have not arrived (base/watchdog.h): still computing, stopped,
 * or cut off. A wait never waits for tokens: they only inform. With more
 * than TM_HEARD_MAX_RANKS ranks no tokens are sent and no rank is named.
 */
#ifndef TM_COMM_HEARD_H
#define TM_COMM_HEARD_H

#include <mpi.h>
#include <stdint.h>

#define TM_HEARD_MAX_RANKS 256

/*
 * The tags of every point-to-point message of the library: each user of
 * heard tokens takes two (tag and tag + 1). One list, so that no two can
 * meet on a communicator.
 */
enum tm_tag {
    TM_TAG_EXCHANGE = 29805, /* and 29806: a round's exchange (comm/exchange.c) */
    TM_TAG_BOUNDARY = 29807, /* and 29808: a round boundary (run/mine.c) */
};

typedef struct tm_heard {
    MPI_Comm comm;
    int tag;              /* tag and tag + 1: the two slots */
    int on;               /* 2 <= ranks <= TM_HEARD_MAX_RANKS */
    int rank, nranks;
    int slot;             /* of the current point */
    int64_t out[2];       /* the point announced, per slot */
    int64_t *in;          /* 2 x ranks */
    MPI_Request *req;     /* 2 slots x ranks x (receive, send) */
} tm_heard_t;

/* Set up over comm with tags tag and tag + 1: 0 or TM_ENOMEM. Local. */
int tm_heard_init(tm_heard_t *h, MPI_Comm comm, int tag);

/* Cancel what is still listened for and release. Local. */
void tm_heard_free(tm_heard_t *h);

/*
 * This rank arrives at point (points go up by one; every rank arrives at
 * the same points in order): the tokens of point - 2 are completed (every
 * rank has passed that point by now), then this point's are posted.
 * Returns MPI's code.
 */
int tm_heard_arrive(tm_heard_t *h, int64_t point);

/*
 * Complete the requests req, polling, as a watched wait: past the stall
 * timeout the job ends, naming the ranks not yet arrived at the current
 * point. Returns MPI's code. Local.
 */
int tm_heard_wait(tm_heard_t *h, int nreq, MPI_Request *req);

#endif
