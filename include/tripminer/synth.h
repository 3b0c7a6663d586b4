/*
 * synth.h - synthetic labelled embeddings: class centres on the unit
 * sphere, rows scattered around them, projected back onto the sphere; or,
 * with a latent dimension K (tm_synth_opts_t.latent_dim), a mixture of
 * classes in R^K carried into R^D by one fixed random smooth map, then
 * normalised (docs/contract.md, synth).
 */
#ifndef TRIPMINER_SYNTH_H
#define TRIPMINER_SYNTH_H

#include <mpi.h>
#include <stdint.h>

#include "tripminer/err.h"
#include "tripminer/opts.h"

/*
 * Row i of the isotropic set (dim floats) and its label, a pure function of
 * (seed, i, dim, classes, spread): any rank can make any row. The rows of
 * either kind, latent ones too: tm_synth_gen_row. Local.
 */
void tm_synth_row(uint64_t seed, int64_t i, int64_t dim, int64_t classes, double spread,
                  float *row, int64_t *label);

/* A maker of the rows of one set, with its latent map drawn once. */
typedef struct tm_synth_gen tm_synth_gen_t;

/*
 * Make *gen for the set that opts describes: only seed, dim, classes,
 * spread and latent_dim are read (latent_dim 0: the isotropic set, as
 * tm_synth_row). Draws the latent map's weights, O(H (K + D)) doubles with
 * H = max(2K, 64). Returns 0, TM_EUSAGE for a value out of its option's
 * range, or TM_ENOMEM; err says which. Local.
 */
int tm_synth_gen_create(const tm_synth_opts_t *opts, tm_synth_gen_t **gen, tm_err_t *err);

/*
 * Row i of the set (opts->dim floats) and its label, a pure function of
 * the options and i: the same bits on any rank. The generator holds the
 * row's scratch, so one generator serves one thread at a time. Local.
 */
void tm_synth_gen_row(tm_synth_gen_t *gen, int64_t i, float *row, int64_t *label);

/* Free a generator (NULL is allowed). Local. */
void tm_synth_gen_free(tm_synth_gen_t *gen);

/*
 * Write the whole set to opts->output: every rank makes and writes its
 * block of rows (collective), through a temporary file renamed at the end.
 * Collective over comm.
 */
int tm_synth_run(const tm_synth_opts_t *opts, MPI_Comm comm, tm_err_t *err);

#endif
