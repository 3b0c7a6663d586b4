/*
 * opts.c - the command line of every command: defaults, the parsers with
 * their checks between options, and the --help texts. What each option is
 * (its names, value, field, help line) is its row in optrows.c; here is
 * only what no single row says.
 */
#include "tripminer/opts.h"

#include <string.h>

#include "app/opts_table.h"
#include "base/log.h"
#include "rules/rule.h"
#include "tripminer/inspect.h"

void tm_mine_opts_default(tm_mine_opts_t *o)
{
    memset(o, 0, sizeof *o);
    tm_mine_params_default(&o->mine);
    tm_run_params_default(&o->run);
    tm_talk_params_default(&o->talk);
    tm_eval_params_default(&o->eval);
}

void tm_synth_opts_default(tm_synth_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->spread = 0.9;
    o->verbosity = TM_LOG_INFO;
    o->query_positives = 1;
}

void tm_inspect_opts_default(tm_inspect_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->bins = TM_INSPECT_BINS_DEFAULT;
    o->verbosity = TM_LOG_INFO;
}

int tm_opts_parse_bytes(const char *s, int64_t *out)
{
    return tm_optval_bytes(s, out);
}

/* The defaults of mine or eval, nothing given yet. */
static void cmdline_default(tm_mine_cmdline_t *c)
{
    memset(c, 0, sizeof *c);
    tm_mine_opts_default(&c->opts);
}

/* Walk the command line of mine or eval into c, then hand out its options. */
static int walk_mine(const char *cmd, int argc, char **argv, tm_mine_cmdline_t *c,
                     tm_mine_opts_t *o, tm_err_t *err)
{
    int rc = tm_optwalk(tm_opts_table(cmd), argc, argv, c, NULL, err);
    /* Padding bytes too, zero as the defaults left them: callers memcmp options. */
    memcpy(o, &c->opts, sizeof *o);
    return rc;
}

/* ---- mine ---------------------------------------------------------------- */

int tm_mine_opts_parse(int argc, char **argv, tm_mine_opts_t *o, tm_err_t *err)
{
    tm_mine_cmdline_t c;
    cmdline_default(&c);
    int rc = walk_mine("mine", argc, argv, &c, o, err);
    if (rc != 0 || o->help)
        return rc;
    if (o->mine.input == NULL)
        return tm_err_set(err, TM_EUSAGE, "missing input: give -i FILE (mine)");
    if (o->run.output == NULL)
        return tm_err_set(err, TM_EUSAGE, "missing output: give -o FILE (mine)");
    if (o->mine.input[0] == '\0' || o->run.output[0] == '\0')
        return tm_err_set(err, TM_EUSAGE, "empty file name (mine -i/-o)");
    const tm_mine_params_t *m = &o->mine;
    if (m->emb_name[0] == '\0' || m->lab_name[0] == '\0' || m->ref_emb_name[0] == '\0' ||
        m->ref_lab_name[0] == '\0' || (m->pairs != NULL && m->pairs[0] == '\0'))
        return tm_err_set(err, TM_EUSAGE, "empty dataset name (mine --embeddings/--labels/"
                          "--ref-embeddings/--ref-labels/--pairs)");
    if (m->reference != NULL && m->reference[0] == '\0')
        return tm_err_set(err, TM_EUSAGE, "empty file name (mine --reference)");
    if (m->reference == NULL && c.ref_names_given)
        return tm_err_set(err, TM_EUSAGE, "--ref-embeddings and --ref-labels name datasets of "
                          "the --reference file: give --reference FILE (mine)");
    if (m->pairs != NULL && c.positives_given)
        return tm_err_set(err, TM_EUSAGE, "--positives does not apply with --pairs: each pair "
                          "names its one positive (mine)");
    if (m->pairs != NULL && c.pos_given)
        return tm_err_set(err, TM_EUSAGE, "--pos does not apply with --pairs: each pair names "
                          "its one positive (mine)");
    rc = tm_rule_check(tm_rule_find(m->strategy), m, "mine", err);
    if (rc != 0)
        return rc;
    if (o->run.resume && o->run.checkpoint_dir == NULL)
        return tm_err_set(err, TM_EUSAGE, "--resume needs --checkpoint DIR (mine)");
    return 0;
}

/* ---- eval ---------------------------------------------------------------- */

int tm_eval_opts_parse(int argc, char **argv, tm_mine_opts_t *o, tm_err_t *err)
{
    tm_mine_cmdline_t c;
    cmdline_default(&c);
    c.opts.mine.strategy = "eval";
    int rc = walk_mine("eval", argc, argv, &c, o, err);
    if (rc != 0 || o->help)
        return rc;
    const tm_mine_params_t *m = &o->mine;
    if (m->input == NULL)
        return tm_err_set(err, TM_EUSAGE, "missing input: give -i FILE (eval)");
    if (m->input[0] == '\0' || (o->run.output != NULL && o->run.output[0] == '\0') ||
        (m->reference != NULL && m->reference[0] == '\0'))
        return tm_err_set(err, TM_EUSAGE, "empty file name (eval -i/-o/--reference)");
    if (m->emb_name[0] == '\0' || m->lab_name[0] == '\0' || m->ref_emb_name[0] == '\0' ||
        m->ref_lab_name[0] == '\0')
        return tm_err_set(err, TM_EUSAGE, "empty dataset name (eval --embeddings/--labels/"
                          "--ref-embeddings/--ref-labels)");
    if (m->reference == NULL && c.ref_names_given)
        return tm_err_set(err, TM_EUSAGE, "--ref-embeddings and --ref-labels name datasets of "
                          "the --reference file: give --reference FILE (eval)");
    if (o->run.force && o->run.output == NULL)
        return tm_err_set(err, TM_EUSAGE, "--force replaces the report: give -o FILE (eval)");

    if (o->run.resume && o->run.checkpoint_dir == NULL)
        return tm_err_set(err, TM_EUSAGE, "--resume needs --checkpoint DIR (eval)");
    return 0;
}

/* ---- synth --------------------------------------------------------------- */

int tm_synth_opts_parse(int argc, char **argv, tm_synth_opts_t *o, tm_err_t *err)
{
    tm_synth_opts_default(o);
    int rc = tm_optwalk(tm_opts_table("synth"), argc, argv, o, NULL, err);
    if (rc != 0 || o->help)
        return rc;
    if (o->output == NULL)
        return tm_err_set(err, TM_EUSAGE, "missing output: give -o FILE (synth)");
    if (o->n == 0)
        return tm_err_set(err, TM_EUSAGE, "missing row count: give -n N (synth)");
    if (o->dim == 0)
        return tm_err_set(err, TM_EUSAGE, "missing dimension: give -d D (synth)");
    if (o->classes == 0)
        return tm_err_set(err, TM_EUSAGE, "missing class count: give -c CLASSES (synth)");
    return 0;
}

/* ---- inspect ------------------------------------------------------------- */

/* The one positional argument: the file to read. */
static int inspect_file(void *opts, const char *arg, tm_err_t *err)
{
    tm_inspect_opts_t *o = opts;
    if (o->file != NULL)
        return tm_err_set(err, TM_EUSAGE,
                          "unexpected argument '%s': inspect takes one file (inspect; see "
                          "'tripminer inspect --help')", arg);
    if (arg[0] == '\0')
        return tm_err_set(err, TM_EUSAGE, "empty file name (inspect)");
    o->file = arg;
    return 0;
}

int tm_inspect_opts_parse(int argc, char **argv, tm_inspect_opts_t *o, tm_err_t *err)
{
    tm_inspect_opts_default(o);
    int rc = tm_optwalk(tm_opts_table("inspect"), argc, argv, o, inspect_file, err);
    if (rc != 0 || o->help)
        return rc;
    if (o->file == NULL)
        return tm_err_set(err, TM_EUSAGE,
                          "missing file: give the mining output, e.g. 'tripminer inspect "
                          "triplets.h5' (inspect)");
    return 0;
}

/* ---- help texts ---------------------------------------------------------- */

/*
 * Each command's text around its options, which tm_opthelp lists from the
 * rows (optrows.c), in groups, each with its default in brackets; one
 * example at the end.
 */

void tm_usage_main(FILE *f)
{
    fputs(
"usage: tripminer COMMAND [options]\n"
"       tripminer --help | --version\n"
"\n"
"Mine triplets for triplet-loss training from labelled embeddings in HDF5,\n"
"exactly, on many MPI ranks.\n"
"\n"
"Commands:\n"
"  mine      mine triplets (run under mpirun or srun; also works alone)\n"
"  eval      exact retrieval metrics and data-quality findings (mpirun/srun)\n"
"  synth     write a synthetic labelled embedding set\n"
"  inspect   summarise a mining output\n"
"\n"
"Options:\n"
"  -h, --help      this text; 'tripminer COMMAND --help' lists the options\n"
"                  of one command, with their defaults\n"
"      --version   print 'tripminer VERSION (git REVISION)': the release and\n"
"                  the commit it was built from ('-dirty' if the tree had\n"
"                  uncommitted changes, 'unknown' outside a git checkout)\n"
"\n"
"Example:\n"
"  tripminer synth -o sample.h5 -n 20000 -d 128 -c 500\n"
"  mpirun -n 2 tripminer mine -i sample.h5 -o triplets.h5\n", f);
}

/* The text before the options of cmd, the options, and the text after. */
static void usage(FILE *f, const char *cmd, const void *defaults, const char *before,
                  const char *after)
{
    fputs(before, f);
    tm_opthelp(f, tm_opts_table(cmd), defaults);
    fputs(after, f);
}

void tm_usage_mine(FILE *f)
{
    tm_mine_cmdline_t d;
    cmdline_default(&d);
    usage(f, "mine", &d,
"usage: tripminer mine -i IN.h5 -o OUT.h5 [options]\n"
"\n"
"Mine triplets (anchor, positive, negative) over the whole data set, on\n"
"every rank of the MPI job. Defaults are in [brackets].\n"
"\n",
"\n"
"Example:\n"
"  mpirun -n 4 tripminer mine -i emb.h5 -o triplets.h5 -m cosine --margin 0.3\n");
}

void tm_usage_eval(FILE *f)
{
    tm_mine_cmdline_t d;
    cmdline_default(&d);
    usage(f, "eval", &d,
"usage: tripminer eval -i IN.h5 [-o REPORT.h5] [options]\n"
"\n"
"Exact retrieval metrics of an embedding over the whole set, and the\n"
"items and classes that look mislabelled, on every rank of the MPI job:\n"
"every row of -i is a query against the other rows (or the reference),\n"
"ranked by (exact distance, index). Defaults are in [brackets].\n"
"\n",
"\n"
"Example:\n"
"  mpirun -n 4 tripminer eval -i val.h5 -o report.h5 --by-class\n");
}

void tm_usage_synth(FILE *f)
{
    tm_synth_opts_t d;
    tm_synth_opts_default(&d);
    usage(f, "synth", &d,
"usage: tripminer synth -o OUT.h5 -n N -d D -c CLASSES [options]\n"
"\n"
"Write a synthetic labelled embedding set: CLASSES class centres drawn\n"
"uniformly on the unit sphere, each row a centre plus Gaussian noise of\n"
"expected norm SPREAD, projected back onto the unit sphere; labels drawn\n"
"uniformly. The same seed gives the same file, on any number of ranks.\n"
"\n"
"With --latent-dim K the rows are structured like real embeddings: each\n"
"class has a centre m in R^K with N(0,1) coordinates; a row is\n"
"z = m + noise, N(0, SPREAD^2 / K) per coordinate (so of norm about\n"
"SPREAD), mapped into R^D by one fixed random smooth map,\n"
"x = B tanh(A z + b) with max(2K, 64) hidden units, and normalised to unit\n"
"length. The classes lie on a curved K-dimensional surface.\n"
"\n"
"Defaults are in [brackets].\n"
"\n",
"\n"
"Example:\n"
"  tripminer synth -o sample.h5 -n 20000 -d 128 -c 500 --seed 7\n"
"  tripminer synth -o emb.h5 -n 1000000 -d 128 -c 1000 --latent-dim 16\n"
"  tripminer synth -o corpus.h5 -n 100000 -d 128 -c 1000 --queries 2000\n"
"  (then mine the queries against the corpus: see the README, Retrieval)\n");
}

void tm_usage_inspect(FILE *f)
{
    tm_inspect_opts_t d;
    tm_inspect_opts_default(&d);
    usage(f, "inspect", &d,
"usage: tripminer inspect OUT.h5 [options]\n"
"\n"
"Summarise a mining output: the run (every root attribute), counts, loss\n"
"statistics, quantiles (min, 1%, 50%, 99%, max) of d_ap, d_an and\n"
"d_an - d_ap, and a text histogram of d_an - d_ap with the margin marked\n"
"(the hinge loss is active where d_an - d_ap < margin). Reads only d_ap,\n"
"d_an and loss, never the triplets. Runs on one process; under mpirun,\n"
"rank 0 does the work.\n"
"\n"
"A report of 'tripminer eval' (REPORT.h5) is recognised too: its four\n"
"metrics, avg_of_avgs, the first suspects and most confused label pairs;\n"
"--svg draws the per-class R-precision (with --by-class), the most\n"
"confused pairs and the suspects' gaps.\n"
"\n"
"Quantile q(p) of the n sorted values x[0..n-1]: linear interpolation,\n"
"h = (n-1) p, j = floor(h), q = x[j] + (h-j) (x[j+1] - x[j]), in double\n"
"(numpy's default); q(0) is the minimum, q(1) the maximum. Rows with a\n"
"non-finite distance are counted and left out.\n"
"\n",
"\n"
"exit status: 0 success, 1 not a tripminer output or unreadable, 2 usage\n"
"\n"
"example:\n"
"  tripminer inspect triplets.h5 --svg triplets.svg\n");
}
