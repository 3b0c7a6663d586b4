/*
 * inputs.c - the anchors and the candidates of a mining job (inputs.h).
 */
#include "run/inputs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>


/* Rows read at once when a candidate block is checked before the rounds. */
#define CHECK_ROWS 4096
/* Pairs read at once when the positives of the queries are gathered. */
#define PAIR_ROWS 65536

static int64_t *alloc_i64(int64_t n)
{
    return malloc((size_t)(n > 0 ? n : 1) * sizeof(int64_t));
}

const tm_shard_t *tm_inputs_candidates(const tm_inputs_t *in)
{
    return in->streamed ? &in->cand : &in->anch;
}

void tm_inputs_anchors(const tm_inputs_t *in, tm_rows_t *rows)
{
    const tm_shard_t *s = &in->anch;
    *rows = (tm_rows_t){s->n, s->dim, s->emb, s->labels, in->self, s->sqnorm, in->norm,
                        NULL, NULL, in->xbeg, in->xend, in->xidx, in->draw, NULL};
}

int tm_inputs_fill(void *ctx, int64_t first, int64_t count, float *emb, int64_t *labels,
                   tm_err_t *err)
{
    tm_inputs_t *in = ctx;
    return tm_h5rows_read(in->reader, in->cand.lo + first, count, emb, labels, err);
}

void tm_inputs_free(tm_inputs_t *in)
{
    tm_shard_free(&in->anch);
    tm_h5rows_close(in->reader);
    free(in->out);
    free(in->self);
    free(in->draw);
    free(in->norm);
    free(in->xbeg);
    free(in->xend);
    free(in->xidx);
    memset(in, 0, sizeof *in);
}

/* Per anchor: norms, and (labels mode) its own index as itself. */
static int anchor_arrays(tm_inputs_t *in, int self_is_own)
{
    const tm_shard_t *s = &in->anch;
    if (in->out == NULL)
        in->out = alloc_i64(s->n);
    in->self = alloc_i64(s->n);
    in->draw = alloc_i64(s->n);
    in->norm = malloc((size_t)(s->n > 0 ? s->n : 1) * sizeof(double));
    if (in->out == NULL || in->self == NULL || in->draw == NULL || in->norm == NULL)
        return TM_ENOMEM;
    for (int64_t i = 0; i < s->n; i++) {
        in->draw[i] = s->lo + i; /* the row of -i, or the pair's row */
        if (self_is_own)
            in->out[i] = s->lo + i;
        in->self[i] = self_is_own ? s->lo + i : -1;
        in->norm[i] = sqrt(s->sqnorm[i]);
    }
    return 0;
}

/*
 * Open the candidates' file on every rank and describe this rank's block
 * of them; then read the block through once, so that a value that is not
 * finite is found (and named) before the rounds, where ranks could no
 * longer agree on it. Collective.
 */
static int open_candidates(tm_inputs_t *in, MPI_Comm comm, tm_err_t *err)
{
    int rank = 0, nranks = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);
    int rc = tm_h5rows_open(&in->cand_req, &in->reader, err);
    rc = tm_err_agree(rc, err, comm);
    if (rc != 0)
        return rc;
    tm_shard_t *c = &in->cand;
    c->n_global = tm_h5rows_count(in->reader);
    c->dim = tm_h5rows_dim(in->reader);
    tm_shard_range(c->n_global, nranks, rank, &c->lo, &c->n);
    in->streamed = 1;
    return 0;
}

static int check_candidates(tm_inputs_t *in, MPI_Comm comm, tm_err_t *err)
{
    const tm_shard_t *c = &in->cand;
    const int64_t rows = c->n < CHECK_ROWS ? c->n : CHECK_ROWS;
    float *emb = malloc((size_t)(rows > 0 ? rows : 1) * (size_t)c->dim * sizeof(float));
    int64_t *lab = alloc_i64(rows);
    int rc = emb != NULL && lab != NULL ? 0 : TM_ENOMEM;
    if (rc != 0)
        tm_err_set(err, rc, "cannot allocate %lld rows to check the %s (%s)", (long long)rows,
                   in->cand_req.what, in->cand_req.path);
    for (int64_t lo = 0; lo < c->n && rc == 0; lo += rows) {
        const int64_t n = c->n - lo < rows ? c->n - lo : rows;
        rc = tm_h5rows_read(in->reader, c->lo + lo, n, emb, lab, err);
    }
    free(emb);
    free(lab);
    return tm_err_agree(rc, err, comm);
}

/* The same D on both sides: 0 or an error (the same on every rank). */
static int same_dim(const tm_inputs_t *in, int64_t dim, const char *path, tm_err_t *err)
{
    if (in->cand.dim == dim)
        return 0;
    return tm_err_set(err, TM_EINPUT, "the reference has dimension %lld but the input %lld: "
                      "both must come from the same model (%s, %s)", (long long)in->cand.dim,
                      (long long)dim, in->cand_req.path, path);
}

/* ---- --reference with labels ------------------------------------------------- */

static int read_reference(const tm_mine_params_t *m, int64_t budget, MPI_Comm comm,
                          tm_inputs_t *in, tm_err_t *err)
{
    const tm_h5in_req_t req = {m->input, m->emb_name, m->lab_name, m->normalize, budget, "input"};
    int rc = tm_h5in_read(&req, comm, &in->anch, err);
    if (rc != 0)
        return rc;
    in->num_input = in->anch.n_global;
    in->cand_req = (tm_h5in_req_t){m->reference, m->ref_emb_name, m->ref_lab_name, m->normalize,
                                   0, "reference"};
    rc = open_candidates(in, comm, err);
    if (rc == 0)
        rc = tm_err_agree(same_dim(in, in->anch.dim, m->input, err), err, comm);
    if (rc == 0)
        rc = check_candidates(in, comm, err);
    if (rc != 0)
        return rc;
    in->num_reference = in->cand.n_global;
    rc = anchor_arrays(in, 0);
    for (int64_t i = 0; rc == 0 && i < in->anch.n; i++)
        in->out[i] = in->anch.lo + i;
    if (rc != 0)
        tm_err_set(err, rc, "cannot allocate the anchors' indices (%s)", m->input);
    return tm_err_agree(rc, err, comm);
}

/* ---- --pairs ---------------------------------------------------------------- */

/* First index in [0, n) of x (ascending) not below v. */
static int64_t lower_bound(const int64_t *x, int64_t n, int64_t v)
{
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (x[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int cmp_i64(const void *a, const void *b)
{
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* (query slot, candidate) entries of the exclusion lists, as they are gathered. */
typedef struct entries {
    int64_t n, cap;
    int64_t *v; /* 2 per entry */
} entries_t;

static int push(entries_t *e, int64_t slot, int64_t c)
{
    if (e->n == e->cap) {
        const int64_t cap = e->cap > 0 ? 2 * e->cap : 1024;
        int64_t *v = realloc(e->v, (size_t)cap * 2 * sizeof *v);
        if (v == NULL)
            return TM_ENOMEM;
        e->v = v;
        e->cap = cap;
    }
    e->v[2 * e->n] = slot;
    e->v[2 * e->n + 1] = c;
    e->n++;
    return 0;
}

static int cmp_entry(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;
    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    return (x[1] > y[1]) - (x[1] < y[1]);
}

/* What one rank's pairs are made of while they are read. */
typedef struct pairs_job {
    tm_h5pairs_t *file;
    int64_t m, nq, nc;
    const char *cands;   /* "input" or "reference" */
    int with_self;       /* exclude the query itself (no --reference) */
    int64_t *qp;         /* the rank's pairs, n x 2 */
    int64_t *uq, nu;     /* their distinct queries, ascending */
    int64_t budget;
} pairs_job_t;

/*
 * Every positive of each of this rank's queries, from every pair of the
 * file (read through in blocks; every rank checks every pair, so all
 * name the same bad one), plus the query itself where it applies, as
 * lists per anchor in xbeg / xend / xidx.
 */
static int gather_exclusions(tm_inputs_t *in, pairs_job_t *pj, tm_err_t *err)
{
    entries_t e = {0, 0, NULL};
    int64_t *blk = alloc_i64(2 * PAIR_ROWS);
    int rc = blk != NULL ? 0 : TM_ENOMEM;
    for (int64_t lo = 0; rc == 0 && lo < pj->m; lo += PAIR_ROWS) {
        const int64_t n = pj->m - lo < PAIR_ROWS ? pj->m - lo : PAIR_ROWS;
        rc = tm_h5pairs_read(pj->file, lo, n, pj->nq, pj->nc, pj->cands, blk, err);
        for (int64_t i = 0; rc == 0 && i < n; i++) {
            const int64_t s = lower_bound(pj->uq, pj->nu, blk[2 * i]);
            if (s < pj->nu && pj->uq[s] == blk[2 * i])
                rc = push(&e, s, blk[2 * i + 1]);
        }
        if (rc == 0 && e.n > pj->budget / 16)
            rc = tm_err_set(err, TM_ENOMEM, "the positives of the queries of one rank's pairs "
                            "take more than the memory budget of %lld bytes (--mem-limit; use "
                            "more ranks)", (long long)pj->budget);
    }
    for (int64_t s = 0; rc == 0 && pj->with_self && s < pj->nu; s++)
        rc = push(&e, s, pj->uq[s]);
    free(blk);
    if (rc == TM_ENOMEM && err->code == 0)
        tm_err_set(err, rc, "cannot allocate the positives of the queries (--pairs)");
    if (rc != 0) {
        free(e.v);
        return rc;
    }
    if (e.n > 0)
        qsort(e.v, (size_t)e.n, 2 * sizeof(int64_t), cmp_entry);
    int64_t *off = alloc_i64(pj->nu + 1);
    in->xidx = alloc_i64(e.n);
    in->xbeg = alloc_i64(in->anch.n);
    in->xend = alloc_i64(in->anch.n);
    if (off == NULL || in->xidx == NULL || in->xbeg == NULL || in->xend == NULL) {
        free(off);
        free(e.v);
        return tm_err_set(err, TM_ENOMEM, "cannot allocate the positives of the queries "
                          "(--pairs)");
    }
    int64_t k = 0;
    for (int64_t s = 0, i = 0; s < pj->nu; s++) {
        off[s] = k;
        for (; i < e.n && e.v[2 * i] == s; i++)
            if (k == off[s] || in->xidx[k - 1] != e.v[2 * i + 1])
                in->xidx[k++] = e.v[2 * i + 1];
    }
    off[pj->nu] = k;
    for (int64_t a = 0; a < in->anch.n; a++) {
        const int64_t s = lower_bound(pj->uq, pj->nu, pj->qp[2 * a]);
        in->xbeg[a] = off[s];
        in->xend[a] = off[s + 1];
    }
    in->held += k * 8 + in->anch.n * 16;
    free(off);
    free(e.v);
    return 0;
}

/*
 * The anchors of the rank's pairs: each its query's row (read once per
 * query), labelled with its positive's index.
 */
static int pair_anchors(tm_inputs_t *in, pairs_job_t *pj, tm_h5rows_t *qr, tm_err_t *err)
{
    tm_shard_t *s = &in->anch;
    const int64_t n = s->n, dim = s->dim;
    int64_t bytes = n * (dim * 4 + 56) + pj->nu * (dim * 4 + 8);
    if (n > 0 && dim > (INT64_MAX / n - 64) / 8)
        bytes = INT64_MAX;
    if (bytes > pj->budget)
        return tm_err_set(err, TM_ENOMEM, "the anchors of one rank's pairs need %lld bytes, over "
                          "the memory budget of %lld (--mem-limit; use more ranks)",
                          (long long)bytes, (long long)pj->budget);
    const size_t rows = (size_t)(n > 0 ? n : 1), urows = (size_t)(pj->nu > 0 ? pj->nu : 1);
    s->emb = malloc(rows * (size_t)dim * sizeof(float));
    s->labels = alloc_i64(n);
    s->sqnorm = malloc(rows * sizeof(double));
    in->out = alloc_i64(n);
    float *uemb = malloc(urows * (size_t)dim * sizeof(float));
    int rc = s->emb && s->labels && s->sqnorm && in->out && uemb ? 0 : TM_ENOMEM;
    if (rc != 0)
        tm_err_set(err, rc, "cannot allocate the anchors of %lld pairs (--pairs)", (long long)n);
    if (rc == 0)
        rc = tm_h5rows_pick(qr, pj->uq, pj->nu, uemb, err);
    for (int64_t a = 0; rc == 0 && a < n; a++) {
        const int64_t u = lower_bound(pj->uq, pj->nu, pj->qp[2 * a]);
        memcpy(s->emb + a * dim, uemb + u * dim, (size_t)dim * sizeof(float));
        s->labels[a] = pj->qp[2 * a + 1];
        in->out[a] = pj->qp[2 * a];
    }
    free(uemb);
    if (rc == 0)
        tm_shard_sqnorms(s->emb, n, dim, s->sqnorm);
    return rc;
}

/* This rank's pairs, checked, and their distinct queries. */
static int own_pairs(tm_inputs_t *in, pairs_job_t *pj, MPI_Comm comm, tm_err_t *err)
{
    int rank = 0, nranks = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);
    tm_shard_t *s = &in->anch;
    s->n_global = pj->m;
    tm_shard_range(pj->m, nranks, rank, &s->lo, &s->n);
    pj->qp = alloc_i64(2 * s->n);
    pj->uq = alloc_i64(s->n);
    if (pj->qp == NULL || pj->uq == NULL)
        return tm_err_set(err, TM_ENOMEM, "cannot allocate %lld pairs (--pairs)",
                          (long long)s->n);
    int rc = tm_h5pairs_read(pj->file, s->lo, s->n, pj->nq, pj->nc, pj->cands, pj->qp, err);
    if (rc != 0)
        return rc;
    for (int64_t a = 0; a < s->n; a++)
        pj->uq[a] = pj->qp[2 * a];
    qsort(pj->uq, (size_t)s->n, sizeof *pj->uq, cmp_i64);
    pj->nu = 0;
    for (int64_t a = 0; a < s->n; a++)
        if (pj->nu == 0 || pj->uq[pj->nu - 1] != pj->uq[a])
            pj->uq[pj->nu++] = pj->uq[a];
    return 0;
}

static int read_pairs(const tm_mine_params_t *m, int64_t budget, MPI_Comm comm, tm_inputs_t *in,
                      tm_err_t *err)
{
    const int ref = m->reference != NULL;
    in->cand_req = ref ? (tm_h5in_req_t){m->reference, m->ref_emb_name, NULL, m->normalize, 0,
                                         "reference"}
                       : (tm_h5in_req_t){m->input, m->emb_name, NULL, m->normalize, 0, "input"};
    const tm_h5in_req_t qreq = {m->input, m->emb_name, NULL, m->normalize, 0, "input"};
    int rc = open_candidates(in, comm, err);
    if (rc != 0)
        return rc;
    /* The queries' rows: the candidates' own reader without --reference. */
    tm_h5rows_t *qr = in->reader;
    if (ref) {
        qr = NULL;
        rc = tm_err_agree(tm_h5rows_open(&qreq, &qr, err), err, comm);
        if (rc == 0)
            rc = tm_err_agree(same_dim(in, tm_h5rows_dim(qr), m->input, err), err, comm);
    }
    pairs_job_t pj = {NULL, 0, 0, in->cand.n_global, ref ? "reference" : "input", !ref,
                      NULL, NULL, 0, budget};
    if (rc == 0) {
        pj.nq = tm_h5rows_count(qr);
        in->anch.dim = tm_h5rows_dim(qr);
        rc = tm_err_agree(tm_h5pairs_open(m->input, m->pairs, &pj.file, &pj.m, err), err, comm);
    }
    if (rc == 0)
        rc = tm_err_agree(own_pairs(in, &pj, comm, err), err, comm);
    if (rc == 0)
        rc = tm_err_agree(gather_exclusions(in, &pj, err), err, comm);
    if (rc == 0)
        rc = tm_err_agree(pair_anchors(in, &pj, qr, err), err, comm);
    if (rc == 0)
        rc = check_candidates(in, comm, err);
    if (rc == 0) {
        rc = anchor_arrays(in, 0);
        if (rc != 0)
            tm_err_set(err, rc, "cannot allocate the anchors' norms (--pairs)");
        rc = tm_err_agree(rc, err, comm);
    }
    in->num_input = pj.nq;
    in->num_reference = ref ? in->cand.n_global : 0;
    in->num_pairs = pj.m;
    if (qr != in->reader)
        tm_h5rows_close(qr);
    tm_h5pairs_close(pj.file);
    free(pj.qp);
    free(pj.uq);
    return rc;
}

/* ---- the three cases -------------------------------------------------------- */

int tm_inputs_read(const tm_mine_params_t *m, int64_t budget, MPI_Comm comm, tm_inputs_t *in,
                   tm_err_t *err)
{
    memset(in, 0, sizeof *in);
    int rc;
    if (m->pairs != NULL) {
        rc = read_pairs(m, budget, comm, in, err);
    } else if (m->reference != NULL) {
        rc = read_reference(m, budget, comm, in, err);
    } else {
        const tm_h5in_req_t req = {m->input, m->emb_name, m->lab_name, m->normalize, budget,
                                   "input"};
        rc = tm_h5in_read(&req, comm, &in->anch, err);
        if (rc == 0) {
            in->num_input = in->anch.n_global;
            rc = anchor_arrays(in, 1);
            if (rc != 0)
                tm_err_set(err, rc, "cannot allocate the anchors' indices (%s)", m->input);
            rc = tm_err_agree(rc, err, comm);
        }
    }
    if (rc == 0 && in->streamed)
        in->held += (int64_t)TM_H5ROWS_SPAN * in->cand.dim * 4; /* the reader's block */
    if (rc != 0)
        tm_inputs_free(in);
    return rc;
}
