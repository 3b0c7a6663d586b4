/*
 * fault.c - failures on purpose (see fault.h).
 */
#define _POSIX_C_SOURCE 200809L

#include "base/fault.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Find "key=" items in TRIPMINER_FAULT; calls fn on each value. */
static int scan(const char *key, int (*fn)(const char *val, void *ctx), void *ctx)
{
    const char *env = getenv("TRIPMINER_FAULT");
    if (env == NULL || env[0] == '\0')
        return 0;
    const size_t klen = strlen(key);
    for (const char *p = env; *p != '\0';) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            char val[128];
            size_t vlen = len - klen - 1;
            if (vlen >= sizeof val)
                vlen = sizeof val - 1;
            memcpy(val, p + klen + 1, vlen);
            val[vlen] = '\0';
            if (fn(val, ctx))
                return 1;
        }
        p += len + (end ? 1 : 0);
    }
    return 0;
}

struct fail_ctx {
    const char *step;
    int rank;
};

static int match_fail(const char *val, void *ctx)
{
    const struct fail_ctx *c = ctx;
    char step[64];
    int rank = -1;
    return sscanf(val, "%d:%63s", &rank, step) == 2 && rank == c->rank &&
           strcmp(step, c->step) == 0;
}

int tm_fault_at(const char *step, int rank, tm_err_t *err)
{
    struct fail_ctx c = {step, rank};
    if (!scan("fail", match_fail, &c))
        return 0;
    return tm_err_set(err, TM_EIO, "injected failure at step '%s' on rank %d (TRIPMINER_FAULT)",
                      step, rank);
}

struct round_ctx {
    int rank;
    int64_t rounds;
};

static int match_kill(const char *val, void *ctx)
{
    const struct round_ctx *c = ctx;
    int rank = -1;
    long long round = -1;
    return sscanf(val, "%d:%lld", &rank, &round) == 2 && rank == c->rank && round == c->rounds;
}

static int do_delay(const char *val, void *ctx)
{
    (void)ctx;
    double s = atof(val);
    if (s > 0.0) {
        struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
        nanosleep(&ts, NULL);
    }
    return 0;
}

void tm_fault_after_round(int rank, int64_t rounds)
{
    struct round_ctx c = {rank, rounds};
    if (scan("kill", match_kill, &c))
        raise(SIGKILL);
    if (scan("stall", match_kill, &c))
        for (;;)
            pause(); /* alive, but never again making progress */
    scan("delay", do_delay, NULL);
}

static int match_rank(const char *val, void *ctx)
{
    char *end = NULL;
    long r = strtol(val, &end, 10);
    return end != val && *end == '\0' && r == *(const int *)ctx;
}

int tm_fault_nocpu(int rank)
{
    return scan("nocpu", match_rank, &rank);
}
