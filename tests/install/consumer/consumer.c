/*
 * consumer.c - a program built against an installed tripminer: it parses
 * command lines with the library's option parser, then runs "synth" and
 * "mine" in-process, which needs MPI, the parallel HDF5, OpenBLAS and
 * OpenMP all linked through tripminer::tripminer.
 *
 *   consumer DIR    (DIR: an existing scratch directory)
 *
 * Prints "consumer: ok" and returns 0 when everything worked.
 */
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#include "tripminer/cli.h"
#include "tripminer/err.h"
#include "tripminer/opts.h"

#define FAIL(...)                                                                      \
    do {                                                                               \
        fprintf(stderr, "consumer: error: " __VA_ARGS__);                              \
        fputc('\n', stderr);                                                           \
        return 1;                                                                      \
    } while (0)

/* The option parser and the error strings: no MPI needed. */
static int check_parser(void)
{
    char *good[] = {"-i", "in.h5", "-o", "out.h5", "-s", "topk", "--negatives", "3"};
    tm_mine_opts_t o;
    tm_err_t err;
    tm_err_clear(&err);
    int rc = tm_mine_opts_parse(8, good, &o, &err);
    if (rc != 0)
        FAIL("tm_mine_opts_parse refused a good command line: %s", err.msg);
    if (strcmp(o.mine.strategy, "topk") != 0 || o.mine.negatives != 3 || o.mine.margin != 0.2 ||
        strcmp(tm_metric_name(o.mine.metric), "sqeuclidean") != 0)
        FAIL("tm_mine_opts_parse gave the wrong options");

    char *bad[] = {"-i", "in.h5", "-o", "out.h5", "--negatives", "0"};
    tm_err_clear(&err);
    rc = tm_mine_opts_parse(6, bad, &o, &err);
    if (rc != TM_EUSAGE || tm_err_exit_status(rc) != 2 || strstr(err.msg, "--negatives") == NULL)
        FAIL("tm_mine_opts_parse accepted --negatives 0 (rc %d, '%s')", rc, err.msg);
    const char *what = tm_strerror(rc);
    if (what == NULL || what[0] == '\0')
        FAIL("tm_strerror(TM_EUSAGE) is empty");
    printf("consumer: parser ok; --negatives 0: %s (%s)\n", err.msg, what);
    return 0;
}

/* synth then mine, in-process, over MPI_COMM_WORLD. */
static int check_run(const char *dir)
{
    char in[4096], out[4096];
    snprintf(in, sizeof in, "%s/consumer_in.h5", dir);
    snprintf(out, sizeof out, "%s/consumer_out.h5", dir);
    char *synth[] = {"tripminer", "synth", "-o", in, "-n", "200", "-d", "8", "-c", "10", "-q"};
    int rc = tm_cli_run(11, synth, MPI_COMM_WORLD);
    if (rc != 0)
        FAIL("tripminer synth in-process: exit status %d", rc);
    char *mine[] = {"tripminer", "mine", "-i", in, "-o", out, "--threads", "2", "--json", "-q"};
    rc = tm_cli_run(10, mine, MPI_COMM_WORLD);
    if (rc != 0)
        FAIL("tripminer mine in-process: exit status %d", rc);
    FILE *f = fopen(out, "rb");
    if (f == NULL)
        FAIL("tripminer mine in-process left no output %s", out);
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: consumer DIR\n");
        return 2;
    }
    if (check_parser() != 0)
        return 1;
    if (MPI_Init(&argc, &argv) != MPI_SUCCESS)
        FAIL("MPI_Init failed");
    int rc = check_run(argv[1]);
    MPI_Finalize();
    if (rc == 0)
        printf("consumer: ok\n");
    return rc;
}
