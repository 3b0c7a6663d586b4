/*
 * log.h - everything the program prints on stderr goes through here:
 * rank-0 logging filtered by level, warnings, errors, progress lines;
 * flushed per line.
 */
#ifndef TRIPMINER_LOG_H
#define TRIPMINER_LOG_H

enum { TM_LOG_QUIET = 0, TM_LOG_INFO = 1, TM_LOG_DEBUG = 2 };

/* Set the level and this process's rank; only rank 0 prints. Local. */
void tm_log_init(int level, int rank);

/* The level set by tm_log_init. Local. */
int tm_log_level(void);

/*
 * Print "tripminer: " + message + newline on stderr when level <= the level
 * set and this is rank 0. Local.
 */
void tm_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Print a message from any rank, prefixed by its rank: for diagnostics
 * only this rank knows (shown at TM_LOG_DEBUG). Local.
 */
void tm_log_rank(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Print "tripminer: warning: " + message on stderr, whatever the level
 * (a warning is never filtered out), from the calling process. Local.
 */
void tm_log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print the one error line "tripminer: error: MSG" on stderr. Local. */
void tm_log_error(const char *msg);
void tm_log_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "tripminer: stopped: MSG": a run that saved its state and ended. Local. */
void tm_log_stopped(const char *msg);

/*
 * Print the progress line "tripminer: progress: ..." followed by end;
 * on a terminal (tty) it starts with a carriage return and rewrites the
 * line in place. Local.
 */
void tm_log_progress(int tty, const char *end, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
