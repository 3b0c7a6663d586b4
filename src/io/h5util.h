/*
 * h5util.h - small private helpers around the HDF5 C API.
 */
#ifndef TM_H5UTIL_H
#define TM_H5UTIL_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

/* Silence HDF5's own printing of error stacks (we report errors ourselves). */
void tm_h5_quiet(void);

/*
 * Copy the description of the innermost error on HDF5's current error
 * stack into buf (empty string if there is none), then clear the stack.
 */
void tm_h5_last_error(char *buf, size_t len);

/* Close an HDF5 identifier of any kind if it is valid; ignore errors. */
void tm_h5_close(hid_t id);

/*
 * Scalar attributes of obj, written in the native type (a string as
 * variable-length UTF-8): 0, or -1 when HDF5 refused. Local.
 */
int tm_h5_attr_str(hid_t obj, const char *name, const char *val);
int tm_h5_attr_f64(hid_t obj, const char *name, double v);
int tm_h5_attr_i64(hid_t obj, const char *name, int64_t v);
int tm_h5_attr_u64(hid_t obj, const char *name, uint64_t v);

#endif
