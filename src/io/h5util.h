/*
 * h5util.h - small private helpers around the HDF5 C API: errors, closing,
 * and the scalar attributes of our files, written and read back.
 */
#ifndef TM_H5UTIL_H
#define TM_H5UTIL_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "io/format.h"
#include "tripminer/err.h"

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
 * A scalar attribute of obj holding a value of the field tables, written in
 * the native type of its kind (a string as variable-length UTF-8): 0, or -1
 * when HDF5 refused. Local.
 */
int tm_h5_attr_write(hid_t obj, const char *name, const tm_value_t *v);

/*
 * How the reader of one kind of file words its complaints: the file as
 * given (at the end of every message), the opening of a complaint about
 * its contents ("not a tripminer output"), and whether a compound or an
 * array attribute is called so; else it is "of another type", as the
 * reader of eval reports has always said.
 */
typedef struct tm_h5_reader {
    const char *path;
    const char *complaint;
    int names_compound;
} tm_h5_reader_t;

/*
 * Read the scalar attribute name of obj into v, whose type (set by the
 * caller) says what it must hold: a string (malloc'd into v->s, the
 * caller frees it), a floating-point number, or an integer read as int64
 * or uint64. With optional, an absent attribute sets v->none and is no
 * error. Returns 0, or TM_EINPUT with err naming the attribute: missing,
 * of another class, not one value, or unreadable. Local.
 */
int tm_h5_attr_read(hid_t obj, const char *name, int optional, const tm_h5_reader_t *rd,
                    tm_value_t *v, tm_err_t *err);

#endif
