/*
 * synth.h - synthetic labelled embeddings: class centres on the unit
 * sphere, rows scattered around them, projected back onto the sphere.
 */
#ifndef TRIPMINER_SYNTH_H
#define TRIPMINER_SYNTH_H

#include <mpi.h>
#include <stdint.h>

#include "tripminer/err.h"
#include "tripminer/opts.h"

/*
 * Row i of the set (dim floats) and its label, a pure function of
 * (seed, i, dim, classes, spread): any rank can make any row. Local.
 */
void tm_synth_row(uint64_t seed, int64_t i, int64_t dim, int64_t classes, double spread,
                  float *row, int64_t *label);

/*
 * Write the whole set to opts->output: every rank makes and writes its
 * block of rows (collective), through a temporary file renamed at the end.
 * Collective over comm.
 */
int tm_synth_run(const tm_synth_opts_t *opts, MPI_Comm comm, tm_err_t *err);

#endif
