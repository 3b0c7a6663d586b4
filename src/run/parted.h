/*
 * parted.h - private to run/: what partitioned mining adds to a job
 * (run/job.h): the partitions and the anchors put in the order of their
 * probes, the check's anchors and their exact state, and the results put
 * back in the anchors' order with the check's numbers.
 */
#ifndef TM_RUN_PARTED_H
#define TM_RUN_PARTED_H

#include "run/job.h"

/*
 * After the inputs are read: build the partitions, order the anchors
 * (j->anch), draw the check's anchors and make their state. 0 or an error
 * agreed by every rank. Collective over j->comm.
 */
int tm_parted_setup(tm_job_t *j, tm_err_t *err);

/*
 * Bytes a rank holds for partitioned mining besides the exact sweep's
 * (its share of the moved candidate rows, the ordered anchors' copies and
 * probes, the centres and the k-means sample), for anchors local anchors
 * and cands candidates of dim floats over nranks ranks. Local.
 */
int64_t tm_parted_bytes(const tm_mine_params_t *m, int64_t anchors, int64_t cands, int64_t dim,
                        int nranks);

/* After the exchange exists: the sweeps' scratch. 0 or TM_ENOMEM. Local. */
int tm_parted_sweeps(tm_job_t *j);

/* One round cand of pass j->pass: the partitions' tiles, then the check's. Local. */
void tm_parted_round(tm_job_t *j, const tm_rows_t *cand);

/*
 * The engine's results into j->res in the anchors' own order, as
 * engine->finish gives them in an exact run; the check's numbers and the
 * certified anchors into the summaries (rank 0). 0 or TM_ENOMEM (local;
 * the caller agrees). Collective over j->comm.
 */
int tm_parted_finish(tm_job_t *j);

void tm_parted_free(tm_job_t *j);

#endif
