/*
 * cli.c - command dispatch, usage errors and exit statuses.
 */
#include "tripminer/cli.h"

#include <stdio.h>
#include <string.h>

#include "io/h5util.h"
#include "tm_gitrev.h"
#include "tm_version.h"
#include "tripminer/err.h"
#include "tripminer/inspect.h"
#include "base/fpenv.h"
#include "base/log.h"
#include "tripminer/mine.h"
#include "tripminer/opts.h"
#include "tripminer/synth.h"

static int finish(int rc, const tm_err_t *err, int rank)
{
    if (rc == TM_ESTOPPED && rank == 0)
        tm_log_stopped(err->msg);
    else if (rc != 0 && rank == 0)
        tm_log_error(err->msg[0] ? err->msg : tm_strerror(rc));
    return tm_err_exit_status(rc);
}

static int cmd_mine(int argc, char **argv, MPI_Comm comm, int rank)
{
    tm_mine_opts_t o;
    tm_err_t err;
    tm_err_clear(&err);
    int rc = tm_mine_opts_parse(argc, argv, &o, &err);
    if (rc == 0 && o.help) {
        if (rank == 0)
            tm_usage_mine(stdout);
        return 0;
    }
    if (rc != 0)
        return finish(rc, &err, rank);
    tm_log_init(o.talk.verbosity, rank);
    tm_mine_summary_t sum;
    rc = tm_mine_run(&o.mine, &o.run, &o.talk, comm, &sum, &err);
    if (rc == 0 && rank == 0)
        tm_mine_print_summary(&o.mine, &o.run, &o.talk, &sum, stdout);
    return finish(rc, &err, rank);
}

static int cmd_eval(int argc, char **argv, MPI_Comm comm, int rank)
{
    tm_mine_opts_t o;
    tm_err_t err;
    tm_err_clear(&err);
    int rc = tm_eval_opts_parse(argc, argv, &o, &err);
    if (rc == 0 && o.help) {
        if (rank == 0)
            tm_usage_eval(stdout);
        return 0;
    }
    if (rc != 0)
        return finish(rc, &err, rank);
    tm_log_init(o.talk.verbosity, rank);
    tm_eval_summary_t sum;
    rc = tm_eval_run(&o.mine, &o.eval, &o.run, &o.talk, comm, &sum, &err);
    if (rc == 0 && rank == 0)
        tm_eval_print_summary(&o.mine, &o.eval, &o.run, &o.talk, &sum, stdout);
    return finish(rc, &err, rank);
}

static int cmd_synth(int argc, char **argv, MPI_Comm comm, int rank)
{
    tm_synth_opts_t o;
    tm_err_t err;
    tm_err_clear(&err);
    int rc = tm_synth_opts_parse(argc, argv, &o, &err);
    if (rc == 0 && o.help) {
        if (rank == 0)
            tm_usage_synth(stdout);
        return 0;
    }
    if (rc != 0)
        return finish(rc, &err, rank);
    tm_log_init(o.verbosity, rank);
    rc = tm_synth_run(&o, comm, &err);
    return finish(rc, &err, rank);
}

static int cmd_inspect(int argc, char **argv, MPI_Comm comm, int rank)
{
    tm_inspect_opts_t o;
    tm_err_t err;
    tm_err_clear(&err);
    int rc = tm_inspect_opts_parse(argc, argv, &o, &err);
    if (rc == 0 && o.help) {
        if (rank == 0)
            tm_usage_inspect(stdout);
        return 0;
    }
    if (rc != 0)
        return finish(rc, &err, rank);
    tm_log_init(o.verbosity, rank);
    rc = tm_inspect_run(&o, comm, stdout, &err);
    return finish(rc, &err, rank);
}

static int cli_run_in(int argc, char **argv, MPI_Comm comm)
{
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    tm_log_init(TM_LOG_INFO, rank);
    tm_h5_quiet();
    tm_err_t err;
    tm_err_clear(&err);

    if (argc < 2) {
        if (rank == 0)
            tm_usage_main(stderr);
        tm_err_set(&err, TM_EUSAGE, "missing command (see 'tripminer --help')");
        return finish(TM_EUSAGE, &err, rank);
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        if (rank == 0)
            tm_usage_main(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        if (rank == 0)
            printf("tripminer %s (git %s)\n", TM_VERSION, TM_GIT_REV);
        return 0;
    }
    if (strcmp(cmd, "mine") == 0)
        return cmd_mine(argc - 2, argv + 2, comm, rank);
    if (strcmp(cmd, "eval") == 0)
        return cmd_eval(argc - 2, argv + 2, comm, rank);
    if (strcmp(cmd, "synth") == 0)
        return cmd_synth(argc - 2, argv + 2, comm, rank);
    if (strcmp(cmd, "inspect") == 0)
        return cmd_inspect(argc - 2, argv + 2, comm, rank);
    tm_err_set(&err, TM_EUSAGE, "unknown command '%s' (see 'tripminer --help')", cmd);
    return finish(TM_EUSAGE, &err, rank);
}

/* The public entry point, in the default floating-point environment. */
int tm_cli_run(int argc, char **argv, MPI_Comm comm)
{
    tm_fpenv_t fp;
    tm_fpenv_enter(&fp);
    const int rc = cli_run_in(argc, argv, comm);
    tm_fpenv_leave(&fp);
    return rc;
}

int tm_cli_main(int argc, char **argv)
{
    int provided = 0;
    /* Compute threads never call MPI: only the main thread does. */
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        tm_log_error("MPI_Init failed (MPI)");
        return 1;
    }
    MPI_Comm comm;
    MPI_Comm_dup(MPI_COMM_WORLD, &comm);
    MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
    int status = tm_cli_run(argc, argv, comm);
    MPI_Comm_free(&comm);
    MPI_Finalize();
    return status;
}
