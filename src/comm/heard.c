/*
 * heard.c - tokens that tell who has arrived at a point (heard.h).
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep */

#include "comm/heard.h"

#include <stdlib.h>
#include <time.h>

#include "base/watchdog.h"
#include "tripminer/err.h"

/* The requests of slot s: 2 per rank (receive, send). */
static MPI_Request *slot_req(tm_heard_t *h, int s)
{
    return h->req + (size_t)s * 2 * (size_t)h->nranks;
}

int tm_heard_init(tm_heard_t *h, MPI_Comm comm, int tag)
{
    h->comm = comm;
    h->tag = tag;
    h->slot = 0;
    MPI_Comm_rank(comm, &h->rank);
    MPI_Comm_size(comm, &h->nranks);
    h->on = h->nranks > 1 && h->nranks <= TM_HEARD_MAX_RANKS;
    h->in = NULL;
    h->req = NULL;
    if (!h->on)
        return 0;
    h->in = calloc(2 * (size_t)h->nranks, sizeof *h->in);
    h->req = malloc(4 * (size_t)h->nranks * sizeof *h->req);
    if (h->in == NULL || h->req == NULL) {
        tm_heard_free(h);
        return TM_ENOMEM;
    }
    for (int q = 0; q < 4 * h->nranks; q++)
        h->req[q] = MPI_REQUEST_NULL;
    return 0;
}

void tm_heard_free(tm_heard_t *h)
{
    if (h->req != NULL) {
        /* Tokens of peers that never came (a run that ends early). */
        for (int q = 0; q < 4 * h->nranks; q++)
            if (h->req[q] != MPI_REQUEST_NULL && (q % 2) == 0)
                MPI_Cancel(&h->req[q]);
        MPI_Waitall(4 * h->nranks, h->req, MPI_STATUSES_IGNORE);
    }
    free(h->in);
    free(h->req);
    h->in = NULL;
    h->req = NULL;
    h->on = 0;
}

int tm_heard_arrive(tm_heard_t *h, int64_t point)
{
    if (!h->on)
        return MPI_SUCCESS;
    const int s = (int)(point & 1);
    MPI_Request *r = slot_req(h, s);
    /* The tokens of point - 2: every rank got past it, so they all came. */
    int rc = MPI_Waitall(2 * h->nranks, r, MPI_STATUSES_IGNORE);
    h->slot = s;
    h->out[s] = point;
    int64_t *in = h->in + (size_t)s * (size_t)h->nranks;
    for (int q = 0; q < h->nranks && rc == MPI_SUCCESS; q++) {
        if (q == h->rank)
            continue;
        rc = MPI_Irecv(&in[q], 1, MPI_INT64_T, q, h->tag + s, h->comm, &r[2 * q]);
        if (rc == MPI_SUCCESS)
            rc = MPI_Isend(&h->out[s], 1, MPI_INT64_T, q, h->tag + s, h->comm, &r[2 * q + 1]);
    }
    return rc;
}

/* The ranks not yet arrived at the current point, into missing. */
static int missing_ranks(tm_heard_t *h, int *missing)
{
    MPI_Request *r = slot_req(h, h->slot);
    int n = 0;
    for (int q = 0; q < h->nranks; q++) {
        int arrived = 1;
        if (q != h->rank && r[2 * q] != MPI_REQUEST_NULL)
            MPI_Test(&r[2 * q], &arrived, MPI_STATUS_IGNORE);
        if (!arrived)
            missing[n++] = q;
    }
    return n;
}

int tm_heard_wait(tm_heard_t *h, int nreq, MPI_Request *req)
{
    int rc = MPI_SUCCESS;
    for (long spins = 0;; spins++) {
        int done = 0;
        rc = MPI_Testall(nreq, req, &done, MPI_STATUSES_IGNORE);
        if (rc != MPI_SUCCESS || done)
            break;
        if (tm_watchdog_expired()) {
            int *missing = h->on ? malloc((size_t)h->nranks * sizeof *missing) : NULL;
            tm_watchdog_fire(missing, missing != NULL ? missing_ranks(h, missing) : -1);
        }
        if (spins > 1000) {
            /* A long wait: poll every 100 us instead of spinning. */
            struct timespec ts = {0, 100000};
            nanosleep(&ts, NULL);
        }
    }
    return rc;
}
