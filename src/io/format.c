/*
 * format.c - the table of a run's fields and of the output's datasets
 * (format.h), and what is made from it: checkpoint dependencies and the
 * --json summary. The output writer (h5out.c) and inspect read the same
 * table.
 */
#include "io/format.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"

#define A TM_FIELD_ATTR
#define J TM_FIELD_JSON
#define D TM_FIELD_DEPS
#define P(member, keep) TM_FROM_PARAMS, keep, offsetof(tm_mine_params_t, member), 0
#define S(member, keep) TM_FROM_SUMMARY, keep, offsetof(tm_mine_summary_t, member), 0
#define R(member, keep) TM_FROM_RECORD, keep, offsetof(tm_run_record_t, member), 0

/*
 * Table order is the order of the output's root attributes and of the
 * --json keys: new rows go at the end of their group.
 */
const tm_field_t tm_fields[] = {
    {"strategy", TM_FT_STR, A | J | D, P(strategy, TM_KEEP_STR), "the mining rule"},
    {"metric", TM_FT_STR, A | J | D, P(metric, TM_KEEP_METRIC), "the distance"},
    {"loss", TM_FT_STR, A | J | D, P(loss, TM_KEEP_LOSS), "the loss: hinge or softplus"},
    {"input", TM_FT_STR, A | J | D, P(input, TM_KEEP_STR), "the input file, as given"},
    {"version", TM_FT_STR, A | J, R(version, TM_KEEP_STR), "the version of tripminer"},
    {"margin", TM_FT_F64, A | J | D, P(margin, TM_KEEP_F64), "the loss margin"},
    {"loss_sum", TM_FT_F64, A | J, S(loss_sum, TM_KEEP_F64),
     "sum of the loss column, correctly rounded"},
    {"loss_mean", TM_FT_F64, A | J, S(loss_mean, TM_KEEP_F64), "loss_sum / num_triplets"},
    {"loss_mean_active", TM_FT_F64, A | J, S(loss_mean_active, TM_KEEP_F64),
     "loss_sum / active_triplets"},
    {"normalize", TM_FT_I64, A | J | D, P(normalize, TM_KEEP_INT),
     "1 if rows were L2-normalised on reading"},
    {"num_embeddings", TM_FT_I64, A | J | D, S(num_embeddings, TM_KEEP_I64),
     "rows of the input"},
    {"dim", TM_FT_I64, A | J | D, S(dim, TM_KEEP_I64), "columns of the input"},
    {"num_triplets", TM_FT_I64, A | J, S(num_triplets, TM_KEEP_I64), "rows of the output"},
    {"active_triplets", TM_FT_I64, A | J, S(active_triplets, TM_KEEP_I64),
     "triplets with loss > 0"},
    {"skipped_anchors", TM_FT_I64, A | J, S(skipped_anchors, TM_KEEP_I64),
     "anchors that yielded no triplet"},
    {"ranks", TM_FT_I64, A | J | D, S(ranks, TM_KEEP_I64), "MPI ranks of the run"},
    {"seconds", TM_FT_F64, J, S(seconds, TM_KEEP_F64), "wall time of the run"},
    {"input_size", TM_FT_I64, D, R(input_size, TM_KEEP_I64), "bytes of the input file"},
    {"input_mtime", TM_FT_STR, D, R(input_mtime, TM_KEEP_CHARS),
     "modification time of the input file"},
    {"embeddings", TM_FT_STR, D, P(emb_name, TM_KEEP_STR), "the embeddings dataset"},
    {"labels", TM_FT_STR, D, P(lab_name, TM_KEEP_STR), "the labels dataset"},
    {"chunk", TM_FT_I64, D, S(chunk, TM_KEEP_I64), "rows per rank and round"},
    {"positives", TM_FT_I64, D, P(positives, TM_KEEP_I64), "semihard: K hardest positives"},
    {"negatives", TM_FT_I64, D, P(negatives, TM_KEEP_I64), "topk: K"},
    {"neg_skip", TM_FT_I64, D, P(neg_skip, TM_KEEP_I64), "nearest negatives skipped"},
    {"neg_min_dist", TM_FT_F64, D, TM_FROM_PARAMS, TM_KEEP_OPT_F64,
     offsetof(tm_mine_params_t, neg_min_dist), offsetof(tm_mine_params_t, has_neg_min_dist),
     "negatives nearer than this are ignored"},
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

void tm_field_get(const tm_field_t *f, const tm_run_record_t *r, tm_value_t *v)
{
    const char *base = f->src == TM_FROM_PARAMS    ? (const char *)r->mine
                       : f->src == TM_FROM_SUMMARY ? (const char *)r->sum
                                                   : (const char *)r;
    const char *at = base + f->off;
    memset(v, 0, sizeof *v);
    v->type = f->type;
    switch (f->keep) {
    case TM_KEEP_STR: memcpy(&v->s, at, sizeof v->s); break;
    case TM_KEEP_CHARS: v->s = at; break;
    case TM_KEEP_F64: memcpy(&v->f, at, sizeof v->f); break;
    case TM_KEEP_I64: memcpy(&v->i, at, sizeof v->i); break;
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
    case TM_KEEP_OPT_F64: {
        int has;
        memcpy(&has, base + f->off_has, sizeof has);
        memcpy(&v->f, at, sizeof v->f);
        v->none = !has;
        break;
    }
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
    }
    return 0;
}

char *tm_fields_deps(const tm_run_record_t *r)
{
    size_t total = 1;
    for (int pass = 0; pass < 2; pass++) {
        char *text = pass == 1 ? malloc(total) : NULL;
        if (pass == 1 && text == NULL)
            return NULL;
        size_t used = 0;
        for (size_t k = 0; k < tm_nfields; k++) {
            if (!(tm_fields[k].flags & TM_FIELD_DEPS))
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
        if (!(tm_fields[k].flags & TM_FIELD_JSON))
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
        else
            fprintf(f, "%" PRId64, v.i);
    }
    fputs("}\n", f);
}
