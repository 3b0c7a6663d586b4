/*
 * fuzz_opts.c - libFuzzer target over the command-line parsers:
 * tm_mine_opts_parse, tm_synth_opts_parse, tm_inspect_opts_parse,
 * tm_eval_opts_parse and tm_opts_parse_bytes.
 *
 * Input: the first byte picks the command (its value modulo 4: mine,
 * synth, inspect, eval); the rest is the argument list, words separated by NUL
 * bytes, as the kernel hands them to main. Each word is copied into an
 * allocation of its own exact size and the argv array has exactly argc
 * entries, so that a read one byte past a word or one entry past argv is
 * an AddressSanitizer error.
 *
 * Checked for every input: the parser returns 0 or TM_EUSAGE; an error
 * comes with its code and a non-empty message; a success satisfies the
 * documented ranges of every option, and every string it keeps points into
 * argv; parsing the same words twice gives the same result. A failed check
 * aborts, which libFuzzer reports as a crash with the input.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tripminer/inspect.h"
#include "tripminer/opts.h"
#include "rules/rule.h"

/* Longest argument list built from one input (more words are dropped). */
#define MAX_WORDS 64

/* Largest count the parsers accept for --chunk and the K options. */
#define MAX_COUNT ((int64_t)1 << 40)

/* Stop with a message naming the broken property. */
#define REQUIRE(cond)                                                              \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "fuzz_opts: %s:%d: check failed: %s\n", __FILE__,      \
                    __LINE__, #cond);                                              \
            abort();                                                               \
        }                                                                          \
    } while (0)

typedef struct words {
    int argc;
    char **argv;
} words_t;

/* Split data into NUL-separated words, each in its own allocation. */
static words_t split_words(const uint8_t *data, size_t size)
{
    words_t w = {0, NULL};
    size_t n = size == 0 ? 0 : 1;
    for (size_t i = 0; i < size; i++)
        if (data[i] == '\0')
            n++;
    if (n > MAX_WORDS)
        n = MAX_WORDS;
    if (n == 0)
        return w;
    w.argv = malloc(n * sizeof *w.argv);
    REQUIRE(w.argv != NULL);
    size_t start = 0;
    for (size_t i = 0; i <= size && (size_t)w.argc < n; i++) {
        if (i < size && data[i] != '\0')
            continue;
        size_t len = i - start;
        char *s = malloc(len + 1);
        REQUIRE(s != NULL);
        memcpy(s, data + start, len);
        s[len] = '\0';
        w.argv[w.argc++] = s;
        start = i + 1;
    }
    return w;
}

static void free_words(words_t *w)
{
    for (int i = 0; i < w->argc; i++)
        free(w->argv[i]);
    free(w->argv);
    w->argc = 0;
    w->argv = NULL;
}

/* Whether s is NULL or points into one of the words (not necessarily at
 * its start: "--input=FILE" keeps a pointer past the '='). */
static int in_argv(const words_t *w, const char *s)
{
    if (s == NULL)
        return 1;
    for (int i = 0; i < w->argc; i++) {
        const char *a = w->argv[i];
        if (s >= a && s <= a + strlen(a))
            return 1;
    }
    return 0;
}

/* Common checks of a parser's verdict. */
static void check_err(int rc, const tm_err_t *err)
{
    REQUIRE(rc == 0 || rc == TM_EUSAGE);
    if (rc != 0) {
        REQUIRE(err->code == rc);
        REQUIRE(err->msg[0] != '\0');
        REQUIRE(memchr(err->msg, '\0', sizeof err->msg) != NULL);
    }
}

/* The message names its command ("(mine"), unless cut short by a long word. */
static int names_cmd(const tm_err_t *err, const char *cmd)
{
    return strstr(err->msg, cmd) != NULL || strlen(err->msg) + 1 == sizeof err->msg;
}

static void fuzz_mine(const words_t *w)
{
    tm_mine_opts_t a, b;
    tm_err_t ea, eb;
    tm_err_clear(&ea);
    tm_err_clear(&eb);
    int rc = tm_mine_opts_parse(w->argc, w->argv, &a, &ea);
    check_err(rc, &ea);
    REQUIRE(rc == 0 || names_cmd(&ea, "(mine"));
    int rc2 = tm_mine_opts_parse(w->argc, w->argv, &b, &eb);
    REQUIRE(rc2 == rc && strcmp(ea.msg, eb.msg) == 0);
    if (rc != 0)
        return;
    REQUIRE(memcmp(&a, &b, sizeof a) == 0);
    REQUIRE(in_argv(w, a.mine.input) && in_argv(w, a.run.output) && in_argv(w, a.run.checkpoint_dir));
    REQUIRE(a.mine.emb_name != NULL && a.mine.lab_name != NULL);
    REQUIRE(strcmp(a.mine.emb_name, "embeddings") == 0 || in_argv(w, a.mine.emb_name));
    REQUIRE(strcmp(a.mine.lab_name, "labels") == 0 || in_argv(w, a.mine.lab_name));
    if (a.help)
        return;
    REQUIRE(a.mine.input != NULL && a.mine.input[0] != '\0');
    REQUIRE(a.run.output != NULL && a.run.output[0] != '\0');
    REQUIRE(a.mine.emb_name[0] != '\0' && a.mine.lab_name[0] != '\0');
    /* The strategy is a registered rule's own name. */
    REQUIRE(a.mine.strategy != NULL && tm_rule_find(a.mine.strategy) != NULL &&
            tm_rule_find(a.mine.strategy)->name == a.mine.strategy);
    REQUIRE(a.mine.metric == TM_METRIC_SQEUCLIDEAN || a.mine.metric == TM_METRIC_EUCLIDEAN ||
            a.mine.metric == TM_METRIC_COSINE);
    REQUIRE(a.mine.loss == TM_LOSS_HINGE || a.mine.loss == TM_LOSS_SOFTPLUS);
    REQUIRE(isfinite(a.mine.margin) && a.mine.margin >= 0.0);
    REQUIRE(a.mine.positives >= 0 && a.mine.positives <= MAX_COUNT);
    REQUIRE(a.mine.negatives >= 1 && a.mine.negatives <= MAX_COUNT);
    REQUIRE(a.mine.neg_skip >= 0 && a.mine.neg_skip <= MAX_COUNT);
    REQUIRE(a.run.chunk >= 0 && a.run.chunk <= MAX_COUNT);
    REQUIRE(a.run.threads >= 0 && a.run.threads <= 4096); /* 0: auto */
    REQUIRE(isfinite(a.run.stall_timeout) && a.run.stall_timeout >= 0.0);
    REQUIRE(a.run.mem_limit >= 0);
    REQUIRE(!a.mine.has_neg_min_dist || (isfinite(a.mine.neg_min_dist) && a.mine.neg_min_dist >= 0.0));
    REQUIRE(isfinite(a.run.checkpoint_every) && a.run.checkpoint_every > 0.0);
    REQUIRE(!a.run.resume || a.run.checkpoint_dir != NULL);
    /* The names the output file records exist for every accepted value. */
    REQUIRE(strcmp(tm_metric_name(a.mine.metric), "?") != 0);
    REQUIRE(strcmp(tm_loss_name(a.mine.loss), "?") != 0);
}

/* eval: the options of mine that apply, its own, and its checks. */
static void fuzz_eval(const words_t *w)
{
    tm_mine_opts_t a, b;
    tm_err_t ea, eb;
    tm_err_clear(&ea);
    tm_err_clear(&eb);
    int rc = tm_eval_opts_parse(w->argc, w->argv, &a, &ea);
    check_err(rc, &ea);
    REQUIRE(rc == 0 || names_cmd(&ea, "(eval"));
    int rc2 = tm_eval_opts_parse(w->argc, w->argv, &b, &eb);
    REQUIRE(rc2 == rc && strcmp(ea.msg, eb.msg) == 0);
    if (rc != 0)
        return;
    REQUIRE(memcmp(&a, &b, sizeof a) == 0);
    REQUIRE(in_argv(w, a.mine.input) && in_argv(w, a.run.output));
    REQUIRE(in_argv(w, a.run.checkpoint_dir) && in_argv(w, a.mine.reference));
    if (a.help)
        return;
    REQUIRE(a.mine.input != NULL && a.mine.input[0] != '\0');
    REQUIRE(a.run.output == NULL || a.run.output[0] != '\0');
    REQUIRE(!a.run.force || a.run.output != NULL);
    /* The options of mine alone keep their defaults. */
    REQUIRE(strcmp(a.mine.strategy, "eval") == 0 && a.mine.pairs == NULL);
    REQUIRE(a.eval.by_class == 0 || a.eval.by_class == 1);
    REQUIRE(a.eval.suspects >= 0 && a.eval.suspects <= MAX_COUNT);
    REQUIRE(a.mine.metric == TM_METRIC_SQEUCLIDEAN || a.mine.metric == TM_METRIC_EUCLIDEAN ||
            a.mine.metric == TM_METRIC_COSINE);
    REQUIRE(a.run.chunk >= 0 && a.run.chunk <= MAX_COUNT);
    REQUIRE(a.run.threads >= 0 && a.run.threads <= 4096);
    REQUIRE(isfinite(a.run.checkpoint_every) && a.run.checkpoint_every > 0.0);
    REQUIRE(!a.run.resume || a.run.checkpoint_dir != NULL);
}

static void fuzz_synth(const words_t *w)
{
    tm_synth_opts_t a, b;
    tm_err_t ea, eb;
    tm_err_clear(&ea);
    tm_err_clear(&eb);
    int rc = tm_synth_opts_parse(w->argc, w->argv, &a, &ea);
    check_err(rc, &ea);
    int rc2 = tm_synth_opts_parse(w->argc, w->argv, &b, &eb);
    REQUIRE(rc2 == rc && strcmp(ea.msg, eb.msg) == 0);
    if (rc != 0)
        return;
    REQUIRE(memcmp(&a, &b, sizeof a) == 0);
    REQUIRE(in_argv(w, a.output));
    if (a.help)
        return;
    REQUIRE(a.output != NULL);
    REQUIRE(a.n >= 1 && a.n <= MAX_COUNT);
    REQUIRE(a.dim >= 1 && a.dim <= (1 << 20));
    REQUIRE(a.classes >= 1 && a.classes <= MAX_COUNT);
    REQUIRE(isfinite(a.spread) && a.spread >= 0.0);
    REQUIRE(a.latent_dim >= 0 && a.latent_dim <= TM_SYNTH_LATENT_DIM_MAX);
}

static void fuzz_inspect(const words_t *w)
{
    tm_inspect_opts_t a, b;
    tm_err_t ea, eb;
    tm_err_clear(&ea);
    tm_err_clear(&eb);
    int rc = tm_inspect_opts_parse(w->argc, w->argv, &a, &ea);
    check_err(rc, &ea);
    int rc2 = tm_inspect_opts_parse(w->argc, w->argv, &b, &eb);
    REQUIRE(rc2 == rc && strcmp(ea.msg, eb.msg) == 0);
    if (rc != 0)
        return;
    REQUIRE(memcmp(&a, &b, sizeof a) == 0);
    REQUIRE(in_argv(w, a.file) && in_argv(w, a.svg));
    REQUIRE(a.bins >= 1 && a.bins <= 1000);
    REQUIRE(a.svg == NULL || a.svg[0] != '\0');
    if (a.help)
        return;
    REQUIRE(a.file != NULL && a.file[0] != '\0');
}

/* Every word as a --mem-limit value: accepted means a positive count. */
static void fuzz_bytes(const words_t *w)
{
    for (int i = 0; i < w->argc; i++) {
        int64_t v = -1;
        int rc = tm_opts_parse_bytes(w->argv[i], &v);
        REQUIRE(rc == 0 || rc == TM_EUSAGE);
        REQUIRE(rc != 0 || v > 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    int cmd = data[0] % 4;
    words_t w = split_words(data + 1, size - 1);
    switch (cmd) {
    case 0: fuzz_mine(&w); break;
    case 1: fuzz_synth(&w); break;
    case 2: fuzz_inspect(&w); break;
    default: fuzz_eval(&w); break;
    }
    fuzz_bytes(&w);
    free_words(&w);
    return 0;
}
