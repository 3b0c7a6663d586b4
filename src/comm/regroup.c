/*
 * regroup.c - rows moved to the owners of their partitions (regroup.h):
 * every rank reads its block a piece at a time and sends each row where
 * it belongs with MPI_Alltoallv; every rank runs the same number of
 * pieces, so no collective is skipped.
 */
#include "comm/regroup.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* One received row's order and where it lies. */
typedef struct rkey {
    int64_t label, gid, from;
    int32_t part;
} rkey_t;

static int cmp_rkey(const void *x, const void *y)
{
    const rkey_t *a = x, *b = y;
    if (a->part != b->part)
        return a->part < b->part ? -1 : 1;
    if (a->label != b->label)
        return a->label < b->label ? -1 : 1;
    return (a->gid > b->gid) - (a->gid < b->gid);
}

int64_t tm_regroup_bytes(int64_t rows, int64_t dim)
{
    /* The rows, their label, index, partition and norm, and the sort's keys. */
    return rows * (dim * 4 + 28 + (int64_t)sizeof(rkey_t));
}

void tm_regrouped_free(tm_regrouped_t *g)
{
    tm_shard_free(&g->shard);
    free(g->gid);
    free(g->part);
    free(g->rank_n);
    free(g->first);
    memset(g, 0, sizeof *g);
}

/* The owner of every partition, and each rank's first partition and rows. */
static void owners(const int64_t *cnt, int64_t parts, int64_t total, int nranks, int32_t *own,
                   int64_t *first, int64_t *rank_n)
{
    int64_t run = 0;
    int q = 0, last = 0;
    first[0] = 0;
    for (int64_t p = 0; p < parts; p++) {
        int64_t lo = 0, n = 0;
        tm_shard_range(total, nranks, q, &lo, &n);
        while (q < nranks - 1 && run >= lo + n)
            tm_shard_range(total, nranks, ++q, &lo, &n);
        while (last < q)
            first[++last] = p;
        own[p] = q;
        rank_n[q] += cnt[p];
        run += cnt[p];
    }
    while (last < nranks)
        first[++last] = parts;
}

/*
 * Put the m received rows of g in (partition, label, index) order, the
 * floats in place: each moves along its permutation cycle through one
 * spare row. 0 or TM_ENOMEM.
 */
static int sort_received(tm_regrouped_t *g, int64_t m, int64_t dim)
{
    rkey_t *k = malloc((size_t)(m > 0 ? m : 1) * sizeof *k);
    float *spare = malloc((size_t)(dim > 0 ? dim : 1) * sizeof *spare);
    if (k == NULL || spare == NULL) {
        free(k);
        free(spare);
        return TM_ENOMEM;
    }
    for (int64_t i = 0; i < m; i++)
        k[i] = (rkey_t){g->shard.labels[i], g->gid[i], i, g->part[i]};
    qsort(k, (size_t)m, sizeof *k, cmp_rkey);
    for (int64_t i = 0; i < m; i++) {
        g->shard.labels[i] = k[i].label;
        g->gid[i] = k[i].gid;
        g->part[i] = k[i].part;
    }
    float *emb = g->shard.emb;
    const size_t row = (size_t)dim * sizeof *emb;
    /* Row i takes row k[i].from; a placed row gets from = -1. */
    for (int64_t s = 0; s < m; s++) {
        if (k[s].from < 0 || k[s].from == s) {
            k[s].from = -1;
            continue;
        }
        memcpy(spare, emb + s * dim, row);
        int64_t i = s;
        while (k[i].from != s) {
            const int64_t src = k[i].from;
            memcpy(emb + i * dim, emb + src * dim, row);
            k[i].from = -1;
            i = src;
        }
        memcpy(emb + i * dim, spare, row);
        k[i].from = -1;
    }
    free(spare);
    free(k);
    return 0;
}

/* The buffers of one piece. */
typedef struct piece {
    float *remb, *semb;
    int64_t *rlab, *slab, *sgid;
    int32_t *spart, *own;
    int *sc, *sd, *rc, *rd, *at;
} piece_t;

static void piece_free(piece_t *b)
{
    free(b->remb), free(b->semb), free(b->rlab), free(b->slab), free(b->sgid), free(b->spart);
    free(b->own), free(b->sc), free(b->sd), free(b->rc), free(b->rd), free(b->at);
}

/*
 * Send piece k (rows [k * piece, ...) of src) to the owners; what arrives
 * is appended to out from row *filled. 0 or an error agreed by all.
 */
static int send_piece(MPI_Comm comm, MPI_Datatype row, const tm_shard_t *src,
                      tm_exchange_fill_fn fill, void *ctx, const int32_t *part, int64_t piece,
                      int64_t k, piece_t *b, int nranks, tm_regrouped_t *out, int64_t m,
                      int64_t *filled, tm_err_t *err)
{
    const int64_t dim = src->dim, i0 = k * piece;
    int64_t cnt = src->n - i0;
    cnt = cnt < 0 ? 0 : (cnt > piece ? piece : cnt);
    const float *emb = src->emb != NULL ? src->emb + i0 * dim : NULL;
    const int64_t *lab = src->labels != NULL ? src->labels + i0 : NULL;
    int rc = 0;
    if (cnt > 0 && src->emb == NULL) {
        rc = fill(ctx, i0, cnt, b->remb, b->rlab, err);
        emb = b->remb;
        lab = b->rlab;
    }
    rc = tm_err_agree(rc, err, comm);
    if (rc != 0)
        return rc;
    memset(b->sc, 0, (size_t)nranks * sizeof *b->sc);
    for (int64_t i = 0; i < cnt; i++)
        b->sc[b->own[part[i0 + i]]]++;
    for (int q = 0, s = 0; q < nranks; q++) {
        b->sd[q] = b->at[q] = s;
        s += b->sc[q];
    }
    for (int64_t i = 0; i < cnt; i++) {
        const int64_t at = b->at[b->own[part[i0 + i]]]++;
        memcpy(b->semb + at * dim, emb + i * dim, (size_t)dim * sizeof *emb);
        b->slab[at] = lab[i];
        b->sgid[at] = src->lo + i0 + i;
        b->spart[at] = part[i0 + i];
    }
    rc = MPI_Alltoall(b->sc, 1, MPI_INT, b->rc, 1, MPI_INT, comm);
    int64_t got = 0;
    for (int q = 0; q < nranks; q++) {
        b->rd[q] = (int)got;
        got += b->rc[q];
    }
    int bad = rc != MPI_SUCCESS || *filled + got > m;
    MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_LOR, comm);
    if (bad)
        return tm_err_agree(tm_err_set(err, TM_EMPI, "moving the rows to their partitions' "
                                       "ranks failed (regroup)"), err, comm);
    const int64_t f = *filled;
    rc = MPI_Alltoallv(b->semb, b->sc, b->sd, row, out->shard.emb + f * dim, b->rc, b->rd, row,
                       comm);
    if (rc == MPI_SUCCESS)
        rc = MPI_Alltoallv(b->slab, b->sc, b->sd, MPI_INT64_T, out->shard.labels + f, b->rc,
                           b->rd, MPI_INT64_T, comm);
    if (rc == MPI_SUCCESS)
        rc = MPI_Alltoallv(b->sgid, b->sc, b->sd, MPI_INT64_T, out->gid + f, b->rc, b->rd,
                           MPI_INT64_T, comm);
    if (rc == MPI_SUCCESS)
        rc = MPI_Alltoallv(b->spart, b->sc, b->sd, MPI_INT32_T, out->part + f, b->rc, b->rd,
                           MPI_INT32_T, comm);
    *filled = f + got;
    rc = rc != MPI_SUCCESS ? tm_err_set(err, TM_EMPI, "moving the rows to their partitions' "
                                        "ranks failed (regroup)") : 0;
    return tm_err_agree(rc, err, comm);
}

int tm_regroup(MPI_Comm comm, const tm_shard_t *src, tm_exchange_fill_fn fill, void *ctx,
               const int32_t *part, int64_t parts, int64_t piece, tm_regrouped_t *out,
               tm_err_t *err)
{
    memset(out, 0, sizeof *out);
    int nranks = 1, rank = 0;
    MPI_Comm_size(comm, &nranks);
    MPI_Comm_rank(comm, &rank);
    const int64_t dim = src->dim;
    if (piece > INT_MAX / nranks)
        piece = INT_MAX / nranks;
    if (piece > src->n_global)
        piece = src->n_global;
    if (piece < 1)
        piece = 1;
    piece_t b = {0};
    MPI_Datatype row = MPI_DATATYPE_NULL;
    const size_t pc = (size_t)piece, q = (size_t)nranks;
    int64_t *cnt = calloc((size_t)(parts > 0 ? parts : 1), sizeof *cnt);
    b.own = malloc((size_t)(parts > 0 ? parts : 1) * sizeof *b.own);
    out->rank_n = calloc(q, sizeof *out->rank_n);
    out->first = calloc(q + 1, sizeof *out->first);
    int ok = cnt && b.own && out->rank_n && out->first;
    MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_LAND, comm);
    int rc = 0;
    if (!ok) {
        rc = tm_err_set(err, TM_ENOMEM, "cannot allocate the counts of %lld partitions (regroup)",
                        (long long)parts);
        goto done;
    }
    for (int64_t i = 0; i < src->n; i++)
        cnt[part[i]]++;
    for (int64_t p0 = 0; p0 < parts; p0 += 1 << 28) {
        const int64_t len = parts - p0 < (1 << 28) ? parts - p0 : (1 << 28);
        MPI_Allreduce(MPI_IN_PLACE, cnt + p0, (int)len, MPI_INT64_T, MPI_SUM, comm);
    }
    owners(cnt, parts, src->n_global, nranks, b.own, out->first, out->rank_n);

    const int64_t m = out->rank_n[rank];
    const size_t mc = (size_t)(m > 0 ? m : 1);
    out->shard.emb = malloc(mc * (size_t)dim * sizeof(float));
    out->shard.labels = malloc(mc * sizeof(int64_t));
    out->gid = malloc(mc * sizeof *out->gid);
    out->part = malloc(mc * sizeof *out->part);
    if (src->emb == NULL) {
        b.remb = malloc(pc * (size_t)dim * sizeof *b.remb);
        b.rlab = malloc(pc * sizeof *b.rlab);
    }
    b.semb = malloc(pc * (size_t)dim * sizeof *b.semb);
    b.slab = malloc(pc * sizeof *b.slab);
    b.sgid = malloc(pc * sizeof *b.sgid);
    b.spart = malloc(pc * sizeof *b.spart);
    b.sc = malloc(q * sizeof *b.sc);
    b.sd = malloc(q * sizeof *b.sd);
    b.rc = malloc(q * sizeof *b.rc);
    b.rd = malloc(q * sizeof *b.rd);
    b.at = malloc(q * sizeof *b.at);
    ok = out->shard.emb && out->shard.labels && out->gid && out->part && b.semb && b.slab &&
         b.sgid && b.spart && b.sc && b.sd && b.rc && b.rd && b.at &&
         (src->emb != NULL || (b.remb && b.rlab));
    ok = ok && MPI_Type_contiguous((int)dim, MPI_FLOAT, &row) == MPI_SUCCESS &&
         MPI_Type_commit(&row) == MPI_SUCCESS;
    MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_LAND, comm);
    if (!ok) {
        rc = tm_err_set(err, TM_ENOMEM, "cannot allocate the %lld rows of this rank's "
                        "partitions (rank %d; regroup)", (long long)m, rank);
        goto done;
    }
    int64_t pieces = (src->n + piece - 1) / piece, filled = 0;
    MPI_Allreduce(MPI_IN_PLACE, &pieces, 1, MPI_INT64_T, MPI_MAX, comm);
    for (int64_t k = 0; k < pieces && rc == 0; k++)
        rc = send_piece(comm, row, src, fill, ctx, part, piece, k, &b, nranks, out, m, &filled,
                        err);
    if (rc == 0) {
        ok = filled == m && sort_received(out, m, dim) == 0;
        out->shard.sqnorm = malloc(mc * sizeof(double));
        ok = ok && out->shard.sqnorm != NULL;
        if (ok)
            tm_shard_sqnorms(out->shard.emb, m, dim, out->shard.sqnorm);
        else
            rc = tm_err_set(err, TM_ENOMEM, "cannot sort the %lld rows of this rank's "
                            "partitions (rank %d; regroup)", (long long)m, rank);
        rc = tm_err_agree(rc, err, comm);
    }
    out->shard.n_global = src->n_global;
    out->shard.dim = dim;
    out->shard.lo = 0;
    out->shard.n = m;
    out->shard.part = out->part;
    out->shard.gid = out->gid;
    out->shard.rank_n = out->rank_n;
done:
    if (row != MPI_DATATYPE_NULL)
        MPI_Type_free(&row);
    free(cnt);
    piece_free(&b);
    if (rc != 0)
        tm_regrouped_free(out);
    return rc;
}
