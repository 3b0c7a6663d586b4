/*
 * state_io.h - the selection states as bytes, for checkpoints.
 *
 * Each put writes a state into a buffer; each get reads one back into a
 * state initialised for the same anchors and options (tm_*_init), checking
 * every count against the bytes actually there, so a damaged buffer is
 * refused rather than trusted. Gets return 0 or TM_EINPUT / TM_ENOMEM.
 */
#ifndef TM_STATE_IO_H
#define TM_STATE_IO_H

#include "run/ckpt.h"
#include "rules/select.h"

void tm_state_put_hard(tm_buf_t *b, const tm_hard_t *st);
int tm_state_get_hard(tm_buf_t *b, tm_hard_t *st);

void tm_state_put_nearest(tm_buf_t *b, const tm_nearest_t *st);
int tm_state_get_nearest(tm_buf_t *b, tm_nearest_t *st);

/* pass2: whether the gaps of pass 2 exist (after tm_semi_begin2). */
void tm_state_put_semi(tm_buf_t *b, const tm_semi_t *st, int pass2);
int tm_state_get_semi(tm_buf_t *b, tm_semi_t *st, int pass2);

#endif
