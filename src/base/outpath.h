/*
 * outpath.h - may a file be written at this path? (internal)
 */
#ifndef TM_OUTPATH_H
#define TM_OUTPATH_H

#include "tripminer/err.h"

/*
 * Check that path is not a directory, does not exist unless force, and
 * that its directory exists and is writable. what names the file in the
 * messages ("output", "SVG output"). Returns 0, or TM_EEXIST / TM_EIO with
 * err filled. Local.
 */
int tm_outpath_check(const char *path, int force, const char *what, tm_err_t *err);

#endif
