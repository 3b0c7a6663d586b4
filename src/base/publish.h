/*
 * publish.h - never leave partial output: every file the program writes
 * (the HDF5 output, the SVG, the checkpoint files) is written under a
 * temporary name in the same directory and moved into place here, once it
 * is complete and flushed.
 */
#ifndef TM_BASE_PUBLISH_H
#define TM_BASE_PUBLISH_H

#include <stddef.h>

#include "tripminer/err.h"

/*
 * A fresh temporary name beside path, DIR/.BASE.tmp-XXXXXXXXXXXX (a
 * random tag), in buf of len bytes: 0, or -1 if it does not fit. Local.
 */
int tm_publish_tmpname(const char *path, char *buf, size_t len);

/*
 * Move the finished file tmp to path, then flush the directory entry.
 * With replace, an existing path is replaced; without it, never (a file
 * that appeared meanwhile is kept: TM_EEXIST, "WHAT exists; use --force").
 * what names the file in messages ("output", "SVG output", "checkpoint
 * file"). Returns 0 or TM_EEXIST / TM_EIO with err filled; tmp is left
 * for the caller to remove on failure. Local.
 */
int tm_publish(const char *tmp, const char *path, int replace, const char *what, tm_err_t *err);

#endif
