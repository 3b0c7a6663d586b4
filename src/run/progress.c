/*
 * progress.c - progress lines and the time breakdown (progress.h).
 */
#define _POSIX_C_SOURCE 200809L /* readlink */

#include "run/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"

/* The log form: at every tenth, and at least this often (seconds). */
#define LOG_EVERY 60.0
/* The terminal form: no more often than this. */
#define TTY_EVERY 0.2

/*
 * Whether the person who started the run watches a terminal. Under mpirun
 * a rank's stderr is a pipe to mpirun, so for rank 0 (which mpirun starts
 * on its own node) look at the parent's stderr too. TRIPMINER_PROGRESS=tty
 * or =log decides instead.
 */
static int watched_terminal(void)
{
    const char *force = getenv("TRIPMINER_PROGRESS");
    if (force != NULL && strcmp(force, "tty") == 0)
        return 1;
    if (force != NULL && strcmp(force, "log") == 0)
        return 0;
    if (isatty(STDERR_FILENO))
        return 1;
    if (getenv("OMPI_COMM_WORLD_RANK") == NULL)
        return 0;
    char link[64], target[256];
    snprintf(link, sizeof link, "/proc/%ld/fd/2", (long)getppid());
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n <= 0)
        return 0;
    target[n] = '\0';
    return strncmp(target, "/dev/pts/", 9) == 0 || strncmp(target, "/dev/tty", 8) == 0;
}

void tm_progress_start(tm_progress_t *p, int rank, int level, int64_t per_pass, int passes,
                       int64_t anchors, int64_t candidates, int64_t dim)
{
    p->on = rank == 0 && level >= TM_LOG_INFO && per_pass > 0;
    p->tty = p->on && watched_terminal();
    p->per_pass = per_pass;
    p->total = per_pass * passes;
    p->done = 0;
    p->flops = 2.0 * (double)anchors * (double)candidates * (double)dim;
    p->t0 = p->last = MPI_Wtime();
    p->tenth = 0;
}

void tm_progress_skip(tm_progress_t *p, int64_t rounds)
{
    p->done += rounds;
    p->tenth = (int)(10 * p->done / (p->total > 0 ? p->total : 1));
}

static void fmt_time(char *buf, size_t len, double s)
{
    if (s < 0.0 || s != s)
        snprintf(buf, len, "?");
    else if (s < 60.0)
        snprintf(buf, len, "%.1fs", s);
    else if (s < 3600.0)
        snprintf(buf, len, "%dm%02ds", (int)s / 60, (int)s % 60);
    else
        snprintf(buf, len, "%dh%02dm", (int)(s / 3600.0), (int)s % 3600 / 60);
}

static void print_line(const tm_progress_t *p, double now, const char *end)
{
    const double el = now - p->t0, frac = (double)p->done / (double)p->total;
    const double gflops = el > 0.0 ? p->flops * (double)p->done / (double)p->per_pass / el / 1e9 : 0.0;
    char es[32], eta[32];
    fmt_time(es, sizeof es, el);
    fmt_time(eta, sizeof eta, frac > 0.0 ? el / frac - el : -1.0);
    tm_log_progress(p->tty, end, "round %lld/%lld, %3.0f%%, %.1f GFLOP/s, elapsed %s, ETA %s",
                    (long long)p->done, (long long)p->total, 100.0 * frac, gflops, es, eta);
}

void tm_progress_round(tm_progress_t *p)
{
    if (!p->on)
        return;
    p->done++;
    const double now = MPI_Wtime();
    if (p->tty) {
        if (now - p->last >= TTY_EVERY || p->done == p->total) {
            print_line(p, now, "\033[K");
            p->last = now;
        }
        return;
    }
    const int tenth = (int)(10 * p->done / p->total);
    if (tenth > p->tenth || now - p->last >= LOG_EVERY) {
        print_line(p, now, "\n");
        p->tenth = tenth;
        p->last = now;
    }
}

void tm_progress_end(tm_progress_t *p)
{
    if (p->on && p->tty && p->done > 0)
        fputc('\n', stderr);
    p->on = 0;
}

static int cmp_dbl(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void tm_phase_times_report(const tm_phase_times_t *t, MPI_Comm comm)
{
    int rank = 0, nranks = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);
    double mine[5] = {t->read, t->wait, t->compute, t->write, t->partitions};
    double *all = rank == 0 ? malloc((size_t)nranks * sizeof mine) : NULL;
    int ok = rank != 0 || all != NULL;
    MPI_Bcast(&ok, 1, MPI_INT, 0, comm);
    if (!ok)
        return;
    MPI_Gather(mine, 5, MPI_DOUBLE, all, 5, MPI_DOUBLE, 0, comm);
    if (rank != 0)
        return;
    static const char *names[5] = {"read", "wait (communication)", "compute", "write",
                                   "partitions"};
    const int shown = t->partitions > 0.0 ? 5 : 4; /* the same on every rank */
    double *col = malloc((size_t)nranks * sizeof *col);
    if (col != NULL) {
        tm_log(TM_LOG_DEBUG, "time per rank, min / median / max over %d rank%s:", nranks,
               nranks == 1 ? "" : "s");
        for (int k = 0; k < shown; k++) {
            for (int q = 0; q < nranks; q++)
                col[q] = all[5 * q + k];
            qsort(col, (size_t)nranks, sizeof *col, cmp_dbl);
            const double med = nranks % 2 ? col[nranks / 2]
                                          : 0.5 * (col[nranks / 2 - 1] + col[nranks / 2]);
            tm_log(TM_LOG_DEBUG, "  %-21s %9.3f / %9.3f / %9.3f s", names[k], col[0], med,
                   col[nranks - 1]);
        }
    }
    free(col);
    free(all);
}
