/*
 * pick.h - the choice of one positive and of the eligible negatives, step
 * by step as docs/contract.md orders them, with what each step removed:
 * the state of hard and topk when an option of the choice is given (--pos,
 * --neg-margin, --neg-pool, --seed) and of sample always.
 *
 * Pass 1 (no float32 tiles: positives are one label range) chooses each
 * anchor's positive: the farthest, the nearest, or the one with the
 * smallest draw. Pass 2 knows each anchor's floor, max(--neg-min-dist,
 * d(a,p) + --neg-margin), keeps the skip + W nearest negatives at or above
 * it (W: 1 for hard, min(K, M) for topk, M for sample with --neg-pool),
 * and counts exactly the negatives below --neg-min-dist and below the
 * floor. sample without --neg-pool keeps instead the K + skip negatives
 * with the smallest draws, and the skip nearest.
 *
 * Draws (tm_draw): a counter-based hash of (seed, stream, the anchor's key,
 * the candidate's global index): the same on any rank, for any chunk and
 * thread count, and after a resume.
 */
#ifndef TM_RULES_PICK_H
#define TM_RULES_PICK_H

#include <stddef.h>
#include <stdint.h>

#include "rules/rule.h"

typedef struct tm_pick tm_pick_t;

/* The streams of the draws. */
enum { TM_DRAW_POSITIVE = 1, TM_DRAW_NEGATIVE = 2 };

/* splitmix64's finaliser. */
static inline uint64_t tm_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* The key of an anchor's draws in one stream. */
static inline uint64_t tm_draw_key(uint64_t seed, uint64_t stream, int64_t anchor)
{
    return tm_mix64(seed ^ tm_mix64(stream ^ tm_mix64((uint64_t)anchor)));
}

/* The draw of candidate idx for an anchor's key: smaller is chosen first. */
static inline uint64_t tm_draw(uint64_t key, int64_t idx)
{
    return tm_mix64(key ^ ((uint64_t)idx * 0xd1b54a32d192ed03ULL));
}

/* k: K (1 for hard); sample: K drawn at random. */
int64_t tm_pick_bytes(const tm_mine_params_t *p, const tm_rule_size_t *sz, int64_t k, int sample);
int tm_pick_create(tm_pick_t **out, const tm_mine_params_t *p, const tm_rule_size_t *sz,
                   int64_t k, int sample);
void tm_pick_destroy(tm_pick_t *st);
int tm_pick_needs_tiles(const tm_pick_t *st, int pass);
size_t tm_pick_block_bytes(const tm_pick_t *st);
void tm_pick_update(tm_pick_t *st, int pass, const tm_tile_t *t);
int tm_pick_begin2(tm_pick_t *st);
int tm_pick_finish(const tm_pick_t *st, const int64_t *gid, tm_triplets_t *out);
void tm_pick_save(const tm_pick_t *st, int pass, tm_buf_t *b);
int tm_pick_load(tm_pick_t *st, int pass, tm_buf_t *b);

#endif
