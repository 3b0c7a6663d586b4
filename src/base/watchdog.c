/*
 * watchdog.c - the end of a stalled job (watchdog.h).
 */
#define _POSIX_C_SOURCE 200809L

#include "base/watchdog.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"

/* A blocking wait is ended by the thread this much after the timeout. */
#define TM_WATCHDOG_GRACE 5.0
/* After MPI_Abort, the process leaves by itself at the latest this late. */
#define TM_WATCHDOG_EXIT_AFTER 20

static struct {
    double timeout;          /* 0: off */
    int rank;
    MPI_Comm comm;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    int running, stopping;
    int waiting;             /* inside enter .. leave */
    double since;            /* when the wait began */
    char what[160];
    int fired;
} wd = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void on_alarm(int sig)
{
    (void)sig;
    _exit(1);
}

/* The one line, then the end of the job. Called with wd.lock not held. */
__attribute__((noreturn)) static void fire(const char *what, double waited,
                                            const int *missing, int n)
{
    char host[64] = "?", list[512] = "";
    gethostname(host, sizeof host);
    host[sizeof host - 1] = '\0';
    size_t used = 0;
    for (int k = 0; k < n && used + 16 < sizeof list; k++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%d", k ? ", " : "",
                                 missing[k]);
    if (n > 0)
        tm_log_errorf("rank %d (%s): no progress for %.0f s in %s; waiting for rank%s %s "
                      "(--stall-timeout %g)", wd.rank, host, waited, what, n == 1 ? "" : "s",
                      list, wd.timeout);
    else
        tm_log_errorf("rank %d (%s): no progress for %.0f s in %s%s (--stall-timeout %g)",
                      wd.rank, host, waited, what,
                      n == 0 ? "; every rank was heard from" : "", wd.timeout);
    /* MPI_Abort over a lost link can block: leave in any case. */
    signal(SIGALRM, on_alarm);
    alarm(TM_WATCHDOG_EXIT_AFTER);
    MPI_Abort(wd.comm, 1);
    _exit(1);
}

static void *watch(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&wd.lock);
    while (!wd.stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&wd.wake, &wd.lock, &ts);
        if (wd.stopping || !wd.waiting || wd.fired)
            continue;
        const double waited = now() - wd.since;
        if (waited >= wd.timeout + TM_WATCHDOG_GRACE) {
            char what[sizeof wd.what];
            memcpy(what, wd.what, sizeof what);
            wd.fired = 1;
            pthread_mutex_unlock(&wd.lock);
            fire(what, waited, NULL, -1);
        }
    }
    pthread_mutex_unlock(&wd.lock);
    return NULL;
}

void tm_watchdog_start(double seconds, int rank, MPI_Comm comm)
{
    if (!(seconds > 0.0) || wd.running)
        return;
    wd.timeout = seconds;
    wd.rank = rank;
    wd.comm = comm;
    wd.stopping = wd.waiting = wd.fired = 0;
    if (pthread_create(&wd.thread, NULL, watch, NULL) == 0)
        wd.running = 1;
}

void tm_watchdog_stop(void)
{
    if (!wd.running)
        return;
    pthread_mutex_lock(&wd.lock);
    wd.stopping = 1;
    pthread_cond_signal(&wd.wake);
    pthread_mutex_unlock(&wd.lock);
    pthread_join(wd.thread, NULL);
    wd.running = 0;
    wd.timeout = 0.0;
}

void tm_watchdog_enter(const char *fmt, ...)
{
    if (!wd.running)
        return;
    pthread_mutex_lock(&wd.lock);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(wd.what, sizeof wd.what, fmt, ap);
    va_end(ap);
    wd.since = now();
    wd.waiting = 1;
    pthread_mutex_unlock(&wd.lock);
}

void tm_watchdog_leave(void)
{
    if (!wd.running)
        return;
    pthread_mutex_lock(&wd.lock);
    wd.waiting = 0;
    pthread_mutex_unlock(&wd.lock);
}

int tm_watchdog_expired(void)
{
    if (!wd.running)
        return 0;
    pthread_mutex_lock(&wd.lock);
    int expired = wd.waiting && now() - wd.since >= wd.timeout;
    pthread_mutex_unlock(&wd.lock);
    return expired;
}

void tm_watchdog_fire(const int *missing, int n)
{
    pthread_mutex_lock(&wd.lock);
    char what[sizeof wd.what];
    memcpy(what, wd.what, sizeof what);
    const double waited = now() - wd.since;
    const int already = wd.fired;
    wd.fired = 1;
    pthread_mutex_unlock(&wd.lock);
    if (already)
        for (;;)
            pause(); /* the thread is ending the job */
    fire(what, waited, missing, n);
}
