/*
 * err.h - error codes, error records and collective agreement on failure.
 *
 * Functions of the library return 0 on success or a negative TM_E* code.
 * Where a failure needs words, the function also fills a tm_err_t with one
 * line "WHAT (WHERE)". At named points the ranks agree on the outcome with
 * tm_err_agree(), which also brings the message of the lowest failing rank
 * to every rank, so that rank 0 can print it once.
 */
#ifndef TRIPMINER_ERR_H
#define TRIPMINER_ERR_H

#include <mpi.h>

/* Error codes; every library function returns 0 or one of these. */
enum {
    TM_OK = 0,
    TM_EUSAGE = -1,   /* bad command line: exit status 2 */
    TM_EIO = -2,      /* file could not be read, written or renamed */
    TM_EINPUT = -3,   /* input file is not what the contract says */
    TM_ENOMEM = -4,   /* allocation failed or a budget would be exceeded */
    TM_EMPI = -5,     /* an MPI call failed */
    TM_EEXIST = -6,   /* output exists and --force was not given */
    TM_EINTERNAL = -7, /* a bug: an invariant did not hold */
    TM_ENOTSUP = -8,   /* a valid request this version cannot serve yet */
    TM_ESTOPPED = -9   /* stopped by a signal after a checkpoint: exit status 75 */
};

/* Longest message kept, including the terminating NUL. */
#define TM_ERR_MSG_MAX 512

/* One error: its code and a one-line message "WHAT (WHERE)". */
typedef struct tm_err {
    int code;
    char msg[TM_ERR_MSG_MAX];
} tm_err_t;

/* Return a static description of an error code. Local. */
const char *tm_strerror(int code);

/* Clear an error record. Local. */
void tm_err_clear(tm_err_t *err);

/*
 * Record an error: code and a printf-style message. Keeps the first error
 * if one is already recorded (the root cause is the useful one). Returns
 * code, so that "return tm_err_set(err, TM_EIO, ...);" reads naturally.
 * Local.
 */
int tm_err_set(tm_err_t *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Agree on failure across comm: returns 0 on every rank when rc == 0 on
 * every rank, otherwise the code of the lowest failing rank, on every rank,
 * with err (in/out) holding that rank's code and message on every rank.
 * A rank whose rc is 0 passes err untouched in. Collective over comm.
 */
int tm_err_agree(int rc, tm_err_t *err, MPI_Comm comm);

/* Map a return code to the process exit status (0, 1, 2 or 75). Local. */
int tm_err_exit_status(int rc);

#endif
