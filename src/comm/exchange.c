/*
 * exchange.c - double-buffered MPI_Iallgatherv rounds of candidate rows.
 *
 * Rows travel as a derived datatype of D floats, so counts and
 * displacements are in rows and stay far below INT_MAX.
 */
#include "comm/exchange.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/watchdog.h"
#include "comm/heard.h"

/* The rows' floats, labels, partitions and (regrouped blocks) indices. */
#define NREQ 4

typedef struct buffer {
    float *emb;
    int64_t *labels;
    int64_t *gid;
    double *sqnorm;
    double *norm;
    int32_t *part;     /* NULL unless the shard has partitions */
    MPI_Request req[NREQ];
    int64_t round; /* the round it holds or receives, -1 if none */
} buffer_t;

/* One row's sort key and where it came from. */
typedef struct order {
    int64_t label, gid, from;
    int32_t part;
} order_t;

struct tm_exchange {
    MPI_Comm comm;
    int nranks;
    const tm_shard_t *shard;
    int64_t chunk;
    int64_t rounds;
    int64_t cap;        /* rows one buffer holds: nranks * chunk */
    MPI_Datatype row_type;
    int64_t *shard_lo;  /* per rank */
    int64_t *shard_n;   /* per rank */
    int *counts;        /* per rank, rows of the current round */
    int *displs;
    buffer_t buf[2];
    order_t *order;     /* cap entries: the sort of the round in hand */
    float *spare;       /* one row */
    /* A streamed block (tm_exchange_stream): its reader and send buffer. */
    tm_exchange_fill_fn fill;
    void *fill_ctx;
    float *send_emb;
    int64_t *send_lab;
    /* Who has come to wait for the round: a stalled wait names the others. */
    tm_heard_t heard;
};


int64_t tm_exchange_bytes(int64_t n_global, int64_t dim, int nranks, int64_t chunk)
{
    (void)n_global;
    /* Two buffers of nranks * chunk rows (floats, label, index, two norms),
     * the sort order of one and the miner's two float keys of one. */
    return (int64_t)nranks * chunk * (2 * (dim * 4 + 32) + (int64_t)sizeof(order_t) + 8);
}

int64_t tm_exchange_auto_chunk(int64_t n_global, int64_t dim, int nranks, int64_t buf_bytes)
{
    int64_t max_shard = (n_global + nranks - 1) / nranks;
    int64_t per_row = tm_exchange_bytes(n_global, dim, nranks, 1);
    int64_t chunk = buf_bytes / per_row;
    /*
     * Only the first round's transfer is exposed (the others travel while
     * the previous round is computed): aim at four rounds or more, but
     * not at rounds of fewer than 256 rows.
     */
    int64_t quarter = (max_shard + 3) / 4;
    if (quarter < 256)
        quarter = 256;
    if (chunk > quarter)
        chunk = quarter;
    if (chunk > max_shard)
        chunk = max_shard;
    if (chunk > INT_MAX / nranks)
        chunk = INT_MAX / nranks;
    return chunk < 1 ? 1 : chunk;
}

int tm_exchange_create(MPI_Comm comm, const tm_shard_t *shard, int64_t chunk,
                       tm_exchange_t **out, tm_err_t *err)
{
    *out = NULL;
    tm_exchange_t *x = calloc(1, sizeof *x);
    if (x == NULL)
        return tm_err_set(err, TM_ENOMEM, "cannot allocate the exchange (exchange)");
    MPI_Comm_size(comm, &x->nranks);
    x->comm = comm;
    x->shard = shard;
    x->row_type = MPI_DATATYPE_NULL;

    int64_t max_shard = (shard->n_global + x->nranks - 1) / x->nranks;
    if (shard->rank_n != NULL) {
        max_shard = 0;
        for (int q = 0; q < x->nranks; q++)
            max_shard = shard->rank_n[q] > max_shard ? shard->rank_n[q] : max_shard;
    }
    /* A chunk beyond the largest shard only wastes buffer space. */
    if (chunk > max_shard)
        chunk = max_shard > 0 ? max_shard : 1;
    if (chunk > INT_MAX / x->nranks)
        chunk = INT_MAX / x->nranks;
    x->chunk = chunk;
    x->rounds = (max_shard + chunk - 1) / chunk;
    x->cap = (int64_t)x->nranks * chunk;

    x->shard_lo = malloc((size_t)x->nranks * sizeof *x->shard_lo);
    x->shard_n = malloc((size_t)x->nranks * sizeof *x->shard_n);
    x->counts = malloc((size_t)x->nranks * sizeof *x->counts);
    x->displs = malloc((size_t)x->nranks * sizeof *x->displs);
    x->order = malloc((size_t)x->cap * sizeof *x->order);
    x->spare = malloc((size_t)(shard->dim > 0 ? shard->dim : 1) * sizeof(float));
    int ok = x->shard_lo && x->shard_n && x->counts && x->displs && x->order && x->spare;
    ok = ok && tm_heard_init(&x->heard, comm, TM_TAG_EXCHANGE) == 0;
    for (int b = 0; b < 2 && ok; b++) {
        size_t cap = (size_t)x->cap;
        x->buf[b].emb = malloc(cap * (size_t)shard->dim * sizeof(float));
        x->buf[b].labels = malloc(cap * sizeof(int64_t));
        x->buf[b].gid = malloc(cap * sizeof(int64_t));
        x->buf[b].sqnorm = malloc(cap * sizeof(double));
        x->buf[b].norm = malloc(cap * sizeof(double));
        x->buf[b].part = shard->part != NULL ? malloc(cap * sizeof(int32_t)) : NULL;
        x->buf[b].round = -1;
        for (int i = 0; i < NREQ; i++)
            x->buf[b].req[i] = MPI_REQUEST_NULL;
        ok = x->buf[b].emb && x->buf[b].labels && x->buf[b].gid && x->buf[b].sqnorm &&
             x->buf[b].norm && (shard->part == NULL || x->buf[b].part != NULL);
    }
    if (!ok) {
        tm_exchange_free(x);
        return tm_err_set(err, TM_ENOMEM,
                          "cannot allocate the candidate buffers: %lld bytes (chunk %lld; "
                          "lower --chunk)",
                          (long long)tm_exchange_bytes(shard->n_global, shard->dim, x->nranks, chunk),
                          (long long)chunk);
    }
    for (int q = 0; q < x->nranks; q++) {
        tm_shard_range(shard->n_global, x->nranks, q, &x->shard_lo[q], &x->shard_n[q]);
        if (shard->rank_n != NULL)
            x->shard_n[q] = shard->rank_n[q];
    }
    if (MPI_Type_contiguous((int)shard->dim, MPI_FLOAT, &x->row_type) != MPI_SUCCESS ||
        MPI_Type_commit(&x->row_type) != MPI_SUCCESS) {
        tm_exchange_free(x);
        return tm_err_set(err, TM_EMPI, "cannot create the row datatype (exchange)");
    }
    *out = x;
    return 0;
}

int64_t tm_exchange_stream_bytes(int64_t dim, int64_t chunk)
{
    return chunk * (dim * 4 + 8);
}

int tm_exchange_stream(tm_exchange_t *x, tm_exchange_fill_fn fill, void *ctx, tm_err_t *err)
{
    const size_t rows = (size_t)x->chunk;
    x->send_emb = malloc(rows * (size_t)x->shard->dim * sizeof(float));
    x->send_lab = malloc(rows * sizeof(int64_t));
    if (x->send_emb == NULL || x->send_lab == NULL)
        return tm_err_set(err, TM_ENOMEM, "cannot allocate the send buffer: %lld bytes "
                          "(chunk %lld; lower --chunk)",
                          (long long)tm_exchange_stream_bytes(x->shard->dim, x->chunk),
                          (long long)x->chunk);
    x->fill = fill;
    x->fill_ctx = ctx;
    return 0;
}

int64_t tm_exchange_rounds(const tm_exchange_t *x)
{
    return x->rounds;
}

int64_t tm_exchange_capacity(const tm_exchange_t *x)
{
    return x->cap;
}

/* Rows rank q contributes in round r. */
static int64_t contrib(const tm_exchange_t *x, int q, int64_t r)
{
    int64_t first = r * x->chunk;
    int64_t left = x->shard_n[q] - first;
    if (left <= 0)
        return 0;
    return left < x->chunk ? left : x->chunk;
}

/* Whether a transfer into b is under way. */
static int pending(const buffer_t *b)
{
    for (int i = 0; i < NREQ; i++)
        if (b->req[i] != MPI_REQUEST_NULL)
            return 1;
    return 0;
}

int tm_exchange_start(tm_exchange_t *x, int64_t r, tm_err_t *err)
{
    buffer_t *b = &x->buf[r % 2];
    for (int i = 0; i < 2; i++)
        if (pending(&x->buf[i]))
            return tm_err_set(err, TM_EINTERNAL, "round %lld started before the previous one "
                              "was waited for (exchange)", (long long)r);
    int rank = 0;
    MPI_Comm_rank(x->comm, &rank);
    int64_t total = 0;
    for (int q = 0; q < x->nranks; q++) {
        x->counts[q] = (int)contrib(x, q, r);
        x->displs[q] = (int)total;
        total += x->counts[q];
    }
    const tm_shard_t *s = x->shard;
    int64_t first = r * x->chunk;
    int mine = x->counts[rank];
    /* An empty contribution still needs a valid pointer. */
    const float *send_emb = b->emb;
    const int64_t *send_lab = b->labels;
    if (mine > 0 && x->fill != NULL) {
        int rc = x->fill(x->fill_ctx, first, mine, x->send_emb, x->send_lab, err);
        if (rc != 0)
            return rc;
        send_emb = x->send_emb;
        send_lab = x->send_lab;
    } else if (mine > 0) {
        send_emb = s->emb + first * s->dim;
        send_lab = s->labels + first;
    }
    b->round = r;
    /*
     * counts and displs must stay untouched until completion: the caller
     * waits for round r before starting round r + 1, so one set serves.
     */
    int rc = MPI_Iallgatherv(send_emb, mine, x->row_type, b->emb, x->counts, x->displs,
                             x->row_type, x->comm, &b->req[0]);
    if (rc == MPI_SUCCESS)
        rc = MPI_Iallgatherv(send_lab, mine, MPI_INT64_T, b->labels, x->counts, x->displs,
                             MPI_INT64_T, x->comm, &b->req[1]);
    if (rc == MPI_SUCCESS && s->part != NULL) {
        const int32_t *send_part = mine > 0 ? s->part + first : b->part;
        rc = MPI_Iallgatherv(send_part, mine, MPI_INT32_T, b->part, x->counts, x->displs,
                             MPI_INT32_T, x->comm, &b->req[2]);
    }
    if (rc == MPI_SUCCESS && s->gid != NULL) {
        const int64_t *send_gid = mine > 0 ? s->gid + first : b->gid;
        rc = MPI_Iallgatherv(send_gid, mine, MPI_INT64_T, b->gid, x->counts, x->displs,
                             MPI_INT64_T, x->comm, &b->req[3]);
    }
    if (rc != MPI_SUCCESS)
        return tm_err_set(err, TM_EMPI, "MPI_Iallgatherv of round %lld failed (exchange)",
                          (long long)r);
    return 0;
}

static int cmp_order(const void *p, const void *q)
{
    const order_t *a = p, *b = q;
    if (a->label != b->label)
        return a->label < b->label ? -1 : 1;
    return (a->gid > b->gid) - (a->gid < b->gid);
}

/*
 * Put the k rows of b in (label, global index) order, in place: sort the
 * keys, then move each row along its permutation cycle through one spare
 * row. The selection finds an anchor's positives as one range.
 */
static void sort_rows(tm_exchange_t *x, buffer_t *b, int64_t k)
{
    const int64_t dim = x->shard->dim;
    order_t *o = x->order;
    int sorted = 1;
    for (int64_t j = 0; j < k; j++) {
        o[j] = (order_t){b->labels[j], b->gid[j], j, b->part != NULL ? b->part[j] : 0};
        if (j > 0 && cmp_order(&o[j - 1], &o[j]) > 0)
            sorted = 0;
    }
    if (sorted)
        return;
    qsort(o, (size_t)k, sizeof *o, cmp_order);
    const size_t row = (size_t)dim * sizeof(float);
    for (int64_t j = 0; j < k; j++) {
        b->labels[j] = o[j].label;
        b->gid[j] = o[j].gid;
        if (b->part != NULL)
            b->part[j] = o[j].part;
    }
    /* Row j takes row o[j].from; a visited entry gets from = -1. */
    for (int64_t start = 0; start < k; start++) {
        if (o[start].from < 0 || o[start].from == start) {
            o[start].from = -1;
            continue;
        }
        memcpy(x->spare, b->emb + start * dim, row);
        int64_t j = start;
        while (o[j].from != start) {
            int64_t src = o[j].from;
            memcpy(b->emb + j * dim, b->emb + src * dim, row);
            o[j].from = -1;
            j = src;
        }
        memcpy(b->emb + j * dim, x->spare, row);
        o[j].from = -1;
    }
}

/*
 * Complete round r as one watched wait; this rank's arrival is announced
 * first, so that a stalled wait names the ranks that never came to it.
 */
static int wait_round(tm_exchange_t *x, buffer_t *b, int64_t r)
{
    tm_watchdog_enter("the exchange of round %lld of %lld", (long long)r + 1,
                      (long long)x->rounds);
    int rc = tm_heard_arrive(&x->heard, r);
    if (rc == MPI_SUCCESS)
        rc = tm_heard_wait(&x->heard, NREQ, b->req);
    tm_watchdog_leave();
    return rc;
}

int tm_exchange_wait(tm_exchange_t *x, int64_t r, tm_rows_t *rows, tm_err_t *err)
{
    buffer_t *b = &x->buf[r % 2];
    if (b->round != r)
        return tm_err_set(err, TM_EINTERNAL, "round %lld was not started (exchange)", (long long)r);
    if (wait_round(x, b, r) != MPI_SUCCESS)
        return tm_err_set(err, TM_EMPI, "waiting for round %lld failed (exchange)", (long long)r);

    /* Global indices (unless they travelled) and norms of the rows received, in rank order. */
    int64_t k = 0;
    for (int q = 0; q < x->nranks; q++) {
        int64_t cnt = contrib(x, q, r), g0 = x->shard_lo[q] + r * x->chunk;
        for (int64_t j = 0; j < cnt && x->shard->gid == NULL; j++)
            b->gid[k + j] = g0 + j;
        k += cnt;
    }
    int64_t dim = x->shard->dim;
    sort_rows(x, b, k);
    tm_shard_sqnorms(b->emb, k, dim, b->sqnorm);
    for (int64_t j = 0; j < k; j++)
        b->norm[j] = sqrt(b->sqnorm[j]);

    rows->n = k;
    rows->dim = dim;
    rows->emb = b->emb;
    rows->labels = b->labels;
    rows->gid = b->gid;
    rows->sqnorm = b->sqnorm;
    rows->norm = b->norm;
    rows->part = b->part;
    return 0;
}

void tm_exchange_progress(tm_exchange_t *x)
{
    for (int i = 0; i < 2; i++) {
        buffer_t *b = &x->buf[i];
        if (pending(b)) {
            /* Completion is kept in the requests; errors surface in wait. */
            int done = 0;
            MPI_Testall(NREQ, b->req, &done, MPI_STATUSES_IGNORE);
        }
    }
}

void tm_exchange_free(tm_exchange_t *x)
{
    if (x == NULL)
        return;
    for (int b = 0; b < 2; b++) {
        free(x->buf[b].emb);
        free(x->buf[b].labels);
        free(x->buf[b].gid);
        free(x->buf[b].sqnorm);
        free(x->buf[b].norm);
        free(x->buf[b].part);
    }
    if (x->row_type != MPI_DATATYPE_NULL)
        MPI_Type_free(&x->row_type);
    free(x->shard_lo);
    free(x->shard_n);
    free(x->counts);
    free(x->displs);
    free(x->order);
    free(x->spare);
    free(x->send_emb);
    free(x->send_lab);
    tm_heard_free(&x->heard);
    free(x);
}
