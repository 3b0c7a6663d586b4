/*
 * state_io.c - the selection states as bytes (state_io.h).
 */
#include "rules/state_io.h"

#include <stdlib.h>
#include <string.h>

#include "tripminer/err.h"

/* Read count items of size bytes, refusing counts the buffer cannot hold. */
static int get_array(tm_buf_t *b, void *x, int64_t count, size_t size)
{
    if (count < 0 || (uint64_t)count > tm_buf_left(b) / size)
        return TM_EINPUT;
    return tm_buf_get(b, x, (size_t)count * size) == 0 ? 0 : TM_EINPUT;
}

void tm_state_put_hard(tm_buf_t *b, const tm_hard_t *st)
{
    tm_buf_put_i64(b, st->n);
    tm_buf_put(b, st->pos, (size_t)st->n * sizeof *st->pos);
    tm_buf_put(b, st->neg, (size_t)st->n * sizeof *st->neg);
}

int tm_state_get_hard(tm_buf_t *b, tm_hard_t *st)
{
    if (tm_buf_get_i64(b) != st->n)
        return TM_EINPUT;
    if (get_array(b, st->pos, st->n, sizeof *st->pos) || get_array(b, st->neg, st->n, sizeof *st->neg))
        return TM_EINPUT;
    return 0;
}

void tm_state_put_nearest(tm_buf_t *b, const tm_nearest_t *st)
{
    tm_buf_put_i64(b, st->n);
    tm_buf_put_i64(b, st->cap);
    tm_buf_put(b, st->count, (size_t)st->n * sizeof *st->count);
    tm_buf_put(b, st->pos, (size_t)st->n * sizeof *st->pos);
    tm_buf_put(b, st->neg, (size_t)(st->n * st->cap) * sizeof *st->neg);
}

int tm_state_get_nearest(tm_buf_t *b, tm_nearest_t *st)
{
    if (tm_buf_get_i64(b) != st->n || tm_buf_get_i64(b) != st->cap)
        return TM_EINPUT;
    if (get_array(b, st->count, st->n, sizeof *st->count) ||
        get_array(b, st->pos, st->n, sizeof *st->pos) ||
        get_array(b, st->neg, st->n * st->cap, sizeof *st->neg))
        return TM_EINPUT;
    for (int64_t a = 0; a < st->n; a++)
        if (st->count[a] < 0 || st->count[a] > st->cap)
            return TM_EINPUT;
    return 0;
}

void tm_state_put_semi(tm_buf_t *b, const tm_semi_t *st, int pass2)
{
    tm_buf_put_i64(b, st->n);
    tm_buf_put_i64(b, st->kpos);
    tm_buf_put_i64(b, pass2);
    tm_buf_put_i64(b, st->bytes);
    tm_buf_put_i64(b, st->overflow);
    tm_buf_put(b, st->npos, (size_t)st->n * sizeof *st->npos);
    for (int64_t a = 0; a < st->n; a++) {
        tm_buf_put(b, st->pos[a], (size_t)st->npos[a] * sizeof(tm_entry_t));
        if (pass2 && st->npos[a] > 0)
            tm_buf_put(b, st->slot[a], (size_t)(st->npos[a] + 1) * sizeof(tm_entry_t));
    }
    tm_buf_put(b, st->gate, (size_t)st->n * sizeof *st->gate);
    tm_buf_put(b, st->far, (size_t)st->n * sizeof *st->far);
    tm_state_put_nearest(b, &st->skipset);
}

int tm_state_get_semi(tm_buf_t *b, tm_semi_t *st, int pass2)
{
    if (tm_buf_get_i64(b) != st->n || tm_buf_get_i64(b) != st->kpos || tm_buf_get_i64(b) != pass2)
        return TM_EINPUT;
    st->bytes = tm_buf_get_i64(b);
    st->overflow = (int)tm_buf_get_i64(b);
    if (get_array(b, st->npos, st->n, sizeof *st->npos))
        return TM_EINPUT;
    for (int64_t a = 0; a < st->n; a++) {
        const int64_t np = st->npos[a];
        if (np < 0 || (st->kpos > 0 && np > st->kpos) ||
            (uint64_t)np > tm_buf_left(b) / sizeof(tm_entry_t))
            return TM_EINPUT;
        /* Lists of kpos were allocated by tm_semi_init; others grow here. */
        if (np > st->pos_cap[a]) {
            tm_entry_t *p = realloc(st->pos[a], (size_t)np * sizeof *p);
            if (p == NULL)
                return TM_ENOMEM;
            st->pos[a] = p;
            st->pos_cap[a] = np;
        }
        if (get_array(b, st->pos[a], np, sizeof(tm_entry_t)))
            return TM_EINPUT;
        if (pass2 && np > 0) {
            free(st->slot[a]);
            st->slot[a] = malloc((size_t)(np + 1) * sizeof(tm_entry_t));
            if (st->slot[a] == NULL)
                return TM_ENOMEM;
            if (get_array(b, st->slot[a], np + 1, sizeof(tm_entry_t)))
                return TM_EINPUT;
        }
    }
    if (get_array(b, st->gate, st->n, sizeof *st->gate) ||
        get_array(b, st->far, st->n, sizeof *st->far))
        return TM_EINPUT;
    return tm_state_get_nearest(b, &st->skipset);
}
