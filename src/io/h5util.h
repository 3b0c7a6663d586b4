/*
 * h5util.h - small private helpers around the HDF5 C API.
 */
#ifndef TM_H5UTIL_H
#define TM_H5UTIL_H

#include <hdf5.h>
#include <stddef.h>

/* Silence HDF5's own printing of error stacks (we report errors ourselves). */
void tm_h5_quiet(void);

/*
 * Copy the description of the innermost error on HDF5's current error
 * stack into buf (empty string if there is none), then clear the stack.
 */
void tm_h5_last_error(char *buf, size_t len);

/* Close an HDF5 identifier of any kind if it is valid; ignore errors. */
void tm_h5_close(hid_t id);

#endif
