/*
 * heard.c - tokens that tell who has reached a point (heard.h).
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep */

#include "dist/heard.h"

#include <stdlib.h>
#include <time.h>

#include "base/watchdog.h"
#include "tripminer/err.h"

int tm_heard_init(tm_heard_t *h, MPI_Comm comm, int tag)
{
    h->comm = comm;
    h->tag = tag;
    MPI_Comm_rank(comm, &h->rank);
    MPI_Comm_size(comm, &h->nranks);
    h->on = h->nranks > 1 && h->nranks <= TM_HEARD_MAX_RANKS;
    h->in = NULL;
    h->req = NULL;
    if (!h->on)
        return 0;
    h->in = calloc((size_t)h->nranks, sizeof *h->in);
    h->req = malloc(2 * (size_t)h->nranks * sizeof *h->req);
    if (h->in == NULL || h->req == NULL) {
        tm_heard_free(h);
        return TM_ENOMEM;
    }
    for (int q = 0; q < 2 * h->nranks; q++)
        h->req[q] = MPI_REQUEST_NULL;
    return 0;
}

void tm_heard_free(tm_heard_t *h)
{
    free(h->in);
    free(h->req);
    h->in = NULL;
    h->req = NULL;
    h->on = 0;
}

int tm_heard_post(tm_heard_t *h, int64_t point)
{
    int rc = MPI_SUCCESS;
    if (!h->on)
        return rc;
    h->out = point;
    for (int q = 0; q < h->nranks && rc == MPI_SUCCESS; q++) {
        if (q == h->rank)
            continue;
        rc = MPI_Irecv(&h->in[q], 1, MPI_INT64_T, q, h->tag, h->comm, &h->req[2 * q]);
        if (rc == MPI_SUCCESS)
            rc = MPI_Isend(&h->out, 1, MPI_INT64_T, q, h->tag, h->comm, &h->req[2 * q + 1]);
    }
    return rc;
}

int tm_heard_test(tm_heard_t *h, int *done)
{
    *done = 1;
    if (!h->on)
        return MPI_SUCCESS;
    return MPI_Testall(2 * h->nranks, h->req, done, MPI_STATUSES_IGNORE);
}

int tm_heard_missing(tm_heard_t *h, int *missing)
{
    int n = 0;
    for (int q = 0; h->on && q < h->nranks; q++) {
        int arrived = 1;
        if (q != h->rank && h->req[2 * q] != MPI_REQUEST_NULL)
            MPI_Test(&h->req[2 * q], &arrived, MPI_STATUS_IGNORE);
        if (!arrived)
            missing[n++] = q;
    }
    return n;
}

int tm_heard_wait(tm_heard_t *h, int nreq, MPI_Request *req)
{
    int rc = MPI_SUCCESS;
    for (long spins = 0;; spins++) {
        int done = 0, tokens = 0;
        rc = MPI_Testall(nreq, req, &done, MPI_STATUSES_IGNORE);
        if (rc == MPI_SUCCESS)
            rc = tm_heard_test(h, &tokens);
        if (rc != MPI_SUCCESS || (done && tokens))
            break;
        if (tm_watchdog_expired()) {
            int *missing = h->on ? malloc((size_t)h->nranks * sizeof *missing) : NULL;
            tm_watchdog_fire(missing, missing != NULL ? tm_heard_missing(h, missing) : -1);
        }
        if (spins > 1000) {
            /* A long wait: poll every 100 us instead of spinning. */
            struct timespec ts = {0, 100000};
            nanosleep(&ts, NULL);
        }
    }
    return rc;
}
