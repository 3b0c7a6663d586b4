/*
 * job.h - private to run/: everything one job holds, phase after phase,
 * shared by the driver (mine.c) and what the finished engine's results
 * become (output.c).
 */
#ifndef TM_RUN_JOB_H
#define TM_RUN_JOB_H

#include <mpi.h>
#include <stdint.h>

#include "base/buf.h"
#include "comm/exchange.h"
#include "comm/heard.h"
#include "comm/regroup.h"
#include "core/kern.h"
#include "core/kernels.h"
#include "rules/rule.h"
#include "run/ckpt.h"
#include "run/inputs.h"
#include "run/partition.h"
#include "run/progress.h"
#include "run/psweep.h"
#include "run/sweep.h"
#include "tripminer/mine.h"

struct tm_output;

/* Copies of anchor rows with what travels with them (run/parted.c). */
typedef struct tm_rowcopy {
    float *emb;
    int64_t *lab, *gid, *draw, *xbeg, *xend;
    double *sq, *nrm;
} tm_rowcopy_t;

typedef struct tm_job {
    const tm_mine_params_t *mine;
    const tm_eval_params_t *eval; /* tripminer eval's own (NULL: mine) */
    const tm_run_params_t *run;
    const tm_talk_params_t *talk;
    MPI_Comm comm;
    int rank, nranks;
    tm_mine_summary_t *sum;
    tm_eval_summary_t *esum;      /* tripminer eval's summary (NULL: mine) */
    double t0;
    int64_t budget;

    const tm_rule_t *rule;
    tm_plan_t plan;       /* the rule's engine and its arguments, asked once */
    const struct tm_output *out; /* what the results become (the rule's output kind) */
    void *state;          /* the engine's */
    int pass;             /* the pass under way */
    int threads;          /* compute threads of this rank */
    tm_kern_bound_t bound;
    const tm_kernel_t *kernel; /* this rank's tile kernel (--kernel, resolved) */

    tm_inputs_t in;       /* the anchors and the candidates */
    tm_rows_t anch;       /* the anchors as the engines see them */
    tm_exchange_t *x;
    tm_heard_t heard;     /* who reached a round boundary (checkpoints) */
    tm_sweep_t sweep;
    float *kadd, *kmul;   /* the candidate keys of a round */

    /* Checkpoints (dir NULL: none), progress and times. */
    const char *dir;
    double last_save;
    tm_ckpt_info_t info;  /* generation, position, dependencies */
    tm_buf_t saved;       /* the state read back on --resume */
    int64_t rounds_done;  /* over all passes (the fault hooks count them) */
    tm_progress_t prog;
    tm_phase_times_t times;
    double t_mine;        /* when the passes ended */

    /*
     * Partitioned mining (parted.c; parted 0: the exact sweep). The anchors
     * are in the order of their probes: state index s is local anchor
     * perm[s]. The check: local anchor perm[cidx[k]] is checked row k,
     * mined exactly in cstate by csweep.
     */
    int parted;
    tm_parts_t parts;
    tm_regrouped_t moved; /* the candidates on the ranks that own their partitions */
    tm_psweep_t ps;
    int64_t *perm;
    tm_rowcopy_t ordered; /* the anchors in the order of their probes (j->anch) */
    int64_t ncheck, *cidx;
    tm_rowcopy_t check;   /* the check's anchors (checked) */
    tm_rows_t checked;
    void *cstate;
    tm_sweep_t csweep;

    tm_results_t res;     /* the finished engine's */
    float *d_ap, *d_an, *loss; /* the triplets' float32 columns */
} tm_job_t;

#endif
