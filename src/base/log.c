/*
 * log.c - rank-0 logging. The level and rank are process-wide settings of
 * the command being run, set once at start (not mining state).
 */
#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>

static int log_level = TM_LOG_INFO;
static int log_rank = 0;

void tm_log_init(int level, int rank)
{
    log_level = level;
    log_rank = rank;
}

int tm_log_level(void)
{
    return log_level;
}

static void vprint(const char *prefix, const char *fmt, va_list ap)
{
    char line[1024];
    vsnprintf(line, sizeof line, fmt, ap);
    /* One write per line so that lines of several ranks do not interleave. */
    fprintf(stderr, "%s%s\n", prefix, line);
    fflush(stderr);
}

void tm_log(int level, const char *fmt, ...)
{
    if (log_rank != 0 || level > log_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    vprint("tripminer: ", fmt, ap);
    va_end(ap);
}

void tm_log_rank(int level, const char *fmt, ...)
{
    if (level > log_level)
        return;
    char prefix[48];
    snprintf(prefix, sizeof prefix, "tripminer: [rank %d] ", log_rank);
    va_list ap;
    va_start(ap, fmt);
    vprint(prefix, fmt, ap);
    va_end(ap);
}

void tm_log_warning(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint("tripminer: warning: ", fmt, ap);
    va_end(ap);
}

void tm_log_error(const char *msg)
{
    fprintf(stderr, "tripminer: error: %s\n", msg);
    fflush(stderr);
}

void tm_log_errorf(const char *fmt, ...)
{
    /* One write for the whole line: lines of several ranks never mix. */
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "tripminer: error: %s\n", line);
    fflush(stderr);
}

void tm_log_stopped(const char *msg)
{
    fprintf(stderr, "tripminer: stopped: %s\n", msg);
    fflush(stderr);
}

void tm_log_progress(int tty, const char *end, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%stripminer: progress: ", tty ? "\r" : "");
    vfprintf(stderr, fmt, ap);
    fputs(end, stderr);
    fflush(stderr);
    va_end(ap);
}
