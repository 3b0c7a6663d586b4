/*
 * parted.c - partitioned mining within a job (parted.h).
 *
 * The anchors are sorted by their nearest partitions, so that an anchor
 * block probes few partitions between them; the engine's state follows
 * that order and its results are put back in the anchors' own order at
 * the end, so the output is the one an exact run would lay out.
 *
 * The check: S anchors of the whole run, those of smallest draw for the
 * seed, are copied in their own order and mined by the exact sweep into a
 * second state of the same engine, round by round beside the partitions.
 * At the end each checked anchor's triplets (or eval record) are compared
 * with the partitioned ones.
 */
#include "run/parted.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "comm/smallest.h"
#include "engines/draw.h"
#include "tripminer/err.h"

/* The stream of the check's draws (engines/draw.h). */
#define STREAM_CHECK 0x636865636bULL

/* Room for n rows of dim floats (with_emb 0: all but the floats). 0 or TM_ENOMEM. */
static int rowcopy_alloc(tm_rowcopy_t *rc, int64_t n, int64_t dim, int with_emb)
{
    const size_t c = (size_t)(n > 0 ? n : 1);
    rc->emb = with_emb ? malloc(c * (size_t)dim * sizeof *rc->emb) : NULL;
    rc->lab = malloc(c * sizeof *rc->lab);
    rc->gid = malloc(c * sizeof *rc->gid);
    rc->draw = malloc(c * sizeof *rc->draw);
    rc->xbeg = malloc(c * sizeof *rc->xbeg);
    rc->xend = malloc(c * sizeof *rc->xend);
    rc->sq = malloc(c * sizeof *rc->sq);
    rc->nrm = malloc(c * sizeof *rc->nrm);
    if ((rc->emb || !with_emb) && rc->lab && rc->gid && rc->draw && rc->xbeg && rc->xend &&
        rc->sq && rc->nrm)
        return 0;
    return TM_ENOMEM;
}

static void rowcopy_free(tm_rowcopy_t *rc)
{
    free(rc->emb);
    free(rc->lab);
    free(rc->gid);
    free(rc->draw);
    free(rc->xbeg);
    free(rc->xend);
    free(rc->sq);
    free(rc->nrm);
    memset(rc, 0, sizeof *rc);
}

/* Row src of r into slot dst of rc (xbeg and xend: with --pairs; floats if rc has room). */
static void rowcopy_put(tm_rowcopy_t *rc, const tm_rows_t *r, int64_t src, int64_t dst)
{
    if (r->xbeg != NULL) {
        rc->xbeg[dst] = r->xbeg[src];
        rc->xend[dst] = r->xend[src];
    }
    if (rc->emb != NULL)
        memcpy(rc->emb + dst * r->dim, r->emb + src * r->dim, (size_t)r->dim * sizeof *rc->emb);
    rc->lab[dst] = r->labels[src];
    rc->gid[dst] = r->gid != NULL ? r->gid[src] : -1;
    rc->draw[dst] = r->draw != NULL ? r->draw[src] : (r->gid != NULL ? r->gid[src] : -1);
    rc->sq[dst] = r->sqnorm[src];
    rc->nrm[dst] = r->norm[src];
}

/* The n copied rows as the engines see them (nat: the anchors they came from). */
static tm_rows_t rowcopy_rows(const tm_rowcopy_t *rc, int64_t n, const tm_rows_t *nat)
{
    tm_rows_t r = {.n = n, .dim = nat->dim, .emb = rc->emb, .labels = rc->lab, .gid = rc->gid,
                   .sqnorm = rc->sq, .norm = rc->nrm, .draw = rc->draw};
    if (nat->xidx != NULL) {
        r.xbeg = rc->xbeg;
        r.xend = rc->xend;
        r.xidx = nat->xidx;
    }
    return r;
}

void tm_parted_free(tm_job_t *j)
{
    tm_psweep_free(&j->ps, j->threads > 0 ? j->threads : 1);
    tm_sweep_free(&j->csweep);
    if (j->cstate != NULL && j->plan.engine != NULL)
        j->plan.engine->destroy(j->cstate);
    j->cstate = NULL;
    tm_parts_free(&j->parts);
    tm_regrouped_free(&j->moved);
    rowcopy_free(&j->ordered);
    rowcopy_free(&j->check);
    free(j->perm);
    free(j->cidx);
    j->perm = j->cidx = NULL;
}

/*
 * The order of the anchors: by their nearest partition, then by MH
 * min-hashes of their probe sets (anchors whose sets overlap much tend to
 * share them, so an 8-anchor panel probes few partitions between its
 * anchors), then by their probes, nearest first, then their own order.
 */
#define MH 3
static const tm_parts_t *sort_parts;
static const uint64_t *sort_mh;

static int cmp_anchor(const void *x, const void *y)
{
    const int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    const int64_t P = sort_parts->probe;
    const int32_t *pa = sort_parts->probes + a * P, *pb = sort_parts->probes + b * P;
    if (pa[0] != pb[0])
        return pa[0] < pb[0] ? -1 : 1;
    for (int k = 0; k < MH; k++)
        if (sort_mh[a * MH + k] != sort_mh[b * MH + k])
            return sort_mh[a * MH + k] < sort_mh[b * MH + k] ? -1 : 1;
    for (int64_t k = 1; k < P; k++)
        if (pa[k] != pb[k])
            return pa[k] < pb[k] ? -1 : 1;
    return (a > b) - (a < b);
}

/* The MH min-hashes of each of n anchors' probe sets into mh (n x MH). */
static void min_hashes(const tm_parts_t *pt, int64_t n, uint64_t *mh)
{
    const int64_t P = pt->probe;
    for (int64_t a = 0; a < n; a++)
        for (int k = 0; k < MH; k++) {
            const uint64_t key = tm_draw_key(0x6d696e68617368ULL, (uint64_t)k, 0);
            uint64_t m = UINT64_MAX;
            for (int64_t i = 0; i < P; i++) {
                const uint64_t h = tm_draw(key, pt->probes[a * P + i]);
                m = h < m ? h : m;
            }
            mh[a * MH + k] = m;
        }
}

/*
 * Put n rows of dim floats in the order perm (slot s takes row perm[s]),
 * in place: each moves along its cycle through spare; done: n zeros.
 */
static void permute_rows(float *emb, int64_t n, int64_t dim, const int64_t *perm, uint8_t *done,
                         float *spare)
{
    const size_t row = (size_t)dim * sizeof *emb;
    for (int64_t s = 0; s < n; s++) {
        if (done[s])
            continue;
        done[s] = 1;
        if (perm[s] == s)
            continue;
        memcpy(spare, emb + s * dim, row);
        int64_t i = s;
        while (perm[i] != s) {
            memcpy(emb + i * dim, emb + perm[i] * dim, row);
            i = perm[i];
            done[i] = 1;
        }
        memcpy(emb + i * dim, spare, row);
    }
}

/* The anchors of the check: local anchors whose (draw, row) is among the S smallest. */
static int draw_check(tm_job_t *j, const tm_rows_t *nat, tm_err_t *err)
{
    const int64_t n = nat->n, S = j->mine->check;
    const uint64_t key = tm_draw_key(j->mine->seed, STREAM_CHECK, 0);
    uint64_t *mine = malloc((size_t)(n > 0 ? n : 1) * 2 * sizeof *mine);
    uint64_t *all = malloc((size_t)(S > 0 ? S : 1) * 2 * sizeof *all);
    int ok = mine != NULL && all != NULL;
    for (int64_t a = 0; ok && a < n; a++) {
        /* Its row of -i, or its pair's row (tm_inputs_t.draw): one per anchor. */
        mine[2 * a] = tm_draw(key, j->in.draw[a]);
        mine[2 * a + 1] = (uint64_t)j->in.draw[a];
    }
    MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_LAND, j->comm);
    if (!ok || tm_smallest_pairs(mine, n, S, j->comm, all) != 0) {
        free(mine);
        free(all);
        return tm_err_set(err, TM_ENOMEM, "cannot allocate the check of %lld anchors",
                          (long long)S);
    }
    /* The S-th smallest over all ranks: anchors up to it are checked. */
    const uint64_t *last = all + 2 * (S - 1);
    j->ncheck = 0;
    for (int64_t a = 0; a < n; a++)
        j->ncheck += tm_pair_cmp(mine + 2 * a, last) <= 0;
    j->cidx = malloc((size_t)(j->ncheck > 0 ? j->ncheck : 1) * sizeof *j->cidx);
    ok = j->cidx != NULL && rowcopy_alloc(&j->check, j->ncheck, nat->dim, 1) == 0;
    int64_t *inv = ok ? malloc((size_t)(n > 0 ? n : 1) * sizeof *inv) : NULL;
    if (ok && inv != NULL) {
        for (int64_t s = 0; s < n; s++)
            inv[j->perm[s]] = s;
        int64_t k = 0;
        for (int64_t a = 0; a < n; a++) {
            if (tm_pair_cmp(mine + 2 * a, last) > 0)
                continue;
            /* From the ordered anchors: the rows of nat have moved there. */
            rowcopy_put(&j->check, &j->anch, inv[a], k);
            j->cidx[k++] = inv[a];
        }
    }
    ok = ok && inv != NULL;
    free(inv), free(mine), free(all);
    if (!ok)
        return tm_err_set(err, TM_ENOMEM, "cannot allocate the check's anchors (rank %d)",
                          j->rank);
    j->checked = rowcopy_rows(&j->check, j->ncheck, nat);
    return 0;
}

int tm_parted_setup(tm_job_t *j, tm_err_t *err)
{
    j->parted = 1;
    tm_rows_t nat;
    tm_inputs_anchors(&j->in, &nat);
    /* The candidates: the anchors' own rows, or rows read a round at a time. */
    tm_shard_t *cand = j->in.streamed ? &j->in.cand : &j->in.anch;
    const double t0 = MPI_Wtime();
    int rc = tm_parts_build(&j->parts, j->mine, cand, tm_inputs_fill, &j->in, &nat,
                            !j->in.streamed, j->kernel, j->threads, j->comm, err);
    if (rc != 0)
        return rc;
    /* The candidates move to the ranks that own their partitions. */
    rc = tm_regroup(j->comm, cand, tm_inputs_fill, &j->in, j->parts.own, j->parts.count,
                    j->sum->chunk, &j->moved, err);
    if (rc != 0)
        return rc;
    free(j->parts.own);
    j->parts.own = NULL;
    const double t_moved = MPI_Wtime();
    if (j->rank == 0) {
        double cs = 0.0;
        for (int64_t i = 0; i < j->parts.count * j->parts.dim; i++)
            cs += j->parts.cent[i];
        tm_log(TM_LOG_DEBUG, "partitions: %lld, probe %lld; k-means on %lld sampled rows, %d "
               "iterations (centre sum %.17g); largest radius %.6g",
               (long long)j->parts.count, (long long)j->parts.probe,
               (long long)j->parts.sample, j->parts.iterations, cs, j->parts.radius);
        tm_log(TM_LOG_DEBUG, "partitions: rank 0 computed %lld exact distances to centres",
               (long long)j->parts.scored);
    }
    const double t_probed = t0 + j->parts.t_kmeans + j->parts.t_probes;
    j->sum->partitions = j->parts.count;
    j->sum->probe = j->parts.probe;

    /* The anchors in the order of their probes. */
    const int64_t n = nat.n, P = j->parts.probe, dim = nat.dim;
    const size_t c = (size_t)(n > 0 ? n : 1);
    j->perm = malloc(c * sizeof *j->perm);
    int32_t *probes = malloc(c * (size_t)P * sizeof *probes);
    double *reach = malloc(c * sizeof *reach);
    /* The floats are ordered in place; the rest is copied. */
    int ok = rowcopy_alloc(&j->ordered, n, dim, 0) == 0 && j->perm && probes && reach;
    float *spare = ok ? malloc((size_t)(dim > 0 ? dim : 1) * sizeof *spare) : NULL;
    uint8_t *done = ok ? calloc(c, 1) : NULL;
    ok = ok && spare != NULL && done != NULL;
    uint64_t *mh = ok ? malloc(c * MH * sizeof *mh) : NULL;
    ok = ok && mh != NULL;
    if (ok) {
        for (int64_t a = 0; a < n; a++)
            j->perm[a] = a;
        min_hashes(&j->parts, n, mh);
        sort_parts = &j->parts;
        sort_mh = mh;
        qsort(j->perm, (size_t)n, sizeof *j->perm, cmp_anchor);
        for (int64_t s = 0; s < n; s++) {
            const int64_t a = j->perm[s];
            rowcopy_put(&j->ordered, &nat, a, s);
            memcpy(probes + s * P, j->parts.probes + a * P, (size_t)P * sizeof *probes);
            reach[s] = j->parts.reach[a];
        }
        permute_rows(j->in.anch.emb, n, dim, j->perm, done, spare);
        free(j->parts.probes);
        free(j->parts.reach);
        j->parts.probes = probes;
        j->parts.reach = reach;
        probes = NULL;
        reach = NULL;
    }
    free(probes);
    free(reach);
    free(mh);
    free(spare);
    free(done);
    if (!ok)
        rc = tm_err_set(err, TM_ENOMEM, "cannot allocate the ordered anchors (rank %d)",
                        j->rank);
    rc = tm_err_agree(rc, err, j->comm);
    if (rc != 0)
        return rc;
    j->anch = rowcopy_rows(&j->ordered, n, &nat);
    j->anch.emb = j->in.anch.emb;

    const double t_ordered = MPI_Wtime();
    /* The check and its state. */
    if (j->mine->check > 0) {
        rc = draw_check(j, &nat, err);
        if (rc == 0) {
            const tm_shard_t *cs = tm_inputs_candidates(&j->in);
            const tm_engine_size_t sz = {j->ncheck, cs->n_global, j->budget};
            if (j->plan.engine->create(&j->cstate, &j->plan.args, &sz) != 0)
                rc = tm_err_set(err, TM_ENOMEM, "cannot allocate the check's state (rank %d)",
                                j->rank);
        }
        rc = tm_err_agree(rc, err, j->comm);
    }
    j->times.partitions = MPI_Wtime() - t0;
    if (j->rank == 0)
        tm_log(TM_LOG_DEBUG, "partitions: rank 0 took %.3f s for the k-means, %.3f s for the "
               "probes, %.3f s moving the rows, %.3f s ordering the anchors, %.3f s drawing "
               "the check", j->parts.t_kmeans, j->parts.t_probes, t_moved - t_probed,
               t_ordered - t_moved, t0 + j->times.partitions - t_ordered);
    return rc;
}

int64_t tm_parted_bytes(const tm_mine_params_t *m, int64_t anchors, int64_t cands, int64_t dim,
                        int nranks)
{
    const int64_t C = tm_parts_resolve(m->partitions, cands);
    const int64_t P = m->probe < C ? m->probe : C;
    /* A rank's share, with room for the partition its boundary cuts. */
    const int64_t rows = (cands + nranks - 1) / nranks, share = rows + rows / 8;
    /* The ordered anchors' copies (their floats are ordered in place), probes twice while ordered. */
    const int64_t per_anchor = 10 * 8 + 2 * P * 4 + MH * 8 + 1;
    return tm_regroup_bytes(share, dim) + anchors * per_anchor + C * (dim * 8 + 64) +
           (16 * C / nranks + 1) * (dim * 4 + 40);
}

int tm_parted_sweeps(tm_job_t *j)
{
    const int64_t cap = tm_exchange_capacity(j->x);
    if (tm_psweep_init(&j->ps, &j->anch, j->parts.probes, j->parts.probe, j->parts.count, cap,
                       j->threads, j->sweep.kernel) != 0)
        return TM_ENOMEM;
    if (j->cstate != NULL) {
        const tm_engine_t *e = j->plan.engine;
        const size_t block = e->block_bytes != NULL ? e->block_bytes(j->cstate) : 0;
        if (tm_sweep_init(&j->csweep, j->threads, block, j->kernel, &j->checked, cap) != 0)
            return TM_ENOMEM;
    }
    return 0;
}

void tm_parted_round(tm_job_t *j, const tm_rows_t *cand)
{
    tm_psweep(&j->ps, j->plan.engine, j->state, j->pass, j->mine->metric, j->bound, &j->anch,
              cand, &j->sweep, j->x);
    if (j->cstate != NULL)
        tm_sweep(j->plan.engine, j->cstate, j->pass, j->mine->metric, j->bound, &j->checked,
                 cand, &j->csweep, j->x);
}

/* Index 0 .. n-1, the "global indices" the engines finish with here. */
static int64_t *iota(int64_t n)
{
    int64_t *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    for (int64_t i = 0; v != NULL && i < n; i++)
        v[i] = i;
    return v;
}

/* Where each anchor's triplets start in t (column 0 holds 0 .. n-1, ascending): n + 1. */
static int64_t *starts_of(const tm_triplets_t *t, int64_t n)
{
    int64_t *st = calloc((size_t)(n + 1), sizeof *st);
    if (st == NULL)
        return NULL;
    for (int64_t i = 0; i < t->m; i++)
        st[t->idx[3 * i] + 1]++;
    for (int64_t a = 0; a < n; a++)
        st[a + 1] += st[a];
    return st;
}

/* The triplets of t (state order) into out, in the anchors' own order. */
static int reorder_triplets(const tm_job_t *j, const tm_triplets_t *t, const int64_t *st,
                            tm_triplets_t *out)
{
    const int64_t n = j->anch.n;
    int64_t *inv = malloc((size_t)(n > 0 ? n : 1) * sizeof *inv);
    if (inv == NULL)
        return TM_ENOMEM;
    for (int64_t s = 0; s < n; s++)
        inv[j->perm[s]] = s;
    int rc = 0;
    for (int64_t a = 0; a < n && rc == 0; a++) {
        const int64_t s = inv[a];
        for (int64_t i = st[s]; i < st[s + 1] && rc == 0; i++)
            rc = tm_triplets_push(out, j->in.out[a], t->idx[3 * i + 1], t->idx[3 * i + 2],
                                  t->dap[i], t->dan[i]);
    }
    out->skipped = t->skipped;
    out->filtered = t->filtered;
    free(inv);
    return rc;
}

/* Compare the check's triplets with the partitioned ones: counts into v. */
static void compare_triplets(const tm_job_t *j, const tm_triplets_t *t, const int64_t *st,
                             const tm_triplets_t *c, const int64_t *cst, int64_t v[4])
{
    for (int64_t k = 0; k < j->ncheck; k++) {
        const int64_t s = j->cidx[k];
        const int64_t n0 = st[s], n1 = st[s + 1], e0 = cst[k], e1 = cst[k + 1];
        int same = n1 - n0 == e1 - e0;
        for (int64_t i = 0; same && i < e1 - e0; i++)
            same = t->idx[3 * (n0 + i) + 1] == c->idx[3 * (e0 + i) + 1] &&
                   t->idx[3 * (n0 + i) + 2] == c->idx[3 * (e0 + i) + 2] &&
                   t->dap[n0 + i] == c->dap[e0 + i] && t->dan[n0 + i] == c->dan[e0 + i];
        v[1] += same;
        /* Recall: the distinct exact (anchor, negative) pairs found. */
        for (int64_t i = e0; i < e1; i++) {
            const int64_t neg = c->idx[3 * i + 2];
            int dup = 0;
            for (int64_t q = e0; q < i && !dup; q++)
                dup = c->idx[3 * q + 2] == neg;
            if (dup)
                continue;
            v[3]++;
            for (int64_t q = n0; q < n1; q++)
                if (t->idx[3 * q + 2] == neg) {
                    v[2]++;
                    break;
                }
        }
    }
}

/* Whether two eval records say the same, query aside. */
static int same_record(tm_eval_rec_t x, tm_eval_rec_t y)
{
    x.query = y.query = 0;
    return memcmp(&x, &y, sizeof x) == 0;
}

/* The anchors proven exact: every partition they skip lies beyond their gate. */
static int64_t certified(const tm_job_t *j)
{
    const tm_engine_t *e = j->plan.engine;
    int64_t n = 0;
    for (int64_t s = 0; s < j->anch.n; s++) {
        const double reach = j->parts.reach[s];
        if (reach == INFINITY) {
            n++; /* it probes every partition */
            continue;
        }
        if (e->gate == NULL)
            continue;
        const double g = e->gate(j->state, s);
        if (isfinite(g) && reach > tm_parts_geo(j->mine->metric, g) * (1.0 + 0x1p-40))
            n++;
    }
    return n;
}

int tm_parted_finish(tm_job_t *j)
{
    const tm_engine_t *e = j->plan.engine;
    const int64_t n = j->anch.n;
    int64_t *ids = iota(n > j->ncheck ? n : j->ncheck);
    tm_results_t mine, chk;
    memset(&mine, 0, sizeof mine);
    memset(&chk, 0, sizeof chk);
    int rc = ids != NULL ? 0 : TM_ENOMEM;
    if (rc == 0)
        rc = e->finish(j->state, ids, &mine);
    if (rc == 0 && j->cstate != NULL)
        rc = e->finish(j->cstate, ids, &chk);
    /* v: checked, identical, pairs found, exact pairs, certified. */
    int64_t v[5] = {j->ncheck, 0, 0, 0, 0};
    if (rc == 0 && mine.rec != NULL) {
        /* eval's records: one per query, in state order. */
        j->res.rec = malloc((size_t)(n > 0 ? n : 1) * sizeof *j->res.rec);
        if (j->res.rec == NULL) {
            rc = TM_ENOMEM;
        } else {
            j->res.nrec = n;
            for (int64_t s = 0; s < n; s++) {
                j->res.rec[j->perm[s]] = mine.rec[s];
                j->res.rec[j->perm[s]].query = j->in.out[j->perm[s]];
            }
            for (int64_t k = 0; k < j->ncheck && chk.rec != NULL; k++) {
                const tm_eval_rec_t *x = &mine.rec[j->cidx[k]], *y = &chk.rec[k];
                v[1] += same_record(*x, *y);
                v[3]++;
                v[2] += x->neg == y->neg;
            }
        }
    } else if (rc == 0) {
        int64_t *st = starts_of(&mine.trip, n);
        int64_t *cst = j->cstate != NULL ? starts_of(&chk.trip, j->ncheck) : NULL;
        if (st == NULL || (j->cstate != NULL && cst == NULL))
            rc = TM_ENOMEM;
        if (rc == 0)
            rc = reorder_triplets(j, &mine.trip, st, &j->res.trip);
        if (rc == 0 && cst != NULL)
            compare_triplets(j, &mine.trip, st, &chk.trip, cst, v);
        free(st);
        free(cst);
    }
    v[4] = certified(j);
    free(ids);
    tm_results_free(&mine);
    tm_results_free(&chk);
    MPI_Allreduce(MPI_IN_PLACE, v, 5, MPI_INT64_T, MPI_SUM, j->comm);
    tm_mine_summary_t *sum = j->sum;
    sum->check_anchors = v[0];
    sum->check_identical = v[0] > 0 ? (double)v[1] / (double)v[0] : NAN;
    sum->check_recall = v[3] > 0 ? (double)v[2] / (double)v[3] : NAN;
    sum->certified_anchors = v[4];
    return rc;
}
