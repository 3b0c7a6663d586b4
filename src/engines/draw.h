/*
 * draw.h - the random draws of the choice (pick.c): a counter-based hash
 * of (seed, stream, the anchor's key, the candidate's global index), the
 * same on any rank, for any chunk and thread count, and after a resume.
 * The anchor's key is its row of -i, or its pair's row (tm_rows_t.draw).
 */
#ifndef TM_ENGINES_DRAW_H
#define TM_ENGINES_DRAW_H

#include <stdint.h>

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

#endif
