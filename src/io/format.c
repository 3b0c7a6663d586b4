/*
 * format.c - the table of a run's fields and of the output's datasets
 * (format.h), and what is made from it: checkpoint dependencies and the
 * --json summary. The output writer (h5out.c) and inspect read the same
 * table.
 */
#include "io/format.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "tm_version.h"

#define A TM_FIELD_ATTR
#define J TM_FIELD_JSON
#define REF TM_FIELD_WITH_REFERENCE
#define PAIRS TM_FIELD_WITH_PAIRS
#define CH TM_FIELD_WITH_CHOICE
#define PT TM_FIELD_WITH_PARTS
#define P(member, keep) TM_FROM_PARAMS, keep, offsetof(tm_mine_params_t, member), 0
#define S(member, keep) TM_FROM_SUMMARY, keep, offsetof(tm_mine_summary_t, member), 0
#define R(member, keep) TM_FROM_RECORD, keep, offsetof(tm_run_record_t, member), 0

/*
 * Table order is the order of the output's root attributes and of the
 * --json keys; the last number is the place of a checkpoint dependency in
 * the manifest (0: none). A new parameter goes at the end, with the next
 * number.
 */
const tm_field_t tm_fields[] = {
    {"strategy", TM_FT_STR, A | J, P(strategy, TM_KEEP_STR), "the mining rule", 10},
    {"metric", TM_FT_STR, A | J, P(metric, TM_KEEP_METRIC), "the distance", 11},
    {"loss", TM_FT_STR, A | J, P(loss, TM_KEEP_LOSS), "the loss: hinge or softplus", 13},
    {"input", TM_FT_STR, A | J, P(input, TM_KEEP_STR), "the input file, as given", 1},
    {"version", TM_FT_STR, A | J, R(version, TM_KEEP_STR), "the version of tripminer", 0},
    {"margin", TM_FT_F64, A | J, P(margin, TM_KEEP_F64), "the loss margin", 14},
    {"loss_sum", TM_FT_F64, A | J, S(loss_sum, TM_KEEP_F64),
     "sum of the loss column, correctly rounded", 0},
    {"loss_mean", TM_FT_F64, A | J, S(loss_mean, TM_KEEP_F64), "loss_sum / num_triplets", 0},
    {"loss_mean_active", TM_FT_F64, A | J, S(loss_mean_active, TM_KEEP_F64),
     "loss_sum / active_triplets", 0},
    {"normalize", TM_FT_I64, A | J, P(normalize, TM_KEEP_INT),
     "1 if rows were L2-normalised on reading", 12},
    {"num_embeddings", TM_FT_I64, A | J, S(num_embeddings, TM_KEEP_I64),
     "rows of the input", 6},
    {"dim", TM_FT_I64, A | J, S(dim, TM_KEEP_I64), "columns of the input", 7},
    {"num_triplets", TM_FT_I64, A | J, S(num_triplets, TM_KEEP_I64), "rows of the output", 0},
    {"active_triplets", TM_FT_I64, A | J, S(active_triplets, TM_KEEP_I64),
     "triplets with loss > 0", 0},
    {"skipped_anchors", TM_FT_I64, A | J, S(skipped_anchors, TM_KEEP_I64),
     "anchors that yielded no triplet", 0},
    {"ranks", TM_FT_I64, A | J, S(ranks, TM_KEEP_I64), "MPI ranks of the run", 8},
    {"seconds", TM_FT_F64, J, S(seconds, TM_KEEP_F64), "wall time of the run", 0},
    {"input_size", TM_FT_I64, 0, R(input_size, TM_KEEP_I64), "bytes of the input file", 2},
    {"input_mtime", TM_FT_STR, 0, R(input_mtime, TM_KEEP_CHARS),
     "modification time of the input file", 3},
    {"embeddings", TM_FT_STR, 0, P(emb_name, TM_KEEP_STR), "the embeddings dataset", 4},
    {"labels", TM_FT_STR, 0, P(lab_name, TM_KEEP_STR), "the labels dataset", 5},
    {"chunk", TM_FT_I64, 0, S(chunk, TM_KEEP_I64), "rows per rank and round", 9},
    {"positives", TM_FT_I64, 0, P(positives, TM_KEEP_I64), "semihard: K hardest positives", 15},
    {"negatives", TM_FT_I64, 0, P(negatives, TM_KEEP_I64), "topk: K", 16},
    {"neg_skip", TM_FT_I64, 0, P(neg_skip, TM_KEEP_I64), "nearest negatives skipped", 17},
    {"neg_min_dist", TM_FT_F64, 0, TM_FROM_PARAMS, TM_KEEP_OPT_F64,
     offsetof(tm_mine_params_t, neg_min_dist), offsetof(tm_mine_params_t, has_neg_min_dist),
     "negatives nearer than this are ignored", 18},
    {"reference", TM_FT_STR, A | J | REF, P(reference, TM_KEEP_STR),
     "the reference file (--reference), as given", 19},
    {"num_reference", TM_FT_I64, A | J | REF, S(num_reference, TM_KEEP_I64),
     "rows of the reference", 20},
    {"num_pairs", TM_FT_I64, A | J | PAIRS, S(num_pairs, TM_KEEP_I64),
     "anchor pairs (--pairs)", 21},
    {"reference_size", TM_FT_I64, REF, R(reference_size, TM_KEEP_I64),
     "bytes of the reference file", 22},
    {"reference_mtime", TM_FT_STR, REF, R(reference_mtime, TM_KEEP_CHARS),
     "modification time of the reference file", 23},
    {"ref_embeddings", TM_FT_STR, REF, P(ref_emb_name, TM_KEEP_STR),
     "the reference's embeddings dataset", 24},
    {"ref_labels", TM_FT_STR, REF, P(ref_lab_name, TM_KEEP_STR),
     "the reference's labels dataset", 25},
    {"pairs", TM_FT_STR, PAIRS, P(pairs, TM_KEEP_STR), "the pairs dataset of the input", 26},
    {"short_anchors", TM_FT_I64, A | J | CH, S(short_anchors, TM_KEEP_I64),
     "anchors with some triplets but fewer than K", 0},
    {"filtered_min_dist", TM_FT_I64, A | J | CH, S(filtered_min_dist, TM_KEEP_I64),
     "(anchor, negative) pairs --neg-min-dist removed", 0},
    {"filtered_margin", TM_FT_I64, A | J | CH, S(filtered_margin, TM_KEEP_I64),
     "(anchor, negative) pairs --neg-margin removed", 0},
    {"filtered_skip", TM_FT_I64, A | J | CH, S(filtered_skip, TM_KEEP_I64),
     "(anchor, negative) pairs --neg-skip removed", 0},
    {"filtered_pool", TM_FT_I64, A | J | CH, S(filtered_pool, TM_KEEP_I64),
     "(anchor, negative) pairs beyond --neg-pool", 0},
    {"pos", TM_FT_STR, A | J | CH, P(pos, TM_KEEP_POS), "the positive: hardest, easiest or random",
     27},
    {"seed", TM_FT_U64, A | J | CH, P(seed, TM_KEEP_U64), "the seed of the random draws", 28},
    {"neg_margin", TM_FT_F64, A | J | CH, TM_FROM_PARAMS, TM_KEEP_NAN_F64,
     offsetof(tm_mine_params_t, neg_margin), offsetof(tm_mine_params_t, has_neg_margin),
     "negatives nearer than d(a,p) + this are ignored (NaN: none)", 29},
    {"neg_pool", TM_FT_I64, A | J | CH, P(neg_pool, TM_KEEP_I64),
     "the nearest negatives left that are eligible (-1: all)", 30},
    {"kernel", TM_FT_STR, J, S(kernel, TM_KEEP_STR), "the tile kernel (--kernel, resolved)", 0},
    {"pairs_fast", TM_FT_I64, J, S(pairs_fast, TM_KEEP_I64),
     "pairs whose dot products the fast kernel computed", 0},
    {"pairs_f32", TM_FT_I64, J, S(pairs_f32, TM_KEEP_I64),
     "pairs whose dot products float32 sgemm computed", 0},
    {"rechecked", TM_FT_F64, J, S(rechecked_fraction, TM_KEEP_F64),
     "the fraction of those pairs re-scored exactly", 0},
    {"partitions", TM_FT_I64, A | J | PT, S(partitions, TM_KEEP_I64),
     "k-means partitions of the candidates (--partitions, resolved)", 0},
    {"probe", TM_FT_I64, A | J | PT, S(probe, TM_KEEP_I64),
     "partitions each anchor's negatives came from (--probe, at most partitions)", 0},
    {"partition_seed", TM_FT_U64, A | J | PT, P(seed, TM_KEEP_U64),
     "the seed of the k-means sample and of the check's anchors", 34},
    {"check_anchors", TM_FT_I64, A | J | PT, S(check_anchors, TM_KEEP_I64),
     "anchors mined exactly too (--check)", 0},
    {"check_identical", TM_FT_F64, A | J | PT, S(check_identical, TM_KEEP_F64),
     "the fraction of them whose triplets equal the exact ones (NaN: none)", 0},
    {"check_recall", TM_FT_F64, A | J | PT, S(check_recall, TM_KEEP_F64),
     "the fraction of their exact (anchor, negative) pairs found (NaN: none)", 0},
    {"certified_anchors", TM_FT_I64, A | J | PT, S(certified_anchors, TM_KEEP_I64),
     "anchors proven exact: every partition they skip lies beyond their last negative", 0},
    {"partitions_given", TM_FT_I64, PT, P(partitions, TM_KEEP_I64),
     "--partitions as given (-1: auto)", 31},
    {"probe_given", TM_FT_I64, PT, P(probe, TM_KEEP_I64), "--probe as given", 32},
    {"check_given", TM_FT_I64, PT, P(check, TM_KEEP_I64), "--check as given", 33},
};

const size_t tm_nfields = sizeof tm_fields / sizeof tm_fields[0];
_Static_assert(sizeof tm_fields / sizeof tm_fields[0] <= TM_FIELDS_MAX, "raise TM_FIELDS_MAX");

const tm_dataset_def_t tm_out_datasets[TM_OUT_NDATASETS] = {
    {"triplets", 3, 1, "global indices of anchor, positive, negative"},
    {"d_ap", 0, 0, "d(anchor, positive)"},
    {"d_an", 0, 0, "d(anchor, negative)"},
    {"loss", 0, 0, "the triplet's loss"},
};

int tm_field_index(const char *name)
{
    for (size_t k = 0; k < tm_nfields; k++)
        if (strcmp(tm_fields[k].name, name) == 0)
            return (int)k;
    return -1;
}

void tm_run_record_init(tm_run_record_t *r, const tm_mine_params_t *mine,
                        const tm_mine_summary_t *sum, int choosing)
{
    memset(r, 0, sizeof *r);
    r->mine = mine;
    r->sum = sum;
    r->choosing = choosing;
    r->version = TM_VERSION;
    r->input_size = -1;
    r->reference_size = -1;
}

int tm_field_present(const tm_field_t *f, const tm_run_record_t *r)
{
    if ((f->flags & TM_FIELD_WITH_REFERENCE) && r->mine->reference == NULL)
        return 0;
    if ((f->flags & TM_FIELD_WITH_PAIRS) && r->mine->pairs == NULL)
        return 0;
    if ((f->flags & TM_FIELD_WITH_CHOICE) && !r->choosing)
        return 0;
    if ((f->flags & TM_FIELD_WITH_PARTS) && r->mine->partitions == 0)
        return 0;
    return 1;
}

void tm_value_at(tm_fkeep_t keep, tm_ftype_t type, const char *at, tm_value_t *v)
{
    memset(v, 0, sizeof *v);
    v->type = type;
    switch (keep) {
    case TM_KEEP_STR: memcpy(&v->s, at, sizeof v->s); break;
    case TM_KEEP_CHARS: v->s = at; break;
    case TM_KEEP_F64: memcpy(&v->f, at, sizeof v->f); break;
    case TM_KEEP_I64: memcpy(&v->i, at, sizeof v->i); break;
    case TM_KEEP_U64: memcpy(&v->u, at, sizeof v->u); break;
    case TM_KEEP_INT: {
        int x;
        memcpy(&x, at, sizeof x);
        v->i = x;
        break;
    }
    case TM_KEEP_METRIC: {
        tm_metric_t m;
        memcpy(&m, at, sizeof m);
        v->s = tm_metric_name(m);
        break;
    }
    case TM_KEEP_LOSS: {
        tm_loss_kind_t l;
        memcpy(&l, at, sizeof l);
        v->s = tm_loss_name(l);
        break;
    }
    case TM_KEEP_POS: {
        tm_pos_t p;
        memcpy(&p, at, sizeof p);
        v->s = tm_pos_name(p);
        break;
    }
    case TM_KEEP_OPT_F64:
    case TM_KEEP_NAN_F64: v->none = 1; break; /* they need off_has: tm_field_get */
    }
}

void tm_field_get(const tm_field_t *f, const tm_run_record_t *r, tm_value_t *v)
{
    const char *base = f->src == TM_FROM_PARAMS    ? (const char *)r->mine
                       : f->src == TM_FROM_SUMMARY ? (const char *)r->sum
                                                   : (const char *)r;
    const char *at = base + f->off;
    tm_value_at(f->keep, f->type, at, v);
    if (f->keep == TM_KEEP_OPT_F64 || f->keep == TM_KEEP_NAN_F64) {
        int has;
        memcpy(&has, base + f->off_has, sizeof has);
        memcpy(&v->f, at, sizeof v->f);
        v->none = 0;
        if (f->keep == TM_KEEP_OPT_F64)
            v->none = !has;
        else if (!has)
            v->f = NAN;
    }
}

/* One dependency line of v; returns what snprintf does. */
static int dep_line(char *buf, size_t len, const char *name, const tm_value_t *v)
{
    if (v->none)
        return snprintf(buf, len, "%s=none\n", name);
    switch (v->type) {
    case TM_FT_STR: return snprintf(buf, len, "%s=%s\n", name, v->s);
    case TM_FT_F64: return snprintf(buf, len, "%s=%a\n", name, v->f);
    case TM_FT_I64: return snprintf(buf, len, "%s=%" PRId64 "\n", name, v->i);
    case TM_FT_U64: return snprintf(buf, len, "%s=%" PRIu64 "\n", name, v->u);
    }
    return 0;
}

char *tm_fields_deps(const tm_run_record_t *r)
{
    int last = 0;
    for (size_t k = 0; k < tm_nfields; k++)
        last = tm_fields[k].dep > last ? tm_fields[k].dep : last;
    size_t total = 1;
    for (int pass = 0; pass < 2; pass++) {
        char *text = pass == 1 ? malloc(total) : NULL;
        if (pass == 1 && text == NULL)
            return NULL;
        size_t used = 0;
        for (int place = 1; place <= last; place++)
            for (size_t k = 0; k < tm_nfields; k++) {
                if (tm_fields[k].dep != place || !tm_field_present(&tm_fields[k], r))
                    continue;
                tm_value_t v;
                tm_field_get(&tm_fields[k], r, &v);
                int w = dep_line(text ? text + used : NULL, text ? total - used : 0,
                                 tm_fields[k].name, &v);
                if (w < 0) {
                    free(text);
                    return NULL;
                }
                used += (size_t)w;
            }
        if (pass == 0)
            total = used + 1;
        else
            return text;
    }
    return NULL;
}

void tm_fields_json(FILE *f, const tm_run_record_t *r)
{
    const char *sep = "{";
    for (size_t k = 0; k < tm_nfields; k++) {
        if (!(tm_fields[k].flags & TM_FIELD_JSON) || !tm_field_present(&tm_fields[k], r))
            continue;
        tm_value_t v;
        tm_field_get(&tm_fields[k], r, &v);
        fprintf(f, "%s\"%s\": ", sep, tm_fields[k].name);
        sep = ", ";
        if (v.none)
            fputs("null", f);
        else if (v.type == TM_FT_STR)
            tm_json_str(f, v.s);
        else if (v.type == TM_FT_F64)
            tm_json_num(f, v.f);
        else if (v.type == TM_FT_U64)
            fprintf(f, "%" PRIu64, v.u);
        else
            fprintf(f, "%" PRId64, v.i);
    }
    fputs("}\n", f);
}

/*
 * The fraction x as x * scale with dec decimals; a value strictly between 0
 * and 1 is never shown as 0 or as scale, so that "100.0 %" means all.
 */
static void fraction_words(char *buf, size_t len, double x, double scale, int dec)
{
    if (isnan(x)) {
        snprintf(buf, len, "n/a");
        return;
    }
    const double step = pow(10.0, -dec);
    snprintf(buf, len, "%.*f", dec, x * scale);
    const double shown = strtod(buf, NULL);
    if (x < 1.0 && shown >= scale)
        snprintf(buf, len, "> %.*f", dec, scale - step);
    else if (x > 0.0 && shown <= 0.0)
        snprintf(buf, len, "< %.*f", dec, step);
}

void tm_parts_words(const tm_parts_facts_t *p, char *buf, size_t len)
{
    if (p->check_anchors <= 0) {
        snprintf(buf, len, "%" PRId64 ", probe %" PRId64 "; check: none (--check 0); %" PRId64
                 " certified", p->partitions, p->probe, p->certified_anchors);
        return;
    }
    char identical[32], recall[32];
    fraction_words(identical, sizeof identical, p->check_identical, 100.0, 1);
    fraction_words(recall, sizeof recall, p->check_recall, 1.0, 3);
    snprintf(buf, len, "%" PRId64 ", probe %" PRId64 "; check: %" PRId64 " %s, %s %% identical, "
             "recall %s; %" PRId64 " certified", p->partitions, p->probe, p->check_anchors,
             p->unit, identical, recall, p->certified_anchors);
}
