/*
 * err.c - error records and collective agreement on failure.
 */
#include "tripminer/err.h"

#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *tm_strerror(int code)
{
    switch (code) {
    case TM_OK: return "success";
    case TM_EUSAGE: return "usage error";
    case TM_EIO: return "I/O error";
    case TM_EINPUT: return "invalid input";
    case TM_ENOMEM: return "out of memory";
    case TM_EMPI: return "MPI error";
    case TM_EEXIST: return "output exists";
    case TM_EINTERNAL: return "internal error";
    case TM_ENOTSUP: return "not supported";
    case TM_ESTOPPED: return "stopped after a checkpoint";
    default: return "unknown error";
    }
}

void tm_err_clear(tm_err_t *err)
{
    err->code = 0;
    err->msg[0] = '\0';
}

int tm_err_set(tm_err_t *err, int code, const char *fmt, ...)
{
    if (err == NULL || err->code != 0)
        return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

int tm_err_agree(int rc, tm_err_t *err, MPI_Comm comm)
{
    int rank = 0, size = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);

    /* The lowest failing rank speaks for all; size means "nobody failed". */
    int mine = rc != 0 ? rank : size;
    int root = size;
    if (MPI_Allreduce(&mine, &root, 1, MPI_INT, MPI_MIN, comm) != MPI_SUCCESS) {
        /* Without agreement nothing collective is safe any more. */
        tm_log_errorf("MPI_Allreduce failed while agreeing on an error (rank %d)", rank);
        MPI_Abort(comm, 1);
    }
    if (root == size)
        return 0;

    /* Code and message travel together in one broadcast. */
    struct {
        int code;
        char msg[TM_ERR_MSG_MAX];
    } wire;
    memset(&wire, 0, sizeof wire);
    if (rank == root) {
        wire.code = rc;
        if (err != NULL && err->code != 0)
            memcpy(wire.msg, err->msg, sizeof wire.msg);
        else
            snprintf(wire.msg, sizeof wire.msg, "%s (rank %d)",
                     tm_strerror(rc), rank);
        wire.msg[sizeof wire.msg - 1] = '\0';
    }
    if (MPI_Bcast(&wire, (int)sizeof wire, MPI_BYTE, root, comm) != MPI_SUCCESS) {
        tm_log_errorf("MPI_Bcast failed while agreeing on an error (rank %d)", rank);
        MPI_Abort(comm, 1);
    }
    if (err != NULL) {
        err->code = wire.code;
        memcpy(err->msg, wire.msg, sizeof err->msg);
    }
    return wire.code;
}

int tm_err_exit_status(int rc)
{
    if (rc == 0)
        return 0;
    if (rc == TM_EUSAGE)
        return 2;
    if (rc == TM_ESTOPPED)
        return 75; /* EX_TEMPFAIL: stopped, resumable */
    return 1;
}
